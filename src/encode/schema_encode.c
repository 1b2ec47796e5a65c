/* XML elements -> values: the PDU descriptions (src/apdu/schema.h) walked over the XML tree.
 *
 * The walk reads the elements into a tree of values (include/dlmscope/value.h) and
 * src/apdu/value_encode.c writes the bytes: one writer for the XML encoder, the builders and
 * the client. Where decoding reads a tag byte to choose (CHOICE, OPTIONAL, BER fields), this
 * walk looks at the name of the next element instead: every alternative of a description
 * begins with an element of its own name, which is the rule that makes a description
 * invertible. Lengths and counts are the values' own, written in their shortest form.
 *
 * An <Undecoded> (bytes the decoder could not read) becomes a raw-bytes value; like the
 * decoder, the walk then takes nothing more in that scope (enc->stopped). Data elements are
 * read by axdr_encode.c. Errors name the element and its line (ds_enc_fail). */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "apdu/apdu.h"
#include "apdu/apdu_tags.h"
#include "apdu/enums.h"
#include "apdu/value_int.h"
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
static int enter(ds_enc *enc, const xmlNode *node)
{
    if (enc->depth >= DS_ENC_MAX_DEPTH) return ds_enc_fail(enc, node, "nesting deeper than %d", DS_ENC_MAX_DEPTH);
    enc->depth++;
    return 0;
}

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

/* ---- the value tree ------------------------------------------------------------------------------ */

typedef struct xv {
    ds_enc *enc;
    ds_value_arena *a;
    ds_buf scratch; /* a Data element's bytes, one at a time */
} xv;

static int xv_list(xv *x, const ds_field *list, xmlNode **cur, const xmlNode *parent, ds_value *vp);
static int xv_field(xv *x, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_value *vp);
static int xv_apdu(xv *x, const xmlNode *node, ds_value *vp);

static int no_room(xv *x, const xmlNode *node)
{
    return ds_enc_fail(x->enc, node, "<%s>: %s", ds_x_name(node), ds_value_arena_error(x->a));
}

/* A node for field f (NULL: a node without a field) appended to vp; NULL after an error. */
static ds_value *xv_node(xv *x, const xmlNode *at, ds_value *vp, ds_value_kind kind, const ds_field *f)
{
    ds_value *v = ds_value_node(x->a, kind, f ? f->name : NULL);
    if (!v) {
        no_room(x, at);
        return NULL;
    }
    v->field = f;
    if (vp) ds_value_link(vp, v);
    return v;
}

/* The hex bytes of leaf n as v's bytes; expect < 0 for any length. */
static int xv_hex(xv *x, const xmlNode *n, long expect, ds_value *v)
{
    ds_buf tmp;
    ds_buf_init(&tmp);
    int rc = leaf_hex(x->enc, n, expect, &tmp);
    if (!rc && ds_value_set_bytes(x->a, v, tmp.p, tmp.len)) rc = no_room(x, n);
    ds_buf_free(&tmp);
    return rc;
}

/* An <Undecoded> where a field is expected: the bytes the decoder could not read, from that
 * place to the end of the APDU (or of the BER field), flags and tags included. They become
 * raw bytes, and nothing more is taken in that scope (enc->stopped). Returns 1 when taken, 0
 * when the next element is something else, -1 on error. */
static int take_undecoded(xv *x, xmlNode **cur, ds_value *vp)
{
    xmlNode *n = *cur;
    if (!n || !ds_x_is(n, "Undecoded")) return 0;
    ds_value *r = xv_node(x, n, vp, DS_VALUE_RAW, NULL);
    if (!r || xv_hex(x, n, -1, r)) return -1;
    *cur = ds_x_next(n);
    x->enc->stopped = 1;
    return 1;
}

/* The end of a container: an <Undecoded> may still follow its fields (bytes after an APDU
 * carried in a field), then nothing. */
static int finish_children(xv *x, xmlNode *left, const xmlNode *parent, ds_value *vp)
{
    if (!x->enc->stopped && take_undecoded(x, &left, vp) < 0) return -1;
    return no_leftovers(x->enc, left, parent);
}

