/* Bytes -> values: the walk of schema_decode.c over the same descriptions (pdu_xdlms.c,
 * pdu_acse.c), building a ds_value per field instead of writing sink events; A-XDR Data through
 * the type table of axdr.c (ds_axdr_type_form/size).
 *
 * Everything that decides how bytes are read is the descriptions' and the type table's; this file
 * only keeps what it read, with what the bytes need to come back exactly: the chosen tags, and
 * the number of bytes a length took when it was longer than needed. The first error ends the
 * walk (the tree keeps what decoded before it) and is reported with its byte offset, with the
 * codes the XML decoder uses for the same problem. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "apdu/apdu.h"
#include "apdu/axdr.h"
#include "apdu/value_int.h"

typedef struct vdec {
    ds_value_arena *a;
    ds_diag *err;
    int depth;
} vdec;

static int fail(vdec *d, const char *code, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(vdec *d, const char *code, size_t at, const char *fmt, ...)
{
    if (d->err && !d->err->code) {
        d->err->code = code;
        d->err->severity = DS_SEV_ERROR;
        d->err->offset = at;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->err->message, sizeof d->err->message, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static const char *label(const ds_field *f) { return f->name ? f->name : "field"; }

static int truncated(vdec *d, const ds_cursor *c, const char *what, size_t need)
{
    return fail(d, DS_D_APDU_TRUNCATED, c->pos, "%s needs %zu byte(s), %zu left", what, need, ds_cur_left(c));
}

/* A node linked to parent, or NULL after reporting that the arena refused it. */
static ds_value *add(vdec *d, ds_value *parent, ds_value_kind kind, const ds_field *f, size_t at)
{
    ds_value *v = ds_value_node(d->a, kind, f ? f->name : NULL);
    if (!v) {
        fail(d, DS_D_INPUT_TOO_LARGE, at, "%s", ds_value_arena_error(d->a));
        return NULL;
    }
    v->field = f;
    v->offset = at;
    if (parent) ds_value_link(parent, v);
    return v;
}

static int keep_bytes(vdec *d, ds_value *v, const uint8_t *p, size_t n)
{
    if (ds_value_set_bytes(d->a, v, p, n)) return fail(d, DS_D_INPUT_TOO_LARGE, v->offset, "%s", ds_value_arena_error(d->a));
    return 0;
}

static int deeper(vdec *d, size_t at)
{
    if (d->depth >= DS_MAX_DEPTH)
        return fail(d, DS_D_APDU_TOO_DEEP, at, "values nested deeper than %d levels", DS_MAX_DEPTH);
    d->depth++;
    return 0;
}

/* An A-XDR/BER length; *form = the bytes it took. */
static int read_len(vdec *d, ds_cursor *c, const char *what, size_t *n, uint8_t *form)
{
    size_t at = c->pos;
    int rc = ds_cur_len(c, n, NULL);
    if (rc == DS_CUR_TRUNCATED) return truncated(d, c, what, 1);
    if (rc == DS_CUR_INVALID)
        return fail(d, DS_D_DATA_BAD_LENGTH, at, "%s: invalid length byte 0x%02X", what, c->p[at]);
    *form = (uint8_t)(c->pos - at);
    return 0;
}


/* ---- A-XDR Data --------------------------------------------------------------------------- */

static int data_value(vdec *d, ds_cursor *c, ds_value *parent, const ds_field *f);

/* The content of a fixed-size value (its tag already read) into v. */
static int fixed_content(vdec *d, ds_cursor *c, ds_value *v, size_t size)
{
    const uint8_t *p;
    const char *name = ds_axdr_type_name(v->tag);
    if (ds_cur_bytes(c, size, &p)) return truncated(d, c, name, size);
    v->u = ds_be_uint(p, size);
    if (ds_axdr_type_signed(v->tag)) v->i = ds_sign_extend(v->u, size);
    else v->i = (int64_t)(v->u & INT64_MAX);
    switch (v->tag) {
    case DS_DATA_FLOAT32: {
        uint32_t u32 = (uint32_t)v->u;
        float fl;
        memcpy(&fl, &u32, sizeof fl);
        v->f = fl;
        return keep_bytes(d, v, p, size);
    }
    case DS_DATA_FLOAT64:
        memcpy(&v->f, &v->u, sizeof v->f);
        return keep_bytes(d, v, p, size);
    case DS_DATA_DATE_TIME: case DS_DATA_DATE: case DS_DATA_TIME:
        return keep_bytes(d, v, p, size);
    default:
        return 0;
    }
}

