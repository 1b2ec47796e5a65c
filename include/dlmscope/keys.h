/* Keys for deciphering: which keys belong to which meter.
 *
 * A keyring holds global keys (used for any system title) and per-title keys
 * (from a key file: one line per system title). Keys are given as hex; the text
 * as typed is kept too, so that a key typed as ASCII instead of hex can be
 * recognised when decryption fails. Keys are never written to any output unless
 * the caller asks for it. */
#ifndef DLMSCOPE_KEYS_H
#define DLMSCOPE_KEYS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DS_KEY_MAX 32        /* AES-256 (suite 2) */
#define DS_KEY_TEXT_MAX 96   /* the key as typed */
#define DS_TITLE_LEN 8
#define DS_EC_KEY_MAX 97     /* an uncompressed P-384 point 04||X||Y */

typedef struct ds_key {
    int set;
    uint8_t bytes[DS_KEY_MAX];
    size_t len;                        /* 16 or 32 (ds_keyring_set takes no other) */
    char text[DS_KEY_TEXT_MAX];        /* as typed */
} ds_key;

/* Elliptic-curve key material (ECDH key agreement, ECDSA). No text is kept: these keys are not
 * typed by hand, so there is no ASCII reading to diagnose. */
typedef struct ds_ec_key {
    int set;
    uint8_t bytes[DS_EC_KEY_MAX];
    size_t len;                        /* private key: 32 (P-256) or 48 (P-384);
                                          public key: 65 or 97, always 04||X||Y */
} ds_ec_key;

typedef struct ds_keyset {
    ds_key ek;        /* block cipher key: global unicast encryption key (GUEK) */
    ds_key ak;        /* authentication key */
    ds_key dk;        /* dedicated key (normally learned from the AARQ) */
    ds_key bk;        /* global broadcast encryption key (GBEK), security control b6 */
    ds_key kek;       /* master key (KEK): unwraps the key carried in a general-ciphering wrapped-key */
    /* general-ciphering agreed keys (ECDH, security suites 1 and 2), of the party with this title: */
    ds_ec_key priv;   /* its static key-agreement private key: agrees the key of APDUs sent to it */
    ds_ec_key pub;    /* its static key-agreement public key: Static Unified Model APDUs it sends */
    ds_ec_key sign;   /* its public signing key: checks the ephemeral keys of its One-Pass APDUs */
} ds_keyset;

typedef struct ds_keyring ds_keyring;

ds_keyring *ds_keyring_new(void);
void ds_keyring_free(ds_keyring *kr);

/* Told of a key that is taken but looks mistyped (its bytes are all ASCII codes of hex digits):
 * one sentence, with where the key came from ("DLMSCOPE_EK: ...", "file:3: ..."). */
typedef void (*ds_keyring_warn_fn)(void *user, const char *message);
/* Where ds_keyring_load_file and ds_keyring_from_env send such warnings (none by default). */
void ds_keyring_on_warning(ds_keyring *kr, ds_keyring_warn_fn fn, void *user);

/* Sets one key from text (hex; spaces and colons allowed). which: 'e' EK, 'a' AK, 'd' DK,
 * 'b' broadcast key, 'k' master key (KEK); 'p' key-agreement private key, 'q' key-agreement
 * public key, 's' public signing key. title NULL: the global keyset. Returns 0, or -1 with a
 * message in err (not hex at all; for the three EC keys also a length that is no P-256 or P-384
 * key; a symmetric key of a length no security suite uses: 16 and 32 bytes are the only ones).
 * On success err holds a warning, or "" (a key whose bytes are all ASCII codes of hex digits is
 * taken, but said). Public keys are taken as 04||X||Y or as X||Y (stored as 04||X||Y). */
int ds_keyring_set(ds_keyring *kr, const uint8_t *title, char which, const char *text, char *err, size_t errlen);
/* Known system titles of the two sides (from the command line); NULL to leave unset. */
void ds_keyring_set_titles(ds_keyring *kr, const uint8_t *client_title, const uint8_t *server_title);
int ds_keyring_client_title(const ds_keyring *kr, uint8_t out[DS_TITLE_LEN]);
int ds_keyring_server_title(const ds_keyring *kr, uint8_t out[DS_TITLE_LEN]);
/* Reads a key file: one line per system title, documented in dlmscope(1):
 *     # comment
 *     <title hex, 16 digits or *> ek=<hex> ak=<hex> [dk=<hex>] [bk=<hex>] [kek=<hex>]
 *         [priv=<hex>] [pub=<hex>] [signpub=<hex>]
 * Returns 0, or -1 with "file:line: message" in err. */
int ds_keyring_load_file(ds_keyring *kr, const char *path, char *err, size_t errlen);
/* Global keys from DLMSCOPE_EK, DLMSCOPE_AK, DLMSCOPE_DK, DLMSCOPE_BK, DLMSCOPE_KEK,
 * DLMSCOPE_PRIVATE_KEY, DLMSCOPE_AGREEMENT_PUBLIC_KEY and titles from DLMSCOPE_CLIENT_TITLE,
 * DLMSCOPE_SERVER_TITLE when set. Returns 0 or -1 with err. */
int ds_keyring_from_env(ds_keyring *kr, char *err, size_t errlen);
/* The keys for a sender's system title: that title's keyset, else the global one; never NULL. */
const ds_keyset *ds_keyring_lookup(const ds_keyring *kr, const uint8_t *title);
/* A public signing key in hex, as the key file's signpub= takes it (04||X||Y or X||Y, P-256 or
 * P-384); *out is kept as 04||X||Y. 0, or -1 with err. */
int ds_ec_public_key_parse(const char *text, ds_ec_key *out, char *err, size_t errlen);
/* An ECDSA key for HLS mechanism 7 (`run --signing-key`, `--server-public-key`; the model's
 * signing-key=, client-public-key=): arg is hex (a private key: the bare scalar, 32 bytes on P-256 or 48 on P-384; a public key: as
 * ds_ec_public_key_parse), or the name of a file that holds such hex or a PEM key
 * (BEGIN EC PRIVATE KEY or PRIVATE KEY for a private key; BEGIN PUBLIC KEY for a public one, or
 * a private key's PEM, whose public key is taken), P-256 or P-384. Nothing of the key goes into
 * err. 0, or -1 with err. */
int ds_ec_key_load(const char *arg, int private_key, ds_ec_key *out, char *err, size_t errlen);
/* 1 when k is set and of an AES key size DLMS uses (16 or 32 bytes). */
int ds_key_usable(const ds_key *k);
/* 1 when the keyring holds at least one usable key (a key-agreement private key counts) */
int ds_keyring_has_keys(const ds_keyring *kr);

/* Parses hex text (spaces, colons, a 0x prefix allowed) into out; returns the byte count or
 * -1 when it is not hex or longer than cap. */
int ds_hex_to_bytes(const char *text, uint8_t *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
