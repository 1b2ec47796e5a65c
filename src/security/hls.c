/* HLS authentication values (mechanisms 2-7), their verification and the search for the
 * usual human mistakes. GMAC and the constant-time compare come from the ciphering module. */
#include "security/hls.h"

#include "security/hash.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/aes.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>

#include "dlmscope/keys.h"
#include "security/cipher.h"
#include "security/mistakes.h"
#include "security/signing.h"

/* Internal pseudo-mechanism: mechanism 6 read as SHA-256(challenge || secret) (REFERENCE [^14]). */
#define MECH_6_VARIANT 106
#define GMAC_TAG_LEN 12

typedef ds_bytes byte_span; /* a challenge, a secret, a title */

/* The exchange seen from the side that computes the value: its own title first, the
 * challenge it answers first. This one shape covers both directions of 5, 6 and 7. */
typedef struct side_view {
    const uint8_t *own_title, *peer_title;
    byte_span answered, own_challenge;
} side_view;

__attribute__((format(printf, 3, 4))) static void say(char *why, size_t whylen, const char *fmt, ...)
{
    if (why == NULL || whylen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
}

static const char *value_name(int server_side)
{
    return server_side ? "the server's f(CtoS)" : "the client's f(StoC)";
}

static side_view view_of(const ds_hls_inputs *in, int server_side)
{
    side_view v;
    byte_span ctos = {in->ctos, in->ctos_len}, stoc = {in->stoc, in->stoc_len};
    v.own_title = server_side ? in->server_title : in->client_title;
    v.peer_title = server_side ? in->client_title : in->server_title;
    v.answered = server_side ? ctos : stoc;
    v.own_challenge = server_side ? stoc : ctos;
    return v;
}

/* ---- input checks: say exactly what is missing ------------------------------------------ */

static int challenge_ok(byte_span c, const char *name, char *why, size_t whylen)
{
    if (c.p == NULL || c.n == 0) {
        say(why, whylen, "no %s challenge", name);
        return 0;
    }
    if (c.n > DS_HLS_CHALLENGE_MAX) {
        say(why, whylen, "%s challenge of %zu bytes is longer than %d", name, c.n, DS_HLS_CHALLENGE_MAX);
        return 0;
    }
    return 1;
}

static int secret_ok(const ds_hls_inputs *in, char *why, size_t whylen)
{
    if (in->secret == NULL) {
        say(why, whylen, "no HLS secret");
        return 0;
    }
    if (in->secret_len > DS_HLS_SECRET_MAX) {
        say(why, whylen, "HLS secret of %zu bytes is longer than %d", in->secret_len, DS_HLS_SECRET_MAX);
        return 0;
    }
    return 1;
}

static int titles_ok(const side_view *v, int server_side, int need_peer, char *why, size_t whylen)
{
    if (v->own_title == NULL) {
        say(why, whylen, "no %s system title", server_side ? "server" : "client");
        return 0;
    }
    if (need_peer && v->peer_title == NULL) {
        say(why, whylen, "no %s system title", server_side ? "client" : "server");
        return 0;
    }
    return 1;
}

static size_t ak_length(const ds_hls_inputs *in)
{
    return in->ak_len != 0 ? in->ak_len : in->key_len;
}

/* Mechanism 2 has a formula only when its method is AES-ECB; an unknown method value is
 * treated as "none" rather than guessed. */
static int mech2_known(const ds_hls_inputs *in)
{
    return in->mech2 == DS_HLS_MECH2_AES_ECB;
}

/* Everything the formula of mechanism needs for this side is there and of a usable size. */
static int inputs_ok(const ds_hls_inputs *in, int mechanism, int server_side, char *why, size_t whylen)
{
    side_view v = view_of(in, server_side);
    const char *answered = server_side ? "CtoS" : "StoC", *own = server_side ? "StoC" : "CtoS";
    /* first: whatever else is missing, a method that is not known cannot be checked at all */
    if (mechanism == 2 && !mech2_known(in)) {
        say(why, whylen, "HLS mechanism 2 is manufacturer-specific and its method is not known: not checked");
        return 0;
    }
    if (!challenge_ok(v.answered, answered, why, whylen))
        return 0;
    switch (mechanism) {
    case 2:
        if (!secret_ok(in, why, whylen))
            return 0;
        if (in->secret_len > 16) {
            say(why, whylen, "mechanism 2 secret of %zu bytes does not fit an AES-128 key", in->secret_len);
            return 0;
        }
        return 1;
    case 3:
    case 4:
    case MECH_6_VARIANT:
        return secret_ok(in, why, whylen);
    case 5:
        if (in->ek == NULL || in->ak == NULL) {
            say(why, whylen, "no %s key for HLS-GMAC", in->ek == NULL ? "encryption" : "authentication");
            return 0;
        }
        if (in->key_len != 16 && in->key_len != 32) {
            say(why, whylen, "HLS-GMAC encryption key of %zu bytes (16 or 32 needed)", in->key_len);
            return 0;
        }
        if (ak_length(in) > 32) {
            say(why, whylen, "HLS-GMAC authentication key of %zu bytes (at most 32)", ak_length(in));
            return 0;
        }
        return titles_ok(&v, server_side, 0, why, whylen);
    case 6:
        return secret_ok(in, why, whylen) && titles_ok(&v, server_side, 1, why, whylen) &&
               challenge_ok(v.own_challenge, own, why, whylen);
    case 7: {
        const uint8_t *pub = server_side ? in->server_pub : in->client_pub;
        if (pub == NULL) {
            say(why, whylen, "no %s public key", server_side ? "server" : "client");
            return 0;
        }
        if (in->pub_len != 65 && in->pub_len != 97) {
            say(why, whylen, "public key of %zu bytes (65 for P-256 or 97 for P-384 needed)", in->pub_len);
            return 0;
        }
        return titles_ok(&v, server_side, 1, why, whylen) && challenge_ok(v.own_challenge, own, why, whylen);
    }
    default:
        say(why, whylen, "mechanism %d is not an HLS mechanism (2..7)", mechanism);
        return 0;
    }
}

/* ---- primitives ------------------------------------------------------------------------- */


/* Mechanism 2: the secret zero-padded to an AES-128 key; the challenge zero-padded to whole
 * blocks, each block encrypted on its own (ECB). Gurux computes the same for secrets of up to
 * 16 bytes (Gurux.DLMS.Python gurux_dlms/GXSecure.py and Gurux.DLMS.cpp CGXSecure::Secure; the
 * .NET GXSecure.AesEncrypt takes whole blocks only); it differs only for longer secrets,
 * which inputs_ok refuses. */
static int aes_ecb_value(const uint8_t *secret, size_t secret_len, byte_span challenge, uint8_t *out, size_t cap,
                         size_t *out_len)
{
    uint8_t key[16] = {0};
    size_t blocks = (challenge.n + 15) / 16;
    if (secret_len > sizeof key || blocks * 16 > cap)
        return -1;
    if (secret_len > 0)
        memcpy(key, secret, secret_len);
    mbedtls_aes_context aes;
    mbedtls_aes_init(&aes);
    int rc = mbedtls_aes_setkey_enc(&aes, key, 128);
    for (size_t b = 0; rc == 0 && b < blocks; b++) {
        uint8_t block[16] = {0};
        size_t take = challenge.n - b * 16 < 16 ? challenge.n - b * 16 : 16;
        memcpy(block, challenge.p + b * 16, take);
        rc = mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, block, out + b * 16);
    }
    mbedtls_aes_free(&aes);
    mbedtls_platform_zeroize(key, sizeof key);
    *out_len = blocks * 16;
    return rc == 0 ? 0 : -1;
}

