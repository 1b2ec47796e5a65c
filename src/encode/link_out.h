/* The link layer in the encode direction: frame envelopes of our XML (<HDLC>, <WRAPPER>,
 * <WiredMBus>) back into wire bytes, and bare APDUs framed per options.
 *
 * This inverts src/link/envelope.c + src/core/decoder.c: what they write, this reads
 * (GURUX-XML.md §2, dialect decisions 1-4 and 8). */
#ifndef DS_ENCODE_LINK_OUT_H
#define DS_ENCODE_LINK_OUT_H

#include <libxml/tree.h>
#include <stddef.h>
#include <stdint.h>

#include "dlmscope/encoder.h"
#include "dlmscope/frame.h"
#include "encode/enc.h"
#include "link/hdlc_write.h"
#include "util/buf.h"

/* HDLC sequence numbers per direction for framing bare APDUs. */
typedef struct ds_link_state {
    unsigned client_ns, client_nr;  /* next N(S) / N(R) in frames the client sends */
    unsigned server_ns, server_nr;
    uint64_t client_received;       /* I frames framed in the server-to-client direction */
    uint64_t requests;              /* request APDUs framed so far */
} ds_link_state;

void ds_link_state_init(ds_link_state *st);

/* Appends the bytes of the APDU element `apdu` (an element inside <PDU>) to out.
 * Returns 0, or -1 after ds_enc_fail(). */
typedef int (*ds_apdu_encode_fn)(void *user, ds_enc *enc, const xmlNode *apdu, ds_buf *out);

/* ---- envelopes ---- */

/* 1 when the element is an envelope this module encodes (<HDLC>, <WRAPPER>, <WiredMBus>). */
int ds_is_envelope(const xmlNode *node);

/* Appends the frame described by env to frame_out. HDLC: TargetAddress, SourceAddress
 * (packed number; Size="1|2|4" overrides ds_hdlc_addr_size_for()), FrameType (control byte,
 * hex in both modes), then the body: <NextFrame Value=HEX/> (info as on the wire; a <PDU>
 * after it is the reassembled view and is skipped; NextFrame without PDU sets the S bit),
 * <PDU [LLC=HEX|""]> with the APDU element(s) (and <Undecoded> bytes taken verbatim),
 * <Snrm>/<Ua> (bare or inside <PDU>), <DisconnectRequest>, <DisconnectMode>,
 * <UnacceptableFrame> (an <Undecoded> inside = info), <Command Value="NextFrame"/>,
 * <Undecoded Value=HEX/>. WRAPPER: version 1, source = SourceAddress, destination =
 * TargetAddress. WiredMBus: Control, Address, CI (all three, or none as Gurux writes it:
 * then 53, FF and CI 00, see ds_env_info), [SourceAddress (STSAP), TargetAddress (DTSAP)],
 * payload. Attributes len/Direction/Time are ignored. st is not used by envelopes
 * (their control bytes are explicit) and may be NULL.
 * Returns 0, or -1 after ds_enc_fail() (frame_out then holds what it held before). */
int ds_envelope_encode(ds_enc *enc, ds_link_state *st, const xmlNode *env, ds_apdu_encode_fn apdu_fn, void *user,
                       ds_buf *frame_out);

/* What ds_envelope_encode_info() tells about the frame it wrote, for the steps that need
 * the frames around it (encoder.c): Gurux's segments and M-Bus telegrams without header. */
typedef struct ds_env_info {
    ds_link_kind kind;
    int has_next;         /* <NextFrame> segment(s) */
    int has_pdu;          /* a <PDU> (after <NextFrame>: the reassembled view, i.e. the last segment) */
    int mbus_defaults;    /* <WiredMBus> without Control, Address and CI: 53, FF and CI 00 were written */
    uint8_t dst[4], src[4]; /* HDLC address fields as written */
    size_t dst_len, src_len;
    uint8_t control;
    size_t body_offset, body_len; /* HDLC information field / M-Bus data after the header, in the frame */
} ds_env_info;

/* ds_envelope_encode() that also fills *info (may be NULL). */
int ds_envelope_encode_info(ds_enc *enc, ds_link_state *st, const xmlNode *env, ds_apdu_encode_fn apdu_fn,
                            void *user, ds_buf *frame_out, ds_env_info *info);

/* ---- framing bare APDUs ---- */

typedef struct ds_link_opts {
    ds_link_kind kind;          /* DS_LINK_RAW (or AUTO): no framing; DS_LINK_HDLC; DS_LINK_WRAPPER */
    unsigned client_sap;        /* HDLC client address (1 byte), e.g. 0x10 public client */
    unsigned server_upper;      /* HDLC server logical address */
    unsigned server_lower;      /* HDLC server physical address */
    int server_size;            /* 1, 2 or 4 bytes; 0 = infer from the packed number */
    size_t max_info;            /* information field limit per HDLC frame; 0 = 128 */
    unsigned wport_client, wport_server;
} ds_link_opts;

/* The framing the encoder's options ask for (the server address size inferred when not given). */
void ds_link_opts_from_encode_options(ds_link_opts *l, const ds_encode_options *o);
/* The defaults of ds_encode_options_init: RAW, client 16, server 1 in one byte, max_info 128,
 * wPorts 16 (public client, REFERENCE §2.1) and 1 (management logical device). */
void ds_link_opts_init(ds_link_opts *o);

/* Called once per frame; returns 0 to go on, non-zero to stop. */
typedef int (*ds_frame_sink_fn)(void *user, const uint8_t *frame, size_t n);

/* Frames one APDU. HDLC: I frames with the LLC of ds_llc_for_tag() in the first one,
 * requests (ds_apdu_tag_is_request) go server <- client, others client <- server. N(S)/N(R):
 * each direction counts its own I frames in N(S); N(R) is the number of I frames received
 * from the other side so far, assuming one reply frame per request frame (first request 0x10,
 * its reply 0x30, then 0x32, 0x52, ...; P/F always 1). Segments carry at most max_info info
 * bytes, S=1 on all but the last. WRAPPER: one frame, request src = client wPort, dst =
 * server wPort, else swapped. RAW: the APDU as it is.
 * Returns 0, -1 on bad options/arguments, or the non-zero value emit returned. */
int ds_link_frame_apdu(const ds_link_opts *o, ds_link_state *st, const uint8_t *apdu, size_t n,
                       ds_frame_sink_fn emit, void *user);

#endif
