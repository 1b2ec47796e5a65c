#!/bin/sh
# dlmscope diagnose: the findings of conversation traces, worked out by hand from the traces
# (testdata/diagnose/*.hex say what each holds, frame by frame; testdata/corpus/ for the corpus
# streams). Usage: diagnose.sh BIN
#   - each trace's findings as "code severity frame", in the order made, and its exit status
#   - words that must be in a finding's message or hint (the usual cause, the seed cases' advice)
#   - every --json line parses (python3 json), and every code in them, and every code of
#     --list-codes, is described in the manual pages
#   - the summary's lines on the demo session and the HDLC image transfer
#   - usage: a missing file and an unknown option end with 2
#   - with PTYWRITER (tests/e2e/ptywriter.c): listen --diagnose on a pty gives the findings of the file
# Usage: diagnose.sh BIN [PTYWRITER]
PTYW=${2:-}
set -- "$1"
E2E_NAME=diagnose
. "$(dirname "$0")/common.sh"
case $PTYW in /*|"") ;; *) PTYW=$(pwd)/$PTYW ;; esac
cd "$ROOT" || exit 2
D=testdata/diagnose
C=testdata/corpus
GBK="--ek 000102030405060708090A0B0C0D0E0F --ak D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF --client-title 4D4D4D0000000001 --server-title 4D4D4D0000BC614E"

# The JSON lines parse; prints "code severity frame" per line, or fails
tuples() {
    python3 -c '
import json, sys
for n, line in enumerate(sys.stdin, 1):
    try:
        d = json.loads(line)
    except ValueError as e:
        print("UNPARSABLE line %d: %s" % (n, e)); sys.exit(1)
    for k in ("code", "severity", "conversation", "frame", "offset", "line", "time", "message", "hint"):
        if k not in d:
            print("MISSING %s in line %d" % (k, n)); sys.exit(1)
    print(d["code"], d["severity"], d["frame"])
'
}

# case NAME WANT_RC "EXPECTED TUPLES (; separated)" ARGS...: diagnose --json ARGS
case_() {
    name=$1; want_rc=$2; want=$3; shift 3
    # shellcheck disable=SC2086
    $TIMEOUT "$BIN" diagnose --json "$@" >"$TMP/$name.json" 2>"$TMP/$name.err"
    rc=$?
    if sanitizer_report "$TMP/$name.err"; then fail "$name: sanitizer report"; head -5 "$TMP/$name.err"; return; fi
    if [ "$rc" != "$want_rc" ]; then fail "$name: exit $rc, want $want_rc"; fi
    if ! tuples <"$TMP/$name.json" >"$TMP/$name.got"; then fail "$name: $(cat "$TMP/$name.got")"; return; fi
    printf '%s\n' "$want" | tr ';' '\n' | sed 's/^ *//; s/ *$//' | grep -v '^$' >"$TMP/$name.want"
    if cmp -s "$TMP/$name.want" "$TMP/$name.got"; then pass; else
        fail "$name: findings differ"; diff "$TMP/$name.want" "$TMP/$name.got" | sed 's/^/    /' | head -10; fi
    # every code of the output is in a manual page
    for code in $(cut -d' ' -f1 "$TMP/$name.got" | sort -u); do
        if grep -qF -e "$code" -e "$(echo "$code" | sed 's/-/\\-/g')" man/dlmscope-diagnose.1 man/dlmscope.1; then pass
        else fail "$name: code $code is not in the manual"; fi
    done
}

# has NAME TEXT: TEXT (grep -F) is in the case's JSON output
has() {
    if grep -qF -- "$2" "$TMP/$1.json"; then pass; else fail "$1: '$2' not in the findings"; fi
}
hasnt() {
    if grep -qF -- "$2" "$TMP/$1.json"; then fail "$1: '$2' in the findings"; else pass; fi
}

# ---- made for the purpose (testdata/diagnose/make-traces.py) ----
case_ disconnect-low 1 "app.action-result error 4" "$D/disconnect-low.hex"
has disconnect-low '"result": "ReadWriteDenied", "result_value": 3'
has disconnect-low 'Usual cause here: the association is LOW (mechanism 1)'
has disconnect-low '"class_id": 70, "obis": "0.0.96.3.10.255", "method": 1'

case_ disconnect-bad-param 1 "app.method-parameter warning 3; app.action-result error 4" "$D/disconnect-bad-param.hex"
has disconnect-bad-param 'disconnect control method 1 called with unsigned'
has disconnect-bad-param 'the method'"'"'s parameter was not integer(0)'
hasnt disconnect-bad-param 'the association is LOW'

case_ image-missing-block 1 "image.missing-block error 11; image.verify info 12; image.status error 14;
    image.transfer info 16" "$D/image-missing-block.hex"
has image-missing-block "1 of the image's 3 block(s) were never acknowledged: 1"
has image-missing-block 'image_transfer_status read back: image verification failed (4)'
has image-missing-block '"identifier": "IMG1", "size": 192, "block_size": 64, "blocks_sent": 2, "blocks_acknowledged": 2'

case_ image-initiate-repeated 0 "image.block-size-not-read info 3; image.initiate-repeated warning 9;
    image.transfer info 14" "$D/image-initiate-repeated.hex"
has image-initiate-repeated 'image_transfer_initiate again after 2 block(s) were sent (last block 1)'
has image-initiate-repeated '"blocks_sent": 1, "blocks_acknowledged": 1, "initiates": 2'

case_ image-hardware-fault 1 "image.block-failed error 12; image.blocks-status info 14; image.missing-block error 16;
    image.transfer info 16" "$D/image-hardware-fault.hex"
has image-hardware-fault 'image block 2 answered with HardwareFault (1)'
has image-hardware-fault "Read image_transferred_blocks_status (attribute 3) and see whether block 1's bit is set"
has image-hardware-fault 'block 1 (before the one that failed) is set: it was stored'

# initiate refused, temporary-failure then hardware-fault: app.action-result with what each means at
# that step (the transfer does not start: no block, so no image.missing-block)
case_ image-initiate-failed 1 "app.action-result error 6; app.action-result error 8; image.transfer info 10" \
    "$D/image-initiate-failed.hex"
has image-initiate-failed 'Usual cause here: the meter is preparing its image storage (erasing flash)'
has image-initiate-failed 'transfer initiated (1) means block 0 can be sent'
has image-initiate-failed 'Usual cause here: the meter will not start this transfer: image transfer disabled (image_transfer_enabled, attribute 5, is FALSE)'
has image-initiate-failed '"class_id": 18, "obis": "0.0.44.0.0.255", "method": 1'
# verify success, activate temporary-failure (still running: info), status 5, activate hardware-fault, status 7
case_ image-activate 1 "image.verify info 14; image.activate info 16; image.status info 18; image.activate error 20;
    image.status error 22; image.transfer info 24" "$D/image-activate.hex"
