/* The byte values a mis-set receiver can deliver at all, weighed against a capture
 * (diagnose/serial_infer_int.h). */
#include "diagnose/serial_infer_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose/uart.h"

/* ---- what a receiver can deliver at all --------------------------------------------------
 *
 * Where the receiver's characters do not hold every bit the sender sent (it samples several
 * times faster, or reads the parity bit as a stop bit and drops the character), no frame can
 * be rebuilt; but such a receiver delivers only some byte values whatever the sender sends
 * (a receiver 4 times faster: 00, 78, 80 and F8). The set is found by sending random bytes
 * with idle gaps of any length through the pair of settings; a capture whose bytes all lie in
 * a small set is evidence for the hypotheses that make that set, weighed as the bits its
 * values save against any byte at all (log2(256 / size) per byte).
 *
 * Different mis-settings can make the same set: all 00 comes from a receiver ten times faster
 * or more than the sender (breaks) and from a port that zeroes bad characters reading a
 * sender with the other parity (or, the capture's setting unknown, the reverse pair). The
 * nearest hypothesis is named, the other rates and the other kinds that weigh exactly as much
 * are listed (other_bauds, alternatives), and the hint says how to tell them apart.
 *
 * Where a set this large tells too little: 8E1 read at 8N1 by a port that zeroes bad characters
 * leaves 00 and the bytes of odd weight (129 values; a byte of even weight has a parity bit 0,
 * read as a stop bit: a framing error). Against structured bytes such a set counts one bit a
 * distinct value (half the values of any other kind would fall outside), and 40 bits are asked
 * for: the ciphered M-Bus pushes hold enough distinct values (82 and 91), but plain HDLC pushes
 * repeat few (23 values of odd weight in the Kaifa list, 31 in the Kamstrup one, pushes repeated
 * 3 or 10 times alike). What such a port adds is the 00 share: every character of even weight
 * reads 00, about half of any byte stream (71 and 62 % in those HDLC pushes, 47 and 50 % in the
 * M-Bus ones). So a capture whose bytes are 00 and the bytes of one weight only (the odd set, or
 * the even one that 8O1 read so leaves), 00 being 25 to 90 % of them, is weighed against 20 bits
 * instead of 40, and so is every hypothesis at the capture's rate that makes the same set (7E1
 * read at 8N1 makes the even one: it is then named, 8O1 through a zeroing port listed with it,
 * the port that keeps bad characters being the common case). Bytes no UART made rarely do this:
 * chunks of 300 and 1500 bytes from every file of /usr/bin, /usr/lib/x86_64-linux-gnu and
 * /usr/share (57873 files, up to 20 chunks spread over the first 4 MiB of each) that fit the odd
 * set (at most 0.5 % of their bytes outside) held at most 18 values besides 00, all at 97 % 00 or
 * more (tables of a few values in padding), and at most 12 with a 00 share within the bounds;
 * those that fit the even set at most 10, and none of 8 or more within the bounds. The bar
 * counts 00 too, at log2(256 / 129) bits a value: 12.9 bits for the richest of those chunks
 * within the bounds, 23.8 and 31.7 for the two HDLC vectors. 7O1 read at 8N1 also gives bytes of
 * odd weight only, but never 00 (data 00 is sent with parity 1: 80), which the lower bound keeps
 * out. The HDLC skeleton that survives (00 00 L with L of odd weight, a 00 where L says) was not
 * needed and is not counted. */

#define ALPHA_SYNTH_BYTES 1500u
#define ALPHA_MAX_SIZE 160u      /* a bigger set tells too little */
#define ALPHA_MIN_EVIDENCE 64.0  /* bits */

