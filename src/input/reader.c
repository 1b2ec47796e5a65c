/* The streaming reader behind include/dlmscope/input.h.
 *
 * Memory stays bounded whatever the input: binary input goes through one block
 * buffer; text is read in blocks into a fixed input buffer and goes line by
 * line through a fixed line-head buffer. A line that does not fit is
 * classified by its head and the rest of it is then decoded as it arrives, so
 * a megabyte-long hex line needs no more memory than a short one.
 *
 * Speed matters here (a log can be hundreds of megabytes): lines are found
 * with memchr in the input block, copied whole, and their hex goes through
 * ds_hexrun_feed_quick(); the character-at-a-time path (text_getc) only runs
 * around CRs, ANSI escapes and line heads that filled the buffer. */
#include "dlmscope/input.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input/linescan.h"

#define BLOCK_SIZE   65536 /* decoded bytes per chunk at most */
#define INPUT_BLOCK  16384 /* text read from the FILE at a time */
#define LINE_HEAD    8192  /* text kept per line for classification */
#define SNIFF_SIZE   4096  /* bytes looked at to tell text from binary */
#define LIVE_SNIFF   32    /* on a pipe or terminal: bytes awaited before sniffing, unless a line ends first (LF or CR) */
#define LONE_RECORDS 8     /* odd-digit diagnostics kept per buffered line */
#define DUMP_LINE_MAX 256  /* widest dump line whose repetition ("*") is expanded */
#define SQUEEZE_BUDGET (64u * 1024 * 1024) /* most bytes "*" lines may stand for in all */

struct ds_reader {
    FILE *in;
    const unsigned char *mem; /* memory source instead of `in` (ds_hex_parse_text) */
    size_t mem_len;
    size_t mem_pos;
    ds_input_mode mode;
    int started;
    ds_diag_fn diag;
    void *diag_user;

    uint8_t ahead[SNIFF_SIZE]; /* sniffed bytes, handed out before reading on */
    size_t ahead_len;
    size_t ahead_pos;
    /* text not read yet: a window into ahead, mem or input */
    const unsigned char *cur;
    const unsigned char *end;
    int in_done;   /* the FILE is at its end: nothing more to ask it for */
    int in_failed; /* ... because of a read error, reported once the window is used up */
    int live;      /* -1 not known yet; 1 a pipe, terminal or socket: read what is there, do not wait */
    int error;
    int raw_pushback;  /* -1 when empty */
    int text_pushback; /* -1 when empty */
    int after_cr;      /* swallow the LF of a CRLF */

    uint64_t line_no;
    uint64_t offset;
    ds_meta meta;
    int pending_start;
    int time_only_line; /* the last line held a time and nothing else */
    int no_data_said;   /* the input held no hex at all, and the diagnostic says so */
    unsigned prev_offset_width;
    /* a serial capture (socat, interceptty, slsnif) cuts the stream where the tool read it,
     * not where frames end: the bytes of one direction are one record, given to the framer
     * as one line, until the direction changes */
    int serial_run;
    uint64_t serial_line; /* the line the run began on */
    /* a bare hex line ended in a lone digit: maybe the first half of a byte that a terminal
     * wrapped onto the next line */
    int split_pending;
    uint8_t split_digit;
    uint64_t split_offset;
    uint64_t split_line;
    int in_long_line;
    int long_line_dead; /* rest of the current long line is not hex: skip it */
    ds_hexrun run;

    /* hexdump and od print "*" for lines equal to the one before; the next
     * offset tells how many were left out */
    uint8_t dump_line[DUMP_LINE_MAX];
    size_t dump_line_len; /* 0: no line to repeat */
    uint64_t dump_line_offset;
    int offset_octal;     /* od's default offsets are octal */
    int squeeze_pending;
    uint64_t squeeze_line;
    uint8_t repeat_src[DUMP_LINE_MAX];
    size_t repeat_src_len;
    uint64_t repeat_left; /* bytes of repetition still to hand out */
    uint64_t repeat_budget;
    size_t repeat_phase;
    uint64_t repeat_line;
    uint8_t held[LINE_HEAD / 2 + 1]; /* the line after "*", out after the repetition */
    size_t held_len;
    uint64_t held_line;

    char line[LINE_HEAD];
    unsigned char input[INPUT_BLOCK];
    uint8_t out[BLOCK_SIZE];
    size_t out_len;
};

/* What a buffered line turned out to be. */
enum line_kind { LINE_PROSE, LINE_HEX, LINE_PREFIX_ONLY, LINE_IGNORE };

typedef struct lone_record {
    size_t index; /* bytes of the line decoded before the lone digit */
    uint8_t digit;
} lone_record;

typedef struct line_result {
    enum line_kind kind;
    ds_line_prefix prefix;
    size_t lone_count; /* may exceed LONE_RECORDS */
    int comment;       /* a "#" or "//" comment ended the hex part */
    int star;          /* the line is a dump's "*" */
    int hex_in_text;   /* a line taken as text holds a run of hex bytes ("... 7E A0 07 03 ...") */
    int has_offset_value;
    uint64_t offset_value; /* the offset column's value */
    int offset_octal;
    lone_record lone[LONE_RECORDS]; /* last: not cleared per line, lone_count tells what is set */
} line_result;

/* ---- diagnostics ----------------------------------------------------------------------------- */

