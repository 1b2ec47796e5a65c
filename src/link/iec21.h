/* IEC 62056-21 data telegrams (modes A-E readout): STX, data lines, "!" CR LF ETX, then the
 * block check character BCC (the XOR of every byte after STX up to and including ETX). The
 * framer does not read them (they carry no DLMS); the serial-settings inference counts them as
 * evidence that a setting delivers a meter's real bytes. */
#ifndef DS_LINK_IEC21_H
#define DS_LINK_IEC21_H

#include <stddef.h>
#include <stdint.h>

#define DS_IEC21_STX 0x02u
#define DS_IEC21_ETX 0x03u

/* s[0] is STX: the length of a whole telegram with a good BCC that starts there (STX .. BCC),
 * or 0. Its data must be printable ASCII, CR and LF, and end with "!" CR LF, so that a chance
 * STX .. ETX pair of binary bytes is not taken for one. */
size_t ds_iec21_telegram_len(const uint8_t *s, size_t avail);

#endif
