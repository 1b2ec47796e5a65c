/* Serial settings as text (dlmscope listen --serial, DEVICE:BAUD:DPS), the baud rates termios
 * can set, the IEC 62056-21 identification, and configuring a pseudo-terminal. */
#define _DEFAULT_SOURCE /* openpty */
#include <check.h>
#include <pty.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "dlmscope/serial.h"

static void expect_settings(const char *text, unsigned long baud, int bits, ds_parity parity, int stop)
{
    ds_serial_settings s;
    char err[200];
    ck_assert_msg(ds_serial_settings_parse(text, &s, err, sizeof err) == 0, "%s refused: %s", text, err);
    ck_assert_msg(s.baud == baud && s.data_bits == bits && s.parity == parity && s.stop_bits == stop,
                  "%s read as %lu %d %d %d", text, s.baud, s.data_bits, (int)s.parity, s.stop_bits);
}

/* The bad text is refused and the message holds `says` (the part named as written). */
static void expect_refused(const char *text, const char *says)
{
    ds_serial_settings s;
    ds_serial_settings_init(&s);
    char err[200];
    ck_assert_msg(ds_serial_settings_parse(text, &s, err, sizeof err) == -1, "%s taken", text);
    ck_assert_msg(strstr(err, says) != NULL, "%s: message '%s' lacks '%s'", text, err, says);
    ck_assert_uint_eq(s.baud, 9600); /* left alone */
}

START_TEST(short_form)
{
    expect_settings("2400:8N1", 2400, 8, DS_PARITY_NONE, 1);
    expect_settings("9600:7E1", 9600, 7, DS_PARITY_EVEN, 1);
    expect_settings("115200:8N2", 115200, 8, DS_PARITY_NONE, 2);
    expect_settings("300:7O1", 300, 7, DS_PARITY_ODD, 1);
    expect_settings("1200:5M2", 1200, 5, DS_PARITY_MARK, 2);
    expect_settings("4800:6S1", 4800, 6, DS_PARITY_SPACE, 1);
    expect_settings("921600:8e1", 921600, 8, DS_PARITY_EVEN, 1); /* any case */
    expect_settings("19200", 19200, 8, DS_PARITY_NONE, 1);       /* the rate alone: 8N1 */
}
END_TEST

START_TEST(gurux_form)
{
    expect_settings("9600:8None1", 9600, 8, DS_PARITY_NONE, 1);
    expect_settings("300:7Even1", 300, 7, DS_PARITY_EVEN, 1);
    expect_settings("2400:8Odd2", 2400, 8, DS_PARITY_ODD, 2);
    expect_settings("9600:8MARK1", 9600, 8, DS_PARITY_MARK, 1);
    expect_settings("9600:8space1", 9600, 8, DS_PARITY_SPACE, 1);
}
END_TEST

START_TEST(refusals_name_the_part)
{
    expect_refused("", "baud ''");
    expect_refused("fast:8N1", "baud 'fast'");
    expect_refused("0:8N1", "baud '0'");
    expect_refused("-9600:8N1", "baud '-9600'");
    expect_refused("9600 :8N1", "baud '9600 '");
    expect_refused("1234567890:8N1", "baud '1234567890'");
    expect_refused("9600:9N1", "data bits '9N1'");
    expect_refused("9600:4N1", "data bits '4N1'");
    expect_refused("9600:88N1", "data bits '88N1'");
    expect_refused("9600:8X1", "parity 'X'");
    expect_refused("9600:8Evens1", "parity 'Evens'");
    expect_refused("9600:81", "'81' is not data bits, parity and stop bits");
    expect_refused("9600:8N3", "stop bits in '8N3'");
    expect_refused("9600:8N1.5", "stop bits 1.5");
    expect_refused("9600:", "'' is not data bits");
    expect_refused("9600:8N1:x", "stop bits in '8N1:x'");
}
END_TEST

START_TEST(message_fits_any_buffer)
{
    ds_serial_settings s;
    char small[8];
    ck_assert_int_eq(ds_serial_settings_parse("9600:8X1", &s, small, sizeof small), -1);
    ck_assert_uint_eq(strlen(small), sizeof small - 1);
    ck_assert_int_eq(ds_serial_settings_parse("9600:8X1", &s, NULL, 0), -1);
    ck_assert_int_eq(ds_serial_settings_parse(NULL, &s, small, sizeof small), -1);
}
END_TEST

static void expect_target(const char *text, const char *device, int has, unsigned long baud)
{
    char dev[64], err[200];
    ds_serial_settings s;
    ds_serial_settings_init(&s);
    int got = -1;
    ck_assert_msg(ds_serial_target_parse(text, dev, sizeof dev, &s, &got, err, sizeof err) == 0, "%s: %s", text, err);
    ck_assert_str_eq(dev, device);
    ck_assert_int_eq(got, has);
    ck_assert_uint_eq(s.baud, baud);
}

START_TEST(device_with_settings)
{
    expect_target("/dev/ttyUSB0:9600:8None1", "/dev/ttyUSB0", 1, 9600);
    expect_target("/dev/ttyS1:2400:8E1", "/dev/ttyS1", 1, 2400);
    expect_target("/dev/ttyUSB0", "/dev/ttyUSB0", 0, 9600);
    expect_target("COM3:115200:8N1", "COM3", 1, 115200);
    /* colons inside a device path are the path's, when the end does not read as settings */
    expect_target("/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0", "/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0",
                  0, 9600);
    expect_target("/dev/serial/by-path/pci-0000:00:14.0:300:7E1", "/dev/serial/by-path/pci-0000:00:14.0", 1, 300);
    expect_target(":9600:8N1", ":9600:8N1", 0, 9600); /* no device before the settings: all of it is the name */
    char dev[8], err[100];
    ck_assert_int_eq(ds_serial_target_parse("/dev/ttyUSB0", dev, sizeof dev, NULL, NULL, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "too long"));
    ck_assert_int_eq(ds_serial_target_parse("", dev, sizeof dev, NULL, NULL, err, sizeof err), -1);
}
END_TEST

