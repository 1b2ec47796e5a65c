/* A sender faster than the receiver, found from the bits its character frame forces
 * (diagnose/serial_infer_int.h). */
#include "diagnose/serial_infer_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose/uart.h"

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
 * byte now and then from an idle line; 00 bytes at the capture's share) is set against the
 * likelihood of the bytes as 00 at the capture's share or else independent bits,
 * each position with its own share of ones (which random bytes, text, program code and any
 * byte-wise structure fit better). A port that zeroes bad characters (INPCK) is a second
 * emission: 00 where the stop sample reads space or the parity sample does not match, and
 * both depend on the phase as the data bits do (tried when the capture has 5 % of 00 bytes,
 * for the four ratios that the keeping port's chain ranks first: the ranking holds, and trying
 * all would double the time; its shares fitted to the data bits alone, and set against bits
 * whose shares differ after a 00, which tables of a program fit: against the plain bits the
 * zeroing chain passes for them). A ratio counts when it explains the capture
 * FAST_MIN_BITS bits better (FAST_MIN_BITS_UNTOLD when not told), and
 * FAST_MARGIN better than any other kind of loss (an inverted line, a missing parity bit),
 * else nothing is named: the margins between these are a few bits on short or zero-heavy
 * captures. Random bytes score about 0.2 bit per byte worse (never above 25 bits: 360 captures
 * of 60 to 1200 bytes, uniform, sparse and 00-heavy), most program chunks worse still; but x86
 * code with runs of FF and 00 and tables of 16-bit values fit a chain whose phases alternate
 * (up to 153 bits at ratio 6 and 133 at 8E1 on 1500-byte chunks of /usr/bin: see
 * tests/bench/serial_chunks.c and its README section), and those already pass the bars;
 * they are barred instead by their runs of FF, which no faster sender leaves (longest_ff_run).
 * The data bits themselves are lost: nothing is recovered. 4, 8, 12 and 16 force the same bits
 * after an idle line and are told apart only by the rarer phases: when one of them wins, the
 * others are named as alternatives, as is any ratio within FAST_MARGIN or with half the best's
 * evidence. Tried with the corpus pushes (make serial-matrix): 2 and 4 are found from ten
 * pushes of most vectors, through a zeroing port too; 8, 12 and 16, and most three-push
 * captures, go unnamed (serial.not-dlms) rather than wrong: the phase is nearly new at each
 * character (over 2 of its 3.3 bits, measured on random data), so a byte tells little, and
 * the true ratio's lead over the others stays within the noise of the fitted shares. (A
 * sender model with 00 characters, which pin the next phase to the start bit, was tried: it
 * fitted the corpus vectors worse.)
 *
 * What bars the unnamed cases, measured (the chain's evidence over the bits model, at main
 * 77be7d4): with three pushes the true ratio leads by 20 to 46 bits at 2 and 4 times (under the
 * 48/60 bars), by -25 to 30 at 8, 12 and 16 from three or ten pushes; through a zeroing port by
 * -84 to 15 at 4 times even from ten pushes; the sender 8E1 chain by at most 44. The bits these
 * captures hold are few (a byte read 4 or 8 times too slowly carries 0.1 to 0.15 bit on the ratio,
 * measured on uniform random senders), so the bars cannot move down without naming rates for the
 * program chunks above, and what was tried to set the null model against those chunks took as much
 * from the corpus captures: a share of FF bytes in both models (the chain's verdicts 16 -> 4 in
 * 1448 inferences on 100-, 300- and 1500-byte chunks of 259 /usr/bin files, but the
 * check_serial_infer Kaifa list2 cases at 4 times and through a zeroing port went unnamed, and
 * inverted 8E1 got a wrong parity verdict), one set of shares for even and one for odd bytes (16
 * -> 8, but the pushes repeat and the corpus captures gain as much: up to 145 bits), a fitted
 * restart and idle share (no gain: within 5 bits). */