has image-activate 'image_activate answered TemporaryFailure (2)'
has image-activate 'until it says activation successful or failed'
has image-activate 'image_activate answered HardwareFault (1)'
has image-activate 'image_transfer_status read back: image activation failed (7)'
hasnt image-activate 'app.action-result'
summary_activate=$($TIMEOUT "$BIN" diagnose "$D/image-activate.hex" 2>&1)
if printf '%s\n' "$summary_activate" | grep -qxF "    activate: HardwareFault"; then pass
else fail "image-activate: no 'activate: HardwareFault' line in the summary"; fi

# block 1 sent again (frame 11) after the meter acknowledged it: image.repeated-block (info: exit 0)
case_ image-repeated-block 0 "image.repeated-block info 11; image.verify info 16; image.transfer info 18" \
    "$D/image-repeated-block.hex"
has image-repeated-block '"code": "image.repeated-block", "severity": "info", "conversation": 1, "frame": 11,'
has image-repeated-block 'image block 1 sent again although the meter acknowledged it'
has image-repeated-block 'the client did not see the acknowledgement (timeout) or restarted without reading image_first_not_transferred_block_number'
has image-repeated-block '"block": 1}'
has image-repeated-block '4 block(s) sent, 3 acknowledged, 0 failed'

# 256-byte blocks: 280-byte APDUs in 3 HDLC frames (frames 9-13 carry block 0): normal with max PDU 1024,
# too large with 128
case_ image-block-split 0 "image.transfer info 24" "$D/image-block-split.hex"
case_ image-block-too-large 1 "image.block-too-large error 13; image.transfer info 24" "$D/image-block-too-large.hex"
has image-block-too-large 'the 280-byte APDU is larger than the negotiated max PDU size of 128; it was split over 3 HDLC frames'
has image-block-too-large '"block": 0, "block_length": 256, "apdu_length": 280, "max_pdu": 128, "image_block_size": 256, "frames": 3'

# short-name read and write refused with confirmed-service-error, each with the cause REFERENCE gives
# for its service and error: the short name (definition), the access rights (access), the max PDU
# (pdu-size), no association (service-unsupported after the release at frame 10)
case_ cse-short-name 1 "app.confirmed-service-error error 4; app.confirmed-service-error error 6;
    app.confirmed-service-error error 8; app.confirmed-service-error error 12" "$D/cse-short-name.hex"
has cse-short-name '"service": "read", "error": "ObjectUndefined"'
has cse-short-name 'attribute n of the object with base name B is B + 8*(n-1), method m is B + the class'"'"'s first method offset + 8*(m-1)'
has cse-short-name '"service": "write", "error": "ObjectAccessInvalid"'
has cse-short-name 'do not allow the write: its access_mode in the object list'"'"'s access_rights must be 2, 3, 5 or 6'
has cse-short-name '"service": "write", "error": "PduSize"'
has cse-short-name 'the request is longer than the server-max-receive-pdu-size of the InitiateResponse'
has cse-short-name '"service": "initiateError", "error": "ServiceUnsupported"'
has cse-short-name 'Usual cause here: the association was released before it (frame 10).'

case_ link-echo 0 "link.echo warning 2" "$D/link-echo.hex"
# frame 6 repeats frame 5 unchanged: the decoder does not take it for a second get-request, so
# frame 7 answers the one request (no service.no-answer)
case_ link-sequence 1 "link.sequence error 5; link.retransmission warning 6" \
    "$D/link-sequence.hex"
has link-sequence 'I frame with N(S)=2 where 1 was expected'
# a damaged header (HCS wrong, FCS right over the damaged bytes): link.hcs; the answer acknowledges a frame
# the other side never delivered, said as such (not "only up to N(S)=7")
case_ link-hcs 1 "link.hcs error 3; link.sequence error 4; service.unanswered-response warning 4" "$D/link-hcs.hex"
has link-hcs 'header check sequence 70E7 does not match the header (computed 70E6)'
has link-hcs 'I frame acknowledges N(R)=1, but the other side has sent no I frame since the link was set up (SNRM/UA)'
# the same HCS byte damaged with the FCS left as sent: both checks fail. The frame stands where one is
# due (after the UA, closed at its line's end), so it is one damaged frame (frame 3), not 27 bytes of
# frame.garbage; the answer is then frame 4
case_ link-hcs-fcs 1 "link.hcs error 3; link.sequence error 4; service.unanswered-response warning 4" "$D/link-hcs-fcs.hex"
has link-hcs-fcs 'header check sequence 70E7 does not match the header (computed 70E6); the frame check sequence fails too (1A60, computed E287)'
has link-hcs-fcs '"code": "link.hcs", "severity": "error", "conversation": 1, "frame": 3, "offset": 27'
hasnt link-hcs-fcs 'frame.garbage'
case_ link-frmr 1 "link.frmr error 4; service.no-answer warning 3" "$D/link-frmr.hex"
has link-frmr 'rejected control byte 0x10; Y: information field too long'
# the request's answer was the FRMR: the no-answer finding names it as the usual cause
has link-frmr 'Usual cause here: the link refused it: FRMR at frame 4 (see link.frmr).'
# the AARQ in an I frame without SNRM/UA, answered by DM: link.dm at frame 2, and the request's
# no-answer finding names the DM as the usual cause
case_ link-dm 0 "link.dm warning 2; service.no-answer warning 1" "$D/link-dm.hex"
has link-dm 'DM (disconnected mode): the meter has no link with this client and refuses the frame'
has link-dm 'the meter answers DM to an I frame outside a link'
has link-dm 'send SNRM again'
has link-dm 'AARQ got no answer before the trace ends'
has link-dm 'Usual cause here: the link refused it: DM at frame 2 (see link.dm).'
case_ invoke-id 1 "service.invoke-id-mismatch error 2" "$D/invoke-id.hex"
has invoke-id '"time": "10:00:00.250"'
has invoke-id '"invoke_id": 2, "request_invoke_id": 1, "request_frame": 1'
# a request sent again after a timeout: the answer with the first one's invoke-id is its late answer
# (before: an invoke-id mismatch at 3 that took the retry, and the retry's answer at 4 unanswered)
case_ late-answer 0 "service.no-answer warning 1; service.late-answer warning 3" "$D/late-answer.hex"
has late-answer 'invoke-id 1 is the late answer to the get-request (class 8 0.0.1.0.0.255 attribute 2) of frame 1, given up when the same request was sent at frame 2'
has late-answer '"invoke_id": 1, "request_frame": 1, "next_request_frame": 2'
hasnt late-answer 'cannot be told'
# sent again with the same invoke-id: the first answer goes to the retry, the second is the late one,
# with a word that the trace cannot tell which (before: service.unanswered-response at 4)
case_ late-answer-same-id 0 "service.no-answer warning 1; service.late-answer warning 4" "$D/late-answer-same-id.hex"
has late-answer-same-id 'The request of frame 2 has the same invoke-id, so which of the two answers is the late one cannot be told'
# the client went on with another request: the late answer's result is said of its own request
case_ late-answer-other 1 "service.no-answer warning 1; service.late-answer warning 3; app.data-access-result error 3" \
    "$D/late-answer-other.hex"
