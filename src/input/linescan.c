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
static size_t spaced_pairs(const unsigned char *s, size_t i, size_t n, uint8_t *out, size_t *len)
{
    size_t k = i;
    size_t o = *len;
    while (n - k > 3) {
        unsigned hi = ds_char_class[s[k]];
        unsigned lo = ds_char_class[s[k + 1]];
        unsigned next = ds_char_class[s[k + 3]];
        if (!(hi & lo & next & DS_CC_HEX) || s[k + 2] != ' ') break;
        out[o++] = (uint8_t)(((hi & DS_CC_VALUE) << 4) | (lo & DS_CC_VALUE));
        k += 3;
    }
    *len = o;
    return k;
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
    size_t k = 0;
    while (i + k < n && is_digit((unsigned char)s[i + k])) k++;
    return k;
}

static unsigned small_number(const char *s, size_t i, size_t k)
{
    unsigned v = 0;
    for (size_t j = 0; j < k && j < 4; j++) v = v * 10u + (unsigned)(s[i + j] - '0');
    return v;
}

static void append_timestamp(ds_line_prefix *pf, const char *text, size_t len)
{
    size_t used = strlen(pf->timestamp);
    size_t room = DS_TIMESTAMP_MAX - 1 - used;
    if (used > 0 && room > 0) {
        pf->timestamp[used++] = ' ';
        room--;
    }
    if (len > room) len = room;
    memcpy(pf->timestamp + used, text, len);
    pf->timestamp[used + len] = '\0';
    pf->has_time = 1;
}

/* Matches a direction word ("TX", "Received", ...) case-insensitively at s[i]
 * as a whole word; returns its length or 0. */
static size_t match_direction_word(const char *s, size_t n, size_t i, ds_direction *dir)
{
    static const struct { const char *word; ds_direction dir; } words[] = {
        {"TX", DS_DIR_TX},       {"SEND", DS_DIR_TX},     {"SENT", DS_DIR_TX},
        {"SENDING", DS_DIR_TX},  {"RX", DS_DIR_RX},       {"RECV", DS_DIR_RX},
        {"RECEIVE", DS_DIR_RX},  {"RECEIVED", DS_DIR_RX}, {"RECEIVING", DS_DIR_RX},
        /* a DLMS log is written on the client side: what the client says is sent */
        {"CLIENT", DS_DIR_TX},   {"SERVER", DS_DIR_RX},   {"METER", DS_DIR_RX},
    };
    size_t k = 0;
    while (i + k < n && is_alpha((unsigned char)s[i + k])) k++;
    if (k == 0) return 0;
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        const char *word = words[w].word;
        if (strlen(word) != k) continue;
        size_t j = 0;
        while (j < k && to_upper((unsigned char)s[i + j]) == word[j]) j++;
        if (j == k) {
            *dir = words[w].dir;
            return k;
        }
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
    size_t k = match_arrow(s, n, i, dir);
    if (k == 0) {
        k = match_direction_word(s, n, i, dir);
        if (k == 0) return 0;
        if (i + k < n && s[i + k] == ':') return k + 1;
        return at_boundary(s, n, i + k) ? k : 0;
    }
    if (i + k < n && s[i + k] == ':') k++;
    return k;
}

/* hh:mm[:ss[.frac]] with sane ranges; returns its length or 0. */
static size_t match_time(const char *s, size_t n, size_t i)
{
    size_t k = count_digits(s, n, i);
    if (k < 1 || k > 2 || small_number(s, i, k) > 23) return 0;
    size_t p = i + k;
    if (p >= n || s[p] != ':' || count_digits(s, n, p + 1) != 2 || small_number(s, p + 1, 2) > 59)
        return 0;
    p += 3;
    if (p < n && s[p] == ':') {
        if (count_digits(s, n, p + 1) != 2 || small_number(s, p + 1, 2) > 60) return 0;
        p += 3;
    }
    if (p < n && (s[p] == '.' || s[p] == ',')) {
        k = count_digits(s, n, p + 1);
        if (k >= 1 && k <= 9) p += 1 + k;
    }
    if (p < n && s[p] == 'Z') p++;
    return p - i;
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
        } else if ((k = match_date(s, n, i)) > 0 && at_boundary(s, n, i + k)) {
            append_timestamp(pf, s + i, k);
        } else if ((k = match_epoch(s, n, i)) > 0 && at_boundary(s, n, i + k)) {
            append_timestamp(pf, s + i, k);
        } else if ((k = match_time(s, n, i)) > 0 && at_boundary(s, n, i + k) &&
                   (pf->has_dir || pf->has_time || skip_spaces(s, n, i + k) < n)) {
            /* a bare "12:34:56" line is taken as colon-separated hex, not a time */
            append_timestamp(pf, s + i, k);
        } else if (pf->offset_width == 0 &&
                   (k = match_offset(s, n, i, pipe_column, prev_offset_width, pf)) > 0) {
            /* offset column dropped */
        } else {
            break;
        }
        i = skip_spaces(s, n, i + k);
    }
    pf->rest = i;
}
