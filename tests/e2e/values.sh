#!/bin/sh
# Bytes -> values -> bytes over every APDU of testdata/ and ../shared/corpus/.
#
# Usage: tests/e2e/values.sh BIN CHECK_VALUE
#   BIN          the dlmscope command (it takes the APDUs out of their frames)
#   CHECK_VALUE  the check_value suite (build/VARIANT/tests/check_value)
#
# Every input file (testdata/corpus/*.hex, testdata/golden/*.in, testdata/security/*.hex,
# testdata/demo/*, ../shared/corpus/*.hex) is decoded `--pdu-only` and encoded back: the
# encoder writes one APDU a line, as the decoder found it (ciphered APDUs in their ciphered
# form), and the plaintext of the ciphered APDUs of the golden cases that have keys. That list goes to check_value's "corpus" case (DS_VALUE_APDUS), which decodes each APDU
# to values and, where that had no error, encodes the values back and compares the bytes; it
# also checks that the value decoder finds an error exactly where the XML decoder does.
# Prints "values: N passed, N failed".
E2E_NAME=values
CHECK=${2:?usage: values.sh BIN CHECK_VALUE}
set -- "$1"
. "$(dirname "$0")/common.sh"

list=$TMP/apdus.txt
: >"$list"
files=0
for f in "$ROOT"/testdata/corpus/*.hex "$ROOT"/testdata/golden/*.in "$ROOT"/testdata/security/*.hex \
         "$ROOT"/testdata/demo/* "$ROOT"/../shared/corpus/*.hex "$ROOT"/../../shared/corpus/*.hex; do
    [ -f "$f" ] || continue
    files=$((files + 1))
    $TIMEOUT "$BIN" decode --pdu-only "$f" 2>/dev/null | $TIMEOUT "$BIN" encode 2>/dev/null |
        grep -E '^[0-9A-F]+$' >>"$list"
done
# the plaintext of the ciphered APDUs of the golden cases that come with keys: the elements of
# <Decrypted>, encoded on their own
for args in "$ROOT"/testdata/golden/*.args; do
    grep -q -- '--ek' "$args" || continue
    in=${args%.args}.in
    [ -f "$in" ] || continue
    # shellcheck disable=SC2046 # the options are words
    $TIMEOUT "$BIN" decode --pdu-only --show-keys $(sed 's/--json//' "$args") "$in" >"$TMP/keyed.xml" 2>/dev/null
    { echo '<Messages>'; xmllint --xpath '//Decrypted/*' "$TMP/keyed.xml" 2>/dev/null; echo; echo '</Messages>'; } |
        $TIMEOUT "$BIN" encode 2>/dev/null | grep -E '^[0-9A-F]+$' >>"$list"
done
sort -u "$list" >"$list.u"
n=$(wc -l <"$list.u")
if [ "$n" -lt 100 ]; then
    fail "only $n APDUs found in $files files"
else
    pass
fi
if DS_VALUE_APDUS="$list.u" CK_RUN_CASE=corpus CK_FORK=no "$CHECK" >"$TMP/check.out" 2>&1; then
    pass
else
    fail "check_value corpus:"
    tail -20 "$TMP/check.out"
fi
grep -h '^corpus:' "$TMP/check.out"
echo "values: $passed passed, $failed failed ($n distinct APDUs from $files files)"
[ "$failed" = 0 ]
