/* The decoding pipeline: stream bytes in, structured events out.
 *
 *   ds_reader (bytes in) -> ds_framer (link) -> reassembly per conversation
 *   -> APDU + A-XDR decoding -> ds_sink (XML, JSON, ...)
 *
 * A decoder keeps per-conversation state (segment reassembly now; security
 * context later) and works in bounded memory whatever the input size. */
#ifndef DLMSCOPE_DECODER_H
#define DLMSCOPE_DECODER_H

#include <stddef.h>
#include <stdint.h>
#include "dlmscope/diag.h"
#include "dlmscope/frame.h"
#include "dlmscope/input.h"
#include "dlmscope/sink.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ds_keyring;

/* How the values of HLS mechanism 2 are checked. Mechanism 2 is manufacturer-specific: the
 * standard leaves f(challenge) to the vendor, so only the user can say which one a meter uses. */
typedef enum ds_hls2_method {
    DS_HLS2_AES_ECB = 0, /* AES-128-ECB: the secret zero-padded to the key, the challenge
                            zero-padded to whole blocks, each encrypted alone (the default) */
    DS_HLS2_NONE = 1     /* not checked: the output says so instead of reporting a mismatch */
} ds_hls2_method;

typedef struct ds_options {
    int decimal;        /* numbers in decimal instead of hex (Gurux "hex" off) */
    int comments;       /* explanatory comments (OBIS names, dates, class names) */
    int pdu_only;       /* no frame envelopes: APDU elements only */
    ds_link_kind link;  /* DS_LINK_AUTO unless forced */
    const struct ds_keyring *keys; /* keys for deciphering (borrowed); NULL: ciphered APDUs are only shown */
    int no_verify;      /* decipher without checking authentication tags (the output says so) */
    int show_keys;      /* show key values found in deciphered APDUs (hidden otherwise) */
    const uint8_t *hls_secret; /* HLS secret (mechanisms 2, 3, 4, 6) for checking the association */
    size_t hls_secret_len;
    /* HLS mechanism 7 (ECDSA): the public keys, uncompressed points 04||X||Y (65 or 97 bytes) */
    const uint8_t *client_public_key, *server_public_key;
    size_t client_public_key_len, server_public_key_len;
    /* HLS mechanism 2: DS_HLS2_AES_ECB (default) or DS_HLS2_NONE; another value counts as none
     * (an unknown method cannot be checked). Last, so that the struct only grows. */
    ds_hls2_method hls2;
} ds_options;

void ds_options_init(ds_options *o);  /* defaults: hex, comments on, envelopes on, auto, HLS-2 AES-ECB */

typedef struct ds_stats {
    uint64_t bytes;         /* input bytes seen */
    uint64_t frames;        /* frames found */
    uint64_t apdus;         /* APDUs decoded (fully or partly) */
    uint64_t errors;        /* diagnostics of severity error */
    uint64_t warnings;
} ds_stats;

typedef struct ds_decoder ds_decoder;

/* The sink is borrowed, not owned. diag_fn may be NULL; diagnostics always also go to
 * the sink, at the place they occur. */
ds_decoder *ds_decoder_new(const ds_options *opt, ds_sink *sink, ds_diag_fn diag_fn, void *diag_user);
/* Kept for symmetry; the document root (sink begin/end_document) belongs to the caller,
 * which may decode several inputs into one document. */
void ds_decoder_begin(ds_decoder *d);
void ds_decoder_feed(ds_decoder *d, const uint8_t *data, size_t len, uint64_t offset, const ds_meta *meta);
/* Record boundary: see ds_framer_flush(). */
void ds_decoder_boundary(ds_decoder *d);
/* Two-sided input (a capture: the two directions of one TCP connection or UDP conversation):
 * side 0 and side 1 are framed apart, so that their bytes never meet in one frame, while the
 * rest of the state (segment reassembly, security sessions with the titles and keys learned from
 * the AARQ/AARE) is shared. Offsets count per side. The bytes are taken as binary: an unframed
 * record is an APDU only when its first byte can begin one. Do not mix with ds_decoder_feed(). */
void ds_decoder_feed_side(ds_decoder *d, int side, const uint8_t *data, size_t len, uint64_t offset,
                          const ds_meta *meta);
/* Record boundary on one side (a UDP datagram ends, the bytes after a TCP gap). */
void ds_decoder_boundary_side(ds_decoder *d, int side);
/* Bytes of a side were lost (a TCP gap): see ds_framer_resync(). */
void ds_decoder_resync_side(ds_decoder *d, int side);
/* What the framing holds unfinished (see ds_framer_pending()). */
ds_pending ds_decoder_pending(const ds_decoder *d);
/* Ends the input: flushes pending frames and reassembly, closes the document. */
void ds_decoder_end(ds_decoder *d);
const ds_stats *ds_decoder_stats(const ds_decoder *d);
void ds_decoder_free(ds_decoder *d);

/* Whole-stream convenience: read everything from `in` and decode it into the sink
 * (without begin/end_document: the caller owns the document). Offsets start at 0.
 * Returns 0 when everything decoded, 1 when something was not decodable, -1 on read error. */
int ds_decode_stream(FILE *in, ds_input_mode mode, const ds_options *opt, ds_sink *sink,
                     ds_diag_fn diag_fn, void *diag_user, ds_stats *stats_out);

/* Decode one APDU held in memory (no framing) to the sink, without document begin/end.
 * Returns the number of error diagnostics. */
int ds_decode_apdu_buffer(const uint8_t *apdu, size_t len, const ds_options *opt, ds_sink *sink,
                          ds_diag_fn diag_fn, void *diag_user);

#ifdef __cplusplus
}
#endif
#endif
