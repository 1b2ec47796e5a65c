/* A-XDR Data encoding from the XML dialect: the inverse of src/apdu/axdr.c.
 *
 * What is read back, per element (see the top of axdr.c for the decoder side):
 *   - Array / Structure: the count is the number of child elements (Qty is
 *     not read, as Gurux does not read it either);
 *   - numbers in the document's convention (enc->decimal), signed ones as
 *     two's complement hex in hex mode;
 *   - OctetString, Float32/64, DateTime/Date/Time: hex in both modes;
 *   - String / StringUTF8: the characters as libxml2 hands them over (UTF-8),
 *     or ValueHex="..." holding the raw bytes the writer could not put in XML;
 *   - CompactArray: ContentsDescription (type leaves and nested containers;
 *     an Array's Qty IS read there, it is the declared element count) and
 *     ArrayContents (Value="v;v;..." for a simple element type, one
 *     <Row Value="v;v" /> per element otherwise; Gurux's element-text form
 *     with one row per line is accepted too). Row values are decimal in both
 *     modes, as the decoder writes them.
 *
 * Everything goes into a capped ds_buf; recursion is bounded by
 * DS_ENC_MAX_DEPTH through enc->depth. */
#include "encode/axdr_encode.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apdu/axdr.h"
#include "apdu/value_int.h"

typedef enum value_kind {
    VK_BARE,       /* None, DontCare: the tag alone */
    VK_CONTAINER,  /* Array, Structure */
    VK_BOOLEAN,
    VK_BITS,
    VK_UINT,       /* UInt*, Enum, BCD */
    VK_SINT,
    VK_FIXED_HEX,  /* Float32/64, DateTime, Date, Time: exactly `size` bytes of hex */
    VK_OCTETS,
    VK_TEXT,       /* String, StringUTF8 */
    VK_COMPACT
} value_kind;

/* How a data type is written: its tag, content size and kind, all from axdr.c's type table (the
 * decoder's), found by the decoder's element name, compared case-insensitively so that Gurux
 * C++ "Bcd" matches too. */
typedef struct data_type {
    uint8_t tag;
    uint8_t size;      /* content bytes of fixed-size types */
    value_kind kind;
} data_type;

/* The type of an element, written into *room; NULL when the element is no data type. */
static const data_type *find_type(const xmlNode *node, data_type *room)
{
    if (!node || node->type != XML_ELEMENT_NODE) return NULL;
    int tag = ds_axdr_type_named((const char *)node->name);
    if (tag < 0) return NULL;
    room->tag = (uint8_t)tag;
    room->size = (uint8_t)ds_axdr_type_size((uint8_t)tag);
    switch (ds_axdr_type_kind((uint8_t)tag)) {
    case DS_AXDR_K_BARE: room->kind = VK_BARE; break;
    case DS_AXDR_K_CONTAINER: room->kind = VK_CONTAINER; break;
    case DS_AXDR_K_BOOLEAN: room->kind = VK_BOOLEAN; break;
    case DS_AXDR_K_BITS: room->kind = VK_BITS; break;
    case DS_AXDR_K_SIGNED: room->kind = VK_SINT; break;
    case DS_AXDR_K_REAL: case DS_AXDR_K_DATE: room->kind = VK_FIXED_HEX; break;
    case DS_AXDR_K_OCTETS: room->kind = VK_OCTETS; break;
    case DS_AXDR_K_TEXT: room->kind = VK_TEXT; break;
    case DS_AXDR_K_COMPACT: room->kind = VK_COMPACT; break;
    default: room->kind = VK_UINT; break;
    }
    return room;
}

int ds_axdr_is_data(const xmlNode *node)
{
    data_type room;
    return find_type(node, &room) != NULL;
}

/* ---- small helpers ------------------------------------------------------------------------ */

/* The one place a refused append (16 MiB cap or no memory) becomes an error. */
static int check_out(ds_enc *enc, const xmlNode *node, const ds_buf *out)
{
    if (!out->failed) return 0;
    return ds_enc_fail(enc, node, "<%s>: the encoding does not fit (larger than %u MiB or out of memory)",
                       ds_x_name(node), (unsigned)(DS_BUF_MAX >> 20));
}

