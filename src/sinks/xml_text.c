/* XML text pieces shared by the XML writers (our dialect and the standard one): escaping of
 * values, the Hex fallback for bytes XML cannot carry, comments that stay comments. */
#include "sinks/xml_text.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sinks/text.h"
#include "util/fmt.h"

enum { XC_PLAIN = 0, XC_ESCAPE = 1, XC_ILLEGAL = 2, XC_UTF8 = 3 };

/* xml_class() for every byte, as a table: the hot loops index it directly. */
static const unsigned char XML_CLASS[256] = {
    2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 2, 2, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
};

static unsigned char xml_class(unsigned char b)
{
    return XML_CLASS[b];
}

#if defined(__SSE2__)
/* Bit i set when byte i of the 16 at p is not XC_PLAIN: below 0x20 or above 0x7F (both are
 * below 0x20 as signed bytes), or one of " & < >. The table above says the same. */
static unsigned not_plain16(const unsigned char *p)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i bad = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
    bad = _mm_or_si128(bad, _mm_cmpeq_epi8(v, _mm_set1_epi8('"')));
    bad = _mm_or_si128(bad, _mm_cmpeq_epi8(v, _mm_set1_epi8('&')));
    bad = _mm_or_si128(bad, _mm_cmpeq_epi8(v, _mm_set1_epi8('<')));
    bad = _mm_or_si128(bad, _mm_cmpeq_epi8(v, _mm_set1_epi8('>')));
    return (unsigned)_mm_movemask_epi8(bad);
}
#endif

/* Length of the leading run of bytes that need neither escape nor check. Sixteen bytes at a
 * time where the machine allows (values such as timestamps and addresses are a few dozen bytes,
 * and every one is scanned); the last sixteen overlap the ones before, which are plain. */
size_t ds_xml_plain_run(const unsigned char *p, size_t n)
{
    size_t i = 0;
#if defined(__SSE2__)
    if (n >= 16) {
        for (; n - i >= 16; i += 16) {
            unsigned bad = not_plain16(p + i);
            if (bad) return i + (size_t)__builtin_ctz(bad);
        }
        if (i == n) return n;
        unsigned bad = not_plain16(p + n - 16);
        return bad ? n - 16 + (size_t)__builtin_ctz(bad) : n;
    }
#endif
    while (i < n && XML_CLASS[p[i]] == XC_PLAIN) i++;
    return i;
}

/* Length of the XML-legal multi-byte character at p, 0 when it is not one. */
static size_t xml_utf8_char(const unsigned char *p, size_t n)
{
    uint32_t cp;
    size_t len = ds_utf8_seq(p, n, &cp);
    if (len && (cp == 0xFFFE || cp == 0xFFFF)) return 0;
    return len;
}

/* Whether an attribute value can be written as escaped text. */
int ds_xml_writable(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        switch (xml_class(p[i])) {
        case XC_ILLEGAL:
            return 0;
        case XC_UTF8: {
            size_t len = xml_utf8_char(p + i, n - i);
            if (len == 0) return 0;
            i += len;
            break;
        }
        default:
            i++;
        }
    }
    return 1;
}

static void xml_write_escape(ds_wbuf *w, unsigned char b)
{
    switch (b) {
    case '&': ds_wbuf_write(w, "&amp;", 5); break;
    case '<': ds_wbuf_write(w, "&lt;", 4); break;
    case '>': ds_wbuf_write(w, "&gt;", 4); break;
    case '"': ds_wbuf_write(w, "&quot;", 6); break;
    case '\t': ds_wbuf_write(w, "&#9;", 4); break;
    case '\n': ds_wbuf_write(w, "&#10;", 5); break;
    default: ds_wbuf_write(w, "&#13;", 5); break;  /* '\r', the last XC_ESCAPE byte */
    }
}

/* Writes a value already checked by ds_xml_writable(): runs of bytes that
 * need no escape are copied in one piece (the common case: hex digits). */
void ds_xml_escaped(ds_wbuf *w, const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && xml_class(p[run]) != XC_ESCAPE) run++;
        ds_wbuf_write(w, p + i, run - i);
        if (run >= n) break;
        xml_write_escape(w, p[run]);
        i = run + 1;
    }
}

/* ` attr="value"`, or ` attrHex="HEX"` when the value cannot be XML text. */
void ds_xml_attr(ds_wbuf *w, const char *attr, const char *value, size_t len)
{
    const unsigned char *p = (const unsigned char *)(value ? value : "");
    if (!value) len = 0;
    ds_wbuf_putc(w, ' ');
    ds_wbuf_puts(w, attr);
    if (ds_xml_plain_run(p, len) == len) { /* the common case: hex digits, numbers, names */
        ds_wbuf_write(w, "=\"", 2);
        ds_wbuf_write(w, p, len);
        ds_wbuf_putc(w, '"');
        return;
    }
    if (ds_xml_writable(p, len)) {
        ds_wbuf_write(w, "=\"", 2);
        ds_xml_escaped(w, p, len);
    } else {
        ds_wbuf_write(w, "Hex=\"", 5);
        ds_wbuf_hex(w, p, len);
    }
    ds_wbuf_putc(w, '"');
}

