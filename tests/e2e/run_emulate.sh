#!/bin/sh
# `dlmscope run` against `dlmscope emulate` (testdata/emulate/meter.xml), on loopback TCP with
# the wrapper and on a pseudo-terminal with HDLC (max info 128): the clock, the +A register's
# value and scaler/unit, the load profile by range in blocks (the client offers a max PDU of
# 512), a remote disconnect with integer(0) refused to the LOW client 17 and done for the
# HLS-GMAC client 1 with ciphering; the same reads as one get-request-with-list answered in
# datablocks (max PDU 128, issue 15); the profile again with general block transfer (run and
# emulate --gbt-window) over both; --ic-from-meter (issue 15) over TCP and HDLC over TCP.
# Each transcript decodes without an error diagnostic.
# Every wait is bounded (timeout 30 on each command, 5 s for the emulator's first line); the
# emulators are stopped by their process ids at the end.
#
# Expected values, from the model (worked out by hand):
#   +A register: UInt32 123456 = 0001E240; scaler/unit structure {Int8 1, Enum 30 = 1E}
#   profile by range 2026-12-01 00:00 to 12:00 UTC, a row every 900 s from 00:00: 12 * 4 + 1
#   = 49 rows of {date-time, UInt32}: with the scaler/unit, 50 two-element structures in all;
#   49 rows of 2 + 14 + 5 = 21 bytes and the array header 01 31 are 1031 bytes: more than 512,
#   so the answer comes in get-response-with-datablock pieces.
#   disconnect: client 17's association calls no method (action-result 3, read-write-denied:
#   exit 1); client 1 may (exit 0).
#   HLS-ECDSA: client 2 (mechanism 7, P-256 test keys of testdata/emulate/ecdsa-*.pem): with the
#   right keys, as PEM files on the command line or hex in <Settings>, the clock is read (exit
#   0) and decode, given both public keys, says that f(StoC) and f(CtoS) verify; with the
#   meter's private key in place of the client's, the meter refuses the reply_to_HLS (exit 2);
#   with no key, a usage error (exit 2) before any connection. The client's key under its old
#   name (--private-key, <PrivateKey>) is taken the same (the same exit status) with one warning
#   naming --signing-key; under the new names there is no warning.
#
# Usage: tests/e2e/run_emulate.sh BIN
E2E_NAME=run_emulate
. "$(dirname "$0")/common.sh"

MODEL=$ROOT/testdata/emulate/meter.xml
S=$ROOT/testdata/run
EK=000102030405060708090A0B0C0D0E0F
AK=D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF
GMAC="-c 1 -a HighGmac --ek $EK --ak $AK --client-title 4D4D4D0000000001"
# the HLS-ECDSA test keys (P-256, testdata/emulate/ecdsa-client.pem and the meter's of meter.xml)
CLIENT_PRIV=1E04CA73187869FDD22207F88BDCC5714EB590C7801FD6A1C0F9D9A868CA3625
CLIENT_PUB=049BD986316F74EC89BC425FF1596304F34C88B4B4C5D2489F9B17AB4FB3DBFC268CCBF3D3FE4AB943E8540C657FB8636ED1E5C993BE8939D8B435B3EA1CEFFDB3
METER_PRIV=2DB477ABF819585F4880F6E817859F6E2DBFAAE0419DAC7281054D72740CB014
METER_PUB=041694B341648E7B91C16742000E4F45A965FB0A65D8A725C3420A301283EE1BC8D8627DC40CE271B8453BC6D3610C70F4853FC763648E92977912F2713D669F75
PIDS=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT INT TERM

# start NAME ARGS...: an emulator in the background; sets LISTEN to its first line
start() {
    name=$1
    shift
    "$BIN" emulate --model "$MODEL" "$@" >"$TMP/$name.emu" 2>&1 &
    PIDS="$PIDS $!"
    LISTEN=
    for _ in $(seq 50); do
        LISTEN=$(head -1 "$TMP/$name.emu")
        [ -n "$LISTEN" ] && break
        sleep 0.1
    done
}

