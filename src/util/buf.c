#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

void ds_buf_init(ds_buf *b)
{
    memset(b, 0, sizeof *b);
}

void ds_buf_free(ds_buf *b)
{
    size_t limit = b->limit;
    free(b->p);
    memset(b, 0, sizeof *b);
    b->limit = limit;
}

void ds_buf_reset(ds_buf *b)
{
    b->len = 0;
    b->failed = 0;
}

static int reserve(ds_buf *b, size_t extra)
{
    size_t limit = b->limit && b->limit < DS_BUF_MAX ? b->limit : DS_BUF_MAX;
    if (b->failed) return -1;
    if (extra > limit - b->len) {
        b->failed = 1;
        return -1;
    }
    size_t need = b->len + extra;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) cap *= 2;
    if (cap > limit) cap = limit;
    uint8_t *q = realloc(b->p, cap);
    if (!q) {
        b->failed = 1;
        return -1;
    }
    b->p = q;
    b->cap = cap;
    return 0;
}

int ds_buf_append(ds_buf *b, const void *p, size_t n)
{
    if (n == 0) return b->failed ? -1 : 0;
    if (reserve(b, n)) return -1;
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

int ds_buf_uint(ds_buf *b, uint64_t v, size_t n)
{
    uint8_t tmp[8];
    if (n == 0 || n > 8) return -1;
    for (size_t i = 0; i < n; i++) tmp[n - 1 - i] = (uint8_t)(v >> (8 * i));
    return ds_buf_append(b, tmp, n);
}

size_t ds_len_bytes(size_t n, uint8_t out[5])
{
    if (n < 0x80) {
        out[0] = (uint8_t)n;
        return 1;
    }
    size_t k = n <= 0xFF ? 1 : n <= 0xFFFF ? 2 : n <= 0xFFFFFF ? 3 : 4;
    out[0] = (uint8_t)(0x80 | k);
    for (size_t i = 0; i < k; i++) out[k - i] = (uint8_t)(n >> (8 * i));
    return k + 1;
}

int ds_buf_len(ds_buf *b, size_t n)
{
    uint8_t tmp[5];
    return ds_buf_append(b, tmp, ds_len_bytes(n, tmp));
}

int ds_buf_insert(ds_buf *b, size_t at, const void *p, size_t n)
{
    if (at > b->len) return -1;
    if (reserve(b, n)) return -1;
    memmove(b->p + at + n, b->p + at, b->len - at);
    memcpy(b->p + at, p, n);
    b->len += n;
    return 0;
}