has late-answer-other 'given up when the next request was sent at frame 2'
has late-answer-other 'get-response: UndefinedObject (4) for class 3 1.0.1.8.0.255 attribute 2'
# the priority bit not copied into the answer (C1 answered with 41): paired, said as a warning
case_ priority-not-copied 0 "service.invoke-id-mismatch warning 2" "$D/priority-not-copied.hex"
has priority-not-copied 'invoke-id-and-priority 0x41 answers a request with 0xC1 (frame 1): the invoke-id is the request'

# noise taken as raw records (8 lines, 164 bytes; the reader joins some lines it takes for wrapped ones),
# none decodes: the input as a whole has no valid frame
"$BIN" diagnose --json "$D/noise.hex" >"$TMP/noise.json" 2>&1
if [ $? = 1 ]; then pass; else fail "noise: exit status is not 1"; fi
has noise '"code": "input.no-frames", "severity": "error"'
has noise '"valid_frames": 0, "bytes": 164'
hasnt noise 'service.no-answer'
# 1 KiB of LCG noise behind a byte that makes it look like DLMS (make-traces.py, case 23): an APDU tag
# makes the file one raw record whose APDU does not decode (or, 21, ends 1000 bytes early); it is no
# request, answer or association (before: service.unanswered-response and "services: AARE 1" for 61,
# app.confirmed-service-error for 0E, service.no-answer for 21), only input.no-frames and serial.random.
# 7E A0 and 68 (a bogus HDLC or M-Bus start) hold no frame at all.
case_ noise-aare 1 "apdu.bad-length error 1; input.no-frames error 0; serial.random warning 0" "$D/noise-aare.bin"
case_ noise-cse 1 "apdu.invalid-choice error 1; input.no-frames error 0; serial.random warning 0" "$D/noise-cse.bin"
case_ noise-glo 1 "apdu.trailing-bytes error 1; input.no-frames error 0; serial.random warning 0" "$D/noise-glo.bin"
case_ noise-hdlc 1 "frame.garbage error 0; input.no-frames error 0; serial.random warning 0" "$D/noise-hdlc.bin"
case_ noise-mbus 1 "frame.garbage error 0; input.no-frames error 0; serial.random warning 0" "$D/noise-mbus.bin"
for n in aare cse glo hdlc mbus; do
    has noise-$n '"valid_frames": 0, "bytes": 1024'
    for absent in '"code": "service.' '"code": "app.' '"code": "assoc.' '"code": "security.'; do hasnt noise-$n "$absent"; done
    $TIMEOUT "$BIN" diagnose "$D/noise-$n.bin" >"$TMP/noise-$n.txt" 2>&1
    if grep -qE 'services: [^n]|association: [^n]' "$TMP/noise-$n.txt"; then
        fail "noise-$n: the summary names a service or an association"; grep -E 'services|association' "$TMP/noise-$n.txt"
    else pass; fi
done
for n in aare cse glo; do
    if grep -qxF '  services: none; 1 APDU(s) did not decode' "$TMP/noise-$n.txt"; then pass
    else fail "noise-$n: no 'services: none; 1 APDU(s) did not decode'"; fi
done

# f(StoC) mismatch with the keys typed as ASCII (testdata/security/make-key-mistakes.py): the decoder's
# hls.stoc-mismatch and the hls.cause after it are one security.hls-mismatch, its cause in words, hint and field
case_ hls-ascii 1 "security.hls-mismatch error 3; security.hls-mismatch error 4" \
    $GBK testdata/security/hls-gmac-ascii-prefix.hex
has hls-ascii 'likely cause: the client'"'"'s f(StoC) matches when the EK is the ASCII text of its first 16 characters'
has hls-ascii '"value": "f(StoC)", "sender": "client", "mechanism": 5, "decoder_code": "hls.stoc-mismatch", "cause": "key-ascii-prefix"'
has hls-ascii '"value": "f(CtoS)", "sender": "server", "mechanism": 5, "decoder_code": "hls.ctos-mismatch", "cause": "key-ascii-prefix"'
has hls-ascii 'configure the key as 16 bytes given in hex, not as text'
hasnt hls-ascii '"code": "hls.'

# The Green Book HLS-GMAC exchange (testdata/diagnose/hls-gmac-gb.hex, from the corpus): with the right EK
# nothing to say; with the EK given as the ASCII codes of its 32 hex digits, both values mismatch and the
# cause is named (and the key is said to read as text before the trace)
case_ hls-gb 0 "" $GBK "$D/hls-gmac-gb.hex"
case_ hls-gb-ascii 1 "security.key-looks-ascii warning 0; security.hls-mismatch error 3; security.hls-mismatch error 4" \
    --ek 3030303130323033303430353036303730383039304130423043304430453046 --ak D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF \
    --client-title 4D4D4D0000000001 --server-title 4D4D4D0000BC614E "$D/hls-gmac-gb.hex"
has hls-gb-ascii '"value": "f(StoC)", "sender": "client", "mechanism": 5, "decoder_code": "hls.stoc-mismatch", "cause": "key-hex-digits"'
has hls-gb-ascii 'its 32 bytes are the ASCII codes of the 32 hex digits of the key'

# Security findings on the Green Book glo-get-request (testdata/corpus/SEC-GB-glo-get-request.hex: title
# 4D4D4D0000BC614E, IC 01234567 = 19088743, SC 30 = 48; Green Book EK and AK)
GBT="--client-title 4D4D4D0000BC614E"
GBEK="--ek 000102030405060708090A0B0C0D0E0F"
GBAK="--ak D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"
# a wrong AK (its last byte changed): the tag fails, no typing mistake explains it
case_ tag-wrong-ak 1 "security.auth-tag-mismatch error 1; service.no-answer warning 1" \
    $GBEK --ak D0D1D2D3D4D5D6D7D8D9DADBDCDDDE00 $GBT "$C/SEC-GB-glo-get-request.hex"