static const unsigned FAST_RATIOS[] = {2, 3, 4, 6, 8, 12, 16};
#define N_FAST_RATIOS (sizeof FAST_RATIOS / sizeof FAST_RATIOS[0])
#define FAST_MAX_PHASES 12       /* bits of a sender character: 8E1 is 11 */
#define FAST_MIN_BYTES 48u
#define FAST_PREFIX (2u * 1024u)  /* bytes scored: enough for any verdict, bounded time */
#define FAST_MIN_BITS 48.0        /* likelihood ratio (bits) a ratio must reach */
#define FAST_MIN_BITS_UNTOLD 60.0 /* ... when the receiver's setting is not told */
#define FAST_PER_BYTE 0.02        /* ... and per byte of the capture */
#define FAST_MARGIN 16.0          /* bits a verdict must beat any other kind of loss by */
#define FAST_ALTERNATIVE 0.5      /* a ratio with this share of the best's evidence is named too */
#define FAST_RESTART 0.02         /* a new frame (phase 0) at any character */
#define FAST_ZEROING_SHARE 0.05 /* 00 bytes from which a port that zeroes bad characters is tried */
#define FAST_ZEROING_TRIES 4      /* ... for this many faster senders */
#define N_FAST_HYPS (N_FAST_RATIOS * 2 + 2)
#define FAST_MAX_FF_RUN 3         /* FF bytes in a row that no faster sender leaves (longest_ff_run) */
#define FAST_IDLE 0.05            /* a byte that fits no phase (idle line, a gap inside a frame) */

