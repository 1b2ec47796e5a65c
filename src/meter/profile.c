/* Profile generic (class 7, REFERENCE.md §8.3): a buffer of generated rows, read whole or by
 * selective access (1 by range of a restricting column, 2 by entry), with reset and capture.
 *
 * Row i (from 0) was captured at start + i * period. A clock column (class 8, attribute 2)
 * holds that time; another column holds (n + 1) * increment, n being the row's number counted
 * from the model's first row, in the type of the value the model gives the captured attribute
 * (double-long-unsigned when it gives none or a value that is not a number). */
#include <string.h>

#include "meter/meter_int.h"

#define MAX_COLUMNS 32

typedef struct column {
    uint16_t class_id;
    uint8_t obis[6];
    int8_t attribute;
    uint8_t type;          /* the A-XDR type of a number column; 0 for a clock column */
    int is_clock;
} column;

typedef struct columns {
    column c[MAX_COLUMNS];
    size_t n;
} columns;

static int is_number(uint8_t t)
{
    switch (t) {
    case DS_DATA_DOUBLE_LONG: case DS_DATA_DOUBLE_LONG_UNSIGNED: case DS_DATA_INTEGER: case DS_DATA_LONG:
    case DS_DATA_UNSIGNED: case DS_DATA_LONG_UNSIGNED: case DS_DATA_LONG64: case DS_DATA_LONG64_UNSIGNED:
    case DS_DATA_ENUM:
        return 1;
    default: return 0;
    }
}

static int is_signed(uint8_t t)
{
    return t == DS_DATA_DOUBLE_LONG || t == DS_DATA_INTEGER || t == DS_DATA_LONG || t == DS_DATA_LONG64;
}

/* A capture_object_definition (checked by the class table's type) as a column. */
static void read_definition(const ds_value *def, column *col)
{
    const ds_value *f = def->child;
    col->class_id = (uint16_t)f->u;
    f = f->next;
    memset(col->obis, 0, 6);
    memcpy(col->obis, f->bytes, f->len < 6 ? f->len : 6);
    f = f->next;
    col->attribute = (int8_t)f->i;
}

static int same_column(const column *a, const column *b)
{
    return a->class_id == b->class_id && !memcmp(a->obis, b->obis, 6) && a->attribute == b->attribute;
}

/* The columns of capture_objects (attribute 3), with each one's kind. */
static int read_columns(const ds_meter *m, const meter_object *o, ds_value_arena *a, columns *cols)
{
    ds_value *list = meter_stored_value(o, 3, a);
    cols->n = 0;
    if (!list || list->tag != DS_DATA_ARRAY) return -1;
    for (const ds_value *d = list->child; d; d = d->next) {
        if (cols->n == MAX_COLUMNS || d->tag != DS_DATA_STRUCTURE || d->count != 4) return -1;
        column *col = &cols->c[cols->n++];
        read_definition(d, col);
        col->is_clock = col->class_id == 8 && col->attribute == 2;
        col->type = DS_DATA_DOUBLE_LONG_UNSIGNED;
        const meter_object *src = meter_find_object(m, col->obis);
        if (!col->is_clock && src && col->attribute > 1 && col->attribute <= METER_MAX_ATTR &&
            src->attr[col->attribute].p && is_number(src->attr[col->attribute].p[0]))
            col->type = src->attr[col->attribute].p[0];
    }
    return 0;
}

static int64_t row_time(const meter_object *o, uint32_t row)
{
    return o->profile.start + (int64_t)row * o->profile.period;
}

static uint64_t row_number(const meter_object *o, uint32_t row)
{
    return (uint64_t)((row_time(o, row) - o->profile.origin) / o->profile.period);
}

static ds_value *cell(const ds_meter *m, const meter_object *o, const column *col, uint32_t row, ds_value_arena *a)
{
    if (col->is_clock) {
        uint8_t dt[12];
        meter_clock_bytes(m, row_time(o, row), dt);
        return ds_value_new_bytes(a, DS_DATA_OCTET_STRING, dt, sizeof dt);
    }
    uint64_t v = (row_number(o, row) + 1) * o->profile.increment;
    unsigned bytes = col->type == DS_DATA_INTEGER || col->type == DS_DATA_UNSIGNED || col->type == DS_DATA_ENUM ? 1
                     : col->type == DS_DATA_LONG || col->type == DS_DATA_LONG_UNSIGNED                         ? 2
                     : col->type == DS_DATA_LONG64 || col->type == DS_DATA_LONG64_UNSIGNED                     ? 8
                                                                                                                : 4;
    if (bytes < 8) v &= (1ull << (8 * bytes - 1)) - 1; /* stays positive in a signed type too */
    return is_signed(col->type) ? ds_value_new_int(a, col->type, (int64_t)v) : ds_value_new_uint(a, col->type, v);
}

