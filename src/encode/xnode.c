#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "encode/enc.h"

void ds_enc_init(ds_enc *enc, int decimal)
{
    memset(enc, 0, sizeof *enc);
    enc->decimal = decimal;
}

int ds_enc_fail(ds_enc *enc, const xmlNode *node, const char *fmt, ...)
{
    if (enc->error[0]) return -1; /* keep the first: later ones are usually consequences */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(enc->error, sizeof enc->error, fmt, ap);
    va_end(ap);
    if (!enc->error[0]) snprintf(enc->error, sizeof enc->error, "error");
    enc->error_line = node ? ds_x_line(node) : 0;
    return -1;
}

static int is_element(const xmlNode *n)
{
    return n && n->type == XML_ELEMENT_NODE;
}

xmlNode *ds_x_first(const xmlNode *parent)
{
    if (!parent) return NULL;
    xmlNode *n = parent->children;
    while (n && !is_element(n)) n = n->next;
    return n;
}

xmlNode *ds_x_next(const xmlNode *node)
{
    if (!node) return NULL;
    xmlNode *n = node->next;
    while (n && !is_element(n)) n = n->next;
    return n;
}

size_t ds_x_count(const xmlNode *parent)
{
    size_t k = 0;
    for (xmlNode *n = ds_x_first(parent); n; n = ds_x_next(n)) k++;
    return k;
}

const char *ds_x_name(const xmlNode *node)
{
    return node ? (const char *)node->name : "";
}

/* Element and attribute names compare without case (Gurux writes some in other cases). Most
 * compares fail, and most failures differ in the first letter: that is checked before the call. */
static int same_name(const char *a, const char *b)
{
    return tolower((unsigned char)a[0]) == tolower((unsigned char)b[0]) && strcasecmp(a, b) == 0;
}

int ds_x_is(const xmlNode *node, const char *name)
{
    return node && name && same_name((const char *)node->name, name);
}

long ds_x_line(const xmlNode *node)
{
    return node ? xmlGetLineNo(node) : 0;
}

static const char *attr_text(const xmlAttr *a)
{
    if (a->children && a->children->type == XML_TEXT_NODE && a->children->content)
        return (const char *)a->children->content;
    return "";
}

const char *ds_x_attr(const xmlNode *node, const char *name)
{
    if (!node) return NULL;
    for (const xmlAttr *a = node->properties; a; a = a->next)
        if (same_name((const char *)a->name, name)) return attr_text(a);
    return NULL;
}

/* Attributes that are never a leaf's value. */
static int extra_attribute(const char *name)
{
    static const char *const EXTRA[] = {"Qty", "Size", "Direction", "Time", "From", "To", "len", "LLC", "Byte"};
    for (size_t i = 0; i < sizeof EXTRA / sizeof EXTRA[0]; i++)
        if (strcasecmp(name, EXTRA[i]) == 0) return 1;
    return 0;
}

const char *ds_x_value(const xmlNode *node, int *is_hex)
{
    if (is_hex) *is_hex = 0;
    const char *v = ds_x_attr(node, "Value");
    if (v) return v;
    v = ds_x_attr(node, "ValueHex");
    if (v) {
        if (is_hex) *is_hex = 1;
        return v;
    }
    for (const xmlAttr *a = node ? node->properties : NULL; a; a = a->next)
        if (!extra_attribute((const char *)a->name)) return attr_text(a);
    return NULL;
}

