/* The IEC 62056-21 mode E opening, by which an optical port is switched from the
 * 300 baud sign-on to HDLC at the rate the meter offers:
 *
 *   client, 300 baud 7E1:  "/?!" CR LF
 *   meter:                 "/XXXZ\2ident" CR LF  (Z: baud character, "\2": HDLC mode E)
 *   client (reaction time): ACK '2' Z '2' CR LF  (protocol 2 = HDLC, Z, '2' binary mode)
 *   meter, Z baud 7E1:     the same six characters
 *   both sides:            Z baud 8N1, HDLC from the client's SNRM on. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "dlmscope/serial.h"

#define SLICE_MS 100

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

unsigned long ds_iec_baud_of_char(char z)
{
    /* modes C, D and E: '0' 300, '1' 600 ... '6' 19200 (mode B's letters are not used in E) */
    return z >= '0' && z <= '6' ? 300ul << (z - '0') : 0;
}

int ds_iec_ident_parse(const char *line, size_t len, ds_iec_result *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    if (len < 5 || line[0] != '/') {
        snprintf(err, err_len, "the identification '%.*s' is not '/XXXZ...'", (int)(len > 40 ? 40 : len), line);
        return -1;
    }
    out->baud_char = line[4];
    out->baud = ds_iec_baud_of_char(line[4]);
    if (!out->baud) {
        snprintf(err, err_len, "the identification '%.*s' offers baud character '%c', not 0 to 6",
                 (int)(len > 40 ? 40 : len), line, line[4] >= 0x20 && line[4] < 0x7F ? line[4] : '?');
        return -1;
    }
    if (len >= 7 && line[5] == '\\' && line[6] == '2') out->mode_e = 1;
    size_t n = len - 1 < sizeof out->ident - 1 ? len - 1 : sizeof out->ident - 1;
    memcpy(out->ident, line + 1, n); /* the whole line after "/": manufacturer, Z, \W, ident */
    out->ident[n] = '\0';
    return 0;
}

static int write_all(int fd, const char *p, size_t n, int timeout_ms, char *err, size_t err_len)
{
    long long start = now_ms();
    size_t done = 0;
    while (done < n) {
        long long left = timeout_ms - (now_ms() - start);
        if (left <= 0) {
            snprintf(err, err_len, "IEC 62056-21: writing timed out after %d ms", timeout_ms);
            return -1;
        }
        struct pollfd pfd = {fd, POLLOUT, 0};
        int rc = poll(&pfd, 1, left > SLICE_MS ? SLICE_MS : (int)left);
        if (rc < 0 && errno != EINTR) break;
        if (rc <= 0) continue;
        ssize_t w = write(fd, p + done, n - done);
        if (w < 0 && errno != EAGAIN && errno != EINTR) break;
        if (w > 0) done += (size_t)w;
    }
    if (done < n) {
        snprintf(err, err_len, "IEC 62056-21: write failed: %s", strerror(errno));
        return -1;
    }
    tcdrain(fd); /* the speed may change next: the bytes must be out first */
    return 0;
}

/* Reads a line up to LF (7-bit characters, CR and LF left out) within timeout_ms.
 * Returns its length, or -1 when none came in time. */
static int read_line(int fd, char *line, size_t cap, size_t want_min, int timeout_ms)
{
    long long start = now_ms();
    size_t n = 0;
    while (now_ms() - start < timeout_ms) {
        long long left = timeout_ms - (now_ms() - start);
        struct pollfd pfd = {fd, POLLIN, 0};
        int rc = poll(&pfd, 1, left > SLICE_MS ? SLICE_MS : (int)left);
        if (rc < 0 && errno != EINTR) return -1;
        if (rc <= 0) continue;
        if (!(pfd.revents & POLLIN)) return -1; /* hung up */
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r == 0) return -1;
        if (r < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            return -1;
        }
        c &= 0x7F; /* a confirmation sent as 8N1 still carries the 7E1 parity bit */
        if (c == '\n' && n >= want_min) return (int)n;
        if (c == '\r' || c == '\n' || c == '\0') continue; /* battery meters' wake-up NULs */
        if (n + 1 < cap) line[n++] = c;
    }
    return -1;
}

static void note(ds_listener *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(ds_listener *l, const char *fmt, ...)
{
    if (!l) return;
    char text[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    ds_listener_note(l, text);
}

int ds_iec_mode_e_open(int fd, const ds_serial_settings *after, int timeout_ms, ds_listener *l,
                       ds_iec_result *out, char *err, size_t err_len)
{
    if (timeout_ms <= 0) timeout_ms = 2000;
    ds_serial_settings sign_on = {300, 7, DS_PARITY_EVEN, 1};
    char why[200];
    if (ds_serial_configure(fd, &sign_on, 1, why, sizeof why)) {
        snprintf(err, err_len, "IEC 62056-21: 300:7E1: %s", why);
        return -1;
    }
    if (write_all(fd, "/?!\r\n", 5, timeout_ms, err, err_len)) return -1;
    note(l, "IEC 62056-21: sent /?! at 300:7E1");
    char line[128];
    int n = read_line(fd, line, sizeof line, 1, timeout_ms);
    if (n < 0) {
        snprintf(err, err_len, "IEC 62056-21: no identification within %d ms after /?!", timeout_ms);
        return -1;
    }
    if (ds_iec_ident_parse(line, (size_t)n, out, err, err_len)) return -1;
    note(l, "IEC 62056-21: identification /%s", out->ident);
    if (!out->mode_e) {
        snprintf(err, err_len, "IEC 62056-21: the meter does not offer HDLC mode E (identification '/%s')",
                 out->ident);
        return -1;
    }
    /* the reaction time: 20 ms when the manufacturer's third letter is lower case, else 200 ms */
    sleep_ms(line[3] >= 'a' && line[3] <= 'z' ? 20 : 200);
    char ack[6] = {0x06, '2', out->baud_char, '2', '\r', '\n'};
    if (write_all(fd, ack, sizeof ack, timeout_ms, err, err_len)) return -1;
    ds_serial_settings switched = *after;
    switched.baud = out->baud;
    char text[DS_SERIAL_SETTINGS_TEXT];
    note(l, "IEC 62056-21: sent ACK 2 %c 2, switching to %s", out->baud_char,
         ds_serial_settings_format(&switched, text, sizeof text));
    /* the meter confirms at the new rate, still 7E1; not every meter does */
    ds_serial_settings confirm = {out->baud, 7, DS_PARITY_EVEN, 1};
    if (ds_serial_configure(fd, &confirm, 0, why, sizeof why)) {
        snprintf(err, err_len, "IEC 62056-21: baud character %c: %s", out->baud_char, why);
        return -1;
    }
    char echo[16];
    int m = read_line(fd, echo, sizeof echo, 1, timeout_ms);
    if (m >= 4 && echo[0] == 0x06 && echo[2] == out->baud_char) note(l, "IEC 62056-21: the meter confirmed");
    else note(l, "IEC 62056-21: no confirmation from the meter; going on");
    /* nothing is dropped here: what the meter sends next is the answer to the client's SNRM */
    if (ds_serial_configure(fd, &switched, 0, why, sizeof why)) {
        snprintf(err, err_len, "IEC 62056-21: %s: %s", text, why);
        return -1;
    }
    return 0;
}
