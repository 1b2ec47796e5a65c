/* COSEM date, time and date-time as ISO 8601 text, exactly as encoded.
 *
 * No time zone conversion: the text shows the meter's local time and, when
 * given, its offset from UTC. The wire deviation counts minutes from local
 * time to UTC, so it is negated for the ISO offset (-60 is "+01:00").
 * Unspecified fields stay visible as asterisks instead of being guessed. */
#include "names/names.h"

#include <string.h>
#include "util/fmt.h"

#include <stdio.h>

#define UNSPEC 0xFFu
#define DEVIATION_UNSPEC 0x8000u
#define DEVIATION_LIMIT 720

/* Bounded appender: the text is dropped (ok = 0) rather than cut. */
typedef struct text {
    char *buf;
    size_t size;
    size_t len;
    int ok;
} text;

static void put_char(text *t, char c)
{
    if (t->len + 1 >= t->size) {
        t->ok = 0;
        return;
    }
    t->buf[t->len++] = c;
    t->buf[t->len] = '\0';
}

static void put(text *t, const char *s)
{
    for (; *s && t->ok; s++) put_char(t, *s);
}

/* v in decimal, zero-padded to width: two digits straight from v below 100, the common case */
static void put_num(text *t, unsigned v, int width)
{
    if (v < 100 && width == 2) {
        put_char(t, (char)('0' + v / 10));
        put_char(t, (char)('0' + v % 10));
        return;
    }
    char digits[24];
    size_t n = ds_fmt_udec(digits, v);
    for (size_t k = n; (int)k < width; k++) put_char(t, '0');
    for (size_t k = 0; k < n; k++) put_char(t, digits[k]);
}

static int month_ok(uint8_t m) { return (m >= 1 && m <= 12) || m >= 0xFD; }
static int day_ok(uint8_t d) { return (d >= 1 && d <= 31) || d >= 0xFD; }

static int date_ok(const uint8_t *p) { return month_ok(p[2]) && day_ok(p[3]); }

static int time_ok(const uint8_t *p)
{
    return (p[0] < 24 || p[0] == UNSPEC) && (p[1] < 60 || p[1] == UNSPEC) &&
           (p[2] < 60 || p[2] == UNSPEC) && (p[3] < 100 || p[3] == UNSPEC);
}

static int deviation_ok(uint16_t dev)
{
    if (dev == DEVIATION_UNSPEC) return 1;
    int minutes = dev >= 0x8000u ? (int)dev - 0x10000 : (int)dev;
    return minutes >= -DEVIATION_LIMIT && minutes <= DEVIATION_LIMIT;
}

static void put_date(text *t, const uint8_t *p)
{
    unsigned year = (unsigned)p[0] << 8 | p[1];
    if (year == 0xFFFFu) put(t, "****");
    else put_num(t, year, 4);
    put(t, "-");
    switch (p[2]) {
    case 0xFD: put(t, "dst-end"); break;
    case 0xFE: put(t, "dst-begin"); break;
    case UNSPEC: put(t, "**"); break;
    default: put_num(t, p[2], 2);
    }
    put(t, "-");
    switch (p[3]) {
    case 0xFD: put(t, "2nd-last"); break;
    case 0xFE: put(t, "last"); break;
    case UNSPEC: put(t, "**"); break;
    default: put_num(t, p[3], 2);
    }
}

static void put_field(text *t, uint8_t v)
{
    if (v == UNSPEC) put(t, "**");
    else put_num(t, v, 2);
}

static void put_time(text *t, const uint8_t *p)
{
    put_field(t, p[0]);
    put(t, ":");
    put_field(t, p[1]);
    put(t, ":");
    put_field(t, p[2]);
    if (p[3] != UNSPEC) {
        put(t, ".");
        put_num(t, p[3], 2);
    }
}

static void put_deviation(text *t, uint16_t dev)
{
    if (dev == DEVIATION_UNSPEC) return;
    int minutes = dev >= 0x8000u ? (int)dev - 0x10000 : (int)dev;
    int offset = -minutes; /* deviation is local -> UTC; ISO offset is UTC -> local */
    put(t, offset < 0 ? "-" : "+");
    if (offset < 0) offset = -offset;
    put_num(t, (unsigned)(offset / 60), 2);
    put(t, ":");
    put_num(t, (unsigned)(offset % 60), 2);
}

static void put_status(text *t, uint8_t status)
{
    static const struct {
        uint8_t bit;
        const char *word;
    } FLAGS[] = {
        {0x80, "dst"}, {0x01, "invalid"}, {0x02, "doubtful"}, {0x04, "different-base"},
        {0x08, "invalid-status"},
    };
    if (status == 0x00 || status == UNSPEC) return;
    const char *sep = " ";
    for (size_t i = 0; i < sizeof FLAGS / sizeof FLAGS[0]; i++) {
        if (status & FLAGS[i].bit) {
            put(t, sep);
            put(t, FLAGS[i].word);
            sep = ",";
        }
    }
}

size_t ds_datetime_format(const uint8_t *p, size_t n, char *buf, size_t bufsz)
{
    if (!buf || bufsz == 0) return 0;
    text t = {buf, bufsz, 0, 1};
    buf[0] = '\0';
    switch (n) {
    case 12: {
        uint16_t dev = (uint16_t)(p[9] << 8 | p[10]);
        if (!date_ok(p) || !time_ok(p + 5) || !deviation_ok(dev)) return 0;
        put_date(&t, p);
        put(&t, "T");
        put_time(&t, p + 5);
        put_deviation(&t, dev);
        put_status(&t, p[11]);
        break;
    }
    case 5:
        if (!date_ok(p)) return 0;
        put_date(&t, p);
        break;
    case 4:
        if (!time_ok(p)) return 0;
        put_time(&t, p);
        break;
    default:
        return 0;
    }
    if (!t.ok) {
        buf[0] = '\0';
        return 0;
    }
    return t.len;
}