const char *ds_enc_need_value(ds_enc *enc, const xmlNode *node)
{
    const char *v = ds_x_value(node, NULL);
    if (!v) ds_enc_fail(enc, node, "<%s> has no Value", ds_x_name(node));
    return v;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static const char *skip_space(const char *s)
{
    while (*s && isspace((unsigned char)*s)) s++;
    return s;
}

/* Parses digits in `base` into *out; fails on anything else or on overflow of 64 bits. */
static int parse_digits(const char *s, int base, uint64_t *out)
{
    s = skip_space(s);
    if (base == 16 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2;
    if (!*s) {
        *out = 0; /* Gurux: an empty value is 0 */
        return 0;
    }
    uint64_t v = 0;
    for (; *s && !isspace((unsigned char)*s); s++) {
        int d = base == 16 ? hexval(*s) : (*s >= '0' && *s <= '9' ? *s - '0' : -1);
        if (d < 0) return -1;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) return -2;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    if (*skip_space(s)) return -1;
    *out = v;
    return 0;
}

/* ---- notes on the notation ---- */

static void vote(ds_num_evidence *ev, int hex, const xmlNode *node, const char *text, const char *why)
{
    int *votes = hex ? &ev->hex_votes : &ev->dec_votes;
    if ((*votes)++) return;
    long *line = hex ? &ev->hex_line : &ev->dec_line;
    char *out = hex ? ev->hex_why : ev->dec_why;
    *line = ds_x_line(node);
    snprintf(out, sizeof ev->hex_why, "<%s Value=\"%.24s\"> %s", ds_x_name(node), text, why);
}

static void note_differ(ds_num_evidence *ev, const xmlNode *node, const char *text, const char *as_hex,
                        const char *as_dec)
{
    if (ev->differ_line) return;
    ev->differ_line = ds_x_line(node);
    snprintf(ev->differ_why, sizeof ev->differ_why, "<%s Value=\"%.24s\"> is %s as hex, %s as decimal",
             ds_x_name(node), text, as_hex, as_dec);
}

/* Digits of a number as written (after white space; 0 when it has a 0x prefix or a sign). */
static size_t digit_count(const char *s, int *leading_zero)
{
    s = skip_space(s);
    *leading_zero = s[0] == '0';
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) return 0;
    size_t n = 0;
    while (s[n] && !isspace((unsigned char)s[n])) n++;
    return n;
}

/* The padding hint of a fixed-size number: more than one digit with a leading zero is hex
 * (decimal is never padded); fewer digits than two per byte is decimal (hex always is). */
static void padding_hint(ds_num_evidence *ev, const xmlNode *node, const char *text, size_t bytes)
{
    int zero;
    size_t d = digit_count(text, &zero);
    if (d >= 2 && zero) vote(ev, 1, node, text, "is zero-padded as in hex");
    else if (d > 0 && d < 2 * bytes) vote(ev, 0, node, text, "is not padded as hex would be");
}

static void note_uint(ds_enc *enc, const xmlNode *node, const char *text, int flags, size_t bytes)
{
    uint64_t h, d, max = bytes >= 8 ? UINT64_MAX : ((uint64_t)1 << (8 * bytes)) - 1;
    int ok_h = parse_digits(text, 16, &h) == 0 && h <= max;
    int ok_d = parse_digits(text, 10, &d) == 0 && d <= max;
    if (ok_h && ok_d && h != d && (flags & DS_NUM_FRAME)) {
        enc->ev->frame_differ = 1;
    } else if (ok_h && ok_d && h != d) {
        char a[24], b[24];
        snprintf(a, sizeof a, "%llu", (unsigned long long)h);
        snprintf(b, sizeof b, "%llu", (unsigned long long)d);
        note_differ(enc->ev, node, text, a, b);
    }
    if (flags & DS_NUM_PADDED) padding_hint(enc->ev, node, text, bytes);
}

void ds_enc_note_count(ds_enc *enc, const xmlNode *node, const char *qty, size_t count)
{
    if (!enc->ev || !qty) return;
    uint64_t h, d;
    /* Gurux's hex mode cuts Qty to 8 bits (GURUX-XML.md §10 #9) */
    int by_hex = parse_digits(qty, 16, &h) == 0 && (h == count || (count > 0xFF && h == (count & 0xFF)));
    int by_dec = parse_digits(qty, 10, &d) == 0 && d == count;
    if (by_hex != by_dec) vote(enc->ev, by_hex, node, qty, by_hex ? "counts the elements in hex" : "counts the elements in decimal");
}

int ds_enc_uint(ds_enc *enc, const xmlNode *node, const char *text, int flags, size_t bytes, uint64_t *out)
{
    int force_hex = flags & DS_NUM_HEX_ALWAYS;
    if (enc->ev && !force_hex) note_uint(enc, node, text, flags, bytes);
    int base = (force_hex || !enc->decimal) ? 16 : 10;
    int rc = parse_digits(text, base, out);
    if (rc == -1)
        return ds_enc_fail(enc, node, "<%s Value=\"%s\">: not a %s number", ds_x_name(node), text,
                           base == 16 ? "hex" : "decimal");
    uint64_t max = bytes >= 8 ? UINT64_MAX : ((uint64_t)1 << (8 * bytes)) - 1;
    if (rc == -2 || *out > max)
        return ds_enc_fail(enc, node, "<%s Value=\"%s\">: does not fit in %zu byte(s)", ds_x_name(node), text, bytes);
    return 0;
}

static int sint_hex(ds_enc *enc, const xmlNode *node, const char *text, size_t bytes, int64_t *out);
static int sint_dec(ds_enc *enc, const xmlNode *node, const char *text, size_t bytes, int64_t *out);

/* Both readings of a signed number, without failing the unit. */
static void note_sint(ds_enc *enc, const xmlNode *node, const char *text, size_t bytes)
{
    ds_enc probe;
    ds_enc_init(&probe, 0);
    int64_t h, d;
    int ok_h = sint_hex(&probe, node, text, bytes, &h) == 0;
    int ok_d = sint_dec(&probe, node, text, bytes, &d) == 0;
    if (ok_h && ok_d && h != d) {
        char a[24], b[24];
        snprintf(a, sizeof a, "%lld", (long long)h);
        snprintf(b, sizeof b, "%lld", (long long)d);
        note_differ(enc->ev, node, text, a, b);
    }
    padding_hint(enc->ev, node, text, bytes);
}

int ds_enc_sint(ds_enc *enc, const xmlNode *node, const char *text, size_t bytes, int64_t *out)
{
    if (enc->ev) note_sint(enc, node, text, bytes);
    return enc->decimal ? sint_dec(enc, node, text, bytes, out) : sint_hex(enc, node, text, bytes, out);
}

/* Two's complement in hex: at most 2*bytes digits, sign-extended from the top bit. */
static int sint_hex(ds_enc *enc, const xmlNode *node, const char *text, size_t bytes, int64_t *out)
{
    unsigned bits = (unsigned)(8 * bytes);
    uint64_t u;
    const char *s = skip_space(text);
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2; /* as ds_enc_uint reads it */
    size_t digits = 0;
    for (const char *q = s; *q && !isspace((unsigned char)*q); q++) digits++;
    ds_num_evidence *ev = enc->ev;
    enc->ev = NULL; /* noted by the caller already */
    int bad = digits > 2 * bytes || ds_enc_uint(enc, node, text, DS_NUM_HEX_ALWAYS, bytes, &u);
    enc->ev = ev;
    if (bad) return ds_enc_fail(enc, node, "<%s Value=\"%s\">: not a %zu-byte hex value", ds_x_name(node), text, bytes);
    if (bits < 64 && (u >> (bits - 1)) & 1) u |= ~(uint64_t)0 << bits;
    *out = (int64_t)u;
    return 0;
}

static int sint_dec(ds_enc *enc, const xmlNode *node, const char *text, size_t bytes, int64_t *out)
{
    unsigned bits = (unsigned)(8 * bytes);
    const char *s = skip_space(text);
    int neg = *s == '-';
    if (neg || *s == '+') s++;
    uint64_t mag;
    int rc = parse_digits(s, 10, &mag);
    if (rc == -1 || !*skip_space(s))
        return ds_enc_fail(enc, node, "<%s Value=\"%s\">: not a decimal number", ds_x_name(node), text);
    uint64_t limit = bits >= 64 ? (uint64_t)INT64_MAX : ((uint64_t)1 << (bits - 1)) - 1;
    if (rc == -2 || mag > limit + (neg ? 1 : 0))
        return ds_enc_fail(enc, node, "<%s Value=\"%s\">: does not fit in %zu signed byte(s)", ds_x_name(node), text,
                           bytes);
    *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return 0;
}

int ds_enc_hex(ds_enc *enc, const xmlNode *node, const char *text, long expect, ds_buf *out)
{
    size_t start = out->len;
    int hi = -1;
    for (const char *s = text; *s; s++) {
        if (isspace((unsigned char)*s)) {
            if (hi >= 0) break; /* a space inside a byte pair */
            continue;
        }
        int d = hexval(*s);
        if (d < 0) return ds_enc_fail(enc, node, "<%s>: '%c' is not a hex digit", ds_x_name(node), *s);
        if (hi < 0) {
            hi = d;
        } else {
            if (ds_buf_byte(out, (uint8_t)(hi << 4 | d)))
                return ds_enc_fail(enc, node, "<%s>: value too large", ds_x_name(node));
            hi = -1;
        }
    }
    if (hi >= 0) return ds_enc_fail(enc, node, "<%s>: odd number of hex digits", ds_x_name(node));
    if (expect >= 0 && out->len - start != (size_t)expect)
        return ds_enc_fail(enc, node, "<%s>: %zu byte(s) where %ld are needed", ds_x_name(node), out->len - start,
                           expect);
    return 0;
}

int ds_enc_dec(ds_enc *enc, const xmlNode *node, const char *text, uint64_t max, uint64_t *out)
{
    int rc = parse_digits(text, 10, out);
    if (rc == -1) return ds_enc_fail(enc, node, "<%s Value=\"%s\">: not a decimal number", ds_x_name(node), text);
    if (rc == -2 || *out > max)
        return ds_enc_fail(enc, node, "<%s Value=\"%s\">: larger than %llu", ds_x_name(node), text,
                           (unsigned long long)max);
    return 0;
}
