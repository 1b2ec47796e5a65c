/* The association machine: what both roles share. Settings, the arena, ciphering and
 * deciphering by the policy, the ACSE fields read from and written to value trees, challenges.
 *
 * Nothing here writes PDU bytes by hand: APDUs are built as value trees (dlmscope/value.h)
 * from the descriptions and encoded by the library, ciphered with dlmscope/cipher.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apdu/apdu_tags.h"
#include "conn/assoc_int.h"

#define AS_DEFAULT_NODES 200000u
#define AS_BYTES_PER_NODE 16u

int as_fail(ds_assoc *as, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(as->error, sizeof as->error, fmt, ap);
    va_end(ap);
    return -1;
}

static size_t copy_bounded(uint8_t *dst, size_t cap, const uint8_t *src, size_t n)
{
    if (!src) return 0;
    if (n > cap) n = cap;
    memcpy(dst, src, n);
    return n;
}

void as_take_settings(ds_assoc *as, const ds_assoc_settings *s)
{
    as->s = *s;
    as->s.secret_len = copy_bounded(as->secret, sizeof as->secret, s->secret, s->secret_len);
    as->s.secret = as->secret;
    as->has_own_title = s->own_title != NULL;
    if (s->own_title) memcpy(as->own_title, s->own_title, DS_HLS_TITLE_LEN);
    as->s.own_title = as->has_own_title ? as->own_title : NULL;
    as->has_keys = s->keys != NULL;
    if (s->keys) as->keys = *s->keys;
    else memset(&as->keys, 0, sizeof as->keys);
    as->s.keys = as->has_keys ? &as->keys : NULL;
    as->s.ecdsa_priv_len = copy_bounded(as->ecdsa_priv, sizeof as->ecdsa_priv, s->ecdsa_priv, s->ecdsa_priv_len);
    as->s.ecdsa_priv = as->ecdsa_priv;
    as->s.peer_pub_len = copy_bounded(as->peer_pub, sizeof as->peer_pub, s->peer_pub, s->peer_pub_len);
    as->s.peer_pub = as->peer_pub;
    /* ciphering needs the global key and a title; a policy of 0 with keys means plain */
    as->ciphered = as->has_keys && as->keys.ek.set && as->has_own_title && s->security_policy != 0;
    ds_ic_init(&as->ic, s->first_ic);
}

ds_assoc *ds_assoc_new(const ds_assoc_settings *s, ds_assoc_output_fn out, void *user)
{
    if (!s || !out) return NULL;
    ds_assoc *as = calloc(1, sizeof *as);
    if (!as) return NULL;
    size_t nodes = s->max_values ? s->max_values : AS_DEFAULT_NODES;
    as->arena = ds_value_arena_new(nodes, AS_DATA_MAX + nodes * AS_BYTES_PER_NODE);
    as->tx = malloc(AS_APDU_BASE);
    as->ctx = malloc(AS_APDU_BASE);
    as->rx = malloc(AS_APDU_BASE);
    as->answer = malloc(AS_APDU_BASE);
    as->data = malloc(AS_DATA_MAX);
    if (!as->arena || !as->tx || !as->ctx || !as->rx || !as->answer || !as->data) {
        ds_assoc_free(as);
        return NULL;
    }
    as->apdu_cap = AS_APDU_BASE;
    as_take_settings(as, s);
    as->out = out;
    as->out_user = user;
    as->next_invoke = 1;
    as->peer_max_pdu = 0xFFFF;
    return as;
}

void ds_assoc_free(ds_assoc *as)
{
    if (!as) return;
    ds_value_arena_free(as->arena);
    free(as->tx);
    free(as->ctx);
    free(as->rx);
    free(as->answer);
    free(as->data);
    free(as->gbt_out);
    free(as->gbt_in);
    free(as->gbt_blk);
    /* secrets and keys do not outlive the machine in freed memory */
    memset(as, 0, sizeof *as);
    free(as);
}

void ds_assoc_serve(ds_assoc *as, const ds_server_objects *objects, int client_sap)
{
    as->objects = objects;
    as->client_sap = client_sap;
}

void ds_assoc_set_trace(ds_assoc *as, ds_assoc_trace_fn fn, void *user)
{
    as->trace = fn;
    as->trace_user = user;
}

