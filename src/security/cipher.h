/* Ciphered APDUs: their layouts, AES-GCM deciphering, and what went wrong when it fails. */
#ifndef DS_SECURITY_CIPHER_H
#define DS_SECURITY_CIPHER_H

#include <stddef.h>
#include <stdint.h>
#include "dlmscope/cipher.h"
#include "dlmscope/keys.h"

/* The five forms, as the public API names them (dlmscope/cipher.h). */
typedef ds_cipher_form ds_ciph_kind;
#define DS_CIPH_SERVICE_GLO DS_CIPHER_GLO                 /* glo-get-request C8, glo-initiateRequest 21 ... */
#define DS_CIPH_SERVICE_DED DS_CIPHER_DED                 /* ded-... D0, 41 ... */
#define DS_CIPH_GENERAL_GLO DS_CIPHER_GENERAL_GLO         /* DB */
#define DS_CIPH_GENERAL_DED DS_CIPHER_GENERAL_DED         /* DC */
#define DS_CIPH_GENERAL_CIPHERING DS_CIPHER_GENERAL_CIPHERING /* DD */

/* A ciphered APDU taken apart (pointers into the APDU bytes). */
typedef struct ds_ciphered {
    ds_ciph_kind kind;
    uint8_t apdu_tag;          /* the ciphered APDU's own tag */
    uint8_t sc;                /* security control: b0-3 suite, b4 auth, b5 enc, b6 broadcast key, b7 compression */
    uint32_t ic;               /* invocation counter */
    const uint8_t *title;      /* system title in the APDU (general forms), else NULL */
    size_t title_len;
    const uint8_t *body;       /* ciphertext (or plaintext when only authenticated) */
    size_t body_len;
    const uint8_t *tag;        /* authentication tag, NULL when SC has no authentication */
    size_t tag_len;            /* 12 */
    const uint8_t *protected_bytes; /* SC..end: what the IV/AAD computation starts from */
    size_t protected_len;
    size_t consumed;           /* bytes of the APDU used (tag .. end of the ciphered content);
                                  less than n when something follows it */
    /* general-ciphering (DD) only; title above = originator-title: */
    const uint8_t *transaction_id, *recipient_title, *date_time, *other_info;
    size_t transaction_id_len, recipient_title_len, date_time_len, other_info_len;
    const uint8_t *gc_header;  /* transaction-id .. other-info with their lengths, as on the wire */
    size_t gc_header_len;
    int key_info;              /* -1 absent; CHOICE 0 identified-key, 1 wrapped-key, 2 agreed-key */
    uint8_t key_id;            /* identified-key: 0 GUEK, 1 GBEK; wrapped-key: kek-id */
    const uint8_t *wrapped_key; /* wrapped-key: key-ciphered-data (RFC 3394 AES key wrap) */
    size_t wrapped_key_len;
    const uint8_t *key_parameters; /* agreed-key: key-parameters (01 One-Pass Diffie-Hellman,
                                      02 Static Unified Model) */
    size_t key_parameters_len;
    const uint8_t *agreed_data;    /* agreed-key: key-ciphered-data (the ephemeral public key and
                                      its signature, or nothing) */
    size_t agreed_data_len;
} ds_ciphered;

/* 1 for tags of ciphered APDUs this module handles. */
int ds_cipher_is_ciphered_tag(uint8_t tag);
/* 1 when the APDU tag is a request (sent by the client). */
int ds_cipher_tag_is_request(uint8_t tag);
/* Parses a whole ciphered APDU (tag included). 0 ok; -1 malformed (why in err, e.g. "length 48
 * but 47 bytes", "shorter than its 12-byte tag"). */
int ds_ciphered_parse(const uint8_t *apdu, size_t n, ds_ciphered *out, char *err, size_t errlen);

typedef enum {
    DS_DEC_OK = 0,
    DS_DEC_NO_KEY,          /* no usable key for this sender / key kind */
    DS_DEC_TAG_MISMATCH,    /* the GCM tag does not verify */
    DS_DEC_TOO_SHORT,       /* not enough bytes for the tag */
    DS_DEC_UNSUPPORTED,     /* compression, unknown suite, agreed key with suite 0 or unknown scheme ... */
    DS_DEC_UNWRAP_FAILED,   /* wrapped-key: the key wrap's integrity check fails with the master key */
    DS_DEC_AGREEMENT_FAILED /* agreed-key: key-ciphered-data of the wrong length, a key or point not
                               of the suite's curve (src/security/agree.h) */
} ds_dec_status;

