/* Builders: the APDUs a client or a server sends, from values.
 *
 * Each builder takes the default tree of its APDU (ds_value_new_apdu: the description's fields),
 * sets the fields it is given by their paths and encodes it with ds_value_encode_apdu. So the
 * layout is the description's and the checks are the encoder's: a builder knows field names,
 * never bytes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apdu/apdu_tags.h"
#include "apdu/value_int.h"
#include "util/fail.h"

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
    if (!build_start(&b, DS_APDU_TAG_GET_REQUEST, err, errsz)) {
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
    if (!build_start(&b, DS_APDU_TAG_GET_REQUEST, err, errsz)) {
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
    if (!build_start(&b, DS_APDU_TAG_GET_REQUEST, err, errsz)) {
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
    if (!build_start(&b, DS_APDU_TAG_GET_RESPONSE, err, errsz)) {
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
    if (!build_start(&b, DS_APDU_TAG_SET_REQUEST, err, errsz)) {
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
    if (!build_start(&b, DS_APDU_TAG_SET_RESPONSE, err, errsz)) {
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
    if (!build_start(&b, DS_APDU_TAG_ACTION_REQUEST, err, errsz)) {
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

/* The optional return parameters of an action result (the Get-Data-Result choice as data). */
static void set_return_parameters(build *b, ds_value *holder, const ds_value *data)
{
    if (!data || !holder || b->failed) return;
    set_present(b, holder, "ReturnParameters");
    ds_value *r = at_path(b, holder, "ReturnParameters");
    ds_value *c = r ? r->child : NULL; /* the unnamed Get-Data-Result choice */
    if (c && !ds_value_choose(b->a, c, 0)) set_data(b, c, "Data", data);
    else build_fail(b, "ReturnParameters: cannot choose data");
}

int ds_build_action_response_normal(uint8_t iip, uint8_t result, const ds_value *data, uint8_t *buf, size_t cap,
                                    size_t *len, char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, DS_APDU_TAG_ACTION_RESPONSE, err, errsz)) {
        ds_value *resp = choose(&b, NULL, "ActionResponse", 1);
        ds_value *normal = at_path(&b, resp, "ActionResponseNormal");
        set_u(&b, normal, "InvokeIdAndPriority", iip);
        set_u(&b, normal, "Result", result);
        set_return_parameters(&b, normal, data);
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
    return release(DS_APDU_TAG_RLRQ, "ReleaseRequest", reason, buf, cap, len, err, errsz);
}

int ds_build_release_response(int reason, uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz)
{
    return release(DS_APDU_TAG_RLRE, "ReleaseResponse", reason, buf, cap, len, err, errsz);
}

