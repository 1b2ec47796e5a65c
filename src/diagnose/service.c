/* Requests and their answers: which request an answer belongs to, the association (AARQ/AARE),
 * and every error result in words with its usual cause. The result names are the decoder's
 * (apdu/enums.c); this file adds what they mean and what to do. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apdu/apdu_tags.h"
#include "apdu/enums.h"
#include "diagnose/diagnose_int.h"

#define CLASS_DISCONNECT_CONTROL 70
#define CLASS_IMAGE_TRANSFER 18
#define IIP_CONFIRMED 0x40  /* invoke-id-and-priority: service-class bit, 1 = confirmed */
#define IIP_INVOKE_ID 0x0F
#define IIP_PRIORITY 0x80   /* 1 = high; the server copies it with the invoke-id (REFERENCE.md 10.3) */

const char *dg_data_access_name(uint32_t v)
{
    const char *n = ds_enum_name(DS_DATA_ACCESS_RESULT, v);
    return n ? n : "unknown";
}

const char *dg_action_result_name(uint32_t v)
{
    const char *n = ds_enum_name(DS_ACTION_RESULT, v);
    return n ? n : "unknown";
}

/* What a data-access-result or action-result usually means (the two share their values) */
const char *dg_result_hint(uint32_t v)
{
    switch (v) {
    case 1: return "the meter could not carry it out (hardware, storage, a state that does not allow it); retry, "
                   "and read the object's status attributes to see what was done";
    case 2: return "the meter is busy (e.g. writing flash, another operation running); wait and retry the same "
                   "request";
    case 3: return "the association's access rights do not allow it: use the client address (SAP) and "
                   "authentication level that have the right (often HLS instead of LOW), see the association's "
                   "object list (0.0.40.0.0.255, attribute 2)";
    case 4: return "the meter has no such object, attribute or method: check the OBIS code, class and index "
                   "against the association's object list";
    case 9: return "the class id does not match the object with this OBIS code: use the class the object list gives";
    case 11: return "the object exists but cannot be used now (e.g. a profile being reset); retry later";
    case 12: return "the value or parameter has the wrong data type: use the type the attribute or method expects";
    case 13: return "scope of access violated: this association may not use the object that way; use a client "
                    "with the right, or a higher authentication level";
    case 14: case 15: case 16: case 17: case 18: case 19:
        return "block transfer out of step: restart the long get/set/action from its first block";
    case 250: return "the meter gives no reason: check the value sent against the object's description and the "
                     "meter's manual";
    default: return "";
    }
}

/* ---- requests ---------------------------------------------------------------------------------- */

void dg_ref_text(const dg_request *r, char *out, size_t size)
{
    const char *kind = r->tag == DS_APDU_TAG_ACTION_REQUEST ? "method" : "attribute";
    if (!r->has_ref) {
        const char *svc = ds_apdu_tag(r->tag)->service;
        snprintf(out, size, "%s", svc ? svc : "request");
        return;
    }
    snprintf(out, size, "class %u %u.%u.%u.%u.%u.%u %s %u", r->class_id, r->obis[0], r->obis[1], r->obis[2],
             r->obis[3], r->obis[4], r->obis[5], kind, r->id);
}

static void add_ref_fields(dg_finding *b, const dg_request *r)
{
    if (!r || !r->has_ref) return;
    char obis[32];
    snprintf(obis, sizeof obis, "%u.%u.%u.%u.%u.%u", r->obis[0], r->obis[1], r->obis[2], r->obis[3], r->obis[4],
             r->obis[5]);
    dg_num(b, "class_id", r->class_id);
    dg_str(b, "obis", obis);
    dg_num(b, r->tag == DS_APDU_TAG_ACTION_REQUEST ? "method" : "attribute", r->id);
}

static void no_answer(dg_conv *c, const dg_request *r, const char *why, ds_severity sev)
{
    dg_finding b;
    char ref[80];
    dg_ref_text(r, ref, sizeof ref);
    dg_begin(&b, c, DG_SERVICE_NO_ANSWER, sev);
    dg_at(&b, r->frame, r->offset);
    const char *svc = ds_apdu_tag(r->tag)->service;
    if (r->has_ref) dg_message(&b, "%s (%s) got no answer %s", svc ? svc : "request", ref, why);
    else dg_message(&b, "%s got no answer %s", svc ? svc : "request", why);
    dg_hint(&b, "the meter did not answer in time or its answer was lost: a timeout shorter than the meter's "
                "answer time, a request it silently drops (wrong address, ciphered with wrong keys, outside an "
                "association), or a link that broke down");
    /* the link's refusal after the request is its answer, in HDLC's terms */
    if (c->refusal && c->refusal_frame > r->frame)
        dg_hint_add(&b, "Usual cause here: the link refused it: %s at frame %llu (see link.%s).", c->refusal,
                    (unsigned long long)c->refusal_frame, c->refusal[0] == 'F' ? "frmr" : "dm");
    if (r->invoke >= 0) dg_num(&b, "invoke_id", (uint64_t)r->invoke);
    add_ref_fields(&b, r);
    dg_emit(&b);
}

/* The same request again: same service and, where both name one, the same object and attribute
 * or method (a retry after a timeout) */
