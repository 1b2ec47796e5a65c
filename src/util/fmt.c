#include "util/fmt.h"

#include <string.h>

#include "util/copy.h"

static const char HEXDIGITS[] = "0123456789ABCDEF";

#if defined(__SSE2__)
/* Whole blocks of 16 bytes (ds_hex_vec16); returns how many bytes were done. */
static size_t hex_blocks(char *out, const uint8_t *p, size_t n)
{
    size_t done = 0;
    for (; done + 16 <= n; done += 16) ds_hex_vec16(out + 2 * done, _mm_loadu_si128((const __m128i *)(const void *)(p + done)));
    return done;
}
#else
static size_t hex_blocks(char *out, const uint8_t *p, size_t n)
{
    (void)out, (void)p, (void)n;
    return 0;
}
#endif

/* The two hex digits of every byte value: the tail after the blocks costs one 2-byte copy a byte. */
const char DS_HEX_PAIRS[513] =
    "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
    "202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F"
    "404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F"
    "606162636465666768696A6B6C6D6E6F707172737475767778797A7B7C7D7E7F"
    "808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9F"
    "A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF"
    "C0C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"
    "E0E1E2E3E4E5E6E7E8E9EAEBECEDEEEFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF";

void ds_hex_encode_any(char *out, const uint8_t *p, size_t n)
{
    size_t i = hex_blocks(out, p, n);
#if defined(__SSE2__)
    /* A tail of 4..15 bytes (after the blocks, or a whole short value) is one more block,
     * cheaper than a pair copy per byte; its digits are copied so that nothing past 2n is written. */
    size_t k = n - i;
    if (k >= 4 && k < 16) {  /* (k < 16 always: said for the compiler) */
        char digits[32];
        ds_hex_vec16(digits, ds_load_short16(p + i, k));
        ds_copy_short(out + 2 * i, digits, 2 * k);
        return;
    }
#endif
    ds_hex_pairs(out + 2 * i, p + i, n - i);
}

size_t ds_fmt_hex(char *out, const uint8_t *p, size_t n)
{
    ds_hex_encode(out, p, n);
    out[2 * n] = '\0';
    return 2 * n;
}

size_t ds_fmt_uhex(char *out, uint64_t v, int digits)
{
    if (v <= 0xFF && digits <= 2) { /* the most common case: one byte */
        if (v > 0xF || digits == 2) {
            memcpy(out, DS_HEX_PAIRS + 2 * v, 2);
            out[2] = '\0';
            return 2;
        }
        out[0] = HEXDIGITS[v];
        out[1] = '\0';
        return 1;
    }
    /* count the digits first, then fill from the right a byte (two digits) at a time */
    int n = (64 - __builtin_clzll(v | 1) + 3) / 4;
    if (digits > 16) digits = 16;
    if (n < digits) n = digits;
    int i = n;
    for (; i >= 2; i -= 2, v >>= 8) memcpy(out + i - 2, DS_HEX_PAIRS + 2 * (v & 0xFF), 2);
    if (i) out[0] = HEXDIGITS[v & 0xF];
    out[n] = '\0';
    return (size_t)n;
}

/* "00".."99": two digits per division */
const char DS_DEC_PAIRS[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                   "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                   "8081828384858687888990919293949596979899";

static const uint64_t POW10[20] = {1u,
                                   10u,
                                   100u,
                                   1000u,
                                   10000u,
                                   100000u,
                                   1000000u,
                                   10000000u,
                                   100000000u,
                                   1000000000u,
                                   10000000000u,
                                   100000000000u,
                                   1000000000000u,
                                   10000000000000u,
                                   100000000000000u,
                                   1000000000000000u,
                                   10000000000000000u,
                                   100000000000000000u,
                                   1000000000000000000u,
                                   10000000000000000000u};

#define U8_TEXT(n)                                                                         \
    {(char)('0' + ((n) >= 100 ? (n) / 100 : (n) >= 10 ? (n) / 10 : (n))),                  \
     (char)((n) >= 100 ? '0' + (n) / 10 % 10 : (n) >= 10 ? '0' + (n) % 10 : 0),             \
     (char)((n) >= 100 ? '0' + (n) % 10 : 0), (char)((n) >= 100 ? 3 : (n) >= 10 ? 2 : 1)}
#define U8_TEXT4(n) U8_TEXT(n), U8_TEXT((n) + 1), U8_TEXT((n) + 2), U8_TEXT((n) + 3)
#define U8_TEXT16(n) U8_TEXT4(n), U8_TEXT4((n) + 4), U8_TEXT4((n) + 8), U8_TEXT4((n) + 12)
#define U8_TEXT64(n) U8_TEXT16(n), U8_TEXT16((n) + 16), U8_TEXT16((n) + 32), U8_TEXT16((n) + 48)
const char DS_U8_TEXT[256][4] = {U8_TEXT64(0), U8_TEXT64(64), U8_TEXT64(128), U8_TEXT64(192)};

size_t ds_fmt_udec_wide(char *out, uint64_t v)
{
    /* the digit count first, so that the digits go straight to their place */
    int n = 1;
    while (n < 20 && v >= POW10[n]) n++;
    int i = n;
    while (v >= 100) {
        unsigned pair = (unsigned)(v % 100);
        v /= 100;
        i -= 2;
        memcpy(out + i, DS_DEC_PAIRS + 2 * pair, 2);
    }
    if (v >= 10) memcpy(out, DS_DEC_PAIRS + 2 * v, 2);
    else out[0] = (char)('0' + v);
    out[n] = '\0';
    return (size_t)n;
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

void ds_text_uint_w(ds_text *t, uint64_t v, int width)
{
    char tmp[24];
    size_t n = ds_fmt_udec(tmp, v);
    while ((int)n < width && t->len < sizeof t->buf - 1) {
        ds_text_put(t, "0", 1);
        width--;
    }
    ds_text_put_slow(t, tmp, n);
}

void ds_text_uhex(ds_text *t, uint64_t v, int digits)
{
    char tmp[24];
    ds_text_put_slow(t, tmp, ds_fmt_uhex(tmp, v, digits));
}

void ds_text_put_slow(ds_text *t, const char *s, size_t n)
{
    for (size_t i = 0; i < n && t->len < sizeof t->buf - 1; i++) t->buf[t->len++] = s[i];
    t->buf[t->len] = '\0';
}

int ds_text_is_plain(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)p[i];
        if (b < 0x20 || b > 0x7E || b == '&' || b == '<' || b == '>' || b == '"' || b == '\\') return 0;
        if (b == '-' && (i + 1 == n || p[i + 1] == '-')) return 0;
    }
    return 1;
}
