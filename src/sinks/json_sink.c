/* JSON Lines writer: one JSON object per frame, its values typed and its keys named for the
 * fields (the element names of the XML), with the facts most queries need at the top.
 *
 * A frame's elements are gathered into a small tree first (it is written when the frame ends),
 * because two things are known only then: the facts (service, invoke id, OBIS code, ...) come
 * from anywhere in the frame, and whether a container's children can be an object's members
 * (their names differ) or must be a list. A line:
 *
 *   {"frame":3,"offset":120,"frame_type":"HDLC","service":"get-response","invoke_id":1,
 *    "class_id":8,"obis":"0.0.1.0.0.255","attribute":2,"result":"Success",
 *    "HDLC":{"@len":"30","TargetAddress":16,...,"PDU":{"GetResponse":{...}}},
 *    "diagnostics":[{"code":"...","severity":"error","offset":12,"frame":3,"line":7,
 *                    "message":"..."}]}
 *
 * Facts: lower-case keys (frame, offset, frame_type, time, direction, from, to, service, plain_service,
 * invoke_id, class_id, obis, attribute, method, result, diagnostics), each present when known.
 * The elements: keys with an upper-case letter (HDLC, GetResponse, glo_GetRequest), in
 * document order (the frame's envelope or APDU, then the views that follow it: Decrypted,
 * Reassembled, Signed).
 *
 * An element's value (reading it back into the element tree is exact; see man dlmscope):
 *   number     a leaf whose value is an integer (decimal mode): 193, -5; beyond 2^53 a
 *              string of its digits, "18446744073709551615"
 *   string     any other leaf value: hex bytes "0100010700FF", names "Success", text;
 *              InstanceId (an OBIS code) dotted, "1.0.1.8.0.255"
 *   null       a leaf without a value (<None />)
 *   object     a container whose children have different names, members in order; or a leaf
 *              with attributes. Attributes are members "@Name" (strings)
 *   array      a container with a count (Qty: Array, Structure, lists) or with children of the
 *              same name: one object per child, {"UInt8":5}; Qty is left out when it is the
 *              number of children, else it leads as {"@Qty":"3"}
 *   "#Name"    beside an element Name: the same bytes for people (ISO 8601 date of a date-time,
 *              dotted OBIS code of a 6-byte octet string ending in FF, the number of a float,
 *              whose element keeps its exact bytes); ignored when read
 * A value that is not well-formed UTF-8 is {"@ValueHex":"48FF"}. Comments are not written.
 * Diagnostics outside a frame are lines of their own: {"diagnostic":{...}}. */
#include "dlmscope/sink.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "names/names.h"
#include "sinks/text.h"
#include "sinks/wbuf.h"

enum { JN_CONTAINER, JN_LEAF, JN_HEX, JN_ATTRS };

#define JSON_MAX_NODES (1u << 22)    /* per frame: beyond, the sink reports a write error */
#define JSON_MAX_TEXT (256u << 20)
#define JSON_MAX_DIAGS 256           /* per frame; more are counted, not kept */

typedef struct jnode {
    size_t name, value;        /* offsets into text */
    uint32_t name_len;
    uint32_t value_len;
    uint32_t attr, nattrs;     /* attrs[attr .. attr + nattrs) */
    uint32_t parent, first, last, next, nchildren; /* node indices, 0 = none (node 0 is the line) */
    uint8_t kind;
    uint8_t number;            /* DS_LEAF_NUMBER was given */
} jnode;

typedef struct jattr {
    size_t name, value;
    uint32_t name_len, value_len;
} jattr;

typedef struct json_sink {
    ds_sink base;
    ds_wbuf w;
    jnode *nodes;
    size_t nnodes, nodes_cap;
    jattr *attrs;
    size_t nattrs, attrs_cap;
    char *text;
    size_t text_len, text_cap;
    uint32_t *stack;           /* open containers */
    size_t depth, stack_cap;
    ds_diag *diags;
    size_t ndiags, diags_cap;
    ds_sink_frame frame;       /* the frame the pending line belongs to */
    int has_frame;
    int failed;                /* out of memory or over a limit */
    char block[DS_WBUF_SIZE + DS_WBUF_SLACK];
} json_sink;

