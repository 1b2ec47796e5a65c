/* What a receiver of 7 data bits leaves of 8-bit HDLC frames (diagnose/serial_infer_int.h).
 *
 * 8N1 read at 7E1 or 7O1: the two character frames line up (start bit, 7 data bits, the
 * sender's bit 7 read as the parity bit, its stop bit as the stop bit), so every byte arrives
 * in its place with bit 7 lost: as b & 7F from a port that keeps bad characters, and from one
 * that zeroes them as b & 7F when bit 7 happened to be the parity the port expects, 00
 * otherwise. No frame check can pass then (the FCS covers every lost bit), but an HDLC frame
 * keeps its flags (7E has bit 7 clear), its frame format (A, bit 7 set, reads 2), its length
 * but for bit 7 of the low length byte, and a header so short that its check (HCS) still
 * tells: the header bits lost are one a byte (the addresses and the control byte), a few
 * ways to set them back (at most 2^8), and the HCS holds for one of them by chance once in
 * 2^14 (its low 7 bits a byte are compared): once in 2^6 at worst. Noise dense with 7E and 2x
 * bytes still makes such a header now and then (once in some hundred KB), so a frame must
 * also carry the LLC header of DLMS (E6 E6 00 or E6 E7 00, read as 66 66 00 or 66 67 00)
 * first in its information field, as pushes and first segments do, and the inference asks
 * for two such frames, never one alone. A port that zeroes bad characters leaves 00 for most
 * header bytes (bit 7 is the parity it checks about half the time): not looked into. */
#include "diagnose/serial_infer_int.h"

#include "link/crc16.h"
#include "link/hdlc.h"
#include "link/llc.h"

#define FORMAT_TYPE_A 0xA0u
#define MAX_ADDRESS_BYTES 4u
/* the header bytes whose bit 7 may be set back before the HCS tells too little */
#define MAX_LOST_BITS 8

/* The bytes of the header as they can have been sent, bit 7 of each set back both ways: whether
 * one way gives the HCS whose low 7 bits (a byte) were captured. */
static int hcs_can_hold(const uint8_t *c, size_t i, size_t header_len, uint16_t reg)
{
    if (i == header_len) {
        uint16_t hcs = ds_crc16_x25_final(reg);
        return (hcs & 0x7Fu) == c[header_len] && (hcs >> 8 & 0x7Fu) == c[header_len + 1];
    }
    for (unsigned bit7 = 0; bit7 <= (i < 2 ? 0u : 1u); bit7++) {
        uint8_t v = (uint8_t)(c[i] | bit7 << 7);
        if (hcs_can_hold(c, i + 1, header_len, ds_crc16_x25_update(reg, &v, 1))) return 1;
    }
    return 0;
}

/* The LLC header of DLMS, as a 7-bit port reads it, at the start of an information field. */
static int llc_first(const uint8_t *info, size_t avail)
{
    if (avail < DS_LLC_LEN) return 0;
    for (size_t i = 0; i < DS_LLC_LEN; i++)
        if (info[i] != (DS_LLC_COMMAND[i] & 0x7Fu) && info[i] != (DS_LLC_RESPONSE[i] & 0x7Fu)) return 0;
    return 1;
}

/* The length of an address field starting at a (its last byte has bit 0 set: a bit the
 * 7-bit port keeps), or 0. */
static size_t address_len(const uint8_t *a, size_t avail)
{
    for (size_t k = 0; k < MAX_ADDRESS_BYTES && k < avail; k++)
        if (a[k] & 1u) return k + 1;
    return 0;
}

/* One HDLC frame at s with the header checks above for one of the two lengths bit 7 of the
 * length byte leaves: its length with both flags, or 0. */
static size_t frame_with_length(const uint8_t *s, size_t avail, size_t len)
{
    if (len < DS_HDLC_MIN_LEN || len + 2 > avail || s[len + 1] != DS_HDLC_FLAG) return 0;
    /* the content: format, addresses, control, HCS; the format's bit 7 is known (type A) */
    uint8_t c[2 + 2 * MAX_ADDRESS_BYTES + 1 + 2];
    c[0] = (uint8_t)(s[1] | FORMAT_TYPE_A);
    c[1] = (uint8_t)(len & 0xFFu);
    size_t dst = address_len(s + 3, len - 2);
    size_t src = dst ? address_len(s + 3 + dst, len - 2 - dst) : 0;
    if (!src) return 0;
    size_t header_len = 2 + dst + src + 1;
    if (len < header_len + 2 + 2 + 1) return 0; /* no information field: no HCS */
    if (header_len - 2 > MAX_LOST_BITS || !llc_first(s + 1 + header_len + 2, len - header_len - 2)) return 0;
    for (size_t i = 2; i < header_len + 2; i++) c[i] = s[1 + i];
    return hcs_can_hold(c, 0, header_len, DS_CRC16_X25_INIT) ? len + 2 : 0;
}

size_t si_seven_bit_hdlc_at(const uint8_t *s, size_t avail)
{
    if (avail < 3 || s[0] != DS_HDLC_FLAG || (s[1] & 0xF0u) != (FORMAT_TYPE_A & 0x7Fu)) return 0;
    size_t len = (size_t)(s[1] & 0x07u) << 8 | s[2];
    size_t got = frame_with_length(s, avail, len);
    return got ? got : frame_with_length(s, avail, len | 0x80u);
}
