/* Values -> bytes: the other walk over the descriptions (pdu_xdlms.c, pdu_acse.c) and axdr.c's
 * type table, writing what value_decode.c reads.
 *
 * The writer never goes past the caller's limit: every write checks the room first. A value
 * that does not fit its field is refused with a message that starts with the field's path
 * ("GetRequest/GetRequestNormal/AttributeDescriptor/InstanceId: ..."). BER lengths (and a
 * compact array's content length) need the size of what follows first: a measuring pass of the
 * same walk, without a buffer, gives it.
 *
 * Raw bytes (DS_VALUE_RAW) are written as they are and stop their scope (w->stopped): nothing more
 * is written until the APDU, or the BER field the bytes are in, ends; see value.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "apdu/apdu.h"
#include "apdu/axdr.h"
#include "apdu/value_int.h"

#define PATH_MAX_DEPTH (2 * DS_MAX_DEPTH + 8)

typedef struct path_step {
    const char *name; /* NULL: an element index */
    size_t index;
} path_step;

typedef struct venc {
    uint8_t *buf;      /* NULL: measuring */
    size_t cap, len;
    char *err;
    size_t errsz;
    int failed;
    int stopped;       /* raw bytes took the rest of the scope */
    path_step path[PATH_MAX_DEPTH];
    int depth;
} venc;

static void path_text(const venc *w, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < w->depth && i < PATH_MAX_DEPTH && n + 1 < size; i++) {
        const path_step *s = &w->path[i];
        int k = s->name ? snprintf(out + n, size - n, "%s%s", n ? "/" : "", s->name)
                        : snprintf(out + n, size - n, "[%zu]", s->index);
        if (k < 0) break;
        n += (size_t)k < size - n ? (size_t)k : size - n - 1;
    }
}

