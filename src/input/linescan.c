/* Hex tokenizer and log-line prefix parser (see linescan.h). */
#include "input/linescan.h"

#include <string.h>

/* ---- hex tokenizer ---------------------------------------------------------------------- */

#define CC_SP (DS_CC_SPACE | DS_CC_SEP)
#define CC_DEC(v) (DS_CC_HEX | DS_CC_DEC | (v))
#define CC_HEX(v) (DS_CC_HEX | (v))

const uint8_t ds_char_class[256] = {
    ['0'] = CC_DEC(0), ['1'] = CC_DEC(1), ['2'] = CC_DEC(2), ['3'] = CC_DEC(3), ['4'] = CC_DEC(4),
    ['5'] = CC_DEC(5), ['6'] = CC_DEC(6), ['7'] = CC_DEC(7), ['8'] = CC_DEC(8), ['9'] = CC_DEC(9),
    ['a'] = CC_HEX(10), ['b'] = CC_HEX(11), ['c'] = CC_HEX(12), ['d'] = CC_HEX(13),
    ['e'] = CC_HEX(14), ['f'] = CC_HEX(15),
    ['A'] = CC_HEX(10), ['B'] = CC_HEX(11), ['C'] = CC_HEX(12), ['D'] = CC_HEX(13),
    ['E'] = CC_HEX(14), ['F'] = CC_HEX(15),
    [' '] = CC_SP, ['\t'] = CC_SP, ['\v'] = CC_SP, ['\f'] = CC_SP, ['\r'] = CC_SP, ['\n'] = CC_SP,
    /* what people put between hex bytes besides blanks: list punctuation,
     * MAC-style ':' and '-', and the brackets/braces of pasted arrays */
    [','] = DS_CC_SEP, [';'] = DS_CC_SEP, [':'] = DS_CC_SEP, ['-'] = DS_CC_SEP,
    ['{'] = DS_CC_SEP, ['}'] = DS_CC_SEP, ['['] = DS_CC_SEP, [']'] = DS_CC_SEP,
};

/* For the "XX XX " loop: a digit as the high or the low half of a byte, with
 * bit 8 set when the character is a hex digit at all, so the bytes of a pair
 * OR together and their validity ANDs together. */
#define NIBBLES(m)                                                                                 \
    ['0'] = m(0), ['1'] = m(1), ['2'] = m(2), ['3'] = m(3), ['4'] = m(4), ['5'] = m(5),            \
    ['6'] = m(6), ['7'] = m(7), ['8'] = m(8), ['9'] = m(9), ['a'] = m(10), ['b'] = m(11),          \
    ['c'] = m(12), ['d'] = m(13), ['e'] = m(14), ['f'] = m(15), ['A'] = m(10), ['B'] = m(11),      \
    ['C'] = m(12), ['D'] = m(13), ['E'] = m(14), ['F'] = m(15)
#define AS_HIGH(v) (0x100u | ((v) << 4))
#define AS_LOW(v) (0x100u | (v))
static const uint16_t high_nibble[256] = {NIBBLES(AS_HIGH)};
static const uint16_t low_nibble[256] = {NIBBLES(AS_LOW)};

static unsigned char_class_of(int c)
{
    return (c >= 0 && c <= 255) ? ds_char_class[c] : 0u;
}

static int hex_value(int c)
{
    unsigned cc = char_class_of(c);
    return (cc & DS_CC_HEX) ? (int)(cc & DS_CC_VALUE) : -1;
}

int ds_hex_is_space(int c)
{
    return (char_class_of(c) & DS_CC_SPACE) != 0;
}

int ds_hex_is_separator(int c)
{
    return (char_class_of(c) & DS_CC_SEP) != 0;
}

void ds_hexrun_init(ds_hexrun *h)
{
    memset(h, 0, sizeof *h);
    h->nib = -1;
}

static void reset_run(ds_hexrun *h)
{
    h->nib = -1;
    h->digits = 0;
    h->prefixed = 0;
    h->run_has_number = 0;
}

