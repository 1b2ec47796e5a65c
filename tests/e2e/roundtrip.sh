#!/bin/sh
# Round trips between `dlmscope decode` and `dlmscope encode`.
#
# Usage: tests/e2e/roundtrip.sh BIN
#
# 1. Corpus: every testdata/corpus/*.hex that decodes without diagnostics
#    (`decode --diagnostics=json F` exits 0 with an empty stderr) is piped
#    `decode [OPT] F | encode` with OPT = none, --decimal, --no-comments, --standard-xml; the
#    output lines, concatenated, must equal the input hex (white space removed,
#    compared case-insensitively), and every output line must be uppercase hex.
# 2. Goldens: every testdata/golden/NAME.xml whose case has no diagnostics
#    (no or empty NAME.diag, exit status 0) is piped
#    `encode NAME.xml | decode --no-comments ARGS`, ARGS = the case's options
#    without the input-forcing ones (--hex, --binary, --format) and without
#    --no-comments/--diagnostics; the result must equal NAME.xml. Both sides
#    lose their comment lines (<!--...--> alone on a line) and the Direction="...",
#    Time="...", From="..." and To="..." attributes, which come from log text or from a
#    capture's packets and not from the frame bytes.
#    Skipped (listed in the output): --json cases (not XML) and --pdu-only cases
#    (the envelope, and so the bytes, are not in the XML); cases without .xml.
#    Documents holding several bare APDUs come back as one APDU a line, and each
#    line is a record of its own (input-apdu-lines, input-labels).
# 3. XmlClient scripts: `encode --decimal testdata/xmlclient/X.xml` prints exactly X.hex.
# 4. Malformed APDUs: every corpus vector and every golden case with plain hex input whose
#    diagnostics are all about the APDU (apdu.*, data.*; not frame.*, whose broken frames the
#    encoder does not rebuild) is piped `decode [ARGS] F | encode`; the output must be the input
#    bytes, the undecoded rest being written back where the decoder stopped (<Undecoded>).
#
# The hand-made encode cases of testdata/encode/ are in tests/e2e/encode.sh.
# Prints "roundtrip: N passed, N failed"; exits 1 when something failed.

E2E_NAME=roundtrip
. "$(dirname "$0")/common.sh"

CORPUS=$ROOT/testdata/corpus
GOLDEN=$ROOT/testdata/golden
XMLCLIENT=$ROOT/testdata/xmlclient

skipped=0

skip() {
    skipped=$((skipped + 1))
    echo "skip $1"
}

# Hex digits of a file, white space removed, upper case.
hex_of() {
    tr -d ' \t\r\n' <"$1" | tr 'a-f' 'A-F'
}

# ---- 1. corpus: decode | encode gives the input bytes back ----

corpus_one() {
    hex=$1
    label=$2
    shift 2
    name=$(basename "$hex" .hex)
    # Exit status of the pipeline's two halves, without pipefail (not POSIX).
    { $TIMEOUT "$BIN" decode "$@" "$hex" 2>"$TMP/dec.err"; echo $? >"$TMP/dec.rc"; } |
        $TIMEOUT "$BIN" encode >"$TMP/enc.out" 2>"$TMP/enc.err"
    erc=$?
    drc=$(cat "$TMP/dec.rc")
    problems=
    if [ "$drc" != 0 ]; then
        problems="$problems decode-exit($drc)"
    fi
    if [ "$erc" != 0 ]; then
        problems="$problems encode-exit($erc)"
    fi
    if sanitizer_report "$TMP/dec.err" || sanitizer_report "$TMP/enc.err"; then
        problems="$problems sanitizer"
    fi
    if grep -v -E '^[0-9A-F]+$' "$TMP/enc.out" >/dev/null; then
        problems="$problems format(not one uppercase hex run per line)"
    fi
    want=$(hex_of "$hex")
    got=$(hex_of "$TMP/enc.out")
    if [ "$want" != "$got" ]; then
        problems="$problems bytes"
    fi
    if [ -z "$problems" ]; then
        pass
        return
    fi
    fail "corpus $name [$label]:$problems"
    if [ "$want" != "$got" ]; then
        echo "    want $(printf '%s' "$want" | cut -c1-160)"
        echo "    got  $(printf '%s' "$got" | cut -c1-160)"
    fi
    head -n 3 "$TMP/enc.err" | sed 's/^/    encode: /'
}

