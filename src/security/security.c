/* Session awareness and the deciphered view.
 *
 * The decoder shows every ciphered APDU as it is on the wire; when keys are
 * known, this layer follows it with a <Decrypted> element holding the
 * plaintext APDU decoded like any other, so the output stays well-formed and
 * searchable. What a conversation reveals along the way (system titles from
 * the AARQ/AARE, the dedicated key from a deciphered InitiateRequest,
 * invocation counters) is kept per conversation and used for what follows. */
#include "security/security.h"

#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "apdu/apdu.h"
#include "apdu/schema.h"
#include "security/agree.h"
#include "security/cipher.h"
#include "security/hls.h"
#include "security/signing.h"
#include "util/fmt.h"

#define DS_DECRYPT_DEPTH 2 /* a ciphered APDU inside a deciphered one is shown, not deciphered again */

void ds_security_init(ds_security *s, const ds_keyring *keys, int verify, int show_keys)
{
    memset(s, 0, sizeof *s);
    s->keys = keys;
    s->verify = verify;
    s->show_keys = show_keys;
    s->hls2_method = DS_HLS_MECH2_AES_ECB; /* the default of ds_options_init */
}

void ds_security_set_hls_secret(ds_security *s, const uint8_t *secret, size_t n)
{
    /* a longer secret is not used at all: checking with a cut one would report false mismatches */
    s->has_hls_secret = n <= sizeof s->hls_secret;
    s->hls_secret_len = s->has_hls_secret ? n : 0;
    if (s->has_hls_secret && n) memcpy(s->hls_secret, secret, n);
}

void ds_security_set_hls2_method(ds_security *s, ds_hls2_method m)
{
    /* an unknown method cannot be checked: guessing AES-ECB would report false mismatches */
    s->hls2_method = m == DS_HLS2_AES_ECB ? DS_HLS_MECH2_AES_ECB : DS_HLS_MECH2_NONE;
}

static void free_zeroized(void *p, size_t n)
{
    if (!p) return;
    mbedtls_platform_zeroize(p, n);
    free(p);
}

/* Everything the session learned is given back, its dedicated key wiped. */
static void session_clear(ds_session *ss)
{
    ds_blocks_free(&ss->blocks);
    free_zeroized(ss->dedicated, sizeof *ss->dedicated);
    free_zeroized(ss->ctos, ss->ctos_len);
    free_zeroized(ss->stoc, ss->stoc_len);
    mbedtls_platform_zeroize(ss, sizeof *ss);
}

static void session_reset(ds_session *ss)
{
    session_clear(ss);
    ss->mechanism = -1;
}

static void session_free(ds_security *s, int i)
{
    ds_session *ss = s->sessions[i];
    if (s->current == ss) s->current = NULL;
    session_clear(ss);
    free(ss);
    s->sessions[i] = NULL;
}

void ds_security_free(ds_security *s)
{
    for (int i = 0; i < DS_SESSIONS; i++)
        if (s->sessions[i]) session_free(s, i);
    s->current = NULL;
    mbedtls_platform_zeroize(s->hls_secret, sizeof s->hls_secret);
}

/* Nothing learned: the session is as ds_security_select would make it afresh. */
static int session_is_blank(const ds_session *ss)
{
    static const ds_ic_counters NO_IC;
    static const ds_negotiated NOTHING_NEGOTIATED;
    return !ss->has_client_title && !ss->has_server_title && !ss->dedicated && ss->mechanism == -1 && !ss->ctos &&
           !ss->stoc && !ss->hls_pending && ds_blocks_empty(&ss->blocks) &&
           memcmp(&ss->ic, &NO_IC, sizeof NO_IC) == 0 &&
           memcmp(&ss->negotiated, &NOTHING_NEGOTIATED, sizeof NOTHING_NEGOTIATED) == 0;
}

void ds_security_trim(ds_security *s)
{
    for (int i = 0; i < DS_SESSIONS; i++) {
        ds_session *ss = s->sessions[i];
        if (!ss) continue;
        ds_blocks_trim(&ss->blocks);
        if (session_is_blank(ss)) session_free(s, i);
    }
}

void ds_security_end(ds_security *s, ds_emit *e)
{
    for (int i = 0; i < DS_SESSIONS; i++)
        if (s->sessions[i]) ds_blocks_end(&s->sessions[i]->blocks, e);
}

static int is_session_of(const ds_session *ss, const ds_conversation *c)
{
    return ss->active && ss->id.low == c->low && ss->id.high == c->high && ss->id.kind == c->kind;
}