static json_sink *json_of(ds_sink *s) { return (json_sink *)s->ctx; }

/* ---- the frame's tree ------------------------------------------------------------------------ */

static int grow(void **p, size_t *cap, size_t need, size_t size, size_t max)
{
    if (need <= *cap) return 0;
    if (need > max) return -1;
    size_t n = *cap ? *cap : 64;
    while (n < need) n *= 2;
    if (n > max) n = max;
    void *q = realloc(*p, n * size);
    if (!q) return -1;
    *p = q;
    *cap = n;
    return 0;
}

/* Copies bytes into the text store; returns their offset, or SIZE_MAX on failure. */
static size_t keep_text(json_sink *j, const void *p, size_t n)
{
    if (j->failed) return SIZE_MAX;
    if (grow((void **)&j->text, &j->text_cap, j->text_len + n + 1, 1, JSON_MAX_TEXT)) {
        j->failed = 1;
        return SIZE_MAX;
    }
    size_t at = j->text_len;
    if (n) memcpy(j->text + at, p, n);
    j->text_len += n;
    return at;
}

static const char *text_at(const json_sink *j, size_t off) { return j->text + off; }

static int line_pending(const json_sink *j) { return j->nnodes > 1; }

/* A new node, child of the innermost open container (or of the line). 0 on failure. */
static uint32_t add_node(json_sink *j, int kind, const char *name, size_t name_len)
{
    if (j->failed) return 0;
    if (grow((void **)&j->nodes, &j->nodes_cap, j->nnodes + 1, sizeof *j->nodes, JSON_MAX_NODES)) {
        j->failed = 1;
        return 0;
    }
    size_t name_at = keep_text(j, name, name_len);
    if (name_at == SIZE_MAX) return 0;
    uint32_t id = (uint32_t)j->nnodes++;
    jnode *n = &j->nodes[id];
    memset(n, 0, sizeof *n);
    n->kind = (uint8_t)kind;
    n->name = name_at;
    n->name_len = (uint32_t)name_len;
    uint32_t parent = j->depth ? j->stack[j->depth - 1] : 0;
    n->parent = parent;
    jnode *p = &j->nodes[parent];
    if (p->last) j->nodes[p->last].next = id;
    else p->first = id;
    p->last = id;
    p->nchildren++;
    return id;
}

static void keep_value(json_sink *j, uint32_t id, const void *p, size_t n)
{
    size_t at = keep_text(j, p, n);
    if (!id || at == SIZE_MAX) return;
    j->nodes[id].value = at;
    j->nodes[id].value_len = (uint32_t)n;
}

static void keep_attrs(json_sink *j, uint32_t id, const ds_attr *attrs, size_t nattrs)
{
    if (!id || !nattrs) return;
    if (grow((void **)&j->attrs, &j->attrs_cap, j->nattrs + nattrs, sizeof *j->attrs, JSON_MAX_NODES)) {
        j->failed = 1;
        return;
    }
    j->nodes[id].attr = (uint32_t)j->nattrs;
    for (size_t i = 0; i < nattrs; i++) {
        jattr *a = &j->attrs[j->nattrs + i];
        a->name_len = (uint32_t)ds_attr_name_len(&attrs[i]);
        a->value_len = (uint32_t)ds_attr_value_len(&attrs[i]);
        a->name = keep_text(j, attrs[i].name, a->name_len);
        a->value = keep_text(j, ds_attr_value(&attrs[i]), a->value_len);
    }
    if (j->failed) return;
    j->nattrs += nattrs;
    j->nodes[id].nattrs = (uint32_t)nattrs;
}

static void reset_line(json_sink *j)
{
    j->nnodes = 1;
    memset(&j->nodes[0], 0, sizeof j->nodes[0]);
    j->nattrs = 0;
    j->text_len = 0;
    j->ndiags = 0;
    j->has_frame = 0;
}

/* ---- writing values -------------------------------------------------------------------------- */

static int name_is(const json_sink *j, const jnode *n, const char *name)
{
    size_t len = strlen(name);
    return n->name_len == len && memcmp(text_at(j, n->name), name, len) == 0;
}