# run NAME WANT_RC ARGS...: a run with its transcript; exit status, well-formed output, no
# sanitizer report, and the transcript decoded without an error diagnostic
run() {
    name=$1 want=$2
    shift 2
    $TIMEOUT "$BIN" run --transcript "$TMP/$name.log" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
    rc=$?
    if [ "$rc" != "$want" ]; then fail "$name: exit $rc, want $want: $(tail -2 "$TMP/$name.err")"
    elif ! xmllint --noout "$TMP/$name.out" 2>/dev/null; then fail "$name: output is not well-formed XML"
    elif sanitizer_report "$TMP/$name.err"; then fail "$name: sanitizer report"
    else pass; fi
    "$BIN" decode --ek $EK --ak $AK "$TMP/$name.log" >"$TMP/$name.dec" 2>"$TMP/$name.decerr"
    if [ $? != 0 ] || grep -qi 'error' "$TMP/$name.decerr"; then fail "$name: transcript: $(head -1 "$TMP/$name.decerr")"
    else pass; fi
    if grep -qi "$EK\|$AK" "$TMP/$name.out" "$TMP/$name.err" "$TMP/$name.log"; then fail "$name: a key is printed"
    else pass; fi
}

# no_warning NAME: the run warned about nothing
no_warning() {
    if grep -q 'warning' "$TMP/$1.err"; then fail "$1: a warning: $(grep warning "$TMP/$1.err" | head -1)"; else pass; fi
}

# old_name_warning NAME TEXT: the run warned once, in one line starting with TEXT, and that line
# says which key it is
old_name_warning() {
    if [ "$(grep -c 'warning' "$TMP/$1.err")" = 1 ] && grep -qF "$2" "$TMP/$1.err" &&
        grep -q "the client's ECDSA signing key of high-ecdsa, not the key-agreement key of decode's --private-key$" \
            "$TMP/$1.err"; then pass
    else fail "$1: not one warning '$2...': $(grep warning "$TMP/$1.err" | head -2)"; fi
}