/* Puts the length of the bytes written since `start` in front of them. */
static int prefix_length(ds_enc *enc, const xmlNode *node, ds_buf *out, size_t start)
{
    uint8_t b[5];
    size_t n = out->len - start;
    if (ds_buf_insert(out, start, b, ds_len_bytes(n, b))) return check_out(enc, node, out);
    return 0;
}

static int enter(ds_enc *enc, const xmlNode *node)
{
    if (enc->depth >= DS_ENC_MAX_DEPTH)
        return ds_enc_fail(enc, node, "<%s>: data nested deeper than %d levels", ds_x_name(node), DS_ENC_MAX_DEPTH);
    enc->depth++;
    return 0;
}

static void leave(ds_enc *enc) { enc->depth--; }

static int parse_bool(const char *s, size_t n, uint8_t *v)
{
    if ((n == 4 && strncasecmp(s, "true", 4) == 0) || (n == 1 && s[0] == '1')) *v = 1;
    else if ((n == 5 && strncasecmp(s, "false", 5) == 0) || (n == 1 && s[0] == '0')) *v = 0;
    else return -1;
    return 0;
}

static int put_boolean(ds_enc *enc, const xmlNode *node, const char *s, size_t n, ds_buf *out)
{
    uint8_t v;
    if (parse_bool(s, n, &v))
        return ds_enc_fail(enc, node, "<%s>: \"%.*s\" is not a boolean (True, False, 1 or 0)", ds_x_name(node),
                           n > 40 ? 40 : (int)n, s);
    ds_buf_byte(out, v);
    return 0;
}

/* A Boolean element: Value, and a Byte attribute when TRUE was sent as another byte than 01
 * (the decoder keeps it there so that the byte re-encodes as it was). */
static int put_boolean_element(ds_enc *enc, const xmlNode *node, const char *v, ds_buf *out)
{
    const char *byte = ds_x_attr(node, "Byte");
    if (!byte) return put_boolean(enc, node, v, strlen(v), out);
    uint64_t b;
    if (ds_enc_uint(enc, node, byte, 1, 1, &b)) return -1;
    uint8_t meaning;
    if (parse_bool(v, strlen(v), &meaning) || meaning != (b != 0))
        return ds_enc_fail(enc, node, "<%s Value=\"%s\" Byte=\"%s\">: the byte contradicts the value", ds_x_name(node),
                           v, byte);
    ds_buf_byte(out, (uint8_t)b);
    return 0;
}

/* Bit count, then the bits packed first bit = MSB, unused low bits 0. */
static int put_bits(ds_enc *enc, const xmlNode *node, const char *s, size_t n, ds_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '0' || s[i] == '1') continue;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7F)
            return ds_enc_fail(enc, node, "<%s>: '%c' at position %zu is not a bit (0 or 1)", ds_x_name(node), c, i);
        return ds_enc_fail(enc, node, "<%s>: byte 0x%02X at position %zu is not a bit (0 or 1)", ds_x_name(node), c,
                           i);
    }
    if (n > DS_BUF_MAX) return ds_enc_fail(enc, node, "<%s>: too many bits", ds_x_name(node));
    ds_buf_len(out, n);
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '1') acc |= (uint8_t)(0x80 >> (i % 8));
        if (i % 8 == 7) {
            ds_buf_byte(out, acc);
            acc = 0;
        }
    }
    if (n % 8) ds_buf_byte(out, acc);
    return 0;
}

static int put_hex_counted(ds_enc *enc, const xmlNode *node, const char *text, ds_buf *out)
{
    size_t start = out->len;
    if (ds_enc_hex(enc, node, text, -1, out)) return -1;
    return prefix_length(enc, node, out, start);
}

static int put_text(ds_enc *enc, const xmlNode *node, const char *s, size_t n, ds_buf *out)
{
    if (n > DS_BUF_MAX) return ds_enc_fail(enc, node, "<%s>: string too long", ds_x_name(node));
    ds_buf_len(out, n);
    ds_buf_append(out, s, n);
    return check_out(enc, node, out);
}

/* ---- plain (non-compact) values ----------------------------------------------------------- */

static int encode_value(ds_enc *enc, const xmlNode *node, ds_buf *out);
static int encode_compact(ds_enc *enc, const xmlNode *node, ds_buf *out);

