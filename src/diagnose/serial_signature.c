/* An inverted line named by the frame starts it must contain (diagnose/serial_infer_int.h).
 *
 * Known plaintext: every push starts after an idle line, which an inverted line holds at space:
 * the receiver reads it as a break (00) or ends its last character with a framing error, waits
 * for a mark, and so starts on the sender's first start bit. The characters it delivers for the
 * first bytes of a frame are therefore fixed for each hypothesis (the sender's frame format,
 * the receiver's, the port's policy for bad characters), as far as the bits they sample lie
 * within bytes the frame format fixes: an HDLC frame opens 7E A0|A1|A8|A9 L, an M-Bus long
 * frame 68 L L 68 (L enumerated). Each frame start is sent through the sender and receiver
 * models (uart.c); the characters whose every sample falls inside it are its signature (two
 * at least other than 00: any mis-set port delivers 00 plenty). The bytes a frame can end on
 * before the idle line are found the same way (frames ending 7E or 16, the bytes before them
 * enumerated). A signature found right after such an end byte (or at the capture's first
 * byte) at two frame starts or more, where chance would put it (at the capture's own byte
 * shares, over every signature and hypothesis tried) less than once in 2^24, names the
 * inversion; nothing is recovered (statistical). The signatures and frame ends do not depend
 * on the capture (nor on the rate): they are worked out once per process (pthread_once), so a
 * capture costs only the search.
 *
 * Tried on the serial matrix (tests/bench/serial_matrix.c): inverted 8N1 and 8E1 captures
 * named 44 of 64 (10 before), none wrong. The same search for a sender 2 to 16 times faster
 * and for a parity mismatch (no break marks their frame starts; the frame ends alone do)
 * named wrong settings in 5 of the 640 captures with signatures of two bytes, and nothing the
 * other parts had not named with three: it is not used for them. */
#include "diagnose/serial_infer_int.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose/uart.h"
#include "link/hdlc.h"

#define SIG_MAX 8         /* characters of a signature kept */
#define SIG_MIN 2         /* ... at least, other than 00 */
#define SIG_SCAN (64u * 1024u) /* bytes of the capture searched */

typedef struct signature {
    uint8_t b[SIG_MAX];
    uint8_t len;
    uint16_t from;   /* the first frame start that gives it */
} signature;

/* The frame starts tried: the bytes a frame format fixes, L enumerated. */
#define N_HDLC_FORMATS 4 /* A0, A1 (lengths up to 511), A8, A9 */
static size_t frame_start(unsigned index, uint8_t *out)
{
    unsigned hdlc = N_HDLC_FORMATS * 256u;
    if (index < hdlc) {
        static const uint8_t FMT[N_HDLC_FORMATS] = {0xA0, 0xA1, 0xA8, 0xA9};
        out[0] = DS_HDLC_FLAG;
        out[1] = FMT[index / 256u];
        out[2] = (uint8_t)(index % 256u);
        return 3;
    }
    index -= hdlc;
    out[0] = DS_MBUS_LONG_START;
    out[1] = out[2] = (uint8_t)(index + 3u);
    out[3] = DS_MBUS_LONG_START;
    return 4;
}
#define N_FRAME_STARTS (N_HDLC_FORMATS * 256u + 253u)

/* The characters delivered, with their error flags: a port that keeps bad characters and one
 * that zeroes them differ only in these, so one pass serves both. */
typedef struct collect {
    uint64_t end;      /* the tick where the known bytes end */
    uint64_t span;     /* ticks from a start edge to its stop sample */
    uint8_t b[SIG_MAX], flags[SIG_MAX];
    size_t n;
    int closed;
} collect;

static void collect_char(void *user, const ds_uart_char *c)
{
    collect *k = user;
    if (k->closed || c->start + k->span > k->end || k->n == SIG_MAX) {
        k->closed = 1;
        return;
    }
    k->b[k->n] = c->byte;
    k->flags[k->n++] = c->flags;
}