void ds_security_select(ds_security *s, const ds_conversation *c, ds_link_addr sender)
{
    s->sender = sender;
    /* Consecutive frames mostly belong to the same conversation: try it before the search. */
    ds_session *cur = s->current;
    if (cur && is_session_of(cur, c)) {
        cur->last_use = ++s->clock;
        return;
    }
    ds_session *oldest = NULL;
    int unused = -1;
    for (int i = 0; i < DS_SESSIONS; i++) {
        ds_session *ss = s->sessions[i];
        if (!ss) {
            if (unused < 0) unused = i;
            continue;
        }
        if (is_session_of(ss, c)) {
            ss->last_use = ++s->clock;
            s->current = ss;
            return;
        }
        if (!oldest || ss->last_use < oldest->last_use) oldest = ss;
    }
    /* a new conversation: in a slot of its own while there is one, else the least recently used
     * one is forgotten (as it is when memory runs out) */
    if (unused >= 0) {
        ds_session *fresh = malloc(sizeof *fresh);
        if (fresh) {
            memset(fresh, 0, sizeof *fresh);
            s->sessions[unused] = oldest = fresh;
        }
    }
    s->current = oldest;
    if (!oldest) return; /* out of memory before any session: nothing is learned */
    session_reset(oldest);
    oldest->active = 1;
    oldest->id = *c;
    oldest->last_use = ++s->clock;
    s->current = oldest;
}

/* ---- learning from the traffic ---------------------------------------------------------------- */

static void keep_title(int *has, uint8_t *dst, const uint8_t *p, size_t n)
{
    if (n != DS_TITLE_LEN) return;
    memcpy(dst, p, DS_TITLE_LEN);
    *has = 1;
}

/* A challenge longer than HLS accepts is not kept: the exchange then cannot be checked,
 * rather than checked against a cut challenge. Kept at its own size (8 to 64 bytes mostly);
 * when memory runs out it is not kept either. */
static void keep_challenge(uint8_t **dst, size_t *len, const uint8_t *p, size_t n)
{
    free_zeroized(*dst, *len);
    *dst = NULL;
    *len = 0;
    if (n == 0 || n > DS_CHALLENGE_MAX || !(*dst = malloc(n))) return;
    memcpy(*dst, p, n);
    *len = n;
}

/* The dedicated key of an InitiateRequest (16 or 32 bytes), replacing the one learned before. */
static void keep_dedicated_key(ds_session *ss, const uint8_t *p, size_t n)
{
    if (n != 16 && n != 32) return;
    if (!ss->dedicated && !(ss->dedicated = malloc(sizeof *ss->dedicated))) return;
    memset(ss->dedicated, 0, sizeof *ss->dedicated);
    memcpy(ss->dedicated->bytes, p, n);
    ss->dedicated->len = n;
    ss->dedicated->set = 1;
}

/* The last n bytes of p (n <= 4) as a big-endian number: a conformance block's 24 bits after its
 * 5F 1F 04 00 head, a max PDU size. */
static uint32_t tail_number(const uint8_t *p, size_t len, size_t n)
{
    uint32_t v = 0;
    for (size_t i = len - n; i < len; i++) v = v << 8 | p[i];
    return v;
}

/* The xDLMS negotiation, from the InitiateRequest and InitiateResponse fields as they decode. */
static void observe_initiate(ds_negotiated *ng, int what, const uint8_t *p, size_t n)
{
    switch (what) {
    case DS_OBS_PROPOSED_CONFORMANCE:
        if (n < 3) return;
        memset(ng, 0, offsetof(ds_negotiated, has_snrm)); /* a new proposal: the last answer is void */
        ng->has_proposed = 1;
        ng->proposed_conformance = tail_number(p, n, 3);
        break;
    case DS_OBS_PROPOSED_MAX_PDU:
        if (n == 2) ng->proposed_max_pdu = (uint16_t)tail_number(p, n, 2);
        break;
    case DS_OBS_NEGOTIATED_CONFORMANCE:
        if (n < 3) return;
        ng->has_negotiated = 1;
        ng->negotiated_conformance = tail_number(p, n, 3);
        ng->negotiated_max_pdu = 0;
        break;
    case DS_OBS_NEGOTIATED_MAX_PDU:
        if (n == 2) ng->negotiated_max_pdu = (uint16_t)tail_number(p, n, 2);
        break;
    default: break;
    }
}

void ds_security_on_frame(ds_security *s, const ds_frame *f)
{
    ds_session *ss = s->current;
    if (!ss || f->kind != DS_LINK_HDLC || !f->checks_ok || !f->complete) return;
    ds_negotiated *ng = &ss->negotiated;
    if (f->u.hdlc.type == DS_HDLC_SNRM) {
        ng->has_snrm = 1;
        ng->snrm = f->u.hdlc.params;
        ng->has_ua = 0; /* a new link: the UA that answers this SNRM is the one to keep */
        memset(&ng->ua, 0, sizeof ng->ua);
    } else if (f->u.hdlc.type == DS_HDLC_UA && ng->has_snrm && !ng->has_ua) {
        ng->has_ua = 1; /* later UAs answer a DISC: they negotiate nothing */
        ng->ua = f->u.hdlc.params;
    }
}

