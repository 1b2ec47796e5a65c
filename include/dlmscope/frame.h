/* Link framing: finding frames in a byte stream.
 *
 * The framer eats a stream in arbitrary pieces and calls back once per
 * frame it finds: HDLC (IEC 62056-46 format type 3), the IEC 62056-47
 * wrapper, wired M-Bus frames (EN 13757-2: long, short and the E5
 * acknowledgement), or a raw APDU when a record holds no checked frame. Bytes that belong to no frame are
 * reported as garbage and skipped. Memory is bounded by the largest frame
 * (a raw APDU record is capped at DS_RAW_MAX). */
#ifndef DLMSCOPE_FRAME_H
#define DLMSCOPE_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include "dlmscope/diag.h"
#include "dlmscope/input.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DS_RAW_MAX (1u << 20)  /* a raw APDU record longer than this is cut */

typedef enum {
    DS_LINK_AUTO = 0,
    DS_LINK_HDLC,
    DS_LINK_WRAPPER,
    DS_LINK_MBUS,
    DS_LINK_RAW       /* no framing: the record is one APDU (or LLC + APDU) */
} ds_link_kind;

/* HDLC frame types (from the control field) */
typedef enum {
    DS_HDLC_I, DS_HDLC_RR, DS_HDLC_RNR, DS_HDLC_REJ, DS_HDLC_SREJ,
    DS_HDLC_SNRM, DS_HDLC_DISC, DS_HDLC_UA, DS_HDLC_DM, DS_HDLC_FRMR, DS_HDLC_UI,
    DS_HDLC_UNKNOWN_U
} ds_hdlc_type;

typedef struct ds_hdlc_addr {
    uint8_t raw[4];
    uint8_t len;         /* 1, 2 or 4 bytes on the wire */
    uint16_t upper;      /* logical address (or client SAP) */
    uint16_t lower;      /* physical address; 0 when len == 1 */
    uint32_t packed;     /* Gurux number: 1 byte: upper; 2: upper<<7|lower; 4: upper<<14|lower */
} ds_hdlc_addr;

typedef struct ds_hdlc_params {   /* SNRM/UA negotiation; has_* = present on the wire */
    int present;                  /* an 81 80 group was there */
    uint32_t max_info_tx, max_info_rx, window_tx, window_rx;
    int has_max_info_tx, has_max_info_rx, has_window_tx, has_window_rx;
} ds_hdlc_params;

typedef struct ds_hdlc_info {
    uint16_t format;      /* the 16-bit format field */
    int segmented;        /* S bit: more segments follow */
    size_t frame_len;     /* the 11-bit length field */
    ds_hdlc_addr dst, src;
    uint8_t control;
    ds_hdlc_type type;
    int ns, nr, pf;       /* N(S) (I only, else -1), N(R) (I/S, else -1), poll/final */
    int hcs_ok;           /* 1 ok, 0 bad, -1 no HCS (no info field) */
    int fcs_ok;           /* 1 ok, 0 bad, -1 not checkable (truncated) */
    int stuffed;          /* 7D stuffing was undone to read this frame */
    ds_hdlc_params params;/* SNRM/UA only */
} ds_hdlc_info;

typedef struct ds_wrapper_info {
    uint16_t version, src_port, dst_port, length;
} ds_wrapper_info;

/* The three wired M-Bus frame forms that can appear in a DLMS stream (EN 13757-2). */
typedef enum {
    DS_MBUS_LONG = 0, /* 68 L L 68 C A CI data CS 16 */
    DS_MBUS_SHORT,    /* 10 C A CS 16: no CI, no data */
    DS_MBUS_ACK       /* the single character E5 */
} ds_mbus_form;

typedef struct ds_mbus_info {
    ds_mbus_form form;    /* DS_MBUS_SHORT and DS_MBUS_ACK carry no CI and no data */
    uint8_t c, a, ci;
    uint8_t l_field;      /* as on the wire */
    int l_quirk;          /* L was wrong (e.g. 0x01 for 257 user bytes) and the frame was read anyway */
    int checksum_ok;      /* 1 ok, 0 bad, -1 truncated */
    int has_tsap;         /* CI 0x00..0x1F: STSAP and DTSAP follow */
    uint8_t stsap, dtsap;
    int seq;              /* CI b3..b0 for DLMS segments, else -1 */
    int fin;              /* CI b4: last segment */
} ds_mbus_info;

typedef struct ds_frame {
    ds_link_kind kind;
    uint64_t number;        /* 1-based count of frames delivered */
    uint64_t offset;        /* stream offset of the first frame byte (the 7E, 68, 00 ...) */
    const uint8_t *wire;    /* the frame's bytes as they were in the stream (stuffed form) */
    size_t wire_len;
    ds_meta meta;           /* meta of the chunk in which the frame started */
    int complete;           /* 0: the stream ended inside the frame (frame.truncated was reported) */
    int checks_ok;          /* every check (HCS, FCS, checksum, closing flag, length) passed */
    /* Payload: HDLC information field (LLC not removed), wrapper payload, M-Bus
     * bytes after CI (and STSAP/DTSAP when has_tsap), or the raw record. */
    const uint8_t *info;
    size_t info_len;
    uint64_t info_offset;   /* stream offset of info[0] (approximate when stuffing was undone) */
    union {
        ds_hdlc_info hdlc;
        ds_wrapper_info wrapper;
        ds_mbus_info mbus;
    } u;
} ds_frame;