int ds_build_exception_response(uint8_t state_error, uint8_t service_error, uint8_t *buf, size_t cap, size_t *len,
                                char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, DS_APDU_TAG_EXCEPTION_RESPONSE, err, errsz)) {
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
    if (!build_start(&b, DS_APDU_TAG_DATA_NOTIFICATION, err, errsz)) {
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

/* ---- association ---- */

/* DLMS UA object identifiers: 2.16.756.5.8.<kind>.<arc> = 60 85 74 05 08 <kind> <arc> */
static void set_dlms_oid(build *b, ds_value *at, const char *path, uint8_t kind, uint8_t arc)
{
    const uint8_t oid[7] = {0x60, 0x85, 0x74, 0x05, 0x08, kind, arc};
    set_bytes(b, at, path, oid, sizeof oid);
}

/* A BER field of the sequence, its fields at their defaults; NULL after reporting. */
static ds_value *ber_field(build *b, ds_value *seq, uint8_t tag)
{
    if (b->failed) return NULL;
    ds_value *t = ds_value_add_tagged(b->a, seq, tag);
    if (!t) build_fail(b, "%s: %s", seq->name, ds_value_arena_error(b->a));
    return t;
}

/* The xDLMS APDU of the user-information: the caller's bytes decoded, or an InitiateRequest
 * (AARQ) / InitiateResponse (AARE) made from the parameters. */
static ds_value *initiate(build *b, const ds_association *as, int request)
{
    ds_value *apdu = NULL;
    if (as->user_information) {
        ds_diag d;
        if (ds_value_decode_apdu(b->a, as->user_information, as->user_information_len, &apdu, &d)) {
            build_fail(b, "user-information: %s at byte %llu: %s", d.code, (unsigned long long)d.offset, d.message);
            return NULL;
        }
        return apdu;
    }
    apdu = ds_value_new_apdu(b->a, request ? DS_APDU_TAG_INITIATE_REQUEST : DS_APDU_TAG_INITIATE_RESPONSE);
    if (!apdu) {
        build_fail(b, "%s", ds_value_arena_error(b->a));
        return NULL;
    }
    ds_value *init = apdu->child;
    if (request) {
        if (as->dedicated_key) {
            set_present(b, init, "DedicatedKey");
            set_bytes(b, init, "DedicatedKey", as->dedicated_key, as->dedicated_key_len);
        }
        set_u(b, init, "ProposedDlmsVersionNumber", as->dlms_version);
        set_u(b, init, "ProposedConformance", as->conformance);
        set_u(b, init, "ProposedMaxPduSize", as->max_pdu);
    } else {
        set_u(b, init, "NegotiatedDlmsVersionNumber", as->dlms_version);
        set_u(b, init, "NegotiatedConformance", as->conformance);
        set_u(b, init, "NegotiatedMaxPduSize", as->max_pdu);
        set_u(b, init, "VaaName", as->vaa_name);
    }
    return apdu;
}

/* The fields both have, in the order of the Green Book's examples. The tags differ: AARQ
 * title A6, requirements 8A, mechanism 8B, authentication AC; AARE A4, 88, 89, AA. */
static void association(build *b, const ds_association *as, int request)
{
    const char *name = request ? "AssociationRequest" : "AssociationResponse";
    ds_value *seq = at_path(b, NULL, name);
    if (!seq) return;
    ds_value *t = ber_field(b, seq, 0xA1);
    if (t) set_dlms_oid(b, t, "ApplicationContextName", 1, as->context);
    if (!request) {
        if ((t = ber_field(b, seq, 0xA2))) set_u(b, t, "AssociationResult", as->result);
        if ((t = ber_field(b, seq, 0xA3))) {
            ds_value *diag = ds_value_find(t, "ResultSourceDiagnostic");
            if (!diag || ds_value_choose(b->a, diag, 0xA1)) build_fail(b, "AssociationResponse: diagnostic");
            else set_u(b, diag, "ACSEServiceUser", as->diagnostic);
        }
    }
    if (as->title && (t = ber_field(b, seq, request ? 0xA6 : 0xA4)))
        set_bytes(b, t, request ? "CallingAPTitle" : "RespondingAPTitle", as->title, as->title_len);
    if (as->mechanism >= 0) {
        static const uint8_t AUTHENTICATION_BIT[2] = {0x07, 0x80}; /* 7 unused bits, bit 0 set */
        if ((t = ber_field(b, seq, request ? 0x8A : 0x88)))
            set_bytes(b, t, request ? "SenderACSERequirements" : "ResponderACSERequirement", AUTHENTICATION_BIT, 2);
        if ((t = ber_field(b, seq, request ? 0x8B : 0x89))) set_dlms_oid(b, t, "MechanismName", 2, (uint8_t)as->mechanism);
    }
    if (as->auth && (t = ber_field(b, seq, request ? 0xAC : 0xAA))) {
        ds_value *choice = t->child; /* the unnamed authentication-value choice: 80 = charstring */
        if (!choice || ds_value_choose(b->a, choice, 0x80)) build_fail(b, "%s: authentication value", name);
        else set_bytes(b, choice, request ? "CallingAuthentication" : "RespondingAuthentication", as->auth, as->auth_len);
    }
    if ((t = ber_field(b, seq, DS_ACSE_TAG_USER_INFORMATION))) {
        ds_value *apdu = initiate(b, as, request);
        ds_value *holder = ds_value_child(t, 0); /* the 04 TLV around the APDU */
        if (apdu && holder) {
            apdu->next = NULL;
            holder->child = apdu;
            holder->count = 1;
        }
    }
}

int ds_build_aarq(const ds_association *as, uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, DS_APDU_TAG_AARQ, err, errsz)) association(&b, as, 1);
    return build_end(&b, buf, cap, len);
}

int ds_build_aare(const ds_association *as, uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, DS_APDU_TAG_AARE, err, errsz)) association(&b, as, 0);
    return build_end(&b, buf, cap, len);
}

