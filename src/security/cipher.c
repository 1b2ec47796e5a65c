/* Ciphered APDUs: taking them apart and deciphering them with AES-GCM (mbedtls).
 * Layouts and GCM parameters: REFERENCE §6.2/§6.3. */
#include "security/cipher.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/gcm.h>
#include <mbedtls/platform_util.h>

#include "apdu/apdu_tags.h"
#include "security/agree.h"
#include "security/keywrap.h"
#include "security/mistakes.h"
#include "security/signing.h"
#include "security/hash.h"
#include "util/buf.h"
#include "util/cursor.h"
#include "util/fail.h"

#define SC_SUITE_MASK DS_SC_SUITE_MASK
#define SC_AUTH DS_SC_AUTH
#define SC_ENC DS_SC_ENC
#define SC_BROADCAST DS_SC_BROADCAST
#define SC_COMPRESSED DS_SC_COMPRESSED
#define TAG_LEN DS_CIPHER_TAG_LEN
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

#define fail ds_fail /* util/fail.h: the one helper, under the short name used here */

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

/* ---- the layouts, for both directions ----------------------------------------------------
 * What follows the tag of each form (REFERENCE §6.2/§6.3): ds_ciphered_parse reads these fields
 * and ds_encipher writes them, from the same two tables. Every field is an A-XDR length and
 * that many bytes; the ciphered content (SC IC body [T]) ends every form. */

/* A counted field of ds_ciphered: where its pointer and length live. */
typedef struct counted_field {
    const char *name;
    size_t ptr, len; /* offsetof into ds_ciphered */
} counted_field;

#define FIELD(name, p, n) {name, offsetof(ds_ciphered, p), offsetof(ds_ciphered, n)}
/* general-glo / general-ded: the sender's title */
static const counted_field TITLE_HEADER[] = {FIELD("system-title", title, title_len)};
/* general-ciphering: its header, in wire order (the title is the originator's) */
static const counted_field GC_HEADER[] = {
    FIELD("transaction-id", transaction_id, transaction_id_len),
    FIELD("originator-system-title", title, title_len),
    FIELD("recipient-system-title", recipient_title, recipient_title_len),
    FIELD("date-time", date_time, date_time_len),
    FIELD("other-information", other_info, other_info_len)};
#undef FIELD

typedef struct ciph_layout {
    const counted_field *header;
    size_t fields;
    int key_info; /* a key-info follows the header (general-ciphering) */
} ciph_layout;

static ciph_layout layout_of(ds_ciph_kind kind)
{
    switch (kind) {
    case DS_CIPH_GENERAL_GLO:
    case DS_CIPH_GENERAL_DED: return (ciph_layout){TITLE_HEADER, 1, 0};
    case DS_CIPH_GENERAL_CIPHERING: return (ciph_layout){GC_HEADER, sizeof GC_HEADER / sizeof GC_HEADER[0], 1};
    default: return (ciph_layout){NULL, 0, 0};
    }
}

static const uint8_t **field_ptr(ds_ciphered *c, const counted_field *f)
{
    return (const uint8_t **)(void *)((char *)c + f->ptr);
}

static size_t *field_len(ds_ciphered *c, const counted_field *f)
{
    return (size_t *)(void *)((char *)c + f->len);
}

/* The header fields of a layout; for general-ciphering also where they start and end (the AAD
 * of suites 1 and 2 takes them as they are on the wire). */
static int parse_header(ds_cursor *cur, ciph_layout l, ds_ciphered *out, char *err, size_t errlen)
{
    size_t header_start = cur->pos;
    for (size_t i = 0; i < l.fields; i++)
        if (read_counted(cur, l.header[i].name, field_ptr(out, &l.header[i]), field_len(out, &l.header[i]), err,
                         errlen))
            return -1;
    if (!l.key_info) return 0;
    out->gc_header = cur->p + header_start;
    out->gc_header_len = cur->pos - header_start;
    return parse_key_info(cur, out, err, errlen);
}