static void observe(void *user, int what, const uint8_t *p, size_t n)
{
    ds_security *s = user;
    ds_session *ss = s->current;
    if (!ss) return;
    switch (what) {
    case DS_OBS_CALLING_TITLE: keep_title(&ss->has_client_title, ss->client_title, p, n); break;
    case DS_OBS_RESPONDING_TITLE: keep_title(&ss->has_server_title, ss->server_title, p, n); break;
    case DS_OBS_DEDICATED_KEY: keep_dedicated_key(ss, p, n); break;
    case DS_OBS_MECHANISM: {
        /* 2.16.756.5.8.2.M is 60 85 74 05 08 02 M: any other OID names no DLMS mechanism */
        static const uint8_t MECHANISM_ARCS[6] = {0x60, 0x85, 0x74, 0x05, 0x08, 0x02};
        if (n == 7 && memcmp(p, MECHANISM_ARCS, sizeof MECHANISM_ARCS) == 0) ss->mechanism = p[6];
        break;
    }
    case DS_OBS_CTOS: keep_challenge(&ss->ctos, &ss->ctos_len, p, n); break;
    case DS_OBS_STOC: keep_challenge(&ss->stoc, &ss->stoc_len, p, n); break;
    default: observe_initiate(&ss->negotiated, what, p, n); break;
    }
}

/* ---- the deciphered view ------------------------------------------------------------------------ */

/* The sender's system title: in the APDU for the general forms, else the side that sends this
 * kind of APDU, as learned from the association or given on the command line. */
static int sender_title(const ds_security *s, const ds_ciphered *c, int from_client, uint8_t out[DS_TITLE_LEN])
{
    const ds_session *ss = s->current;
    if (c->title && c->title_len == DS_TITLE_LEN) {
        memcpy(out, c->title, DS_TITLE_LEN);
        return 1;
    }
    if (from_client) {
        if (ss && ss->has_client_title) {
            memcpy(out, ss->client_title, DS_TITLE_LEN);
            return 1;
        }
        return s->keys && ds_keyring_client_title(s->keys, out);
    }
    if (ss && ss->has_server_title) {
        memcpy(out, ss->server_title, DS_TITLE_LEN);
        return 1;
    }
    return s->keys && ds_keyring_server_title(s->keys, out);
}

static int other_title(const ds_security *s, int from_client, uint8_t out[DS_TITLE_LEN])
{
    ds_ciphered none;
    memset(&none, 0, sizeof none);
    return sender_title(s, &none, !from_client, out);
}

/* The keys for this APDU: the title's keyset, with the conversation's dedicated key when one was learned. */
static ds_keyset keys_for(const ds_security *s, const uint8_t title[DS_TITLE_LEN])
{
    ds_keyset ks = *ds_keyring_lookup(s->keys, title);
    if (s->current && s->current->dedicated) ks.dk = *s->current->dedicated;
    return ks;
}

static void title_hex(char out[2 * DS_TITLE_LEN + 1], const uint8_t title[DS_TITLE_LEN])
{
    ds_fmt_hex(out, title, DS_TITLE_LEN);
}

/* An invocation counter that does not increase from the same sender is a replay (or a
 * restarted meter): worth a warning either way. */
static void check_counter(ds_security *s, ds_emit *e, const ds_ciphered *c, int from_client, int dedicated,
                          uint64_t offset)
{
    ds_session *ss = s->current;
    if (!ss || !(c->sc & 0x30)) return;
    /* each key has its own counter: per sender and per key kind */
    int who = (from_client ? DS_IC_CLIENT : DS_IC_SERVER) + (dedicated ? DS_IC_CLIENT_DEDICATED : 0);
    uint32_t last = ss->ic.last[who];
    if (ds_ic_seen(&ss->ic, who, c->ic) != DS_IC_FRESH) /* the highest seen is kept */
        ds_report_abs(e, "cipher.ic-replay", DS_SEV_WARNING, offset,
                      "invocation counter %lu does not increase (the %s's last was %lu): replayed or restarted",
                      (unsigned long)c->ic, from_client ? "client" : "server", (unsigned long)last);
}

/* assumed: why the plaintext is shown without a verified tag (NULL: verified); key_signature:
 * the One-Pass ephemeral key's signature for an agreed key (NULL: not that kind of APDU). */
