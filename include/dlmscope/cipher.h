/* Enciphering and deciphering whole APDUs (AES-GCM, security suites 0, 1 and 2), and the
 * invocation counters of a session.
 *
 * The five ciphered forms (REFERENCE.md §6.2, §6.3):
 *   glo-xxx / ded-xxx     tag  len( SC IC body [T] )              the service-specific tag of
 *                                                                  the plain APDU's tag
 *   general-glo / -ded    DB/DC  len(title) title  len( SC IC body [T] )
 *   general-ciphering     DD  transaction-id originator recipient date-time other-information
 *                         key-info  len( SC IC body [T] )
 * SC (security control): bits 0-3 the suite, 0x10 authenticated, 0x20 encrypted, 0x40 broadcast
 * key set, 0x80 compressed (not supported: refused). IV = sender's system title || IC; AAD =
 * SC || AK [|| plaintext when authenticated only]; T the first 12 bytes of the GCM tag.
 * Suites 0 and 1 use AES-GCM-128 (16-byte keys), suite 2 AES-GCM-256 (32-byte keys).
 *
 * Keys (dlmscope/keys.h): glo and general-glo use ek, or bk when the SC has the broadcast bit;
 * ded and general-ded use dk; general-ciphering uses ek (bk with key-id 1 or the broadcast bit),
 * or, with a wrapped key, the content key given here, carried wrapped with kek. */
#ifndef DLMSCOPE_CIPHER_H
#define DLMSCOPE_CIPHER_H

#include <stddef.h>
#include <stdint.h>

#include "dlmscope/keys.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Security control bits. */
#define DS_SC_SUITE_MASK 0x0Fu
#define DS_SC_AUTH 0x10u
#define DS_SC_ENC 0x20u
#define DS_SC_BROADCAST 0x40u
#define DS_SC_COMPRESSED 0x80u
#define DS_CIPHER_TAG_LEN 12u     /* the authentication tag carried in the APDU */

typedef enum ds_cipher_form {
    DS_CIPHER_GLO = 1,            /* glo-get-request C8, glo-initiateRequest 21, ... */
    DS_CIPHER_DED,                /* ded-get-request D0, ... */
    DS_CIPHER_GENERAL_GLO,        /* general-glo-ciphering DB */
    DS_CIPHER_GENERAL_DED,        /* general-ded-ciphering DC */
    DS_CIPHER_GENERAL_CIPHERING   /* general-ciphering DD */
} ds_cipher_form;

/* general-ciphering key-info (absent, or one of the CHOICE). */
enum {
    DS_KEY_INFO_NONE = -1,
    DS_KEY_INFO_IDENTIFIED = 0,   /* key-id 0: global unicast key (ek), 1: global broadcast key (bk) */
    DS_KEY_INFO_WRAPPED = 1,      /* the content key, wrapped (RFC 3394) with the master key (kek) */
    DS_KEY_INFO_AGREED = 2        /* ECDH (suites 1 and 2): the key agreed with the recipient's key */
};

typedef struct ds_encipher_params {
    ds_cipher_form form;
    uint8_t sc;                   /* security control */
    uint32_t ic;                  /* invocation counter */
    const uint8_t *title;         /* the sender's system title (8 bytes), in the IV; the general
                                     forms carry it (general-ciphering: originator-system-title) */
    /* general-ciphering only (NULL / 0 for empty fields): */
    const uint8_t *transaction_id, *recipient_title, *date_time, *other_info;
    size_t transaction_id_len, recipient_title_len, date_time_len, other_info_len;
    int key_info;                 /* DS_KEY_INFO_* */
    uint8_t key_id;               /* identified: 0 or 1; wrapped: kek-id (0, the master key) */
    const uint8_t *content_key;   /* wrapped: the key the APDU is enciphered with (16 or 32) */
    size_t content_key_len;
    /* agreed (suite 1: P-256, suite 2: P-384; curve points 04 || X || Y, private keys the scalar): */
    int agreement_scheme;         /* 1 One-Pass Diffie-Hellman, 2 Static Unified Model */
    const uint8_t *own_priv;      /* One-Pass: the ephemeral private key (the caller draws it);
                                     Static Unified: the originator's static key-agreement key */
    size_t own_priv_len;
    const uint8_t *recipient_pub; /* the recipient's static key-agreement public key */
    size_t recipient_pub_len;
    const uint8_t *signing_priv;  /* One-Pass: the originator's signing key; it signs
                                     key-parameters || X || Y of the ephemeral key */
    size_t signing_priv_len;
    int header_not_in_aad;        /* general-ciphering, suites 1 and 2 with a recipient title: the
                                     header is in the AAD (the reading decode tries first) unless
                                     this is 1 (the other reading it accepts) */
} ds_encipher_params;

