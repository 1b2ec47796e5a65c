/* The encode direction of the PDU descriptions.
 *
 * Each kind undoes what schema_decode.c does for it. Where decoding reads a
 * tag byte to choose (CHOICE, OPTIONAL, BER fields), encoding looks at the
 * name of the next element instead: every alternative of a description
 * begins with an element of its own name, which is the rule that makes a
 * description invertible. Lengths and counts are recomputed, always in their
 * shortest form. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "apdu/apdu.h"
#include "apdu/apdu_tags.h"
#include "apdu/enums.h"
#include "encode/axdr_encode.h"
#include "encode/schema_encode.h"

/* ---- which element can begin a field ----------------------------------------------------------- */

static int list_matches(const ds_field *list, const xmlNode *node);

/* A container written for a field that holds elements, or a leaf with a value? Used where two
 * alternatives share a name (the data-notification date-time). */
static int has_children(const xmlNode *node)
{
    return ds_x_first(node) != NULL;
}

static int alts_match(const ds_alt *alts, const xmlNode *node)
{
    for (; alts && alts->body; alts++)
        if (list_matches(alts->body, node)) return 1;
    return 0;
}

/* 1 when `node` can be the first element of field f. */
static int field_matches(const ds_field *f, const xmlNode *node)
{
    if (!node) return 0;
    switch (f->kind) {
    case SK_END: return 0;
    case SK_DATA: return ds_axdr_is_data(node);
    case SK_APDU: return ds_apdu_is_element(node);
    case SK_OPTIONAL:
    case SK_BER_TLV: return list_matches(f->sub, node);
    case SK_GROUP:
        if (!f->name) return list_matches(f->sub, node);
        /* a group with content is a container, not a leaf with a value */
        return ds_x_is(node, f->name) && (has_children(node) || !ds_x_value(node, NULL) || f->sub[0].kind == SK_END);
    case SK_OCTETS:
        return ds_x_is(node, f->name) && !has_children(node);
    case SK_CHOICE:
        if (f->name) return ds_x_is(node, f->name);
        if (f->tag_leaf) return ds_x_is(node, f->tag_leaf);
        return alts_match(f->alts, node) || (f->has_default && list_matches(f->default_body, node));
    case SK_BER_CHOICE:
        if (f->name) return ds_x_is(node, f->name);
        return alts_match(f->alts, node);
    case SK_PEEK_CHOICE:
        return alts_match(f->alts, node) || list_matches(f->default_body, node);
    default:
        return f->name && ds_x_is(node, f->name);
    }
}

static int list_matches(const ds_field *list, const xmlNode *node)
{
    /* transparent lists may begin with an OPTIONAL that is absent: look further then */
    for (; list && list->kind != SK_END; list++) {
        if (field_matches(list, node)) return 1;
        if (list->kind != SK_OPTIONAL) return 0;
    }
    return 0;
}

static const ds_alt *find_alt_for(const ds_alt *alts, const xmlNode *node)
{
    for (; alts && alts->body; alts++)
        if (list_matches(alts->body, node)) return alts;
    return NULL;
}

/* ---- helpers ------------------------------------------------------------------------------------- */

static const char *field_label(const ds_field *f)
{
    if (f->name) return f->name;
    if (f->tag_leaf) return f->tag_leaf;
    return f->kind == SK_DATA ? "a data element" : f->kind == SK_APDU ? "an APDU" : "an element";
}

/* Takes the next element for field f, which must be there and carry its name. */
static xmlNode *take(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent)
{
    xmlNode *n = *cur;
    if (!n) {
        ds_enc_fail(enc, parent, "<%s> lacks %s%s%s", ds_x_name(parent), f->name ? "<" : "", field_label(f),
                    f->name ? ">" : "");
        return NULL;
    }
    if (!field_matches(f, n)) {
        ds_enc_fail(enc, n, "<%s> found where %s%s%s is expected", ds_x_name(n), f->name ? "<" : "", field_label(f),
                    f->name ? ">" : "");
        return NULL;
    }
    *cur = ds_x_next(n);
    return n;
}

/* After a container's fields: nothing may be left over. */
static int no_leftovers(ds_enc *enc, const xmlNode *left, const xmlNode *parent)
{
    if (!left) return 0;
    return ds_enc_fail(enc, left, "unexpected <%s> in <%s>", ds_x_name(left), ds_x_name(parent));
}

