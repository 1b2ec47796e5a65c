/* The framer core: buffering, record handling, garbage, dispatch to the
 * per-framing readers (hdlc_read.c, wrapper.c, mbus.c). */
#include "link/framer_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

enum { DS_REC_UNDECIDED, DS_REC_FRAMED, DS_REC_RAW };

/* A piece is scanned where it lies; the store only holds what a piece left unfinished (one
 * frame, or a raw or undecided record) plus the bytes copied in behind it (copy_size). The
 * largest of those is a raw record, so BUF_MAX bounds it. */
#define BUF_MIN 256u  /* a capture's framer mostly holds a flag or a frame: thousands are open at once */
#define BUF_MAX ((size_t)DS_RAW_MAX)
#define TOP_UP 512u  /* see copy_size() */

static const ds_meta no_meta;

/* Bytes that can begin a frame of the kinds looked for, as tables of 256: everything else is
 * garbage without a closer look, which lets the scanner cross noise at memory speed. (E5, which
 * has no check, is only looked at right after a frame: see process().) Only these four bytes are
 * ever set (find_start() relies on it). Shared by every framer of a kind: a capture holds
 * thousands of framers. */
static const uint8_t STARTS_HDLC[256] = {[DS_HDLC_FLAG] = 1};
static const uint8_t STARTS_MBUS[256] = {[DS_MBUS_LONG_START] = 1, [DS_MBUS_SHORT_START] = 1};
static const uint8_t STARTS_WRAPPER[256] = {[0x00] = 1};
static const uint8_t STARTS_ANY[256] = {[DS_HDLC_FLAG] = 1, [DS_MBUS_LONG_START] = 1, [DS_MBUS_SHORT_START] = 1, [0x00] = 1};

int ds_framer_is_sync(uint8_t b)
{
    return b == DS_HDLC_FLAG || b == DS_MBUS_LONG_START || b == DS_MBUS_SHORT_START || b == 0x00 || b == DS_MBUS_ACK_CHAR;
}

static void set_starts(ds_framer *fr)
{
    switch (fr->kind) {
    case DS_LINK_HDLC: fr->starts = STARTS_HDLC; break;
    case DS_LINK_MBUS: fr->starts = STARTS_MBUS; break;
    case DS_LINK_WRAPPER: fr->starts = STARTS_WRAPPER; break;
    default: fr->starts = STARTS_ANY; break;
    }
}

static void set_record_had_checked_frame(ds_framer *fr, int v)
{
    fr->record_had_checked_frame = v;
}

ds_framer *ds_framer_new(ds_link_kind kind, ds_frame_fn frame_fn, ds_diag_fn diag_fn, void *user)
{
    ds_framer *fr = calloc(1, sizeof *fr);
    if (!fr) return NULL;
    fr->kind = kind;
    fr->frame_fn = frame_fn;
    fr->diag_fn = diag_fn;
    fr->user = user;
    fr->record = DS_REC_UNDECIDED;
    set_starts(fr);
    return fr;
}

void ds_framer_free(ds_framer *fr)
{
    if (!fr) return;
    free(fr->store);
    free(fr->marks);
    free(fr->unstuffed);
    free(fr->garbage_head);
    free(fr);
}

static size_t pending(const ds_framer *fr) { return fr->len - fr->pos; }

/* ---- meta of the bytes (direction, timestamp, line) -------------------------------------- */

static int meta_equal(const ds_meta *a, const ds_meta *b)
{
    return a->dir == b->dir && a->line == b->line && a->from == b->from && a->to == b->to &&
           strcmp(a->timestamp, b->timestamp) == 0;
}

static const ds_meta *meta_at(const ds_framer *fr, uint64_t offset)
{
    if (fr->nmarks == 0) return &no_meta;
    size_t i = fr->nmarks - 1;
    while (i > 0 && fr->marks[i].offset > offset) i--;
    return &fr->marks[i].meta;
}

/* Forgets marks that no byte still needs: everything before the last mark at
 * or before the oldest byte we may still report on. */
static void prune_marks(ds_framer *fr, uint64_t oldest)
{
    size_t keep = 0;
    while (keep + 1 < fr->nmarks && fr->marks[keep + 1].offset <= oldest) keep++;
    if (keep == 0) return;
    memmove(fr->marks, fr->marks + keep, (fr->nmarks - keep) * sizeof fr->marks[0]);
    fr->nmarks -= keep;
}

