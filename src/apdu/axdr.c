/* A-XDR Data decoding (Green Book Data CHOICE) to sink events.
 *
 * Failure contract: a diagnostic is reported, every container this code
 * opened is closed again, c->pos is left at the tag of the element that could
 * not be decoded, and -1 is returned. Lengths and counts are checked against
 * the bytes that are left before anything is looped over or allocated.
 *
 * CompactArray output (the sink has no element text, so Gurux's
 * <ArrayContents>5;0</ArrayContents> becomes an attribute):
 *
 *   <CompactArray>
 *     <ContentsDescription>
 *       <Structure Qty="02" >          nested Structure/Array containers (Array
 *         <UInt8 />                    Qty = the declared element count) with one
 *         <UInt16 />                   bare type leaf per simple type
 *       </Structure>
 *     </ContentsDescription>
 *     <ArrayContents>
 *       <Row Value="1;2" />            one Row per array element when the element
 *       <Row Value="3;4" />            type is a structure or an array: its simple
 *     </ArrayContents>                 values in order, ';'-separated
 *   </CompactArray>
 *
 * When the element type is simple, all values go on one leaf:
 * <ArrayContents Value="5;0" />. Row values follow Gurux: integers, enums and
 * BCD in decimal in both modes, booleans True/False, bit strings as 0/1,
 * floats as their value, octet strings and date/time bytes as spaced hex
 * ("AA BB CC"), strings as their characters.
 *
 * A compact-array type description must describe values that take at least
 * one content byte each: null, dont-care, nested compact arrays, empty
 * structures and arrays of 0 elements are rejected. That keeps the work per
 * content byte bounded (no loops over values that consume nothing). */
#include "apdu/axdr.h"
#include "apdu/apdu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "names/names.h"
#include "util/fmt.h"

/* ---- small helpers ---------------------------------------------------------------------- */

/* One row per A-XDR Data type: its Gurux element name, its content size when fixed, and its
 * decoder. decode_value() dispatches through the row of the tag it reads (a tail call, no
 * switch); the compact-array code reads names and sizes from the same rows. */
typedef struct axdr_type axdr_type;
/* Decodes the value after its tag (at `start`); the failure contract of the file header. */
typedef int (*decode_fn)(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t);
struct axdr_type {
    const char *name;  /* NULL: not a Data type */
    uint8_t name_len;  /* strlen(name): the writers are given it, not left to measure it */
    uint8_t size;      /* content bytes of a fixed-size type; 0 for the others */
    decode_fn decode;
};
#define TYPE(name, size, decode) {"" name, sizeof(name) - 1, size, decode}

static int decode_bare(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t);
static int decode_container(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t);
static int decode_boolean(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t);
static int decode_bit_string(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t);
static int decode_signed(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t);
static int decode_unsigned(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t);
static int decode_real(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t);
static int decode_date(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t);
static int decode_octets(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t);
static int decode_text(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t);
static int decode_compact_array(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t);

static const axdr_type TYPES[256] = {
    [DS_T_NULL] = TYPE("None", 0, decode_bare),
    [DS_T_ARRAY] = TYPE("Array", 0, decode_container),
    [DS_T_STRUCTURE] = TYPE("Structure", 0, decode_container),
    [DS_T_BOOLEAN] = TYPE("Boolean", 1, decode_boolean),
    [DS_T_BIT_STRING] = TYPE("BitString", 0, decode_bit_string),
    [DS_T_INT32] = TYPE("Int32", 4, decode_signed),
    [DS_T_UINT32] = TYPE("UInt32", 4, decode_unsigned),
    [DS_T_OCTET_STRING] = TYPE("OctetString", 0, decode_octets),
    [DS_T_VISIBLE_STRING] = TYPE("String", 0, decode_text),
    [DS_T_UTF8_STRING] = TYPE("StringUTF8", 0, decode_text),
    [DS_T_BCD] = TYPE("BCD", 1, decode_unsigned),
    [DS_T_INT8] = TYPE("Int8", 1, decode_signed),
    [DS_T_INT16] = TYPE("Int16", 2, decode_signed),
    [DS_T_UINT8] = TYPE("UInt8", 1, decode_unsigned),
    [DS_T_UINT16] = TYPE("UInt16", 2, decode_unsigned),
    [DS_T_COMPACT_ARRAY] = TYPE("CompactArray", 0, decode_compact_array),
    [DS_T_INT64] = TYPE("Int64", 8, decode_signed),
    [DS_T_UINT64] = TYPE("UInt64", 8, decode_unsigned),
    [DS_T_ENUM] = TYPE("Enum", 1, decode_unsigned),
    [DS_T_FLOAT32] = TYPE("Float32", 4, decode_real),
    [DS_T_FLOAT64] = TYPE("Float64", 8, decode_real),
    [DS_T_DATE_TIME] = TYPE("DateTime", 12, decode_date),
    [DS_T_DATE] = TYPE("Date", 5, decode_date),
    [DS_T_TIME] = TYPE("Time", 4, decode_date),
    [DS_T_DONT_CARE] = TYPE("DontCare", 0, decode_bare),
};