/* The children of `node` with `list`, every child used. */
static int xv_children(xv *x, const ds_field *list, const xmlNode *node, ds_value *v)
{
    if (enter(x->enc, node)) return -1;
    xmlNode *cur = ds_x_first(node);
    int rc = xv_list(x, list, &cur, node, v);
    if (rc == 0) rc = finish_children(x, cur, node, v);
    x->enc->depth--;
    return rc;
}

/* ---- fixed fields ---------------------------------------------------------------------------------- */

static int xv_uint(xv *x, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_value *vp)
{
    xmlNode *n = take(x->enc, f, cur, parent);
    uint64_t u;
    if (!n || enc_number(x->enc, f, n, f->size, &u)) return -1;
    ds_value *v = xv_node(x, n, vp, DS_VALUE_NUMBER, f);
    if (!v) return -1;
    v->u = u;
    v->len = f->size;
    return 0;
}

static int xv_int(xv *x, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_value *vp)
{
    xmlNode *n = take(x->enc, f, cur, parent);
    if (!n) return -1;
    const char *text = ds_enc_need_value(x->enc, n);
    int64_t i;
    if (!text || ds_enc_sint(x->enc, n, text, f->size, &i)) return -1;
    ds_value *v = xv_node(x, n, vp, DS_VALUE_SIGNED, f);
    if (!v) return -1;
    v->i = i;
    v->u = (uint64_t)i;
    v->len = f->size;
    return 0;
}

/* Fixed-size bytes (size), length-prefixed octets or the rest of a BER value (-1). */
static int xv_bytes(xv *x, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_value *vp)
{
    xmlNode *n = take(x->enc, f, cur, parent);
    ds_value *v = n ? xv_node(x, n, vp, DS_VALUE_BYTES, f) : NULL;
    return v ? xv_hex(x, n, f->kind == SK_BYTES ? (long)f->size : -1, v) : -1;
}

static int xv_enum(xv *x, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_value *vp)
{
    xmlNode *n = take(x->enc, f, cur, parent);
    uint8_t e;
    if (!n || enum_value(x->enc, n, f->names, &e)) return -1;
    ds_value *v = xv_node(x, n, vp, DS_VALUE_ENUM, f);
    if (!v) return -1;
    v->u = e;
    return 0;
}

/* ---- structure ------------------------------------------------------------------------------------- */

static int xv_group(xv *x, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_value *vp)
{
    ds_value *v;
    if (!f->name) return (v = xv_node(x, parent, vp, DS_VALUE_GROUP, f)) ? xv_list(x, f->sub, cur, parent, v) : -1;
    xmlNode *n = take(x->enc, f, cur, parent);
    if (!n || !(v = xv_node(x, n, vp, DS_VALUE_GROUP, f))) return -1;
    return xv_children(x, f->sub, n, v);
}

static int xv_optional(xv *x, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_value *vp)
{
    ds_value *v = xv_node(x, parent, vp, DS_VALUE_OPTIONAL, f);
    if (!v) return -1;
    if (!list_matches(f->sub, *cur)) return 0;
    v->u = 1;
    return xv_list(x, f->sub, cur, parent, v);
}

/* The body of a CHOICE, read from *cur: the tag comes from the tag leaf or from the element that
 * begins an alternative. */
static int choice_body(xv *x, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_value *v)
{
    ds_enc *enc = x->enc;
    const ds_field *body = NULL;
    uint8_t tag = 0;
    v->flags |= DS_VALUE_UNCHOSEN;
    int u = take_undecoded(x, cur, v); /* the tag could not be read: it is in there */
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
        if (!(alt && alt->body)) v->flags |= DS_VALUE_DEFAULT;
    } else {
        const ds_alt *alt = find_alt_for(f->alts, *cur);
        if (!alt)
            return ds_enc_fail(enc, *cur ? *cur : parent, "%s<%s> is not a valid choice here",
                               *cur ? "" : "missing element: ", *cur ? ds_x_name(*cur) : ds_x_name(parent));
        tag = alt->tag;
        body = alt->body;
    }
    v->flags &= (uint8_t)~DS_VALUE_UNCHOSEN;
    v->tag = tag;
    return xv_list(x, body, cur, parent, v);
}

