/* The Gurux simple-XML writer (GURUX-XML.md §1, dialect decisions 6).
 *
 * Shapes, exactly:   <Name Value="v" />     leaf (space before "/>")
 *                    <None />               bare leaf
 *                    <Name>                 container without attributes
 *                    <Name a="v" b="w" >    container with attributes (space before ">")
 *                    </Name>                close; an empty container is open + close lines
 *                    <!--text-->            comment, on its own line
 * Two spaces of indentation per level, except that the children of a
 * container opened with DS_OPEN_FLAT (frame envelopes, <PDU>) and of the
 * <Messages> root stay at the container's own column.
 *
 * Well-formedness: element and attribute names come from the program and are
 * written as they are; values and comment texts come from the input.
 *  - attribute values: & < > " are escaped; TAB, LF, CR become &#9; &#10; &#13;
 *    (a parser would otherwise normalise them to spaces). A value holding
 *    anything XML 1.0 cannot carry at all (a C0 control other than TAB/LF/CR,
 *    bytes that are not well-formed UTF-8, U+FFFE, U+FFFF) is written instead
 *    as uppercase hex of its raw bytes in an attribute named after the usual
 *    one plus "Hex":  <Name ValueHex="48690001" />  — nothing is lost and the
 *    reader can tell the two forms apart.
 *  - comments: "--" is broken up as "- -", a trailing '-' gets a space after
 *    it, characters XML cannot carry become '?', and CR/LF become spaces so a
 *    comment stays on one line. */
#include "dlmscope/sink.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "out/levels.h"
#include "out/text.h"
#include "out/wbuf.h"
#include "util/fmt.h"

typedef struct xml_sink {
    ds_sink base;
    ds_wbuf w;
    ds_levels levels;   /* per open container: 1 when it was opened flat */
    size_t indent;      /* indentation level of the next line */
    int in_document;    /* begin_document wrote <Messages> */
    int decimal;        /* the root says Numbers="decimal" so that a reader knows the convention */
    char block[DS_WBUF_SIZE];
} xml_sink;

/* ---- attribute values ------------------------------------------------------ */

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