const char *ds_axdr_type_name(uint8_t tag) { return TYPES[tag].name; }

/* What a type is follows from its row's decoder, so that the table stays the one place that
 * says which types exist, how long they are and how they are read. */
ds_axdr_kind ds_axdr_type_kind(uint8_t tag)
{
    decode_fn d = TYPES[tag].decode;
    if (!d) return DS_AXDR_K_NONE;
    if (d == decode_bare) return DS_AXDR_K_BARE;
    if (d == decode_container) return DS_AXDR_K_CONTAINER;
    if (d == decode_boolean) return DS_AXDR_K_BOOLEAN;
    if (d == decode_bit_string) return DS_AXDR_K_BITS;
    if (d == decode_signed) return DS_AXDR_K_SIGNED;
    if (d == decode_real) return DS_AXDR_K_REAL;
    if (d == decode_date) return DS_AXDR_K_DATE;
    if (d == decode_octets) return DS_AXDR_K_OCTETS;
    if (d == decode_text) return DS_AXDR_K_TEXT;
    if (d == decode_compact_array) return DS_AXDR_K_COMPACT;
    return DS_AXDR_K_UNSIGNED;
}

ds_axdr_form ds_axdr_type_form(uint8_t tag)
{
    switch (ds_axdr_type_kind(tag)) {
    case DS_AXDR_K_NONE: return DS_AXDR_NONE;
    case DS_AXDR_K_BARE: return DS_AXDR_BARE;
    case DS_AXDR_K_CONTAINER: return DS_AXDR_CONTAINER;
    case DS_AXDR_K_BITS: return DS_AXDR_BITS;
    case DS_AXDR_K_OCTETS: case DS_AXDR_K_TEXT: return DS_AXDR_COUNTED;
    case DS_AXDR_K_COMPACT: return DS_AXDR_COMPACT;
    default: return DS_AXDR_FIXED;
    }
}

int ds_axdr_type_named(const char *name)
{
    /* the first letter, case folded, before the whole name: most rows are passed over by it */
    int first = name[0] | 0x20;
    for (int tag = 0; tag < 256; tag++) {
        const char *n = TYPES[tag].name;
        if (n && (n[0] | 0x20) == first && strcasecmp(n, name) == 0) return tag;
    }
    return -1;
}

size_t ds_axdr_type_size(uint8_t tag) { return TYPES[tag].size; }

int ds_axdr_type_signed(uint8_t tag) { return TYPES[tag].decode == decode_signed; }

/* A compact-array element type, by the rules of describe_type (below). */
static int skip_type_description(ds_cursor *c, int depth)
{
    uint8_t tag;
    size_t n;
    uint64_t count;
    if (depth > DS_MAX_DEPTH || ds_cur_u8(c, &tag)) return -1;
    if (tag == DS_T_STRUCTURE) {
        if (ds_cur_len(c, &n, NULL) || n == 0 || n > ds_cur_left(c)) return -1;
        for (size_t i = 0; i < n; i++)
            if (skip_type_description(c, depth + 1)) return -1;
        return 0;
    }
    if (tag == DS_T_ARRAY) {
        if (ds_cur_uint(c, 2, &count) || count == 0) return -1;
        return skip_type_description(c, depth + 1);
    }
    ds_axdr_form form = ds_axdr_type_form(tag);
    return TYPES[tag].size || form == DS_AXDR_COUNTED || form == DS_AXDR_BITS ? 0 : -1;
}

