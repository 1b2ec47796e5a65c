/* What a receiver of 7 data bits leaves of 8-bit HDLC frames, and of HDLC and M-Bus frames when
 * it zeroes bad characters (diagnose/serial_infer_int.h).
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
 * header bytes (bit 7 is the parity it checks about half the time): the HCS cannot tell then,
 * and the chains of frames at the end of this file are weighed instead. */
#include "diagnose/serial_infer_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose/uart.h"
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

/* ---- 8N1 read at 7E1 by a port that zeroes bad characters ------------------------------------
 *
 * The 7E1 port samples the sender's bit 7 as its parity bit and the sender's stop bit as its
 * stop bit (no framing error ever): a character passes when the 8-bit byte has even weight and
 * arrives as its low 7 bits, from which the byte is had back whole (bit 7 is their parity);
 * the others arrive as 00. 7E and A0 have even weight and survive, 68 and 16 odd weight and
 * always read 00. So an HDLC frame keeps its flags, its format byte (A0 reads 20) and, when
 * that has even weight, its length byte, with the closing flag where the length says
 * (otherwise the length reads 00 and the flag stands at one of the 129 lengths it can have);
 * an M-Bus frame reads 00 L L 00 ... 00 with L whole when of even weight and its stop byte 00
 * where L says. Within a frame nothing can be checked (the FCS and the checksum cover zeroed
 * bytes), but pushes follow each other back to back in a capture (the idle line between them
 * leaves no byte), so the frames make a chain, each starting where the last ended. A chain is
 * weighed by the bytes it forces (flags, format, the second L, the 00 of 68 and 16) as they are
 * rare in the capture itself: -log2 of each forced value's share after a byte like the one
 * before it (00 or not; the second L as a byte repeating the one before, if that is rarer),
 * less the places a chain could start and the lengths a zeroed length byte leaves open; 40
 * bits are asked for (ZEROED_MIN_BITS). Noise dense with 7E and 2x bytes makes chains, but
 * there its flags weigh little; bytes full of 00 runs and repeated bytes (text, tables of a
 * program) make 00 L L 00 ... 00 chains, but there 00 after 00 and repeats weigh little.
 * Measured (make serial-matrix; build/release/dlmscope-serial-chunks -z over program files):
 * three Kamstrup pushes 48 bits, three Netz NOe pushes 43, ten of any vector 39 to 181, three
 * Kaifa HDLC pushes (every length byte 00) 20 and three TINETZ 8; 7-bit chunks of programs
 * at most 1.2. */

#define ZEROED_MIN_BITS 40.0
#define ZEROED_SCAN (64u * 1024u)     /* bytes looked at: chains enough, bounded time */
#define ZEROED_LENGTHS 129.0          /* a length byte read as 00: 00 or one of 128 of odd weight */
#define MBUS_FRAME_OVERHEAD 6u        /* 68 L L 68 ... CS 16 */
#define MBUS_MIN_L 3u

typedef struct zeroed_chain {
    const uint8_t *p;
    size_t n;
    double cost[2][256]; /* [the byte before is not 00][value]: bits a forced byte weighs, -log2 the
                            share of that value after such a byte (bytes full of 00 runs make 00
                            after 00 cheap) */
    double repeat;       /* bits a byte weighs that repeats the one before (not 00) */
    double *bits;      /* [i]: evidence of the best chain from a frame at i (0: none) */
    size_t *frames, *bytes;
} zeroed_chain;

static uint8_t even_weight_byte(uint8_t low7) { return (uint8_t)(low7 | ds_uart_parity_bit(low7, 7, DS_PARITY_EVEN) << 7); }

/* The bits the byte at i weighs where a frame forces it. */
static double forced(const zeroed_chain *z, size_t i) { return z->cost[i > 0 && z->p[i - 1] != 0][z->p[i]]; }

/* The costs, from the capture's own bytes (pairs of a byte and the one before it). */
static void weigh_bytes(zeroed_chain *z)
{
    size_t after[2][256] = {{0}}, total[2] = {0}, repeats = 0;
    for (size_t i = 1; i < z->n; i++) {
        int nonzero = z->p[i - 1] != 0;
        after[nonzero][z->p[i]]++;
        total[nonzero]++;
        repeats += nonzero && z->p[i] == z->p[i - 1];
    }
    for (int c = 0; c < 2; c++)
        for (int b = 0; b < 256; b++)
            z->cost[c][b] = -log2(((double)after[c][b] + 0.5) / ((double)total[c] + 0.5));
    z->repeat = -log2(((double)repeats + 0.5) / ((double)total[1] + 0.5));
}

/* The chain from a frame of len bytes at i worth frame_bits (a frame at i + len may follow). */
static void take_chain(zeroed_chain *z, size_t i, size_t len, double frame_bits)
{
    size_t next = i + len;
    double bits = frame_bits + (next < z->n ? z->bits[next] : 0);
    if (bits <= z->bits[i]) return;
    z->bits[i] = bits;
    z->frames[i] = 1 + (next < z->n ? z->frames[next] : 0);
    z->bytes[i] = len + (next < z->n ? z->bytes[next] : 0);
}

