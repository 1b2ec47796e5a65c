#!/bin/sh
# `dlmscope run` against `dlmscope emulate` (testdata/emulate/meter.xml) with one fault injected
# between them by faultrelay (tests/e2e/faultrelay.c, loopback TCP), over HDLC (max info 128)
# and over the wrapper:
#   HDLC: a dropped answer (a single frame, and one segment of the segmented profile), a dropped
#         request, a corrupted FCS (single frame and segment), an answer delayed 3.5 s (beyond the
#         client's 3 s response timeout: the client sends its request again, and both answers
#         come): the client recovers by retransmission and polling, every step is ok (exit 0)
#         and every answer is there; a link reset (the relay closes both connections with a
#         request in flight): exit 2, with the I-frame in flight named.
#   wrapper (TCP has no retransmission of ours to do): a dropped answer and an answer delayed
#         beyond --timeout 2: exit 2, "no answer within 2000 ms" for that step (the delayed
#         answer, when it comes during the release, is named once as late and ignored); a link reset:
#         exit 2 with "in flight: no answer to the 13-byte get-request".
#   general block transfer over the wrapper: the last block of a stream lost, down (the
#         profile) and up (a long SET): the receiver acknowledges again and the exchange ends
#         ok; the last block held beyond the client's retries: exit 2 with the stream given up;
#         up, the last block or one inside the window lost: the client's transcript holds the
#         blocks sent again, which decode names as asked for, with no gbt.* diagnostic; down,
#         a block inside the window lost: the client's transcript holds the gap, then the
#         copies, and decode joins the profile once with no gbt.* diagnostic.
# Each transcript decodes without an error diagnostic, except the corrupted-FCS runs: there the
# transcript holds the corrupted frame as it came, marked by a "# ... (link.fcs)" comment line
# after it, and decode must report it, as exactly one frame.fcs error and no other (the
# injected fault is the only diagnostic).
#
# Expected values (worked out by hand from emulate-read.xml and the model, as in
# run_emulate.sh): 50 two-element structures in the output of a whole run. Frames are counted
# per direction from 1 (down: UA, AARE, the clock's answer is 3; the profile's answer of 1031
# bytes in frames of max info 128 starts at 6; up: SNRM, AARQ, the four GETs are 3 to 6).
# Every wait is bounded: timeout 30 on each command, faultrelay gives up after 40 s.
#
# Usage: tests/e2e/faults.sh BIN FAULTRELAY
E2E_NAME=faults
RELAY=${2:-}
set -- "$1"
. "$(dirname "$0")/common.sh"
case $RELAY in /*) ;; *) RELAY=$(pwd)/$RELAY ;; esac
[ -x "$RELAY" ] || { echo "faults: $RELAY is not an executable" >&2; exit 2; }

MODEL=$ROOT/testdata/emulate/meter.xml
SCRIPT=$ROOT/testdata/run/emulate-read.xml
PIDS=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT INT TERM

# start NAME ARGS...: an emulator in the background; sets PORT from its first line
start() {
    name=$1
    shift
    "$BIN" emulate --model "$MODEL" "$@" >"$TMP/$name.emu" 2>&1 &
    PIDS="$PIDS $!"
    PORT=
    for _ in $(seq 50); do
        PORT=$(sed -n 's/^listening on [a-z-]* 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/$name.emu")
        [ -n "$PORT" ] && break
        sleep 0.1
    done
}

# faulty NAME WANT_RC FRAMING FAULT DIR NTH DELAY RUN_ARGS...: one run through the relay; checks
# the exit status, that the relay applied its fault, well-formed output and no sanitizer report
faulty() {
    name=$1 want=$2 framing=$3 fault=$4 dir=$5 nth=$6 delay=$7
    shift 7
    # shellcheck disable=SC2086
    $TIMEOUT "$RELAY" "$framing" "$PORT" "$fault" "$dir" "$nth" $delay >"$TMP/$name.relay" 2>"$TMP/$name.rerr" &
    rpid=$!
    rport=
    for _ in $(seq 50); do
        rport=$(sed -n 's/^listening on //p' "$TMP/$name.relay")
        [ -n "$rport" ] && break
        sleep 0.1
    done
    transport=--tcp
    [ "$framing" = hdlc ] && transport=--hdlc-tcp
    $TIMEOUT "$BIN" run --transcript "$TMP/$name.log" "$transport" "127.0.0.1:$rport" --max-pdu 512 "$@" "$SCRIPT" \
        >"$TMP/$name.out" 2>"$TMP/$name.err"
    rc=$?
    wait "$rpid"
    relay_rc=$?
    if [ "$rc" != "$want" ]; then fail "$name: exit $rc, want $want: $(tail -2 "$TMP/$name.err")"
    elif [ "$relay_rc" != 0 ] || ! grep -q '^fault: ' "$TMP/$name.rerr"; then fail "$name: the fault was not applied: $(cat "$TMP/$name.rerr")"
    elif ! xmllint --noout "$TMP/$name.out" 2>/dev/null; then fail "$name: output is not well-formed XML"
    elif sanitizer_report "$TMP/$name.err"; then fail "$name: sanitizer report"
    else pass; fi
    "$BIN" decode "$TMP/$name.log" >"$TMP/$name.dec" 2>"$TMP/$name.decerr"
    DEC_RC=$?
}

# clean NAME: the transcript decoded without an error diagnostic
clean() {
    if [ "$DEC_RC" = 0 ] && ! grep -qi 'error' "$TMP/$1.decerr"; then pass
    else fail "$1: transcript: $(head -1 "$TMP/$1.decerr")"; fi
}

# whole NAME: every answer of the script is there
whole() {
    n=$(grep -c '<Structure Qty="02" >' "$TMP/$1.out")
    if [ "$n" = 50 ] && grep -q '<UInt32 Value="0001E240" />' "$TMP/$1.out"; then pass
    else fail "$1: $n two-element structures, want 50, or the register is missing"; fi
}

# resent NAME WHOLE TEXT...: the transcript's GBT blocks sent again decode with a comment TEXT
# each (once) and no gbt.* diagnostic, and the APDU the blocks carry (its element WHOLE) is shown
# whole once
resent() {
    name=$1 whole=$2
    shift 2
    for text in "$@"; do
        if [ "$(grep -c "<!--general block transfer $text-->" "$TMP/$name.dec")" = 1 ]; then pass
        else fail "$name: want one comment '$text' in the decoded transcript"; fi
    done
    if grep -q 'gbt\.' "$TMP/$name.decerr"; then fail "$name: $(grep 'gbt\.' "$TMP/$name.decerr" | head -1)"
    else pass; fi
    n=$(grep -A1 '<Reassembled Blocks="GeneralBlockTransfer" >' "$TMP/$name.dec" | grep -c "$whole")
    if [ "$n" = 1 ]; then pass; else fail "$name: $whole shown whole $n times, want 1"; fi
}

# says NAME TEXT: the client's messages say TEXT
says() {
    if grep -qF "$2" "$TMP/$1.err"; then pass; else fail "$1: no '$2' in: $(cat "$TMP/$1.err")"; fi
}

# ---- HDLC over TCP, max info 128: recovered by the link ----
start hdlc --hdlc-tcp 0 --max-info 128
if [ -z "$PORT" ]; then
    fail "emulate --hdlc-tcp 0: no listening line: $(head -2 "$TMP/hdlc.emu")"
else
    faulty hdlc-drop 0 hdlc drop down 3 ""
    clean hdlc-drop
    whole hdlc-drop
    faulty hdlc-drop-segment 0 hdlc drop down 10 ""
    clean hdlc-drop-segment
    whole hdlc-drop-segment
    faulty hdlc-drop-request 0 hdlc drop up 6 ""
    clean hdlc-drop-request
    whole hdlc-drop-request
    for nth in 3 12; do
        faulty hdlc-fcs-$nth 0 hdlc fcs down $nth ""
        whole hdlc-fcs-$nth
        if [ "$DEC_RC" = 1 ] && [ "$(grep -ci 'error' "$TMP/hdlc-fcs-$nth.decerr")" = 1 ] &&
            grep -q 'error frame.fcs' "$TMP/hdlc-fcs-$nth.decerr"; then pass
        else fail "hdlc-fcs-$nth: want exactly one frame.fcs error from decode: $(cat "$TMP/hdlc-fcs-$nth.decerr")"; fi
        # the transcript keeps the corrupted frame as it came and says, in a comment line right
        # after its block, that the link dropped it
        if [ "$(grep -c '^# the frame above failed its frame check (link.fcs)' "$TMP/hdlc-fcs-$nth.log")" = 1 ] &&
            grep -B1 '^# the frame above failed' "$TMP/hdlc-fcs-$nth.log" | head -1 | grep -q '^--$'; then pass
        else fail "hdlc-fcs-$nth: the transcript does not mark the dropped frame"; fi
    done
    faulty hdlc-delay 0 hdlc delay down 3 3500
    clean hdlc-delay
    whole hdlc-delay
    # the late answer and the answer to the retransmission are both in the transcript: the
    # client takes one and the conversation goes on one frame per poll (no doubled frames)
    n=$(grep -c '^[<>]' "$TMP/hdlc-delay.log")
    if [ "$n" -le 36 ]; then pass; else fail "hdlc-delay: $n frames in the transcript, want at most 36"; fi
    # a segment of the profile's answer (down frame 8) held 2 s: the client polls after
    # 5000 / 4 = 1250 ms, the meter sends the segment again, and the late one comes too: the
    # transcript has it twice; decode notes the repeat (info link.retransmission) and
    # reassembles the answer once, with no error (before, the doubled segment gave
    # apdu.trailing-bytes)
    faulty hdlc-delay-segment 0 hdlc delay down 8 2000
    clean hdlc-delay-segment
    whole hdlc-delay-segment
    if grep -q 'info link.retransmission' "$TMP/hdlc-delay-segment.decerr"; then pass
    else fail "hdlc-delay-segment: no retransmission noted: $(cat "$TMP/hdlc-delay-segment.decerr")"; fi
    faulty hdlc-reset 2 hdlc reset up 4 ""
    clean hdlc-reset
    says hdlc-reset 'in flight: I-frame N(S)=2 (APDU bytes 0..13 of the 13-byte get-request) not acknowledged'
    says hdlc-reset 'step 2 (line 17, <GetRequest>): the link broke'
fi

# ---- the wrapper over TCP: nothing to recover with; reported ----
start wrapper --tcp 0
if [ -z "$PORT" ]; then
    fail "emulate --tcp 0: no listening line: $(head -2 "$TMP/wrapper.emu")"
else
    faulty wrapper-drop 2 wrapper drop down 2 "" --timeout 2
    clean wrapper-drop
    says wrapper-drop 'step 1 (line 7, <GetRequest>): no answer within 2000 ms'
    faulty wrapper-delay 2 wrapper delay down 3 2500 --timeout 2
    clean wrapper-delay
    says wrapper-delay 'step 2 (line 17, <GetRequest>): no answer within 2000 ms'
    # the late answer comes 500 ms into the release's wait: one message says what it is
    says wrapper-delay 'the answer to step 2 (line 17, <GetRequest>) arrived after its timeout; ignored'
    if grep -qE 'where an RLRE was expected|no request waits' "$TMP/wrapper-delay.err"; then
        fail "wrapper-delay: the late answer taken for another: $(cat "$TMP/wrapper-delay.err")"
    else pass; fi
    faulty wrapper-reset 2 wrapper reset up 3 ""
    clean wrapper-reset
    says wrapper-reset 'in flight: no answer to the 13-byte get-request'
    if grep -q 'does not take an APDU' "$TMP/wrapper-reset.err"; then fail "wrapper-reset: a release tried over the broken link"
    else pass; fi
fi

# ---- general block transfer over the wrapper: the last block of a stream lost ----
# Nothing ends the stream's window any more, so the receiver acknowledges the last block it took
# again once the stream is quiet (REFERENCE.md 10.3: the sender sends the blocks after BNA
# again); the client after 5000 / 4 = 1250 ms (the link's retry interval), the meter after
# 1000 ms; at most 3 times, then the stream is given up with an error.
# Down: the profile (1035 bytes with its header) to a client taking 512 comes in GBT blocks of
# 502: 3 blocks, block 1 alone (down frame 5), then 2 and 3 in the client's window of 3 (frames
# 6 and 7, the last). Frame 7 dropped: the client acknowledges block 2 again, block 3 comes
# again, every step is ok. Frame 7 held 6 s with --timeout 2: the client's 3 acknowledgements
# (every 500 ms) bring nothing (the meter's block 3 again is held too), and at 2000 ms the stream
# is given up with that said: exit 2, no hang.
start gbt --tcp 0 --gbt-window 5
if [ -z "$PORT" ]; then
    fail "emulate --tcp 0 --gbt-window 5: no listening line: $(head -2 "$TMP/gbt.emu")"
else
    faulty gbt-last-down 0 wrapper drop down 7 "" --gbt-window 3
    clean gbt-last-down
    whole gbt-last-down
    says gbt-last-down "general block transfer: the meter's blocks stopped before the last one for 1250 ms: the last block taken acknowledged again"
    # block 2 streamed (no window end): its only acknowledgement is the one sent on the quiet
    if [ "$(grep -c 'general block transfer: acknowledges block 2' "$TMP/gbt-last-down.dec")" = 1 ]; then pass
    else fail "gbt-last-down: want block 2 acknowledged once in the transcript"; fi
    # frame 6 (block 2, inside the window) dropped: the client takes 3 where 2 was expected and
    # acknowledges block 1; the meter sends 2 and 3 again. The client's transcript holds the gap,
    # then the copies: decode holds the gap (no gbt.missing-block) and joins the profile once.
    faulty gbt-mid-down 0 wrapper drop down 6 "" --gbt-window 3
    clean gbt-mid-down
    whole gbt-mid-down
    resent gbt-mid-down '<GetResponse>' 'block 3 where 2 was expected: held until 2 is sent again' \
        'block 2 sent again, as the acknowledgement of block 1 asked' \
        'block 3 sent again, as the acknowledgement of block 1 asked'
    faulty gbt-last-never 2 wrapper delay down 7 6000 --gbt-window 3 --timeout 2
    clean gbt-last-never
    says gbt-last-never "general block transfer: nothing came after the peer's block 2, though it was acknowledged again 3 times: the stream is given up"
    says gbt-last-never 'step 4 (line 37, <GetRequest>): no answer within 2000 ms'
    if [ "$(grep -c 'the last block taken acknowledged again' "$TMP/gbt-last-never.err")" = 3 ]; then pass
    else fail "gbt-last-never: want 3 acknowledgements sent again: $(cat "$TMP/gbt-last-never.err")"; fi
fi
# Up: testdata/run/set-long.xml's SET of 318 bytes to a meter taking 128 goes in GBT blocks of
# 118: block 1 alone (up frame 2), then 2 and 3 in the meter's window of 5 (frames 3 and 4, the
# last). Frame 4 dropped: after 1000 ms the meter acknowledges block 2 again, block 3 comes
# again, the SET is done and the 300 bytes are read back. The client's transcript holds block 3
# twice, the second after the meter's acknowledgement of block 2 (from the other direction, BNA 2
# < 3): decode says it was sent again as asked, with no warning, and shows the SET once.
# Frame 3 (block 2) dropped: the meter, having taken 1 and not 2, acknowledges block 1 when 3
# comes (the window's last); blocks 2 and 3 come again, both said to be sent again as asked.
sed 's/max-pdu="1024"/max-pdu="128"/' "$MODEL" >"$TMP/meter-pdu128.xml"
SAVED_MODEL=$MODEL SAVED_SCRIPT=$SCRIPT
MODEL=$TMP/meter-pdu128.xml SCRIPT=$ROOT/testdata/run/set-long.xml
start gbt-up --tcp 0 --gbt-window 5
if [ -z "$PORT" ]; then
    fail "emulate --tcp 0 --gbt-window 5 (max PDU 128): no listening line: $(head -2 "$TMP/gbt-up.emu")"
else
    faulty gbt-last-up 0 wrapper drop up 4 "" --gbt-window 3
    clean gbt-last-up
    says gbt-last-up 'step 1 (line 13, <SetRequest>): ok'
    long=$(awk 'BEGIN { for (i = 0; i < 300; i++) printf "%02X", i % 256 }')
    if grep -q "<OctetString Value=\"$long\" />" "$TMP/gbt-last-up.out"; then pass
    else fail "gbt-last-up: the 300 bytes set are not read back"; fi
    if grep -q 'general block transfer: acknowledges block 2' "$TMP/gbt-last-up.dec"; then pass
    else fail "gbt-last-up: the meter did not acknowledge block 2 again"; fi
    resent gbt-last-up '<SetRequest>' 'block 3 sent again, as the acknowledgement of block 2 asked'
    faulty gbt-mid-up 0 wrapper drop up 3 "" --gbt-window 3
    clean gbt-mid-up
    says gbt-mid-up 'step 1 (line 13, <SetRequest>): ok'
    resent gbt-mid-up '<SetRequest>' 'block 2 sent again, as the acknowledgement of block 1 asked' \
        'block 3 sent again, as the acknowledgement of block 1 asked'
fi
MODEL=$SAVED_MODEL SCRIPT=$SAVED_SCRIPT

echo "faults: $passed passed, $failed failed"
[ "$failed" = 0 ]
