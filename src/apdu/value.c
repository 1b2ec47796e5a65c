/* Values: the arena, finding fields, the date-time view and the default trees builders start from.
 *
 * The arena hands out nodes and byte strings from blocks; it counts both against the caller's
 * limits before taking memory, so a forged count in the input cannot make it grow beyond them. */
#include "apdu/value_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apdu/apdu.h"

/* ---- the arena ----------------------------------------------------------------------------- */

typedef struct block {
    struct block *next;
    size_t used, cap;
    max_align_t data[]; /* aligned for nodes */
} block;

#define BLOCK_BYTES 16384

struct ds_value_arena {
    size_t max_nodes, max_bytes;
    size_t nodes, bytes;
    block *blocks;   /* the newest first */
    char error[160];
};

ds_value_arena *ds_value_arena_new(size_t max_nodes, size_t max_bytes)
{
    ds_value_arena *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->max_nodes = max_nodes;
    a->max_bytes = max_bytes;
    return a;
}

static void free_blocks(block *b)
{
    while (b) {
        block *next = b->next;
        free(b);
        b = next;
    }
}

void ds_value_arena_free(ds_value_arena *a)
{
    if (!a) return;
    free_blocks(a->blocks);
    free(a);
}

void ds_value_arena_reset(ds_value_arena *a)
{
    /* the newest block stays for the next APDU; the others go */
    if (a->blocks) {
        free_blocks(a->blocks->next);
        a->blocks->next = NULL;
        a->blocks->used = 0;
    }
    a->nodes = a->bytes = 0;
    a->error[0] = '\0';
}

const char *ds_value_arena_error(const ds_value_arena *a) { return a->error; }

static void *arena_take(ds_value_arena *a, size_t n)
{
    size_t align = sizeof(max_align_t);
    n = (n + align - 1) / align * align;
    block *b = a->blocks;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > BLOCK_BYTES ? n : BLOCK_BYTES;
        b = malloc(sizeof *b + cap);
        if (!b) {
            snprintf(a->error, sizeof a->error, "out of memory for %zu bytes of values", n);
            return NULL;
        }
        b->cap = cap;
        b->used = 0;
        b->next = a->blocks;
        a->blocks = b;
    }
    void *p = (unsigned char *)b->data + b->used;
    b->used += n;
    return p;
}

ds_value *ds_value_node(ds_value_arena *a, ds_value_kind kind, const char *name)
{
    if (a->nodes >= a->max_nodes) {
        snprintf(a->error, sizeof a->error, "more than %zu values (the arena's limit)", a->max_nodes);
        return NULL;
    }
    ds_value *v = arena_take(a, sizeof *v);
    if (!v) return NULL;
    a->nodes++;
    memset(v, 0, sizeof *v);
    v->kind = kind;
    v->name = name;
    return v;
}

uint8_t *ds_value_bytes(ds_value_arena *a, const uint8_t *p, size_t n)
{
    if (n > a->max_bytes - a->bytes) {
        snprintf(a->error, sizeof a->error, "more than %zu bytes of values (the arena's limit)", a->max_bytes);
        return NULL;
    }
    uint8_t *q = arena_take(a, n ? n : 1);
    if (!q) return NULL;
    a->bytes += n;
    if (p && n) memcpy(q, p, n);
    else memset(q, 0, n ? n : 1);
    return q;
}

void ds_value_link(ds_value *parent, ds_value *child)
{
    ds_value **at = &parent->child;
    while (*at) at = &(*at)->next;
    *at = child;
    child->next = NULL;
    parent->count++;
}

size_t ds_value_len_size(size_t n)
{
    if (n < 0x80) return 1;
    size_t k = 1;
    while (k < sizeof n && (n >> (8 * k)) != 0) k++;
    return 1 + k;
}

/* ---- finding ------------------------------------------------------------------------------- */

/* A node that a path looks through: a field without a name that holds others. */
static int transparent(const ds_value *v)
{
    return !v->name && v->kind != DS_VALUE_DATA && v->kind != DS_VALUE_TYPE && v->kind != DS_VALUE_RAW;
}

