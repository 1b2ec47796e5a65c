/* Bounds-checked reading of untrusted bytes.
 *
 * Every read checks what is left before touching memory; a failed read
 * leaves the cursor where it was, so the caller can report the offset of
 * the field that did not fit. */
#ifndef DS_UTIL_CURSOR_H
#define DS_UTIL_CURSOR_H

#include <stddef.h>
#include <stdint.h>

typedef struct ds_cursor {
    const uint8_t *p;
    size_t len;
    size_t pos;
} ds_cursor;

#define DS_CUR_OK 0
#define DS_CUR_TRUNCATED (-1)
#define DS_CUR_INVALID (-2)

static inline void ds_cur_init(ds_cursor *c, const uint8_t *p, size_t len)
{
    c->p = p;
    c->len = len;
    c->pos = 0;
}

static inline size_t ds_cur_left(const ds_cursor *c) { return c->len - c->pos; }

static inline int ds_cur_peek(const ds_cursor *c, uint8_t *v)
{
    if (c->pos >= c->len) return DS_CUR_TRUNCATED;
    *v = c->p[c->pos];
    return DS_CUR_OK;
}

static inline int ds_cur_u8(ds_cursor *c, uint8_t *v)
{
    if (c->pos >= c->len) return DS_CUR_TRUNCATED;
    *v = c->p[c->pos++];
    return DS_CUR_OK;
}

/* The big-endian unsigned number of p[0..n), n <= 8 (the caller has checked the bytes are there). */
static inline uint64_t ds_be_uint(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = (v << 8) | p[i];
    return v;
}

/* The two's complement value of an n-byte (1..8) big-endian field read as u, without
 * implementation-defined conversions. */
static inline int64_t ds_sign_extend(uint64_t u, size_t n)
{
    if (n >= 8) return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
    uint64_t sign = (uint64_t)1 << (8 * n - 1);
    return (int64_t)(u ^ sign) - (int64_t)sign;
}

/* Big-endian unsigned integer of n bytes (1..8). */
static inline int ds_cur_uint(ds_cursor *c, size_t n, uint64_t *v)
{
    if (n == 0 || n > 8 || ds_cur_left(c) < n) return DS_CUR_TRUNCATED;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) x = (x << 8) | c->p[c->pos + i];
    c->pos += n;
    *v = x;
    return DS_CUR_OK;
}

/* Takes n bytes; *out points into the buffer. */
static inline int ds_cur_bytes(ds_cursor *c, size_t n, const uint8_t **out)
{
    if (ds_cur_left(c) < n) return DS_CUR_TRUNCATED;
    *out = c->p + c->pos;
    c->pos += n;
    return DS_CUR_OK;
}

/* A-XDR / BER length: 0x00-0x7F itself, else 0x80|k then k bytes (k 1..4).
 * *non_minimal is set when a shorter form could have carried the value.
 * Returns DS_CUR_INVALID for 0x80 (indefinite) and k > 4; the cursor does not move on failure. */
static inline int ds_cur_len(ds_cursor *c, size_t *out, int *non_minimal)
{
    size_t save = c->pos;
    uint8_t b;
    if (ds_cur_u8(c, &b)) return DS_CUR_TRUNCATED;
    if (non_minimal) *non_minimal = 0;
    if (b < 0x80) {
        *out = b;
        return DS_CUR_OK;
    }
    size_t k = b & 0x7Fu;
    if (k == 0 || k > 4) {
        c->pos = save;
        return DS_CUR_INVALID;
    }
    uint64_t v;
    if (ds_cur_uint(c, k, &v)) {
        c->pos = save;
        return DS_CUR_TRUNCATED;
    }
    if (non_minimal) *non_minimal = (v < 0x80) || (k > 1 && (v >> (8 * (k - 1))) == 0);
    *out = (size_t)v;
    return DS_CUR_OK;
}

#endif