/* Which rows [first, last] (from 0) and which columns (selected[], n) to write. */
typedef struct selection {
    uint32_t first, last; /* last < first: no row */
    size_t cols[MAX_COLUMNS];
    size_t n;
} selection;

static ds_value *buffer(const ds_meter *m, const meter_object *o, const columns *cols, const selection *sel,
                        ds_value_arena *a)
{
    ds_value *arr = ds_value_new_data(a, DS_DATA_ARRAY);
    for (uint32_t r = sel->first; arr && r <= sel->last && r < o->profile.rows; r++) {
        ds_value *s = ds_value_new_data(a, DS_DATA_STRUCTURE);
        for (size_t k = 0; k < sel->n; k++)
            if (ds_value_append(s, cell(m, o, &cols->c[sel->cols[k]], r, a))) return NULL;
        if (ds_value_append(arr, s)) return NULL;
    }
    return arr;
}

static void all_columns(const columns *cols, selection *sel)
{
    sel->n = cols->n;
    for (size_t k = 0; k < cols->n; k++) sel->cols[k] = k;
}

/* by entry: {from_entry, to_entry, from_selected_value, to_selected_value}, from 1, 0 = last */
static int by_entry(const meter_object *o, const ds_value *p, const columns *cols, selection *sel)
{
    static const uint8_t TYPE[] = {DS_DATA_STRUCTURE, 4, DS_DATA_DOUBLE_LONG_UNSIGNED, DS_DATA_DOUBLE_LONG_UNSIGNED,
                                   DS_DATA_LONG_UNSIGNED, DS_DATA_LONG_UNSIGNED};
    if (!ds_type_fits(TYPE, sizeof TYPE, p, NULL)) return METER_TYPE_UNMATCHED;
    const ds_value *f = p->child;
    uint64_t from = f->u, to = f->next->u, cfrom = f->next->next->u, cto = f->next->next->next->u;
    if (from == 0) from = 1;
    if (to == 0 || to > o->profile.rows) to = o->profile.rows;
    if (cfrom == 0) cfrom = 1;
    if (cto == 0 || cto > cols->n) cto = cols->n;
    sel->first = (uint32_t)(from - 1);
    sel->last = to >= from ? (uint32_t)(to - 1) : 0;
    if (to < from || from > o->profile.rows) sel->first = 1, sel->last = 0;
    sel->n = 0;
    for (uint64_t c = cfrom; c <= cto; c++) sel->cols[sel->n++] = (size_t)(c - 1);
    return METER_OK;
}

/* The position of a column definition among the columns, or -1. */
static long find_column(const columns *cols, const ds_value *def)
{
    column want;
    read_definition(def, &want);
    for (size_t k = 0; k < cols->n; k++)
        if (same_column(&cols->c[k], &want)) return (long)k;
    return -1;
}

/* A bound of a range: a time for a clock column, a number otherwise. */
static int bound(const ds_meter *m, const column *col, const ds_value *v, int64_t *out)
{
    if (col->is_clock) return meter_datetime_unix(m, v, out);
    if (!is_number(v->tag)) return -1;
    *out = is_signed(v->tag) ? v->i : (int64_t)v->u;
    return 0;
}