static int same_request(const dg_request *a, const dg_request *b)
{
    if (a->tag != b->tag || a->has_ref != b->has_ref) return 0;
    return !a->has_ref ||
           (a->class_id == b->class_id && memcmp(a->obis, b->obis, sizeof a->obis) == 0 && a->id == b->id);
}

/* A request given up when `next` was sent is kept (the oldest dropped past DG_PENDING_MAX), so
 * that its answer, if it comes after all, is known by its invoke-id as a late one */
static void give_up(dg_conv *c, const dg_request *old, const dg_request *next)
{
    if (old->invoke < 0) return;
    if (c->ngiven_up == DG_PENDING_MAX) {
        memmove(&c->given_up[0], &c->given_up[1], (DG_PENDING_MAX - 1) * sizeof c->given_up[0]);
        c->ngiven_up--;
    }
    dg_request *g = &c->given_up[c->ngiven_up++];
    *g = *old;
    g->next_frame = next->frame;
    g->next_invoke = next->invoke;
    g->sent_again = same_request(old, next);
}

static void add_pending(dg_conv *c, const dg_request *r)
{
    for (size_t i = 0; i < c->npending; i++) {
        no_answer(c, &c->pending[i], "before the next request", DS_SEV_WARNING);
        give_up(c, &c->pending[i], r);
    }
    c->npending = 0;
    c->pending[c->npending++] = *r;
}

static void drop_pending(dg_conv *c, size_t i)
{
    memmove(&c->pending[i], &c->pending[i + 1], (c->npending - i - 1) * sizeof c->pending[0]);
    c->npending--;
}

/* Does a request of this tag take an answer of the service t (exception-response and
 * confirmed-service-error answer any)? */
static int answered_by(const dg_request *r, const ds_apdu_tag_info *t, int any)
{
    return any || r->tag == t->answers;
}

/* The outstanding request an answer with this invoke-id belongs to: one with the same
 * invoke-id-and-priority byte first, then the same invoke-id, and an unknown id on either side
 * matches; c->npending when none */
static size_t pending_by_invoke(const dg_conv *c, const ds_apdu_tag_info *t, int any, int invoke, int iip)
{
    size_t same_id = c->npending;
    for (size_t i = 0; i < c->npending; i++) {
        const dg_request *p = &c->pending[i];
        if (!answered_by(p, t, any)) continue;
        if (invoke < 0 || p->invoke < 0) return i;
        if (iip >= 0 && p->iip == iip) return i;
        if (p->invoke == invoke && same_id == c->npending) same_id = i;
    }
    return same_id;
}

/* The server copies the priority bit with the invoke-id (REFERENCE.md 10.3): an answer paired by
 * its invoke-id whose priority is not the request's is said (a warning: it is still the answer) */
static void priority_not_copied(dg_conv *c, const ds_apdu_tag_info *t, int iip, const dg_request *r)
{
    if (iip < 0 || r->iip < 0 || ((iip ^ r->iip) & IIP_PRIORITY) == 0) return;
    dg_finding b;
    dg_begin(&b, c, DG_SERVICE_INVOKE_ID, DS_SEV_WARNING);
    dg_message(&b, "%s with invoke-id-and-priority 0x%02X answers a request with 0x%02X (frame %llu): the invoke-id "
                   "is the request's, the priority (%s) is not",
               t->service ? t->service : "response", (unsigned)iip, (unsigned)r->iip, (unsigned long long)r->frame,
               iip & IIP_PRIORITY ? "high" : "normal");
    dg_hint(&b, "the meter should copy the invoke-id and the priority bit of the request into its answer; a client "
                "that checks the whole byte will drop this answer");
    dg_num(&b, "invoke_id", (uint64_t)(iip & IIP_INVOKE_ID));
    dg_num(&b, "request_invoke_id", (uint64_t)r->invoke);
    dg_num(&b, "request_frame", r->frame);
    dg_emit(&b);
}

/* An answer whose invoke-id is that of a request given up earlier (no answer came before the next
 * request): the late answer to it. That request is copied to *out and forgotten; 1, or 0 when
 * none has the invoke-id. */
static int late_answer(dg_conv *c, const ds_apdu_tag_info *t, int any, int invoke, dg_request *out)
{
    if (invoke < 0) return 0;
    size_t i = 0;
    while (i < c->ngiven_up && !(answered_by(&c->given_up[i], t, any) && c->given_up[i].invoke == invoke)) i++;
    if (i == c->ngiven_up) return 0;
    *out = c->given_up[i];
    memmove(&c->given_up[i], &c->given_up[i + 1], (c->ngiven_up - i - 1) * sizeof c->given_up[0]);
    c->ngiven_up--;
    char ref[80];
    dg_ref_text(out, ref, sizeof ref);
    const char *req = ds_apdu_tag(out->tag)->service;
    dg_finding b;
    dg_begin(&b, c, DG_SERVICE_LATE_ANSWER, DS_SEV_WARNING);
    dg_message(&b, "%s with invoke-id %d is the late answer to the %s (%s) of frame %llu, given up when %s was sent "
                   "at frame %llu",
               t->service ? t->service : "response", invoke, req ? req : "request", ref,
               (unsigned long long)out->frame, out->sent_again ? "the same request" : "the next request",
               (unsigned long long)out->next_frame);
    dg_hint(&b, "the meter answered after the client stopped waiting: a client timeout shorter than the meter's "
                "answer time (lengthen it); a client must drop an answer whose invoke-id is not the one it waits for");
    if (out->next_invoke == invoke)
        dg_hint_add(&b, "The request of frame %llu has the same invoke-id, so which of the two answers is the late "
                        "one cannot be told from the trace: a client should give each request its own invoke-id.",
                    (unsigned long long)out->next_frame);
    dg_num(&b, "invoke_id", (uint64_t)invoke);
    dg_num(&b, "request_frame", out->frame);
    dg_num(&b, "next_request_frame", out->next_frame);
    add_ref_fields(&b, out);
    dg_emit(&b);
    return 1;
}