/* A length-counted content: a byte count (strings) or a bit count (bit-string), then the bytes. */
static int counted_content(vdec *d, ds_cursor *c, ds_value *v, int bits)
{
    const char *name = ds_axdr_type_name(v->tag);
    size_t at = c->pos, n;
    if (read_len(d, c, name, &n, &v->len_bytes)) return -1;
    size_t bytes = bits ? n / 8 + (n % 8 != 0) : n;
    if (bytes > ds_cur_left(c))
        return fail(d, DS_D_DATA_BAD_LENGTH, at, "%s declares %zu bytes, only %zu left", name, bytes,
                    ds_cur_left(c));
    if (bits) v->u = n;
    const uint8_t *p;
    (void)ds_cur_bytes(c, bytes, &p);
    return keep_bytes(d, v, p, bytes);
}

static int container_content(vdec *d, ds_cursor *c, ds_value *v)
{
    const char *name = ds_axdr_type_name(v->tag);
    size_t at = c->pos, count;
    if (read_len(d, c, name, &count, &v->len_bytes)) return -1;
    /* every element takes at least its tag byte: impossible counts end here */
    if (count > ds_cur_left(c))
        return fail(d, DS_D_DATA_BAD_LENGTH, at, "%s declares %zu elements, only %zu bytes left", name, count,
                    ds_cur_left(c));
    if (deeper(d, v->offset)) return -1;
    for (size_t i = 0; i < count; i++)
        if (data_value(d, c, v, NULL)) return -1;
    d->depth--;
    return 0;
}

/* One compact-array element type at c, as a TYPE node under parent (the rules of axdr.c's
 * describe_type: structures of at least one field, arrays of at least one element, simple types
 * that take at least one content byte). */
static int type_description(vdec *d, ds_cursor *c, ds_value *parent)
{
    size_t at = c->pos;
    uint8_t tag;
    if (ds_cur_u8(c, &tag)) return fail(d, DS_D_APDU_TRUNCATED, at, "compact-array type description cut short");
    ds_value *t = add(d, parent, DS_VALUE_TYPE, NULL, at);
    if (!t) return -1;
    t->tag = tag;
    if (tag == DS_DATA_STRUCTURE) {
        size_t n, len_at = c->pos;
        if (read_len(d, c, "compact-array structure", &n, &t->len_bytes)) return -1;
        if (n == 0 || n > ds_cur_left(c))
            return fail(d, DS_D_DATA_BAD_LENGTH, len_at,
                        "compact-array structure declares %zu fields, %zu description bytes left", n, ds_cur_left(c));
        if (deeper(d, at)) return -1;
        for (size_t i = 0; i < n; i++)
            if (type_description(d, c, t)) return -1;
        d->depth--;
        return 0;
    }
    if (tag == DS_DATA_ARRAY) {
        if (ds_cur_uint(c, 2, &t->u)) return fail(d, DS_D_APDU_TRUNCATED, c->pos, "compact-array array count cut short");
        if (t->u == 0)
            return fail(d, DS_D_DATA_BAD_LENGTH, at + 1, "compact-array type description has an array of 0 elements");
        if (deeper(d, at)) return -1;
        int rc = type_description(d, c, t);
        d->depth--;
        return rc;
    }
    ds_axdr_form form = ds_axdr_type_form(tag);
    if (!ds_axdr_type_size(tag) && form != DS_AXDR_COUNTED && form != DS_AXDR_BITS)
        return fail(d, DS_D_DATA_UNKNOWN_TYPE, at, "type 0x%02X cannot be a compact-array element", tag);
    return 0;
}

