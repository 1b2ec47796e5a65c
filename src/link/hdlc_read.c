/* Reading one HDLC frame at the scan position: length-based delimiting,
 * HCS/FCS checks, the 7D 7E abort, optional 7D un-stuffing, truncation. */
#include "link/framer_int.h"

#include <stdlib.h>
#include <string.h>
#include "link/crc16.h"

/* One candidate frame as read from the stream. The header is parsed straight into the frame
 * that is delivered (f.u.hdlc, every field written by ds_hdlc_parse_header); the common
 * fields are set only when the candidate turns out to be a frame. */
typedef struct hdlc_read {
    size_t p;                 /* buffer index of the opening flag */
    const uint8_t *content;   /* FMT .. FCS (unstuffed when stuffed) */
    size_t content_avail;     /* content bytes present (< frame_len when truncated) */
    size_t wire_len;
    ds_hdlc_layout lay;
    ds_frame f;
} hdlc_read;

/* Reads the header of a candidate at buffer index p with `avail` content bytes at content. */
static int read_header(hdlc_read *r, size_t p, const uint8_t *content, size_t avail)
{
    r->p = p;
    r->content = content;
    r->content_avail = avail;
    r->wire_len = 0;
    return ds_hdlc_parse_header(content, avail, &r->f.u.hdlc, &r->lay);
}

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static int fcs_ok(const uint8_t *content, size_t len)
{
    return ds_crc16_x25(content, len - 2) == le16(content + len - 2);
}

/* HCS result: 1 ok, 0 bad, -1 no HCS or not all of it present. */
static int check_hcs(const hdlc_read *r)
{
    if (!r->lay.has_hcs || r->content_avail < r->lay.header_len + 2) return -1;
    return ds_crc16_x25(r->content, r->lay.header_len) == le16(r->content + r->lay.header_len);
}

/* The checks of a frame whose content_avail bytes are all there: the HCS into *hcs (as
 * check_hcs(), -1 unless the header parsed), and the FCS as the result (1 ok, 0 bad). One pass:
 * the FCS register goes on from where the HCS one stopped. With stop_at_bad_hcs a bad HCS
 * ends it there (0), which keeps long runs of false starts cheap. */
static inline int check_whole(const hdlc_read *r, int hdr, int stop_at_bad_hcs, int *hcs)
{
    const uint8_t *c = r->content;
    size_t len = r->content_avail, done = 0;
    uint16_t reg = DS_CRC16_X25_INIT;
    *hcs = -1;
    if (hdr == DS_HDLC_HDR_OK && r->lay.has_hcs) {
        done = r->lay.header_len;
        reg = ds_crc16_x25_update(reg, c, done);
        *hcs = ds_crc16_x25_final(reg) == le16(c + done);
        if (*hcs == 0 && stop_at_bad_hcs) return 0;
    }
    reg = ds_crc16_x25_update(reg, c + done, len - 2 - done);
    return ds_crc16_x25_final(reg) == le16(c + len - 2);
}

/* Stream offset of content index i; exact unless stuffing was undone. */
static uint64_t content_off(const ds_framer *fr, const hdlc_read *r, size_t i)
{
    return ds_framer_off(fr, r->p + 1 + i);
}

static void parse_params(ds_framer *fr, hdlc_read *r)
{
    ds_frame *f = &r->f;
    ds_hdlc_params *pr = &f->u.hdlc.params;
    ds_hdlc_params_defaults(pr);
    ds_hdlc_type t = f->u.hdlc.type;
    if ((t != DS_HDLC_SNRM && t != DS_HDLC_UA) || f->info_len == 0 || !f->complete) return;
    if (ds_hdlc_params_parse(f->info, f->info_len, pr) != 0)
        ds_framer_frame_diag(fr, DS_D_FRAME_BAD_LENGTH, DS_SEV_WARNING, content_off(fr, r, r->lay.info_pos),
                             "%s parameter field is malformed", ds_hdlc_type_name(t));
}

/* Reports what failed and hands the frame over. hcs, fcs: the check results (see
 * ds_hdlc_info). closing: 1 flag present, 0 missing, 2 replaced by the 7D 7E abort sequence. */