/* ---- block transfer ---- */

/* One data block of an APDU whose default tree holds LastBlock, BlockNumber and RawData somewhere
 * below `holder` (set here), encoded and handed to fn. */
static int send_block(build *b, ds_value *holder, int last, uint32_t number, const uint8_t *p, size_t n,
                      ds_block_fn fn, void *user)
{
    ds_value *l = holder ? ds_value_find_any(holder, "LastBlock") : NULL;
    ds_value *num = holder ? ds_value_find_any(holder, "BlockNumber") : NULL;
    ds_value *raw = holder ? ds_value_find_any(holder, "RawData") : NULL;
    if (!l || !num || !raw) build_fail(b, "no data block fields");
    else {
        l->u = last ? 1 : 0;
        num->u = number;
        if (ds_value_set_bytes(b->a, raw, p, n)) build_fail(b, "RawData: %s", ds_value_arena_error(b->a));
    }
    uint8_t apdu[65536 + 64];
    size_t len;
    int rc = build_end(b, apdu, sizeof apdu, &len);
    if (rc) return rc;
    return fn(user, apdu, len);
}

/* The number of blocks of n bytes in pieces of size (at least one block, even for n = 0). */
static int block_count(size_t n, size_t size, char *err, size_t errsz, uint32_t *count)
{
    if (size == 0 || size > 65536) {
        if (err && errsz) snprintf(err, errsz, "block size %zu (1..65536)", size);
        return -1;
    }
    size_t c = n ? (n + size - 1) / size : 1;
    if (c > UINT32_MAX) {
        if (err && errsz) snprintf(err, errsz, "%zu blocks are more than a block number counts", c);
        return -1;
    }
    *count = (uint32_t)c;
    return 0;
}

int ds_split_get_response(uint8_t iip, const uint8_t *data, size_t n, size_t block_size, ds_block_fn fn,
                          void *user, char *err, size_t errsz)
{
    uint32_t count;
    if (block_count(n, block_size, err, errsz, &count)) return -1;
    for (uint32_t i = 0; i < count; i++) {
        size_t from = (size_t)i * block_size, len = n - from < block_size ? n - from : block_size;
        build b;
        if (build_start(&b, DS_APDU_TAG_GET_RESPONSE, err, errsz)) return build_end(&b, NULL, 0, NULL);
        ds_value *resp = choose(&b, NULL, "GetResponse", 2);
        ds_value *block = at_path(&b, resp, "GetResponsewithDataBlock");
        set_u(&b, block, "InvokeIdAndPriority", iip);
        ds_value *result = at_path(&b, block, "Result");
        choose(&b, result, "Result", 0);
        int rc = send_block(&b, result, i + 1 == count, i + 1, data + from, len, fn, user);
        if (rc) return rc;
    }
    return 0;
}

/* The names of a long request's block forms: SET with datablocks, ACTION with pblocks. */
typedef struct split_form {
    uint8_t tag;
    const char *apdu;                 /* the CHOICE */
    int first_choice, next_choice;    /* its alternatives for the first block and the others */
    const char *first, *next;         /* their element names */
    const char *descriptor, *id;      /* the descriptor (first block only) and its id field */
    const char *block;                /* DataBlock-SA */
} split_form;

static const split_form SET_SPLIT = {DS_APDU_TAG_SET_REQUEST, "SetRequest", 2, 3, "SetRequestFirstDataBlock",
                                     "SetRequestWithDataBlock", "AttributeDescriptor", "AttributeId", "DataBlock"};
static const split_form ACTION_SPLIT = {DS_APDU_TAG_ACTION_REQUEST, "ActionRequest", 4, 6,
                                        "ActionRequestWithFirstBlock", "ActionRequestWithBlock", "MethodDescriptor",
                                        "MethodId", "PBlock"};