int ds_assoc_set_challenge(ds_assoc *as, const uint8_t *challenge, size_t len)
{
    if (!challenge || len < 8 || len > AS_CHALLENGE_MAX) return as_fail(as, "a challenge is 8 to 64 bytes");
    memcpy(as->own_challenge, challenge, len);
    as->own_challenge_len = len;
    return 0;
}

int as_challenge(ds_assoc *as, uint8_t *buf, size_t *len)
{
    if (as->own_challenge_len) {
        memcpy(buf, as->own_challenge, as->own_challenge_len);
        *len = as->own_challenge_len;
        return 0;
    }
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(buf, 1, 16, f) : 0;
    if (f) fclose(f);
    if (got != 16) return as_fail(as, "no random source for the HLS challenge");
    *len = 16;
    return 0;
}

int ds_assoc_receive(ds_assoc *as, const uint8_t *apdu, size_t len)
{
    as->error[0] = '\0';
    if (!apdu || len == 0) return as_fail(as, "an empty APDU");
    if (apdu[0] == DS_APDU_TAG_GENERAL_BLOCK_TRANSFER && as->gbt) return as_gbt_receive(as, apdu, len);
    as->gbt_joined = 0;
    return as->s.role == DS_ASSOC_SERVER ? as_server_receive(as, apdu, len) : as_client_receive(as, apdu, len);
}

const char *ds_assoc_error(const ds_assoc *as) { return as->error; }
int ds_assoc_is_open(const ds_assoc *as) { return as->state == AS_OPEN; }
uint16_t ds_assoc_peer_max_pdu(const ds_assoc *as) { return as->peer_max_pdu; }
uint32_t ds_assoc_negotiated_conformance(const ds_assoc *as) { return as->conformance; }

/* ---- values ---- */

ds_value *as_decode(ds_assoc *as, const uint8_t *apdu, size_t n)
{
    ds_value_arena_reset(as->arena);
    ds_value *v = NULL;
    ds_diag d;
    memset(&d, 0, sizeof d);
    if (ds_value_decode_apdu(as->arena, apdu, n, &v, &d)) {
        as_fail(as, "the APDU does not decode: %s at byte %llu: %s", d.code ? d.code : "?",
                (unsigned long long)d.offset, d.message);
        return NULL;
    }
    return v;
}

size_t as_encode(ds_assoc *as, const ds_value *apdu)
{
    size_t len = 0;
    char err[200];
    if (ds_value_encode_apdu(apdu, as->tx, as->apdu_cap, &len, err, sizeof err)) {
        as_fail(as, "cannot encode the APDU: %s", err);
        return 0;
    }
    return len;
}

ds_value *as_choose(ds_assoc *as, ds_value *node, const char *path, uint8_t tag)
{
    ds_value *c = node ? (path ? ds_value_find(node, path) : node) : NULL;
    if (!c || ds_value_choose(as->arena, c, tag)) {
        as_fail(as, "cannot choose %u of %s", tag, path ? path : "the choice");
        return NULL;
    }
    return c;
}

int as_set_u(ds_value *node, const char *path, uint64_t u)
{
    ds_value *v = node ? ds_value_find(node, path) : NULL;
    if (!v) return -1;
    v->u = u;
    return 0;
}

size_t as_block_size(const ds_assoc *as)
{
    size_t max = as->peer_max_pdu ? as->peer_max_pdu : 0xFFFF;
    size_t overhead = AS_BLOCK_OVERHEAD + (as->ciphered ? AS_CIPHER_OVERHEAD : 0);
    return max > overhead + 16 ? max - overhead : 16;
}

/* ---- ciphering ---- */

/* The security bits the policy asks of requests (client) or of responses (server). Version 1
 * bits (security setup, as dlmscope/assoc.h says): 0x04 authenticated and 0x08 encrypted
 * requests, 0x10 authenticated and 0x20 encrypted responses; the values 1, 2 and 3 are read
 * as version 0 (authenticated, encrypted, both, for both directions). 0 when the policy names
 * none of them: the caller decides. */
