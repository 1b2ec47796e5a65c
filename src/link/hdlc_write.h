/* HDLC frames out (IEC 62056-46 frame format type 3): the one writer of the frame layout, used
 * by the encoder (frames from XML, bare APDUs framed) and by the link machine (src/conn/).
 * The reader of the same layout is hdlc.c/hdlc_read.c; both use link/crc16 and frame.h's
 * ds_crc16_x25 for HCS and FCS. */
#ifndef DS_LINK_HDLC_WRITE_H
#define DS_LINK_HDLC_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "link/hdlc.h"
#include "util/buf.h"

/* Flags included: the longest frame on the wire. */
#define DS_HDLC_WIRE_MAX (DS_HDLC_MAX_LEN + 2u)

/* Writes the HDLC address field for packed number p in `size` bytes (1, 2, 4; 0 = infer with
 * ds_hdlc_addr_size_for). Returns the bytes written, 0 when p does not fit that size. */
size_t ds_hdlc_addr_encode(uint32_t packed, int size, uint8_t out[4]);

/* The address field of a logical (upper) and a physical (lower) part in `size` bytes (1, 2, 4;
 * one byte holds only the upper part, lower 0). Returns the bytes written, 0 when they do not
 * fit. */
size_t ds_hdlc_addr_from_parts(uint32_t upper, uint32_t lower, int size, uint8_t out[4]);

/* A whole HDLC frame (flags, format with S bit and length, HCS when there is info, FCS) written
 * to out (cap bytes). dst/src are address fields as on the wire. Returns the frame's length on
 * the wire, 0 when it would exceed the 11-bit length, an address is longer than 4 bytes, or cap
 * is too small. */
size_t ds_hdlc_write(uint8_t *out, size_t cap, const uint8_t *dst, size_t dst_len, const uint8_t *src,
                     size_t src_len, uint8_t control, int segmented, const uint8_t *info, size_t info_len);

/* ds_hdlc_write appended to a buffer. Returns 0, -1 when the frame is not possible or out is
 * full (out then holds what it held before). */
int ds_hdlc_build(ds_buf *out, const uint8_t *dst, size_t dst_len, const uint8_t *src, size_t src_len,
                  uint8_t control, int segmented, const uint8_t *info, size_t info_len);

#endif
