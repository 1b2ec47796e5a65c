/* The meter's answers to GET, SET and ACTION: the ds_server_objects callbacks of
 * dlmscope/assoc.h. Each request is checked in the order a meter checks it (REFERENCE.md §7.1):
 * the object (object-undefined), its class (object-class-inconsistent), the attribute or method
 * (object-undefined), the association's access rights (read-write-denied, or
 * scope-of-access-violated when the mode needs an authenticated association), the value's type
 * (type-unmatched); then the class code answers, or the stored value does. */
#include <stdlib.h>
#include <string.h>

#include "meter/meter_int.h"

/* ---- stored values ---- */

ds_value *meter_stored_value(const meter_object *o, uint8_t id, ds_value_arena *a)
{
    if (id > METER_MAX_ATTR || !o->attr[id].p) return NULL;
    ds_value *v = NULL;
    size_t used = 0;
    if (ds_value_decode_data(a, o->attr[id].p, o->attr[id].len, &used, &v, NULL)) return NULL;
    return v;
}

int meter_store_value(meter_object *o, uint8_t id, const ds_value *v)
{
    if (id > METER_MAX_ATTR) return METER_OBJECT_UNDEFINED;
    uint8_t *buf = malloc(METER_VALUE_MAX);
    size_t len = 0;
    char err[128];
    if (!buf) return METER_TEMPORARY_FAILURE;
    if (ds_value_encode_data(v, buf, METER_VALUE_MAX, &len, err, sizeof err)) {
        free(buf);
        return METER_OTHER_REASON; /* longer than the meter keeps */
    }
    uint8_t *p = realloc(buf, len ? len : 1);
    if (!p) p = buf;
    free(o->attr[id].p);
    o->attr[id].p = p;
    o->attr[id].len = len;
    return METER_OK;
}

/* ---- access rights ---- */

uint8_t meter_access_mode(const meter_object *o, const meter_assoc *as, int method, uint8_t id)
{
    /* the most precise <access> wins: one for this id over one for every id */
    int found = 0;
    uint8_t mode = 0;
    for (size_t i = 0; i < o->n_access; i++) {
        const meter_access *ac = &o->access[i];
        if (ac->client != as->client || ac->method != !!method) continue;
        if (ac->id == id) return ac->mode;
        if (ac->id == 0 && !found) {
            found = 1;
            mode = ac->mode;
        }
    }
    if (found) return mode;
    return method ? as->method_mode : as->attr_mode;
}

/* 0 when the association may do `need` (METER_READ / METER_WRITE; METER_READ for methods), else
 * the result a meter answers. */
static int check_access(const meter_object *o, const meter_assoc *as, int method, uint8_t id, uint8_t need)
{
    uint8_t mode = meter_access_mode(o, as, method, id);
    if (!(mode & need)) return METER_READ_WRITE_DENIED;
    /* authenticated modes: the association must have authenticated (HLS) or be ciphered */
    if ((mode & METER_AUTH) && as->mechanism < 2 && !as->policy) return METER_SCOPE_VIOLATED;
    return METER_OK;
}

/* The object, checked against the class the request names. */
static int find_target(const ds_meter *m, const ds_cosem_ref *ref, meter_object **out)
{
    meter_object *o = meter_find_object(m, ref->instance);
    if (!o) return METER_OBJECT_UNDEFINED;
    if (o->class_id != ref->class_id) return METER_CLASS_INCONSISTENT;
    *out = o;
    return METER_OK;
}

/* 1 when the object has the attribute: the class table says so, or the model gave a value (a
 * class the table does not describe). */
static int has_attribute(const meter_object *o, uint8_t id)
{
    if (id == 0) return 0;
    if (id == 1) return 1;
    if (o->def && o->def->attributes) return ds_class_attribute(o->def, id) != NULL;
    return id <= METER_MAX_ATTR && o->attr[id].p != NULL;
}

/* ---- GET ---- */

static ds_value *logical_name(const meter_object *o, ds_value_arena *a)
{
    return ds_value_new_bytes(a, DS_DATA_OCTET_STRING, o->obis, 6);
}

static int frame_counter_get(const ds_meter *m, const meter_object *o, ds_value_arena *a, ds_value **out)
{
    const meter_assoc *as = meter_find_assoc(m, o->frame_counter_of);
    /* a client that reads it starts above it (REFERENCE: value + 1), so it covers the last IC
       the client used as well as the meter's own next one */
    uint32_t v = as ? as->ic : 0;
    if (as && as->has_client_ic && as->client_ic > v) v = as->client_ic;
    *out = ds_value_new_uint(a, DS_DATA_DOUBLE_LONG_UNSIGNED, v);
    return *out ? METER_OK : METER_TEMPORARY_FAILURE;
}

