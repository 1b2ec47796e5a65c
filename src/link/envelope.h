/* Frame envelopes in the Gurux simple-XML dialect: <HDLC>, <WRAPPER>, <WiredMBus>.
 *
 * The caller opens the envelope, asks for a body (U and S frames have one of
 * their own), otherwise writes the payload itself (LLC removal, segments,
 * <PDU> and the APDU), then closes the envelope. */
#ifndef DS_LINK_ENVELOPE_H
#define DS_LINK_ENVELOPE_H

#include "dlmscope/frame.h"
#include "event/emit.h"

/* Opens <HDLC len=.. [Direction Time]> (flat) or <WRAPPER>/<WiredMBus> and writes
 * the children before the payload (comments, TargetAddress, SourceAddress,
 * FrameType / M-Bus fields). A raw record opens nothing; it only gets a
 * direction/time comment. Returns -1 if the element could not be opened
 * (then ds_envelope_close() must not be called), else 0. */
int ds_envelope_open(ds_emit *e, const ds_frame *f);
/* Writes the body of frames without an APDU (SNRM/UA, DISC, DM, FRMR, S frames).
 * Returns 1 if it wrote the body, 0 if the frame carries a payload for the caller. */
int ds_envelope_body(ds_emit *e, const ds_frame *f);
void ds_envelope_close(ds_emit *e, const ds_frame *f);

/* The wire size the encoder chooses, shared with the decoder so that it can say when the
 * wire differs (a Size attribute). HDLC address from its Gurux packed number: < 0x80 one
 * byte, < 0x4000 two (upper = p>>7, lower = p&0x7F), else four (upper = p>>14, lower =
 * p&0x3FFF). SNRM/UA parameter: max-info the smallest of 1, 2, 4 bytes, window 4 bytes. */
size_t ds_hdlc_addr_size_for(uint32_t packed);
size_t ds_hdlc_param_size_for(uint8_t id, uint32_t value);

/* "TX", "RX", "ToServer", "ToClient" as the Direction attribute writes them; NULL when unknown. */
const char *ds_envelope_direction_name(ds_direction d);

#endif
