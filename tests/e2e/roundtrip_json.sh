#!/bin/sh
# Round trips through JSON: bytes -> `dlmscope decode --json` -> `dlmscope encode` -> bytes,
# the JSON twin of roundtrip.sh.
#
# Usage: tests/e2e/roundtrip_json.sh BIN
#
# 1. Corpus: every testdata/corpus/*.hex (and every file of $DLMSCOPE_SHARED_CORPUS, default
#    ../shared/corpus beside the checkout, when it exists and holds other bytes) is piped
#    `decode --json F | encode`; the output lines, concatenated, must equal the input hex.
#    Vectors whose decode has frame-level diagnostics (frame.*, input.*, ...: broken frames the
#    encoder does not rebuild) are skipped and counted, as in roundtrip.sh; those whose
#    diagnostics are all about the APDU (apdu.*, data.*) must come back exactly as well.
# 2. Goldens: every testdata/golden/NAME.in with the case's decode options (ARGS, as in
#    roundtrip.sh) and no frame-level diagnostics. Plain hex input: `decode --json ARGS | encode`
#    must give the input bytes. Other input (logs, dumps, binary): the bytes are compared through
#    the XML, `decode --json ARGS IN | encode | decode ARGS` against `decode ARGS IN`, both
#    without comments and without the Direction/Time/From/To attributes (log text or capture packets, not frame bytes). --pdu-only cases are
#    skipped (the envelope is not in the output).
# 3. Every JSON output of 1 and 2 is read with python3's json: one object per line.
#
# Prints "roundtrip-json: N passed, N failed"; exits 1 when something failed.

E2E_NAME=roundtrip-json
. "$(dirname "$0")/common.sh"

CORPUS=$ROOT/testdata/corpus
GOLDEN=$ROOT/testdata/golden
SHARED=${DLMSCOPE_SHARED_CORPUS:-$ROOT/../shared/corpus}

skipped=0
JSON_DIR=$TMP/json
mkdir -p "$JSON_DIR"

# Hex digits of a file, '#' comment lines and white space removed, upper case.
hex_of() {
    grep -v '^#' "$1" | tr -d ' \t\r\n' | tr 'a-f' 'A-F'
}

# 0 when the probe's diagnostics are all about APDUs (or there are none).
apdu_level_only() {
    codes=$(grep -o '"code": *"[^"]*"' "$1" | sed 's/"code": *"//; s/"$//')
    for code in $codes; do
        case $code in apdu.*|data.*) ;; *) return 1 ;; esac
    done
    return 0
}

# decode --json F [ARGS] | encode, the bytes compared with the input hex.
bytes_one() {
    src=$1
    label=$2
    shift 2
    n=$((passed + failed + skipped))
    $TIMEOUT "$BIN" decode --json "$@" "$src" >"$JSON_DIR/$n.json" 2>"$TMP/dec.err"
    $TIMEOUT "$BIN" encode "$JSON_DIR/$n.json" >"$TMP/enc.out" 2>"$TMP/enc.err"
    erc=$?
    problems=
    if [ "$erc" != 0 ]; then
        problems="$problems encode-exit($erc)"
    fi
    if sanitizer_report "$TMP/dec.err" || sanitizer_report "$TMP/enc.err"; then
        problems="$problems sanitizer"
    fi
    want=$(hex_of "$src")
    got=$(hex_of "$TMP/enc.out")
    if [ "$want" != "$got" ]; then
        problems="$problems bytes"
    fi
    if [ -z "$problems" ]; then
        pass
        return
    fi
    fail "$label:$problems"
    echo "    want $(printf '%s' "$want" | cut -c1-160)"
    echo "    got  $(printf '%s' "$got" | cut -c1-160)"
    head -n 3 "$TMP/enc.err" | sed 's/^/    encode: /'
}

# ---- 1. corpus ----