int ds_axdr_skip(ds_cursor *c, int depth)
{
    uint8_t tag;
    size_t count;
    const uint8_t *unused;
    if (depth > DS_MAX_DEPTH || ds_cur_u8(c, &tag)) return -1;
    switch (ds_axdr_type_form(tag)) {
    case DS_AXDR_BARE:
        return 0;
    case DS_AXDR_FIXED:
        return ds_cur_bytes(c, TYPES[tag].size, &unused) ? -1 : 0;
    case DS_AXDR_COUNTED:
        return ds_cur_len(c, &count, NULL) || ds_cur_bytes(c, count, &unused) ? -1 : 0;
    case DS_AXDR_BITS: /* the length counts bits */
        if (ds_cur_len(c, &count, NULL)) return -1;
        return ds_cur_bytes(c, count / 8 + (count % 8 != 0), &unused) ? -1 : 0;
    case DS_AXDR_CONTAINER:
        /* every element takes at least its tag byte, so a huge count stops at the end of the input */
        if (ds_cur_len(c, &count, NULL)) return -1;
        for (size_t i = 0; i < count; i++)
            if (ds_axdr_skip(c, depth + 1)) return -1;
        return 0;
    case DS_AXDR_COMPACT:
        if (skip_type_description(c, depth + 1)) return -1;
        return ds_cur_len(c, &count, NULL) || ds_cur_bytes(c, count, &unused) ? -1 : 0;
    default:
        return -1;
    }
}


static int is_printable(const uint8_t *p, size_t n)
{
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7E) return 0;
    return 1;
}

/* %g at the smallest precision that reads back as the same value (1.5, 0.1,
 * 230.8); plain notation while the exponent is small, so -200 is not -2e+02. */
static size_t format_real(char *buf, size_t size, const uint8_t *p, size_t n)
{
    double v;
    int max_prec;
    if (n == 4) {
        uint32_t u = (uint32_t)ds_be_uint(p, 4);
        float f;
        memcpy(&f, &u, sizeof f);
        v = f;
        max_prec = 9;
    } else {
        uint64_t u = ds_be_uint(p, 8);
        memcpy(&v, &u, sizeof v);
        max_prec = 17;
    }
    if (!isfinite(v)) return (size_t)snprintf(buf, size, "%g", v);
    int prec = 1;
    for (; prec < max_prec; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (n == 4 ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v) break;
    }
    const char *exp = strchr(buf, 'e');
    if (exp) {
        long x = strtol(exp + 1, NULL, 10);
        if (x >= 0 && x < max_prec && x + 1 > prec) prec = (int)x + 1;
    }
    int len = snprintf(buf, size, "%.*g", prec, v);
    return len < 0 ? 0 : (size_t)len;
}

/* ---- diagnostics shared by the decoders ---------------------------------------------------- */

/* Reads an A-XDR length in its long form (or a length that is cut short or invalid).
 * Problems are reported at the length field. */
static int read_long_len(ds_emit *e, ds_cursor *c, size_t *n, const char *what)
{
    size_t at = c->pos;
    int non_minimal = 0;
    int r = ds_cur_len(c, n, &non_minimal);
    if (r == DS_CUR_TRUNCATED) {
        ds_report(e, DS_D_APDU_TRUNCATED, DS_SEV_ERROR, at, "%s length field cut short", what);
        return -1;
    }
    if (r != DS_CUR_OK) {
        ds_report(e, DS_D_DATA_BAD_LENGTH, DS_SEV_ERROR, at, "%s length byte 0x%02X is not a valid length",
                  what, c->p[at]);
        return -1;
    }
    if (non_minimal)
        ds_report(e, DS_D_DATA_NON_MINIMAL, DS_SEV_WARNING, at,
                  "%s length %zu is encoded in more bytes than needed", what, *n);
    return 0;
}

/* Reads an A-XDR length. Nearly all lengths and counts take the one-byte form (below 0x80),
 * which is read here; the others go through read_long_len. */