/* One diagnostic of the reader's, on the current line; the message is formatted in place. */
static void reader_report(ds_reader *r, const char *code, ds_severity sev, uint64_t offset,
                          const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void reader_report(ds_reader *r, const char *code, ds_severity sev, uint64_t offset,
                          const char *fmt, ...)
{
    if (!r->diag) return;
    ds_diag d;
    memset(&d, 0, sizeof d);
    d.code = code;
    d.severity = sev;
    d.offset = offset;
    d.line = r->line_no;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d.message, sizeof d.message, fmt, ap);
    va_end(ap);
    r->diag(r->diag_user, &d);
}

static void report_lone_digit(ds_reader *r, uint64_t offset, uint8_t digit, size_t more)
{
    if (more > 0)
        reader_report(r, DS_D_INPUT_ODD_HEX, DS_SEV_WARNING, offset,
                      "odd number of hex digits: %zu more lone digits dropped on this line", more);
    else
        reader_report(r, DS_D_INPUT_ODD_HEX, DS_SEV_WARNING, offset,
                      "odd number of hex digits: lone digit '%c' dropped", "0123456789ABCDEF"[digit & 0x0F]);
}

static void report_too_large(ds_reader *r, uint64_t bytes)
{
    reader_report(r, DS_D_INPUT_TOO_LARGE, DS_SEV_ERROR, r->offset,
                  "dump line repeated (\"*\") for %llu bytes: over the limit, not expanded",
                  (unsigned long long)bytes);
}

/* Nothing is dropped without a word: a line read as text that holds hex bytes says so. */
static void report_unread_hex(ds_reader *r)
{
    reader_report(r, DS_D_INPUT_UNREAD_HEX, DS_SEV_WARNING, r->offset,
                  "line %llu holds hex bytes among words; it was read as text and not decoded",
                  (unsigned long long)r->line_no);
}

/* An input without a single byte of hex (or an empty file) holds no DLMS data at all. */
static void report_no_data(ds_reader *r)
{
    if (r->no_data_said || r->offset > 0 || r->error) return;
    r->no_data_said = 1;
    int empty = r->mode == DS_INPUT_BINARY || r->line_no == 0;
    /* said of the whole input, not of its last line: line 0 (none), so no "line N" is printed */
    uint64_t last_line = r->line_no;
    r->line_no = 0;
    reader_report(r, DS_D_INPUT_NO_DATA, DS_SEV_ERROR, 0, "%s",
                  empty ? "the input is empty: no DLMS data" : "no hex bytes in the input: no DLMS data");
    r->line_no = last_line;
}

/* ---- character sources ------------------------------------------------------------------------- */

/* Reads up to cap bytes from the FILE. A regular file is read with fread, block by block. A
 * pipe, terminal or socket is read with read(2) on its descriptor, which returns what has
 * arrived instead of waiting for a whole block, so that `tail -f log | dlmscope decode` shows
 * each frame as it comes. Sets in_done at the end and in_failed on an error. */
static size_t read_some(ds_reader *r, void *dst, size_t cap)
{
    if (r->in_done || cap == 0) return 0;
    if (r->live < 0) {
        struct stat st;
        int fd = fileno(r->in);
        r->live = fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode);
    }
    if (!r->live) {
        size_t n = fread(dst, 1, cap, r->in);
        if (n < cap) {
            r->in_done = 1;
            r->in_failed = ferror(r->in) != 0;
        }
        return n;
    }
    for (;;) {
        ssize_t n = read(fileno(r->in), dst, cap);
        if (n > 0) return (size_t)n;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) { /* a descriptor left non-blocking */
            struct pollfd pfd = {.fd = fileno(r->in), .events = POLLIN};
            if (poll(&pfd, 1, -1) >= 0 || errno == EINTR) continue;
        }
        r->in_done = 1;
        r->in_failed = n < 0;
        return 0;
    }
}

/* Makes the window of unread text non-empty: the sniffed bytes first, then
 * the memory source or the next block of the FILE. 0 at end of input; a read
 * error sets r->error only once every byte read before it has been used. */
static int fill(ds_reader *r)
{
    if (r->cur < r->end) return 1;
    if (r->ahead_pos < r->ahead_len) {
        r->cur = r->ahead + r->ahead_pos;
        r->end = r->ahead + r->ahead_len;
        r->ahead_pos = r->ahead_len;
        return 1;
    }
    if (r->mem) {
        if (r->mem_pos >= r->mem_len) return 0;
        r->cur = r->mem + r->mem_pos;
        r->end = r->mem + r->mem_len;
        r->mem_pos = r->mem_len;
        return 1;
    }
    if (r->in_done) {
        if (r->in_failed) r->error = 1;
        return 0;
    }
    size_t n = read_some(r, r->input, sizeof r->input);
    if (n == 0) {
        if (r->in_failed) r->error = 1;
        return 0;
    }
    r->cur = r->input;
    r->end = r->input + n;
    return 1;
}

static int raw_getc(ds_reader *r)
{
    if (r->raw_pushback >= 0) {
        int c = r->raw_pushback;
        r->raw_pushback = -1;
        return c;
    }
    if (!fill(r)) return -1;
    return *r->cur++;
}

/* Skips an ANSI escape sequence (coloured terminal logs); ESC was just read. */
static void skip_escape(ds_reader *r)
{
    int c = raw_getc(r);
    if (c != '[') {
        if (c == '\n' || c == '\r') r->raw_pushback = c;
        return;
    }
    for (;;) {
        c = raw_getc(r);
        if (c < 0) return;
        if (c == '\n' || c == '\r') {
            r->raw_pushback = c;
            return;
        }
        if (c >= 0x40 && c <= 0x7E) return;
    }
}