/* Hex value of a leaf into out; expect < 0 for any length. */
static int leaf_hex(ds_enc *enc, const xmlNode *n, long expect, ds_buf *out)
{
    const char *text = ds_enc_need_value(enc, n);
    return text ? ds_enc_hex(enc, n, text, expect, out) : -1;
}

/* An <Undecoded> where a field is expected: the bytes the decoder could not read, from that
 * place to the end of the APDU (or of the BER field), flags and tags included. They are
 * written as they are, and nothing more is encoded in that scope (enc->stopped). Returns 1
 * when taken, 0 when the next element is something else, -1 on error. */
static int take_undecoded(ds_enc *enc, xmlNode **cur, ds_buf *out)
{
    xmlNode *n = *cur;
    if (!n || !ds_x_is(n, "Undecoded")) return 0;
    if (leaf_hex(enc, n, -1, out)) return -1;
    *cur = ds_x_next(n);
    enc->stopped = 1;
    return 1;
}

/* The end of a container: an <Undecoded> may still follow its fields (bytes after an APDU
 * carried in a field), then nothing. */
static int finish_children(ds_enc *enc, xmlNode *left, const xmlNode *parent, ds_buf *out)
{
    if (!enc->stopped && take_undecoded(enc, &left, out) < 0) return -1;
    return no_leftovers(enc, left, parent);
}

static int enter(ds_enc *enc, const xmlNode *node)
{
    if (enc->depth >= DS_ENC_MAX_DEPTH) return ds_enc_fail(enc, node, "nesting deeper than %d", DS_ENC_MAX_DEPTH);
    enc->depth++;
    return 0;
}

/* Encodes the children of `node` with `list`, requiring every child to be used. */
static int encode_children(ds_enc *enc, const ds_field *list, const xmlNode *node, ds_buf *out)
{
    if (enter(enc, node)) return -1;
    xmlNode *cur = ds_x_first(node);
    int rc = ds_schema_encode_list(enc, list, &cur, node, out);
    if (rc == 0) rc = finish_children(enc, cur, node, out);
    enc->depth--;
    return rc;
}

static int nomem(ds_enc *enc, const xmlNode *node)
{
    return ds_enc_fail(enc, node, "encoded size exceeds %u bytes", (unsigned)DS_BUF_MAX);
}

static int put_tlv(ds_enc *enc, const xmlNode *node, ds_buf *out, uint8_t tag, const ds_buf *content)
{
    if (ds_buf_byte(out, tag) || ds_buf_len(out, content->len) || ds_buf_append(out, content->p, content->len))
        return nomem(enc, node);
    return 0;
}

/* ---- fixed fields ---------------------------------------------------------------------------------- */

static int enc_number(ds_enc *enc, const ds_field *f, const xmlNode *n, size_t size, uint64_t *v)
{
    const char *text = ds_enc_need_value(enc, n);
    if (!text) return -1;
    if (f->fmt == NF_DEC) {
        uint64_t max = size >= 8 ? UINT64_MAX : ((uint64_t)1 << (8 * size)) - 1;
        return ds_enc_dec(enc, n, text, max, v);
    }
    int flags = f->fmt == NF_HEX_ALWAYS ? DS_NUM_HEX_ALWAYS : f->fmt == NF_HEX ? DS_NUM_PADDED : 0;
    return ds_enc_uint(enc, n, text, flags, size, v);
}

static int enc_uint(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    xmlNode *n = take(enc, f, cur, parent);
    uint64_t v;
    if (!n || enc_number(enc, f, n, f->size, &v)) return -1;
    return ds_buf_uint(out, v, f->size) ? nomem(enc, n) : 0;
}

static int enc_int(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    xmlNode *n = take(enc, f, cur, parent);
    if (!n) return -1;
    const char *text = ds_enc_need_value(enc, n);
    int64_t v;
    if (!text || ds_enc_sint(enc, n, text, f->size, &v)) return -1;
    return ds_buf_uint(out, (uint64_t)v, f->size) ? nomem(enc, n) : 0;
}

static int enc_bytes(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    xmlNode *n = take(enc, f, cur, parent);
    return n ? leaf_hex(enc, n, f->size, out) : -1;
}