static int close_run(ds_hexrun *h, uint8_t *b)
{
    int ev = DS_HEX_NONE;
    if (h->prefixed && h->digits == 0) {
        h->bad = 1; /* "0x" with nothing after it */
        ev = DS_HEX_BAD;
    } else if (h->digits % 2 == 1 && h->prefixed && h->digits == 1) {
        *b = (uint8_t)h->nib; /* C style "0x7" means 07 */
        h->bytes++;
        h->even_runs++;
        ev = DS_HEX_BYTE;
    } else if (h->digits % 2 == 1) {
        *b = (uint8_t)h->nib;
        if (!h->run_has_number && !h->prefixed) h->word_runs++;
        ev = DS_HEX_LONE;
    } else if (h->digits > 0) {
        h->even_runs++;
    }
    reset_run(h);
    return ev;
}

int ds_hexrun_feed(ds_hexrun *h, int c, uint8_t *b)
{
    int v = hex_value(c);
    if (v >= 0) {
        h->digits++;
        if (v < 10) h->run_has_number = 1;
        if (h->nib < 0) {
            h->nib = v;
            return DS_HEX_NONE;
        }
        *b = (uint8_t)((h->nib << 4) | v);
        h->nib = -1;
        h->bytes++;
        return DS_HEX_BYTE;
    }
    if ((c == 'x' || c == 'X') && h->digits == 1 && h->nib == 0 && !h->prefixed) {
        h->digits = 0;
        h->nib = -1;
        h->prefixed = 1;
        return DS_HEX_NONE;
    }
    if (ds_hex_is_separator(c)) return close_run(h, b);
    h->bad = 1;
    reset_run(h);
    return DS_HEX_BAD;
}

int ds_hexrun_end(ds_hexrun *h, uint8_t *b)
{
    return close_run(h, b);
}

/* "XX XX XX " from a fresh run: each group is a whole run of two digits, so
 * it gives one byte and one even run. A group is taken only when another hex
 * digit follows its blank, which keeps double blanks (an xxd text column may
 * follow them) out of this loop. Returns the end of the groups taken. */
#if defined(__GNUC__)
#define KEEP_APART __attribute__((noinline)) /* inlined, the loop ran out of registers */
#else
#define KEEP_APART
#endif
KEEP_APART
static size_t spaced_pairs(const unsigned char *s, size_t i, size_t n, uint8_t *out, size_t *len)
{
    if (n - i < 4) return i;
    const unsigned char *p = s + i;
    const unsigned char *last = s + n - 4; /* the last group start with a digit after it */
    uint8_t *o = out + *len;
    unsigned hi = high_nibble[p[0]];
    /* two groups at a time while six characters and a digit are left */
    for (size_t twice = (n - i - 1) / 6; twice > 0; twice--) {
        unsigned lo = low_nibble[p[1]];
        unsigned hi2 = high_nibble[p[3]];
        unsigned lo2 = low_nibble[p[4]];
        unsigned next = high_nibble[p[6]];
        if (!(hi & lo & hi2 & lo2 & next & 0x100u) || p[2] != ' ' || p[5] != ' ') break;
        o[0] = (uint8_t)(hi | lo);
        o[1] = (uint8_t)(hi2 | lo2);
        o += 2;
        hi = next;
        p += 6;
    }
    while (p <= last) {
        unsigned lo = low_nibble[p[1]];
        unsigned next = high_nibble[p[3]];
        if (!(hi & lo & next & 0x100u) || p[2] != ' ') break;
        *o++ = (uint8_t)(hi | lo); /* the cast drops the validity bit */
        hi = next;
        p += 3;
    }
    *len = (size_t)(o - out);
    return (size_t)(p - s);
}

