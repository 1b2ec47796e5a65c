/* general-ciphering agreed keys (key-info CHOICE 2): ECDH and the concatenation KDF. See agree.h.
 *
 * The Green Book (DLMS UA 1000-2) itself was not at hand. Each fact below names where it comes
 * from: the project fact sheet (REFERENCE.md), Gurux (gurux.dlms.java
 * development/src/main/java/gurux/dlms/secure/GXSecure.java: generateKDF, decryptAesGcm,
 * getEphemeralPublicKeyData; .../gurux/dlms/GXDLMS.java: cipher1, which builds these APDUs;
 * gxdlms-go settings/GXSecure.go and enums/AlgorithmId.go, enums/KeyAgreementScheme.go), the
 * Green Book's Table C.2 test values as reproduced in gvtret/spodes-rs src/security/agreement.rs,
 * and NIST SP 800-56A. Where sources differ or are silent, the Gurux reading is taken.
 *
 *  - key-info agreed-key = { key-parameters OCTET STRING, key-ciphered-data OCTET STRING }
 *    (REFERENCE.md 6.3; Gurux decryptAesGcm reads them in that order).
 *  - key-parameters is one byte: 01 One-Pass Diffie-Hellman C(1e, 1s, ECC CDH), 02 Static
 *    Unified Model C(0e, 2s, ECC CDH) (REFERENCE.md 6.3; Gurux KeyAgreementScheme enum, where
 *    0 is the Ephemeral Unified Model, not used in general-ciphering).
 *  - One-Pass: key-ciphered-data is the originator's ephemeral public key X || Y followed by an
 *    ECDSA signature r || s over it: 128 bytes on P-256 (Gurux cipher1 writes 0x80 bytes; its
 *    decryptAesGcm takes the key from the first half). Static Unified Model: key-ciphered-data
 *    is empty (Gurux decryptAesGcm refuses anything else; cipher1 writes 00).
 *  - Curves and hashes: suite 1 P-256 with SHA-256, suite 2 P-384 with SHA-384 (REFERENCE.md 6.4;
 *    Gurux cipher1 and gxdlms-go GenerateKDF choose the hash by suite).
 *  - Z is the x-coordinate of the ECDH point, as a fixed-length big-endian string (SP 800-56A
 *    ECC CDH primitive; the NIST CAVS ECC CDH vectors give ZIUT as that x-coordinate).
 *    One-Pass: the recipient's static private key with the ephemeral public key; Static Unified:
 *    the recipient's static private key with the originator's static public key.
 *  - KDF: H(counter || Z || OtherInfo), counter a 32-bit big-endian number from 1 (SP 800-56A
 *    5.8.1; Gurux generateKDF; checked here against RFC 7518 appendix C and Green Book C.2).
 *  - OtherInfo = AlgorithmID || PartyUInfo || PartyVInfo [|| SuppPubInfo] with no length fields:
 *    AlgorithmID is the 7-byte OID 60 85 74 05 08 03 x, x = 00 AES-GCM-128 (suite 1), 01 AES-GCM-256
 *    (suite 2) (Gurux cipher1 "60857405080300"/"60857405080301"; gxdlms-go AlgorithmId: AesGcm128 0,
 *    AesGcm256 1, AesWrap128 2, AesWrap256 3; Green Book C.2 uses ...00 with suite 1).
 *    One-Pass: PartyUInfo the originator system title, PartyVInfo the recipient's (Gurux
 *    decryptAesGcm; Green Book C.2 "KDF(Z, AlgID, Sys-TC, Sys-TS)" with the client originating).
 *    Static Unified Model: originator title || the transaction-id field with its length byte as on
 *    the wire (08 || 8 bytes) || recipient title. Gurux is the only source: newer GXSecure passes
 *    (08 || transaction-id) as PartyVInfo and the recipient title as SuppPubInfo, older cipher1
 *    puts both into PartyVInfo; the bytes are the same. A reading with the transaction-id after
 *    both titles (as SuppPubInfo) is not what Gurux does and is not tried. SuppPrivInfo is empty
 *    (Gurux: "not used in DLMS").
 *  - The AES key is the leftmost 16 bytes of the KDF output for suite 1 (newer Gurux decryptAesGcm
 *    subArray(0, 16); Green Book C.2 as reproduced; older Gurux cipher1 passes all 32 bytes, which
 *    cannot be an AES-128 key) and, by the same rule, the leftmost 32 for suite 2 (no source
 *    checked for suite 2). With one hash block this equals SP 800-56A with keydatalen 128 / 256.
 *  - The ephemeral key's signature: Gurux signs the uncompressed point with its leading 04
 *    replaced by the key id, which cipher1 sets to the key-parameters value: 01 || X || Y
 *    (getEphemeralPublicKeyData). Descriptions of the Green Book speak of a signature over the
 *    ephemeral public key, so X || Y alone is tried second and reported as such. Gurux signs with
 *    SHA-256 on P-256 only; SHA-384 on P-384 follows the suite and is unconfirmed. */