/* Binary bytes with nothing held: every frame and diagnostic to come is at offset or after, so
 * one mark answers for all of them (the caller knows there is room for one). */
static void only_mark(ds_framer *fr, uint64_t offset, const ds_meta *meta)
{
    fr->marks[0].offset = offset;
    fr->marks[0].meta = *meta;
    fr->nmarks = 1;
}

/* Room for twice as many marks, at most DS_META_MARKS; as it was when memory runs out. */
static void grow_marks(ds_framer *fr)
{
    size_t cap = fr->marks_cap ? 2 * fr->marks_cap : 1;
    if (cap > DS_META_MARKS) cap = DS_META_MARKS;
    if (cap <= fr->marks_cap) return;
    ds_meta_mark *m = realloc(fr->marks, cap * sizeof *m);
    if (!m) return;
    fr->marks = m;
    fr->marks_cap = cap;
}

static void add_mark(ds_framer *fr, uint64_t offset, const ds_meta *meta)
{
    if (!meta) meta = &no_meta;
    if (!pending(fr) && !fr->garbage_len && fr->marks_cap > 0 && meta->line == 0 &&
        (fr->nmarks == 0 || fr->marks[fr->nmarks - 1].meta.line == 0)) {
        /* binary bytes with nothing held (a capture's piece per packet): the frames and
         * diagnostics to come are at offset or after, so this mark is the only one needed,
         * set without a pruning pass (text keeps the general way: its lines are reported).
         * Before the comparison below: a capture's pieces differ in their time, and one mark
         * answers for every offset whether the meta changed or not */
        only_mark(fr, offset, meta);
        return;
    }
    if (fr->nmarks > 0 && meta_equal(&fr->marks[fr->nmarks - 1].meta, meta)) return;
    uint64_t oldest = pending(fr) ? ds_framer_off(fr, fr->pos) : offset;
    if (fr->garbage_len && fr->garbage_off < oldest) oldest = fr->garbage_off;
    prune_marks(fr, oldest);
    if (fr->nmarks == fr->marks_cap) grow_marks(fr);
    if (fr->nmarks == fr->marks_cap) { /* very many lines inside one frame: merge the newest */
        if (fr->marks_cap == 0) return; /* out of memory: the bytes go without their meta */
        fr->nmarks--;
    }
    fr->marks[fr->nmarks].offset = offset;
    fr->marks[fr->nmarks].meta = *meta;
    fr->nmarks++;
}

/* ---- diagnostics -------------------------------------------------------------------------- */

static void emit_diag(ds_framer *fr, const char *code, ds_severity sev, uint64_t offset, uint64_t frame,
                      const char *fmt, va_list ap)
{
    ds_diag d;
    d.code = code;
    d.severity = sev;
    d.offset = offset;
    d.frame = frame;
    d.line = meta_at(fr, offset)->line;
    vsnprintf(d.message, sizeof d.message, fmt, ap);
    if (fr->diag_fn) fr->diag_fn(fr->user, &d);
}