size_t ds_hexrun_feed_quick(ds_hexrun *h, const char *text, size_t n, uint8_t *out, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    size_t len = *out_len;
    const size_t len_before = len;
    int nib = h->nib;
    unsigned digits = h->digits;
    int prefixed = h->prefixed;
    int has_number = h->run_has_number;
    uint64_t even_runs = h->even_runs;

    while (i < n) {
        unsigned cc = ds_char_class[s[i]];
        if (cc & DS_CC_HEX) {
            if (digits == 0 && !prefixed) {
                size_t k = spaced_pairs(s, i, n, out, &len);
                even_runs += (k - i) / 3;
                i = k;
            }
            /* whole pairs inside a run ("7EA008..." or the last pair of a line) */
            while (nib < 0 && n - i >= 2) {
                unsigned hi = ds_char_class[s[i]];
                unsigned lo = ds_char_class[s[i + 1]];
                if (!(hi & lo & DS_CC_HEX)) break;
                out[len++] = (uint8_t)(((hi & DS_CC_VALUE) << 4) | (lo & DS_CC_VALUE));
                if ((hi | lo) & DS_CC_DEC) has_number = 1;
                digits += 2;
                i += 2;
            }
            if (i >= n) break;
            cc = ds_char_class[s[i]];
            if (!(cc & DS_CC_HEX)) continue;
            /* a single digit: the high nibble of a pair that goes on later, or
             * the low one after an odd start */
            digits++;
            if (cc & DS_CC_DEC) has_number = 1;
            if (nib < 0) {
                nib = (int)(cc & DS_CC_VALUE);
            } else {
                out[len++] = (uint8_t)(((unsigned)nib << 4) | (cc & DS_CC_VALUE));
                nib = -1;
            }
            i++;
            continue;
        }
        /* a lone blank closing a run of whole bytes (or nothing) yields no event */
        if (s[i] != ' ' || (n - i > 1 && (ds_char_class[s[i + 1]] & DS_CC_SPACE)) || digits % 2 != 0 ||
            (digits == 0 && prefixed))
            break;
        if (digits > 0) even_runs++;
        digits = 0;
        prefixed = 0;
        has_number = 0;
        i++;
    }
    h->nib = nib;
    h->digits = digits;
    h->prefixed = prefixed;
    h->run_has_number = has_number;
    h->even_runs = even_runs;
    h->bytes += len - len_before;
    *out_len = len;
    return i;
}

/* ---- prefix parser -------------------------------------------------------------------------- */

static int is_digit(int c) { return c >= '0' && c <= '9'; }

