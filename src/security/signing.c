/* general-signing (DF): field split and ECDSA verification. See signing.h. */
#include "security/signing.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>

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
    if (take_field(&c, "transaction-id", &out->transaction_id, &out->transaction_id_len, err, errlen) ||
        take_field(&c, "originator-system-title", &out->originator, &out->originator_len, err, errlen) ||
        take_field(&c, "recipient-system-title", &out->recipient, &out->recipient_len, err, errlen) ||
        take_field(&c, "date-time", &out->date_time, &out->date_time_len, err, errlen) ||
        take_field(&c, "other-information", &out->other, &out->other_len, err, errlen) ||
        take_field(&c, "content", &out->content, &out->content_len, err, errlen))
        goto malformed;
    out->signed_len = c.pos;
    if (take_field(&c, "signature", &out->signature, &out->signature_len, err, errlen))
        goto malformed;
    out->apdu_len = c.pos;
    return 0;
malformed:
    memset(out, 0, sizeof *out);
    return -1;
}

/* THE signed span of the primary reading. This rests on a single source (REFERENCE.md 6.3,
 * footnote 13: the Green Book field order; no implementation was found): the APDU bytes from
 * the DF tag through the end of the content field, i.e. everything before the signature's
 * length byte. Keep this the only place that decides it, so a correction is one edit. */
static void signed_span_tag_through_content(const uint8_t *apdu, const ds_signed *s, const uint8_t **data,
                                             size_t *len)
{
    *data = apdu;
    *len = s->signed_len;
}

/* The fallback reading: the signature covers the content field's bytes only. */
static void signed_span_content_only(const ds_signed *s, const uint8_t **data, size_t *len)
{
    *data = s->content;
    *len = s->content_len;
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

/* SHA-256 for P-256 (suite 1), SHA-384 for P-384 (suite 2). */
static int hash_for_curve(const curve_choice *cv, const uint8_t *data, size_t len, uint8_t out[64], size_t *out_len)
{
    static const uint8_t nothing[1] = {0};
    if (data == NULL)
        data = nothing; /* mbedtls wants a pointer even for zero bytes */
    if (cv->p384) {
        *out_len = 48;
        return mbedtls_sha512_ret(data, len, out, 1);
    }
    *out_len = 32;
    return mbedtls_sha256_ret(data, len, out, 0);
}

/* 0 verifies, 1 does not, -1 hash failure. */
static int verify_span(mbedtls_ecp_group *grp, const mbedtls_ecp_point *q, const curve_choice *cv,
                       const uint8_t *data, size_t len, const mbedtls_mpi *r, const mbedtls_mpi *sig_s)
{
    uint8_t hash[64];
    size_t hash_len = 0;
    if (hash_for_curve(cv, data, len, hash, &hash_len) != 0)
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

/* Both readings of what general-signing signs, the primary one first. */
static int verify_readings(ecdsa_check *k, const uint8_t *apdu, const ds_signed *s, int *content_only, char *err,
                           size_t errlen)
{
    const uint8_t *data;
    size_t len;
    signed_span_tag_through_content(apdu, s, &data, &len);
    int result = verify_span(&k->grp, &k->q, &k->cv, data, len, &k->r, &k->s);
    if (result == 0) {
        say(err, errlen, "%s signature verifies over the APDU from tag through content", k->cv.name);
    } else if (result == 1) {
        signed_span_content_only(s, &data, &len);
        result = verify_span(&k->grp, &k->q, &k->cv, data, len, &k->r, &k->s);
        if (result == 0) {
            if (content_only)
                *content_only = 1;
            say(err, errlen, "%s signature verifies over the content only, not over tag through content",
                k->cv.name);
        } else if (result == 1) {
            say(err, errlen, "%s signature does not verify (neither over tag through content nor over the content only)",
                k->cv.name);
        }
    }
    if (result == -1)
        say(err, errlen, "hash computation failed");
    return result;
}

int ds_signed_verify(const uint8_t *apdu, const ds_signed *s, const uint8_t *pub, size_t pub_len,
                     int *content_only, char *err, size_t errlen)
{
    if (content_only)
        *content_only = 0;
    if (apdu == NULL || s == NULL || s->signature == NULL || s->signed_len == 0) {
        say(err, errlen, "general-signing: no parsed APDU to verify");
        return -1;
    }
    ecdsa_check k;
    if (check_key_and_signature(pub, pub_len, s->signature_len, &k.cv, err, errlen) != 0)
        return -1;
    check_init(&k);
    int result = -1;
    if (check_load(&k, pub, pub_len, s->signature, err, errlen) == 0)
        result = verify_readings(&k, apdu, s, content_only, err, errlen);
    check_free(&k);
    return result;
}

int ds_ecdsa_verify(const uint8_t *pub, size_t pub_len, const uint8_t *data, size_t len, const uint8_t *sig,
                    size_t sig_len, char *err, size_t errlen)
{
    ecdsa_check k;
    if (sig == NULL || check_key_and_signature(pub, pub_len, sig_len, &k.cv, err, errlen) != 0)
        return -1;
    check_init(&k);
    int result = -1;
    if (check_load(&k, pub, pub_len, sig, err, errlen) == 0) {
        result = verify_span(&k.grp, &k.q, &k.cv, data, len, &k.r, &k.s);
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
