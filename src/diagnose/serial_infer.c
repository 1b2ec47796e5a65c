/* Wrong serial settings, found from the bits (include/dlmscope/serial_infer.h).
 *
 * The capture is what a receiver at one setting delivered. Each hypothesis names the sender's
 * setting; the line is rebuilt as the receiver sampled it, sampled again by a UART at the
 * sender's setting (diagnose/uart.c), and the result is scanned with the link layer's own frame
 * checks (HDLC FCS, M-Bus checksum and stop byte, IEC 62056-21 BCC). Frames with good checks
 * are the first evidence a hypothesis gets: chance cannot make two of them, nor a long one.
 * Where bits were lost no frame comes back; then the byte values a receiver can deliver (the
 * alphabets in serial_alphabet.c) and the bits a faster sender's, an inverted line's or a
 * parity-less sender's character frame forces (the chains in serial_faster.c) are weighed
 * instead, and last the first characters an inverted line delivers from each frame after its
 * idle break (serial_signature.c), and named as statistical.
 *
 * Why nothing is recovered where bits were lost, even when the receiver sampled faster: between
 * two characters the receiver sat waiting for an edge, and the bytes keep no time, so the
 * lengths of the runs it did not look at are unknown. A bounded search over those lengths,
 * pruned by the sender's character frame and the HDLC/M-Bus structure and checks, was tried
 * (2026-12): sending every 3-byte string through each pair of settings, the sender strings
 * that give one and the same received bytes number 34 on average for an inverted 8N1 line,
 * 22.6 inverted 8E1, 49.4 for 8N1 read at 8E1, 8 for 8N1 read at 7E1 (bit 7), 80.6 for a
 * receiver twice as fast and 1361 four times as fast: 1 to 3.5 open bits a byte against 16
 * to 32 bits of checks a frame, and a wide search found HDLC frames with good HCS and FCS that
 * were never sent. Only 8E1 read at 8N1 and odd read at even parity came back unique, and a
 * port that keeps bad characters delivers those bytes whole already (serial.ok). */
#include "dlmscope/serial_infer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose/serial_infer_int.h"
#include "diagnose/uart.h"
#include "link/checked.h"
#include "dlmscope/frame.h"
#include "link/framer_int.h"
#include "link/hdlc.h"
#include "link/iec21.h"

#define MBUS_OVERHEAD 6u

/* Every hypothesis is scored on this many bytes first; the best few on the whole capture. */
#define PREFIX_BYTES 3072u
#define FINALISTS 4

/* A single frame is evidence enough when it is at least this long and covers this share of
 * the bytes (a whole push frame); otherwise two frames are needed. */
#define LONE_FRAME_MIN 32u
#define LONE_FRAME_SHARE 0.5

static const unsigned long USUAL_BAUDS[] = {300, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200};
/* A capture of unknown baud is tried as these receivers, so that a ratio is shown against the
 * most likely one first. */
static const unsigned long RX_BAUDS[] = {9600, 2400, 115200, 19200, 4800, 38400, 57600, 1200, 300};
#define N_USUAL (sizeof USUAL_BAUDS / sizeof USUAL_BAUDS[0])

/* ---- frames with good checks ------------------------------------------------------------- */


/* A receiver of 7 data bits drops bit 7 of every byte: an 8-bit M-Bus frame read so keeps its
 * 68 L L 68 and 16 bytes and the low 7 bits of its checksum (the dropped bits add multiples of
 * 128 to the sum). The length of such a frame at s, or 0. */
static size_t seven_bit_mbus_at(const uint8_t *s, size_t avail)
{
    if (avail < 4 || s[0] != DS_MBUS_LONG_START || s[3] != DS_MBUS_LONG_START || s[1] != s[2]) return 0;
    for (unsigned high = 0; high <= 0x80u; high += 0x80u) {
        size_t l = (size_t)(s[1] | high);
        if (l < 3 || avail < l + MBUS_OVERHEAD || s[l + 5] != DS_MBUS_STOP) continue;
        unsigned sum = 0;
        for (size_t i = 0; i < l; i++) sum += s[4 + i];
        if (((sum ^ s[4 + l]) & 0x7Fu) == 0) return l + MBUS_OVERHEAD;
    }
    return 0;
}