static int enc_octets(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    xmlNode *n = take(enc, f, cur, parent);
    if (!n) return -1;
    ds_buf tmp;
    ds_buf_init(&tmp);
    int rc = leaf_hex(enc, n, -1, &tmp);
    if (rc == 0 && (ds_buf_len(out, tmp.len) || ds_buf_append(out, tmp.p, tmp.len))) rc = nomem(enc, n);
    ds_buf_free(&tmp);
    return rc;
}

/* An enum value: its name (case-insensitive) or a number in the document's convention. */
static int enum_value(ds_enc *enc, const xmlNode *n, const ds_enum *names, uint8_t *out)
{
    const char *text = ds_enc_need_value(enc, n);
    if (!text) return -1;
    for (const ds_enum *t = names; t && t->name; t++)
        if (strcasecmp(t->name, text) == 0) {
            *out = (uint8_t)t->value;
            return 0;
        }
    uint64_t v;
    ds_enc tmp = *enc;
    if (ds_enc_uint(&tmp, n, text, 0, 1, &v))
        return ds_enc_fail(enc, n, "<%s Value=\"%s\">: not one of the names of this field, nor a number",
                           ds_x_name(n), text);
    *out = (uint8_t)v;
    return 0;
}

static int enc_enum(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    xmlNode *n = take(enc, f, cur, parent);
    uint8_t v;
    if (!n || enum_value(enc, n, f->names, &v)) return -1;
    return ds_buf_byte(out, v) ? nomem(enc, n) : 0;
}

/* ---- structure ------------------------------------------------------------------------------------- */

static int enc_group(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    if (!f->name) return ds_schema_encode_list(enc, f->sub, cur, parent, out);
    xmlNode *n = take(enc, f, cur, parent);
    return n ? encode_children(enc, f->sub, n, out) : -1;
}

static int enc_optional(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    if (!list_matches(f->sub, *cur)) return ds_buf_byte(out, 0) ? nomem(enc, parent) : 0;
    if (ds_buf_byte(out, 1)) return nomem(enc, parent);
    return ds_schema_encode_list(enc, f->sub, cur, parent, out);
}

/* The body of a CHOICE, read from *cur: the tag comes from the tag leaf or from the element that
 * begins an alternative. */
static int choice_body(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    const ds_field *body = NULL;
    uint8_t tag = 0;
    int u = take_undecoded(enc, cur, out); /* the tag could not be read: it is in there */
    if (u) return u < 0 ? -1 : 0;
    if (f->tag_leaf) {
        xmlNode *leaf = *cur;
        if (!leaf || !ds_x_is(leaf, f->tag_leaf))
            return ds_enc_fail(enc, leaf ? leaf : parent, "<%s> expected", f->tag_leaf);
        if (enum_value(enc, leaf, f->names, &tag)) return -1;
        *cur = ds_x_next(leaf);
        const ds_alt *alt = f->alts;
        while (alt && alt->body && alt->tag != tag) alt++;
        body = alt && alt->body ? alt->body : f->has_default ? f->default_body : NULL;
        if (!body) return ds_enc_fail(enc, leaf, "<%s>: value not allowed here", f->tag_leaf);
    } else {
        const ds_alt *alt = find_alt_for(f->alts, *cur);
        if (!alt)
            return ds_enc_fail(enc, *cur ? *cur : parent, "%s<%s> is not a valid choice here",
                               *cur ? "" : "missing element: ", *cur ? ds_x_name(*cur) : ds_x_name(parent));
        tag = alt->tag;
        body = alt->body;
    }
    if (ds_buf_byte(out, tag)) return nomem(enc, parent);
    return ds_schema_encode_list(enc, body, cur, parent, out);
}

static int enc_choice(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    if (!f->name) return choice_body(enc, f, cur, parent, out);
    xmlNode *n = take(enc, f, cur, parent);
    if (!n || enter(enc, n)) return -1;
    xmlNode *inner = ds_x_first(n);
    int rc = choice_body(enc, f, &inner, n, out);
    if (rc == 0) rc = finish_children(enc, inner, n, out);
    enc->depth--;
    return rc;
}

static int enc_peek_choice(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    const ds_alt *alt = find_alt_for(f->alts, *cur);
    return ds_schema_encode_list(enc, alt ? alt->body : f->default_body, cur, parent, out);
}