static void show_plaintext(ds_security *s, ds_emit *e, const ds_ciphered *c, const uint8_t title[DS_TITLE_LEN],
                           const uint8_t *plain, size_t n, const char *assumed, const char *key_signature,
                           uint64_t offset)
{
    char sc[3], ic[9], t[2 * DS_TITLE_LEN + 1];
    ds_fmt_hex(sc, &c->sc, 1);
    ds_fmt_uhex(ic, c->ic, 8);
    title_hex(t, title);
    ds_attr attrs[5] = {DS_ATTR("Security", sc), DS_ATTR("InvocationCounter", ic), DS_ATTR("SystemTitle", t)};
    size_t na = 3;
    if (assumed) attrs[na++] = (ds_attr)DS_ATTR("Assumed", assumed);
    if (key_signature) attrs[na++] = (ds_attr)DS_ATTR("KeySignature", key_signature);
    if (ds_emit_open_attrs(e, "Decrypted", attrs, na)) return;
    ds_cursor cur;
    ds_cur_init(&cur, plain, n);
    uint64_t saved = e->base;
    e->base = offset;
    s->depth++;
    int hide = e->hide_keys;
    e->hide_keys = !s->show_keys;
    int source = e->apdu_source;
    e->apdu_source = DS_APDU_FROM_DECIPHERED;
    ds_apdu_decode(e, &cur);
    e->apdu_source = source;
    e->hide_keys = hide;
    s->depth--;
    e->base = saved;
    ds_emit_close(e, "Decrypted");
}

/* general-ciphering with a wrapped key: the content key could not be had from the master key */
static void report_unwrap_failure(ds_emit *e, const ds_ciphered *c, ds_dec_status st, const char *title_hex_text,
                                  uint64_t offset)
{
    if (st == DS_DEC_UNWRAP_FAILED)
        ds_report_abs(e, "cipher.key-unwrap", DS_SEV_ERROR, offset,
                      "the wrapped key (%zu bytes) does not unwrap with the master key (KEK) for system title %s: "
                      "wrong KEK or damaged key data",
                      c->wrapped_key_len, title_hex_text);
    else if (c->key_id != 0)
        ds_report_abs(e, "cipher.no-key", DS_SEV_ERROR, offset,
                      "the key is wrapped with kek-id %u; only kek-id 0 (the master key) is defined", (unsigned)c->key_id);
    else
        ds_report_abs(e, "cipher.no-key", DS_SEV_ERROR, offset,
                      "the key is wrapped: no usable master key (KEK) for system title %s (give it with --kek)",
                      title_hex_text);
}

/* ---- general-ciphering with an agreed key ------------------------------------------------------ */

/* The public signing key of the originator given as the client's or server's public key, when
 * its title is that side's. */
static const ds_ec_key *side_signing_key(const ds_security *s, const uint8_t title[DS_TITLE_LEN], ds_ec_key *out)
{
    uint8_t side[DS_TITLE_LEN];
    ds_ciphered none;
    memset(&none, 0, sizeof none);
    const uint8_t *pub = NULL;
    size_t len = 0;
    if (s->client_pub && sender_title(s, &none, 1, side) && memcmp(side, title, DS_TITLE_LEN) == 0)
        pub = s->client_pub, len = s->client_pub_len;
    else if (s->server_pub && sender_title(s, &none, 0, side) && memcmp(side, title, DS_TITLE_LEN) == 0)
        pub = s->server_pub, len = s->server_pub_len;
    if (!pub || len > sizeof out->bytes) return NULL;
    memset(out, 0, sizeof *out);
    memcpy(out->bytes, pub, len);
    out->len = len;
    out->set = 1;
    return out;
}

/* The public signing key of an originator (general-signing, agreed-key ephemeral keys): its
 * key-file line's signpub=, else the global one, else --client/--server-public-key when the
 * originator is that side. NULL when there is none. */
static const ds_ec_key *originator_signing_key(const ds_security *s, const uint8_t title[DS_TITLE_LEN],
                                               ds_ec_key *side)
{
    const ds_keyset *own = ds_keyring_lookup(s->keys, title), *global = ds_keyring_lookup(s->keys, NULL);
    if (own->sign.set) return &own->sign;
    if (global->sign.set) return &global->sign;
    return side_signing_key(s, title, side);
}

/* The keys an agreed key needs, each from its owner: the originator's keyset (AK, its static and
 * signing public keys) with the private key of the recipient. A key a title's line lacks comes
 * from the global keys, the signing key as originator_signing_key() says. Filled in place so
 * that the private key has one copy, which the caller wipes. */
static void agreement_keys(const ds_security *s, const ds_ciphered *c, const uint8_t title[DS_TITLE_LEN],
                           ds_keyset *ks)
{
    *ks = keys_for(s, title);
    const ds_keyset *global = ds_keyring_lookup(s->keys, NULL);
    const uint8_t *recipient = c->recipient_title_len == DS_TITLE_LEN ? c->recipient_title : NULL;
    const ds_keyset *theirs = ds_keyring_lookup(s->keys, recipient);
    ks->priv = theirs->priv.set ? theirs->priv : global->priv;
    if (!ks->pub.set) ks->pub = global->pub;
    ds_ec_key side;
    const ds_ec_key *sign = originator_signing_key(s, title, &side);
    if (sign) ks->sign = *sign;
}

/* The signature verdict for the Decrypted element, and a diagnostic when it is bad or cannot be
 * checked. NULL when there is no signature (Static Unified Model). */