#include "security/agree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecdh.h>
#include <mbedtls/ecp.h>
#include <mbedtls/platform_util.h>

#include "security/hash.h"
#include "security/signing.h"
#include "util/fmt.h"

#define SC_SUITE_MASK 0x0Fu
#define KDF_OUT_MAX 1024u
#define COORD_MAX 48u
#define ALG_ID_LEN 7u
#define ONE_PASS 1
#define STATIC_UNIFIED 2

/* 2.16.756.5.8.3: the DLMS UA cryptographic algorithm ids; the last byte names the cipher. */
static const uint8_t ALG_ID_PREFIX[ALG_ID_LEN - 1] = {0x60, 0x85, 0x74, 0x05, 0x08, 0x03};

typedef struct suite_params {
    unsigned suite;
    size_t coord;     /* bytes of one coordinate, of the private key, of r and of s */
    size_t key_len;   /* AES key */
    int sha384;
    uint8_t alg;      /* last byte of the AlgorithmID */
    const char *curve;
} suite_params;

static int params_of(unsigned suite, suite_params *sp)
{
    if (suite == 1) {
        *sp = (suite_params){1, 32, 16, 0, 0x00, "P-256"};
        return 0;
    }
    if (suite == 2) {
        *sp = (suite_params){2, 48, 32, 1, 0x01, "P-384"};
        return 0;
    }
    return -1;
}

/* ---- the primitives --------------------------------------------------------------------------- */

static void be32(uint8_t out[4], uint32_t v)
{
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
}

/* One block: H(counter || Z || OtherInfo). */
static int kdf_block(int sha384, uint32_t counter, const uint8_t *z, size_t z_len, const uint8_t *other,
                     size_t other_len, uint8_t block[64])
{
    uint8_t ctr[4];
    be32(ctr, counter);
    const ds_bytes parts[3] = {{ctr, sizeof ctr}, {z, z_len}, {other, other_len}};
    size_t len;
    return ds_hash_parts(sha384 ? MBEDTLS_MD_SHA384 : MBEDTLS_MD_SHA256, parts, 3, block, &len);
}

int ds_kdf_concat(int sha384, const uint8_t *z, size_t z_len, const uint8_t *other_info, size_t other_len,
                  uint8_t *out, size_t out_len)
{
    if (!out || out_len == 0 || out_len > KDF_OUT_MAX || (!z && z_len) || (!other_info && other_len)) return -1;
    size_t hash_len = sha384 ? 48 : 32;
    uint8_t block[64]; /* room for any SHA-2 output */
    uint32_t counter = 1;
    int rc = 0;
    for (size_t done = 0; done < out_len && rc == 0; done += hash_len, counter++) {
        rc = kdf_block(sha384, counter, z, z_len, other_info, other_len, block);
        size_t take = out_len - done < hash_len ? out_len - done : hash_len;
        if (rc == 0) memcpy(out + done, block, take);
    }
    mbedtls_platform_zeroize(block, sizeof block);
    if (rc != 0) mbedtls_platform_zeroize(out, out_len);
    return rc == 0 ? 0 : -1;
}

/* The peer's point as mbedtls reads it: 04 || X || Y. */
static int read_point(const mbedtls_ecp_group *grp, size_t coord, const uint8_t *pub, size_t pub_len,
                      mbedtls_ecp_point *q)
{
    uint8_t buf[1 + 2 * COORD_MAX];
    if (pub_len == 2 * coord) {
        buf[0] = 0x04;
        memcpy(buf + 1, pub, pub_len);
        pub = buf;
        pub_len++;
    } else if (pub_len != 2 * coord + 1) {
        return -3;
    }
    if (mbedtls_ecp_point_read_binary(grp, q, pub, pub_len) != 0 || mbedtls_ecp_check_pubkey(grp, q) != 0)
        return -2;
    return 0;
}