/* Which frames count. A receiver of 7 data bits cannot deliver HDLC or M-Bus bytes whole: from
 * it only IEC 62056-21 telegrams count as frames, and M-Bus and HDLC frames by what is left of
 * their checks (seven_bit_mbus_at, si_seven_bit_hdlc_at) are counted apart, as evidence without
 * recovery. */
typedef enum frame_kinds {
    EIGHT_BIT_FRAMES,
    SEVEN_BIT_TELEGRAMS,
    SEVEN_BIT_MBUS,
    SEVEN_BIT_HDLC,
    SEVEN_BIT_ZEROED_MBUS, /* chains of frames a 7E1 port that zeroes bad characters left (not counted here) */
    SEVEN_BIT_ZEROED_HDLC
} frame_kinds;

static void count_frames(const uint8_t *p, size_t n, frame_kinds kinds, frame_count *fc)
{
    memset(fc, 0, sizeof *fc);
    for (size_t i = 0; i < n; i++) {
        uint8_t b = p[i];
        if (b != DS_HDLC_FLAG && b != DS_MBUS_LONG_START && b != DS_IEC21_STX) continue;
        size_t len;
        if (kinds == EIGHT_BIT_FRAMES) len = ds_checked_frame_at(p + i, n - i);
        else if (kinds == SEVEN_BIT_TELEGRAMS) len = b == DS_IEC21_STX ? ds_iec21_telegram_len(p + i, n - i) : 0;
        else if (kinds == SEVEN_BIT_MBUS) len = b == DS_MBUS_LONG_START ? seven_bit_mbus_at(p + i, n - i) : 0;
        else len = b == DS_HDLC_FLAG ? si_seven_bit_hdlc_at(p + i, n - i) : 0;
        if (!len) continue;
        fc->frames++;
        fc->bytes += len;
        if (len > fc->longest) fc->longest = len;
        /* an HDLC closing flag may open the next frame */
        i += b == DS_HDLC_FLAG ? len - 2 : len - 1;
    }
}

/* Frames that chance cannot explain. */
static int convincing(const frame_count *fc, size_t n)
{
    if (fc->frames >= 2) return 1;
    return fc->frames == 1 && fc->longest >= LONE_FRAME_MIN && (double)fc->longest >= LONE_FRAME_SHARE * (double)n;
}

/* ---- rebuilding the line a receiver sampled --------------------------------------------- */

/* Appends the line that made the receiver at r deliver byte v, for a sender whose bit lasts
 * sender_bit ticks. The start, data and parity bits are as sampled (the parity bit as r
 * expects it: a mismatch leaves no trace in the byte). What lies between the stop sample and
 * the next start edge was not seen; when the sender is at least twice as slow, its bit grid
 * says where the next edge can be: at the first sender bit boundary after the stop sample, and
 * when that sample fell in a space bit (the bit before it read space, in the same sender bit:
 * a framing error) the receiver waited for a mark first, at least one sender bit. */
static int rebuild_char(ds_uart_line *l, const ds_serial_settings *r, uint64_t rbit, uint64_t sender_bit, unsigned v)
{
    int rc = ds_uart_line_add(l, 0, rbit);
    int last = 0;
    for (int i = 0; i < r->data_bits && rc == 0; i++) {
        last = (int)((v >> i) & 1u);
        rc = ds_uart_line_add(l, last, rbit);
    }
    if (rc == 0 && r->parity != DS_PARITY_NONE) {
        last = ds_uart_parity_bit(v, r->data_bits, r->parity);
        rc = ds_uart_line_add(l, last, rbit);
    }
    if (rc) return rc;
    int stop_index = 1 + r->data_bits + (r->parity != DS_PARITY_NONE);
    if (sender_bit < 2 * rbit) return ds_uart_line_add(l, 1, rbit * (uint64_t)r->stop_bits);
    uint64_t stop_sample = (uint64_t)stop_index * rbit + rbit / 2;
    uint64_t boundary = (stop_sample / sender_bit + 1) * sender_bit;
    uint64_t so_far = (uint64_t)stop_index * rbit;
    int same_sender_bit = (so_far - rbit / 2) / sender_bit == stop_sample / sender_bit;
    if (same_sender_bit && last == 0) {
        rc = ds_uart_line_add(l, 0, boundary - so_far);
        return rc ? rc : ds_uart_line_add(l, 1, sender_bit);
    }
    return ds_uart_line_add(l, 1, boundary - so_far);
}