static int xv_choice(xv *x, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_value *vp)
{
    ds_value *v;
    if (!f->name) return (v = xv_node(x, parent, vp, DS_VALUE_CHOICE, f)) ? choice_body(x, f, cur, parent, v) : -1;
    xmlNode *n = take(x->enc, f, cur, parent);
    if (!n || !(v = xv_node(x, n, vp, DS_VALUE_CHOICE, f)) || enter(x->enc, n)) return -1;
    xmlNode *inner = ds_x_first(n);
    int rc = choice_body(x, f, &inner, n, v);
    if (rc == 0) rc = finish_children(x, inner, n, v);
    x->enc->depth--;
    return rc;
}

/* A tag that no alternative of f has: the one a choice that took the default body carries. */
static uint8_t default_tag(const ds_field *f)
{
    for (int t = 0; t < 256; t++) {
        const ds_alt *a = f->alts;
        while (a && a->body && a->tag != t) a++;
        if (!(a && a->body)) return (uint8_t)t;
    }
    return 0;
}

static int xv_peek_choice(xv *x, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_value *vp)
{
    const ds_alt *alt = find_alt_for(f->alts, *cur);
    if (!alt && !f->default_body) return ds_enc_fail(x->enc, *cur ? *cur : parent, "<%s> is not a valid choice here",
                                                     *cur ? ds_x_name(*cur) : ds_x_name(parent));
    ds_value *v = xv_node(x, parent, vp, DS_VALUE_CHOICE, f);
    if (!v) return -1;
    v->tag = alt ? alt->tag : default_tag(f);
    if (!alt) v->flags |= DS_VALUE_DEFAULT;
    return xv_list(x, alt ? alt->body : f->default_body, cur, parent, v);
}

static int xv_seq_of(xv *x, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_value *vp)
{
    ds_enc *enc = x->enc;
    xmlNode *n = take(enc, f, cur, parent);
    ds_value *v;
    if (!n || !(v = xv_node(x, n, vp, DS_VALUE_LIST, f)) || enter(enc, n)) return -1;
    int rc = 0;
    for (xmlNode *item = ds_x_first(n); item && rc == 0 && !enc->stopped;) {
        xmlNode *before = item;
        rc = xv_list(x, f->sub, &item, n, v);
        if (rc == 0 && item == before) rc = ds_enc_fail(enc, item, "<%s> is not an item of <%s>", ds_x_name(item), ds_x_name(n));
    }
    /* cut short by undecoded bytes: the items are not all there, Qty says how many were announced */
    size_t count;
    if (rc == 0 && enc->stopped && (rc = ds_enc_qty(enc, n, &count)) == 0) ds_value_cut_short(v, count);
    enc->depth--;
    return rc;
}

static int xv_conformance(xv *x, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_value *vp)
{
    ds_enc *enc = x->enc;
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
    ds_value *v = xv_node(x, n, vp, DS_VALUE_CONFORMANCE, f);
    if (!v) return -1;
    v->u = bits;
    return 0;
}

/* A Data element: axdr_encode.c reads it into a Data value (raw bytes when an <Undecoded> in it
 * took the rest of the APDU). */
static int xv_data(xv *x, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_value *vp)
{
    xmlNode *n = take(x->enc, f, cur, parent);
    return n ? ds_axdr_read_value(x->enc, n, x->a, &x->scratch, vp) : -1;
}

static int xv_apdu_field(xv *x, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_value *vp)
{
    xmlNode *n = take(x->enc, f, cur, parent);
    return n ? xv_apdu(x, n, vp) : -1;
}

/* ---- BER -------------------------------------------------------------------------------------------- */

/* One context-tagged field of a BER sequence: the alternative whose body begins with node. */
static int xv_ber_field(xv *x, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_value *vp)
{
    ds_enc *enc = x->enc;
    const ds_alt *alt = find_alt_for(f->alts, *cur);
    if (!alt) return ds_enc_fail(enc, *cur, "<%s> is not a field of <%s>", ds_x_name(*cur), ds_x_name(parent));
    ds_value *t = xv_node(x, *cur, vp, DS_VALUE_TAGGED, NULL);
    if (!t) return -1;
    t->field = f;
    t->tag = alt->tag;
    int stopped = enc->stopped; /* a BER field is a scope of its own */
    enc->stopped = 0;
    int rc = xv_list(x, alt->body, cur, parent, t);
    enc->stopped = stopped;
    return rc;
}