static inline int read_len(ds_emit *e, ds_cursor *c, size_t *n, const char *what)
{
    if (c->pos < c->len && c->p[c->pos] < 0x80) {
        *n = c->p[c->pos++];
        return 0;
    }
    return read_long_len(e, c, n, what);
}

/* Takes the n bytes of a fixed-size value; on shortage reports apdu.truncated
 * and rewinds to the element's tag. */
static int take(ds_emit *e, ds_cursor *c, size_t start, size_t n, const char *what, const uint8_t **p)
{
    if (ds_cur_bytes(c, n, p)) {
        ds_report(e, DS_D_APDU_TRUNCATED, DS_SEV_ERROR, c->pos, "%s needs %zu bytes, %zu left", what, n,
                  ds_cur_left(c));
        c->pos = start;
        return -1;
    }
    return 0;
}

/* Checks our own depth first so the diagnostic carries the right offset. */
static int open_container(ds_emit *e, const char *name, size_t name_len, int counted, uint64_t qty, size_t at)
{
    if (e->depth >= DS_MAX_DEPTH) {
        ds_report(e, DS_D_APDU_TOO_DEEP, DS_SEV_ERROR, at, DS_TOO_DEEP_MESSAGE, DS_MAX_DEPTH);
        return -1;
    }
    return counted ? ds_emit_open_qty_len(e, name, name_len, qty) : ds_emit_open_len(e, name, name_len);
}

/* After an error inside a container: the rest of the APDU written where decoding stopped
 * (ds_emit_rest), the cursor left where the failure contract of the file header says. */
static void show_rest(ds_emit *e, ds_cursor *c)
{
    size_t at = c->pos;
    ds_emit_rest(e, c);
    c->pos = at;
}

/* ---- comments ------------------------------------------------------------------------------ */

void ds_axdr_octets_comment(ds_emit *e, const uint8_t *p, size_t n)
{
    if (!ds_emit_comments_on(e)) return;
    if (n == 6) {
        char buf[DS_OBIS_TEXT_MAX];
        int named;
        size_t len = ds_obis_text(p, buf, &named);
        if (p[5] == 0xFF || named) {
            ds_emit_note(e, buf, len);
            return;
        }
    }
    if (n == 12) {
        char buf[DS_DATETIME_TEXT_MAX];
        size_t len = ds_datetime_format(p, n, buf, sizeof buf);
        if (len) {
            ds_emit_note(e, buf, len);
            return;
        }
    }
    if (is_printable(p, n)) ds_emit_comment_text(e, (const char *)p, n);
}

static void date_comment(ds_emit *e, const uint8_t *p, size_t n)
{
    if (!ds_emit_comments_on(e)) return;
    char buf[DS_DATETIME_TEXT_MAX];
    size_t len = ds_datetime_format(p, n, buf, sizeof buf);
    if (len) ds_emit_note(e, buf, len);
}

/* ---- simple values ----------------------------------------------------------------------------- */

static int decode_bare(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t)
{
    (void)c, (void)start;
    ds_emit_bare_len(e, t->name, t->name_len);
    return 0;
}

/* In hex mode an integer is written as Gurux hN/sN: 2 * size digits, zero-padded, two's
 * complement when signed -- exactly its big-endian bytes in hex. So the bytes go to the sink
 * as they are, and only decimal mode assembles the value. */
static int decode_integer(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t, int is_signed)
{
    const uint8_t *p;
    if (take(e, c, start, t->size, t->name, &p)) return -1;
    if (!e->opt->decimal) {
        ds_emit_hex_len(e, t->name, t->name_len, p, t->size);
        return 0;
    }
    uint64_t u = ds_be_uint(p, t->size);
    if (is_signed) ds_emit_sint_len(e, t->name, t->name_len, ds_sign_extend(u, t->size), 2 * t->size);
    else ds_emit_uint_len(e, t->name, t->name_len, u, 2 * t->size);
    return 0;
}

static int decode_signed(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t)
{
    return decode_integer(e, c, start, t, 1);
}

/* unsigned integers, enums and BCD */
static int decode_unsigned(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t)
{
    return decode_integer(e, c, start, t, 0);
}