/* The request an answer belongs to (copied to *out and removed); 0 none. By invoke-id (and
 * priority) where both carry one: an outstanding request with it, else a request given up
 * earlier (a late answer, said here), else the outstanding request of that service with another
 * invoke-id (the mismatch said here). invoke: the answer's invoke-id, iip its whole
 * invoke-id-and-priority byte (GET/SET/ACTION); -1 when it has none. */
static int take_pending(dg_conv *c, uint8_t resp_tag, int invoke, int iip, dg_request *out)
{
    const ds_apdu_tag_info *t = ds_apdu_tag(resp_tag);
    int any = resp_tag == DS_APDU_TAG_EXCEPTION_RESPONSE || resp_tag == DS_APDU_TAG_CONFIRMED_SERVICE_ERROR;
    size_t found = pending_by_invoke(c, t, any, invoke, iip);
    if (found < c->npending) {
        *out = c->pending[found];
        drop_pending(c, found);
        priority_not_copied(c, t, iip, out);
        return 1;
    }
    if (late_answer(c, t, any, invoke, out)) return 1;
    for (found = 0; found < c->npending && !answered_by(&c->pending[found], t, any); found++) continue;
    if (found == c->npending) {
        dg_finding b;
        dg_begin(&b, c, DG_SERVICE_UNANSWERED, DS_SEV_WARNING);
        dg_message(&b, "%s without a request before it", t->service ? t->service : "response");
        dg_hint(&b, "the trace starts after the request, the request was in a frame that did not decode, or the "
                    "meter answers a request that was sent earlier (a late answer after a retry)");
        if (invoke >= 0) dg_num(&b, "invoke_id", (uint64_t)invoke);
        dg_emit(&b);
        return 0;
    }
    *out = c->pending[found];
    drop_pending(c, found);
    dg_finding b;
    dg_begin(&b, c, DG_SERVICE_INVOKE_ID, DS_SEV_ERROR);
    dg_message(&b, "%s with invoke-id %d answers a request with invoke-id %d (frame %llu)",
               t->service ? t->service : "response", invoke, out->invoke, (unsigned long long)out->frame);
    dg_hint(&b, "the answer belongs to another (earlier) request: the client gave up waiting and sent a new "
                "one, so request and answer are out of step; a client should drop answers whose invoke-id "
                "is not the one it waits for");
    dg_num(&b, "invoke_id", (uint64_t)invoke);
    dg_num(&b, "request_invoke_id", (uint64_t)out->invoke);
    dg_num(&b, "request_frame", out->frame);
    dg_emit(&b);
    return 1;
}

/* The invoke-id-and-priority byte of a GET/SET/ACTION request or answer (the short form);
 * -1 for the others (ACCESS and the notifications have the long form) and when absent */
static int iip_of(uint8_t tag, const ds_value *apdu)
{
    uint32_t iip;
    int short_form = tag == DS_APDU_TAG_GET_REQUEST || tag == DS_APDU_TAG_SET_REQUEST ||
                     tag == DS_APDU_TAG_ACTION_REQUEST || tag == DS_APDU_TAG_GET_RESPONSE ||
                     tag == DS_APDU_TAG_SET_RESPONSE || tag == DS_APDU_TAG_ACTION_RESPONSE;
    if (!short_form || !apdu || ds_value_invoke_id(apdu, &iip) || iip > 0xFF) return -1;
    return (int)iip;
}

static int invoke_of(const ds_value *apdu)
{
    uint32_t iip;
    if (ds_value_invoke_id(apdu, &iip)) return -1;
    return (int)(iip & IIP_INVOKE_ID);
}

/* Disconnect control methods take integer(0) (remote_disconnect, remote_reconnect) */
static int disconnect_param_ok(const ds_value *apdu)
{
    const ds_value *params = ds_value_find_any(apdu, "MethodInvocationParameters");
    const ds_value *d = params ? ds_value_data(params) : NULL;
    return d && d->kind == DS_VALUE_DATA && d->tag == DS_DATA_INTEGER && d->i == 0;
}

static const char *data_type_text(const ds_value *apdu)
{
    const ds_value *params = ds_value_find_any(apdu, "MethodInvocationParameters");
    const ds_value *d = params ? ds_value_data(params) : NULL;
    if (!d) return "no parameter";
    switch (d->tag) {
    case DS_DATA_INTEGER: return "integer, not 0";
    case DS_DATA_UNSIGNED: return "unsigned";
    case DS_DATA_ENUM: return "enum";
    case DS_DATA_BOOLEAN: return "boolean";
    case DS_DATA_NULL: return "null-data";
    case DS_DATA_LONG: return "long";
    case DS_DATA_LONG_UNSIGNED: return "long-unsigned";
    default: return "another data type";
    }
}