int ds_enc_qty(ds_enc *enc, const xmlNode *node, size_t *count)
{
    const char *qty = ds_x_attr(node, "Qty");
    uint64_t v;
    if (!qty) return ds_enc_fail(enc, node, "<%s> holds <Undecoded> bytes: it needs its Qty", ds_x_name(node));
    if (ds_enc_uint(enc, node, qty, 0, 4, &v)) return -1;
    *count = (size_t)v;
    return 0;
}

/* The <Undecoded> child of a container, or NULL. */
static const xmlNode *undecoded_child(const xmlNode *node)
{
    for (xmlNode *c = ds_x_first(node); c; c = ds_x_next(c))
        if (ds_x_is(c, "Undecoded")) return c;
    return NULL;
}

/* Bytes the decoder could not read, as they are; the rest of the APDU is in them. */
static int put_undecoded(ds_enc *enc, const xmlNode *node, ds_buf *out)
{
    const char *v = ds_enc_need_value(enc, node);
    if (!v || ds_enc_hex(enc, node, v, -1, out)) return -1;
    enc->stopped = 1;
    return 0;
}

/* 1 when the decoder cut this container short: an <Undecoded> ends it, or ends the container
 * that ends it, and so on (the decoder writes the rest in the innermost one, as its last child). */
static int cut_short(const xmlNode *node)
{
    for (int depth = 0; node && depth <= DS_ENC_MAX_DEPTH; depth++) {
        const xmlNode *last = NULL;
        for (xmlNode *c = ds_x_first(node); c; c = ds_x_next(c)) last = c;
        if (!last) return 0;
        if (ds_x_is(last, "Undecoded")) return 1;
        node = last;
    }
    return 0;
}

static int encode_container(ds_enc *enc, const xmlNode *node, ds_buf *out)
{
    const xmlNode *cut = undecoded_child(node);
    size_t count = ds_x_count(node);
    if (cut_short(node) && ds_enc_qty(enc, node, &count)) return -1;
    if (count > DS_BUF_MAX)
        return ds_enc_fail(enc, node, "<%s>: %zu elements do not fit", ds_x_name(node), count);
    if (enter(enc, node)) return -1;
    ds_enc_note_count(enc, node, ds_x_attr(node, "Qty"), count);
    ds_buf_len(out, count);
    int r = check_out(enc, node, out);
    for (xmlNode *child = ds_x_first(node); child && !r && !enc->stopped; child = ds_x_next(child))
        r = child == cut ? put_undecoded(enc, child, out) : encode_value(enc, child, out);
    leave(enc);
    return r;
}

/* The leaf's value; ValueHex only where raw bytes make sense. */
static const char *leaf_value(ds_enc *enc, const xmlNode *node, const data_type *t, int *is_hex)
{
    const char *v = ds_x_value(node, is_hex);
    if (!v) {
        ds_enc_fail(enc, node, "<%s> has no Value", ds_x_name(node));
        return NULL;
    }
    if (*is_hex && t->kind != VK_TEXT && t->kind != VK_OCTETS && t->kind != VK_FIXED_HEX) {
        ds_enc_fail(enc, node, "<%s>: ValueHex is only read for strings and byte values", ds_x_name(node));
        return NULL;
    }
    return v;
}

static int encode_simple(ds_enc *enc, const xmlNode *node, const data_type *t, ds_buf *out)
{
    int is_hex;
    const char *v = leaf_value(enc, node, t, &is_hex);
    if (!v) return -1;
    switch (t->kind) {
    case VK_BOOLEAN: return put_boolean_element(enc, node, v, out);
    case VK_BITS: return put_bits(enc, node, v, strlen(v), out);
    case VK_UINT: {
        uint64_t u;
        if (ds_enc_uint(enc, node, v, DS_NUM_PADDED, t->size, &u)) return -1;
        ds_buf_uint(out, u, t->size);
        return 0;
    }
    case VK_SINT: {
        int64_t s;
        if (ds_enc_sint(enc, node, v, t->size, &s)) return -1;
        ds_buf_uint(out, (uint64_t)s, t->size);  /* the low bytes are the two's complement */
        return 0;
    }
    case VK_FIXED_HEX: return ds_enc_hex(enc, node, v, t->size, out);
    case VK_OCTETS: return put_hex_counted(enc, node, v, out);
    case VK_TEXT: return is_hex ? put_hex_counted(enc, node, v, out) : put_text(enc, node, v, strlen(v), out);
    default: return ds_enc_fail(enc, node, "<%s>: internal: not a simple type", ds_x_name(node));
    }
}