/* Clears p and sets an absent key-info (the other fields 0/NULL). */
void ds_encipher_params_init(ds_encipher_params *p, ds_cipher_form form, uint8_t sc, uint32_t ic,
                             const uint8_t *title);

/* Enciphers the plain APDU plain[0..n) into out (at most cap bytes; nothing is written past it).
 * Returns 0 and sets *out_len, or -1 with a message in err that names the field at fault: the
 * plain APDU's tag has no glo/ded form, SC with the compression bit or an unknown suite, a key
 * missing or of the wrong length for the suite, a title that is not 8 bytes, a general-ciphering
 * field longer than a length can say, the output buffer too small. */
int ds_encipher(const ds_encipher_params *p, const ds_keyset *keys, const uint8_t *plain, size_t n, uint8_t *out,
                size_t cap, size_t *out_len, char *err, size_t errlen);

/* Deciphers a whole ciphered APDU (any of the five forms) and checks its tag. title: the
 * sender's system title for the glo/ded forms (the general forms carry theirs; NULL then).
 * The plaintext (at most cap bytes) goes to plain. Returns 0 and sets *plain_len, or -1 with
 * the reason in err (malformed, no key, tag does not verify, plain too small). */
int ds_decipher_apdu(const uint8_t *apdu, size_t n, const uint8_t *title, const ds_keyset *keys, uint8_t *plain,
                     size_t cap, size_t *plain_len, char *err, size_t errlen);

/* ---- general-signing (DF) ------------------------------------------------------------------
 * DF transaction-id originator-system-title recipient-system-title date-time other-information
 * content signature, each an A-XDR length and its bytes; the signature is ECDSA, raw r || s, over
 * the fields after the tag through other-information and the content without its length (the
 * reading decode checks first). */
typedef struct ds_sign_params {
    const uint8_t *transaction_id, *originator_title, *recipient_title, *date_time, *other_info;
    size_t transaction_id_len, originator_title_len, recipient_title_len, date_time_len, other_info_len;
    const uint8_t *priv;          /* the signer's private key, the bare scalar: 32 bytes P-256 +
                                     SHA-256 (suite 1), 48 bytes P-384 + SHA-384 (suite 2) */
    size_t priv_len;
} ds_sign_params;

/* Signs content[0..n) (an APDU, often a ciphered one) into a general-signing APDU at out (at most
 * cap bytes). Deterministic (RFC 6979). 0 and *out_len, or -1 with a message in err naming the
 * field (private key of another length or not of the curve, output buffer too small). */
int ds_sign_apdu(const ds_sign_params *p, const uint8_t *content, size_t n, uint8_t *out, size_t cap,
                 size_t *out_len, char *err, size_t errlen);

/* ---- invocation counters ----------------------------------------------------------------
 * One per session: the next IC this side sends, and the last IC seen from each sender and key
 * (the client's and the server's, with the global and the dedicated key: four counters). The
 * decoder keeps its sessions' counters in this same structure. */
enum {
    DS_IC_CLIENT = 0, DS_IC_SERVER = 1,                      /* global keys */
    DS_IC_CLIENT_DEDICATED = 2, DS_IC_SERVER_DEDICATED = 3,  /* the dedicated key */
    DS_IC_SENDERS = 4
};

typedef struct ds_ic_counters {
    uint32_t next;                /* the next IC to send */
    int exhausted;                /* 0xFFFFFFFF was sent: no IC is left for this key */
    int seen[DS_IC_SENDERS];      /* an IC was seen from this sender */
    uint32_t last[DS_IC_SENDERS]; /* the highest IC seen from it */
} ds_ic_counters;

typedef enum ds_ic_verdict {
    DS_IC_FRESH = 0,              /* higher than every IC before it (or the first) */
    DS_IC_REPEATED,               /* equal to the last one: a replay */
    DS_IC_DECREASED               /* lower than the last one: a replay or a restarted sender */
} ds_ic_verdict;

/* Starts the counters: the first IC to send is first; nothing seen. */
void ds_ic_init(ds_ic_counters *c, uint32_t first);
/* The IC to send now, then advances. 0, or -1 when the counter is exhausted (never wraps). */
int ds_ic_take(ds_ic_counters *c, uint32_t *ic);
/* An IC received from sender (DS_IC_CLIENT ...): the verdict; the highest seen is kept. An
 * unknown sender counts as DS_IC_FRESH and changes nothing. */
ds_ic_verdict ds_ic_seen(ds_ic_counters *c, int sender, uint32_t ic);

#ifdef __cplusplus
}
#endif
#endif
