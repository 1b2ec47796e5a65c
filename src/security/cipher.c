/* Ciphered APDUs: taking them apart and deciphering them with AES-GCM (mbedtls).
 * Layouts and GCM parameters: REFERENCE §6.2/§6.3. */
#include "security/cipher.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/gcm.h>
#include <mbedtls/platform_util.h>

#include "apdu/apdu_tags.h"
#include "security/agree.h"
#include "security/keywrap.h"
#include "security/mistakes.h"
#include "util/cursor.h"

#define SC_SUITE_MASK 0x0Fu
#define SC_AUTH 0x10u
#define SC_ENC 0x20u
#define SC_BROADCAST 0x40u
#define SC_COMPRESSED 0x80u
#define TAG_LEN 12u
#define IC_LEN 4u

int ds_cipher_is_ciphered_tag(uint8_t tag)
{
    return ds_apdu_tag_is_ciphered(tag);
}

/* The sender decides the IV title. Event notifications and information reports are
 * "requests" by name but come from the server, so they count as responses here.
 * The general forms carry their own title: 0. */
int ds_cipher_tag_is_request(uint8_t tag)
{
    const ds_apdu_tag_info *t = ds_apdu_tag(tag);
    return t->role == DS_APDU_REQUEST && (t->protection == DS_APDU_GLO || t->protection == DS_APDU_DED);
}

static int is_service_specific(uint8_t tag)
{
    uint8_t p = ds_apdu_tag(tag)->protection;
    return p == DS_APDU_GLO || p == DS_APDU_DED;
}

static int is_dedicated_tag(uint8_t tag)
{
    return ds_apdu_tag(tag)->protection == DS_APDU_DED;
}

static int fail(char *err, size_t errlen, const char *msg)
{
    if (err && errlen) snprintf(err, errlen, "%s", msg);
    return -1;
}

/* A length-prefixed field; "what" names it in the error. */
static int read_counted(ds_cursor *cur, const char *what, const uint8_t **out, size_t *out_len, char *err,
                        size_t errlen)
{
    size_t len;
    if (ds_cur_len(cur, &len, NULL) != DS_CUR_OK) {
        if (err && errlen) snprintf(err, errlen, "%s: length missing or invalid", what);
        return -1;
    }
    size_t left = ds_cur_left(cur);
    if (len > left) {
        if (err && errlen) snprintf(err, errlen, "%s declares %zu bytes, %zu present", what, len, left);
        return -1;
    }
    ds_cur_bytes(cur, len, out);
    *out_len = len;
    return 0;
}

/* SC IC body [tag]: what every layout ends with. */
static int split_protected(const uint8_t *p, size_t n, ds_ciphered *out, char *err, size_t errlen)
{
    if (n < 1 + IC_LEN) {
        if (err && errlen)
            snprintf(err, errlen, "ciphered content is %zu bytes, too short for security control and invocation counter", n);
        return -1;
    }
    out->protected_bytes = p;
    out->protected_len = n;
    out->sc = p[0];
    out->ic = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
    size_t rest = n - 1 - IC_LEN;
    out->body = p + 1 + IC_LEN;
    if (out->sc & SC_AUTH) {
        if (rest < TAG_LEN) {
            if (err && errlen)
                snprintf(err, errlen, "%zu bytes after the invocation counter: shorter than its 12-byte tag", rest);
            return -1;
        }
        out->body_len = rest - TAG_LEN;
        out->tag = out->body + out->body_len;
        out->tag_len = TAG_LEN;
    } else {
        out->body_len = rest;
        out->tag = NULL;
        out->tag_len = 0;
    }
    return 0;
}