static int encode_value(ds_enc *enc, const xmlNode *node, ds_buf *out)
{
    data_type room;
    const data_type *t = find_type(node, &room);
    if (!t) return ds_enc_fail(enc, node, "<%s> is not a known data type", ds_x_name(node));
    if (ds_buf_byte(out, t->tag)) return check_out(enc, node, out);
    int r;
    switch (t->kind) {
    case VK_BARE: r = 0; break;
    case VK_CONTAINER: r = encode_container(enc, node, out); break;
    case VK_COMPACT: r = encode_compact(enc, node, out); break;
    default: r = encode_simple(enc, node, t, out); break;
    }
    return r ? r : check_out(enc, node, out);
}

/* ---- compact array -------------------------------------------------------------------------- */

static int is_compact_element(const data_type *t)
{
    return t->kind != VK_BARE && t->kind != VK_CONTAINER && t->kind != VK_COMPACT;
}

/* The declared element count of an Array inside a ContentsDescription (u16, at least 1). */
static int description_count(ds_enc *enc, const xmlNode *node, uint64_t *count)
{
    const char *qty = ds_x_attr(node, "Qty");
    if (!qty) return ds_enc_fail(enc, node, "<%s> in a ContentsDescription needs Qty (the element count)",
                                 ds_x_name(node));
    if (ds_enc_uint(enc, node, qty, 0, 2, count)) return -1;
    if (*count == 0)
        return ds_enc_fail(enc, node, "<%s> in a ContentsDescription has 0 elements", ds_x_name(node));
    return 0;
}

/* Writes one type description; rejects what the decoder rejects (types whose
 * values take no content byte), so that what is written decodes again. */
static int encode_type(ds_enc *enc, const xmlNode *type, ds_buf *out)
{
    data_type room;
    const data_type *t = find_type(type, &room);
    if (!t) return ds_enc_fail(enc, type, "<%s> is not a known data type", ds_x_name(type));
    if (t->tag == DS_T_STRUCTURE) {
        size_t n = ds_x_count(type);
        if (n == 0) return ds_enc_fail(enc, type, "<Structure> in a ContentsDescription has no fields");
        if (enter(enc, type)) return -1;
        ds_buf_byte(out, DS_T_STRUCTURE);
        ds_buf_len(out, n);
        int r = check_out(enc, type, out);
        for (xmlNode *child = ds_x_first(type); child && !r; child = ds_x_next(child))
            r = encode_type(enc, child, out);
        leave(enc);
        return r;
    }
    if (t->tag == DS_T_ARRAY) {
        uint64_t count;
        if (description_count(enc, type, &count)) return -1;
        xmlNode *elem = ds_x_first(type);
        if (!elem || ds_x_next(elem))
            return ds_enc_fail(enc, type, "<Array> in a ContentsDescription must hold exactly one element type");
        if (enter(enc, type)) return -1;
        ds_buf_byte(out, DS_T_ARRAY);
        ds_buf_uint(out, count, 2);
        int r = encode_type(enc, elem, out);
        leave(enc);
        return r ? r : check_out(enc, type, out);
    }
    if (!is_compact_element(t))
        return ds_enc_fail(enc, type, "<%s> cannot be a compact-array element type", ds_x_name(type));
    ds_buf_byte(out, t->tag);
    return check_out(enc, type, out);
}

/* ';'-separated values of one row (or of all elements of a simple type). */
typedef struct pieces {
    const char *p;
    size_t len, pos;
    int end;
} pieces;

static int next_piece(pieces *it, const char **p, size_t *n)
{
    if (it->end) return -1;
    const char *start = it->p + it->pos;
    const char *semi = memchr(start, ';', it->len - it->pos);
    *p = start;
    if (semi) {
        *n = (size_t)(semi - start);
        it->pos += *n + 1;
    } else {
        *n = it->len - it->pos;
        it->pos = it->len;
        it->end = 1;
    }
    return 0;
}