static void deliver(ds_framer *fr, hdlc_read *r, int hcs, int fcs, int closing, int stuffed, int complete)
{
    ds_frame *f = &r->f;
    ds_hdlc_info *h = &f->u.hdlc;
    h->hcs_ok = hcs;
    h->fcs_ok = fcs;
    h->stuffed = stuffed;
    ds_framer_frame_init(fr, f, DS_LINK_HDLC, r->p, r->wire_len);
    f->complete = complete;
    if (stuffed)
        ds_framer_frame_diag(fr, DS_D_FRAME_STUFFED, DS_SEV_INFO, f->offset,
                             "7D byte stuffing undone (%zu bytes on the wire, %zu unstuffed)", r->wire_len,
                             h->frame_len + 2);
    if (h->hcs_ok == 0 && fcs == 0) /* one damage, mostly: the FCS covers the header and its HCS */
        ds_framer_frame_diag(fr, DS_D_FRAME_HCS, DS_SEV_ERROR, content_off(fr, r, r->lay.header_len),
                             "header check sequence %04X does not match the header (computed %04X); the frame "
                             "check sequence fails too (%04X, computed %04X)",
                             le16(r->content + r->lay.header_len), ds_crc16_x25(r->content, r->lay.header_len),
                             le16(r->content + h->frame_len - 2), ds_crc16_x25(r->content, h->frame_len - 2));
    else if (h->hcs_ok == 0)
        ds_framer_frame_diag(fr, DS_D_FRAME_HCS, DS_SEV_ERROR, content_off(fr, r, r->lay.header_len),
                             "header check sequence %04X does not match the header (computed %04X)",
                             le16(r->content + r->lay.header_len), ds_crc16_x25(r->content, r->lay.header_len));
    else if (fcs == 0)
        ds_framer_frame_diag(fr, DS_D_FRAME_FCS, DS_SEV_ERROR, content_off(fr, r, h->frame_len - 2),
                             "frame check sequence %04X does not match the frame (computed %04X)",
                             le16(r->content + h->frame_len - 2), ds_crc16_x25(r->content, h->frame_len - 2));
    if (closing == 2)
        ds_framer_frame_diag(fr, DS_D_FRAME_ABORT, DS_SEV_ERROR, content_off(fr, r, h->frame_len),
                             "frame aborted by the sender (7D 7E instead of the closing flag)");
    else if (closing == 0 && complete)
        ds_framer_frame_diag(fr, DS_D_FRAME_BAD_LENGTH, DS_SEV_WARNING, content_off(fr, r, h->frame_len),
                             "no closing flag where the length field (%zu) ends the frame", h->frame_len);
    if (!complete)
        ds_framer_frame_diag(fr, DS_D_FRAME_TRUNCATED, DS_SEV_ERROR, f->offset,
                             "frame of %zu bytes (length field %zu) cut after %zu bytes", h->frame_len + 2,
                             h->frame_len, r->wire_len);
    size_t info_end = r->lay.info_pos + r->lay.info_len;
    if (info_end > r->content_avail) info_end = r->content_avail;
    if (info_end > r->lay.info_pos) {
        f->info = r->content + r->lay.info_pos;
        f->info_len = info_end - r->lay.info_pos;
    }
    f->info_offset = content_off(fr, r, r->lay.info_pos);
    parse_params(fr, r);
    f->checks_ok = complete && fcs == 1 && h->hcs_ok != 0 && closing == 1;
    ds_framer_deliver(fr, f);
}

/* A frame whose format and length look right but whose address is not 1, 2
 * or 4 bytes long; only delivered when its FCS and closing flag confirm it. */
static void deliver_bad_address(ds_framer *fr, hdlc_read *r)
{
    ds_frame *f = &r->f;
    ds_hdlc_info *h = &f->u.hdlc;  /* no control byte: type unknown, no N(S)/N(R), no HCS */
    ds_framer_frame_init(fr, f, DS_LINK_HDLC, r->p, r->wire_len);
    ds_framer_frame_diag(fr, DS_D_FRAME_BAD_ADDRESS, DS_SEV_ERROR, content_off(fr, r, 2),
                         "address field is not 1, 2 or 4 bytes long");
    h->fcs_ok = 1;
    f->info = r->content + 2;
    f->info_len = h->frame_len - 4;
    f->info_offset = content_off(fr, r, 2);
    f->checks_ok = 0;
    ds_framer_deliver(fr, f);
}

