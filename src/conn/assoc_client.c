/* The association machine, client role: AARQ and the HLS pass, services with their block
 * transfers, RLRQ; each answer checked against the request (invoke id, the answer tag the tag
 * facts give). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "apdu/apdu_tags.h"
#include "conn/assoc_int.h"

/* The COSEM method of the HLS pass: association LN (class 15) 0.0.40.0.0.255, method 1
 * reply_to_HLS_authentication. */
static const ds_cosem_ref HLS_REPLY = {15, {0, 0, 40, 0, 0, 255}, 1};

enum { EXCEPTION_SERVICE_NOT_ALLOWED = 1, EXCEPTION_OPERATION_NOT_POSSIBLE = 1 };

static int client_only(ds_assoc *as)
{
    if (as->s.role != DS_ASSOC_CLIENT) return as_fail(as, "a client call on a server machine");
    if (as->wait != AS_WAIT_NONE) return as_fail(as, "the previous service is not complete");
    return 0;
}

static void begin(ds_assoc *as, as_wait wait, uint8_t tag)
{
    memset(&as->result, 0, sizeof as->result);
    as->result.request_tag = tag;
    as->wait = wait;
    as->request_tag = tag;
    as->request_list = 0;
    as->joining = 0;
    as->block_count = 0;
    as->long_action = 0;
}

/* The service is complete: its outcome and the plain answer. */
static int finish(ds_assoc *as, int status, uint32_t result, const uint8_t *answer, size_t n)
{
    as->wait = AS_WAIT_NONE;
    as->result.done = 1;
    as->result.status = status;
    as->result.result = result;
    if (answer && n <= as->apdu_cap) {
        if (answer != as->answer) memmove(as->answer, answer, n);
        as->result.answer = as->answer;
        as->result.answer_len = n;
    }
    return 0;
}