static ds_value *find_name(const ds_value *node, const char *name, size_t n)
{
    for (ds_value *c = node->child; c; c = c->next) {
        if (c->name && strlen(c->name) == n && memcmp(c->name, name, n) == 0) return c;
        if (transparent(c)) {
            ds_value *r = find_name(c, name, n);
            if (r) return r;
        }
    }
    return NULL;
}

ds_value *ds_value_find(const ds_value *node, const char *path)
{
    if (!node || !path) return NULL;
    const ds_value *at = node;
    while (*path) {
        const char *slash = strchr(path, '/');
        size_t n = slash ? (size_t)(slash - path) : strlen(path);
        at = find_name(at, path, n);
        if (!at) return NULL;
        path += n;
        if (*path == '/') path++;
    }
    return (ds_value *)at;
}

ds_value *ds_value_find_any(const ds_value *node, const char *name)
{
    if (!node) return NULL;
    for (ds_value *c = node->child; c; c = c->next) {
        if (c->name && strcmp(c->name, name) == 0) return c;
        ds_value *r = ds_value_find_any(c, name);
        if (r) return r;
    }
    return NULL;
}

ds_value *ds_value_child(const ds_value *node, size_t i)
{
    if (!node) return NULL;
    ds_value *c = node->child;
    while (c && i--) c = c->next;
    return c;
}

ds_value *ds_value_data(const ds_value *node)
{
    if (!node) return NULL;
    if (node->kind == DS_VALUE_DATA) return (ds_value *)node;
    for (ds_value *c = node->child; c; c = c->next) {
        ds_value *r = ds_value_data(c);
        if (r) return r;
    }
    return NULL;
}

const char *ds_value_enum_name(const ds_value *v)
{
    const ds_field *f = v ? v->field : NULL;
    if (!f || v->kind != DS_VALUE_ENUM) return NULL;
    return ds_enum_name(f->names, (uint32_t)v->u);
}

/* ---- convenience getters -------------------------------------------------------------------- */

int ds_value_invoke_id(const ds_value *apdu, uint32_t *out)
{
    ds_value *v = ds_value_find_any(apdu, "InvokeIdAndPriority");
    if (!v) v = ds_value_find_any(apdu, "LongInvokeIdAndPriority");
    if (!v || v->kind != DS_VALUE_NUMBER) return -1;
    *out = (uint32_t)v->u;
    return 0;
}

int ds_value_class_id(const ds_value *apdu, uint16_t *out)
{
    ds_value *v = ds_value_find_any(apdu, "ClassId");
    if (!v || v->kind != DS_VALUE_NUMBER) return -1;
    *out = (uint16_t)v->u;
    return 0;
}

int ds_value_instance_id(const ds_value *apdu, uint8_t out[6])
{
    ds_value *v = ds_value_find_any(apdu, "InstanceId");
    if (!v || v->kind != DS_VALUE_BYTES || v->len != 6) return -1;
    memcpy(out, v->bytes, 6);
    return 0;
}

int ds_value_attribute_id(const ds_value *apdu, uint8_t *out)
{
    ds_value *v = ds_value_find_any(apdu, "AttributeId");
    if (!v) v = ds_value_find_any(apdu, "MethodId");
    if (!v || v->kind != DS_VALUE_NUMBER) return -1;
    *out = (uint8_t)v->u;
    return 0;
}

int ds_value_result(const ds_value *apdu, uint32_t *out)
{
    ds_value *v = ds_value_find_any(apdu, "Result");
    while (v && v->kind == DS_VALUE_GROUP) v = ds_value_find_any(v, "Result"); /* with-datablock */
    if (!v) return -1;
    if (v->kind == DS_VALUE_ENUM) {
        *out = (uint32_t)v->u;
        return 0;
    }
    if (v->kind == DS_VALUE_CHOICE && !(v->flags & DS_VALUE_UNCHOSEN)) {
        /* Get-Data-Result: data (success) or a data-access-result */
        ds_value *r = v->child;
        *out = r && r->kind == DS_VALUE_ENUM ? (uint32_t)r->u : 0;
        return 0;
    }
    return -1;
}

