/* The association machine, server role: the AARE (accept, LLS check, HLS challenge and the
 * check of the client's f(StoC)), the services asked of ds_server_objects with their block
 * transfers, exception-response for what does not fit, RLRE. */
#include <string.h>

#include "apdu/apdu_tags.h"
#include "conn/assoc_int.h"

static const ds_cosem_ref HLS_REPLY = {15, {0, 0, 40, 0, 0, 255}, 1};

/* exception-response: state-error and service-error (Green Book, ExceptionResponse) */
enum { STATE_SERVICE_NOT_ALLOWED = 1, STATE_SERVICE_UNKNOWN = 2 };
enum {
    SERVICE_OPERATION_NOT_POSSIBLE = 1, SERVICE_NOT_SUPPORTED = 2, SERVICE_OTHER_REASON = 3,
    SERVICE_PDU_TOO_LONG = 4
};
/* AARE acse-service-user diagnostics */
enum {
    DIAG_NO_REASON = 1, DIAG_CONTEXT_NOT_SUPPORTED = 2, DIAG_MECHANISM_NOT_RECOGNISED = 11,
    DIAG_MECHANISM_REQUIRED = 12, DIAG_AUTHENTICATION_FAILURE = 13, DIAG_AUTHENTICATION_REQUIRED = 14
};
/* data-access-result and action-result values used here */
enum {
    DAR_READ_WRITE_DENIED = 3, DAR_NO_LONG_GET = 16, DAR_NO_LONG_SET = 18, DAR_BLOCK_NUMBER_INVALID = 19,
    DAR_OTHER = 250
};

static int send_exception(ds_assoc *as, uint8_t state_error, uint8_t service_error)
{
    size_t n = 0;
    char err[200];
    if (ds_build_exception_response(state_error, service_error, as->tx, as->apdu_cap, &n, err, sizeof err))
        return as_fail(as, "exception-response: %s", err);
    return as_send(as, as->tx, n, 0);
}

/* Sends a built answer tree (encoded into as->tx). */
static int send_tree(ds_assoc *as, const ds_value *apdu)
{
    size_t n = apdu ? as_encode(as, apdu) : 0;
    if (!n) return send_exception(as, STATE_SERVICE_NOT_ALLOWED, SERVICE_OTHER_REASON);
    return as_send(as, as->tx, n, 1);
}

/* A new answer APDU of `tag` with its service CHOICE set to `form`; the form's group. */
static ds_value *answer_form(ds_assoc *as, uint8_t tag, uint8_t form, const char *group, ds_value **apdu, uint8_t iip)
{
    *apdu = ds_value_new_apdu(as->arena, tag);
    ds_value *c = *apdu ? as_choose(as, (*apdu)->child, NULL, form) : NULL;
    ds_value *g = c ? ds_value_find(c, group) : NULL;
    if (g) as_set_u(g, "InvokeIdAndPriority", iip);
    return g;
}

static void ref_of(const ds_value *descriptor, ds_cosem_ref *ref, const char *id_name)
{
    memset(ref, 0, sizeof *ref);
    const ds_value *v;
    if ((v = ds_value_find(descriptor, "ClassId"))) ref->class_id = (uint16_t)v->u;
    if ((v = ds_value_find(descriptor, "InstanceId")) && v->kind == DS_VALUE_BYTES && v->len == 6)
        memcpy(ref->instance, v->bytes, 6);
    if ((v = ds_value_find(descriptor, id_name))) ref->id = (uint8_t)v->u;
}

/* The selective access of a descriptor as one structure {selector, parameters}, or NULL. */
static ds_value *access_of(ds_assoc *as, const ds_value *holder)
{
    const ds_value *sel = holder ? ds_value_find(holder, "AccessSelection") : NULL;
    if (!sel || sel->kind != DS_VALUE_GROUP) return NULL;
    const ds_value *selector = ds_value_find(sel, "AccessSelector");
    ds_value *params = ds_value_data(ds_value_find(sel, "AccessParameters"));
    ds_value *s = ds_value_new_data(as->arena, DS_DATA_STRUCTURE);
    ds_value *num = ds_value_new_uint(as->arena, DS_DATA_UNSIGNED, selector ? selector->u : 0);
    if (!s || !num || !params) return NULL;
    ds_value *p = ds_value_new_data(as->arena, DS_DATA_NULL);
    if (!p) return NULL;
    *p = *params; /* a copy: appending links it */
    p->next = NULL;
    ds_value_append(s, num);
    ds_value_append(s, p);
    return s;
}

