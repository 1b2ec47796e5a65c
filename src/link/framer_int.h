/* Internals shared by the framer core and its per-framing readers. */
#ifndef DS_LINK_FRAMER_INT_H
#define DS_LINK_FRAMER_INT_H

#include <stddef.h>
#include <stdint.h>
#include "dlmscope/frame.h"
#include "link/hdlc.h"

/* What a reader made of the bytes at the scan position. */
typedef enum {
    DS_TRY_NEED_MORE,  /* cannot decide yet; wait for more bytes */
    DS_TRY_NOT_FRAME,  /* no frame starts here: one garbage byte */
    DS_TRY_FLAG,       /* an HDLC fill flag: skip it silently */
    DS_TRY_DONE        /* a frame was delivered; *consumed bytes used */
} ds_try_result;

#define DS_META_MARKS 32

typedef struct ds_meta_mark {
    uint64_t offset;
    ds_meta meta;
} ds_meta_mark;

struct ds_framer {
    ds_link_kind kind;
    ds_frame_fn frame_fn;
    ds_diag_fn diag_fn;
    void *user;

    /* Pending bytes are buf[pos..len). buf is the framer's store, except while a piece fed
     * with nothing pending is scanned in place (see scan_in_place). */
    const uint8_t *buf;
    size_t pos, len;
    uint64_t buf_off;    /* stream offset of buf[0] */
    uint8_t *store;      /* cap bytes: what a piece left unfinished waits here for the next */
    size_t cap;

    int record;          /* DS_REC_* */
    int discard;         /* raw record cut at DS_RAW_MAX: drop bytes until the flush */
    uint64_t delivered;

    /* The closing flag of the last HDLC frame stays in the buffer as a possible
     * opening flag; when no frame follows it is not garbage. */
    uint64_t spare_flag_off;
    int has_spare_flag;

    /* In DS_LINK_AUTO a wrapper header after an HDLC or M-Bus frame of the same record
     * must prove itself by where it ends (see wrapper.c): it carries no check, and a false
     * one in line noise would swallow up to 64 KiB of good frames. */
    int record_had_checked_frame;

    /* Stream offset right after the last frame delivered, or of the record's first byte: the
     * only places where the unchecked single character E5 is taken as an M-Bus frame. */
    uint64_t after_frame_off;

    /* Where an HDLC frame whose HCS and FCS both fail may still be taken as one damaged frame
     * (hdlc_read.c): the stream offset after the last frame and the fill flags after it, or of the
     * record's first byte. A candidate that is one frame when bytes after it show what follows
     * waits for them (wait_follower, at wait_follower_off), and a text line's end then ends the
     * record instead of carrying it on (framer.c, record_goes_on). */
    uint64_t hdlc_open_off;
    int wait_follower;
    uint64_t wait_follower_off;

    /* A record that does not begin with a frame is searched for a checked one before it is
     * taken as a raw APDU: search_off is where the search goes on, search_maybe says that it
     * stopped at a frame start that needs more bytes to be told. */
    uint64_t search_off;
    int search_maybe;

    /* Text input: the lines of the current record (meta.line of the pieces), to tell a
     * record wrapped over lines of one width from lines that each hold their own. */
    uint64_t cur_line;    /* 0: no line yet in this record */
    size_t line_bytes;    /* bytes of the current line so far */
    size_t wrap_width;    /* bytes of the record's first line */
    unsigned rec_lines;   /* finished lines of the record */
    int wrap_broken;      /* a finished line differed from the first one in width */

    /* Cache for the search of a complete frame after a truncated candidate
     * (stream offsets; the data at an offset never changes). */
    int good_valid;
    uint64_t good_from, good_end, good_at;

    uint64_t garbage_off;
    size_t garbage_len;
    ds_garbage_fn garbage_fn;
    ds_raw_start_fn raw_start_fn;
    uint8_t *garbage_head; /* DS_GARBAGE_SHOWN bytes, allocated for the first garbage run: the first
                            * bytes of the current run, to show them; NULL: none (or no memory) */

    ds_meta_mark *marks; /* grown as needed, to DS_META_MARKS: a capture's framer holds one or two */
    size_t nmarks, marks_cap;

    uint8_t *unstuffed;  /* DS_HDLC_MAX_LEN bytes, allocated for the first stuffed frame */
    const uint8_t *starts; /* 256 entries, 1 for the bytes that may begin a frame (see set_starts) */
};

/* Reports a diagnostic belonging to the next frame (garbage seen so far is
 * reported first, so diagnostics stay in stream order). */
void ds_framer_frame_diag(ds_framer *fr, const char *code, ds_severity sev, uint64_t offset,
                          const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Fills the common fields of a frame starting at buffer index p: all but the union, which
 * the caller fills (the whole member of its kind). */
void ds_framer_frame_init(ds_framer *fr, ds_frame *f, ds_link_kind kind, size_t p, size_t wire_len);
/* Numbers the frame and hands it to the callback. */
void ds_framer_deliver(ds_framer *fr, ds_frame *f);
/* Stream offset of buffer index i. */
static inline uint64_t ds_framer_off(const ds_framer *fr, size_t i) { return fr->buf_off + i; }

/* What a look at the bytes at s (avail of them) says without delivering anything. */
typedef enum {
    DS_PROBE_NO,     /* no checked frame starts here */
    DS_PROBE_MAYBE,  /* a frame may start here: more bytes are needed to tell */
    DS_PROBE_FRAME   /* a complete frame whose checks pass starts here */
} ds_probe_result;

/* s[0] is 7E: a frame with a good FCS (MAYBE while its header, and its HCS when present, are
 * good so far). */
ds_probe_result ds_probe_hdlc(const uint8_t *s, size_t avail);
/* s[0] is 68 (long frame) or 10 (short frame): checksum and stop byte. */
ds_probe_result ds_probe_mbus(const uint8_t *s, size_t avail);

#define DS_MBUS_ACK_CHAR 0xE5u
#define DS_MBUS_SHORT_START 0x10u
#define DS_MBUS_LONG_START 0x68u
#define DS_MBUS_STOP 0x16u

/* Readers: the bytes at buffer index p (avail of them pending) start with
 * the framing's first byte. final: no more bytes will come for this record. */
ds_try_result ds_try_hdlc(ds_framer *fr, size_t p, size_t avail, int final, size_t *consumed);
ds_try_result ds_try_wrapper(ds_framer *fr, size_t p, size_t avail, int final, size_t *consumed);
ds_try_result ds_try_mbus(ds_framer *fr, size_t p, size_t avail, int final, size_t *consumed);
ds_try_result ds_try_mbus_short(ds_framer *fr, size_t p, size_t avail, int final, size_t *consumed);
ds_try_result ds_try_mbus_ack(ds_framer *fr, size_t p, size_t avail, int final, size_t *consumed);
/* A byte that can begin a frame where a frame may follow another (used by the unchecked
 * forms, the wrapper header and E5, to prove themselves by what follows them). */
int ds_framer_is_sync(uint8_t b);

#endif