typedef struct alpha_hyp {
    hypothesis h;
    ds_uart_error_policy policy;
    unsigned size;
    uint8_t only;      /* the value, when size is 1 */
    int one_weight;    /* 00 and the bytes of one weight, weighed with the lowered bar */
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

static int synth_alphabet(const hypothesis *h, ds_uart_error_policy policy, unsigned max_useful, ds_uart_line *line,
                          alpha_set *set)
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
        if (set_size(set) > max_useful) break;
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

/* 8E1 read at 8N1 by a port that zeroes bad characters delivers 00 and the bytes of odd weight
 * (8O1 the mirror: the bytes of even weight, 00 among them), and 00 stands for every character of
 * the other weight, about half of any byte stream. A capture whose bytes make one of these two
 * sets, with a 00 share between these bounds, is weighed against ZEROED_PARITY_EVIDENCE distinct
 * bits instead of ALPHA_DISTINCT_EVIDENCE (the top comment says why and what was measured), and
 * so is every other hypothesis at the capture's rate that makes the same set (7E1 read at 8N1
 * makes the even one), so that the bytes name them together. */
#define ZEROED_PARITY_EVIDENCE 20.0
#define ZEROED_SHARE_MIN 0.25
#define ZEROED_SHARE_MAX 0.90

/* A sender at the rate of a receiver of 8 data bits, on an upright line: its frame format
 * differs (the capture's own setting is no hypothesis). */
static int same_rate_format_mismatch(const hypothesis *h)
{
    return !h->inverted && h->sender.baud == h->receiver.baud && h->receiver.data_bits == 8;
}

static int zero_share_fits(const size_t hist[256], size_t n)
{
    double zeros = n ? (double)hist[0] / (double)n : 0;
    return zeros >= ZEROED_SHARE_MIN && zeros <= ZEROED_SHARE_MAX;
}

/* The set is 00 and the bytes of one weight, odd or even. */
static int one_weight_set(const alpha_set *set)
{
    int odd_set = 1, even_set = 1;
    for (unsigned b = 0; b < 256; b++) {
        int odd = ds_uart_parity_bit(b, 8, DS_PARITY_EVEN);
        odd_set &= set->in[b] == (b == 0 || odd);
        even_set &= set->in[b] == !odd;
    }
    return odd_set || even_set;
}

static void weigh_alphabet(alpha_hyp *a, const alpha_set *set, const size_t hist[256], size_t n, double bar)
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
    if (size > ALPHA_SMALL && distinct * per_value < bar) return;
    a->evidence = (double)covered * per_value - 8.0 * (double)missed;
}

/* The biggest set that can still count for a capture of this many distinct values (see
 * weigh_alphabet): the synthesis stops once its set is bigger, the answer unchanged. */
static unsigned max_useful_size(const hypothesis *h, unsigned distinct, double bar)
{
    double deliverable = (double)(1u << h->receiver.data_bits);
    double size = distinct ? deliverable / pow(2.0, bar / distinct) : 0;
    if (size < ALPHA_SMALL) return ALPHA_SMALL;
    return size > ALPHA_MAX_SIZE ? ALPHA_MAX_SIZE : (unsigned)size + 1u;
}

/* One hypothesis weighed. */
static int weigh_one(alpha_hyp *a, const size_t hist[256], size_t n, ds_uart_line *line)
{
    unsigned distinct = 0;
    for (int b = 0; b < 256; b++) distinct += hist[b] != 0;
    int lowered = same_rate_format_mismatch(&a->h) && zero_share_fits(hist, n);
    double bar = lowered ? ZEROED_PARITY_EVIDENCE : ALPHA_DISTINCT_EVIDENCE;
    alpha_set set;
    if (synth_alphabet(&a->h, a->policy, max_useful_size(&a->h, distinct, bar), line, &set) != 0) return -1;
    a->one_weight = lowered && one_weight_set(&set);
    weigh_alphabet(a, &set, hist, n, a->one_weight ? bar : ALPHA_DISTINCT_EVIDENCE);
    return 0;
}

/* The evidence of every hypothesis under both port policies, at [2 * i + policy]. */
static int weigh_all(const hyp_list *hl, const size_t hist[256], size_t n, ds_uart_line *line, alpha_hyp *all)
{
    for (size_t i = 0; i < hl->n; i++)
        for (int pol = DS_UART_KEEP; pol <= DS_UART_ZERO; pol++) {
            alpha_hyp *a = &all[2 * i + (size_t)pol];
            a->h = hl->h[i];
            a->policy = (ds_uart_error_policy)pol;
            if (weigh_one(a, hist, n, line) != 0) return -1;
        }
    return 0;
}

static int counts(const alpha_hyp *a) { return a->evidence >= ALPHA_MIN_EVIDENCE; }
static int ties(const alpha_hyp *a, const alpha_hyp *b) { return a->evidence > b->evidence - 1e-9; }

/* Among equal evidence: a receiver that keeps bad characters (the common case), then the
 * hypothesis nearest to the capture's setting. */
static int alpha_better(const alpha_hyp *a, const alpha_hyp *b)
{
    if (!b || a->evidence > b->evidence + 1e-9) return 1;
    if (!ties(a, b)) return 0;
    if (a->policy != b->policy) return a->policy < b->policy;
    return si_distance(&a->h) < si_distance(&b->h);
}

static void add_other_baud(ds_serial_inference *out, unsigned long baud)
{
    for (size_t k = 0; k < out->n_other_bauds; k++)
        if (out->other_bauds[k] == baud) return;
    if (baud != out->sender.baud && out->n_other_bauds < sizeof out->other_bauds / sizeof out->other_bauds[0])
        out->other_bauds[out->n_other_bauds++] = baud;
}

