#!/bin/sh
# The shared library as a third party sees it: it exports exactly the functions of the public
# headers, and a program built against it with the installed-style include path works.
# Usage: shared.sh BUILD_DIR CC   (BUILD_DIR holds libdlmscope.so)
B=${1:?usage: shared.sh BUILD_DIR CC}
CC=${2:-cc}
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL shared: $*"; }

tests/lib/exports.sh | grep -oE 'ds_[a-z0-9_]+' | sort >"$tmp/public"
nm -D --defined-only "$B/libdlmscope.so" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort >"$tmp/exported"
if cmp -s "$tmp/public" "$tmp/exported"; then ok; else
    ko "exported functions differ from the public headers (< public only, > exported only):"
    diff "$tmp/public" "$tmp/exported" | grep '^[<>]' | head -10
fi
# internal modules stay inside
if grep -q '^ds_wbuf_\|^ds_cur_\|^ds_schema_' "$tmp/exported"; then ko "internal symbols exported"; else ok; fi

ln -sf libdlmscope.so "$B/libdlmscope.so.0"
if "$CC" -std=c11 -Wall -Wextra -Werror -Iinclude tests/lib/use_shared.c -o "$tmp/use_shared" \
    -L"$B" -ldlmscope 2>"$tmp/cc.err"; then ok; else ko "cannot build against the shared library"; cat "$tmp/cc.err"; fi
if [ -x "$tmp/use_shared" ]; then
    echo "7E A0 07 03 A1 93 C3 8D 7E" | LD_LIBRARY_PATH="$B" "$tmp/use_shared" >"$tmp/out" 2>&1
    rc=$?
    if [ "$rc" = 0 ] && grep -q '<Snrm>' "$tmp/out" && grep -q '^version ' "$tmp/out" &&
        LD_LIBRARY_PATH="$B" ldd "$tmp/use_shared" | grep -q "$B/libdlmscope.so.0"; then ok; else
        ko "program on the shared library: exit $rc"; head -5 "$tmp/out"; fi
fi
echo "shared: $pass passed, $fail failed"
[ "$fail" = 0 ]
