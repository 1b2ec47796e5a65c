/* COSEM date, time and date-time as ISO 8601 text, exactly as encoded.
 *
 * No time zone conversion: the text shows the meter's local time and, when
 * given, its offset from UTC. The wire deviation counts minutes from local
 * time to UTC, so it is negated for the ISO offset (-60 is "+01:00").
 * Unspecified fields stay visible as asterisks instead of being guessed.
 *
 * The text is written without per-character bounds checks: every field has a
 * fixed maximum width, so the whole text never exceeds DATETIME_MAX, and the
 * caller's buffer is checked once (a buffer that is too small gets no text,
 * rather than a cut one). */
#include "names/names.h"

#include <string.h>

#include "util/fmt.h"

#define UNSPEC 0xFFu
#define DEVIATION_UNSPEC 0x8000u
#define DEVIATION_LIMIT 720

/* The longest text: "65534-dst-begin-2nd-lastT**:**:**.99+12:00" (42: year FFFF is "****")
 * plus all status words " dst,invalid,doubtful,different-base,invalid-status" (51). */
#define DATETIME_MAX (DS_DATETIME_TEXT_MAX - 1)

/* Each writer stores its text at w and returns the position after it. */
static char *put_lit(char *w, const char *s, size_t n)
{
    memcpy(w, s, n);
    return w + n;
}
#define PUT(w, lit) put_lit((w), (lit), sizeof(lit) - 1)

/* v < 100 as two digits, zero-padded */
static char *put2(char *w, unsigned v)
{
    memcpy(w, DS_DEC_PAIRS + 2 * (v % 100), 2); /* (v < 100 for checked fields: the % keeps any v inside) */
    return w + 2;
}

/* a year (< 65535) with at least four digits */
static char *put_year(char *w, unsigned v)
{
    if (v >= 10000) *w++ = (char)('0' + v / 10000);
    return put2(put2(w, v / 100 % 100), v % 100);
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

/* The fields below are checked (date_ok, time_ok): numbers are < 100 except the year. */
static char *put_date(char *w, const uint8_t *p)
{
    unsigned year = (unsigned)p[0] << 8 | p[1];
    w = year == 0xFFFFu ? PUT(w, "****") : put_year(w, year);
    *w++ = '-';
    switch (p[2]) {
    case 0xFD: w = PUT(w, "dst-end"); break;
    case 0xFE: w = PUT(w, "dst-begin"); break;
    case UNSPEC: w = PUT(w, "**"); break;
    default: w = put2(w, p[2]);
    }
    *w++ = '-';
    switch (p[3]) {
    case 0xFD: return PUT(w, "2nd-last");
    case 0xFE: return PUT(w, "last");
    case UNSPEC: return PUT(w, "**");
    default: return put2(w, p[3]);
    }
}

static char *put_field(char *w, uint8_t v) { return v == UNSPEC ? PUT(w, "**") : put2(w, v); }

static char *put_time(char *w, const uint8_t *p)
{
    w = put_field(w, p[0]);
    *w++ = ':';
    w = put_field(w, p[1]);
    *w++ = ':';
    w = put_field(w, p[2]);
    if (p[3] != UNSPEC) {
        *w++ = '.';
        w = put2(w, p[3]);
    }
    return w;
}

/* dev is checked (deviation_ok): at most 720 minutes either way */
static char *put_deviation(char *w, uint16_t dev)
{
    if (dev == DEVIATION_UNSPEC) return w;
    int minutes = dev >= 0x8000u ? (int)dev - 0x10000 : (int)dev;
    int offset = -minutes; /* deviation is local -> UTC; ISO offset is UTC -> local */
    *w++ = offset < 0 ? '-' : '+';
    if (offset < 0) offset = -offset;
    w = put2(w, (unsigned)(offset / 60));
    *w++ = ':';
    return put2(w, (unsigned)(offset % 60));
}

static char *put_status(char *w, uint8_t status)
{
    static const struct {
        uint8_t bit;
        uint8_t len;
        const char *word;
    } FLAGS[] = {
        {0x80, 3, "dst"}, {0x01, 7, "invalid"}, {0x02, 8, "doubtful"}, {0x04, 14, "different-base"},
        {0x08, 14, "invalid-status"},
    };
    if (status == 0x00 || status == UNSPEC) return w;
    char sep = ' ';
    for (size_t i = 0; i < sizeof FLAGS / sizeof FLAGS[0]; i++) {
        if (status & FLAGS[i].bit) {
            *w++ = sep;
            w = put_lit(w, FLAGS[i].word, FLAGS[i].len);
            sep = ',';
        }
    }
    return w;
}

/* Writes the text into out (room for DATETIME_MAX characters); returns its length, or 0 when
 * the bytes are no plausible date/time. */
static size_t format(const uint8_t *p, size_t n, char *out)
{
    char *w = out;
    switch (n) {
    case 12: {
        uint16_t dev = (uint16_t)(p[9] << 8 | p[10]);
        if (!date_ok(p) || !time_ok(p + 5) || !deviation_ok(dev)) return 0;
        w = put_date(w, p);
        *w++ = 'T';
        w = put_time(w, p + 5);
        w = put_deviation(w, dev);
        w = put_status(w, p[11]);
        break;
    }
    case 5:
        if (!date_ok(p)) return 0;
        w = put_date(w, p);
        break;
    case 4:
        if (!time_ok(p)) return 0;
        w = put_time(w, p);
        break;
    default:
        return 0;
    }
    return (size_t)(w - out);
}

size_t ds_datetime_format(const uint8_t *p, size_t n, char *buf, size_t bufsz)
{
    if (!buf || bufsz == 0) return 0;
    char scratch[DATETIME_MAX];
    char *out = bufsz > DATETIME_MAX ? buf : scratch; /* large buffers are written in place */
    size_t len = format(p, n, out);
    if (len == 0 || len >= bufsz) { /* implausible, or no room for the text and its NUL */
        buf[0] = '\0';
        return 0;
    }
    if (out != buf) memcpy(buf, out, len);
    buf[len] = '\0';
    return len;
}