static uint8_t as_delivered(uint8_t byte, uint8_t flags, ds_uart_error_policy policy)
{
    return flags && policy == DS_UART_ZERO ? 0 : byte;
}

/* The characters a receiver at rx delivers from the frame start when the line idled before it,
 * the ones fixed by it alone. -1 on no memory. */
static int signature_of(ds_uart_line *l, const uint8_t *start, size_t len, const hypothesis *h, collect *k)
{
    uint64_t tbit = ds_uart_bit_ticks(h->sender.baud), rbit = ds_uart_bit_ticks(h->receiver.baud);
    ds_uart_line_clear(l);
    uint64_t idle = 24 * (tbit > rbit ? tbit : rbit);
    if (ds_uart_line_add(l, 1, idle) != 0) return -1;
    for (size_t i = 0; i < len; i++)
        if (ds_uart_put_char(l, &h->sender, start[i]) != 0) return -1;
    memset(k, 0, sizeof *k);
    k->end = l->total;
    k->span = (uint64_t)(ds_uart_char_bits(&h->receiver) - 1) * rbit + rbit / 2;
    return ds_uart_receive(l, &h->receiver, h->inverted, DS_UART_KEEP, collect_char, k) < 0 ? -1 : 0;
}

/* ---- the hypotheses and their signatures ------------------------------------------------ */

typedef struct sig_hyp {
    hypothesis h;
    ds_uart_error_policy policy;
    signature *sig;      /* distinct, sorted */
    size_t n;
    uint8_t *ends;       /* bit v: a frame can end (before an idle line) on the byte v */
    double evidence;     /* bits: -log2 of the chance of what was found */
    const signature *best;
    size_t best_count, candidates;
} sig_hyp;

static int sig_cmp(const void *a, const void *b)
{
    const signature *x = a, *y = b;
    size_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->b, y->b, m);
    if (c || x->len != y->len) return c ? c : (int)x->len - (int)y->len;
    return (int)x->from - (int)y->from; /* the first frame start first: the one named */
}

static int same_signature(const signature *x, const signature *y)
{
    return x->len == y->len && memcmp(x->b, y->b, x->len) == 0;
}

/* The characters of a signature that tell something: a 00 is what any mis-set receiver makes
 * of a break or (zeroing bad characters) of any bad character, and captures are full of them. */
static size_t informative(const signature *s)
{
    size_t k = 0;
    for (size_t j = 0; j < s->len; j++) k += s->b[j] != 0;
    return k;
}

static void keep_distinct(sig_hyp *sh)
{
    qsort(sh->sig, sh->n, sizeof *sh->sig, sig_cmp);
    size_t m = 0;
    for (size_t i = 0; i < sh->n; i++)
        if (!m || !same_signature(&sh->sig[m - 1], &sh->sig[i])) sh->sig[m++] = sh->sig[i];
    sh->n = m;
}

/* Every frame start through a pair of hypotheses that differ in the port's policy only (the
 * keeping one first); their distinct signatures of SIG_MIN characters or more, into their sig
 * (room for N_FRAME_STARTS). */
static int signatures_of(sig_hyp pair[2], ds_uart_line *l)
{
    pair[0].n = pair[1].n = 0;
    for (unsigned t = 0; t < N_FRAME_STARTS; t++) {
        uint8_t st[8];
        collect k;
        if (signature_of(l, st, frame_start(t, st), &pair[0].h, &k) != 0) return -1;
        for (int p = 0; p < 2; p++) {
            signature s = {{0}, (uint8_t)k.n, (uint16_t)t};
            for (size_t j = 0; j < k.n; j++) s.b[j] = as_delivered(k.b[j], k.flags[j], pair[p].policy);
            if (informative(&s) >= SIG_MIN) pair[p].sig[pair[p].n++] = s;
        }
    }
    keep_distinct(&pair[0]);
    keep_distinct(&pair[1]);
    return 0;
}