static int refuse(venc *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int refuse(venc *w, const char *fmt, ...)
{
    if (w->failed) return -1;
    w->failed = 1;
    if (!w->err || !w->errsz) return -1;
    char path[200];
    path_text(w, path, sizeof path);
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(w->err, w->errsz, "%s: %s", path[0] ? path : "APDU", msg);
    return -1;
}

static int push(venc *w, const char *name, size_t index)
{
    if (w->depth >= PATH_MAX_DEPTH) return refuse(w, "values nested deeper than %d levels", PATH_MAX_DEPTH);
    w->path[w->depth].name = name;
    w->path[w->depth].index = index;
    w->depth++;
    return 0;
}

static void pop(venc *w) { w->depth--; }

static int put(venc *w, const uint8_t *p, size_t n)
{
    if (w->failed) return -1;
    if (!w->buf) {
        w->len += n;
        return 0;
    }
    if (n > w->cap - w->len) return refuse(w, "does not fit the buffer of %zu bytes", w->cap);
    if (n) memcpy(w->buf + w->len, p, n);
    w->len += n;
    return 0;
}

static int put_u8(venc *w, uint8_t b)
{
    if (w->buf && !w->failed && w->len < w->cap) { /* most bytes go one at a time: no call */
        w->buf[w->len++] = b;
        return 0;
    }
    return put(w, &b, 1);
}

/* Measuring what a part writes: the same walk without a buffer, on the same writer (the path
 * stays for messages); measure_end() gives the size and puts the writer back. */
typedef struct mark {
    uint8_t *buf;
    size_t len;
    int stopped, depth;
} mark;

static mark measure_begin(venc *w)
{
    mark m = {w->buf, w->len, w->stopped, w->depth};
    w->buf = NULL;
    w->len = 0;
    w->stopped = 0;
    return m;
}

static size_t measure_end(venc *w, mark m)
{
    size_t n = w->len;
    w->buf = m.buf;
    w->len = m.len;
    w->stopped = m.stopped;
    w->depth = m.depth;
    return n;
}

static int put_uint(venc *w, uint64_t v, size_t size)
{
    uint8_t b[8];
    for (size_t i = 0; i < size; i++) b[i] = (uint8_t)(v >> (8 * (size - 1 - i)));
    return put(w, b, size);
}

/* An A-XDR/BER length in the form it came in (`form` bytes) when that form can hold it, else
 * the shortest. */
static int put_len(venc *w, size_t n, uint8_t form)
{
    size_t k = ds_value_len_size(n);
    if (k > 5) return refuse(w, "length %zu is beyond the 4-byte length form", n);
    if (form > k && form <= 5) k = form;
    if (k == 1) return put_u8(w, (uint8_t)n);
    if (put_u8(w, (uint8_t)(0x80 | (k - 1)))) return -1;
    return put_uint(w, n, k - 1);
}

static const char *kind_name(ds_value_kind k)
{
    static const char *const NAMES[] = {"?", "number", "signed number", "bytes", "enumerated", "bare",
                                        "group", "optional", "choice", "list", "data", "conformance",
                                        "APDU", "BER field", "bit string", "object identifier", "type",
                                        "raw bytes"};
    return (unsigned)k < sizeof NAMES / sizeof NAMES[0] ? NAMES[k] : "?";
}

static int expect(venc *w, const ds_value *v, ds_value_kind kind)
{
    if (!v) return refuse(w, "missing (a %s value is needed)", kind_name(kind));
    if (v->kind != kind) return refuse(w, "a %s value where a %s value is needed", kind_name(v->kind), kind_name(kind));
    return 0;
}

/* Raw bytes where a field, item or element is expected: the rest of the scope. */
static int raw_rest(venc *w, const ds_value *v)
{
    if (v->len && !v->bytes) return refuse(w, "no bytes");
    if (put(w, v->bytes, v->len)) return -1;
    w->stopped = 1;
    return 0;
}

static int is_raw(const ds_value *v) { return v && v->kind == DS_VALUE_RAW; }

/* A choice whose alternative is not known, holding raw bytes (its tag could not be read). */
static int raw_choice(const ds_value *v) { return (v->flags & DS_VALUE_UNCHOSEN) && is_raw(v->child); }

/* The count a list or container announces: its items, or what it said when raw bytes cut it short. */
static int announced(venc *w, const ds_value *v, size_t items, size_t *count)
{
    if (!(v->flags & DS_VALUE_CUT_SHORT)) {
        *count = items;
        return 0;
    }
    if (v->u > 0xFFFFFFFFu) return refuse(w, "an announced count of %llu is beyond 4 bytes", (unsigned long long)v->u);
    *count = (size_t)v->u;
    return 0;
}

static int fits(uint64_t u, size_t size) { return size >= 8 || (u >> (8 * size)) == 0; }

/* ---- A-XDR Data ------------------------------------------------------------------------------ */

static int data(venc *w, const ds_value *v);

/* A value kept as its bytes (floats, dates): exactly the type's size. */
static int sized_bytes(venc *w, const ds_value *v, size_t size)
{
    if (v->len != size) return refuse(w, "%zu byte(s) where %s takes %zu", v->len, ds_axdr_type_name(v->tag), size);
    return put(w, v->bytes, size);
}

static int fixed_content(venc *w, const ds_value *v, size_t size)
{
    switch (v->tag) {
    case DS_DATA_FLOAT32: case DS_DATA_FLOAT64:
        if (!v->bytes) {
            /* built from its value */
            if (size == 4) {
                float fl = (float)v->f;
                uint32_t u;
                memcpy(&u, &fl, sizeof u);
                return put_uint(w, u, 4);
            }
            uint64_t u;
            memcpy(&u, &v->f, sizeof u);
            return put_uint(w, u, 8);
        }
        return sized_bytes(w, v, size);
    case DS_DATA_DATE_TIME: case DS_DATA_DATE: case DS_DATA_TIME:
        return sized_bytes(w, v, size);
    default:
        break;
    }
    if (ds_axdr_type_signed(v->tag)) {
        int64_t lo = size >= 8 ? INT64_MIN : -((int64_t)1 << (8 * size - 1));
        int64_t hi = size >= 8 ? INT64_MAX : ((int64_t)1 << (8 * size - 1)) - 1;
        if (v->i < lo || v->i > hi)
            return refuse(w, "%lld does not fit %s", (long long)v->i, ds_axdr_type_name(v->tag));
        return put_uint(w, (uint64_t)v->i, size);
    }
    if (!fits(v->u, size)) return refuse(w, "%llu does not fit %s", (unsigned long long)v->u, ds_axdr_type_name(v->tag));
    return put_uint(w, v->u, size);
}

static int counted_content(venc *w, const ds_value *v, int bits)
{
    size_t n = bits ? (size_t)v->u : v->len;
    if (bits && n / 8 + (n % 8 != 0) != v->len)
        return refuse(w, "%zu bits need %zu byte(s), %zu given", n, n / 8 + (n % 8 != 0), v->len);
    if (v->len && !v->bytes) return refuse(w, "no bytes");
    if (put_len(w, n, v->len_bytes)) return -1;
    return put(w, v->bytes, v->len);
}

static int container_content(venc *w, const ds_value *v)
{
    size_t count = 0;
    if (announced(w, v, v->count, &count) || put_len(w, count, v->len_bytes)) return -1;
    size_t i = 0;
    for (const ds_value *c = v->child; c && !w->stopped; c = c->next, i++) {
        if (push(w, NULL, i) || data(w, c)) return -1;
        pop(w);
    }
    return 0;
}

static int type_description(venc *w, const ds_value *t)
{
    if (expect(w, t, DS_VALUE_TYPE) || put_u8(w, t->tag)) return -1;
    if (t->tag == DS_DATA_STRUCTURE) {
        if (t->count == 0) return refuse(w, "a compact-array structure type of no fields");
        if (put_len(w, t->count, t->len_bytes)) return -1;
        for (const ds_value *c = t->child; c; c = c->next)
            if (type_description(w, c)) return -1;
        return 0;
    }
    if (t->tag == DS_DATA_ARRAY) {
        if (t->u == 0 || t->u > 0xFFFF) return refuse(w, "a compact-array array type of %llu elements (1..65535)", (unsigned long long)t->u);
        if (t->count != 1) return refuse(w, "a compact-array array type needs one element type");
        if (put_uint(w, t->u, 2)) return -1;
        return type_description(w, t->child);
    }
    ds_axdr_form form = ds_axdr_type_form(t->tag);
    if (!ds_axdr_type_size(t->tag) && form != DS_AXDR_COUNTED && form != DS_AXDR_BITS)
        return refuse(w, "type 0x%02X cannot be a compact-array element", t->tag);
    return 0;
}

static int element(venc *w, const ds_value *t, const ds_value *e)
{
    if (expect(w, e, DS_VALUE_DATA)) return -1;
    if (e->tag != t->tag)
        return refuse(w, "an element of type 0x%02X where the description says 0x%02X", e->tag, t->tag);
    if (t->tag == DS_DATA_STRUCTURE || t->tag == DS_DATA_ARRAY) {
        size_t want = t->tag == DS_DATA_STRUCTURE ? t->count : (size_t)t->u;
        if (e->count != want)
            return refuse(w, "too %s elements: %zu where the description says %zu", e->count > want ? "many" : "few",
                          e->count, want);
        const ds_value *ft = t->child;
        size_t i = 0;
        for (const ds_value *c = e->child; c; c = c->next, i++) {
            if (push(w, NULL, i) || element(w, ft, c)) return -1;
            pop(w);
            if (t->tag == DS_DATA_STRUCTURE) ft = ft->next;
        }
        return 0;
    }
    ds_axdr_form form = ds_axdr_type_form(t->tag);
    if (form == DS_AXDR_FIXED) return fixed_content(w, e, ds_axdr_type_size(t->tag));
    return counted_content(w, e, form == DS_AXDR_BITS);
}

static int compact_elements(venc *w, const ds_value *t, const ds_value *contents)
{
    size_t i = 0;
    for (const ds_value *c = contents->child; c; c = c->next, i++) {
        if (push(w, NULL, i) || element(w, t, c)) return -1;
        pop(w);
    }
    return 0;
}

static int compact_content(venc *w, const ds_value *v)
{
    const ds_value *desc = v->child;
    const ds_value *contents = desc ? desc->next : NULL;
    if (!desc || !contents || desc->kind != DS_VALUE_TYPE || desc->count != 1)
        return refuse(w, "a compact array needs a ContentsDescription of one type and ArrayContents");
    if (type_description(w, desc->child)) return -1;
    mark m = measure_begin(w);
    int rc = compact_elements(w, desc->child, contents);
    size_t n = measure_end(w, m);
    if (rc || put_len(w, n, contents->len_bytes)) return -1;
    return compact_elements(w, desc->child, contents);
}

static int data(venc *w, const ds_value *v)
{
    if (is_raw(v)) return raw_rest(w, v);
    if (expect(w, v, DS_VALUE_DATA)) return -1;
    ds_axdr_form form = ds_axdr_type_form(v->tag);
    if (form == DS_AXDR_NONE) return refuse(w, "unknown data type 0x%02X", v->tag);
    if (put_u8(w, v->tag)) return -1;
    switch (form) {
    case DS_AXDR_FIXED: return fixed_content(w, v, ds_axdr_type_size(v->tag));
    case DS_AXDR_COUNTED: return counted_content(w, v, 0);
    case DS_AXDR_BITS: return counted_content(w, v, 1);
    case DS_AXDR_CONTAINER: return container_content(w, v);
    case DS_AXDR_COMPACT: return is_raw(v->child) ? raw_rest(w, v->child) : compact_content(w, v);
    default: return 0;
    }
}

/* ---- the descriptions' fields ------------------------------------------------------------------ */

static int field(venc *w, const ds_field *f, const ds_value *v);
static int apdu(venc *w, const ds_value *v);

/* The fields of list l from the values starting at *v; *v moves past them. Raw bytes in place of
 * a field end the list (and the scope). */
static int list(venc *w, const ds_field *l, const ds_value **v)
{
    for (; l && l->kind != SK_END && !w->stopped; l++) {
        if (is_raw(*v)) {
            if (raw_rest(w, *v)) return -1;
            *v = (*v)->next;
            return 0;
        }
        if (!*v) {
            if (l->name) push(w, l->name, 0);
            return refuse(w, "missing (the description has a field here)");
        }
        if (field(w, l, *v)) return -1;
        *v = (*v)->next;
    }
    return 0;
}

/* A whole field list from a node's children: no value left over (but raw bytes after the fields:
 * what followed an APDU carried in a field). */
static int children(venc *w, const ds_field *l, const ds_value *parent)
{
    const ds_value *v = parent->child;
    if (list(w, l, &v)) return -1;
    if (!w->stopped && is_raw(v)) {
        if (raw_rest(w, v)) return -1;
        v = v->next;
    }
    if (v) return refuse(w, w->stopped ? "values after raw bytes" : "more values than the description has fields");
    return 0;
}

static int choice(venc *w, const ds_field *f, const ds_value *v)
{
    if (raw_choice(v)) return children(w, NULL, v);
    if (v->flags & DS_VALUE_UNCHOSEN) return refuse(w, "no alternative chosen");
    int is_default;
    const ds_field *body = ds_value_alt_body(f, v->tag, &is_default);
    if (!body) return refuse(w, "0x%02X is not a valid choice", v->tag);
    if (f->kind == SK_CHOICE && put_u8(w, v->tag)) return -1;
    return children(w, body, v);
}

static int seq_of(venc *w, const ds_field *f, const ds_value *v)
{
    size_t k = 0;
    for (const ds_field *s = f->sub; s && s->kind != SK_END; s++) k++;
    int cut = (v->flags & DS_VALUE_CUT_SHORT) != 0;
    if (k == 0 || (!cut && v->count % k))
        return refuse(w, "%zu values do not make whole items of %zu field(s)", v->count, k);
    size_t count = 0;
    if (announced(w, v, v->count / k, &count) || put_len(w, count, v->len_bytes)) return -1;
    const ds_value *c = v->child;
    for (size_t i = 0; c && !w->stopped; i++) {
        if (push(w, NULL, i) || list(w, f->sub, &c)) return -1;
        pop(w);
    }
    if (c) return refuse(w, "values after raw bytes");
    return 0;
}

/* A TLV: tag, the length of what body writes from the values, the value. A BER field is a scope
 * of its own: raw bytes in it stop it, not what follows it. */
static int tlv(venc *w, uint8_t tag, const ds_field *body, const ds_value *v)
{
    int stopped = w->stopped;
    mark m = measure_begin(w);
    int measured = children(w, body, v);
    size_t n = measure_end(w, m);
    if (measured || put_u8(w, tag) || put_len(w, n, v->len_bytes)) return -1;
    w->stopped = 0;
    int rc = children(w, body, v);
    w->stopped = stopped;
    return rc;
}

/* The TLVs of a BER sequence, in the order of the values. */
static int ber_fields(venc *w, const ds_field *f, const ds_value *v)
{
    for (const ds_value *t = v->child; t; t = t->next) {
        if (is_raw(t)) { /* a field no description read, as it is */
            if (put(w, t->bytes, t->len)) return -1;
            continue;
        }
        if (expect(w, t, DS_VALUE_TAGGED)) return -1;
        int is_default;
        const ds_field *body = ds_value_alt_body(f, t->tag, &is_default);
        if (!body) return refuse(w, "0x%02X is not a field of %s", t->tag, f->name ? f->name : "the sequence");
        if (tlv(w, t->tag, body, t)) return -1;
    }
    return 0;
}

static int ber_seq(venc *w, const ds_field *f, const ds_value *v)
{
    mark m = measure_begin(w);
    int rc = ber_fields(w, f, v);
    size_t n = measure_end(w, m);
    if (rc || put_len(w, n, v->len_bytes)) return -1;
    return ber_fields(w, f, v);
}

static int rest(venc *w, const ds_field *f, const ds_value *v)
{
    switch (f->kind) {
    case SK_REST_UINT: {
        if (!fits(v->u, 4)) return refuse(w, "%llu does not fit 4 bytes", (unsigned long long)v->u);
        size_t n = 1;
        while (n < 4 && (v->u >> (8 * n))) n++;
        if (v->len > n && v->len <= 5) n = v->len; /* 5: a 4-byte value with its high bit set */
        return put_uint(w, v->u, n);
    }
    case SK_REST_ENUM:
        if (v->u > 0xFF) return refuse(w, "%llu does not fit 1 byte", (unsigned long long)v->u);
        return put_u8(w, (uint8_t)v->u);
    case SK_REST_BITS:
        if (v->len == 0 || v->bytes[0] > 7) return refuse(w, "a bit string starts with its unused-bit count (0..7)");
        return put(w, v->bytes, v->len);
    default:
        return put(w, v->bytes, v->len);
    }
}

static int field_body(venc *w, const ds_field *f, const ds_value *v)
{
    switch (f->kind) {
    case SK_UINT:
        if (!fits(v->u, f->size)) return refuse(w, "%llu does not fit %u byte(s)", (unsigned long long)v->u, f->size);
        return put_uint(w, v->u, f->size);
    case SK_INT: {
        int64_t lo = f->size >= 8 ? INT64_MIN : -((int64_t)1 << (8 * f->size - 1));
        int64_t hi = f->size >= 8 ? INT64_MAX : ((int64_t)1 << (8 * f->size - 1)) - 1;
        if (v->i < lo || v->i > hi) return refuse(w, "%lld does not fit %u byte(s)", (long long)v->i, f->size);
        return put_uint(w, (uint64_t)v->i, f->size);
    }
    case SK_BYTES:
        if (v->len != f->size) return refuse(w, "%zu byte(s) where the field takes %u", v->len, f->size);
        return put(w, v->bytes, v->len);
    case SK_OCTETS:
        return put_len(w, v->len, v->len_bytes) || put(w, v->bytes, v->len) ? -1 : 0;
    case SK_ENUM:
        if (v->u > 0xFF) return refuse(w, "%llu does not fit 1 byte", (unsigned long long)v->u);
        return put_u8(w, (uint8_t)v->u);
    case SK_BARE:
        return 0;
    case SK_GROUP:
        return children(w, f->sub, v);
    case SK_OPTIONAL:
        if (v->u > 1) return refuse(w, "presence is 0 or 1, not %llu", (unsigned long long)v->u);
        if (put_u8(w, (uint8_t)v->u)) return -1;
        return v->u ? children(w, f->sub, v) : 0;
    case SK_CHOICE: case SK_PEEK_CHOICE:
        return choice(w, f, v);
    case SK_SEQ_OF:
        return seq_of(w, f, v);
    case SK_DATA:
        return data(w, v);
    case SK_CONFORMANCE: {
        static const uint8_t HEAD[4] = {0x5F, 0x1F, 0x04, 0x00};
        if (!fits(v->u, 3)) return refuse(w, "conformance 0x%llX has more than 24 bits", (unsigned long long)v->u);
        return put(w, HEAD, 4) || put_uint(w, v->u, 3) ? -1 : 0;
    }
    case SK_APDU:
        return apdu(w, v);
    case SK_BER_SEQ:
        return ber_seq(w, f, v);
    case SK_BER_TLV:
        return tlv(w, f->tag, f->sub, v);
    case SK_BER_CHOICE: {
        if (raw_choice(v)) return put(w, v->child->bytes, v->child->len); /* the whole TLV as it is */
        if (v->flags & DS_VALUE_UNCHOSEN) return refuse(w, "no alternative chosen");
        int is_default;
        const ds_field *body = ds_value_alt_body(f, v->tag, &is_default);
        if (!body) return refuse(w, "BER tag 0x%02X is not a valid choice", v->tag);
        return tlv(w, v->tag, body, v);
    }
    default:
        return rest(w, f, v);
    }
}

static int field(venc *w, const ds_field *f, const ds_value *v)
{
    const char *name = f->name ? f->name : NULL;
    if (name && push(w, name, 0)) return -1;
    int rc = expect(w, v, ds_value_kind_of(f->kind));
    if (!rc) rc = field_body(w, f, v);
    if (name && !rc) pop(w);
    return rc;
}

static int apdu(venc *w, const ds_value *v)
{
    if (expect(w, v, DS_VALUE_APDU)) return -1;
    if (v->flags & DS_VALUE_UNCHOSEN) return refuse(w, "no APDU given");
    const ds_field *f = ds_apdu_lookup(v->tag);
    if (!f) return refuse(w, "0x%02X is not the tag of an APDU", v->tag);
    if (!v->child) return refuse(w, "the APDU has no fields");
    if (v->child->next) return refuse(w, "more values than the APDU has fields");
    w->stopped = 0; /* raw bytes in it stop the APDU carrying it too */
    return put_u8(w, v->tag) || field(w, f, v->child) ? -1 : 0;
}

static void start(venc *w, uint8_t *buf, size_t cap, char *err, size_t errsz)
{
    /* not the path: only the steps below depth are read */
    w->failed = w->stopped = w->depth = 0;
    w->len = 0;
    w->buf = buf;
    w->cap = buf ? cap : 0;
    w->err = err;
    w->errsz = errsz;
    if (err && errsz) err[0] = '\0';
}

int ds_value_encode_apdu(const ds_value *v, uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz)
{
    venc w;
    start(&w, buf, cap, err, errsz);
    int rc = apdu(&w, v);
    if (len) *len = rc ? 0 : w.len;
    return rc;
}

int ds_value_encode_data(const ds_value *v, uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz)
{
    venc w;
    start(&w, buf, cap, err, errsz);
    int rc = data(&w, v);
    if (len) *len = rc ? 0 : w.len;
    return rc;
}
