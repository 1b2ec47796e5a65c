#!/bin/sh
# Runs each Check suite binary; fails if any fails. Usage: run-units.sh LABEL BIN...
label=$1; shift
status=0
for t in "$@"; do
    echo "-- [$label] $(basename "$t")"
    CK_FORK=yes "$t" || status=1
done
exit $status
