/* Serial settings as text: "9600:8N1", Gurux's "9600:8None1", a device that carries its
 * settings. Plain text work, nothing of the system: ds_serial_configure() says what the
 * system can set. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dlmscope/serial.h"
#include "port/say.h"

/* The highest baud rate read at all; what the system can set is checked when configuring. */
#define BAUD_MAX 100000000ul

void ds_port_say(char *err, size_t err_len, const char *fmt, ...)
{
    if (!err || err_len == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

/* The bad part is quoted as written, cut to a sensible length. */
static int clip(size_t n)
{
    return n > 40 ? 40 : (int)n;
}

void ds_serial_settings_init(ds_serial_settings *s)
{
    s->baud = 9600;
    s->data_bits = 8;
    s->parity = DS_PARITY_NONE;
    s->stop_bits = 1;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* The decimal number s[0..n) without sign or spaces; -1 when it is not one or too big. */
static int read_baud(const char *s, size_t n, unsigned long *out)
{
    if (n == 0 || n > 9) return -1;
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v == 0 || v > BAUD_MAX) return -1;
    *out = v;
    return 0;
}

/* The parity, one letter (N E O M S) or a word (None, Even, Odd, Mark, Space), any case. */
static int read_parity(const char *s, size_t n, ds_parity *out)
{
    static const struct {
        const char *word;
        ds_parity parity;
    } NAMES[] = {{"none", DS_PARITY_NONE}, {"even", DS_PARITY_EVEN}, {"odd", DS_PARITY_ODD},
                 {"mark", DS_PARITY_MARK}, {"space", DS_PARITY_SPACE}};
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++) {
        size_t len = strlen(NAMES[i].word);
        int same = n == 1 ? lower(s[0]) == NAMES[i].word[0] : n == len;
        for (size_t k = 0; same && n == len && k < len; k++) same = lower(s[k]) == NAMES[i].word[k];
        if (same) {
            *out = NAMES[i].parity;
            return 0;
        }
    }
    return -1;
}

/* "8N1", "7E1", "8None1": data bits, parity, stop bits. */
static int read_frame(const char *s, size_t n, ds_serial_settings *out, char *err, size_t err_len)
{
    if (n < 3) {
        ds_port_say(err, err_len, "'%.*s' is not data bits, parity and stop bits (as in 8N1 or 8None1)", clip(n), s);
        return -1;
    }
    if (s[0] < '5' || s[0] > '8' || (n > 1 && s[1] >= '0' && s[1] <= '9')) {
        ds_port_say(err, err_len, "data bits '%.*s': 5, 6, 7 or 8 (as in 8N1)", clip(n), s);
        return -1;
    }
    size_t stop_at = n - 1;
    if (n >= 5 && !memcmp(s + n - 3, "1.5", 3)) {
        ds_port_say(err, err_len, "stop bits 1.5 in '%.*s' cannot be set: 1 or 2", clip(n), s);
        return -1;
    }
    if (s[stop_at] != '1' && s[stop_at] != '2') {
        ds_port_say(err, err_len, "stop bits in '%.*s': 1 or 2 (as in 8N1)", clip(n), s);
        return -1;
    }
    ds_parity parity;
    if (read_parity(s + 1, stop_at - 1, &parity)) {
        ds_port_say(err, err_len, "parity '%.*s': N, E, O, M, S or None, Even, Odd, Mark, Space", clip(stop_at - 1), s + 1);
        return -1;
    }
    out->data_bits = s[0] - '0';
    out->parity = parity;
    out->stop_bits = s[stop_at] - '0';
    return 0;
}

int ds_serial_settings_parse(const char *text, ds_serial_settings *out, char *err, size_t err_len)
{
    if (err && err_len) err[0] = '\0';
    if (!text || !out) {
        ds_port_say(err, err_len, "no serial settings");
        return -1;
    }
    ds_serial_settings s;
    ds_serial_settings_init(&s);
    size_t n = strlen(text);
    const char *colon = memchr(text, ':', n);
    size_t baud_len = colon ? (size_t)(colon - text) : n;
    if (read_baud(text, baud_len, &s.baud)) {
        ds_port_say(err, err_len, "baud '%.*s' is not a baud rate (as in 9600:8N1)", clip(baud_len), text);
        return -1;
    }
    if (colon && read_frame(colon + 1, n - baud_len - 1, &s, err, err_len)) return -1;
    *out = s;
    return 0;
}

int ds_serial_target_parse(const char *text, char *device, size_t device_len, ds_serial_settings *out,
                           int *has_settings, char *err, size_t err_len)
{
    if (err && err_len) err[0] = '\0';
    if (has_settings) *has_settings = 0;
    size_t n = text ? strlen(text) : 0;
    if (n == 0) {
        ds_port_say(err, err_len, "no device given");
        return -1;
    }
    /* DEVICE:BAUD:DPS: the two last fields, when both read as settings */
    size_t dev_len = n;
    ds_serial_settings s;
    const char *last = strrchr(text, ':');
    if (last && last > text) {
        const char *prev = last - 1;
        while (prev > text && *prev != ':') prev--;
        if (*prev == ':' && prev > text && !ds_serial_settings_parse(prev + 1, &s, NULL, 0)) {
            dev_len = (size_t)(prev - text);
            if (out) *out = s;
            if (has_settings) *has_settings = 1;
        }
    }
    if (dev_len + 1 > device_len) {
        ds_port_say(err, err_len, "device name '%.*s...' is too long", clip(dev_len), text);
        return -1;
    }
    memcpy(device, text, dev_len);
    device[dev_len] = '\0';
    return 0;
}

char *ds_serial_settings_format(const ds_serial_settings *s, char *buf, size_t buf_len)
{
    static const char LETTER[] = {'N', 'E', 'O', 'M', 'S'};
    char p = (unsigned)s->parity < sizeof LETTER ? LETTER[s->parity] : '?';
    if (buf && buf_len) snprintf(buf, buf_len, "%lu:%d%c%d", s->baud, s->data_bits, p, s->stop_bits);
    return buf;
}