/* An answer that does not fit the request: reported and the service ends. */
static int mismatch(ds_assoc *as, const uint8_t *answer, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int mismatch(ds_assoc *as, const uint8_t *answer, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(as->error, sizeof as->error, fmt, ap);
    va_end(ap);
    finish(as, DS_ASSOC_MISMATCH, 0, answer, n);
    return -1;
}

/* ---- AARQ ---- */

int ds_assoc_open(ds_assoc *as)
{
    if (client_only(as)) return -1;
    ds_association a;
    memset(&a, 0, sizeof a);
    int ln = as->s.logical_names;
    a.context = (uint8_t)(as->ciphered ? (ln ? 3 : 4) : (ln ? 1 : 2));
    a.mechanism = as->s.mechanism > 0 ? as->s.mechanism : -1;
    if (as->has_own_title && (as->ciphered || as->s.mechanism >= 5)) {
        a.title = as->own_title;
        a.title_len = DS_HLS_TITLE_LEN;
    }
    if (as->s.mechanism == 1) {
        a.auth = as->s.secret;
        a.auth_len = as->s.secret_len;
    } else if (as->s.mechanism >= 2) {
        if (as_challenge(as, as->ctos, &as->ctos_len)) return -1;
        a.auth = as->ctos;
        a.auth_len = as->ctos_len;
    }
    a.dlms_version = 6;
    a.conformance = as->s.conformance;
    a.max_pdu = as->s.max_pdu ? as->s.max_pdu : 0xFFFF;
    if (as->ciphered && as->s.dedicated && as->keys.dk.set) {
        a.dedicated_key = as->keys.dk.bytes;
        a.dedicated_key_len = as->keys.dk.len;
    }
    uint8_t *initiate = as->answer; /* free until the answer comes */
    size_t initiate_len = 0;
    if (as->ciphered) {
        if (as_initiate_bytes(as, &a, 1, initiate, as->apdu_cap, &initiate_len)) return -1;
        a.user_information = initiate;
        a.user_information_len = initiate_len;
    }
    size_t n = 0;
    char err[200];
    if (ds_build_aarq(&a, as->tx, as->apdu_cap, &n, err, sizeof err)) return as_fail(as, "AARQ: %s", err);
    begin(as, AS_WAIT_AARE, DS_APDU_TAG_AARQ);
    as->state = AS_AARQ_SENT;
    as->has_peer_title = 0;
    return as_send(as, as->tx, n, 0);
}

/* The client's f(StoC) in reply_to_HLS_authentication. */
static int send_hls_reply(ds_assoc *as)
{
    ds_hls_inputs in;
    as_hls_inputs(as, &in);
    uint8_t value[DS_HLS_VALUE_MAX];
    size_t len = sizeof value;
    uint32_t ic = 0;
    if (as->s.mechanism == 5 && ds_ic_take(&as->ic, &ic)) return as_fail(as, "the invocation counter is exhausted");
    if (ds_hls_expected(&in, 0, ic, value, &len))
        return as_fail(as, "cannot compute f(StoC) for mechanism %d (a secret, key or title is missing)", as->s.mechanism);
    ds_value_arena_reset(as->arena);
    ds_value *param = ds_value_new_bytes(as->arena, DS_DATA_OCTET_STRING, value, len);
    as->invoke_id = as->next_invoke;
    as->next_invoke = (uint8_t)((as->next_invoke + 1) & 0x0F);
    as->iip = (uint8_t)(0xC0 | as->invoke_id);
    size_t n = 0;
    char err[200];
    if (!param || ds_build_action_request_normal(as->iip, &HLS_REPLY, param, as->tx, as->apdu_cap, &n, err, sizeof err))
        return as_fail(as, "reply_to_HLS_authentication: %s", param ? err : "no room");
    as->wait = AS_WAIT_HLS;
    as->request_tag = DS_APDU_TAG_ACTION_REQUEST;
    return as_send(as, as->tx, n, 1);
}

static int on_aare(ds_assoc *as, const ds_value *apdu, const uint8_t *plain, size_t n)
{
    if (plain[0] != DS_APDU_TAG_AARE) return mismatch(as, plain, n, "%s where an AARE was expected", ds_apdu_tag(plain[0])->service ? ds_apdu_tag(plain[0])->service : "an unknown APDU");
    memcpy(as->answer, plain, n); /* kept: reading the association reuses the buffers */
    ds_association a;
    int rc = as_read_association(as, apdu, &a, 0);
    if (a.result != 0) {
        as->state = AS_CLOSED;
        as_fail(as, "the association was refused: result %u, diagnostic %u", a.result, a.diagnostic);
        return finish(as, DS_ASSOC_ERROR_ANSWER, a.diagnostic, as->answer, n);
    }
    if (rc) return finish(as, DS_ASSOC_MISMATCH, 0, as->answer, n), -1;
    as->peer_max_pdu = a.max_pdu;
    as->conformance = a.conformance;
    as_gbt_negotiated(as);
    if (as->s.mechanism >= 2) {
        if (!a.auth || a.auth_len == 0 || a.auth_len > AS_CHALLENGE_MAX)
            return mismatch(as, as->answer, n, "%s", "the AARE carries no server challenge (StoC) for HLS");
        memcpy(as->stoc, a.auth, a.auth_len);
        as->stoc_len = a.auth_len;
        as->state = AS_HLS_PENDING;
        if (send_hls_reply(as)) return finish(as, DS_ASSOC_ERROR_ANSWER, 0, as->answer, n), -1;
        return 0;
    }
    as->state = AS_OPEN;
    return finish(as, DS_ASSOC_OK, 0, as->answer, n);
}

/* The answer to reply_to_HLS_authentication carries the server's f(CtoS). */
static int on_hls_answer(ds_assoc *as, const ds_value *apdu, const uint8_t *plain, size_t n)
{
    uint32_t result = 0;
    if (plain[0] != DS_APDU_TAG_ACTION_RESPONSE)
        return mismatch(as, plain, n, "%s where the answer to reply_to_HLS_authentication was expected",
                        ds_apdu_tag(plain[0])->service ? ds_apdu_tag(plain[0])->service : "an unknown APDU");
    if (ds_value_result(apdu, &result) || result != 0) {
        as->state = AS_CLOSED;
        as_fail(as, "the server refused our f(StoC): action-result %lu", (unsigned long)result);
        return finish(as, DS_ASSOC_ERROR_ANSWER, result, plain, n);
    }
    const ds_value *d = ds_value_data(ds_value_find_any(apdu, "ReturnParameters"));
    if (!d || d->tag != DS_DATA_OCTET_STRING) return mismatch(as, plain, n, "%s", "the server returned no f(CtoS)");
    ds_hls_inputs in;
    as_hls_inputs(as, &in);
    char why[200];
    int v = ds_hls_verify(&in, 1, d->bytes, d->len, why, sizeof why);
    if (v != 0) {
        as->state = AS_CLOSED;
        as_fail(as, "the server's f(CtoS) %s: %s", v > 0 ? "does not match" : "cannot be checked", why);
        return finish(as, DS_ASSOC_MISMATCH, 0, plain, n);
    }
    as->state = AS_OPEN;
    return finish(as, DS_ASSOC_OK, 0, plain, n);
}

/* ---- services ---- */

static int send_set_block(ds_assoc *as)
{
    as_pick p = {as->block_next, 0, as->tx, 0, as->apdu_cap};
    char err[200] = "";
    int rc = ds_split_set_request(as->iip, &as->block_ref, as->data, as->data_len, as->block_size, as_pick_block, &p,
                                  err, sizeof err);
    if (rc != 1 || !p.len) return as_fail(as, "set block %lu: %s", (unsigned long)as->block_next, err);
    as->block_next++;
    return as_send(as, as->tx, p.len, 1);
}

/* Block `block_next` of the long ACTION's parameters: action-request-with-first-pblock (with
 * the method) or action-request-with-pblock, built from the description's default tree. */
static int send_action_block(ds_assoc *as)
{
    uint32_t number = as->block_next;
    size_t from = (size_t)(number - 1) * as->block_size;
    size_t len = as->data_len - from < as->block_size ? as->data_len - from : as->block_size;
    int first = number == 1, last = number == as->block_count;
    ds_value_arena_reset(as->arena);
    ds_value *req = ds_value_new_apdu(as->arena, DS_APDU_TAG_ACTION_REQUEST);
    ds_value *c = req ? as_choose(as, req->child, NULL, first ? 4 : 6) : NULL;
    ds_value *g = c ? ds_value_find(c, first ? "ActionRequestWithFirstBlock" : "ActionRequestWithBlock") : NULL;
    ds_value *raw = g ? ds_value_find(g, "PBlock/RawData") : NULL;
    if (!raw || as_set_u(g, "InvokeIdAndPriority", as->iip) || as_set_u(g, "PBlock/LastBlock", last ? 1 : 0) ||
        as_set_u(g, "PBlock/BlockNumber", number) || ds_value_set_bytes(as->arena, raw, as->data + from, len))
        return as_fail(as, "action pblock %lu: cannot build", (unsigned long)number);
    if (first) {
        ds_value *id = ds_value_find(g, "MethodDescriptor/InstanceId");
        if (!id || as_set_u(g, "MethodDescriptor/ClassId", as->block_ref.class_id) ||
            as_set_u(g, "MethodDescriptor/MethodId", as->block_ref.id) ||
            ds_value_set_bytes(as->arena, id, as->block_ref.instance, 6))
            return as_fail(as, "action pblock 1: cannot build the method descriptor");
    }
    size_t n = as_encode(as, req);
    if (!n) return -1;
    as->block_next++;
    return as_send(as, as->tx, n, 1);
}

/* A SET too long for the server: its Data goes out in set-request-with-datablock pieces. */
/* An ACTION too long for the server: its parameters go out in pblocks. */
static int start_long_action(ds_assoc *as, const ds_value *apdu)
{
    const ds_value *normal = ds_value_find(apdu, "ActionRequest/ActionRequestNormal");
    const ds_value *params = normal ? ds_value_data(ds_value_find(normal, "MethodInvocationParameters")) : NULL;
    uint16_t cls;
    if (!params) return as_fail(as, "the request is longer than the server's max PDU %u", as->peer_max_pdu);
    if (ds_value_class_id(apdu, &cls) || ds_value_instance_id(apdu, as->block_ref.instance) ||
        ds_value_attribute_id(apdu, &as->block_ref.id))
        return as_fail(as, "the ACTION names no method");
    as->block_ref.class_id = cls;
    char err[200];
    if (ds_value_encode_data(params, as->data, AS_DATA_MAX, &as->data_len, err, sizeof err))
        return as_fail(as, "the ACTION's parameters: %s", err);
    as->block_size = as_block_size(as);
    as->block_count = (uint32_t)((as->data_len + as->block_size - 1) / as->block_size);
    as->block_next = 1;
    as->long_action = 1;
    return send_action_block(as);
}

static int start_long_set(ds_assoc *as, const ds_value *apdu)
{
    const ds_value *normal = ds_value_find(apdu, "SetRequest/SetRequestNormal");
    if (!normal) return start_long_action(as, apdu);
    if (ds_value_find(normal, "AccessSelection") && ds_value_find(normal, "AccessSelection")->count)
        return as_fail(as, "a long SET with selective access is not split");
    uint16_t cls;
    if (ds_value_class_id(apdu, &cls) || ds_value_instance_id(apdu, as->block_ref.instance) ||
        ds_value_attribute_id(apdu, &as->block_ref.id))
        return as_fail(as, "the SET names no attribute");
    as->block_ref.class_id = cls;
    const ds_value *data = ds_value_data(ds_value_find(normal, "Value"));
    char err[200];
    if (!data || ds_value_encode_data(data, as->data, AS_DATA_MAX, &as->data_len, err, sizeof err))
        return as_fail(as, "the SET's value: %s", data ? err : "none");
    as->block_size = as_block_size(as);
    as->block_count = (uint32_t)((as->data_len + as->block_size - 1) / as->block_size);
    as->block_next = 1;
    return send_set_block(as);
}

/* A get-request-with-list's count of descriptors (its answer has as many results); else 0. */
static size_t with_list_count(const ds_value *tree)
{
    const ds_value *body = tree && tree->tag == DS_APDU_TAG_GET_REQUEST ? tree->child : NULL;
    if (!body || body->kind != DS_VALUE_CHOICE || body->tag != 3) return 0;
    const ds_value *list = ds_value_find_any(tree, "AttributeDescriptorList");
    size_t count = 0;
    for (const ds_value *item = list ? list->child : NULL; item; item = item->next) count++;
    return count;
}

int ds_assoc_request(ds_assoc *as, const uint8_t *apdu, size_t len)
{
    if (client_only(as)) return -1;
    if (!apdu || len == 0) return as_fail(as, "an empty request");
    const ds_apdu_tag_info *t = ds_apdu_tag(apdu[0]);
    if (t->role != DS_APDU_REQUEST || !t->confirmed || t->protection != DS_APDU_PLAIN || !t->answer ||
        apdu[0] == DS_APDU_TAG_AARQ || apdu[0] == DS_APDU_TAG_RLRQ)
        return as_fail(as, "%s is not a service request the client sends", t->service ? t->service : "an unknown APDU");
    if (as->state != AS_OPEN) return as_fail(as, "no association is open");
    ds_value *tree = as_decode(as, apdu, len);
    if (!tree) return -1;
    ds_value *iip = ds_value_find_any(tree, "InvokeIdAndPriority");
    as->invoke_id = as->next_invoke;
    as->next_invoke = (uint8_t)((as->next_invoke + 1) & 0x0F);
    if (iip) {
        iip->u = (iip->u & 0xF0) | as->invoke_id;
        as->iip = (uint8_t)iip->u;
    }
    size_t n = as_encode(as, tree);
    if (!n) return -1;
    begin(as, AS_WAIT_SERVICE, apdu[0]);
    as->request_list = with_list_count(tree);
    as_gbt_reset(as);
    size_t limit = as->peer_max_pdu - (as->ciphered ? AS_CIPHER_OVERHEAD : 0);
    /* Too long for the server: in general block transfer when it is negotiated (as_send cuts
     * the ciphered APDU into blocks), else in the service's own blocks. GBT first because it
     * covers every service alike, streams a window of blocks per round trip and asks for lost
     * blocks again, which the service-specific blocks cannot (REFERENCE.md 10.3; GX prefers it
     * too when both sides have it). */
    if (n > limit && !as->gbt) {
        if (start_long_set(as, tree)) {
            as->wait = AS_WAIT_NONE;
            return -1;
        }
        return 0;
    }
    return as_send(as, as->tx, n, 1);
}

int ds_assoc_release(ds_assoc *as)
{
    if (client_only(as)) return -1;
    size_t n = 0;
    char err[200];
    if (ds_build_release_request(0, as->tx, as->apdu_cap, &n, err, sizeof err)) return as_fail(as, "RLRQ: %s", err);
    begin(as, AS_WAIT_RLRE, DS_APDU_TAG_RLRQ);
    as->state = AS_RELEASING;
    return as_send(as, as->tx, n, 0);
}

int ds_assoc_busy(const ds_assoc *as) { return as->wait != AS_WAIT_NONE; }

void ds_assoc_abandon(ds_assoc *as)
{
    if (as->wait == AS_WAIT_NONE) return;
    if (as->wait == AS_WAIT_AARE || as->wait == AS_WAIT_HLS) as->state = AS_CLOSED;
    as->wait = AS_WAIT_NONE;
    as->result.done = 1;
    as->result.status = DS_ASSOC_MISMATCH;
    as_fail(as, "no answer came in time");
}

void ds_assoc_assume_open(ds_assoc *as, uint16_t peer_max_pdu)
{
    as->conformance = as->s.conformance;
    as_gbt_negotiated(as);
    as->wait = AS_WAIT_NONE;
    as->state = AS_OPEN;
    as->peer_max_pdu = peer_max_pdu ? peer_max_pdu : 0xFFFF;
}

uint32_t ds_assoc_next_ic(const ds_assoc *as) { return as->ic.next; }

int ds_assoc_peer_last_ic(const ds_assoc *as, uint32_t *ic)
{
    int peer = as->s.role == DS_ASSOC_SERVER ? DS_IC_CLIENT : DS_IC_SERVER;
    if (!as->ic.seen[peer]) return 0;
    *ic = as->ic.last[peer];
    return 1;
}
const ds_assoc_result *ds_assoc_last_result(const ds_assoc *as) { return &as->result; }

/* Any error result in a with-list answer's results (data-access-result or action-result). */
static uint32_t first_error_in_list(const ds_value *apdu)
{
    const ds_value *list = ds_value_find_any(apdu, "Result");
    for (const ds_value *item = list ? list->child : NULL; item; item = item->next) {
        uint32_t r = 0;
        const ds_value *v = item;
        while (v && v->kind != DS_VALUE_ENUM && v->child) v = v->child;
        if (v && v->kind == DS_VALUE_ENUM) r = (uint32_t)v->u;
        if (r) return r;
    }
    return 0;
}

/* The long with-list GET is complete: the joined data is the answer's SEQUENCE OF Get-Data-Result
 * (REFERENCE.md: GET block transfer), answered as the get-response-with-list it makes, checked by
 * the decoder and against the request's count of descriptors. */
static int finish_long_get_list(ds_assoc *as)
{
    size_t head = as_with_list_header(as->iip, as->answer, as->apdu_cap);
    if (!head || as->join.len > as->apdu_cap - head) {
        as_fail(as, "the joined results (%zu bytes) are too long to show as one get-response-with-list", as->join.len);
        return finish(as, DS_ASSOC_OK, 0, NULL, 0);
    }
    memcpy(as->answer + head, as->data, as->join.len);
    size_t n = head + as->join.len;
    ds_value *tree = as_decode(as, as->answer, n);
    if (!tree) {
        char why[AS_ERROR_MAX];
        memcpy(why, as->error, sizeof why);
        as_fail(as, "the joined blocks are not a list of results: %s", why);
        return finish(as, DS_ASSOC_MISMATCH, 0, NULL, 0), -1;
    }
    const ds_value *list = ds_value_find_any(tree, "Result");
    size_t count = 0;
    for (const ds_value *item = list ? list->child : NULL; item; item = item->next) count++;
    if (count != as->request_list) {
        as_fail(as, "%zu results joined for %zu attributes asked", count, as->request_list);
        return finish(as, DS_ASSOC_MISMATCH, 0, as->answer, n), -1;
    }
    uint32_t result = first_error_in_list(tree);
    if (result) as_fail(as, "get-response-with-list: result %lu", (unsigned long)result);
    return finish(as, result ? DS_ASSOC_ERROR_ANSWER : DS_ASSOC_OK, result, as->answer, n);
}

/* The long GET (or ACTION return) is complete: the Data joined from the blocks, answered as one
 * get-response-normal (action-response-normal with the Data as return parameters). */
static int finish_long_get(ds_assoc *as)
{
    if (as->request_tag == DS_APDU_TAG_GET_REQUEST && as->request_list) return finish_long_get_list(as);
    ds_value_arena_reset(as->arena);
    ds_value *data = NULL;
    size_t used = 0;
    ds_diag d;
    memset(&d, 0, sizeof d);
    if (ds_value_decode_data(as->arena, as->data, as->join.len, &used, &data, &d) || used != as->join.len) {
        as_fail(as, "the joined blocks are not one Data value (%s at byte %llu)", d.code ? d.code : "trailing bytes",
                (unsigned long long)(d.code ? d.offset : used));
        return finish(as, DS_ASSOC_MISMATCH, 0, NULL, 0), -1;
    }
    size_t n = 0;
    char err[200];
    int action = as->request_tag == DS_APDU_TAG_ACTION_REQUEST;
    if (action ? ds_build_action_response_normal(as->iip, 0, data, as->answer, as->apdu_cap, &n, err, sizeof err)
               : ds_build_get_response_normal(as->iip, data, 0, as->answer, as->apdu_cap, &n, err, sizeof err)) {
        /* longer than one APDU can be: the answer stays the last block */
        as_fail(as, "the joined Data (%zu bytes) is too long to show as one response: %s", as->join.len, err);
        return finish(as, DS_ASSOC_OK, 0, NULL, 0);
    }
    return finish(as, DS_ASSOC_OK, 0, as->answer, n);
}

static int on_get_block(ds_assoc *as, const ds_value *apdu, const uint8_t *plain, size_t n)
{
    char err[200];
    if (!as->joining) {
        ds_block_join_init(&as->join, as->data, AS_DATA_MAX);
        as->joining = 1;
    }
    const ds_value *dar = ds_value_find_any(apdu, "DataAccessResult");
    if (dar) {
        as_fail(as, "block transfer ended with data-access-result %lu", (unsigned long)dar->u);
        return finish(as, DS_ASSOC_ERROR_ANSWER, (uint32_t)dar->u, plain, n);
    }
    int rc = ds_block_join_add(&as->join, apdu, err, sizeof err);
    if (rc < 0) return mismatch(as, plain, n, "get block: %s", err);
    if (rc == 1) return finish_long_get(as);
    size_t len = 0;
    if (ds_build_get_request_next(as->iip, as->join.next - 1, as->tx, as->apdu_cap, &len, err, sizeof err))
        return as_fail(as, "get-request-next: %s", err);
    return as_send(as, as->tx, len, 1);
}

/* An action answer in pblocks: asked for block by block with action-request-next-pblock. */
static int on_action_block(ds_assoc *as, const ds_value *apdu, const uint8_t *plain, size_t n)
{
    char err[200];
    if (!as->joining) {
        ds_block_join_init(&as->join, as->data, AS_DATA_MAX);
        as->joining = 1;
    }
    int rc = ds_block_join_add(&as->join, apdu, err, sizeof err);
    if (rc < 0) return mismatch(as, plain, n, "action pblock: %s", err);
    if (rc == 1) return finish_long_get(as);
    uint32_t number = as->join.next - 1;
    ds_value_arena_reset(as->arena);
    ds_value *req = ds_value_new_apdu(as->arena, DS_APDU_TAG_ACTION_REQUEST);
    ds_value *c = req ? as_choose(as, req->child, NULL, 2) : NULL;
    ds_value *next = c ? ds_value_find(c, "ActionRequestForNextDataBlock") : NULL;
    if (!next || as_set_u(next, "InvokeIdAndPriority", as->iip) || as_set_u(next, "BlockNumber", number))
        return as_fail(as, "action-request-next-pblock: cannot build");
    size_t len = as_encode(as, req);
    return len ? as_send(as, as->tx, len, 1) : -1;
}

static int on_service_answer(ds_assoc *as, const ds_value *apdu, const uint8_t *plain, size_t n)
{
    uint8_t tag = plain[0];
    const ds_apdu_tag_info *req = ds_apdu_tag(as->request_tag);
    const char *got = ds_apdu_tag(tag)->service ? ds_apdu_tag(tag)->service : "an unknown APDU";
    if (tag == DS_APDU_TAG_EXCEPTION_RESPONSE) {
        const ds_value *ex = ds_value_find(apdu, "ExceptionResponse");
        const ds_value *se = ex ? ds_value_child(ex, 1) : NULL;
        as_fail(as, "the server answered %s with an exception-response", req->service);
        return finish(as, DS_ASSOC_ERROR_ANSWER, se ? se->tag : 0, plain, n);
    }
    if (tag == DS_APDU_TAG_CONFIRMED_SERVICE_ERROR) {
        as_fail(as, "the server answered %s with a confirmed-service-error", req->service);
        return finish(as, DS_ASSOC_ERROR_ANSWER, 0, plain, n);
    }
    if (tag != req->answer) {
        as_fail(as, "%s answers %s, not %s", got, ds_apdu_tag(ds_apdu_tag(tag)->answers)->service ? ds_apdu_tag(ds_apdu_tag(tag)->answers)->service : "no request", req->service);
        return finish(as, DS_ASSOC_MISMATCH, 0, plain, n), -1;
    }
    uint32_t iip;
    if (!ds_value_invoke_id(apdu, &iip) && (iip & 0x0F) != as->invoke_id) {
        as_fail(as, "%s with invoke id %lu where %u was asked", got, (unsigned long)(iip & 0x0F), as->invoke_id);
        return finish(as, DS_ASSOC_MISMATCH, 0, plain, n), -1;
    }
    const ds_value *body = apdu->child; /* the service's CHOICE: its tag is the form */
    uint8_t form = body && body->kind == DS_VALUE_CHOICE ? body->tag : 0;
    uint32_t result = 0;
    if (tag == DS_APDU_TAG_GET_RESPONSE && form == 2) return on_get_block(as, apdu, plain, n);
    if (tag == DS_APDU_TAG_ACTION_RESPONSE && form == 2) return on_action_block(as, apdu, plain, n);
    if (tag == DS_APDU_TAG_ACTION_RESPONSE && form == 4) { /* the server asks for the next pblock */
        const ds_value *num = ds_value_find_any(apdu, "BlockNumber");
        if (!as->long_action || !num || num->u != as->block_next - 1 || as->block_next > as->block_count)
            return mismatch(as, plain, n, "%s", "action-response-next-pblock for a block not sent");
        return send_action_block(as);
    }
    if (tag == DS_APDU_TAG_SET_RESPONSE && form == 2) {
        const ds_value *num = ds_value_find_any(apdu, "BlockNumber");
        if (!num || num->u != as->block_next - 1 || as->block_next > as->block_count)
            return mismatch(as, plain, n, "%s", "set-response-datablock for a block not sent");
        return send_set_block(as);
    }
    if ((tag == DS_APDU_TAG_GET_RESPONSE || tag == DS_APDU_TAG_SET_RESPONSE) && (form == 3 || form == 4 || form == 5) &&
        !(tag == DS_APDU_TAG_SET_RESPONSE && form == 3))
        result = first_error_in_list(apdu);
    else if (tag == DS_APDU_TAG_ACTION_RESPONSE && form == 3) result = first_error_in_list(apdu);
    else if (tag == DS_APDU_TAG_READ_RESPONSE || tag == DS_APDU_TAG_WRITE_RESPONSE) {
        const ds_value *e = ds_value_find_any(apdu, "DataAccessError");
        result = e ? (uint32_t)e->u : 0;
    } else if (ds_value_result(apdu, &result)) result = 0;
    if (result) as_fail(as, "%s: result %lu", got, (unsigned long)result);
    return finish(as, result ? DS_ASSOC_ERROR_ANSWER : DS_ASSOC_OK, result, plain, n);
}

static int on_rlre(ds_assoc *as, const uint8_t *plain, size_t n)
{
    as->state = AS_CLOSED;
    if (plain[0] != DS_APDU_TAG_RLRE) return mismatch(as, plain, n, "%s where an RLRE was expected", ds_apdu_tag(plain[0])->service ? ds_apdu_tag(plain[0])->service : "an unknown APDU");
    return finish(as, DS_ASSOC_OK, 0, plain, n);
}

int as_client_receive(ds_assoc *as, const uint8_t *apdu, size_t n)
{
    const uint8_t *plain;
    size_t plain_len;
    int why;
    if (ds_apdu_tag(apdu[0])->role == DS_APDU_UNSOLICITED) return 0; /* a push is no answer */
    if (as->wait == AS_WAIT_NONE) return as_fail(as, "%s and no request waits for it", ds_apdu_tag(apdu[0])->service ? ds_apdu_tag(apdu[0])->service : "an unknown APDU");
    if (as_unwrap(as, apdu, n, &plain, &plain_len, &why)) return finish(as, DS_ASSOC_MISMATCH, 0, NULL, 0), -1;
    if (plain_len == 0) return mismatch(as, NULL, 0, "%s", "an empty APDU");
    if (plain != as->rx) {
        memcpy(as->rx, plain, plain_len);
        plain = as->rx;
    }
    if (as->trace) as->trace(as->trace_user, 0, plain, plain_len);
    ds_value *tree = as_decode(as, plain, plain_len);
    if (!tree) {
        char why_text[AS_ERROR_MAX];
        memcpy(why_text, as->error, sizeof why_text);
        return mismatch(as, plain, plain_len, "%s", why_text);
    }
    switch (as->wait) {
    case AS_WAIT_AARE: return on_aare(as, tree, plain, plain_len);
    case AS_WAIT_HLS: return on_hls_answer(as, tree, plain, plain_len);
    case AS_WAIT_RLRE: return on_rlre(as, plain, plain_len);
    default: return on_service_answer(as, tree, plain, plain_len);
    }
}