/* Text characters with CR, CRLF and LF all turned into '\n'. */
static int text_getc(ds_reader *r)
{
    if (r->text_pushback >= 0) {
        int c = r->text_pushback;
        r->text_pushback = -1;
        return c;
    }
    for (;;) {
        int c = raw_getc(r);
        if (c < 0) return -1;
        if (r->after_cr) {
            r->after_cr = 0;
            if (c == '\n') continue;
        }
        if (c == '\r') {
            r->after_cr = 1;
            return '\n';
        }
        if (c == 0x1B) {
            skip_escape(r);
            continue;
        }
        return c;
    }
}

/* ---- sniffing ---------------------------------------------------------------------------------- */

/* Length of a valid UTF-8 sequence at p[0..n), 0 when invalid. A sequence cut
 * by the end of the sample counts as valid, unless the sample is the whole input (a lone
 * 0xE5, the M-Bus acknowledgement, is a binary byte, not the start of a character). */
static size_t utf8_length(const uint8_t *p, size_t n, int whole)
{
    size_t need;
    if (p[0] >= 0xC2 && p[0] <= 0xDF) need = 1;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF) need = 2;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4) need = 3;
    else return 0;
    for (size_t j = 1; j <= need; j++) {
        if (j >= n) return whole ? 0 : n;
        if ((p[j] & 0xC0) != 0x80) return 0;
    }
    return need + 1;
}

static int looks_binary(const uint8_t *p, size_t n, int whole)
{
    size_t odd = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == 0) return 1;
        if (c >= 0x80) {
            size_t len = utf8_length(p + i, n - i, whole);
            if (len == 0) odd++;
            else i += len - 1;
        } else if ((c < 0x20 && !ds_hex_is_space(c) && c != 0x1B) || c == 0x7F) {
            odd++;
        }
    }
    /* text written by people has hardly any such bytes; a dump has plenty */
    return odd * 20 > n;
}

static size_t read_block(ds_reader *r, uint8_t *dst, size_t cap)
{
    if (r->mem) {
        size_t left = r->mem_len - r->mem_pos;
        size_t n = left < cap ? left : cap;
        memcpy(dst, r->mem + r->mem_pos, n);
        r->mem_pos += n;
        return n;
    }
    size_t n = read_some(r, dst, cap);
    if (r->in_failed) r->error = 1;
    return n;
}

static void start(ds_reader *r)
{
    r->started = 1;
    if (r->mode != DS_INPUT_AUTO) return;
    /* after the bytes the caller took from the input already (ds_reader_new_after), if any */
    r->ahead_len += read_block(r, r->ahead + r->ahead_len, sizeof r->ahead - r->ahead_len);
    /* a serial port may hand over one byte at a time: wait for enough to judge, or a whole line */
    while (r->live == 1 && !r->in_done && r->ahead_len < LIVE_SNIFF && !memchr(r->ahead, '\n', r->ahead_len) &&
           !memchr(r->ahead, '\r', r->ahead_len))
        r->ahead_len += read_block(r, r->ahead + r->ahead_len, sizeof r->ahead - r->ahead_len);
    int whole = r->mem ? r->mem_pos == r->mem_len : r->in_done;
    r->mode = looks_binary(r->ahead, r->ahead_len, whole) ? DS_INPUT_BINARY : DS_INPUT_HEX;
}

/* ---- chunks ------------------------------------------------------------------------------------ */

static int emit(ds_reader *r, ds_chunk *out, uint64_t line)
{
    if (r->serial_run && line != 0) line = r->serial_line;
    out->data = r->out;
    out->len = r->out_len;
    out->offset = r->offset;
    out->meta = r->meta;
    out->meta.line = line;
    out->record_start = r->pending_start;
    r->pending_start = 0;
    r->offset += r->out_len;
    return 1;
}

static int fail(void)
{
    if (errno == 0) errno = EIO;
    return -1;
}

static int next_binary(ds_reader *r, ds_chunk *out)
{
    size_t n = r->ahead_len - r->ahead_pos;
    memcpy(r->out, r->ahead + r->ahead_pos, n);
    r->ahead_pos = r->ahead_len;
    /* live input: what was sniffed goes out now, not after the next read */
    if (!r->error && !(n > 0 && r->live == 1)) n += read_block(r, r->out + n, sizeof r->out - n);
    if (n == 0) {
        if (r->error) return fail();
        report_no_data(r);
        return 0;
    }
    r->out_len = n;
    memset(&r->meta, 0, sizeof r->meta);
    return emit(r, out, 0);
}

/* ---- text lines -------------------------------------------------------------------------------- */

static void trim_end(const char *s, size_t *n)
{
    while (*n > 0 && ds_cc_is_space((unsigned char)s[*n - 1])) (*n)--;
}

static size_t find_text(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(s + i, needle, k) == 0) return i;
    return n;
}

/* Drops a dump's text column: hexdump -C "|ascii|" or od -t x1z ">ascii<". It
 * starts at the first opening mark after a gap (the hex part never holds one)
 * and the line ends with the closing mark. */
static size_t strip_text_column(const char *s, size_t n, int *text_column)
{
    *text_column = 0;
    if (n < 4 || (s[n - 1] != '|' && s[n - 1] != '<')) return n;
    size_t first = find_text(s, n - 1, s[n - 1] == '|' ? "|" : ">");
    if (first < 2 || first >= n - 1 || !ds_hex_is_space((unsigned char)s[first - 1]) ||
        (s[n - 1] == '|' && !ds_hex_is_space((unsigned char)s[first - 2])))
        return n;
    *text_column = 1;
    trim_end(s, &first);
    return first;
}

