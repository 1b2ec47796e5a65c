#!/bin/sh
# `dlmscope run` without a meter: the command line and script errors (exit 2 with the reason),
# a refused connection on loopback (exit 2), and --dry-run: what would be sent, unframed, in
# wrapper frames and in HDLC frames, plain and ciphered, with settings from the command line
# and from the script's <Settings> (the command line winning). Keys never appear in what is
# printed. The expected APDU bytes are worked out by hand below (REFERENCE.md §3.3, §5 ACSE,
# §4 A-XDR); the HDLC frames are checked by `dlmscope decode` finding them whole (HCS/FCS,
# lengths) with the APDUs inside. Runs against the emulator are in run_emulate.sh.
#
# Usage: tests/e2e/runscript.sh BIN
E2E_NAME=runscript
. "$(dirname "$0")/common.sh"

S=$ROOT/testdata/run

# usage_case NAME WANT_RC WANT_TEXT ARGS...
usage_case() {
    name=$1 want=$2 text=$3
    shift 3
    $TIMEOUT "$BIN" run "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
    rc=$?
    if [ "$rc" != "$want" ]; then fail "run $name: exit $rc, want $want ($(head -1 "$TMP/$name.err"))"
    elif ! grep -qF -- "$text" "$TMP/$name.err"; then fail "run $name: stderr lacks '$text': $(head -1 "$TMP/$name.err")"
    elif sanitizer_report "$TMP/$name.err"; then fail "run $name: sanitizer report"
    else pass; fi
}

usage_case no-script 2 "one script is needed"
usage_case bad-option 2 "usage: dlmscope run" --no-such-option "$S/get-clock.xml"
usage_case bad-auth 2 "authentication 'medium'" --auth medium --dry-run "$S/get-clock.xml"
usage_case bad-key 2 "16 or 32 bytes in hex" --ek 0011 --dry-run "$S/get-clock.xml"
usage_case bad-unit 2 "line 2: <GetRequest> does not encode" --dry-run "$S/bad-unit.xml"
usage_case not-xml 2 "not well-formed XML" --dry-run "$S/../xmlclient/README.md"
usage_case no-meter 2 "no meter given" "$S/get-clock.xml"
usage_case gmac-no-keys 2 "high-gmac needs --ek and --ak" --auth high-gmac --client-title 4D4D4D0000000001 --dry-run "$S/get-clock.xml"
usage_case cipher-no-title 2 "need the client's system title" --ek 000102030405060708090A0B0C0D0E0F --dry-run "$S/get-clock.xml"
# nothing listens on a port just closed: the connection is refused at once (loopback only)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
usage_case refused 2 "127.0.0.1:$PORT" --tcp "127.0.0.1:$PORT" --timeout 2 "$S/get-clock.xml"

# hexes NAME: the bytes of every "<!-- what: .. -->" line of NAME's output, one line each, no spaces
hexes() {
    sed -n 's/^<!-- [a-z]*: \(.*\) -->$/\1/p' "$TMP/$1.out" | tr -d ' '
}

# dry NAME WANT_HEXES ARGS...: a dry run whose output is well-formed XML, whose stderr has no
# sanitizer report, and whose sent bytes are WANT_HEXES (one per line)
dry() {
    name=$1 want=$2
    shift 2
    $TIMEOUT "$BIN" run --dry-run "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
    rc=$?
    got=$(hexes "$name")
    if [ "$rc" != 0 ]; then fail "run $name: exit $rc ($(head -1 "$TMP/$name.err"))"
    elif ! xmllint --noout "$TMP/$name.out" 2>/dev/null; then fail "run $name: output is not well-formed XML"
    elif sanitizer_report "$TMP/$name.err"; then fail "run $name: sanitizer report"
    elif [ -n "$want" ] && [ "$got" != "$want" ]; then fail "run $name: sent
$got
want
$want"
    else pass; fi
}

# The AARQ with no security (60 1D): A1 09 06 07 60 85 74 05 08 01 01 (application context LN),
# BE 10 04 0E and the InitiateRequest 01 00 00 00 06 5F 1F 04 00 00 7E 1F FF FF (no dedicated
# key, response-allowed default, no QoS, version 6, conformance 007E1F, max PDU FFFF): 11 + 2 +
# 16 = 29 = 1D bytes. The clock GET with the machine's first invoke id 1 (C1): C0 01 C1, class
# 0008, 0000010000FF, attribute 02, no selective access 00. The RLRQ with reason normal: 62 03
# 80 01 00.
AARQ=601DA109060760857405080101BE10040E01000000065F1F0400007E1FFFFF
GET=C001C100080000010000FF0200
RLRQ=6203800100
dry unframed "$AARQ
$GET
$RLRQ" "$S/get-clock.xml"