/* Scratch buffers for compact-array text, freed by encode_compact. */
typedef struct compact_ctx {
    ds_enc *enc;
    ds_buf *out;
    ds_buf text;    /* a ValueHex value decoded, or the element text */
    ds_buf piece;   /* one value as a C string */
} compact_ctx;

static const char *piece_cstr(compact_ctx *cx, const xmlNode *node, const char *p, size_t n)
{
    if (memchr(p, '\0', n)) {
        ds_enc_fail(cx->enc, node, "<%s>: a value holds a NUL byte", ds_x_name(node));
        return NULL;
    }
    ds_buf_reset(&cx->piece);
    if (ds_buf_append(&cx->piece, p, n) || ds_buf_byte(&cx->piece, 0)) {
        check_out(cx->enc, node, &cx->piece);
        return NULL;
    }
    return (const char *)cx->piece.p;
}

static int put_real(compact_ctx *cx, const xmlNode *node, const data_type *t, const char *s)
{
    char *end;
    errno = 0;
    double d = 0;
    float f = 0;
    if (t->size == 4) f = strtof(s, &end);
    else d = strtod(s, &end);
    double got = t->size == 4 ? (double)f : d;
    if (end == s || *end || (errno == ERANGE && isinf(got)))
        return ds_enc_fail(cx->enc, node, "<%s>: \"%s\" is not a %s value", ds_x_name(node), s, ds_axdr_type_name(t->tag));
    uint64_t u = 0;
    if (t->size == 4) {
        uint32_t v;
        memcpy(&v, &f, sizeof v);
        u = v;
    } else {
        memcpy(&u, &d, sizeof u);
    }
    ds_buf_uint(cx->out, u, t->size);
    return 0;
}

/* One value of a simple type inside the contents: no tag, row conventions. */
static int put_piece(compact_ctx *cx, const xmlNode *node, const data_type *t, const char *p, size_t n)
{
    ds_enc *enc = cx->enc;
    if (t->kind == VK_TEXT) return put_text(enc, node, p, n, cx->out);
    if (t->kind == VK_BITS) return put_bits(enc, node, p, n, cx->out);
    if (t->kind == VK_BOOLEAN) return put_boolean(enc, node, p, n, cx->out);
    const char *s = piece_cstr(cx, node, p, n);
    if (!s) return -1;
    switch (t->kind) {
    case VK_UINT: {
        uint64_t u;
        uint64_t max = t->size >= 8 ? UINT64_MAX : ((uint64_t)1 << (8 * t->size)) - 1;
        /* an empty piece is a missing value here, not Gurux's "empty attribute is 0" */
        if (!*s) return ds_enc_fail(enc, node, "<%s>: an empty value in the contents", ds_x_name(node));
        if (ds_enc_dec(enc, node, s, max, &u)) return -1;
        ds_buf_uint(cx->out, u, t->size);
        return 0;
    }
    case VK_SINT: {
        /* rows are decimal in both modes */
        int64_t v;
        int saved = enc->decimal;
        ds_num_evidence *ev = enc->ev; /* not a hint: decimal whatever the document's notation */
        enc->decimal = 1;
        enc->ev = NULL;
        int r = ds_enc_sint(enc, node, s, t->size, &v);
        enc->decimal = saved;
        enc->ev = ev;
        if (r) return r;
        ds_buf_uint(cx->out, (uint64_t)v, t->size);
        return 0;
    }
    case VK_FIXED_HEX:
        if (t->tag == DS_T_FLOAT32 || t->tag == DS_T_FLOAT64) return put_real(cx, node, t, s);
        return ds_enc_hex(enc, node, s, t->size, cx->out);
    case VK_OCTETS: return put_hex_counted(enc, node, s, cx->out);
    default: return ds_enc_fail(enc, node, "<%s>: internal: not a compact element type", ds_x_name(node));
    }
}

/* The values of one element of the (already checked) type: walks the
 * description as the decoder does. Every leaf takes one piece, and there are
 * no empty containers, so the work is bounded by the length of the text. */