/* ---- AARQ ---- */

static int send_aare(ds_assoc *as, const ds_association *aarq, uint8_t result, uint8_t diagnostic, uint16_t max_pdu)
{
    ds_association a;
    memset(&a, 0, sizeof a);
    a.context = aarq->context ? aarq->context : 1;
    a.mechanism = as->s.mechanism > 0 ? as->s.mechanism : -1;
    a.result = result;
    a.diagnostic = diagnostic;
    if (as->has_own_title && (as->ciphered || as->s.mechanism >= 5)) {
        a.title = as->own_title;
        a.title_len = DS_HLS_TITLE_LEN;
    }
    if (result == 0 && as->s.mechanism >= 2) {
        a.auth = as->stoc;
        a.auth_len = as->stoc_len;
    }
    a.dlms_version = 6;
    a.conformance = as->conformance;
    a.max_pdu = max_pdu;
    a.vaa_name = as->s.logical_names ? 0x0007 : 0xFA00;
    uint8_t *initiate = as->answer;
    size_t ilen = 0;
    int cipher_initiate = result == 0 && as->ciphered && as->reply_form;
    if (cipher_initiate) {
        if (as_initiate_bytes(as, &a, 0, initiate, as->apdu_cap, &ilen)) return -1;
        a.user_information = initiate;
        a.user_information_len = ilen;
    }
    size_t n = 0;
    char err[200];
    if (ds_build_aare(&a, as->tx, as->apdu_cap, &n, err, sizeof err)) return as_fail(as, "AARE: %s", err);
    return as_send(as, as->tx, n, 0);
}

static int refuse(ds_assoc *as, const ds_association *aarq, uint8_t diagnostic, const char *why)
{
    as->state = AS_CLOSED;
    as->ciphered = 0;
    as_fail(as, "association refused: %s", why);
    int rc = send_aare(as, aarq, 1, diagnostic, as->s.max_pdu ? as->s.max_pdu : 0xFFFF);
    as_fail(as, "association refused: %s", why);
    return rc;
}

static int on_aarq(ds_assoc *as, const ds_value *tree)
{
    ds_association aarq;
    ds_assoc_settings chosen = as->s;
    as->has_peer_title = 0;
    as->get_running = as->set_running = as->action_running = 0;
    as->gbt = 0;
    if (as_read_acse(as, tree, &aarq, 1)) return refuse(as, &aarq, DIAG_NO_REASON, as->error);
    int mechanism = aarq.mechanism < 0 ? 0 : aarq.mechanism;
    if (!as->objects || !as->objects->accept) return refuse(as, &aarq, DIAG_NO_REASON, "no association is served");
    int diag = as->objects->accept(as->objects->user, as->client_sap, &aarq, &chosen);
    chosen.role = DS_ASSOC_SERVER;
    /* the ICs seen from the client stay: a new association does not make an old IC fresh */
    ds_ic_counters seen = as->ic;
    as_take_settings(as, &chosen);
    memcpy(as->ic.seen, seen.seen, sizeof seen.seen);
    memcpy(as->ic.last, seen.last, sizeof seen.last);
    /* nor does a new link: what the meter remembers of this client's counter, which the AARQ's
       ciphered initiate (read below) must already be above */
    if (chosen.has_peer_ic_floor &&
        (!as->ic.seen[DS_IC_CLIENT] || as->ic.last[DS_IC_CLIENT] < chosen.peer_ic_floor)) {
        as->ic.seen[DS_IC_CLIENT] = 1;
        as->ic.last[DS_IC_CLIENT] = chosen.peer_ic_floor;
    }
    as->conformance = 0;
    if (diag) return refuse(as, &aarq, (uint8_t)diag, "the meter does not accept this client");
    int ciphered_context = aarq.context == 3 || aarq.context == 4;
    int ln_context = aarq.context == 1 || aarq.context == 3;
    if ((aarq.context < 1 || aarq.context > 4) || ln_context != (as->s.logical_names != 0) ||
        (ciphered_context && !as->has_keys) || (as->ciphered && !ciphered_context))
        return refuse(as, &aarq, DIAG_CONTEXT_NOT_SUPPORTED, "application context not supported");
    if (mechanism != as->s.mechanism)
        return refuse(as, &aarq, aarq.mechanism < 0 ? DIAG_MECHANISM_REQUIRED : DIAG_MECHANISM_NOT_RECOGNISED,
                      "another authentication mechanism");
    if (mechanism == 1 && (!aarq.auth || aarq.auth_len != as->s.secret_len ||
                           memcmp(aarq.auth, as->s.secret, aarq.auth_len) != 0))
        return refuse(as, &aarq, DIAG_AUTHENTICATION_FAILURE, "wrong password");
    if (mechanism >= 2) {
        if (!aarq.auth || aarq.auth_len < 8 || aarq.auth_len > AS_CHALLENGE_MAX)
            return refuse(as, &aarq, DIAG_AUTHENTICATION_FAILURE, "no client challenge (CtoS)");
        memcpy(as->ctos, aarq.auth, aarq.auth_len);
        as->ctos_len = aarq.auth_len;
        if (as_challenge(as, as->stoc, &as->stoc_len)) return refuse(as, &aarq, DIAG_NO_REASON, as->error);
    }
    if (as_read_initiate(as, &aarq, 1)) return refuse(as, &aarq, DIAG_NO_REASON, as->error);
    if (aarq.dlms_version < 6) return refuse(as, &aarq, DIAG_NO_REASON, "DLMS version below 6");
    as->conformance = as->s.conformance ? (aarq.conformance & as->s.conformance) : aarq.conformance;
    as->peer_max_pdu = aarq.max_pdu ? aarq.max_pdu : 0xFFFF;
    if (as->peer_max_pdu < 12) return refuse(as, &aarq, DIAG_NO_REASON, "client max PDU below 12");
    uint16_t own_max = as->s.max_pdu ? as->s.max_pdu : 0xFFFF;
    as->state = mechanism >= 2 ? AS_HLS_PENDING : AS_OPEN;
    int rc = send_aare(as, &aarq, 0, mechanism >= 2 ? DIAG_AUTHENTICATION_REQUIRED : 0, own_max);
    as_gbt_negotiated(as); /* the AARE itself never goes in GBT */
    return rc;
}