static uint8_t policy_bits(uint8_t p, int responses)
{
    if (p <= 3) return (uint8_t)((p & 1 ? DS_SC_AUTH : 0) | (p & 2 ? DS_SC_ENC : 0));
    if (responses) return (uint8_t)((p & 0x10 ? DS_SC_AUTH : 0) | (p & 0x20 ? DS_SC_ENC : 0));
    return (uint8_t)((p & 0x04 ? DS_SC_AUTH : 0) | (p & 0x08 ? DS_SC_ENC : 0));
}

uint8_t as_required_request_bits(const ds_assoc *as)
{
    if (!as->ciphered) return 0;
    uint8_t bits = policy_bits(as->s.security_policy, 0);
    return bits ? bits : (uint8_t)(DS_SC_AUTH | DS_SC_ENC);
}

/* The security control of what this side sends: the policy's bits for its direction; a server
 * whose policy says nothing of responses answers with the bits of the request it answers. */
static uint8_t send_sc(const ds_assoc *as, uint8_t answered_sc)
{
    uint8_t suite = (uint8_t)(as->s.security_suite & 0x0F);
    int server = as->s.role == DS_ASSOC_SERVER;
    uint8_t bits = policy_bits(as->s.security_policy, server);
    if (!bits && server && answered_sc) bits = answered_sc & (DS_SC_AUTH | DS_SC_ENC);
    if (!bits) bits = DS_SC_AUTH | DS_SC_ENC;
    return (uint8_t)(suite | bits);
}

static ds_cipher_form send_form(const ds_assoc *as)
{
    if (as->s.role == DS_ASSOC_SERVER && as->reply_form) return as->reply_form;
    int ded = as->s.dedicated && as->keys.dk.set && as->state == AS_OPEN;
    if (as->s.general_ciphering) return ded ? DS_CIPHER_GENERAL_DED : DS_CIPHER_GENERAL_GLO;
    return ded ? DS_CIPHER_DED : DS_CIPHER_GLO;
}

int as_send(ds_assoc *as, const uint8_t *plain, size_t n, int may_cipher)
{
    if (as->trace) as->trace(as->trace_user, 1, plain, n);
    const ds_apdu_tag_info *t = ds_apdu_tag(plain[0]);
    ds_cipher_form form = send_form(as);
    int has_form = form >= DS_CIPHER_GENERAL_GLO || (form == DS_CIPHER_DED ? t->ded : t->glo) != 0;
    if (!may_cipher || !as->ciphered || !has_form) return as_output(as, plain, n);
    uint32_t ic;
    if (ds_ic_take(&as->ic, &ic)) return as_fail(as, "the invocation counter is exhausted");
    ds_encipher_params p;
    ds_encipher_params_init(&p, form, send_sc(as, as->s.role == DS_ASSOC_SERVER ? as->reply_sc : 0), ic, as->own_title);
    size_t len = 0;
    char err[200];
    if (ds_encipher(&p, &as->keys, plain, n, as->ctx, as->apdu_cap, &len, err, sizeof err))
        return as_fail(as, "cannot encipher: %s", err);
    return as_output(as, as->ctx, len);
}

/* The SC and IC of a ciphered APDU and the sender's title of the general forms, from its tree. */
static int cipher_header(ds_assoc *as, const uint8_t *apdu, size_t n, uint8_t *sc, uint32_t *ic,
                         const uint8_t **title)
{
    ds_value *v = as_decode(as, apdu, n);
    if (!v || !v->child) return -1;
    ds_value *body = v->child;
    *title = NULL;
    if (body->kind == DS_VALUE_GROUP) {
        ds_value *st = ds_value_find(body, "SystemTitle");
        if (st && st->len == DS_HLS_TITLE_LEN) *title = st->bytes;
        body = ds_value_find(body, "CipheredService");
    }
    if (!body || body->kind != DS_VALUE_BYTES || body->len < 5) return as_fail(as, "a ciphered APDU without SC and IC");
    *sc = body->bytes[0];
    *ic = (uint32_t)body->bytes[1] << 24 | (uint32_t)body->bytes[2] << 16 | (uint32_t)body->bytes[3] << 8 | body->bytes[4];
    return 0;
}