/* Length of the leading run of bytes that need neither escape nor check. */
static size_t plain_run(const unsigned char *p, size_t n)
{
    size_t i = 0;
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
static int xml_value_writable(const unsigned char *p, size_t n)
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

/* Writes a value already checked by xml_value_writable(): runs of bytes that
 * need no escape are copied in one piece (the common case: hex digits). */
static void xml_write_escaped(ds_wbuf *w, const unsigned char *p, size_t n)
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
static void xml_write_attr(ds_wbuf *w, const char *attr, const char *value, size_t len)
{
    const unsigned char *p = (const unsigned char *)(value ? value : "");
    if (!value) len = 0;
    ds_wbuf_putc(w, ' ');
    ds_wbuf_puts(w, attr);
    if (plain_run(p, len) == len) { /* the common case: hex digits, numbers, names */
        ds_wbuf_write(w, "=\"", 2);
        ds_wbuf_write(w, p, len);
        ds_wbuf_putc(w, '"');
        return;
    }
    if (xml_value_writable(p, len)) {
        ds_wbuf_write(w, "=\"", 2);
        xml_write_escaped(w, p, len);
    } else {
        ds_wbuf_write(w, "Hex=\"", 5);
        ds_wbuf_hex(w, p, len);
    }
    ds_wbuf_putc(w, '"');
}

/* ---- comments ----------------------------------------------------------------- */

typedef struct comment_state {
    int last_dash;  /* the last byte written into the comment was '-' */
} comment_state;

/* Bytes a comment carries as they are: printable ASCII but '-' (a "--" must be split). */
static const unsigned char COMMENT_PLAIN[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static void comment_text(ds_wbuf *w, comment_state *st, const char *text, size_t n)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0;
    while (i < n) {
        /* copy runs of plain characters in one piece; '-' and the rest one by one */
        size_t run = i;
        while (run < n && COMMENT_PLAIN[p[run]]) run++;
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

/* ---- sink callbacks --------------------------------------------------------------- */

static xml_sink *xml_of(ds_sink *s) { return (xml_sink *)s->ctx; }

static void write_indent(xml_sink *x)
{
    ds_wbuf_spaces(&x->w, 2 * x->indent);
}

static void xml_begin_document(ds_sink *s)
{
    xml_sink *x = xml_of(s);
    if (x->in_document) return;
    x->in_document = 1;
    if (x->decimal) ds_wbuf_write(&x->w, "<Messages Numbers=\"decimal\" >\n", 30);
    else ds_wbuf_write(&x->w, "<Messages>\n", 11);
}

void ds_xml_sink_set_decimal(ds_sink *s, int decimal)
{
    if (s && s->begin_document == xml_begin_document) xml_of(s)->decimal = decimal;
}

static void xml_end_document(ds_sink *s)
{
    xml_sink *x = xml_of(s);
    if (x->in_document) ds_wbuf_write(&x->w, "</Messages>\n", 12);
    x->in_document = 0;
    ds_wbuf_finish(&x->w);
}

static void xml_open(ds_sink *s, const char *name, const ds_attr *attrs, size_t nattrs, unsigned flags)
{
    xml_sink *x = xml_of(s);
    int flat = (flags & DS_OPEN_FLAT) != 0;
    if (ds_levels_push(&x->levels, (unsigned char)flat) != 0) {
        x->w.error = 1;  /* out of memory: stop, the error is reported by ds_sink_error */
        return;
    }
    write_indent(x);
    ds_wbuf_putc(&x->w, '<');
    ds_wbuf_puts(&x->w, name);
    if (attrs && nattrs) {
        for (size_t i = 0; i < nattrs; i++) {
            const char *v = attrs[i].value ? attrs[i].value : "";
            xml_write_attr(&x->w, attrs[i].name, v, strlen(v));
        }
        ds_wbuf_write(&x->w, " >\n", 3);
    } else {
        ds_wbuf_write(&x->w, ">\n", 2);
    }
    if (!flat) x->indent++;
}

static void xml_close(ds_sink *s, const char *name)
{
    xml_sink *x = xml_of(s);
    unsigned char flat;
    /* A close without an open would break the document: drop it. */
    if (ds_levels_pop(&x->levels, &flat) != 0) return;
    if (!flat) x->indent--;
    write_indent(x);
    ds_wbuf_write(&x->w, "</", 2);
    ds_wbuf_puts(&x->w, name);
    ds_wbuf_write(&x->w, ">\n", 2);
}

/* The common leaf, <Name Value="plain" />, written straight into the block in one pass
 * when it fits: most of the output is made of these. */
static int leaf_fast(xml_sink *x, const char *name, const char *attr, const char *value, size_t value_len)
{
    ds_wbuf *w = &x->w;
    size_t ind = 2 * (size_t)x->indent, nlen = strlen(name), alen = strlen(attr);
    size_t need = ind + 1 + nlen + 1 + alen + 2 + value_len + 5; /* <N A="V" />\n */
    if (need > w->cap - w->len || plain_run((const unsigned char *)value, value_len) != value_len) return 0;
    char *o = w->buf + w->len;
    memset(o, ' ', ind);
    o += ind;
    *o++ = '<';
    memcpy(o, name, nlen);
    o += nlen;
    *o++ = ' ';
    memcpy(o, attr, alen);
    o += alen;
    *o++ = '=';
    *o++ = '"';
    memcpy(o, value, value_len);
    o += value_len;
    memcpy(o, "\" />\n", 5);
    o += 5;
    w->len = (size_t)(o - w->buf);
    return 1;
}

static void xml_leaf(ds_sink *s, const char *name, const char *attr, const char *value, size_t value_len)
{
    xml_sink *x = xml_of(s);
    if (attr && value && leaf_fast(x, name, attr, value, value_len)) return;
    write_indent(x);
    ds_wbuf_putc(&x->w, '<');
    ds_wbuf_puts(&x->w, name);
    if (attr) xml_write_attr(&x->w, attr, value, value_len);
    ds_wbuf_write(&x->w, " />\n", 4);
}

static void xml_leaf_attrs(ds_sink *s, const char *name, const ds_attr *attrs, size_t nattrs)
{
    xml_sink *x = xml_of(s);
    write_indent(x);
    ds_wbuf_putc(&x->w, '<');
    ds_wbuf_puts(&x->w, name);
    for (size_t i = 0; i < nattrs; i++) {
        const char *v = attrs[i].value ? attrs[i].value : "";
        xml_write_attr(&x->w, attrs[i].name, v, strlen(v));
    }
    ds_wbuf_write(&x->w, " />\n", 4);
}

static void xml_comment(ds_sink *s, const char *text, size_t len)
{
    xml_sink *x = xml_of(s);
    comment_state st = {0};
    write_indent(x);
    ds_wbuf_write(&x->w, "<!--", 4);
    comment_text(&x->w, &st, text ? text : "", text ? len : 0);
    comment_end(&x->w, &st);
}

/* <!--error frame.fcs offset=12: message--> */
static void xml_diagnostic(ds_sink *s, const ds_diag *d)
{
    xml_sink *x = xml_of(s);
    comment_state st = {0};
    const char *sev = ds_severity_name(d->severity);
    const char *code = d->code ? d->code : "";
    char num[24];
    size_t numlen = ds_fmt_udec(num, d->offset);
    write_indent(x);
    ds_wbuf_write(&x->w, "<!--", 4);
    comment_text(&x->w, &st, sev, strlen(sev));
    comment_text(&x->w, &st, " ", 1);
    comment_text(&x->w, &st, code, strlen(code));
    comment_text(&x->w, &st, " offset=", 8);
    comment_text(&x->w, &st, num, numlen);
    comment_text(&x->w, &st, ": ", 2);
    comment_text(&x->w, &st, d->message, strnlen(d->message, sizeof d->message));
    comment_end(&x->w, &st);
}

static int xml_error(const ds_sink *s)
{
    const xml_sink *x = (const xml_sink *)s->ctx;
    return x->w.error;
}

static void xml_destroy(ds_sink *s)
{
    xml_sink *x = xml_of(s);
    ds_wbuf_finish(&x->w);
    ds_levels_free(&x->levels);
    free(x);
}

ds_sink *ds_xml_sink_new(FILE *out)
{
    if (!out) return NULL;
    xml_sink *x = malloc(sizeof *x);
    if (!x) return NULL;
    memset(&x->base, 0, sizeof x->base);
    if (ds_levels_init(&x->levels, 128) != 0) {
        free(x);
        return NULL;
    }
    ds_wbuf_init(&x->w, out, x->block, sizeof x->block);
    x->indent = 0;
    x->in_document = 0;
    x->decimal = 0;
    x->base.ctx = x;
    x->base.begin_document = xml_begin_document;
    x->base.end_document = xml_end_document;
    x->base.open = xml_open;
    x->base.close = xml_close;
    x->base.leaf = xml_leaf;
    x->base.leaf_attrs = xml_leaf_attrs;
    x->base.comment = xml_comment;
    x->base.diagnostic = xml_diagnostic;
    x->base.destroy = xml_destroy;
    x->base.error = xml_error;
    return &x->base;
}