/* Splits data into the blocks of f (the first carries the descriptor); fn gets each APDU. */
static int split_request(const split_form *f, uint8_t iip, const ds_cosem_ref *ref, const uint8_t *data, size_t n,
                         size_t block_size, ds_block_fn fn, void *user, char *err, size_t errsz)
{
    uint32_t count;
    if (block_count(n, block_size, err, errsz, &count)) return -1;
    for (uint32_t i = 0; i < count; i++) {
        size_t from = (size_t)i * block_size, len = n - from < block_size ? n - from : block_size;
        build b;
        if (build_start(&b, f->tag, err, errsz)) return build_end(&b, NULL, 0, NULL);
        ds_value *req = choose(&b, NULL, f->apdu, i == 0 ? f->first_choice : f->next_choice);
        ds_value *form = at_path(&b, req, i == 0 ? f->first : f->next);
        set_u(&b, form, "InvokeIdAndPriority", iip);
        if (i == 0) set_ref(&b, at_path(&b, form, f->descriptor), ref, f->id);
        int rc = send_block(&b, at_path(&b, form, f->block), i + 1 == count, i + 1, data + from, len, fn, user);
        if (rc) return rc;
    }
    return 0;
}

int ds_split_set_request(uint8_t iip, const ds_cosem_ref *ref, const uint8_t *data, size_t n, size_t block_size,
                         ds_block_fn fn, void *user, char *err, size_t errsz)
{
    return split_request(&SET_SPLIT, iip, ref, data, n, block_size, fn, user, err, errsz);
}

void ds_block_join_init(ds_block_join *j, uint8_t *out, size_t cap)
{
    memset(j, 0, sizeof *j);
    j->out = out;
    j->cap = cap;
    j->next = 1;
}

void ds_block_join_init_growing(ds_block_join *j, size_t cap)
{
    ds_block_join_init(j, NULL, cap);
    j->grows = 1;
}

void ds_block_join_free(ds_block_join *j)
{
    if (j->grows) free(j->out);
    j->out = NULL;
    j->len = 0;
    j->open = 0;
}

/* Room for n more bytes: a growing join doubles its buffer, up to cap. */
static int join_room(ds_block_join *j, size_t n)
{
    if (n > j->cap - j->len) return -1;
    if (!j->grows || n == 0) return 0;
    static const size_t FIRST = 256;
    size_t have = j->out ? j->allocated : 0;
    if (j->len + n <= have) return 0;
    size_t want = have ? have : FIRST;
    while (want < j->len + n) want = want > j->cap / 2 ? j->cap : 2 * want;
    uint8_t *p = realloc(j->out, want);
    if (!p) return -1;
    j->out = p;
    j->allocated = want;
    return 0;
}

static void join_append(ds_block_join *j, const uint8_t *p, size_t n)
{
    if (n) memcpy(j->out + j->len, p, n);
    j->len += n;
    j->next++;
}

/* An open transfer's bytes begin with its block 1 (first_len bytes): the same block again? */
static int same_first_block(const ds_block_join *j, const uint8_t *p, size_t n)
{
    return j->open && j->first_len == n && (n == 0 || memcmp(j->out, p, n) == 0);
}

ds_block_step ds_block_join_take(ds_block_join *j, uint32_t number, int last, const uint8_t *p, size_t n)
{
    ds_block_step st = {.outcome = DS_BLOCK_TAKEN, .expected = j->next, .highest = j->highest};
    /* Block 1 while a transfer is open starts a new one, unless it is block 1 sent again (the
     * only block gathered, the same bytes): the unfinished transfer is dropped, never joined. */
    int same_first = same_first_block(j, p, n);
    if (j->open && number == 1 && !(same_first && j->next == 2)) {
        st.restarted = same_first ? 1 : 2;
        st.dropped = j->len;
        j->open = 0;
    }
    if (!j->open) {
        int starts = number == 1 || (j->start_at && number == j->start_at);
        if (!starts && number <= j->highest) {
            st.outcome = DS_BLOCK_BACKWARDS;
            return st;
        }
        if (!starts) { /* the transfer began before what is there */
            j->highest = number;
            st.outcome = DS_BLOCK_NO_START;
            return st;
        }
        j->open = 1;
        j->done = 0;
        j->next = number;
        j->start_at = 0;
        j->highest = 0;
        j->first_len = n;
        j->len = 0;
    }
    if (number > j->highest) j->highest = number;
    if (number < j->next) {
        st.outcome = DS_BLOCK_REPEATED;
        return st;
    }
    if (number > j->next) {
        st.outcome = DS_BLOCK_GAP;
        st.expected = j->next;
        st.dropped = j->len;
        j->open = 0;
        return st;
    }
    if (join_room(j, n)) {
        st.outcome = DS_BLOCK_TOO_LARGE;
        j->open = 0;
        return st;
    }
    join_append(j, p, n);
    if (!last) return st;
    j->open = 0;
    j->done = 1;
    st.outcome = DS_BLOCK_COMPLETE;
    return st;
}

