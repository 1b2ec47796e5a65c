/* CRC-16/X.25 in pieces: the HDLC FCS covers the header that the HCS already covered, so a
 * reader checks the HCS and carries the same register on through the frame instead of
 * starting over. ds_crc16_x25(p, n) == final(update(INIT, p, n)), however p is split. */
#ifndef DS_LINK_CRC16_H
#define DS_LINK_CRC16_H

#include <stddef.h>
#include <stdint.h>

#define DS_CRC16_X25_INIT 0xFFFFu

/* The register after shifting n more bytes through it. */
uint16_t ds_crc16_x25_update(uint16_t reg, const uint8_t *p, size_t n);

/* The check value of a register. */
static inline uint16_t ds_crc16_x25_final(uint16_t reg) { return (uint16_t)(reg ^ 0xFFFFu); }

#endif
