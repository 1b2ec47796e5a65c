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

    /* In DS_LINK_AUTO a record that held an HDLC or M-Bus frame is not searched
     * for wrapper headers: they carry no check, and a false one in line noise
     * would swallow up to 64 KiB of good frames. */
    int record_had_checked_frame;

    /* Cache for the search of a complete frame after a truncated candidate
     * (stream offsets; the data at an offset never changes). */
    int good_valid;
    uint64_t good_from, good_end, good_at;

    uint64_t garbage_off;
    size_t garbage_len;
    ds_garbage_fn garbage_fn;
    ds_raw_start_fn raw_start_fn;
    uint8_t garbage_head[DS_GARBAGE_SHOWN];  /* the first bytes of the current run, to show them */

    ds_meta_mark marks[DS_META_MARKS];
    size_t nmarks;

    uint8_t unstuffed[DS_HDLC_MAX_LEN + 2];
    uint8_t starts[256];  /* 1 for the bytes that may begin a frame (see set_starts) */
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

/* Readers: the bytes at buffer index p (avail of them pending) start with
 * the framing's first byte. final: no more bytes will come for this record. */
ds_try_result ds_try_hdlc(ds_framer *fr, size_t p, size_t avail, int final, size_t *consumed);
ds_try_result ds_try_wrapper(ds_framer *fr, size_t p, size_t avail, int final, size_t *consumed);
ds_try_result ds_try_mbus(ds_framer *fr, size_t p, size_t avail, int final, size_t *consumed);

#endif