static void method_parameter(dg_conv *c, const dg_request *r, const ds_value *apdu)
{
    dg_finding b;
    dg_begin(&b, c, DG_APP_METHOD_PARAMETER, DS_SEV_WARNING);
    dg_message(&b, "disconnect control method %u called with %s", r->id, data_type_text(apdu));
    dg_hint(&b, "remote_disconnect (method 1) and remote_reconnect (method 2) take integer(0) (data type 0F, "
                "value 00); many meters refuse anything else with type-unmatched or other-reason");
    add_ref_fields(&b, r);
    dg_emit(&b);
}

/* An ACTION request in parameter blocks: the first block names the method, the later ones only
 * carry on its raw data. Each block request takes the first one's method (so that an answer or
 * an exception in between is said of it); once the last block is in, the joined bytes are the
 * method's parameter (one A-XDR Data), and an image_block_transfer is counted with that last
 * request, whose answer is the method's result. 1 when v was such a block. */
static int action_pblock(dg_conv *c, dg_request *r, const ds_apdu_event *ev)
{
    const ds_value *pb = ds_value_find_any(ev->value, "PBlock");
    if (!pb) return 0;
    const ds_value *last = ds_value_find_any(pb, "LastBlock"), *num = ds_value_find_any(pb, "BlockNumber");
    const ds_value *raw = ds_value_find_any(pb, "RawData");
    if (r->has_ref) {
        c->pblock_ref = *r;
        c->pblock_has_ref = 1;
    } else if (c->pblock_has_ref) {
        r->has_ref = 1;
        r->class_id = c->pblock_ref.class_id;
        memcpy(r->obis, c->pblock_ref.obis, sizeof r->obis);
        r->id = c->pblock_ref.id;
    }
    if (!last || !num || !raw || num->u > UINT32_MAX) return 1;
    if (!c->pblock_join_used) ds_block_join_init_growing(&c->pblock_join, DG_PBLOCK_MAX), c->pblock_join_used = 1;
    ds_block_step st = ds_block_join_take(&c->pblock_join, (uint32_t)num->u, last->u != 0, raw->bytes, raw->len);
    if (st.outcome != DS_BLOCK_COMPLETE) return 1;
    uint8_t *whole = NULL;
    size_t n = ds_block_join_detach(&c->pblock_join, &whole);
    c->pblock_has_ref = 0;
    if (r->has_ref && r->class_id == CLASS_IMAGE_TRANSFER && whole) {
        /* the parameter's nodes cannot outnumber its bytes */
        ds_value_arena *a = ds_value_arena_new(n + 1, n + 1);
        ds_value *param = NULL;
        size_t used = 0;
        if (a && ds_value_decode_data(a, whole, n, &used, &param, NULL) == 0 && param)
            dg_image_request(c, r, param, ev->len);
        ds_value_arena_free(a);
    }
    free(whole);
    return 1;
}

void dg_service_free(dg_conv *c)
{
    if (c->pblock_join_used) ds_block_join_free(&c->pblock_join);
    c->pblock_join_used = 0;
}

static void request(dg_conv *c, uint8_t tag, const ds_apdu_event *ev, int invoke)
{
    dg_request r;
    memset(&r, 0, sizeof r);
    r.tag = tag;
    r.invoke = invoke;
    r.iip = invoke < 0 ? -1 : iip_of(tag, ev->value);
    r.frame = c->frame;
    r.offset = ev->offset;
    r.image_block = -1;
    const ds_value *v = ev->value;
    if (v && ds_value_class_id(v, &r.class_id) == 0 && ds_value_instance_id(v, r.obis) == 0 &&
        ds_value_attribute_id(v, &r.id) == 0)
        r.has_ref = 1;
    if (v && tag == DS_APDU_TAG_ACTION_REQUEST && action_pblock(c, &r, ev)) {
        /* counted when its last block is in */
    } else if (r.has_ref && tag == DS_APDU_TAG_ACTION_REQUEST && r.class_id == CLASS_DISCONNECT_CONTROL &&
        (r.id == 1 || r.id == 2) && !disconnect_param_ok(v)) {
        r.param_bad = 1;
        method_parameter(c, &r, v);
    } else if (r.has_ref && r.class_id == CLASS_IMAGE_TRANSFER) {
        dg_image_request(c, &r, v, ev->len);
    }
    if (v) {
        uint32_t iip;
        /* an unconfirmed get/set/action waits for nothing */
        if (ds_value_invoke_id(v, &iip) == 0 && !(iip & IIP_CONFIRMED) && tag != DS_APDU_TAG_ACCESS_REQUEST) return;
    }
    add_pending(c, &r);
}

/* ---- answers ----------------------------------------------------------------------------------- */