/* reply_to_HLS_authentication: the client's f(StoC) checked, our f(CtoS) returned. */
static int on_hls_reply(ds_assoc *as, uint8_t iip, const ds_value *params)
{
    ds_hls_inputs in;
    as_hls_inputs(as, &in);
    char why[200];
    size_t n = 0;
    char err[200];
    if (!params || params->tag != DS_DATA_OCTET_STRING || ds_hls_verify(&in, 0, params->bytes, params->len, why, sizeof why) != 0) {
        as->state = AS_CLOSED;
        as_fail(as, "the client's f(StoC) does not match");
        if (ds_build_action_response_normal(iip, DAR_READ_WRITE_DENIED, NULL, as->tx, as->apdu_cap, &n, err, sizeof err))
            return as_fail(as, "action-response: %s", err);
        return as_send(as, as->tx, n, 1);
    }
    uint8_t value[DS_HLS_VALUE_MAX];
    size_t len = sizeof value;
    uint32_t ic = 0;
    if (as->s.mechanism == 5 && ds_ic_take(&as->ic, &ic)) return as_fail(as, "the invocation counter is exhausted");
    if (ds_hls_expected(&in, 1, ic, value, &len)) return as_fail(as, "cannot compute f(CtoS)");
    ds_value *d = ds_value_new_bytes(as->arena, DS_DATA_OCTET_STRING, value, len);
    if (!d || ds_build_action_response_normal(iip, 0, d, as->tx, as->apdu_cap, &n, err, sizeof err))
        return as_fail(as, "action-response: %s", d ? err : "no room");
    as->state = AS_OPEN;
    return as_send(as, as->tx, n, 1);
}

/* ---- GET ---- */

static int send_get_block(ds_assoc *as)
{
    as_pick p = {as->block_next, 0, as->tx, 0, as->apdu_cap};
    char err[200] = "";
    int rc =
        ds_split_get_response(as->get_iip, as->data, as->data_len, as->block_size, as_pick_block, &p, err, sizeof err);
    if (rc != 1 || !p.len) return as_fail(as, "get block %lu: %s", (unsigned long)as->block_next, err);
    if (as->block_next >= as->block_count) as->get_running = 0;
    as->block_next++;
    return as_send(as, as->tx, p.len, 1);
}

/* The bytes before the results in a get-response-with-list: what the builder writes for an empty
 * list, less the empty list's one count byte. 0 when the builder says otherwise. */