static const char *key_signature(ds_emit *e, const ds_agree_report *rep, uint64_t offset)
{
    switch (rep->signature) {
    case DS_KEYSIG_VERIFIED: return "verified";
    case DS_KEYSIG_KEY_ONLY: return "key-only";
    case DS_KEYSIG_UNCHECKED: return "unchecked";
    case DS_KEYSIG_MISMATCH:
        ds_report_abs(e, "cipher.signature-mismatch", DS_SEV_ERROR, offset,
                      "the signature of the ephemeral public key does not verify with the originator's signing key "
                      "(neither over key-parameters||X||Y nor over X||Y): the key was not signed by it");
        return "mismatch";
    case DS_KEYSIG_UNUSABLE:
        ds_report_abs(e, "cipher.signature-unchecked", DS_SEV_WARNING, offset,
                      "the signature of the ephemeral public key cannot be checked with the originator's signing key: %s",
                      rep->sig_why);
        return "unchecked";
    case DS_KEYSIG_NONE:
    default: return NULL;
    }
}

static void report_agreed_failure(ds_emit *e, const ds_ciphered *c, ds_dec_status st, const ds_agree_report *rep,
                                  const char *title_hex_text, uint64_t offset)
{
    switch (st) {
    case DS_DEC_NO_KEY:
        if (rep->why[0]) ds_report_abs(e, "cipher.no-key", DS_SEV_ERROR, offset, "%s", rep->why);
        else
            ds_report_abs(e, "cipher.no-key", DS_SEV_ERROR, offset,
                          "the key was agreed but there is no usable authentication key (AK) for system title %s",
                          title_hex_text);
        break;
    case DS_DEC_AGREEMENT_FAILED:
        ds_report_abs(e, "cipher.key-agreement", DS_SEV_ERROR, offset, "%s", rep->why);
        break;
    case DS_DEC_TOO_SHORT:
        ds_report_abs(e, "cipher.too-short", DS_SEV_ERROR, offset, "too short for its authentication tag");
        break;
    case DS_DEC_TAG_MISMATCH:
        ds_report_abs(e, "cipher.tag-mismatch", DS_SEV_ERROR, offset,
                      "authentication tag does not verify with the agreed key (%s), system title %s and invocation "
                      "counter %08lX: wrong private key%s or wrong authentication key",
                      rep->scheme == 2 ? "Static Unified Model" : "One-Pass Diffie-Hellman", title_hex_text,
                      (unsigned long)c->ic, rep->scheme == 2 ? ", wrong originator public key" : "");
        break;
    default:
        if (rep->why[0]) ds_report_abs(e, "cipher.unsupported", DS_SEV_WARNING, offset, "not deciphered: %s", rep->why);
        else
            ds_report_abs(e, "cipher.unsupported", DS_SEV_WARNING, offset,
                          "not deciphered: security control %02X is not supported", c->sc);
        break;
    }
}

/* A DD whose key-info is agreed-key: the key comes from ECDH with the recipient's private key;
 * the usual-mistake guesses do not apply (they are about keys typed by hand). */
static void on_agreed(ds_security *s, ds_emit *e, const ds_ciphered *c, const uint8_t title[DS_TITLE_LEN],
                      uint64_t offset)
{
    uint8_t *plain = malloc(c->body_len ? c->body_len : 1);
    if (!plain) return;
    ds_keyset keys;
    agreement_keys(s, c, title, &keys);
    ds_agree_report rep;
    size_t plain_len = 0;
    ds_dec_status st = ds_decipher_ex(c, title, &keys, 0, s->verify, plain, &plain_len, &rep);
    mbedtls_platform_zeroize(&keys, sizeof keys);
    const char *verdict = key_signature(e, &rep, offset);
    if (st == DS_DEC_OK) {
        show_plaintext(s, e, c, title, plain, plain_len, s->verify ? NULL : "tag-not-checked", verdict, offset);
    } else {
        char t[2 * DS_TITLE_LEN + 1];
        title_hex(t, title);
        report_agreed_failure(e, c, st, &rep, t, offset);
    }
    mbedtls_platform_zeroize(plain, c->body_len ? c->body_len : 1);
    free(plain);
}

/* Deciphers with the keys chosen and shows the plaintext, or says why not (and which usual
 * mistake it was, when one of them works). plain has room for the body. */
