/* The bit-level UART model (uart.h): a sender puts characters on a line, a receiver at some
 * setting samples the line back into characters, with the errors a real one reports. */
#include "diagnose/uart.h"

#include <stdlib.h>

void ds_uart_line_init(ds_uart_line *l)
{
    l->level = NULL;
    l->ticks = NULL;
    l->n = l->cap = 0;
    l->total = 0;
}

void ds_uart_line_free(ds_uart_line *l)
{
    free(l->level);
    free(l->ticks);
    ds_uart_line_init(l);
}

void ds_uart_line_clear(ds_uart_line *l)
{
    l->n = 0;
    l->total = 0;
}

static int grow(ds_uart_line *l)
{
    size_t cap = l->cap ? l->cap * 2 : 256;
    uint8_t *lv = realloc(l->level, cap);
    if (!lv) return -1;
    l->level = lv;
    uint64_t *tk = realloc(l->ticks, cap * sizeof *tk);
    if (!tk) return -1;
    l->ticks = tk;
    l->cap = cap;
    return 0;
}

int ds_uart_line_add(ds_uart_line *l, int level, uint64_t ticks)
{
    if (ticks == 0) return 0;
    level = level ? 1 : 0;
    l->total += ticks;
    if (l->n && l->level[l->n - 1] == level) {
        l->ticks[l->n - 1] += ticks;
        return 0;
    }
    if (l->n == l->cap && grow(l) != 0) return -1;
    l->level[l->n] = (uint8_t)level;
    l->ticks[l->n] = ticks;
    l->n++;
    return 0;
}

uint64_t ds_uart_bit_ticks(unsigned long baud)
{
    if (baud == 0 || DS_UART_TICK_HZ % baud != 0) return 0;
    return DS_UART_TICK_HZ / baud;
}

static int has_parity(const ds_serial_settings *s) { return s->parity != DS_PARITY_NONE; }

int ds_uart_char_bits(const ds_serial_settings *s)
{
    return 1 + s->data_bits + has_parity(s) + (s->stop_bits == 2 ? 2 : 1);
}

int ds_uart_parity_bit(unsigned v, int data_bits, ds_parity p)
{
    unsigned ones = 0;
    for (int i = 0; i < data_bits; i++) ones += (v >> i) & 1u;
    switch (p) {
    case DS_PARITY_EVEN: return (int)(ones & 1u);
    case DS_PARITY_ODD: return (int)(~ones & 1u);
    case DS_PARITY_MARK: return 1;
    default: return 0;
    }
}

int ds_uart_put_char(ds_uart_line *l, const ds_serial_settings *s, unsigned v)
{
    uint64_t bit = ds_uart_bit_ticks(s->baud);
    if (!bit) return -1;
    int rc = ds_uart_line_add(l, 0, bit);
    for (int i = 0; i < s->data_bits && rc == 0; i++) rc = ds_uart_line_add(l, (int)((v >> i) & 1u), bit);
    if (rc == 0 && has_parity(s)) rc = ds_uart_line_add(l, ds_uart_parity_bit(v, s->data_bits, s->parity), bit);
    if (rc == 0) rc = ds_uart_line_add(l, 1, bit * (s->stop_bits == 2 ? 2u : 1u));
    return rc;
}

/* ---- receiving ------------------------------------------------------------------------------ */

/* A reading position that only moves forward: the run holding tick t. */
typedef struct cursor {
    const ds_uart_line *l;
    size_t run;
    uint64_t run_start;
    int invert;
} cursor;

/* The level as read at tick t (t never goes back); past the end the line idles at mark. */
static int level_at(cursor *c, uint64_t t)
{
    const ds_uart_line *l = c->l;
    while (c->run < l->n && c->run_start + l->ticks[c->run] <= t) c->run_start += l->ticks[c->run++];
    int physical = c->run < l->n ? l->level[c->run] : 1;
    return physical ^ c->invert;
}

/* The first mark-to-space edge (as read) at or after tick t, after a mark has been read there
 * when need_mark; 0 when the line ends first (the idle end reads as mark, or as a permanent
 * space when inverted, which starts nothing new). */
static int next_start_edge(cursor *c, uint64_t t, int need_mark, uint64_t *edge)
{
    const ds_uart_line *l = c->l;
    (void)level_at(c, t); /* to the run holding t */
    int seen_mark = !need_mark;
    while (c->run < l->n) {
        if ((l->level[c->run] ^ c->invert) == 1) seen_mark = 1;
        else if (seen_mark && c->run_start >= t) {
            *edge = c->run_start;
            return 1;
        }
        c->run_start += l->ticks[c->run];
        c->run++;
    }
    return 0;
}

long ds_uart_receive(const ds_uart_line *l, const ds_serial_settings *s, int inverted, ds_uart_error_policy policy,
                     ds_uart_char_fn fn, void *user)
{
    uint64_t bit = ds_uart_bit_ticks(s->baud);
    if (!bit) return -1;
    uint64_t half = bit / 2;
    cursor c = {l, 0, 0, inverted ? 1 : 0};
    uint64_t t = 0, edge;
    int need_mark = 1;
    long count = 0;
    while (next_start_edge(&c, t, need_mark, &edge)) {
        if (level_at(&c, edge + half) != 0) { /* a glitch, not a start bit */
            t = edge + half;
            need_mark = 0;
            continue;
        }
        unsigned v = 0, ones = 0;
        int idx = 1;
        for (int i = 0; i < s->data_bits; i++, idx++) {
            int b = level_at(&c, edge + (uint64_t)idx * bit + half);
            v |= (unsigned)b << i;
            ones += (unsigned)b;
        }
        uint8_t flags = 0;
        if (has_parity(s)) {
            int p = level_at(&c, edge + (uint64_t)idx * bit + half);
            ones += (unsigned)p;
            if (p != ds_uart_parity_bit(v, s->data_bits, s->parity)) flags |= DS_UART_PARITY;
            idx++;
        }
        uint64_t stop_at = edge + (uint64_t)idx * bit + half;
        if (level_at(&c, stop_at) == 0) {
            flags |= DS_UART_FRAMING;
            if (ones == 0) flags |= DS_UART_BREAK;
        }
        ds_uart_char ch = {(uint8_t)v, flags, edge};
        if (flags && policy == DS_UART_ZERO) ch.byte = 0;
        if (flags & DS_UART_BREAK) ch.byte = 0;
        fn(user, &ch);
        count++;
        t = stop_at;
        need_mark = (flags & DS_UART_FRAMING) != 0;
    }
    return count;
}

typedef struct into_buf {
    uint8_t *out;
    size_t cap, n;
} into_buf;

static void put_byte(void *user, const ds_uart_char *c)
{
    into_buf *b = user;
    if (b->n < b->cap) b->out[b->n] = c->byte;
    b->n++;
}

long ds_uart_receive_bytes(const ds_uart_line *l, const ds_serial_settings *s, int inverted,
                           ds_uart_error_policy policy, uint8_t *out, size_t cap)
{
    into_buf b = {out, cap, 0};
    return ds_uart_receive(l, s, inverted, policy, put_byte, &b);
}
