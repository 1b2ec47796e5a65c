/* general-signing (DF): field split and ECDSA verification. See signing.h. */
#include "security/signing.h"

#include "security/hash.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/hmac_drbg.h>
#include <mbedtls/platform_util.h>

#include "dlmscope/cipher.h"
#include "util/buf.h"
#include "util/cursor.h"

#define P256_PUB_LEN 65
#define P384_PUB_LEN 97
#define UNCOMPRESSED_POINT 0x04

static void say(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* One "length + bytes" field. The length is checked against what is left before the bytes are
 * taken, so a lying length can never make us read past the buffer. */
static int take_field(ds_cursor *c, const char *name, const uint8_t **p, size_t *len, char *err, size_t errlen)
{
    size_t at = c->pos;
    size_t n = 0;
    int rc = ds_cur_len(c, &n, NULL);
    if (rc == DS_CUR_INVALID) {
        say(err, errlen, "%s: invalid length encoding at offset %zu", name, at);
        return -1;
    }
    if (rc != DS_CUR_OK) {
        say(err, errlen, "%s: the APDU ends before its length at offset %zu", name, at);
        return -1;
    }
    if (n > ds_cur_left(c)) {
        say(err, errlen, "%s: length %zu at offset %zu but only %zu bytes left", name, n, at, ds_cur_left(c));
        c->pos = at;
        return -1;
    }
    (void)ds_cur_bytes(c, n, p);
    *len = n;
    return 0;
}

/* The layout after the DF tag, in wire order, for the parser and the builder alike: every field
 * an A-XDR length and that many bytes. */
typedef struct signed_field {
    const char *name;
    size_t ptr, len; /* offsetof into ds_signed */
} signed_field;

#define FIELD(name, p, n) {name, offsetof(ds_signed, p), offsetof(ds_signed, n)}
static const signed_field HEADER_FIELDS[] = {
    FIELD("transaction-id", transaction_id, transaction_id_len),
    FIELD("originator-system-title", originator, originator_len),
    FIELD("recipient-system-title", recipient, recipient_len),
    FIELD("date-time", date_time, date_time_len),
    FIELD("other-information", other, other_len)};
static const signed_field CONTENT_FIELD = FIELD("content", content, content_len);
static const signed_field SIGNATURE_FIELD = FIELD("signature", signature, signature_len);
#undef FIELD
#define HEADER_COUNT (sizeof HEADER_FIELDS / sizeof HEADER_FIELDS[0])

static const uint8_t **field_ptr(ds_signed *s, const signed_field *f)
{
    return (const uint8_t **)(void *)((char *)s + f->ptr);
}

static size_t *field_len(ds_signed *s, const signed_field *f)
{
    return (size_t *)(void *)((char *)s + f->len);
}

static int take(ds_cursor *c, ds_signed *out, const signed_field *f, char *err, size_t errlen)
{
    return take_field(c, f->name, field_ptr(out, f), field_len(out, f), err, errlen);
}

int ds_signed_parse(const uint8_t *apdu, size_t n, ds_signed *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (apdu == NULL || n == 0) {
        say(err, errlen, "general-signing: empty APDU");
        return -1;
    }
    ds_cursor c;
    ds_cur_init(&c, apdu, n);
    uint8_t tag = 0;
    (void)ds_cur_u8(&c, &tag);
    if (tag != DS_SIGNING_TAG) {
        say(err, errlen, "general-signing: tag 0x%02X at offset 0 is not 0xDF", tag);
        return -1;
    }
    for (size_t i = 0; i < HEADER_COUNT; i++)
        if (take(&c, out, &HEADER_FIELDS[i], err, errlen))
            goto malformed;
    out->content_field_at = c.pos; /* the Gurux reading stops here and skips the content's length */
    if (take(&c, out, &CONTENT_FIELD, err, errlen))
        goto malformed;
    out->signed_len = c.pos;
    if (take(&c, out, &SIGNATURE_FIELD, err, errlen))
        goto malformed;
    out->apdu_len = c.pos;
    return 0;
malformed:
    memset(out, 0, sizeof *out);
    return -1;
}

/* ---- What general-signing signs ------------------------------------------------------------
 *
 * Sources (stored copies of public repositories, read for the facts; no code taken from them):
 *
 * 1. Gurux, two code bases of one vendor; the sending and the receiving side agree.
 *    - Gurux/gurux.dlms.java development/src/main/java/gurux/dlms/secure/GXSecure.java
 *      (decryptAesGcm, receiving side): notes where the content's length starts, and verifies
 *      over the APDU bytes from offset 1 (after the DF tag) up to there, followed by the content
 *      bytes without their length. Its ECDSA check is fixed to SHA-256 and a 64-byte r||s.
 *    - Gurux/Gurux.DLMS.Net Development/Secure/GXSecure.cs (DecryptAesGcm, receiving side): the
 *      same span; 64- or 96-byte signatures. Development/Ecdsa/GXEcdsa.cs hashes with SHA-256
 *      for P-256 and SHA-384 for P-384 in its .NET Framework builds, SHA-256 for both in the
 *      others (not tried here: a suite 2 signature is checked with SHA-384 only).
 *    - Gurux/Gurux.DLMS.Net Development/GXDLMS.cs (sending side): signs the APDU after the tag
 *      through other-information, then the ciphered content (glo/ded tag, its length, SC, IC,
 *      ciphertext and tag) without the content field's own length.
 *    Both receivers skip the check when the content is not a ciphered APDU.
 *    Gurux/gxdlms-go: its stored GXSecure.go, GXCiphering.go, GXDLMS.go have no general-signing
 *    signature code, so it is no source here.
 * 2. Smart DCC, for GBCS (the GB smart metering profile): SmartDCCInnovation/gbcs-parser
 *    src/parser.ts (parseGeneralSigning) verifies with SHA-256 over the APDU from the byte after
 *    the DF tag through the end of the content, the content's length included. Its signer,
 *    src/crypto.ts (signGroupingHeader), signs all bytes after the tag of the unsigned APDU,
 *    whose last byte is the empty signature's length 00; its comment says the Green Book leaves
 *    that byte out and their test system does not. That trailing-00 variant is not tried.
 * 3. REFERENCE.md 6.3, footnote 13: from the tag through the content, stated from the Green
 *    Book field order alone; no implementation of it was found, and the gbcs-parser comment
 *    reads the Green Book as leaving the tag out.
 * 4. The content alone: no source; dlmscope tried it before, and it costs one more check.
 *
 * They disagree on the tag (in 3 only) and on the content's length (in 2 and 3, not in 1).
 * The Green Book text itself was not available. Tried in the order 1 (two code bases, both
 * directions), 2 (one code base), 3, 4; the first that verifies is reported. Each reading is one
 * function below and one row of READINGS, so a correction stays a small edit. */

/* The signed bytes of one reading: at most two pieces of the APDU, hashed one after the other. */
typedef struct signed_span {
    ds_bytes piece[2];
} signed_span;

/* 1: transaction-id .. other-information (after the tag), then the content without its length */
static signed_span span_gurux(const uint8_t *apdu, const ds_signed *s)
{
    return (signed_span){{{apdu + 1, s->content_field_at - 1}, {s->content, s->content_len}}};
}

/* 2: after the tag through the content, the content's length included */
static signed_span span_with_length(const uint8_t *apdu, const ds_signed *s)
{
    return (signed_span){{{apdu + 1, s->signed_len - 1}, {NULL, 0}}};
}

/* 3: from the tag through the content */
static signed_span span_with_tag(const uint8_t *apdu, const ds_signed *s)
{
    return (signed_span){{{apdu, s->signed_len}, {NULL, 0}}};
}

/* 4: the content bytes only */
static signed_span span_content_only(const uint8_t *apdu, const ds_signed *s)
{
    (void)apdu;
    return (signed_span){{{s->content, s->content_len}, {NULL, 0}}};
}

typedef struct reading_row {
    ds_signed_reading reading;
    const char *verdict; /* the Signature attribute */
    const char *name;    /* short, for the list in the mismatch sentence */
    const char *what;    /* for the sentence in err */
    signed_span (*span)(const uint8_t *apdu, const ds_signed *s);
} reading_row;

static const reading_row READINGS[] = {
    {DS_SIGNED_GURUX, "verified", "Gurux", "the fields after the tag and the content without its length (Gurux)",
     span_gurux},
    {DS_SIGNED_WITH_LENGTH, "with-length", "with-length",
     "the APDU after the tag through the content, its length included (not the Gurux reading)", span_with_length},
    {DS_SIGNED_WITH_TAG, "with-tag", "with-tag", "the APDU from the tag through the content (not the Gurux reading)",
     span_with_tag},
    {DS_SIGNED_CONTENT_ONLY, "content-only", "content-only", "the content only (not the Gurux reading)",
     span_content_only},
};

#define READING_COUNT (sizeof READINGS / sizeof READINGS[0])
_Static_assert(READING_COUNT == 4, "the mismatch sentence in verify_readings names four readings");

const char *ds_signed_verdict(ds_signed_reading reading)
{
    for (size_t i = 0; i < READING_COUNT; i++)
        if (READINGS[i].reading == reading)
            return READINGS[i].verdict;
    return NULL;
}

typedef struct curve_choice {
    mbedtls_ecp_group_id id;
    const char *name;
    size_t coord_len; /* bytes of one coordinate, of r and of s */
    int p384;
} curve_choice;

static int curve_for_key_length(size_t pub_len, curve_choice *cv)
{
    if (pub_len == P256_PUB_LEN) {
        *cv = (curve_choice){MBEDTLS_ECP_DP_SECP256R1, "P-256", 32, 0};
        return 0;
    }
    if (pub_len == P384_PUB_LEN) {
        *cv = (curve_choice){MBEDTLS_ECP_DP_SECP384R1, "P-384", 48, 1};
        return 0;
    }
    return -1;
}

static signed_span one_piece(const uint8_t *data, size_t len)
{
    return (signed_span){{{data, len}, {NULL, 0}}};
}

/* SHA-256 for P-256 (suite 1), SHA-384 for P-384 (suite 2), over the pieces in order. 0, or -1. */
static int hash_span(const curve_choice *cv, const signed_span *sp, uint8_t out[64], size_t *out_len)
{
    return ds_hash_parts(cv->p384 ? MBEDTLS_MD_SHA384 : MBEDTLS_MD_SHA256, sp->piece, 2, out, out_len);
}

/* 0 verifies, 1 does not, -1 hash failure. */
static int verify_span(mbedtls_ecp_group *grp, const mbedtls_ecp_point *q, const curve_choice *cv,
                       const signed_span *sp, const mbedtls_mpi *r, const mbedtls_mpi *sig_s)
{
    uint8_t hash[64];
    size_t hash_len = 0;
    if (hash_span(cv, sp, hash, &hash_len) != 0)
        return -1;
    return mbedtls_ecdsa_verify(grp, hash, hash_len, q, r, sig_s) == 0 ? 0 : 1;
}

/* The public key and the length of r||s, before any curve arithmetic; -1 with a reason. */
static int check_key_and_signature(const uint8_t *pub, size_t pub_len, size_t sig_len, curve_choice *cv, char *err,
                                   size_t errlen)
{
    if (pub == NULL || curve_for_key_length(pub_len, cv) != 0) {
        say(err, errlen, "public key is %zu bytes; expected an uncompressed point of 65 (P-256) or 97 (P-384) bytes",
            pub == NULL ? (size_t)0 : pub_len);
        return -1;
    }
    if (pub[0] != UNCOMPRESSED_POINT) {
        say(err, errlen, "public key starts with 0x%02X; expected 0x04 (uncompressed point)", pub[0]);
        return -1;
    }
    if (sig_len != 2 * cv->coord_len) {
        say(err, errlen, "signature is %zu bytes but a %s key needs a %zu-byte r||s (wrong key or suite?)", sig_len,
            cv->name, 2 * cv->coord_len);
        return -1;
    }
    return 0;
}

/* A public key and a signature in mbedtls form. */
typedef struct ecdsa_check {
    curve_choice cv;
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
} ecdsa_check;

static void check_init(ecdsa_check *k)
{
    mbedtls_ecp_group_init(&k->grp);
    mbedtls_ecp_point_init(&k->q);
    mbedtls_mpi_init(&k->r);
    mbedtls_mpi_init(&k->s);
}

static void check_free(ecdsa_check *k)
{
    mbedtls_mpi_free(&k->r);
    mbedtls_mpi_free(&k->s);
    mbedtls_ecp_point_free(&k->q);
    mbedtls_ecp_group_free(&k->grp);
}

/* Loads the curve, the key (which must be a point on it) and r, s (already checked to be
 * 2 * coord_len bytes). 0, or -1 with a reason. */
static int check_load(ecdsa_check *k, const uint8_t *pub, size_t pub_len, const uint8_t *sig, char *err,
                      size_t errlen)
{
    if (mbedtls_ecp_group_load(&k->grp, k->cv.id) != 0) {
        say(err, errlen, "curve %s not available in mbedtls", k->cv.name);
        return -1;
    }
    if (mbedtls_ecp_point_read_binary(&k->grp, &k->q, pub, pub_len) != 0 ||
        mbedtls_ecp_check_pubkey(&k->grp, &k->q) != 0) {
        say(err, errlen, "public key is not a point on %s", k->cv.name);
        return -1;
    }
    if (mbedtls_mpi_read_binary(&k->r, sig, k->cv.coord_len) != 0 ||
        mbedtls_mpi_read_binary(&k->s, sig + k->cv.coord_len, k->cv.coord_len) != 0) {
        say(err, errlen, "out of memory reading the signature");
        return -1;
    }
    return 0;
}

/* Every reading in READINGS order; the first that verifies is the answer. A hash failure stops
 * the search: it would fail the same way for the next reading. */
static int verify_readings(ecdsa_check *k, const uint8_t *apdu, const ds_signed *s, ds_signed_reading *reading,
                           char *err, size_t errlen)
{
    for (size_t i = 0; i < READING_COUNT; i++) {
        signed_span sp = READINGS[i].span(apdu, s);
        int result = verify_span(&k->grp, &k->q, &k->cv, &sp, &k->r, &k->s);
        if (result == -1) {
            say(err, errlen, "hash computation failed");
            return -1;
        }
        if (result == 0) {
            if (reading)
                *reading = READINGS[i].reading;
            say(err, errlen, "%s signature verifies over %s", k->cv.name, READINGS[i].what);
            return 0;
        }
    }
    say(err, errlen, "%s signature does not verify over any reading of the signed bytes (%s, %s, %s, %s)",
        k->cv.name, READINGS[0].name, READINGS[1].name, READINGS[2].name, READINGS[3].name);
    return 1;
}

/* The offsets ds_signed_parse recorded, checked again before the spans are cut from them:
 * content_field_at lies after the tag, and the content fits between it and signed_len. */
static int parsed_offsets_hold(const ds_signed *s)
{
    return s->content_field_at >= 1 && s->content_field_at <= s->signed_len &&
           s->content_len <= s->signed_len - s->content_field_at && (s->content != NULL || s->content_len == 0);
}

int ds_signed_verify(const uint8_t *apdu, const ds_signed *s, const uint8_t *pub, size_t pub_len,
                     ds_signed_reading *reading, char *err, size_t errlen)
{
    if (reading)
        *reading = DS_SIGNED_NONE;
    if (apdu == NULL || s == NULL || s->signature == NULL || s->signed_len == 0 || !parsed_offsets_hold(s)) {
        say(err, errlen, "general-signing: no parsed APDU to verify");
        return -1;
    }
    ecdsa_check k;
    if (check_key_and_signature(pub, pub_len, s->signature_len, &k.cv, err, errlen) != 0)
        return -1;
    check_init(&k);
    int result = -1;
    if (check_load(&k, pub, pub_len, s->signature, err, errlen) == 0)
        result = verify_readings(&k, apdu, s, reading, err, errlen);
    check_free(&k);
    return result;
}

int ds_ecdsa_verify(const uint8_t *pub, size_t pub_len, const uint8_t *data, size_t len, const uint8_t *sig,
                    size_t sig_len, char *err, size_t errlen)
{
    ecdsa_check k;
    if (data == NULL && len > 0) {
        say(err, errlen, "no data to verify");
        return -1;
    }
    if (sig == NULL || check_key_and_signature(pub, pub_len, sig_len, &k.cv, err, errlen) != 0)
        return -1;
    check_init(&k);
    int result = -1;
    if (check_load(&k, pub, pub_len, sig, err, errlen) == 0) {
        signed_span sp = one_piece(data, len);
        result = verify_span(&k.grp, &k.q, &k.cv, &sp, &k.r, &k.s);
        if (result == 0)
            say(err, errlen, "%s signature verifies", k.cv.name);
        else if (result == 1)
            say(err, errlen, "%s signature does not verify", k.cv.name);
        else
            say(err, errlen, "hash computation failed");
    }
    check_free(&k);
    return result;
}

/* ---- making signatures -------------------------------------------------------------------- */

/* The blinding of mbedtls's deterministic signing needs a random source; it changes nothing in
 * the signature (k comes from RFC 6979), so a DRBG seeded from the message hash serves. */
static int sign_hash(const curve_choice *cv, const uint8_t *priv, const uint8_t *hash, size_t hash_len, uint8_t *sig)
{
    mbedtls_ecp_group grp;
    mbedtls_mpi d, r, s;
    mbedtls_hmac_drbg_context blind;
    mbedtls_ecp_group_init(&grp);
    mbedtls_mpi_init(&d);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    mbedtls_hmac_drbg_init(&blind);
    mbedtls_md_type_t md = cv->p384 ? MBEDTLS_MD_SHA384 : MBEDTLS_MD_SHA256;
    int rc = mbedtls_ecp_group_load(&grp, cv->id);
    if (rc == 0) rc = mbedtls_mpi_read_binary(&d, priv, cv->coord_len);
    if (rc == 0) rc = mbedtls_ecp_check_privkey(&grp, &d) ? 1 : 0;
    if (rc == 0) rc = mbedtls_hmac_drbg_seed_buf(&blind, mbedtls_md_info_from_type(md), hash, hash_len);
    if (rc == 0) rc = mbedtls_ecdsa_sign_det_ext(&grp, &r, &s, &d, hash, hash_len, md, mbedtls_hmac_drbg_random, &blind);
    if (rc == 0) rc = mbedtls_mpi_write_binary(&r, sig, cv->coord_len);
    if (rc == 0) rc = mbedtls_mpi_write_binary(&s, sig + cv->coord_len, cv->coord_len);
    mbedtls_hmac_drbg_free(&blind);
    mbedtls_mpi_free(&d); /* mbedtls wipes it */
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    mbedtls_ecp_group_free(&grp);
    return rc;
}

int ds_ecdsa_sign_parts(const uint8_t *priv, size_t priv_len, const ds_bytes *parts, size_t n, uint8_t *sig,
                        size_t cap, size_t *sig_len, char *err, size_t errlen)
{
    curve_choice cv;
    if (sig_len) *sig_len = 0;
    if (!priv || curve_for_key_length(priv_len == 32 ? P256_PUB_LEN : priv_len == 48 ? P384_PUB_LEN : 0, &cv)) {
        say(err, errlen, "private key: %zu bytes, 32 (P-256) or 48 (P-384) needed", priv ? priv_len : (size_t)0);
        return -1;
    }
    if (!sig || !sig_len || cap < 2 * cv.coord_len) {
        say(err, errlen, "signature buffer: %zu bytes, a %s signature needs %zu", sig ? cap : (size_t)0, cv.name,
            2 * cv.coord_len);
        return -1;
    }
    uint8_t hash[DS_HASH_MAX];
    size_t hash_len = 0;
    if (ds_hash_parts(cv.p384 ? MBEDTLS_MD_SHA384 : MBEDTLS_MD_SHA256, parts, n, hash, &hash_len) != 0) {
        say(err, errlen, "hash computation failed");
        return -1;
    }
    int rc = sign_hash(&cv, priv, hash, hash_len, sig);
    if (rc != 0) {
        mbedtls_platform_zeroize(sig, 2 * cv.coord_len);
        say(err, errlen, rc == 1 ? "private key: not a private key of %s" : "%s signing failed", cv.name);
        return -1;
    }
    *sig_len = 2 * cv.coord_len;
    return 0;
}

/* ---- making general-signing APDUs ---------------------------------------------------------- */

static size_t counted(size_t n)
{
    uint8_t len[5];
    return ds_len_bytes(n, len) + n;
}

static size_t put_counted(uint8_t *out, const uint8_t *p, size_t n)
{
    size_t k = ds_len_bytes(n, out);
    if (n) memcpy(out + k, p, n);
    return k + n;
}

int ds_sign_apdu(const ds_sign_params *p, const uint8_t *content, size_t n, uint8_t *out, size_t cap,
                 size_t *out_len, char *err, size_t errlen)
{
    if (out_len) *out_len = 0;
    if (!p || !out_len || (!content && n) || (!out && cap)) {
        say(err, errlen, "arguments: NULL pointer");
        return -1;
    }
    size_t sig_len = p->priv_len == 32 ? 64 : p->priv_len == 48 ? 96 : 0;
    if (!p->priv || !sig_len) {
        say(err, errlen, "private key: %zu bytes, 32 (P-256) or 48 (P-384) needed", p->priv ? p->priv_len : (size_t)0);
        return -1;
    }
    ds_signed want; /* the fields as they will be written */
    memset(&want, 0, sizeof want);
    want.transaction_id = p->transaction_id, want.transaction_id_len = p->transaction_id ? p->transaction_id_len : 0;
    want.originator = p->originator_title, want.originator_len = p->originator_title ? p->originator_title_len : 0;
    want.recipient = p->recipient_title, want.recipient_len = p->recipient_title ? p->recipient_title_len : 0;
    want.date_time = p->date_time, want.date_time_len = p->date_time ? p->date_time_len : 0;
    want.other = p->other_info, want.other_len = p->other_info ? p->other_info_len : 0;
    size_t total = 1 + counted(n) + counted(sig_len);
    for (size_t i = 0; i < HEADER_COUNT; i++) {
        size_t len = *field_len(&want, &HEADER_FIELDS[i]);
        if (len > 0xFFFFFFFFu) {
            say(err, errlen, "%s: %zu bytes, longer than a length can say", HEADER_FIELDS[i].name, len);
            return -1;
        }
        total += counted(len);
    }
    if (n > 0xFFFFFFFFu || total > cap) {
        say(err, errlen, "output buffer: %zu bytes, the general-signing APDU needs %zu", cap, total);
        return -1;
    }
    size_t pos = 0;
    out[pos++] = DS_SIGNING_TAG;
    for (size_t i = 0; i < HEADER_COUNT; i++)
        pos += put_counted(out + pos, *field_ptr(&want, &HEADER_FIELDS[i]), *field_len(&want, &HEADER_FIELDS[i]));
    pos += put_counted(out + pos, content, n);
    pos += ds_len_bytes(sig_len, out + pos);
    memset(out + pos, 0, sig_len);
    /* the signed bytes are cut from the written APDU by the verifier's own reading (Gurux's, the
     * one it tries first) */
    ds_signed s;
    if (ds_signed_parse(out, total, &s, err, errlen) != 0)
        return -1;
    signed_span sp = span_gurux(out, &s);
    size_t got = 0;
    if (ds_ecdsa_sign_parts(p->priv, p->priv_len, sp.piece, 2, out + pos, sig_len, &got, err, errlen) != 0) {
        memset(out, 0, total);
        return -1;
    }
    *out_len = total;
    return 0;
}
