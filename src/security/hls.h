/* HLS authentication (mechanisms 2-7): what each side must send in the second pass of the
 * association, whether what it sent matches, and — when it does not — which common mistake
 * explains the difference.
 *
 * Vocabulary. CtoS is the client's challenge (AARQ calling-authentication-value), StoC the
 * server's (AARE responding-authentication-value). After the AARE the client sends f(StoC)
 * (reply_to_HLS_authentication) and the server answers f(CtoS). Everywhere below
 * server_side = 0 means "the client's f(StoC)" and server_side = 1 "the server's f(CtoS)".
 *
 * Formulas (REFERENCE.md 6.5):
 *   2  AES-128-ECB(key = secret zero-padded to 16, data = challenge zero-padded to a multiple of
 *      16). Mechanism 2 is manufacturer-defined; this is the common vendor variant, used unless
 *      ds_hls_inputs.mech2 says otherwise (DS_HLS_MECH2_NONE: mechanism 2 is not computed).
 *   3  MD5(challenge || secret)             4  SHA-1(challenge || secret)
 *   5  SC || IC || GMAC(EK, IV = own title || IC, AAD = SC || AK || challenge), 17 bytes
 *   6  SHA-256(secret || own title || peer title || challenge || other challenge)
 *   7  ECDSA signature, raw r || s, over own title || peer title || challenge || other challenge
 *      (P-256 + SHA-256 for 65-byte public keys, P-384 + SHA-384 for 97-byte ones)
 * where "own" is the side that computes the value, "challenge" the one it answers (StoC for the
 * client, CtoS for the server) and "other challenge" its own.
 *
 * All functions are pure: no I/O, no allocation; every input is treated as untrusted. Secrets
 * and keys are never written into the explanation strings. */
#ifndef DS_SECURITY_HLS_H
#define DS_SECURITY_HLS_H

#include <stddef.h>
#include <stdint.h>

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
} ds_hls_inputs;

/* The value the client must send (server_side 0: f(StoC)) or the server must return
 * (server_side 1: f(CtoS)). Mechanism 5: the 17-byte SC || IC || T with invocation counter ic
 * (ignored by the other mechanisms). Not for mechanism 7 (signatures are verified, not made).
 * *out_len: capacity of out on entry (DS_HLS_VALUE_MAX is always enough), length on return.
 * Returns 0, or -1 when it cannot be computed (missing or unusable input, mechanism 7,
 * capacity too small). */
int ds_hls_expected(const ds_hls_inputs *in, int server_side, uint32_t ic, uint8_t *out, size_t *out_len);

/* Checks the value one side sent. Mechanism 5 takes the IC from the value itself. Returns
 * 0 = matches, 1 = mismatch, -1 = cannot check; why (may be NULL) receives a sentence
 * saying which side is wrong or which input is missing. The comparison is constant-time. */
int ds_hls_verify(const ds_hls_inputs *in, int server_side, const uint8_t *got, size_t got_len,
                  char *why, size_t whylen);

/* The diagnostic code for a mismatch of that side: "hls.stoc-mismatch" (the client's f(StoC))
 * or "hls.ctos-mismatch" (the server's f(CtoS)). */
const char *ds_hls_mismatch_code(int server_side);

/* Extra material for ds_hls_diagnose; every field optional (NULL / 0). */
typedef struct ds_hls_hints {
    const char *secret_text;        /* the secret as the user typed it */
    const char *ek_text, *ak_text;  /* mechanism 5: the keys as typed */
    const uint8_t *other_ek;        /* mechanism 5: the other encryption key to try ... */
    size_t other_ek_len;
    int other_ek_is_dedicated;      /* ... 1: it is the dedicated key (in->ek is the global one),
                                       0: it is the global key (in->ek is the dedicated one) */
} ds_hls_hints;

/* After ds_hls_verify returned 1: tries the common causes in this order and returns the code
 * of the first one that makes got match, with a sentence in why:
 *   "ic-off-by-one"        mechanism 5: T was computed with IC +-1 of the IC in the value
 *   "titles-swapped"       client and server system titles exchanged (5, 6, 7)
 *   "challenges-swapped"   CtoS and StoC exchanged (all mechanisms)
 *   "key-ascii"            secret (2, 3, 4, 6) or EK/AK (5) typed as hex but meant as ASCII
 *                          text, or the reverse; uses the hints' texts, else the bytes
 *   "keys-swapped"         mechanism 5: EK and AK exchanged
 *   "dedicated-key" / "global-key"  mechanism 5 with hints->other_ek
 *   "mechanism-N"          another mechanism's formula (2..6) matches with the same inputs
 *   "mechanism-6-variant"  SHA-256(challenge || secret) (the older, title-less reading)
 * Returns NULL (why = "") when nothing explains it, and always for mechanism 2 whose method is
 * not AES-ECB (nothing is known about it to explain). hints may be NULL. */
const char *ds_hls_diagnose(const ds_hls_inputs *in, int server_side, const uint8_t *got, size_t got_len,
                            const ds_hls_hints *hints, char *why, size_t whylen);

#endif
