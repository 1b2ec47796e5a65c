#!/bin/sh
# `dlmscope emulate`: the command line and the model errors, then tests/e2e/emulate_client.py,
# a client written apart from the library (Python, with its own HDLC, wrapper, CRC and
# AES-GCM), against the example model over TCP, HDLC over TCP, a pty and UDP: the answers worked
# out by hand, block transfer, HDLC segmentation both ways, several clients at once, LOW and
# HLS-GMAC with glo-ciphering, clean ends on SIGTERM and SIGINT. Loopback only; every wait in
# the client has a timeout.
#
# Usage: tests/e2e/emulate.sh BIN
# Prints "emulate: N passed, N failed"; exits 1 when something failed.
E2E_NAME=emulate
. "$(dirname "$0")/common.sh"

# usage_case NAME WANT_RC WANT_TEXT ARGS...: a refused command line or model
usage_case() {
    name=$1 want=$2 text=$3
    shift 3
    $TIMEOUT "$BIN" emulate "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
    rc=$?
    if [ "$rc" != "$want" ]; then fail "emulate $name: exit $rc, want $want ($(head -1 "$TMP/$name.err"))"
    elif ! grep -qF -- "$text" "$TMP/$name.err"; then fail "emulate $name: stderr lacks '$text': $(head -1 "$TMP/$name.err")"
    elif [ -s "$TMP/$name.out" ]; then fail "emulate $name: wrote to stdout"
    elif sanitizer_report "$TMP/$name.err"; then fail "emulate $name: sanitizer report"
    else pass; fi
}

for opt in --model --tcp --udp --hdlc-tcp --pty --serial --max-info --window --max-pdu --image-block-size --max-clients --idle --help; do
    if "$BIN" emulate --help | grep -q -- "$opt"; then pass; else fail "emulate --help does not name $opt"; fi
done
if "$BIN" help emulate | grep -q "listening on"; then pass; else fail "dlmscope help emulate"; fi

MODEL=$ROOT/testdata/emulate/meter.xml
usage_case no-model 2 "--model FILE is required" --tcp 0
usage_case two-transports 2 "give one transport" --model "$MODEL" --tcp 0 --udp 0
usage_case bad-port 2 "not a port (0..65535): 70000" --model "$MODEL" --tcp 70000
usage_case bad-max-info 2 "--max-info takes 32..2030: 16" --model "$MODEL" --max-info 16
usage_case bad-window 2 "--window takes 1..7: 8" --model "$MODEL" --window 8
usage_case bad-max-pdu 2 "--max-pdu takes 64..65535: 63" --model "$MODEL" --max-pdu 63
usage_case big-max-pdu 2 "--max-pdu takes 64..65535: 65536" --model "$MODEL" --max-pdu 65536
usage_case zero-block 2 "--image-block-size takes 1..65535 bytes: 0" --model "$MODEL" --image-block-size 0
usage_case big-block 2 "--image-block-size takes 1..65535 bytes: 65536" --model "$MODEL" --image-block-size 65536
usage_case stray 2 "unexpected argument: extra" --model "$MODEL" extra
usage_case missing-model 1 "/nonexistent/meter.xml: No such file" --model /nonexistent/meter.xml
printf '<meter>\n  <association client="16"/>\n  <object class="3" obis="1.0.1.8.0.255">\n    <attribute id="3"><UInt8 Value="1"/></attribute>\n  </object>\n</meter>\n' >"$TMP/bad.xml"
usage_case bad-model 1 "bad.xml:4: attribute 3 (scaler_unit) of class 3: the value is not of the attribute's type" --model "$TMP/bad.xml"
printf '<meter>\n  <association client="16">\n</meter>\n' >"$TMP/malformed.xml"
usage_case malformed-model 1 "malformed.xml:4: not well-formed XML: Premature end of data" --model "$TMP/malformed.xml"
usage_case serial-missing 1 "/nonexistent/ttyUSB9" --model "$MODEL" --serial /nonexistent/ttyUSB9:9600:8N1
# the example model names the meter's key signing-key: no warning
if grep -q 'warning' "$TMP/serial-missing.err"; then fail "emulate serial-missing: a warning: $(head -1 "$TMP/serial-missing.err")"
else pass; fi
# the meter's ECDSA signing key under its old name private-key (elsewhere a key-agreement key):
# the model is taken, with one warning naming signing-key and the line (that of the end of the
# <association> start tag, as in every model message); the missing serial port then ends it
sed 's/ signing-key="/ private-key="/' "$MODEL" >"$TMP/old-key.xml"
usage_case old-key-name 1 "dlmscope emulate: warning: $TMP/old-key.xml:23: private-key is the old name of signing-key (the meter's ECDSA signing key): say signing-key" \
    --model "$TMP/old-key.xml" --serial /nonexistent/ttyUSB9:9600:8N1
if [ "$(grep -c 'warning' "$TMP/old-key-name.err")" = 1 ] && grep -q '/nonexistent/ttyUSB9' "$TMP/old-key-name.err"; then pass
else fail "emulate old-key-name: not one warning, then the serial port: $(cat "$TMP/old-key-name.err")"; fi
# the example model is well-formed XML too
if xmllint --noout "$MODEL" 2>/dev/null; then pass; else fail "xmllint: $MODEL"; fi

if ! command -v python3 >/dev/null 2>&1; then
    fail "python3 is needed for the emulator's client"
else
    TMPDIR=$TMP $TIMEOUT python3 "$ROOT/tests/e2e/emulate_client.py" "$BIN" "$ROOT" >"$TMP/client.out" 2>"$TMP/client.err"
    rc=$?
    n=$(grep -c '^PASS ' "$TMP/client.out")
    f=$(grep -c '^FAIL ' "$TMP/client.out")
    passed=$((passed + n))
    grep '^FAIL ' "$TMP/client.out"
    failed=$((failed + f))
    if [ "$rc" != 0 ] || [ "$n" -lt 60 ]; then
        fail "emulate_client.py: exit $rc, $n checks passed (want at least 60): $(tail -3 "$TMP/client.err")"
    fi
fi

summary=$(printf 'emulate: %d passed, %d failed' "$passed" "$failed")
echo "$summary"
[ "$failed" = 0 ]