/* The usual cause of a refused method or attribute, where the trace shows it */
static void usual_cause(dg_conv *c, dg_finding *b, const dg_request *r, uint32_t result)
{
    if (!r || !r->has_ref) return;
    /* refusals that access rights explain (not a wrong type or a failure in the meter) */
    int refused = result == 3 || result == 4 || result == 13 || result == 250;
    if (r->class_id == CLASS_DISCONNECT_CONTROL && r->tag == DS_APDU_TAG_ACTION_REQUEST) {
        if (r->param_bad)
            dg_hint_add(b, "Usual cause here: the method's parameter was not integer(0) (see app.method-parameter).");
        if (refused && c->mechanism >= 0 && c->mechanism <= 1)
            dg_hint_add(b, "Usual cause here: the association is %s (mechanism %d), and disconnect control methods "
                           "are normally open only to an HLS association (e.g. the management client with HLS-GMAC); "
                           "associate with HLS to operate the disconnector.",
                        c->mechanism == 1 ? "LOW" : "without authentication", c->mechanism);
    } else if (r->class_id == CLASS_IMAGE_TRANSFER && r->tag == DS_APDU_TAG_ACTION_REQUEST && r->id == 1) {
        dg_image_initiate_cause(b, result);
    } else if ((result == 3 || result == 13) && c->mechanism >= 0 && c->mechanism <= 1) {
        dg_hint_add(b, "This association is %s: the object may need HLS.",
                    c->mechanism == 1 ? "LOW" : "without authentication");
    }
}

static void result_finding(dg_conv *c, const dg_request *r, uint8_t tag, uint32_t result)
{
    dg_finding b;
    int action = tag == DS_APDU_TAG_ACTION_RESPONSE;
    const char *name = action ? dg_action_result_name(result) : dg_data_access_name(result);
    char ref[80] = "";
    if (r) dg_ref_text(r, ref, sizeof ref);
    dg_begin(&b, c, action ? DG_APP_ACTION : DG_APP_DATA_ACCESS, DS_SEV_ERROR);
    const char *svc = ds_apdu_tag(tag)->service;
    dg_message(&b, "%s: %s (%u)%s%s", svc ? svc : "response", name, (unsigned)result, r ? " for " : "", ref);
    dg_hint(&b, "%s", dg_result_hint(result));
    usual_cause(c, &b, r, result);
    dg_str(&b, "result", name);
    dg_num(&b, "result_value", result);
    add_ref_fields(&b, r);
    if (r) dg_num(&b, "request_frame", r->frame);
    dg_emit(&b);
}

static const char *exception_hint(uint32_t service_error)
{
    switch (service_error) {
    case 1: return "the meter cannot do it in its present state";
    case 2: return "the service is not in the negotiated conformance, or the meter does not know it: check the "
                   "conformance block of the AARE";
    case 4: return "the request is longer than the meter's max PDU size (AARE): use block transfer or shorter "
                   "requests";
    case 5: return "the meter could not decipher or authenticate the request: wrong keys (EK/AK), wrong system "
                   "title, or a security suite/policy it does not accept";
    case 6: return "the invocation counter is not above the last one the meter saw: read the meter's frame "
                   "counter (0.0.43.1.x.255) and continue above it";
    default: return "the meter refuses the request without saying more";
    }
}

static void exception(dg_conv *c, const ds_value *v, const dg_request *r)
{
    const ds_value *st = ds_value_find_any(v, "StateError");
    /* the service error is the CHOICE after the state error (unnamed: its tag is the value) */
    const ds_value *er = st ? st->next : NULL;
    uint32_t state = st ? (uint32_t)st->u : 0, service = er && er->kind == DS_VALUE_CHOICE ? er->tag : 0;
    const char *sn = ds_enum_name(DS_STATE_ERROR, state), *en = ds_enum_name(DS_EXCEPTION_SERVICE_ERROR, service);
    char ref[80] = "";
    if (r) dg_ref_text(r, ref, sizeof ref);
    dg_finding b;
    dg_begin(&b, c, DG_APP_EXCEPTION, DS_SEV_ERROR);
    dg_message(&b, "exception-response: state error %s, service error %s%s%s", sn ? sn : "unknown",
               en ? en : "unknown", r ? " for " : "", ref);
    if (state == 1)
        dg_hint(&b, "Service not allowed: the request came outside an association or in a state that does not take "
                    "it (before the AARE, after the release).");
    else if (state == 2)
        dg_hint(&b, "Service unknown to the meter.");
    dg_hint_add(&b, "%s", exception_hint(service));
    if (c->key_problem && (service == 5 || service == 6))
        dg_hint_add(&b, "Usual cause here: a key problem shown before it (%s).", c->key_problem);
    dg_str(&b, "state_error", sn ? sn : "unknown");
    dg_str(&b, "service_error", en ? en : "unknown");
    add_ref_fields(&b, r);
    dg_emit(&b);
}

/* ConfirmedServiceError's services (REFERENCE 7.3: only these three are used in DLMS) */
#define CSE_READ 5
#define CSE_WRITE 6
/* its ServiceError tags */
#define CSE_ERR_APPLICATION_REFERENCE 0
#define CSE_ERR_SERVICE 3
#define CSE_ERR_DEFINITION 4
#define CSE_ERR_ACCESS 5
#define CSE_ERR_INITIATE 6