int as_unwrap(ds_assoc *as, const uint8_t *apdu, size_t n, const uint8_t **plain, size_t *plain_len, int *why)
{
    const ds_apdu_tag_info *t = ds_apdu_tag(apdu[0]);
    *why = 0;
    if (!ds_apdu_tag_is_ciphered(apdu[0])) {
        as->reply_form = 0;
        as->reply_sc = 0;
        *plain = apdu;
        *plain_len = n;
        return 0;
    }
    *why = 5; /* deciphering-error */
    if (!as->has_keys) return as_fail(as, "a ciphered %s and no keys", t->service);
    if (t->protection == DS_APDU_GENERAL) return as_fail(as, "general-ciphering (DD) is not taken by the association");
    uint8_t sc = 0;
    uint32_t ic = 0;
    const uint8_t *title = NULL;
    if (cipher_header(as, apdu, n, &sc, &ic, &title)) return -1;
    if (title) {
        memcpy(as->peer_title, title, DS_HLS_TITLE_LEN);
        as->has_peer_title = 1;
    }
    if (!as->has_peer_title) return as_fail(as, "a ciphered %s and no system title of its sender", t->service);
    char err[200];
    if (ds_decipher_apdu(apdu, n, title ? NULL : as->peer_title, &as->keys, as->rx, as->apdu_cap, plain_len, err,
                         sizeof err))
        return as_fail(as, "%s does not decipher: %s", t->service, err);
    int ded = t->protection == DS_APDU_DED || t->protection == DS_APDU_GENERAL_DED;
    int sender = (as->s.role == DS_ASSOC_SERVER ? DS_IC_CLIENT : DS_IC_SERVER) + (ded ? 2 : 0);
    ds_ic_verdict verdict = ds_ic_seen(&as->ic, sender, ic);
    if (verdict != DS_IC_FRESH) {
        *why = 6; /* invocation-counter-error */
        return as_fail(as, "%s with invocation counter %lu, not above the last one: a replay", t->service,
                       (unsigned long)ic);
    }
    switch (t->protection) {
    case DS_APDU_GLO: as->reply_form = DS_CIPHER_GLO; break;
    case DS_APDU_DED: as->reply_form = DS_CIPHER_DED; break;
    case DS_APDU_GENERAL_GLO: as->reply_form = DS_CIPHER_GENERAL_GLO; break;
    default: as->reply_form = DS_CIPHER_GENERAL_DED; break;
    }
    as->reply_sc = sc;
    *why = 0;
    *plain = as->rx;
    return 0;
}

void as_hls_inputs(const ds_assoc *as, ds_hls_inputs *in)
{
    memset(in, 0, sizeof *in);
    int client = as->s.role == DS_ASSOC_CLIENT;
    in->mechanism = as->s.mechanism;
    in->secret = as->s.secret;
    in->secret_len = as->s.secret_len;
    if (as->has_keys && as->keys.ek.set && as->keys.ak.set) {
        in->ek = as->keys.ek.bytes;
        in->ak = as->keys.ak.bytes;
        in->key_len = as->keys.ek.len;
        in->ak_len = as->keys.ak.len;
    }
    const uint8_t *own = as->has_own_title ? as->own_title : NULL, *peer = as->has_peer_title ? as->peer_title : NULL;
    in->client_title = client ? own : peer;
    in->server_title = client ? peer : own;
    in->ctos = as->ctos;
    in->ctos_len = as->ctos_len;
    in->stoc = as->stoc;
    in->stoc_len = as->stoc_len;
    if (as->s.ecdsa_priv_len) {
        if (client) in->client_priv = as->s.ecdsa_priv;
        else in->server_priv = as->s.ecdsa_priv;
        in->priv_len = as->s.ecdsa_priv_len;
    }
    if (as->s.peer_pub_len) {
        if (client) in->server_pub = as->s.peer_pub;
        else in->client_pub = as->s.peer_pub;
        in->pub_len = as->s.peer_pub_len;
    }
}

/* ---- ACSE ---- */

