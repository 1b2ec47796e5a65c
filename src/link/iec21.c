/* IEC 62056-21 data telegrams: see iec21.h. */
#include "link/iec21.h"

#define IEC21_MIN_DATA 3u  /* "!" CR LF */

static int telegram_char(uint8_t b) { return (b >= 0x20u && b < 0x7Fu) || b == '\r' || b == '\n'; }

size_t ds_iec21_telegram_len(const uint8_t *s, size_t avail)
{
    if (avail < 2 + IEC21_MIN_DATA + 1 || s[0] != DS_IEC21_STX) return 0;
    uint8_t bcc = 0;
    for (size_t i = 1; i + 1 < avail; i++) {
        bcc ^= s[i];
        if (s[i] == DS_IEC21_ETX) {
            if (i < 1 + IEC21_MIN_DATA || s[i - 3] != '!' || s[i - 2] != '\r' || s[i - 1] != '\n') return 0;
            return s[i + 1] == bcc ? i + 2 : 0;
        }
        if (!telegram_char(s[i])) return 0;
    }
    return 0;
}