static int rebuild(ds_uart_line *l, const uint8_t *p, size_t n, const ds_serial_settings *r, uint64_t sender_bit)
{
    uint64_t rbit = ds_uart_bit_ticks(r->baud);
    ds_uart_line_clear(l);
    if (ds_uart_line_add(l, 1, 16 * (rbit > sender_bit ? rbit : sender_bit)) != 0) return -1; /* idle before */
    for (size_t i = 0; i < n; i++)
        if (rebuild_char(l, r, rbit, sender_bit, p[i]) != 0) return -1;
    return ds_uart_line_add(l, 1, 16 * (rbit > sender_bit ? rbit : sender_bit));
}

/* ---- hypotheses --------------------------------------------------------------------------- */


static int add_hyp(hyp_list *hl, const ds_serial_settings *r, const ds_serial_settings *s, int inverted)
{
    if (hl->n == hl->cap) {
        size_t cap = hl->cap ? hl->cap * 2 : 256;
        hypothesis *h = realloc(hl->h, cap * sizeof *h);
        if (!h) return -1;
        hl->h = h;
        hl->cap = cap;
    }
    hypothesis *h = &hl->h[hl->n++];
    memset(h, 0, sizeof *h);
    h->receiver = *r;
    h->sender = *s;
    h->inverted = inverted;
    return 0;
}

