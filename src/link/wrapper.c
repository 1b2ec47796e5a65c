/* IEC 62056-47 wrapper: 00 01 | source wPort | destination wPort | length | APDU. */
#include "link/framer_int.h"

#define WRAPPER_HEADER 8u

/* The wrapper carries no checksum, so in a stream of unknown bytes "00 01" alone would start
 * a false frame every 64 KiB and swallow what follows. When not told that the stream is
 * wrapped, ask for more: wPorts are SAPs (small numbers), and the payload starts with an
 * APDU tag. */
static int plausible_in_auto(const ds_framer *fr, const uint8_t *s, size_t avail)
{
    unsigned src = (unsigned)(s[2] << 8 | s[3]), dst = (unsigned)(s[4] << 8 | s[5]);
    if (src > 0x3FF || dst > 0x3FF) return 0;
    if (avail <= WRAPPER_HEADER) return 1; /* the payload has not arrived: decided later */
    return !fr->raw_start_fn || fr->raw_start_fn(s[WRAPPER_HEADER]);
}

ds_try_result ds_try_wrapper(ds_framer *fr, size_t p, size_t avail, int final, size_t *consumed)
{
    const uint8_t *s = fr->buf + p;
    if (avail < 2) return final ? DS_TRY_NOT_FRAME : DS_TRY_NEED_MORE;
    if (s[0] != 0x00 || s[1] != 0x01) return DS_TRY_NOT_FRAME;  /* only version 1 exists */
    if (avail < WRAPPER_HEADER) return final ? DS_TRY_NOT_FRAME : DS_TRY_NEED_MORE;
    size_t length = (size_t)(s[6] << 8 | s[7]);
    if (length == 0) return DS_TRY_NOT_FRAME;  /* a wrapper always carries an APDU */
    if (fr->kind == DS_LINK_AUTO && !plausible_in_auto(fr, s, avail)) return DS_TRY_NOT_FRAME;
    size_t total = WRAPPER_HEADER + length;
    if (avail < total && !final) return DS_TRY_NEED_MORE;
    if (fr->kind == DS_LINK_AUTO && fr->record_had_checked_frame) {
        /* Among checked frames a wrapper proves itself by ending where the record ends or
         * where the next frame begins; a false header in noise almost never does. */
        if (avail < total) return DS_TRY_NOT_FRAME;
        if (avail == total && !final) return DS_TRY_NEED_MORE;
        if (avail > total && !ds_framer_is_sync(s[total])) return DS_TRY_NOT_FRAME;
    }

    size_t have = avail < total ? avail : total;
    ds_frame f;
    ds_framer_frame_init(fr, &f, DS_LINK_WRAPPER, p, have);
    f.u.wrapper = (ds_wrapper_info){
        .version = 1,
        .src_port = (uint16_t)(s[2] << 8 | s[3]),
        .dst_port = (uint16_t)(s[4] << 8 | s[5]),
        .length = (uint16_t)length,
    };
    f.info = s + WRAPPER_HEADER;
    f.info_len = have - WRAPPER_HEADER;
    f.info_offset = f.offset + WRAPPER_HEADER;
    if (have < total) {
        f.complete = 0;
        f.checks_ok = 0;
        ds_framer_frame_diag(fr, DS_D_FRAME_TRUNCATED, DS_SEV_ERROR, f.offset,
                             "wrapper announces %zu APDU bytes, only %zu present", length, f.info_len);
    }
    ds_framer_deliver(fr, &f);
    *consumed = have;
    return DS_TRY_DONE;
}