/* One element of type t read from the contents v, as a Data node (without a tag on the wire). */
static int element_value(vdec *d, ds_cursor *v, const ds_value *t, ds_value *parent)
{
    ds_value *e = add(d, parent, DS_VALUE_DATA, NULL, v->pos);
    if (!e) return -1;
    e->tag = t->tag;
    if (t->tag == DS_DATA_STRUCTURE || t->tag == DS_DATA_ARRAY) {
        e->len_bytes = t->tag == DS_DATA_STRUCTURE ? t->len_bytes : 0;
        size_t n = t->tag == DS_DATA_STRUCTURE ? t->count : (size_t)t->u;
        if (deeper(d, e->offset)) return -1;
        for (size_t i = 0; i < n; i++) {
            const ds_value *ft = t->tag == DS_DATA_STRUCTURE ? ds_value_child(t, i) : t->child;
            if (element_value(d, v, ft, e)) return -1;
        }
        d->depth--;
        return 0;
    }
    ds_axdr_form form = ds_axdr_type_form(t->tag);
    if (form == DS_AXDR_FIXED) return fixed_content(d, v, e, ds_axdr_type_size(t->tag));
    return counted_content(d, v, e, form == DS_AXDR_BITS);
}

static int compact_content(vdec *d, ds_cursor *c, ds_value *v)
{
    ds_value *desc = add(d, v, DS_VALUE_TYPE, NULL, c->pos);
    if (!desc) return -1;
    desc->name = "ContentsDescription";
    if (type_description(d, c, desc)) return -1;
    ds_value *contents = add(d, v, DS_VALUE_GROUP, NULL, c->pos);
    if (!contents) return -1;
    contents->name = "ArrayContents";
    size_t at = c->pos, len;
    if (read_len(d, c, "CompactArray contents", &len, &contents->len_bytes)) return -1;
    if (len > ds_cur_left(c))
        return fail(d, DS_D_DATA_BAD_LENGTH, at, "CompactArray declares %zu content bytes, only %zu left", len,
                    ds_cur_left(c));
    ds_cursor body = {c->p, c->pos + len, c->pos};
    size_t index = 0;
    while (ds_cur_left(&body)) {
        size_t element_at = body.pos;
        if (element_value(d, &body, desc->child, contents)) {
            if (d->err && d->err->code && strcmp(d->err->code, DS_D_INPUT_TOO_LARGE) != 0 &&
                strcmp(d->err->code, DS_D_APDU_TOO_DEEP) != 0) {
                /* the XML decoder's message for any element that does not fit */
                d->err->code = DS_D_DATA_BAD_LENGTH;
                d->err->offset = element_at;
                snprintf(d->err->message, sizeof d->err->message,
                         "compact-array contents end inside element %zu (%zu of %zu content bytes left)", index,
                         body.len - element_at, len);
            }
            return -1;
        }
        index++;
    }
    c->pos = body.pos;
    return 0;
}

/* One Data value at c under parent; f: the description's field when the value is one. */
static int data_value(vdec *d, ds_cursor *c, ds_value *parent, const ds_field *f)
{
    size_t at = c->pos;
    uint8_t tag;
    if (ds_cur_u8(c, &tag)) return fail(d, DS_D_APDU_TRUNCATED, at, "data type tag missing");
    ds_axdr_form form = ds_axdr_type_form(tag);
    if (form == DS_AXDR_NONE) {
        c->pos = at;
        return fail(d, DS_D_DATA_UNKNOWN_TYPE, at, "unknown data type 0x%02X", tag);
    }
    ds_value *v = add(d, parent, DS_VALUE_DATA, f, at);
    if (!v) return -1;
    v->name = NULL;
    v->tag = tag;
    switch (form) {
    case DS_AXDR_FIXED: return fixed_content(d, c, v, ds_axdr_type_size(tag));
    case DS_AXDR_COUNTED: return counted_content(d, c, v, 0);
    case DS_AXDR_BITS: return counted_content(d, c, v, 1);
    case DS_AXDR_CONTAINER: return container_content(d, c, v);
    case DS_AXDR_COMPACT: return compact_content(d, c, v);
    default: return 0;
    }
}

/* ---- the descriptions' fields ------------------------------------------------------------------- */

static int field(vdec *d, ds_cursor *c, const ds_field *f, ds_value *parent);
static int apdu(vdec *d, ds_cursor *c, ds_value *parent, ds_value **out);

