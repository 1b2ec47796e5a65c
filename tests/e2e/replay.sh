#!/bin/sh
# Replay (`dlmscope script-from`, then `dlmscope run`):
# 1. A run of testdata/run/emulate-read.xml with HLS-GMAC and ciphering (client 1 of
#    testdata/emulate/meter.xml) against `dlmscope emulate` on loopback, with its transcript.
#    script-from makes the transcript a script with the keys: the four GetRequests, plain, and
#    <Settings> of client 1, HighGmac, AuthenticationEncryption; no key, no HLS reply (the
#    association LN's method 1) and no next-block request in it. Replayed against a fresh
#    emulator and against the first one: every request accepted (exit 0), and every client IC of
#    the replay above the first run's last (the IC comes from the IC file, not the capture).
# 2. Without keys: exit 1 and the five ciphered requests named (the HLS reply is one of them:
#    it cannot be told without deciphering), none written.
# 3. testdata/replay/u9n-session.hex (the corpus's u9n vectors as one conversation): the script
#    is testdata/replay/u9n-session.xml, worked out by hand from the bytes (client 16 = 0x21>>1,
#    server 1:17 from 02 23, no mechanism name = None; get-next, HLS reply and RLRQ left out).
# Every wait is bounded (timeout 30 on each command, 5 s for an emulator's first line); the
# emulators are stopped by their process ids at the end.
#
# Usage: tests/e2e/replay.sh BIN
E2E_NAME=replay
. "$(dirname "$0")/common.sh"

MODEL=$ROOT/testdata/emulate/meter.xml
EK=000102030405060708090A0B0C0D0E0F
AK=D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF
KEYS="--ek $EK --ak $AK --client-title 4D4D4D0000000001"
PIDS=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT INT TERM

# start NAME [OPTIONS]: an emulator on loopback TCP; sets PORT (empty when it did not start)
start() {
    name=$1
    shift
    "$BIN" emulate --model "$MODEL" --tcp 0 "$@" >"$TMP/$name.emu" 2>&1 &
    PIDS="$PIDS $!"
    PORT=
    for _ in $(seq 50); do
        PORT=$(head -1 "$TMP/$name.emu" | sed -n 's/^listening on tcp 127\.0\.0\.1:\([0-9]*\).*/\1/p')
        [ -n "$PORT" ] && break
        sleep 0.1
    done
}

# run NAME PORT SCRIPT ARGS...: a run with its transcript, to succeed
run() {
    name=$1 port=$2 script=$3
    shift 3
    $TIMEOUT "$BIN" run --tcp 127.0.0.1:"$port" --transcript "$TMP/$name.log" "$@" "$script" \
        >"$TMP/$name.out" 2>"$TMP/$name.err"
    rc=$?
    if [ "$rc" != 0 ]; then fail "$name: exit $rc: $(tail -2 "$TMP/$name.err")"
    elif sanitizer_report "$TMP/$name.err"; then fail "$name: sanitizer report"
    else pass; fi
}

# ics NAME: the client's invocation counters in a transcript, in decimal, one a line
ics() {
    # shellcheck disable=SC2086
    "$BIN" decode $KEYS "$TMP/$1.log" 2>/dev/null |
        sed -n 's/.*InvocationCounter="\([0-9A-F]*\)" SystemTitle="4D4D4D0000000001".*/\1/p' |
        while read -r h; do printf '%d\n' "0x$h"; done
}

# the first emulator remembers each client's counter between associations, as a meter does:
# the replay against it must use fresh counters, and a run that starts over at 1 is refused
start first --keep-client-ic
if [ -z "$PORT" ]; then
    fail "emulate --tcp 0: no listening line: $(head -2 "$TMP/first.emu")"
