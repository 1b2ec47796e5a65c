/* Wired M-Bus frames (EN 13757-2): long frames 68 L L 68 C A CI data CS 16, which carry
 * DLMS, and the short frame 10 C A CS 16 and single character E5 that a master and a meter
 * exchange around them (requests, acknowledgements). */
#include "link/framer_int.h"

#include <string.h>

#define MBUS_OVERHEAD 6u      /* 68 L L 68 ... CS 16 */
#define MBUS_MIN_L 3u         /* C A CI */
#define MBUS_DLMS_MIN_L 5u    /* C A CI STSAP DTSAP */
#define MBUS_SHORT_LEN 5u     /* 10 C A CS 16 */

/* Sum of n bytes, modulo 256. Eight bytes are added at a time as four 16-bit lanes (even
 * and odd bytes apart); a lane gains at most 2 * 255 a step, so it cannot overflow within
 * 128 steps, and a frame has at most 511 user bytes (64 steps). */
static uint8_t byte_sum(const uint8_t *p, size_t n)
{
    const uint64_t even = 0x00FF00FF00FF00FFull;
    uint64_t lanes = 0;
    size_t i = 0;
    for (; n - i >= 8 && i < 8 * 128; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        lanes += (w & even) + ((w >> 8) & even);
    }
    unsigned sum = (unsigned)(lanes + (lanes >> 16) + (lanes >> 32) + (lanes >> 48));
    for (; i < n; i++) sum += p[i];
    return (uint8_t)sum;
}

/* Checks of a long frame whose L counts user_len bytes: 1 ok, 0 bad. */
static uint8_t checksum(const uint8_t *s, size_t user_len)
{
    return byte_sum(s + 4, user_len);
}

static int checksum_ok(const uint8_t *s, size_t user_len) { return checksum(s, user_len) == s[4 + user_len]; }

static int stop_ok(const uint8_t *s, size_t user_len) { return s[5 + user_len] == DS_MBUS_STOP; }

/* Delivers a frame of user_len user bytes (C..last data byte), of which the
 * buffer holds `have` frame bytes. */
static void deliver(ds_framer *fr, size_t p, size_t have, size_t user_len, int quirk, int cs, int stop)
{
    const uint8_t *s = fr->buf + p;
    size_t total = user_len + MBUS_OVERHEAD;
    ds_frame f;
    ds_framer_frame_init(fr, &f, DS_LINK_MBUS, p, have);
    ds_mbus_info *m = &f.u.mbus;
    *m = (ds_mbus_info){0};
    m->l_field = s[1];
    m->l_quirk = quirk;
    m->c = have > 4 ? s[4] : 0;
    m->a = have > 5 ? s[5] : 0;
    m->ci = have > 6 ? s[6] : 0;
    m->checksum_ok = have < total ? -1 : cs;
    m->has_tsap = have > 6 && m->ci <= 0x1Fu && user_len >= MBUS_DLMS_MIN_L;
    m->seq = have > 6 && m->ci <= 0x1Fu ? (m->ci & 0x0F) : -1;
    m->fin = have > 6 && m->ci <= 0x1Fu ? (m->ci >> 4) & 1 : 1;
    if (m->has_tsap) {
        m->stsap = have > 7 ? s[7] : 0;
        m->dtsap = have > 8 ? s[8] : 0;
    }
    size_t info_pos = m->has_tsap ? 9 : 7;
    size_t info_end = 4 + user_len;
    if (info_end > have) info_end = have;
    if (info_end > info_pos) {
        f.info = s + info_pos;
        f.info_len = info_end - info_pos;
    }
    f.info_offset = f.offset + info_pos;

    if (quirk)
        ds_framer_frame_diag(fr, DS_D_FRAME_LENGTH_QUIRK, DS_SEV_WARNING, f.offset + 1,
                             "L field %u is too small; the frame holds %zu user bytes (L + 256)", s[1], user_len);
    if (have < total) {
        f.complete = 0;
        ds_framer_frame_diag(fr, DS_D_FRAME_TRUNCATED, DS_SEV_ERROR, f.offset,
                             "M-Bus frame of %zu bytes cut after %zu bytes", total, have);
    } else {
        if (!cs)
            ds_framer_frame_diag(fr, DS_D_FRAME_CHECKSUM, DS_SEV_ERROR, f.offset + 4 + user_len,
                                 "checksum %02X does not match the frame (computed %02X)", s[4 + user_len],
                                 checksum(s, user_len));
        if (!stop)
            ds_framer_frame_diag(fr, DS_D_FRAME_BAD_LENGTH, DS_SEV_WARNING, f.offset + 5 + user_len,
                                 "no stop byte 16 where the L field ends the frame");
    }
    f.checks_ok = have >= total && cs && stop;
    ds_framer_deliver(fr, &f);
}