static int list(vdec *d, ds_cursor *c, const ds_field *l, ds_value *parent)
{
    for (; l && l->kind != SK_END; l++)
        if (field(d, c, l, parent)) return -1;
    return 0;
}

/* A field list inside a container node, depth-counted. */
static int nested_list(vdec *d, ds_cursor *c, const ds_field *l, ds_value *v)
{
    if (deeper(d, v->offset)) return -1;
    int rc = list(d, c, l, v);
    d->depth--;
    return rc;
}

static int number(vdec *d, ds_cursor *c, const ds_field *f, ds_value *parent)
{
    ds_value *v = add(d, parent, f->kind == SK_INT ? DS_VALUE_SIGNED : DS_VALUE_NUMBER, f, c->pos);
    if (!v) return -1;
    if (ds_cur_uint(c, f->size, &v->u)) return truncated(d, c, label(f), f->size);
    v->len = f->size;
    if (f->kind == SK_INT) v->i = ds_sign_extend(v->u, f->size);
    return 0;
}

static int octets(vdec *d, ds_cursor *c, const ds_field *f, ds_value *parent)
{
    ds_value *v = add(d, parent, DS_VALUE_BYTES, f, c->pos);
    if (!v) return -1;
    const uint8_t *p;
    if (f->kind == SK_BYTES) {
        if (ds_cur_bytes(c, f->size, &p)) return truncated(d, c, label(f), f->size);
        return keep_bytes(d, v, p, f->size);
    }
    size_t at = c->pos, n;
    if (read_len(d, c, label(f), &n, &v->len_bytes)) return -1;
    if (n > ds_cur_left(c))
        return fail(d, f->len_error ? f->len_error : DS_D_DATA_BAD_LENGTH, at,
                    "%s: length %zu but only %zu byte(s) left", label(f), n, ds_cur_left(c));
    (void)ds_cur_bytes(c, n, &p);
    return keep_bytes(d, v, p, n);
}

static int enumerated(vdec *d, ds_cursor *c, const ds_field *f, ds_value *parent)
{
    ds_value *v = add(d, parent, DS_VALUE_ENUM, f, c->pos);
    uint8_t b;
    if (!v) return -1;
    if (ds_cur_u8(c, &b)) return truncated(d, c, label(f), 1);
    v->u = b;
    return 0;
}

static int optional(vdec *d, ds_cursor *c, const ds_field *f, ds_value *parent)
{
    size_t at = c->pos;
    uint8_t flag;
    if (ds_cur_u8(c, &flag)) return truncated(d, c, "presence flag", 1);
    if (flag > 1)
        return fail(d, DS_D_APDU_INVALID_CHOICE, at,
                    "presence flag of %s is 0x%02X; only 00 (absent) or 01 (present) are valid",
                    f->sub[0].name ? f->sub[0].name : "an optional field", flag);
    ds_value *v = add(d, parent, DS_VALUE_OPTIONAL, f, at);
    if (!v) return -1;
    v->u = flag;
    return flag ? nested_list(d, c, f->sub, v) : 0;
}

static int choice(vdec *d, ds_cursor *c, const ds_field *f, ds_value *parent)
{
    size_t at = c->pos;
    uint8_t tag;
    if (ds_cur_peek(c, &tag)) return truncated(d, c, label(f), 1);
    int is_default;
    const ds_field *body = ds_value_alt_body(f, tag, &is_default);
    if (!body)
        return fail(d, DS_D_APDU_INVALID_CHOICE, at, "%s: 0x%02X is not a valid choice",
                    f->name ? f->name : f->tag_leaf ? f->tag_leaf : "choice", tag);
    if (f->kind == SK_CHOICE) c->pos++; /* a peeked choice's byte begins its alternative */
    ds_value *v = add(d, parent, DS_VALUE_CHOICE, f, at);
    if (!v) return -1;
    v->tag = tag;
    v->flags = is_default ? DS_VALUE_DEFAULT : 0;
    return nested_list(d, c, body, v);
}