static int ascii_of(uint8_t b) { return (b >= 0x20 && b < 0x7F) ? b : '.'; }

/* xxd prints the line's bytes again as text after two or more blanks: true
 * when s[0..len) is exactly that rendering of bytes[0..count) (trailing
 * blanks of the rendering may have been trimmed with the line). */
static int is_ascii_column(const char *s, size_t len, const uint8_t *bytes, size_t count)
{
    if (len == 0 || len > count) return 0;
    for (size_t j = len; j < count; j++)
        if (bytes[j] != 0x20) return 0;
    for (size_t j = 0; j < len; j++)
        if ((unsigned char)s[j] != ascii_of(bytes[j])) return 0;
    return 1;
}

static void note_lone(line_result *res, size_t index, uint8_t digit)
{
    if (res->lone_count < LONE_RECORDS) {
        res->lone[res->lone_count].index = index;
        res->lone[res->lone_count].digit = digit;
    }
    res->lone_count++;
}

/* Decodes s[a..n) into r->out. partial: the line goes on beyond n, so the
 * current run is left open and no ascii column is looked for. Returns 0 when a
 * character showed the text is not hex. */
static int decode_span(ds_reader *r, const char *s, size_t a, size_t n, int partial,
                       line_result *res)
{
    for (size_t i = a; i < n; i++) {
        /* plain digits and single blanks cannot end the hex or start an
         * ascii column: the quick tokenizer takes them */
        i += ds_hexrun_feed_quick(&r->run, s + i, n - i, r->out, &r->out_len);
        if (i >= n) break;
        int c = (unsigned char)s[i];
        uint8_t b;
        if (c == '#' || (c == '/' && i + 1 < n && s[i + 1] == '/')) {
            res->comment = 1; /* a trailing comment ends the hex */
            partial = 0;
            break;
        }
        int ev = ds_hexrun_feed(&r->run, c, &b);
        if (ev == DS_HEX_BAD) return 0;
        if (ev == DS_HEX_BYTE) r->out[r->out_len++] = b;
        if (ev == DS_HEX_LONE) note_lone(res, r->out_len, b);
        if (!partial && ds_hex_is_space(c) && i + 1 < n && ds_hex_is_space((unsigned char)s[i + 1]) &&
            i > a && !ds_hex_is_space((unsigned char)s[i - 1])) {
            size_t j = i + 1;
            while (j < n && ds_hex_is_space((unsigned char)s[j])) j++;
            /* the rendering begins with as many blanks as the data begins with 0x20 */
            size_t lead = 0, gap = j - i - 1; /* no more than the blanks there are: a bounded count */
            while (lead < gap && lead < r->out_len && r->out[lead] == 0x20) lead++;
            if (is_ascii_column(s + j - lead, n - j + lead, r->out, r->out_len)) return 1;
        }
    }
    if (!partial) {
        uint8_t b;
        int ev = ds_hexrun_end(&r->run, &b);
        if (ev == DS_HEX_BAD) return 0;
        if (ev == DS_HEX_BYTE) r->out[r->out_len++] = b;
        if (ev == DS_HEX_LONE) note_lone(res, r->out_len, b);
    }
    return 1;
}

/* Words such as "a", "BAD" or "face" are hex digits too. A line is hex when
 * it gives whole bytes and odd-length letter-only runs (the words of a
 * sentence) are rare among its runs; an odd run in data usually holds a
 * digit 0-9 and gets the odd-hex diagnostic instead. */
static int looks_like_data(const ds_hexrun *h, int partial)
{
    uint64_t even = h->even_runs;
    if (partial && h->digits > 0) even++;
    if (h->bytes == 0) return 0;
    return h->word_runs == 0 || h->word_runs * 2 < even;
}

/* Four or more two-digit hex groups in a row, one blank apart ("7E A0 07 03"): bytes
 * written among words. Groups of letters only ("BE AD FE ED") are words. */
static int has_byte_run(const char *s, size_t n)
{
    size_t run = 0;
    int digit = 0;
    for (size_t i = 0; i + 1 < n; ) {
        unsigned a = ds_char_class[(unsigned char)s[i]], b = ds_char_class[(unsigned char)s[i + 1]];
        int starts_group = i == 0 || ds_cc_is_space((unsigned char)s[i - 1]);
        int ends_group = i + 2 >= n || ds_cc_is_space((unsigned char)s[i + 2]);
        if (starts_group && ends_group && (a & b & DS_CC_HEX)) {
            run++;
            digit |= ((a | b) & DS_CC_DEC) != 0;
            if (run >= 4 && digit) return 1;
            i += 3;
            continue;
        }
        run = 0;
        digit = 0;
        i++;
    }
    return 0;
}

/* Words that end in '.' or ':' and then nothing but hex to the end of the line, as the
 * Gurux example clients print a frame ("Send SNRM request.7E A0 07 03 21 93 ..."): the
 * words are a label. Only the first few marks are tried, so a long line costs little. */
static int hex_after_words(ds_reader *r, const char *s, size_t from, size_t n, line_result *res)
{
    int tries = 0;
    for (size_t q = from; q < n && tries < 8; q++) {
        if (s[q] != '.' && s[q] != ':') continue;
        tries++;
        size_t t = q + 1;
        while (t < n && ds_cc_is_space((unsigned char)s[t])) t++;
        if (t >= n) break;
        res->lone_count = 0;
        res->comment = 0;
        r->out_len = 0;
        ds_hexrun_init(&r->run);
        if (decode_span(r, s, t, n, 0, res) && !res->comment && r->run.word_runs == 0 && r->run.bytes >= 4 &&
            res->lone_count == 0)
            return 1;
    }
    r->out_len = 0;
    return 0;
}