void ds_block_join_abandon(ds_block_join *j) { j->open = 0; }

size_t ds_block_join_detach(ds_block_join *j, uint8_t **out)
{
    size_t n = j->len;
    *out = j->out;
    if (j->grows) {
        j->out = NULL;
        j->allocated = 0;
    }
    j->len = 0;
    return n;
}

int ds_block_join_add(ds_block_join *j, const ds_value *apdu, char *err, size_t errsz)
{
    if (j->done) return ds_fail(err, errsz, "the transfer is complete: block after the last");
    const ds_value *number = ds_value_find_any(apdu, "BlockNumber");
    const ds_value *last = ds_value_find_any(apdu, "LastBlock");
    const ds_value *raw = ds_value_find_any(apdu, "RawData");
    int is_last = last && last->u != 0;
    const ds_value *control = last ? NULL : ds_value_find_any(apdu, "BlockControl");
    if (control) { /* a general block transfer: the last-block bit of the control byte, the block data */
        is_last = (control->u & DS_GBT_LAST) != 0;
        raw = ds_value_find_any(apdu, "BlockData");
        last = control;
    }
    if (!last || !number) return ds_fail(err, errsz, "not a data block (no LastBlock and BlockNumber)");
    if (!raw) {
        const ds_value *dar = ds_value_find_any(apdu, "DataAccessResult");
        if (dar) return ds_fail(err, errsz, "block %llu carries data-access-result %llu instead of data",
                                  (unsigned long long)number->u, (unsigned long long)dar->u);
        return ds_fail(err, errsz, "block %llu carries no raw data", (unsigned long long)number->u);
    }
    /* strict: only the block expected, and only when it fits (the join is then left as it was) */
    if (number->u != j->next)
        return ds_fail(err, errsz, "block %llu where block %lu was expected", (unsigned long long)number->u,
                       (unsigned long)j->next);
    if (join_room(j, raw->len))
        return ds_fail(err, errsz, "block %llu: %zu more bytes do not fit the %zu of the buffer",
                       (unsigned long long)number->u, raw->len, j->cap);
    ds_block_step st = ds_block_join_take(j, (uint32_t)number->u, is_last, raw->bytes, raw->len);
    return st.outcome == DS_BLOCK_COMPLETE;
}

/* ---- lists: one item per element of the caller's arrays ---- */

/* A new item of the list at path below `at`; NULL after reporting. */
static ds_value *add_item(build *b, ds_value *list, const char *what)
{
    if (b->failed || !list) return NULL;
    ds_value *item = ds_value_add_item(b->a, list);
    if (!item) build_fail(b, "%s: %s", what, ds_value_arena_error(b->a));
    return item;
}

/* A Data item of a SEQUENCE OF Data: the caller's value (linked, not copied) or null-data. */
static void add_data_item(build *b, ds_value *list, const char *what, const ds_value *data)
{
    ds_value *item = add_item(b, list, what);
    if (!item || !data) return;
    if (data->kind != DS_VALUE_DATA) {
        build_fail(b, "%s: not a Data value", what);
        return;
    }
    *item = *data; /* the item is the list's last child: nothing follows it */
    item->next = NULL;
}

static void add_attribute_items(build *b, ds_value *list, const ds_cosem_ref *refs, size_t n)
{
    for (size_t i = 0; i < n && !b->failed; i++) {
        ds_value *item = add_item(b, list, "AttributeDescriptorList");
        if (item) set_ref(b, at_path(b, item, "AttributeDescriptor"), &refs[i], "AttributeId");
    }
}

/* ---- confirmed-service-error, event-notification ---- */

int ds_build_confirmed_service_error(uint8_t service, uint8_t error_kind, uint8_t error, uint8_t *buf, size_t cap,
                                     size_t *len, char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, DS_APDU_TAG_CONFIRMED_SERVICE_ERROR, err, errsz)) {
        ds_value *cse = at_path(&b, NULL, "ConfirmedServiceError");
        set_u(&b, cse, "Service", service);
        ds_value *kind = choose(&b, cse, "ServiceError", error_kind);
        ds_value *value = kind ? kind->child : NULL; /* the chosen alternative's enumerated value */
        if (kind && !value) build_fail(&b, "ConfirmedServiceError/ServiceError: kind %u", error_kind);
        else if (value) value->u = error;
    }
    return build_end(&b, buf, cap, len);
}