/* Deciphers with the given keys and the sender's system title (IV = title || IC). use_dedicated:
 * the dedicated key instead of the global/broadcast one. verify 0 skips the tag check
 * (--no-verify). plain must hold body_len bytes. Notes: title NULL uses the title carried in
 * the APDU (DB/DC/DD; DS_DEC_NO_KEY when there is none of 8 bytes); the caller passes
 * use_dedicated 1 for ded-* and DC APDUs, ds_decipher does not decide that from the tag; keys of
 * a length other than the suite's (16, or 32 for suite 2) count as missing; on failure *plain_len
 * is 0 and plain is zeroed. With verify 0, authenticated-only content is returned as is, and a
 * missing AK does not stop deciphering. DD with wrapped-key: the key is unwrapped with keys->kek
 * (kek-id 0, the master key; no KEK: DS_DEC_NO_KEY; the unwrap's check fails:
 * DS_DEC_UNWRAP_FAILED) and used as the encryption key. DD with agreed-key (ECDH): the key is
 * agreed with keys->priv (the recipient's private key) and, in the Static Unified Model, keys->pub
 * (the originator's public key), as ds_agreed_key (agree.h) says, and used as the encryption key
 * with keys->ak; the ephemeral key's signature is not checked here (see ds_decipher_ex). */
ds_dec_status ds_decipher(const ds_ciphered *c, const uint8_t title[DS_TITLE_LEN], const ds_keyset *keys,
                          int use_dedicated, int verify, uint8_t *plain, size_t *plain_len);

struct ds_agree_report;
/* ds_decipher that, for a DD with an agreed key and rep not NULL, also checks the One-Pass
 * ephemeral key's signature with keys->sign and fills rep (agree.h): the scheme, the signature's
 * fate and, when the key could not be agreed, why. rep is zeroed (scheme -1) for other APDUs. */
ds_dec_status ds_decipher_ex(const ds_ciphered *c, const uint8_t title[DS_TITLE_LEN], const ds_keyset *keys,
                             int use_dedicated, int verify, uint8_t *plain, size_t *plain_len,
                             struct ds_agree_report *rep);

/* After ds_decipher said DS_DEC_NO_KEY for a service-specific or general-glo/ded APDU: which key
 * is missing, in a phrase for "cannot decipher: ..." (the block key, one of the wrong length for
 * the suite, or the AK the security control needs). */
void ds_decipher_missing_key(const ds_ciphered *c, const ds_keyset *keys, int use_dedicated, char *why, size_t whylen);

/* After a failed ds_decipher: tries the usual human mistakes and reports the one that makes
 * the tag verify: the search of src/security/mistakes.h: a key typed as ASCII text instead of hex, or the
 * reverse ("cipher.key-ascii"), only its first 16 (32) characters as ASCII
 * ("cipher.key-ascii-prefix"), its bytes ASCII codes of the key's hex digits
 * ("cipher.key-hex-digits"), block and authentication keys swapped ("cipher.keys-swapped"),
 * the other side's system title ("cipher.titles-swapped", other_title = the other side's title,
 * may be NULL), the invocation counter off by one ("cipher.ic-off-by-one"), dedicated key
 * instead of global or the reverse ("cipher.wrong-key-kind"). On success fills
 * plain and a sentence in why, and returns the diagnostic code; NULL when none works. */
const char *ds_decipher_diagnose(const ds_ciphered *c, const uint8_t title[DS_TITLE_LEN],
                                 const uint8_t *other_title, const ds_keyset *keys, int use_dedicated,
                                 uint8_t *plain, size_t *plain_len, char *why, size_t whylen);

/* ds_decipher_diagnose with a choice: show_keys 1 puts the key text as typed into the sentence
 * for the ASCII cases ("... is read as the ASCII text 1111111111111111, not as hex"); 0 (what ds_decipher_diagnose
 * does) only says how many characters it has. Returns NULL at once when the SC has no
 * authentication: without a tag no guess can be confirmed, and for a DD with an agreed key: the
 * guesses are about keys typed by hand, not about agreed ones. */
const char *ds_decipher_diagnose_ex(const ds_ciphered *c, const uint8_t title[DS_TITLE_LEN],
                                    const uint8_t *other_title, const ds_keyset *keys, int use_dedicated,
                                    int show_keys, uint8_t *plain, size_t *plain_len, char *why, size_t whylen);

/* AES-GCM primitives (mbedtls), shared with HLS: */
/* GMAC tag (first tag_len bytes) over aad with key/iv. 0 ok. */
int ds_gmac(const uint8_t *key, size_t key_len, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
            uint8_t *tag, size_t tag_len);
/* Constant-time comparison: 1 equal. */
int ds_ct_equal(const uint8_t *a, const uint8_t *b, size_t n);

#endif