static int element_values(compact_ctx *cx, const xmlNode *type, const xmlNode *row, pieces *it)
{
    data_type room;
    const data_type *t = find_type(type, &room);
    if (t->tag == DS_T_STRUCTURE) {
        for (xmlNode *child = ds_x_first(type); child; child = ds_x_next(child))
            if (element_values(cx, child, row, it)) return -1;
        return 0;
    }
    if (t->tag == DS_T_ARRAY) {
        uint64_t count;
        if (description_count(cx->enc, type, &count)) return -1;
        for (uint64_t i = 0; i < count; i++)
            if (element_values(cx, ds_x_first(type), row, it)) return -1;
        return 0;
    }
    const char *p;
    size_t n;
    if (next_piece(it, &p, &n))
        return ds_enc_fail(cx->enc, row, "<%s>: fewer values than the ContentsDescription needs", ds_x_name(row));
    return put_piece(cx, row, t, p, n);
}

/* The value text of ArrayContents or a Row: the value attribute (ValueHex
 * decoded), else the element's own text, trimmed. */
static int value_text(compact_ctx *cx, const xmlNode *node, const char **p, size_t *n)
{
    int is_hex;
    const char *v = ds_x_value(node, &is_hex);
    ds_buf_reset(&cx->text);
    if (v && !is_hex) {
        *p = v;
        *n = strlen(v);
        return 0;
    }
    if (v) {
        if (ds_enc_hex(cx->enc, node, v, -1, &cx->text)) return -1;
    } else {
        for (const xmlNode *c = node->children; c; c = c->next)
            if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
                ds_buf_append(&cx->text, c->content, strlen((const char *)c->content));
        if (check_out(cx->enc, node, &cx->text)) return -1;
    }
    *p = cx->text.len ? (const char *)cx->text.p : "";
    *n = cx->text.len;
    if (!v) {
        while (*n && strchr(" \t\r\n", (*p)[*n - 1])) (*n)--;
        while (*n && strchr(" \t\r\n", **p)) (*p)++, (*n)--;
    }
    return 0;
}

static int encode_row(compact_ctx *cx, const xmlNode *type, const xmlNode *row, const char *p, size_t n)
{
    pieces it = {p, n, 0, 0};
    if (element_values(cx, type, row, &it)) return -1;
    if (!it.end)
        return ds_enc_fail(cx->enc, row, "<%s>: more values than the ContentsDescription describes", ds_x_name(row));
    return 0;
}

/* Gurux form: <ArrayContents> text with one row per line. */
static int encode_text_rows(compact_ctx *cx, const xmlNode *type, const xmlNode *contents, const char *p, size_t n)
{
    while (n) {
        const char *nl = memchr(p, '\n', n);
        size_t line = nl ? (size_t)(nl - p) : n;
        const char *s = p;
        size_t k = line;
        while (k && strchr(" \t\r", s[k - 1])) k--;
        while (k && strchr(" \t\r", *s)) s++, k--;
        if (k && encode_row(cx, type, contents, s, k)) return -1;
        p += line;
        n -= line;
        if (nl) p++, n--;
    }
    return 0;
}

static int encode_contents(compact_ctx *cx, const xmlNode *type, const xmlNode *contents)
{
    data_type room;
    const data_type *t = find_type(type, &room);
    const char *p;
    size_t n;
    if (t->tag != DS_T_STRUCTURE && t->tag != DS_T_ARRAY) {
        if (value_text(cx, contents, &p, &n)) return -1;
        if (n == 0) return 0; /* no elements */
        pieces it = {p, n, 0, 0};
        while (next_piece(&it, &p, &n) == 0)
            if (put_piece(cx, contents, t, p, n)) return -1;
        return 0;
    }
    xmlNode *row = ds_x_first(contents);
    if (!row) {
        if (value_text(cx, contents, &p, &n)) return -1;
        return encode_text_rows(cx, type, contents, p, n);
    }
    for (; row; row = ds_x_next(row)) {
        if (!ds_x_is(row, "Row"))
            return ds_enc_fail(cx->enc, row, "<%s> is not expected in <ArrayContents> (only <Row>)", ds_x_name(row));
        if (value_text(cx, row, &p, &n) || encode_row(cx, type, row, p, n)) return -1;
        if (check_out(cx->enc, row, cx->out)) return -1;
    }
    return 0;
}

