#!/bin/sh
# dlmscope emulate's image transfer options and faults, driven by `dlmscope run` with raw
# ActionRequests (testdata/run/image-small.xml) against testdata/emulate/image.xml (4-byte
# blocks) on loopback TCP with the wrapper. Every run is bounded (timeout 30, --timeout 1 or 5);
# each emulator is stopped by its process id.
#
# Expected, worked out by hand:
#   the stored image DIR/AB ("AB" = 41 42 is plain) is AABBCCDD 11223344 EEFF (10 bytes);
#   --refuse-block 1: block 1 is answered with hardware-fault (result 1: the run fails); the
#     next run, block 1 again: accepted (once per emulator run);
#   --verify-busy 1: image_verify answers temporary-failure (result 2) once;
#   --reset-after-blocks 2: the link drops on block 1 (the 2nd taken), its answer lost; then
#     a3 = bits 110 (blocks 0 and 1 in), a4 = 2, a6 = 1 (transfer initiated);
#   --drop-frame 2: frame 1 is the AARE, frame 2 the answer to initiate: the run times out
#     (exit 2, as a broken link);
#   --corrupt-frame 2: that answer (C7 01 C1 00 00) ends in FF: not a valid answer;
#   --delay-ms 300: 8 frames answered (AARE, 6 actions, RLRE): at least 2400 ms;
#   --baud 300 --turnaround-ms 50: the 6 action answers are 8 + 5 = 13 bytes each, 78 bytes
#     = 780 bits at 300 baud = 2600 ms, plus 6 turnarounds of 50 ms: at least 2900 ms;
#   --silent-after-activate 3000: the release after the activation and the next association
#     (each waited for 1 s) get no answer; 1.5 s later (past the 3000 ms) one does, status 6;
#   HDLC (--hdlc-tcp), --drop-frame 3: frame 1 is the UA, 2 the AARE, 3 the answer to initiate;
#     with --timeout 2 the client's retries come every 2000 / 4 = 500 ms, so the first one
#     (the I-frame sent again, answered again) recovers it well inside the step: exit 0 in
#     less than 2 s, and the transcript decodes without an error diagnostic.
#
# Usage: tests/e2e/emulate_faults.sh BIN
E2E_NAME=emulate_faults
. "$(dirname "$0")/common.sh"

MODEL=$ROOT/testdata/emulate/image.xml
S=$ROOT/testdata/run
PIDS=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT INT TERM

# start NAME ARGS...: an emulator on a free TCP port (the wrapper, or HDLC when KIND=hdlc-tcp);
# sets PORT (empty when it did not start)
KIND=tcp
start() {
    name=$1
    shift
    "$BIN" emulate --model "$MODEL" --$KIND 0 "$@" >"$TMP/$name.emu" 2>&1 &
    EMU=$!
    PIDS="$PIDS $EMU"
    PORT=
    for _ in $(seq 50); do
        PORT=$(sed -n "s/^listening on $KIND 127\\.0\\.0\\.1:\\([0-9]*\\).*/\\1/p" "$TMP/$name.emu" 2>/dev/null)
        [ -n "$PORT" ] && break
        sleep 0.1
    done
    [ -n "$PORT" ] || fail "$name: emulate did not start: $(head -2 "$TMP/$name.emu")"
}

stop() {
    kill "$EMU" 2>/dev/null
    wait "$EMU" 2>/dev/null
    if sanitizer_report "$TMP/$1.emu"; then fail "$1: sanitizer report from emulate"; else pass; fi
}

# run NAME WANT_RC SCRIPT [ARGS...]: one run; exit status and no sanitizer report
run() {
    name=$1 want=$2 script=$3
    shift 3
    $TIMEOUT "$BIN" run --$KIND "127.0.0.1:$PORT" "$@" "$S/$script" >"$TMP/$name.out" 2>"$TMP/$name.err"
    rc=$?
    if [ "$rc" != "$want" ]; then fail "$name: exit $rc, want $want: $(tail -2 "$TMP/$name.err")"
    elif sanitizer_report "$TMP/$name.err"; then fail "$name: sanitizer report"
    else pass; fi
}