/* The value of the offset column; od's 7-digit octal offsets are told from
 * hex ones at the first line of a dump. */
static void read_offset_value(const ds_reader *r, const char *s, line_result *res)
{
    const ds_line_prefix *pf = &res->prefix;
    if (pf->offset_width == 0 || pf->offset_width > 15) return;
    const char *digits = s + pf->offset_pos;
    int octal = r->offset_octal;
    if (r->prev_offset_width == 0) {
        octal = pf->offset_width == 7;
        for (unsigned j = 0; j < pf->offset_width; j++)
            if (digits[j] < '0' || digits[j] > '7') octal = 0;
    }
    uint64_t v = 0;
    for (unsigned j = 0; j < pf->offset_width; j++) {
        int c = (unsigned char)digits[j];
        int d = (c >= '0' && c <= '9') ? c - '0' : (c | 0x20) - 'a' + 10;
        if (octal && d > 7) return;
        v = v * (octal ? 8u : 16u) + (unsigned)d;
    }
    res->has_offset_value = 1;
    res->offset_value = v;
    res->offset_octal = octal;
}

/* interceptty writes each byte on a line of its own: "> 0x7e (~)". */
static int serial_byte_line(ds_reader *r, const char *s, size_t n, line_result *res)
{
    const ds_line_prefix *pf = &res->prefix;
    uint8_t b;
    if (!pf->has_dir || pf->has_time || pf->has_label || pf->offset_width || !ds_match_byte_line(s, n, &b))
        return 0;
    r->out[0] = b;
    r->out_len = 1;
    res->kind = LINE_HEX;
    res->prefix.serial = 1;
    return 1;
}

/* Lines a serial capture puts between its blocks: socat's "--" and blank lines. */
static int serial_filler(const ds_reader *r, const char *s, size_t n)
{
    size_t a = 0;
    while (a < n && ds_cc_is_space((unsigned char)s[a])) a++;
    while (n > a && ds_cc_is_space((unsigned char)s[n - 1])) n--;
    return r->serial_run && (n == a || (n - a == 2 && s[a] == '-' && s[a + 1] == '-'));
}

/* Classifies the buffered line s[0..n) and decodes its hex into r->out.
 * partial: only the head of a longer line is in s. */
static void classify_line(ds_reader *r, char *s, size_t n, int partial, line_result *res)
{
    memset(res, 0, offsetof(line_result, lone));
    r->out_len = 0;
    size_t a = 0;
    if (r->line_no == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) a = 3; /* UTF-8 BOM */
    int pipe_column = 0;
    if (!partial && serial_filler(r, s, n)) {
        res->kind = LINE_IGNORE;
        return;
    }
    if (!partial) {
        trim_end(s, &n);
        n = strip_text_column(s, n, &pipe_column);
        if (n <= a) {
            res->kind = LINE_PROSE;
            return;
        }
        if (n - a == 1 && s[a] == '*') {
            res->kind = LINE_IGNORE; /* hexdump's "same as above" marker */
            res->star = 1;
            return;
        }
    }
    ds_line_prefix_parse(s + a, n - a, pipe_column, r->prev_offset_width, &res->prefix);
    read_offset_value(r, s + a, res);
    size_t rest = a + res->prefix.rest;
    if (!partial && serial_byte_line(r, s + rest, n - rest, res)) return;
    if (rest >= n && !partial) {
        if (res->prefix.has_dir || res->prefix.has_time || res->prefix.has_label) res->kind = LINE_PREFIX_ONLY;
        else res->kind = res->prefix.offset_width ? LINE_IGNORE : LINE_PROSE;
        return;
    }
    ds_hexrun_init(&r->run);
    int ok = decode_span(r, s, rest, n, partial, res);
    if (!ok || !looks_like_data(&r->run, partial && !res->comment)) {
        r->out_len = 0;
        res->kind = LINE_PROSE;
        res->hex_in_text = has_byte_run(s + a, n - a);
        if (res->hex_in_text && !partial && hex_after_words(r, s, rest, n, res)) {
            res->kind = LINE_HEX;
            res->prefix.has_label = 1;
            res->hex_in_text = 0;
        }
        return;
    }
    res->kind = LINE_HEX;
}

/* A line of hex and nothing else: no direction, time, label, offset column or comment. */
static int bare_hex_line(const line_result *res)
{
    const ds_line_prefix *pf = &res->prefix;
    return res->kind == LINE_HEX && !pf->has_dir && !pf->has_time && !pf->has_label && !pf->offset_width &&
           !res->comment && res->lone_count <= LONE_RECORDS;
}

static void report_split_digit(ds_reader *r)
{
    if (!r->split_pending) return;
    r->split_pending = 0;
    uint64_t line = r->line_no;
    r->line_no = r->split_line; /* the warning names the line the digit is on */
    report_lone_digit(r, r->split_offset, r->split_digit, 0);
    r->line_no = line;
}

/* A terminal's hex display (minicom, picocom) wraps its lines at the screen's width, which
 * can fall between the two digits of a byte: "... 64 7" then "e 7e a0 ...". The lone digit
 * that ends a bare hex line waits for the next line; a lone digit at the very start of that
 * line makes the byte with it. Any other next line gets the odd-digit warning said first. */
