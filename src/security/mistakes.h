/* The usual human mistakes with keys, titles and counters, searched in one place for both a
 * ciphered APDU whose tag does not verify (cipher.c) and an HLS-GMAC value that does not match
 * (hls.c). The caller says how to test one guess; this module says which guesses to make, in
 * which order, and how to name the one that works. */
#ifndef DS_SECURITY_MISTAKES_H
#define DS_SECURITY_MISTAKES_H

#include <stddef.h>
#include <stdint.h>

#include "dlmscope/keys.h"

#define DS_READING_MAX 128 /* a reading's bytes: an HLS secret (64) in hex digits */
#define DS_READINGS_MAX 6

typedef enum {
    DS_READ_ASCII,        /* the text typed (or, without it, the bytes' hex spelling) taken as ASCII */
    DS_READ_ASCII_PREFIX, /* only the first characters of that text as ASCII, as many as a key has */
    DS_READ_HEX_TEXT,     /* the text typed taken as hex (a secret given as text) */
    DS_READ_HEX_DIGITS    /* the bytes are ASCII hex digits: those digits taken as hex */
} ds_reading_kind;

typedef struct ds_reading {
    ds_reading_kind kind;
    uint8_t bytes[DS_READING_MAX];
    size_t len;
} ds_reading;

/* The other readings of a key or secret (bytes as used, text as typed or NULL) that have length
 * want (any length when 0), none equal to the bytes as used, no two alike. Returns how many were
 * written into out. The caller wipes out after use. */
size_t ds_key_readings(const uint8_t *bytes, size_t len, const char *text, size_t want,
                       ds_reading out[DS_READINGS_MAX]);

/* One guess to test: the keys, the system title of the IV, and the invocation counter's
 * distance from the one carried. */
typedef struct ds_guess {
    const uint8_t *ek, *ak;
    size_t ek_len, ak_len;
    const uint8_t *title;
    int32_t ic_delta;
} ds_guess;

/* 1 when the guess makes the value verify. */
typedef int (*ds_guess_test)(void *ctx, const ds_guess *g);

typedef struct ds_mistake_inputs {
    const uint8_t *ek;                   /* the block cipher key as used (may be NULL) */
    size_t ek_len;
    const char *ek_text;                 /* as typed, or NULL */
    const char *ek_role;                 /* "EK", "broadcast key", "dedicated key" */
    const uint8_t *ak;                   /* may be NULL */
    size_t ak_len;
    const char *ak_text;
    size_t key_len;                      /* what the security suite needs: 16 or 32 */
    const uint8_t *title, *other_title;  /* the sender's title as used, the other side's (may be NULL) */
    uint32_t ic;                         /* the invocation counter carried */
    const uint8_t *other_ek;             /* the other kind of key, or NULL ... */
    size_t other_ek_len;
    int other_ek_is_dedicated;           /* ... 1: it is the dedicated key (ek is the global one) */
    int show_keys;                       /* the ASCII text as typed may be written into why */
} ds_mistake_inputs;

/* Tries, in this order: each key read otherwise (ds_key_readings; the block key, then the
 * authentication key, then both), the two keys swapped, the other side's system title, the
 * invocation counter one more and one less, the other kind of key. Returns the name of the
 * first guess that works ("key-ascii", "key-ascii-prefix", "key-hex-digits", "keys-swapped",
 * "titles-swapped", "ic-off-by-one", "dedicated-key", "global-key") with a clause in why that
 * follows "verifies"/"matches" ("when the EK is read as ..."), or NULL. Key bytes are never
 * written into why; the typed text only with show_keys. */
const char *ds_mistake_search(const ds_mistake_inputs *in, ds_guess_test test, void *ctx, char *why, size_t whylen);

#endif