static int encode_compact(ds_enc *enc, const xmlNode *node, ds_buf *out)
{
    /* one the decoder could not read: all its bytes after the tag are in <Undecoded> */
    const xmlNode *cut = undecoded_child(node);
    if (cut) return put_undecoded(enc, cut, out);
    xmlNode *desc = ds_x_first(node);
    xmlNode *contents = ds_x_next(desc);
    if (!desc || !ds_x_is(desc, "ContentsDescription"))
        return ds_enc_fail(enc, node, "<%s> needs <ContentsDescription> as its first child", ds_x_name(node));
    if (!contents || !ds_x_is(contents, "ArrayContents"))
        return ds_enc_fail(enc, node, "<%s> needs <ArrayContents> after <ContentsDescription>", ds_x_name(node));
    if (ds_x_next(contents))
        return ds_enc_fail(enc, ds_x_next(contents), "<%s> is not expected in <CompactArray>",
                           ds_x_name(ds_x_next(contents)));
    xmlNode *type = ds_x_first(desc);
    if (!type || ds_x_next(type))
        return ds_enc_fail(enc, desc, "<ContentsDescription> must hold exactly one type");
    if (enter(enc, node)) return -1;
    int r = encode_type(enc, type, out);
    if (!r) {
        compact_ctx cx = {enc, out, {0}, {0}};
        ds_buf_init(&cx.text);
        ds_buf_init(&cx.piece);
        size_t start = out->len;
        r = encode_contents(&cx, type, contents);
        if (!r) r = check_out(enc, node, out);
        if (!r) r = prefix_length(enc, node, out, start);
        ds_buf_free(&cx.text);
        ds_buf_free(&cx.piece);
    }
    leave(enc);
    return r;
}

/* ---- into values ------------------------------------------------------------------------------ */

/* The same reading as encode_value, into a Data value: leaves are read by the code above into
 * `scratch` (their content bytes) and kept as the value's number or bytes; containers hold their
 * elements; a compact array is read to bytes and decoded. */

typedef struct vread {
    ds_enc *enc;
    ds_value_arena *a;
    ds_buf *scratch;
} vread;

static int value_room(vread *r, const xmlNode *node)
{
    return ds_enc_fail(r->enc, node, "<%s>: %s", ds_x_name(node), ds_value_arena_error(r->a));
}

/* The content after an A-XDR length at p[0..n): *k = the length's bytes. */
static size_t after_length(const uint8_t *p, size_t n, size_t *k)
{
    *k = n && (p[0] & 0x80) ? 1 + (size_t)(p[0] & 0x7F) : 1;
    return n >= *k ? n - *k : 0;
}

static uint64_t big_endian(const uint8_t *p, size_t n)
{
    uint64_t u = 0;
    for (size_t i = 0; i < n; i++) u = u << 8 | p[i];
    return u;
}

static int read_value(vread *r, const xmlNode *node, ds_value *parent);

/* Bytes the decoder could not read: raw bytes, and the rest of the APDU is in them. */
static int raw_value(vread *r, const xmlNode *node, ds_value *parent)
{
    ds_value *raw = ds_value_node(r->a, DS_VALUE_RAW, NULL);
    const char *v = raw ? ds_enc_need_value(r->enc, node) : NULL;
    if (!raw) return value_room(r, node);
    if (!v) return -1;
    ds_buf_reset(r->scratch);
    if (ds_enc_hex(r->enc, node, v, -1, r->scratch)) return -1;
    if (ds_value_set_bytes(r->a, raw, r->scratch->p, r->scratch->len)) return value_room(r, node);
    ds_value_link(parent, raw);
    r->enc->stopped = 1;
    return 0;
}

static int read_container(vread *r, const xmlNode *node, ds_value *v)
{
    ds_enc *enc = r->enc;
    const xmlNode *cut = undecoded_child(node);
    size_t count = ds_x_count(node);
    int shortened = cut_short(node);
    if (shortened && ds_enc_qty(enc, node, &count)) return -1;
    if (count > DS_BUF_MAX)
        return ds_enc_fail(enc, node, "<%s>: %zu elements do not fit", ds_x_name(node), count);
    if (shortened || cut) ds_value_cut_short(v, count); /* the count is not that of the elements there */
    if (enter(enc, node)) return -1;
    ds_enc_note_count(enc, node, ds_x_attr(node, "Qty"), count);
    int rc = 0;
    for (xmlNode *child = ds_x_first(node); child && !rc && !enc->stopped; child = ds_x_next(child))
        rc = child == cut ? raw_value(r, child, v) : read_value(r, child, v);
    leave(enc);
    return rc;
}