static void write_key(json_sink *j, const char *prefix, const char *name, size_t len)
{
    ds_wbuf_putc(&j->w, '"');
    if (prefix) ds_wbuf_puts(&j->w, prefix);
    ds_wbuf_write(&j->w, name, len);  /* names are the program's: letters, digits, '_' */
    ds_wbuf_write(&j->w, "\":", 2);
}

/* A string from the input: as it is when UTF-8, else {"@ValueHex":"HEX"}. */
static void write_text_value(json_sink *j, const char *p, size_t n)
{
    if (ds_utf8_valid(p, n)) {
        ds_json_write_string(&j->w, p, n);
        return;
    }
    ds_wbuf_write(&j->w, "{\"@ValueHex\":\"", 14);
    ds_wbuf_hex(&j->w, (const unsigned char *)p, n);
    ds_wbuf_write(&j->w, "\"}", 2);
}

/* Decimal integer text that a JSON reader holds exactly as a number (|v| <= 2^53). */
static int exact_json_number(const char *p, size_t n)
{
    size_t i = (n && p[0] == '-') ? 1 : 0;
    if (i == n || n - i > 16) return 0;
    if (p[i] == '0' && n - i > 1) return 0;
    for (size_t k = i; k < n; k++)
        if (p[k] < '0' || p[k] > '9') return 0;
    if (n - i < 16) return 1;
    return memcmp(p + i, "9007199254740992", 16) <= 0;
}

static void write_obis(json_sink *j, const unsigned char *p)
{
    ds_wbuf_putc(&j->w, '"');
    for (int i = 0; i < 6; i++) {
        if (i) ds_wbuf_putc(&j->w, '.');
        ds_wbuf_udec(&j->w, p[i]);
    }
    ds_wbuf_putc(&j->w, '"');
}

static void write_attr_members(json_sink *j, const jnode *n, int skip_qty, int *first)
{
    for (uint32_t i = 0; i < n->nattrs; i++) {
        const jattr *a = &j->attrs[n->attr + i];
        const char *name = text_at(j, a->name);
        if (skip_qty && a->name_len == 3 && memcmp(name, "Qty", 3) == 0) continue;
        if (!*first) ds_wbuf_putc(&j->w, ',');
        *first = 0;
        const char *v = text_at(j, a->value);
        if (ds_utf8_valid(v, a->value_len)) {
            write_key(j, "@", name, a->name_len);
            ds_json_write_string(&j->w, v, a->value_len);
        } else {
            ds_wbuf_putc(&j->w, '"');
            ds_wbuf_putc(&j->w, '@');
            ds_wbuf_write(&j->w, name, a->name_len);
            ds_wbuf_write(&j->w, "Hex\":\"", 6);
            ds_wbuf_hex(&j->w, (const unsigned char *)v, a->value_len);
            ds_wbuf_putc(&j->w, '"');
        }
    }
}

/* The container's Qty, when it has one: *qty its value read as decimal (-1 if not decimal). */
static int container_qty(const json_sink *j, const jnode *n, long long *qty)
{
    for (uint32_t i = 0; i < n->nattrs; i++) {
        const jattr *a = &j->attrs[n->attr + i];
        if (a->name_len != 3 || memcmp(text_at(j, a->name), "Qty", 3) != 0) continue;
        const char *v = text_at(j, a->value);
        long long q = 0;
        for (uint32_t k = 0; k < a->value_len && q >= 0; k++)
            q = (v[k] >= '0' && v[k] <= '9' && q < 100000000) ? q * 10 + (v[k] - '0') : -1;
        *qty = a->value_len ? q : -1;
        return 1;
    }
    return 0;
}

/* Children with the same name cannot be members of one object. */
static int children_repeat(const json_sink *j, const jnode *n)
{
    if (n->nchildren > 64) return 1;
    for (uint32_t a = n->first; a; a = j->nodes[a].next)
        for (uint32_t b = j->nodes[a].next; b; b = j->nodes[b].next)
            if (j->nodes[a].name_len == j->nodes[b].name_len &&
                memcmp(text_at(j, j->nodes[a].name), text_at(j, j->nodes[b].name), j->nodes[a].name_len) == 0)
                return 1;
    return 0;
}

static void write_value(json_sink *j, uint32_t id, int depth);