static unsigned long gcd(unsigned long a, unsigned long b)
{
    while (b) {
        unsigned long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

void si_settings_of(ds_serial_settings *s, unsigned long baud, int data_bits, ds_parity parity)
{
    s->baud = baud;
    s->data_bits = data_bits;
    s->parity = parity;
    s->stop_bits = 1;
}

/* The sender baud rates tried against a receiver at rbaud: the usual ones and rbaud times
 * 2, 4, 8, 16 and their inverses (where the tick grid can hold them). */
static size_t sender_bauds(unsigned long rbaud, unsigned long *out)
{
    size_t k = 0;
    for (size_t i = 0; i < N_USUAL; i++) out[k++] = USUAL_BAUDS[i];
    for (unsigned f = 2; f <= 16; f *= 2) {
        out[k++] = rbaud * f;
        if (rbaud % f == 0) out[k++] = rbaud / f;
    }
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        if (!ds_uart_bit_ticks(out[i])) continue;
        int dup = 0;
        for (size_t j = 0; j < m; j++) dup |= out[j] == out[i];
        if (!dup) out[m++] = out[i];
    }
    return m;
}

static const struct {
    int data_bits;
    ds_parity parity;
} FORMATS[] = {{8, DS_PARITY_NONE}, {8, DS_PARITY_EVEN}, {8, DS_PARITY_ODD}, {7, DS_PARITY_EVEN}, {7, DS_PARITY_ODD}};
#define N_FORMATS (sizeof FORMATS / sizeof FORMATS[0])

/* Receiver formats tried when the capture's setting is not told. */
static const struct {
    int data_bits;
    ds_parity parity;
} RX_FORMATS[] = {{8, DS_PARITY_NONE}, {8, DS_PARITY_EVEN}, {7, DS_PARITY_EVEN}};
#define N_RX_FORMATS (sizeof RX_FORMATS / sizeof RX_FORMATS[0])

int si_same_frame_format(const ds_serial_settings *a, const ds_serial_settings *b)
{
    return a->data_bits == b->data_bits && a->parity == b->parity;
}

/* Ratio classes already present (sender/receiver), so that a receiver of unknown baud is not
 * tried twice at the same ratio. */
static int ratio_seen(const hyp_list *hl, const ds_serial_settings *r, unsigned long sbaud)
{
    for (size_t i = 0; i < hl->n; i++) {
        const hypothesis *h = &hl->h[i];
        if (!si_same_frame_format(&h->receiver, r)) continue;
        if ((unsigned long long)h->sender.baud * r->baud == (unsigned long long)sbaud * h->receiver.baud &&
            h->receiver.baud != r->baud)
            return 1;
    }
    return 0;
}

/* seven: the capture holds no byte with bit 7 set; an unknown receiver is then taken to have 7
 * data bits, and otherwise 8 (a 7-bit receiver cannot deliver such a byte). */
static int enumerate(hyp_list *hl, const ds_serial_settings *told, int seven)
{
    size_t nr = told ? 1 : N_USUAL * N_RX_FORMATS;
    for (size_t ri = 0; ri < nr; ri++) {
        ds_serial_settings r;
        if (told) r = *told;
        else si_settings_of(&r, RX_BAUDS[ri / N_RX_FORMATS], RX_FORMATS[ri % N_RX_FORMATS].data_bits,
                         RX_FORMATS[ri % N_RX_FORMATS].parity);
        if (!ds_uart_bit_ticks(r.baud)) continue;
        if (!told && (r.data_bits < 8) != (seven != 0)) continue;
        unsigned long bauds[N_USUAL + 8];
        size_t nb = sender_bauds(r.baud, bauds);
        for (size_t b = 0; b < nb; b++) {
            if (!told && ratio_seen(hl, &r, bauds[b])) continue;
            for (size_t f = 0; f < N_FORMATS; f++)
                for (int inv = 0; inv <= 1; inv++) {
                    ds_serial_settings s;
                    si_settings_of(&s, bauds[b], FORMATS[f].data_bits, FORMATS[f].parity);
                    if (s.baud == r.baud && si_same_frame_format(&s, &r) && !inv) continue; /* as captured */
                    if (add_hyp(hl, &r, &s, inv) != 0) return -1;
                }
        }
    }
    return 0;
}

/* The line rebuilt for one receiver and sender bit length, kept while hypotheses that share
 * them (they differ in the sender's frame format and polarity only) are scored. */
typedef struct rebuilt {
    ds_uart_line line;
    int valid;
    ds_serial_settings receiver;
    uint64_t sender_bit;
    size_t n;
} rebuilt;

/* Scores h on p[0..n): rebuild (unless already there), re-sample, count frames. The
 * re-sampled bytes stay in *buf. */
static int score(hypothesis *h, const uint8_t *p, size_t n, rebuilt *rb, uint8_t **buf, size_t *cap)
{
    uint64_t sbit = ds_uart_bit_ticks(h->sender.baud);
    if (!rb->valid || rb->sender_bit != sbit || rb->n != n || memcmp(&rb->receiver, &h->receiver, sizeof rb->receiver)) {
        rb->valid = 0;
        if (rebuild(&rb->line, p, n, &h->receiver, sbit) != 0) return -1;
        rb->valid = 1;
        rb->receiver = h->receiver;
        rb->sender_bit = sbit;
        rb->n = n;
    }
    /* a character starts at a mark-to-space edge: at most one per two runs */
    size_t most = rb->line.n / 2 + 1;
    if (most > *cap) {
        uint8_t *nb = realloc(*buf, most);
        if (!nb) return -1;
        *buf = nb;
        *cap = most;
    }
    long got = ds_uart_receive_bytes(&rb->line, &h->sender, h->inverted, DS_UART_KEEP, *buf, *cap);
    if (got < 0) return -1;
    h->resampled = (size_t)got < *cap ? (size_t)got : *cap;
    count_frames(*buf, h->resampled, h->sender.data_bits < 8 ? SEVEN_BIT_TELEGRAMS : EIGHT_BIT_FRAMES, &h->fc);
    return 0;
}

/* How far a hypothesis is from the capture's setting: among equal evidence the nearest wins. */
int si_distance(const hypothesis *h)
{
    int d = 0;
    if (h->sender.baud != h->receiver.baud) d += 8;
    if (h->inverted) d += 4;
    if (h->sender.data_bits != h->receiver.data_bits) d += 2;
    if (h->sender.parity != h->receiver.parity) d += 1;
    return d;
}

static int better(const hypothesis *a, const hypothesis *b)
{
    if (a->fc.bytes != b->fc.bytes) return a->fc.bytes > b->fc.bytes;
    return si_distance(a) < si_distance(b);
}

/* ---- when no hypothesis gives frames: why the bytes are not DLMS ------------------------ */

double si_entropy_bits(const uint8_t *p, size_t n, size_t hist[256])
{
    memset(hist, 0, 256 * sizeof hist[0]);
    for (size_t i = 0; i < n; i++) hist[p[i]]++;
    double h = 0;
    for (int b = 0; b < 256; b++)
        if (hist[b]) {
            double q = (double)hist[b] / (double)n;
            h -= q * log2(q);
        }
    return h;
}

/* Frame starts whose structure is there but whose checks fail: 68 L L 68 with a bad checksum or
 * stop byte (chance gives such a header once in 16 MB), or 7E A. L whose closing flag stands
 * where L says but whose FCS fails. Chance gives the latter once in 2 MB of noise, so three
 * are asked for, or one that chance cannot explain: its header check (HCS) good, or a whole
 * frame of LONE_FRAME_MIN bytes or more that is most of the capture (a single damaged push).
 * The first offset goes to *at. */
#define HDLC_NEAR_MISSES 3

/* An HDLC frame at s of content length len whose header and HCS hold (the FCS failed). */
static int hdlc_header_holds(const uint8_t *s, size_t len)
{
    ds_hdlc_info h;
    ds_hdlc_layout lay;
    if (ds_hdlc_parse_header(s + 1, len, &h, &lay) != DS_HDLC_HDR_OK || !lay.has_hcs) return 0;
    if (len < lay.header_len + 2) return 0;
    const uint8_t *hcs = s + 1 + lay.header_len;
    return ds_crc16_x25(s + 1, lay.header_len) == (unsigned)(hcs[0] | hcs[1] << 8);
}

/* How many near misses chance cannot explain in n bytes: at_least, and more as the capture
 * grows, eight times the number chance makes (one in 2 MB for HDLC, one in 16 MB for M-Bus). */
static size_t near_misses_needed(size_t n, size_t chance_bytes, size_t at_least)
{
    return at_least + (size_t)(8.0 * (double)n / (double)chance_bytes + 0.5);
}

static size_t find_near_miss(const uint8_t *p, size_t n, uint64_t *at)
{
    size_t hdlc = 0, mbus = 0;
    int alone = 0;
    uint64_t first_hdlc = 0, first_mbus = 0;
    for (size_t i = 0; i + 4 <= n; i++) {
        if (p[i] == DS_MBUS_LONG_START && p[i + 3] == DS_MBUS_LONG_START && p[i + 1] == p[i + 2] && p[i + 1] >= 3 &&
            ds_probe_mbus(p + i, n - i) != DS_PROBE_FRAME && mbus++ == 0)
            first_mbus = i;
        if (p[i] == DS_HDLC_FLAG && (p[i + 1] & 0xF0u) == 0xA0u) {
            size_t len = (size_t)((p[i + 1] & 0x07u) << 8 | p[i + 2]);
            if (len >= DS_HDLC_MIN_LEN && i + len + 1 < n && p[i + len + 1] == DS_HDLC_FLAG &&
                ds_probe_hdlc(p + i, n - i) != DS_PROBE_FRAME) {
                if (hdlc++ == 0) first_hdlc = i;
                alone |= hdlc_header_holds(p + i, len) ||
                         (len + 2 >= LONE_FRAME_MIN && (double)(len + 2) >= LONE_FRAME_SHARE * (double)n);
            }
        }
    }
    if (mbus && mbus >= near_misses_needed(n, (size_t)16 << 20, 1)) {
        *at = first_mbus;
        return mbus;
    }
    if (!alone && hdlc < near_misses_needed(n, (size_t)2 << 20, HDLC_NEAR_MISSES)) return 0;
    *at = first_hdlc;
    return hdlc;
}

/* ---- the verdict --------------------------------------------------------------------------- */

static void set_ratio(ds_serial_inference *out)
{
    unsigned long g = gcd(out->sender.baud, out->receiver.baud);
    out->ratio_num = (unsigned)(out->sender.baud / g);
    out->ratio_den = (unsigned)(out->receiver.baud / g);
}

void si_verdict_of(ds_serial_inference *out, const hypothesis *h)
{
    out->receiver = h->receiver;
    out->sender = h->sender;
    out->inverted = h->inverted;
    set_ratio(out);
    if (h->sender.baud != h->receiver.baud) {
        out->verdict = DS_SERIAL_BAUD;
        out->code = DS_D_SERIAL_BAUD_MISMATCH;
    } else if (h->inverted) {
        out->verdict = DS_SERIAL_INVERTED;
        out->code = DS_D_SERIAL_INVERTED;
    } else if (h->sender.data_bits != h->receiver.data_bits) {
        out->verdict = DS_SERIAL_DATA_BITS;
        out->code = DS_D_SERIAL_DATA_BITS_MISMATCH;
    } else {
        out->verdict = DS_SERIAL_PARITY;
        out->code = DS_D_SERIAL_PARITY_MISMATCH;
    }
}

/* Bytes read as printable text: a text protocol read at its own setting (a mis-set port
 * scatters its bits over all 256 values: the mis-set captures the faster-sender chain named in
 * make serial-matrix and tests/bench/serial_negatives.c held 9 to 49 % printable bytes). */
#define TEXT_MIN_BYTES 64u
#define TEXT_SHARE 0.95

static size_t printable_bytes(const uint8_t *p, size_t n)
{
    size_t text = 0;
    for (size_t i = 0; i < n; i++) text += (p[i] >= 0x20 && p[i] < 0x7F) || p[i] == '\r' || p[i] == '\n' || p[i] == '\t';
    return text;
}

static void no_frames_verdict(ds_serial_inference *out, const uint8_t *p, size_t n)
{
    size_t hist[256];
    out->entropy = si_entropy_bits(p, n, hist);
    out->flag_bytes = hist[DS_HDLC_FLAG] + hist[DS_MBUS_LONG_START] + hist[DS_IEC21_STX];
    /* the entropy of n bytes drawn evenly falls short of 8 bits by about 255 / (2 n ln 2) */
    double corrected = n ? out->entropy + 255.0 / (2.0 * (double)n * log(2.0)) : 0;
    uint64_t at;
    size_t near_misses = find_near_miss(p, n, &at);
    if (near_misses) {
        out->verdict = DS_SERIAL_NEAR_MISS;
        out->code = DS_D_SERIAL_NEAR_MISS;
        out->near_miss_offset = at;
        if (p[at] == DS_MBUS_LONG_START)
            snprintf(out->why, sizeof out->why,
                     "an M-Bus header 68 %02X %02X 68 at offset %llu, but its length or checksum is wrong (no stop byte "
                     "16 where the length says, or a bad sum), and no setting tried gives frames with good checks",
                     p[at + 1], p[at + 2], (unsigned long long)at);
        else
            snprintf(out->why, sizeof out->why,
                     "%s at offset %llu (7E %02X %02X) whose closing flag stands where its length says but whose FCS "
                     "is wrong, and no setting tried gives frames with good checks",
                     near_misses > 1 ? "HDLC frames, the first" : "an HDLC frame", (unsigned long long)at, p[at + 1],
                     p[at + 2]);
    } else if (n >= 512 && corrected >= 7.8) {
        out->verdict = DS_SERIAL_RANDOM;
        out->code = DS_D_SERIAL_RANDOM;
        snprintf(out->why, sizeof out->why,
                 "the bytes are spread evenly (%.2f bits per byte), as ciphered data without framing or noise "
                 "are; no setting tried gives frames with good checks",
                 out->entropy);
    } else {
        out->verdict = DS_SERIAL_NOT_DLMS;
        out->code = DS_D_SERIAL_NOT_DLMS;
        size_t text = printable_bytes(p, n);
        if (n >= TEXT_MIN_BYTES && (double)text >= TEXT_SHARE * (double)n)
            snprintf(out->why, sizeof out->why,
                     "%.0f %% of the %zu bytes are printable text (letters, digits, CR LF), as a text protocol sends (an "
                     "IEC 62056-21 readout, DSMR P1, NMEA, a console): not DLMS binary frames, and no setting tried gives "
                     "frames with good checks",
                     100.0 * (double)text / (double)n, n);
        else if (out->flag_bytes == 0)
            snprintf(out->why, sizeof out->why,
                     "no flag or start byte (7E, 68, STX) at all in %zu bytes, and no setting tried gives frames with "
                     "good checks",
                     n);
        else
            snprintf(out->why, sizeof out->why,
                     "%zu flag or start bytes (7E, 68, STX) in %zu bytes, but no frame around them (no 7E A. L with "
                     "its closing flag where L says, no 68 L L 68)%s, and no setting tried gives frames with good "
                     "checks",
                     out->flag_bytes, n, n >= 512 ? ", and a byte histogram far from that of random data" : "");
    }
}

static int keep_recovered(ds_serial_inference *out, const hypothesis *h, const uint8_t *p, size_t n)
{
    /* only a receiver at least as fast as the sender saw every sender bit */
    if (h->sender.baud > h->receiver.baud) return 0;
    rebuilt rb = {0};
    ds_uart_line_init(&rb.line);
    uint8_t *buf = NULL;
    size_t cap = 0;
    hypothesis copy = *h;
    int rc = score(&copy, p, n, &rb, &buf, &cap);
    ds_uart_line_free(&rb.line);
    if (rc != 0) {
        free(buf);
        return -1;
    }
    out->recovered = buf;
    out->recovered_len = copy.resampled;
    return 0;
}

/* A capture whose bytes all lie below 80 is taken as from a receiver of 7 data bits, unless it
 * holds too few values to say so: all 00 (a break, or a port that zeroes bad characters) or a
 * handful of values is what 8-bit receivers deliver from many mis-set senders too. */
#define SEVEN_BIT_MIN_VALUES 8

static int seven_bit_capture(const uint8_t *p, size_t n)
{
    uint8_t seen[128] = {0};
    unsigned values = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] & 0x80u) return 0;
        values += !seen[p[i]];
        seen[p[i]] = 1;
    }
    return values >= SEVEN_BIT_MIN_VALUES;
}