/* A leaf: its content bytes as encode_simple writes them, kept as the value's fields. */
static int read_simple(vread *r, const xmlNode *node, const data_type *t, ds_value *v)
{
    ds_buf *b = r->scratch;
    ds_buf_reset(b);
    if (encode_simple(r->enc, node, t, b) || check_out(r->enc, node, b)) return -1;
    size_t k;
    switch (t->kind) {
    case VK_BOOLEAN:
        v->u = b->len ? b->p[0] : 0;
        return 0;
    case VK_UINT:
        v->u = big_endian(b->p, b->len);
        v->i = (int64_t)(v->u & INT64_MAX);
        return 0;
    case VK_SINT: {
        uint64_t u = big_endian(b->p, b->len);
        size_t bits = 8 * b->len;
        if (bits && bits < 64 && (u >> (bits - 1)) & 1) u |= ~(uint64_t)0 << bits; /* sign-extended */
        v->u = u;
        v->i = (int64_t)u;
        return 0;
    }
    case VK_BITS: {
        size_t n = after_length(b->p, b->len, &k);
        v->u = k == 1 ? b->p[0] : big_endian(b->p + 1, k - 1);
        return ds_value_set_bytes(r->a, v, b->p + k, n) ? value_room(r, node) : 0;
    }
    case VK_OCTETS: case VK_TEXT: {
        size_t n = after_length(b->p, b->len, &k);
        return ds_value_set_bytes(r->a, v, b->p + k, n) ? value_room(r, node) : 0;
    }
    default: /* fixed-size bytes: floats, dates */
        return ds_value_set_bytes(r->a, v, b->p, b->len) ? value_room(r, node) : 0;
    }
}

/* A compact array: read to bytes by encode_compact, then decoded (its elements are values of
 * the description's types). */
static int read_compact(vread *r, const xmlNode *node, ds_value *parent)
{
    const xmlNode *cut = undecoded_child(node);
    if (cut) {
        ds_value *v = ds_value_node(r->a, DS_VALUE_DATA, NULL);
        if (!v) return value_room(r, node);
        v->tag = DS_T_COMPACT_ARRAY;
        ds_value_link(parent, v);
        return raw_value(r, cut, v);
    }
    ds_buf *b = r->scratch;
    ds_buf_reset(b);
    ds_buf_byte(b, DS_T_COMPACT_ARRAY);
    if (encode_compact(r->enc, node, b) || check_out(r->enc, node, b)) return -1;
    ds_value *v = NULL;
    size_t used = 0;
    ds_diag diag;
    int bad = ds_value_decode_data(r->a, b->p, b->len, &used, &v, &diag);
    if (bad || used != b->len) return ds_enc_fail(r->enc, node, "<%s>: %s", ds_x_name(node), bad ? diag.message : "not one value");
    ds_value_link(parent, v);
    return 0;
}

static int read_value(vread *r, const xmlNode *node, ds_value *parent)
{
    data_type room;
    const data_type *t = find_type(node, &room);
    if (!t) return ds_enc_fail(r->enc, node, "<%s> is not a known data type", ds_x_name(node));
    if (t->kind == VK_COMPACT) return read_compact(r, node, parent);
    ds_value *v = ds_value_node(r->a, DS_VALUE_DATA, NULL);
    if (!v) return value_room(r, node);
    v->tag = t->tag;
    ds_value_link(parent, v);
    switch (t->kind) {
    case VK_BARE: return 0;
    case VK_CONTAINER: return read_container(r, node, v);
    default: return read_simple(r, node, t, v);
    }
}

int ds_axdr_read_value(ds_enc *enc, const xmlNode *node, ds_value_arena *a, ds_buf *scratch, ds_value *parent)
{
    if (!node) return ds_enc_fail(enc, NULL, "missing data element");
    vread r = {enc, a, scratch};
    return read_value(&r, node, parent);
}

/* ---- entry point ------------------------------------------------------------------------------ */

int ds_axdr_encode(ds_enc *enc, const xmlNode *node, ds_buf *out)
{
    if (!enc || !out) return -1;
    if (!node) return ds_enc_fail(enc, NULL, "missing data element");
    return encode_value(enc, node, out);
}