/* The initiate error's values, with what REFERENCE gives as their cause (the xDLMS refusal of the
 * AARE, user-information 0E 01 06 x; a client-max-receive-pdu-size below 64, 0 included, for GX) */
static void initiate_error_hint(dg_finding *b, uint64_t value)
{
    switch (value) {
    case 1: dg_hint(b, "the DLMS version proposed in the InitiateRequest is below 6: propose version 6"); return;
    case 2:
        dg_hint(b, "the conformance block proposed and the meter's have no service in common: propose the services "
                   "the meter offers");
        return;
    case 3:
        dg_hint(b, "the client-max-receive-pdu-size proposed in the InitiateRequest is below the meter's minimum "
                   "(64 for Gurux's server, which refuses 0 too): propose a larger one");
        return;
    default:
        dg_hint(b, "the meter refuses the association's xDLMS part: DLMS version (6), conformance the meter does "
                   "not offer, or a max PDU size below its minimum; with ciphering, a wrong key or title also "
                   "ends here (the InitiateRequest cannot be deciphered)");
        if (value == 0) dg_hint_add(b, "Gurux's server gives this value (other) for a client it does not know.");
    }
}

/* A short-name read or write refused: the short name or the access rights (REFERENCE 3.4, 8.5) */
static void read_write_hint(dg_finding *b, uint32_t service, uint32_t err_tag, uint64_t value)
{
    if (err_tag == CSE_ERR_DEFINITION)
        dg_hint(b, "the short name is not an attribute or method of an object the meter has: attribute n of the "
                   "object with base name B is B + 8*(n-1), method m is B + the class's first method offset + "
                   "8*(m-1); take the base names from the meter's object list");
    else if (err_tag == CSE_ERR_ACCESS && (value == 1 || value == 2))
        dg_hint(b, "the access rights this association has to the object do not allow the %s: its access_mode in "
                   "the object list's access_rights must be %s (0 no access, 1 read, 2 write, 3 read-write, 4 to 6 "
                   "the same authenticated)",
                service == CSE_READ ? "read" : "write", service == CSE_READ ? "1, 3, 4 or 6" : "2, 3, 5 or 6");
    else
        dg_hint(b, "the meter refuses the service (short-name read/write or initiate)");
}

static void confirmed_service_error(dg_conv *c, const ds_value *cse)
{
    const ds_value *svc = ds_value_find_any(cse, "Service");
    const ds_value *err = ds_value_find_any(cse, "ServiceError");
    const ds_value *val = err ? err->child : NULL;
    const char *sname = svc ? ds_enum_name(DS_CSE_SERVICE, (uint32_t)svc->u) : NULL;
    const char *ename = val && val->kind == DS_VALUE_ENUM ? ds_value_enum_name(val) : NULL;
    uint32_t service = svc ? (uint32_t)svc->u : 0, tag = err ? err->tag : UINT32_MAX;
    uint64_t value = val && val->kind == DS_VALUE_ENUM ? val->u : UINT64_MAX;
    dg_finding b;
    dg_begin(&b, c, DG_APP_CSE, DS_SEV_ERROR);
    dg_message(&b, "confirmed-service-error: service %s, error %s", sname ? sname : "unknown",
               ename ? ename : "unknown");
    if (tag == CSE_ERR_INITIATE) {
        initiate_error_hint(&b, value);
    } else if (tag == CSE_ERR_APPLICATION_REFERENCE && value == 6) {
        dg_hint(&b, "deciphering error: the meter could not decipher the request (wrong EK/AK or system title)");
    } else if (tag == CSE_ERR_SERVICE && value == 1) {
        dg_hint(&b, "the request is longer than the server-max-receive-pdu-size of the InitiateResponse (the "
                    "longest APDU the client may send): send shorter requests, or in blocks where block transfer "
                    "was negotiated");
    } else if (tag == CSE_ERR_SERVICE && value == 2) {
        dg_hint(&b, "the meter does not take this service here: Gurux's server answers so (0E 01 03 02) to a "
                    "short-name request sent before the association exists; associate (AARQ) first");
        if (c->end == DG_END_RELEASED || c->end == DG_END_REJECTED)
            dg_hint_add(&b, "Usual cause here: the association was %s before it (frame %llu).",
                        c->end == DG_END_RELEASED ? "released" : "refused", (unsigned long long)c->end_frame);
    } else if (service == CSE_READ || service == CSE_WRITE) {
        read_write_hint(&b, service, tag, value);
    } else {
        dg_hint(&b, "the meter refuses the service (short-name read/write or initiate)");
    }
    dg_str(&b, "service", sname ? sname : "unknown");
    dg_str(&b, "error", ename ? ename : "unknown");
    dg_emit(&b);
}

static const char *acse_hint(int diag)
{
    switch (diag) {
    case 1: return "the meter gives no reason: check the client address (SAP), the application context (LN or "
                   "SN, ciphered or not), the mechanism and the password or keys";
    case 2: return "the meter wants another application context: with or without ciphering (LN vs "
                   "LN_WITH_CIPHERING), or LN vs SN referencing";
    case 3: return "the calling AP title (the client's system title) is not known to the meter";
    case 11: return "the meter does not know this authentication mechanism for this client";
    case 12: return "this client address needs authentication: give a mechanism (LOW password or HLS)";
    case 13: return "authentication failure: the password (LOW) or the HLS secret or keys differ from the meter's; "
                    "a key typed as text instead of hex is a common cause";
    case 14: return "authentication required: this client address needs a higher authentication level (e.g. HLS "
                    "instead of LOW or none)";
    default: return "the association was refused";
    }
}