static int parse_key_info(ds_cursor *cur, ds_ciphered *out, char *err, size_t errlen)
{
    uint8_t present, choice;
    if (ds_cur_u8(cur, &present)) return fail(err, errlen, "general-ciphering: key-info missing");
    if (present == 0) {
        out->key_info = -1;
        return 0;
    }
    if (present != 1) return fail(err, errlen, "general-ciphering: key-info presence flag is neither 00 nor 01");
    if (ds_cur_u8(cur, &choice)) return fail(err, errlen, "general-ciphering: key-info choice missing");
    switch (choice) {
    case 0: /* identified-key { key-id } */
        if (ds_cur_u8(cur, &out->key_id)) return fail(err, errlen, "general-ciphering: key-id missing");
        break;
    case 1: /* wrapped-key { kek-id, key-ciphered-data } */
        if (ds_cur_u8(cur, &out->key_id)) return fail(err, errlen, "general-ciphering: kek-id missing");
        if (read_counted(cur, "key-ciphered-data", &out->wrapped_key, &out->wrapped_key_len, err, errlen))
            return -1;
        break;
    case 2: /* agreed-key { key-parameters, key-ciphered-data }; their contents are judged by agree.c */
        if (read_counted(cur, "key-parameters", &out->key_parameters, &out->key_parameters_len, err, errlen))
            return -1;
        if (read_counted(cur, "key-ciphered-data", &out->agreed_data, &out->agreed_data_len, err, errlen)) return -1;
        break;
    default:
        if (err && errlen) snprintf(err, errlen, "general-ciphering: unknown key-info choice %u", (unsigned)choice);
        return -1;
    }
    out->key_info = choice;
    return 0;
}

static int parse_general_ciphering(ds_cursor *cur, ds_ciphered *out, char *err, size_t errlen)
{
    size_t header_start = cur->pos;
    if (read_counted(cur, "transaction-id", &out->transaction_id, &out->transaction_id_len, err, errlen)) return -1;
    if (read_counted(cur, "originator-system-title", &out->title, &out->title_len, err, errlen)) return -1;
    if (read_counted(cur, "recipient-system-title", &out->recipient_title, &out->recipient_title_len, err, errlen))
        return -1;
    if (read_counted(cur, "date-time", &out->date_time, &out->date_time_len, err, errlen)) return -1;
    if (read_counted(cur, "other-information", &out->other_info, &out->other_info_len, err, errlen)) return -1;
    out->gc_header = cur->p + header_start;
    out->gc_header_len = cur->pos - header_start;
    return parse_key_info(cur, out, err, errlen);
}

int ds_ciphered_parse(const uint8_t *apdu, size_t n, ds_ciphered *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->key_info = -1;
    if (err && errlen) err[0] = '\0';
    ds_cursor cur;
    ds_cur_init(&cur, apdu, n);
    uint8_t tag;
    if (ds_cur_u8(&cur, &tag)) return fail(err, errlen, "empty APDU");
    out->apdu_tag = tag;
    if (is_service_specific(tag)) {
        out->kind = is_dedicated_tag(tag) ? DS_CIPH_SERVICE_DED : DS_CIPH_SERVICE_GLO;
    } else if (tag == 0xDB || tag == 0xDC) {
        out->kind = tag == 0xDB ? DS_CIPH_GENERAL_GLO : DS_CIPH_GENERAL_DED;
        if (read_counted(&cur, "system-title", &out->title, &out->title_len, err, errlen)) return -1;
    } else if (tag == 0xDD) {
        out->kind = DS_CIPH_GENERAL_CIPHERING;
        if (parse_general_ciphering(&cur, out, err, errlen)) return -1;
    } else {
        if (err && errlen) snprintf(err, errlen, "tag %02X is not a ciphered APDU", (unsigned)tag);
        return -1;
    }
    if (out->title_len == 0) out->title = NULL;
    const uint8_t *content;
    size_t content_len;
    if (read_counted(&cur, "ciphered content", &content, &content_len, err, errlen)) return -1;
    if (split_protected(content, content_len, out, err, errlen)) return -1;
    out->consumed = cur.pos;
    return 0;
}

int ds_ct_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
    volatile uint8_t diff = 0;
    for (size_t i = 0; i < n; i++) diff |= (uint8_t)(a[i] ^ b[i]);
    return diff == 0;
}

int ds_gmac(const uint8_t *key, size_t key_len, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
            uint8_t *tag, size_t tag_len)
{
    if (!key || (key_len != 16 && key_len != 24 && key_len != 32) || tag_len > 16) return -1;
    mbedtls_gcm_context ctx;
    uint8_t full[16];
    mbedtls_gcm_init(&ctx);
    int rc = mbedtls_gcm_setkey(&ctx, MBEDTLS_CIPHER_ID_AES, key, (unsigned)(key_len * 8));
    if (rc == 0)
        rc = mbedtls_gcm_crypt_and_tag(&ctx, MBEDTLS_GCM_ENCRYPT, 0, iv, 12, aad, aad_len, NULL, NULL, sizeof full,
                                       full);
    mbedtls_gcm_free(&ctx);
    if (rc != 0) return -1;
    memcpy(tag, full, tag_len);
    return 0;
}

