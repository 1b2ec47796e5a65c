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

int ds_x_is(const xmlNode *node, const char *name)
{
    return node && name && strcasecmp((const char *)node->name, name) == 0;
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
        if (strcasecmp((const char *)a->name, name) == 0) return attr_text(a);
    return NULL;
}

/* Attributes that are never a leaf's value. */
static int extra_attribute(const char *name)
{
    static const char *const EXTRA[] = {"Qty", "Size", "Direction", "Time", "len", "LLC", "Byte"};
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

int ds_enc_uint(ds_enc *enc, const xmlNode *node, const char *text, int force_hex, size_t bytes, uint64_t *out)
{
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

int ds_enc_sint(ds_enc *enc, const xmlNode *node, const char *text, size_t bytes, int64_t *out)
{
    unsigned bits = (unsigned)(8 * bytes);
    if (!enc->decimal) {
        /* Two's complement in hex: at most 2*bytes digits, sign-extended from the top bit. */
        uint64_t u;
        const char *s = skip_space(text);
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2; /* as ds_enc_uint reads it */
        size_t digits = 0;
        for (const char *q = s; *q && !isspace((unsigned char)*q); q++) digits++;
        if (digits > 2 * bytes || ds_enc_uint(enc, node, text, 1, bytes, &u))
            return ds_enc_fail(enc, node, "<%s Value=\"%s\">: not a %zu-byte hex value", ds_x_name(node), text, bytes);
        if (bits < 64 && (u >> (bits - 1)) & 1) u |= ~(uint64_t)0 << bits;
        *out = (int64_t)u;
        return 0;
    }
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