int ds_ecdh_shared(size_t coord_len, const uint8_t *priv, size_t priv_len, const uint8_t *pub, size_t pub_len,
                   uint8_t *z)
{
    if ((coord_len != 32 && coord_len != 48) || !priv || !pub || !z || priv_len != coord_len) return -3;
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi d, zm;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&d);
    mbedtls_mpi_init(&zm);
    int rc = mbedtls_ecp_group_load(&grp, coord_len == 32 ? MBEDTLS_ECP_DP_SECP256R1 : MBEDTLS_ECP_DP_SECP384R1)
                 ? -3 : 0;
    if (rc == 0 && (mbedtls_mpi_read_binary(&d, priv, priv_len) != 0 || mbedtls_ecp_check_privkey(&grp, &d) != 0))
        rc = -1;
    if (rc == 0) rc = read_point(&grp, coord_len, pub, pub_len, &q);
    /* no RNG of our own: mbedtls then blinds with its internal one (MBEDTLS_ECP_NO_INTERNAL_RNG is off) */
    if (rc == 0 && (mbedtls_ecdh_compute_shared(&grp, &zm, &q, &d, NULL, NULL) != 0 ||
                    mbedtls_mpi_write_binary(&zm, z, coord_len) != 0))
        rc = -3;
    if (rc != 0) mbedtls_platform_zeroize(z, coord_len);
    mbedtls_mpi_free(&d); /* mbedtls wipes the limbs it frees */
    mbedtls_mpi_free(&zm);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return rc;
}

/* ---- the DLMS part ---------------------------------------------------------------------------- */

static void say(ds_agree_report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(ds_agree_report *rep, const char *fmt, ...)
{
    if (!rep) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->why, sizeof rep->why, fmt, ap);
    va_end(ap);
}

/* A system title field for a message: its hex, or what is odd about it. */
static const char *title_text(const uint8_t *t, size_t n, char out[2 * DS_TITLE_LEN + 1])
{
    if (!t || n != DS_TITLE_LEN) return n ? "(not 8 bytes)" : "(none)";
    ds_fmt_hex(out, t, DS_TITLE_LEN);
    return out;
}

/* OtherInfo (see the top of this file). The titles are the fields as they are; the
 * transaction-id goes in with its length byte(s) as on the wire: gc_header starts there. */
static uint8_t *other_info(const ds_ciphered *c, const uint8_t title[DS_TITLE_LEN], const suite_params *sp,
                           int scheme, size_t *len)
{
    size_t tid_field = 0;
    if (scheme == STATIC_UNIFIED && c->gc_header && c->transaction_id)
        tid_field = (size_t)(c->transaction_id - c->gc_header) + c->transaction_id_len;
    size_t n = ALG_ID_LEN + DS_TITLE_LEN + tid_field + c->recipient_title_len;
    uint8_t *oi = malloc(n);
    if (!oi) return NULL;
    size_t pos = 0;
    memcpy(oi, ALG_ID_PREFIX, sizeof ALG_ID_PREFIX);
    pos += sizeof ALG_ID_PREFIX;
    oi[pos++] = sp->alg;
    memcpy(oi + pos, title, DS_TITLE_LEN);
    pos += DS_TITLE_LEN;
    if (tid_field) memcpy(oi + pos, c->gc_header, tid_field);
    pos += tid_field;
    if (c->recipient_title_len) memcpy(oi + pos, c->recipient_title, c->recipient_title_len);
    *len = n;
    return oi;
}

/* The key-parameters byte; -1 when the field is not one byte. */
static int scheme_of(const ds_ciphered *c)
{
    return c->key_parameters_len == 1 ? c->key_parameters[0] : -1;
}

/* The other side's public key for the scheme: the ephemeral one in the APDU or the originator's
 * static one. DS_DEC_OK or the failure, said in rep. */
static ds_dec_status peer_key(const ds_ciphered *c, const ds_keyset *keys, const suite_params *sp, int scheme,
                              const uint8_t **peer, size_t *peer_len, ds_agree_report *rep)
{
    char t[2 * DS_TITLE_LEN + 1];
    if (scheme == ONE_PASS) {
        if (c->agreed_data_len != 4 * sp->coord) {
            say(rep, "key-ciphered-data is %zu bytes; One-Pass Diffie-Hellman on %s carries the ephemeral public key "
                     "X||Y (%zu bytes) and its signature r||s (%zu): %zu",
                c->agreed_data_len, sp->curve, 2 * sp->coord, 2 * sp->coord, 4 * sp->coord);
            return DS_DEC_AGREEMENT_FAILED;
        }
        *peer = c->agreed_data;
        *peer_len = 2 * sp->coord;
        return DS_DEC_OK;
    }
    if (c->agreed_data_len != 0) {
        say(rep, "key-ciphered-data is %zu bytes; it is empty in the Static Unified Model", c->agreed_data_len);
        return DS_DEC_AGREEMENT_FAILED;
    }
    if (!keys->pub.set) {
        say(rep, "no static key-agreement public key for the originator %s (Static Unified Model): give it with "
                 "--agreement-public-key or pub= in a key file",
            title_text(c->title, c->title_len, t));
        return DS_DEC_NO_KEY;
    }
    if (keys->pub.len != 2 * sp->coord + 1) {
        say(rep, "the originator's key-agreement public key is not a %s key, the curve of security suite %u",
            sp->curve, sp->suite);
        return DS_DEC_AGREEMENT_FAILED;
    }
    *peer = keys->pub.bytes;
    *peer_len = keys->pub.len;
    return DS_DEC_OK;
}