static int decode_boolean(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t)
{
    const uint8_t *p;
    if (take(e, c, start, 1, t->name, &p)) return -1;
    if (p[0] <= 1) {
        if (p[0]) ds_emit_value_len(e, t->name, t->name_len, "True", 4, DS_TEXT_PLAIN);
        else ds_emit_value_len(e, t->name, t->name_len, "False", 5, DS_TEXT_PLAIN);
        return 0;
    }
    /* TRUE sent as another byte than 01 (FF, as in BER, is common): the byte is kept in an
     * attribute of its own so that it re-encodes as it was. */
    char hex[3];
    ds_fmt_hex(hex, p, 1);
    const ds_attr attrs[2] = {DS_ATTR("Value", "True"), DS_ATTR("Byte", hex)};
    ds_emit_leaf_attrs(e, t->name, attrs, 2);
    return 0;
}

static int decode_real(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t)
{
    const uint8_t *p;
    if (take(e, c, start, t->size, t->name, &p)) return -1;
    if (ds_emit_comments_on(e)) {
        char buf[64];
        size_t len = format_real(buf, sizeof buf, p, t->size);
        if (len >= sizeof buf) len = sizeof buf - 1;
        ds_emit_comment_text(e, buf, len);
    }
    ds_emit_hex_len(e, t->name, t->name_len, p, t->size);
    return 0;
}

static int decode_date(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t)
{
    const uint8_t *p;
    if (take(e, c, start, t->size, t->name, &p)) return -1;
    date_comment(e, p, t->size);
    ds_emit_hex_len(e, t->name, t->name_len, p, t->size);
    return 0;
}

/* Reads a byte-counted value (octet/visible/utf8 string) after its tag. */
static int take_counted(ds_emit *e, ds_cursor *c, size_t start, const char *name, const uint8_t **p,
                        size_t *n)
{
    size_t at = c->pos;
    if (read_len(e, c, n, name)) {
        c->pos = start;
        return -1;
    }
    if (*n > ds_cur_left(c)) {
        ds_report(e, DS_D_DATA_BAD_LENGTH, DS_SEV_ERROR, at, "%s declares %zu bytes, only %zu left", name, *n,
                  ds_cur_left(c));
        c->pos = start;
        return -1;
    }
    (void)ds_cur_bytes(c, *n, p);
    return 0;
}

static int decode_octets(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t)
{
    const uint8_t *p;
    size_t n;
    if (take_counted(e, c, start, t->name, &p, &n)) return -1;
    ds_axdr_octets_comment(e, p, n);
    ds_emit_hex_len(e, t->name, t->name_len, p, n);
    return 0;
}

static int decode_text(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t)
{
    const uint8_t *p;
    size_t n;
    if (take_counted(e, c, start, t->name, &p, &n)) return -1;
    ds_emit_value_len(e, t->name, t->name_len, (const char *)p, n, 0);
    return 0;
}

static void bits_to_text(char *out, const uint8_t *p, size_t nbits)
{
    for (size_t i = 0; i < nbits; i++) out[i] = (char)('0' + ((p[i / 8] >> (7 - i % 8)) & 1));
}

/* Reads a bit-string after its tag: bit count, then the bytes holding them. */
static int take_bits(ds_emit *e, ds_cursor *c, size_t start, const uint8_t **p, size_t *nbits)
{
    size_t at = c->pos;
    if (read_len(e, c, nbits, "BitString")) {
        c->pos = start;
        return -1;
    }
    size_t bytes = *nbits / 8 + (*nbits % 8 != 0);
    if (bytes > ds_cur_left(c)) {
        ds_report(e, DS_D_DATA_BAD_LENGTH, DS_SEV_ERROR, at,
                  "BitString declares %zu bits (%zu bytes), only %zu bytes left", *nbits, bytes, ds_cur_left(c));
        c->pos = start;
        return -1;
    }
    (void)ds_cur_bytes(c, bytes, p);
    return 0;
}

static int decode_bit_string(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t)
{
    const uint8_t *p;
    size_t nbits;
    if (take_bits(e, c, start, &p, &nbits)) return -1;
    char small[256];
    char *buf = small;
    if (nbits > sizeof small) {
        /* bounded: nbits <= 8 * the bytes of the input */
        buf = malloc(nbits);
        if (!buf) {
            ds_report(e, DS_D_INPUT_TOO_LARGE, DS_SEV_ERROR, start, "out of memory for %zu bits", nbits);
            c->pos = start;
            return -1;
        }
    }
    bits_to_text(buf, p, nbits);
    ds_emit_value_len(e, t->name, t->name_len, buf, nbits, DS_TEXT_PLAIN);  /* 0s and 1s */
    if (buf != small) free(buf);
    return 0;
}

