/* Bytes that are not DLMS must never get a setting verdict from ds_serial_infer(): this cuts
 * files (programs: /usr/bin) into chunks and counts the setting verdicts (baud, parity, data
 * bits, inverted), with the capture's setting untold and told (2400 8N1, 8E1, 7E1). With -z
 * each chunk is first passed through what a port that zeroes bad characters makes of bytes it
 * reads with the wrong parity or data bits (8N1 read at 7E1: bytes of even weight as their low
 * 7 bits, the others 00; 8E1 read at 8N1: bytes of odd weight whole, the others 00), to try the
 * evidence weighed from such captures against bytes that hold no frame.
 * Not a unit test: a report. Usage: dlmscope-serial-chunks [-v] [-z] [-c CHUNK] [-m MAX] FILE...
 * (MAX chunks a file at most, spread over it; -v prints each chunk given a setting verdict). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/serial_infer.h"

typedef enum transform { AS_IS, SEVEN_E1_ZEROED, EIGHT_N1_ZEROED } transform;

static int weight_odd(unsigned b)
{
    int ones = 0;
    for (; b; b >>= 1) ones += (int)(b & 1u);
    return ones & 1;
}

static void apply(transform t, uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (t == SEVEN_E1_ZEROED) b[i] = weight_odd(b[i]) ? 0 : (uint8_t)(b[i] & 0x7Fu);
        else if (t == EIGHT_N1_ZEROED) b[i] = weight_odd(b[i]) ? b[i] : 0;
    }
}

static int is_setting(const ds_serial_inference *r)
{
    return r->verdict == DS_SERIAL_BAUD || r->verdict == DS_SERIAL_PARITY || r->verdict == DS_SERIAL_DATA_BITS ||
           r->verdict == DS_SERIAL_INVERTED;
}

static const char *const RX[] = {NULL, "2400:8N1", "2400:8E1", "2400:7E1"};
#define N_RX (sizeof RX / sizeof RX[0])

int main(int argc, char **argv)
{
    size_t chunk = 1500, max = 8;
    int verbose = 0, zeroed = 0, first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (strcmp(argv[first], "-v") == 0) verbose = 1;
        else if (strcmp(argv[first], "-z") == 0) zeroed = 1;
        else if (strcmp(argv[first], "-c") == 0 && first + 1 < argc) chunk = (size_t)atol(argv[++first]);
        else if (strcmp(argv[first], "-m") == 0 && first + 1 < argc) max = (size_t)atol(argv[++first]);
        else {
            fprintf(stderr, "usage: %s [-v] [-z] [-c CHUNK] [-m MAX] FILE...\n", argv[0]);
            return 2;
        }
    }
    if (!chunk || !max) return 2;
    uint8_t *raw = malloc(chunk), *b = malloc(chunk);
    if (!raw || !b) return 1;
    unsigned long chunks = 0, verdicts[3][N_RX] = {{0}};
    int transforms = zeroed ? 3 : 1;
    for (int f = first; f < argc; f++) {
        FILE *in = fopen(argv[f], "rb");
        if (!in) continue;
        long size = fseek(in, 0, SEEK_END) == 0 ? ftell(in) : -1;
        if (size < (long)chunk) {
            fclose(in);
            continue;
        }
        size_t pieces = (size_t)size / chunk, step = pieces > max ? pieces / max : 1;
        for (size_t k = 0; k < pieces && k / step < max; k += step) {
            if (fseek(in, (long)(k * chunk), SEEK_SET) != 0 || fread(raw, 1, chunk, in) != chunk) break;
            chunks++;
            for (int t = 0; t < transforms; t++) {
                memcpy(b, raw, chunk);
                apply((transform)t, b, chunk);
                for (size_t r = 0; r < N_RX; r++) {
                    ds_serial_settings rx;
                    if (RX[r] && ds_serial_settings_parse(RX[r], &rx, NULL, 0) != 0) return 2;
                    ds_serial_inference inf;
                    if (ds_serial_infer(b, chunk, RX[r] ? &rx : NULL, &inf) != 0) return 1;
                    if (is_setting(&inf)) {
                        verdicts[t][r]++;
                        if (verbose) {
                            char text[1200];
                            ds_serial_inference_text(&inf, text, sizeof text);
                            printf("%s @%zu %s %s: %s\n", argv[f], k * chunk, t == 0 ? "as-is" : t == 1 ? "7E1-zeroed" : "8N1-zeroed",
                                   RX[r] ? RX[r] : "untold", text);
                        }
                    }
                    ds_serial_inference_free(&inf);
                }
            }
        }
        fclose(in);
    }
    printf("chunks of %zu bytes: %lu\n", chunk, chunks);
    for (int t = 0; t < transforms; t++) {
        printf("%-11s setting verdicts:", t == 0 ? "as-is" : t == 1 ? "7E1-zeroed" : "8N1-zeroed");
        for (size_t r = 0; r < N_RX; r++) printf(" %s %lu", RX[r] ? RX[r] : "untold", verdicts[t][r]);
        printf("\n");
    }
    free(raw);
    free(b);
    return 0;
}