/* "#Float32": the number the IEEE 754 bytes hold, shortest text that reads back the same
 * (infinities and NaN have no JSON number: none is written). */
static void write_float_annotation(json_sink *j, const jnode *n, const unsigned char *p)
{
    uint64_t bits = 0;
    for (uint32_t i = 0; i < n->value_len; i++) bits = bits << 8 | p[i];
    double v;
    int digits;
    if (n->value_len == 4) {
        uint32_t b32 = (uint32_t)bits;
        float f;
        memcpy(&f, &b32, sizeof f);
        v = f;
        digits = 9;
    } else {
        memcpy(&v, &bits, sizeof v);
        digits = 17;
    }
    if (!isfinite(v)) return;
    char text[40];
    int len = snprintf(text, sizeof text, "%.*g", digits, v);
    if (len <= 0 || (size_t)len >= sizeof text) return;
    ds_wbuf_putc(&j->w, ',');
    write_key(j, "#", text_at(j, n->name), n->name_len);
    ds_wbuf_write(&j->w, text, (size_t)len);
}

/* "#Name": the bytes of a date-time or an OBIS code for people, beside the element. */
static void write_annotation(json_sink *j, const jnode *n)
{
    if (n->kind != JN_HEX) return;
    const unsigned char *p = (const unsigned char *)text_at(j, n->value);
    int octets = name_is(j, n, "OctetString");
    if (octets && n->value_len == 6 && p[5] == 0xFF) {
        ds_wbuf_putc(&j->w, ',');
        write_key(j, "#", text_at(j, n->name), n->name_len);
        write_obis(j, p);
        return;
    }
    if ((name_is(j, n, "Float32") && n->value_len == 4) || (name_is(j, n, "Float64") && n->value_len == 8)) {
        write_float_annotation(j, n, p);
        return;
    }
    if (!(octets || name_is(j, n, "DateTime") || name_is(j, n, "Date") || name_is(j, n, "Time"))) return;
    if (n->value_len != 12 && n->value_len != 5 && n->value_len != 4) return;
    char iso[DS_DATETIME_TEXT_MAX];
    size_t len = ds_datetime_format(p, n->value_len, iso, sizeof iso);
    if (!len) return;
    ds_wbuf_putc(&j->w, ',');
    write_key(j, "#", text_at(j, n->name), n->name_len);
    ds_json_write_string(&j->w, iso, len);
}

/* "Name":value[,"#Name":...] */
static void write_member(json_sink *j, uint32_t id, int depth)
{
    const jnode *n = &j->nodes[id];
    write_key(j, NULL, text_at(j, n->name), n->name_len);
    write_value(j, id, depth);
    write_annotation(j, n);
}

static void write_container(json_sink *j, uint32_t id, int depth)
{
    const jnode *n = &j->nodes[id];
    long long qty = -1;
    int counted = container_qty(j, n, &qty);
    int first = 1;
    if (!counted && !children_repeat(j, n)) {
        ds_wbuf_putc(&j->w, '{');
        write_attr_members(j, n, 0, &first);
        for (uint32_t c = n->first; c; c = j->nodes[c].next) {
            if (!first) ds_wbuf_putc(&j->w, ',');
            first = 0;
            write_member(j, c, depth + 1);
        }
        ds_wbuf_putc(&j->w, '}');
        return;
    }
    int skip_qty = counted && qty == (long long)n->nchildren;
    ds_wbuf_putc(&j->w, '[');
    if (n->nattrs > (uint32_t)skip_qty) {
        ds_wbuf_putc(&j->w, '{');
        write_attr_members(j, n, skip_qty, &first);
        ds_wbuf_putc(&j->w, '}');
    }
    for (uint32_t c = n->first; c; c = j->nodes[c].next) {
        if (!first) ds_wbuf_putc(&j->w, ',');
        first = 0;
        ds_wbuf_putc(&j->w, '{');
        write_member(j, c, depth + 1);
        ds_wbuf_putc(&j->w, '}');
    }
    ds_wbuf_putc(&j->w, ']');
}