has tag-wrong-ak '"sender": "client", "ic": 19088743, "security_control": 48, "decoder_code": "cipher.tag-mismatch"}'
has tag-wrong-ak 'a wrong AK or EK, a wrong system title'
# EK and AK swapped: the decoder's cipher.keys-swapped is the finding's cause
case_ tag-keys-swapped 1 "security.auth-tag-mismatch error 1" \
    --ek D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF --ak 000102030405060708090A0B0C0D0E0F $GBT "$C/SEC-GB-glo-get-request.hex"
has tag-keys-swapped '"decoder_code": "cipher.tag-mismatch", "cause": "keys-swapped"'
has tag-keys-swapped 'likely cause: the authentication tag verifies with the EK and the AK swapped'
# no keys: the ciphered APDU is not read, said once for the conversation
case_ no-key 0 "service.no-answer warning 1; security.no-key warning 1" "$C/SEC-GB-glo-get-request.hex"
has no-key '1 ciphered APDU(s) were not read: no key was given for them'
has no-key '"apdus": 1, "first_frame": 1'
# the request's tag fails (wrong AK), then the meter answers exception-response service-not-allowed /
# deciphering-error (D8 01 05): the key problem is named as the usual cause, the sentences of the hint
# each begin with a capital
{ echo "TX: $(sed '/^#/d' "$C/SEC-GB-glo-get-request.hex")"; echo "RX: D80105"; } >"$TMP/key-exception.hex"
case_ key-exception 1 "security.auth-tag-mismatch error 1; app.exception error 2" \
    $GBEK --ak D0D1D2D3D4D5D6D7D8D9DADBDCDDDE00 $GBT "$TMP/key-exception.hex"
has key-exception '"state_error": "ServiceNotAllowed", "service_error": "DecipheringError"'
has key-exception 'Usual cause here: a key problem shown before it (security.auth-tag-mismatch).'
has key-exception 'after the release). The meter could not decipher or authenticate the request'
# keys but no title (the trace has no AARQ)
case_ no-title 1 "security.no-title error 1; service.no-answer warning 1" $GBEK $GBAK "$C/SEC-GB-glo-get-request.hex"
# The replayed request (testdata/diagnose/ic-replay.hex): the Green Book request twice, then one with IC
# 00000203 = 515. The counters come from the headers, keys or not; with keys the third one's tag fails too.
case_ ic-replay 0 "security.ic-repeated warning 2; service.no-answer warning 1; security.ic-decreasing warning 3;
    service.no-answer warning 2; service.no-answer warning 3; security.no-key warning 1" "$D/ic-replay.hex"
has ic-replay '"sender": "client", "ic": 19088743, "last_ic": 19088743, "key": "global"'
has ic-replay '"sender": "client", "ic": 515, "last_ic": 19088743, "key": "global"'
has ic-replay 'the client'"'"'s invocation counter 00000203 (global key) is below its last one, 01234567'
has ic-replay '"apdus": 3'
case_ ic-replay-keys 1 "security.ic-repeated warning 2; security.ic-decreasing warning 3;
    security.auth-tag-mismatch error 3; service.no-answer warning 3" \
    $GBEK $GBAK $GBT --server-title 4D4D4D0000000001 "$D/ic-replay.hex"
hasnt ic-replay-keys 'cipher.ic-replay'
# a key given as the ASCII codes of hex digits (testdata/security/ek-ascii-prefix.hex is ciphered with
# exactly that key, the forum case): said before the trace, and the APDU deciphers
case_ key-ascii 0 "security.key-looks-ascii warning 0" \
    --ek 30303031303230333034303530363037 $GBAK --client-title 4D4D4D0000000001 testdata/security/ek-ascii-prefix.hex
has key-ascii 'the EK given (16 bytes) reads as text: every byte is a printable character, and each the ASCII code of a hex digit'
has key-ascii '"key": "EK", "length": 16'

# HAN pushes of another station (testdata/demo/han-push.hex, an I frame from address 01 with N(S)=0 and 155
# bytes of information) inside the demo session's link (client 16, server 1/17, UA max info 154), twice:
# other stations are not held to that link's N(S) count or max info, so no finding
PUSH=$(grep -v '^#' testdata/demo/han-push.hex)
{ sed -n '5,8p' testdata/demo/session.log; echo "RX: $PUSH"; echo "RX: $PUSH"; sed -n '9,$p' testdata/demo/session.log; } \
    >"$TMP/session-with-pushes.log"
case_ session-with-pushes 0 "" "$TMP/session-with-pushes.log"

# ---- corpus streams (testdata/corpus/README.md) ----
case_ corpus-dm 0 "link.dm warning 1" "$C/CS-gurux-dm-4byte.hex"
case_ corpus-bad-fcs 1 "link.fcs error 1; input.no-frames error 0; serial.near-miss warning 0" "$C/BRK-gurux-bad-fcs-4byte.hex"
case_ corpus-truncated 1 "link.truncated error 1; input.no-frames error 0; serial.not-dlms warning 0" "$C/BRK-amshan-truncated.hex"
# raw APDUs that lost their last byte (by hand: C4 02 C1 .. 00 82 04 9E announces 1182 bytes of raw data
# with 1181 left; 21 30 announces 48 bytes with 47 left): DLMS cut short, not a wrong serial setting
case_ corpus-cut-short 1 "data.bad-length error 1; input.cut-short warning 1; service.unanswered-response warning 1" \
    "$C/BRK-u9n-get-response-bad-length.hex"
has corpus-cut-short '"message": "the get-response of 1193 byte(s) decodes whole with 1 byte(s) added at its end: it was cut short"'
has corpus-cut-short '"missing": 1, "apdu_length": 1193'
hasnt corpus-cut-short '"code": "serial.'
hasnt corpus-cut-short 'input.no-frames'
case_ corpus-initreq-cut-short 1 "apdu.truncated error 1; input.cut-short warning 1; service.no-answer warning 1" \
    "$C/BRK-gb-glo-initreq-truncated.hex"