static void put_u32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_u32be(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Mechanism 5: SC || IC || first 12 bytes of GMAC(EK, title || IC, SC || AK || challenge). */
static int gmac_value(const ds_hls_inputs *in, const uint8_t *title, uint32_t ic, uint8_t sc, byte_span challenge,
                      uint8_t out[DS_HLS_GMAC_VALUE_LEN])
{
    uint8_t iv[12], aad[1 + 32 + DS_HLS_CHALLENGE_MAX];
    size_t ak_len = ak_length(in);
    if (in->key_len > 32 || ak_len > 32 || challenge.n > DS_HLS_CHALLENGE_MAX)
        return -1;
    memcpy(iv, title, DS_HLS_TITLE_LEN);
    put_u32be(iv + 8, ic);
    aad[0] = sc;
    memcpy(aad + 1, in->ak, ak_len);
    memcpy(aad + 1 + ak_len, challenge.p, challenge.n);
    int rc = ds_gmac(in->ek, in->key_len, iv, aad, 1 + ak_len + challenge.n, out + 5, GMAC_TAG_LEN);
    mbedtls_platform_zeroize(aad, sizeof aad); /* it holds the AK */
    if (rc != 0)
        return -1;
    out[0] = sc;
    put_u32be(out + 1, ic);
    return 0;
}

static uint8_t default_sc(const ds_hls_inputs *in)
{
    if (in->sc != 0)
        return in->sc;
    return in->key_len == 32 ? 0x12 : 0x10;
}

/* Computes the value of mechanism (2..6 or MECH_6_VARIANT) for one side. Inputs must have
 * passed inputs_ok. */
static int compute(const ds_hls_inputs *in, int mechanism, int server_side, uint32_t ic, uint8_t sc, uint8_t *out,
                   size_t cap, size_t *out_len)
{
    side_view v = view_of(in, server_side);
    byte_span secret = {in->secret, in->secret_len};
    uint8_t md[64];
    size_t md_len = 0;
    int rc;
    switch (mechanism) {
    case 2:
        return aes_ecb_value(in->secret, in->secret_len, v.answered, out, cap, out_len);
    case 3:
    case 4:
    case MECH_6_VARIANT: {
        byte_span parts[2] = {v.answered, secret};
        mbedtls_md_type_t t = mechanism == 3 ? MBEDTLS_MD_MD5 : mechanism == 4 ? MBEDTLS_MD_SHA1 : MBEDTLS_MD_SHA256;
        rc = ds_hash_parts(t, parts, 2, md, &md_len);
        break;
    }
    case 5:
        if (cap < DS_HLS_GMAC_VALUE_LEN)
            return -1;
        *out_len = DS_HLS_GMAC_VALUE_LEN;
        return gmac_value(in, v.own_title, ic, sc, v.answered, out);
    case 6: {
        byte_span parts[5] = {secret, {v.own_title, DS_HLS_TITLE_LEN}, {v.peer_title, DS_HLS_TITLE_LEN},
                              v.answered, v.own_challenge};
        rc = ds_hash_parts(MBEDTLS_MD_SHA256, parts, 5, md, &md_len);
        break;
    }
    default:
        return -1;
    }
    if (rc != 0 || md_len > cap)
        return -1;
    memcpy(out, md, md_len);
    *out_len = md_len;
    return 0;
}

/* Mechanism 7's signed message, for the signer and the check alike: own title, peer title, the
 * challenge answered, the own challenge. */
static void mech7_message(const side_view *v, byte_span parts[4])
{
    parts[0] = (byte_span){v->own_title, DS_HLS_TITLE_LEN};
    parts[1] = (byte_span){v->peer_title, DS_HLS_TITLE_LEN};
    parts[2] = v->answered;
    parts[3] = v->own_challenge;
}

/* Mechanism 7 made: the side's signature with its private key (signing.c). */
static int sign_value(const ds_hls_inputs *in, int server_side, uint8_t *out, size_t *out_len)
{
    side_view v = view_of(in, server_side);
    const uint8_t *priv = server_side ? in->server_priv : in->client_priv;
    if (priv == NULL || !titles_ok(&v, server_side, 1, NULL, 0) || !challenge_ok(v.answered, "", NULL, 0) ||
        !challenge_ok(v.own_challenge, "", NULL, 0))
        return -1;
    byte_span parts[4];
    mech7_message(&v, parts);
    size_t cap = *out_len;
    return ds_ecdsa_sign_parts(priv, in->priv_len, parts, 4, out, cap, out_len, NULL, 0);
}

/* Mechanism 7: 0 the raw r || s signature verifies, 1 it does not, -1 the key is unusable. */
static int verify_signature(const ds_hls_inputs *in, int server_side, const uint8_t *sig, size_t sig_len,
                            char *why, size_t whylen)
{
    side_view v = view_of(in, server_side);
    const uint8_t *pub = server_side ? in->server_pub : in->client_pub;
    int p384 = in->pub_len == 97;
    size_t coord = p384 ? 48 : 32;
    if (sig_len != 2 * coord) {
        say(why, whylen, "%s is %zu bytes, not a %zu-byte ECDSA signature", value_name(server_side), sig_len,
            2 * coord);
        return 1;
    }
    byte_span parts[4];
    mech7_message(&v, parts);
    uint8_t hash[64];
    size_t hash_len = 0;
    if (ds_hash_parts(p384 ? MBEDTLS_MD_SHA384 : MBEDTLS_MD_SHA256, parts, 4, hash, &hash_len) != 0) {
        say(why, whylen, "hash failed");
        return -1;
    }
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    int result = -1;
    if (mbedtls_ecp_group_load(&grp, p384 ? MBEDTLS_ECP_DP_SECP384R1 : MBEDTLS_ECP_DP_SECP256R1) != 0) {
        say(why, whylen, "curve not available");
    } else if (mbedtls_ecp_point_read_binary(&grp, &q, pub, in->pub_len) != 0 ||
               mbedtls_ecp_check_pubkey(&grp, &q) != 0) {
        say(why, whylen, "the %s public key is not a point on %s", server_side ? "server" : "client",
            p384 ? "P-384" : "P-256");
    } else if (mbedtls_mpi_read_binary(&r, sig, coord) != 0 || mbedtls_mpi_read_binary(&s, sig + coord, coord) != 0) {
        say(why, whylen, "out of memory");
    } else {
        result = mbedtls_ecdsa_verify(&grp, hash, hash_len, &q, &r, &s) == 0 ? 0 : 1;
        if (result == 1)
            say(why, whylen, "%s: the ECDSA signature does not verify", value_name(server_side));
    }
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return result;
}

/* 0 match, 1 mismatch, -1 cannot check. Mechanism 5 recomputes with the value's own IC plus
 * ic_delta and compares SC and tag (the IC bytes are the value's by construction). */
static int verify_as(const ds_hls_inputs *in, int mechanism, int server_side, const uint8_t *got, size_t got_len,
                     int32_t ic_delta, char *why, size_t whylen)
{
    if (!inputs_ok(in, mechanism, server_side, why, whylen))
        return -1;
    if (got == NULL)
        got_len = 0;
    if (mechanism == 7)
        return verify_signature(in, server_side, got, got_len, why, whylen);

    uint8_t want[DS_HLS_VALUE_MAX];
    size_t want_len = 0;
    int rc;
    if (mechanism == 5) {
        if (got_len != DS_HLS_GMAC_VALUE_LEN) {
            say(why, whylen, "%s is %zu bytes, not the %d of SC || IC || tag", value_name(server_side), got_len,
                DS_HLS_GMAC_VALUE_LEN);
            return 1;
        }
        uint32_t ic = get_u32be(got + 1) + (uint32_t)ic_delta;
        rc = compute(in, 5, server_side, ic, in->sc != 0 ? in->sc : got[0], want, sizeof want, &want_len);
    } else {
        rc = compute(in, mechanism, server_side, 0, 0, want, sizeof want, &want_len);
    }
    if (rc != 0) {
        say(why, whylen, "mechanism %d value could not be computed", mechanism);
        return -1;
    }
    if (want_len != got_len) {
        say(why, whylen, "%s is %zu bytes, %zu expected for mechanism %d", value_name(server_side), got_len, want_len,
            mechanism);
        return 1;
    }
    int same = mechanism == 5 ? want[0] == got[0] && ds_ct_equal(want + 5, got + 5, GMAC_TAG_LEN)
                              : ds_ct_equal(want, got, got_len);
    if (!same) {
        say(why, whylen, "%s does not match (mechanism %d)", value_name(server_side), mechanism);
        return 1;
    }
    say(why, whylen, "%s matches", value_name(server_side));
    return 0;
}

/* ---- public API --------------------------------------------------------------------------- */

int ds_hls_expected(const ds_hls_inputs *in, int server_side, uint32_t ic, uint8_t *out, size_t *out_len)
{
    if (in == NULL || out == NULL || out_len == NULL)
        return -1;
    if (in->mechanism == 7)
        return sign_value(in, server_side, out, out_len);
    if (!inputs_ok(in, in->mechanism, server_side, NULL, 0))
        return -1;
    size_t cap = *out_len;
    return compute(in, in->mechanism, server_side, ic, default_sc(in), out, cap, out_len);
}

int ds_hls_verify(const ds_hls_inputs *in, int server_side, const uint8_t *got, size_t got_len, char *why,
                  size_t whylen)
{
    say(why, whylen, "%s", "");
    if (in == NULL) {
        say(why, whylen, "no HLS inputs");
        return -1;
    }
    return verify_as(in, in->mechanism, server_side, got, got_len, 0, why, whylen);
}

const char *ds_hls_mismatch_code(int server_side)
{
    return server_side ? "hls.ctos-mismatch" : "hls.stoc-mismatch";
}

/* ---- diagnosis ------------------------------------------------------------------------------ */

static int matches(const ds_hls_inputs *in, int mechanism, int server_side, const uint8_t *got, size_t got_len,
                   int32_t ic_delta)
{
    return verify_as(in, mechanism, server_side, got, got_len, ic_delta, NULL, 0) == 0;
}

static size_t gmac_suite_key_len(const ds_hls_inputs *in, const uint8_t *got)
{
    uint8_t sc = in->sc != 0 ? in->sc : got[0];
    return (sc & 0x0F) == 2 ? 32 : 16;
}

static int secret_ascii_matches(const ds_hls_inputs *in, int server_side, const uint8_t *got, size_t got_len,
                                const ds_hls_hints *hints)
{
    ds_reading r[DS_READINGS_MAX];
    size_t n = ds_key_readings(in->secret, in->secret_len, hints ? hints->secret_text : NULL, 0, r);
    int found = 0;
    for (size_t i = 0; i < n && !found; i++) {
        ds_hls_inputs alt = *in;
        alt.secret = r[i].bytes;
        alt.secret_len = r[i].len;
        found = matches(&alt, in->mechanism, server_side, got, got_len, 0);
    }
    mbedtls_platform_zeroize(r, sizeof r);
    return found;
}

/* Sets an alternative AK; a zero length cannot be written as ak_len (0 means "key_len"), and
 * no real AK is empty, so it becomes "no AK". */
static void set_ak(ds_hls_inputs *alt, const uint8_t *ak, size_t len)
{
    alt->ak = len != 0 ? ak : NULL;
    alt->ak_len = len;
}

/* A guess of the mistake search (mistakes.h) tried on one mechanism 5 value. */
typedef struct gmac_trial {
    const ds_hls_inputs *in;
    int server_side;
    const uint8_t *got;
    size_t got_len;
} gmac_trial;

static int gmac_guess_works(void *ctx, const ds_guess *g)
{
    const gmac_trial *t = ctx;
    ds_hls_inputs alt = *t->in;
    alt.ek = g->ek;
    alt.key_len = g->ek_len;
    set_ak(&alt, g->ak, g->ak_len);
    if (t->server_side)
        alt.server_title = g->title;
    else
        alt.client_title = g->title;
    return alt.ek != NULL && alt.ak != NULL && matches(&alt, 5, t->server_side, t->got, t->got_len, g->ic_delta);
}

/* Mechanism 5: the search shared with ciphering: keys read otherwise or swapped, the other
 * side's title (the only title in the IV), the counter off by one, the other kind of key. */
static const char *diagnose_gmac(const ds_hls_inputs *in, int server_side, const uint8_t *got, size_t got_len,
                                 const ds_hls_hints *hints, char *why, size_t whylen)
{
    if (got_len != DS_HLS_GMAC_VALUE_LEN)
        return NULL;
    ds_mistake_inputs m;
    memset(&m, 0, sizeof m);
    m.ek = in->ek;
    m.ek_len = in->key_len;
    m.ek_role = "EK";
    m.ak = in->ak;
    m.ak_len = ak_length(in);
    m.key_len = gmac_suite_key_len(in, got);
    m.title = server_side ? in->server_title : in->client_title;
    m.other_title = server_side ? in->client_title : in->server_title;
    m.ic = get_u32be(got + 1);
    if (hints != NULL) {
        m.ek_text = hints->ek_text;
        m.ak_text = hints->ak_text;
        m.other_ek = hints->other_ek;
        m.other_ek_len = hints->other_ek_len;
        m.other_ek_is_dedicated = hints->other_ek_is_dedicated;
    }
    gmac_trial t = {in, server_side, got, got_len};
    char clause[300];
    const char *code = ds_mistake_search(&m, gmac_guess_works, &t, clause, sizeof clause);
    if (code != NULL)
        say(why, whylen, "%s matches %s", value_name(server_side), clause);
    return code;
}

/* System titles or challenges exchanged. */
static const char *diagnose_swaps(const ds_hls_inputs *in, int server_side, const uint8_t *got, size_t got_len,
                                  char *why, size_t whylen)
{
    const int mech = in->mechanism;
    ds_hls_inputs alt = *in;
    alt.client_title = in->server_title;
    alt.server_title = in->client_title;
    if ((mech == 6 || mech == 7) && in->client_title != NULL && in->server_title != NULL &&
        matches(&alt, mech, server_side, got, got_len, 0)) {
        say(why, whylen, "%s matches with the client and server system titles swapped", value_name(server_side));
        return "titles-swapped";
    }
    alt = *in;
    alt.ctos = in->stoc;
    alt.ctos_len = in->stoc_len;
    alt.stoc = in->ctos;
    alt.stoc_len = in->ctos_len;
    if (matches(&alt, mech, server_side, got, got_len, 0)) {
        say(why, whylen, "%s matches when computed over its own challenge instead of the peer's",
            value_name(server_side));
        return "challenges-swapped";
    }
    return NULL;
}

/* The same inputs through another mechanism's formula. */
static const char *diagnose_mechanism(const ds_hls_inputs *in, int server_side, const uint8_t *got, size_t got_len,
                                      char *why, size_t whylen)
{
    static const char *const OTHER_MECHANISM[] = {"", "", "mechanism-2", "mechanism-3", "mechanism-4",
                                                  "mechanism-5", "mechanism-6"};
    const char *name = value_name(server_side);
    /* mechanism 2 without a known method never matches: inputs_ok refuses it */
    for (int m = 2; m <= 6; m++)
        if (m != in->mechanism && matches(in, m, server_side, got, got_len, 0)) {
            say(why, whylen, "%s matches the formula of mechanism %d, not %d", name, m, in->mechanism);
            return OTHER_MECHANISM[m];
        }
    if (matches(in, MECH_6_VARIANT, server_side, got, got_len, 0)) {
        say(why, whylen, "%s matches SHA-256(challenge || secret), the title-less reading of mechanism 6", name);
        return "mechanism-6-variant";
    }
    return NULL;
}

const char *ds_hls_diagnose(const ds_hls_inputs *in, int server_side, const uint8_t *got, size_t got_len,
                            const ds_hls_hints *hints, char *why, size_t whylen)
{
    say(why, whylen, "%s", "");
    if (in == NULL || got == NULL)
        return NULL;
    const int mech = in->mechanism;
    /* Without a known method of mechanism 2 no value of it is wrong, so there is no cause to
     * look for (another mechanism's formula matching would be a guess about the vendor's). */
    if (mech == 2 && !mech2_known(in))
        return NULL;
    const char *code = NULL;
    if (mech == 5)
        code = diagnose_gmac(in, server_side, got, got_len, hints, why, whylen);
    if (code == NULL)
        code = diagnose_swaps(in, server_side, got, got_len, why, whylen);
    if (code == NULL && (mech == 2 || mech == 3 || mech == 4 || mech == 6) &&
        secret_ascii_matches(in, server_side, got, got_len, hints)) {
        say(why, whylen, "%s matches when the secret is read as ASCII text instead of hex, or the reverse",
            value_name(server_side));
        code = "key-ascii";
    }
    if (code == NULL)
        code = diagnose_mechanism(in, server_side, got, got_len, why, whylen);
    return code;
}