ds_try_result ds_try_mbus(ds_framer *fr, size_t p, size_t avail, int final, size_t *consumed)
{
    const uint8_t *s = fr->buf + p;
    if (avail < 4) return final ? DS_TRY_NOT_FRAME : DS_TRY_NEED_MORE;
    if (s[1] != s[2] || s[3] != DS_MBUS_LONG_START) return DS_TRY_NOT_FRAME;
    size_t l = s[1];
    int plain_cs = 0, plain_stop = 0;
    if (l >= MBUS_MIN_L) {
        if (avail < l + MBUS_OVERHEAD) {
            if (!final) return DS_TRY_NEED_MORE;
            if (l >= MBUS_DLMS_MIN_L) {
                deliver(fr, p, avail, l, 0, -1, 0);
                *consumed = avail;
                return DS_TRY_DONE;
            }
        } else {
            plain_cs = checksum_ok(s, l);
            plain_stop = stop_ok(s, l);
            if ((plain_cs && plain_stop) || l >= MBUS_DLMS_MIN_L) {
                if (!plain_cs && !plain_stop) return DS_TRY_NOT_FRAME;  /* resynchronise */
                deliver(fr, p, l + MBUS_OVERHEAD, l, 0, plain_cs, plain_stop);
                *consumed = l + MBUS_OVERHEAD;
                return DS_TRY_DONE;
            }
        }
    }
    /* L too small for DLMS: some meters write only the low byte of 256 + L. */
    size_t big = l + 256;
    if (avail < big + MBUS_OVERHEAD) {
        if (!final) return DS_TRY_NEED_MORE;
        if (avail <= 7) return DS_TRY_NOT_FRAME;
        deliver(fr, p, avail, big, 1, -1, 0);
        *consumed = avail;
        return DS_TRY_DONE;
    }
    if (checksum_ok(s, big) && stop_ok(s, big)) {
        deliver(fr, p, big + MBUS_OVERHEAD, big, 1, 1, 1);
        *consumed = big + MBUS_OVERHEAD;
        return DS_TRY_DONE;
    }
    if (l >= MBUS_MIN_L && plain_stop) {
        deliver(fr, p, l + MBUS_OVERHEAD, l, 0, plain_cs, plain_stop);
        *consumed = l + MBUS_OVERHEAD;
        return DS_TRY_DONE;
    }
    return DS_TRY_NOT_FRAME;
}

ds_probe_result ds_probe_mbus(const uint8_t *s, size_t avail)
{
    if (s[0] == DS_MBUS_SHORT_START) {
        if (avail < MBUS_SHORT_LEN) return DS_PROBE_MAYBE;
        return (uint8_t)(s[1] + s[2]) == s[3] && s[4] == DS_MBUS_STOP ? DS_PROBE_FRAME : DS_PROBE_NO;
    }
    if (avail < 4) return DS_PROBE_MAYBE;
    if (s[1] != s[2] || s[3] != DS_MBUS_LONG_START || s[1] < MBUS_MIN_L) return DS_PROBE_NO;
    size_t l = s[1];
    if (avail < l + MBUS_OVERHEAD) return DS_PROBE_MAYBE;
    return checksum_ok(s, l) && stop_ok(s, l) ? DS_PROBE_FRAME : DS_PROBE_NO;
}

/* Delivers a short frame or the E5 character: no CI, no data, nothing to check but what
 * the caller checked. */
static void deliver_control(ds_framer *fr, size_t p, ds_mbus_form form, size_t len)
{
    const uint8_t *s = fr->buf + p;
    ds_frame f;
    ds_framer_frame_init(fr, &f, DS_LINK_MBUS, p, len);
    f.u.mbus = (ds_mbus_info){.form = form, .checksum_ok = 1, .seq = -1, .fin = 1};
    if (form == DS_MBUS_SHORT) {
        f.u.mbus.c = s[1];
        f.u.mbus.a = s[2];
    }
    f.info_offset = f.offset + len;
    ds_framer_deliver(fr, &f);
}

/* The unchecked forms, and the short frame that only a one-byte sum checks, must be followed
 * by the end of the record or by another frame when the stream is not known to be M-Bus:
 * 1 yes, 0 no, -1 not known yet. */
static int followed_well(const ds_framer *fr, size_t p, size_t avail, size_t len, int final)
{
    if (fr->kind == DS_LINK_MBUS) return 1;
    if (avail == len) return final ? 1 : -1;
    return ds_framer_is_sync(fr->buf[p + len]);
}

ds_try_result ds_try_mbus_short(ds_framer *fr, size_t p, size_t avail, int final, size_t *consumed)
{
    if (avail < MBUS_SHORT_LEN) return final ? DS_TRY_NOT_FRAME : DS_TRY_NEED_MORE;
    if (ds_probe_mbus(fr->buf + p, avail) != DS_PROBE_FRAME) return DS_TRY_NOT_FRAME;
    int ok = ds_framer_off(fr, p) == fr->after_frame_off ? 1 : followed_well(fr, p, avail, MBUS_SHORT_LEN, final);
    if (ok < 0) return DS_TRY_NEED_MORE;
    if (!ok) return DS_TRY_NOT_FRAME;
    deliver_control(fr, p, DS_MBUS_SHORT, MBUS_SHORT_LEN);
    *consumed = MBUS_SHORT_LEN;
    return DS_TRY_DONE;
}

ds_try_result ds_try_mbus_ack(ds_framer *fr, size_t p, size_t avail, int final, size_t *consumed)
{
    /* E5 carries no check at all: only where a frame may begin (see after_frame_off) and
     * followed by the end or another frame */
    if (ds_framer_off(fr, p) != fr->after_frame_off) return DS_TRY_NOT_FRAME;
    int ok = followed_well(fr, p, avail, 1, final);
    if (ok < 0) return DS_TRY_NEED_MORE;
    if (!ok) return DS_TRY_NOT_FRAME;
    deliver_control(fr, p, DS_MBUS_ACK, 1);
    *consumed = 1;
    return DS_TRY_DONE;
}
