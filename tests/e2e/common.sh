# Set-up shared by the CLI test scripts, sourced after setting E2E_NAME:
#     E2E_NAME=encode
#     . "$(dirname "$0")/common.sh"
# (a sourced file sees the script's own arguments). Checks that the one argument is an
# executable and sets
#   BIN      its absolute path
#   ROOT     the top of the source tree
#   TMP      a scratch directory, removed on exit
#   TIMEOUT  "timeout 30" when timeout(1) exists (a hung decoder fails the case), else empty
#   passed, failed  counters, 0
# and the helpers pass, fail MESSAGE (counts, prints "FAIL MESSAGE") and sanitizer_report FILE
# (true when FILE holds an ASan/UBSan report).
# E2E_NAME prefixes the messages and the scratch directory.

set -u

if [ $# -ne 1 ]; then
    echo "usage: $0 BIN" >&2
    exit 2
fi
BIN=$1
case $BIN in
    /*) ;;
    *) BIN=$(pwd)/$BIN ;;
esac
if [ ! -x "$BIN" ]; then
    echo "$E2E_NAME: $BIN is not an executable" >&2
    exit 2
fi

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dlmscope-$E2E_NAME.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT INT TERM

TIMEOUT=
if command -v timeout >/dev/null 2>&1; then
    TIMEOUT="timeout 30"
fi

passed=0
failed=0

pass() {
    passed=$((passed + 1))
}

fail() {
    failed=$((failed + 1))
    echo "FAIL $1"
}

sanitizer_report() {
    grep -E 'runtime error|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer' "$1" >/dev/null 2>&1
}
