/* Builders: the APDUs a client or a server sends, from values.
 *
 * Each builder takes the default tree of its APDU (ds_value_new_apdu: the description's fields),
 * sets the fields it is given by their paths and encodes it with ds_value_encode_apdu. So the
 * layout is the description's and the checks are the encoder's: a builder knows field names,
 * never bytes. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "apdu/value_int.h"

/* Room for the few nodes a builder makes (the caller's Data is linked, not copied). */
#define BUILD_NODES 4096
#define BUILD_BYTES 65536

typedef struct build {
    ds_value_arena *a;
    ds_value *apdu;
    char *err;
    size_t errsz;
    int failed;
} build;

static int build_fail(build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int build_fail(build *b, const char *fmt, ...)
{
    if (!b->failed && b->err && b->errsz) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b->err, b->errsz, fmt, ap);
        va_end(ap);
    }
    b->failed = 1;
    return -1;
}

static int build_start(build *b, uint8_t tag, char *err, size_t errsz)
{
    memset(b, 0, sizeof *b);
    b->err = err;
    b->errsz = errsz;
    if (err && errsz) err[0] = '\0';
    b->a = ds_value_arena_new(BUILD_NODES, BUILD_BYTES);
    if (!b->a) return build_fail(b, "out of memory");
    b->apdu = ds_value_new_apdu(b->a, tag);
    if (!b->apdu) return build_fail(b, "%s", ds_value_arena_error(b->a));
    return 0;
}

/* The field at path below `at` (the APDU when NULL); NULL after reporting. */
static ds_value *at_path(build *b, ds_value *at, const char *path)
{
    if (b->failed) return NULL;
    ds_value *v = ds_value_find(at ? at : b->apdu, path);
    if (!v) build_fail(b, "no field %s", path);
    return v;
}

static ds_value *choose(build *b, ds_value *at, const char *path, uint8_t tag)
{
    ds_value *v = at_path(b, at, path);
    if (v && ds_value_choose(b->a, v, tag)) {
        build_fail(b, "%s: %s", path, ds_value_arena_error(b->a));
        return NULL;
    }
    return v;
}

static void set_u(build *b, ds_value *at, const char *path, uint64_t u)
{
    ds_value *v = at_path(b, at, path);
    if (v) v->u = u;
}

static void set_bytes(build *b, ds_value *at, const char *path, const uint8_t *p, size_t n)
{
    ds_value *v = at_path(b, at, path);
    if (v && ds_value_set_bytes(b->a, v, p, n)) build_fail(b, "%s: %s", path, ds_value_arena_error(b->a));
}

static void set_data(build *b, ds_value *at, const char *path, const ds_value *data)
{
    ds_value *v = at_path(b, at, path);
    if (v && ds_value_set_data(b->a, v, data)) build_fail(b, "%s: not a Data value or no room", path);
}

/* An OPTIONAL is found through its first named field; this makes it present. */
static void set_present(build *b, ds_value *holder, const char *first_field_name)
{
    if (b->failed) return;
    for (ds_value *c = holder->child; c; c = c->next) {
        if (c->kind != DS_VALUE_OPTIONAL) continue;
        const ds_field *f = c->field;
        if (f->sub[0].name && strcmp(f->sub[0].name, first_field_name) == 0) {
            if (ds_value_set_present(b->a, c, 1)) build_fail(b, "%s: %s", first_field_name, ds_value_arena_error(b->a));
            return;
        }
    }
    build_fail(b, "no optional %s", first_field_name);
}

static void set_ref(build *b, ds_value *descriptor, const ds_cosem_ref *ref, const char *id_name)
{
    if (!ref) {
        build_fail(b, "no attribute or method given");
        return;
    }
    set_u(b, descriptor, "ClassId", ref->class_id);
    set_bytes(b, descriptor, "InstanceId", ref->instance, 6);
    set_u(b, descriptor, id_name, ref->id);
}

static int build_end(build *b, uint8_t *buf, size_t cap, size_t *len)
{
    int rc = -1;
    if (!b->failed) rc = ds_value_encode_apdu(b->apdu, buf, cap, len, b->err, b->errsz);
    else if (len) *len = 0;
    ds_value_arena_free(b->a);
    return rc;
}