static void decipher_and_show(ds_security *s, ds_emit *e, const ds_ciphered *c, const uint8_t *title,
                              const ds_keyset *keys, int dedicated, int from_client, uint8_t *plain, uint64_t offset)
{
    size_t plain_len = 0;
    ds_dec_status st = ds_decipher(c, title, keys, dedicated, s->verify, plain, &plain_len);
    if (st == DS_DEC_OK) {
        show_plaintext(s, e, c, title, plain, plain_len, s->verify ? NULL : "tag-not-checked", NULL, offset);
        return;
    }
    char t[2 * DS_TITLE_LEN + 1];
    title_hex(t, title);
    if (st == DS_DEC_UNSUPPORTED) {
        ds_report_abs(e, "cipher.unsupported", DS_SEV_WARNING, offset, "not deciphered: security control %02X is not supported",
                      c->sc);
        return;
    }
    if (st == DS_DEC_TOO_SHORT) {
        ds_report_abs(e, "cipher.too-short", DS_SEV_ERROR, offset, "too short for its authentication tag");
        return;
    }
    if (c->kind == DS_CIPH_GENERAL_CIPHERING && c->key_info == 1) {
        /* The key came (or not) from the master key: the usual mistakes with the global keys do
         * not apply. A missing key is the KEK only when the KEK is what is missing. */
        int kek_missing = c->key_id != 0 || !ds_key_usable(&keys->kek);
        if (st == DS_DEC_UNWRAP_FAILED || (st == DS_DEC_NO_KEY && kek_missing))
            report_unwrap_failure(e, c, st, t, offset);
        else if (st == DS_DEC_NO_KEY)
            ds_report_abs(e, "cipher.no-key", DS_SEV_ERROR, offset,
                          "the wrapped key unwraps with the master key (KEK), but there is no usable "
                          "authentication key (AK) for system title %s, or the unwrapped key is not the size "
                          "of security suite %u",
                          t, (unsigned)(c->sc & 0x0F));
        else
            ds_report_abs(e, "cipher.tag-mismatch", DS_SEV_ERROR, offset,
                          "the key unwrapped with the master key (KEK) does not verify the authentication tag "
                          "with system title %s: wrong AK, wrong KEK key data or wrong system title",
                          t);
        return;
    }
    uint8_t other[DS_TITLE_LEN];
    int has_other = other_title(s, from_client, other);
    char why[200];
    const char *mistake = ds_decipher_diagnose_ex(c, title, has_other ? other : NULL, keys, dedicated,
                                                  s->show_keys, plain, &plain_len, why, sizeof why);
    if (st == DS_DEC_NO_KEY) {
        char missing[200];
        ds_decipher_missing_key(c, keys, dedicated, missing, sizeof missing);
        ds_report_abs(e, "cipher.no-key", DS_SEV_ERROR, offset, "cannot decipher for system title %s: %s", t, missing);
    } else
        ds_report_abs(e, "cipher.tag-mismatch", DS_SEV_ERROR, offset,
                      "authentication tag does not verify with system title %s and invocation counter %08lX: wrong "
                      "key, wrong system title or wrong counter",
                      t, (unsigned long)c->ic);
    if (mistake) {
        ds_report_abs(e, mistake, DS_SEV_ERROR, offset, "%s", why);
        show_plaintext(s, e, c, title, plain, plain_len, mistake + strlen("cipher."), NULL, offset);
    }
    mbedtls_platform_zeroize(why, sizeof why); /* the key's text, with --show-keys */
}

static void on_ciphered(void *user, ds_emit *e, const uint8_t *apdu, size_t n, uint64_t offset)
{
    ds_security *s = user;
    if (!s->keys || n == 0 || !ds_cipher_is_ciphered_tag(apdu[0]) || s->depth >= DS_DECRYPT_DEPTH) return;
    if (!ds_keyring_has_keys(s->keys)) return; /* nothing to try: shown ciphered, as without keys */
    ds_ciphered c;
    char err[160];
    if (ds_ciphered_parse(apdu, n, &c, err, sizeof err)) return; /* the walker reported the layout problem */
    int from_client = ds_cipher_tag_is_request(apdu[0]);
    uint8_t title[DS_TITLE_LEN];
    if (!sender_title(s, &c, from_client, title)) {
        ds_report_abs(e, "cipher.no-title", DS_SEV_ERROR, offset,
                      "cannot decipher: the %s's system title is unknown: set it with the %s-title option, or include the AARQ/AARE",
                      from_client ? "client" : "server", from_client ? "client" : "server");
        return;
    }
    int dedicated = c.kind == DS_CIPH_SERVICE_DED || c.kind == DS_CIPH_GENERAL_DED;
    check_counter(s, e, &c, from_client, dedicated, offset);
    if (c.kind == DS_CIPH_GENERAL_CIPHERING && c.key_info == 2) {
        on_agreed(s, e, &c, title, offset);
        return;
    }
    ds_keyset keys = keys_for(s, title);
    uint8_t *plain = malloc(c.body_len ? c.body_len : 1);
    if (plain) {
        decipher_and_show(s, e, &c, title, &keys, dedicated, from_client, plain, offset);
        mbedtls_platform_zeroize(plain, c.body_len ? c.body_len : 1);
        free(plain);
    }
    mbedtls_platform_zeroize(&keys, sizeof keys); /* a copy of the keys: not left on the stack */
}

/* ---- HLS: the second pass of the association -------------------------------------------------- */

