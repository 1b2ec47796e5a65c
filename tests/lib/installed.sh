#!/bin/sh
# The library as it is installed: `make install` into a scratch prefix, then tests/lib/use_values.c
# built with nothing but what `pkg-config libdlmscope` says (the .pc file that install writes)
# and run on the installed shared library. Usage: installed.sh CC
CC=${1:-cc}
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL installed: $*"; }

if make --no-print-directory install PREFIX="$tmp/usr" >"$tmp/install.log" 2>&1; then ok; else
    ko "make install failed"; tail -5 "$tmp/install.log"; fi
export PKG_CONFIG_PATH="$tmp/usr/lib/pkgconfig"
if cflags=$(pkg-config --cflags libdlmscope) && libs=$(pkg-config --libs libdlmscope); then ok; else
    ko "pkg-config does not know the installed libdlmscope"; fi
case $cflags in *"$tmp/usr/include"*) ok ;; *) ko "pkg-config --cflags gives '$cflags', not the installed headers" ;; esac
# shellcheck disable=SC2086 # the flags are words
if "$CC" -std=c11 -Wall -Wextra -Werror $cflags tests/lib/use_values.c -o "$tmp/use_values" $libs \
    2>"$tmp/cc.err"; then ok; else ko "cannot build against the installed library"; cat "$tmp/cc.err"; fi
if [ -x "$tmp/use_values" ]; then
    LD_LIBRARY_PATH="$tmp/usr/lib" "$tmp/use_values" >"$tmp/out" 2>&1
    rc=$?
    # worked out by hand: 0x3039 = 12345; the request is REFERENCE.md 3.3's get-request-normal
    # C0 01 IIP AD SEL with AD = 0003 0100010800FF 02
    cat >"$tmp/want" <<'WANT'
response: invoke-id C1, result 0, data type 6, value 12345
request: C0 01 C1 00 03 01 00 01 08 00 FF 02 00
WANT
    if [ "$rc" = 0 ] && cmp -s "$tmp/out" "$tmp/want"; then ok; else
        ko "program on the installed library: exit $rc"; diff "$tmp/want" "$tmp/out" | head -5; fi
    if LD_LIBRARY_PATH="$tmp/usr/lib" ldd "$tmp/use_values" | grep -q "$tmp/usr/lib/libdlmscope.so"; then ok; else
        ko "the program does not use the installed shared library"; fi
fi
echo "installed: $pass passed, $fail failed"
[ "$fail" = 0 ]
