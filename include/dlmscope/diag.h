/* Diagnostics: what went wrong, where, and how bad.
 *
 * Every problem found in the input becomes one ds_diag. Codes are stable
 * strings ("frame.fcs", "apdu.truncated", ...) documented in dlmscope(1);
 * scripts match on the code, people read the message. */
#ifndef DLMSCOPE_DIAG_H
#define DLMSCOPE_DIAG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    DS_SEV_INFO = 0,    /* worth knowing, nothing is lost */
    DS_SEV_WARNING = 1, /* decoded, but something is off (e.g. a known meter quirk) */
    DS_SEV_ERROR = 2    /* some bytes could not be decoded */
} ds_severity;

/* Stable diagnostic codes. Keep in sync with man/dlmscope.1. */
#define DS_D_FRAME_FCS            "frame.fcs"
#define DS_D_FRAME_HCS            "frame.hcs"
#define DS_D_FRAME_TRUNCATED      "frame.truncated"
#define DS_D_FRAME_GARBAGE        "frame.garbage"
#define DS_D_FRAME_ABORT          "frame.abort"
#define DS_D_FRAME_BAD_ADDRESS    "frame.bad-address"
#define DS_D_FRAME_CHECKSUM       "frame.checksum"       /* M-Bus checksum */
#define DS_D_FRAME_LENGTH_QUIRK   "frame.length-quirk"   /* M-Bus L=0x01 for 257 bytes */
#define DS_D_FRAME_BAD_LENGTH     "frame.bad-length"
#define DS_D_FRAME_STUFFED        "frame.stuffed"        /* 7D byte stuffing was undone */
#define DS_D_FRAME_SEGMENT        "frame.segment"        /* reassembly problem */
#define DS_D_FRAME_NOT_DLMS       "frame.not-dlms"       /* valid frame, payload is not DLMS */
#define DS_D_LINK_RETRANSMISSION  "link.retransmission"  /* an HDLC I frame sent again: not decoded twice */
#define DS_D_APDU_TRUNCATED       "apdu.truncated"
#define DS_D_APDU_TRAILING        "apdu.trailing-bytes"
#define DS_D_APDU_INVALID_CHOICE  "apdu.invalid-choice"
#define DS_D_APDU_UNKNOWN_TAG     "apdu.unknown-tag"
#define DS_D_APDU_BAD_LENGTH      "apdu.bad-length"
#define DS_D_APDU_TOO_DEEP        "apdu.too-deep"
#define DS_D_DATA_BAD_LENGTH      "data.bad-length"
#define DS_D_DATA_UNKNOWN_TYPE    "data.unknown-type"
#define DS_D_DATA_NON_MINIMAL     "data.non-minimal-length"
#define DS_D_INPUT_ODD_HEX        "input.odd-hex"
#define DS_D_INPUT_TOO_LARGE      "input.too-large"
#define DS_D_INPUT_UNREAD_HEX     "input.unread-hex"     /* hex bytes in a line read as text */
#define DS_D_INPUT_NO_DATA        "input.no-data"        /* not one byte of hex (or an empty input) */
#define DS_D_TCP_GAP              "tcp.gap"              /* bytes of a TCP stream not in the capture */
#define DS_D_CAPTURE_FRAGMENT     "capture.fragment"     /* an IP fragment (not reassembled) */
#define DS_D_CAPTURE_BAD_PACKET   "capture.bad-packet"   /* a link, IP, TCP or UDP header that does not fit */
#define DS_D_CAPTURE_SNAPLEN      "capture.snaplen"      /* a datagram cut short by the capture's snaplen */
#define DS_D_CAPTURE_EVICTED      "capture.evicted"      /* a connection dropped for a newer one */
#define DS_D_CAPTURE_NO_DLMS      "capture.no-dlms"      /* no TCP or UDP packet of DLMS traffic at all */
#define DS_D_CAPTURE_READ         "capture.read"         /* the capture file breaks off or is damaged */

#define DS_DIAG_MESSAGE_MAX 240

typedef struct ds_diag {
    const char *code;          /* one of the DS_D_* strings */
    ds_severity severity;
    uint64_t offset;           /* byte offset in the decoded input stream */
    uint64_t frame;            /* 1-based frame number, 0 when not inside a frame */
    uint64_t line;             /* 1-based input line for text input, 0 otherwise */
    char message[DS_DIAG_MESSAGE_MAX];
} ds_diag;

/* Receives diagnostics as they are found. */
typedef void (*ds_diag_fn)(void *user, const ds_diag *d);

const char *ds_severity_name(ds_severity s);

#ifdef __cplusplus
}
#endif
#endif