/* A receiver 12 times faster (9600 read at 115200, a usual pair) also sees only 00: when the
 * bytes are all 00 from a slower sender, that rate is weighed too (it is not among the ratios
 * enumerated). */
#define SLOW_PAIR_RATIO 12u

static int add_slow_pair(ds_serial_inference *out, const alpha_hyp *best, const size_t hist[256], size_t n,
                         ds_uart_line *line)
{
    unsigned long rbaud = best->h.receiver.baud;
    if (best->size != 1 || best->only != 0 || rbaud % SLOW_PAIR_RATIO) return 0;
    alpha_hyp a = *best;
    a.h.sender.baud = rbaud / SLOW_PAIR_RATIO;
    if (!ds_uart_bit_ticks(a.h.sender.baud)) return 0;
    if (weigh_one(&a, hist, n, line) != 0) return -1;
    if (counts(&a) && ties(&a, best)) add_other_baud(out, a.h.sender.baud);
    return 0;
}

/* The verdict a hypothesis names, as an alternative. */
static void alternative_of(ds_serial_alternative *alt, const alpha_hyp *a)
{
    ds_serial_inference v;
    memset(&v, 0, sizeof v);
    si_verdict_of(&v, &a->h);
    alt->verdict = v.verdict;
    alt->code = v.code;
    alt->receiver = a->h.receiver;
    alt->sender = a->h.sender;
    alt->inverted = a->h.inverted;
    alt->receiver_zeroes_errors = a->policy == DS_UART_ZERO;
}

/* The same answer as one already given: the same kind, frame formats and polarity (a baud
 * mismatch is the same answer whatever the formats: the other rates are listed apart). */
static int same_answer(const ds_serial_alternative *a, const ds_serial_alternative *b)
{
    if (a->verdict != b->verdict) return 0;
    if (a->verdict == DS_SERIAL_BAUD) return 1;
    return a->inverted == b->inverted && si_same_frame_format(&a->receiver, &b->receiver) &&
           si_same_frame_format(&a->sender, &b->sender);
}

static void add_alternative(ds_serial_inference *out, const ds_serial_alternative *main, const alpha_hyp *a)
{
    ds_serial_alternative alt;
    alternative_of(&alt, a);
    /* another rate is listed with the rates when there are any */
    if (same_answer(&alt, main) || (alt.verdict == DS_SERIAL_BAUD && out->n_other_bauds)) return;
    for (size_t k = 0; k < out->n_alternatives; k++)
        if (same_answer(&alt, &out->alternatives[k])) return;
    if (out->n_alternatives < sizeof out->alternatives / sizeof out->alternatives[0])
        out->alternatives[out->n_alternatives++] = alt;
}

/* A parity mismatch found against a receiver of unknown setting has its mirror (the receiver
 * with the sender's parity, the sender with the receiver's): the bytes of a port that zeroes
 * bad characters cannot tell which side is even. The common receivers tried hold no odd one,
 * so the mirror is weighed here. */
static int add_mirrors(ds_serial_inference *out, const ds_serial_alternative *main, const alpha_hyp *best,
                       const size_t hist[256], size_t n, ds_uart_line *line)
{
    size_t listed = out->n_alternatives;
    for (size_t k = 0; k <= listed; k++) {
        const ds_serial_alternative *from = k < listed ? &out->alternatives[k] : main;
        if (from->verdict != DS_SERIAL_PARITY || from->inverted || from->sender.baud != from->receiver.baud) continue;
        alpha_hyp a = *best;
        a.h.receiver = from->sender;
        a.h.sender = from->receiver;
        a.h.inverted = 0;
        a.policy = from->receiver_zeroes_errors ? DS_UART_ZERO : DS_UART_KEEP;
        if (weigh_one(&a, hist, n, line) != 0) return -1;
        if (counts(&a) && ties(&a, best)) add_alternative(out, main, &a);
    }
    return 0;
}

/* What the bytes cannot tell apart from the answer: other rates in the same frame format, and
 * other kinds of mis-setting (see ds_serial_alternative). */
