/* general-ciphering agreed keys: the content key of a DD APDU agreed by elliptic-curve
 * Diffie-Hellman (security suites 1 and 2) and derived with the NIST SP 800-56A concatenation KDF.
 * Every layout and parameter fact, and where it comes from, is in agree.c. */
#ifndef DS_SECURITY_AGREE_H
#define DS_SECURITY_AGREE_H

#include <stddef.h>
#include <stdint.h>

#include "dlmscope/keys.h"
#include "security/cipher.h"

/* What became of the signature over a One-Pass Diffie-Hellman ephemeral public key. */
typedef enum {
    DS_KEYSIG_NONE = 0,  /* nothing to check: Static Unified Model, or no key was agreed */
    DS_KEYSIG_UNCHECKED, /* no public signing key is known for the originator */
    DS_KEYSIG_UNUSABLE,  /* a signing key is known but cannot check it (sig_why says why) */
    DS_KEYSIG_VERIFIED,  /* verifies over key-parameters || X || Y (what Gurux signs) */
    DS_KEYSIG_KEY_ONLY,  /* verifies over X || Y only */
    DS_KEYSIG_MISMATCH   /* verifies under neither reading */
} ds_keysig;

/* What ds_agreed_key found, for the diagnostics. Never holds key material. */
typedef struct ds_agree_report {
    int scheme;          /* key-parameters: 1 One-Pass Diffie-Hellman, 2 Static Unified Model,
                            another value as read; -1 when it is not one byte */
    ds_keysig signature;
    char why[240];       /* when the key could not be agreed: what is missing or wrong */
    char sig_why[160];   /* DS_KEYSIG_UNUSABLE: why the signing key cannot check the signature */
} ds_agree_report;

/* The NIST SP 800-56A single-step ("concatenation") KDF with SHA-256 (sha384 0) or SHA-384
 * (sha384 1): out = the leftmost out_len bytes of H(00000001 || Z || OtherInfo) ||
 * H(00000002 || Z || OtherInfo) || ... out_len at most 1024. 0 ok, -1 bad arguments. */
int ds_kdf_concat(int sha384, const uint8_t *z, size_t z_len, const uint8_t *other_info, size_t other_len,
                  uint8_t *out, size_t out_len);

/* ECDH on P-256 (coord_len 32) or P-384 (48): z (coord_len bytes) = the x-coordinate of priv * pub,
 * written with leading zeros to its full length. priv is the bare scalar (coord_len bytes), pub
 * is X || Y or 04 || X || Y. 0 ok; -1 priv is not a private key of the curve; -2 pub is not a
 * point on it; -3 anything else (bad lengths, arithmetic). */
int ds_ecdh_shared(size_t coord_len, const uint8_t *priv, size_t priv_len, const uint8_t *pub, size_t pub_len,
                   uint8_t *z);

/* The content key of a general-ciphering APDU whose key-info is agreed-key, for the originator
 * title (the one of the IV) and the keys: keys->priv the recipient's static private key,
 * keys->pub the originator's static public key (Static Unified Model), keys->sign its public
 * signing key (One-Pass; the signature is only checked when rep is given). On DS_DEC_OK out holds
 * the key (16 bytes for suite 1, 32 for suite 2; the caller wipes it); otherwise out is zeroed
 * and, with rep, rep->why says why: DS_DEC_NO_KEY (a key is missing), DS_DEC_UNSUPPORTED
 * (suite 0, unknown key-parameters), DS_DEC_AGREEMENT_FAILED (key-ciphered-data of the wrong
 * length, a key or point that is not one of the suite's curve). rep may be NULL. */
ds_dec_status ds_agreed_key(const ds_ciphered *c, const uint8_t title[DS_TITLE_LEN], const ds_keyset *keys,
                            ds_key *out, ds_agree_report *rep);

/* The originator's side of ds_agreed_key: the content key of c (its key-parameters set, and for
 * One-Pass its key-ciphered-data) from the originator's private key (One-Pass: the ephemeral one;
 * Static Unified Model: its static key-agreement key) and the recipient's static public key
 * (04 || X || Y). The same checks, ECDH and KDF; the same statuses and rep. */
ds_dec_status ds_agreed_key_originator(const ds_ciphered *c, const uint8_t title[DS_TITLE_LEN], const ds_ec_key *own_priv,
                                       const ds_ec_key *recipient_pub, ds_key *out, ds_agree_report *rep);

/* The public key d*G (04 || X || Y, 65 or 97 bytes at pub) of a private key of 32 (P-256) or 48
 * (P-384) bytes. 0, or -1 (not a private key of the curve). */
int ds_ec_public_of(const uint8_t *priv, size_t priv_len, uint8_t *pub, size_t *pub_len);

#endif