typedef void (*ds_frame_fn)(void *user, const ds_frame *f);

typedef struct ds_framer ds_framer;

/* kind DS_LINK_AUTO recognises every framing per frame. frame_fn is called for every
 * frame, including broken ones (checks_ok 0) after their diagnostic. */
ds_framer *ds_framer_new(ds_link_kind kind, ds_frame_fn frame_fn, ds_diag_fn diag_fn, void *user);
/* Feed the next piece of the stream; offset is the stream offset of data[0]. Pieces follow on:
 * each offset is the previous one plus its length (offsets of the bytes of a frame that spans
 * pieces are counted from the first). */
void ds_framer_feed(ds_framer *fr, const uint8_t *data, size_t len, uint64_t offset, const ds_meta *meta);
/* A record boundary (new log line with direction/timestamp, end of a file): an unfinished
 * frame is reported truncated, a pending raw record is delivered. */
void ds_framer_flush(ds_framer *fr);
/* Bytes were lost before what comes next (a hole in a TCP stream): as ds_framer_flush, and in
 * DS_LINK_AUTO the following bytes are searched for frames (garbage reported), never taken as a
 * raw APDU because of their first byte, which is any byte of a frame cut in two. */
void ds_framer_resync(ds_framer *fr);
/* Gives back buffer room the framer holds for what may come (beyond a few bytes pending, the
 * store of unfinished bytes; the copy of a garbage run once reported; the unstuffing buffer):
 * for a caller holding many framers at once. Between feeds only; what is found is the same. */
void ds_framer_trim(ds_framer *fr);
void ds_framer_free(ds_framer *fr);

/* What the framer holds unfinished. A live reader asks it after a silence: a frame begun is
 * left to its next bytes (a slow line is no reason to cut it), while a record not known to be
 * framed (an unframed APDU, or bytes not yet judged) is settled only by its end, which a
 * long silence may give it (ds_framer_flush). */
typedef enum ds_pending {
    DS_PENDING_NONE = 0,  /* nothing */
    DS_PENDING_FRAME,     /* bytes of a framed record: a frame begun */
    DS_PENDING_RECORD     /* bytes of a record not (yet) known to be framed */
} ds_pending;
ds_pending ds_framer_pending(const ds_framer *fr);

/* In DS_LINK_AUTO, says whether a record that starts with this byte may be a raw APDU (the
 * decoder answers with its APDU tags). Without it every record that holds no checked frame is
 * taken as raw. A record that cannot be raw is scanned for frames, its leading bytes reported
 * as garbage; one that may be raw is searched for a checked frame first (HDLC with a good FCS,
 * M-Bus with a good checksum), and scanned for frames from its start when it holds one.
 * Text input feeds each line with its meta.line: a record goes on over a line break only
 * while a frame is unfinished or the lines look wrapped at one width (see framer.c). */
typedef int (*ds_raw_start_fn)(uint8_t first_byte);
void ds_framer_set_raw_start_fn(ds_framer *fr, ds_raw_start_fn fn);

/* An unframed record longer than this in DS_LINK_AUTO is no APDU after all (a binary dump
 * that happens to begin with an APDU tag): it is scanned for frames from its start. */
#define DS_RAW_AUTO_MAX (64u << 10)

#define DS_GARBAGE_SHOWN 256  /* bytes of a garbage run kept to show; the rest is only counted */

/* Receives a run of garbage right after its frame.garbage diagnostic: its first n bytes
 * (n <= DS_GARBAGE_SHOWN) out of `total`, starting at stream offset `offset`. */
typedef void (*ds_garbage_fn)(void *user, const uint8_t *p, size_t n, uint64_t total, uint64_t offset);
void ds_framer_set_garbage_fn(ds_framer *fr, ds_garbage_fn fn);

/* CRC-16/X.25 as used for HCS and FCS. */
uint16_t ds_crc16_x25(const uint8_t *p, size_t n);
/* Decode an HDLC address field at p (at most avail bytes). Returns bytes used (1, 2 or 4) or 0. */
size_t ds_hdlc_addr_decode(const uint8_t *p, size_t avail, ds_hdlc_addr *out);
/* Classify an HDLC control byte; fills ns/nr/pf. */
ds_hdlc_type ds_hdlc_classify(uint8_t control, int *ns, int *nr, int *pf);
const char *ds_hdlc_type_name(ds_hdlc_type t);
/* Parse an SNRM/UA information field. Returns 0 ok, -1 malformed (out partially filled). */
int ds_hdlc_params_parse(const uint8_t *p, size_t n, ds_hdlc_params *out);

#ifdef __cplusplus
}
#endif
#endif
