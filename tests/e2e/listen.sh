#!/bin/sh
# `dlmscope listen` on a pseudo-terminal: tests/e2e/ptywriter plays the port, writing
# testdata/listen/han-stream.hex in random small chunks with random small delays, and the
# output is compared with `dlmscope decode` of the same bytes from a file (the only
# difference allowed: listen marks each frame with its direction and time), and with
# `dlmscope decode` of the --raw log (no difference at all). Also: the settings and port
# errors, the endings (silence, SIGINT, SIGTERM, hang-up), --send and --iec.
#
# Usage: tests/e2e/listen.sh BIN PTYWRITER
# Prints "listen: N passed, N failed"; exits 1 when something failed.
PTYW=${2:?usage: listen.sh BIN PTYWRITER}
set -- "$1"
E2E_NAME=listen
. "$(dirname "$0")/common.sh"
case $PTYW in /*) ;; *) PTYW=$(pwd)/$PTYW ;; esac

STREAM=$ROOT/testdata/listen/han-stream.hex

# usage_case NAME WANT_RC WANT_TEXT ARGS...: a refused command line or port
usage_case() {
    name=$1 want=$2 text=$3
    shift 3
    $TIMEOUT "$BIN" listen "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
    rc=$?
    if [ "$rc" != "$want" ]; then fail "listen $name: exit $rc, want $want"
    elif ! grep -qF -- "$text" "$TMP/$name.err"; then fail "listen $name: stderr lacks '$text': $(head -1 "$TMP/$name.err")"
    elif sanitizer_report "$TMP/$name.err"; then fail "listen $name: sanitizer report"
    else pass; fi
}

# help: every option of listen is in --help, which `dlmscope help listen` shows too
for opt in --serial --timeout --gap --raw --send --iec --probe --send-snrm --format --decimal --no-comments --pdu-only --json \
    --standard-xml --diagnostics --output --help --ek --ak --key-file; do
    if "$BIN" listen --help | grep -q -- "$opt"; then pass; else fail "listen --help does not name $opt"; fi
done
if "$BIN" help listen | cmp -s - "$TMP/help" 2>/dev/null || "$BIN" help listen | grep -q "DEVICE\[:BAUD:DPS\]"; then pass
else fail "dlmscope help listen does not show listen's usage"; fi

usage_case no-device 2 "no DEVICE given"
usage_case bad-data-bits 2 "data bits '9N1'" /dev/null --serial 9600:9N1
usage_case bad-parity 2 "parity 'X'" /dev/null --serial 9600:8X1
usage_case bad-baud 2 "baud 'fast'" /dev/null --serial fast:8N1
usage_case bad-stop 2 "stop bits 1.5" /dev/null --serial 9600:8N1.5
usage_case twice 2 "both in the device name and --serial" /dev/null:9600:8N1 --serial 2400:8E1
usage_case bad-timeout 2 "--timeout" /dev/null --timeout soon
usage_case missing-device 1 "/nonexistent/ttyUSB9: cannot open" /nonexistent/ttyUSB9
usage_case not-a-tty 1 "/dev/null: cannot configure 9600:8N1: not a serial port" /dev/null
# a pty master is a terminal: what it refuses is the rate itself
usage_case odd-baud 1 "/dev/ptmx: cannot configure 12345:8N1: baud 12345 is not supported" /dev/ptmx --serial 12345:8N1
usage_case gurux-odd-baud 1 "baud 12345 is not supported" /dev/ptmx:12345:7Even1

# same_as_file NAME OUT SENT WANT_RC RC: OUT, without listen's Direction and Time, is what decode
# makes of the bytes SENT as a binary file, with the same exit status
same_as_file() {
    name=$1 out=$2 sent=$3 rc=$4
    # shellcheck disable=SC2086
    "$BIN" decode --binary ${DECODE_ARGS:-} "$sent" >"$TMP/$name.file.xml" 2>/dev/null
    frc=$?
    sed 's/ Direction="RX" Time="[^"]*"//' "$out" >"$TMP/$name.stripped"
    if ! cmp -s "$TMP/$name.stripped" "$TMP/$name.file.xml"; then
        fail "listen $name: output differs from decode of the same bytes from a file"
        diff "$TMP/$name.stripped" "$TMP/$name.file.xml" | head -5
    elif [ "$rc" != "$frc" ]; then fail "listen $name: exit $rc, decode of the file exits $frc"
    else pass; fi
}

# same_as_raw NAME OUT RAW: decode of the --raw log gives exactly the output
same_as_raw() {
    "$BIN" decode "$3" >"$TMP/$1.raw.xml" 2>/dev/null
    if cmp -s "$2" "$TMP/$1.raw.xml"; then pass; else
        fail "listen $1: decode of the --raw log differs from the output"
        diff "$2" "$TMP/$1.raw.xml" | head -5
    fi
}

well_formed() {
    if xmllint --noout "$2" 2>/dev/null; then pass; else fail "listen $1: output is not well-formed XML"; fi
}

summary_said() {
    if grep -q "bytes received, .* frames, .* APDUs, .* errors" "$2" && ! sanitizer_report "$2"; then pass
    else fail "listen $1: no summary on stderr (or a sanitizer report): $(tail -1 "$2")"; fi
}

# live NAME PTYWRITER-OPTIONS -- LISTEN-OPTIONS: one session; sets rc
live() {
    name=$1
    shift
    opts=
    while [ "$1" != -- ]; do opts="$opts $1"; shift; done
    shift
    # shellcheck disable=SC2086
    "$PTYW" $opts "${ANSWER:-$STREAM}" "$TMP/$name.sent" -- "$BIN" listen "${PTY_ARG:-@PTY@}" --raw "$TMP/$name.raw" "$@" \
        >"$TMP/$name.xml" 2>"$TMP/$name.err"
    rc=$?
}

# the stream ends, and two seconds of silence end listen (a margin for a loaded machine); two
# seeds, two ways of cutting it up
for seed in 1 2; do
    live silence-$seed -s $seed -- --serial 9600:8N1 --timeout 2
    same_as_file silence-$seed "$TMP/silence-$seed.xml" "$TMP/silence-$seed.sent" "$rc"
    same_as_raw silence-$seed "$TMP/silence-$seed.xml" "$TMP/silence-$seed.raw"
    well_formed silence-$seed "$TMP/silence-$seed.xml"
    summary_said silence-$seed "$TMP/silence-$seed.err"
done
# nine frames, all decoded, all marked as received
n=$(grep -c '<HDLC len=".*" Direction="RX" Time="' "$TMP/silence-1.xml")
if [ "$n" = 9 ]; then pass; else fail "listen silence-1: $n frames marked RX, want 9"; fi

# Ctrl-C in the middle of a frame (byte 1000 is inside the sixth): the frame begun is reported
# cut, the document is closed, the exit status is decode's for the same bytes (1)
live sigint -s 3 -n 1000 -e int -r "$TMP/sigint.raw" -- --serial 115200:8N1
same_as_file sigint "$TMP/sigint.xml" "$TMP/sigint.sent" "$rc"
same_as_raw sigint "$TMP/sigint.xml" "$TMP/sigint.raw"
well_formed sigint "$TMP/sigint.xml"
summary_said sigint "$TMP/sigint.err"
if [ "$rc" = 1 ] && grep -q "frame.truncated" "$TMP/sigint.xml"; then pass; else
    fail "listen sigint: exit $rc and no frame.truncated, want 1 and the cut frame reported"; fi
if grep -q "ended by a signal" "$TMP/sigint.err"; then pass; else fail "listen sigint: summary does not say a signal ended it"; fi

# SIGTERM, and a hang-up (the master closed), with settings in the device name (Gurux -S)
live sigterm -s 4 -e term -r "$TMP/sigterm.raw" -- --serial 2400:8E1
same_as_file sigterm "$TMP/sigterm.xml" "$TMP/sigterm.sent" "$rc"
well_formed sigterm "$TMP/sigterm.xml"
PTY_ARG=@PTY@:300:7Even1
live hangup -s 5 -e hangup -r "$TMP/hangup.raw" --
PTY_ARG=
same_as_file hangup "$TMP/hangup.xml" "$TMP/hangup.sent" "$rc"
same_as_raw hangup "$TMP/hangup.xml" "$TMP/hangup.raw"
if grep -q "ended by hang-up" "$TMP/hangup.err"; then pass; else fail "listen hangup: summary does not say a hang-up ended it"; fi

# --send: the request goes out first (ptywriter checks the bytes), then the answer is read; the
# output holds both, the request marked as sent. The request as hex, then as XML (encode's path).
ANSWER=$ROOT/testdata/listen/ua.hex
"$BIN" decode "$ROOT/testdata/listen/snrm.hex" >"$TMP/snrm.xml" 2>/dev/null
for form in hex xml; do
    req=$ROOT/testdata/listen/snrm.hex
    [ $form = xml ] && req=$TMP/snrm.xml
    live send-$form -q "$ROOT/testdata/listen/snrm.hex" -- --timeout 2 --send "$req"
    same_as_raw send-$form "$TMP/send-$form.xml" "$TMP/send-$form.raw"
    well_formed send-$form "$TMP/send-$form.xml"
    if [ "$rc" = 0 ] && grep -q "<HDLC len=\"A\" Direction=\"TX\"" "$TMP/send-$form.xml" &&
        grep -q "<HDLC len=\"1E\" Direction=\"RX\"" "$TMP/send-$form.xml" &&
        grep -q '^> .*length=10 from=0 to=9$' "$TMP/send-$form.raw"; then pass
    else fail "listen send-$form: exit $rc, or no SNRM sent (TX, 10 bytes) and UA received (RX)"; fi
done
ANSWER=

# --iec: ptywriter plays a meter's mode E opening (identification /KFM5\2KAIFA: 9600 baud, HDLC),
# checks the ACK 2 5 2, confirms; then the stream, decoded as from a file
live iec -m 'KFM5\2KAIFA' -- --iec --timeout 2
same_as_file iec "$TMP/iec.xml" "$TMP/iec.sent" "$rc"
same_as_raw iec "$TMP/iec.xml" "$TMP/iec.raw"
if grep -qF '# IEC 62056-21: identification /KFM5\2KAIFA' "$TMP/iec.raw" &&
    grep -qF 'switching to 9600:8N1' "$TMP/iec.raw"; then pass
else fail "listen iec: the raw log does not note the identification and the switch to 9600:8N1"; fi

# --gap: an unframed APDU waits for the end of its record; 0.3 s of silence gives it one (the raw
# log notes it, so decode of the log cuts there too); the APDU is decoded as decode reads it from
# the hex file (listen adds only the comment with the direction and time of the record)
ANSWER=$ROOT/testdata/listen/datanotification.hex
live gap -- --gap 0.3 --timeout 2
ANSWER=
same_as_raw gap "$TMP/gap.xml" "$TMP/gap.raw"
"$BIN" decode "$ROOT/testdata/listen/datanotification.hex" >"$TMP/gap.file.xml" 2>/dev/null
grep -v '^<!--RX ' "$TMP/gap.xml" >"$TMP/gap.stripped"
if [ "$rc" = 0 ] && cmp -s "$TMP/gap.stripped" "$TMP/gap.file.xml" &&
    tail -1 "$TMP/gap.raw" | grep -q '^# silence: no byte for 300 ms$'; then pass
else fail "listen gap: exit $rc, output differs from decode of the hex file, or no silence noted in the raw log"; fi

# keys: an Austrian M-Bus push (testdata/corpus/HAN-AT-tinetz-kaifa-ma309-mbus.hex, key from the
# corpus) deciphered with --ek as decode deciphers the same bytes; and the key from the environment
ANSWER=$ROOT/testdata/corpus/HAN-AT-tinetz-kaifa-ma309-mbus.hex
DECODE_ARGS="--ek 101112131415161718191A1B1C1D1E1F"
live ek -- --timeout 2 --serial 2400:8E1 --ek 101112131415161718191A1B1C1D1E1F
same_as_file ek "$TMP/ek.xml" "$TMP/ek.sent" "$rc"
if [ "$rc" = 0 ] && grep -q '<UInt32 Value="00002394" />' "$TMP/ek.xml"; then pass
else fail "listen ek: exit $rc, or the deciphered value 00002394 is not in the output"; fi
export DLMSCOPE_EK=101112131415161718191A1B1C1D1E1F
live ek-env -- --timeout 2
unset DLMSCOPE_EK
same_as_file ek-env "$TMP/ek-env.xml" "$TMP/ek-env.sent" "$rc"
ANSWER= DECODE_ARGS=
usage_case bad-ek 2 "--ek: " /dev/null --ek 0011

# --probe: ptywriter -b plays a meter that pushes good frames only at its own rate (the rate
# is all a pty keeps of the settings) and their bytes XORed with 55 at any other. The probe
# tries 2400 8E1, 2400 8N1, 9600 8N1 ... (src/port/probe.c) and must stop at the meter's rate.
# probe NAME WANT_RC PTYWRITER_ARGS... -- LISTEN_ARGS...
probe() {
    name=$1 want=$2
    shift 2
    pargs=
    while [ "$1" != -- ]; do pargs="$pargs $1"; shift; done
    shift
    # shellcheck disable=SC2086
    $TIMEOUT "$PTYW" $pargs "$TMP/$name.sent" -- "$BIN" listen --probe "$@" @PTY@ >"$TMP/$name.out" 2>"$TMP/$name.err"
    rc=$?
    if [ "$rc" != "$want" ]; then fail "listen $name: exit $rc, want $want: $(head -2 "$TMP/$name.err")"
    elif sanitizer_report "$TMP/$name.err"; then fail "listen $name: sanitizer report"
    else pass; fi
}
probe probe-push 0 -b 9600 "$ROOT/testdata/corpus/HAN-AT-tinetz-kaifa-ma309-mbus.hex" -- --timeout 0.5
# the two 2400 settings gave bytes but no frame; 9600 8N1 gave the push's two M-Bus frames
if [ "$(grep -c ' 0 frames with good checks$' "$TMP/probe-push.out")" = 2 ] &&
    grep -q '^9600:8N1 .* 2 frames with good checks$' "$TMP/probe-push.out" &&
    tail -1 "$TMP/probe-push.out" | grep -q 'frames with good checks at 9600:8N1: listen with --serial 9600:8N1$'
then pass; else fail "listen probe-push: $(cat "$TMP/probe-push.out")"; fi
# --send-snrm: the meter answers the SNRM (testdata/listen/snrm-probe.hex) with a UA at 2400 only
probe probe-snrm 0 -b 2400 -q "$ROOT/testdata/listen/snrm-probe.hex" "$ROOT/testdata/listen/ua.hex" -- --send-snrm --timeout 0.5
if tail -1 "$TMP/probe-snrm.out" | grep -q 'frames with good checks at 2400:8E1:'; then pass
else fail "listen probe-snrm: $(cat "$TMP/probe-snrm.out")"; fi
# a port that never gives a frame: every setting tried, exit 1 and why
probe probe-none 1 -b 2400 "$ROOT/testdata/listen/noise.hex" -- --timeout 0.2
if [ "$(grep -c 'frames with good checks$' "$TMP/probe-none.out")" = 14 ] &&
    grep -q 'none of the 14 settings tried gave a frame with good checks' "$TMP/probe-none.err"; then pass
else fail "listen probe-none: $(cat "$TMP/probe-none.out" "$TMP/probe-none.err" | head -3)"; fi
usage_case probe-serial 2 "--probe tries the settings itself" /dev/null --probe --serial 2400:8N1
usage_case snrm-alone 2 "--send-snrm goes with --probe" /dev/null --send-snrm

summary=$(printf 'listen: %d passed, %d failed' "$passed" "$failed")
echo "$summary"
[ "$failed" = 0 ]
