#!/bin/sh
# Load: CLIENTS `dlmscope run` clients at once against one `dlmscope emulate` (testdata/emulate/
# meter.xml) over loopback TCP with the wrapper, each with its own association (client 16) and a
# script of GETS GETs of the +A register's value. Every answer is checked: each run exits 0,
# says "ok" for every step, and prints the value GETS times (UInt32 123456 = 0001E240, from the
# model, worked out by hand); nothing is lost: CLIENTS * GETS values in all. Prints the requests
# per second (all GETs over the wall time from the first start to the last end, associations
# included) and the emulator's peak RSS (VmHWM of /proc/PID/status, read before it is stopped).
# Every wait is bounded: each run by `timeout 120`, the emulator's first line 5 s.
#
# Usage: tests/e2e/load.sh BIN [CLIENTS [GETS]]   (default 50 x 100, make check; make bench: 50 x 1000)
E2E_NAME=load
CLIENTS=${2:-50}
GETS=${3:-100}
set -- "$1"
. "$(dirname "$0")/common.sh"
[ -n "$TIMEOUT" ] && TIMEOUT="timeout 120"

MODEL=$ROOT/testdata/emulate/meter.xml
PIDS=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT INT TERM

{
    echo '<?xml version="1.0" encoding="utf-8"?>'
    echo '<Messages>'
    i=0
    while [ "$i" -lt "$GETS" ]; do
        echo '  <GetRequest><GetRequestNormal><InvokeIdAndPriority Value="193" /><AttributeDescriptor><ClassId Value="3" /><InstanceId Value="0100010800FF" /><AttributeId Value="2" /></AttributeDescriptor></GetRequestNormal></GetRequest>'
        i=$((i + 1))
    done
    echo '</Messages>'
} >"$TMP/gets.xml"

"$BIN" emulate --model "$MODEL" --tcp 0 >"$TMP/emu.out" 2>&1 &
EMU=$!
PIDS=$EMU
PORT=
for _ in $(seq 50); do
    PORT=$(sed -n 's/^listening on tcp 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/emu.out")
    [ -n "$PORT" ] && break
    sleep 0.1
done
[ -n "$PORT" ] || { fail "emulate --tcp 0: no listening line: $(head -2 "$TMP/emu.out")"; exit 1; }

start=$(date +%s.%N)
runs=
c=1
while [ "$c" -le "$CLIENTS" ]; do
    $TIMEOUT "$BIN" run --tcp "127.0.0.1:$PORT" "$TMP/gets.xml" >"$TMP/c$c.out" 2>"$TMP/c$c.err" &
    runs="$runs $!"
    c=$((c + 1))
done
c=1
for p in $runs; do
    wait "$p"
    echo $? >"$TMP/c$c.rc"
    c=$((c + 1))
done
end=$(date +%s.%N)
hwm=$(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$EMU/status" 2>/dev/null)

total=0
c=1
while [ "$c" -le "$CLIENTS" ]; do
    n=$(grep -c '<UInt32 Value="0001E240" />' "$TMP/c$c.out")
    ok=$(grep -c '): ok$' "$TMP/c$c.err")
    total=$((total + n))
    if [ "$(cat "$TMP/c$c.rc")" != 0 ]; then fail "client $c: exit $(cat "$TMP/c$c.rc"): $(tail -1 "$TMP/c$c.err")"
    elif [ "$n" != "$GETS" ] || [ "$ok" != "$GETS" ]; then fail "client $c: $n values and $ok ok steps, want $GETS"
    elif sanitizer_report "$TMP/c$c.err"; then fail "client $c: sanitizer report"
    else pass; fi
    c=$((c + 1))
done
if [ "$total" = $((CLIENTS * GETS)) ]; then pass; else fail "$total answers in all, want $((CLIENTS * GETS))"; fi
if kill -0 "$EMU" 2>/dev/null; then pass; else fail "the emulator is gone: $(tail -2 "$TMP/emu.out")"; fi
if sanitizer_report "$TMP/emu.out"; then fail "emulator: sanitizer report"; else pass; fi

rate=$(awk -v n="$total" -v s="$start" -v e="$end" 'BEGIN { t = e - s; if (t <= 0) t = 0.001; printf "%.0f requests/s (%.2f s)", n / t, t }')
echo "load: $CLIENTS clients x $GETS GETs over TCP (wrapper): $total answers, $rate, emulator peak RSS ${hwm:-unknown}"
echo "load: $passed passed, $failed failed"
[ "$failed" = 0 ]