int ds_build_event_notification(const uint8_t *time, size_t n, const ds_cosem_ref *ref, const ds_value *value,
                                uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, DS_APDU_TAG_EVENT_NOTIFICATION, err, errsz)) {
        ds_value *ev = at_path(&b, NULL, "EventNotificationRequest");
        if (time && n) {
            if (n != 12) build_fail(&b, "EventNotificationRequest/Time: %zu bytes (a date-time is 12)", n);
            set_present(&b, ev, "Time");
            set_bytes(&b, ev, "Time", time, n);
        }
        set_ref(&b, at_path(&b, ev, "AttributeDescriptor"), ref, "AttributeId");
        if (!value) build_fail(&b, "EventNotificationRequest/AttributeValue: no value given");
        else set_data(&b, ev, "AttributeValue", value);
    }
    return build_end(&b, buf, cap, len);
}

/* ---- with-list services ---- */

int ds_build_get_response_with_list(uint8_t iip, const ds_value *const *data, const uint8_t *results, size_t n,
                                    uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, DS_APDU_TAG_GET_RESPONSE, err, errsz)) {
        ds_value *resp = choose(&b, NULL, "GetResponse", 3);
        set_u(&b, resp, "GetResponseWithList/InvokeIdAndPriority", iip);
        ds_value *list = at_path(&b, resp, "GetResponseWithList/Result");
        for (size_t i = 0; i < n && !b.failed; i++) {
            const ds_value *d = data ? data[i] : NULL;
            ds_value *item = add_item(&b, list, "GetResponseWithList/Result"); /* the Get-Data-Result choice */
            if (!item) break;
            if (ds_value_choose(b.a, item, d ? 0 : 1)) build_fail(&b, "Result %zu: %s", i, ds_value_arena_error(b.a));
            else if (d) set_data(&b, item, "Data", d);
            else if (!results) build_fail(&b, "Result %zu: neither data nor a data-access-result given", i);
            else set_u(&b, item, "DataAccessError", results[i]);
        }
    }
    return build_end(&b, buf, cap, len);
}

int ds_build_set_request_with_list(uint8_t iip, const ds_cosem_ref *refs, const ds_value *const *values, size_t n,
                                   uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, DS_APDU_TAG_SET_REQUEST, err, errsz)) {
        ds_value *req = choose(&b, NULL, "SetRequest", 4);
        ds_value *form = at_path(&b, req, "SetRequestWithList");
        set_u(&b, form, "InvokeIdAndPriority", iip);
        add_attribute_items(&b, at_path(&b, form, "AttributeDescriptorList"), refs, n);
        ds_value *list = at_path(&b, form, "ValueList");
        for (size_t i = 0; i < n && !b.failed; i++) {
            if (!values || !values[i]) build_fail(&b, "SetRequestWithList/ValueList: no value %zu given", i);
            else add_data_item(&b, list, "SetRequestWithList/ValueList", values[i]);
        }
    }
    return build_end(&b, buf, cap, len);
}

int ds_build_set_response_with_list(uint8_t iip, const uint8_t *results, size_t n, uint8_t *buf, size_t cap,
                                    size_t *len, char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, DS_APDU_TAG_SET_RESPONSE, err, errsz)) {
        ds_value *resp = choose(&b, NULL, "SetResponse", 5);
        set_u(&b, resp, "SetResponseWithList/InvokeIdAndPriority", iip);
        ds_value *list = at_path(&b, resp, "SetResponseWithList/Result");
        for (size_t i = 0; i < n && !b.failed; i++) {
            ds_value *item = add_item(&b, list, "SetResponseWithList/Result");
            if (item) item->u = results[i];
        }
    }
    return build_end(&b, buf, cap, len);
}

