/* Frame envelopes in the Gurux simple-XML dialect: <HDLC>, <WRAPPER>, <WiredMBus>.
 *
 * The caller opens the envelope, asks for a body (U and S frames have one of
 * their own), otherwise writes the payload itself (LLC removal, segments,
 * <PDU> and the APDU), then closes the envelope. */
#ifndef DS_LINK_ENVELOPE_H
#define DS_LINK_ENVELOPE_H

#include "core/emit.h"
#include "dlmscope/frame.h"

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

#endif