size_t ds_xml_attrs_run(char *out, size_t cap, const ds_attr *attrs, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        const char *v = ds_attr_value(&attrs[i]);
        size_t nlen = ds_attr_name_len(&attrs[i]), vlen = ds_attr_value_len(&attrs[i]);
        /* only values that ds_xml_attr() writes as they are: the run is then its very bytes */
        if (ds_xml_plain_run((const unsigned char *)v, vlen) != vlen) return 0;
        if (cap - len < 1 + nlen + 2 + vlen + 1) return 0;
        out[len++] = ' ';
        memcpy(out + len, attrs[i].name, nlen);
        len += nlen;
        memcpy(out + len, "=\"", 2);
        len += 2;
        memcpy(out + len, v, vlen);
        len += vlen;
        out[len++] = '"';
    }
    return len;
}

/* ---- comments ----------------------------------------------------------------- */

typedef struct comment_state {
    int last_dash;  /* the last byte written into the comment was '-' */
} comment_state;

/* Bytes a comment carries as they are: ASCII 0x20..0x7F but '-' (a "--" must be split). */
static int comment_plain(unsigned char b)
{
    return b >= 0x20 && b < 0x80 && b != '-';
}

static void comment_text(ds_wbuf *w, comment_state *st, const char *text, size_t n)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0;
    while (i < n) {
        /* copy runs of plain characters in one piece; '-' and the rest one by one */
        size_t run = i;
        while (run < n && comment_plain(p[run])) run++;
        if (run > i) {
            ds_wbuf_write(w, p + i, run - i);
            st->last_dash = 0;
            i = run;
            if (i >= n) break;
        }
        unsigned char b = p[i];
        if (b == '-') {
            if (st->last_dash) ds_wbuf_putc(w, ' ');
            ds_wbuf_putc(w, '-');
            st->last_dash = 1;
            i++;
            continue;
        }
        st->last_dash = 0;
        if (b >= 0x80) {
            size_t len = xml_utf8_char(p + i, n - i);
            if (len) {
                ds_wbuf_write(w, p + i, len);
                i += len;
            } else {
                ds_wbuf_putc(w, '?');
                i++;
            }
            continue;
        }
        if (b == '\n' || b == '\r') ds_wbuf_putc(w, ' ');
        else if (b < 0x20 && b != '\t') ds_wbuf_putc(w, '?');
        else ds_wbuf_putc(w, (char)b);
        i++;
    }
}

static void comment_end(ds_wbuf *w, comment_state *st)
{
    if (st->last_dash) ds_wbuf_putc(w, ' ');
    ds_wbuf_write(w, "-->\n", 4);
}


/* 1 when the text can go into a comment as it is: ASCII 0x20..0x7F, no "--", no '-' at the end.
 * Nearly every comment (labels, OBIS names, dates) is such a text. This one byte by byte. */
int ds_xml_comment_verbatim_bytes(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (comment_plain(p[i])) continue;
        if (p[i] != '-' || i + 1 == n || p[i + 1] == '-') return 0;
    }
    return 1;
}

#if defined(__SSE2__)
#include <emmintrin.h>

/* Per 16 bytes: bit i of *dash set when byte i is '-'; returns 1 when all 16 are ASCII from
 * 0x20 to 0x7F (DEL is a legal XML character, as in comment_plain). */
static int block_printable(const unsigned char *p, unsigned *dash)
{
    const __m128i below_space = _mm_set1_epi8(0x1F), minus = _mm_set1_epi8('-');
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    /* signed compare: bytes >= 0x80 are negative, so "> 0x1F" also rules them out */
    __m128i ok = _mm_cmpgt_epi8(v, below_space);
    *dash = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, minus));
    return _mm_movemask_epi8(ok) == 0xFFFF;
}

/* The same answer as ds_xml_comment_verbatim_bytes, 16 bytes at a time. A text shorter than a block is
 * checked in a copy padded with spaces; a longer one in consecutive blocks and a last block that
 * ends with the text (it may overlap the one before). "--" is a '-' bit followed by another, inside
 * a block or across the boundary to the next block. */