size_t as_with_list_header(uint8_t iip, uint8_t *buf, size_t cap)
{
    size_t n = 0;
    char err[200];
    if (ds_build_get_response_with_list(iip, NULL, NULL, 0, buf, cap, &n, err, sizeof err) || n < 2 || buf[n - 1] != 0)
        return 0;
    return n - 1;
}

/* as->data[0..data_len) goes to the client in get-response-with-datablock blocks, the first now,
 * the others as get-request-next asks for them */
static int start_get_blocks(ds_assoc *as, uint8_t iip)
{
    as->get_iip = iip;
    as->block_size = as_block_size(as);
    as->block_count = (uint32_t)((as->data_len + as->block_size - 1) / as->block_size);
    as->block_next = 1;
    as->get_running = 1;
    return send_get_block(as);
}

/* A with-list answer (encoded in as->tx, n bytes) longer than the client takes and no GBT: its
 * results (the SEQUENCE OF Get-Data-Result) go as the raw data of get-response-with-datablock
 * blocks, asked for one by one (REFERENCE.md: GET block transfer). */
static int answer_get_list(ds_assoc *as, uint8_t iip, size_t n)
{
    size_t limit = as->peer_max_pdu - (as->ciphered ? AS_CIPHER_OVERHEAD : 0);
    if (n <= limit || as->gbt) return as_send(as, as->tx, n, 1); /* GBT: as_send cuts it */
    uint8_t head[16];
    size_t skip = as_with_list_header(iip, head, sizeof head);
    if (!skip || skip >= n || n - skip > AS_DATA_MAX || memcmp(head, as->tx, skip))
        return as_fail(as, "get-response-with-list: cannot take its results apart");
    memcpy(as->data, as->tx + skip, n - skip);
    as->data_len = n - skip;
    return start_get_blocks(as, iip);
}

static int answer_get(ds_assoc *as, uint8_t iip, int result, const ds_value *data)
{
    size_t n = 0;
    char err[200];
    if (result || !data) {
        if (ds_build_get_response_normal(iip, NULL, (uint8_t)(result ? result : DAR_OTHER), as->tx, as->apdu_cap, &n, err,
                                         sizeof err))
            return as_fail(as, "get-response: %s", err);
        return as_send(as, as->tx, n, 1);
    }
    if (ds_value_encode_data(data, as->data, AS_DATA_MAX, &as->data_len, err, sizeof err))
        return answer_get(as, iip, DAR_OTHER, NULL);
    size_t limit = as->peer_max_pdu - (as->ciphered ? AS_CIPHER_OVERHEAD : 0);
    /* with general block transfer the whole answer goes (as_send cuts it into GBT blocks) */
    if (as->gbt && !ds_build_get_response_normal(iip, data, 0, as->tx, as->apdu_cap, &n, err, sizeof err))
        return as_send(as, as->tx, n, 1);
    if (as->data_len + AS_BLOCK_OVERHEAD <= limit &&
        !ds_build_get_response_normal(iip, data, 0, as->tx, as->apdu_cap, &n, err, sizeof err) && n <= limit)
        return as_send(as, as->tx, n, 1);
    /* longer than the client takes: the encoded Data in blocks, asked for one by one */
    return start_get_blocks(as, iip);
}