static size_t suite_key_len(unsigned suite)
{
    return suite == 2 ? 32 : 16;
}

/* GCM over body with the given AAD: decrypts (or only authenticates) into plain and
 * yields the full 16-byte tag. */
static int gcm_run(const uint8_t *key, size_t key_len, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                   const uint8_t *body, size_t body_len, int decrypt, uint8_t *plain, uint8_t full_tag[16])
{
    mbedtls_gcm_context ctx;
    mbedtls_gcm_init(&ctx);
    int rc = mbedtls_gcm_setkey(&ctx, MBEDTLS_CIPHER_ID_AES, key, (unsigned)(key_len * 8));
    if (rc == 0) {
        if (decrypt)
            rc = mbedtls_gcm_crypt_and_tag(&ctx, MBEDTLS_GCM_DECRYPT, body_len, iv, 12, aad, aad_len, body, plain, 16,
                                           full_tag);
        else
            rc = mbedtls_gcm_crypt_and_tag(&ctx, MBEDTLS_GCM_ENCRYPT, 0, iv, 12, aad, aad_len, NULL, NULL, 16,
                                           full_tag);
    }
    mbedtls_gcm_free(&ctx);
    return rc;
}

/* AAD: SC || AK [|| general-ciphering header] [|| plaintext when only authenticated]. */
static uint8_t *build_aad(const ds_ciphered *c, const ds_key *ak, int with_gc_header, size_t *aad_len)
{
    size_t hdr = with_gc_header ? c->gc_header_len : 0;
    size_t tail = (c->sc & SC_ENC) ? 0 : c->body_len;
    size_t n = 1 + ak->len + hdr + tail;
    uint8_t *aad = malloc(n);
    if (!aad) return NULL;
    size_t pos = 0;
    aad[pos++] = c->sc;
    memcpy(aad + pos, ak->bytes, ak->len);
    pos += ak->len;
    if (hdr) {
        memcpy(aad + pos, c->gc_header, hdr);
        pos += hdr;
    }
    if (tail) memcpy(aad + pos, c->body, tail);
    *aad_len = n;
    return aad;
}

static const ds_key *cipher_key(const ds_ciphered *c, const ds_keyset *keys, int use_dedicated)
{
    if (use_dedicated) return &keys->dk;
    if (c->sc & SC_BROADCAST) return &keys->bk;
    if (c->kind == DS_CIPH_GENERAL_CIPHERING && c->key_info == 0 && c->key_id == 1) return &keys->bk;
    return &keys->ek;
}

/* wrapped-key: the content key is carried in the APDU, wrapped (RFC 3394) with the master key
 * (kek-id 0, the only one defined). The caller wipes the unwrapped key after use; it is never
 * shown. */
static ds_dec_status unwrap_key(const ds_ciphered *c, const ds_keyset *keys, ds_key *out)
{
    memset(out, 0, sizeof *out);
    if (c->key_id != 0 || !ds_key_usable(&keys->kek)) return DS_DEC_NO_KEY;
    if (c->wrapped_key_len != 24 && c->wrapped_key_len != 40) return DS_DEC_UNWRAP_FAILED;
    size_t len = c->wrapped_key_len - 8;
    if (ds_aes_key_unwrap(keys->kek.bytes, keys->kek.len, c->wrapped_key, c->wrapped_key_len, out->bytes) != 0) {
        memset(out, 0, sizeof *out);
        return DS_DEC_UNWRAP_FAILED;
    }
    out->set = 1;
    out->len = len;
    return DS_DEC_OK;
}