# reads NAME: the answers of emulate-read.xml
reads() {
    name=$1
    if grep -q '<UInt32 Value="0001E240" />' "$TMP/$name.out" && grep -q '<Int8 Value="01" />' "$TMP/$name.out" &&
        grep -q '<Enum Value="1E" />' "$TMP/$name.out"; then pass
    else fail "$name: the register's value or scaler/unit is missing"; fi
    n=$(grep -c '<Structure Qty="02" >' "$TMP/$name.out")
    if [ "$n" = 50 ]; then pass; else fail "$name: $n two-element structures, want 50"; fi
    if grep -q '<GetResponsewithDataBlock>' "$TMP/$name.dec" && grep -q '<GetRequestForNextDataBlock>' "$TMP/$name.dec"; then pass
    else fail "$name: the profile did not come in blocks"; fi
    if [ "$(grep -c '<OctetString Value="07EA' "$TMP/$name.out")" -ge 50 ]; then pass
    else fail "$name: the clock's and the rows' date-times are missing"; fi
}

# client_ics NAME: the invocation counters of the client's (title 4D4D4D0000000001) ciphered
# APDUs in the decoded transcript, in decimal, one a line, in order
client_ics() {
    sed -n 's/.*InvocationCounter="\([0-9A-Fa-f]*\)" SystemTitle="4D4D4D0000000001".*/\1/p' "$TMP/$1.dec" |
        while read -r h; do printf '%d\n' "0x$h"; done
}

# ic_from_meter PREFIX ARGS...: --ic-from-meter twice in a row against the same emulator
# (issue 15). Each run reads the frame counter as the public client 16 (a plain GET of
# 0.0.43.1.0.255 attribute 2 in the transcript), says the value and starts at value + 1; the
# second run's first IC is above every IC of the first (no IC used twice); --ic-file with a
# higher stored counter is not lowered; a frame counter object the meter does not have is a
# clear failure (exit 2, the GET's result 4 object-undefined named); --dry-run only says it.
ic_from_meter() {
    p=$1
    shift
    # shellcheck disable=SC2086
    run "$p-icm1" 0 "$@" $GMAC --ic-from-meter "$S/disconnect.xml"
    # shellcheck disable=SC2086
    run "$p-icm2" 0 "$@" $GMAC --ic-from-meter "$S/disconnect.xml"
    for n in $p-icm1 $p-icm2; do
        v=$(sed -n 's/.*invocation counter read from the meter: \([0-9]*\); the run starts at \([0-9]*\)$/\1 \2/p' "$TMP/$n.err")
        first=$(client_ics "$n" | head -1)
        if [ -n "$v" ] && [ "${v#* }" = $((${v% *} + 1)) ] && [ "$first" = "${v#* }" ] &&
            grep -q '<InstanceId Value="00002B0100FF" />' "$TMP/$n.dec"; then pass
        else fail "$n: read '$v', first IC '$first': $(grep 'invocation' "$TMP/$n.err")"; fi
    done
    last1=$(client_ics "$p-icm1" | tail -1)
    first2=$(client_ics "$p-icm2" | head -1)
    if [ -n "$last1" ] && [ -n "$first2" ] && [ "$first2" -gt "$last1" ]; then pass
    else fail "$p: the second run starts at IC '$first2', the first ended at '$last1'"; fi
    echo 100000 >"$TMP/$p-icfile"
    # shellcheck disable=SC2086
    run "$p-icm-stored" 0 "$@" $GMAC --ic-from-meter --ic-file "$TMP/$p-icfile" "$S/disconnect.xml"
    if grep -q 'the run starts at 100000 (the stored one, higher)' "$TMP/$p-icm-stored.err" &&
        [ "$(client_ics "$p-icm-stored" | head -1)" = 100000 ] && [ "$(cat "$TMP/$p-icfile")" -gt 100000 ]; then pass
    else fail "$p-icm-stored: the stored IC was lowered: $(grep 'invocation' "$TMP/$p-icm-stored.err")"; fi
    # shellcheck disable=SC2086
    run "$p-icm-none" 2 "$@" $GMAC --ic-from-meter=0.0.43.1.9.255 "$S/disconnect.xml"
    if grep -q 'invocation counter not read from the meter (client 16, 0.0.43.1.9.255 attribute 2): .*(result 4)' \
        "$TMP/$p-icm-none.err" && ! grep -q 'step 1' "$TMP/$p-icm-none.err"; then pass
    else fail "$p-icm-none: $(tail -1 "$TMP/$p-icm-none.err")"; fi
}

# ---- TCP with the wrapper ----
start tcp --tcp 0
PORT=$(echo "$LISTEN" | sed -n 's/^listening on tcp 127\.0\.0\.1:\([0-9]*\).*/\1/p')
if [ -z "$PORT" ]; then
    fail "emulate --tcp 0: no listening line: $(head -2 "$TMP/tcp.emu")"
else
    run tcp-read 0 --tcp 127.0.0.1:$PORT --max-pdu 512 "$S/emulate-read.xml"
    reads tcp-read
    # issue 15: a with-list GET whose answer (the profile's 1031 bytes among its 4 results) is
    # longer than the client's 128, no GBT: the meter sends the list of results in datablocks;
    # decode, having seen the with-list request in the transcript, shows the 4 results joined
    run tcp-list 0 --tcp 127.0.0.1:$PORT --max-pdu 128 "$S/emulate-read-list.xml"
    if [ "$(grep -c '<GetResponsewithDataBlock>' "$TMP/tcp-list.dec")" -ge 9 ] &&
        grep -q '<Result Qty="04" >' "$TMP/tcp-list.dec" && grep -q '<Array Qty="31" >' "$TMP/tcp-list.dec" &&
        grep -q '<UInt32 Value="0001E240" />' "$TMP/tcp-list.dec"; then pass
    else fail "tcp-list: the with-list answer is not in datablocks joined into 4 results"; fi
    # run's own output decodes the answers alone (no request): the joined results are left
    # undecoded with a comment, not reported as an error
    if grep -q 'look like the results of a get-request-with-list' "$TMP/tcp-list.out" &&
        ! grep -qi 'error' "$TMP/tcp-list.err"; then pass
    else fail "tcp-list: run's output does not say why the joined results are not decoded"; fi
    run tcp-low 1 --tcp 127.0.0.1:$PORT -c 17 -a low -P 12345678 "$S/disconnect.xml"
    if grep -q 'result 3' "$TMP/tcp-low.err"; then pass; else fail "tcp-low: $(tail -1 "$TMP/tcp-low.err")"; fi
    # shellcheck disable=SC2086
    run tcp-gmac 0 --tcp 127.0.0.1:$PORT $GMAC --ic-file "$TMP/ic" "$S/disconnect.xml"
    if grep -q '^<ActionResponse>' "$TMP/tcp-gmac.out" && grep -q '<glo_ActionRequest\|<GeneralGloCiphering\|glo_ActionRequest' "$TMP/tcp-gmac.dec"; then pass
    else fail "tcp-gmac: no ciphered action and answer"; fi
    # the IC file holds the next counter; a second run starts from it and is accepted
    ic1=$(cat "$TMP/ic" 2>/dev/null)
    # shellcheck disable=SC2086
    run tcp-gmac-again 0 --tcp 127.0.0.1:$PORT $GMAC --ic-file "$TMP/ic" "$S/disconnect.xml"
    ic2=$(cat "$TMP/ic" 2>/dev/null)
    if [ -n "$ic1" ] && [ -n "$ic2" ] && [ "$ic2" -gt "$ic1" ]; then pass; else fail "ic-file: $ic1 then $ic2"; fi
    ic_from_meter tcp --tcp "127.0.0.1:$PORT"
    # HLS-ECDSA, the keys as PEM files
    E=$ROOT/testdata/emulate
    run tcp-ecdsa 0 --tcp 127.0.0.1:$PORT -c 2 -a high-ecdsa --client-title 4445534300000001 \
        --signing-key "$E/ecdsa-client.pem" --server-public-key "$E/ecdsa-meter.pub.pem" "$S/get-clock.xml"
    no_warning tcp-ecdsa
    "$BIN" decode --client-public-key "$CLIENT_PUB" --server-public-key "$METER_PUB" "$TMP/tcp-ecdsa.log" \
        >"$TMP/tcp-ecdsa.sig" 2>&1
    if grep -q "client's f(StoC) verifies" "$TMP/tcp-ecdsa.sig" && grep -q "server's f(CtoS) verifies" "$TMP/tcp-ecdsa.sig" &&
        grep -q '<OctetString Value="07EA' "$TMP/tcp-ecdsa.out"; then pass
    else fail "tcp-ecdsa: the signatures do not verify or no clock: $(grep -i 'hls\|error' "$TMP/tcp-ecdsa.sig" | head -3)"; fi
    if grep -qi "$CLIENT_PRIV" "$TMP/tcp-ecdsa.out" "$TMP/tcp-ecdsa.err" "$TMP/tcp-ecdsa.log"; then fail "tcp-ecdsa: the private key is printed"
    else pass; fi
    # --private-key, the old name of --signing-key: the same key taken, with one warning that
    # names the new option
    run tcp-ecdsa-old 0 --tcp 127.0.0.1:$PORT -c 2 -a high-ecdsa --client-title 4445534300000001 \
        --private-key "$E/ecdsa-client.pem" --server-public-key "$E/ecdsa-meter.pub.pem" "$S/get-clock.xml"
    old_name_warning tcp-ecdsa-old "dlmscope run: warning: --private-key: the old name of --signing-key "
    if grep -q '<OctetString Value="07EA' "$TMP/tcp-ecdsa-old.out"; then pass; else fail "tcp-ecdsa-old: no clock"; fi
    # the same, the keys in hex in <Settings> (SigningKey)
    run tcp-ecdsa-settings 0 --tcp 127.0.0.1:$PORT "$S/settings-ecdsa.xml"
    no_warning tcp-ecdsa-settings
    # <PrivateKey>, the old name in <Settings>: taken, the warning gives the script's line
    sed 's/<SigningKey /<PrivateKey /' "$S/settings-ecdsa.xml" >"$TMP/settings-ecdsa-old.xml"
    run tcp-ecdsa-settings-old 0 --tcp 127.0.0.1:$PORT "$TMP/settings-ecdsa-old.xml"
    old_name_warning tcp-ecdsa-settings-old \
        "dlmscope run: warning: $TMP/settings-ecdsa-old.xml: line 11: <Settings>: <PrivateKey>: the old name of --signing-key "
    # the wrong signing key (the command line wins over <Settings>): the meter does not take the
    # client's f(StoC); under the old name the exit status is the same
    run tcp-ecdsa-wrong 2 --tcp 127.0.0.1:$PORT "$S/settings-ecdsa.xml" --signing-key "$METER_PRIV"
    if grep -q 'association' "$TMP/tcp-ecdsa-wrong.err"; then pass; else fail "tcp-ecdsa-wrong: $(tail -1 "$TMP/tcp-ecdsa-wrong.err")"; fi
    run tcp-ecdsa-wrong-old 2 --tcp 127.0.0.1:$PORT "$S/settings-ecdsa.xml" --private-key "$METER_PRIV"
    old_name_warning tcp-ecdsa-wrong-old "dlmscope run: warning: --private-key: the old name of --signing-key "
    $TIMEOUT "$BIN" run --tcp 127.0.0.1:$PORT -c 2 -a high-ecdsa --client-title 4445534300000001 "$S/get-clock.xml" \
        >/dev/null 2>"$TMP/ecdsa-nokey.err"
    rc=$?
    if [ "$rc" = 2 ] && grep -q 'high-ecdsa needs --signing-key' "$TMP/ecdsa-nokey.err"; then pass
    else fail "ecdsa without keys: exit $rc: $(cat "$TMP/ecdsa-nokey.err")"; fi
fi

# ---- a pseudo-terminal with HDLC, max info 128 ----
start pty --pty "$TMP/meter.pty" --max-info 128
case $LISTEN in
    "listening on pty $TMP/meter.pty"*)
        run pty-read 0 --serial "$TMP/meter.pty" --max-pdu 512 "$S/emulate-read.xml"
        reads pty-read
        if grep -q '<HDLC' "$TMP/pty-read.dec"; then pass; else fail "pty-read: no HDLC frames in the transcript"; fi
        run pty-low 1 --serial "$TMP/meter.pty" -c 17 -a low -P 12345678 "$S/disconnect.xml"
        # shellcheck disable=SC2086
        run pty-gmac 0 --serial "$TMP/meter.pty" $GMAC "$S/disconnect.xml"
        ;;
    *) fail "emulate --pty: $(head -2 "$TMP/pty.emu")" ;;
