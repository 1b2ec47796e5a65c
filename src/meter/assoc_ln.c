/* Association LN (class 15, REFERENCE.md §8.5): what the association is, read from the model
 * (object list with the access rights of the association, partners, context, mechanism,
 * status). reply_to_HLS_authentication is answered by the association machine. */
#include "meter/meter_int.h"

/* appends child to parent; 0, or -1 when either is missing (the arena was full) */
static int put(ds_value *parent, ds_value *child)
{
    return ds_value_append(parent, child);
}

/* access_mode of the object list (REFERENCE.md §8.5) from the METER_* bits */
static uint8_t attribute_mode(uint8_t mode)
{
    uint8_t rw = mode & (METER_READ | METER_WRITE);
    return rw && (mode & METER_AUTH) ? (uint8_t)(rw + 3) : rw;
}

static uint8_t method_mode(uint8_t mode)
{
    if (!(mode & METER_READ)) return 0;
    return mode & METER_AUTH ? 2 : 1;
}

static unsigned attribute_count(const meter_object *o)
{
    if (o->def && o->def->attributes) return ds_class_attribute_count(o->def);
    unsigned n = 1;
    for (unsigned id = 2; id <= METER_MAX_ATTR; id++)
        if (o->attr[id].p) n = id;
    return n;
}

static ds_value *access_rights(const meter_object *o, const meter_assoc *as, ds_value_arena *a)
{
    ds_value *rights = ds_value_new_data(a, DS_DATA_STRUCTURE);
    ds_value *attrs = ds_value_new_data(a, DS_DATA_ARRAY), *methods = ds_value_new_data(a, DS_DATA_ARRAY);
    int rc = put(rights, attrs) | put(rights, methods);
    for (unsigned id = 1; !rc && id <= attribute_count(o); id++) {
        ds_value *e = ds_value_new_data(a, DS_DATA_STRUCTURE);
        ds_value *selectors;
        if (o->class_id == 7 && id == 2) { /* the buffer: by range and by entry */
            selectors = ds_value_new_data(a, DS_DATA_ARRAY);
            rc |= put(selectors, ds_value_new_int(a, DS_DATA_INTEGER, 1)) |
                  put(selectors, ds_value_new_int(a, DS_DATA_INTEGER, 2));
        } else {
            selectors = ds_value_new_data(a, DS_DATA_NULL);
        }
        rc |= put(e, ds_value_new_int(a, DS_DATA_INTEGER, id)) |
              put(e, ds_value_new_uint(a, DS_DATA_ENUM, attribute_mode(meter_access_mode(o, as, 0, (uint8_t)id)))) |
              put(e, selectors) | put(attrs, e);
    }
    for (unsigned id = 1; !rc && id <= ds_class_method_count(o->def); id++) {
        ds_value *e = ds_value_new_data(a, DS_DATA_STRUCTURE);
        rc |= put(e, ds_value_new_int(a, DS_DATA_INTEGER, id)) |
              put(e, ds_value_new_uint(a, DS_DATA_ENUM, method_mode(meter_access_mode(o, as, 1, (uint8_t)id)))) |
              put(methods, e);
    }
    return rc ? NULL : rights;
}

static ds_value *object_list(const ds_meter *m, const meter_assoc *as, ds_value_arena *a)
{
    ds_value *list = ds_value_new_data(a, DS_DATA_ARRAY);
    for (size_t i = 0; list && i < m->n_objects; i++) {
        const meter_object *o = &m->objects[i];
        ds_value *e = ds_value_new_data(a, DS_DATA_STRUCTURE);
        if (put(e, ds_value_new_uint(a, DS_DATA_LONG_UNSIGNED, o->class_id)) |
            put(e, ds_value_new_uint(a, DS_DATA_UNSIGNED, o->version)) |
            put(e, ds_value_new_bytes(a, DS_DATA_OCTET_STRING, o->obis, 6)) | put(e, access_rights(o, as, a)) |
            put(list, e))
            return NULL;
    }
    return list;
}