/* ---- compact array ------------------------------------------------------------------------------ */

typedef struct text_buf {
    char *p;
    size_t len;
    size_t cap;
} text_buf;

static int tb_put(text_buf *t, const char *s, size_t n)
{
    if (n > t->cap - t->len) return -1;
    memcpy(t->p + t->len, s, n);
    t->len += n;
    return 0;
}

static int tb_spaced_hex(text_buf *t, const uint8_t *p, size_t n)
{
    static const char HEX[] = "0123456789ABCDEF";
    if (n == 0) return 0;
    if (3 * n - 1 > t->cap - t->len) return -1;
    for (size_t i = 0; i < n; i++) {
        if (i) t->p[t->len++] = ' ';
        t->p[t->len++] = HEX[p[i] >> 4];
        t->p[t->len++] = HEX[p[i] & 0xF];
    }
    return 0;
}

static int is_counted_type(uint8_t tag)
{
    return tag == DS_T_OCTET_STRING || tag == DS_T_VISIBLE_STRING || tag == DS_T_UTF8_STRING ||
           tag == DS_T_BIT_STRING;
}

/* Checks one type description at d and shows it inside ContentsDescription. */
static int describe_type(ds_emit *e, ds_cursor *d)
{
    size_t at = d->pos;
    uint8_t tag;
    if (ds_cur_u8(d, &tag)) {
        ds_report(e, DS_D_APDU_TRUNCATED, DS_SEV_ERROR, at, "compact-array type description cut short");
        return -1;
    }
    if (tag == DS_T_STRUCTURE) {
        size_t n;
        size_t len_at = d->pos;
        if (read_len(e, d, &n, "compact-array structure")) return -1;
        if (n == 0 || n > ds_cur_left(d)) {
            ds_report(e, DS_D_DATA_BAD_LENGTH, DS_SEV_ERROR, len_at,
                      "compact-array structure declares %zu fields, %zu description bytes left", n,
                      ds_cur_left(d));
            return -1;
        }
        if (open_container(e, "Structure", strlen("Structure"), 1, n, at)) return -1;
        for (size_t i = 0; i < n; i++) {
            if (describe_type(e, d)) {
                ds_emit_close(e, "Structure");
                return -1;
            }
        }
        ds_emit_close(e, "Structure");
        return 0;
    }
    if (tag == DS_T_ARRAY) {
        uint64_t count;
        if (ds_cur_uint(d, 2, &count)) {
            ds_report(e, DS_D_APDU_TRUNCATED, DS_SEV_ERROR, d->pos, "compact-array array count cut short");
            return -1;
        }
        if (count == 0) {
            ds_report(e, DS_D_DATA_BAD_LENGTH, DS_SEV_ERROR, at + 1,
                      "compact-array type description has an array of 0 elements");
            return -1;
        }
        if (open_container(e, "Array", strlen("Array"), 1, count, at)) return -1;
        int r = describe_type(e, d);
        ds_emit_close(e, "Array");
        return r;
    }
    if (!TYPES[tag].size && !is_counted_type(tag)) {
        ds_report(e, DS_D_DATA_UNKNOWN_TYPE, DS_SEV_ERROR, at,
                  "type 0x%02X cannot be a compact-array element", tag);
        return -1;
    }
    ds_emit_bare_len(e, TYPES[tag].name, TYPES[tag].name_len);
    return 0;
}