/* reply_to_HLS_authentication of the current association (class 15, 0.0.40.0.0.255, method 1)
 * with an octet-string parameter: C3 01 IIP 000F 0000280000FF 01 01 09 len f(StoC). */
static int hls_request_value(const uint8_t *a, size_t n, const uint8_t **v, size_t *vlen)
{
    static const uint8_t HEAD[12] = {0x00, 0x0F, 0x00, 0x00, 0x28, 0x00, 0x00, 0xFF, 0x01, 0x01, 0x09, 0x00};
    if (n < 15 || a[0] != 0xC3 || a[1] != 0x01 || memcmp(a + 3, HEAD, 11) != 0) return 0;
    size_t len = a[14];
    if (len >= 0x80 || 15 + len != n) return 0;
    *v = a + 15;
    *vlen = len;
    return 1;
}

/* The same method in short-name referencing: association SN (base name FA00) method 8 is short
 * name FA58, invoked by a readRequest with parameterized access:
 * 05 01 04 FA58 selector 09 len f(StoC); answered by 0C 01 00 09 len f(CtoS). */
static int hls_sn_request_value(const uint8_t *a, size_t n, const uint8_t **v, size_t *vlen)
{
    if (n < 8 || a[0] != 0x05 || a[1] != 0x01 || a[2] != 0x04 || a[3] != 0xFA || a[4] != 0x58 || a[6] != 0x09)
        return 0;
    size_t len = a[7];
    if (len >= 0x80 || 8 + len != n) return 0;
    *v = a + 8;
    *vlen = len;
    return 1;
}

static int hls_sn_response_value(const uint8_t *a, size_t n, const uint8_t **v, size_t *vlen)
{
    if (n < 5 || a[0] != 0x0C || a[1] != 0x01 || a[2] != 0x00 || a[3] != 0x09) return 0;
    size_t len = a[4];
    if (len >= 0x80 || 5 + len != n) return 0;
    *v = a + 5;
    *vlen = len;
    return 1;
}

/* Its answer: C7 01 IIP 00 (success) 01 (return data) 00 (data) 09 len f(CtoS). */
static int hls_response_value(const uint8_t *a, size_t n, const uint8_t **v, size_t *vlen)
{
    if (n < 8 || a[0] != 0xC7 || a[1] != 0x01 || a[3] != 0x00 || a[4] != 0x01 || a[5] != 0x00 || a[6] != 0x09)
        return 0;
    size_t len = a[7];
    if (len >= 0x80 || 8 + len != n) return 0;
    *v = a + 8;
    *vlen = len;
    return 1;
}

static void check_hls(ds_security *s, ds_emit *e, int server_side, const uint8_t *v, size_t vlen, uint64_t offset)
{
    ds_session *ss = s->current;
    if (!ss || ss->mechanism < 2 || ss->mechanism > 7) return;
    if (ss->mechanism == 2 && s->hls2_method != DS_HLS_MECH2_AES_ECB) {
        /* said where "verifies" would be, so that a reader does not take silence for a pass;
         * no "--" in the text: XML comments cannot hold it (the sink would write "- -") */
        ds_emit_comment(e, "HLS mechanism 2 is manufacturer-specific: the %s is not checked (hls2 option: none)",
                        server_side ? "server's f(CtoS)" : "client's f(StoC)");
        return;
    }
    ds_hls_inputs in;
    memset(&in, 0, sizeof in);
    in.mechanism = ss->mechanism;
    in.mech2 = s->hls2_method;
    in.secret = s->has_hls_secret ? s->hls_secret : NULL;
    in.secret_len = s->hls_secret_len;
    uint8_t ct[DS_TITLE_LEN], st[DS_TITLE_LEN];
    ds_ciphered none;
    memset(&none, 0, sizeof none);
    if (sender_title(s, &none, 1, ct)) in.client_title = ct;
    if (sender_title(s, &none, 0, st)) in.server_title = st;
    static const ds_keyset NO_KEYS;
    /* an unknown title (NULL) looks up the global keys */
    const uint8_t *own_title = server_side ? in.server_title : in.client_title;
    const ds_keyset *ks = s->keys ? ds_keyring_lookup(s->keys, own_title) : &NO_KEYS;
    /* each key on its own, so that a missing one can be named */
    if (ds_key_usable(&ks->ek)) {
        in.ek = ks->ek.bytes;
        in.key_len = ks->ek.len;
    }
    if (ds_key_usable(&ks->ak)) {
        in.ak = ks->ak.bytes;
        in.ak_len = ks->ak.len;
    }
    if (s->client_pub && s->server_pub && s->client_pub_len == s->server_pub_len) {
        in.client_pub = s->client_pub;
        in.server_pub = s->server_pub;
        in.pub_len = s->client_pub_len;
    }
    in.ctos = ss->ctos;
    in.ctos_len = ss->ctos_len;
    in.stoc = ss->stoc;
    in.stoc_len = ss->stoc_len;
    char why[200];
    int rc = ds_hls_verify(&in, server_side, v, vlen, why, sizeof why);
    if (rc == 0) {
        ds_emit_comment(e, "HLS mechanism %d: the %s verifies", ss->mechanism,
                        server_side ? "server's f(CtoS)" : "client's f(StoC)");
        return;
    }
    if (rc < 0) {
        /* not enough known to check: nothing to say, unless a key was given and its partner is missing */
        if (ss->mechanism == 5 && (ks->ek.set || ks->ak.set))
            ds_emit_comment(e, "HLS mechanism 5: the %s is not checked: %s",
                            server_side ? "server's f(CtoS)" : "client's f(StoC)", why);
        return;
    }
    ds_report_abs(e, ds_hls_mismatch_code(server_side), DS_SEV_ERROR, offset, "%s", why);
    ds_hls_hints hints;
    memset(&hints, 0, sizeof hints);
    hints.ek_text = ks->ek.text;
    hints.ak_text = ks->ak.text;
    if (s->current->dedicated) {
        hints.other_ek = s->current->dedicated->bytes;
        hints.other_ek_len = s->current->dedicated->len;
        hints.other_ek_is_dedicated = 1;
    }
    char cause[200];
    const char *code = ds_hls_diagnose(&in, server_side, v, vlen, &hints, cause, sizeof cause);
    if (code) ds_report_abs(e, "hls.cause", DS_SEV_ERROR, offset, "%s: %s", code, cause);
}

