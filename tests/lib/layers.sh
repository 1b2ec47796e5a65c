#!/bin/sh
# The modules of src/ include each other only downwards, in the order of src/README.md:
#
#     util < names < input < sinks < event < apdu < link < security < core < capture < port < encode < diagnose < conn
#     < client < meter < cli
#
# A file in src/M/ may include "M/x.h", "dlmscope/x.h" (the public API) and "L/x.h" of any module
# L below M; src/cli/ only the public API. Every #include "dir/x.h" in src/ is checked; a module
# that is not in the order fails too (place it first). Usage: layers.sh [SRC_DIR]  (default src)
SRC=${1:-src}
ORDER="util names input sinks event apdu link security core capture port encode diagnose conn client meter cli"
# No exceptions: an include against the order is fixed by moving code, not by listing it here.

rank() {
    r=0
    for m in $ORDER; do
        r=$((r + 1))
        if [ "$m" = "$1" ]; then echo "$r"; return; fi
    done
    echo 0
}

pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for dir in "$SRC"/*/; do
    module=$(basename "$dir")
    if [ "$(rank "$module")" = 0 ]; then
        fail=$((fail + 1)); echo "FAIL layers: $SRC/$module is not in the order of tests/lib/layers.sh and src/README.md"
    fi
done

# one "FILE LINE HEADER" per include of a module header
for file in "$SRC"/*/*.c "$SRC"/*/*.h; do
    [ -f "$file" ] || continue
    sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([a-z_0-9]*\/[^"]*\)".*/\1/p; s/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"/]*\)".*/\1/p' "$file" |
        while read -r header; do echo "$file $header"; done
done >"$tmp/includes"

while read -r file header; do
    from=$(basename "$(dirname "$file")")
    case $header in
        */*) to=${header%%/*} ;;
        *) fail=$((fail + 1)); echo "FAIL layers: $file includes \"$header\" without its module directory"; continue ;;
    esac
    if [ "$to" = dlmscope ] || [ "$to" = "$from" ]; then pass=$((pass + 1)); continue; fi
    rf=$(rank "$from"); rt=$(rank "$to")
    if [ "$from" != cli ] && [ "$rt" -gt 0 ] && [ "$rt" -lt "$rf" ]; then pass=$((pass + 1)); continue; fi
    fail=$((fail + 1))
    if [ "$from" = cli ]; then
        echo "FAIL layers: $file includes \"$header\": the command line uses the public API (dlmscope/) only"
    else
        echo "FAIL layers: $file includes \"$header\": $from may include only modules below it (lowest first: $ORDER)"
    fi
done <"$tmp/includes"

echo "layers: $pass passed, $fail failed"
[ "$fail" = 0 ]