/* The last character a receiver delivers from a frame (ending 7E or 16) before an idle line:
 * the receiver's phase in the last sender characters depends on all the data before, so it is
 * taken from the last two bytes enumerated (the first of them from a few values); an inverted
 * idle line reads as a break (00) when the receiver waits for a start there. */
static const uint8_t END_BYTES[] = {DS_HDLC_FLAG, DS_MBUS_STOP};
static const uint8_t BEFORE_END[] = {0x00, 0xFF, 0x5A, 0xC3};

typedef struct last_char {
    uint64_t end;  /* the tick where the frame ends */
    int seen;
    uint8_t byte, flags;
} last_char;

static void note_last(void *user, const ds_uart_char *c)
{
    last_char *k = user;
    if (c->start >= k->end && k->seen) return; /* the idle line after a last character */
    k->seen = 1;
    k->byte = c->byte;
    k->flags = c->flags;
}

/* The same pair as signatures_of. */
static int frame_ends_of(sig_hyp pair[2], ds_uart_line *l)
{
    const hypothesis *h = &pair[0].h;
    memset(pair[0].ends, 0, 32);
    memset(pair[1].ends, 0, 32);
    uint64_t tbit = ds_uart_bit_ticks(h->sender.baud), rbit = ds_uart_bit_ticks(h->receiver.baud);
    uint64_t idle = 24 * (tbit > rbit ? tbit : rbit);
    for (size_t e = 0; e < sizeof END_BYTES; e++)
        for (size_t w = 0; w < sizeof BEFORE_END; w++)
            for (unsigned x = 0; x < 256; x++) {
                ds_uart_line_clear(l);
                if (ds_uart_line_add(l, 1, idle) || ds_uart_put_char(l, &h->sender, BEFORE_END[w]) ||
                    ds_uart_put_char(l, &h->sender, x) || ds_uart_put_char(l, &h->sender, END_BYTES[e]))
                    return -1;
                last_char k = {l->total, 0, 0, 0};
                if (ds_uart_line_add(l, 1, idle) != 0) return -1;
                if (ds_uart_receive(l, &h->receiver, h->inverted, DS_UART_KEEP, note_last, &k) < 0) return -1;
                for (int p = 0; k.seen && p < 2; p++) {
                    uint8_t v = as_delivered(k.byte, k.flags, pair[p].policy);
                    pair[p].ends[v / 8] |= (uint8_t)(1u << (v % 8));
                }
            }
    for (int p = 0; p < 2; p++)
        if (pair[p].h.inverted) pair[p].ends[0] |= 1u;
    return 0;
}

/* Where a frame can start: the capture's first byte (a port opened on an idle line), and each
 * byte after one a frame can end on. */
static int at_frame_start(const sig_hyp *sh, const uint8_t *p, size_t i)
{
    return i == 0 || (sh->ends[p[i - 1] / 8] >> (p[i - 1] % 8) & 1u);
}

/* log2 of C(n, k) */
static double log2_choose(size_t n, size_t k)
{
    return (lgamma((double)n + 1) - lgamma((double)k + 1) - lgamma((double)(n - k) + 1)) / log(2.0);
}

/* Counts the signature's matches at frame starts, at most one in SIG_GAP characters (a frame
 * is longer: a table in a program repeats faster), and the chance of the best. */
#define SIG_GAP 16u
#define SIG_STARTS 2u