static int seq_of(vdec *d, ds_cursor *c, const ds_field *f, ds_value *parent)
{
    size_t at = c->pos, count;
    ds_value *v = add(d, parent, DS_VALUE_LIST, f, at);
    if (!v) return -1;
    if (read_len(d, c, label(f), &count, &v->len_bytes)) return -1;
    /* every item takes at least one byte */
    if (count > ds_cur_left(c))
        return fail(d, DS_D_DATA_BAD_LENGTH, at, "%s: %zu item(s) announced, %zu byte(s) left", label(f), count,
                    ds_cur_left(c));
    for (size_t i = 0; i < count; i++)
        if (nested_list(d, c, f->sub, v)) return -1;
    return 0;
}

static int conformance(vdec *d, ds_cursor *c, const ds_field *f, ds_value *parent)
{
    static const uint8_t HEAD[4] = {0x5F, 0x1F, 0x04, 0x00};
    size_t at = c->pos;
    const uint8_t *p;
    if (ds_cur_bytes(c, 7, &p)) return truncated(d, c, label(f), 7);
    if (memcmp(p, HEAD, 4) != 0)
        return fail(d, DS_D_APDU_INVALID_CHOICE, at, "%s: a conformance block starts 5F 1F 04 00", label(f));
    ds_value *v = add(d, parent, DS_VALUE_CONFORMANCE, f, at);
    if (!v) return -1;
    v->u = ds_be_uint(p + 4, 3);
    return 0;
}

/* ---- BER ----------------------------------------------------------------------------------- */

/* A TLV header: tag, definite length within what is left. */
static int read_tlv(vdec *d, ds_cursor *c, const ds_field *f, uint8_t *tag, size_t *len, uint8_t *form)
{
    size_t at = c->pos;
    if (ds_cur_u8(c, tag)) return truncated(d, c, label(f), 1);
    if ((*tag & 0x1F) == 0x1F)
        return fail(d, DS_D_APDU_UNKNOWN_TAG, at, "%s: multi-byte BER tag 0x%02X not supported", label(f), *tag);
    size_t len_at = c->pos;
    int rc = ds_cur_len(c, len, NULL);
    if (rc == DS_CUR_TRUNCATED) return fail(d, DS_D_APDU_TRUNCATED, len_at, "%s: BER length missing", label(f));
    if (rc == DS_CUR_INVALID)
        return fail(d, DS_D_APDU_BAD_LENGTH, len_at, "%s: indefinite or oversized BER length", label(f));
    *form = (uint8_t)(c->pos - len_at);
    if (*len > ds_cur_left(c))
        return fail(d, DS_D_APDU_TRUNCATED, len_at, "%s: BER field 0x%02X declares %zu byte(s), %zu left", label(f),
                    *tag, *len, ds_cur_left(c));
    return 0;
}

/* The value of a TLV: `body` over exactly its len bytes. */
static int tlv_value(vdec *d, ds_cursor *c, const ds_field *body, size_t len, ds_value *v)
{
    ds_cursor sub = {c->p, c->pos + len, c->pos};
    if (nested_list(d, &sub, body, v)) return -1;
    if (ds_cur_left(&sub))
        return fail(d, DS_D_APDU_TRAILING, sub.pos, "%zu byte(s) left over in a BER field", ds_cur_left(&sub));
    c->pos = sub.len;
    return 0;
}

static int ber_seq(vdec *d, ds_cursor *c, const ds_field *f, ds_value *parent)
{
    size_t at = c->pos, len;
    ds_value *v = add(d, parent, DS_VALUE_GROUP, f, at);
    if (!v) return -1;
    int rc = ds_cur_len(c, &len, NULL);
    if (rc)
        return fail(d, rc == DS_CUR_TRUNCATED ? DS_D_APDU_TRUNCATED : DS_D_APDU_BAD_LENGTH, at,
                    "%s: missing or invalid BER length", label(f));
    v->len_bytes = (uint8_t)(c->pos - at);
    if (len > ds_cur_left(c))
        return fail(d, DS_D_APDU_TRUNCATED, at, "%s: BER length %zu but only %zu byte(s) left", label(f), len,
                    ds_cur_left(c));
    ds_cursor body = {c->p, c->pos + len, c->pos};
    if (deeper(d, at)) return -1;
    while (ds_cur_left(&body)) {
        size_t field_at = body.pos, vlen;
        uint8_t tag, form;
        if (read_tlv(d, &body, f, &tag, &vlen, &form)) return -1;
        int is_default;
        const ds_field *alt = ds_value_alt_body(f, tag, &is_default);
        if (!alt) return fail(d, DS_D_APDU_UNKNOWN_TAG, field_at, "%s: unknown BER field 0x%02X", label(f), tag);
        ds_value *t = add(d, v, DS_VALUE_TAGGED, f, field_at);
        if (!t) return -1;
        t->name = NULL;
        t->tag = tag;
        t->len_bytes = form;
        if (tlv_value(d, &body, alt, vlen, t)) return -1;
    }
    d->depth--;
    c->pos = body.len;
    return 0;
}

