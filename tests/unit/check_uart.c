/* The bit-level UART model (src/diagnose/uart.c): characters put on a line and sampled back, at
 * the same setting and at wrong ones. Every expected byte below is worked out by hand from the
 * character frame of REFERENCE §10.7 (the derivations are in the comments). */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "diagnose/uart.h"

static ds_serial_settings settings(const char *text)
{
    ds_serial_settings s;
    char err[128];
    ck_assert_msg(ds_serial_settings_parse(text, &s, err, sizeof err) == 0, "%s: %s", text, err);
    return s;
}

typedef struct got {
    ds_uart_char c[64];
    size_t n;
} got;

static void collect(void *user, const ds_uart_char *c)
{
    got *g = user;
    if (g->n < 64) g->c[g->n] = *c;
    g->n++;
}

/* Sends bytes at tx with idle gaps of odd tick counts (not whole bit times), receives at rx. */
static void send_receive(const char *tx, const char *rx, const uint8_t *p, size_t n, int inverted,
                         ds_uart_error_policy pol, got *g)
{
    ds_serial_settings t = settings(tx), r = settings(rx);
    ds_uart_line l;
    ds_uart_line_init(&l);
    uint64_t bit = ds_uart_bit_ticks(t.baud);
    ck_assert_int_eq(ds_uart_line_add(&l, 1, 12 * bit + 5), 0);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(ds_uart_put_char(&l, &t, p[i]), 0);
        if (i % 3 == 2) ck_assert_int_eq(ds_uart_line_add(&l, 1, bit / 3 + 1 + i), 0);
    }
    ck_assert_int_eq(ds_uart_line_add(&l, 1, 12 * bit), 0);
    memset(g, 0, sizeof *g);
    ck_assert_int_ge(ds_uart_receive(&l, &r, inverted, pol, collect, g), 0);
    ds_uart_line_free(&l);
}

START_TEST(bit_ticks_are_whole)
{
    /* 1843200 / 2400 = 768; 300 / 16 = 18.75 Bd is 98304 ticks; 7 Bd does not divide */
    ck_assert_uint_eq(ds_uart_bit_ticks(2400), 768);
    ck_assert_uint_eq(ds_uart_bit_ticks(115200), 16);
    ck_assert_uint_eq(ds_uart_bit_ticks(7), 0);
    ds_serial_settings s = settings("9600:8E1");
    ck_assert_int_eq(ds_uart_char_bits(&s), 11);
    s = settings("9600:7E1");
    ck_assert_int_eq(ds_uart_char_bits(&s), 10);
    /* 0x2F = 0101111: five ones, so even parity adds a 1 and odd parity a 0 */
    ck_assert_int_eq(ds_uart_parity_bit(0x2F, 7, DS_PARITY_EVEN), 1);
    ck_assert_int_eq(ds_uart_parity_bit(0x2F, 7, DS_PARITY_ODD), 0);
}
END_TEST

START_TEST(same_setting_round_trip)
{
    static const char *const SETTINGS[] = {"300:7E1", "2400:8E1", "9600:8N1", "19200:8O1", "115200:8N2", "4800:7O1"};
    uint8_t bytes[48];
    for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (uint8_t)(i * 37 + 11);
    for (size_t k = 0; k < sizeof SETTINGS / sizeof SETTINGS[0]; k++) {
        ds_serial_settings s = settings(SETTINGS[k]);
        unsigned mask = (1u << s.data_bits) - 1;
        got g;
        send_receive(SETTINGS[k], SETTINGS[k], bytes, sizeof bytes, 0, DS_UART_KEEP, &g);
        ck_assert_uint_eq(g.n, sizeof bytes);
        for (size_t i = 0; i < sizeof bytes; i++) {
            ck_assert_uint_eq(g.c[i].byte, bytes[i] & mask);
            ck_assert_uint_eq(g.c[i].flags, 0);
        }
    }
}
END_TEST

/* 8E1 read as 8N1: the parity bit stands where the stop bit is looked for. 0x03 has two ones:
 * parity bit 0, a framing error; 0x01 has one: parity bit 1, fine. */
START_TEST(even_parity_read_without)
{
    const uint8_t bytes[] = {0x03, 0x01};
    got g;
    send_receive("2400:8E1", "2400:8N1", bytes, 2, 0, DS_UART_KEEP, &g);
    ck_assert_uint_eq(g.n, 2);
    ck_assert_uint_eq(g.c[0].byte, 0x03);
    ck_assert_uint_eq(g.c[0].flags, DS_UART_FRAMING);
    ck_assert_uint_eq(g.c[1].byte, 0x01);
    ck_assert_uint_eq(g.c[1].flags, 0);
    send_receive("2400:8E1", "2400:8N1", bytes, 2, 0, DS_UART_ZERO, &g);
    ck_assert_uint_eq(g.c[0].byte, 0x00);
    ck_assert_uint_eq(g.c[1].byte, 0x01);
}
END_TEST