static int class_get(ds_meter *m, meter_object *o, const meter_assoc *as, uint8_t id, const ds_value *access,
                     ds_value_arena *a, ds_value **out)
{
    /* selective access is known on a profile's buffer only */
    if (access && !(o->class_id == 7 && id == 2)) return METER_OBJECT_UNAVAILABLE;
    switch (o->class_id) {
    case 1:
        if (id == 2 && o->frame_counter_of >= 0) return frame_counter_get(m, o, a, out);
        break;
    case 7: return meter_profile_get(m, o, id, access, a, out);
    case 8: return meter_clock_get(m, o, id, a, out);
    case 15: return meter_assoc_ln_get(m, o, as, id, a, out);
    case 18: return meter_image_get(m, o, id, a, out);
    case 70: return meter_disconnect_get(o, id, a, out);
    default: break;
    }
    return DS_METER_NOT_MINE;
}

static int meter_get(void *user, int client_sap, const ds_cosem_ref *ref, const ds_value *access, ds_value_arena *a,
                     ds_value **out)
{
    ds_meter *m = user;
    meter_object *o = NULL;
    *out = NULL;
    const meter_assoc *as = meter_find_assoc(m, client_sap);
    if (!as) return METER_READ_WRITE_DENIED;
    int rc = find_target(m, ref, &o);
    if (rc) return rc;
    if (!has_attribute(o, ref->id)) return METER_OBJECT_UNDEFINED;
    if ((rc = check_access(o, as, 0, ref->id, METER_READ))) return rc;
    if (ref->id == 1) {
        if (access) return METER_OBJECT_UNAVAILABLE;
        *out = logical_name(o, a);
        return *out ? METER_OK : METER_TEMPORARY_FAILURE;
    }
    rc = class_get(m, o, as, ref->id, access, a, out);
    if (rc != DS_METER_NOT_MINE) return rc;
    if (!o->attr[ref->id].p) return METER_OBJECT_UNAVAILABLE; /* an attribute the model gave no value */
    *out = meter_stored_value(o, ref->id, a);
    return *out ? METER_OK : METER_TEMPORARY_FAILURE;
}

/* ---- SET ---- */

static int class_set(ds_meter *m, meter_object *o, uint8_t id, const ds_value *v)
{
    switch (o->class_id) {
    case 1:
        if (id == 2 && o->frame_counter_of >= 0) {
            meter_assoc *fa = meter_find_assoc(m, o->frame_counter_of);
            if (v->tag != DS_DATA_DOUBLE_LONG_UNSIGNED) return METER_TYPE_UNMATCHED;
            if (fa) fa->ic = (uint32_t)v->u;
            return METER_OK;
        }
        break;
    case 7:
        /* the buffer, entries_in_use and profile_entries are the meter's own */
        if (id == 2 || id == 7 || id == 8) return METER_READ_WRITE_DENIED;
        break;
    case 8: return meter_clock_set(m, o, id, v);
    case 15:
        /* what the association is, not values to write */
        if (id != 7) return METER_READ_WRITE_DENIED;
        break;
    case 18: return meter_image_set(o, id, v);
    case 70: return meter_disconnect_set(o, id, v);
    default: break;
    }
    return DS_METER_NOT_MINE;
}

static int meter_set(void *user, int client_sap, const ds_cosem_ref *ref, const ds_value *access, const ds_value *data)
{
    ds_meter *m = user;
    meter_object *o = NULL;
    const meter_assoc *as = meter_find_assoc(m, client_sap);
    if (!as) return METER_READ_WRITE_DENIED;
    int rc = find_target(m, ref, &o);
    if (rc) return rc;
    if (!has_attribute(o, ref->id)) return METER_OBJECT_UNDEFINED;
    if ((rc = check_access(o, as, 0, ref->id, METER_WRITE))) return rc;
    if (ref->id == 1) return METER_READ_WRITE_DENIED; /* the logical name does not change */
    if (access) return METER_OBJECT_UNAVAILABLE;
    if (!data || data->kind != DS_VALUE_DATA) return METER_TYPE_UNMATCHED;
    const ds_member_def *def = ds_class_attribute(o->def, ref->id);
    if (def && !ds_type_fits(def->type, ds_type_spec_len(def->type, 64), data, NULL)) return METER_TYPE_UNMATCHED;
    rc = class_set(m, o, ref->id, data);
    if (rc != DS_METER_NOT_MINE) return rc;
    /* a value of any type (a register's value): it keeps the type it has */
    if (o->attr[ref->id].p && data->tag != o->attr[ref->id].p[0]) return METER_TYPE_UNMATCHED;
    return meter_store_value(o, ref->id, data);
}

/* ---- ACTION ---- */

/* reset of a register or an extended register: the value becomes 0 of its own type */
static int register_reset(ds_meter *m, meter_object *o)
{
    meter_value *v = &o->attr[2];
    if (v->p && v->len >= 2) {
        int fixed = v->p[0] != DS_DATA_OCTET_STRING && v->p[0] != DS_DATA_VISIBLE_STRING &&
                    v->p[0] != DS_DATA_ARRAY && v->p[0] != DS_DATA_STRUCTURE && v->p[0] != DS_DATA_BIT_STRING &&
                    v->p[0] != DS_DATA_UTF8_STRING;
        if (fixed) memset(v->p + 1, 0, v->len - 1);
    }
    if (o->class_id == 4) {
        uint8_t now[12];
        meter_clock_bytes(m, meter_now(m), now);
        ds_value_arena *a = ds_value_arena_new(4, 16);
        ds_value *t = a ? ds_value_new_bytes(a, DS_DATA_OCTET_STRING, now, sizeof now) : NULL;
        int rc = t ? meter_store_value(o, 5, t) : METER_TEMPORARY_FAILURE;
        ds_value_arena_free(a);
        return rc;
    }
    return METER_OK;
}