static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static int to_upper(int c) { return (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c; }

static int at_boundary(const char *s, size_t n, size_t i)
{
    return i >= n || ds_cc_is_space((unsigned char)s[i]);
}

static size_t count_digits(const char *s, size_t n, size_t i)
{
    if (i >= n) return 0;
    const unsigned char *start = (const unsigned char *)s + i;
    const unsigned char *end = (const unsigned char *)s + n;
    const unsigned char *p = start;
    while (p < end && (ds_char_class[*p] & DS_CC_DEC)) p++;
    return (size_t)(p - start);
}

/* The value of exactly two digits at s[i] (count_digits() == 2), or -1. */
static int two_digit_value(const char *s, size_t n, size_t i)
{
    if (i >= n || n - i < 2 || !is_digit((unsigned char)s[i]) || !is_digit((unsigned char)s[i + 1]) ||
        (n - i > 2 && is_digit((unsigned char)s[i + 2])))
        return -1;
    return (s[i] - '0') * 10 + (s[i + 1] - '0');
}

static unsigned small_number(const char *s, size_t i, size_t k)
{
    unsigned v = 0;
    for (size_t j = 0; j < k && j < 4; j++) v = v * 10u + (unsigned)(s[i + j] - '0');
    return v;
}

static void append_timestamp(ds_line_prefix *pf, const char *text, size_t len)
{
    size_t used = pf->timestamp_len;
    size_t room = DS_TIMESTAMP_MAX - 1 - used;
    if (used > 0 && room > 0) {
        pf->timestamp[used++] = ' ';
        room--;
    }
    if (len > room) len = room;
    memcpy(pf->timestamp + used, text, len);
    pf->timestamp[used + len] = '\0';
    pf->timestamp_len = used + len;
    pf->has_time = 1;
}

/* Matches a direction word ("TX", "Received", ...) case-insensitively at s[i]
 * as a whole word; returns its length or 0. */
static size_t match_direction_word(const char *s, size_t n, size_t i, ds_direction *dir)
{
#define WORD(w, d) {w, sizeof w - 1, d}
    static const struct { const char *word; size_t len; ds_direction dir; } words[] = {
        WORD("TX", DS_DIR_TX),       WORD("SEND", DS_DIR_TX),     WORD("SENT", DS_DIR_TX),
        WORD("SENDING", DS_DIR_TX),  WORD("RX", DS_DIR_RX),       WORD("RECV", DS_DIR_RX),
        WORD("RECEIVE", DS_DIR_RX),  WORD("RECEIVED", DS_DIR_RX), WORD("RECEIVING", DS_DIR_RX),
        /* a DLMS log is written on the client side: what the client says is sent */
        WORD("CLIENT", DS_DIR_TX),   WORD("SERVER", DS_DIR_RX),   WORD("METER", DS_DIR_RX),
    };
#undef WORD
    size_t k = 0;
    while (i + k < n && is_alpha((unsigned char)s[i + k])) k++;
    if (k == 0) return 0;
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        const char *word = words[w].word;
        if (words[w].len != k) continue;
        size_t j = 0;
        while (j < k && to_upper((unsigned char)s[i + j]) == word[j]) j++;
        if (j == k) {
            *dir = words[w].dir;
            return k;
        }
    }
    return 0;
}

/* Labels that tools and forum posts write before the hex of a frame or an APDU, each ending
 * in ':'. Words are matched case-insensitively, one blank between them. */
static size_t match_label(const char *s, size_t n, size_t i, ds_line_prefix *pf)
{
#define LABEL(w, d) {w, sizeof w - 1, d}
    static const struct { const char *text; size_t len; ds_direction dir; } labels[] = {
        LABEL("DECRYPTED PDU", DS_DIR_UNKNOWN), LABEL("DECRYPTED APDU", DS_DIR_UNKNOWN),
        LABEL("ENCRYPTED PDU", DS_DIR_UNKNOWN), LABEL("PLAIN PDU", DS_DIR_UNKNOWN),
        LABEL("APDU", DS_DIR_UNKNOWN),          LABEL("PDU", DS_DIR_UNKNOWN),
        LABEL("DATA", DS_DIR_UNKNOWN),          LABEL("FRAME", DS_DIR_UNKNOWN),
        LABEL("SEND DATA", DS_DIR_TX),          LABEL("SENT DATA", DS_DIR_TX),
        LABEL("RECEIVED DATA", DS_DIR_RX),      LABEL("RECEIVE DATA", DS_DIR_RX),
    };
#undef LABEL
    if (i >= n || !is_alpha((unsigned char)s[i])) return 0;
    for (size_t l = 0; l < sizeof labels / sizeof labels[0]; l++) {
        size_t k = labels[l].len;
        if (n - i <= k || s[i + k] != ':') continue;
        size_t j = 0;
        while (j < k && to_upper((unsigned char)s[i + j]) == labels[l].text[j]) j++;
        if (j < k) continue;
        if (labels[l].dir != DS_DIR_UNKNOWN && !pf->has_dir) {
            pf->dir = labels[l].dir;
            pf->has_dir = 1;
        }
        pf->has_label = 1;
        return k + 1;
    }
    return 0;
}