/* The security control of a ciphered xDLMS initiate in the AARQ's or AARE's user-information: the
 * first byte of its value (the decoder does not hand it over as an APDU of its own). Its plaintext,
 * when the keys read it, came just before (handle()); else it is a ciphered APDU not read. */
static void user_information_security(dg_conv *c, const ds_apdu_event *ev)
{
    const ds_value *v = ev->value;
    static const char *const names[] = {"glo_InitiateRequest", "ded_InitiateRequest", "glo_InitiateResponse",
                                        "ded_InitiateResponse"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const ds_value *u = ds_value_find_any(v, names[i]);
        if (u && u->bytes && u->len > 0) {
            c->sc = u->bytes[0];
            c->sc_seen = 1;
            if (!(c->initiate_read && c->initiate_read_frame == ev->frame))
                dg_security_unread_initiate(c, ev->frame, ev->offset); /* at the AARQ or AARE */
            return;
        }
    }
}

static void association_request(dg_conv *c, const ds_apdu_event *ev)
{
    const ds_value *v = ev->value;
    c->associations++;
    c->has_aarq = 1;
    c->has_aare = 0;
    c->assoc_result = c->assoc_diag = -1;
    const ds_value *ctx = ds_value_find_any(v, "ApplicationContextName");
    c->context = ctx && ctx->len > 0 && ctx->bytes ? ctx->bytes[ctx->len - 1] : -1;
    c->mechanism = ev->session->mechanism;
    c->end = DG_END_OPEN;
    user_information_security(c, ev);
}

static void association_response(dg_conv *c, const ds_apdu_event *ev)
{
    const ds_value *v = ev->value;
    c->has_aare = 1;
    const ds_value *res = ds_value_find_any(v, "AssociationResult");
    const ds_value *user = ds_value_find_any(v, "ACSEServiceUser");
    const ds_value *prov = ds_value_find_any(v, "ACSEServiceProvider");
    c->assoc_result = res ? (int)res->u : -1;
    c->assoc_diag = user ? (int)user->u : -1;
    user_information_security(c, ev);
    if (c->context < 0) {
        const ds_value *ctx = ds_value_find_any(v, "ApplicationContextName");
        if (ctx && ctx->len > 0 && ctx->bytes) c->context = ctx->bytes[ctx->len - 1];
    }
    const ds_value *cse = ds_value_find_any(v, "ConfirmedServiceError");
    if (cse) confirmed_service_error(c, cse);
    if (c->assoc_result <= 0) return;
    c->end = DG_END_REJECTED;
    c->end_frame = c->frame;
    const char *rn = ds_enum_name(DS_ASSOCIATION_RESULT, (uint32_t)c->assoc_result);
    const char *dn = user ? ds_enum_name(DS_ACSE_USER_DIAG, (uint32_t)user->u)
                          : prov ? ds_enum_name(DS_ACSE_PROVIDER_DIAG, (uint32_t)prov->u) : NULL;
    dg_finding b;
    dg_begin(&b, c, DG_ASSOC_REJECTED, DS_SEV_ERROR);
    dg_message(&b, "the association was refused: %s, %s", rn ? rn : "rejected", dn ? dn : "no diagnostic");
    dg_hint(&b, "%s", user ? acse_hint((int)user->u) : "the ACSE provider refused the association");
    if (c->mechanism >= 0) {
        const char *mn = ds_enum_name(DS_MECHANISM, (uint32_t)c->mechanism);
        dg_hint_add(&b, "The AARQ asked for mechanism %s (%d).", mn ? mn : "?", c->mechanism);
    }
    if (c->key_problem) dg_hint_add(&b, "Usual cause here: a key problem shown before it (%s).", c->key_problem);
    dg_str(&b, "result", rn ? rn : "rejected");
    dg_str(&b, "diagnostic", dn ? dn : "");
    if (c->mechanism >= 0) dg_num(&b, "mechanism", (uint64_t)c->mechanism);
    dg_emit(&b);
}

static void response(dg_conv *c, uint8_t tag, const ds_apdu_event *ev, int invoke)
{
    dg_request r;
    int have = take_pending(c, tag, invoke, invoke < 0 ? -1 : iip_of(tag, ev->value), &r);
    const ds_value *v = ev->value;
    if (tag == DS_APDU_TAG_EXCEPTION_RESPONSE) {
        exception(c, v, have ? &r : NULL);
        return;
    }
    if (tag == DS_APDU_TAG_CONFIRMED_SERVICE_ERROR) {
        confirmed_service_error(c, v);
        return;
    }
    if (tag == DS_APDU_TAG_AARE) {
        association_response(c, ev);
        return;
    }
    if (tag == DS_APDU_TAG_RLRE) {
        c->end = DG_END_RELEASED;
        c->end_frame = c->frame;
        return;
    }
    if (tag != DS_APDU_TAG_GET_RESPONSE && tag != DS_APDU_TAG_SET_RESPONSE && tag != DS_APDU_TAG_ACTION_RESPONSE)
        return;
    uint32_t result = 0;
    if (!v || ds_value_result(v, &result)) return;
    /* the image transfer's own steps (block, verify, activate) are said by image.c, in its terms */
    int image_step = have && r.has_ref && r.class_id == CLASS_IMAGE_TRANSFER && tag == DS_APDU_TAG_ACTION_RESPONSE &&
                     r.id >= 2 && r.id <= 4;
    if (result != 0 && !image_step) result_finding(c, have ? &r : NULL, tag, result);
    if (have && r.has_ref && r.class_id == CLASS_IMAGE_TRANSFER) dg_image_response(c, &r, result, v);
}

