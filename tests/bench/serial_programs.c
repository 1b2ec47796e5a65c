/* The false-verdict guard of the wrong-serial-settings inference (issue 14: "random bytes are
 * never diagnosed as a setting problem"): chunks of program files (binaries, scripts: byte-wise
 * structure that is no UART's doing) are given to ds_serial_infer(), told 2400:8N1 and not told,
 * and every setting verdict (baud, parity, data bits, inverted) is printed and counted. Should
 * print 0. Not a unit test: the files differ between machines.
 * Usage: dlmscope-serial-programs [-c CHUNK] FILE...   e.g.
 *   build/release/dlmscope-serial-programs $(find /usr/bin -maxdepth 1 -type f | sort | awk "NR % 7 == 1")
 * (one chunk of CHUNK bytes, default 1500, from the middle of each file of at least that size; a
 * chunk of one byte value is skipped and counted apart: all 00 is what a much slower sender gives) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/serial_infer.h"

static int is_setting(const ds_serial_inference *r)
{
    return r->verdict == DS_SERIAL_BAUD || r->verdict == DS_SERIAL_PARITY || r->verdict == DS_SERIAL_DATA_BITS ||
           r->verdict == DS_SERIAL_INVERTED;
}

/* The chunk from the middle of the file at path into b: its length, or 0 when the file is shorter. */
static size_t middle_chunk(const char *path, uint8_t *b, size_t chunk)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t got = 0;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        if (size >= (long)chunk && fseek(f, (size - (long)chunk) / 2, SEEK_SET) == 0) got = fread(b, 1, chunk, f);
    }
    fclose(f);
    return got == chunk ? got : 0;
}

/* 1 when every byte of b is the same */
static int memspn_one(const uint8_t *b, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (b[i] != b[0]) return 0;
    return 1;
}

int main(int argc, char **argv)
{
    size_t chunk = 1500;
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "-c") == 0) {
        chunk = (size_t)atol(argv[2]);
        first = 3;
    }
    if (chunk < 1 || chunk > (1u << 20)) return 2;
    uint8_t *b = malloc(chunk);
    if (!b) return 2;
    ds_serial_settings told;
    if (ds_serial_settings_parse("2400:8N1", &told, NULL, 0) != 0) return 2;
    unsigned uniform = 0, files = 0, calls = 0, settings = 0;
    for (int i = first; i < argc; i++) {
        size_t n = middle_chunk(argv[i], b, chunk);
        if (!n) continue;
        if (memspn_one(b, n)) {
            uniform++;
            continue;
        }
        files++;
        for (int t = 1; t >= 0; t--) {
            ds_serial_inference r;
            if (ds_serial_infer(b, n, t ? &told : NULL, &r) != 0) continue;
            calls++;
            if (is_setting(&r)) {
                char text[1200];
                ds_serial_inference_text(&r, text, sizeof text);
                printf("%s (%s): %s\n", argv[i], t ? "told" : "untold", text);
                settings++;
            }
            ds_serial_inference_free(&r);
        }
    }
    printf("program chunks: %u files, %u inferences of %zu bytes, %u setting verdicts (%u chunks of one byte value "
           "skipped)\n",
           files, calls, chunk, settings, uniform);
    free(b);
    return 0;
}
