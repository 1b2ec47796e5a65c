/* CRC-16/X.25 (ISO 13239 FCS-16): the HDLC header and frame check sequences. */
#include "dlmscope/frame.h"

/* Reflected polynomial 0x1021 -> 0x8408; a 256-entry table built once is
 * cheap, but computing the byte step inline keeps the code free of
 * initialisation order concerns and is fast enough for link-level volumes. */
static uint16_t crc_step(uint16_t crc, uint8_t byte)
{
    crc ^= byte;
    for (int bit = 0; bit < 8; bit++) crc = (crc & 1u) ? (uint16_t)((crc >> 1) ^ 0x8408u) : (uint16_t)(crc >> 1);
    return crc;
}

uint16_t ds_crc16_x25(const uint8_t *p, size_t n)
{
    uint16_t crc = 0xFFFFu;
    for (size_t i = 0; i < n; i++) crc = crc_step(crc, p[i]);
    return (uint16_t)(crc ^ 0xFFFFu);
}
