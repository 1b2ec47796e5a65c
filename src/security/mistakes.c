/* The search for the usual mistakes behind a tag or HLS value that does not verify: keys typed
 * the wrong way (ASCII text for hex, or the reverse, whole or cut to a key's length), keys
 * swapped, the other side's system title, an invocation counter off by one, the other kind of
 * key. One list of guesses for ciphering and HLS-GMAC alike; each caller tests a guess its way. */
#include "security/mistakes.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/platform_util.h>

__attribute__((format(printf, 3, 4))) static void say(char *why, size_t whylen, const char *fmt, ...)
{
    if (why == NULL || whylen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
}

static int is_hex_digit(uint8_t b)
{
    return (b >= '0' && b <= '9') || (b >= 'A' && b <= 'F') || (b >= 'a' && b <= 'f');
}

static void add_reading(ds_reading *out, size_t *n, ds_reading_kind kind, const uint8_t *p, size_t len,
                        const uint8_t *orig, size_t orig_len, size_t want)
{
    if (*n >= DS_READINGS_MAX || len == 0 || len > DS_READING_MAX || (want && len != want)) return;
    if (orig && len == orig_len && memcmp(p, orig, len) == 0) return; /* not another reading */
    for (size_t i = 0; i < *n; i++)
        if (out[i].len == len && memcmp(out[i].bytes, p, len) == 0) return;
    out[*n].kind = kind;
    memcpy(out[*n].bytes, p, len);
    out[*n].len = len;
    (*n)++;
}

/* Hex text (NUL-terminated) to bytes as keys are read; 0 when it is not hex or too long. */
static size_t hex_reading(const char *text, uint8_t out[DS_READING_MAX])
{
    int n = ds_hex_to_bytes(text, out, DS_READING_MAX);
    return n > 0 ? (size_t)n : 0;
}

static void spell_hex(const uint8_t *p, size_t n, const char *digits, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* The typed text's readings: all of it as ASCII, its first want characters as ASCII, it as hex. */
static void text_readings(const char *text, const uint8_t *orig, size_t orig_len, size_t want, ds_reading *out,
                          size_t *n)
{
    uint8_t tmp[DS_READING_MAX];
    size_t tl = strnlen(text, 2 * DS_READING_MAX + 1);
    if (tl <= DS_READING_MAX) add_reading(out, n, DS_READ_ASCII, (const uint8_t *)text, tl, orig, orig_len, want);
    if (want && tl > want) add_reading(out, n, DS_READ_ASCII_PREFIX, (const uint8_t *)text, want, orig, orig_len, want);
    if (tl <= 2 * DS_READING_MAX) {
        size_t hn = hex_reading(text, tmp);
        add_reading(out, n, DS_READ_HEX_TEXT, tmp, hn, orig, orig_len, want);
    }
    mbedtls_platform_zeroize(tmp, sizeof tmp);
}

size_t ds_key_readings(const uint8_t *bytes, size_t len, const char *text, size_t want,
                       ds_reading out[DS_READINGS_MAX])
{
    size_t n = 0;
    char spelled[2 * DS_READING_MAX + 1];
    if (text) {
        text_readings(text, bytes, len, want, out, &n);
    } else if (bytes && len <= DS_READING_MAX) {
        /* without the text: the two ways its hex is written, each as ASCII */
        spell_hex(bytes, len, "0123456789ABCDEF", spelled);
        text_readings(spelled, bytes, len, want, out, &n);
        spell_hex(bytes, len, "0123456789abcdef", spelled);
        text_readings(spelled, bytes, len, want, out, &n);
    }
    /* bytes that are all ASCII hex digits: the key's text converted to hex once too often */
    size_t digits = 0;
    while (bytes && digits < len && is_hex_digit(bytes[digits])) digits++;
    if (bytes && len > 0 && digits == len && len <= 2 * DS_READING_MAX) {
        memcpy(spelled, bytes, len);
        spelled[len] = '\0';
        uint8_t tmp[DS_READING_MAX];
        size_t hn = hex_reading(spelled, tmp);
        add_reading(out, &n, DS_READ_HEX_DIGITS, tmp, hn, bytes, len, want);
        mbedtls_platform_zeroize(tmp, sizeof tmp);
    }
    mbedtls_platform_zeroize(spelled, sizeof spelled);
    return n;
}

/* ---- the search ------------------------------------------------------------------------------ */

typedef struct search {
    const ds_mistake_inputs *in;
    ds_guess_test test;
    void *ctx;
} search;

static int works(const search *s, const uint8_t *ek, size_t ek_len, const uint8_t *ak, size_t ak_len,
                 const uint8_t *title, int32_t ic_delta)
{
    ds_guess g = {ek, ak, ek_len, ak_len, title, ic_delta};
    return s->test(s->ctx, &g);
}

static const char *reading_code(ds_reading_kind kind)
{
    switch (kind) {
    case DS_READ_ASCII_PREFIX: return "key-ascii-prefix";
    case DS_READ_HEX_DIGITS: return "key-hex-digits";
    case DS_READ_ASCII:
    case DS_READ_HEX_TEXT:
    default: return "key-ascii";
    }
}

/* What was done to a key, after "the EK ...": "is read as ...". text is shown with show_keys. */
static void reading_phrase(const ds_reading *r, const char *text, size_t given_len, int show_keys, char *out,
                           size_t cap)
{
    size_t tl = text ? strlen(text) : 0;
    switch (r->kind) {
    case DS_READ_ASCII:
        if (show_keys && text) snprintf(out, cap, "is read as the ASCII text %s, not as hex", text);
        else snprintf(out, cap, "is read as the ASCII text of its %zu characters, not as hex", r->len);
        break;
    case DS_READ_ASCII_PREFIX:
        if (show_keys && text)
            snprintf(out, cap, "is the ASCII text of its first %zu characters, %.*s, not the hex of all %zu", r->len,
                     (int)r->len, text, tl);
        else
            snprintf(out, cap, "is the ASCII text of its first %zu characters, not the hex of all %zu", r->len, tl);
        break;
    case DS_READ_HEX_TEXT:
        snprintf(out, cap, "is read as hex, not as ASCII text");
        break;
    case DS_READ_HEX_DIGITS:
    default:
        snprintf(out, cap, "is read as hex: its %zu bytes are the ASCII codes of the %zu hex digits of the key",
                 given_len, given_len);
        break;
    }
}

/* EK alone, AK alone, then both, read otherwise. */
static const char *try_readings(const search *s, char *why, size_t whylen)
{
    const ds_mistake_inputs *in = s->in;
    ds_reading ek[DS_READINGS_MAX], ak[DS_READINGS_MAX];
    size_t nek = in->ek ? ds_key_readings(in->ek, in->ek_len, in->ek_text, in->key_len, ek) : 0;
    size_t nak = in->ak ? ds_key_readings(in->ak, in->ak_len, in->ak_text, in->key_len, ak) : 0;
    const char *code = NULL;
    char p1[160], p2[160];
    /* index n stands for the key as given */
    for (size_t i = 0; i <= nek && !code; i++)
        for (size_t j = 0; j <= nak && !code; j++) {
            if (i == nek && j == nak) continue;
            const uint8_t *e = i < nek ? ek[i].bytes : in->ek, *a = j < nak ? ak[j].bytes : in->ak;
            size_t el = i < nek ? ek[i].len : in->ek_len, al = j < nak ? ak[j].len : in->ak_len;
            if (!e || !works(s, e, el, a, al, in->title, 0)) continue;
            if (i < nek) reading_phrase(&ek[i], in->ek_text, in->ek_len, in->show_keys, p1, sizeof p1);
            if (j < nak) reading_phrase(&ak[j], in->ak_text, in->ak_len, in->show_keys, p2, sizeof p2);
            if (i < nek && j < nak)
                say(why, whylen, "when the %s %s, and the AK %s", in->ek_role, p1, p2);
            else if (i < nek)
                say(why, whylen, "when the %s %s", in->ek_role, p1);
            else
                say(why, whylen, "when the AK %s", p2);
            code = reading_code(i < nek ? ek[i].kind : ak[j].kind);
        }
    mbedtls_platform_zeroize(ek, sizeof ek);
    mbedtls_platform_zeroize(ak, sizeof ak);
    return code;
}

static void title_text(const uint8_t *t, char out[17])
{
    spell_hex(t, 8, "0123456789ABCDEF", out);
}

const char *ds_mistake_search(const ds_mistake_inputs *in, ds_guess_test test, void *ctx, char *why, size_t whylen)
{
    say(why, whylen, "%s", "");
    if (!in || !test) return NULL;
    search s = {in, test, ctx};
    const char *code = try_readings(&s, why, whylen);
    if (code) return code;
    if (in->ek && in->ak && works(&s, in->ak, in->ak_len, in->ek, in->ek_len, in->title, 0)) {
        say(why, whylen, "with the %s and the AK swapped", in->ek_role);
        return "keys-swapped";
    }
    if (in->ek && in->title && in->other_title && memcmp(in->title, in->other_title, DS_TITLE_LEN) != 0 &&
        works(&s, in->ek, in->ek_len, in->ak, in->ak_len, in->other_title, 0)) {
        char t[17];
        title_text(in->other_title, t);
        say(why, whylen, "with the other side's system title %s: the client and server titles are swapped", t);
        return "titles-swapped";
    }
    for (int32_t d = -1; in->ek && d <= 1; d += 2)
        if (works(&s, in->ek, in->ek_len, in->ak, in->ak_len, in->title, d)) {
            say(why, whylen, "with invocation counter %08lX, not the %08lX it carries",
                (unsigned long)(uint32_t)(in->ic + (uint32_t)d), (unsigned long)in->ic);
            return "ic-off-by-one";
        }
    if (in->other_ek && works(&s, in->other_ek, in->other_ek_len, in->ak, in->ak_len, in->title, 0)) {
        int ded = in->other_ek_is_dedicated;
        say(why, whylen, "with the %s key instead of the %s key", ded ? "dedicated" : "global",
            ded ? "global" : "dedicated");
        return ded ? "dedicated-key" : "global-key";
    }
    return NULL;
}