/* Arrows: "->", "-->", "=>", ">>" are TX; "<-", "<--", "<=", "<<" are RX. */
static size_t match_arrow(const char *s, size_t n, size_t i, ds_direction *dir)
{
    size_t k = 0;
    if (i + 1 >= n) return 0;
    if (s[i] == '>' && s[i + 1] == '>') {
        *dir = DS_DIR_TX;
        return 2;
    }
    if (s[i] == '<' && s[i + 1] == '<') {
        *dir = DS_DIR_RX;
        return 2;
    }
    if ((s[i] == '<' || s[i] == '>') && ds_cc_is_space((unsigned char)s[i + 1])) {
        *dir = s[i] == '>' ? DS_DIR_TX : DS_DIR_RX; /* "> 7E A0 ..." as quoted in mails and forums */
        return 1;
    }
    if (s[i] == '<') {
        k = 1;
        while (i + k < n && (s[i + k] == '-' || s[i + k] == '=')) k++;
        if (k < 2) return 0;
        *dir = DS_DIR_RX;
        return k;
    }
    while (i + k < n && (s[i + k] == '-' || s[i + k] == '=')) k++;
    if (k == 0 || i + k >= n || s[i + k] != '>') return 0;
    *dir = DS_DIR_TX;
    return k + 1;
}

/* A direction token, with an optional ':' after it. */
static size_t match_direction(const char *s, size_t n, size_t i, ds_direction *dir)
{
    if (i >= n) return 0;
    /* every arrow and direction word starts with one of these */
    switch (s[i]) {
    case '<': case '>': case '-': case '=':
    case 'T': case 't': case 'S': case 's': case 'R': case 'r':
    case 'C': case 'c': case 'M': case 'm':
        break;
    default:
        return 0;
    }
    int letter = is_alpha((unsigned char)s[i]);
    size_t k = letter ? 0 : match_arrow(s, n, i, dir);
    if (k == 0) {
        k = match_direction_word(s, n, i, dir);
        if (k == 0) return 0;
        if (i + k < n && s[i + k] == ':') return k + 1;
        return at_boundary(s, n, i + k) ? k : 0;
    }
    if (i + k < n && s[i + k] == ':') k++;
    return k;
}

/* hh:mm[:ss[.frac]] with sane ranges, k being the count of digits at s[i];
 * returns its length or 0. */
static size_t match_time_after_digits(const char *s, size_t n, size_t i, size_t k)
{
    if (k < 1 || k > 2 || small_number(s, i, k) > 23) return 0;
    size_t p = i + k;
    if (p >= n || s[p] != ':') return 0;
    int minutes = two_digit_value(s, n, p + 1);
    if (minutes < 0 || minutes > 59) return 0;
    p += 3;
    if (p < n && s[p] == ':') {
        int seconds = two_digit_value(s, n, p + 1);
        if (seconds < 0 || seconds > 60) return 0;
        p += 3;
    }
    if (p < n && (s[p] == '.' || s[p] == ',')) {
        k = count_digits(s, n, p + 1);
        if (k >= 1 && k <= 9) p += 1 + k;
    }
    if (p < n && s[p] == 'Z') p++;
    return p - i;
}

static size_t match_time(const char *s, size_t n, size_t i)
{
    return match_time_after_digits(s, n, i, count_digits(s, n, i));
}

/* " AM" / " PM" after a time (.NET's long time string in an English locale): its length. */
static size_t am_pm_length(const char *s, size_t n, size_t i)
{
    if (n - i < 3 || s[i] != ' ' || (to_upper((unsigned char)s[i + 1]) != 'A' && to_upper((unsigned char)s[i + 1]) != 'P') ||
        to_upper((unsigned char)s[i + 2]) != 'M' || !at_boundary(s, n, i + 3))
        return 0;
    return 3;
}

/* yyyy-mm-dd, yyyy/mm/dd, dd.mm.yyyy, dd/mm/yyyy, optionally with an ISO "T..."
 * tail in the same token; returns its length or 0. */