static int on_get(ds_assoc *as, const ds_value *tree, uint8_t form, uint8_t iip)
{
    const ds_server_objects *o = as->objects;
    if (form == 1) {
        const ds_value *normal = ds_value_find(tree, "GetRequest/GetRequestNormal");
        ds_cosem_ref ref;
        ref_of(ds_value_find(normal, "AttributeDescriptor"), &ref, "AttributeId");
        ds_value *out = NULL;
        as->get_running = 0;
        int r = o->get ? o->get(o->user, as->client_sap, &ref, access_of(as, normal), as->arena, &out) : DAR_OTHER;
        return answer_get(as, iip, r, out);
    }
    if (form == 2) {
        const ds_value *num = ds_value_find_any(tree, "BlockNumber");
        if (!as->get_running) return answer_get(as, iip, DAR_NO_LONG_GET, NULL);
        if (!num || num->u != as->block_next - 1) {
            as->get_running = 0;
            return answer_get(as, iip, DAR_BLOCK_NUMBER_INVALID, NULL);
        }
        return send_get_block(as);
    }
    /* with-list: one Get-Data-Result per descriptor */
    as->get_running = 0;
    const ds_value *list = ds_value_find_any(tree, "AttributeDescriptorList");
    ds_value *apdu;
    ds_value *g = answer_form(as, DS_APDU_TAG_GET_RESPONSE, 3, "GetResponseWithList", &apdu, iip);
    ds_value *results = g ? ds_value_find(g, "Result") : NULL;
    for (const ds_value *item = list ? list->child : NULL; item && results; item = item->next) {
        ds_cosem_ref ref;
        ref_of(ds_value_find_any(item, "AttributeDescriptor"), &ref, "AttributeId");
        ds_value *out = NULL;
        int r = o->get ? o->get(o->user, as->client_sap, &ref, access_of(as, item), as->arena, &out) : DAR_OTHER;
        ds_value *slot = ds_value_add_item(as->arena, results);
        ds_value *c = slot && slot->kind == DS_VALUE_CHOICE ? slot : (slot ? slot->child : NULL);
        if (!c || ds_value_choose(as->arena, c, r || !out ? 1 : 0)) return send_tree(as, NULL);
        if (r || !out) as_set_u(c, "DataAccessError", (uint64_t)(r ? r : DAR_OTHER));
        else if (ds_value_set_data(as->arena, c, out)) return send_tree(as, NULL);
    }
    size_t n = g ? as_encode(as, apdu) : 0;
    if (!n) return send_exception(as, STATE_SERVICE_NOT_ALLOWED, SERVICE_OTHER_REASON);
    return answer_get_list(as, iip, n);
}

/* ---- SET ---- */

static int answer_set(ds_assoc *as, uint8_t iip, int result)
{
    size_t n = 0;
    char err[200];
    if (ds_build_set_response_normal(iip, (uint8_t)result, as->tx, as->apdu_cap, &n, err, sizeof err))
        return as_fail(as, "set-response: %s", err);
    return as_send(as, as->tx, n, 1);
}

static int answer_set_block(ds_assoc *as, uint8_t iip, int last, int result, uint32_t number)
{
    ds_value *apdu;
    ds_value *g = answer_form(as, DS_APDU_TAG_SET_RESPONSE, last ? 3 : 2,
                              last ? "SetResponseWithLastDataBlock" : "SetResponseDataBlock", &apdu, iip);
    if (!g) return send_tree(as, NULL);
    as_set_u(g, "BlockNumber", number);
    if (last) as_set_u(g, "Result", (uint64_t)result);
    return send_tree(as, apdu);
}

static int on_set_block(ds_assoc *as, const ds_value *tree, uint8_t form, uint8_t iip)
{
    const ds_value *num = ds_value_find_any(tree, "BlockNumber");
    uint32_t number = num ? (uint32_t)num->u : 0;
    if (form == 2) {
        ref_of(ds_value_find_any(tree, "AttributeDescriptor"), &as->block_ref, "AttributeId");
        ds_block_join_init(&as->join, as->data, AS_DATA_MAX);
        as->set_running = 1;
    } else if (!as->set_running) return answer_set(as, iip, DAR_NO_LONG_SET);
    char err[200];
    int rc = ds_block_join_add(&as->join, tree, err, sizeof err);
    if (rc < 0) {
        as->set_running = 0;
        return answer_set_block(as, iip, 1, DAR_BLOCK_NUMBER_INVALID, number);
    }
    if (rc == 0) return answer_set_block(as, iip, 0, 0, number);
    as->set_running = 0;
    ds_value_arena_reset(as->arena);
    ds_value *data = NULL;
    size_t used = 0;
    ds_diag d;
    int r = DAR_OTHER;
    if (!ds_value_decode_data(as->arena, as->data, as->join.len, &used, &data, &d) && used == as->join.len)
        r = as->objects->set ? as->objects->set(as->objects->user, as->client_sap, &as->block_ref, NULL, data) : DAR_OTHER;
    return answer_set_block(as, iip, 1, r, number);
}