# The wrapper: version 0001, source wPort 0010 (client 16), destination 0001, then the length:
# 001F (31), 000D (13), 0005.
dry wrapper "000100100001001F$AARQ
000100100001000D$GET
0001001000010005$RLRQ" --tcp 127.0.0.1:1 "$S/get-clock.xml"

# Settings in the script: client 17, LLS "12345678" (31..38); the AARQ gains 8A 02 07 80
# (requirements: authentication), 8B 07 60 85 74 05 08 02 01 (mechanism LLS) and AC 0A 80 08
# 3132333435363738: 29 + 4 + 9 + 12 = 54 = 36 bytes. The disconnect action: C3 01 C1, class
# 0046, 000060030AFF, method 01, parameters present 01, integer 0F 00. The script's own
# AssociationRequest and ReleaseRequest are left out (stderr says so).
LOW=6036A1090607608574050801018A0207808B0760857405080201AC0A80083132333435363738BE10040E01000000065F1F0400007E1FFFFF
ACT=C301C10046000060030AFF01010F00
dry settings "$LOW
$ACT
$RLRQ" "$S/settings-low.xml"
if grep -qF "2 association or link request(s) of the script left to the machines" "$TMP/settings.err"; then pass
else fail "run settings: the left-out requests are not reported"; fi
# the command line wins: -a None -c 16 gives the plain AARQ again
dry override "$AARQ
$ACT
$RLRQ" -a None -c 16 "$S/settings-low.xml"

# HDLC over TCP: SNRM, the three I-frames, DISC, each decoded whole by `dlmscope decode` with
# the APDUs above inside (no diagnostic on stderr)
dry hdlc "" --hdlc-tcp 127.0.0.1:1 --max-info 64 "$S/get-clock.xml"
hexes hdlc >"$TMP/hdlc.hex"
"$BIN" decode --pdu-only "$TMP/hdlc.hex" >"$TMP/hdlc.dec" 2>"$TMP/hdlc.decerr"
if [ -s "$TMP/hdlc.decerr" ]; then fail "run hdlc: decode says $(head -1 "$TMP/hdlc.decerr")"
elif [ "$(grep -c '^<HDLC\|^<AssociationRequest\|^<GetRequest\|^<ReleaseRequest' "$TMP/hdlc.dec")" != 3 ]; then
    fail "run hdlc: the three APDUs are not in the frames"
else pass; fi
"$BIN" decode "$TMP/hdlc.hex" 2>/dev/null | grep -o 'FrameType Value="[0-9A-F]*"' >"$TMP/hdlc.types"
# SNRM 93, I-frames N(S) 0, 1, 2 with P set and N(R) 0: 10, 32, 54, DISC 53
if [ "$(tr -d '\n' <"$TMP/hdlc.types")" = 'FrameType Value="93"FrameType Value="10"FrameType Value="32"FrameType Value="54"FrameType Value="53"' ]; then pass
else fail "run hdlc: frame types $(tr '\n' ' ' <"$TMP/hdlc.types")"; fi

# Ciphered (LLS with glo ciphering): the AARQ carries a glo-initiate-request (21) under the LN
# ciphered context (arc 3) and the calling title; the GET goes as glo-get-request (C8). The keys
# and the title's bytes are never in what is printed.
EK=000102030405060708090A0B0C0D0E0F
AK=D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF
dry ciphered "" -a low -P 12345678 --ek $EK --ak $AK --client-title 4D4D4D0000000001 "$S/get-clock.xml"
first=$(hexes ciphered | sed -n 1p)
second=$(hexes ciphered | sed -n 2p)
case $first in 60*A109060760857405080103A60A04084D4D4D0000000001*BE*0421*) pass ;; *) fail "run ciphered: AARQ $first" ;; esac
case $second in C8*) pass ;; *) fail "run ciphered: request $second" ;; esac
if grep -qiF "$EK" "$TMP/ciphered.out" "$TMP/ciphered.err" || grep -qiF "$AK" "$TMP/ciphered.out" "$TMP/ciphered.err" ||
    grep -qi "00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F" "$TMP/ciphered.out"; then
    fail "run ciphered: a key is printed"
else pass; fi

# --transcript in a dry run: the frames sent, in socat's form, that decode reads without error
dry transcript "" --tcp 127.0.0.1:1 --transcript "$TMP/t.log" "$S/get-clock.xml"
if grep -q '^> [0-9/]* [0-9:.]*  length=39 from=0 to=38$' "$TMP/t.log" &&
    "$BIN" decode "$TMP/t.log" >"$TMP/t.dec" 2>"$TMP/t.err" && [ ! -s "$TMP/t.err" ] &&
    grep -q '<GetRequest>' "$TMP/t.dec"; then pass
else fail "run transcript: $(head -2 "$TMP/t.log") / $(head -1 "$TMP/t.err")"; fi

echo "runscript: $passed passed, $failed failed"
[ "$failed" = 0 ]