/* 7E1 read as 8N1: bit 7 is the parity bit, so '/' (2F, five ones, parity 1) arrives as AF and
 * '0' (30, two ones, parity 0) as 30 (REFERENCE §10.7). */
START_TEST(seven_bits_read_as_eight)
{
    const uint8_t bytes[] = {0x2F, 0x30};
    got g;
    send_receive("300:7E1", "300:8N1", bytes, 2, 0, DS_UART_KEEP, &g);
    ck_assert_uint_eq(g.n, 2);
    ck_assert_uint_eq(g.c[0].byte, 0xAF);
    ck_assert_uint_eq(g.c[1].byte, 0x30);
    ck_assert_uint_eq(g.c[0].flags | g.c[1].flags, 0);
}
END_TEST

/* 0x55 sent at 2400 8N1 is the line 0 1010101 0 1 (start, d0..d7, stop), a sender bit being four
 * receiver bits at 9600. Char 1 starts at sender bit 0: its samples at 0.125 .. 2.375 sender bits
 * read start 0, data 0 0 0 1 1 1 1 0 (= 0x78), stop in bit 2 = 0: framing error. The receiver
 * waits for the mark of bit 3, starts again at bit 4: the same 0x78 with a framing error. Then
 * at bit 8: data 0 0 0 (bit 8), 1 1 1 1 (bit 9, the stop bit), 1 (idle), stop 1: 0xF8, fine. */
START_TEST(receiver_four_times_faster)
{
    const uint8_t byte = 0x55;
    got g;
    send_receive("2400:8N1", "9600:8N1", &byte, 1, 0, DS_UART_KEEP, &g);
    ck_assert_uint_eq(g.n, 3);
    ck_assert_uint_eq(g.c[0].byte, 0x78);
    ck_assert_uint_eq(g.c[0].flags, DS_UART_FRAMING);
    ck_assert_uint_eq(g.c[1].byte, 0x78);
    ck_assert_uint_eq(g.c[1].flags, DS_UART_FRAMING);
    ck_assert_uint_eq(g.c[2].byte, 0xF8);
    ck_assert_uint_eq(g.c[2].flags, 0);
}
END_TEST

/* 0x00 at 2400 is nine space bits (36 receiver bits at 9600): one character of all spaces, stop
 * included: a break, delivered as 00; the receiver then waits for the mark of the stop bit and
 * finds no further start. */
START_TEST(break_then_wait_for_mark)
{
    const uint8_t byte = 0x00;
    got g;
    send_receive("2400:8N1", "9600:8N1", &byte, 1, 0, DS_UART_KEEP, &g);
    ck_assert_uint_eq(g.n, 1);
    ck_assert_uint_eq(g.c[0].byte, 0x00);
    ck_assert_uint_eq(g.c[0].flags, DS_UART_FRAMING | DS_UART_BREAK);
}
END_TEST

/* Read inverted, an idle line is a space that never ends: no mark ever comes, so nothing starts;
 * a line read inverted twice is the line itself. */
START_TEST(inverted_reading)
{
    const uint8_t bytes[] = {0x7E, 0xA0, 0x19};
    got g;
    ds_serial_settings s = settings("2400:8N1");
    ds_uart_line l;
    ds_uart_line_init(&l);
    ck_assert_int_eq(ds_uart_line_add(&l, 0, 5000), 0);  /* an inverted idle line */
    memset(&g, 0, sizeof g);
    ck_assert_int_eq(ds_uart_receive(&l, &s, 0, DS_UART_KEEP, collect, &g), 0);
    ds_uart_line_clear(&l);
    /* the sender's line, flipped, read with inversion */
    ck_assert_int_eq(ds_uart_line_add(&l, 1, 9000), 0);
    for (size_t i = 0; i < 3; i++) ck_assert_int_eq(ds_uart_put_char(&l, &s, bytes[i]), 0);
    ck_assert_int_eq(ds_uart_line_add(&l, 1, 9000), 0);
    for (size_t i = 0; i < l.n; i++) l.level[i] ^= 1u;
    memset(&g, 0, sizeof g);
    ck_assert_int_eq(ds_uart_receive(&l, &s, 1, DS_UART_KEEP, collect, &g), 3);
    for (size_t i = 0; i < 3; i++) ck_assert_uint_eq(g.c[i].byte, bytes[i]);
    ds_uart_line_free(&l);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("uart");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, bit_ticks_are_whole);
    tcase_add_test(tc, same_setting_round_trip);
    tcase_add_test(tc, even_parity_read_without);
    tcase_add_test(tc, seven_bits_read_as_eight);
    tcase_add_test(tc, receiver_four_times_faster);
    tcase_add_test(tc, break_then_wait_for_mark);
    tcase_add_test(tc, inverted_reading);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