static int on_set(ds_assoc *as, const ds_value *tree, uint8_t form, uint8_t iip)
{
    const ds_server_objects *o = as->objects;
    if (form == 1) {
        const ds_value *normal = ds_value_find(tree, "SetRequest/SetRequestNormal");
        ds_cosem_ref ref;
        ref_of(ds_value_find(normal, "AttributeDescriptor"), &ref, "AttributeId");
        const ds_value *data = ds_value_data(ds_value_find(normal, "Value"));
        int r = o->set && data ? o->set(o->user, as->client_sap, &ref, access_of(as, (ds_value *)normal), data) : DAR_OTHER;
        return answer_set(as, iip, r);
    }
    if (form == 2 || form == 3) return on_set_block(as, tree, form, iip);
    if (form != 4) return send_exception(as, STATE_SERVICE_NOT_ALLOWED, SERVICE_NOT_SUPPORTED);
    const ds_value *list = ds_value_find_any(tree, "AttributeDescriptorList");
    const ds_value *values = ds_value_find_any(tree, "ValueList");
    ds_value *apdu;
    ds_value *g = answer_form(as, DS_APDU_TAG_SET_RESPONSE, 5, "SetResponseWithList", &apdu, iip);
    ds_value *results = g ? ds_value_find(g, "Result") : NULL;
    const ds_value *val = values ? values->child : NULL;
    for (const ds_value *item = list ? list->child : NULL; item && results; item = item->next) {
        ds_cosem_ref ref;
        ref_of(ds_value_find_any(item, "AttributeDescriptor"), &ref, "AttributeId");
        const ds_value *data = val ? ds_value_data(val) : NULL;
        int r = o->set && data ? o->set(o->user, as->client_sap, &ref, access_of(as, item), data) : DAR_OTHER;
        ds_value *slot = ds_value_add_item(as->arena, results);
        if (!slot) return send_tree(as, NULL);
        ds_value *e = slot->kind == DS_VALUE_ENUM ? slot : ds_value_find_any(slot, "DataAccessResult");
        if (e) e->u = (uint64_t)r;
        val = val ? val->next : NULL;
    }
    return send_tree(as, apdu);
}

/* ---- ACTION ---- */

/* Block `block_next` of a long ACTION's return parameters: action-response-with-pblock, each
 * asked for by the client's action-request-next-pblock. */
static int send_action_return_block(ds_assoc *as)
{
    uint32_t number = as->block_next;
    size_t from = (size_t)(number - 1) * as->block_size;
    size_t len = as->data_len - from < as->block_size ? as->data_len - from : as->block_size;
    int last = number >= as->block_count;
    size_t n = 0;
    char err[200];
    if (ds_build_action_response_with_pblock(as->get_iip, last, number, as->data + from, len, as->tx, as->apdu_cap, &n,
                                             err, sizeof err))
        return as_fail(as, "action pblock %lu: %s", (unsigned long)number, err);
    if (last) as->action_running = 0;
    as->block_next++;
    return as_send(as, as->tx, n, 1);
}

static int answer_action(ds_assoc *as, uint8_t iip, int result, const ds_value *ret)
{
    size_t n = 0;
    char err[200];
    as->action_running = 0;
    if (ds_build_action_response_normal(iip, (uint8_t)result, result ? NULL : ret, as->tx, as->apdu_cap, &n, err, sizeof err))
        return as_fail(as, "action-response: %s", err);
    size_t limit = as->peer_max_pdu - (as->ciphered ? AS_CIPHER_OVERHEAD : 0);
    if (n <= limit || as->gbt || result || !ret) return as_send(as, as->tx, n, 1); /* GBT: as_send cuts it */
    /* longer than the client takes, and no GBT: the return parameters (their encoded Data) in
       pblocks, as the service's own block form */
    if (ds_value_encode_data(ret, as->data, AS_DATA_MAX, &as->data_len, err, sizeof err))
        return answer_action(as, iip, DAR_OTHER, NULL);
    as->get_iip = iip;
    as->block_size = as_block_size(as);
    as->block_count = (uint32_t)((as->data_len + as->block_size - 1) / as->block_size);
    as->block_next = 1;
    as->action_running = 1;
    return send_action_return_block(as);
}

static int is_hls_reply(const ds_cosem_ref *r)
{
    return r->class_id == HLS_REPLY.class_id && r->id == HLS_REPLY.id && !memcmp(r->instance, HLS_REPLY.instance, 6);
}

static int invoke(ds_assoc *as, uint8_t iip, const ds_cosem_ref *ref, const ds_value *params)
{
    const ds_server_objects *o = as->objects;
    if (as->state == AS_HLS_PENDING) {
        if (is_hls_reply(ref)) return on_hls_reply(as, iip, params);
        return send_exception(as, STATE_SERVICE_NOT_ALLOWED, SERVICE_OPERATION_NOT_POSSIBLE);
    }
    ds_value *ret = NULL;
    int r = o->action ? o->action(o->user, as->client_sap, ref, params, as->arena, &ret) : DAR_OTHER;
    return answer_action(as, iip, r, ret);
}