/* ---- date-time view ----------------------------------------------------------------------- */

int ds_value_datetime(const ds_value *v, ds_datetime *out)
{
    if (!v || !v->bytes) return -1;
    int dt = v->kind == DS_VALUE_DATA && (v->tag == DS_DATA_DATE_TIME || v->tag == DS_DATA_DATE ||
                                          v->tag == DS_DATA_TIME);
    int octets = (v->kind == DS_VALUE_DATA && v->tag == DS_DATA_OCTET_STRING) || v->kind == DS_VALUE_BYTES;
    if (!dt && !octets) return -1;
    if (v->len != 12 && v->len != 5 && v->len != 4) return -1;
    if (dt && v->len != (v->tag == DS_DATA_DATE_TIME ? 12u : v->tag == DS_DATA_DATE ? 5u : 4u)) return -1;
    const uint8_t *p = v->bytes;
    ds_datetime d = {DS_DT_UNSPECIFIED_YEAR, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                     DS_DT_UNSPECIFIED_DEVIATION, DS_DT_UNSPECIFIED};
    const uint8_t *time = NULL;
    if (v->len >= 5) {
        d.year = (uint16_t)(p[0] << 8 | p[1]);
        d.month = p[2];
        d.day = p[3];
        d.weekday = p[4];
    }
    if (v->len == 12) time = p + 5;
    if (v->len == 4) time = p;
    if (time) {
        d.hour = time[0];
        d.minute = time[1];
        d.second = time[2];
        d.hundredths = time[3];
    }
    if (v->len == 12) {
        uint16_t dev = (uint16_t)(p[9] << 8 | p[10]);
        d.deviation = dev >= 0x8000 ? (int16_t)-(int32_t)(0x10000 - dev) : (int16_t)dev;
        d.clock_status = p[11];
    }
    *out = d;
    return 0;
}

size_t ds_datetime_bytes(const ds_datetime *dt, uint8_t *out, size_t size)
{
    uint8_t date[5] = {(uint8_t)(dt->year >> 8), (uint8_t)dt->year, dt->month, dt->day, dt->weekday};
    uint8_t time[4] = {dt->hour, dt->minute, dt->second, dt->hundredths};
    uint16_t dev = (uint16_t)dt->deviation; /* two's complement on the wire */
    if (size == 12) {
        memcpy(out, date, 5);
        memcpy(out + 5, time, 4);
        out[9] = (uint8_t)(dev >> 8);
        out[10] = (uint8_t)dev;
        out[11] = dt->clock_status;
    } else if (size == 5) {
        memcpy(out, date, 5);
    } else if (size == 4) {
        memcpy(out, time, 4);
    } else {
        return 0;
    }
    return size;
}

/* ---- default trees ----------------------------------------------------------------------------- */

ds_value_kind ds_value_kind_of(ds_fkind k)
{
    switch (k) {
    case SK_UINT: case SK_REST_UINT: return DS_VALUE_NUMBER;
    case SK_INT: return DS_VALUE_SIGNED;
    case SK_BYTES: case SK_OCTETS: case SK_REST_BYTES: return DS_VALUE_BYTES;
    case SK_ENUM: case SK_REST_ENUM: return DS_VALUE_ENUM;
    case SK_BARE: return DS_VALUE_BARE;
    case SK_GROUP: case SK_BER_SEQ: return DS_VALUE_GROUP;
    case SK_OPTIONAL: return DS_VALUE_OPTIONAL;
    case SK_CHOICE: case SK_PEEK_CHOICE: return DS_VALUE_CHOICE;
    case SK_SEQ_OF: return DS_VALUE_LIST;
    case SK_DATA: return DS_VALUE_DATA;
    case SK_CONFORMANCE: return DS_VALUE_CONFORMANCE;
    case SK_APDU: return DS_VALUE_APDU;
    case SK_BER_TLV: case SK_BER_CHOICE: return DS_VALUE_TAGGED;
    case SK_REST_BITS: return DS_VALUE_BITS;
    case SK_REST_OID: return DS_VALUE_OID;
    default: return DS_VALUE_BARE;
    }
}