static void join_split_byte(ds_reader *r, const char *s, size_t n, int partial, line_result *res)
{
    int bare = !partial && bare_hex_line(res);
    if (r->split_pending && bare && res->lone_count > 0 && res->lone[0].index == 0 && n >= 2 &&
        (ds_char_class[(unsigned char)s[0]] & DS_CC_HEX) && ds_cc_is_space((unsigned char)s[1])) {
        r->split_pending = 0;
        memmove(r->out + 1, r->out, r->out_len);
        r->out[0] = (uint8_t)((r->split_digit << 4) | res->lone[0].digit);
        r->out_len++;
        res->lone_count--;
        for (size_t k = 0; k < res->lone_count; k++) {
            res->lone[k] = res->lone[k + 1];
            res->lone[k].index++;
        }
    }
    report_split_digit(r);
    while (n > 0 && ds_cc_is_space((unsigned char)s[n - 1])) n--;
    if (!bare || res->lone_count == 0 || n < 2 || res->lone[res->lone_count - 1].index != r->out_len ||
        !(ds_char_class[(unsigned char)s[n - 1]] & DS_CC_HEX) || !ds_cc_is_space((unsigned char)s[n - 2]))
        return;
    res->lone_count--;
    r->split_pending = 1;
    r->split_digit = res->lone[res->lone_count].digit;
    r->split_offset = r->offset + r->out_len;
    r->split_line = r->line_no;
}

static void report_lone_records(ds_reader *r, const line_result *res)
{
    /* bytes of a "*" repetition go out before this line's bytes */
    uint64_t base = r->offset + r->repeat_left;
    size_t kept = res->lone_count < LONE_RECORDS ? res->lone_count : LONE_RECORDS;
    for (size_t k = 0; k < kept; k++)
        report_lone_digit(r, base + res->lone[k].index, res->lone[k].digit, 0);
    if (res->lone_count > kept)
        report_lone_digit(r, base + res->lone[kept - 1].index, 0, res->lone_count - kept);
}

/* A line with an offset after "*": repeat the line before the "*" up to that
 * offset, then hand out this line's own bytes. */
static void expand_squeeze(ds_reader *r, const line_result *res)
{
    if (!r->squeeze_pending) return;
    r->squeeze_pending = 0;
    uint64_t next = r->dump_line_offset + r->dump_line_len;
    if (!res->has_offset_value || r->dump_line_len == 0 || res->offset_value <= next) return;
    uint64_t missing = res->offset_value - next;
    if (missing % r->dump_line_len != 0) return;
    if (missing > r->repeat_budget) {
        report_too_large(r, missing);
        return;
    }
    r->repeat_budget -= missing;
    memcpy(r->repeat_src, r->dump_line, r->dump_line_len);
    r->repeat_src_len = r->dump_line_len;
    r->repeat_left = missing;
    r->repeat_phase = 0;
    r->repeat_line = r->squeeze_line;
    memcpy(r->held, r->out, r->out_len);
    r->held_len = r->out_len;
    r->held_line = r->line_no;
    r->out_len = 0;
}

static void remember_dump_line(ds_reader *r, const line_result *res)
{
    const uint8_t *bytes = r->held_len ? r->held : r->out;
    size_t len = r->held_len ? r->held_len : r->out_len;
    r->dump_line_len = 0;
    if (!res->has_offset_value || len == 0 || len > sizeof r->dump_line) return;
    memcpy(r->dump_line, bytes, len);
    r->dump_line_len = len;
    r->dump_line_offset = res->offset_value;
    r->offset_octal = res->offset_octal;
}

static void forget_dump(ds_reader *r)
{
    r->dump_line_len = 0;
    r->squeeze_pending = 0;
    r->prev_offset_width = 0;
}

/* A serial capture's block of one direction: the same direction as the run goes on with it
 * (its time, when it has one, marks the bytes from here on); another one starts a record. */
static void serial_block(ds_reader *r, const ds_line_prefix *pf)
{
    if (r->serial_run && pf->dir == r->meta.dir) {
        if (pf->has_time) memcpy(r->meta.timestamp, pf->timestamp, sizeof r->meta.timestamp);
        return;
    }
    memset(&r->meta, 0, sizeof r->meta);
    r->meta.dir = pf->dir;
    memcpy(r->meta.timestamp, pf->timestamp, sizeof r->meta.timestamp);
    r->pending_start = 1;
    r->serial_run = 1;
    r->serial_line = r->line_no;
}

/* Updates record boundaries and meta for a classified line. */
static void apply_line(ds_reader *r, const line_result *res)
{
    const ds_line_prefix *pf = &res->prefix;
    switch (res->kind) {
    case LINE_PROSE:
        r->serial_run = 0;
        memset(&r->meta, 0, sizeof r->meta);
        r->pending_start = 1;
        /* a time before words (GXDLMSDirector's trace writes the time, what it does, then the
         * "TX:\t" line of its bytes: "14:02:10 Send SNRM request.") is the time of that line, as a
         * line holding only a time is */
        r->time_only_line = pf->has_time;
        if (r->time_only_line) memcpy(r->meta.timestamp, pf->timestamp, sizeof r->meta.timestamp);
        forget_dump(r);
        if (res->hex_in_text) report_unread_hex(r);
        break;
    case LINE_PREFIX_ONLY:
    case LINE_HEX:
        if (pf->serial) {
            serial_block(r, pf);
        } else if (pf->has_dir || pf->has_time || pf->has_label) {
            r->serial_run = 0;
            /* a line holding only a time (GXDLMSDirector's trace: "14:02:11" then "RX:\t 7E ...")
             * gives its time to the direction line that follows it */
            int keep_time = r->time_only_line && pf->has_dir && !pf->has_time;
            char time[DS_TIMESTAMP_MAX];
            memcpy(time, r->meta.timestamp, sizeof time);
            memset(&r->meta, 0, sizeof r->meta);
            r->meta.dir = pf->dir;
            memcpy(r->meta.timestamp, keep_time ? time : pf->timestamp, sizeof r->meta.timestamp);
            r->pending_start = 1;
        }
        r->time_only_line = res->kind == LINE_PREFIX_ONLY && pf->has_time && !pf->has_dir;
        if (pf->offset_width) {
            expand_squeeze(r, res);
            remember_dump_line(r, res);
        } else {
            forget_dump(r);
        }
        r->prev_offset_width = pf->offset_width;
        report_lone_records(r, res);
        break;
    case LINE_IGNORE:
        if (res->star) {
            r->squeeze_pending = r->dump_line_len > 0;
            r->squeeze_line = r->line_no;
        } else { /* the offset-only line that ends a dump */
            expand_squeeze(r, res);
            r->dump_line_len = 0;
        }
        break;
    }
}

