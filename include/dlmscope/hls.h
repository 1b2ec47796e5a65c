/* HLS authentication (mechanisms 2-7), both roles: the value each side sends in the second pass
 * of the association (f(StoC) by the client, f(CtoS) by the server), and the check of the peer's.
 *
 * CtoS is the client's challenge (AARQ calling-authentication-value), StoC the server's (AARE
 * responding-authentication-value). server_side = 0 means "the client's f(StoC)", 1 "the
 * server's f(CtoS)".
 *
 * Formulas (REFERENCE.md 6.5):
 *   2  AES-128-ECB(key = secret zero-padded to 16, data = challenge zero-padded to a multiple of
 *      16) (the common vendor variant of this manufacturer-defined mechanism)
 *   3  MD5(challenge || secret)             4  SHA-1(challenge || secret)
 *   5  SC || IC || GMAC(EK, IV = own title || IC, AAD = SC || AK || challenge), 17 bytes
 *   6  SHA-256(secret || own title || peer title || challenge || other challenge)
 *   7  ECDSA signature, raw r || s, over own title || peer title || challenge || other challenge
 * where "own" is the side that computes the value, "challenge" the one it answers (StoC for the
 * client, CtoS for the server) and "other challenge" its own.
 *
 * Pure functions: no I/O, no allocation; every input is treated as untrusted; secrets and keys
 * are never written into the explanation strings. */
#ifndef DLMSCOPE_HLS_H
#define DLMSCOPE_HLS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DS_HLS_TITLE_LEN 8
#define DS_HLS_GMAC_VALUE_LEN 17   /* mechanism 5: SC(1) IC(4) T(12) */
#define DS_HLS_CHALLENGE_MAX 255   /* longer challenges are refused (-1): 8..64 is the norm */
#define DS_HLS_SECRET_MAX 64       /* longer secrets are refused (-1) */
#define DS_HLS_VALUE_MAX 256       /* enough for any value ds_hls_expected produces */

/* The method of mechanism 2 (ds_hls_inputs.mech2). Zero is AES-ECB, so that inputs cleared
 * with memset keep the common variant. */
enum {
    DS_HLS_MECH2_AES_ECB = 0, /* the formula above */
    DS_HLS_MECH2_NONE = 1     /* unknown: mechanism 2 can be neither computed nor verified (-1),
                                 and is not tried as another mechanism's formula by ds_hls_diagnose */
};

typedef struct ds_hls_inputs {
    int mechanism;                               /* 2..7 */
    const uint8_t *secret; size_t secret_len;    /* mechanisms 2, 3, 4, 6 (LLS-style secret) */
    const uint8_t *ek, *ak; size_t key_len;      /* mechanism 5: 16 (suite 0/1) or 32 (suite 2) */
    size_t ak_len;                               /* mechanism 5: AK length when it differs from
                                                    key_len (a mistyped key); 0 = key_len */
    uint8_t sc;                                  /* mechanism 5: 0x10 | suite; 0 = take it from the
                                                    value being verified (0x10 / 0x12 by key length
                                                    for ds_hls_expected) */
    const uint8_t *client_title, *server_title;  /* 8 bytes each; mechanisms 5, 6, 7 */
    const uint8_t *ctos; size_t ctos_len;        /* challenge client -> server */
    const uint8_t *stoc; size_t stoc_len;        /* challenge server -> client */
    const uint8_t *client_pub, *server_pub; size_t pub_len; /* mechanism 7: 04 || X || Y, 65 or 97 bytes */
    int mech2;                                   /* DS_HLS_MECH2_*; any other value counts as NONE */
    /* mechanism 7, to make a value (ds_hls_expected): the computing side's private key, the bare
     * scalar, 32 bytes (P-256 + SHA-256) or 48 (P-384 + SHA-384); NULL: not computable */
    const uint8_t *client_priv, *server_priv; size_t priv_len;
} ds_hls_inputs;

/* The value the client must send (server_side 0: f(StoC)) or the server must return
 * (server_side 1: f(CtoS)). Mechanism 5: the 17-byte SC || IC || T with invocation counter ic
 * (ignored by the other mechanisms). Mechanism 7: the raw r || s ECDSA signature with the side's
 * private key (client_priv or server_priv), deterministic (RFC 6979), over the same bytes the
 * check verifies. *out_len: capacity of out on entry (DS_HLS_VALUE_MAX is always enough), length
 * on return. Returns 0, or -1 when it cannot be computed (missing or unusable input, capacity
 * too small). ds_hls_verify recomputes mechanisms 2 to 6 with this same function. */
int ds_hls_expected(const ds_hls_inputs *in, int server_side, uint32_t ic, uint8_t *out, size_t *out_len);

/* Checks the value one side sent. Mechanism 5 takes the IC from the value itself. Returns
 * 0 = matches, 1 = mismatch, -1 = cannot check; why (may be NULL) receives a sentence
 * saying which side is wrong or which input is missing. The comparison is constant-time. */
int ds_hls_verify(const ds_hls_inputs *in, int server_side, const uint8_t *got, size_t got_len,
                  char *why, size_t whylen);

#ifdef __cplusplus
}
#endif
#endif