/* Appends the text of one simple value read from v. -1 when v runs short. */
static int value_text(uint8_t tag, ds_cursor *v, text_buf *t)
{
    char num[64];
    const uint8_t *p;
    size_t n = TYPES[tag].size;
    if (n) {
        if (ds_cur_bytes(v, n, &p)) return -1;
        uint64_t u = ds_be_uint(p, n);
        switch (tag) {
        case DS_T_BOOLEAN: return u ? tb_put(t, "True", 4) : tb_put(t, "False", 5);
        case DS_T_INT8: case DS_T_INT16: case DS_T_INT32: case DS_T_INT64:
            return tb_put(t, num, ds_fmt_sdec(num, ds_sign_extend(u, n)));
        case DS_T_FLOAT32: case DS_T_FLOAT64: return tb_put(t, num, format_real(num, sizeof num, p, n));
        case DS_T_DATE_TIME: case DS_T_DATE: case DS_T_TIME: return tb_spaced_hex(t, p, n);
        default: return tb_put(t, num, ds_fmt_udec(num, u));
        }
    }
    if (tag == DS_T_BIT_STRING) {
        size_t nbits;
        if (ds_cur_len(v, &nbits, NULL)) return -1;
        size_t bytes = nbits / 8 + (nbits % 8 != 0);
        if (bytes > ds_cur_left(v) || nbits > t->cap - t->len) return -1;
        (void)ds_cur_bytes(v, bytes, &p);
        bits_to_text(t->p + t->len, p, nbits);
        t->len += nbits;
        return 0;
    }
    if (ds_cur_len(v, &n, NULL) || n > ds_cur_left(v)) return -1;
    (void)ds_cur_bytes(v, n, &p);
    if (tag == DS_T_OCTET_STRING) return tb_spaced_hex(t, p, n);
    return tb_put(t, (const char *)p, n);
}

/* Appends the values of one element of the (already checked) type at d. */
static int element_text(ds_cursor *d, ds_cursor *v, text_buf *t, int *first)
{
    uint8_t tag;
    if (ds_cur_u8(d, &tag)) return -1;
    if (tag == DS_T_STRUCTURE) {
        size_t n;
        if (ds_cur_len(d, &n, NULL)) return -1;
        for (size_t i = 0; i < n; i++)
            if (element_text(d, v, t, first)) return -1;
        return 0;
    }
    if (tag == DS_T_ARRAY) {
        uint64_t count;
        if (ds_cur_uint(d, 2, &count)) return -1;
        size_t elem = d->pos;
        for (uint64_t i = 0; i < count; i++) {
            d->pos = elem; /* count >= 1, so d ends after the element type */
            if (element_text(d, v, t, first)) return -1;
        }
        return 0;
    }
    if (!*first && tb_put(t, ";", 1)) return -1;
    *first = 0;
    return value_text(tag, v, t);
}

/* Decodes the contents (len bytes at c) as elements of the type described at desc. */
static int compact_contents(ds_emit *e, ds_cursor *c, const ds_cursor *desc, size_t len, text_buf *t)
{
    uint8_t top = desc->p[desc->pos];
    int rows = top == DS_T_STRUCTURE || top == DS_T_ARRAY;
    ds_cursor v;
    ds_cur_init(&v, c->p + c->pos, len);
    if (rows && open_container(e, "ArrayContents", strlen("ArrayContents"), 0, 0, c->pos)) return -1;
    int first = 1;
    size_t index = 0;
    while (v.pos < v.len) {
        size_t element_start = v.pos;
        size_t text_start = t->len;
        ds_cursor d = *desc;
        if (rows) {
            t->len = 0;
            first = 1;
        }
        if (element_text(&d, &v, t, &first)) {
            t->len = rows ? 0 : text_start;
            if (!rows) ds_emit_leaf_n(e, "ArrayContents", t->p, t->len);
            ds_report(e, DS_D_DATA_BAD_LENGTH, DS_SEV_ERROR, c->pos + element_start,
                      "compact-array contents end inside element %zu (%zu of %zu content bytes left)", index,
                      len - element_start, len);
            if (rows) ds_emit_close(e, "ArrayContents");
            c->pos += element_start;
            return -1;
        }
        if (rows) ds_emit_leaf_n(e, "Row", t->p, t->len);
        index++;
    }
    if (rows) ds_emit_close(e, "ArrayContents");
    else ds_emit_leaf_n(e, "ArrayContents", t->p, t->len);
    c->pos += len;
    return 0;
}

/* On failure c->pos is the tag when nothing of the values was shown, else the
 * first element that could not be decoded. */
