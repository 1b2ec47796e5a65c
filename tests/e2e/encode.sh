#!/bin/sh
# Hand-made cases for `dlmscope encode`: value ranges, error paths, number
# conventions and link framing (testdata/encode/, described in its README.md).
#
# Usage: tests/e2e/encode.sh BIN
#
# Case NAME:
#   NAME.xml   input, passed as a file argument
#   NAME.args  optional: options on one line (split into words)
#   NAME.hex   expected stdout, compared exactly; missing = stdout must be empty
#   NAME.err   optional: "line N" = stderr holds "NAME.xml:N:"; any other line =
#              a substring stderr must hold. Without it, a case with exit 0 must
#              leave stderr empty.
#   NAME.rc    expected exit status; missing = 0
#
# Prints "encode: N passed, N failed"; exits 1 when something failed.

E2E_NAME=encode
. "$(dirname "$0")/common.sh"

CASES=$ROOT/testdata/encode

# Checks stderr against NAME.err; prints the problems found (nothing = fine).
check_stderr() {
    errfile=$1
    want=$2
    xmlname=$3
    # Substrings are looked for in the message without the file name, which
    # could itself contain them.
    awk -v p="$xmlname" '{
        while ((i = index($0, p)) > 0) $0 = substr($0, 1, i - 1) substr($0, i + length(p))
        print
    }' "$errfile" >"$errfile.text"
    while IFS= read -r line || [ -n "$line" ]; do
        case $line in
            '') ;;
            'line '*)
                n=${line#line }
                if ! grep -qF -- "$xmlname:$n:" "$errfile"; then
                    printf ' stderr-line(want %s)' "$n"
                fi
                ;;
            *)
                if ! grep -qF -- "$line" "$errfile.text"; then
                    printf " stderr(no '%s')" "$line"
                fi
                ;;
        esac
    done <"$want"
}

run_case() {
    xml=$1
    name=$(basename "$xml" .xml)
    base=$CASES/$name
    out=$TMP/$name.out
    err=$TMP/$name.err
    args=
    if [ -f "$base.args" ]; then
        args=$(sed -n '1p' "$base.args")
    fi
    want_rc=0
    if [ -f "$base.rc" ]; then
        want_rc=$(sed -n '1p' "$base.rc" | tr -d '[:space:]')
    fi
    # shellcheck disable=SC2086  # args are meant to be split into words
    $TIMEOUT "$BIN" encode $args "$xml" >"$out" 2>"$err"
    rc=$?
    problems=

    if [ "$rc" != "$want_rc" ]; then
        problems="$problems exit-status($rc, want $want_rc)"
    fi
    if sanitizer_report "$err"; then
        problems="$problems sanitizer"
    fi
    stdout_diff=
    if [ -f "$base.hex" ]; then
        if ! cmp -s "$base.hex" "$out"; then
            problems="$problems stdout"
            stdout_diff=1
        fi
    elif [ -s "$out" ]; then
        problems="$problems stdout(want none)"
        stdout_diff=1
    fi
    if [ -f "$base.err" ]; then
        # The message names the file as given on the command line.
        p=$(check_stderr "$err" "$base.err" "$xml")
        problems="$problems$p"
    elif [ "$want_rc" = 0 ] && [ -s "$err" ]; then
        problems="$problems stderr(want none)"
    fi
    if [ "$want_rc" != 0 ] && [ ! -s "$err" ]; then
        problems="$problems no-message"
    fi

    if [ -z "$problems" ]; then
        passed=$((passed + 1))
        return
    fi
    failed=$((failed + 1))
    echo "FAIL encode $name:$problems"
    if [ -n "$stdout_diff" ]; then
        if [ -f "$base.hex" ]; then
            diff "$base.hex" "$out" | sed 's/^/    /' | head -n 20
        else
            head -n 5 "$out" | sed 's/^/    got: /'
        fi
    fi
    if [ -s "$err" ]; then
        head -n 5 "$err" | sed 's/^/    stderr: /'
    fi
}

for xml in "$CASES"/*.xml; do
    [ -f "$xml" ] || continue
    run_case "$xml"
done

# stdin and the output options, on the simplest case
clock=$CASES/apdu-clock.xml
want=C001C100080000010000FF0200
if got=$($TIMEOUT "$BIN" encode <"$clock" 2>"$TMP/stdin.err") && [ "$got" = "$want" ]; then
    passed=$((passed + 1))
else
    failed=$((failed + 1)); echo "FAIL encode stdin: got '$got'"
fi
if $TIMEOUT "$BIN" encode -o "$TMP/o.hex" "$clock" >"$TMP/o.stdout" 2>"$TMP/o.err" &&
    [ "$(cat "$TMP/o.hex" 2>/dev/null)" = "$want" ] && [ ! -s "$TMP/o.stdout" ]; then
    passed=$((passed + 1))
else
    failed=$((failed + 1)); echo "FAIL encode -o: file or stdout wrong"
fi
# --binary: the same 13 bytes raw; compared through od so that no hex tool is needed
if $TIMEOUT "$BIN" encode --binary "$clock" >"$TMP/bin.out" 2>"$TMP/bin.err"; then
    gotbin=$(od -An -v -tx1 "$TMP/bin.out" | tr -d ' \n' | tr 'a-f' 'A-F')
else
    gotbin="exit $?"
fi
if [ "$gotbin" = "$want" ]; then
    passed=$((passed + 1))
else
    failed=$((failed + 1)); echo "FAIL encode --binary: got '$gotbin'"
fi

# XML errors: the line in the message is the one xmllint gives for the same file
if command -v xmllint >/dev/null 2>&1; then
    for xml in "$CASES"/xml-error-*.xml; do
        name=$(basename "$xml" .xml)
        want=$(xmllint --noout "$xml" 2>&1 | sed -n 's/^.*\.xml:\([0-9][0-9]*\): parser error.*$/\1/p' | head -n 1)
        $TIMEOUT "$BIN" encode "$xml" >/dev/null 2>"$TMP/$name.lint.err"
        if [ -n "$want" ] && grep -qF -- "$xml:$want:" "$TMP/$name.lint.err"; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1)); echo "FAIL encode $name: xmllint says line '$want', we say: $(head -n 1 "$TMP/$name.lint.err")"
        fi
    done
fi
# a directory is not read as XML, and says so
mkdir -p "$TMP/a-directory"
if ! $TIMEOUT "$BIN" encode "$TMP/a-directory" >"$TMP/dir.out" 2>"$TMP/dir.err" && [ ! -s "$TMP/dir.out" ] &&
    grep -q "is a directory" "$TMP/dir.err"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1)); echo "FAIL encode directory: $(head -n 1 "$TMP/dir.err")"
fi

echo "encode: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