/* ---- GET ---- */

int ds_build_get_request_normal(uint8_t iip, const ds_cosem_ref *ref, uint8_t *buf, size_t cap, size_t *len,
                                char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, 0xC0, err, errsz)) {
        ds_value *req = choose(&b, NULL, "GetRequest", 1);
        set_u(&b, req, "GetRequestNormal/InvokeIdAndPriority", iip);
        set_ref(&b, at_path(&b, req, "GetRequestNormal/AttributeDescriptor"), ref, "AttributeId");
    }
    return build_end(&b, buf, cap, len);
}

int ds_build_get_request_next(uint8_t iip, uint32_t block_number, uint8_t *buf, size_t cap, size_t *len,
                              char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, 0xC0, err, errsz)) {
        ds_value *req = choose(&b, NULL, "GetRequest", 2);
        set_u(&b, req, "GetRequestForNextDataBlock/InvokeIdAndPriority", iip);
        set_u(&b, req, "GetRequestForNextDataBlock/BlockNumber", block_number);
    }
    return build_end(&b, buf, cap, len);
}

int ds_build_get_request_with_list(uint8_t iip, const ds_cosem_ref *refs, size_t n, uint8_t *buf, size_t cap,
                                   size_t *len, char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, 0xC0, err, errsz)) {
        ds_value *req = choose(&b, NULL, "GetRequest", 3);
        set_u(&b, req, "GetRequestWithList/InvokeIdAndPriority", iip);
        ds_value *list = at_path(&b, req, "GetRequestWithList/AttributeDescriptorList");
        for (size_t i = 0; i < n && list && !b.failed; i++) {
            ds_value *item = ds_value_add_item(b.a, list);
            if (!item) {
                build_fail(&b, "AttributeDescriptorList: %s", ds_value_arena_error(b.a));
                break;
            }
            set_ref(&b, at_path(&b, item, "AttributeDescriptor"), &refs[i], "AttributeId");
        }
    }
    return build_end(&b, buf, cap, len);
}

int ds_build_get_response_normal(uint8_t iip, const ds_value *data, uint8_t result, uint8_t *buf, size_t cap,
                                 size_t *len, char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, 0xC4, err, errsz)) {
        ds_value *resp = choose(&b, NULL, "GetResponse", 1);
        set_u(&b, resp, "GetResponseNormal/InvokeIdAndPriority", iip);
        ds_value *r = choose(&b, resp, "GetResponseNormal/Result", data ? 0 : 1);
        if (data) set_data(&b, r, "Data", data);
        else set_u(&b, r, "DataAccessError", result);
    }
    return build_end(&b, buf, cap, len);
}

/* ---- SET ---- */

int ds_build_set_request_normal(uint8_t iip, const ds_cosem_ref *ref, const ds_value *data, uint8_t *buf,
                                size_t cap, size_t *len, char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, 0xC1, err, errsz)) {
        ds_value *req = choose(&b, NULL, "SetRequest", 1);
        set_u(&b, req, "SetRequestNormal/InvokeIdAndPriority", iip);
        set_ref(&b, at_path(&b, req, "SetRequestNormal/AttributeDescriptor"), ref, "AttributeId");
        if (!data) build_fail(&b, "SetRequest/SetRequestNormal/Value: no value given");
        else set_data(&b, req, "SetRequestNormal/Value", data);
    }
    return build_end(&b, buf, cap, len);
}

int ds_build_set_response_normal(uint8_t iip, uint8_t result, uint8_t *buf, size_t cap, size_t *len, char *err,
                                 size_t errsz)
{
    build b;
    if (!build_start(&b, 0xC5, err, errsz)) {
        ds_value *resp = choose(&b, NULL, "SetResponse", 1);
        set_u(&b, resp, "SetResponseNormal/InvokeIdAndPriority", iip);
        set_u(&b, resp, "SetResponseNormal/Result", result);
    }
    return build_end(&b, buf, cap, len);
}

/* ---- ACTION ---- */

