/* Copies of a few bytes without a call into the C library. */
#ifndef DS_UTIL_COPY_H
#define DS_UTIL_COPY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Copies n bytes, n small, without a call into the C library: most pieces are a few bytes
 * (names, "=\"", " />\n") and a call plus its size dispatch costs more than the copy. Two
 * overlapping fixed-size copies cover every length of a class; no byte outside [s, s+n) is read. */
/* ds_copy_short() for n <= 32: never a call, so that a writer using only this stays a leaf
 * function (no registers to save). */
static inline void ds_copy_upto32(char *d, const void *src, size_t n)
{
    const char *s = (const char *)src;
    if (n >= 16) {
        char a[16], b[16];
        memcpy(a, s, 16);
        memcpy(b, s + n - 16, 16);
        memcpy(d, a, 16);
        memcpy(d + n - 16, b, 16);
    } else if (n >= 8) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    } else if (n > 0) {
        /* 1..3 bytes: first, middle and last (they coincide for short n) */
        d[0] = s[0];
        d[n / 2] = s[n / 2];
        d[n - 1] = s[n - 1];
    }
}

static inline void ds_copy_short(char *d, const void *src, size_t n)
{
    if (n > 32) memcpy(d, src, n);
    else ds_copy_upto32(d, src, n);
}

/* ds_copy_upto32() at o (n <= 32); returns the end of the copy. */
static inline char *ds_put_upto32(char *o, const void *src, size_t n)
{
    ds_copy_upto32(o, src, n);
    return o + n;
}

/* ds_copy_short() at o; returns the end of the copy, so that a line is written as a chain. */
static inline char *ds_put(char *o, const void *src, size_t n)
{
    ds_copy_short(o, src, n);
    return o + n;
}

/* Copies n bytes, n of any size but mostly a few dozen (a run of attributes made before), in
 * 16-byte pieces without a call; the last piece overlaps the one before it, so no byte outside
 * [src, src + n) is read nor outside [o, o + n) written. Returns the end of the copy. */
static inline char *ds_put_pieces16(char *o, const void *src, size_t n)
{
    const char *s = (const char *)src;
    if (n < 16) return ds_put_upto32(o, s, n);
    for (size_t i = 0; i + 16 < n; i += 16) memcpy(o + i, s + i, 16);
    memcpy(o + n - 16, s + n - 16, 16);
    return o + n;
}

#endif
