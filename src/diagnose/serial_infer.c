/* Wrong serial settings, found from the bits (include/dlmscope/serial_infer.h).
 *
 * The capture is what a receiver at one setting delivered. Each hypothesis names the sender's
 * setting; the line is rebuilt as the receiver sampled it, sampled again by a UART at the
 * sender's setting (diagnose/uart.c), and the result is scanned with the link layer's own frame
 * checks (HDLC FCS, M-Bus checksum and stop byte, IEC 62056-21 BCC). Frames with good checks
 * are the first evidence a hypothesis gets: chance cannot make two of them, nor a long one.
 * Where bits were lost no frame comes back; then the byte values a receiver can deliver (the
 * alphabets below) and the bits a faster sender's, an inverted line's or a parity-less
 * sender's character frame forces (the chains below) are weighed instead, and named as
 * statistical. */
#include "dlmscope/serial_infer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose/uart.h"
#include "link/checked.h"
#include "dlmscope/frame.h"
#include "link/framer_int.h"
#include "link/hdlc.h"
#include "link/iec21.h"

#define MBUS_LONG_START 0x68u
#define MBUS_STOP 0x16u
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

typedef struct frame_count {
    size_t frames, bytes, longest;
} frame_count;

/* A receiver of 7 data bits drops bit 7 of every byte: an 8-bit M-Bus frame read so keeps its
 * 68 L L 68 and 16 bytes and the low 7 bits of its checksum (the dropped bits add multiples of
 * 128 to the sum). The length of such a frame at s, or 0. */
static size_t seven_bit_mbus_at(const uint8_t *s, size_t avail)
{
    if (avail < 4 || s[0] != MBUS_LONG_START || s[3] != MBUS_LONG_START || s[1] != s[2]) return 0;
    for (unsigned high = 0; high <= 0x80u; high += 0x80u) {
        size_t l = (size_t)(s[1] | high);
        if (l < 3 || avail < l + MBUS_OVERHEAD || s[l + 5] != MBUS_STOP) continue;
        unsigned sum = 0;
        for (size_t i = 0; i < l; i++) sum += s[4 + i];
        if (((sum ^ s[4 + l]) & 0x7Fu) == 0) return l + MBUS_OVERHEAD;
    }
    return 0;
}

/* Which frames count. A receiver of 7 data bits cannot deliver HDLC or M-Bus bytes whole: from
 * it only IEC 62056-21 telegrams count as frames, and M-Bus frames by what is left of their
 * checks (seven_bit_mbus_at) are counted apart, as evidence without recovery. */
typedef enum frame_kinds { EIGHT_BIT_FRAMES, SEVEN_BIT_TELEGRAMS, SEVEN_BIT_MBUS } frame_kinds;

