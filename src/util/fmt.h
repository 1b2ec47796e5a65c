/* Small, fast formatters for the output path (no printf on hot paths). */
#ifndef DS_UTIL_FMT_H
#define DS_UTIL_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/copy.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Uppercase hex of n bytes into out (2n chars + NUL). Returns 2n. */
size_t ds_fmt_hex(char *out, const uint8_t *p, size_t n);
/* The two uppercase hex digits of every byte value, "000102...FF". */
extern const char DS_HEX_PAIRS[513];
/* ds_hex_encode() for any n. */
void ds_hex_encode_any(char *out, const uint8_t *p, size_t n);
/* Hex a byte at a time from DS_HEX_PAIRS: the way for a few bytes. */
static inline void ds_hex_pairs(char *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) memcpy(out + 2 * i, DS_HEX_PAIRS + 2 * p[i], 2);
}
/* Uppercase hex, two digits a byte, exactly 2n bytes written (no NUL). Inline for the values
 * of one to four bytes that integers in hex mode are. */
static inline void ds_hex_encode(char *out, const uint8_t *p, size_t n)
{
    if (n > 4) ds_hex_encode_any(out, p, n);
    else ds_hex_pairs(out, p, n);
}

#if defined(__SSE2__)
/* 16 bytes to 32 uppercase hex digits: split the nibbles, interleave them high-first, then
 * '0' + x, plus 7 more for x > 9 ('A' - '9' - 1). */
static inline void ds_hex_vec16(char *out, __m128i v)
{
    const __m128i low4 = _mm_set1_epi8(0x0F), nine = _mm_set1_epi8(9), zero = _mm_set1_epi8('0'),
                  gap = _mm_set1_epi8(7);
    __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), low4), lo = _mm_and_si128(v, low4);
    __m128i a = _mm_unpacklo_epi8(hi, lo), b = _mm_unpackhi_epi8(hi, lo);
    a = _mm_add_epi8(a, _mm_add_epi8(zero, _mm_and_si128(_mm_cmpgt_epi8(a, nine), gap)));
    b = _mm_add_epi8(b, _mm_add_epi8(zero, _mm_and_si128(_mm_cmpgt_epi8(b, nine), gap)));
    _mm_storeu_si128((__m128i *)(void *)out, a);
    _mm_storeu_si128((__m128i *)(void *)(out + 16), b);
}

/* The n bytes at p (4 <= n <= 16) in a vector, zeros after them, read with two overlapping
 * loads that stay inside [p, p+n). Built in registers: bytes stored to a scratch array and read
 * back as one vector would stall on the failed store-to-load forwarding. */
static inline __m128i ds_load_short16(const uint8_t *p, size_t n)
{
    uint64_t lo, hi = 0;
    if (n <= 8) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        lo = (uint64_t)a | (uint64_t)b << (8 * (n - 4));  /* the overlap ORs equal bytes */
    } else {
        memcpy(&lo, p, 8);
        memcpy(&hi, p + n - 8, 8);
        hi >>= 8 * (16 - n);  /* drop the bytes lo already holds */
    }
    return _mm_set_epi64x((long long)hi, (long long)lo);
}
#endif

/* ds_hex_encode() of n <= 16 bytes into a buffer with room to spare (an output block's slack):
 * writes the 2n digits and, for n > 4, up to 32 - 2n bytes after them, for the caller to
 * overwrite. Most octet strings (OBIS codes, dates, system titles) are one such block: one SSE2
 * step straight into the output, without the copy of the digits that ds_hex_encode() needs. */
static inline void ds_hex_encode_upto16(char *out, const uint8_t *p, size_t n)
{
#if defined(__SSE2__)
    if (n > 4) {
        ds_hex_vec16(out, ds_load_short16(p, n));
        return;
    }
#endif
    ds_hex_pairs(out, p, n);
}

/* Unsigned as uppercase hex, zero-padded to at least `digits`. out >= 17. Returns length. */
size_t ds_fmt_uhex(char *out, uint64_t v, int digits);
/* "00" to "99": the two decimal digits of every value below 100. */
extern const char DS_DEC_PAIRS[201];
/* The decimal text of every byte value: up to three digits, then the number of digits. */
extern const char DS_U8_TEXT[256][4];
/* A byte in decimal, 1 to 3 digits, no NUL (OBIS codes). Returns the length. One 4-byte copy:
 * out must have room for 4 bytes whatever the length. */
static inline size_t ds_fmt_u8(char *out, uint8_t v)
{
    memcpy(out, DS_U8_TEXT[v], 4);
    return (size_t)DS_U8_TEXT[v][3];
}
/* ds_fmt_udec() for any value. */
size_t ds_fmt_udec_wide(char *out, uint64_t v);
/* Unsigned decimal, NUL-terminated; returns the length. out >= 21. Inline for the one-byte
 * values that most numbers written are (a table look-up). */
static inline size_t ds_fmt_udec(char *out, uint64_t v)
{
    if (v > 0xFF) return ds_fmt_udec_wide(out, v);
    size_t n = ds_fmt_u8(out, (uint8_t)v);
    out[n] = '\0';
    return n;
}
/* Signed decimal. out >= 21. */
size_t ds_fmt_sdec(char *out, int64_t v);
/* Signed value as two's complement hex in exactly `digits` digits (Gurux sN). */
size_t ds_fmt_shex(char *out, int64_t v, int digits);


/* A small text builder for comments on hot paths (printf costs more than the decoding it
 * describes). Appends are cut silently at the buffer size. */
typedef struct ds_text {
    size_t len;
    char buf[240];
} ds_text;

static inline void ds_text_init(ds_text *t)
{
    t->len = 0;
    t->buf[0] = '\0';
}
/* Inline so that a literal's length is known at compile time and its copy is a few moves. */
static inline void ds_text_put(ds_text *t, const char *s, size_t n)
{
    size_t room = sizeof t->buf - 1 - t->len;
    if (n > room) n = room;
    ds_copy_short(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

/* ds_text_put() byte by byte, for text formatted into a small scratch buffer (numbers): the
 * inline copy's wide moves cannot be shown to stay inside such a buffer. */
void ds_text_put_slow(ds_text *t, const char *s, size_t n);

static inline void ds_text_str(ds_text *t, const char *s)
{
    ds_text_put(t, s, strlen(s));
}

static inline void ds_text_uint(ds_text *t, uint64_t v)
{
    if (sizeof t->buf - t->len >= 21) { /* room for 20 digits and the NUL: format in place */
        t->len += ds_fmt_udec(t->buf + t->len, v);
        return;
    }
    char tmp[24];
    ds_text_put_slow(t, tmp, ds_fmt_udec(tmp, v));
}
/* v as decimal, zero-padded to `width` digits */
void ds_text_uint_w(ds_text *t, uint64_t v, int width);
void ds_text_uhex(ds_text *t, uint64_t v, int digits);

/* 1 when the text meets DS_TEXT_PLAIN (sink.h): printable ASCII without & < > " \, without
 * "--" and not ending in '-'. */
int ds_text_is_plain(const char *p, size_t n);

#endif
