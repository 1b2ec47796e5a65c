#!/bin/sh
# Prints the linker version script of libdlmscope.so: the functions declared in the public
# headers (include/dlmscope/*.h) are global, everything else is local, so that the internal
# modules (wbuf, cursor, schema walker ...) are not part of the shared library's ABI.
# Usage: exports.sh > build/release/libdlmscope.map
set -e
# (static inline helpers are not exported: they are compiled into the caller)
names=$(grep -hoE '^[A-Za-z_][A-Za-z0-9_ *]*[ *]ds_[a-z0-9_]+\(' include/dlmscope/*.h | grep -v '^static' |
        grep -oE 'ds_[a-z0-9_]+\($' | tr -d '(' | sort -u)
[ -n "$names" ] || { echo "exports.sh: no public function found in include/dlmscope/" >&2; exit 1; }
echo "LIBDLMSCOPE_0 {"
echo "  global:"
for n in $names; do echo "    $n;"; done
echo "  local: *;"
echo "};"
