#!/bin/sh
# End-to-end tests: runs the dlmscope binary on hand-checked golden cases and
# sweeps the whole corpus for crashes, malformed XML and unexpected diagnostics.
#
# Usage: tests/e2e/run.sh BIN
#
# Golden case NAME (testdata/golden/):
#   NAME.in    input (hex text, log or binary)
#   NAME.args  optional: extra options on one line
#   NAME.xml   expected stdout (optional: without it only the shape is checked)
#   NAME.diag  expected diagnostics, one "code offset" per line in order (missing = none)
#   NAME.rc    optional expected exit status; default 0 when NAME.diag is empty, else 1
# Diagnostic comments are compared without their free-text message.
# Corpus sweep: every testdata/corpus/*.hex with default options and with
# --no-comments --decimal; diagnostic code sets must match testdata/corpus/expect.txt.
#
# Needs only sh, sed, grep, awk, diff, cmp, xmllint and python3 (JSON lines).

E2E_NAME=e2e
. "$(dirname "$0")/common.sh"

GOLDEN=$ROOT/testdata/golden
CORPUS=$ROOT/testdata/corpus

# Drops the free-text message of diagnostic comments: code, offset and place stay.
normalise_xml() {
    sed -E 's/^([[:space:]]*)<!--(error|warning|info) ([^ ]+) offset=([0-9]+)(: .*)?-->$/\1<!--\2 \3 offset=\4-->/' "$1"
}

# "code offset" per JSON diagnostic line, in order; other stderr lines are ignored.
diag_pairs() {
    awk '
    /^[[:space:]]*\{/ {
        code = ""; off = ""
        if (match($0, /"code"[[:space:]]*:[[:space:]]*"[^"]*"/)) {
            s = substr($0, RSTART, RLENGTH)
            sub(/^"code"[[:space:]]*:[[:space:]]*"/, "", s); sub(/"$/, "", s)
            code = s
        }
        if (match($0, /"offset"[[:space:]]*:[[:space:]]*[0-9]+/)) {
            s = substr($0, RSTART, RLENGTH)
            sub(/^"offset"[[:space:]]*:[[:space:]]*/, "", s)
            off = s
        }
        if (code != "") print code " " off
    }' "$1"
}

# Sorted unique codes of the JSON diagnostics on one line.
diag_code_set() {
    diag_pairs "$1" | awk '{print $1}' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# Exit statuses that mean the program did not finish normally.
is_crash() {
    [ "$1" -ge 124 ]
}

json_shape_ok() {
    # every non-empty line is one JSON object, and valid JSON (python3's reader)
    ! grep -v '^$' "$1" | grep -v -E '^\{.*\}$' >/dev/null || return 1
    python3 -c 'import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    if line.strip() and not isinstance(json.loads(line), dict): sys.exit(1)' "$1" 2>/dev/null
}

run_golden() {
    input=$1
    name=$(basename "$input" .in)
    base=$GOLDEN/$name
    out=$TMP/$name.out
    err=$TMP/$name.err
    args=
    if [ -f "$base.args" ]; then
        args=$(sed -n '1p' "$base.args")
    fi
    # shellcheck disable=SC2086  # args are meant to be split into words
    $TIMEOUT "$BIN" decode --diagnostics=json $args "$input" >"$out" 2>"$err"
    rc=$?
    problems=

    if [ -f "$base.diag" ]; then
        grep -v '^[[:space:]]*$' "$base.diag" >"$TMP/$name.diag.want"
    else
        : >"$TMP/$name.diag.want"
    fi
    if [ -f "$base.rc" ]; then
        want_rc=$(sed -n '1p' "$base.rc" | tr -d '[:space:]')
    elif [ -s "$TMP/$name.diag.want" ]; then
        want_rc=1
    else
        want_rc=0
    fi

    if is_crash "$rc"; then
        problems="$problems crash(exit $rc)"
    fi
    if [ "$rc" != "$want_rc" ]; then
        problems="$problems exit-status($rc, want $want_rc)"
    fi
    if sanitizer_report "$err"; then
        problems="$problems sanitizer"
    fi

    case " $args " in
        *" --json "*) json=1 ;;
        *) json=0 ;;
    esac
    if [ $json = 1 ]; then
        if ! json_shape_ok "$out"; then
            problems="$problems json-shape"
        fi
    elif ! xmllint --noout "$out" 2>"$TMP/$name.xmllint"; then
        problems="$problems not-well-formed"
    fi

    xml_diff=
    if [ -f "$base.xml" ]; then
        normalise_xml "$base.xml" >"$TMP/$name.want"
        normalise_xml "$out" >"$TMP/$name.got"
        if ! cmp -s "$TMP/$name.want" "$TMP/$name.got"; then
            problems="$problems stdout"
            xml_diff=1
        fi
    fi

    diag_pairs "$err" >"$TMP/$name.diag.got"
    diag_diff=
    if ! cmp -s "$TMP/$name.diag.want" "$TMP/$name.diag.got"; then
        problems="$problems diagnostics"
        diag_diff=1
    fi

    if [ -z "$problems" ]; then
        pass
        return
    fi
    fail "golden $name:$problems"
    if [ -n "$xml_diff" ]; then
        diff -u "$TMP/$name.want" "$TMP/$name.got" | sed 's/^/    /' | head -n 80
    fi
    if [ -n "$diag_diff" ]; then
        echo "    diagnostics (want / got):"
        diff -u "$TMP/$name.diag.want" "$TMP/$name.diag.got" | sed 's/^/    /'
    fi
    if [ -s "$TMP/$name.xmllint" ]; then
        sed 's/^/    xmllint: /' "$TMP/$name.xmllint" | head -n 5
    fi
    if sanitizer_report "$err"; then
        grep -E 'runtime error|Sanitizer' "$err" | head -n 5 | sed 's/^/    /'
    fi
}