static int xv_ber_seq(xv *x, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_value *vp)
{
    ds_enc *enc = x->enc;
    xmlNode *n = take(enc, f, cur, parent);
    ds_value *v;
    if (!n || !(v = xv_node(x, n, vp, DS_VALUE_GROUP, f)) || enter(enc, n)) return -1;
    int rc = 0;
    for (xmlNode *item = ds_x_first(n); item && rc == 0;) {
        if (ds_x_is(item, "Decrypted")) { /* the deciphered view of the field before it: not bytes */
            item = ds_x_next(item);
        } else if (ds_x_is(item, "Undecoded")) { /* a field the decoder could not read, kept as it was */
            ds_value *r = xv_node(x, item, v, DS_VALUE_RAW, NULL);
            rc = r ? xv_hex(x, item, -1, r) : -1;
            item = ds_x_next(item);
        } else {
            rc = xv_ber_field(x, f, &item, n, v);
        }
    }
    enc->depth--;
    return rc;
}

static int xv_ber_tlv(xv *x, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_value *vp)
{
    ds_value *v = xv_node(x, parent, vp, DS_VALUE_TAGGED, f);
    if (!v) return -1;
    v->tag = f->tag;
    int stopped = x->enc->stopped;
    x->enc->stopped = 0;
    int rc = xv_list(x, f->sub, cur, parent, v);
    x->enc->stopped = stopped;
    return rc;
}

static int xv_ber_choice(xv *x, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_value *vp)
{
    ds_enc *enc = x->enc;
    if (!f->name) return xv_ber_field(x, f, cur, parent, vp);
    xmlNode *n = take(enc, f, cur, parent);
    if (!n || enter(enc, n)) return -1;
    xmlNode *inner = ds_x_first(n);
    int rc;
    if (inner && ds_x_is(inner, "Undecoded")) { /* a field the decoder could not read: the whole TLV */
        ds_value *v = xv_node(x, n, vp, DS_VALUE_TAGGED, f);
        ds_value *r = v ? xv_node(x, inner, v, DS_VALUE_RAW, NULL) : NULL;
        if (v) v->flags |= DS_VALUE_UNCHOSEN;
        rc = r ? xv_hex(x, inner, -1, r) : -1;
        inner = ds_x_next(inner);
    } else if (!inner) {
        rc = ds_enc_fail(enc, n, "<%s> is empty", ds_x_name(n));
    } else {
        rc = xv_ber_field(x, f, &inner, n, vp);
    }
    if (rc == 0) rc = no_leftovers(enc, inner, n);
    enc->depth--;
    return rc;
}

static int xv_rest_uint(xv *x, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_value *vp)
{
    xmlNode *n = take(x->enc, f, cur, parent);
    uint64_t u;
    if (!n || enc_number(x->enc, f, n, 4, &u)) return -1;
    /* shortest BER INTEGER content that keeps the value positive */
    size_t k = 1;
    while (k < 4 && (u >> (8 * k)) != 0) k++;
    if ((u >> (8 * k - 1)) & 1) k++;
    ds_value *v = xv_node(x, n, vp, DS_VALUE_NUMBER, f);
    if (!v) return -1;
    v->u = u;
    v->len = k;
    return 0;
}