has corpus-initreq-cut-short '"missing": 1, "apdu_length": 49'
hasnt corpus-initreq-cut-short '"code": "serial.'
case_ corpus-exception 1 "service.unanswered-response warning 1; app.exception error 1" "$C/CS-gosem-exception-response.hex"
has corpus-exception '"state_error": "ServiceNotAllowed", "service_error": "ServiceNotSupported"'
# C7 01 C1 01 01 02: an action-response whose last byte is no Get-Data-Result choice; the fields before it
# all fit, so it is still an action-response (noise-*.bin fail far before their end)
case_ corpus-action-last-byte 1 "apdu.invalid-choice error 1; service.unanswered-response warning 1;
    app.action-result error 1; input.no-frames error 0; serial.not-dlms warning 0" \
    "$C/CS-gosem-disconnect-action-response-fail.hex"
has corpus-action-last-byte 'action-response: HardwareFault (1)'
case_ corpus-cse 1 "service.unanswered-response warning 1; app.confirmed-service-error error 1" \
    "$C/CS-gosem-confirmed-service-error.hex"
has corpus-cse '"service": "initiateError", "error": "DlmsVersionTooLow"'
has corpus-cse 'the DLMS version proposed in the InitiateRequest is below 6: propose version 6'
case_ corpus-appctx 1 "service.unanswered-response warning 1; assoc.rejected error 1" "$C/CS-GB-aare-rejected-appctx.hex"
has corpus-appctx '"result": "rejected-permanent", "diagnostic": "application-context-name-not-supported"'
case_ corpus-auth 1 "service.unanswered-response warning 1; assoc.rejected error 1" "$C/CS-gosem-aare-auth-failure.hex"
has corpus-auth 'authentication-failure'
# the same AARE with its diagnostic changed by hand from authentication-failure (13) to
# authentication-required (14), rejected: the hint asks for a higher authentication level
sed '/^#/d; s/A10302010D/A10302010E/' "$C/CS-gosem-aare-auth-failure.hex" >"$TMP/aare-auth-required.hex"
case_ aare-auth-required 1 "service.unanswered-response warning 1; assoc.rejected error 1" "$TMP/aare-auth-required.hex"
has aare-auth-required '"result": "rejected-permanent", "diagnostic": "authentication-required"'
has aare-auth-required 'needs a higher authentication level (e.g. HLS instead of LOW or none)'
case_ corpus-dar 1 "service.unanswered-response warning 1; app.data-access-result error 1" "$C/CS-gosem-get-response-dar.hex"
has corpus-dar '"result": "InconsistentClass", "result_value": 9'
case_ corpus-not-dlms 1 "frame.not-dlms error 1" "$C/BRK-gurux-nexerror-nondlms.hex"
case_ demo-session 0 "" testdata/demo/session.log