# Expected codes for a corpus vector, sorted and unique; "none" = no diagnostics.
expected_codes() {
    line=$(grep -E "^$1:" "$CORPUS/expect.txt" | sed -n '1p')
    if [ -z "$line" ]; then
        echo "?missing"
        return
    fi
    codes=$(echo "$line" | sed -E 's/^[^:]*:[[:space:]]*//')
    if [ "$codes" = "none" ]; then
        echo ""
        return
    fi
    echo "$codes" | tr ' \t' '\n\n' | grep -v '^$' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

sweep_one() {
    hex=$1
    label=$2
    shift 2
    name=$(basename "$hex" .hex)
    out=$TMP/sweep.out
    err=$TMP/sweep.err
    $TIMEOUT "$BIN" decode --diagnostics=json "$@" "$hex" >"$out" 2>"$err"
    rc=$?
    problems=
    case $rc in
        0|1) ;;
        *) problems="$problems exit-status($rc)" ;;
    esac
    if sanitizer_report "$err"; then
        problems="$problems sanitizer"
    fi
    if ! xmllint --noout "$out" 2>/dev/null; then
        problems="$problems not-well-formed"
    fi
    want=$(expected_codes "$name")
    got=$(diag_code_set "$err")
    if [ "$want" != "$got" ]; then
        problems="$problems diagnostics(want '${want:-none}', got '${got:-none}')"
    fi
    if [ -z "$problems" ]; then
        pass
    else
        fail "corpus $name [$label]:$problems"
        if sanitizer_report "$err"; then
            grep -E 'runtime error|Sanitizer' "$err" | head -n 5 | sed 's/^/    /'
        fi
    fi
}

for input in "$GOLDEN"/*.in; do
    [ -f "$input" ] || continue
    run_golden "$input"
done

if [ ! -f "$CORPUS/expect.txt" ]; then
    fail "corpus: $CORPUS/expect.txt missing"
fi
for hex in "$CORPUS"/*.hex; do
    [ -f "$hex" ] || continue
    sweep_one "$hex" default
    sweep_one "$hex" "no-comments decimal" --no-comments --decimal
done

echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