/* params NULL or params[i] NULL: null-data (the list has one Data per method) */
int ds_build_action_request_with_list(uint8_t iip, const ds_cosem_ref *refs, const ds_value *const *params, size_t n,
                                      uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, DS_APDU_TAG_ACTION_REQUEST, err, errsz)) {
        ds_value *req = choose(&b, NULL, "ActionRequest", 3);
        ds_value *form = at_path(&b, req, "ActionRequestWithList");
        set_u(&b, form, "InvokeIdAndPriority", iip);
        ds_value *methods = at_path(&b, form, "MethodDescriptorList");
        for (size_t i = 0; i < n && !b.failed; i++) {
            ds_value *item = add_item(&b, methods, "MethodDescriptorList"); /* the MethodDescriptor itself */
            set_ref(&b, item, &refs[i], "MethodId");
        }
        ds_value *list = at_path(&b, form, "MethodInvocationParameters");
        for (size_t i = 0; i < n && !b.failed; i++)
            add_data_item(&b, list, "ActionRequestWithList/MethodInvocationParameters", params ? params[i] : NULL);
    }
    return build_end(&b, buf, cap, len);
}

int ds_build_action_response_with_list(uint8_t iip, const uint8_t *results, const ds_value *const *data, size_t n,
                                       uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, DS_APDU_TAG_ACTION_RESPONSE, err, errsz)) {
        ds_value *resp = choose(&b, NULL, "ActionResponse", 3);
        set_u(&b, resp, "ActionResponseWithList/InvokeIdAndPriority", iip);
        ds_value *list = at_path(&b, resp, "ActionResponseWithList/Result");
        for (size_t i = 0; i < n && !b.failed; i++) {
            ds_value *item = add_item(&b, list, "ActionResponseWithList/Result");
            set_u(&b, item, "Result", results[i]);
            set_return_parameters(&b, item, data ? data[i] : NULL);
        }
    }
    return build_end(&b, buf, cap, len);
}

/* ---- ACTION pblocks ---- */

/* The DataBlock-SA fields of the block at path below `at`. */
static void set_block(build *b, ds_value *at, const char *path, int last, uint32_t number, const uint8_t *raw,
                      size_t n)
{
    ds_value *block = at_path(b, at, path);
    set_u(b, block, "LastBlock", last ? 1 : 0);
    set_u(b, block, "BlockNumber", number);
    set_bytes(b, block, "RawData", raw, n);
}

int ds_build_action_request_with_first_pblock(uint8_t iip, const ds_cosem_ref *ref, int last, uint32_t number,
                                              const uint8_t *raw, size_t n, uint8_t *buf, size_t cap, size_t *len,
                                              char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, DS_APDU_TAG_ACTION_REQUEST, err, errsz)) {
        ds_value *form = at_path(&b, choose(&b, NULL, "ActionRequest", 4), "ActionRequestWithFirstBlock");
        set_u(&b, form, "InvokeIdAndPriority", iip);
        set_ref(&b, at_path(&b, form, "MethodDescriptor"), ref, "MethodId");
        set_block(&b, form, "PBlock", last, number, raw, n);
    }
    return build_end(&b, buf, cap, len);
}

int ds_build_action_request_with_pblock(uint8_t iip, int last, uint32_t number, const uint8_t *raw, size_t n,
                                        uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, DS_APDU_TAG_ACTION_REQUEST, err, errsz)) {
        ds_value *form = at_path(&b, choose(&b, NULL, "ActionRequest", 6), "ActionRequestWithBlock");
        set_u(&b, form, "InvokeIdAndPriority", iip);
        set_block(&b, form, "PBlock", last, number, raw, n);
    }
    return build_end(&b, buf, cap, len);
}

int ds_build_action_response_with_pblock(uint8_t iip, int last, uint32_t number, const uint8_t *raw, size_t n,
                                         uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, DS_APDU_TAG_ACTION_RESPONSE, err, errsz)) {
        ds_value *form = at_path(&b, choose(&b, NULL, "ActionResponse", 2), "ActionResponseWithPBlock");
        set_u(&b, form, "InvokeIdAndPriority", iip);
        set_block(&b, form, "PBlock", last, number, raw, n);
    }
    return build_end(&b, buf, cap, len);
}

/* The acknowledgements of the block directions: the block number just received. */
static int next_block(uint8_t tag, const char *service, uint8_t alt, const char *form_name, uint8_t iip,
                      uint32_t number, uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, tag, err, errsz)) {
        ds_value *form = at_path(&b, choose(&b, NULL, service, alt), form_name);
        set_u(&b, form, "InvokeIdAndPriority", iip);
        set_u(&b, form, "BlockNumber", number);
    }
    return build_end(&b, buf, cap, len);
}

