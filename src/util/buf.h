/* Growable byte buffer with a hard cap (untrusted XML must not make us allocate without bound). */
#ifndef DS_UTIL_BUF_H
#define DS_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

#define DS_BUF_MAX (16u << 20)  /* no encoded APDU or frame sequence grows past 16 MiB */

typedef struct ds_buf {
    uint8_t *p;
    size_t len, cap;
    size_t limit; /* most bytes it may hold; 0 = DS_BUF_MAX */
    int failed;   /* an append was refused (limit or memory); the content is incomplete */
} ds_buf;

void ds_buf_init(ds_buf *b);
void ds_buf_free(ds_buf *b);
void ds_buf_reset(ds_buf *b);
/* 0 on success; -1 (and failed set) when the cap would be exceeded or memory runs out. */
int ds_buf_append(ds_buf *b, const void *p, size_t n);
/* One byte; inline, since the encoder writes most bytes one at a time (hex text, numbers): the
 * room already there is used without a call, anything else goes through ds_buf_append. */
static inline int ds_buf_byte(ds_buf *b, uint8_t v)
{
    if (!b->failed && b->len < b->cap) {
        b->p[b->len++] = v;
        return 0;
    }
    return ds_buf_append(b, &v, 1);
}
/* Big-endian unsigned of n bytes (1..8). */
int ds_buf_uint(ds_buf *b, uint64_t v, size_t n);
/* A-XDR / BER length in its shortest form. */
int ds_buf_len(ds_buf *b, size_t n);
/* The same length written into out (at most 5 bytes); returns the byte count. */
size_t ds_len_bytes(size_t n, uint8_t out[5]);
/* Inserts bytes at position `at` (for length prefixes known only after the content). */
int ds_buf_insert(ds_buf *b, size_t at, const void *p, size_t n);

#endif