static int class_action(ds_meter *m, meter_object *o, uint8_t id, const ds_value *p)
{
    switch (o->class_id) {
    case 3:
    case 4: return register_reset(m, o);
    case 7: return meter_profile_action(m, o, id, p);
    case 8: return meter_clock_action(m, o, id, p);
    case 15:
        /* reply_to_HLS_authentication is the association machine's; reaching here, the
           association is in no state to take it */
        return METER_READ_WRITE_DENIED;
    case 18: return meter_image_action(m, o, id, p);
    case 70: return meter_disconnect_action(o, id, p);
    default:
        /* the other classes' methods are not emulated */
        return METER_OBJECT_UNAVAILABLE;
    }
}

static int meter_action(void *user, int client_sap, const ds_cosem_ref *ref, const ds_value *params,
                        ds_value_arena *a, ds_value **ret)
{
    ds_meter *m = user;
    meter_object *o = NULL;
    (void)a;
    *ret = NULL;
    const meter_assoc *as = meter_find_assoc(m, client_sap);
    if (!as) return METER_READ_WRITE_DENIED;
    int rc = find_target(m, ref, &o);
    if (rc) return rc;
    const ds_member_def *def = ds_class_method(o->def, ref->id);
    if (!def) return METER_OBJECT_UNDEFINED;
    if ((rc = check_access(o, as, 1, ref->id, METER_READ))) return rc;
    /* the parameter's type is the class table's (integer(0) for most methods) */
    if (!params || !ds_type_fits(def->type, ds_type_spec_len(def->type, 64), params, NULL))
        return METER_TYPE_UNMATCHED;
    return class_action(m, o, ref->id, params);
}

/* ---- accept ---- */

/* The acse-service-user diagnostics of REFERENCE.md §5.5 */
enum { DIAG_NO_REASON = 1, DIAG_CONTEXT = 2, DIAG_MECHANISM_UNKNOWN = 11, DIAG_MECHANISM_REQUIRED = 12,
       DIAG_AUTH_FAILURE = 13 };

static int meter_accept(void *user, int client_sap, const ds_association *aarq, ds_assoc_settings *out)
{
    ds_meter *m = user;
    const meter_assoc *as = meter_find_assoc(m, client_sap);
    if (!as) return DIAG_NO_REASON;
    /* LN only; the ciphered context exactly when the association ciphers */
    uint8_t want_context = as->policy ? 3 : 1;
    if (aarq->context != want_context && !(aarq->context == 3 && as->has_keys)) return DIAG_CONTEXT;
    int mech = aarq->mechanism < 0 ? 0 : aarq->mechanism;
    if (mech != as->mechanism) return as->mechanism && !mech ? DIAG_MECHANISM_REQUIRED : DIAG_MECHANISM_UNKNOWN;
    if (as->mechanism == 1 &&
        (!aarq->auth || aarq->auth_len != as->secret_len || memcmp(aarq->auth, as->secret, as->secret_len)))
        return DIAG_AUTH_FAILURE;
    memset(out, 0, sizeof *out);
    out->role = DS_ASSOC_SERVER;
    out->logical_names = 1;
    out->mechanism = as->mechanism;
    out->secret = as->secret_len ? as->secret : NULL;
    out->secret_len = as->secret_len;
    out->keys = as->has_keys ? &as->keys : NULL;
    out->security_suite = as->suite;
    out->security_policy = as->policy;
    out->own_title = as->has_title ? as->server_title : NULL;
    if (as->mechanism == 7) {
        out->ecdsa_priv = as->sign_key.bytes;
        out->ecdsa_priv_len = as->sign_key.len;
        out->peer_pub = as->client_sign_key.bytes;
        out->peer_pub_len = as->client_sign_key.len;
    }
    /* general block transfer is offered only with a window (gbt-window, --gbt-window) */
    out->gbt_window = m->link.gbt_window;
    out->conformance = m->link.gbt_window ? as->conformance | DS_CONFORMANCE_GBT : as->conformance & ~DS_CONFORMANCE_GBT;
    out->max_pdu = m->link.max_pdu;
    out->first_ic = as->ic;
    out->has_peer_ic_floor = m->keep_client_ic && as->has_client_ic;
    out->peer_ic_floor = as->client_ic;
    return 0;
}

void ds_meter_objects(ds_meter *m, ds_server_objects *objects)
{
    memset(objects, 0, sizeof *objects);
    objects->user = m;
    objects->accept = meter_accept;
    objects->get = meter_get;
    objects->set = meter_set;
    objects->action = meter_action;
}