ms() { date +%s%3N; }

# ---- a whole transfer, the image stored ----
mkdir -p "$TMP/store"
start store --store-images "$TMP/store"
run store 0 image-small.xml
if [ "$(od -An -tx1 "$TMP/store/AB" 2>/dev/null | tr -d ' \n')" = aabbccdd11223344eeff ]; then pass
else fail "store: DIR/AB is not the image: $(ls "$TMP/store")"; fi
stop store

# ---- a block refused once ----
start refuse --refuse-block 1
run refuse 1 image-small.xml
if grep -q 'result 1' "$TMP/refuse.err"; then pass; else fail "refuse: $(tail -1 "$TMP/refuse.err")"; fi
run refuse-again 0 image-small.xml
stop refuse

# ---- verify busy once ----
start busy --verify-busy 1
run busy 1 image-small.xml
if grep -q 'result 2' "$TMP/busy.err"; then pass; else fail "busy: $(tail -1 "$TMP/busy.err")"; fi
run busy-again 0 image-small.xml
stop busy

# ---- the link dropped mid-transfer, the progress kept ----
start reset --reset-after-blocks 2
run reset 2 image-small.xml --timeout 2
run reset-progress 0 image-progress.xml
if grep -q '<BitString Value="110" />' "$TMP/reset-progress.out" &&
    grep -q '<UInt32 Value="00000002" />' "$TMP/reset-progress.out" &&
    grep -q '<Enum Value="01" />' "$TMP/reset-progress.out"; then pass
else fail "reset: progress is not blocks 0 and 1: $(grep -A0 'Value=' "$TMP/reset-progress.out" | tail -3)"; fi
stop reset

# ---- a dropped frame, a corrupted frame ----
start drop --drop-frame 2
run drop 2 image-small.xml --timeout 1
run drop-again 0 image-small.xml
stop drop
start corrupt --corrupt-frame 2
run corrupt 1 image-small.xml --timeout 1
run corrupt-again 0 image-small.xml
stop corrupt

# ---- answers delayed, paced as a serial line ----
start delay --delay-ms 300
t0=$(ms)
run delay 0 image-small.xml
t=$(($(ms) - t0))
if [ "$t" -ge 2400 ]; then pass; else fail "delay: $t ms, want at least 2400"; fi
stop delay
start baud --baud 300 --turnaround-ms 50
t0=$(ms)
run baud 0 image-small.xml --timeout 10
t=$(($(ms) - t0))
if [ "$t" -ge 2900 ]; then pass; else fail "baud: $t ms, want at least 2900"; fi
stop baud

# ---- silent after activate ----
start silent --silent-after-activate 3000
run silent 0 image-small.xml --timeout 1
run silent-rebooting 2 image-progress.xml --timeout 1
sleep 1.5
run silent-back 0 image-progress.xml
if grep -q '<Enum Value="06" />' "$TMP/silent-back.out"; then pass; else fail "silent: status is not 6 after the reboot"; fi
stop silent

# ---- HDLC: a dropped answer recovered inside a 2 s step ----
KIND=hdlc-tcp
start hdlc-drop --drop-frame 3
t0=$(ms)
run hdlc-drop 0 image-small.xml --timeout 2 --transcript "$TMP/hdlc-drop.log"
t=$(($(ms) - t0))
if [ "$t" -lt 2000 ]; then pass; else fail "hdlc-drop: $t ms, want less than the 2000 ms step"; fi
if "$BIN" decode "$TMP/hdlc-drop.log" >/dev/null 2>"$TMP/hdlc-drop.dec" && ! grep -q 'error' "$TMP/hdlc-drop.dec"
then pass; else fail "hdlc-drop: the transcript: $(head -3 "$TMP/hdlc-drop.dec")"; fi
stop hdlc-drop
KIND=tcp

echo "emulate_faults: $passed passed, $failed failed"
[ "$failed" = 0 ]