/* M-Bus or HDLC frames that a 7-bit receiver left with good 7-bit checks: the sender sends 8
 * data bits. */
static void seven_bit_verdict(ds_serial_inference *out, const frame_count *fc, frame_kinds kind)
{
    if (!out->receiver_known) {
        out->receiver.data_bits = 7;
        out->receiver.parity = DS_PARITY_EVEN;
    }
    out->sender = out->receiver;
    out->sender.data_bits = 8;
    out->sender.parity = DS_PARITY_NONE;
    out->verdict = DS_SERIAL_DATA_BITS;
    out->code = DS_D_SERIAL_DATA_BITS_MISMATCH;
    out->frames = fc->frames;
    out->frame_bytes = fc->bytes;
    if (kind == SEVEN_BIT_ZEROED_MBUS || kind == SEVEN_BIT_ZEROED_HDLC) {
        out->receiver_zeroes_errors = 1;
        snprintf(out->why, sizeof out->why,
                 "%zu %s frames back to back (%zu bytes) as a port of 7 data bits that zeroes bad characters leaves "
                 "8-bit ones: %s, the bytes of odd weight 00: the sender sends 8 data bits (its parity cannot be told "
                 "from these bytes)",
                 fc->frames, kind == SEVEN_BIT_ZEROED_HDLC ? "HDLC" : "M-Bus", fc->bytes,
                 kind == SEVEN_BIT_ZEROED_HDLC ? "flags, format and length where they belong"
                                               : "68 and 16 read 00, the length twice where they say");
    } else if (kind == SEVEN_BIT_MBUS)
        snprintf(out->why, sizeof out->why,
                 "%zu M-Bus frames whose start, length, stop byte and the low 7 bits of the checksum hold, with bit 7 "
                 "of every byte missing: the sender sends 8 data bits (its parity cannot be told from these bytes)",
                 fc->frames);
    else
        snprintf(out->why, sizeof out->why,
                 "%zu HDLC frames whose flags, format, length and header check (HCS) hold with bit 7 of each byte "
                 "set back, bit 7 of every byte missing: the sender sends 8 data bits (its parity cannot be told "
                 "from these bytes)",
                 fc->frames);
}