/* Hands out a "*" repetition, then the line that followed it. */
static int next_repeated(ds_reader *r, ds_chunk *out)
{
    if (r->repeat_left > 0) {
        size_t n = sizeof r->out;
        if (n > r->repeat_left) n = (size_t)r->repeat_left;
        for (size_t k = 0; k < n; k++) {
            r->out[k] = r->repeat_src[r->repeat_phase];
            if (++r->repeat_phase == r->repeat_src_len) r->repeat_phase = 0;
        }
        r->out_len = n;
        r->repeat_left -= n;
        return emit(r, out, r->repeat_line);
    }
    memcpy(r->out, r->held, r->held_len);
    r->out_len = r->held_len;
    r->held_len = 0;
    return emit(r, out, r->held_line);
}

/* A CR, CRLF or pushed-back character is waiting: text_getc() must go next. */
static int slow_char_pending(const ds_reader *r)
{
    return r->text_pushback >= 0 || r->raw_pushback >= 0 || r->after_cr;
}

/* The first line end (LF or CR) or ESC in p[0..lim - p), or lim. */
static const unsigned char *find_line_stop(const unsigned char *p, const unsigned char *lim)
{
    const unsigned char *stop = memchr(p, '\n', (size_t)(lim - p));
    if (!stop) stop = lim;
    const unsigned char *cr = memchr(p, '\r', (size_t)(stop - p));
    if (cr) stop = cr;
    const unsigned char *esc = memchr(p, 0x1B, (size_t)(stop - p));
    return esc ? esc : stop;
}

/* Consumes the LF or CR at r->cur (and the LF of a CRLF), as text_getc()
 * would turn it into one '\n'. */
static void take_line_end(ds_reader *r)
{
    int c = *r->cur++;
    if (c != '\r') return;
    if (r->cur < r->end) {
        if (*r->cur == '\n') r->cur++;
    } else {
        r->after_cr = 1; /* the LF, if any, is in the next block */
    }
}

/* Reads one line into r->line. Returns 1 for a whole line, 2 when the head
 * buffer filled before the line ended, 0 at end of input. */
static int read_line_head(ds_reader *r, size_t *len)
{
    size_t n = 0;
    int any = 0;
    for (;;) {
        if (slow_char_pending(r) || n == sizeof r->line) {
            int c = text_getc(r);
            if (c < 0) {
                *len = n;
                return any ? 1 : 0;
            }
            any = 1;
            if (c == '\n') {
                *len = n;
                return 1;
            }
            if (n == sizeof r->line) {
                r->text_pushback = c;
                *len = n;
                return 2;
            }
            r->line[n++] = (char)c;
            continue;
        }
        if (!fill(r)) {
            *len = n;
            return any ? 1 : 0;
        }
        size_t room = sizeof r->line - n;
        size_t avail = (size_t)(r->end - r->cur);
        const unsigned char *lim = r->cur + (avail < room ? avail : room);
        const unsigned char *stop = find_line_stop(r->cur, lim);
        size_t k = (size_t)(stop - r->cur);
        if (k > 0) {
            memcpy(r->line + n, r->cur, k);
            n += k;
            any = 1;
            r->cur = stop;
        }
        if (stop == lim) continue;
        if (*stop == 0x1B) {
            r->cur++;
            skip_escape(r);
            continue;
        }
        take_line_end(r);
        *len = n;
        return 1;
    }
}

/* Feeds s[0..n) of a long line to the tokenizer, appending to r->out (room
 * for n more bytes is there). */
static void feed_long_span(ds_reader *r, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && !r->long_line_dead) {
        i += ds_hexrun_feed_quick(&r->run, s + i, n - i, r->out, &r->out_len);
        if (i >= n) break;
        uint8_t b;
        int ev = ds_hexrun_feed(&r->run, (unsigned char)s[i++], &b);
        if (ev == DS_HEX_BYTE) r->out[r->out_len++] = b;
        else if (ev == DS_HEX_LONE) report_lone_digit(r, r->offset + r->out_len, b, 0);
        else if (ev == DS_HEX_BAD) r->long_line_dead = 1; /* trailing non-hex text: ignored */
    }
}

/* One text character (or -1 at end of input) of a long line, the slow way. */
static void long_line_char(ds_reader *r, int c)
{
    uint8_t b;
    int ev = DS_HEX_NONE;
    if (c < 0 || c == '\n') {
        if (!r->long_line_dead) ev = ds_hexrun_end(&r->run, &b);
        r->in_long_line = 0;
    } else if (!r->long_line_dead) {
        ev = ds_hexrun_feed(&r->run, c, &b);
    }
    if (ev == DS_HEX_BYTE) r->out[r->out_len++] = b;
    else if (ev == DS_HEX_LONE) report_lone_digit(r, r->offset + r->out_len, b, 0);
    else if (ev == DS_HEX_BAD) r->long_line_dead = 1;
}