/* An M-Bus frame of length byte l at i whose stop byte reads 00. */
static void zeroed_mbus_with_length(zeroed_chain *z, size_t i, size_t l, double bits)
{
    if (l < MBUS_MIN_L || z->n - i < l + MBUS_FRAME_OVERHEAD || z->p[i + l + 5]) return;
    take_chain(z, i, l + MBUS_FRAME_OVERHEAD, bits + forced(z, i + l + 5));
}

/* An M-Bus frame at i as 00 L L 00 ... 00: L whole (even weight) or 00 (odd weight: the frame
 * is then one of 128 lengths, and worth less than nothing alone, but the chain goes on). */
static void zeroed_mbus_at(zeroed_chain *z, size_t i)
{
    const uint8_t *s = z->p + i;
    if (z->n - i < MBUS_FRAME_OVERHEAD + MBUS_MIN_L || s[0] || s[3] || s[1] != s[2]) return;
    double second_l = forced(z, i + 2);
    if (s[1] && z->repeat < second_l) second_l = z->repeat;
    double bits = forced(z, i) + second_l + forced(z, i + 3);
    if (s[1]) {
        zeroed_mbus_with_length(z, i, even_weight_byte(s[1]), bits);
        return;
    }
    bits -= log2(ZEROED_LENGTHS - 1);
    for (unsigned l = 0; l < 256; l++)
        if (ds_uart_parity_bit(l, 8, DS_PARITY_EVEN)) zeroed_mbus_with_length(z, i, l, bits);
}

/* An HDLC frame of content length len at i whose closing flag holds; the next frame may share
 * it (start at it) or follow it. */
static void zeroed_hdlc_with_length(zeroed_chain *z, size_t i, size_t len, double head_bits)
{
    if (len < DS_HDLC_MIN_LEN || i + len + 2 > z->n || z->p[i + len + 1] != DS_HDLC_FLAG) return;
    double closing = forced(z, i + len + 1);
    /* shared: the closing flag is the next frame's opening flag, weighed there */
    take_chain(z, i, len + 1, head_bits - 1.0);
    double bits = head_bits + closing;
    take_chain(z, i, len + 2, bits - 1.0);
}

/* An HDLC frame at i: 7E, the format byte whole (A0 ... A7 of even weight), the length byte
 * whole or 00. */
static void zeroed_hdlc_at(zeroed_chain *z, size_t i)
{
    const uint8_t *s = z->p + i;
    if (z->n - i < 3 || s[0] != DS_HDLC_FLAG) return;
    uint8_t format = even_weight_byte(s[1]);
    if ((format & 0xF8u) != FORMAT_TYPE_A) return;
    size_t high = (size_t)(format & 0x07u) << 8;
    double head_bits = forced(z, i) + forced(z, i + 1);
    if (s[2]) {
        zeroed_hdlc_with_length(z, i, high | even_weight_byte(s[2]), head_bits);
        return;
    }
    head_bits -= log2(ZEROED_LENGTHS);
    for (unsigned low = 0; low < 256; low++)
        if (low == 0 || ds_uart_parity_bit(low, 8, DS_PARITY_EVEN)) zeroed_hdlc_with_length(z, i, high | low, head_bits);
}

int si_seven_bit_zeroed_chain(const uint8_t *p, size_t n, frame_count *fc, int *hdlc)
{
    memset(fc, 0, sizeof *fc);
    *hdlc = 0;
    if (n > ZEROED_SCAN) n = ZEROED_SCAN;
    if (n < 2 * MBUS_FRAME_OVERHEAD) return 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] & 0x80u) return 0; /* not from a port of 7 data bits */
    zeroed_chain z = {p, n, {{0}}, 0, calloc(n, sizeof(double)), calloc(n, sizeof(size_t)), calloc(n, sizeof(size_t))};
    int rc = -1;
    if (!z.bits || !z.frames || !z.bytes) goto done;
    weigh_bytes(&z);
    double best = 0;
    for (int kind = 0; kind <= 1; kind++) {
        memset(z.bits, 0, n * sizeof *z.bits);
        memset(z.frames, 0, n * sizeof *z.frames);
        memset(z.bytes, 0, n * sizeof *z.bytes);
        for (size_t i = n; i-- > 0;) { /* a chain's value from where it goes on */
            if (kind) zeroed_hdlc_at(&z, i);
            else zeroed_mbus_at(&z, i);
        }
        for (size_t i = 0; i < n; i++)
            if (z.frames[i] >= 2 && z.bits[i] > best) {
                best = z.bits[i];
                fc->frames = z.frames[i];
                fc->bytes = z.bytes[i];
                *hdlc = kind;
            }
    }
    rc = best - log2((double)n) >= ZEROED_MIN_BITS;
done:
    free(z.bits);
    free(z.frames);
    free(z.bytes);
    return rc;
}