int ds_serial_infer(const uint8_t *p, size_t n, const ds_serial_settings *receiver, ds_serial_inference *out)
{
    memset(out, 0, sizeof *out);
    out->receiver_known = receiver != NULL;
    if (receiver) out->receiver = *receiver;
    else ds_serial_settings_init(&out->receiver);
    out->sender = out->receiver;
    out->ratio_num = out->ratio_den = 1;

    int seven = receiver ? receiver->data_bits < 8 : n >= 64 && seven_bit_capture(p, n);
    frame_count as_is, seven_bit_mbus = {0}, seven_bit_hdlc = {0}, zeroed;
    int zeroed_rc, zeroed_hdlc;
    count_frames(p, n, seven ? SEVEN_BIT_TELEGRAMS : EIGHT_BIT_FRAMES, &as_is);
    if (seven) {
        count_frames(p, n, SEVEN_BIT_MBUS, &seven_bit_mbus);
        count_frames(p, n, SEVEN_BIT_HDLC, &seven_bit_hdlc);
    }
    out->frames_as_captured = as_is.frames;

    hyp_list hl = {0};
    if (enumerate(&hl, receiver, seven) != 0) goto nomem;
    out->hypotheses = hl.n + 1;

    rebuilt rb = {0};
    ds_uart_line_init(&rb.line);
    uint8_t *buf = NULL;
    size_t cap = 0;
    size_t prefix = n < PREFIX_BYTES ? n : PREFIX_BYTES;
    for (size_t i = 0; i < hl.n; i++)
        if (score(&hl.h[i], p, prefix, &rb, &buf, &cap) != 0) goto nomem_line;

    /* the finalists, on the whole capture */
    size_t best_idx[FINALISTS];
    size_t nbest = 0;
    for (size_t i = 0; i < hl.n; i++) {
        if (!hl.h[i].fc.frames) continue;
        size_t k;
        if (nbest < FINALISTS) k = nbest++;
        else if (better(&hl.h[i], &hl.h[best_idx[FINALISTS - 1]])) k = FINALISTS - 1;
        else continue;
        best_idx[k] = i;
        for (; k > 0 && better(&hl.h[best_idx[k]], &hl.h[best_idx[k - 1]]); k--) {
            size_t t = best_idx[k];
            best_idx[k] = best_idx[k - 1];
            best_idx[k - 1] = t;
        }
    }
    hypothesis *best = NULL;
    for (size_t k = 0; k < nbest; k++) {
        hypothesis *h = &hl.h[best_idx[k]];
        if (prefix < n && score(h, p, n, &rb, &buf, &cap) != 0) goto nomem_line;
        if (convincing(&h->fc, h->resampled) && (!best || better(h, best))) best = h;
    }
    ds_uart_line_free(&rb.line);
    free(buf);

    /* the bytes as they are get one try, not hundreds: one frame with good checks is enough */
    if (as_is.frames >= 1 && (!best || as_is.bytes >= best->fc.bytes)) {
        out->verdict = DS_SERIAL_FINE;
        out->code = DS_D_SERIAL_OK;
        out->frames = as_is.frames;
        out->frame_bytes = as_is.bytes;
        snprintf(out->why, sizeof out->why, "%zu frames with good checks in the bytes as captured", as_is.frames);
    } else if (best) {
        si_verdict_of(out, best);
        out->frames = best->fc.frames;
        out->frame_bytes = best->fc.bytes;
        snprintf(out->why, sizeof out->why,
                 "%zu frames with good checks (%zu bytes) when the line is read at the sender's setting, %zu as "
                 "captured; %zu hypotheses tried",
                 best->fc.frames, best->fc.bytes, as_is.frames, out->hypotheses);
        if (keep_recovered(out, best, p, n) != 0) goto nomem_list;
    } else if (convincing(&seven_bit_mbus, n) && seven_bit_mbus.bytes >= seven_bit_hdlc.bytes) {
        seven_bit_verdict(out, &seven_bit_mbus, SEVEN_BIT_MBUS);
    } else if (seven_bit_hdlc.frames >= 2) { /* checked by their headers only: never one alone */
        seven_bit_verdict(out, &seven_bit_hdlc, SEVEN_BIT_HDLC);
    } else if (seven && (!receiver || receiver->parity == DS_PARITY_EVEN) &&
               (zeroed_rc = si_seven_bit_zeroed_chain(p, n, &zeroed, &zeroed_hdlc)) != 0) {
        if (zeroed_rc < 0) goto nomem_list;
        seven_bit_verdict(out, &zeroed, zeroed_hdlc ? SEVEN_BIT_ZEROED_HDLC : SEVEN_BIT_ZEROED_MBUS);
    } else {
        int rc = si_statistical_verdict(out, &hl, p, n);
        if (rc == 0 && !seven) rc = si_faster_sender_verdict(out, p, n, receiver);
        if (rc == 0 && !seven) rc = si_signature_verdict(out, p, n, receiver);
        if (rc < 0) goto nomem_list;
        if (rc == 0) no_frames_verdict(out, p, n);
    }
    free(hl.h);
    return 0;

nomem_line:
    ds_uart_line_free(&rb.line);
    free(buf);
nomem_list:
    free(hl.h);
nomem:
    ds_serial_inference_free(out);
    return -1;
}

void ds_serial_inference_free(ds_serial_inference *r)
{
    free(r->recovered);
    r->recovered = NULL;
    r->recovered_len = 0;
}