/* The kind of a ciphered tag, from the tag table; 0 for any other tag. */
static ds_ciph_kind kind_of_tag(uint8_t tag)
{
    switch (ds_apdu_tag(tag)->protection) {
    case DS_APDU_GLO: return DS_CIPH_SERVICE_GLO;
    case DS_APDU_DED: return DS_CIPH_SERVICE_DED;
    case DS_APDU_GENERAL_GLO: return DS_CIPH_GENERAL_GLO;
    case DS_APDU_GENERAL_DED: return DS_CIPH_GENERAL_DED;
    case DS_APDU_GENERAL: return DS_CIPH_GENERAL_CIPHERING;
    default: return (ds_ciph_kind)0;
    }
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
    out->kind = kind_of_tag(tag);
    if (!out->kind) {
        if (err && errlen) snprintf(err, errlen, "tag %02X is not a ciphered APDU", (unsigned)tag);
        return -1;
    }
    if (parse_header(&cur, layout_of(out->kind), out, err, errlen)) return -1;
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

typedef enum { GCM_DECRYPT, GCM_ENCRYPT, GCM_AUTH_ONLY } gcm_mode;

/* GCM over body with the given AAD: decrypts or encrypts it into out, or only authenticates
 * (the body is then in the AAD and out is untouched), and yields the full 16-byte tag. */
static int gcm_run(const uint8_t *key, size_t key_len, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                   const uint8_t *body, size_t body_len, gcm_mode mode, uint8_t *out, uint8_t full_tag[16])
{
    mbedtls_gcm_context ctx;
    mbedtls_gcm_init(&ctx);
    int rc = mbedtls_gcm_setkey(&ctx, MBEDTLS_CIPHER_ID_AES, key, (unsigned)(key_len * 8));
    if (rc == 0) {
        if (mode == GCM_AUTH_ONLY)
            rc = mbedtls_gcm_crypt_and_tag(&ctx, MBEDTLS_GCM_ENCRYPT, 0, iv, 12, aad, aad_len, NULL, NULL, 16,
                                           full_tag);
        else
            rc = mbedtls_gcm_crypt_and_tag(&ctx, mode == GCM_DECRYPT ? MBEDTLS_GCM_DECRYPT : MBEDTLS_GCM_ENCRYPT,
                                           body_len, iv, 12, aad, aad_len, body, out, 16, full_tag);
    }
    mbedtls_gcm_free(&ctx);
    return rc;
}

/* IV = the sender's system title || IC (REFERENCE §6.2). */
static void make_iv(const uint8_t title[DS_TITLE_LEN], uint32_t ic, uint8_t iv[12])
{
    memcpy(iv, title, DS_TITLE_LEN);
    for (unsigned i = 0; i < IC_LEN; i++) iv[DS_TITLE_LEN + i] = (uint8_t)(ic >> (24 - 8 * i));
}

/* general-ciphering with suite 1/2 may add its header to the AAD (REFERENCE §6.3, one source):
 * the form deciphering tries first and enciphering writes. */
static int gc_header_in_aad(const ds_ciphered *c)
{
    return c->kind == DS_CIPH_GENERAL_CIPHERING && (c->sc & SC_SUITE_MASK) != 0 && c->recipient_title_len > 0;
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
    int rc = gcm_run(ek->bytes, ek->len, iv, aad, aad_len, c->body, c->body_len, enc ? GCM_DECRYPT : GCM_AUTH_ONLY,
                     plain, full);
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
    make_iv(title, c->ic, iv);

    if (!auth) {
        uint8_t full[16];
        if (gcm_run(ek->bytes, ek->len, iv, NULL, 0, c->body, c->body_len, GCM_DECRYPT, plain, full) != 0)
            return DS_DEC_UNSUPPORTED;
        *plain_len = c->body_len;
        return DS_DEC_OK;
    }
    ds_dec_status st;
    /* the general-ciphering header in the AAD first, then the plain form */
    int gc_form = gc_header_in_aad(c);
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

/* ---- enciphering ---------------------------------------------------------------------------- */

#define refuse ds_fail /* util/fail.h */

void ds_encipher_params_init(ds_encipher_params *p, ds_cipher_form form, uint8_t sc, uint32_t ic,
                             const uint8_t *title)
{
    memset(p, 0, sizeof *p);
    p->form = form;
    p->sc = sc;
    p->ic = ic;
    p->title = title;
    p->key_info = DS_KEY_INFO_NONE;
}

/* The ciphered APDU's tag: the plain tag's glo/ded row, or the general form's carrier. */
static int cipher_tag(ds_cipher_form form, const uint8_t *plain, size_t n, uint8_t *tag, char *err, size_t errlen)
{
    static const uint8_t CARRIER[] = {[DS_CIPHER_GENERAL_GLO] = DS_APDU_GENERAL_GLO,
                                      [DS_CIPHER_GENERAL_DED] = DS_APDU_GENERAL_DED,
                                      [DS_CIPHER_GENERAL_CIPHERING] = DS_APDU_GENERAL};
    if (form == DS_CIPHER_GLO || form == DS_CIPHER_DED) {
        if (n == 0) return refuse(err, errlen, "plain APDU: empty, no tag to take the glo-/ded- form of");
        const ds_apdu_tag_info *t = ds_apdu_tag(plain[0]);
        *tag = form == DS_CIPHER_GLO ? t->glo : t->ded;
        if (*tag == 0)
            return refuse(err, errlen, "plain APDU: tag %02X (%s) has no %s form; use a general form", plain[0],
                          t->service ? t->service : "no APDU", form == DS_CIPHER_GLO ? "glo-" : "ded-");
        return 0;
    }
    if (form >= DS_CIPHER_GENERAL_GLO && form <= DS_CIPHER_GENERAL_CIPHERING) {
        *tag = ds_apdu_carrier_tag(CARRIER[form]);
        return 0;
    }
    return refuse(err, errlen, "form: %d is none of glo, ded, general-glo, general-ded, general-ciphering", (int)form);
}

/* The security control: a suite of 0-2, no compression. */
static int check_sc(uint8_t sc, char *err, size_t errlen)
{
    if (sc & SC_COMPRESSED)
        return refuse(err, errlen, "security control %02X: compression (bit 80) is not supported", sc);
    if ((sc & SC_SUITE_MASK) > 2)
        return refuse(err, errlen, "security control %02X: security suite %u is not one of 0, 1, 2", sc,
                      (unsigned)(sc & SC_SUITE_MASK));
    return 0;
}

/* The ds_ciphered an enciphered APDU will parse into, as far as it is known before writing:
 * what the key choice, the layout and the AAD read. */
static int describe(const ds_encipher_params *p, uint8_t tag, ds_ciphered *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->kind = p->form;
    c->apdu_tag = tag;
    c->sc = p->sc;
    c->ic = p->ic;
    c->key_info = -1;
    if (p->form == DS_CIPHER_GLO || p->form == DS_CIPHER_DED) return 0;
    c->title = p->title;
    c->title_len = DS_TITLE_LEN;
    if (p->form != DS_CIPHER_GENERAL_CIPHERING) return 0;
    c->transaction_id = p->transaction_id;
    c->transaction_id_len = p->transaction_id ? p->transaction_id_len : 0;
    c->recipient_title = p->recipient_title;
    c->recipient_title_len = p->recipient_title ? p->recipient_title_len : 0;
    c->date_time = p->date_time;
    c->date_time_len = p->date_time ? p->date_time_len : 0;
    c->other_info = p->other_info;
    c->other_info_len = p->other_info ? p->other_info_len : 0;
    if (p->key_info < DS_KEY_INFO_NONE || p->key_info > DS_KEY_INFO_AGREED)
        return refuse(err, errlen, "key-info: choice %d is none of identified-key 0, wrapped-key 1, agreed-key 2",
                      p->key_info);
    if (p->key_info == DS_KEY_INFO_AGREED && (c->sc & SC_SUITE_MASK) == 0)
        return refuse(err, errlen, "key-info: an agreed key needs security suite 1 or 2, the security control says 0");
    if (p->key_info == DS_KEY_INFO_AGREED && p->agreement_scheme != 1 && p->agreement_scheme != 2)
        return refuse(err, errlen, "key-parameters: scheme %d is neither 1 (One-Pass) nor 2 (Static Unified Model)",
                      p->agreement_scheme);
    if (p->key_info == DS_KEY_INFO_IDENTIFIED && p->key_id > 1)
        return refuse(err, errlen, "key-info: key-id %u is neither 0 (global unicast) nor 1 (global broadcast)",
                      (unsigned)p->key_id);
    c->key_info = p->key_info;
    c->key_id = p->key_id;
    return 0;
}

/* The content key: the one of the keyset the APDU's form and SC choose, or the wrapped key. */
static int encipher_key(const ds_encipher_params *p, const ds_ciphered *c, const ds_keyset *keys, const ds_key **ek,
                        ds_key *wrapped_key, char *err, size_t errlen)
{
    static const ds_keyset NONE;
    size_t need = suite_key_len(c->sc & SC_SUITE_MASK);
    if (!keys) keys = &NONE;
    if (c->key_info == DS_KEY_INFO_AGREED) {
        *ek = wrapped_key; /* agreed once the header is written (its transaction-id is in the KDF) */
    } else if (c->key_info == DS_KEY_INFO_WRAPPED) {
        if (!p->content_key || p->content_key_len != need)
            return refuse(err, errlen, "content key: %zu bytes, security suite %u needs %zu",
                          p->content_key ? p->content_key_len : 0, (unsigned)(c->sc & SC_SUITE_MASK), need);
        if (p->key_id != 0) return refuse(err, errlen, "key-info: kek-id %u is not 0 (the master key)", p->key_id);
        if (!ds_key_usable(&keys->kek)) return refuse(err, errlen, "master key (KEK): none to wrap the content key");
        memset(wrapped_key, 0, sizeof *wrapped_key);
        memcpy(wrapped_key->bytes, p->content_key, need);
        wrapped_key->len = need;
        wrapped_key->set = 1;
        *ek = wrapped_key;
    } else {
        int dedicated = c->kind == DS_CIPH_SERVICE_DED || c->kind == DS_CIPH_GENERAL_DED;
        *ek = cipher_key(c, keys, dedicated);
        if (!ds_key_usable(*ek) || (*ek)->len != need) {
            char why[200];
            ds_decipher_missing_key(c, keys, dedicated, why, sizeof why);
            return refuse(err, errlen, "key: %s", why);
        }
    }
    if ((c->sc & SC_AUTH) && !ds_key_usable(&keys->ak))
        return refuse(err, errlen, "authentication key (AK): %s, security control %02X needs it for its tag",
                      keys->ak.set ? "not 16 or 32 bytes" : "none", c->sc);
    return 0;
}

/* A cursor that writes: the output buffer and its limit. */
typedef struct out_cursor {
    uint8_t *p;
    size_t cap, pos;
} out_cursor;

static void put(out_cursor *o, const uint8_t *b, size_t n)
{
    if (n) memcpy(o->p + o->pos, b, n);
    o->pos += n;
}

static void put_counted(out_cursor *o, const uint8_t *b, size_t n)
{
    uint8_t len[5];
    put(o, len, ds_len_bytes(n, len));
    put(o, b, n);
}

static size_t counted_size(size_t n)
{
    uint8_t len[5];
    return ds_len_bytes(n, len) + n;
}

/* The key-info of general-ciphering, as parse_key_info reads it. */
static void key_info_bytes(const ds_ciphered *c, uint8_t *out, size_t *n)
{
    size_t k = 0;
    if (c->key_info < 0) {
        out[k++] = 0;
    } else {
        out[k++] = 1;
        out[k++] = (uint8_t)c->key_info;
        if (c->key_info == DS_KEY_INFO_AGREED) {
            k += ds_len_bytes(c->key_parameters_len, out + k);
            memcpy(out + k, c->key_parameters, c->key_parameters_len);
            k += c->key_parameters_len;
            k += ds_len_bytes(c->agreed_data_len, out + k);
            memcpy(out + k, c->agreed_data, c->agreed_data_len);
            k += c->agreed_data_len;
            *n = k;
            return;
        }
        out[k++] = c->key_id;
        if (c->key_info == DS_KEY_INFO_WRAPPED) {
            k += ds_len_bytes(c->wrapped_key_len, out + k);
            memcpy(out + k, c->wrapped_key, c->wrapped_key_len);
            k += c->wrapped_key_len;
        }
    }
    *n = k;
}

/* The header of a layout as it will be written, so that its size is known first. */
static size_t header_size(ds_ciphered *c, ciph_layout l, size_t key_info_len)
{
    size_t n = 0;
    for (size_t i = 0; i < l.fields; i++) n += counted_size(*field_len(c, &l.header[i]));
    return n + (l.key_info ? key_info_len : 0);
}

#define FIELD_MAX 0xFFFFFFFFu /* the longest length A-XDR's four length bytes say */

static int check_field_sizes(ds_ciphered *c, ciph_layout l, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < l.fields; i++)
        if (*field_len(c, &l.header[i]) > FIELD_MAX)
            return refuse(err, errlen, "%s: %zu bytes, longer than a length can say", l.header[i].name,
                          *field_len(c, &l.header[i]));
    if (n > FIELD_MAX - 64) return refuse(err, errlen, "plain APDU: %zu bytes, too long to encipher", n);
    return 0;
}

/* The GCM step once the layout is written up to the body: encrypts (or copies) plain into body
 * and writes the tag after it. c->gc_header points at the written header. */
static int seal(const ds_ciphered *c, int header_in_aad, const ds_key *ek, const ds_key *ak,
                const uint8_t title[DS_TITLE_LEN], const uint8_t *plain, size_t n, uint8_t *body)
{
    int auth = (c->sc & SC_AUTH) != 0, enc = (c->sc & SC_ENC) != 0;
    uint8_t iv[12], full[16];
    make_iv(title, c->ic, iv);
    if (!auth && !enc) {
        memcpy(body, plain, n);
        return 0;
    }
    if (!auth) return gcm_run(ek->bytes, ek->len, iv, NULL, 0, plain, n, GCM_ENCRYPT, body, full) ? -1 : 0;
    ds_ciphered view = *c;
    view.body = plain; /* the AAD of authentication only ends with the plaintext */
    view.body_len = n;
    size_t aad_len = 0;
    uint8_t *aad = build_aad(&view, ak, header_in_aad, &aad_len);
    if (!aad) return -1;
    int rc = gcm_run(ek->bytes, ek->len, iv, aad, aad_len, plain, n, enc ? GCM_ENCRYPT : GCM_AUTH_ONLY, body, full);
    mbedtls_platform_zeroize(aad, aad_len); /* it holds the AK */
    free(aad);
    if (rc) return -1;
    if (!enc) memcpy(body, plain, n);
    memcpy(body + n, full, TAG_LEN);
    mbedtls_platform_zeroize(full, sizeof full);
    return 0;
}

#define COORD_MAX 48u

static void ec_key_of(ds_ec_key *k, const uint8_t *p, size_t n)
{
    memset(k, 0, sizeof *k);
    if (!p || n == 0 || n > sizeof k->bytes) return;
    memcpy(k->bytes, p, n);
    k->len = n;
    k->set = 1;
}

/* agreed-key's key-ciphered-data: One-Pass: the ephemeral public key X || Y and the signature
 * of key-parameters || X || Y (what agree.c checks first); Static Unified Model: nothing. */
static int agreed_data(const ds_encipher_params *p, const uint8_t *scheme, uint8_t *data, size_t *len, char *err,
                       size_t errlen)
{
    *len = 0;
    if (p->agreement_scheme != 1) return 0;
    size_t coord = (p->sc & SC_SUITE_MASK) == 2 ? 48 : 32, pub_len = 0, sig_len = 0;
    uint8_t pub[1 + 2 * COORD_MAX];
    if (!p->own_priv || p->own_priv_len != coord || ds_ec_public_of(p->own_priv, coord, pub, &pub_len))
        return refuse(err, errlen, "ephemeral private key: not a %s private key of %zu bytes", coord == 32 ? "P-256" : "P-384",
                      coord);
    memcpy(data, pub + 1, 2 * coord);
    const ds_bytes signed_parts[2] = {{scheme, 1}, {data, 2 * coord}};
    char why[160];
    if (!p->signing_priv || p->signing_priv_len != coord ||
        ds_ecdsa_sign_parts(p->signing_priv, coord, signed_parts, 2, data + 2 * coord, 2 * coord, &sig_len, why,
                            sizeof why))
        return refuse(err, errlen, "signing key: the originator's %s signing private key of %zu bytes is needed",
                      coord == 32 ? "P-256" : "P-384", coord);
    *len = 4 * coord;
    return 0;
}

/* agreed-key: the content key, from the written header (c->gc_header set). */
static int agree_content_key(const ds_encipher_params *p, const ds_ciphered *c, ds_key *key, char *err, size_t errlen)
{
    ds_ec_key own, rpub;
    ec_key_of(&own, p->own_priv, p->own_priv_len);
    ec_key_of(&rpub, p->recipient_pub, p->recipient_pub_len);
    ds_agree_report rep;
    ds_dec_status st = ds_agreed_key_originator(c, p->title, &own, &rpub, key, &rep);
    mbedtls_platform_zeroize(&own, sizeof own);
    if (st != DS_DEC_OK) return refuse(err, errlen, "agreed key: %s", rep.why);
    return 0;
}

int ds_encipher(const ds_encipher_params *p, const ds_keyset *keys, const uint8_t *plain, size_t n, uint8_t *out,
                size_t cap, size_t *out_len, char *err, size_t errlen)
{
    static const ds_keyset NO_KEYS;
    if (err && errlen) err[0] = '\0';
    if (out_len) *out_len = 0;
    if (!p || !out_len || (!plain && n) || (!out && cap)) return refuse(err, errlen, "arguments: NULL pointer");
    if (!keys) keys = &NO_KEYS;
    uint8_t tag;
    ds_ciphered c;
    if (check_sc(p->sc, err, errlen) || cipher_tag(p->form, plain, n, &tag, err, errlen)) return -1;
    if (!p->title) return refuse(err, errlen, "system title: none (8 bytes needed for the IV)");
    if (describe(p, tag, &c, err, errlen)) return -1;
    const ds_key *ek = NULL;
    ds_key content_key;
    uint8_t wrapped[DS_KEY_MAX + 8];
    if (encipher_key(p, &c, keys, &ek, &content_key, err, errlen)) return -1;
    if (c.key_info == DS_KEY_INFO_WRAPPED) {
        if (ds_aes_key_wrap(keys->kek.bytes, keys->kek.len, content_key.bytes, content_key.len, wrapped)) {
            mbedtls_platform_zeroize(&content_key, sizeof content_key);
            return refuse(err, errlen, "master key (KEK): cannot wrap with a key of %zu bytes", keys->kek.len);
        }
        c.wrapped_key = wrapped;
        c.wrapped_key_len = content_key.len + 8;
    }
    uint8_t scheme = (uint8_t)p->agreement_scheme, agreed[4 * COORD_MAX];
    if (c.key_info == DS_KEY_INFO_AGREED) {
        c.key_parameters = &scheme;
        c.key_parameters_len = 1;
        c.agreed_data = agreed;
        if (agreed_data(p, &scheme, agreed, &c.agreed_data_len, err, errlen)) return -1;
    }
    ciph_layout l = layout_of(c.kind);
    uint8_t key_info[2 + 6 + 5 + sizeof agreed];
    size_t key_info_len = 0;
    key_info_bytes(&c, key_info, &key_info_len);
    int rc = check_field_sizes(&c, l, n, err, errlen);
    size_t content_len = 1 + IC_LEN + n + ((c.sc & SC_AUTH) ? TAG_LEN : 0);
    size_t total = 1 + header_size(&c, l, key_info_len) + counted_size(content_len);
    if (rc == 0 && total > cap)
        rc = refuse(err, errlen, "output buffer: %zu bytes, the ciphered APDU needs %zu", cap, total);
    if (rc == 0) {
        out_cursor o = {out, cap, 0};
        put(&o, &tag, 1);
        size_t header_start = o.pos;
        for (size_t i = 0; i < l.fields; i++) put_counted(&o, *field_ptr(&c, &l.header[i]), *field_len(&c, &l.header[i]));
        c.gc_header = out + header_start;
        c.gc_header_len = o.pos - header_start;
        if (l.key_info) { /* the written transaction-id: the Static Unified Model's KDF takes it from here */
            c.transaction_id = c.gc_header + counted_size(c.transaction_id_len) - c.transaction_id_len;
            put(&o, key_info, key_info_len);
        }
        if (c.key_info == DS_KEY_INFO_AGREED && agree_content_key(p, &c, &content_key, err, errlen)) {
            memset(out, 0, total);
            mbedtls_platform_zeroize(&content_key, sizeof content_key);
            return -1;
        }
        uint8_t len[5], sc_ic[1 + IC_LEN] = {c.sc, (uint8_t)(c.ic >> 24), (uint8_t)(c.ic >> 16), (uint8_t)(c.ic >> 8),
                                             (uint8_t)c.ic};
        put(&o, len, ds_len_bytes(content_len, len));
        put(&o, sc_ic, sizeof sc_ic);
        if (seal(&c, gc_header_in_aad(&c) && !p->header_not_in_aad, ek, &keys->ak, p->title, plain, n, out + o.pos)) {
            memset(out, 0, total);
            rc = refuse(err, errlen, "AES-GCM failed");
        } else {
            *out_len = total;
        }
    }
    mbedtls_platform_zeroize(&content_key, sizeof content_key);
    return rc;
}

int ds_decipher_apdu(const uint8_t *apdu, size_t n, const uint8_t *title, const ds_keyset *keys, uint8_t *plain,
                     size_t cap, size_t *plain_len, char *err, size_t errlen)
{
    static const char *const WHY[] = {
        [DS_DEC_NO_KEY] = "no usable key", [DS_DEC_TAG_MISMATCH] = "the authentication tag does not verify",
        [DS_DEC_TOO_SHORT] = "too short for its tag", [DS_DEC_UNSUPPORTED] = "not supported",
        [DS_DEC_UNWRAP_FAILED] = "the wrapped key does not unwrap with the master key",
        [DS_DEC_AGREEMENT_FAILED] = "the key cannot be agreed"};
    ds_ciphered c;
    if (plain_len) *plain_len = 0;
    if (!apdu || !plain_len || (!plain && cap)) return refuse(err, errlen, "arguments: NULL pointer");
    if (ds_ciphered_parse(apdu, n, &c, err, errlen)) return -1;
    if (c.body_len > cap)
        return refuse(err, errlen, "plaintext buffer: %zu bytes, the plaintext needs %zu", cap, c.body_len);
    if (!title && (c.kind == DS_CIPH_SERVICE_GLO || c.kind == DS_CIPH_SERVICE_DED))
        return refuse(err, errlen, "system title: none for a %s APDU (it carries none)", ds_apdu_tag(c.apdu_tag)->service);
    int dedicated = c.kind == DS_CIPH_SERVICE_DED || c.kind == DS_CIPH_GENERAL_DED;
    ds_dec_status st = ds_decipher(&c, title, keys, dedicated, 1, plain, plain_len);
    if (st == DS_DEC_OK) return 0;
    if (st == DS_DEC_NO_KEY && c.kind != DS_CIPH_GENERAL_CIPHERING) {
        char why[200];
        ds_decipher_missing_key(&c, keys, dedicated, why, sizeof why);
        return refuse(err, errlen, "cannot decipher: %s", why);
    }
    return refuse(err, errlen, "cannot decipher: %s", WHY[st]);
}

/* ---- invocation counters ---------------------------------------------------------------------- */

void ds_ic_init(ds_ic_counters *c, uint32_t first)
{
    memset(c, 0, sizeof *c);
    c->next = first;
}

int ds_ic_take(ds_ic_counters *c, uint32_t *ic)
{
    if (c->exhausted) return -1;
    *ic = c->next;
    if (c->next == UINT32_MAX) c->exhausted = 1; /* an IC is never used twice with one key */
    else c->next++;
    return 0;
}

ds_ic_verdict ds_ic_seen(ds_ic_counters *c, int sender, uint32_t ic)
{
    if (sender < 0 || sender >= DS_IC_SENDERS) return DS_IC_FRESH;
    if (c->seen[sender] && ic <= c->last[sender]) return ic == c->last[sender] ? DS_IC_REPEATED : DS_IC_DECREASED;
    c->seen[sender] = 1;
    c->last[sender] = ic;
    return DS_IC_FRESH;
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