else
    FIRST=$PORT
    # shellcheck disable=SC2086
    run capture "$FIRST" "$ROOT/testdata/run/emulate-read.xml" -c 1 -a HighGmac $KEYS --ic-file "$TMP/ic"
    # shellcheck disable=SC2086
    $TIMEOUT "$BIN" script-from --ek $EK --ak $AK -o "$TMP/replay.xml" "$TMP/capture.log" 2>"$TMP/sf.err"
    rc=$?
    if [ "$rc" != 0 ]; then fail "script-from: exit $rc: $(head -2 "$TMP/sf.err")"
    elif sanitizer_report "$TMP/sf.err"; then fail "script-from: sanitizer report"
    elif ! xmllint --noout "$TMP/replay.xml" 2>/dev/null; then fail "script-from: not well-formed XML"
    else pass; fi
    if [ "$(grep -c '^<GetRequest>$' "$TMP/replay.xml")" = 4 ] && ! grep -q 'ActionRequest\|GetRequestForNext' "$TMP/replay.xml" &&
        grep -q '<ClientAddress Value="1" />' "$TMP/replay.xml" && grep -q '<Authentication Value="HighGmac" />' "$TMP/replay.xml" &&
        grep -q '<Security Value="AuthenticationEncryption" />' "$TMP/replay.xml"; then pass
    else fail "script-from: not the four GetRequests and client 1's settings"; fi
    if grep -qi "$EK\|$AK\|Ek \|Ak \|Password\|BlockCipherKey\|AuthenticationKey\|glo_" "$TMP/replay.xml"; then
        fail "script-from: a key or a ciphered APDU is in the script"
    else pass; fi
    last=$(ics capture | sort -n | tail -1)
    start fresh
    # shellcheck disable=SC2086
    [ -n "$PORT" ] && run replay-fresh "$PORT" "$TMP/replay.xml" $KEYS --ic-file "$TMP/ic"
    # shellcheck disable=SC2086
    run replay-same "$FIRST" "$TMP/replay.xml" $KEYS --ic-file "$TMP/ic"
    for name in replay-fresh replay-same; do
        n=$(ics $name | wc -l)
        low=$(ics $name | sort -n | head -1)
        # the AARQ's initiate, the four requests (the HLS reply is the run's own): at least 6
        if [ -n "$last" ] && [ "$n" -ge 6 ] && [ "$low" -gt "$last" ]; then pass
        else fail "$name: $n client ICs from ${low:-none}, the capture's last ${last:-none}"; fi
    done
    if [ "$(grep -c '^<GetResponse>' "$TMP/replay-fresh.out" 2>/dev/null)" = 4 ]; then pass
    else fail "replay-fresh: not four answers"; fi
    # counters used before, against the meter that remembers them: refused as a replay
    # shellcheck disable=SC2086
    $TIMEOUT "$BIN" run --tcp 127.0.0.1:"$FIRST" --ic 1 "$TMP/replay.xml" $KEYS >"$TMP/reused.out" 2>"$TMP/reused.err"
    rc=$?
    if [ "$rc" = 2 ] && grep -q 'association refused\|replay\|invocation' "$TMP/reused.err" &&
        ! grep -q '^<GetResponse>' "$TMP/reused.out"; then pass
    else fail "a run starting over at IC 1 against --keep-client-ic: exit $rc: $(tail -2 "$TMP/reused.err")"; fi

    # without keys: nothing deciphered, each named
    $TIMEOUT "$BIN" script-from "$TMP/capture.log" >"$TMP/nokeys.xml" 2>"$TMP/nokeys.err"
    rc=$?
    if [ "$rc" = 1 ] && [ "$(grep -c 'not deciphered (no or wrong keys)' "$TMP/nokeys.err")" = 5 ] &&
        ! grep -q 'Request>' "$TMP/nokeys.xml" && xmllint --noout "$TMP/nokeys.xml" 2>/dev/null; then pass
    else fail "script-from without keys: exit $rc: $(tail -1 "$TMP/nokeys.err")"; fi
fi

# a corpus conversation, checked against the script worked out by hand
$TIMEOUT "$BIN" script-from "$ROOT/testdata/replay/u9n-session.hex" >"$TMP/u9n.xml" 2>"$TMP/u9n.err"
rc=$?
if [ "$rc" != 0 ]; then fail "u9n: exit $rc: $(head -1 "$TMP/u9n.err")"
elif ! cmp -s "$TMP/u9n.xml" "$ROOT/testdata/replay/u9n-session.xml"; then
    fail "u9n: not the expected script: $(diff "$ROOT/testdata/replay/u9n-session.xml" "$TMP/u9n.xml" | head -5)"
elif ! grep -q '4 requests written, 0 not deciphered, 2 left out' "$TMP/u9n.err"; then fail "u9n: $(cat "$TMP/u9n.err")"
else pass; fi
# and it encodes back to the captured request bytes but for the invoke id (run gives its own):
# the dry run's APDUs against the four request lines of the capture, the third byte masked
mask() { tr -d ' \r' | tr 'a-f' 'A-F' | sed 's/^\(....\)../\1XX/'; }
$TIMEOUT "$BIN" run --dry-run "$ROOT/testdata/replay/u9n-session.xml" >"$TMP/u9n.dry" 2>&1
sed -n 's/^<!-- apdu: \(C.*\) -->$/\1/p' "$TMP/u9n.dry" | mask >"$TMP/u9n.sent"
grep '^C[01]' "$ROOT/testdata/replay/u9n-session.hex" | grep -v '^C002' | mask >"$TMP/u9n.want"
if [ -s "$TMP/u9n.want" ] && cmp -s "$TMP/u9n.sent" "$TMP/u9n.want"; then pass
else fail "u9n: the script does not encode to the captured requests: $(diff "$TMP/u9n.want" "$TMP/u9n.sent" | head -4)"; fi

echo "replay: $passed passed, $failed failed"
[ "$failed" = 0 ]