int as_initiate_bytes(ds_assoc *as, const ds_association *a, int request, uint8_t *out, size_t cap, size_t *len)
{
    ds_value_arena_reset(as->arena);
    ds_value *apdu = ds_value_new_apdu(as->arena, request ? DS_APDU_TAG_INITIATE_REQUEST : DS_APDU_TAG_INITIATE_RESPONSE);
    if (!apdu || !apdu->child) return as_fail(as, "no room for the initiate APDU");
    ds_value *init = apdu->child;
    if (request) {
        if (a->dedicated_key) {
            for (ds_value *c = init->child; c; c = c->next) {
                if (c->kind != DS_VALUE_OPTIONAL) continue;
                ds_value_set_present(as->arena, c, 1);
                ds_value *k = ds_value_find(c, "DedicatedKey");
                if (k) {
                    ds_value_set_bytes(as->arena, k, a->dedicated_key, a->dedicated_key_len);
                    break;
                }
                ds_value_set_present(as->arena, c, 0);
            }
        }
        as_set_u(init, "ProposedDlmsVersionNumber", a->dlms_version);
        as_set_u(init, "ProposedConformance", a->conformance);
        as_set_u(init, "ProposedMaxPduSize", a->max_pdu);
    } else {
        as_set_u(init, "NegotiatedDlmsVersionNumber", a->dlms_version);
        as_set_u(init, "NegotiatedConformance", a->conformance);
        as_set_u(init, "NegotiatedMaxPduSize", a->max_pdu);
        as_set_u(init, "VaaName", a->vaa_name);
    }
    size_t n = as_encode(as, apdu);
    if (!n) return -1;
    if (!as->ciphered) {
        if (n > cap) return as_fail(as, "the initiate APDU is too long");
        memcpy(out, as->tx, n);
        *len = n;
        return 0;
    }
    uint32_t ic;
    if (ds_ic_take(&as->ic, &ic)) return as_fail(as, "the invocation counter is exhausted");
    ds_encipher_params p;
    ds_encipher_params_init(&p, DS_CIPHER_GLO, send_sc(as, 0) | DS_SC_AUTH | DS_SC_ENC, ic, as->own_title);
    char err[200];
    if (ds_encipher(&p, &as->keys, as->tx, n, out, cap, len, err, sizeof err))
        return as_fail(as, "cannot encipher the initiate APDU: %s", err);
    return 0;
}

/* The last arc of a DLMS object identifier (60 85 74 05 08 kind arc), or -1. */
static int oid_arc(const ds_value *v)
{
    if (!v || v->kind != DS_VALUE_OID || v->len != 7) return -1;
    return v->bytes[6];
}

static ds_value *user_information_apdu(const ds_value *apdu)
{
    for (ds_value *t = apdu->child ? apdu->child->child : NULL; t; t = t->next) {
        if (t->kind != DS_VALUE_TAGGED || t->tag != DS_ACSE_TAG_USER_INFORMATION) continue;
        ds_value *holder = t->child;
        return holder ? holder->child : NULL;
    }
    return NULL;
}

int as_read_acse(ds_assoc *as, const ds_value *apdu, ds_association *a, int request)
{
    memset(a, 0, sizeof *a);
    ds_value *v;
    a->context = (uint8_t)(oid_arc(ds_value_find_any(apdu, "ApplicationContextName")) & 0xFF);
    a->mechanism = oid_arc(ds_value_find_any(apdu, "MechanismName"));
    /* copies: the tree goes with the next decoding */
    if ((v = ds_value_find_any(apdu, request ? "CallingAPTitle" : "RespondingAPTitle")) && v->kind == DS_VALUE_BYTES &&
        v->len == DS_HLS_TITLE_LEN) {
        memcpy(as->kept_title, v->bytes, DS_HLS_TITLE_LEN);
        a->title = as->kept_title;
        a->title_len = DS_HLS_TITLE_LEN;
        memcpy(as->peer_title, v->bytes, DS_HLS_TITLE_LEN);
        as->has_peer_title = 1;
    }
    if ((v = ds_value_find_any(apdu, request ? "CallingAuthentication" : "RespondingAuthentication")) &&
        v->kind == DS_VALUE_BYTES) {
        if (v->len > sizeof as->kept_auth) return as_fail(as, "an authentication value of %zu bytes", v->len);
        memcpy(as->kept_auth, v->bytes, v->len);
        a->auth = as->kept_auth;
        a->auth_len = v->len;
    }
    if (!request) {
        if ((v = ds_value_find_any(apdu, "AssociationResult"))) a->result = (uint8_t)v->u;
        if ((v = ds_value_find_any(apdu, "ACSEServiceUser"))) a->diagnostic = (uint8_t)v->u;
    }
    ds_value *x = user_information_apdu(apdu);
    if (!x) return as_fail(as, "%s without the xDLMS user-information", request ? "AARQ" : "AARE");
    /* the xDLMS APDU's bytes: re-encoded from its tree (what decoded encodes back the same) */
    size_t n = 0;
    char err[200];
    if (ds_value_encode_apdu(x, as->ctx, as->apdu_cap, &n, err, sizeof err) || n == 0)
        return as_fail(as, "user-information: %s", err);
    a->user_information = as->ctx;
    a->user_information_len = n;
    return 0;
}