static void plain_diag(ds_framer *fr, const char *code, ds_severity sev, uint64_t offset, uint64_t frame,
                       const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void plain_diag(ds_framer *fr, const char *code, ds_severity sev, uint64_t offset, uint64_t frame,
                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit_diag(fr, code, sev, offset, frame, fmt, ap);
    va_end(ap);
}

static void flush_garbage(ds_framer *fr)
{
    if (!fr->garbage_len) return;
    size_t n = fr->garbage_len;
    fr->garbage_len = 0;
    plain_diag(fr, DS_D_FRAME_GARBAGE, DS_SEV_ERROR, fr->garbage_off, 0,
               "%zu byte%s at offset %llu start no frame; skipped", n, n == 1 ? "" : "s",
               (unsigned long long)fr->garbage_off);
    size_t shown = !fr->garbage_head ? 0 : n < DS_GARBAGE_SHOWN ? n : DS_GARBAGE_SHOWN;
    if (fr->garbage_fn) fr->garbage_fn(fr->user, fr->garbage_head, shown, n, fr->garbage_off);
}

void ds_framer_set_garbage_fn(ds_framer *fr, ds_garbage_fn fn)
{
    fr->garbage_fn = fn;
}

/* A run of n garbage bytes at buffer index i; consecutive garbage makes one report. */
static void add_garbage_run(ds_framer *fr, size_t i, size_t n)
{
    uint64_t offset = ds_framer_off(fr, i);
    if (!(fr->garbage_len && fr->garbage_off + fr->garbage_len == offset)) {
        flush_garbage(fr);
        fr->garbage_off = offset;
        fr->garbage_len = 0;
    }
    if (!fr->garbage_head) fr->garbage_head = malloc(DS_GARBAGE_SHOWN); /* NULL: the run is only counted */
    if (fr->garbage_head && fr->garbage_len < DS_GARBAGE_SHOWN) {
        size_t keep = DS_GARBAGE_SHOWN - fr->garbage_len;
        if (keep > n) keep = n;
        memcpy(fr->garbage_head + fr->garbage_len, fr->buf + i, keep);
    }
    fr->garbage_len += n;
}

void ds_framer_frame_diag(ds_framer *fr, const char *code, ds_severity sev, uint64_t offset, const char *fmt, ...)
{
    va_list ap;
    flush_garbage(fr);
    va_start(ap, fmt);
    emit_diag(fr, code, sev, offset, fr->delivered + 1, fmt, ap);
    va_end(ap);
}

/* ---- frames ------------------------------------------------------------------------------- */

void ds_framer_frame_init(ds_framer *fr, ds_frame *f, ds_link_kind kind, size_t p, size_t wire_len)
{
    /* Every field but the union, one by one (a memset of them all was the larger part of the
     * cost); the reader fills its member of the union (the HDLC reader has parsed the header
     * there already). A field added to ds_frame must be set here. */
    f->kind = kind;
    f->number = 0;  /* ds_framer_deliver() numbers it */
    f->offset = ds_framer_off(fr, p);
    f->wire = fr->buf + p;
    f->wire_len = wire_len;
    f->meta = *meta_at(fr, f->offset);
    f->complete = 1;
    f->checks_ok = 1;
    f->info = NULL;
    f->info_len = 0;
    f->info_offset = 0;
}

void ds_framer_deliver(ds_framer *fr, ds_frame *f)
{
    flush_garbage(fr);
    fr->after_frame_off = f->offset + f->wire_len;
    fr->hdlc_open_off = fr->after_frame_off;
    if (f->kind == DS_LINK_HDLC || f->kind == DS_LINK_MBUS) set_record_had_checked_frame(fr, 1);
    f->number = ++fr->delivered;
    if (fr->frame_fn) fr->frame_fn(fr->user, f);
}

static void deliver_raw(ds_framer *fr, size_t n, int cut)
{
    ds_frame f;
    ds_framer_frame_init(fr, &f, DS_LINK_RAW, fr->pos, n);
    memset(&f.u, 0, sizeof f.u);  /* no link header */
    f.info = f.wire;
    f.info_len = n;
    f.info_offset = f.offset;
    f.complete = !cut;
    ds_framer_deliver(fr, &f);
    fr->pos += n;
}

/* ---- scanning ----------------------------------------------------------------------------- */

/* Looks for a checked frame (HDLC with a good FCS, M-Bus with a good checksum) in the
 * pending bytes of an undecided record, from where the last look stopped. 1: one is there;
 * 0: none (yet); -1: a frame may start at search_off, and more bytes will tell. */
static int search_frame(ds_framer *fr, int final)
{
    size_t i = fr->pos, end = fr->len;
    if (fr->search_off > ds_framer_off(fr, i)) i = (size_t)(fr->search_off - fr->buf_off);
    fr->search_maybe = 0;
    for (; i < end; i++) {
        uint8_t b = fr->buf[i];
        ds_probe_result r;
        if (b == DS_HDLC_FLAG) r = ds_probe_hdlc(fr->buf + i, end - i);
        else if (b == DS_MBUS_LONG_START || b == DS_MBUS_SHORT_START) r = ds_probe_mbus(fr->buf + i, end - i);
        else continue;
        if (r == DS_PROBE_FRAME) return 1;
        if (r == DS_PROBE_MAYBE && !final) {
            fr->search_off = ds_framer_off(fr, i);
            fr->search_maybe = 1;
            return -1;
        }
    }
    fr->search_off = ds_framer_off(fr, end);
    return 0;
}

/* In DS_LINK_AUTO the first bytes of a record say whether it is framed at all; a record
 * that does not begin with a frame is framed when a checked frame follows anywhere in it
 * (junk before a frame, a dump that starts inside one), and a raw APDU otherwise. */
static void decide_record(ds_framer *fr, int final)
{
    if (fr->kind == DS_LINK_RAW) {
        fr->record = DS_REC_RAW;
        return;
    }
    if (fr->kind != DS_LINK_AUTO) {
        fr->record = DS_REC_FRAMED;
        return;
    }
    const uint8_t *s = fr->buf + fr->pos;
    size_t avail = pending(fr);
    size_t need = 1;
    int framed = 0;
    if (s[0] == DS_HDLC_FLAG) {
        framed = 1;
    } else if (s[0] == DS_MBUS_LONG_START) {
        need = 4;
        framed = avail >= 4 && s[1] == s[2] && s[3] == DS_MBUS_LONG_START;
    } else if (s[0] == 0x00) {
        need = avail >= 2 && s[1] == 0x01 ? 8 : 2;
        framed = avail >= 8 && s[1] == 0x01 && (s[6] | s[7]) != 0;
    } else if (s[0] == DS_MBUS_ACK_CHAR) {
        need = 2;
        framed = avail == 1 ? final : ds_framer_is_sync(s[1]);
    }
    if (avail < need && !final) return;  /* undecided: wait */
    int may_be_raw = !fr->raw_start_fn || fr->raw_start_fn(s[0]) || s[0] == 0xE6; /* E6: an LLC header */
    if (framed || !may_be_raw || avail >= DS_RAW_AUTO_MAX) {
        /* (too long for an APDU: a binary stream that began with a tag-like byte) */
        fr->record = DS_REC_FRAMED;
        return;
    }
    int found = search_frame(fr, final);
    if (found > 0) fr->record = DS_REC_FRAMED;
    else if (final) fr->record = DS_REC_RAW;
}

ds_pending ds_framer_pending(const ds_framer *fr)
{
    if (!fr || pending(fr) == 0) return DS_PENDING_NONE;
    return fr->record == DS_REC_FRAMED ? DS_PENDING_FRAME : DS_PENDING_RECORD;
}

void ds_framer_set_raw_start_fn(ds_framer *fr, ds_raw_start_fn fn)
{
    fr->raw_start_fn = fn;
}

static ds_try_result scan_one(ds_framer *fr, size_t p, size_t avail, int final, size_t *consumed)
{
    uint8_t b = fr->buf[p];
    ds_link_kind k = fr->kind;
    if (b == DS_HDLC_FLAG && (k == DS_LINK_AUTO || k == DS_LINK_HDLC))
        return ds_try_hdlc(fr, p, avail, final, consumed);
    int mbus = k == DS_LINK_AUTO || k == DS_LINK_MBUS;
    if (b == DS_MBUS_LONG_START && mbus) return ds_try_mbus(fr, p, avail, final, consumed);
    if (b == DS_MBUS_SHORT_START && mbus) return ds_try_mbus_short(fr, p, avail, final, consumed);
    if (b == DS_MBUS_ACK_CHAR && mbus) return ds_try_mbus_ack(fr, p, avail, final, consumed);
    if (b == 0x00 && (k == DS_LINK_WRAPPER || k == DS_LINK_AUTO)) return ds_try_wrapper(fr, p, avail, final, consumed);
    return DS_TRY_NOT_FRAME;
}

/* The index of the first byte in buf[i, end) that may begin a frame, else end. Only the four
 * bytes set_starts() looks at can; sixteen bytes are compared with them at a time (a byte loop
 * over the table crossed noise at half the speed, and its speed moved with where the linker
 * happened to place the loop). The two starts that are common in noise are only taken with
 * the byte that must go with them: 00 before 01 (wrapper version), 10 four bytes before 16
 * (the short frame's stop byte); ds_try_wrapper() and ds_try_mbus_short() would turn the
 * others down anyway, one call each. */
static size_t find_start(const uint8_t *buf, size_t i, size_t end, const uint8_t starts[256])
{
    if (i < end && starts[buf[i]]) return i; /* the common case between frames: no noise at all */
#if defined(__SSE2__)
    const __m128i flag = _mm_set1_epi8((char)DS_HDLC_FLAG), mbus = _mm_set1_epi8((char)DS_MBUS_LONG_START);
    const __m128i zero = _mm_setzero_si128(), one = _mm_set1_epi8(0x01);
    const __m128i short_start = _mm_set1_epi8((char)DS_MBUS_SHORT_START), stop = _mm_set1_epi8(0x16);
    const __m128i use_flag = _mm_set1_epi8(starts[DS_HDLC_FLAG] ? -1 : 0);
    const __m128i use_mbus = _mm_set1_epi8(starts[DS_MBUS_LONG_START] ? -1 : 0), use_zero = _mm_set1_epi8(starts[0x00] ? -1 : 0);
    const __m128i use_short = _mm_set1_epi8(starts[DS_MBUS_SHORT_START] ? -1 : 0);
    for (; end - i >= 20; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(buf + i));
        __m128i next = _mm_loadu_si128((const __m128i *)(const void *)(buf + i + 1));
        __m128i fourth = _mm_loadu_si128((const __m128i *)(const void *)(buf + i + 4));
        __m128i hdlc_or_long = _mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(v, flag), use_flag),
                                            _mm_and_si128(_mm_cmpeq_epi8(v, mbus), use_mbus));
        __m128i wrapper = _mm_and_si128(_mm_and_si128(_mm_cmpeq_epi8(v, zero), _mm_cmpeq_epi8(next, one)), use_zero);
        __m128i short_frame =
            _mm_and_si128(_mm_and_si128(_mm_cmpeq_epi8(v, short_start), _mm_cmpeq_epi8(fourth, stop)), use_short);
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_or_si128(hdlc_or_long, _mm_or_si128(wrapper, short_frame)));
        if (mask) return i + (size_t)__builtin_ctz(mask);
    }