ds_value *ds_value_skeleton(ds_value_arena *a, const ds_field *f)
{
    ds_value *v = ds_value_node(a, ds_value_kind_of(f->kind), f->name);
    if (!v) return NULL;
    v->field = f;
    switch (f->kind) {
    case SK_BYTES:
        v->bytes = ds_value_bytes(a, NULL, f->size);
        v->len = f->size;
        return v->bytes ? v : NULL;
    case SK_OCTETS: case SK_REST_BYTES: case SK_REST_OID: case SK_REST_BITS:
        v->bytes = ds_value_bytes(a, NULL, 0);
        return v->bytes ? v : NULL;
    case SK_GROUP:
        return ds_value_skeleton_list(a, v, f->sub) ? NULL : v;
    case SK_BER_TLV:
        v->tag = f->tag;
        return ds_value_skeleton_list(a, v, f->sub) ? NULL : v;
    case SK_CHOICE: case SK_PEEK_CHOICE: case SK_BER_CHOICE: case SK_APDU:
        v->flags = DS_VALUE_UNCHOSEN;
        return v;
    case SK_DATA:
        v->tag = DS_DATA_NULL;
        return v;
    default:
        return v;
    }
}

int ds_value_skeleton_list(ds_value_arena *a, ds_value *parent, const ds_field *list)
{
    for (; list && list->kind != SK_END; list++) {
        ds_value *c = ds_value_skeleton(a, list);
        if (!c) return -1;
        ds_value_link(parent, c);
    }
    return 0;
}

const ds_field *ds_value_alt_body(const ds_field *f, uint8_t tag, int *is_default)
{
    *is_default = 0;
    for (const ds_alt *alt = f->alts; alt && alt->body; alt++)
        if (alt->tag == tag) return alt->body;
    if (f->default_body && (f->has_default || f->kind == SK_PEEK_CHOICE)) {
        *is_default = 1;
        return f->default_body;
    }
    return NULL;
}

ds_value *ds_value_new_apdu(ds_value_arena *a, uint8_t tag)
{
    const ds_field *f = ds_apdu_lookup(tag);
    if (!f) {
        snprintf(a->error, sizeof a->error, "0x%02X is not the tag of an APDU", tag);
        return NULL;
    }
    ds_value *v = ds_value_node(a, DS_VALUE_APDU, NULL);
    if (!v) return NULL;
    v->tag = tag;
    ds_value *layout = ds_value_skeleton(a, f);
    if (!layout) return NULL;
    ds_value_link(v, layout);
    return v;
}

int ds_value_choose(ds_value_arena *a, ds_value *choice, uint8_t tag)
{
    const ds_field *f = choice ? choice->field : NULL;
    if (!f || (f->kind != SK_CHOICE && f->kind != SK_PEEK_CHOICE && f->kind != SK_BER_CHOICE)) return -1;
    int is_default;
    const ds_field *body = ds_value_alt_body(f, tag, &is_default);
    if (!body) {
        snprintf(a->error, sizeof a->error, "%s has no alternative 0x%02X", f->name ? f->name : "choice", tag);
        return -1;
    }
    choice->child = NULL;
    choice->count = 0;
    choice->tag = tag;
    choice->flags = is_default ? DS_VALUE_DEFAULT : 0;
    return ds_value_skeleton_list(a, choice, body);
}

int ds_value_set_present(ds_value_arena *a, ds_value *optional, int present)
{
    const ds_field *f = optional ? optional->field : NULL;
    if (!f || f->kind != SK_OPTIONAL) return -1;
    optional->child = NULL;
    optional->count = 0;
    optional->u = present ? 1 : 0;
    return present ? ds_value_skeleton_list(a, optional, f->sub) : 0;
}