START_TEST(format_round_trip)
{
    const char *const TEXTS[] = {"2400:8N1", "9600:7E1", "115200:8N2", "300:7O1", "1200:5M2", "4800:6S1"};
    for (size_t i = 0; i < sizeof TEXTS / sizeof TEXTS[0]; i++) {
        ds_serial_settings s;
        char buf[DS_SERIAL_SETTINGS_TEXT];
        ck_assert_int_eq(ds_serial_settings_parse(TEXTS[i], &s, NULL, 0), 0);
        ck_assert_str_eq(ds_serial_settings_format(&s, buf, sizeof buf), TEXTS[i]);
    }
}
END_TEST

START_TEST(standard_rates)
{
    const unsigned long RATES[] = {300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200};
    for (size_t i = 0; i < sizeof RATES / sizeof RATES[0]; i++) ck_assert_int_eq(ds_serial_baud_supported(RATES[i]), 1);
    ck_assert_int_eq(ds_serial_baud_supported(12345), 0);
    ck_assert_int_eq(ds_serial_baud_supported(0), 0);
#ifdef __linux__
    ck_assert_int_eq(ds_serial_baud_supported(230400), 1);
    ck_assert_int_eq(ds_serial_baud_supported(921600), 1);
#endif
}
END_TEST

/* What a pty keeps of the settings: the rate, the stop bits, the raw mode. (Linux's pty driver
 * forces CS8 without parity whatever is asked, so data bits and parity cannot be read back.) */
START_TEST(configures_a_pty)
{
    int master, slave;
    ck_assert_int_eq(openpty(&master, &slave, NULL, NULL, NULL), 0);
    ds_serial_settings s = {2400, 7, DS_PARITY_EVEN, 2};
    char err[200];
    ck_assert_msg(ds_serial_configure(slave, &s, 1, err, sizeof err) == 0, "%s", err);
    struct termios t;
    ck_assert_int_eq(tcgetattr(slave, &t), 0);
    ck_assert(t.c_cflag & CSTOPB);
    ck_assert(t.c_cflag & CLOCAL);
    ck_assert(t.c_cflag & CREAD);
    ck_assert(!(t.c_lflag & (ICANON | ECHO | ISIG)));
    ck_assert(!(t.c_iflag & (ICRNL | IXON | ISTRIP)));
    ck_assert_uint_eq(cfgetispeed(&t), B2400);
    s.baud = 12345;
    ck_assert_int_eq(ds_serial_configure(slave, &s, 0, err, sizeof err), -1);
    ck_assert_str_eq(err, "baud 12345 is not supported");
    close(master);
    close(slave);
}
END_TEST

START_TEST(open_names_device_and_setting)
{
    ds_serial_settings s;
    ds_serial_settings_init(&s);
    char err[300];
    ck_assert_int_eq(ds_serial_open("/nonexistent/ttyUSB9", &s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/ttyUSB9: cannot open"));
    ck_assert_int_eq(ds_serial_open("/dev/null", &s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "/dev/null: cannot configure 9600:8N1: not a serial port"));
}
END_TEST

START_TEST(iec_identification)
{
    ds_iec_result r;
    char err[200];
    ck_assert_int_eq(ds_iec_ident_parse("/KFM5\\2KAIFA", 12, &r, err, sizeof err), 0);
    ck_assert_uint_eq(r.baud, 9600);
    ck_assert_int_eq(r.baud_char, '5');
    ck_assert_int_eq(r.mode_e, 1);
    ck_assert_str_eq(r.ident, "KFM5\\2KAIFA");
    ck_assert_int_eq(ds_iec_ident_parse("/LGZ4ZMD3104407", 15, &r, err, sizeof err), 0);
    ck_assert_uint_eq(r.baud, 4800);
    ck_assert_int_eq(r.mode_e, 0);
    ck_assert_int_eq(ds_iec_ident_parse("/ISk6\\2MT382", 12, &r, err, sizeof err), 0);
    ck_assert_uint_eq(r.baud, 19200);
    ck_assert_int_eq(ds_iec_ident_parse("/ABCF\\2x", 8, &r, err, sizeof err), -1); /* mode B letter */
    ck_assert_ptr_nonnull(strstr(err, "baud character 'F'"));
    ck_assert_int_eq(ds_iec_ident_parse("KFM5", 4, &r, err, sizeof err), -1);
    const char CHARS[] = "0123456";
    for (int i = 0; i < 7; i++) ck_assert_uint_eq(ds_iec_baud_of_char(CHARS[i]), 300ul << i);
    ck_assert_uint_eq(ds_iec_baud_of_char('7'), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("serial");
    TCase *t = tcase_create("serial");
    tcase_add_test(t, short_form);
    tcase_add_test(t, gurux_form);
    tcase_add_test(t, refusals_name_the_part);
    tcase_add_test(t, message_fits_any_buffer);
    tcase_add_test(t, device_with_settings);
    tcase_add_test(t, format_round_trip);
    tcase_add_test(t, standard_rates);
    tcase_add_test(t, configures_a_pty);
    tcase_add_test(t, open_names_device_and_setting);
    tcase_add_test(t, iec_identification);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