/* One attempt with one AAD form; DS_DEC_OK or DS_DEC_TAG_MISMATCH. */
static ds_dec_status try_aad(const ds_ciphered *c, const ds_key *ek, const ds_key *ak, const uint8_t iv[12],
                             int with_gc_header, int verify, uint8_t *plain)
{
    size_t aad_len = 0;
    uint8_t *aad = build_aad(c, ak, with_gc_header, &aad_len);
    if (!aad) return DS_DEC_UNSUPPORTED;
    uint8_t full[16];
    int enc = (c->sc & SC_ENC) != 0;
    int rc = gcm_run(ek->bytes, ek->len, iv, aad, aad_len, c->body, c->body_len, enc, plain, full);
    mbedtls_platform_zeroize(aad, aad_len); /* it holds the AK */
    free(aad);
    if (rc != 0) return DS_DEC_UNSUPPORTED;
    if (!enc) memcpy(plain, c->body, c->body_len);
    if (verify && !ds_ct_equal(full, c->tag, TAG_LEN)) return DS_DEC_TAG_MISMATCH;
    return DS_DEC_OK;
}

static ds_dec_status decipher_with(const ds_ciphered *c, const uint8_t title[DS_TITLE_LEN], const ds_key *ek,
                                   const ds_key *ak, int verify, uint8_t *plain, size_t *plain_len);

/* agreed-key: the content key comes from ECDH and the KDF (agree.c); it is wiped after use. */
static ds_dec_status decipher_agreed(const ds_ciphered *c, const uint8_t title[DS_TITLE_LEN], const ds_keyset *keys,
                                     int verify, uint8_t *plain, size_t *plain_len, ds_agree_report *rep)
{
    ds_key agreed;
    ds_dec_status st = ds_agreed_key(c, title, keys, &agreed, rep);
    if (st == DS_DEC_OK) st = decipher_with(c, title, &agreed, &keys->ak, verify, plain, plain_len); /* OK: keys given */
    mbedtls_platform_zeroize(&agreed, sizeof agreed);
    return st;
}

ds_dec_status ds_decipher(const ds_ciphered *c, const uint8_t title[DS_TITLE_LEN], const ds_keyset *keys,
                          int use_dedicated, int verify, uint8_t *plain, size_t *plain_len)
{
    return ds_decipher_ex(c, title, keys, use_dedicated, verify, plain, plain_len, NULL);
}

ds_dec_status ds_decipher_ex(const ds_ciphered *c, const uint8_t title[DS_TITLE_LEN], const ds_keyset *keys,
                             int use_dedicated, int verify, uint8_t *plain, size_t *plain_len, ds_agree_report *rep)
{
    *plain_len = 0;
    if (rep) {
        memset(rep, 0, sizeof *rep);
        rep->scheme = -1;
    }
    if (c->sc & SC_COMPRESSED) return DS_DEC_UNSUPPORTED;
    unsigned suite = c->sc & SC_SUITE_MASK;
    if (suite > 2) return DS_DEC_UNSUPPORTED;
    int auth = (c->sc & SC_AUTH) != 0, enc = (c->sc & SC_ENC) != 0;
    if (auth && (!c->tag || c->tag_len < TAG_LEN)) return DS_DEC_TOO_SHORT;
    if (!title) {
        if (!c->title || c->title_len != DS_TITLE_LEN) return DS_DEC_NO_KEY;
        title = c->title;
    }
    if (!auth && !enc) { /* nothing applied: the body is the APDU */
        memcpy(plain, c->body, c->body_len);
        *plain_len = c->body_len;
        return DS_DEC_OK;
    }
    if (auth && !enc && !verify) { /* authenticated only: the content is in clear, no key needed to read it */
        memcpy(plain, c->body, c->body_len);
        *plain_len = c->body_len;
        return DS_DEC_OK;
    }
    if (c->kind == DS_CIPH_GENERAL_CIPHERING && c->key_info == 2)
        return decipher_agreed(c, title, keys, verify, plain, plain_len, rep);
    if (!keys) return DS_DEC_NO_KEY;
    if (c->kind == DS_CIPH_GENERAL_CIPHERING && c->key_info == 1) {
        ds_key unwrapped;
        ds_dec_status st = unwrap_key(c, keys, &unwrapped);
        if (st == DS_DEC_OK) st = decipher_with(c, title, &unwrapped, &keys->ak, verify, plain, plain_len);
        mbedtls_platform_zeroize(&unwrapped, sizeof unwrapped);
        return st;
    }
    return decipher_with(c, title, cipher_key(c, keys, use_dedicated), &keys->ak, verify, plain, plain_len);
}

