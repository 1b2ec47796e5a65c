/* HLS authentication (mechanisms 2-7): the public part (what each side must send, whether what
 * it sent matches) is dlmscope/hls.h; here, which common mistake explains a mismatch.
 * The vocabulary (CtoS, StoC, server_side) and the formulas are in dlmscope/hls.h. */
#ifndef DS_SECURITY_HLS_H
#define DS_SECURITY_HLS_H

#include <stddef.h>
#include <stdint.h>

#include "dlmscope/hls.h" /* ds_hls_inputs, ds_hls_expected, ds_hls_verify */

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
