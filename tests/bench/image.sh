#!/bin/sh
# `make bench`: the image transfer's figures (tests/bench/README.md, "Image transfer").
# A whole <ImageTransfer> (verified and activated) of IMAGE_BYTES bytes (default 244,748, the
# seed's size, in the model's 256-byte blocks but for GBT) by `dlmscope run --stats` against
# `dlmscope emulate` (testdata/emulate/meter.xml, HDLC over loopback TCP, max info 128, the management
# client: HLS-GMAC, every APDU ciphered), in three ways:
#   - HDLC window 1, block by block;
#   - HDLC window 7, the largest window the emulator offers;
#   - general block transfer with streaming: run --window 7 --gbt-window GBT_WINDOW against a
#     meter that offers GBT_WINDOW (default 7), a max PDU of GBT_MAX_PDU (default 893: one GBT
#     block fills one HDLC window of 7 x 128 bytes with the 3-byte LLC header) and image blocks
#     of GBT_BLOCK bytes (default 4096), larger than the max PDU so that each block's ACTION is
#     streamed in GBT blocks (emulate --gbt-window, --max-pdu, --image-block-size); "n/a (no
#     GBT)" when either command refuses --gbt-window.
# From the --stats line (bytes and frames each way, round trips: turns of the line to the
# meter) it prints the wire bytes per image byte, the round trips, the modelled time at
# 9600 baud with a 50 ms turnaround and its lower bound, then the goal check. The model:
#   wire bits = wire bytes (both ways, every frame whole) x 10 (a start bit, 8 data bits, a stop
#   bit, as `emulate --baud` paces them); bound = wire bits / 9600;
#   modelled = bound + round trips x 0.050 s.
# Goal: modelled within 10% of the bound, and at least 5 times fewer round trips than window 1.
# Every run is checked: exit 0, the stored image cmp-identical to the file. Bounded: each run
# `timeout 120`, the emulator's first line 5 s; the emulators are stopped by their process ids.
#
# Usage: tests/bench/image.sh BIN
E2E_NAME=bench_image
. "$(dirname "$0")/../e2e/common.sh"
[ -n "$TIMEOUT" ] && TIMEOUT="timeout 120"

MODEL=$ROOT/testdata/emulate/meter.xml
IMAGE_BYTES=${IMAGE_BYTES:-244748}
GBT_WINDOW=${GBT_WINDOW:-7}
GBT_BLOCK=${GBT_BLOCK:-4096}
GBT_MAX_PDU=${GBT_MAX_PDU:-893}
BAUD=9600
TURN_MS=50
GMAC="-c 1 -a HighGmac --ek 000102030405060708090A0B0C0D0E0F --ak D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF --client-title 4D4D4D0000000001"
PIDS=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT INT TERM

python3 -c "import sys; sys.stdout.buffer.write(bytes((i * 7) % 251 for i in range($IMAGE_BYTES)))" >"$TMP/fw.bin"
cat >"$TMP/image.xml" <<XML
<Messages>
  <ImageTransfer File="$TMP/fw.bin" Identifier="fw-2.0" Verify="true" Activate="true"/>
</Messages>
XML