#endif
    while (i < end && !starts[buf[i]]) i++;
    return i;
}

/* Skips the bytes from fr->pos that cannot begin a frame, as one garbage run. */
static void skip_noise(ds_framer *fr)
{
    size_t i = fr->pos, end = fr->len;
    if (fr->has_spare_flag && fr->spare_flag_off == ds_framer_off(fr, i)) return; /* let the flag be seen */
    i = find_start(fr->buf, i, end, fr->starts);
    if (i > fr->pos) {
        add_garbage_run(fr, fr->pos, i - fr->pos);
        fr->pos = i;
    }
}

/* E5 right where a frame may begin (after a frame, at the record's start) is looked at
 * before noise is skipped: it is no start byte, as it has no check of its own. */
static int ack_here(const ds_framer *fr)
{
    return fr->buf[fr->pos] == DS_MBUS_ACK_CHAR && ds_framer_off(fr, fr->pos) == fr->after_frame_off &&
           (fr->kind == DS_LINK_AUTO || fr->kind == DS_LINK_MBUS);
}

static void process(ds_framer *fr, int final)
{
    while (pending(fr) > 0) {
        if (fr->record == DS_REC_FRAMED && !ack_here(fr)) {
            skip_noise(fr);
            if (pending(fr) == 0) return;
        }
        if (fr->record == DS_REC_UNDECIDED) {
            decide_record(fr, final);
            if (fr->record == DS_REC_UNDECIDED) return;
        }
        if (fr->record == DS_REC_RAW) {
            if (final) deliver_raw(fr, pending(fr), 0);
            return;
        }
        size_t consumed = 0;
        ds_try_result r = scan_one(fr, fr->pos, pending(fr), final, &consumed);
        if (r == DS_TRY_NEED_MORE && !final) return;
        if (r == DS_TRY_DONE && consumed > 0 && consumed <= pending(fr)) {
            fr->pos += consumed;
            /* Only the frame's closing flag left (a capture's segment, mostly): it waits for what
             * follows, as ds_try_hdlc() would say on the next turn, without the dispatch */
            if (pending(fr) == 1 && !final && fr->buf[fr->pos] == DS_HDLC_FLAG && fr->record == DS_REC_FRAMED &&
                (fr->kind == DS_LINK_AUTO || fr->kind == DS_LINK_HDLC) && !ack_here(fr))
                return;
            continue;
        }
        int spare = fr->has_spare_flag && fr->spare_flag_off == ds_framer_off(fr, fr->pos);
        if (r != DS_TRY_FLAG && !spare) add_garbage_run(fr, fr->pos, 1);
        /* fill flags after a frame: a frame may still open right after them (see hdlc_open_off) */
        if (r == DS_TRY_FLAG && (spare || ds_framer_off(fr, fr->pos) == fr->hdlc_open_off))
            fr->hdlc_open_off = ds_framer_off(fr, fr->pos) + 1;
        fr->pos++;
    }
}

