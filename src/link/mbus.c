/* Wired M-Bus long frames (EN 13757-2): 68 L L 68 C A CI data CS 16. */
#include "link/framer_int.h"

#include <string.h>

#define MBUS_START 0x68u
#define MBUS_STOP 0x16u
#define MBUS_OVERHEAD 6u      /* 68 L L 68 ... CS 16 */
#define MBUS_MIN_L 3u         /* C A CI */
#define MBUS_DLMS_MIN_L 5u    /* C A CI STSAP DTSAP */

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

static int stop_ok(const uint8_t *s, size_t user_len) { return s[5 + user_len] == MBUS_STOP; }

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
    if (s[1] != s[2] || s[3] != MBUS_START) return DS_TRY_NOT_FRAME;
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
