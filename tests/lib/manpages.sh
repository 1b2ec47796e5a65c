#!/bin/sh
# The manual pages render without a troff warning (-ww: all warnings) at the usual 80 columns:
# a warning is text the reader gets wrong (a quote eaten by a macro, a word hyphenated or a line
# stretched where no space is). groff comes with the build dependencies (Makefile DEPS).
# Usage: manpages.sh PAGE...
if ! command -v groff >/dev/null; then
    echo "manpages: groff not installed (Debian package groff-base)"; exit 1
fi
pass=0
fail=0
for page in "$@"; do
    warnings=$(LC_ALL=C.UTF-8 groff -ww -man -Tutf8 "$page" 2>&1 >/dev/null)
    if [ -z "$warnings" ]; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL manpages: $page"; echo "$warnings" | head -10
    fi
done
echo "manpages: $pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