# ---- wrong serial settings: bytes a port at one setting made of a line driven at another ----
# The inputs were made once by testdata/serial/uart_sim.py (a UART model written apart from
# src/diagnose/uart.c; commands in testdata/serial/README.md), so the right answer is the setting
# each was made with. serial_ NAME WANT_RC "serial tuple" ARGS: the JSON lines parse, their codes
# are in the manual (case_ above), and the one serial.* finding is the one wanted.
S=testdata/serial
serial_() {
    name=$1; want_rc=$2; want=$3; shift 3
    # shellcheck disable=SC2086
    $TIMEOUT "$BIN" diagnose --json "$@" >"$TMP/$name.json" 2>"$TMP/$name.err"
    rc=$?
    if sanitizer_report "$TMP/$name.err"; then fail "$name: sanitizer report"; head -5 "$TMP/$name.err"; return; fi
    if [ "$rc" != "$want_rc" ]; then fail "$name: exit $rc, want $want_rc"; fi
    if ! tuples <"$TMP/$name.json" >"$TMP/$name.got"; then fail "$name: $(cat "$TMP/$name.got")"; return; fi
    got=$(grep '^serial\.' "$TMP/$name.got")
    if [ "$got" = "$want" ]; then pass; else fail "$name: serial finding '$got', want '$want'"; fi
    for code in $(cut -d' ' -f1 "$TMP/$name.got" | sort -u); do
        if grep -q "^\.B $(echo "$code" | sed 's/-/\\\\-/g')\$" man/dlmscope-diagnose.1 ||
           grep -qF -e "$code" -e "$(echo "$code" | sed 's/-/\\-/g')" man/dlmscope.1; then pass
        else fail "$name: code $code is not in the manual"; fi
    done
}
# The seed case: a Kaifa MA309 M-Bus push (corpus, 2400 8E1) read at 2400 8N1 by a port that turns
# framing errors into 00 (INPCK): every character whose parity bit is 0 (even number of ones) is
# 00, the others pass: 128 odd-weight values and 00. The answer is the port's parity, not a tag.
serial_ serial-kaifa 1 "serial.parity-mismatch error 0" --serial 2400:8N1 "$S/kaifa-ma309-8e1-read-8n1.hex"
has serial-kaifa '"capture_settings": "2400:8N1", "capture_settings_known": true, "sender_settings": "2400:8E1", "ratio": "1/1", "inverted": false'
has serial-kaifa 'set the port to 2400:8E1'
hasnt serial-kaifa 'is not the tag of a DLMS APDU'
# without --serial the capture's rate is assumed, the parity is still the answer
serial_ serial-kaifa-untold 1 "serial.parity-mismatch error 0" "$S/kaifa-ma309-8e1-read-8n1.hex"
has serial-kaifa-untold '"capture_settings_known": false'
has serial-kaifa-untold ':8E1", "ratio": "1/1"'
# ... and the words name the parity at the capture's rate, not at the rate assumed as if it were told
has serial-kaifa-untold "set the port to 8E1 at the capture's rate ("
hasnt serial-kaifa-untold 'set the port to 9600:8E1'
# An HDLC push (corpus HAN-NO-kaifa-list2) sent at 2400 8N1, read at 9600 8N1: a port 4 times
# faster sees the start bit and 1.5 data bits of each character, so only 00 78 80 F8 arrive
# (worked out by hand: bits 0-2 are the start bit, bits 3-6 one data bit, bit 7 the next).
serial_ serial-hdlc-fast 1 "serial.baud-mismatch error 0" --serial 9600:8N1 --binary "$S/hdlc-push-2400-read-9600.bin"
has serial-hdlc-fast '"capture_settings": "9600:8N1", "capture_settings_known": true, "sender_settings": "2400:8N1", "ratio": "1/4"'
has serial-hdlc-fast 'one of the 4 values'
# the capture's rate not told: the ratio is
serial_ serial-hdlc-ratio 1 "serial.baud-mismatch error 0" --binary "$S/hdlc-push-2400-read-9600.bin"
has serial-hdlc-ratio '"ratio": "1/4"'
# standard input that can be read again (a redirected file) is looked at too
"$BIN" diagnose --json --binary - <"$S/hdlc-push-2400-read-9600.bin" >"$TMP/serial-stdin.json" 2>&1
has serial-stdin '"code": "serial.baud-mismatch"'
has serial-stdin '"file": "(stdin)"'
# ... and so is a pipe, which cannot: its first bytes are kept while it is decoded
cat "$S/hdlc-push-2400-read-9600.bin" | $TIMEOUT "$BIN" diagnose --json --binary - >"$TMP/serial-pipe.json" 2>&1
has serial-pipe '"code": "serial.baud-mismatch"'
has serial-pipe '"file": "(stdin)"'
has serial-pipe '"ratio": "1/4"'
# The sender faster than the port: an M-Bus push (corpus HAN-AT-netznoe-kaifa-ma309-mbus) sent ten
# times at 4800 8N1, read at 2400 8N1 (Linux's default: bad characters kept). Each byte spans two
# sender characters; the one read after an idle line has bit 3 on the first one's stop bit. The
# bits in between are lost: the rate is named from that pattern, nothing is recovered.
serial_ serial-mbus-slow 1 "serial.baud-mismatch error 0" --serial 2400:8N1 --binary "$S/mbus-push-4800-read-2400.bin"
has serial-mbus-slow '"capture_settings": "2400:8N1", "capture_settings_known": true, "sender_settings": "4800:8N1", "ratio": "2/1"'
has serial-mbus-slow '"recovered_bytes": 0'
has serial-mbus-slow '2 times faster than the capture'
has serial-mbus-slow 'set the port to 4800:8N1'
serial_ serial-mbus-slow-untold 1 "serial.baud-mismatch error 0" --binary "$S/mbus-push-4800-read-2400.bin"
has serial-mbus-slow-untold '"ratio": "2/1"'
has serial-mbus-slow-untold "set the port to the capture's rate times 2/1"
# An HDLC push (corpus HAN-NO-kaifa-list2) sent twenty times at 9600 8N1, read at 2400 8N1: 4 times
# faster, which reads the same bits as 8, 12 and 16 times after an idle line: 9600 is named with
# the others of that family to try.
serial_ serial-hdlc-slow 1 "serial.baud-mismatch error 0" --serial 2400:8N1 --binary "$S/hdlc-push-9600-read-2400.bin"
has serial-hdlc-slow '"sender_settings": "9600:8N1", "ratio": "4/1"'
has serial-hdlc-slow 'try 9600, 19200, 28800, 38400'
# 8N1 read by a port expecting parity: an M-Bus push (corpus HAN-AT-tinetz-kaifa-ma309-mbus) sent ten
# times at 2400 8N1, read at 2400 8E1. The port reads the stop bit as the parity bit and the next
# start bit as its stop bit (a framing error), then waits for a later edge: bits are lost, and the
# pattern of those edges names the sender's 8N1.
serial_ serial-8n1-as-8e1 1 "serial.parity-mismatch error 0" --serial 2400:8E1 --binary "$S/mbus-push-8n1-read-8e1.bin"
has serial-8n1-as-8e1 '"capture_settings": "2400:8E1", "capture_settings_known": true, "sender_settings": "2400:8N1", "ratio": "1/1"'
has serial-8n1-as-8e1 'set the port to 2400:8N1'
# not told: the port expecting parity is among those tried
serial_ serial-8n1-as-8e1-untold 1 "serial.parity-mismatch error 0" --binary "$S/mbus-push-8n1-read-8e1.bin"
has serial-8n1-as-8e1-untold ':8E1", "capture_settings_known": false'
# Recoverable bits: an IEC 62056-21 readout (58 bytes) sent three times at 300 7E1, read at 300 8N1:
# each character's parity bit is read as data bit 7 and nothing is lost, so the 174 bytes re-read at
# 7E1 are the readout three times, shown decoded below the finding.
serial_ serial-iec-7e1 1 "serial.data-bits-mismatch error 0" --serial 300:8N1 --binary "$S/iec21-7e1-read-8n1.bin"
has serial-iec-7e1 '"sender_settings": "300:7E1", "ratio": "1/1", "inverted": false, "frames": 3, "recovered_bytes": 174'
READOUT=$(sed '/^#/d' "$S/iec21-readout.hex" | tr -d ' \n')
$TIMEOUT "$BIN" diagnose --serial 300:8N1 --binary "$S/iec21-7e1-read-8n1.bin" >"$TMP/serial-iec-text.txt" 2>&1
if grep -qF "the 174 byte(s) re-read at 300:7E1 decode as:" "$TMP/serial-iec-text.txt"; then pass
else fail "serial-iec-text: no recovered frames in the report"; fi
if grep -qF "Value=\"$READOUT$READOUT$READOUT\"" "$TMP/serial-iec-text.txt"; then pass
else fail "serial-iec-text: the recovered bytes are not the readout three times"; fi
# Odd against even: an HDLC push at 2400 8O1 read at 2400 8E1 by a port that zeroes bad characters:
# every parity bit is wrong, so every byte is 00 (by hand). A much slower sender gives 00 too: the
# parity at the capture's rate is named and the slow rates are listed, never a rate alone.
serial_ serial-odd-even 1 "serial.parity-mismatch error 0" --serial 2400:8E1 --binary "$S/hdlc-push-8o1-read-8e1.bin"
has serial-odd-even '"sender_settings": "2400:8O1", "ratio": "1/1"'
has serial-odd-even 'cannot be told from these bytes: try 2400, 150'
# Not told the port's setting, all 00 is a much slower sender or either parity pair read by a port
# that zeroes bad characters: the rates are named, both parity pairs listed, never 7 data bits.
serial_ serial-odd-even-untold 1 "serial.baud-mismatch error 0" --binary "$S/hdlc-push-8o1-read-8e1.bin"
has serial-odd-even-untold '"alternatives": "9600:8O1 read at 9600:8E1 zeroing bad characters; 9600:8E1 read at 9600:8O1 zeroing bad characters"'
hasnt serial-odd-even-untold '7E1'
# Random bytes (python3 random.Random(14), 4096 bytes) are never a setting problem, told or not
for rx in "" "--serial 2400:8N1" "--serial 9600:8E1"; do
    # shellcheck disable=SC2086
    serial_ serial-random 1 "serial.random warning 0" $rx --binary "$S/random-4k.bin"
    hasnt serial-random '"sender_settings"'
done

