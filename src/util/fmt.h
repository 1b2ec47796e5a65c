/* Small, fast formatters for the output path (no printf on hot paths). */
#ifndef DS_UTIL_FMT_H
#define DS_UTIL_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/copy.h"

/* Uppercase hex of n bytes into out (2n chars + NUL). Returns 2n. */
size_t ds_fmt_hex(char *out, const uint8_t *p, size_t n);
/* The two uppercase hex digits of every byte value, "000102...FF". */
extern const char DS_HEX_PAIRS[513];
/* ds_hex_encode() for any n. */
void ds_hex_encode_any(char *out, const uint8_t *p, size_t n);
/* Uppercase hex, two digits a byte, exactly 2n bytes written (no NUL). Inline for the values
 * of one to four bytes that integers in hex mode are. */
static inline void ds_hex_encode(char *out, const uint8_t *p, size_t n)
{
    if (n > 4) {
        ds_hex_encode_any(out, p, n);
        return;
    }
    for (size_t i = 0; i < n; i++) memcpy(out + 2 * i, DS_HEX_PAIRS + 2 * p[i], 2);
}
/* Unsigned as uppercase hex, zero-padded to at least `digits`. out >= 17. Returns length. */
size_t ds_fmt_uhex(char *out, uint64_t v, int digits);
/* Unsigned decimal. out >= 21. */
size_t ds_fmt_udec(char *out, uint64_t v);
/* The decimal text of every byte value: up to three digits, then the number of digits. */
extern const char DS_U8_TEXT[256][4];
/* A byte in decimal, 1 to 3 digits, no NUL (OBIS codes). Returns the length. One 4-byte copy:
 * out must have room for 4 bytes whatever the length. */
static inline size_t ds_fmt_u8(char *out, uint8_t v)
{
    memcpy(out, DS_U8_TEXT[v], 4);
    return (size_t)DS_U8_TEXT[v][3];
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