/* Grows the store towards `need` bytes, at most BUF_MAX; it stays as it was when memory runs out. */
static void grow_store(ds_framer *fr, size_t need)
{
    if (fr->cap >= need || fr->cap >= BUF_MAX) return;
    size_t ncap = fr->cap ? fr->cap : BUF_MIN;
    while (ncap < need && ncap < BUF_MAX) ncap *= 2;
    if (ncap > BUF_MAX) ncap = BUF_MAX;
    uint8_t *nb = realloc(fr->store, ncap);
    if (nb) {
        fr->store = nb;
        fr->cap = ncap;
    }
}

/* Room for more input in the store: compacts the consumed prefix away, then grows up to BUF_MAX. */
static size_t make_space(ds_framer *fr, size_t want)
{
    fr->buf = fr->store;
    if (fr->cap - fr->len >= want) return want;
    if (fr->pos > 0) {
        memmove(fr->store, fr->store + fr->pos, pending(fr));
        fr->buf_off += fr->pos;
        fr->len -= fr->pos;
        fr->pos = 0;
    }
    grow_store(fr, fr->len + want);
    fr->buf = fr->store;  /* grow_store may have moved it */
    return fr->cap - fr->len < want ? fr->cap - fr->len : want;
}

/* How much of a piece to copy in behind pending bytes. In a framed record they are the start
 * of one frame, which mostly needs a few more bytes: they are copied a little at a time (at
 * least as many as are pending, so that a long frame is retried a few times only), and once the
 * frame is settled the rest of the piece is scanned in place (how the stream is cut into pieces
 * does not change what the framer finds). A raw or undecided record takes the piece whole: its
 * size limits are checked between pieces. */
