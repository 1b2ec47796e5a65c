/* Frames with good checks (checked.h), by the framing readers' own probes. */
#include "link/checked.h"

#include "link/framer_int.h"
#include "link/hdlc.h"
#include "link/iec21.h"

#define MBUS_OVERHEAD 6u /* 68 L L 68 .. CS 16 */

size_t ds_checked_frame_at(const uint8_t *s, size_t avail)
{
    if (avail == 0) return 0;
    if (s[0] == DS_HDLC_FLAG) {
        if (avail < 3 || ds_probe_hdlc(s, avail) != DS_PROBE_FRAME) return 0;
        return (size_t)((s[1] & 0x07u) << 8 | s[2]) + 2;
    }
    if (s[0] == DS_MBUS_LONG_START) {
        if (avail < 4 || ds_probe_mbus(s, avail) != DS_PROBE_FRAME) return 0;
        return (size_t)s[1] + MBUS_OVERHEAD;
    }
    if (s[0] == DS_IEC21_STX) return ds_iec21_telegram_len(s, avail);
    return 0;
}

size_t ds_checked_frames(const uint8_t *p, size_t n, size_t *bytes)
{
    size_t frames = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = ds_checked_frame_at(p + i, n - i);
        if (!len) continue;
        frames++;
        total += len;
        /* an HDLC closing flag may open the next frame */
        i += p[i] == DS_HDLC_FLAG ? len - 2 : len - 1;
    }
    if (bytes) *bytes = total;
    return frames;
}