int as_read_initiate(ds_assoc *as, ds_association *a, int request)
{
    const uint8_t *buf = a->user_information;
    size_t n = a->user_information_len;
    ds_value *v;
    char err[200];
    if (!buf || !n) return as_fail(as, "no xDLMS user-information");
    if (ds_apdu_tag(buf[0])->plain == DS_APDU_TAG_CONFIRMED_SERVICE_ERROR)
        return as_fail(as, "the user-information is a confirmed-service-error");
    const uint8_t *plain = buf;
    size_t plain_len = n;
    as->reply_form = 0;
    if (ds_apdu_tag_is_ciphered(buf[0])) {
        if (!as->has_keys || !as->has_peer_title) return as_fail(as, "a ciphered initiate APDU and no keys or title");
        if (ds_decipher_apdu(buf, n, as->peer_title, &as->keys, as->rx, as->apdu_cap, &plain_len, err, sizeof err))
            return as_fail(as, "the initiate APDU does not decipher: %s", err);
        uint8_t sc = 0;
        uint32_t ic = 0;
        const uint8_t *title = NULL;
        if (cipher_header(as, buf, n, &sc, &ic, &title)) return -1;
        if (ds_ic_seen(&as->ic, request ? DS_IC_CLIENT : DS_IC_SERVER, ic) != DS_IC_FRESH)
            return as_fail(as, "the initiate APDU's invocation counter %lu is not above the last one: a replay",
                           (unsigned long)ic);
        plain = as->rx;
        as->reply_form = DS_CIPHER_GLO;
    }
    ds_value *init = as_decode(as, plain, plain_len);
    if (!init) return -1;
    if (request) {
        if (!(v = ds_value_find_any(init, "ProposedDlmsVersionNumber"))) return as_fail(as, "not an InitiateRequest");
        a->dlms_version = (uint8_t)v->u;
        if ((v = ds_value_find_any(init, "ProposedConformance"))) a->conformance = (uint32_t)v->u;
        if ((v = ds_value_find_any(init, "ProposedMaxPduSize"))) a->max_pdu = (uint16_t)v->u;
        if ((v = ds_value_find_any(init, "DedicatedKey")) && v->kind == DS_VALUE_BYTES && v->len <= DS_KEY_MAX) {
            memcpy(as->keys.dk.bytes, v->bytes, v->len);
            as->keys.dk.len = v->len;
            as->keys.dk.set = v->len == 16 || v->len == 32;
        }
    } else {
        if (!(v = ds_value_find_any(init, "NegotiatedDlmsVersionNumber"))) return as_fail(as, "not an InitiateResponse");
        a->dlms_version = (uint8_t)v->u;
        if ((v = ds_value_find_any(init, "NegotiatedConformance"))) a->conformance = (uint32_t)v->u;
        if ((v = ds_value_find_any(init, "NegotiatedMaxPduSize"))) a->max_pdu = (uint16_t)v->u;
        if ((v = ds_value_find_any(init, "VaaName"))) a->vaa_name = (uint16_t)v->u;
    }
    return 0;
}

int as_read_association(ds_assoc *as, const ds_value *apdu, ds_association *a, int request)
{
    if (as_read_acse(as, apdu, a, request)) return -1;
    return as_read_initiate(as, a, request);
}

int as_pick_block(void *user, const uint8_t *apdu, size_t len)
{
    as_pick *p = user;
    if (++p->seen != p->want) return 0;
    if (len > p->cap) return -1;
    memcpy(p->out, apdu, len);
    p->len = len;
    return 1; /* stop: the block is caught */
}
