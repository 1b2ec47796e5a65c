#include "util/fmt.h"

#include <string.h>

static const char HEXDIGITS[] = "0123456789ABCDEF";

size_t ds_fmt_hex(char *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEXDIGITS[p[i] >> 4];
        out[2 * i + 1] = HEXDIGITS[p[i] & 0xF];
    }
    out[2 * n] = '\0';
    return 2 * n;
}

size_t ds_fmt_uhex(char *out, uint64_t v, int digits)
{
    /* count the digits first, then fill from the right: no reversal pass */
    int n = 1;
    while (n < 16 && (v >> (4 * n)) != 0) n++;
    if (digits > 16) digits = 16;
    if (n < digits) n = digits;
    for (int i = n - 1; i >= 0; i--) {
        out[i] = HEXDIGITS[v & 0xF];
        v >>= 4;
    }
    out[n] = '\0';
    return (size_t)n;
}

/* "00".."99": two digits per division */
static const char DEC_PAIRS[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                   "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                   "8081828384858687888990919293949596979899";

size_t ds_fmt_udec(char *out, uint64_t v)
{
    char tmp[20];
    int n = 20;
    while (v >= 100) {
        unsigned pair = (unsigned)(v % 100);
        v /= 100;
        tmp[--n] = DEC_PAIRS[2 * pair + 1];
        tmp[--n] = DEC_PAIRS[2 * pair];
    }
    if (v >= 10) {
        tmp[--n] = DEC_PAIRS[2 * v + 1];
        tmp[--n] = DEC_PAIRS[2 * v];
    } else {
        tmp[--n] = (char)('0' + v);
    }
    size_t len = (size_t)(20 - n);
    memcpy(out, tmp + n, len);
    out[len] = '\0';
    return len;
}

size_t ds_fmt_sdec(char *out, int64_t v)
{
    if (v < 0) {
        out[0] = '-';
        /* negate in unsigned arithmetic: well defined for INT64_MIN too */
        return 1 + ds_fmt_udec(out + 1, (uint64_t)0 - (uint64_t)v);
    }
    return ds_fmt_udec(out, (uint64_t)v);
}

size_t ds_fmt_shex(char *out, int64_t v, int digits)
{
    if (digits < 1) digits = 1;
    if (digits > 16) digits = 16;
    uint64_t u = (uint64_t)v;
    if (digits < 16) u &= (((uint64_t)1) << (4 * digits)) - 1;
    for (int i = digits - 1; i >= 0; i--) {
        out[i] = HEXDIGITS[u & 0xF];
        u >>= 4;
    }
    out[digits] = '\0';
    return (size_t)digits;
}

static void text_put(ds_text *t, const char *s, size_t n)
{
    size_t room = sizeof t->buf - 1 - t->len;
    if (n > room) n = room;
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

void ds_text_str(ds_text *t, const char *s)
{
    text_put(t, s, strlen(s));
}

void ds_text_uint(ds_text *t, uint64_t v)
{
    char tmp[24];
    text_put(t, tmp, ds_fmt_udec(tmp, v));
}

void ds_text_uint_w(ds_text *t, uint64_t v, int width)
{
    char tmp[24];
    size_t n = ds_fmt_udec(tmp, v);
    while ((int)n < width && t->len < sizeof t->buf - 1) {
        text_put(t, "0", 1);
        width--;
    }
    text_put(t, tmp, n);
}

void ds_text_uhex(ds_text *t, uint64_t v, int digits)
{
    char tmp[24];
    text_put(t, tmp, ds_fmt_uhex(tmp, v, digits));
}