/* by range: {restricting_object, from_value, to_value, selected_values} */
static int by_range(const ds_meter *m, const meter_object *o, const ds_value *p, const columns *cols,
                    selection *sel)
{
    static const uint8_t TYPE[] = {DS_DATA_STRUCTURE, 4, DS_DATA_STRUCTURE, 4, DS_DATA_LONG_UNSIGNED,
                                   DS_DATA_OCTET_STRING, DS_DATA_INTEGER, DS_DATA_LONG_UNSIGNED, DS_TYPE_ANY,
                                   DS_TYPE_ANY, DS_DATA_ARRAY, DS_DATA_STRUCTURE, 4, DS_DATA_LONG_UNSIGNED,
                                   DS_DATA_OCTET_STRING, DS_DATA_INTEGER, DS_DATA_LONG_UNSIGNED};
    if (!ds_type_fits(TYPE, sizeof TYPE, p, NULL)) return METER_TYPE_UNMATCHED;
    const ds_value *restricting = p->child, *from = restricting->next, *to = from->next, *selected = to->next;
    long k = find_column(cols, restricting);
    if (k < 0) return METER_OBJECT_UNAVAILABLE;
    const column *col = &cols->c[k];
    int64_t lo, hi;
    if (bound(m, col, from, &lo) || bound(m, col, to, &hi)) return METER_TYPE_UNMATCHED;
    sel->first = 1;
    sel->last = 0;
    int any = 0;
    for (uint32_t r = 0; r < o->profile.rows; r++) {
        int64_t v = col->is_clock ? row_time(o, r) : (int64_t)((row_number(o, r) + 1) * o->profile.increment);
        if (v < lo || v > hi) continue;
        if (!any) sel->first = r;
        sel->last = r;
        any = 1;
    }
    if (selected->count == 0) {
        all_columns(cols, sel);
        return METER_OK;
    }
    sel->n = 0;
    for (const ds_value *d = selected->child; d; d = d->next) {
        long c = find_column(cols, d);
        if (c < 0 || sel->n == MAX_COLUMNS) return METER_OBJECT_UNAVAILABLE;
        sel->cols[sel->n++] = (size_t)c;
    }
    return METER_OK;
}

/* The selector and its parameters from the access descriptor: the structure {selector,
 * parameters} of assoc.h, or the request's AccessSelection group itself. */
static int read_access(const ds_value *access, uint64_t *selector, const ds_value **params)
{
    if (access->kind == DS_VALUE_DATA) {
        if (access->tag != DS_DATA_STRUCTURE || access->count != 2 || !access->child->next) return -1;
        *selector = access->child->u;
        *params = access->child->next;
        return 0;
    }
    const ds_value *s = ds_value_find(access, "AccessSelector");
    const ds_value *p = ds_value_find(access, "AccessParameters");
    if (!s || !p) return -1;
    *selector = s->u;
    *params = ds_value_data(p);
    return *params ? 0 : -1;
}

int meter_profile_get(ds_meter *m, meter_object *o, uint8_t id, const ds_value *access, ds_value_arena *a,
                      ds_value **out)
{
    switch (id) {
    case 7: *out = ds_value_new_uint(a, DS_DATA_DOUBLE_LONG_UNSIGNED, o->profile.rows); break;
    case 8: *out = ds_value_new_uint(a, DS_DATA_DOUBLE_LONG_UNSIGNED, o->profile.capacity); break;
    case 2: {
        columns cols;
        selection sel = {0, o->profile.rows ? o->profile.rows - 1 : 0, {0}, 0};
        if (!o->profile.rows) sel.first = 1;
        if (read_columns(m, o, a, &cols)) return METER_OBJECT_UNAVAILABLE;
        all_columns(&cols, &sel);
        if (access) {
            uint64_t selector;
            const ds_value *params;
            if (read_access(access, &selector, &params)) return METER_TYPE_UNMATCHED;
            int rc = selector == 1   ? by_range(m, o, params, &cols, &sel)
                     : selector == 2 ? by_entry(o, params, &cols, &sel)
                                     : METER_OBJECT_UNAVAILABLE;
            if (rc) return rc;
        }
        *out = buffer(m, o, &cols, &sel, a);
        break;
    }
    default: return DS_METER_NOT_MINE;
    }
    return *out ? METER_OK : METER_TEMPORARY_FAILURE;
}

int meter_profile_action(ds_meter *m, meter_object *o, uint8_t id, const ds_value *p)
{
    (void)m;
    (void)p;
    if (id == 1) { /* reset */
        o->profile.start += (int64_t)o->profile.rows * o->profile.period;
        o->profile.rows = 0;
        return METER_OK;
    }
    /* capture: one more row, the oldest dropped when the buffer is full (fifo) */
    if (o->profile.rows < o->profile.capacity) o->profile.rows++;
    else if (o->profile.capacity) o->profile.start += o->profile.period;
    return METER_OK;
}