static void count_frames(const uint8_t *p, size_t n, frame_kinds kinds, frame_count *fc)
{
    memset(fc, 0, sizeof *fc);
    for (size_t i = 0; i < n; i++) {
        uint8_t b = p[i];
        if (b != DS_HDLC_FLAG && b != MBUS_LONG_START && b != DS_IEC21_STX) continue;
        size_t len;
        if (kinds == EIGHT_BIT_FRAMES) len = ds_checked_frame_at(p + i, n - i);
        else if (kinds == SEVEN_BIT_TELEGRAMS) len = b == DS_IEC21_STX ? ds_iec21_telegram_len(p + i, n - i) : 0;
        else len = b == MBUS_LONG_START ? seven_bit_mbus_at(p + i, n - i) : 0;
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

typedef struct hypothesis {
    ds_serial_settings receiver, sender;
    int inverted;
    frame_count fc;
    size_t resampled;  /* bytes the sender-side UART delivered */
} hypothesis;

typedef struct hyp_list {
    hypothesis *h;
    size_t n, cap;
} hyp_list;

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

static void settings_of(ds_serial_settings *s, unsigned long baud, int data_bits, ds_parity parity)
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

static int same_frame_format(const ds_serial_settings *a, const ds_serial_settings *b)
{
    return a->data_bits == b->data_bits && a->parity == b->parity;
}

/* Ratio classes already present (sender/receiver), so that a receiver of unknown baud is not
 * tried twice at the same ratio. */
static int ratio_seen(const hyp_list *hl, const ds_serial_settings *r, unsigned long sbaud)
{
    for (size_t i = 0; i < hl->n; i++) {
        const hypothesis *h = &hl->h[i];
        if (!same_frame_format(&h->receiver, r)) continue;
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
        else settings_of(&r, RX_BAUDS[ri / N_RX_FORMATS], RX_FORMATS[ri % N_RX_FORMATS].data_bits,
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
                    settings_of(&s, bauds[b], FORMATS[f].data_bits, FORMATS[f].parity);
                    if (s.baud == r.baud && same_frame_format(&s, &r) && !inv) continue; /* as captured */
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
static int distance(const hypothesis *h)
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
    return distance(a) < distance(b);
}

/* ---- when no hypothesis gives frames: why the bytes are not DLMS ------------------------ */

static double entropy_bits(const uint8_t *p, size_t n, size_t hist[256])
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
        if (p[i] == MBUS_LONG_START && p[i + 3] == MBUS_LONG_START && p[i + 1] == p[i + 2] && p[i + 1] >= 3 &&
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

/* ---- what a receiver can deliver at all --------------------------------------------------
 *
 * Where the receiver's characters do not hold every bit the sender sent (it samples several
 * times faster, or reads the parity bit as a stop bit and drops the character), no frame can
 * be rebuilt; but such a receiver delivers only some byte values whatever the sender sends
 * (a receiver 4 times faster: 00, 78, 80 and F8). The set is found by sending random bytes
 * with idle gaps of any length through the pair of settings; a capture whose bytes all lie in
 * a small set is evidence for the hypotheses that make that set, weighed as the bits its
 * values save against any byte at all (log2(256 / size) per byte). */

#define ALPHA_SYNTH_BYTES 1500u
#define ALPHA_MAX_SIZE 160u      /* a bigger set tells too little */
#define ALPHA_MIN_EVIDENCE 64.0  /* bits */

typedef struct alpha_hyp {
    hypothesis h;
    ds_uart_error_policy policy;
    unsigned size;
    uint8_t only;      /* the value, when size is 1 */
    double evidence;
} alpha_hyp;

static uint32_t next_random(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

typedef struct alpha_set {
    uint8_t in[256];
} alpha_set;

static void mark_byte(void *user, const ds_uart_char *c) { ((alpha_set *)user)->in[c->byte] = 1; }

static unsigned set_size(const alpha_set *set)
{
    unsigned k = 0;
    for (int b = 0; b < 256; b++) k += set->in[b];
    return k;
}

/* Sent in pieces (each from an idle line, as pushes are), so that a set that grows past any
 * use is given up early: most hypotheses make one. */
#define ALPHA_PIECE 100u

static int synth_alphabet(const hypothesis *h, ds_uart_error_policy policy, ds_uart_line *line, alpha_set *set)
{
    uint64_t bit = ds_uart_bit_ticks(h->sender.baud);
    uint32_t x = 0x9E3779B9u;
    memset(set, 0, sizeof *set);
    for (unsigned done = 0; done < ALPHA_SYNTH_BYTES; done += ALPHA_PIECE) {
        ds_uart_line_clear(line);
        if (ds_uart_line_add(line, 1, 20 * bit) != 0) return -1;
        for (unsigned i = 0; i < ALPHA_PIECE; i++) {
            if (ds_uart_put_char(line, &h->sender, next_random(&x) & 0xFFu) != 0) return -1;
            uint32_t r = next_random(&x);
            if ((r & 15u) == 0 && ds_uart_line_add(line, 1, ((r >> 4) % 40u) * bit + (r >> 12) % bit) != 0)
                return -1;
        }
        if (ds_uart_line_add(line, 1, 20 * bit) != 0) return -1;
        if (ds_uart_receive(line, &h->receiver, h->inverted, policy, mark_byte, set) < 0) return -1;
        if (set_size(set) > ALPHA_MAX_SIZE) break;
    }
    return 0;
}

/* A capture fits a set when at most 0.5 % of its bytes lie outside it. The evidence is then
 * the bits its values save against any byte the receiver can deliver; it counts when the set is small (32 values
 * or fewer: a handful of values repeated is not chance), or when the capture's distinct values
 * are many and would all fall in a set that size by chance only once in 2^40 (so that text or
 * other structured bytes with few distinct values are not taken for a mis-set port). */
#define ALPHA_SMALL 32u
#define ALPHA_DISTINCT_EVIDENCE 40.0

static void weigh_alphabet(alpha_hyp *a, const alpha_set *set, const size_t hist[256], size_t n)
{
    unsigned size = 0, distinct = 0;
    size_t covered = 0;
    for (int b = 0; b < 256; b++) {
        if (set->in[b]) {
            size++;
            a->only = (uint8_t)b;
            covered += hist[b];
            if (hist[b]) distinct++;
        }
    }
    a->size = size;
    a->evidence = 0;
    if (size == 0 || size > ALPHA_MAX_SIZE) return;
    size_t missed = n - covered;
    if (missed * 200 > n) return;
    /* against the values the receiver can deliver at all: a 7-bit port's bytes below 80 say
     * nothing of the sender */
    double deliverable = (double)(1u << a->h.receiver.data_bits);
    if ((double)size >= deliverable) return;
    double per_value = log2(deliverable / size);
    if (size > ALPHA_SMALL && distinct * per_value < ALPHA_DISTINCT_EVIDENCE) return;
    a->evidence = (double)covered * per_value - 8.0 * (double)missed;
}

/* ---- the verdict --------------------------------------------------------------------------- */

static void set_ratio(ds_serial_inference *out)
{
    unsigned long g = gcd(out->sender.baud, out->receiver.baud);
    out->ratio_num = (unsigned)(out->sender.baud / g);
    out->ratio_den = (unsigned)(out->receiver.baud / g);
}

static void verdict_of(ds_serial_inference *out, const hypothesis *h)
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

static void no_frames_verdict(ds_serial_inference *out, const uint8_t *p, size_t n)
{
    size_t hist[256];
    out->entropy = entropy_bits(p, n, hist);
    out->flag_bytes = hist[DS_HDLC_FLAG] + hist[MBUS_LONG_START] + hist[DS_IEC21_STX];
    /* the entropy of n bytes drawn evenly falls short of 8 bits by about 255 / (2 n ln 2) */
    double corrected = n ? out->entropy + 255.0 / (2.0 * (double)n * log(2.0)) : 0;
    uint64_t at;
    size_t near_misses = find_near_miss(p, n, &at);
    if (near_misses) {
        out->verdict = DS_SERIAL_NEAR_MISS;
        out->code = DS_D_SERIAL_NEAR_MISS;
        out->near_miss_offset = at;
        if (p[at] == MBUS_LONG_START)
            snprintf(out->why, sizeof out->why,
                     "an M-Bus header 68 %02X %02X 68 at offset %llu, but its checksum or stop byte is wrong, and no "
                     "setting tried gives frames with good checks",
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
        if (out->flag_bytes == 0)
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

/* The alphabets of every hypothesis, with a receiver that keeps or zeroes bad characters. 1
 * when one explains the capture (out is filled), 0 when none does, -1 on no memory. */
static int statistical_verdict(ds_serial_inference *out, const hyp_list *hl, const uint8_t *p, size_t n)
{
    size_t hist[256];
    (void)entropy_bits(p, n, hist);
    unsigned distinct = 0;
    for (int b = 0; b < 256; b++) distinct += hist[b] != 0;
    if (n == 0 || distinct > ALPHA_MAX_SIZE) return 0; /* no set that tells anything holds them */
    ds_uart_line line;
    ds_uart_line_init(&line);
    alpha_hyp best = {0}, cur;
    alpha_set set;
    int found = 0;
    for (size_t i = 0; i < hl->n; i++)
        for (int pol = DS_UART_KEEP; pol <= DS_UART_ZERO; pol++) {
            cur.h = hl->h[i];
            cur.policy = (ds_uart_error_policy)pol;
            if (synth_alphabet(&cur.h, cur.policy, &line, &set) != 0) {
                ds_uart_line_free(&line);
                return -1;
            }
            weigh_alphabet(&cur, &set, hist, n);
            if (cur.evidence < ALPHA_MIN_EVIDENCE) continue;
            /* among equal evidence: a receiver that keeps bad characters (the common case), then
             * the hypothesis nearest to the capture's setting */
            int wins = !found || cur.evidence > best.evidence + 1e-9 ||
                       (cur.evidence > best.evidence - 1e-9 &&
                        (cur.policy < best.policy ||
                         (cur.policy == best.policy && distance(&cur.h) < distance(&best.h))));
            if (wins) {
                best = cur;
                found = 1;
            }
        }
    if (!found) {
        ds_uart_line_free(&line);
        return 0;
    }
    /* One value only (00) from a port that checks parity: a sender at the capture's rate with the
     * other parity, read by a port that zeroes bad characters, explains it exactly as well as a
     * much slower sender. The nearer setting is named, the rate is listed as the alternative. */
    unsigned long slow_alternative = 0;
    if (best.size == 1 && best.h.sender.baud != best.h.receiver.baud && best.h.receiver.parity != DS_PARITY_NONE) {
        for (size_t i = 0; i < hl->n; i++) {
            const hypothesis *h = &hl->h[i];
            if (h->inverted || h->sender.baud != h->receiver.baud || h->sender.parity == h->receiver.parity ||
                h->sender.data_bits != h->receiver.data_bits)
                continue;
            cur.h = *h;
            cur.policy = DS_UART_ZERO;
            if (synth_alphabet(&cur.h, cur.policy, &line, &set) != 0) {
                ds_uart_line_free(&line);
                return -1;
            }
            weigh_alphabet(&cur, &set, hist, n);
            if (cur.evidence > best.evidence - 1e-9) {
                slow_alternative = best.h.sender.baud;
                best = cur;
                break;
            }
        }
    }
    /* the other sender rates that explain the bytes as well, in the same frame format */
    for (size_t i = 0; i < hl->n && out->n_other_bauds < sizeof out->other_bauds / sizeof out->other_bauds[0]; i++) {
        const hypothesis *h = &hl->h[i];
        if (h->sender.baud == best.h.sender.baud || !same_frame_format(&h->sender, &best.h.sender) ||
            h->inverted != best.h.inverted || !same_frame_format(&h->receiver, &best.h.receiver) ||
            h->receiver.baud != best.h.receiver.baud)
            continue;
        cur.h = *h;
        cur.policy = best.policy;
        if (synth_alphabet(&cur.h, cur.policy, &line, &set) != 0) {
            ds_uart_line_free(&line);
            return -1;
        }
        weigh_alphabet(&cur, &set, hist, n);
        int dup = 0;
        for (size_t k = 0; k < out->n_other_bauds; k++) dup |= out->other_bauds[k] == h->sender.baud;
        if (!dup && cur.evidence > best.evidence - 1e-9) out->other_bauds[out->n_other_bauds++] = h->sender.baud;
    }
    for (size_t k = 0; slow_alternative && k < out->n_other_bauds; k++)
        if (out->other_bauds[k] == slow_alternative) slow_alternative = 0;
    if (slow_alternative && out->n_other_bauds < sizeof out->other_bauds / sizeof out->other_bauds[0])
        out->other_bauds[out->n_other_bauds++] = slow_alternative;
    ds_uart_line_free(&line);
    verdict_of(out, &best.h);
    out->statistical = 1;
    out->receiver_zeroes_errors = best.policy == DS_UART_ZERO;
    const char *zeroing = best.policy == DS_UART_ZERO ? " that reads bad characters as 00" : "";
    if (best.size == 1)
        snprintf(out->why, sizeof out->why,
                 "no setting gives frames with good checks, but every byte (%zu) is %02X, the only value a receiver "
                 "at the capture's setting%s delivers from this sender, whatever it sends (%.0f bits of evidence)",
                 n, best.only, zeroing, best.evidence);
    else
        snprintf(out->why, sizeof out->why,
                 "no setting gives frames with good checks, but every byte (%zu) is one of the %u values a receiver "
                 "at the capture's setting%s can deliver from this sender, whatever it sends (%.0f bits of evidence)",
                 n, best.size, zeroing, best.evidence);
    return 1;
}

/* ---- a sender faster than the receiver: the bits its start and stop bits force -----------
 *
 * A receiver k times slower than the sender samples one sender bit in k, each at a whole
 * number of sender bits after its start edge (half a receiver bit, then whole ones): its
 * character spans about k sender characters. Which sender bits it samples depends only on the
 * phase of its start edge in the sender's character (the sender's start bit, or a falling edge
 * between data bits). Samples on a sender's start bit read 0 and on a stop bit 1, whatever
 * the data; the others read data bits. And the next start edge is the first falling edge after
 * the stop sample, so each phase leads to the next ones with probabilities that the same
 * character frame sets (the start bit of the next sender character is the latest).
 *
 * That is a hidden Markov chain over the phase for each ratio: the capture's likelihood under
 * it (each data bit of the sender's character with its own share of ones, fitted to the bytes
 * in two rounds of expectation-maximisation; a frame restarting at phase 0 now and then; a
 * byte now and then from an idle line; 00 bytes at the capture's share of them) is set
 * against the likelihood of the bytes as 00 at that share or else independent bits, each
 * position with its own share of ones (which random bytes, text, program code and any
 * byte-wise structure fit better). A ratio counts when it explains the capture FAST_MIN_BITS
 * bits better (random bytes score about 0.2 bit per byte worse, text and binaries worse
 * still). The data bits themselves are lost: nothing is recovered. 4, 8, 12 and 16 force the
 * same bits after an idle line and are told apart only by the rarer phases: when one of them
 * wins, the others are named as alternatives, as is any ratio with half the best's evidence.
 * Tried with the corpus pushes (tests/unit/check_serial_infer.c): 2 and 4 are found from ten
 * pushes; 8, 12 and 16 need more, and go unnamed (serial.not-dlms) rather than wrong on
 * shorter captures. A port that zeroes bad characters (INPCK) leaves too little. */

static const unsigned FAST_RATIOS[] = {2, 3, 4, 6, 8, 12, 16};
#define N_FAST_RATIOS (sizeof FAST_RATIOS / sizeof FAST_RATIOS[0])
#define FAST_MAX_PHASES 12       /* bits of a sender character: 8E1 is 11 */
#define FAST_MIN_BYTES 48u
#define FAST_PREFIX (4u * 1024u)  /* bytes scored: enough for any verdict, bounded time */
#define FAST_MIN_BITS 48.0        /* likelihood ratio (bits) a ratio must reach */
#define FAST_PER_BYTE 0.02        /* ... and per byte of the capture */
#define FAST_ALTERNATIVE 0.5      /* a ratio with this share of the best's evidence is named too */
#define FAST_RESTART 0.02         /* a new frame (phase 0) at any character */
#define FAST_IDLE 0.05            /* a byte that fits no phase (idle line, a gap inside a frame) */

typedef struct fast_model {
    int phases;                                   /* bits of the sender's character */
    int inverted;                                 /* the line is read upside down */
    double restart[FAST_MAX_PHASES];              /* the first character's phase after an idle line */
    double q[FAST_MAX_PHASES];                    /* per bit of the sender's character: P(one) */
    uint8_t cls[FAST_MAX_PHASES][8];              /* per phase and data bit: the sender bit sampled */
    double start_ok[FAST_MAX_PHASES];             /* the start sample reads space */
    double stop_one[FAST_MAX_PHASES];             /* the stop sample reads mark */
    double edge[2][FAST_MAX_PHASES][FAST_MAX_PHASES]; /* [stop value][phase][phase of the next edge] */
    double taken[FAST_MAX_PHASES][FAST_MAX_PHASES];   /* [edge phase][phase of the character taken] */
    double next[2][FAST_MAX_PHASES][FAST_MAX_PHASES]; /* [stop value][phase][next character's phase] */
} fast_model;

/* The chance that bit c of the sender's character reads v: its start bit is a space, its stop
 * bits marks, its data and parity bits ones with their own share (plain DLMS has more zeros in
 * its high bits than in its low ones). */
static double bit_chance(const fast_model *fm, int c, int v) { return v ? fm->q[c] : 1 - fm->q[c]; }

static void fast_fix_frame_bits(fast_model *fm, const ds_serial_settings *tx)
{
    int first_stop = 1 + tx->data_bits + (tx->parity != DS_PARITY_NONE);
    fm->q[0] = fm->inverted ? 1 : 0;
    for (int c = first_stop; c < fm->phases; c++) fm->q[c] = fm->inverted ? 0 : 1;
}

/* The sender bit a receiver k times slower samples for its m-th bit, from an edge at phase j. */
static long sample_pos(int j, unsigned k, int m) { return j + (long)((2u * k * (unsigned)m + k) / 2u); }

/* From sender bit p0 (read as prev), where the next falling edges fall (added to to[]): a
 * space after a mark. */
static void next_edges(const fast_model *fm, long p0, int prev, double weight, double *to)
{
    int L = fm->phases;
    double prev_one = prev, left = weight;
    for (long p = p0 + 1; left > 1e-12 && p < p0 + 4 * L; p++) {
        int c = (int)(p % L);
        double zero = bit_chance(fm, c, 0);
        to[c] += left * prev_one * zero;
        /* no edge here: the bit is a one, or a zero after a zero */
        double one = left * bit_chance(fm, c, 1), zero_after_zero = left * (1 - prev_one) * zero;
        left = one + zero_after_zero;
        prev_one = left > 0 ? one / left : 0;
    }
}

/* Receivers differ in where they look for the next start edge after a framing error or a
 * start bit that reads mark: from the sample on, after a mark (uart.c), or at once, so that the
 * space read as the stop bit may be the next start bit (as a 16550 resynchronises). Both are
 * tried. */
typedef enum fast_resync { FAST_AFTER_MARK = 0, FAST_AT_ONCE = 1 } fast_resync;

/* The chain for a receiver at rx and a sender k times faster (k = 1: at the same rate), with
 * fm->q, fm->phases and fm->inverted set. */
static void fast_model_build(fast_model *fm, const ds_serial_settings *rx, unsigned k, fast_resync resync)
{
    int L = fm->phases;
    int stop_m = 1 + rx->data_bits + (rx->parity != DS_PARITY_NONE);
    double glitch[FAST_MAX_PHASES][FAST_MAX_PHASES];
    memset(glitch, 0, sizeof glitch);
    memset(fm->edge, 0, sizeof fm->edge);
    memset(fm->taken, 0, sizeof fm->taken);
    memset(fm->next, 0, sizeof fm->next);
    for (int j = 0; j < L; j++) {
        fm->start_ok[j] = bit_chance(fm, (int)(sample_pos(j, k, 0) % L), 0);
        for (int i = 0; i < 8; i++) fm->cls[j][i] = (uint8_t)(sample_pos(j, k, 1 + i) % L);
        long s = sample_pos(j, k, stop_m);
        fm->stop_one[j] = bit_chance(fm, (int)(s % L), 1);
        next_edges(fm, s, 1, 1.0, fm->edge[1][j]);
        if (resync == FAST_AT_ONCE && k % 2 == 0) {
            /* the stop sample fell on the first bit of a space: an edge there, when the bit before
             * it was a mark */
            double mark_before = bit_chance(fm, (int)((s - 1) % L), 1);
            fm->edge[0][j][s % L] += mark_before;
            next_edges(fm, s, 0, 1 - mark_before, fm->edge[0][j]);
        } else {
            next_edges(fm, s, 0, 1.0, fm->edge[0][j]);
        }
        /* the start sample reads mark: no character, the receiver looks on (from the start edge, or
         * from the sample) */
        if (resync == FAST_AT_ONCE) next_edges(fm, j, 0, 1.0, glitch[j]);
        else next_edges(fm, sample_pos(j, k, 0), 1, 1.0, glitch[j]);
    }
    /* from an edge at phase j, the phase of the character the receiver does take */
    for (int j = 0; j < L; j++) {
        double at[FAST_MAX_PHASES] = {0}, nat[FAST_MAX_PHASES];
        at[j] = 1;
        for (int round = 0; round < 4 * L; round++) {
            memset(nat, 0, sizeof nat);
            for (int m = 0; m < L; m++) {
                fm->taken[j][m] += at[m] * fm->start_ok[m];
                for (int m2 = 0; m2 < L; m2++) nat[m2] += at[m] * (1 - fm->start_ok[m]) * glitch[m][m2];
            }
            memcpy(at, nat, sizeof at);
        }
    }
    for (int v = 0; v <= 1; v++)
        for (int j = 0; j < L; j++)
            for (int m = 0; m < L; m++)
                for (int m2 = 0; m2 < L; m2++) fm->next[v][j][m2] += fm->edge[v][j][m] * fm->taken[m][m2];
    /* after an idle line the first edge is the start bit's; read inverted, the start bit is the
     * first mark and the edge the first data bit that falls after it */
    double first[FAST_MAX_PHASES] = {0};
    if (fm->inverted) next_edges(fm, 0, 1, 1.0, first);
    else first[0] = 1;
    memset(fm->restart, 0, sizeof fm->restart);
    for (int m = 0; m < L; m++)
        for (int m2 = 0; m2 < L; m2++) fm->restart[m2] += first[m] * fm->taken[m][m2];
}

/* The chance of one byte's data bits under phase j (the receiver's bits beyond its data bits
 * read as 0). */
static double byte_given_phase(const fast_model *fm, int j, unsigned b, int data_bits)
{
    double p = 1;
    for (int i = 0; i < data_bits && p > 0; i++) p *= bit_chance(fm, fm->cls[j][i], (int)((b >> i) & 1u));
    return p;
}

/* log2 of the capture's likelihood under the chain (forward algorithm, scaled). When ones and
 * seen are given, the data bits are counted per sender bit, each byte by the chance of each
 * phase given the bytes so far (to set fm->q again). The emission does not depend on the stop
 * sample (bytes keep no trace of it), so both of its ways are one step matrix. */
static double fast_loglik(const fast_model *fm, const uint8_t *p, size_t n, int data_bits, double zeros,
                          double *ones, double *seen)
{
    int L = fm->phases;
    static const double KEEP_ON = 1 - FAST_RESTART;
    double step[FAST_MAX_PHASES][FAST_MAX_PHASES];
    for (int j = 0; j < L; j++)
        for (int m = 0; m < L; m++)
            step[j][m] = KEEP_ON * ((1 - fm->stop_one[j]) * fm->next[0][j][m] + fm->stop_one[j] * fm->next[1][j][m]);
    double emit[FAST_MAX_PHASES][256];
    for (int j = 0; j < L; j++)
        for (unsigned b = 0; b < 256; b++)
            emit[j][b] = (1 - zeros) * ((1 - FAST_IDLE) * byte_given_phase(fm, j, b, data_bits) + FAST_IDLE / 256.0) +
                         (b == 0 ? zeros : 0);
    double alpha[FAST_MAX_PHASES], nalpha[FAST_MAX_PHASES], post[FAST_MAX_PHASES];
    for (int j = 0; j < L; j++) alpha[j] = fm->restart[j]; /* the capture starts after an idle line */
    double ll = 0;
    for (size_t t = 0; t < n; t++) {
        memset(nalpha, 0, sizeof nalpha);
        double total = 0;
        for (int j = 0; j < L; j++) {
            double w = alpha[j] * emit[j][p[t]];
            post[j] = w;
            if (w <= 1e-300) continue;
            total += w;
            for (int m = 0; m < L; m++) nalpha[m] += w * step[j][m];
        }
        if (total <= 0) return -INFINITY;
        ll += log2(total);
        if (ones) {
            double inv = 1 / total;
            for (int j = 0; j < L; j++) {
                double pj = post[j] * inv;
                if (pj < 1e-6) continue; /* too unlikely a phase to move the shares */
                for (int i = 0; i < data_bits; i++) {
                    seen[fm->cls[j][i]] += pj;
                    if ((p[t] >> i) & 1u) ones[fm->cls[j][i]] += pj;
                }
            }
        }
        /* a new frame at any character: the restart phases, with the rest of the weight */
        double norm = 0;
        for (int m = 0; m < L; m++) {
            nalpha[m] += FAST_RESTART * total * fm->restart[m];
            norm += nalpha[m];
        }
        for (int m = 0; m < L; m++) alpha[m] = nalpha[m] / norm;
    }
    return ll;
}

/* The best likelihood of the chain for a ratio: the share of ones of each data bit of the
 * sender's character set from the bytes (a few rounds of expectation-maximisation, from the
 * capture's own share). */
#define FAST_ROUNDS 2

static double fast_fit(const ds_serial_settings *rx, const ds_serial_settings *tx, unsigned k, int inverted,
                       fast_resync resync, double q0, double zeros, const uint8_t *p, size_t n)
{
    fast_model fm;
    memset(&fm, 0, sizeof fm);
    fm.phases = ds_uart_char_bits(tx);
    fm.inverted = inverted;
    for (int c = 0; c < fm.phases; c++) fm.q[c] = q0;
    fast_fix_frame_bits(&fm, tx);
    double best = -INFINITY;
    for (int round = 0; round < FAST_ROUNDS; round++) {
        double ones[FAST_MAX_PHASES] = {0}, seen[FAST_MAX_PHASES] = {0};
        fast_model_build(&fm, rx, k, resync);
        double ll = fast_loglik(&fm, p, n, rx->data_bits, zeros, ones, seen);
        if (ll > best) best = ll;
        for (int c = 0; c < fm.phases; c++)
            if (seen[c] >= 1) fm.q[c] = (ones[c] + 0.5) / (seen[c] + 1);
        fast_fix_frame_bits(&fm, tx);
    }
    fast_model_build(&fm, rx, k, resync);
    double ll = fast_loglik(&fm, p, n, rx->data_bits, zeros, NULL, NULL);
    return ll > best ? ll : best;
}

/* log2 of the likelihood of the bytes under the model they are set against: a byte is 00 with
 * the capture's share of 00 bytes (a port that zeroes bad characters, or data full of zeros),
 * and otherwise independent bits, each position with its own share of ones among the other
 * bytes. The share of ones of all the bytes goes to *mean_share. */
static double bitwise_loglik(const uint8_t *p, size_t n, double *mean_share, double *zero_share)
{
    size_t ones[8] = {0}, zeros = 0;
    for (size_t i = 0; i < n; i++) {
        zeros += p[i] == 0;
        for (int b = 0; b < 8; b++) ones[b] += (p[i] >> b) & 1u;
    }
    double all = 0, share[8];
    size_t rest = n - zeros;
    for (int b = 0; b < 8; b++) {
        all += (double)ones[b];
        share[b] = rest ? ((double)ones[b] + 0.5) / ((double)rest + 1) : 0.5;
    }
    *mean_share = all / (8.0 * (double)n);
    double z = (double)zeros / (double)n;
    *zero_share = z;
    double ll = 0, p00 = 1;
    for (int b = 0; b < 8; b++) {
        p00 *= 1 - share[b];
        if (ones[b]) ll += (double)ones[b] * log2(share[b]);
        if (rest > ones[b]) ll += (double)(rest - ones[b]) * log2(1 - share[b]);
    }
    /* the other bytes had their bits counted as if no byte could be 00: close enough */
    if (rest) ll += (double)rest * log2(1 - z);
    if (zeros) ll += (double)zeros * log2(z + (1 - z) * p00);
    return ll;
}

typedef struct fast_hyp {
    ds_serial_settings receiver, sender;
    unsigned ratio;    /* sender baud / receiver baud */
    int inverted;
    double evidence;   /* bits over the bitwise model */
} fast_hyp;

/* Scores one hypothesis under both resynchronisations. */
static void fast_score(fast_hyp *h, double q, double zeros, double null_ll, const uint8_t *p, size_t n)
{
    h->evidence = -INFINITY;
    for (int rs = FAST_AFTER_MARK; rs <= FAST_AT_ONCE; rs++) {
        double e = fast_fit(&h->receiver, &h->sender, h->ratio, h->inverted, (fast_resync)rs, q, zeros, p, n) - null_ll;
        if (e > h->evidence) h->evidence = e;
    }
}

/* The same chain explains two other ways of losing bits at the capture's own rate: an inverted
 * line (its start bits read as marks, its stop bits and idle as spaces: the port takes data
 * edges for start bits), and 8N1 read by a port that expects a parity bit (it reads the stop bit
 * as the parity bit and the next start bit as its stop bit: a framing error, then it waits for a
 * later edge). Both are scored with the faster senders. */
static size_t same_rate_hypotheses(const ds_serial_settings *told, fast_hyp *h)
{
    size_t k = 0;
    ds_serial_settings rx;
    if (told) rx = *told;
    else settings_of(&rx, 9600, 8, DS_PARITY_NONE);
    if (!ds_uart_bit_ticks(rx.baud)) return 0; /* no UART runs at it: nothing to name */
    h[k] = (fast_hyp){.receiver = rx, .sender = rx, .ratio = 1, .inverted = 1};
    k++;
    if (!told) settings_of(&rx, 9600, 8, DS_PARITY_EVEN); /* a port expecting parity, not told */
    if (rx.parity != DS_PARITY_NONE && rx.data_bits == 8) {
        h[k] = (fast_hyp){.receiver = rx, .ratio = 1};
        settings_of(&h[k].sender, rx.baud, 8, DS_PARITY_NONE);
        k++;
    }
    return k;
}

static int fast_better(const fast_hyp *a, const fast_hyp *b) { return !b || a->evidence > b->evidence; }

static void fast_why(ds_serial_inference *out, const fast_hyp *best, size_t n)
{
    char rx[DS_SERIAL_SETTINGS_TEXT], tx[DS_SERIAL_SETTINGS_TEXT];
    ds_serial_settings_format(&best->receiver, rx, sizeof rx);
    ds_serial_settings_format(&best->sender, tx, sizeof tx);
    if (best->inverted)
        snprintf(out->why, sizeof out->why,
                 "no setting gives frames with good checks, but the bits of the bytes (%zu) fall as an inverted line "
                 "leaves them: its start bits read as marks and its stop bits as spaces, the port taking data edges "
                 "for start bits (%.0f bits of evidence); the bits it skipped are lost",
                 n, best->evidence);
    else if (best->ratio == 1)
        snprintf(out->why, sizeof out->why,
                 "no setting gives frames with good checks, but the bits of the bytes (%zu) fall as %s read at %s "
                 "leaves them: the stop bit read as the parity bit and the next start bit as the stop bit, a framing "
                 "error at most characters (%.0f bits of evidence); the bits the port skipped are lost",
                 n, strchr(tx, ':') + 1, strchr(rx, ':') + 1, best->evidence);
    else
        snprintf(out->why, sizeof out->why,
                 "no setting gives frames with good checks, but the bits of the bytes (%zu) fall as a sender %u times "
                 "faster than the capture leaves them, its start and stop bits read where its character frame puts "
                 "them (%.0f bits of evidence); the bits in between are lost",
                 n, best->ratio, best->evidence);
}

/* 1 when a faster sender, an inverted line or a missing parity bit explains the capture (out is
 * filled), 0 when none does. */
static int faster_sender_verdict(ds_serial_inference *out, const uint8_t *p, size_t n, const ds_serial_settings *told)
{
    if (n < FAST_MIN_BYTES || (told && told->data_bits < 8)) return 0;
    if (n > FAST_PREFIX) n = FAST_PREFIX;
    ds_serial_settings rx;
    if (told) rx = *told;
    else settings_of(&rx, 9600, 8, DS_PARITY_NONE);
    double q, zeros;
    double null_ll = bitwise_loglik(p, n, &q, &zeros);
    if (q <= 0.01 || q >= 0.99) return 0; /* all 00 or FF: the alphabet tells that, or nothing does */
    static const struct {
        int data_bits;
        ds_parity parity;
    } TX_FORMATS[] = {{8, DS_PARITY_NONE}, {8, DS_PARITY_EVEN}};
    fast_hyp all[N_FAST_RATIOS * 2 + 2];
    size_t nh = 0;
    for (size_t r = 0; r < N_FAST_RATIOS; r++)
        for (size_t f = 0; f < 2; f++) {
            fast_hyp *h = &all[nh];
            *h = (fast_hyp){.receiver = rx, .ratio = FAST_RATIOS[r]};
            settings_of(&h->sender, rx.baud * FAST_RATIOS[r], TX_FORMATS[f].data_bits, TX_FORMATS[f].parity);
            if (ds_uart_bit_ticks(h->sender.baud)) nh++;
        }
    nh += same_rate_hypotheses(told, all + nh);
    const fast_hyp *best = NULL;
    for (size_t i = 0; i < nh; i++) {
        fast_score(&all[i], q, zeros, null_ll, p, n);
        if (fast_better(&all[i], best)) best = &all[i];
    }
    if (!best || best->evidence < FAST_MIN_BITS || best->evidence < FAST_PER_BYTE * (double)n) return 0;
    hypothesis h = {0};
    h.receiver = best->receiver;
    h.sender = best->sender;
    h.inverted = best->inverted;
    verdict_of(out, &h);
    out->statistical = 1;
    /* 4, 8, 12 and 16 read the same bits of a character that follows an idle line: one of them
     * is never named alone */
    int family = best->ratio % 4 == 0;
    for (size_t i = 0; i < nh && best->ratio > 1; i++) {
        const fast_hyp *a = &all[i];
        int close = a->evidence >= (1 - FAST_ALTERNATIVE) * best->evidence;
        if (a->ratio == 1 || a->sender.baud == best->sender.baud || !(close || (family && a->ratio % 4 == 0)))
            continue;
        int dup = 0;
        for (size_t k = 0; k < out->n_other_bauds; k++) dup |= out->other_bauds[k] == a->sender.baud;
        if (!dup && out->n_other_bauds < sizeof out->other_bauds / sizeof out->other_bauds[0])
            out->other_bauds[out->n_other_bauds++] = a->sender.baud;
    }
    fast_why(out, best, n);
    return 1;
}

static int all_below_128(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] & 0x80u) return 0;
    return 1;
}

/* M-Bus frames that a 7-bit receiver left with good 7-bit checks: the sender sends 8 data bits. */
static void seven_bit_verdict(ds_serial_inference *out, const frame_count *fc)
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
    snprintf(out->why, sizeof out->why,
             "%zu M-Bus frames whose start, length, stop byte and the low 7 bits of the checksum hold, with bit 7 "
             "of every byte missing: the sender sends 8 data bits (its parity cannot be told from these bytes)",
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

    int seven = receiver ? receiver->data_bits < 8 : n >= 64 && all_below_128(p, n);
    frame_count as_is, seven_bit_mbus = {0};
    count_frames(p, n, seven ? SEVEN_BIT_TELEGRAMS : EIGHT_BIT_FRAMES, &as_is);
    if (seven) count_frames(p, n, SEVEN_BIT_MBUS, &seven_bit_mbus);
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
        verdict_of(out, best);
        out->frames = best->fc.frames;
        out->frame_bytes = best->fc.bytes;
        snprintf(out->why, sizeof out->why,
                 "%zu frames with good checks (%zu bytes) when the line is read at the sender's setting, %zu as "
                 "captured; %zu hypotheses tried",
                 best->fc.frames, best->fc.bytes, as_is.frames, out->hypotheses);
        if (keep_recovered(out, best, p, n) != 0) goto nomem_list;
    } else if (convincing(&seven_bit_mbus, n)) {
        seven_bit_verdict(out, &seven_bit_mbus);
    } else {
        int rc = statistical_verdict(out, &hl, p, n);
        if (rc == 0 && !seven) rc = faster_sender_verdict(out, p, n, receiver);
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
