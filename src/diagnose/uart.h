/* A UART at bit level, both ways: bytes to the levels of a serial line (a sender, or the line
 * rebuilt from what a receiver delivered), and a line to bytes as a receiver at some setting
 * samples it. The wrong-settings inference (serial_infer.c) and its tests are built on it.
 *
 * Time is counted in ticks of DS_UART_TICK_HZ (1.8432 MHz, the classic UART crystal): a bit of
 * every usual rate (300 ... 115200) and of their ratios by 2 ... 16 is a whole number of ticks,
 * so re-sampling never drifts; idle gaps may be any number of ticks (not whole bit times). */
#ifndef DS_DIAGNOSE_UART_H
#define DS_DIAGNOSE_UART_H

#include <stddef.h>
#include <stdint.h>
#include "dlmscope/serial.h"

#define DS_UART_TICK_HZ 1843200ull

/* A line: runs of one level each. level 1 = mark (idle, stop bits), 0 = space (start bit). */
typedef struct ds_uart_line {
    uint8_t *level;
    uint64_t *ticks;  /* the length of each run, > 0 */
    size_t n, cap;
    uint64_t total;   /* sum of ticks */
} ds_uart_line;

void ds_uart_line_init(ds_uart_line *l);
void ds_uart_line_free(ds_uart_line *l);
void ds_uart_line_clear(ds_uart_line *l);
/* Appends ticks of level (merged with the last run when the level is the same). -1 on no memory. */
int ds_uart_line_add(ds_uart_line *l, int level, uint64_t ticks);

/* Ticks of one bit at baud; 0 when baud does not divide the tick rate. */
uint64_t ds_uart_bit_ticks(unsigned long baud);
/* Bits of one character: start + data + parity + stop. */
int ds_uart_char_bits(const ds_serial_settings *s);
/* The parity bit of the low data_bits of v for this parity (0 for none). */
int ds_uart_parity_bit(unsigned v, int data_bits, ds_parity p);

/* Appends one character as a sender at s puts it on the line (start, data LSB first, parity,
 * stop bits), with no idle after it. -1 on no memory or an unusable baud. */
int ds_uart_put_char(ds_uart_line *l, const ds_serial_settings *s, unsigned v);

/* What a receiver does with a character whose stop bit reads space (framing error) or whose
 * parity is wrong. */
typedef enum ds_uart_error_policy {
    DS_UART_KEEP = 0, /* the byte as sampled (Linux without INPCK) */
    DS_UART_ZERO      /* 00 instead (termios INPCK without IGNPAR/PARMRK) */
} ds_uart_error_policy;

#define DS_UART_FRAMING 1u  /* the stop bit read space */
#define DS_UART_PARITY 2u   /* the parity bit did not match */
#define DS_UART_BREAK 4u    /* every bit, stop included, read space */

/* One character delivered by a receiver. */
typedef struct ds_uart_char {
    uint8_t byte;
    uint8_t flags;     /* DS_UART_* */
    uint64_t start;    /* tick of its start edge */
} ds_uart_char;

typedef void (*ds_uart_char_fn)(void *user, const ds_uart_char *c);

/* Receives a line at setting s (inverted: the levels are read upside down, as a port without
 * the inverter a P1 port needs). A start bit is a mark-to-space edge confirmed by a space at
 * mid-bit; each bit is sampled at its middle; after a character whose stop bit read space the
 * receiver waits for the line to return to mark before it looks for the next start (as after a
 * break). Every character goes to fn; the byte it carries follows the policy. Returns the
 * number of characters, or -1 on an unusable baud. */
long ds_uart_receive(const ds_uart_line *l, const ds_serial_settings *s, int inverted, ds_uart_error_policy policy,
                     ds_uart_char_fn fn, void *user);

/* The same into a byte buffer of cap bytes (characters beyond cap are counted but dropped). */
long ds_uart_receive_bytes(const ds_uart_line *l, const ds_serial_settings *s, int inverted,
                           ds_uart_error_policy policy, uint8_t *out, size_t cap);

#endif