static size_t match_date(const char *s, size_t n, size_t i)
{
    size_t len[3];
    size_t p = i;
    char sep = 0;
    for (int g = 0; g < 3; g++) {
        len[g] = count_digits(s, n, p);
        if (len[g] == 0) return 0;
        p += len[g];
        if (g == 2) break;
        if (p >= n || (s[p] != '-' && s[p] != '/' && s[p] != '.')) return 0;
        if (sep != 0 && s[p] != sep) return 0;
        sep = s[p++];
    }
    unsigned month;
    unsigned day;
    if (len[0] == 4 && len[1] <= 2 && len[2] <= 2) {
        month = small_number(s, i + len[0] + 1, len[1]);
        day = small_number(s, i + len[0] + len[1] + 2, len[2]);
    } else if (len[2] == 4 && len[0] <= 2 && len[1] <= 2) {
        day = small_number(s, i, len[0]);
        month = small_number(s, i + len[0] + 1, len[1]);
    } else {
        return 0;
    }
    if (month < 1 || month > 12 || day < 1 || day > 31) return 0;
    if (p < n && (s[p] == 'T' || s[p] == '_')) {
        size_t t = match_time(s, n, p + 1);
        if (t == 0) return 0;
        p += 1 + t;
        while (p < n && (is_digit((unsigned char)s[p]) || s[p] == '+' || s[p] == '-' || s[p] == ':'))
            p++; /* zone offset */
    }
    return p - i;
}

/* Seconds since some epoch with a fraction ("1704449472.123"). */
static size_t match_epoch(const char *s, size_t n, size_t i)
{
    size_t k = count_digits(s, n, i);
    if (k < 6 || i + k >= n || s[i + k] != '.') return 0;
    size_t f = count_digits(s, n, i + k + 1);
    if (f < 1 || f > 9) return 0;
    return k + 1 + f;
}

static int looks_like_timestamp(const char *s, size_t len)
{
    int digits = 0;
    for (size_t j = 0; j < len; j++) {
        int c = (unsigned char)s[j];
        if (is_digit(c)) {
            digits++;
            continue;
        }
        if (c == 0 || !strchr("-/:.,TZ+ ", c)) return 0;
    }
    return digits >= 2;
}

/* True when the text could be hex data, so a bracket around it is not a tag. */
static int all_hexish(const char *s, size_t len)
{
    for (size_t j = 0; j < len; j++) {
        int c = (unsigned char)s[j];
        if (hex_value(c) < 0 && !ds_hex_is_separator(c) && c != 'x' && c != 'X') return 0;
    }
    return 1;
}

static void trim_span(const char *s, size_t *a, size_t *b)
{
    while (*a < *b && ds_cc_is_space((unsigned char)s[*a])) (*a)++;
    while (*b > *a && ds_cc_is_space((unsigned char)s[*b - 1])) (*b)--;
}

/* "[...]" at s[i]: a direction, a timestamp, or a tag such as "[DEBUG]" that is
 * skipped. Returns the length consumed or 0 when it is none of these. */
static size_t match_bracket(const char *s, size_t n, size_t i, ds_line_prefix *pf)
{
    if (s[i] != '[') return 0;
    size_t close = i + 1;
    while (close < n && close - i <= 64 && s[close] != ']') close++;
    if (close >= n || s[close] != ']') return 0;
    size_t a = i + 1;
    size_t b = close;
    trim_span(s, &a, &b);
    ds_direction dir;
    size_t w = match_direction(s, b, a, &dir);
    if (w > 0 && a + w == b) {
        pf->dir = dir;
        pf->has_dir = 1;
    } else if (looks_like_timestamp(s + a, b - a)) {
        append_timestamp(pf, s + a, b - a);
    } else if (all_hexish(s + a, b - a)) {
        return 0;
    }
    return close + 1 - i;
}

static size_t skip_spaces(const char *s, size_t n, size_t i)
{
    while (i < n && ds_cc_is_space((unsigned char)s[i])) i++;
    return i;
}