for hex in "$CORPUS"/*.hex; do
    [ -f "$hex" ] || continue
    name=$(basename "$hex" .hex)
    $TIMEOUT "$BIN" decode --diagnostics=json "$hex" >/dev/null 2>"$TMP/probe.err"
    rc=$?
    if [ "$rc" != 0 ] || [ -s "$TMP/probe.err" ]; then
        skipped=$((skipped + 1)) # has diagnostics: not expected to round-trip
        continue
    fi
    corpus_one "$hex" default
    corpus_one "$hex" decimal --decimal
    corpus_one "$hex" no-comments --no-comments
    corpus_one "$hex" standard-xml --standard-xml
done

# ---- 2. goldens: encode | decode gives the golden XML back ----

# Golden XML without comment lines and without the log-only attributes.
strip_xml() {
    grep -v -E '^[[:space:]]*<!--.*-->[[:space:]]*$' "$1" |
        sed -E 's/ (Direction|Time|From|To)="[^"]*"//g'
}

# The case's options minus the ones about the input and about comments/diagnostics.
decode_args() {
    set -f
    # shellcheck disable=SC2046  # split into words on purpose
    set -- $(sed -n '1p' "$1")
    set +f
    out=
    while [ $# -gt 0 ]; do
        case $1 in
            --hex|--binary|--no-comments) ;;
            --format|--diagnostics) shift ;;
            --format=*|--diagnostics=*) ;;
            *) out="$out $1" ;;
        esac
        shift
    done
    echo "$out"
}

golden_one() {
    xml=$1
    name=$(basename "$xml" .xml)
    base=$GOLDEN/$name
    args=
    if [ -f "$base.args" ]; then
        args=$(decode_args "$base.args")
        case " $(sed -n '1p' "$base.args") " in
            *" --json "*) skip "golden $name: --json output is not XML"; return ;;
            *" --pdu-only "*) skip "golden $name: --pdu-only drops the envelope, so not the same bytes"; return ;;
        esac
    fi
    if [ -f "$base.diag" ] && grep -q '[^[:space:]]' "$base.diag"; then
        skip "golden $name: has diagnostics"
        return
    fi
    if [ -f "$base.rc" ] && [ "$(tr -d '[:space:]' <"$base.rc")" != 0 ]; then
        skip "golden $name: exit status not 0"
        return
    fi
    # One frame or APDU per line; a blank line after each makes each line its own record, so
    # that several bare APDUs are not read as one (hex lines without a prefix continue a record).
    # shellcheck disable=SC2086  # args are meant to be split into words
    { $TIMEOUT "$BIN" encode "$xml" 2>"$TMP/enc.err"; echo $? >"$TMP/enc.rc"; } | sed G |
        $TIMEOUT "$BIN" decode --no-comments $args >"$TMP/dec.out" 2>"$TMP/dec.err"
    drc=$?
    erc=$(cat "$TMP/enc.rc")
    problems=
    if [ "$erc" != 0 ]; then
        problems="$problems encode-exit($erc)"
    fi
    if [ "$drc" != 0 ]; then
        problems="$problems decode-exit($drc)"
    fi
    if sanitizer_report "$TMP/dec.err" || sanitizer_report "$TMP/enc.err"; then
        problems="$problems sanitizer"
    fi
    strip_xml "$xml" >"$TMP/want.xml"
    strip_xml "$TMP/dec.out" >"$TMP/got.xml"
    xml_diff=
    if ! cmp -s "$TMP/want.xml" "$TMP/got.xml"; then
        problems="$problems xml"
        xml_diff=1
    fi
    if [ -z "$problems" ]; then
        pass
        return
    fi
    fail "golden $name:$problems"
    if [ -n "$xml_diff" ]; then
        diff -u "$TMP/want.xml" "$TMP/got.xml" | sed 's/^/    /' | head -n 40
    fi
    head -n 3 "$TMP/enc.err" | sed 's/^/    encode: /'
    head -n 3 "$TMP/dec.err" | sed 's/^/    decode: /'
}

for input in "$GOLDEN"/*.in; do
    [ -f "$input" ] || continue
    xml=${input%.in}.xml
    if [ ! -f "$xml" ]; then
        skip "golden $(basename "$input" .in): no expected XML"
        continue
    fi
    golden_one "$xml"
done

# ---- 3. XmlClient scripts (decimal) give the hand-computed APDUs ----

for xml in "$XMLCLIENT"/*.xml; do
    [ -f "$xml" ] || continue
    name=$(basename "$xml" .xml)
    $TIMEOUT "$BIN" encode --decimal "$xml" >"$TMP/xc.out" 2>"$TMP/xc.err"
    rc=$?
    if [ "$rc" = 0 ] && cmp -s "$XMLCLIENT/$name.hex" "$TMP/xc.out" && [ ! -s "$TMP/xc.err" ]; then
        pass
    else
        fail "xmlclient $name: exit $rc"
        diff "$XMLCLIENT/$name.hex" "$TMP/xc.out" | sed 's/^/    /' | head -n 10
        head -n 3 "$TMP/xc.err" | sed 's/^/    stderr: /'
    fi
done

# ---- 4. malformed APDUs: decode | encode gives the input bytes back ----

# 0 when every diagnostic code of `decode --diagnostics=json` is an APDU one, and there is one.
apdu_errors_only() {
    codes=$(grep -o '"code": *"[^"]*"' "$1" | sed 's/"code": *"//; s/"$//')
    [ -n "$codes" ] || return 1
    for code in $codes; do
        case $code in apdu.*|data.*) ;; *) return 1 ;; esac
    done
    return 0
}

malformed_one() {
    src=$1
    label=$2
    shift 2
    { $TIMEOUT "$BIN" decode "$@" "$src" 2>/dev/null; } | $TIMEOUT "$BIN" encode >"$TMP/enc.out" 2>"$TMP/enc.err"
    want=$(grep -v '^#' "$src" | tr -d ' \t\r\n' | tr 'a-f' 'A-F')
    got=$(hex_of "$TMP/enc.out")
    if [ "$want" = "$got" ] && ! sanitizer_report "$TMP/enc.err"; then
        pass
        return
    fi
    fail "malformed $label"
    echo "    want $(printf '%s' "$want" | cut -c1-160)"
    echo "    got  $(printf '%s' "$got" | cut -c1-160)"
    head -n 3 "$TMP/enc.err" | sed 's/^/    encode: /'
}

for hex in "$CORPUS"/*.hex; do
    [ -f "$hex" ] || continue
    $TIMEOUT "$BIN" decode --diagnostics=json "$hex" >/dev/null 2>"$TMP/probe.err"
    apdu_errors_only "$TMP/probe.err" || continue
    malformed_one "$hex" "corpus $(basename "$hex" .hex)"
    malformed_one "$hex" "corpus $(basename "$hex" .hex) [no-comments]" --no-comments
    malformed_one "$hex" "corpus $(basename "$hex" .hex) [decimal]" --decimal
done

for input in "$GOLDEN"/*.in; do
    [ -f "$input" ] || continue
    base=${input%.in}
    name=$(basename "$base")
    [ -s "$base.diag" ] || continue
    grep -q -v -E '^(#.*|[0-9A-Fa-f[:space:]]*)$' "$input" && continue # only plain hex input
    args=
    [ -f "$base.args" ] && args=$(decode_args "$base.args")
    case " $(sed -n '1p' "$base.args" 2>/dev/null) " in *" --json "*|*" --pdu-only "*|*" --format "*) continue ;; esac
    # shellcheck disable=SC2086  # args are meant to be split into words
    $TIMEOUT "$BIN" decode --diagnostics=json $args "$input" >/dev/null 2>"$TMP/probe.err"
    apdu_errors_only "$TMP/probe.err" || continue
    # shellcheck disable=SC2086
    malformed_one "$input" "golden $name" $args
done

# Hand-made ones: trailing bytes (raw and after an LLC header), a structure cut inside a nested
# array (both counts from Qty), an LLC header before no APDU or an unknown tag, a BER field
# whose value holds an unknown APDU, an absent-optional run, a wrong presence flag.
for h in C501C100FFEE E6E600C501C100FFEE C401C1000203010103 E6E600 E6E6009901C1 \
    6012A109060760857405080101BE050403FF0102 01000000 C701C10402 C301C10046000060030AFF010F00; do
    printf '%s\n' "$h" >"$TMP/hand.hex"
    malformed_one "$TMP/hand.hex" "hand-made $h"
done

echo "roundtrip: $skipped skipped (corpus vectors with diagnostics, golden cases listed above)"
echo "roundtrip: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