/* Undoes 7D stuffing of the bytes between the opening flag and the next 7E.
 * Returns DS_TRY_DONE (delivered), DS_TRY_NEED_MORE, or DS_TRY_NOT_FRAME when
 * stuffing does not explain the frame. */
static ds_try_result try_unstuffed(ds_framer *fr, size_t p, size_t avail, int final, size_t frame_len,
                                   size_t *consumed)
{
    const uint8_t *s = fr->buf + p;
    const uint8_t *end = memchr(s + 1, DS_HDLC_FLAG, avail - 1);
    if (!end) {
        /* The stuffed frame is at most twice the plain one, plus flags. */
        return !final && avail < 2 * frame_len + 2 ? DS_TRY_NEED_MORE : DS_TRY_NOT_FRAME;
    }
    size_t span = (size_t)(end - (s + 1));
    if (!memchr(s + 1, DS_HDLC_ESCAPE, span)) return DS_TRY_NOT_FRAME;
    if (!fr->unstuffed && !(fr->unstuffed = malloc(DS_HDLC_MAX_LEN))) return DS_TRY_NOT_FRAME; /* out of memory */
    size_t n = 0;
    for (size_t i = 0; i < span; i++) {
        uint8_t b = s[1 + i];
        if (b == DS_HDLC_ESCAPE) {
            if (++i >= span) return DS_TRY_NOT_FRAME;
            b = (uint8_t)(s[1 + i] ^ 0x20u);
        }
        if (n >= frame_len) return DS_TRY_NOT_FRAME;
        fr->unstuffed[n++] = b;
    }
    hdlc_read r;
    int hcs;
    if (n != frame_len || read_header(&r, p, fr->unstuffed, n) != DS_HDLC_HDR_OK ||
        check_whole(&r, DS_HDLC_HDR_OK, 0, &hcs) != 1)
        return DS_TRY_NOT_FRAME;
    r.wire_len = span + 2;
    deliver(fr, &r, hcs, 1, 1, 1, 1);
    *consumed = span + 1;
    fr->spare_flag_off = ds_framer_off(fr, p + span + 1);
    fr->has_spare_flag = 1;  /* the closing flag may open the next frame */
    return DS_TRY_DONE;
}

/* Does a complete frame with a good FCS start at buffer index q? */
static int good_frame_at(const ds_framer *fr, size_t q, size_t avail)
{
    const uint8_t *s = fr->buf + q;
    if (avail < 3 || s[0] != DS_HDLC_FLAG || (s[1] & 0xF0u) != 0xA0u) return 0;
    size_t len = (size_t)((s[1] & 0x07u) << 8 | s[2]);
    if (len < DS_HDLC_MIN_LEN || avail < len + 1) return 0;
    ds_hdlc_info h;
    ds_hdlc_layout lay;
    return ds_hdlc_parse_header(s + 1, len, &h, &lay) == DS_HDLC_HDR_OK && fcs_ok(s + 1, len);
}

#define NO_GOOD_FRAME UINT64_MAX

/* Is there a complete good frame starting in buffer indices [from, end)? Cached,
 * so that a run of false starts does not rescan the same bytes each time. */
static int good_frame_ahead(ds_framer *fr, size_t from, size_t end)
{
    uint64_t f = ds_framer_off(fr, from), e = ds_framer_off(fr, end);
    if (fr->good_valid && fr->good_end == e && fr->good_from <= f) {
        if (fr->good_at == NO_GOOD_FRAME) return 0;
        if (fr->good_at >= f) return 1;
    }
    fr->good_valid = 1;
    fr->good_from = f;
    fr->good_end = e;
    fr->good_at = NO_GOOD_FRAME;
    for (size_t q = from; q < end; q++) {
        if (good_frame_at(fr, q, end - q)) {
            fr->good_at = ds_framer_off(fr, q);
            return 1;
        }
    }
    return 0;
}