static int enc_seq_of(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    xmlNode *n = take(enc, f, cur, parent);
    if (!n || enter(enc, n)) return -1;
    ds_buf items;
    ds_buf_init(&items);
    size_t count = 0;
    int rc = 0;
    for (xmlNode *item = ds_x_first(n); item && rc == 0 && !enc->stopped; count++) {
        xmlNode *before = item;
        rc = ds_schema_encode_list(enc, f->sub, &item, n, &items);
        if (rc == 0 && item == before) rc = ds_enc_fail(enc, item, "<%s> is not an item of <%s>", ds_x_name(item), ds_x_name(n));
    }
    /* cut short by undecoded bytes: the items are not all there, Qty says how many were announced */
    if (rc == 0 && enc->stopped) rc = ds_enc_qty(enc, n, &count);
    if (rc == 0 && (ds_buf_len(out, count) || ds_buf_append(out, items.p, items.len))) rc = nomem(enc, n);
    ds_buf_free(&items);
    enc->depth--;
    return rc;
}


static int enc_conformance(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    xmlNode *n = take(enc, f, cur, parent);
    if (!n) return -1;
    uint32_t bits = 0;
    for (xmlNode *b = ds_x_first(n); b; b = ds_x_next(b)) {
        const char *name = ds_x_is(b, "ConformanceBit") ? ds_x_attr(b, "Name") : NULL;
        int i = 0;
        while (name && i < 24 && strcasecmp(DS_CONFORMANCE_BITS[i], name) != 0) i++;
        if (!name || i == 24)
            return ds_enc_fail(enc, b, "<%s%s%s%s> is not a conformance bit", ds_x_name(b), name ? " Name=\"" : "",
                               name ? name : "", name ? "\"" : "");
        bits |= 0x800000u >> i;
    }
    static const uint8_t HEAD[4] = {0x5F, 0x1F, 0x04, 0x00};
    if (ds_buf_append(out, HEAD, 4) || ds_buf_uint(out, bits, 3)) return nomem(enc, n);
    return 0;
}

static int enc_data(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    xmlNode *n = take(enc, f, cur, parent);
    return n ? ds_axdr_encode(enc, n, out) : -1;
}

static int enc_apdu_field(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    xmlNode *n = take(enc, f, cur, parent);
    return n ? ds_apdu_encode(enc, n, out) : -1;
}

/* ---- BER -------------------------------------------------------------------------------------------- */

/* One context-tagged field of a BER sequence: the alternative whose body begins with node. */
static int enc_ber_field(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    const ds_alt *alt = find_alt_for(f->alts, *cur);
    if (!alt) return ds_enc_fail(enc, *cur, "<%s> is not a field of <%s>", ds_x_name(*cur), ds_x_name(parent));
    ds_buf content;
    ds_buf_init(&content);
    int stopped = enc->stopped; /* a BER field is a scope of its own */
    enc->stopped = 0;
    int rc = ds_schema_encode_list(enc, alt->body, cur, parent, &content);
    enc->stopped = stopped;
    if (rc == 0) rc = put_tlv(enc, parent, out, alt->tag, &content);
    ds_buf_free(&content);
    return rc;
}

static int enc_ber_seq(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    xmlNode *n = take(enc, f, cur, parent);
    if (!n || enter(enc, n)) return -1;
    ds_buf body;
    ds_buf_init(&body);
    int rc = 0;
    for (xmlNode *item = ds_x_first(n); item && rc == 0;) {
        if (ds_x_is(item, "Decrypted")) { /* the deciphered view of the field before it: not bytes */
            item = ds_x_next(item);
        } else if (ds_x_is(item, "Undecoded")) { /* a field the decoder could not read, kept as it was */
            rc = leaf_hex(enc, item, -1, &body);
            item = ds_x_next(item);
        } else {
            rc = enc_ber_field(enc, f, &item, n, &body);
        }
    }
    if (rc == 0 && (ds_buf_len(out, body.len) || ds_buf_append(out, body.p, body.len))) rc = nomem(enc, n);
    ds_buf_free(&body);
    enc->depth--;
    return rc;
}

static int enc_ber_tlv(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    ds_buf content;
    ds_buf_init(&content);
    int stopped = enc->stopped;
    enc->stopped = 0;
    int rc = ds_schema_encode_list(enc, f->sub, cur, parent, &content);
    enc->stopped = stopped;
    if (rc == 0) rc = put_tlv(enc, parent, out, f->tag, &content);
    ds_buf_free(&content);
    return rc;
}