/* The suite, the scheme and the recipient's private key: all that is checked before any
 * arithmetic. */
static ds_dec_status check_setup(const ds_ciphered *c, const ds_keyset *keys, suite_params *sp, int scheme,
                                 ds_agree_report *rep)
{
    unsigned suite = c->sc & SC_SUITE_MASK;
    char t[2 * DS_TITLE_LEN + 1];
    if (params_of(suite, sp) != 0) {
        say(rep, "an agreed key needs security suite 1 (P-256) or 2 (P-384); the security control says suite %u", suite);
        return DS_DEC_UNSUPPORTED;
    }
    if (scheme != ONE_PASS && scheme != STATIC_UNIFIED) {
        if (scheme < 0)
            say(rep, "key-parameters is %zu bytes, not the one byte that names the scheme", c->key_parameters_len);
        else
            say(rep, "key-parameters %02X: 01 (One-Pass Diffie-Hellman) and 02 (Static Unified Model) are the schemes "
                     "defined", (unsigned)scheme);
        return DS_DEC_UNSUPPORTED;
    }
    if (!keys || !keys->priv.set) {
        say(rep, "no key-agreement private key for the recipient %s: give it with --private-key or priv= in a key file",
            title_text(c->recipient_title, c->recipient_title_len, t));
        return DS_DEC_NO_KEY;
    }
    if (keys->priv.len != sp->coord) {
        say(rep, "the private key is a %s key but security suite %u agrees keys on %s",
            keys->priv.len == 32 ? "P-256" : "P-384", suite, sp->curve);
        return DS_DEC_AGREEMENT_FAILED;
    }
    return DS_DEC_OK;
}

/* Z, then the KDF into out. */
static ds_dec_status derive(const ds_ciphered *c, const uint8_t title[DS_TITLE_LEN], const ds_keyset *keys,
                            const suite_params *sp, int scheme, const uint8_t *peer, size_t peer_len, ds_key *out,
                            ds_agree_report *rep)
{
    uint8_t z[COORD_MAX];
    int rc = ds_ecdh_shared(sp->coord, keys->priv.bytes, keys->priv.len, peer, peer_len, z);
    if (rc == -1) say(rep, "the private key is not a valid %s private key", sp->curve);
    else if (rc == -2)
        say(rep, "the %s is not a point on %s",
            scheme == ONE_PASS ? "ephemeral public key in key-ciphered-data" : "originator's key-agreement public key",
            sp->curve);
    else if (rc != 0) say(rep, "the ECDH computation on %s failed", sp->curve);
    if (rc != 0) return DS_DEC_AGREEMENT_FAILED;
    size_t oi_len = 0;
    uint8_t *oi = other_info(c, title, sp, scheme, &oi_len);
    rc = oi ? ds_kdf_concat(sp->sha384, z, sp->coord, oi, oi_len, out->bytes, sp->key_len) : -1;
    free(oi);
    mbedtls_platform_zeroize(z, sizeof z);
    if (rc != 0) {
        say(rep, "the key derivation failed (out of memory)");
        return DS_DEC_AGREEMENT_FAILED;
    }
    out->set = 1;
    out->len = sp->key_len;
    return DS_DEC_OK;
}

/* One-Pass: the ephemeral key's signature with the originator's signing key, under the Gurux
 * reading (key-parameters || X || Y) and then the plain one (X || Y). */