esac

# ---- HDLC over TCP: --ic-from-meter's public association and the run's on one line ----
start hdlc --hdlc-tcp 0
PORT=$(echo "$LISTEN" | sed -n 's/^listening on hdlc-tcp 127\.0\.0\.1:\([0-9]*\).*/\1/p')
if [ -z "$PORT" ]; then
    fail "emulate --hdlc-tcp 0: no listening line: $(head -2 "$TMP/hdlc.emu")"
else
    ic_from_meter hdlc --hdlc-tcp "127.0.0.1:$PORT"
    if [ "$(grep -c '^ *<Snrm>' "$TMP/hdlc-icm2.dec")" = 2 ]; then pass
    else fail "hdlc-icm2: not two SNRMs on the one line"; fi
fi
# shellcheck disable=SC2086
$TIMEOUT "$BIN" run --dry-run $GMAC --ic-from-meter "$S/disconnect.xml" >/dev/null 2>"$TMP/icm-dry.err"
rc=$?
if [ "$rc" = 0 ] && grep -q 'would read the invocation counter from the meter first: client 16, no security, GET 1/0.0.43.1.0.255/2' \
    "$TMP/icm-dry.err"; then pass
else fail "ic-from-meter dry run: exit $rc: $(cat "$TMP/icm-dry.err")"; fi