static void write_value(json_sink *j, uint32_t id, int depth)
{
    const jnode *n = &j->nodes[id];
    const char *v = text_at(j, n->value);
    switch (n->kind) {
    case JN_LEAF:
        if (n->number && exact_json_number(v, n->value_len)) ds_wbuf_write(&j->w, v, n->value_len);
        else write_text_value(j, v, n->value_len);
        return;
    case JN_HEX:
        if (n->value_len == 6 && name_is(j, n, "InstanceId")) {
            write_obis(j, (const unsigned char *)v);
            return;
        }
        ds_wbuf_putc(&j->w, '"');
        ds_wbuf_hex(&j->w, (const unsigned char *)v, n->value_len);
        ds_wbuf_putc(&j->w, '"');
        return;
    case JN_ATTRS: {
        if (n->nattrs == 0) {
            ds_wbuf_write(&j->w, "null", 4);
            return;
        }
        const jattr *a = &j->attrs[n->attr];
        if (n->nattrs == 1 && a->name_len == 5 && memcmp(text_at(j, a->name), "Value", 5) == 0) {
            write_text_value(j, text_at(j, a->value), a->value_len);
            return;
        }
        int first = 1;
        ds_wbuf_putc(&j->w, '{');
        write_attr_members(j, n, 0, &first);
        ds_wbuf_putc(&j->w, '}');
        return;
    }
    default:
        write_container(j, id, depth);
        return;
    }
}

/* ---- the facts at the top of a line ------------------------------------------------------------ */

typedef struct facts {
    uint32_t service, plain_service, invoke, class_id, obis, attribute, method, result;
} facts;

static int is_envelope_name(const json_sink *j, const jnode *n)
{
    return name_is(j, n, "HDLC") || name_is(j, n, "WRAPPER") || name_is(j, n, "WiredMBus") ||
           name_is(j, n, "Undecoded") || name_is(j, n, "Decrypted") || name_is(j, n, "Reassembled") ||
           name_is(j, n, "Signed");
}

static void set_first(uint32_t *slot, uint32_t id)
{
    if (!*slot) *slot = id;
}

/* The nodes are kept in document order: the first of each kind wins. */
static void find_facts(const json_sink *j, facts *f)
{
    memset(f, 0, sizeof *f);
    for (uint32_t id = 1; id < j->nnodes; id++) {
        const jnode *n = &j->nodes[id];
        const jnode *parent = &j->nodes[n->parent];
        if (n->parent == 0 ? !is_envelope_name(j, n) : name_is(j, parent, "PDU")) set_first(&f->service, id);
        if (n->parent && name_is(j, parent, "Decrypted")) set_first(&f->plain_service, id);
        if (n->kind == JN_CONTAINER) {
            if (name_is(j, n, "Result") && n->first && name_is(j, &j->nodes[n->first], "Data"))
                set_first(&f->result, id);
            continue;
        }
        if (name_is(j, n, "InvokeIdAndPriority") || name_is(j, n, "LongInvokeIdAndPriority")) set_first(&f->invoke, id);
        else if (name_is(j, n, "ClassId")) set_first(&f->class_id, id);
        else if (name_is(j, n, "InstanceId")) set_first(&f->obis, id);
        else if (name_is(j, n, "AttributeId")) set_first(&f->attribute, id);
        else if (name_is(j, n, "MethodId")) set_first(&f->method, id);
        else if (name_is(j, n, "Result") || name_is(j, n, "DataAccessError") || name_is(j, n, "DataAccessResult"))
            set_first(&f->result, id);
    }
}

/* GetResponse -> get-response, glo_GetRequest -> glo-get-request. */
static void write_service(json_sink *j, const char *key, const jnode *n)
{
    write_key(j, NULL, key, strlen(key));
    ds_wbuf_putc(&j->w, '"');
    const char *p = text_at(j, n->name);
    for (uint32_t i = 0; i < n->name_len; i++) {
        char c = p[i];
        if (c == '_') c = '-';
        else if (c >= 'A' && c <= 'Z') {
            char prev = i ? p[i - 1] : 0;
            if ((prev >= 'a' && prev <= 'z') || (prev >= '0' && prev <= '9')) ds_wbuf_putc(&j->w, '-');
            c = (char)(c - 'A' + 'a');
        }
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') ds_wbuf_putc(&j->w, c);
    }
    ds_wbuf_write(&j->w, "\",", 2);
}