# row NAME LABEL RUN_ARGS EMULATE_ARGS: one transfer against a fresh emulator; prints its row and
# leaves "bytes round_trips" in $TMP/NAME.fig
row() {
    name=$1 label=$2 run_args=$3 emu_args=$4
    mkdir -p "$TMP/store-$name"
    # shellcheck disable=SC2086
    "$BIN" emulate --model "$MODEL" --hdlc-tcp 0 --window 7 --store-images "$TMP/store-$name" $emu_args \
        >"$TMP/$name.emu" 2>&1 &
    pid=$!
    PIDS="$PIDS $pid"
    port=
    for _ in $(seq 50); do
        port=$(sed -n 's/^listening on hdlc-tcp 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/$name.emu")
        [ -n "$port" ] && break
        sleep 0.1
    done
    if [ -z "$port" ]; then
        echo "bench image: $label: the emulator did not start: $(head -2 "$TMP/$name.emu")" >&2
        kill "$pid" 2>/dev/null
        return 1
    fi
    # shellcheck disable=SC2086
    $TIMEOUT "$BIN" run --hdlc-tcp "127.0.0.1:$port" $GMAC --stats $run_args "$TMP/image.xml" \
        >/dev/null 2>"$TMP/$name.err"
    rc=$?
    kill "$pid" 2>/dev/null
    stats=$(sed -n 's/^dlmscope run: stats: sent \([0-9]*\) bytes in \([0-9]*\) frames, received \([0-9]*\) bytes in \([0-9]*\) frames, \([0-9]*\) round trips$/\1 \2 \3 \4 \5/p' "$TMP/$name.err")
    if [ "$rc" != 0 ] || [ -z "$stats" ] || ! cmp -s "$TMP/store-$name/fw-2.0" "$TMP/fw.bin"; then
        echo "bench image: $label: exit $rc, the stored image $(cmp -s "$TMP/store-$name/fw-2.0" "$TMP/fw.bin" && echo same || echo differs): $(tail -2 "$TMP/$name.err")" >&2
        return 1
    fi
    # shellcheck disable=SC2086
    set -- $stats
    echo "$(($1 + $3)) $5" >"$TMP/$name.fig"
    awk -v label="$label" -v out="$1" -v fo="$2" -v in_="$3" -v fi="$4" -v rt="$5" -v img="$IMAGE_BYTES" \
        -v baud="$BAUD" -v turn="$TURN_MS" 'BEGIN {
        wire = out + in_; bound = wire * 10 / baud; model = bound + rt * turn / 1000
        printf "%-26s %9d %7.3f %6d/%-6d %7d %9.1f %8.1f %6.3f\n", label, wire, wire / img, fo, fi, rt, model, bound, model / bound
    }'
}

echo
echo "Image transfer: $IMAGE_BYTES bytes, verified and activated, in 256-byte blocks (GBT: $GBT_BLOCK-byte blocks,"
echo "max PDU $GBT_MAX_PDU); HDLC over loopback TCP, max info 128, HLS-GMAC (every APDU ciphered)."
echo "Model: $BAUD baud, 10 bits a byte, $TURN_MS ms a round trip."
printf "%-26s %9s %7s %13s %7s %9s %8s %6s\n" "way" "wire B" "B/img B" "frames out/in" "trips" "model s" "bound s" "ratio"
status=0
row w1 "HDLC window 1" "--window 1" "" || status=1
row w7 "HDLC window 7" "--window 7" "" || status=1
gbt=0
if "$BIN" run --gbt-window "$GBT_WINDOW" --help >/dev/null 2>&1 &&
    "$BIN" emulate --gbt-window "$GBT_WINDOW" --help >/dev/null 2>&1; then
    gbt=1
    row gbt "GBT streaming, window $GBT_WINDOW" "--window 7 --gbt-window $GBT_WINDOW" \
        "--gbt-window $GBT_WINDOW --max-pdu $GBT_MAX_PDU --image-block-size $GBT_BLOCK" || status=1
else
    printf "%-26s %s\n" "GBT streaming" "n/a (no GBT)"
fi

# the goal check: the best way within 10% of its bound; round trips of GBT (else window 7)
# against window 1
best=w7
[ "$gbt" = 1 ] && [ -f "$TMP/gbt.fig" ] && best=gbt
if [ -f "$TMP/w1.fig" ] && [ -f "$TMP/$best.fig" ]; then
    awk -v baud="$BAUD" -v turn="$TURN_MS" -v best="$best" -v gbt="$gbt" '
        FNR == 1 && NR == 1 { w1_rt = $2 }
        FNR == 1 && NR == 2 { wire = $1; rt = $2 }
        END {
            bound = wire * 10 / baud; model = bound + rt * turn / 1000; fewer = rt ? w1_rt / rt : 0
            name = best == "gbt" ? "GBT streaming" : "HDLC window 7"
            printf "goal: %s modelled %.1f s, %.1f%% over the bound %.1f s (goal <= 10%%): %s\n", name, model,
                100 * (model / bound - 1), bound, model <= 1.1 * bound ? "met" : "NOT met"
            printf "goal: round trips %d against %d with window 1: %.1f times fewer (goal >= 5 with streaming): %s\n", rt,
                w1_rt, fewer, gbt ? (fewer >= 5 ? "met" : "NOT met") : "n/a (no GBT)"
        }' "$TMP/w1.fig" "$TMP/$best.fig"
fi
exit $status