static int on_action(ds_assoc *as, const ds_value *tree, uint8_t form, uint8_t iip)
{
    const ds_server_objects *o = as->objects;
    if (form == 1) {
        const ds_value *normal = ds_value_find(tree, "ActionRequest/ActionRequestNormal");
        ds_cosem_ref ref;
        ref_of(ds_value_find(normal, "MethodDescriptor"), &ref, "MethodId");
        return invoke(as, iip, &ref, ds_value_data(ds_value_find(normal, "MethodInvocationParameters")));
    }
    if (as->state != AS_OPEN) return send_exception(as, STATE_SERVICE_NOT_ALLOWED, SERVICE_OPERATION_NOT_POSSIBLE);
    if (form == 2) { /* action-request-next-pblock: the next block of a long return */
        const ds_value *num = ds_value_find_any(tree, "BlockNumber");
        if (!as->action_running || !num || num->u != as->block_next - 1) return answer_action(as, iip, DAR_OTHER, NULL);
        return send_action_return_block(as);
    }
    if (form == 4 || form == 6) {
        const ds_value *num = ds_value_find_any(tree, "BlockNumber");
        if (form == 4) {
            ref_of(ds_value_find_any(tree, "MethodDescriptor"), &as->block_ref, "MethodId");
            ds_block_join_init(&as->join, as->data, AS_DATA_MAX);
            as->set_running = 1;
        } else if (!as->set_running) return answer_action(as, iip, DAR_OTHER, NULL);
        char err[200];
        int rc = ds_block_join_add(&as->join, tree, err, sizeof err);
        if (rc < 0) {
            as->set_running = 0;
            return answer_action(as, iip, DAR_OTHER, NULL);
        }
        if (rc == 0) {
            ds_value *apdu;
            ds_value *g = answer_form(as, DS_APDU_TAG_ACTION_RESPONSE, 4, "ActionResponseNextBlock", &apdu, iip);
            if (g) as_set_u(g, "BlockNumber", num ? num->u : 0);
            return send_tree(as, g ? apdu : NULL);
        }
        as->set_running = 0;
        ds_value_arena_reset(as->arena);
        ds_value *params = NULL;
        size_t used = 0;
        ds_diag d;
        if (ds_value_decode_data(as->arena, as->data, as->join.len, &used, &params, &d) || used != as->join.len)
            return answer_action(as, iip, DAR_OTHER, NULL);
        return invoke(as, iip, &as->block_ref, params);
    }
    if (form != 3) return send_exception(as, STATE_SERVICE_NOT_ALLOWED, SERVICE_NOT_SUPPORTED);
    const ds_value *list = ds_value_find_any(tree, "MethodDescriptorList");
    const ds_value *params = ds_value_find_any(tree, "MethodInvocationParameters");
    ds_value *apdu;
    ds_value *g = answer_form(as, DS_APDU_TAG_ACTION_RESPONSE, 3, "ActionResponseWithList", &apdu, iip);
    ds_value *results = g ? ds_value_find(g, "Result") : NULL;
    const ds_value *p = params ? params->child : NULL;
    for (const ds_value *item = list ? list->child : NULL; item && results; item = item->next) {
        ds_cosem_ref ref;
        ref_of(item, &ref, "MethodId");
        ds_value *ret = NULL;
        int r = o->action ? o->action(o->user, as->client_sap, &ref, p ? ds_value_data(p) : NULL, as->arena, &ret) : DAR_OTHER;
        ds_value *slot = ds_value_add_item(as->arena, results);
        if (!slot) return send_tree(as, NULL);
        as_set_u(slot, "Result", (uint64_t)r);
        if (!r && ret) {
            ds_value *opt = NULL;
            for (ds_value *c = slot->child; c; c = c->next)
                if (c->kind == DS_VALUE_OPTIONAL) opt = c;
            ds_value *rp = opt && !ds_value_set_present(as->arena, opt, 1) ? ds_value_find(opt, "ReturnParameters") : NULL;
            ds_value *c = rp ? rp->child : NULL;
            if (!c || ds_value_choose(as->arena, c, 0) || ds_value_set_data(as->arena, c, ret)) return send_tree(as, NULL);
        }
        p = p ? p->next : NULL;
    }
    return send_tree(as, apdu);
}

/* ---- dispatch ---- */