static int ber_tagged(vdec *d, ds_cursor *c, const ds_field *f, ds_value *parent)
{
    size_t at = c->pos, len;
    uint8_t tag, form;
    if (read_tlv(d, c, f, &tag, &len, &form)) return -1;
    const ds_field *body = f->sub;
    if (f->kind == SK_BER_TLV && tag != f->tag)
        return fail(d, DS_D_APDU_INVALID_CHOICE, at, "%s: expected BER tag 0x%02X, found 0x%02X", label(f), f->tag,
                    tag);
    if (f->kind == SK_BER_CHOICE) {
        int is_default;
        body = ds_value_alt_body(f, tag, &is_default);
        if (!body)
            return fail(d, DS_D_APDU_INVALID_CHOICE, at, "%s: BER tag 0x%02X is not a valid choice", label(f), tag);
    }
    ds_value *v = add(d, parent, DS_VALUE_TAGGED, f, at);
    if (!v) return -1;
    v->tag = tag;
    v->len_bytes = form;
    return tlv_value(d, c, body, len, v);
}

static int rest(vdec *d, ds_cursor *c, const ds_field *f, ds_value *parent)
{
    size_t at = c->pos, n = ds_cur_left(c);
    const uint8_t *p = c->p + c->pos;
    ds_value *v;
    switch (f->kind) {
    case SK_REST_UINT:
        if (n == 0 || n > 4) return fail(d, DS_D_DATA_BAD_LENGTH, at, "%s: integer of %zu byte(s)", label(f), n);
        if (!(v = add(d, parent, DS_VALUE_NUMBER, f, at))) return -1;
        v->u = ds_be_uint(p, n);
        v->len = n;
        break;
    case SK_REST_ENUM:
        if (n != 1) return fail(d, DS_D_DATA_BAD_LENGTH, at, "%s: expected 1 byte, found %zu", label(f), n);
        if (!(v = add(d, parent, DS_VALUE_ENUM, f, at))) return -1;
        v->u = p[0];
        break;
    case SK_REST_BITS:
        if (n == 0 || p[0] > 7 || (n == 1 && p[0] != 0))
            return fail(d, DS_D_DATA_BAD_LENGTH, at, "%s: malformed BER bit string", label(f));
        if ((n - 1) * 8 - p[0] > 256)
            return fail(d, DS_D_DATA_BAD_LENGTH, at, "%s: bit string of %zu bits is too long", label(f),
                        (n - 1) * 8 - p[0]);
        if (!(v = add(d, parent, DS_VALUE_BITS, f, at)) || keep_bytes(d, v, p, n)) return -1;
        v->u = (n - 1) * 8 - p[0];
        break;
    case SK_REST_OID: {
        /* well formed: every arc ends (last byte below 0x80) and fits 64 bits */
        uint64_t arc = 0;
        for (size_t i = 0; i < n; i++) {
            if (arc > (UINT64_MAX >> 7)) return fail(d, DS_D_DATA_BAD_LENGTH, at, "%s: malformed object identifier", label(f));
            arc = (p[i] & 0x80) ? (arc << 7) | (p[i] & 0x7F) : 0;
        }
        if (n == 0 || (p[n - 1] & 0x80))
            return fail(d, DS_D_DATA_BAD_LENGTH, at, "%s: malformed object identifier", label(f));
        if (!(v = add(d, parent, DS_VALUE_OID, f, at)) || keep_bytes(d, v, p, n)) return -1;
        break;
    }
    default: /* SK_REST_BYTES */
        if (!(v = add(d, parent, DS_VALUE_BYTES, f, at)) || keep_bytes(d, v, p, n)) return -1;
        break;
    }
    c->pos = c->len;
    return 0;
}