int ds_xml_comment_verbatim(const unsigned char *p, size_t n)
{
    unsigned dash;
    if (n < 16) {
        unsigned char pad[16];
        memset(pad, ' ', sizeof pad);
        ds_copy_short((char *)pad, p, n);
        return block_printable(pad, &dash) && !(dash & (dash >> 1)) && (n == 0 || p[n - 1] != '-');
    }
    unsigned carry = 0; /* the byte just before this block was '-' */
    for (size_t i = 0;; i += 16) {
        if (i + 16 > n) {
            /* the last block, moved back to end with the text: it overlaps the one before, so
             * a pair across the old boundary lies inside it and the carry does not apply */
            i = n - 16;
            carry = 0;
        }
        if (!block_printable(p + i, &dash) || (dash & (dash >> 1)) || (carry && (dash & 1))) return 0;
        if (i + 16 == n) break;
        carry = dash >> 15;
    }
    return p[n - 1] != '-';
}
#else
int ds_xml_comment_verbatim(const unsigned char *p, size_t n)
{
    return ds_xml_comment_verbatim_bytes(p, n);
}
#endif

static void comment_escaped(ds_wbuf *w, const char *text, size_t len);

/* "<!--text-->" on its own line in one pass, for text of up to two pieces (64 bytes: nearly all
 * comments) that needs no change and fits the block; 0 when the caller must take another way. */
static inline __attribute__((always_inline)) int put_comment_line(ds_wbuf *w, size_t indent, const unsigned char *p,
                                                                  size_t len)
{
    if (indent > DS_PIECE_MAX || len > 2 * DS_PIECE_MAX || !ds_wbuf_fits(w, indent + len + 8)) return 0;
    char *o = ds_put_indent32(ds_wbuf_tail(w), indent);
    memcpy(o, "<!--", 4);
    o += 4;
    if (len > DS_PIECE_MAX) {
        o = ds_put_upto32(o, p, DS_PIECE_MAX);
        o = ds_put_upto32(o, p + DS_PIECE_MAX, len - DS_PIECE_MAX);
    } else {
        o = ds_put_upto32(o, p, len);
    }
    memcpy(o, "-->\n", 4);
    ds_wbuf_commit(w, o + 4);
    return 1;
}

/* Text that may need changes (from the input), or a line the fast path does not take. */
static void __attribute__((noinline)) comment_line_general(ds_wbuf *w, size_t indent, const char *text, size_t len,
                                                           unsigned flags)
{
    const unsigned char *p = (const unsigned char *)(text ? text : "");
    if (!text) len = 0;
    int verbatim = (flags & DS_TEXT_PLAIN) || ds_xml_comment_verbatim(p, len);
    if (verbatim && ds_wbuf_reserve(w, indent + len + 8) == 0) {
        char *o = ds_put_indent(ds_wbuf_tail(w), indent);
        o = ds_put(o, "<!--", 4);
        o = ds_put(o, p, len);
        ds_wbuf_commit(w, ds_put(o, "-->\n", 4));
        return;
    }
    ds_wbuf_spaces(w, indent);
    comment_escaped(w, text, len);
}

void ds_xml_comment_line(ds_wbuf *w, size_t indent, const char *text, size_t len, unsigned flags)
{
    if ((flags & DS_TEXT_PLAIN) && text && put_comment_line(w, indent, (const unsigned char *)text, len)) return;
    comment_line_general(w, indent, text, len, flags);
}

static void comment_escaped(ds_wbuf *w, const char *text, size_t len)
{
    comment_state st = {0};
    ds_wbuf_write(w, "<!--", 4);
    comment_text(w, &st, text ? text : "", text ? len : 0);
    comment_end(w, &st);
}

/* <!--error frame.fcs offset=12: message--> */
void ds_xml_diagnostic(ds_wbuf *w, const ds_diag *d)
{
    comment_state st = {0};
    const char *sev = ds_severity_name(d->severity);
    const char *code = d->code ? d->code : "";
    char num[24];
    size_t numlen = ds_fmt_udec(num, d->offset);
    ds_wbuf_write(w, "<!--", 4);
    comment_text(w, &st, sev, strlen(sev));
    comment_text(w, &st, " ", 1);
    comment_text(w, &st, code, strlen(code));
    comment_text(w, &st, " offset=", 8);
    comment_text(w, &st, num, numlen);
    comment_text(w, &st, ": ", 2);
    comment_text(w, &st, d->message, strnlen(d->message, sizeof d->message));
    comment_end(w, &st);
}

int ds_xml_state_init(ds_xml_state *st, FILE *out)
{
    if (ds_levels_init(&st->levels, 128) != 0) return -1;
    ds_wbuf_init(&st->w, out, st->block, sizeof st->block);
    st->indent = 0;
    st->in_document = 0;
    return 0;
}

void ds_xml_state_free(ds_xml_state *st)
{
    ds_wbuf_finish(&st->w);
    ds_levels_free(&st->levels);
}