/* The GCM part of ds_decipher once the encryption key is chosen. */
static ds_dec_status decipher_with(const ds_ciphered *c, const uint8_t title[DS_TITLE_LEN], const ds_key *ek,
                                   const ds_key *ak, int verify, uint8_t *plain, size_t *plain_len)
{
    unsigned suite = c->sc & SC_SUITE_MASK;
    int auth = (c->sc & SC_AUTH) != 0, enc = (c->sc & SC_ENC) != 0;
    if (!ds_key_usable(ek) || ek->len != suite_key_len(suite)) return DS_DEC_NO_KEY;
    static const ds_key NO_AK;
    if (auth && !ds_key_usable(ak)) {
        /* the tag cannot be checked without AK; deciphering still works when it is not asked for */
        if (verify || !enc) return DS_DEC_NO_KEY;
        ak = &NO_AK;
    }
    uint8_t iv[12];
    memcpy(iv, title, DS_TITLE_LEN);
    for (unsigned i = 0; i < IC_LEN; i++) iv[DS_TITLE_LEN + i] = (uint8_t)(c->ic >> (24 - 8 * i));

    if (!auth) {
        uint8_t full[16];
        if (gcm_run(ek->bytes, ek->len, iv, NULL, 0, c->body, c->body_len, 1, plain, full) != 0)
            return DS_DEC_UNSUPPORTED;
        *plain_len = c->body_len;
        return DS_DEC_OK;
    }
    ds_dec_status st;
    /* general-ciphering with suite 1/2 may add its header to the AAD (REFERENCE §6.3, one source):
     * try that form first, then the plain one */
    int gc_form = c->kind == DS_CIPH_GENERAL_CIPHERING && suite != 0 && c->recipient_title_len > 0;
    st = try_aad(c, ek, ak, iv, gc_form, verify, plain);
    if (st == DS_DEC_TAG_MISMATCH && gc_form) st = try_aad(c, ek, ak, iv, 0, verify, plain);
    if (st != DS_DEC_OK) {
        memset(plain, 0, c->body_len); /* nothing unauthenticated leaks out */
        return st;
    }
    *plain_len = c->body_len;
    return DS_DEC_OK;
}

void ds_decipher_missing_key(const ds_ciphered *c, const ds_keyset *keys, int use_dedicated, char *why, size_t whylen)
{
    static const ds_keyset NONE;
    if (!keys) keys = &NONE;
    const ds_key *ek = cipher_key(c, keys, use_dedicated);
    const char *name = ek == &keys->dk ? "dedicated key" : ek == &keys->bk ? "broadcast key" : "global key (EK)";
    size_t need = suite_key_len(c->sc & SC_SUITE_MASK);
    if (!ds_key_usable(ek))
        snprintf(why, whylen, "no %s", name);
    else if (ek->len != need)
        snprintf(why, whylen, "the %s is %zu bytes, security suite %u needs %zu", name, ek->len,
                 (unsigned)(c->sc & SC_SUITE_MASK), need);
    else if ((c->sc & SC_AUTH) && !ds_key_usable(&keys->ak))
        snprintf(why, whylen,
                 "no authentication key (AK), which security control %02X needs for its tag (give it, or decipher "
                 "unchecked with --no-verify)",
                 c->sc);
    else
        snprintf(why, whylen, "no usable %s", name);
}

/* ---- diagnosis of the usual human mistakes -------------------------------------------------- */

static const char *key_role(const ds_keyset *keys, const ds_key *k)
{
    if (k == &keys->dk) return "dedicated key";
    if (k == &keys->bk) return "broadcast key";
    return "EK";
}

/* A guess of the mistake search (mistakes.h) tried on one ciphered APDU. */
typedef struct cipher_trial {
    const ds_ciphered *c;
    const ds_keyset *keys;
    int use_dedicated;
    uint8_t *plain;
    size_t *plain_len;
} cipher_trial;

static void put_key(ds_key *slot, const uint8_t *p, size_t n)
{
    memset(slot, 0, sizeof *slot);
    if (!p || n == 0 || n > sizeof slot->bytes) return;
    memcpy(slot->bytes, p, n);
    slot->len = n;
    slot->set = 1;
}