static size_t count_hex_digits(const char *s, size_t n, size_t i)
{
    size_t k = 0;
    while (i + k < n && (ds_char_class[(unsigned char)s[i + k]] & DS_CC_HEX)) k++;
    return k;
}

/* Offset column of a dump: "00000010:" (xxd), a bare number before a
 * hexdump -C line, od's 7 octal digits, a zero offset followed by a gap
 * (Wireshark's "0000   7e a0"), or the width seen on the previous line. */
static size_t match_offset(const char *s, size_t n, size_t i, int pipe_column,
                           unsigned prev_width, ds_line_prefix *pf)
{
    size_t k = count_hex_digits(s, n, i);
    if (k < 4 || k > 16) return 0;
    if (i + k < n && s[i + k] == ':' && at_boundary(s, n, i + k + 1)) {
        pf->offset_width = (unsigned)k;
        pf->offset_pos = i;
        return k + 1;
    }
    if (!at_boundary(s, n, i + k)) return 0;
    int octal = 1;
    for (size_t j = 0; j < k; j++)
        if (s[i + j] < '0' || s[i + j] > '7') octal = 0;
    /* the first line of a Wireshark/hexdump style dump: a zero offset then a gap */
    int zeros = 1;
    for (size_t j = 0; j < k; j++)
        if (s[i + j] != '0') zeros = 0;
    size_t next = skip_spaces(s, n, i + k);
    size_t next_len = count_hex_digits(s, n, next);
    int zero_then_gap = zeros && next < n &&
                        (next - (i + k) >= 2 || (k >= 6 && next_len == 2 && at_boundary(s, n, next + 2)));
    /* od widens its offset from 7 to 8 digits after 2 MiB */
    int same_width = prev_width > 0 && (k == prev_width || k == prev_width + 1);
    if (same_width || pipe_column || (k == 7 && octal && i + k < n) || zero_then_gap) {
        pf->offset_width = (unsigned)k;
        pf->offset_pos = i;
        return k;
    }
    return 0;
}

/* A date, epoch time, time of day or dump offset at s[i]; returns the length
 * taken or 0. */
static size_t match_number_token(const char *s, size_t n, size_t i, int pipe_column,
                                 unsigned prev_offset_width, ds_line_prefix *pf)
{
    /* what the leading digits are followed by rules out most matchers
     * cheaply (each would give 0 on its first test) */
    size_t d = count_digits(s, n, i);
    int after = i + d < n ? (unsigned char)s[i + d] : -1;
    size_t k;
    if (d > 0 && (after == '-' || after == '/' || after == '.') && (k = match_date(s, n, i)) > 0 &&
        at_boundary(s, n, i + k)) {
        append_timestamp(pf, s + i, k);
        return k;
    }
    if (d >= 6 && after == '.' && (k = match_epoch(s, n, i)) > 0 && at_boundary(s, n, i + k)) {
        append_timestamp(pf, s + i, k);
        return k;
    }
    if (d >= 1 && d <= 2 && after == ':' && (k = match_time_after_digits(s, n, i, d)) > 0) {
        size_t end = i + k + am_pm_length(s, n, i + k);
        int colon = end < n && s[end] == ':' && at_boundary(s, n, end + 1); /* "TX 18:29:59.120: 7E ..." */
        /* a bare "12:34" line is taken as colon-separated hex; "12:34:56" alone on its line is
         * the time GXDLMSDirector's trace writes before an RX line */
        int alone = skip_spaces(s, n, end + (size_t)colon) >= n;
        if ((at_boundary(s, n, end) || colon) &&
            (pf->has_dir || pf->has_time || !alone || end - i > 5 || pf->has_label)) {
            append_timestamp(pf, s + i, end - i);
            return end - i + (size_t)colon;
        }
    }
    if (pf->offset_width == 0 && (k = match_offset(s, n, i, pipe_column, prev_offset_width, pf)) > 0)
        return k; /* offset column dropped */
    return 0;
}