/* ---- APDUs --------------------------------------------------------------------------------------- */

static void handle(dg_conv *c, uint8_t tag, const ds_apdu_event *ev)
{
    const ds_apdu_tag_info *t = ds_apdu_tag(tag);
    if (tag == DS_APDU_TAG_AARQ) {
        dg_security_association(c);
        if (ev->value) association_request(c, ev);
    } else if (tag == DS_APDU_TAG_INITIATE_REQUEST || tag == DS_APDU_TAG_INITIATE_RESPONSE) {
        /* the plaintext of a ciphered AARQ's or AARE's user-information: the session has it */
        if (ev->source == DS_APDU_FROM_DECIPHERED) c->initiate_read = 1, c->initiate_read_frame = ev->frame;
        return;
    }
    /* a request that does not decode is not waited for: bytes that only look like one (noise
     * on a line at the wrong setting) would make false no-answer findings; its diagnostic says
     * what is wrong with it */
    if (t->role == DS_APDU_REQUEST && ev->value_error) return;
    if (t->role != DS_APDU_REQUEST && t->role != DS_APDU_RESPONSE) return; /* pushes: counted only */
    int invoke = ev->value ? invoke_of(ev->value) : -1;
    if (t->role == DS_APDU_REQUEST && t->confirmed) request(c, tag, ev, tag == DS_APDU_TAG_AARQ ? -1 : invoke);
    else if (t->role == DS_APDU_RESPONSE) response(c, tag, ev, invoke);
}

/* The security control byte of a ciphered APDU: after the tag and length (service-specific
 * glo/ded), or after the system title and length (general-glo/ded). */
static void security_control(dg_conv *c, const uint8_t *p, size_t n)
{
    size_t i = 1;
    uint8_t prot = ds_apdu_tag(p[0])->protection;
    if (prot == DS_APDU_GENERAL_GLO || prot == DS_APDU_GENERAL_DED) {
        if (i >= n) return;
        i += 1 + (size_t)p[i]; /* system title */
    } else if (prot != DS_APDU_GLO && prot != DS_APDU_DED) {
        return;
    }
    if (i >= n) return;
    if (p[i] & 0x80) i += 1 + (p[i] & 0x7F); /* a long length form */
    else i += 1;
    if (i >= n) return;
    c->sc = p[i];
    c->sc_seen = 1;
}

/* A ciphered APDU whose plaintext did not follow (no keys, or it did not decipher): paired by
 * its plain tag, without invoke-id. */
void dg_service_flush_stash(dg_conv *c)
{
    if (!c->stash) return;
    c->stash = 0;
    dg_security_unread(c, c->stash_offset);
    uint8_t plain = ds_apdu_tag(c->stash_tag)->plain;
    const ds_apdu_tag_info *t = ds_apdu_tag(plain);
    if (!plain || !t->confirmed) return;
    ds_session_view view;
    memset(&view, 0, sizeof view);
    view.mechanism = c->mechanism;
    ds_apdu_event ev = {.offset = c->stash_offset, .session = &view};
    if (t->role == DS_APDU_REQUEST) request(c, plain, &ev, -1);
    else if (t->role == DS_APDU_RESPONSE) response(c, plain, &ev, -1);
}

void dg_service_apdu(dg_conv *c, const ds_apdu_event *ev)
{
    if (ev->len == 0) return;
    c->xdlms = ev->session->negotiated;
    uint8_t tag = ev->apdu[0];
    if (ev->source == DS_APDU_FROM_DECIPHERED && c->stash && ev->offset == c->stash_offset) {
        c->stash = 0; /* the plaintext is here: it is the one to pair */
    } else {
        dg_service_flush_stash(c);
    }
    c->services[tag]++;
    /* a ciphered APDU as it came (in a frame, or joined from GBT blocks), its plaintext next */
    if ((ev->source == DS_APDU_FROM_FRAME || ev->source == DS_APDU_FROM_REASSEMBLED) && ds_apdu_tag_is_ciphered(tag)) {
        security_control(c, ev->apdu, ev->len);
        dg_security_ciphered(c, ev);
        c->stash = 1;
        c->stash_tag = tag;
        c->stash_offset = ev->offset;
        return;
    }
    handle(c, tag, ev);
}

void dg_service_end(dg_conv *c)
{
    for (size_t i = 0; i < c->npending; i++)
        no_answer(c, &c->pending[i], "before the trace ends", DS_SEV_WARNING);
    c->npending = 0;
}