static int field(vdec *d, ds_cursor *c, const ds_field *f, ds_value *parent)
{
    switch (f->kind) {
    case SK_UINT: case SK_INT: return number(d, c, f, parent);
    case SK_BYTES: case SK_OCTETS: return octets(d, c, f, parent);
    case SK_ENUM: return enumerated(d, c, f, parent);
    case SK_BARE: return add(d, parent, DS_VALUE_BARE, f, c->pos) ? 0 : -1;
    case SK_GROUP: {
        ds_value *v = add(d, parent, DS_VALUE_GROUP, f, c->pos);
        return v ? nested_list(d, c, f->sub, v) : -1;
    }
    case SK_OPTIONAL: return optional(d, c, f, parent);
    case SK_CHOICE: case SK_PEEK_CHOICE: return choice(d, c, f, parent);
    case SK_SEQ_OF: return seq_of(d, c, f, parent);
    case SK_DATA: return data_value(d, c, parent, f);
    case SK_CONFORMANCE: return conformance(d, c, f, parent);
    case SK_APDU: {
        ds_cursor sub = {c->p, c->len, c->pos};
        int rc = apdu(d, &sub, parent, NULL);
        c->pos = sub.pos;
        return rc;
    }
    case SK_BER_SEQ: return ber_seq(d, c, f, parent);
    case SK_BER_TLV: case SK_BER_CHOICE: return ber_tagged(d, c, f, parent);
    case SK_REST_UINT: case SK_REST_ENUM: case SK_REST_BYTES: case SK_REST_BITS: case SK_REST_OID:
        return rest(d, c, f, parent);
    default:
        return fail(d, DS_D_APDU_UNKNOWN_TAG, c->pos, "field kind %d has no value form", (int)f->kind);
    }
}

/* One APDU filling the cursor. */
static int apdu(vdec *d, ds_cursor *c, ds_value *parent, ds_value **out)
{
    size_t at = c->pos;
    uint8_t tag;
    if (ds_cur_u8(c, &tag)) return fail(d, DS_D_APDU_TRUNCATED, at, "empty APDU");
    const ds_field *f = ds_apdu_lookup(tag);
    if (!f) {
        c->pos = at;
        return fail(d, DS_D_APDU_UNKNOWN_TAG, at, "0x%02X is not the tag of a DLMS APDU", tag);
    }
    ds_value *v = add(d, parent, DS_VALUE_APDU, NULL, at);
    if (!v) return -1;
    v->tag = tag;
    if (out) *out = v;
    if (deeper(d, at) || field(d, c, f, v)) return -1;
    d->depth--;
    if (ds_cur_left(c))
        return fail(d, DS_D_APDU_TRAILING, c->pos, "%zu byte(s) after the end of the APDU", ds_cur_left(c));
    return 0;
}

static void start(vdec *d, ds_value_arena *a, ds_diag *err)
{
    d->a = a;
    d->err = err;
    d->depth = 0;
    if (err) memset(err, 0, sizeof *err);
}

int ds_value_decode_apdu(ds_value_arena *a, const uint8_t *p, size_t n, ds_value **out, ds_diag *err)
{
    vdec d;
    ds_diag local;
    start(&d, a, err ? err : &local);
    ds_cursor c = {p, n, 0};
    ds_value *root = NULL;
    int rc = apdu(&d, &c, NULL, &root);
    if (out) *out = root;
    return rc;
}

int ds_value_decode_data(ds_value_arena *a, const uint8_t *p, size_t n, size_t *used, ds_value **out,
                         ds_diag *err)
{
    vdec d;
    ds_diag local;
    start(&d, a, err ? err : &local);
    ds_cursor c = {p, n, 0};
    ds_value holder = {.kind = DS_VALUE_GROUP};
    int rc = data_value(&d, &c, &holder, NULL);
    if (out) *out = holder.child;
    if (used) *used = c.pos;
    return rc;
}