static int compact_body(ds_emit *e, ds_cursor *c, size_t start)
{
    if (open_container(e, "ContentsDescription", strlen("ContentsDescription"), 0, 0, c->pos)) return -1;
    ds_cursor desc = *c;
    int r = describe_type(e, c);
    ds_emit_close(e, "ContentsDescription");
    if (r) {
        c->pos = start;
        return -1;
    }

    size_t len_at = c->pos;
    size_t len;
    if (read_len(e, c, &len, "CompactArray contents")) {
        c->pos = start;
        return -1;
    }
    if (len > ds_cur_left(c)) {
        ds_report(e, DS_D_DATA_BAD_LENGTH, DS_SEV_ERROR, len_at,
                  "CompactArray declares %zu content bytes, only %zu left", len, ds_cur_left(c));
        c->pos = start;
        return -1;
    }
    /* Every content byte yields at most 8 characters (a bit of a bit-string plus
     * separators stays below that), so this buffer cannot overflow. */
    char small[8 * 64 + 32];
    text_buf t = {small, 0, sizeof small};
    if (len > 64) {
        t.cap = (len > (SIZE_MAX - 32) / 8) ? 0 : 8 * len + 32;
        t.p = t.cap ? malloc(t.cap) : NULL;
        if (!t.p) {
            ds_report(e, DS_D_INPUT_TOO_LARGE, DS_SEV_ERROR, start,
                      "out of memory for a compact array of %zu bytes", len);
            c->pos = start;
            return -1;
        }
    }
    size_t contents = c->pos;
    r = compact_contents(e, c, &desc, len, &t);
    if (t.p != small) free(t.p);
    if (r && c->pos == contents) c->pos = start;
    return r;
}

static int decode_compact_array(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t)
{
    if (open_container(e, t->name, t->name_len, 0, 0, start)) {
        c->pos = start;
        return -1;
    }
    int r = compact_body(e, c, start);
    if (r && !e->rest_shown) {
        /* what was written of it cannot be encoded back: all its bytes after the tag go in the
         * rest, which the encoder then writes instead of the description and contents */
        size_t at = c->pos;
        c->pos = start + 1;
        show_rest(e, c);
        c->pos = at;
    }
    ds_emit_close_len(e, t->name, t->name_len);
    return r;
}

/* ---- containers and dispatch -------------------------------------------------------------------- */


static int decode_value(ds_emit *e, ds_cursor *c);

static int decode_container(ds_emit *e, ds_cursor *c, size_t start, const axdr_type *t)
{
    const char *name = t->name;
    size_t at = c->pos;
    size_t count;
    if (read_len(e, c, &count, name)) {
        c->pos = start;
        return -1;
    }
    /* every element takes at least its tag byte: reject impossible counts before looping */
    if (count > ds_cur_left(c)) {
        ds_report(e, DS_D_DATA_BAD_LENGTH, DS_SEV_ERROR, at, "%s declares %zu elements, only %zu bytes left", name,
                  count, ds_cur_left(c));
        c->pos = start;
        return -1;
    }
    if (open_container(e, name, t->name_len, 1, count, start)) {
        c->pos = start;
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        if (decode_value(e, c)) {
            show_rest(e, c); /* in the container: the encoder takes its count from Qty then */
            ds_emit_close_len(e, name, t->name_len);
            return -1;
        }
    }
    ds_emit_close_len(e, name, t->name_len);
    return 0;
}

static int missing_tag(ds_emit *e, size_t start)
{
    ds_report(e, DS_D_APDU_TRUNCATED, DS_SEV_ERROR, start, "data type tag missing");
    return -1;
}

static int unknown_type(ds_emit *e, ds_cursor *c, size_t start, uint8_t tag)
{
    ds_report(e, DS_D_DATA_UNKNOWN_TYPE, DS_SEV_ERROR, start, "unknown data type 0x%02X", tag);
    c->pos = start;
    return -1;
}

static int decode_value(ds_emit *e, ds_cursor *c)
{
    size_t start = c->pos;
    uint8_t tag;
    if (ds_cur_u8(c, &tag)) return missing_tag(e, start);
    const axdr_type *t = &TYPES[tag];
    if (!t->decode) return unknown_type(e, c, start, tag);
    return t->decode(e, c, start, t);
}

int ds_axdr_data(ds_emit *e, ds_cursor *c) { return decode_value(e, c); }