static void write_number_fact(json_sink *j, const char *key, uint64_t v)
{
    write_key(j, NULL, key, strlen(key));
    ds_wbuf_udec(&j->w, v);
    ds_wbuf_putc(&j->w, ',');
}

/* A numeric leaf's value, when it is one (decimal mode). */
static int leaf_number(const json_sink *j, const jnode *n, uint64_t *v)
{
    if (n->kind != JN_LEAF || !n->number || !n->value_len || n->value_len > 19) return 0;
    const char *p = text_at(j, n->value);
    uint64_t x = 0;
    for (uint32_t i = 0; i < n->value_len; i++) {
        if (p[i] < '0' || p[i] > '9') return 0;
        x = x * 10 + (uint64_t)(p[i] - '0');
    }
    *v = x;
    return 1;
}

static void write_attr_fact(json_sink *j, const char *key, const jnode *root, const char *attr)
{
    for (uint32_t i = 0; i < root->nattrs; i++) {
        const jattr *a = &j->attrs[root->attr + i];
        if (a->name_len != strlen(attr) || memcmp(text_at(j, a->name), attr, a->name_len) != 0) continue;
        write_key(j, NULL, key, strlen(key));
        ds_json_write_string(&j->w, text_at(j, a->value), a->value_len); /* a fact: text, never an object */
        ds_wbuf_putc(&j->w, ',');
        return;
    }
}

static void write_facts(json_sink *j)
{
    facts f;
    find_facts(j, &f);
    uint64_t v;
    if (j->has_frame) {
        write_number_fact(j, "frame", j->frame.number);
        write_number_fact(j, "offset", j->frame.offset);
        write_key(j, NULL, "frame_type", 10);
        ds_json_write_string(&j->w, j->frame.type, strlen(j->frame.type));
        ds_wbuf_putc(&j->w, ',');
    }
    const jnode *root = &j->nodes[j->nodes[0].first];
    write_attr_fact(j, "time", root, "Time");
    write_attr_fact(j, "direction", root, "Direction");
    write_attr_fact(j, "from", root, "From");  /* a capture's connection (ds_meta from/to) */
    write_attr_fact(j, "to", root, "To");
    if (f.service) write_service(j, "service", &j->nodes[f.service]);
    if (f.plain_service) write_service(j, "plain_service", &j->nodes[f.plain_service]);
    if (f.invoke && leaf_number(j, &j->nodes[f.invoke], &v))
        write_number_fact(j, "invoke_id", name_is(j, &j->nodes[f.invoke], "InvokeIdAndPriority") ? v & 0x0F : v & 0xFFFFFF);
    if (f.class_id && leaf_number(j, &j->nodes[f.class_id], &v)) write_number_fact(j, "class_id", v);
    if (f.obis && j->nodes[f.obis].kind == JN_HEX && j->nodes[f.obis].value_len == 6) {
        write_key(j, NULL, "obis", 4);
        write_obis(j, (const unsigned char *)text_at(j, j->nodes[f.obis].value));
        ds_wbuf_putc(&j->w, ',');
    }
    if (f.attribute && leaf_number(j, &j->nodes[f.attribute], &v)) write_number_fact(j, "attribute", v);
    if (f.method && leaf_number(j, &j->nodes[f.method], &v)) write_number_fact(j, "method", v);
    if (f.result) {
        const jnode *r = &j->nodes[f.result];
        write_key(j, NULL, "result", 6);
        if (r->kind == JN_CONTAINER) ds_wbuf_write(&j->w, "\"Success\"", 9);
        else if (r->kind == JN_LEAF) write_text_value(j, text_at(j, r->value), r->value_len);
        else ds_wbuf_write(&j->w, "null", 4);
        ds_wbuf_putc(&j->w, ',');
    }
}

