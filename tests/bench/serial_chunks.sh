#!/bin/sh
# Setting verdicts on bytes that are not a serial capture: 1500-byte chunks of program files and of
# random data, each given to `dlmscope diagnose` untold and told 2400:8N1. Any serial.baud-mismatch,
# parity-mismatch, data-bits-mismatch or inverted here is a false verdict (the count should be 0).
# Usage: tests/bench/serial_chunks.sh [DLMSCOPE [FILES [RANDOM]]]  (defaults: build/release/dlmscope,
# the first 180 files of /usr/bin of 8 KB or more in name order, 40 random chunks)
set -u
bin=${1:-build/release/dlmscope}
nfiles=${2:-180}
nrandom=${3:-40}
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
chunks=0
false_verdicts=0
judge() { # $1: chunk file, $2: label
    for told in "" "--serial 2400:8N1"; do
        chunks=$((chunks + 1))
        # shellcheck disable=SC2086
        code=$("$bin" diagnose --json $told "$1" 2>/dev/null | grep -o '"code": "serial\.[a-z-]*"' | head -n 1)
        case $code in
        *baud-mismatch* | *parity-mismatch* | *data-bits-mismatch* | *inverted*)
            false_verdicts=$((false_verdicts + 1))
            echo "false verdict: $2 ${told:-untold}: $code"
            ;;
        esac
    done
}
i=0
for f in $(ls /usr/bin | sort); do
    p=/usr/bin/$f
    [ -f "$p" ] && [ "$(wc -c < "$p")" -ge 8192 ] || continue
    i=$((i + 1))
    [ "$i" -le "$nfiles" ] || break
    dd if="$p" of="$tmp/chunk" bs=1500 skip=3 count=1 2>/dev/null
    judge "$tmp/chunk" "$p (bytes 4500..5999)"
done
k=0
while [ "$k" -lt "$nrandom" ]; do
    k=$((k + 1))
    dd if=/dev/urandom of="$tmp/chunk" bs=1500 count=1 2>/dev/null
    judge "$tmp/chunk" "random chunk $k"
done
echo "chunks judged: $chunks ($((i < nfiles ? i : nfiles)) program files, $nrandom random, untold and told), false setting verdicts: $false_verdicts"