/* Decodes more of a long line; stops when the chunk buffer is full or the
 * line ends. */
static void continue_long_line(ds_reader *r)
{
    while (r->out_len < sizeof r->out) {
        if (slow_char_pending(r) || !fill(r)) {
            long_line_char(r, text_getc(r));
            if (!r->in_long_line) return;
            continue;
        }
        /* each character gives at most one byte: never more than fit */
        size_t room = sizeof r->out - r->out_len;
        size_t avail = (size_t)(r->end - r->cur);
        const unsigned char *lim = r->cur + (avail < room ? avail : room);
        const unsigned char *stop = find_line_stop(r->cur, lim);
        feed_long_span(r, (const char *)r->cur, (size_t)(stop - r->cur));
        r->cur = stop;
        if (stop == lim) continue;
        if (*stop == 0x1B) {
            r->cur++;
            skip_escape(r);
            continue;
        }
        take_line_end(r);
        long_line_char(r, '\n');
        return;
    }
}

static int next_text(ds_reader *r, ds_chunk *out)
{
    for (;;) {
        if (r->repeat_left > 0 || r->held_len > 0) return next_repeated(r, out);
        if (r->in_long_line) {
            continue_long_line(r);
            if (r->out_len > 0) return emit(r, out, r->line_no);
            continue;
        }
        size_t n;
        int got = read_line_head(r, &n);
        if (got == 0) {
            report_split_digit(r);
            if (r->error) return fail();
            report_no_data(r);
            return 0;
        }
        r->line_no++;
        line_result res;
        classify_line(r, r->line, n, got == 2, &res);
        join_split_byte(r, r->line, n, got == 2, &res);
        apply_line(r, &res);
        if (got == 2) {
            r->in_long_line = 1;
            r->long_line_dead = res.kind != LINE_HEX || res.comment;
            continue; /* the head's bytes go out with the rest of the line */
        }
        if (r->out_len > 0) return emit(r, out, r->line_no);
    }
}

/* ---- public API -------------------------------------------------------------------------------- */

static ds_reader *reader_alloc(ds_input_mode mode, ds_diag_fn diag, void *diag_user)
{
    ds_reader *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->mode = mode;
    r->diag = diag;
    r->diag_user = diag_user;
    r->raw_pushback = -1;
    r->live = -1;
    r->text_pushback = -1;
    r->pending_start = 1; /* the first bytes start a record */
    r->repeat_budget = SQUEEZE_BUDGET;
    return r;
}

ds_reader *ds_reader_new(FILE *in, ds_input_mode mode, ds_diag_fn diag, void *diag_user)
{
    if (!in) return NULL;
    if (mode != DS_INPUT_AUTO && mode != DS_INPUT_HEX && mode != DS_INPUT_BINARY) return NULL;
    ds_reader *r = reader_alloc(mode, diag, diag_user);
    if (r) r->in = in;
    return r;
}

ds_reader *ds_reader_new_after(const uint8_t *first, size_t n, FILE *in, ds_input_mode mode, ds_diag_fn diag,
                               void *diag_user)
{
    if (n > DS_READER_AFTER_MAX || (n && !first)) return NULL;
    ds_reader *r = ds_reader_new(in, mode, diag, diag_user);
    if (r && n) {
        memcpy(r->ahead, first, n); /* handed out first, as sniffed bytes are */
        r->ahead_len = n;
    }
    return r;
}

int ds_reader_next(ds_reader *r, ds_chunk *out)
{
    if (!r || !out) {
        errno = EINVAL;
        return -1;
    }
    memset(out, 0, sizeof *out);
    r->out_len = 0;
    if (!r->started) start(r);
    if (r->error && r->ahead_pos >= r->ahead_len && r->cur >= r->end) return fail();
    if (r->mode == DS_INPUT_BINARY) return next_binary(r, out);
    return next_text(r, out);
}

ds_input_mode ds_reader_mode(const ds_reader *r)
{
    return r ? r->mode : DS_INPUT_AUTO;
}

int ds_reader_is_live(const ds_reader *r)
{
    return r && r->live == 1;
}

void ds_reader_free(ds_reader *r)
{
    free(r);
}

uint8_t *ds_hex_parse_text(const char *text, size_t text_len, size_t *out_len)
{
    if (out_len) *out_len = 0;
    if (!text) return NULL;
    ds_reader *r = reader_alloc(DS_INPUT_HEX, NULL, NULL);
    if (!r) return NULL;
    r->mem = (const unsigned char *)text;
    r->mem_len = text_len;
    /* text gives at most one byte per two characters, plus what "*" lines
     * of a dump repeat, which this budget caps */
    r->repeat_budget = 16u * 1024 * 1024;
    size_t cap = text_len / 2 + 1;
    uint8_t *buf = malloc(cap);
    size_t len = 0;
    ds_chunk ch;
    while (buf && ds_reader_next(r, &ch) == 1) {
        if (ch.len > cap - len) {
            size_t want = cap + (cap > ch.len ? cap : ch.len);
            uint8_t *grown = realloc(buf, want);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap = want;
        }
        memcpy(buf + len, ch.data, ch.len);
        len += ch.len;
    }
    ds_reader_free(r);
    if (buf && len == 0) {
        free(buf);
        buf = NULL;
    }
    if (buf && out_len) *out_len = len;
    return buf;
}