typedef struct fast_model {
    int phases;                                   /* bits of the sender's character */
    int inverted;                                 /* the line is read upside down */
    int zeroing;                                  /* the port delivers 00 for a bad character */
    int rx_parity;                                /* the receiver samples a parity bit */
    ds_parity parity;                             /* ... of this kind */
    double restart[FAST_MAX_PHASES];              /* the first character's phase after an idle line */
    double q[FAST_MAX_PHASES];                    /* per bit of the sender's character: P(one) */
    uint8_t cls[FAST_MAX_PHASES][9];              /* per phase and data bit (then parity): the sender bit sampled */
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
    fm->rx_parity = rx->parity != DS_PARITY_NONE;
    fm->parity = rx->parity;
    int stop_m = 1 + rx->data_bits + fm->rx_parity;
    double glitch[FAST_MAX_PHASES][FAST_MAX_PHASES];
    memset(glitch, 0, sizeof glitch);
    memset(fm->edge, 0, sizeof fm->edge);
    memset(fm->taken, 0, sizeof fm->taken);
    memset(fm->next, 0, sizeof fm->next);
    for (int j = 0; j < L; j++) {
        fm->start_ok[j] = bit_chance(fm, (int)(sample_pos(j, k, 0) % L), 0);
        for (int i = 0; i < rx->data_bits + fm->rx_parity && i < 9; i++)
            fm->cls[j][i] = (uint8_t)(sample_pos(j, k, 1 + i) % L);
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

/* What the port delivers for one character, as chances: emit[v][j][b] the byte b with the stop
 * sample reading v from an edge at phase j, and data[j][b] the part of it the sender's data
 * bits explain (to fit fm->q). A byte is now and then from an idle line (FAST_IDLE), or 00 at
 * share zeros (data full of zeros); otherwise its bits are the samples. A port that keeps bad
 * characters delivers the samples whatever the stop sample reads; one that zeroes them
 * delivers 00 when the stop sample reads space or the parity sample does not match, and those
 * depend on the phase as the data bits do. */
typedef struct fast_emission {
    double emit[2][FAST_MAX_PHASES][256];
    double data[FAST_MAX_PHASES][256];
} fast_emission;

static void fast_emission_build(fast_emission *e, const fast_model *fm, int data_bits, double zeros)
{
    for (int j = 0; j < fm->phases; j++) {
        double stop1 = fm->stop_one[j], bad = 1;
        for (unsigned b = 0; b < 256; b++) {
            double pb = byte_given_phase(fm, j, b, data_bits);
            if (fm->zeroing && fm->rx_parity)
                pb *= bit_chance(fm, fm->cls[j][data_bits], ds_uart_parity_bit(b, data_bits, fm->parity));
            e->data[j][b] = (1 - zeros) * (1 - FAST_IDLE) * pb;
            bad -= pb;
        }
        for (unsigned b = 0; b < 256; b++) {
            double base = e->data[j][b] + (1 - zeros) * FAST_IDLE / 256.0 + (b == 0 ? zeros : 0);
            if (!fm->zeroing) {
                e->emit[1][j][b] = stop1 * base;
                e->emit[0][j][b] = (1 - stop1) * base;
            } else {
                /* a parity error with a good stop sample is a 00 too */
                if (b == 0 && fm->rx_parity) base += (1 - zeros) * (1 - FAST_IDLE) * (bad > 0 ? bad : 0);
                e->emit[1][j][b] = stop1 * base;
                e->emit[0][j][b] = b == 0 ? 1 - stop1 : 0;
                e->data[j][b] *= stop1;
            }
        }
    }
}

/* log2 of the capture's likelihood under the chain (forward algorithm, scaled). When ones and
 * seen are given, the data bits are counted per sender bit, each byte by the chance of each
 * phase given the bytes so far (to set fm->q again), and *zeros_seen gets the weight of the
 * 00 bytes that the share of zeros explains (to set it again). */
static double fast_loglik(const fast_model *fm, fast_emission *em, const uint8_t *p, size_t n, int data_bits,
                          double zeros, double *ones, double *seen, double *zeros_seen)
{
    int L = fm->phases;
    static const double KEEP_ON = 1 - FAST_RESTART;
    fast_emission_build(em, fm, data_bits, zeros);
    const fast_emission *e = em;
    /* step[v]: after a stop sample that read v; step[2]: either, by its chance (the bytes of a
     * port that keeps bad characters do not tell; nor the 00 of one that zeroes them) */
    double step[3][FAST_MAX_PHASES][FAST_MAX_PHASES];
    for (int j = 0; j < L; j++)
        for (int m = 0; m < L; m++) {
            for (int v = 0; v <= 1; v++) step[v][j][m] = KEEP_ON * fm->next[v][j][m];
            step[2][j][m] = (1 - fm->stop_one[j]) * step[0][j][m] + fm->stop_one[j] * step[1][j][m];
        }
    double alpha[FAST_MAX_PHASES], nalpha[FAST_MAX_PHASES], post[FAST_MAX_PHASES];
    for (int j = 0; j < L; j++) alpha[j] = fm->restart[j]; /* the capture starts after an idle line */
    double ll = 0;
    for (size_t t = 0; t < n; t++) {
        unsigned b = p[t];
        memset(nalpha, 0, sizeof nalpha);
        double total = 0;
        /* a port that zeroes bad characters delivers anything but 00 only after a good stop
         * sample; otherwise the byte does not tell what the stop sample read */
        int after = fm->zeroing && b != 0 ? 1 : 2;
        for (int j = 0; j < L; j++) {
            double w0 = alpha[j] * e->emit[0][j][b], w1 = alpha[j] * e->emit[1][j][b];
            post[j] = alpha[j];
            if (w0 + w1 <= 1e-300) continue;
            total += w0 + w1;
            if (fm->zeroing && b == 0) {
                for (int m = 0; m < L; m++) nalpha[m] += w0 * step[0][j][m] + w1 * step[1][j][m];
            } else {
                double w = w0 + w1;
                for (int m = 0; m < L; m++) nalpha[m] += w * step[after][j][m];
            }
        }
        if (total <= 0) return -INFINITY;
        ll += log2(total);
        if (ones) {
            double inv = 1 / total;
            for (int j = 0; j < L; j++) {
                double pj = post[j] * (fm->zeroing ? e->data[j][b] : e->emit[0][j][b] + e->emit[1][j][b]) * inv;
                if (b == 0) *zeros_seen += post[j] * zeros * (fm->zeroing ? fm->stop_one[j] : 1) * inv;
                if (pj < 1e-6) continue; /* too unlikely a phase to move the shares */
                for (int i = 0; i < data_bits; i++) {
                    seen[fm->cls[j][i]] += pj;
                    if ((b >> i) & 1u) ones[fm->cls[j][i]] += pj;
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
 * sender's character and the share of 00 bytes set from the bytes (a few rounds of
 * expectation-maximisation, from the capture's own shares). */
#define FAST_ROUNDS 2

static double fast_fit(fast_emission *em, const ds_serial_settings *rx, const ds_serial_settings *tx, unsigned k,
                       int inverted, int zeroing, fast_resync resync, double q0, double zeros, const uint8_t *p, size_t n)
{
    fast_model fm;
    memset(&fm, 0, sizeof fm);
    fm.phases = ds_uart_char_bits(tx);
    fm.inverted = inverted;
    fm.zeroing = zeroing;
    for (int c = 0; c < fm.phases; c++) fm.q[c] = q0;
    fast_fix_frame_bits(&fm, tx);
    double best = -INFINITY;
    for (int round = 0; round < FAST_ROUNDS; round++) {
        double ones[FAST_MAX_PHASES] = {0}, seen[FAST_MAX_PHASES] = {0}, zeros_seen = 0;
        fast_model_build(&fm, rx, k, resync);
        double ll = fast_loglik(&fm, em, p, n, rx->data_bits, zeros, ones, seen, &zeros_seen);
        if (ll > best) best = ll;
        for (int c = 0; c < fm.phases; c++)
            if (seen[c] >= 1) fm.q[c] = (ones[c] + 0.5) / (seen[c] + 1);
        fast_fix_frame_bits(&fm, tx);
        if (zeroing) zeros = (zeros_seen + 0.5) / ((double)n + 1);
    }
    fast_model_build(&fm, rx, k, resync);
    double ll = fast_loglik(&fm, em, p, n, rx->data_bits, zeros, NULL, NULL, NULL);
    return ll > best ? ll : best;
}

/* The bits of a set of bytes (those whose predecessor is 00, or is not, or all: after = 1, 0,
 * -1): ll the log2 of their likelihood as 00 at their share, else independent bits, each
 * position with its own share of ones among the other bytes. */
typedef struct bit_counts {
    size_t n, zeros, ones[8];
} bit_counts;

static void count_bits(const uint8_t *p, size_t n, int after, bit_counts *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < n; i++) {
        if (after >= 0 && (i > 0 && p[i - 1] == 0) != after) continue;
        c->n++;
        c->zeros += p[i] == 0;
        for (int b = 0; b < 8; b++) c->ones[b] += (p[i] >> b) & 1u;
    }
}

static double bits_loglik(const bit_counts *c)
{
    if (!c->n) return 0;
    size_t rest = c->n - c->zeros;
    double ll = 0, p00 = 1;
    for (int b = 0; b < 8; b++) {
        double share = rest ? ((double)c->ones[b] + 0.5) / ((double)rest + 1) : 0.5;
        p00 *= 1 - share;
        if (c->ones[b]) ll += (double)c->ones[b] * log2(share);
        if (rest > c->ones[b]) ll += (double)(rest - c->ones[b]) * log2(1 - share);
    }
    /* 00 at share zx, else the bits (00 among them too): zx set so that 00 comes at the bytes'
     * share z, the best fit, as the chains fit theirs */
    double z = (double)c->zeros / (double)c->n;
    double zx = p00 < 1 && z > p00 ? (z - p00) / (1 - p00) : 0;
    if (rest) ll += (double)rest * log2(1 - zx);
    if (c->zeros) ll += (double)c->zeros * log2(zx + (1 - zx) * p00);
    return ll;
}

/* log2 of the likelihood of the bytes under the model they are set against: the bits as above.
 * *runs_ll gets the better of that and (when better by more than its nine more shares cost)
 * the same with one set of shares after a 00 and one after any other byte, which tables of a
 * program and other runs of 00 fit: a zeroing port's chain, whose 00s follow the phases, is set
 * against it (against the plain bits it passes for such tables). The share of ones and of 00
 * of all the bytes go to *mean_share and *zero_share. */
static double bitwise_loglik(const uint8_t *p, size_t n, double *mean_share, double *zero_share, double *runs_ll)
{
    bit_counts all, after_zero, after_other;
    count_bits(p, n, -1, &all);
    double ones = 0;
    for (int b = 0; b < 8; b++) ones += (double)all.ones[b];
    *mean_share = ones / (8.0 * (double)n);
    *zero_share = (double)all.zeros / (double)n;
    count_bits(p, n, 1, &after_zero);
    count_bits(p, n, 0, &after_other);
    double plain = bits_loglik(&all);
    double by_zero = bits_loglik(&after_zero) + bits_loglik(&after_other) - 9 * 0.5 * log2((double)n);
    *runs_ll = by_zero > plain ? by_zero : plain;
    return plain;
}

typedef struct fast_hyp {
    ds_serial_settings receiver, sender;
    unsigned ratio;    /* sender baud / receiver baud */
    int inverted;
    double evidence;   /* bits over the bitwise model */
    fast_resync resync; /* the resynchronisation that gave it */
} fast_hyp;

/* Scores one hypothesis, a port that keeps bad characters, under both resynchronisations. */
static void fast_score(fast_hyp *h, fast_emission *em, double q, double zeros, double null_ll, const uint8_t *p,
                       size_t n)
{
    h->evidence = -INFINITY;
    for (int rs = FAST_AFTER_MARK; rs <= FAST_AT_ONCE; rs++) {
        double e = fast_fit(em, &h->receiver, &h->sender, h->ratio, h->inverted, 0, (fast_resync)rs, q, zeros, p, n) -
                   null_ll;
        if (e > h->evidence) {
            h->evidence = e;
            h->resync = (fast_resync)rs;
        }
    }
}

/* A port that zeroes bad characters, for the faster senders that a keeping port's chain ranks
 * first (FAST_ZEROING_TRIES of them per receiver format, with the resynchronisation it chose):
 * the bytes' 00s follow the same phases, so the ranking holds well enough, and trying every
 * one would double the time. */
static void fast_score_zeroing(fast_hyp *all, size_t nh, fast_emission *em, double q, double zeros, double null_ll,
                               const uint8_t *p, size_t n)
{
    double kept[N_FAST_HYPS];
    for (size_t i = 0; i < nh; i++) kept[i] = all[i].evidence;
    for (int parity = 0; parity <= 1; parity++) /* per receiver format */
        for (int t = 0; t < FAST_ZEROING_TRIES; t++) {
            size_t top = nh;
            for (size_t i = 0; i < nh; i++)
                if (all[i].ratio > 1 && (all[i].receiver.parity != DS_PARITY_NONE) == parity && kept[i] > -INFINITY &&
                    (top == nh || kept[i] > kept[top]))
                    top = i;
            if (top == nh) break;
            kept[top] = -INFINITY;
            fast_hyp *h = &all[top];
            double e =
                fast_fit(em, &h->receiver, &h->sender, h->ratio, h->inverted, 1, h->resync, q, zeros, p, n) - null_ll;
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
    else si_settings_of(&rx, 9600, 8, DS_PARITY_NONE);
    if (!ds_uart_bit_ticks(rx.baud)) return 0; /* no UART runs at it: nothing to name */
    h[k] = (fast_hyp){.receiver = rx, .sender = rx, .ratio = 1, .inverted = 1};
    k++;
    if (!told) si_settings_of(&rx, 9600, 8, DS_PARITY_EVEN); /* a port expecting parity, not told */
    if (rx.parity != DS_PARITY_NONE && rx.data_bits == 8) {
        h[k] = (fast_hyp){.receiver = rx, .ratio = 1};
        si_settings_of(&h[k].sender, rx.baud, 8, DS_PARITY_NONE);
        k++;
    }
    return k;
}

/* The same verdict: both a faster sender (at any ratio: the alternatives are named), or both
 * the same loss at the capture's rate. */
static int fast_same_kind(const fast_hyp *a, const fast_hyp *b)
{
    if (a->ratio > 1 || b->ratio > 1) return a->ratio > 1 && b->ratio > 1;
    return a->inverted == b->inverted;
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

/* The longest run of FF bytes in p. A sender k >= 2 times faster puts a start bit (a space) in
 * every 10 or 11 of its bits, and a receiver's nine samples after its own start span 9k of them:
 * an FF needs every sample to miss those spaces, and the next character needs a new falling
 * edge. Measured (make serial-matrix, tests/bench/serial_negatives.c): no capture of a faster
 * sender, of DLMS or of other protocols, held two FF in a row; program code (-1 immediates,
 * negative call offsets) holds runs of 3 to 6. An inverted line does leave runs (up to 4). */
static size_t longest_ff_run(const uint8_t *p, size_t n)
{
    size_t run = 0, longest = 0;
    for (size_t i = 0; i < n; i++) {
        run = p[i] == 0xFFu ? run + 1 : 0;
        if (run > longest) longest = run;
    }
    return longest;
}

/* 1 when a faster sender, an inverted line or a missing parity bit explains the capture (out is
 * filled), 0 when none does. */
int si_faster_sender_verdict(ds_serial_inference *out, const uint8_t *p, size_t n, const ds_serial_settings *told)
{
    if (n < FAST_MIN_BYTES || (told && told->data_bits < 8)) return 0;
    if (n > FAST_PREFIX) n = FAST_PREFIX;
    ds_serial_settings rx;
    if (told) rx = *told;
    else si_settings_of(&rx, 9600, 8, DS_PARITY_NONE);
    double q, zeros;
    double runs_ll;
    double null_ll = bitwise_loglik(p, n, &q, &zeros, &runs_ll);
    if (q <= 0.01 || q >= 0.99) return 0; /* all 00 or FF: the alphabet tells that, or nothing does */
    static const struct {
        int data_bits;
        ds_parity parity;
    } TX_FORMATS[] = {{8, DS_PARITY_NONE}, {8, DS_PARITY_EVEN}};
    fast_hyp all[N_FAST_HYPS];
    size_t nh = 0;
    for (size_t r = 0; r < N_FAST_RATIOS; r++)
        for (size_t f = 0; f < 2; f++) {
            fast_hyp *h = &all[nh];
            *h = (fast_hyp){.receiver = rx, .ratio = FAST_RATIOS[r]};
            si_settings_of(&h->sender, rx.baud * FAST_RATIOS[r], TX_FORMATS[f].data_bits, TX_FORMATS[f].parity);
            if (ds_uart_bit_ticks(h->sender.baud)) nh++;
        }
    nh += same_rate_hypotheses(told, all + nh);
    fast_emission *em = malloc(sizeof *em); /* 72 KB: not on the stack */
    if (!em) return -1;
    const fast_hyp *best = NULL;
    for (size_t i = 0; i < nh; i++) fast_score(&all[i], em, q, zeros, null_ll, p, n);
    if (zeros >= FAST_ZEROING_SHARE) fast_score_zeroing(all, nh, em, q, zeros, runs_ll, p, n);
    for (size_t i = 0; i < nh; i++)
        if (fast_better(&all[i], best)) best = &all[i];
    free(em);
    /* not told, the receiver's own setting is a guess too: a higher bar */
    double min_bits = told ? FAST_MIN_BITS : FAST_MIN_BITS_UNTOLD;
    if (!best || best->evidence < min_bits || best->evidence < FAST_PER_BYTE * (double)n) return 0;
    /* bytes no faster sender leaves: the bits are of another kind (program code) */
    if (best->ratio > 1 && longest_ff_run(p, n) >= FAST_MAX_FF_RUN) return 0;
    /* another kind of loss (an inverted line, a missing parity bit, a faster sender) nearly as
     * good: the bits do not tell them apart, and naming one would be a guess */
    for (size_t i = 0; i < nh; i++)
        if (!fast_same_kind(&all[i], best) && all[i].evidence > best->evidence - FAST_MARGIN) return 0;
    hypothesis h = {0};
    h.receiver = best->receiver;
    h.sender = best->sender;
    h.inverted = best->inverted;
    si_verdict_of(out, &h);
    out->statistical = 1;
    /* 4, 8, 12 and 16 read the same bits of a character that follows an idle line: one of them
     * is never named alone; nor is one that any other ratio explains nearly as well */
    int family = best->ratio % 4 == 0;
    for (size_t i = 0; i < nh && best->ratio > 1; i++) {
        const fast_hyp *a = &all[i];
        int close = a->evidence >= (1 - FAST_ALTERNATIVE) * best->evidence ||
                    a->evidence > best->evidence - FAST_MARGIN;
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