/* general-signing: the signature is checked with the originator's public key when it is known
 * (the keys of HLS mechanism 7), and the signed content is decoded as a view of its own. */
static void on_signed(ds_security *s, ds_emit *e, const uint8_t *apdu, size_t n, uint64_t offset)
{
    ds_signed sg;
    char err[200];
    if (ds_signed_parse(apdu, n, &sg, err, sizeof err)) return; /* the walker reported the layout */
    const char *verdict = "unchecked";
    ds_ec_key side;
    const ds_ec_key *pub =
        sg.originator_len == DS_TITLE_LEN ? originator_signing_key(s, sg.originator, &side) : NULL;
    if (pub) {
        ds_signed_reading reading = DS_SIGNED_NONE;
        int rc = ds_signed_verify(apdu, &sg, pub->bytes, pub->len, &reading, err, sizeof err);
        if (rc == 0) {
            const char *which = ds_signed_verdict(reading); /* the reading of the signed bytes that verified */
            verdict = which ? which : "verified";
        } else if (rc == 1) {
            verdict = "mismatch";
            ds_report_abs(e, "sign.mismatch", DS_SEV_ERROR, offset, "the signature does not verify: %s", err);
        } else {
            ds_report_abs(e, "sign.unchecked", DS_SEV_WARNING, offset, "the signature cannot be checked: %s", err);
        }
    }
    ds_attr attrs[1] = {DS_ATTR("Signature", verdict)};
    if (sg.content_len == 0 || ds_emit_open_attrs(e, "Signed", attrs, 1)) return;
    ds_cursor cur;
    ds_cur_init(&cur, sg.content, sg.content_len);
    uint64_t saved = e->base;
    e->base = offset;
    s->depth++;
    int source = e->apdu_source;
    e->apdu_source = DS_APDU_FROM_SIGNED;
    ds_apdu_decode(e, &cur);
    e->apdu_source = source;
    s->depth--;
    e->base = saved;
    ds_emit_close(e, "Signed");
}

/* Every decoded APDU passes here: ciphered ones get their deciphered view, the HLS exchange is
 * checked when the secret or keys are known. */
static void on_apdu(void *user, ds_emit *e, const uint8_t *apdu, size_t n, uint64_t offset)
{
    ds_security *s = user;
    const uint8_t *v;
    size_t vlen;
    ds_session *ss = s->current;
    if (ss && ds_blocks_on_apdu(&ss->blocks, e, s->sender, apdu, n, offset)) return;
    if (n > 0 && apdu[0] == DS_SIGNING_TAG && s->depth < DS_DECRYPT_DEPTH) {
        on_signed(s, e, apdu, n, offset);
        return;
    }
    if (ss && (hls_request_value(apdu, n, &v, &vlen) || hls_sn_request_value(apdu, n, &v, &vlen))) {
        ss->hls_pending = 1; /* the answer is the next response with a value */
        check_hls(s, e, 0, v, vlen, offset);
    } else if (ss && ss->hls_pending &&
               (hls_response_value(apdu, n, &v, &vlen) || hls_sn_response_value(apdu, n, &v, &vlen))) {
        ss->hls_pending = 0;
        check_hls(s, e, 1, v, vlen, offset);
    } else {
        on_ciphered(user, e, apdu, n, offset);
    }
}

void ds_security_attach(ds_security *s, ds_emit *e)
{
    e->observe = observe;
    e->on_ciphered = on_apdu;
    e->security = s;
}