# IcFromMeter in <Settings>: an OBIS code in either spelling means true; a bad one is refused
cat >"$TMP/icm-settings.xml" <<EOF
<Messages><Settings><IcFromMeter Value="1-0:43.1.3*255" /></Settings>
$(sed -n '/<ActionRequest>/,/<\/ActionRequest>/p' "$S/disconnect.xml")
</Messages>
EOF
# shellcheck disable=SC2086
$TIMEOUT "$BIN" run --dry-run $GMAC "$TMP/icm-settings.xml" >/dev/null 2>"$TMP/icm-settings.err"
rc=$?
if [ "$rc" = 0 ] && grep -q 'GET 1/1.0.43.1.3.255/2' "$TMP/icm-settings.err"; then pass
else fail "IcFromMeter in <Settings>: exit $rc: $(cat "$TMP/icm-settings.err")"; fi
# shellcheck disable=SC2086
$TIMEOUT "$BIN" run --dry-run $GMAC --ic-from-meter=0.0.43.1.0.256 "$S/disconnect.xml" >/dev/null 2>"$TMP/icm-bad.err"
rc=$?
if [ "$rc" = 2 ] && grep -q "IcFromMeter '0.0.43.1.0.256': true, false or an OBIS code" "$TMP/icm-bad.err"; then pass
else fail "--ic-from-meter with a bad OBIS code: exit $rc: $(cat "$TMP/icm-bad.err")"; fi