static int xv_rest_bits(xv *x, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_value *vp)
{
    xmlNode *n = take(x->enc, f, cur, parent);
    const char *bits = n ? ds_enc_need_value(x->enc, n) : NULL;
    if (!bits) return -1;
    size_t nbits = strlen(bits);
    if (nbits > 256) return ds_enc_fail(x->enc, n, "<%s>: bit string too long", ds_x_name(n));
    uint8_t bytes[34] = {0}; /* the unused-bit count, then the bits */
    for (size_t i = 0; i < nbits; i++) {
        if (bits[i] != '0' && bits[i] != '1')
            return ds_enc_fail(x->enc, n, "<%s Value=\"%s\">: a bit string holds only 0 and 1", ds_x_name(n), bits);
        if (bits[i] == '1') bytes[1 + i / 8] |= (uint8_t)(0x80 >> (i % 8));
    }
    size_t nbytes = (nbits + 7) / 8;
    bytes[0] = (uint8_t)(nbytes * 8 - nbits);
    ds_value *v = xv_node(x, n, vp, DS_VALUE_BITS, f);
    if (!v || ds_value_set_bytes(x->a, v, bytes, 1 + nbytes)) return v ? no_room(x, n) : -1;
    v->u = nbits;
    return 0;
}

static int xv_rest_oid(xv *x, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_value *vp)
{
    xmlNode *n = take(x->enc, f, cur, parent);
    const char *text = n ? ds_enc_need_value(x->enc, n) : NULL;
    if (!text) return -1;
    ds_value *v = xv_node(x, n, vp, DS_VALUE_OID, f);
    if (!v) return -1;
    for (const ds_enum *t = f->names; t && t->name; t++)
        if (strcasecmp(t->name, text) == 0) {
            const uint8_t oid[7] = {0x60, 0x85, 0x74, 0x05, 0x08, f->size, (uint8_t)t->value};
            return ds_value_set_bytes(x->a, v, oid, sizeof oid) ? no_room(x, n) : 0;
        }
    ds_buf tmp;
    ds_buf_init(&tmp);
    int rc = 0;
    if (oid_from_text(text, &tmp))
        rc = ds_enc_fail(x->enc, n, "<%s Value=\"%s\">: neither a known name nor a dotted object identifier",
                         ds_x_name(n), text);
    else if (ds_value_set_bytes(x->a, v, tmp.p, tmp.len))
        rc = no_room(x, n);
    ds_buf_free(&tmp);
    return rc;
}

/* ---- dispatch -------------------------------------------------------------------------------------- */

static int xv_field(xv *x, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_value *vp)
{
    switch (f->kind) {
    case SK_END: return 0;
    case SK_UINT: return xv_uint(x, f, cur, parent, vp);
    case SK_INT: return xv_int(x, f, cur, parent, vp);
    case SK_BYTES: case SK_OCTETS: case SK_REST_BYTES: return xv_bytes(x, f, cur, parent, vp);
    case SK_ENUM: case SK_REST_ENUM: return xv_enum(x, f, cur, parent, vp);
    case SK_BARE: {
        xmlNode *n = take(x->enc, f, cur, parent);
        return n && xv_node(x, n, vp, DS_VALUE_BARE, f) ? 0 : -1;
    }
    case SK_GROUP: return xv_group(x, f, cur, parent, vp);
    case SK_OPTIONAL: return xv_optional(x, f, cur, parent, vp);
    case SK_CHOICE: return xv_choice(x, f, cur, parent, vp);
    case SK_PEEK_CHOICE: return xv_peek_choice(x, f, cur, parent, vp);
    case SK_SEQ_OF: return xv_seq_of(x, f, cur, parent, vp);
    case SK_DATA: return xv_data(x, f, cur, parent, vp);
    case SK_CONFORMANCE: return xv_conformance(x, f, cur, parent, vp);
    case SK_APDU: return xv_apdu_field(x, f, cur, parent, vp);
    case SK_BER_SEQ: return xv_ber_seq(x, f, cur, parent, vp);
    case SK_BER_TLV: return xv_ber_tlv(x, f, cur, parent, vp);
    case SK_BER_CHOICE: return xv_ber_choice(x, f, cur, parent, vp);
    case SK_REST_UINT: return xv_rest_uint(x, f, cur, parent, vp);
    case SK_REST_BITS: return xv_rest_bits(x, f, cur, parent, vp);
    case SK_REST_OID: return xv_rest_oid(x, f, cur, parent, vp);
    }
    return ds_enc_fail(x->enc, parent, "internal: unknown field kind");
}