static int enc_ber_choice(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    if (!f->name) return enc_ber_field(enc, f, cur, parent, out);
    xmlNode *n = take(enc, f, cur, parent);
    if (!n || enter(enc, n)) return -1;
    xmlNode *inner = ds_x_first(n);
    int rc;
    if (inner && ds_x_is(inner, "Undecoded")) { /* a field the decoder could not read: the whole TLV */
        rc = leaf_hex(enc, inner, -1, out);
        inner = ds_x_next(inner);
    } else {
        rc = inner ? enc_ber_field(enc, f, &inner, n, out) : ds_enc_fail(enc, n, "<%s> is empty", ds_x_name(n));
    }
    if (rc == 0) rc = no_leftovers(enc, inner, n);
    enc->depth--;
    return rc;
}

static int enc_rest_uint(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    xmlNode *n = take(enc, f, cur, parent);
    uint64_t v;
    if (!n || enc_number(enc, f, n, 4, &v)) return -1;
    /* shortest BER INTEGER content that keeps the value positive */
    size_t k = 1;
    while (k < 4 && (v >> (8 * k)) != 0) k++;
    if ((v >> (8 * k - 1)) & 1) k++;
    return ds_buf_uint(out, v, k) ? nomem(enc, n) : 0;
}

static int enc_rest_enum(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    return enc_enum(enc, f, cur, parent, out);
}

static int enc_rest_bytes(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    xmlNode *n = take(enc, f, cur, parent);
    return n ? leaf_hex(enc, n, -1, out) : -1;
}

static int enc_rest_bits(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    xmlNode *n = take(enc, f, cur, parent);
    const char *bits = n ? ds_enc_need_value(enc, n) : NULL;
    if (!bits) return -1;
    size_t nbits = strlen(bits);
    if (nbits > 256) return ds_enc_fail(enc, n, "<%s>: bit string too long", ds_x_name(n));
    uint8_t bytes[33] = {0};
    for (size_t i = 0; i < nbits; i++) {
        if (bits[i] != '0' && bits[i] != '1')
            return ds_enc_fail(enc, n, "<%s Value=\"%s\">: a bit string holds only 0 and 1", ds_x_name(n), bits);
        if (bits[i] == '1') bytes[i / 8] |= (uint8_t)(0x80 >> (i % 8));
    }
    size_t nbytes = (nbits + 7) / 8;
    if (ds_buf_byte(out, (uint8_t)(nbytes * 8 - nbits)) || ds_buf_append(out, bytes, nbytes)) return nomem(enc, n);
    return 0;
}

/* Dotted OID ("2.16.756.5.8.1.1") to BER content. */
static int oid_from_text(const char *s, ds_buf *out)
{
    uint64_t arcs[32];
    size_t n = 0;
    while (*s && n < 32) {
        uint64_t v = 0;
        if (*s < '0' || *s > '9') return -1;
        while (*s >= '0' && *s <= '9') {
            if (v > (UINT64_MAX - 9) / 10) return -1;
            v = v * 10 + (uint64_t)(*s++ - '0');
        }
        arcs[n++] = v;
        if (*s == '.' && !*++s) return -1; /* a trailing dot */
        if (*s && (*s < '0' || *s > '9')) return -1;
    }
    if (*s || n < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40) || arcs[1] > UINT64_MAX - 80) return -1;
    arcs[1] += 40 * arcs[0];
    for (size_t i = 1; i < n; i++) {
        uint8_t tmp[10];
        size_t k = 0;
        uint64_t v = arcs[i];
        do {
            tmp[k++] = (uint8_t)(v & 0x7F);
            v >>= 7;
        } while (v);
        while (k > 0) {
            uint8_t b = tmp[--k];
            if (ds_buf_byte(out, k ? (uint8_t)(b | 0x80) : b)) return -1;
        }
    }
    return 0;
}

static int enc_rest_oid(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    xmlNode *n = take(enc, f, cur, parent);
    const char *text = n ? ds_enc_need_value(enc, n) : NULL;
    if (!text) return -1;
    for (const ds_enum *t = f->names; t && t->name; t++)
        if (strcasecmp(t->name, text) == 0) {
            const uint8_t oid[7] = {0x60, 0x85, 0x74, 0x05, 0x08, f->size, (uint8_t)t->value};
            return ds_buf_append(out, oid, sizeof oid) ? nomem(enc, n) : 0;
        }
    if (oid_from_text(text, out))
        return ds_enc_fail(enc, n, "<%s Value=\"%s\">: neither a known name nor a dotted object identifier",
                           ds_x_name(n), text);
    return 0;
}