# ---- every code the diagnoser can make is in its manual page ----
"$BIN" diagnose --list-codes >"$TMP/codes" 2>&1
if [ "$(wc -l <"$TMP/codes")" -ge 30 ]; then pass; else fail "--list-codes: $(wc -l <"$TMP/codes") codes"; fi
while read -r code; do
    if grep -q "^\.B $(echo "$code" | sed 's/-/\\\\-/g')\$" man/dlmscope-diagnose.1; then pass
    else fail "--list-codes: $code has no entry in man/dlmscope-diagnose.1"; fi
done <"$TMP/codes"
# and each entry says the usual fix or cause ("Fix:" or "Usual cause"), as issue 14 asks; the serial.*
# entries name the settings to use in their own words
python3 - "$TMP/codes" man/dlmscope-diagnose.1 >"$TMP/codes-without-fix" <<'PY'
import re, sys
codes = open(sys.argv[1]).read().split()
entries = {}
for e in re.split(r"\n\.TP\n", open(sys.argv[2]).read()):
    m = re.match(r"\.B (\S+)\n(.*)", e, re.S)
    if m:
        entries[m.group(1).replace("\\-", "-")] = re.split(r"\n\.(?:SH|SS) ", m.group(2))[0]
for c in codes:
    if not c.startswith("serial.") and not re.search(r"Fix:|Usual cause", entries.get(c, "")):
        print(c)
PY
if [ ! -s "$TMP/codes-without-fix" ]; then pass
else fail "man/dlmscope-diagnose.1: no fix or usual cause for $(tr '\n' ' ' <"$TMP/codes-without-fix")"; fi
# and the sources make no code that --list-codes leaves out
for code in $(sed -n 's/^#define DG_[A-Z_]* "\(.*\)"$/\1/p' src/diagnose/diagnose_int.h); do
    if grep -qx -- "$code" "$TMP/codes"; then pass; else fail "$code is not listed by --list-codes"; fi
done

# ---- the summary ----
summary() {
    name=$1; shift
    $TIMEOUT "$BIN" diagnose "$@" >"$TMP/$name.txt" 2>"$TMP/$name.err"
}
line() {
    if grep -qxF -- "$2" "$TMP/$1.txt"; then pass; else fail "$1: no line '$2'"; sed 's/^/    /' "$TMP/$1.txt" | head -20; fi
}
# the replayed request: the counters in the summary (each kind once a finding, all counted here)
summary ic-replay "$D/ic-replay.hex"
line ic-replay "  invocation counters: 1 repeated, 1 below the sender's last (security.ic-*)"
summary demo testdata/demo/session.log
line demo "conversation 1"
line demo "  framing: HDLC; 8 frame(s), 8 valid; 228 byte(s)"
line demo "  addresses: client 16, server 145 (logical 1, physical 17)"
line demo "  HDLC parameters: SNRM proposes max info TX 128 RX 128, window TX 1 RX 1 (defaults: no parameters sent); UA negotiates max info TX 154 RX 154, window TX 1 RX 1"
line demo "  association: context LN, mechanism none, accepted"
# the AARE's conformance 00 1E 1D (by hand, bit 0 the first): bits 11-14 and 19, 20, 21, 23
line demo "  conformance: BlockTransferWithGetOrRead BlockTransferWithSetOrWrite BlockTransferWithAction MultipleReferences Get Set SelectiveAccess Action (negotiated)"
line demo "  max PDU size: client 65535, negotiated (server) 1224"
line demo "  security: no ciphered APDU"
line demo "  services: AARQ 1, AARE 1, get-request 1, get-response 1"
line demo "  ended: link disconnected (DISC/UA) (frame 8)"
line demo "findings: 0 error(s), 0 warning(s), 0 info"
summary split "$D/image-block-split.hex"
line split "  image transfer: identifier IMG2, size 512, block size 256 (read before initiate), 1 initiate(s), 2 block(s) sent, 2 acknowledged, 0 repeated, 0 failed"
line split "    largest block 256 bytes in a 280-byte APDU, carried in 3 frame(s), fits the negotiated max PDU"
line split "  association: context LN, mechanism Low (1), accepted"
# a ciphered association (corpus: gosem AARQ and AARE with glo-initiate in the user-information, security
# control 30, no keys): the summary's security line has the suite and policy of the user-information
{ echo "TX: $(sed '/^#/d' "$C/SEC-gosem-aarq-glo.hex")"; echo "RX: $(sed '/^#/d' "$C/SEC-gosem-aare-glo.hex")"; } \
    >"$TMP/glo-assoc.hex"
summary glo-assoc "$TMP/glo-assoc.hex"
line glo-assoc "  association: context LN_WITH_CIPHERING, mechanism Low (1), accepted"
line glo-assoc "  security: suite 0, authenticated and encrypted (security control 0x30)"
# ... and, without keys, its two ciphered initiates are ciphered APDUs not read (with the keys they are read)
line glo-assoc "warning security.no-key at frame 1 (offset 0): 2 ciphered APDU(s) were not read: no key was given for them (the first in frame 1)"
"$BIN" diagnose --ek 00112233445566778899AABBCCDDEEFF --ak 00112233445566778899AABBCCDDEEFF "$TMP/glo-assoc.hex" >"$TMP/glo-keys.txt" 2>&1
if grep -q "security.no-key" "$TMP/glo-keys.txt"; then fail "glo-assoc with keys: security.no-key"; else pass; fi
if grep -q "services: initiateRequest 1, initiateResponse 1, AARQ 1, AARE 1" "$TMP/glo-keys.txt"; then pass; else fail "glo-assoc with keys: the initiates were not read"; fi
# a wrong setting named: the summary (of the bytes as captured) says its framing is not the meter's (the
# Kaifa seed read at 8N1 holds a chance wrapper header: 00 01 00 00 00 29 5B 00 at offset 19); random bytes
# (serial.random, no setting) get no such line
summary kaifa-text --serial 2400:8N1 "$S/kaifa-ma309-8e1-read-8n1.hex"
line kaifa-text "serial: a wrong setting was found (serial.parity-mismatch, below): the framing above and the frame findings come from the bytes as the mis-set port delivered them, not from the meter's frames"
summary random-text "$S/random-4k.bin"
if grep -q "^serial: " "$TMP/random-text.txt"; then fail "random-text: a wrong-setting line for random bytes"; else pass; fi
if grep -q "serial.random" "$TMP/random-text.txt"; then pass; else fail "random-text: no serial.random"; fi
summary low "$D/disconnect-low.hex"
line low "error app.action-result at frame 4 (offset 114, line 6): action-response: ReadWriteDenied (3) for class 70 0.0.96.3.10.255 method 1"
line low "  ended: released (RLRQ/RLRE) (frame 6)"