static int xv_list(xv *x, const ds_field *list, xmlNode **cur, const xmlNode *parent, ds_value *vp)
{
    for (; list && list->kind != SK_END && !x->enc->stopped; list++) {
        int u = take_undecoded(x, cur, vp);
        if (u) return u < 0 ? -1 : 0;
        if (xv_field(x, list, cur, parent, vp)) return -1;
    }
    return 0;
}

/* An APDU element (a top-level one or one carried in a field) as an APDU value below vp. */
static int xv_apdu(xv *x, const xmlNode *node, ds_value *vp)
{
    int tag = apdu_tag_of(node);
    if (tag < 0) return ds_enc_fail(x->enc, node, "<%s> is not an APDU", ds_x_name(node));
    ds_value *v = xv_node(x, node, vp, DS_VALUE_APDU, NULL);
    if (!v) return -1;
    v->tag = (uint8_t)tag;
    x->enc->stopped = 0;
    xmlNode *cur = (xmlNode *)node;
    return xv_field(x, ds_apdu_lookup((uint8_t)tag), &cur, node->parent, v);
}

/* The room made before the first try: most APDUs take less. */
#define ROOM_FIRST 1024u

/* Makes out's spare room at least n bytes (within its limit): 0, or -1 when it cannot grow. */
static int make_room(ds_buf *out, size_t n)
{
    static const uint8_t zero[1024];
    size_t at = out->len;
    for (size_t left = n; left;) {
        size_t k = left < sizeof zero ? left : sizeof zero;
        if (ds_buf_append(out, zero, k)) return -1;
        left -= k;
    }
    out->len = at;
    return 0;
}

/* The values' bytes appended to out: written straight into out's spare room when they fit
 * (most APDUs: the room is made first), else measured and written after out has grown. */
static int write_values(ds_enc *enc, const xmlNode *node, const ds_value *apdu, ds_buf *out)
{
    char err[256];
    size_t len = 0;
    size_t limit = out->limit ? out->limit : DS_BUF_MAX;
    if (out->cap - out->len < ROOM_FIRST && limit - out->len >= ROOM_FIRST && make_room(out, ROOM_FIRST))
        return ds_enc_fail(enc, node, "out of memory");
    if (out->p && !out->failed &&
        ds_value_encode_apdu(apdu, out->p + out->len, out->cap - out->len, &len, err, sizeof err) == 0) {
        out->len += len;
        return 0;
    }
    if (ds_value_encode_apdu(apdu, NULL, 0, &len, err, sizeof err))
        return ds_enc_fail(enc, node, "<%s>: %s", ds_x_name(node), err);
    if (make_room(out, len)) return ds_enc_fail(enc, node, "encoded size exceeds %u bytes", (unsigned)DS_BUF_MAX);
    if (ds_value_encode_apdu(apdu, out->p + out->len, len, &len, err, sizeof err))
        return ds_enc_fail(enc, node, "<%s>: %s", ds_x_name(node), err);
    out->len += len;
    return 0;
}

/* One arena kept from APDU to APDU (its first block stays): an encode takes it, or a new one when
 * it is in use, and gives it back reset. One per thread, so that threads encoding at once never
 * share it; released when an encoding run ends (ds_apdu_encode_release), so nothing outlives the
 * library call. */
static _Thread_local ds_value_arena *spare_arena;

void ds_apdu_encode_release(void)
{
    ds_value_arena_free(spare_arena);
    spare_arena = NULL;
}

int ds_apdu_encode(ds_enc *enc, const xmlNode *node, ds_buf *out)
{
    ds_value_arena *a = spare_arena ? spare_arena : ds_value_arena_new(DS_BUF_MAX / 16, DS_BUF_MAX);
    if (!a) return ds_enc_fail(enc, node, "out of memory");
    spare_arena = NULL;
    xv x = {enc, a, {0}};
    ds_buf_init(&x.scratch);
    ds_value root = {0};
    int rc = xv_apdu(&x, node, &root);
    ds_buf_free(&x.scratch);
    if (rc == 0) rc = write_values(enc, node, root.child, out);
    ds_value_arena_reset(a);
    if (spare_arena) ds_value_arena_free(a);
    else spare_arena = a;
    return rc;
}