static int cipher_guess_works(void *ctx, const ds_guess *g)
{
    const cipher_trial *t = ctx;
    ds_keyset trial = *t->keys;
    const ds_key *ek = cipher_key(t->c, t->keys, t->use_dedicated);
    ds_key *slot = t->use_dedicated ? &trial.dk : (ek == &t->keys->bk ? &trial.bk : &trial.ek);
    put_key(slot, g->ek, g->ek_len);
    put_key(&trial.ak, g->ak, g->ak_len);
    ds_ciphered c = *t->c;
    c.ic += (uint32_t)g->ic_delta; /* the IV's counter; the carried bytes are not part of the AAD */
    int ok = ds_decipher(&c, g->title, &trial, t->use_dedicated, 1, t->plain, t->plain_len) == DS_DEC_OK;
    mbedtls_platform_zeroize(&trial, sizeof trial);
    return ok;
}

/* The search's names with this module's prefix; the kind of key has one name here. */
static const char *cipher_code(const char *mistake)
{
    static const char *const CODES[][2] = {
        {"key-ascii", "cipher.key-ascii"},         {"key-ascii-prefix", "cipher.key-ascii-prefix"},
        {"key-hex-digits", "cipher.key-hex-digits"}, {"keys-swapped", "cipher.keys-swapped"},
        {"titles-swapped", "cipher.titles-swapped"}, {"ic-off-by-one", "cipher.ic-off-by-one"},
        {"dedicated-key", "cipher.wrong-key-kind"},  {"global-key", "cipher.wrong-key-kind"}};
    for (size_t i = 0; mistake && i < sizeof CODES / sizeof CODES[0]; i++)
        if (strcmp(mistake, CODES[i][0]) == 0) return CODES[i][1];
    return NULL;
}

static const char *typed_text(const ds_key *k)
{
    return k->set && k->text[0] ? k->text : NULL;
}

const char *ds_decipher_diagnose_ex(const ds_ciphered *c, const uint8_t title[DS_TITLE_LEN],
                                    const uint8_t *other_title, const ds_keyset *keys, int use_dedicated,
                                    int show_keys, uint8_t *plain, size_t *plain_len, char *why, size_t whylen)
{
    *plain_len = 0;
    if (why && whylen) why[0] = '\0';
    /* without a tag nothing can be confirmed: any key "deciphers" encrypted-only content */
    if (!keys || !(c->sc & SC_AUTH) || !c->tag) return NULL;
    if (c->kind == DS_CIPH_GENERAL_CIPHERING && c->key_info == 2) return NULL;
    if (!title) {
        if (!c->title || c->title_len != DS_TITLE_LEN) return NULL;
        title = c->title;
    }
    const ds_key *ek = cipher_key(c, keys, use_dedicated), *other = cipher_key(c, keys, !use_dedicated);
    ds_mistake_inputs in;
    memset(&in, 0, sizeof in);
    if (ek->set) {
        in.ek = ek->bytes;
        in.ek_len = ek->len;
        in.ek_text = typed_text(ek);
    }
    in.ek_role = key_role(keys, ek);
    if (keys->ak.set) {
        in.ak = keys->ak.bytes;
        in.ak_len = keys->ak.len;
        in.ak_text = typed_text(&keys->ak);
    }
    in.key_len = suite_key_len(c->sc & SC_SUITE_MASK);
    in.title = title;
    in.other_title = other_title;
    in.ic = c->ic;
    if (ds_key_usable(other)) {
        in.other_ek = other->bytes;
        in.other_ek_len = other->len;
        in.other_ek_is_dedicated = !use_dedicated;
    }
    in.show_keys = show_keys;
    cipher_trial t = {c, keys, use_dedicated, plain, plain_len};
    char clause[300];
    const char *code = cipher_code(ds_mistake_search(&in, cipher_guess_works, &t, clause, sizeof clause));
    if (!code) {
        *plain_len = 0;
        return NULL;
    }
    if (why && whylen) snprintf(why, whylen, "the authentication tag verifies %s", clause);
    mbedtls_platform_zeroize(clause, sizeof clause);
    return code;
}

const char *ds_decipher_diagnose(const ds_ciphered *c, const uint8_t title[DS_TITLE_LEN],
                                 const uint8_t *other_title, const ds_keyset *keys, int use_dedicated,
                                 uint8_t *plain, size_t *plain_len, char *why, size_t whylen)
{
    return ds_decipher_diagnose_ex(c, title, other_title, keys, use_dedicated, 0, plain, plain_len, why, whylen);
}
