/* Fuzz target for the bytes-in layer: the reader in auto mode over a memory
 * stream, drained to the end, and ds_hex_parse_text over the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count_diag(void *user, const ds_diag *d)
{
    size_t *n = user;
    if (!d->code || strlen(d->message) >= DS_DIAG_MESSAGE_MAX) abort();
    (*n)++;
}

static void drain(const uint8_t *data, size_t size, ds_input_mode mode)
{
    if (size == 0) return; /* fmemopen rejects an empty buffer on some libcs */
    FILE *f = fmemopen((void *)data, size, "r");
    if (!f) return;
    size_t diags = 0;
    ds_reader *r = ds_reader_new(f, mode, count_diag, &diags);
    if (r) {
        ds_chunk ch;
        uint64_t expect = 0;
        volatile uint8_t sink = 0;
        while (ds_reader_next(r, &ch) == 1) {
            /* chunks tile the decoded stream and hold readable bytes */
            if (ch.offset != expect || (ch.len == 0 && !ch.record_start) || ch.len > 65536) abort();
            if (memchr(ch.meta.timestamp, '\0', sizeof ch.meta.timestamp) == NULL) abort();
            for (size_t i = 0; i < ch.len; i++) sink ^= ch.data[i];
            expect += ch.len;
        }
        (void)sink;
        ds_reader_free(r);
    }
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    drain(data, size, DS_INPUT_AUTO);
    drain(data, size, DS_INPUT_HEX);
    size_t n = 0;
    uint8_t *p = ds_hex_parse_text((const char *)data, size, &n);
    /* "*" lines of a dump may repeat bytes, within a 16 MiB budget */
    if (p && (n == 0 || n > size / 2 + 16u * 1024 * 1024)) abort();
    free(p);
    return 0;
}
