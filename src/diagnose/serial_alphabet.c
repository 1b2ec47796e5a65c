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

/* The alphabets of every hypothesis, with a receiver that keeps or zeroes bad characters. 1
 * when one explains the capture (out is filled), 0 when none does, -1 on no memory. */
int si_statistical_verdict(ds_serial_inference *out, const hyp_list *hl, const uint8_t *p, size_t n)
{
    size_t hist[256];
    (void)si_entropy_bits(p, n, hist);
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
                         (cur.policy == best.policy && si_distance(&cur.h) < si_distance(&best.h))));
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
        if (h->sender.baud == best.h.sender.baud || !si_same_frame_format(&h->sender, &best.h.sender) ||
            h->inverted != best.h.inverted || !si_same_frame_format(&h->receiver, &best.h.receiver) ||
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
    si_verdict_of(out, &best.h);
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