corpus_dir() {
    dir=$1
    for hex in "$dir"/*.hex; do
        [ -f "$hex" ] || continue
        name=$(basename "$hex" .hex)
        if [ "$dir" != "$CORPUS" ] && [ -f "$CORPUS/$name.hex" ] && cmp -s "$hex" "$CORPUS/$name.hex"; then
            continue # the same vector as the project's copy: already done
        fi
        $TIMEOUT "$BIN" decode --diagnostics=json "$hex" >/dev/null 2>"$TMP/probe.err"
        if ! apdu_level_only "$TMP/probe.err"; then
            skipped=$((skipped + 1)) # a broken frame: not rebuilt by the encoder
            continue
        fi
        bytes_one "$hex" "corpus $name"
    done
}

corpus_dir "$CORPUS"
if [ -d "$SHARED" ]; then
    corpus_dir "$SHARED"
fi

# ---- 2. goldens ----

# The case's options minus the ones about the input and about comments/diagnostics/output.
decode_args() {
    set -f
    # shellcheck disable=SC2046  # split into words on purpose
    set -- $(sed -n '1p' "$1")
    set +f
    out=
    while [ $# -gt 0 ]; do
        case $1 in
            --hex|--binary|--no-comments|--json|--standard-xml|--decimal) ;;
            --format|--diagnostics) shift ;;
            --format=*|--diagnostics=*) ;;
            *) out="$out $1" ;;
        esac
        shift
    done
    echo "$out"
}

strip_xml() {
    grep -v -E '^[[:space:]]*<!--.*-->[[:space:]]*$' "$1" | sed -E 's/ (Direction|Time|From|To)="[^"]*"//g'
}

golden_one() {
    input=$1
    base=${input%.in}
    name=$(basename "$base")
    args=
    [ -f "$base.args" ] && args=$(decode_args "$base.args")
    case " $(sed -n '1p' "$base.args" 2>/dev/null) " in
        *" --pdu-only "*) skip_case "golden $name: --pdu-only drops the envelope"; return ;;
    esac
    # shellcheck disable=SC2086  # args are meant to be split into words
    $TIMEOUT "$BIN" decode --diagnostics=json $args "$input" >/dev/null 2>"$TMP/probe.err"
    if ! apdu_level_only "$TMP/probe.err"; then
        skipped=$((skipped + 1))
        return
    fi
    if ! grep -q -v -E '^(#.*|[0-9A-Fa-f[:space:]]*)$' "$input"; then
        # shellcheck disable=SC2086
        bytes_one "$input" "golden $name" $args
        return
    fi
    n=$((passed + failed + skipped))
    # shellcheck disable=SC2086
    $TIMEOUT "$BIN" decode --json $args "$input" >"$JSON_DIR/$n.json" 2>"$TMP/dec.err"
    # shellcheck disable=SC2086
    { $TIMEOUT "$BIN" encode "$JSON_DIR/$n.json" 2>"$TMP/enc.err"; echo $? >"$TMP/enc.rc"; } | sed G |
        $TIMEOUT "$BIN" decode --no-comments $args >"$TMP/back.xml" 2>/dev/null
    # shellcheck disable=SC2086
    $TIMEOUT "$BIN" decode --no-comments $args "$input" >"$TMP/direct.xml" 2>/dev/null
    strip_xml "$TMP/back.xml" >"$TMP/back.s"
    strip_xml "$TMP/direct.xml" >"$TMP/direct.s"
    erc=$(cat "$TMP/enc.rc")
    if [ "$erc" = 0 ] && cmp -s "$TMP/back.s" "$TMP/direct.s" && ! sanitizer_report "$TMP/enc.err"; then
        pass
        return
    fi
    fail "golden $name (through XML): encode exit $erc"
    diff -u "$TMP/direct.s" "$TMP/back.s" | sed 's/^/    /' | head -n 30
    head -n 3 "$TMP/enc.err" | sed 's/^/    encode: /'
}

skip_case() {
    skipped=$((skipped + 1))
    echo "skip $1"
}

for input in "$GOLDEN"/*.in; do
    [ -f "$input" ] || continue
    golden_one "$input"
done

# ---- 3. every JSON line above is JSON ----

if python3 -c 'import json, os, sys
bad = 0
for name in sorted(os.listdir(sys.argv[1])):
    with open(os.path.join(sys.argv[1], name), encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            try:
                if not isinstance(json.loads(line), dict): raise ValueError("not an object")
            except ValueError as e:
                bad += 1
                print("    %s:%d: %s" % (name, no, e))
sys.exit(1 if bad else 0)' "$JSON_DIR"; then
    pass
else
    fail "JSON output that python3 cannot read (above)"
fi

echo "roundtrip-json: $skipped skipped (frame-level diagnostics, --pdu-only)"
echo "roundtrip-json: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