/* The record ended inside a frame: deliver what is there if the header is a
 * real one and no complete frame follows (which would make this a false start). */
static ds_try_result try_truncated(ds_framer *fr, size_t p, size_t avail, size_t *consumed)
{
    const uint8_t *s = fr->buf + p;
    hdlc_read r;
    if (read_header(&r, p, s + 1, avail - 1) != DS_HDLC_HDR_OK) return DS_TRY_NOT_FRAME;
    r.wire_len = avail;
    if (good_frame_ahead(fr, p + 1, p + avail)) return DS_TRY_NOT_FRAME;
    /* A last 7E is most likely the closing flag that came too early. */
    if (r.content_avail > 0 && s[avail - 1] == DS_HDLC_FLAG) r.content_avail--;
    deliver(fr, &r, check_hcs(&r), -1, 0, 0, 0);
    *consumed = avail;
    return DS_TRY_DONE;
}

static ds_try_result try_whole(ds_framer *fr, size_t p, size_t avail, int final, size_t len, size_t *consumed);

/* A frame of len content bytes at buffer index p, closed by a flag where its length says, whose
 * HCS and FCS both fail. Nothing in its bytes vouches for a frame: in noise, 7E A. with a 7E where
 * the length points happens every few thousand flags. Where it stands is what tells: it opens
 * where a frame is due (the record's start, or right after the last frame and its fill flags) and
 * closes where the record ends or the next frame begins (7E, or the format byte A0-AF after a
 * shared flag), and no good frame starts inside it. Such bytes are one frame damaged on the way
 * (mostly in its header, which breaks both checks), reported as such rather than as garbage.
 * DS_TRY_DONE: take it; DS_TRY_NEED_MORE: the byte after the closing flag is still to come;
 * DS_TRY_NOT_FRAME: resynchronise as for noise. */
static ds_try_result where_one_frame_stands(ds_framer *fr, size_t p, size_t avail, int final, size_t len)
{
    const uint8_t *s = fr->buf + p;
    uint64_t at = ds_framer_off(fr, p);
    int opens_where_due = at == fr->hdlc_open_off || (fr->has_spare_flag && fr->spare_flag_off == at);
    if (!opens_where_due) return DS_TRY_NOT_FRAME;
    if (avail < len + 3) {
        if (!final) {
            fr->wait_follower = 1;
            fr->wait_follower_off = at;
            return DS_TRY_NEED_MORE;
        }
        /* the record ends with the closing flag */
    } else if (s[len + 2] != DS_HDLC_FLAG && (s[len + 2] & 0xF0u) != 0xA0u) {
        return DS_TRY_NOT_FRAME;
    }
    return good_frame_ahead(fr, p + 1, p + len + 1) ? DS_TRY_NOT_FRAME : DS_TRY_DONE;
}

ds_try_result ds_try_hdlc(ds_framer *fr, size_t p, size_t avail, int final, size_t *consumed)
{
    const uint8_t *s = fr->buf + p;
    if (avail < 2) return final ? DS_TRY_FLAG : DS_TRY_NEED_MORE;
    if (s[1] == DS_HDLC_FLAG) return DS_TRY_FLAG;  /* two flags in a row: inter-frame fill */
    if ((s[1] & 0xF0u) != 0xA0u) return DS_TRY_NOT_FRAME;
    if (avail < 3) return final ? DS_TRY_NOT_FRAME : DS_TRY_NEED_MORE;
    size_t len = (size_t)((s[1] & 0x07u) << 8 | s[2]);
    if (len < DS_HDLC_MIN_LEN) return DS_TRY_NOT_FRAME;
    if (avail < len + 1) return final ? try_truncated(fr, p, avail, consumed) : DS_TRY_NEED_MORE;
    /* Wait for the byte after the frame, and after a 7D for the one after that (abort). */
    if (!final && (avail < len + 2 || (s[len + 1] == DS_HDLC_ESCAPE && avail < len + 3))) return DS_TRY_NEED_MORE;
    return try_whole(fr, p, avail, final, len, consumed);
}

