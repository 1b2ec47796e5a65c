/* HDLC (IEC 62056-46 frame format type 3) field decoding shared by the
 * framer and the XML envelope. */
#ifndef DS_LINK_HDLC_H
#define DS_LINK_HDLC_H

#include <stddef.h>
#include <stdint.h>
#include "dlmscope/frame.h"

#define DS_HDLC_FLAG 0x7Eu
#define DS_HDLC_ESCAPE 0x7Du
#define DS_HDLC_MAX_LEN 2047u   /* the 11-bit length field */
#define DS_HDLC_MIN_LEN 7u      /* FMT(2) + DST(1) + SRC(1) + CTRL(1) + FCS(2) */

/* SNRM/UA parameter ids */
#define DS_HDLC_PARAM_MAX_INFO_TX 0x05u
#define DS_HDLC_PARAM_MAX_INFO_RX 0x06u
#define DS_HDLC_PARAM_WINDOW_TX 0x07u
#define DS_HDLC_PARAM_WINDOW_RX 0x08u

/* Where the parts of a frame sit inside its content (the bytes between the
 * flags, FMT first). */
typedef struct ds_hdlc_layout {
    size_t header_len;  /* FMT..CTRL */
    int has_hcs;        /* an information field follows the header */
    size_t info_pos;    /* content index of the first information byte */
    size_t info_len;
} ds_hdlc_layout;

#define DS_HDLC_HDR_OK 0
#define DS_HDLC_HDR_INVALID (-1)     /* these bytes cannot start a frame */
#define DS_HDLC_HDR_INCOMPLETE (-2)  /* too few bytes to tell */
#define DS_HDLC_HDR_BAD_ADDRESS (-3) /* format and length fine, an address is not 1, 2 or 4 bytes */

/* Decodes format, addresses and control from `avail` content bytes into h and lay. Every
 * field of h is written whatever the result: what was not decoded is zero, the type
 * DS_HDLC_UNKNOWN_U, N(S)/N(R) and both check results -1. Returns one of DS_HDLC_HDR_*. */
int ds_hdlc_parse_header(const uint8_t *content, size_t avail, ds_hdlc_info *h, ds_hdlc_layout *lay);

/* The IEC 62056-46 values of absent SNRM/UA parameters (128-byte information fields, window 1). */
void ds_hdlc_params_defaults(ds_hdlc_params *out);

/* ds_hdlc_type_name() with the name's length in *len. */
const char *ds_hdlc_type_name_len(ds_hdlc_type t, size_t *len);

/* Visits SNRM/UA parameters in wire order. Returns 0 when the whole field was
 * well formed; -1 otherwise, with *stop set to the index where the malformed
 * part starts (parameters before it were visited). */
/* One parameter: its id, its value, and its bytes as on the wire (len 1..4). */
typedef void (*ds_hdlc_param_fn)(void *user, uint8_t id, uint32_t value, const uint8_t *raw, size_t len);
int ds_hdlc_params_walk(const uint8_t *p, size_t n, ds_hdlc_param_fn fn, void *user, size_t *stop);

#endif