static int weigh(sig_hyp *sh, const uint8_t *p, size_t n, const double log2_share[256], int anywhere)
{
    size_t first[257]; /* first[b] .. first[b + 1]: the signatures opening with b (they are sorted) */
    for (unsigned b = 0, k = 0; b <= 256; b++) {
        while (k < sh->n && sh->sig[k].b[0] < b) k++;
        first[b] = k;
    }
    size_t *count = calloc(2 * (sh->n ? sh->n : 1), sizeof *count), *last = count + sh->n;
    sh->candidates = 0;
    sh->evidence = 0;
    sh->best = NULL;
    if (!count) return -1;
    for (size_t i = 0; i < n; i++) {
        if (!anywhere && !at_frame_start(sh, p, i)) continue;
        sh->candidates++;
        for (size_t k = first[p[i]]; k < first[p[i] + 1u]; k++) {
            const signature *s = &sh->sig[k];
            if (i + s->len > n || memcmp(p + i, s->b, s->len) != 0) continue;
            if (count[k] && i < last[k] + SIG_GAP) continue;
            count[k]++;
            last[k] = i;
        }
    }
    for (size_t k = 0; k < sh->n; k++) {
        const signature *s = &sh->sig[k];
        if (count[k] < SIG_STARTS) continue;
        double l2 = 0;
        for (size_t j = 0; j < s->len; j++)
            if (s->b[j]) l2 += log2_share[s->b[j]];
        double bits = -(log2_choose(sh->candidates, count[k]) + (double)count[k] * l2 + log2((double)sh->n));
        if (!sh->best || bits > sh->evidence) {
            sh->evidence = bits;
            sh->best = s;
            sh->best_count = count[k];
        }
    }
    free(count);
    return 0;
}

/* The hypotheses: against the receiver as told (else 8N1 and 8E1 at the default rate), the
 * sender at the same rate in 8N1, 8E1 or 8O1 with the line inverted, the port keeping or
 * zeroing bad characters. (A sender 2 to 16 times faster and a parity mismatch were tried the
 * same way, with the frame ends found as the inverted line's break is: signatures of two bytes
 * other than 00 named wrong settings in 5 of the matrix's 640 captures, and of three bytes
 * none right that the other parts did not name already.)
 *
 * Their signatures and frame ends are the same at every rate (a bit is a whole, even number of
 * ticks at every usual rate and the models scale with it: checked from 300 to 115200 Bd), so
 * they are worked out once, at TABLE_BAUD, for receivers of 8 data bits and 1 stop bit. */
static const ds_parity TX_PARITIES[] = {DS_PARITY_NONE, DS_PARITY_EVEN, DS_PARITY_ODD};
#define N_TX (sizeof TX_PARITIES / sizeof TX_PARITIES[0])
#define MAX_SIG_HYPS (2 * N_TX * 2)
#define TABLE_BAUD 9600ul

typedef struct sig_table {
    signature sig[N_FRAME_STARTS];
    size_t n;
    uint8_t ends[32];
} sig_table;

static sig_table TABLES[N_TX][N_TX][2]; /* receiver parity, sender parity, policy */
static int tables_built;                /* 1, or -1 on no memory */
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void pair_of(sig_hyp pair[2], size_t rx_parity, size_t tx_parity, unsigned long baud)
{
    for (int pol = DS_UART_KEEP; pol <= DS_UART_ZERO; pol++) {
        sig_hyp *sh = &pair[pol];
        memset(sh, 0, sizeof *sh);
        si_settings_of(&sh->h.receiver, baud, 8, TX_PARITIES[rx_parity]);
        si_settings_of(&sh->h.sender, baud, 8, TX_PARITIES[tx_parity]);
        sh->h.inverted = 1;
        sh->policy = (ds_uart_error_policy)pol;
        sh->sig = TABLES[rx_parity][tx_parity][pol].sig;
        sh->n = TABLES[rx_parity][tx_parity][pol].n;
        sh->ends = TABLES[rx_parity][tx_parity][pol].ends;
    }
}