# ---- usage ----
"$BIN" diagnose "$TMP/does-not-exist" >/dev/null 2>&1
if [ $? = 2 ]; then pass; else fail "a missing file: exit status is not 2"; fi
"$BIN" diagnose --no-such-option >/dev/null 2>&1
if [ $? = 2 ]; then pass; else fail "an unknown option: exit status is not 2"; fi
"$BIN" help diagnose | grep -q -- "--json" && pass || fail "help diagnose"

# ---- listen --diagnose: the HDLC image transfer played on a pty, findings and summary on stderr ----
if [ -n "$PTYW" ]; then
    sed -n '/^[TR]X: /s/^[TR]X: //p' "$D/image-block-too-large.hex" >"$TMP/big.hex"
    "$PTYW" "$TMP/big.hex" "$TMP/big.sent" -- "$BIN" listen @PTY@ --diagnose --timeout 1 -o "$TMP/big.xml" \
        2>"$TMP/big.err"
    rc=$?
    if [ "$rc" = 1 ]; then pass; else fail "listen --diagnose: exit $rc, want 1"; fi
    for want in "error image.block-too-large at frame 13 (offset 585" "info image.transfer at frame 24 (offset 1053" \
        "  ended: link disconnected (DISC/UA) (frame 24)" \
        "    largest block 256 bytes in a 280-byte APDU, carried in 3 frame(s), larger than the negotiated max PDU"; do
        if grep -qF -- "$want" "$TMP/big.err"; then pass; else fail "listen --diagnose: no '$want'"; fi
    done
    # live findings are named by frame and offset: the listener's line numbers are the raw log's
    if grep -q "^[a-z]* [a-z.-]* .*, line [0-9]" "$TMP/big.err"; then fail "listen --diagnose: a finding names a line"
    else pass; fi
    "$PTYW" "$TMP/big.hex" "$TMP/big.sent" -- "$BIN" listen @PTY@ --diagnose --diagnostics=json --timeout 1 \
        -o "$TMP/big.xml" 2>"$TMP/big-json.err"
    if grep -qF '"code": "image.block-too-large", "severity": "error", "conversation": 1, "frame": 13, "offset": 585, "line": 0,' \
        "$TMP/big-json.err"; then pass; else fail "listen --diagnose --diagnostics=json: no line-less image.block-too-large"; fi
    if sanitizer_report "$TMP/big.err"; then fail "listen --diagnose: sanitizer report"; else pass; fi
    if grep -q "no valid frames at" "$TMP/big.err"; then fail "listen --diagnose: valid frames said to be none"; else pass; fi
    # valid frames on the port: no serial inference, in text or JSON
    if grep -q "serial\." "$TMP/big.err" "$TMP/big-json.err"; then fail "listen --diagnose: a serial finding for valid frames"
    else pass; fi
    # the Kaifa seed's bytes (2400 8E1 read at 2400 8N1) on the port: no valid frame, so listen infers
    # the setting itself from the bytes it kept (the finding of diagnose, exit 1), still points at
    # --probe; diagnose --serial on its raw log names the same parity
    sed '/^#/d' "$S/kaifa-ma309-8e1-read-8n1.hex" >"$TMP/kaifa-live.hex"
    "$PTYW" "$TMP/kaifa-live.hex" "$TMP/kaifa-live.sent" -- "$BIN" listen @PTY@ --diagnose --serial 2400:8N1 \
        --timeout 1 --raw "$TMP/kaifa-live.raw" -o "$TMP/kaifa-live.xml" 2>"$TMP/kaifa-live.err"
    rc=$?
    if [ "$rc" = 1 ]; then pass; else fail "listen --diagnose kaifa: exit $rc, want 1"; fi
    for want in "error serial.parity-mismatch (offset 0): the capture's parity is not the sender's" \
        "captured at 2400:8N1, sent at 2400:8E1" "  hint: set the port to 2400:8E1 and capture again" \
        "no valid frames at 2400:8N1: for the setting that would give them, see the serial finding above, or try dlmscope listen --probe"; do
        if grep -qF -- "$want" "$TMP/kaifa-live.err"; then pass
        else fail "listen --diagnose kaifa: no '$want': $(tail -2 "$TMP/kaifa-live.err")"; fi
    done
    if sanitizer_report "$TMP/kaifa-live.err"; then fail "listen --diagnose kaifa: sanitizer report"; else pass; fi
    "$PTYW" "$TMP/kaifa-live.hex" "$TMP/kaifa-live.sent" -- "$BIN" listen @PTY@ --diagnose --diagnostics=json \
        --serial 2400:8N1 --timeout 1 -o "$TMP/kaifa-live.xml" 2>"$TMP/kaifa-live-json.err"
    rc=$?
    if [ "$rc" = 1 ]; then pass; else fail "listen --diagnose --diagnostics=json kaifa: exit $rc, want 1"; fi
    for want in '"code": "serial.parity-mismatch", "severity": "error"' \
        '"capture_settings": "2400:8N1", "capture_settings_known": true, "sender_settings": "2400:8E1", "ratio": "1/1", "inverted": false'; do
        if grep -qF -- "$want" "$TMP/kaifa-live-json.err"; then pass
        else fail "listen --diagnose --diagnostics=json kaifa: no '$want'"; fi
    done
    # the copy it infers from is bounded: 80 plays of the seed (72000 bytes) are looked at as 64 KiB
    # (about 13 s: ptywriter paces its chunks)
    for i in $(seq 80); do cat "$TMP/kaifa-live.hex"; done >"$TMP/kaifa-long.hex"
    "$PTYW" "$TMP/kaifa-long.hex" "$TMP/kaifa-long.sent" -- "$BIN" listen @PTY@ --diagnose --serial 2400:8N1 \
        --timeout 1 -o "$TMP/kaifa-long.xml" 2>"$TMP/kaifa-long.err"
    if grep -qF "72000 bytes received" "$TMP/kaifa-long.err" &&
        grep -qF "error serial.parity-mismatch (offset 0): the capture's parity is not the sender's: no setting gives frames with good checks, but every byte (65536) is" \
            "$TMP/kaifa-long.err"; then pass
    else fail "listen --diagnose: the inference did not read the first 64 KiB of 72000 bytes"; fi
    serial_ serial-kaifa-live 1 "serial.parity-mismatch error 0" --serial 2400:8N1 "$TMP/kaifa-live.raw"
    has serial-kaifa-live '"sender_settings": "2400:8E1"'
fi

echo "diagnose: $passed passed, $failed failed"
[ "$failed" = 0 ]