static size_t copy_size(const ds_framer *fr, size_t len)
{
    if (fr->record != DS_REC_FRAMED) return len;
    size_t step = pending(fr) > TOP_UP ? pending(fr) : TOP_UP;
    return step < len ? step : len;
}

/* A piece fed while nothing is pending is scanned where it is, and only what it leaves
 * unfinished (a frame cut by the piece's end, a raw record) is copied into the store: the
 * same as copying all of it in first, as a piece that fits the buffer would be, without the
 * copy. buf_off is already the stream offset of data[0]. */
static inline __attribute__((always_inline)) void scan_in_place(ds_framer *fr, const uint8_t *data, size_t len)
{
    fr->buf = data;
    fr->pos = 0;
    fr->len = len;
    process(fr, 0);
    size_t rest = pending(fr);
    if (fr->cap < rest) grow_store(fr, rest); /* mostly the store holds the rest: no call */
    if (fr->cap < rest) {
        /* Only when memory runs out: say so, and settle the rest where it is (a cut frame is
         * reported truncated), as the copying path does. */
        ds_framer_frame_diag(fr, DS_D_INPUT_TOO_LARGE, DS_SEV_ERROR, ds_framer_off(fr, fr->pos),
                             "out of memory buffering the input; %zu unfinished bytes settled as they are", rest);
        process(fr, 1);
        fr->pos = fr->len;
        rest = 0;
    }
    const uint8_t *tail = data + fr->pos;
    fr->buf_off += fr->pos;
    fr->buf = fr->store;
    fr->pos = 0;
    fr->len = rest;
    if (rest == 1) fr->store[0] = tail[0]; /* mostly: the closing flag kept */
    else if (rest) memcpy(fr->store, tail, rest);
}

/* Text input, a new line of the same record: does the record go on over it? A frame that is
 * not finished does (frames wrap over lines as in a dump), and so does the search for one that
 * may have begun. An undecided record (an APDU, or junk) goes on only while its lines look
 * wrapped at a fixed width: every finished line as wide as the first, a width of whole
 * 8-byte groups (16, 32, 48 ... bytes: dumps and wrapped pastes), so that lines of one APDU
 * each, which differ in width, stay records of their own. */