static void build_tables(void)
{
    ds_uart_line l;
    ds_uart_line_init(&l);
    tables_built = 1;
    for (size_t r = 0; r < N_TX; r++)
        for (size_t t = 0; t < N_TX; t++) {
            sig_hyp pair[2];
            pair_of(pair, r, t, TABLE_BAUD);
            if (signatures_of(pair, &l) != 0 || frame_ends_of(pair, &l) != 0) tables_built = -1;
            for (int pol = 0; pol < 2; pol++) TABLES[r][t][pol].n = pair[pol].n;
        }
    ds_uart_line_free(&l);
}

static int parity_index(ds_parity p, size_t *index)
{
    for (size_t i = 0; i < N_TX; i++)
        if (TX_PARITIES[i] == p) {
            *index = i;
            return 1;
        }
    return 0;
}

/* The hypotheses against the receiver; 0 when it is not one the tables hold. */
static size_t enumerate_sig(sig_hyp *out, const ds_serial_settings *receiver, const ds_serial_settings *told)
{
    size_t n = 0;
    for (int rf = 0; rf < (told ? 1 : 2); rf++) {
        ds_serial_settings rx = *receiver;
        if (!told) si_settings_of(&rx, receiver->baud, 8, rf ? DS_PARITY_EVEN : DS_PARITY_NONE);
        size_t r;
        if (rx.data_bits != 8 || rx.stop_bits != 1 || !parity_index(rx.parity, &r) || !ds_uart_bit_ticks(rx.baud))
            return 0;
        for (size_t t = 0; t < N_TX; t++, n += 2) pair_of(&out[n], r, t, rx.baud);
    }
    return n;
}

#define SIG_MIN_BITS 24.0

int si_signature_verdict(ds_serial_inference *out, const uint8_t *p, size_t n, const ds_serial_settings *told)
{
    if (told && told->data_bits < 8) return 0;
    size_t w = n < SIG_SCAN ? n : SIG_SCAN;
    if (w < 16) return 0;
    size_t hist[256];
    (void)si_entropy_bits(p, w, hist);
    double log2_share[256];
    for (int b = 0; b < 256; b++) log2_share[b] = log2(((double)hist[b] + 0.5) / ((double)w + 128.0));
    if (pthread_once(&tables_once, build_tables) != 0 || tables_built < 0) return -1;
    sig_hyp hyps[MAX_SIG_HYPS];
    size_t nh = enumerate_sig(hyps, &out->receiver, told);
    sig_hyp *best = NULL;
    for (size_t i = 0; i < nh; i++) {
        /* the frame starts after any byte first (cheap): most hypotheses stop there */
        if (weigh(&hyps[i], p, w, log2_share, 1) != 0) return -1;
        if (!hyps[i].best) continue;
        if (weigh(&hyps[i], p, w, log2_share, 0) != 0) return -1;
        hyps[i].evidence -= log2((double)nh);
        if (hyps[i].best && (!best || hyps[i].evidence > best->evidence)) best = &hyps[i];
    }
    if (best && best->evidence < SIG_MIN_BITS) best = NULL;
    if (best) {
        si_verdict_of(out, &best->h);
        out->statistical = 1;
        out->receiver_zeroes_errors = best->policy == DS_UART_ZERO;
        char sig[3 * SIG_MAX + 1];
        size_t k = 0;
        for (size_t j = 0; j < best->best->len; j++) k += (size_t)snprintf(sig + k, sizeof sig - k, " %02X", best->best->b[j]);
        uint8_t st[8];
        size_t sl = frame_start(best->best->from, st);
        snprintf(out->why, sizeof out->why,
                 "no setting gives frames with good checks, but %u frame starts read as%s, which is what a receiver "
                 "at the capture's setting%s delivers from the opening %s of %s frame sent inverted (%.0f bits of "
                 "evidence)",
                 (unsigned)best->best_count, sig, best->policy == DS_UART_ZERO ? " that reads bad characters as 00" : "",
                 sl == 4 ? "68 L L 68" : "7E A. L", sl == 4 ? "an M-Bus" : "an HDLC", best->evidence);
        return 1;
    }
    return 0;
}