static void check_signature(const ds_ciphered *c, const ds_keyset *keys, const suite_params *sp,
                            ds_agree_report *rep)
{
    if (!keys->sign.set) {
        rep->signature = DS_KEYSIG_UNCHECKED;
        return;
    }
    const uint8_t *xy = c->agreed_data, *sig = c->agreed_data + 2 * sp->coord;
    uint8_t with_id[1 + 2 * COORD_MAX];
    with_id[0] = c->key_parameters[0];
    memcpy(with_id + 1, xy, 2 * sp->coord);
    int rc = ds_ecdsa_verify(keys->sign.bytes, keys->sign.len, with_id, 1 + 2 * sp->coord, sig, 2 * sp->coord,
                             rep->sig_why, sizeof rep->sig_why);
    if (rc == 0) {
        rep->signature = DS_KEYSIG_VERIFIED;
        return;
    }
    if (rc == 1)
        rc = ds_ecdsa_verify(keys->sign.bytes, keys->sign.len, xy, 2 * sp->coord, sig, 2 * sp->coord, rep->sig_why,
                             sizeof rep->sig_why);
    rep->signature = rc == 0 ? DS_KEYSIG_KEY_ONLY : rc == 1 ? DS_KEYSIG_MISMATCH : DS_KEYSIG_UNUSABLE;
}

ds_dec_status ds_agreed_key(const ds_ciphered *c, const uint8_t title[DS_TITLE_LEN], const ds_keyset *keys,
                            ds_key *out, ds_agree_report *rep)
{
    memset(out, 0, sizeof *out);
    int scheme = scheme_of(c);
    if (rep) {
        memset(rep, 0, sizeof *rep);
        rep->scheme = scheme;
    }
    suite_params sp;
    ds_dec_status st = check_setup(c, keys, &sp, scheme, rep);
    const uint8_t *peer = NULL;
    size_t peer_len = 0;
    if (st == DS_DEC_OK) st = peer_key(c, keys, &sp, scheme, &peer, &peer_len, rep);
    if (st == DS_DEC_OK) st = derive(c, title, keys, &sp, scheme, peer, peer_len, out, rep);
    if (st != DS_DEC_OK) {
        mbedtls_platform_zeroize(out, sizeof *out);
        return st;
    }
    if (scheme == ONE_PASS && rep) check_signature(c, keys, &sp, rep);
    return DS_DEC_OK;
}

/* ---- the originator's side ------------------------------------------------------------------- */

int ds_ec_public_of(const uint8_t *priv, size_t priv_len, uint8_t *pub, size_t *pub_len)
{
    if (!priv || (priv_len != 32 && priv_len != 48) || !pub || !pub_len) return -1;
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi d;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&d);
    size_t n = 0;
    int rc = mbedtls_ecp_group_load(&grp, priv_len == 32 ? MBEDTLS_ECP_DP_SECP256R1 : MBEDTLS_ECP_DP_SECP384R1);
    if (rc == 0) rc = mbedtls_mpi_read_binary(&d, priv, priv_len);
    if (rc == 0) rc = mbedtls_ecp_check_privkey(&grp, &d);
    /* no RNG: mbedtls blinds with its internal one */
    if (rc == 0) rc = mbedtls_ecp_mul(&grp, &q, &d, &grp.G, NULL, NULL);
    if (rc == 0) rc = mbedtls_ecp_point_write_binary(&grp, &q, MBEDTLS_ECP_PF_UNCOMPRESSED, &n, pub, 1 + 2 * priv_len);
    mbedtls_mpi_free(&d);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    if (rc != 0) return -1;
    *pub_len = n;
    return 0;
}

ds_dec_status ds_agreed_key_originator(const ds_ciphered *c, const uint8_t title[DS_TITLE_LEN], const ds_ec_key *own_priv,
                                       const ds_ec_key *recipient_pub, ds_key *out, ds_agree_report *rep)
{
    memset(out, 0, sizeof *out);
    if (rep) {
        memset(rep, 0, sizeof *rep);
        rep->scheme = scheme_of(c);
    }
    /* ECDH is symmetric: the originator's private key with the recipient's public key gives the
     * Z the recipient gets; the setup checks and the KDF are the recipient's own */
    ds_keyset own;
    memset(&own, 0, sizeof own);
    if (own_priv) own.priv = *own_priv;
    suite_params sp;
    ds_dec_status st = check_setup(c, &own, &sp, scheme_of(c), rep);
    if (st == DS_DEC_OK && (!recipient_pub || !recipient_pub->set || recipient_pub->len != 2 * sp.coord + 1)) {
        say(rep, "the recipient's key-agreement public key is missing or not a %s key", sp.curve);
        st = recipient_pub && recipient_pub->set ? DS_DEC_AGREEMENT_FAILED : DS_DEC_NO_KEY;
    }
    if (st == DS_DEC_OK)
        st = derive(c, title, &own, &sp, scheme_of(c), recipient_pub->bytes, recipient_pub->len, out, rep);
    mbedtls_platform_zeroize(&own, sizeof own);
    if (st != DS_DEC_OK) mbedtls_platform_zeroize(out, sizeof *out);
    return st;
}
