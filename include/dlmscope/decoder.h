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
struct ds_decoder;

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
    /* Called with every decoder made with these options (ds_decoder_new: one for a stream, one
     * per connection of a capture, the one of a live port) once it is ready and before any byte
     * is fed (ended 0), and again at the end of ds_decoder_end() (ended 1): a diagnoser attaches
     * its callbacks (ds_decoder_on_apdu, ds_decoder_on_frame) here and closes its conversation.
     * NULL: none. */
    void (*decoder_hook)(void *user, struct ds_decoder *d, int ended);
    void *decoder_hook_user;
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

struct ds_value;

/* Where an APDU handed to ds_apdu_fn came from. */
typedef enum ds_apdu_source {
    DS_APDU_FROM_FRAME = 0,      /* a frame's payload (or a raw record, or reassembled segments) */
    DS_APDU_FROM_DECIPHERED,     /* the plaintext of the ciphered APDU before it */
    DS_APDU_FROM_REASSEMBLED,    /* the APDU a finished block transfer (GBT) carried */
    DS_APDU_FROM_SIGNED          /* the content of a general-signing APDU */
} ds_apdu_source;

/* What a connection negotiated, as seen in its traffic. The xDLMS part comes from the
 * InitiateRequest (in the AARQ's user-information, plain, or deciphered when the keys are given)
 * and the InitiateResponse (in the AARE); a new InitiateRequest forgets the last answer. The
 * HDLC part comes from the SNRM and the UA that answers it (not the UA of a DISC); a new SNRM
 * forgets the last UA. Conformance: the 24 bits, bit 0 of the block = 0x800000. */
typedef struct ds_negotiated {
    int has_proposed;                 /* the InitiateRequest's conformance was seen */
    uint32_t proposed_conformance;
    uint16_t proposed_max_pdu;        /* the client's max receive PDU size; 0: not seen */
    int has_negotiated;               /* the InitiateResponse's conformance was seen */
    uint32_t negotiated_conformance;
    uint16_t negotiated_max_pdu;      /* the server's max receive PDU size; 0: not seen */
    int has_snrm, has_ua;             /* an SNRM was seen; the UA that answered it */
    /* their parameter groups as sent: max info field TX/RX and windows TX/RX, each with has_* (the
     * HDLC defaults apply where absent: 128 bytes, window 1); TX/RX as the sender of the frame
     * names them */
    ds_hdlc_params snrm, ua;
} ds_negotiated;

/* What the decoder knows of the conversation an APDU belongs to (learned from the traffic:
 * the SNRM/UA, the AARQ/AARE and the ciphered APDUs seen so far). */
typedef struct ds_session_view {
    int has_client_title, has_server_title;
    uint8_t client_title[8], server_title[8];
    int has_dedicated_key;       /* learned from a deciphered InitiateRequest (the key is not given) */
    int mechanism;               /* the AARQ's authentication mechanism, -1 unknown */
    int ic_seen[4];              /* an invocation counter was seen: from the client, the server, */
    uint32_t ic_last[4];         /* then the same two under the dedicated key; the highest seen */
    ds_negotiated negotiated;    /* max PDU sizes, conformance, HDLC parameters */
} ds_session_view;

/* One APDU, as the decoder found it. Everything is valid during the call only. */
typedef struct ds_apdu_event {
    const uint8_t *apdu;         /* its bytes (all that was left when it did not decode) */
    size_t len;
    uint64_t offset;             /* stream offset of apdu[0]; of the ciphered APDU for a plaintext */
    ds_apdu_source source;
    const struct ds_value *value; /* the APDU as values (dlmscope/value.h); NULL when nothing decoded */
    const char *value_error;     /* why the values stop short, or NULL when all of it decoded */
    const ds_meta *meta;         /* of the frame or record it came in; NULL when none */
    uint64_t frame;              /* the frame's number (1-based), 0 outside frames */
    const ds_session_view *session; /* never NULL */
    int value_skipped;           /* the want function (ds_decoder_apdu_values_for) declined its
                                    values: value and value_error are NULL */
} ds_apdu_event;

typedef void (*ds_apdu_fn)(void *user, const ds_apdu_event *ev);
/* Whether the APDU callback needs this APDU as values (apdu[0..n) its bytes, source a
 * ds_apdu_source): 0 spares the decoding into values of APDUs it only counts. */
typedef int (*ds_apdu_want_fn)(void *user, const uint8_t *apdu, size_t n, int source);

/* The sink is borrowed, not owned. diag_fn may be NULL; diagnostics always also go to
 * the sink, at the place they occur. */
ds_decoder *ds_decoder_new(const ds_options *opt, ds_sink *sink, ds_diag_fn diag_fn, void *diag_user);
/* Kept for symmetry; the document root (sink begin/end_document) belongs to the caller,
 * which may decode several inputs into one document. */
void ds_decoder_begin(ds_decoder *d);
void ds_decoder_feed(ds_decoder *d, const uint8_t *data, size_t len, uint64_t offset, const ds_meta *meta);
/* Record boundary: see ds_framer_flush(). */
void ds_decoder_boundary(ds_decoder *d);
/* Every APDU decoded on its own (not those inside another APDU's fields) is also given to fn,
 * as values, beside the sink's events, in the order of the output. NULL turns it off.
 * Returns 0, or -1 when the memory for the values cannot be had. */
int ds_decoder_on_apdu(ds_decoder *d, ds_apdu_fn fn, void *user);
/* Values only for the APDUs want() accepts (called with the APDU callback's user before each
 * one); the others come with value_skipped set. NULL (the default): values for all. */
void ds_decoder_apdu_values_for(ds_decoder *d, ds_apdu_want_fn want);
/* Every frame (broken ones included, after their diagnostic) is also given to fn, before its
 * APDU is decoded (so before the ds_apdu_fn calls of the APDUs it holds or completes). NULL
 * turns it off. */
void ds_decoder_on_frame(ds_decoder *d, ds_frame_fn fn, void *user);
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
/* Gives back the memory kept for what may come while nothing is unfinished in it (segment
 * reassembly buffers, the framers' buffers, block streams, the sessions of conversations that
 * have learned nothing): for a caller that holds many decoders at once (a capture's
 * connections). What is decoded afterwards is the same. */
void ds_decoder_trim(ds_decoder *d);
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
/* The same for an input whose first n bytes the caller has read already (ds_reader_new_after). */
int ds_decode_stream_after(const uint8_t *first, size_t n, FILE *in, ds_input_mode mode, const ds_options *opt,
                           ds_sink *sink, ds_diag_fn diag_fn, void *diag_user, ds_stats *stats_out);

/* Decode one APDU held in memory (no framing) to the sink, without document begin/end.
 * Returns the number of error diagnostics. */
int ds_decode_apdu_buffer(const uint8_t *apdu, size_t len, const ds_options *opt, ds_sink *sink,
                          ds_diag_fn diag_fn, void *diag_user);

#ifdef __cplusplus
}
#endif
#endif