/* "name=digits" at s[i] followed by a blank or the line end; returns its length or 0. */
static size_t match_count_field(const char *s, size_t n, size_t i, const char *name)
{
    size_t k = strlen(name);
    if (n - i <= k || memcmp(s + i, name, k) != 0 || s[i + k] != '=') return 0;
    size_t d = count_digits(s, n, i + k + 1);
    if (d == 0 || d > 20 || !at_boundary(s, n, i + k + 1 + d)) return 0;
    return k + 1 + d;
}

/* The tail of socat's -v block header, "length=7 from=0 to=6", after its direction mark and
 * time: the counts say nothing the bytes do not, so they are skipped. */
static size_t match_socat_counts(const char *s, size_t n, size_t i)
{
    static const char *const fields[] = {"length", "from", "to"};
    size_t p = i;
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
        size_t k = match_count_field(s, n, p, fields[f]);
        if (k == 0) return 0;
        p = skip_spaces(s, n, p + k);
    }
    return p - i;
}

/* slsnif's block header: "Host" (the program's side: what it sends, TX) or "Device" (what
 * the port answers, RX), blanks, then "-->". Returns its length or 0. */
static size_t match_port_header(const char *s, size_t n, size_t i, ds_direction *dir)
{
    static const struct { const char *word; size_t len; ds_direction dir; } ports[] = {
        {"Host", 4, DS_DIR_TX}, {"Device", 6, DS_DIR_RX},
    };
    for (size_t w = 0; w < sizeof ports / sizeof ports[0]; w++) {
        size_t k = ports[w].len;
        if (n - i <= k || memcmp(s + i, ports[w].word, k) != 0 || !ds_cc_is_space((unsigned char)s[i + k]))
            continue;
        size_t p = skip_spaces(s, n, i + k);
        if (n - p < 3 || memcmp(s + p, "-->", 3) != 0 || !at_boundary(s, n, p + 3)) return 0;
        *dir = ports[w].dir;
        return p + 3 - i;
    }
    return 0;
}

int ds_match_byte_line(const char *s, size_t n, uint8_t *b)
{
    if (n < 4 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return 0;
    int hi = hex_value((unsigned char)s[2]);
    int lo = hex_value((unsigned char)s[3]);
    if (hi < 0 || lo < 0) return 0;
    uint8_t v = (uint8_t)((hi << 4) | lo);
    if (n > 4) {
        /* the character column: " (c)", written only for a printable byte */
        if (n != 8 || s[4] != ' ' || s[5] != '(' || s[7] != ')' || (unsigned char)s[6] != v || v < 0x20 || v > 0x7E)
            return 0;
    }
    *b = v;
    return 1;
}

void ds_line_prefix_parse(const char *s, size_t n, int pipe_column,
                          unsigned prev_offset_width, ds_line_prefix *pf)
{
    memset(pf, 0, sizeof *pf);
    size_t i = skip_spaces(s, n, 0);
    for (int guard = 0; guard < 8 && i < n; guard++) {
        ds_direction dir;
        size_t k;
        if ((k = match_bracket(s, n, i, pf)) > 0) {
            /* handled */
        } else if (!pf->has_dir && (k = match_direction(s, n, i, &dir)) > 0) {
            pf->dir = dir;
            pf->has_dir = 1;
        } else if (!pf->has_label && (k = match_label(s, n, i, pf)) > 0) {
            /* handled */
        } else if (!pf->has_dir && (k = match_port_header(s, n, i, &dir)) > 0) {
            pf->dir = dir;
            pf->has_dir = 1;
            pf->serial = 1;
        } else if (pf->has_dir && pf->has_time && !pf->serial && (k = match_socat_counts(s, n, i)) > 0) {
            pf->serial = 1;
        } else if ((k = match_number_token(s, n, i, pipe_column, prev_offset_width, pf)) == 0) {
            break;
        }
        i = skip_spaces(s, n, i + k);
    }
    pf->rest = i;
}
