/* general-signing (tag DF): splitting the APDU into its fields and checking its ECDSA signature
 * against a public key the user supplies.
 *
 * Layout (REFERENCE.md 6.3), every field an A-XDR length followed by that many bytes:
 *   DF  transaction-id  originator-system-title  recipient-system-title  date-time
 *       other-information  content  signature
 * content is an APDU (often a ciphered one); signature is the raw r || s pair, 64 bytes for
 * P-256 / SHA-256 (security suite 1) and 96 bytes for P-384 / SHA-384 (suite 2).
 *
 * Which bytes are signed is not settled by one source: the sources and where they disagree are
 * listed above the signed-span code in signing.c. ds_signed_verify tries four readings, the best
 * supported first, and says which one verified (ds_signed_reading).
 *
 * Every function is pure: no I/O, no allocation by this module, input treated as untrusted. */
#ifndef DS_SECURITY_SIGNING_H
#define DS_SECURITY_SIGNING_H

#include <stddef.h>
#include <stdint.h>

#define DS_SIGNING_TAG 0xDF

/* The fields of one general-signing APDU. Every pointer points into the buffer given to
 * ds_signed_parse (a zero-length field still gets a valid pointer). */
typedef struct ds_signed {
    const uint8_t *transaction_id, *originator, *recipient, *date_time, *other, *content, *signature;
    size_t transaction_id_len, originator_len, recipient_len, date_time_len, other_len, content_len,
        signature_len;
    size_t content_field_at; /* offset of the content's length encoding (other-information ends here) */
    size_t signed_len;       /* bytes from the tag through the end of the content */
    size_t apdu_len;   /* bytes the APDU occupies, tag through signature; bytes after it are
                          left to the caller (addition to the brief's API) */
} ds_signed;

/* Splits apdu[0..n) into the fields above. Returns 0, or -1 when it is not a well-formed
 * general-signing APDU (wrong tag, a length that is invalid or longer than what is left, or
 * the APDU ends before the signature); err (may be NULL) then receives the field and the byte
 * offset where it went wrong. Bytes after the signature are not an error (see apdu_len). */
int ds_signed_parse(const uint8_t *apdu, size_t n, ds_signed *out, char *err, size_t errlen);

/* The readings of what general-signing signs, in the order ds_signed_verify tries them
 * (signing.c says which source backs each). */
typedef enum ds_signed_reading {
    DS_SIGNED_NONE = 0,     /* no reading verified */
    DS_SIGNED_GURUX,        /* transaction-id .. other-information with their lengths, then the
                               content bytes without the content's length (Gurux) */
    DS_SIGNED_WITH_LENGTH,  /* the APDU after the tag through the content, its length included */
    DS_SIGNED_WITH_TAG,     /* the APDU from the tag through the content */
    DS_SIGNED_CONTENT_ONLY, /* the content bytes only */
} ds_signed_reading;

/* The value of the Signature attribute for a reading that verified: "verified" (Gurux),
 * "with-length", "with-tag", "content-only"; NULL for DS_SIGNED_NONE or an unknown value. */
const char *ds_signed_verdict(ds_signed_reading reading);

/* Checks the signature of an APDU that ds_signed_parse split into s (apdu must be that same
 * buffer). pub is the signer's public key as an uncompressed point 04 || X || Y: 65 bytes
 * selects P-256 + SHA-256, 97 bytes P-384 + SHA-384.
 * Returns 0 verified, 1 does not verify (under any reading), -1 cannot check (public key not a
 * point on its curve, signature length not the one of the key's curve, ...; why in err).
 * reading (may be NULL) receives the reading that verified, DS_SIGNED_NONE unless 0 is returned.
 * err (may be NULL) receives a sentence in every case; it never contains key material. */
int ds_signed_verify(const uint8_t *apdu, const ds_signed *s, const uint8_t *pub, size_t pub_len,
                     ds_signed_reading *reading, char *err, size_t errlen);

/* One ECDSA check, shared with the ephemeral-key signatures of general-ciphering agreed keys:
 * data signed with the key pub (04 || X || Y: 65 bytes P-256 + SHA-256, 97 bytes P-384 + SHA-384),
 * sig the raw r || s of that curve. Returns 0 verified, 1 does not verify, -1 cannot check (why
 * in err, which may be NULL; never key material). */
int ds_ecdsa_verify(const uint8_t *pub, size_t pub_len, const uint8_t *data, size_t len, const uint8_t *sig,
                    size_t sig_len, char *err, size_t errlen);

/* Makes an ECDSA signature over the pieces of a message (hashed one after the other; empty ones
 * skipped) with the private key priv, the bare scalar: 32 bytes sign with P-256 + SHA-256, 48
 * with P-384 + SHA-384. Deterministic (RFC 6979): the same key and message give the same
 * signature. sig receives the raw r || s (64 or 96 bytes, at most cap). 0 and *sig_len, or -1
 * with why in err (a key of another length or not a scalar of the curve, cap too small). What
 * ds_ecdsa_verify and the HLS mechanism 7 check accept. */
struct ds_bytes;
int ds_ecdsa_sign_parts(const uint8_t *priv, size_t priv_len, const struct ds_bytes *parts, size_t n, uint8_t *sig,
                        size_t cap, size_t *sig_len, char *err, size_t errlen);

#endif