/* ---- dispatch -------------------------------------------------------------------------------------- */

int ds_schema_encode(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    switch (f->kind) {
    case SK_END: return 0;
    case SK_UINT: return enc_uint(enc, f, cur, parent, out);
    case SK_INT: return enc_int(enc, f, cur, parent, out);
    case SK_BYTES: return enc_bytes(enc, f, cur, parent, out);
    case SK_OCTETS: return enc_octets(enc, f, cur, parent, out);
    case SK_ENUM: return enc_enum(enc, f, cur, parent, out);
    case SK_BARE: return take(enc, f, cur, parent) ? 0 : -1;
    case SK_GROUP: return enc_group(enc, f, cur, parent, out);
    case SK_OPTIONAL: return enc_optional(enc, f, cur, parent, out);
    case SK_CHOICE: return enc_choice(enc, f, cur, parent, out);
    case SK_PEEK_CHOICE: return enc_peek_choice(enc, f, cur, parent, out);
    case SK_SEQ_OF: return enc_seq_of(enc, f, cur, parent, out);
    case SK_DATA: return enc_data(enc, f, cur, parent, out);
    case SK_CONFORMANCE: return enc_conformance(enc, f, cur, parent, out);
    case SK_APDU: return enc_apdu_field(enc, f, cur, parent, out);
    case SK_BER_SEQ: return enc_ber_seq(enc, f, cur, parent, out);
    case SK_BER_TLV: return enc_ber_tlv(enc, f, cur, parent, out);
    case SK_BER_CHOICE: return enc_ber_choice(enc, f, cur, parent, out);
    case SK_REST_UINT: return enc_rest_uint(enc, f, cur, parent, out);
    case SK_REST_ENUM: return enc_rest_enum(enc, f, cur, parent, out);
    case SK_REST_BYTES: return enc_rest_bytes(enc, f, cur, parent, out);
    case SK_REST_BITS: return enc_rest_bits(enc, f, cur, parent, out);
    case SK_REST_OID: return enc_rest_oid(enc, f, cur, parent, out);
    }
    return ds_enc_fail(enc, parent, "internal: unknown field kind");
}

int ds_schema_encode_list(ds_enc *enc, const ds_field *list, xmlNode **cur, const xmlNode *parent, ds_buf *out)
{
    for (; list && list->kind != SK_END && !enc->stopped; list++) {
        int u = take_undecoded(enc, cur, out);
        if (u) return u < 0 ? -1 : 0;
        if (ds_schema_encode(enc, list, cur, parent, out)) return -1;
    }
    return 0;
}

/* ---- APDU elements ------------------------------------------------------------------------------------ */

/* The APDU tag whose description's root element has this name, or -1. */
static int apdu_tag_of_name(const char *name)
{
    /* asked for every element at the top of a unit: the tags that are no APDU, and names that
     * differ in their first letter, are passed over without a lookup or a string compare */
    int first = tolower((unsigned char)name[0]);
    for (int t = 0; t < 256; t++) {
        if (DS_APDU_TAGS[t].role == DS_APDU_NOT_AN_APDU) continue;
        const ds_field *f = ds_apdu_lookup((uint8_t)t);
        if (f && f->name && tolower((unsigned char)f->name[0]) == first && strcasecmp(f->name, name) == 0)
            return t;
    }
    return -1;
}

static int apdu_tag_of(const xmlNode *node)
{
    return node && node->type == XML_ELEMENT_NODE ? apdu_tag_of_name((const char *)node->name) : -1;
}

int ds_apdu_is_element(const xmlNode *node)
{
    return apdu_tag_of(node) >= 0;
}

int ds_apdu_is_name(const char *name)
{
    return name && apdu_tag_of_name(name) >= 0;
}

int ds_apdu_encode(ds_enc *enc, const xmlNode *node, ds_buf *out)
{
    int tag = apdu_tag_of(node);
    if (tag < 0) return ds_enc_fail(enc, node, "<%s> is not an APDU", ds_x_name(node));
    if (ds_buf_byte(out, (uint8_t)tag)) return nomem(enc, node);
    enc->stopped = 0;
    xmlNode *cur = (xmlNode *)node;
    return ds_schema_encode(enc, ds_apdu_lookup((uint8_t)tag), &cur, node->parent, out);
}