static void write_diag_object(ds_wbuf *w, const ds_diag *d)
{
    ds_wbuf_write(w, "{\"code\":", 8);
    ds_json_write_string(w, d->code ? d->code : "", d->code ? strlen(d->code) : 0);
    ds_wbuf_write(w, ",\"severity\":", 12);
    const char *sev = ds_severity_name(d->severity);
    ds_json_write_string(w, sev, strlen(sev));
    ds_wbuf_write(w, ",\"offset\":", 10);
    ds_wbuf_udec(w, d->offset);
    ds_wbuf_write(w, ",\"frame\":", 9);
    ds_wbuf_udec(w, d->frame);
    ds_wbuf_write(w, ",\"line\":", 8);
    ds_wbuf_udec(w, d->line);
    ds_wbuf_write(w, ",\"message\":", 11);
    ds_json_write_string(w, d->message, strnlen(d->message, sizeof d->message));
    ds_wbuf_putc(w, '}');
}

static void write_diag_line(json_sink *j, const ds_diag *d)
{
    ds_wbuf_write(&j->w, "{\"diagnostic\":", 14);
    write_diag_object(&j->w, d);
    ds_wbuf_write(&j->w, "}\n", 2);
}

/* Writes the pending line, if there is one, and starts a new one. */
static void write_line(json_sink *j)
{
    if (j->failed) {
        j->w.error = 1;  /* out of memory or beyond the limits: reported by ds_sink_error */
        j->failed = 0;
        reset_line(j);
        return;
    }
    if (!line_pending(j)) { /* diagnostics that found no frame element: lines of their own */
        for (size_t i = 0; i < j->ndiags; i++) write_diag_line(j, &j->diags[i]);
        reset_line(j);
        return;
    }
    ds_wbuf_putc(&j->w, '{');
    write_facts(j);
    int first = 1;
    for (uint32_t c = j->nodes[0].first; c; c = j->nodes[c].next) {
        if (!first) ds_wbuf_putc(&j->w, ',');
        first = 0;
        write_member(j, c, 1);
    }
    if (j->ndiags) {
        ds_wbuf_write(&j->w, ",\"diagnostics\":[", 16);
        for (size_t i = 0; i < j->ndiags; i++) {
            if (i) ds_wbuf_putc(&j->w, ',');
            write_diag_object(&j->w, &j->diags[i]);
        }
        ds_wbuf_putc(&j->w, ']');
    }
    ds_wbuf_write(&j->w, "}\n", 2);
    reset_line(j);
}

/* ---- events ------------------------------------------------------------------------------------ */

/* The views of the APDU before them (deciphered, reassembled, signature checked) join its line. */
static int is_view(const char *name, size_t len)
{
    return (len == 9 && memcmp(name, "Decrypted", 9) == 0) || (len == 11 && memcmp(name, "Reassembled", 11) == 0) ||
           (len == 6 && memcmp(name, "Signed", 6) == 0);
}

/* Before an element: at the top level, a new line unless the element is a view of the last one. */
static void element_begins(json_sink *j, const char *name, size_t len)
{
    if (j->depth == 0 && line_pending(j) && !is_view(name, len)) write_line(j);
}

static void json_begin_document(ds_sink *s) { (void)s; }

static void json_end_document(ds_sink *s)
{
    json_sink *j = json_of(s);
    j->depth = 0;
    write_line(j);
    ds_wbuf_finish(&j->w);
}

static void json_frame_begin(ds_sink *s, const ds_sink_frame *f)
{
    json_sink *j = json_of(s);
    /* diagnostics about this frame found before it (a bad check sequence) stay for its line */
    int keep = !line_pending(j) && j->ndiags && j->diags[0].frame == f->number;
    if (j->depth == 0 && !keep) write_line(j);
    j->frame = *f;
    if (!j->frame.type) j->frame.type = "raw";
    j->has_frame = 1;
}

static void json_open(ds_sink *s, const char *name, size_t name_len, const ds_attr *attrs, size_t nattrs,
                      unsigned flags)
{
    json_sink *j = json_of(s);
    (void)flags;  /* indentation only matters to the XML */
    element_begins(j, name, name_len);
    uint32_t id = add_node(j, JN_CONTAINER, name, name_len);
    keep_attrs(j, id, attrs, nattrs);
    if (grow((void **)&j->stack, &j->stack_cap, j->depth + 1, sizeof *j->stack, JSON_MAX_NODES)) {
        j->failed = 1;
        return;
    }
    j->stack[j->depth++] = id;  /* 0 after a failure: the children go to the line, never written */
}