static int record_goes_on(const ds_framer *fr)
{
    size_t n = pending(fr);
    if (n == 0) return 0;
    switch (fr->record) {
    case DS_REC_FRAMED: {
        uint8_t b = fr->buf[fr->pos];  /* a closing flag, or E5 waiting for its follower */
        /* a whole HDLC frame with both checks failing, waiting to see what follows it: the
         * line's end is what follows (a frame per line) */
        if (fr->wait_follower && fr->wait_follower_off == ds_framer_off(fr, fr->pos)) return 0;
        return n > 1 || (b != DS_HDLC_FLAG && b != DS_MBUS_ACK_CHAR);
    }
    case DS_REC_RAW: return 1;
    default: return fr->search_maybe || (!fr->wrap_broken && fr->wrap_width >= 16 && fr->wrap_width % 8 == 0);
    }
}

static void line_break(ds_framer *fr)
{
    if (fr->rec_lines == 0) fr->wrap_width = fr->line_bytes;
    else if (fr->line_bytes != fr->wrap_width) fr->wrap_broken = 1;
    fr->rec_lines++;
    fr->line_bytes = 0;
    if (!record_goes_on(fr)) ds_framer_flush(fr);
}

static void cut_raw_record(ds_framer *fr)
{
    ds_framer_frame_diag(fr, DS_D_INPUT_TOO_LARGE, DS_SEV_ERROR, ds_framer_off(fr, fr->pos + DS_RAW_MAX),
                         "record longer than %u bytes; the rest of it is not decoded", (unsigned)DS_RAW_MAX);
    deliver_raw(fr, DS_RAW_MAX, 1);
    fr->discard = 1;
}

/* The closing flag of the last frame, kept as a possible opening flag (and all that is pending),
 * followed by a piece that opens with a flag of its own: "7E 7E" is fill, which process() would
 * skip silently (ds_try_hdlc: DS_TRY_FLAG). Dropped here, the piece is scanned where it lies
 * instead of being copied in behind the flag: a capture's TCP segments mostly hold a frame each. */
static inline __attribute__((always_inline)) void drop_fill_flag(ds_framer *fr, const uint8_t *data, size_t len)
{
    if (len == 0 || data[0] != DS_HDLC_FLAG || pending(fr) != 1 || fr->record != DS_REC_FRAMED || fr->discard) return;
    if (!fr->has_spare_flag || fr->spare_flag_off != ds_framer_off(fr, fr->pos) || fr->buf[fr->pos] != DS_HDLC_FLAG)
        return;
    fr->pos++;
}

/* A binary piece (meta->line 0) that starts with nothing pending once a kept closing flag is
 * dropped, nothing held as garbage and the one mark a binary piece needs: scanned where it lies,
 * as the loop of ds_framer_feed() would (add_mark()'s first case, then scan_in_place()), without
 * its checks for text lines and raw records. A capture's packet mostly. Returns 0 when the
 * general way must take it. */
static int feed_binary_piece(ds_framer *fr, const uint8_t *data, size_t len, uint64_t offset, const ds_meta *meta)
{
    if (len == 0 || len > BUF_MAX || fr->discard || fr->garbage_len || fr->marks_cap == 0) return 0;
    drop_fill_flag(fr, data, len);
    if (pending(fr) != 0 || (fr->nmarks != 0 && fr->marks[fr->nmarks - 1].meta.line != 0)) return 0;
    fr->buf_off = offset;
    only_mark(fr, offset, meta);
    scan_in_place(fr, data, len);
    return 1;
}