static int list_equals(ds_serial_inference *out, const alpha_hyp *all, size_t nall, const alpha_hyp *best,
                       const size_t hist[256], size_t n, ds_uart_line *line)
{
    for (size_t i = 0; i < nall; i++) {
        const alpha_hyp *a = &all[i];
        const hypothesis *h = &a->h;
        if (a->policy != best->policy || h->sender.baud == best->h.sender.baud ||
            !si_same_frame_format(&h->sender, &best->h.sender) || h->inverted != best->h.inverted ||
            !si_same_frame_format(&h->receiver, &best->h.receiver) || h->receiver.baud != best->h.receiver.baud)
            continue;
        if (ties(a, best)) add_other_baud(out, h->sender.baud);
    }
    if (add_slow_pair(out, best, hist, n, line) != 0) return -1;
    ds_serial_alternative main;
    alternative_of(&main, best);
    for (size_t i = 0; i < nall; i++) {
        const alpha_hyp *a = &all[i];
        if (counts(a) && ties(a, best) && a->h.receiver.baud == best->h.receiver.baud) add_alternative(out, &main, a);
    }
    return out->receiver_known ? 0 : add_mirrors(out, &main, best, hist, n, line);
}

/* The alphabets of every hypothesis, with a receiver that keeps or zeroes bad characters. 1
 * when one explains the capture (out is filled), 0 when none does, -1 on no memory. */
int si_statistical_verdict(ds_serial_inference *out, const hyp_list *hl, const uint8_t *p, size_t n)
{
    size_t hist[256];
    (void)si_entropy_bits(p, n, hist);
    unsigned distinct = 0;
    for (int b = 0; b < 256; b++) distinct += hist[b] != 0;
    if (n == 0 || distinct > ALPHA_MAX_SIZE || hl->n == 0) return 0; /* no set that tells anything holds them */
    size_t nall = 2 * hl->n;
    alpha_hyp *all = malloc(nall * sizeof *all);
    if (!all) return -1;
    ds_uart_line line;
    ds_uart_line_init(&line);
    int rc = -1;
    if (weigh_all(hl, hist, n, &line, all) != 0) goto done;
    const alpha_hyp *best = NULL;
    for (size_t i = 0; i < nall; i++)
        if (counts(&all[i]) && alpha_better(&all[i], best)) best = &all[i];
    rc = 0;
    if (!best) goto done;
    /* One value only (00) from a port that checks parity: a sender at the capture's rate with the
     * other parity, read by a port that zeroes bad characters, explains it exactly as well as a
     * much slower sender. The nearer setting is named, the rate is listed as the alternative. */
    unsigned long slow_alternative = 0;
    if (best->size == 1 && best->h.sender.baud != best->h.receiver.baud && best->h.receiver.parity != DS_PARITY_NONE) {
        for (size_t i = 0; i < hl->n; i++) {
            const alpha_hyp *a = &all[2 * i + DS_UART_ZERO];
            const hypothesis *h = &a->h;
            if (h->inverted || h->sender.baud != h->receiver.baud || h->sender.parity == h->receiver.parity ||
                h->sender.data_bits != h->receiver.data_bits)
                continue;
            if (ties(a, best)) {
                slow_alternative = best->h.sender.baud;
                best = a;
                break;
            }
        }
    }
    si_verdict_of(out, &best->h);
    rc = -1;
    if (list_equals(out, all, nall, best, hist, n, &line) != 0) goto done;
    rc = 1;
    if (slow_alternative) add_other_baud(out, slow_alternative);
    out->statistical = 1;
    out->receiver_zeroes_errors = best->policy == DS_UART_ZERO;
    const char *zeroing = best->policy == DS_UART_ZERO ? " that reads bad characters as 00" : "";
    if (best->one_weight) {
        const char *weight = best->size == 129 ? "odd" : "even"; /* 00 and 128 odd, or 128 even (00 one) */
        snprintf(out->why, sizeof out->why,
                 "no setting gives frames with good checks, but every byte (%zu) is 00 or of %s weight, %.0f %% of "
                 "them 00, %u values: what a receiver at the capture's setting%s delivers from this sender (%.0f bits "
                 "of evidence)",
                 n, weight, 100.0 * (double)hist[0] / (double)n, distinct, zeroing, best->evidence);
    } else if (best->size == 1)
        snprintf(out->why, sizeof out->why,
                 "no setting gives frames with good checks, but every byte (%zu) is %02X, the only value a receiver "
                 "at the capture's setting%s delivers from this sender, whatever it sends (%.0f bits of evidence)",
                 n, best->only, zeroing, best->evidence);
    else
        snprintf(out->why, sizeof out->why,
                 "no setting gives frames with good checks, but every byte (%zu) is one of the %u values a receiver "
                 "at the capture's setting%s can deliver from this sender, whatever it sends (%.0f bits of evidence)",
                 n, best->size, zeroing, best->evidence);
done:
    ds_uart_line_free(&line);
    free(all);
    return rc;
}
