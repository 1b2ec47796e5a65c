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

/* Checks what can be checked without the curve arithmetic; -1 with a reason when unusable. */
static int check_inputs(const uint8_t *apdu, const ds_signed *s, const uint8_t *pub, size_t pub_len,
                        curve_choice *cv, char *err, size_t errlen)
{
    if (apdu == NULL || s == NULL || s->signature == NULL || s->signed_len == 0) {
        say(err, errlen, "general-signing: no parsed APDU to verify");
        return -1;
    }
    if (pub == NULL || curve_for_key_length(pub_len, cv) != 0) {
        say(err, errlen, "public key is %zu bytes; expected an uncompressed point of 65 (P-256) or 97 (P-384) bytes",
            pub == NULL ? (size_t)0 : pub_len);
        return -1;
    }
    if (pub[0] != UNCOMPRESSED_POINT) {
        say(err, errlen, "public key starts with 0x%02X; expected 0x04 (uncompressed point)", pub[0]);
        return -1;
    }
    if (s->signature_len != 2 * cv->coord_len) {
        say(err, errlen, "signature is %zu bytes but a %s key needs a %zu-byte r||s (wrong key or suite?)",
            s->signature_len, cv->name, 2 * cv->coord_len);
        return -1;
    }
    return 0;
}

int ds_signed_verify(const uint8_t *apdu, const ds_signed *s, const uint8_t *pub, size_t pub_len,
                     int *content_only, char *err, size_t errlen)
{
    if (content_only)
        *content_only = 0;
    curve_choice cv;
    if (check_inputs(apdu, s, pub, pub_len, &cv, err, errlen) != 0)
        return -1;

    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, sig_s;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&sig_s);
    int result = -1;
    if (mbedtls_ecp_group_load(&grp, cv.id) != 0) {
        say(err, errlen, "curve %s not available in mbedtls", cv.name);
    } else if (mbedtls_ecp_point_read_binary(&grp, &q, pub, pub_len) != 0 ||
               mbedtls_ecp_check_pubkey(&grp, &q) != 0) {
        say(err, errlen, "public key is not a point on %s", cv.name);
    } else if (mbedtls_mpi_read_binary(&r, s->signature, cv.coord_len) != 0 ||
               mbedtls_mpi_read_binary(&sig_s, s->signature + cv.coord_len, cv.coord_len) != 0) {
        say(err, errlen, "out of memory reading the signature");
    } else {
        const uint8_t *data;
        size_t len;
        signed_span_tag_through_content(apdu, s, &data, &len);
        result = verify_span(&grp, &q, &cv, data, len, &r, &sig_s);
        if (result == 0) {
            say(err, errlen, "%s signature verifies over the APDU from tag through content", cv.name);
        } else if (result == 1) {
            signed_span_content_only(s, &data, &len);
            result = verify_span(&grp, &q, &cv, data, len, &r, &sig_s);
            if (result == 0) {
                if (content_only)
                    *content_only = 1;
                say(err, errlen, "%s signature verifies over the content only, not over tag through content",
                    cv.name);
            } else if (result == 1) {
                say(err, errlen,
                    "%s signature does not verify (neither over tag through content nor over the content only)",
                    cv.name);
            }
        }
        if (result == -1)
            say(err, errlen, "hash computation failed");
    }
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&sig_s);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return result;
}