void ds_framer_feed(ds_framer *fr, const uint8_t *data, size_t len, uint64_t offset, const ds_meta *meta)
{
    if (!fr || !data) return;
    if (meta && meta->line == 0 && feed_binary_piece(fr, data, len, offset, meta)) return;
    if (meta && meta->line != 0) {
        if (fr->cur_line != 0 && meta->line != fr->cur_line) line_break(fr);
        fr->cur_line = meta->line;
        fr->line_bytes += len;
    }
    drop_fill_flag(fr, data, len);
    while (len > 0 && !fr->discard) {
        if (pending(fr) == 0) {
            fr->pos = fr->len = 0;
            fr->buf_off = offset;
        }
        if (fr->record == DS_REC_RAW && fr->kind == DS_LINK_AUTO && pending(fr) >= DS_RAW_AUTO_MAX) {
            /* too long for an APDU: a binary stream that began with a tag-like byte */
            fr->record = DS_REC_FRAMED;
            process(fr, 0);
            continue;
        }
        if (fr->record == DS_REC_RAW && pending(fr) >= DS_RAW_MAX) {
            cut_raw_record(fr);
            break;
        }
        add_mark(fr, offset, meta);
        if (pending(fr) == 0 && len <= BUF_MAX) {
            scan_in_place(fr, data, len);
            return;
        }
        size_t n = make_space(fr, copy_size(fr, len));
        if (n == 0) {
            /* Only when memory runs out (a frame-sized buffer always lets the scan
             * decide): settle what is there, and never spin. */
            process(fr, 1);
            fr->pos = fr->len;
            n = make_space(fr, len);
            if (n == 0) {
                ds_framer_frame_diag(fr, DS_D_INPUT_TOO_LARGE, DS_SEV_ERROR, offset,
                                     "out of memory buffering the input; %zu bytes skipped", len);
                return;
            }
        }
        int had_pending = pending(fr) > 0;
        size_t before = fr->len;
        memcpy(fr->store + fr->len, data, n);
        fr->len += n;
        process(fr, 0);
        size_t used = n;
        if (had_pending && fr->pos >= before) {
            /* What was pending is settled: drop the rest of the copy, it is still in data
             * and is scanned there. */
            used = fr->pos - before;
            fr->pos = fr->len = 0;  /* the next pass starts at offset + used */
        }
        data += used;
        len -= used;
        offset += used;
    }
}

/* Forgets what the record being finished said about itself; the next starts at buf_off. */
static void start_record(ds_framer *fr)
{
    fr->record = DS_REC_UNDECIDED;
    fr->discard = 0;
    set_record_had_checked_frame(fr, 0);
    fr->after_frame_off = fr->buf_off;
    fr->hdlc_open_off = fr->buf_off;
    fr->wait_follower = 0;
    fr->search_off = fr->buf_off;
    fr->search_maybe = 0;
    fr->cur_line = 0;
    fr->line_bytes = 0;
    fr->wrap_width = 0;
    fr->rec_lines = 0;
    fr->wrap_broken = 0;
}

void ds_framer_flush(ds_framer *fr)
{
    if (!fr) return;
    if (!fr->discard) process(fr, 1);
    flush_garbage(fr);
    fr->buf_off += fr->len;
    fr->pos = fr->len = 0;
    start_record(fr);
}

/* What a trimmed store keeps: a closing flag left as a possible opening one, a frame's first
 * bytes; more is kept as it is (its frame is under way and will need the room). */
#define TRIM_KEEP 32u

void ds_framer_trim(ds_framer *fr)
{
    if (!fr) return;
    if (!fr->garbage_len) {
        free(fr->garbage_head);
        fr->garbage_head = NULL;
    }
    free(fr->unstuffed); /* used within one frame's reading only */
    fr->unstuffed = NULL;
    size_t rest = pending(fr);
    if (fr->cap <= TRIM_KEEP || rest > TRIM_KEEP || fr->buf != fr->store) return;
    /* the pending bytes to the front, as make_space does, then the store shrinks to them */
    if (rest) memmove(fr->store, fr->store + fr->pos, rest);
    fr->buf_off += fr->pos;
    fr->len = rest;
    fr->pos = 0;
    if (!rest) {
        free(fr->store);
        fr->store = NULL;
        fr->cap = 0;
    } else {
        uint8_t *smaller = realloc(fr->store, TRIM_KEEP);
        if (!smaller) return; /* the bigger store stays */
        fr->store = smaller;
        fr->cap = TRIM_KEEP;
    }
    fr->buf = fr->store;
}

void ds_framer_resync(ds_framer *fr)
{
    if (!fr) return;
    ds_framer_flush(fr);
    if (fr->kind == DS_LINK_AUTO) fr->record = DS_REC_FRAMED; /* what follows is searched for frames */
}