ds_value *ds_value_add_item(ds_value_arena *a, ds_value *list)
{
    const ds_field *f = list ? list->field : NULL;
    if (!f || f->kind != SK_SEQ_OF || !f->sub || f->sub[0].kind == SK_END) return NULL;
    ds_value *item = ds_value_skeleton(a, &f->sub[0]);
    if (item) ds_value_link(list, item);
    return item;
}

ds_value *ds_value_add_tagged(ds_value_arena *a, ds_value *sequence, uint8_t tag)
{
    const ds_field *f = sequence ? sequence->field : NULL;
    if (!f || f->kind != SK_BER_SEQ) return NULL;
    int is_default;
    const ds_field *body = ds_value_alt_body(f, tag, &is_default);
    if (!body) {
        snprintf(a->error, sizeof a->error, "%s has no field 0x%02X", f->name ? f->name : "sequence", tag);
        return NULL;
    }
    ds_value *t = ds_value_node(a, DS_VALUE_TAGGED, NULL);
    if (!t) return NULL;
    t->tag = tag;
    t->field = f;
    if (ds_value_skeleton_list(a, t, body)) return NULL;
    ds_value_link(sequence, t);
    return t;
}

int ds_value_set_bytes(ds_value_arena *a, ds_value *v, const uint8_t *p, size_t n)
{
    if (!v) return -1;
    uint8_t *q = ds_value_bytes(a, p, n);
    if (!q) return -1;
    v->bytes = q;
    v->len = n;
    return 0;
}

/* The place of the first Data value at or below *at. */
static ds_value **data_slot(ds_value **at)
{
    if ((*at)->kind == DS_VALUE_DATA) return at;
    for (ds_value **c = &(*at)->child; *c; c = &(*c)->next) {
        ds_value **r = data_slot(c);
        if (r) return r;
    }
    return NULL;
}

int ds_value_set_data(ds_value_arena *a, ds_value *v, const ds_value *data)
{
    if (!v || !data || data->kind != DS_VALUE_DATA) return -1;
    ds_value **slot = NULL;
    for (ds_value **c = &v->child; *c && !slot; c = &(*c)->next) slot = data_slot(c);
    if (!slot) return -1;
    ds_value *copy = ds_value_node(a, DS_VALUE_DATA, NULL);
    if (!copy) return -1;
    *copy = *data;
    copy->next = (*slot)->next;
    *slot = copy;
    return 0;
}

/* ---- Data values --------------------------------------------------------------------------------- */

ds_value *ds_value_new_data(ds_value_arena *a, uint8_t type)
{
    ds_value *v = ds_value_node(a, DS_VALUE_DATA, NULL);
    if (v) v->tag = type;
    return v;
}

ds_value *ds_value_new_uint(ds_value_arena *a, uint8_t type, uint64_t u)
{
    ds_value *v = ds_value_new_data(a, type);
    if (v) {
        v->u = u;
        v->i = (int64_t)(u & INT64_MAX);
    }
    return v;
}

ds_value *ds_value_new_int(ds_value_arena *a, uint8_t type, int64_t i)
{
    ds_value *v = ds_value_new_data(a, type);
    if (v) {
        v->i = i;
        v->u = (uint64_t)i;
    }
    return v;
}

ds_value *ds_value_new_bytes(ds_value_arena *a, uint8_t type, const uint8_t *p, size_t n)
{
    ds_value *v = ds_value_new_data(a, type);
    if (!v || ds_value_set_bytes(a, v, p, n)) return NULL;
    if (type == DS_DATA_BIT_STRING) v->u = 8 * n;
    return v;
}

ds_value *ds_value_new_raw(ds_value_arena *a, const uint8_t *p, size_t n)
{
    ds_value *v = ds_value_node(a, DS_VALUE_RAW, NULL);
    if (!v || ds_value_set_bytes(a, v, p, n)) return NULL;
    return v;
}

void ds_value_cut_short(ds_value *container, uint64_t count)
{
    if (!container) return;
    container->flags |= DS_VALUE_CUT_SHORT;
    container->u = count;
}

int ds_value_append(ds_value *container, ds_value *child)
{
    if (!container || !child) return -1;
    ds_value_link(container, child);
    return 0;
}