int ds_build_action_request_normal(uint8_t iip, const ds_cosem_ref *ref, const ds_value *params, uint8_t *buf,
                                   size_t cap, size_t *len, char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, 0xC3, err, errsz)) {
        ds_value *req = choose(&b, NULL, "ActionRequest", 1);
        ds_value *normal = at_path(&b, req, "ActionRequestNormal");
        set_u(&b, normal, "InvokeIdAndPriority", iip);
        set_ref(&b, at_path(&b, normal, "MethodDescriptor"), ref, "MethodId");
        if (params && normal) {
            set_present(&b, normal, "MethodInvocationParameters");
            set_data(&b, normal, "MethodInvocationParameters", params);
        }
    }
    return build_end(&b, buf, cap, len);
}

int ds_build_action_response_normal(uint8_t iip, uint8_t result, const ds_value *data, uint8_t *buf, size_t cap,
                                    size_t *len, char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, 0xC7, err, errsz)) {
        ds_value *resp = choose(&b, NULL, "ActionResponse", 1);
        ds_value *normal = at_path(&b, resp, "ActionResponseNormal");
        set_u(&b, normal, "InvokeIdAndPriority", iip);
        set_u(&b, normal, "Result", result);
        if (data && normal) {
            set_present(&b, normal, "ReturnParameters");
            ds_value *r = at_path(&b, normal, "ReturnParameters");
            ds_value *c = r ? r->child : NULL; /* the unnamed Get-Data-Result choice */
            if (c && !ds_value_choose(b.a, c, 0)) set_data(&b, c, "Data", data);
            else build_fail(&b, "ReturnParameters: cannot choose data");
        }
    }
    return build_end(&b, buf, cap, len);
}

/* ---- release, exception, notification ---- */

static int release(uint8_t tag, const char *name, int reason, uint8_t *buf, size_t cap, size_t *len, char *err,
                   size_t errsz)
{
    build b;
    if (!build_start(&b, tag, err, errsz) && reason >= 0) {
        ds_value *seq = at_path(&b, NULL, name);
        ds_value *t = seq ? ds_value_add_tagged(b.a, seq, 0x80) : NULL;
        if (!t) build_fail(&b, "%s: no reason field", name);
        else set_u(&b, t, "Reason", (uint64_t)reason);
    }
    return build_end(&b, buf, cap, len);
}

int ds_build_release_request(int reason, uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz)
{
    return release(0x62, "ReleaseRequest", reason, buf, cap, len, err, errsz);
}

int ds_build_release_response(int reason, uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz)
{
    return release(0x63, "ReleaseResponse", reason, buf, cap, len, err, errsz);
}

int ds_build_exception_response(uint8_t state_error, uint8_t service_error, uint8_t *buf, size_t cap, size_t *len,
                                char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, 0xD8, err, errsz)) {
        ds_value *ex = at_path(&b, NULL, "ExceptionResponse");
        set_u(&b, ex, "StateError", state_error);
        /* the service error is the tag of the unnamed choice after it */
        ds_value *c = ex ? ds_value_child(ex, 1) : NULL;
        if (!c || ds_value_choose(b.a, c, service_error)) build_fail(&b, "ExceptionResponse: service error %u", service_error);
    }
    return build_end(&b, buf, cap, len);
}

int ds_build_data_notification(uint32_t long_iip, const uint8_t *date_time, size_t n, const ds_value *data,
                               uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, 0x0F, err, errsz)) {
        ds_value *dn = at_path(&b, NULL, "DataNotification");
        set_u(&b, dn, "LongInvokeIdAndPriority", long_iip);
        /* the date-time as an octet string: the peeked choice's default alternative */
        ds_value *c = dn ? ds_value_child(dn, 1) : NULL;
        if (date_time && n != 0 && n != 12) build_fail(&b, "DataNotification/DateTime: %zu bytes (a date-time is 12)", n);
        else if (!c || ds_value_choose(b.a, c, date_time && n ? (uint8_t)n : 0)) build_fail(&b, "DataNotification: date-time");
        else set_bytes(&b, c, "DateTime", date_time, date_time ? n : 0);
        if (!data) build_fail(&b, "DataNotification/NotificationBody/DataValue: no value given");
        else set_data(&b, dn, "NotificationBody/DataValue", data);
    }
    return build_end(&b, buf, cap, len);
}