int ds_build_action_request_next_pblock(uint8_t iip, uint32_t number, uint8_t *buf, size_t cap, size_t *len,
                                        char *err, size_t errsz)
{
    return next_block(DS_APDU_TAG_ACTION_REQUEST, "ActionRequest", 2, "ActionRequestForNextDataBlock", iip, number,
                      buf, cap, len, err, errsz);
}

int ds_build_action_response_next_pblock(uint8_t iip, uint32_t number, uint8_t *buf, size_t cap, size_t *len,
                                         char *err, size_t errsz)
{
    return next_block(DS_APDU_TAG_ACTION_RESPONSE, "ActionResponse", 4, "ActionResponseNextBlock", iip, number, buf,
                      cap, len, err, errsz);
}

int ds_build_set_response_datablock(uint8_t iip, uint32_t number, uint8_t *buf, size_t cap, size_t *len,
                                    char *err, size_t errsz)
{
    return next_block(DS_APDU_TAG_SET_RESPONSE, "SetResponse", 2, "SetResponseDataBlock", iip, number, buf, cap,
                      len, err, errsz);
}

int ds_build_set_response_last_datablock(uint8_t iip, uint8_t result, uint32_t number, uint8_t *buf, size_t cap,
                                         size_t *len, char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, DS_APDU_TAG_SET_RESPONSE, err, errsz)) {
        ds_value *form = at_path(&b, choose(&b, NULL, "SetResponse", 3), "SetResponseWithLastDataBlock");
        set_u(&b, form, "InvokeIdAndPriority", iip);
        set_u(&b, form, "Result", result);
        set_u(&b, form, "BlockNumber", number);
    }
    return build_end(&b, buf, cap, len);
}

int ds_split_action_request(uint8_t iip, const ds_cosem_ref *ref, const uint8_t *data, size_t n, size_t block_size,
                            ds_block_fn fn, void *user, char *err, size_t errsz)
{
    return split_request(&ACTION_SPLIT, iip, ref, data, n, block_size, fn, user, err, errsz);
}

/* ---- general block transfer ---- */

int ds_build_general_block_transfer(uint8_t control, uint16_t number, uint16_t ack, const uint8_t *data, size_t n,
                                    uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz)
{
    build b;
    if (!build_start(&b, DS_APDU_TAG_GENERAL_BLOCK_TRANSFER, err, errsz)) {
        ds_value *gbt = at_path(&b, NULL, "GeneralBlockTransfer");
        set_u(&b, gbt, "BlockControl", control);
        set_u(&b, gbt, "BlockNumber", number);
        set_u(&b, gbt, "BlockNumberAck", ack);
        set_bytes(&b, gbt, "BlockData", data, data ? n : 0);
    }
    return build_end(&b, buf, cap, len);
}

int ds_split_general_block_transfer(const uint8_t *apdu, size_t n, size_t block_size, const ds_gbt_params *p,
                                    ds_block_fn fn, void *user, char *err, size_t errsz)
{
    uint32_t count;
    if (block_count(n, block_size, err, errsz, &count)) return -1;
    if (p->window > DS_GBT_WINDOW || p->first_number == 0 || count > 0x10000u - p->first_number) {
        if (err && errsz)
            snprintf(err, errsz, "general block transfer: window %u (0..%u), blocks %lu from number %u (1..65535)",
                     p->window, DS_GBT_WINDOW, (unsigned long)count, p->first_number);
        return -1;
    }
    uint8_t block[65536 + 16]; /* one block APDU: control, numbers, length and data */
    for (uint32_t i = 0; i < count; i++) {
        size_t from = (size_t)i * block_size, part = n - from < block_size ? n - from : block_size;
        int last = i + 1 == count;
        /* the last block never streams (REFERENCE.md 10.3: LB = 1 with STR = 1 is invalid) */
        uint8_t control = (uint8_t)((last ? DS_GBT_LAST : 0) | (p->streaming && !last ? DS_GBT_STREAMING : 0) |
                                    p->window);
        size_t len;
        int rc = ds_build_general_block_transfer(control, (uint16_t)(p->first_number + i), p->ack, apdu + from, part,
                                                 block, sizeof block, &len, err, errsz);
        if (!rc) rc = fn(user, block, len);
        if (rc) return rc;
    }
    return 0;
}