# ---- general block transfer: the profile read with --gbt-window 3 and a max PDU of 256
# against emulate --gbt-window 5, over TCP and over HDLC: the 1031 bytes of the profile (with
# the get-response header, 1035) come in GBT blocks of 256 - 10 = 246 bytes: 5 blocks, block 1
# alone (the client's window is not known yet), then 2..4 streamed in the client's window of 3,
# then 5; the client acknowledges each window (2 acknowledgements). No service-specific block.
gbt_reads() {
    name=$1
    n=$(grep -c '<Structure Qty="02" >' "$TMP/$name.out")
    if [ "$n" = 50 ]; then pass; else fail "$name: $n two-element structures, want 50"; fi
    if grep -q '<Reassembled Blocks="GeneralBlockTransfer"' "$TMP/$name.dec" &&
        [ "$(grep -c 'general block transfer: acknowledges block' "$TMP/$name.dec")" -ge 2 ] &&
        ! grep -q 'GetResponsewithDataBlock' "$TMP/$name.dec"; then pass
    else fail "$name: the profile did not come in acknowledged GBT blocks"; fi
}
start gbt-tcp --tcp 0 --gbt-window 5
PORT=$(echo "$LISTEN" | sed -n 's/^listening on tcp 127\.0\.0\.1:\([0-9]*\).*/\1/p')
if [ -z "$PORT" ]; then
    fail "emulate --tcp 0 --gbt-window 5: no listening line: $(head -2 "$TMP/gbt-tcp.emu")"
else
    run tcp-gbt-read 0 --tcp 127.0.0.1:$PORT --max-pdu 256 --gbt-window 3 "$S/emulate-read.xml"
    gbt_reads tcp-gbt-read
    if grep -q 'conformance 0x2' "$TMP/tcp-gbt-read.err"; then pass
    else fail "tcp-gbt-read: general-block-transfer not negotiated: $(grep associated "$TMP/tcp-gbt-read.err")"; fi
fi
start gbt-pty --pty "$TMP/gbt.pty" --max-info 128 --gbt-window 5
case $LISTEN in
    "listening on pty $TMP/gbt.pty"*)
        run pty-gbt-read 0 --serial "$TMP/gbt.pty" --max-pdu 256 --gbt-window 3 "$S/emulate-read.xml"
        gbt_reads pty-gbt-read
        ;;
    *) fail "emulate --pty --gbt-window 5: $(head -2 "$TMP/gbt-pty.emu")" ;;
esac

echo "run_emulate: $passed passed, $failed failed"
[ "$failed" = 0 ]