static void json_close(ds_sink *s, const char *name, size_t name_len)
{
    json_sink *j = json_of(s);
    (void)name, (void)name_len;
    if (j->depth) j->depth--;  /* a close without an open is dropped */
}

static void json_leaf(ds_sink *s, const char *name, size_t name_len, const char *value, size_t value_len,
                      unsigned flags)
{
    json_sink *j = json_of(s);
    element_begins(j, name, name_len);
    uint32_t id = add_node(j, JN_LEAF, name, name_len);
    keep_value(j, id, value ? value : "", value ? value_len : 0);
    if (id) j->nodes[id].number = (flags & DS_LEAF_NUMBER) != 0;
}

static void json_leaf_hex(ds_sink *s, const char *name, size_t name_len, const unsigned char *p, size_t n)
{
    json_sink *j = json_of(s);
    element_begins(j, name, name_len);
    uint32_t id = add_node(j, JN_HEX, name, name_len);
    keep_value(j, id, p, n);
}

static void json_leaf_attrs(ds_sink *s, const char *name, size_t name_len, const ds_attr *attrs, size_t nattrs)
{
    json_sink *j = json_of(s);
    element_begins(j, name, name_len);
    uint32_t id = add_node(j, JN_ATTRS, name, name_len);
    keep_attrs(j, id, attrs, nattrs);
}

static void json_comment(ds_sink *s, const char *text, size_t len, unsigned flags)
{
    (void)s, (void)text, (void)len, (void)flags;  /* notes for people: the JSON carries the values */
}

static void json_diagnostic(ds_sink *s, const ds_diag *d)
{
    json_sink *j = json_of(s);
    /* Outside the elements: a diagnostic about the pending frame joins its line; one about a
     * frame still to come waits for it; others are lines of their own. */
    if (j->depth == 0) {
        int same = d->frame && (line_pending(j) ? d->frame == j->frame.number
                                                : j->ndiags == 0 || j->diags[0].frame == d->frame);
        if (!same || !d->frame) {
            write_line(j);
            if (!d->frame) {
                write_diag_line(j, d);
                return;
            }
        }
    }
    if (j->ndiags >= JSON_MAX_DIAGS) return;
    if (grow((void **)&j->diags, &j->diags_cap, j->ndiags + 1, sizeof *j->diags, JSON_MAX_DIAGS)) {
        j->failed = 1;
        return;
    }
    j->diags[j->ndiags++] = *d;
}

static int json_error(const ds_sink *s)
{
    const json_sink *j = (const json_sink *)s->ctx;
    return j->w.error || j->failed;
}

static void json_flush(ds_sink *s)
{
    json_sink *j = json_of(s);
    if (j->depth == 0) write_line(j);
    ds_wbuf_finish(&j->w);
}

static void json_destroy(ds_sink *s)
{
    json_sink *j = json_of(s);
    j->depth = 0;
    write_line(j);
    ds_wbuf_finish(&j->w);
    free(j->nodes);
    free(j->attrs);
    free(j->text);
    free(j->stack);
    free(j->diags);
    free(j);
}

ds_sink *ds_json_sink_new(FILE *out)
{
    if (!out) return NULL;
    json_sink *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    if (grow((void **)&j->nodes, &j->nodes_cap, 256, sizeof *j->nodes, JSON_MAX_NODES) ||
        grow((void **)&j->text, &j->text_cap, 4096, 1, JSON_MAX_TEXT)) {
        free(j->nodes);
        free(j->text);
        free(j);
        return NULL;
    }
    reset_line(j);
    ds_wbuf_init(&j->w, out, j->block, sizeof j->block);
    j->base.ctx = j;
    j->base.begin_document = json_begin_document;
    j->base.end_document = json_end_document;
    j->base.open = json_open;
    j->base.close = json_close;
    j->base.leaf = json_leaf;
    j->base.leaf_hex = json_leaf_hex;
    j->base.leaf_attrs = json_leaf_attrs;
    j->base.comment = json_comment;
    j->base.diagnostic = json_diagnostic;
    j->base.destroy = json_destroy;
    j->base.error = json_error;
    j->base.flush = json_flush;
    j->base.frame_begin = json_frame_begin;
    return &j->base;
}