/* A frame of len content bytes, all of them present, starts at buffer index p. Out of line:
 * senders commonly close a frame and open the next with flags of their own (7E 7E), and
 * ds_try_hdlc() settles that fill flag with a few checks, without this function's stack frame. */
__attribute__((noinline)) static ds_try_result try_whole(ds_framer *fr, size_t p, size_t avail, int final,
                                                         size_t len, size_t *consumed)
{
    const uint8_t *s = fr->buf + p;
    hdlc_read r;
    int hdr = read_header(&r, p, s + 1, len);
    int closing = 0;
    if (avail >= len + 2 && s[len + 1] == DS_HDLC_FLAG) closing = 1;
    else if (avail >= len + 3 && s[len + 1] == DS_HDLC_ESCAPE && s[len + 2] == DS_HDLC_FLAG) closing = 2;
    /* Without a closing flag a bad HCS already rules the frame out. */
    int hcs = -1, good = 0;
    if (hdr == DS_HDLC_HDR_OK || hdr == DS_HDLC_HDR_BAD_ADDRESS) good = check_whole(&r, hdr, closing != 1, &hcs);
    if (!good) {
        /* A stuffed frame has at least one 7D among its first len bytes,
         * otherwise the plain read above would have matched. */
        if (memchr(s + 1, DS_HDLC_ESCAPE, len)) {
            ds_try_result st = try_unstuffed(fr, p, avail, final, len, consumed);
            if (st != DS_TRY_NOT_FRAME) return st;
        }
        if (final && avail < len + 2) return try_truncated(fr, p, avail, consumed);
        if (hdr != DS_HDLC_HDR_OK || closing != 1) return DS_TRY_NOT_FRAME;  /* resynchronise */
        if (hcs == 0) {
            ds_try_result placed = where_one_frame_stands(fr, p, avail, final, len);
            if (placed != DS_TRY_DONE) return placed;
        }
    }
    /* A byte standing where the closing flag belongs goes with the frame; a
     * closing flag stays: it may be the opening flag of the next frame. */
    size_t after = avail >= len + 2 ? len + 2 : len + 1;
    r.wire_len = closing == 2 ? len + 3 : after;
    if (hdr == DS_HDLC_HDR_BAD_ADDRESS) deliver_bad_address(fr, &r);
    else deliver(fr, &r, hcs, good, closing, 0, 1);
    *consumed = closing == 2 ? len + 2 : closing == 1 ? len + 1 : after;
    fr->spare_flag_off = ds_framer_off(fr, p + *consumed);
    fr->has_spare_flag = closing != 0;
    return DS_TRY_DONE;
}

ds_probe_result ds_probe_hdlc(const uint8_t *s, size_t avail)
{
    if (avail < 2) return DS_PROBE_MAYBE;
    if ((s[1] & 0xF0u) != 0xA0u) return DS_PROBE_NO;
    if (avail < 3) return DS_PROBE_MAYBE;
    size_t len = (size_t)((s[1] & 0x07u) << 8 | s[2]);
    if (len < DS_HDLC_MIN_LEN) return DS_PROBE_NO;
    ds_hdlc_info h;
    ds_hdlc_layout lay;
    size_t have = avail - 1 < len ? avail - 1 : len;
    int hdr = ds_hdlc_parse_header(s + 1, have, &h, &lay);
    if (have == len) return hdr == DS_HDLC_HDR_OK && fcs_ok(s + 1, len) ? DS_PROBE_FRAME : DS_PROBE_NO;
    if (hdr == DS_HDLC_HDR_INCOMPLETE) return DS_PROBE_MAYBE;
    if (hdr != DS_HDLC_HDR_OK) return DS_PROBE_NO;
    /* the HCS, once it is there, already tells a header from chance */
    if (lay.has_hcs && have >= lay.header_len + 2 &&
        ds_crc16_x25(s + 1, lay.header_len) != le16(s + 1 + lay.header_len))
        return DS_PROBE_NO;
    return DS_PROBE_MAYBE;
}
