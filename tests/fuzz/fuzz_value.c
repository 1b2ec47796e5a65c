/* Fuzz target: bytes -> values -> bytes. Wherever the value decoder reports no error, the values
 * must encode back to exactly the input, for an APDU and for one A-XDR Data value; and the
 * encoder must never write past the buffer it is given (one byte too small must be refused). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dlmscope/value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ds_value_arena *arena;
static uint8_t out[1 << 16];

static void roundtrip(const ds_value *v, const uint8_t *in, size_t n, int is_apdu)
{
    size_t len = 0;
    char err[256];
    int rc = is_apdu ? ds_value_encode_apdu(v, out, sizeof out, &len, err, sizeof err)
                     : ds_value_encode_data(v, out, sizeof out, &len, err, sizeof err);
    if (rc != 0 || len != n || memcmp(out, in, n) != 0) abort();
    if (n == 0) return;
    /* one byte short: refused, and the byte after the limit untouched */
    out[n - 1] = 0x5A;
    rc = is_apdu ? ds_value_encode_apdu(v, out, n - 1, &len, err, sizeof err)
                 : ds_value_encode_data(v, out, n - 1, &len, err, sizeof err);
    if (rc == 0 || out[n - 1] != 0x5A) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > sizeof out) return 0;
    if (!arena) arena = ds_value_arena_new(1 << 16, 1 << 20);
    ds_value_arena_reset(arena);
    ds_value *v = NULL;
    ds_diag d;
    if (ds_value_decode_apdu(arena, data, size, &v, &d) == 0) roundtrip(v, data, size, 1);
    else if (d.offset > size) abort();
    ds_value_arena_reset(arena);
    size_t used = 0;
    if (ds_value_decode_data(arena, data, size, &used, &v, &d) == 0) {
        if (used > size) abort();
        roundtrip(v, data, used, 0);
    }
    return 0;
}