static int on_rlrq(ds_assoc *as)
{
    size_t n = 0;
    char err[200];
    as->state = AS_CLOSED;
    as->get_running = as->set_running = 0;
    if (ds_build_release_response(0, as->tx, as->apdu_cap, &n, err, sizeof err)) return as_fail(as, "RLRE: %s", err);
    return as_send(as, as->tx, n, 0);
}

int as_server_receive(ds_assoc *as, const uint8_t *apdu, size_t n)
{
    const uint8_t *plain;
    size_t plain_len;
    int why;
    uint16_t own_max = as->s.max_pdu ? as->s.max_pdu : 0xFFFF;
    const ds_apdu_tag_info *t = ds_apdu_tag(apdu[0]);
    if (t->role != DS_APDU_REQUEST && t->role != DS_APDU_EITHER) {
        as_fail(as, "%s is not a request", t->service ? t->service : "an unknown APDU");
        return send_exception(as, STATE_SERVICE_UNKNOWN, SERVICE_NOT_SUPPORTED);
    }
    if (!as->gbt_joined) as_gbt_reset(as); /* a request not in GBT: its answer is not either */
    if (apdu[0] != DS_APDU_TAG_AARQ && n > own_max && !as->gbt_joined) {
        as_fail(as, "a request of %zu bytes, longer than the max PDU %u", n, own_max);
        return send_exception(as, STATE_SERVICE_NOT_ALLOWED, SERVICE_PDU_TOO_LONG);
    }
    if (as_unwrap(as, apdu, n, &plain, &plain_len, &why)) {
        send_exception(as, STATE_SERVICE_NOT_ALLOWED, (uint8_t)why);
        return -1;
    }
    if (plain_len == 0) return send_exception(as, STATE_SERVICE_UNKNOWN, SERVICE_OTHER_REASON);
    if (plain != as->rx) {
        memcpy(as->rx, plain, plain_len);
        plain = as->rx;
    }
    if (as->trace) as->trace(as->trace_user, 0, plain, plain_len);
    ds_value *tree = as_decode(as, plain, plain_len);
    if (!tree) {
        send_exception(as, STATE_SERVICE_UNKNOWN, SERVICE_OTHER_REASON);
        return -1;
    }
    uint8_t tag = plain[0];
    if (tag == DS_APDU_TAG_AARQ) return on_aarq(as, tree);
    if (tag == DS_APDU_TAG_RLRQ) return on_rlrq(as);
    if (as->state != AS_OPEN && as->state != AS_HLS_PENDING) {
        as_fail(as, "%s outside an association", ds_apdu_tag(tag)->service ? ds_apdu_tag(tag)->service : "a request");
        return send_exception(as, STATE_SERVICE_NOT_ALLOWED, SERVICE_OPERATION_NOT_POSSIBLE);
    }
    uint8_t required = as_required_request_bits(as);
    if (as->ciphered && (!as->reply_form || (as->reply_sc & required) != required)) {
        as_fail(as, "a %s %s in an association whose policy asks for %s%s", as->reply_form ? "less protected" : "plain",
                ds_apdu_tag(tag)->service ? ds_apdu_tag(tag)->service : "request",
                required & DS_SC_AUTH ? "authentication" : "", required & DS_SC_ENC ? (required & DS_SC_AUTH ? " and encryption" : "encryption") : "");
        return send_exception(as, STATE_SERVICE_NOT_ALLOWED, SERVICE_OPERATION_NOT_POSSIBLE);
    }
    const ds_value *body = tree->child;
    uint8_t form = body && body->kind == DS_VALUE_CHOICE ? body->tag : 0;
    uint32_t iip32 = 0;
    ds_value_invoke_id(tree, &iip32);
    uint8_t iip = (uint8_t)iip32;
    if (as->state == AS_HLS_PENDING && tag != DS_APDU_TAG_ACTION_REQUEST)
        return send_exception(as, STATE_SERVICE_NOT_ALLOWED, SERVICE_OPERATION_NOT_POSSIBLE);
    switch (tag) {
    case DS_APDU_TAG_GET_REQUEST: return on_get(as, tree, form, iip);
    case DS_APDU_TAG_SET_REQUEST: return on_set(as, tree, form, iip);
    case DS_APDU_TAG_ACTION_REQUEST: return on_action(as, tree, form, iip);
    default:
        as_fail(as, "%s is not served", ds_apdu_tag(tag)->service ? ds_apdu_tag(tag)->service : "an unknown request");
        return send_exception(as, STATE_SERVICE_UNKNOWN, SERVICE_NOT_SUPPORTED);
    }
}