/* application_context_name / authentication_mechanism_name: 2.16.756.5.8.kind.last */
static ds_value *name_arcs(ds_value_arena *a, unsigned kind, unsigned last)
{
    ds_value *s = ds_value_new_data(a, DS_DATA_STRUCTURE);
    int rc = put(s, ds_value_new_uint(a, DS_DATA_UNSIGNED, 2)) | put(s, ds_value_new_uint(a, DS_DATA_UNSIGNED, 16)) |
             put(s, ds_value_new_uint(a, DS_DATA_LONG_UNSIGNED, 756)) |
             put(s, ds_value_new_uint(a, DS_DATA_UNSIGNED, 5)) | put(s, ds_value_new_uint(a, DS_DATA_UNSIGNED, 8)) |
             put(s, ds_value_new_uint(a, DS_DATA_UNSIGNED, kind)) |
             put(s, ds_value_new_uint(a, DS_DATA_UNSIGNED, last));
    return rc ? NULL : s;
}

static ds_value *context_info(const ds_meter *m, const meter_assoc *as, ds_value_arena *a)
{
    uint8_t bits[3] = {(uint8_t)(as->conformance >> 16), (uint8_t)(as->conformance >> 8), (uint8_t)as->conformance};
    ds_value *s = ds_value_new_data(a, DS_DATA_STRUCTURE);
    int rc = put(s, ds_value_new_bytes(a, DS_DATA_BIT_STRING, bits, 3)) |
             put(s, ds_value_new_uint(a, DS_DATA_LONG_UNSIGNED, m->link.max_pdu)) |
             put(s, ds_value_new_uint(a, DS_DATA_LONG_UNSIGNED, m->link.max_pdu)) |
             put(s, ds_value_new_uint(a, DS_DATA_UNSIGNED, 6)) | put(s, ds_value_new_int(a, DS_DATA_INTEGER, 0)) |
             put(s, ds_value_new_bytes(a, DS_DATA_OCTET_STRING, NULL, 0));
    return rc ? NULL : s;
}

static ds_value *partners(const ds_meter *m, const meter_assoc *as, ds_value_arena *a)
{
    ds_value *s = ds_value_new_data(a, DS_DATA_STRUCTURE);
    int rc = put(s, ds_value_new_int(a, DS_DATA_INTEGER, as->client)) |
             put(s, ds_value_new_uint(a, DS_DATA_LONG_UNSIGNED, m->link.server_logical));
    return rc ? NULL : s;
}

static ds_value *security_setup_reference(const ds_meter *m, ds_value_arena *a)
{
    for (size_t i = 0; i < m->n_objects; i++)
        if (m->objects[i].class_id == 64) return ds_value_new_bytes(a, DS_DATA_OCTET_STRING, m->objects[i].obis, 6);
    return ds_value_new_bytes(a, DS_DATA_OCTET_STRING, NULL, 0);
}

int meter_assoc_ln_get(ds_meter *m, meter_object *o, const meter_assoc *current, uint8_t id, ds_value_arena *a,
                       ds_value **out)
{
    const meter_assoc *as = o->describes >= 0 ? meter_find_assoc(m, o->describes) : current;
    if (!as) return METER_OBJECT_UNAVAILABLE;
    if (id != 9 && id != 2 && id != 3 && id != 4 && id != 5 && id != 6 && id != 7 && id != 8)
        return DS_METER_NOT_MINE;
    if (o->attr[id].p && id != 7) return DS_METER_NOT_MINE; /* the model's value wins */
    switch (id) {
    case 2: *out = object_list(m, as, a); break;
    case 3: *out = partners(m, as, a); break;
    case 4: *out = name_arcs(a, 1, as->policy ? 3 : 1); break;
    case 5: *out = context_info(m, as, a); break;
    case 6: *out = name_arcs(a, 2, (unsigned)as->mechanism); break;
    case 7: return METER_READ_WRITE_DENIED; /* the secret is never read */
    case 8: *out = ds_value_new_uint(a, DS_DATA_ENUM, 2); break; /* associated: we are asked in it */
    default: *out = security_setup_reference(m, a); break;
    }
    return *out ? METER_OK : METER_TEMPORARY_FAILURE;
}
