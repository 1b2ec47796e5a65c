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
#include "sinks/levels.h"
#include "sinks/text.h"
#include "sinks/wbuf.h"
#include "sinks/xml_text.h"
#include "util/fmt.h"

typedef struct xml_sink {
    ds_sink base;
    ds_xml_state st;    /* output block, open containers, indentation */
    int decimal;        /* the root says Numbers="decimal" so that a reader knows the convention */
} xml_sink;

/* ---- sink callbacks --------------------------------------------------------------- */

static xml_sink *xml_of(ds_sink *s) { return (xml_sink *)s->ctx; }

static void write_indent(xml_sink *x)
{
    ds_wbuf_spaces(&x->st.w, 2 * x->st.indent);
}

/* The piecewise way of writing a line, for a line larger than the room a block can give. Kept
 * out of line so that the common paths below stay small leaf functions. */
static void __attribute__((noinline)) put_tag_line_slow(xml_sink *x, const char *open, size_t open_len,
                                                        const char *name, size_t nlen)
{
    write_indent(x);
    ds_wbuf_write(&x->st.w, open, open_len);
    ds_wbuf_write(&x->st.w, name, nlen);
    ds_wbuf_write(&x->st.w, ">\n", 2);
}

/* A whole line "<name>" or "</name>" (open is "<" or "</") at the current indentation, with
 * one bounds check and no call; 0 when the caller must take another way. */
static inline __attribute__((always_inline)) int put_tag_line_fast(xml_sink *x, const char *open, size_t open_len,
                                                                   const char *name, size_t nlen)
{
    ds_wbuf *w = &x->st.w;
    size_t ind = 2 * (size_t)x->st.indent;
    if (ind > DS_PIECE_MAX || nlen > DS_PIECE_MAX || !ds_wbuf_fits(w, ind + 2 + nlen + 2)) return 0;
    char *o = ds_put_indent32(ds_wbuf_tail(w), ind);
    memcpy(o, open, 2);  /* "<" plus its NUL, or "</": the slack absorbs the extra byte */
    o = ds_put_upto32(o + open_len, name, nlen);
    memcpy(o, ">\n", 2);
    ds_wbuf_commit(w, o + 2);
    return 1;
}

static inline __attribute__((always_inline)) void put_tag_line(xml_sink *x, const char *open, size_t open_len,
                                                               const char *name, size_t nlen)
{
    if (!put_tag_line_fast(x, open, open_len, name, nlen)) put_tag_line_slow(x, open, open_len, name, nlen);
}

/* The longest last piece of a run of attributes written before (ds_sink.open_run) that a one-pass
 * tag copies, and the room a run takes at most (its first three pieces are short). */
#define FAST_RUN_MAX 512u
#define FAST_RUN_ROOM (3 * DS_PIECE_MAX + FAST_RUN_MAX)

static void xml_begin_document(ds_sink *s)
{
    xml_sink *x = xml_of(s);
    if (x->st.in_document) return;
    x->st.in_document = 1;
    if (x->decimal) ds_wbuf_write(&x->st.w, "<Messages Numbers=\"decimal\" >\n", 30);
    else ds_wbuf_write(&x->st.w, "<Messages>\n", 11);
}

void ds_xml_sink_set_decimal(ds_sink *s, int decimal)
{
    if (s && s->begin_document == xml_begin_document) xml_of(s)->decimal = decimal;
}

static void xml_end_document(ds_sink *s)
{
    xml_sink *x = xml_of(s);
    if (x->st.in_document) ds_wbuf_write(&x->st.w, "</Messages>\n", 12);
    x->st.in_document = 0;
    ds_wbuf_finish(&x->st.w);
}

/* "<name" at the current indentation. */
static void put_start(xml_sink *x, const char *name, size_t nlen)
{
    write_indent(x);
    ds_wbuf_putc(&x->st.w, '<');
    ds_wbuf_write(&x->st.w, name, nlen);
}

/* "<name" then the attributes, each escaped or in its Hex form as needed (ds_xml_attr). */
static void put_start_with_attrs(xml_sink *x, const char *name, size_t nlen, const ds_attr *attrs, size_t nattrs)
{
    put_start(x, name, nlen);
    for (size_t i = 0; i < nattrs; i++)
        ds_xml_attr(&x->st.w, attrs[i].name, ds_attr_value(&attrs[i]), ds_attr_value_len(&attrs[i]));
}

/* A start tag with one attribute, <Array Qty="02" >, <HDLC len="1E" > or <ConformanceBit
 * Name="Get" />, in one pass and no call, for a value said to be plain (DS_TEXT_PLAIN), then the
 * run of attributes written before when there is one (ds_sink.open_run: a capture's envelope).
 * `end` is " >\n" or " />\n": four bytes are copied (the first's NUL included), a byte past
 * end_len lands in the slack. Returns 0 when the caller must take another way. */
static inline __attribute__((always_inline)) int one_attr_run_tag_fast(xml_sink *x, const char *name, size_t nlen,
                                                                       const ds_attr *a, const ds_attr_run *run,
                                                                       const char *end, size_t end_len)
{
    ds_wbuf *w = &x->st.w;
    if (!(a->flags & DS_TEXT_PLAIN)) return 0;
    size_t ind = 2 * (size_t)x->st.indent, alen = ds_attr_name_len(a), vlen = ds_attr_value_len(a);
    if (ind > DS_PIECE_MAX || nlen > DS_PIECE_MAX || alen > DS_PIECE_MAX || vlen > DS_PIECE_MAX ||
        !ds_wbuf_fits(w, ind + 1 + nlen + 1 + alen + 2 + vlen + 1 + end_len + (run ? FAST_RUN_ROOM : 0)))
        return 0;
    if (run && (run->len[0] > DS_PIECE_MAX || run->len[1] > DS_PIECE_MAX || run->len[2] > DS_PIECE_MAX ||
                run->len[3] > FAST_RUN_MAX))
        return 0;
    char *o = ds_put_indent32(ds_wbuf_tail(w), ind);
    *o++ = '<';
    o = ds_put_upto32(o, name, nlen);
    *o++ = ' ';
    o = ds_put_upto32(o, a->name, alen);
    memcpy(o, "=\"", 2);
    o = ds_put_upto32(o + 2, ds_attr_value(a), vlen);
    *o++ = '"';
    if (run) {
        o = ds_put_upto32(o, run->text[0], run->len[0]);
        o = ds_put_upto32(o, run->text[1], run->len[1]);
        o = ds_put_upto32(o, run->text[2], run->len[2]);
        o = ds_put_pieces16(o, run->text[3], run->len[3]);
    }
    memcpy(o, end, 4);
    ds_wbuf_commit(w, o + end_len);
    return 1;
}

static inline __attribute__((always_inline)) int one_attr_tag_fast(xml_sink *x, const char *name, size_t nlen,
                                                                   const ds_attr *a, const char *end,
                                                                   size_t end_len)
{
    return one_attr_run_tag_fast(x, name, nlen, a, NULL, end, end_len);
}

/* Most attributes one start tag gets in one pass (a frame envelope has five: len, Direction,
 * Time, From, To); a tag with more goes piece by piece. */
#define FAST_ATTRS_MAX 8
/* The most a one-pass tag can take: indentation, '<' and name, each attribute as ' ' name '="'
 * value '"', and the end (" />\n"), every piece at most DS_PIECE_MAX. Reserved before the
 * pieces are measured, so that they are checked and copied in one loop. */
#define FAST_TAG_ROOM (2 * DS_PIECE_MAX + 1 + FAST_ATTRS_MAX * (2 * DS_PIECE_MAX + 4) + 4)

/* A start tag with attributes whose values need no escaping (said plain, or found so by a scan)
 * and whose pieces are short, in one pass, `end` closing it as in one_attr_tag_fast(): the same
 * bytes as put_start_with_attrs() would write. Nothing is committed until the whole tag is
 * written, so an attribute found unfit half way leaves the block as it was. Returns 0 when the
 * caller must take another way. */
static int attrs_tag_fast(xml_sink *x, const char *name, size_t nlen, const ds_attr *attrs, size_t nattrs,
                          const char *end, size_t end_len)
{
    ds_wbuf *w = &x->st.w;
    size_t ind = 2 * (size_t)x->st.indent;
    if (nattrs > FAST_ATTRS_MAX || ind > DS_PIECE_MAX || nlen > DS_PIECE_MAX || !ds_wbuf_fits(w, FAST_TAG_ROOM))
        return 0;
    char *o = ds_put_indent32(ds_wbuf_tail(w), ind);
    *o++ = '<';
    o = ds_put_upto32(o, name, nlen);
    for (size_t i = 0; i < nattrs; i++) { /* attrs may be NULL when nattrs is 0: no pointer sum */
        const ds_attr *a = &attrs[i];
        size_t alen, vlen;
        const char *v;
        if ((a->flags & (DS_ATTR_SIZED | DS_TEXT_PLAIN)) == (DS_ATTR_SIZED | DS_TEXT_PLAIN) && a->value) {
            /* the program's own (an envelope's are): lengths said, nothing to scan */
            alen = a->name_len;
            vlen = a->value_len;
            v = a->value;
        } else {
            alen = ds_attr_name_len(a);
            vlen = ds_attr_value_len(a);
            v = ds_attr_value(a);
            if (vlen <= DS_PIECE_MAX && !(a->flags & DS_TEXT_PLAIN) &&
                ds_xml_plain_run((const unsigned char *)v, vlen) != vlen)
                return 0;
        }
        if (alen > DS_PIECE_MAX || vlen > DS_PIECE_MAX) return 0;
        *o++ = ' ';
        o = ds_put_upto32(o, a->name, alen);
        memcpy(o, "=\"", 2);
        o = ds_put_upto32(o + 2, v, vlen);
        *o++ = '"';
    }
    memcpy(o, end, 4);
    ds_wbuf_commit(w, o + end_len);
    return 1;
}

/* A tag with attributes, `end` closing it (" >\n" or " />\n"): in one pass when every value
 * needs no escaping and the line fits the block, else piece by piece with escaping. */
static void __attribute__((noinline)) put_attrs_tag(xml_sink *x, const char *name, size_t nlen, const ds_attr *attrs,
                                                     size_t nattrs, const char *end, size_t end_len)
{
    if (attrs_tag_fast(x, name, nlen, attrs, nattrs, end, end_len)) return;
    put_start_with_attrs(x, name, nlen, attrs, nattrs);
    ds_wbuf_write(&x->st.w, end, end_len);
}

/* Everything xml_open() does not do in its one pass: a stack to grow, attributes to escape or
 * several of them, a line that does not fit the block. */
static void __attribute__((noinline)) xml_open_general(xml_sink *x, const char *name, size_t nlen,
                                                       const ds_attr *attrs, size_t nattrs, unsigned char flat)
{
    if (ds_levels_push(&x->st.levels, flat) != 0) {
        x->st.w.error = 1;  /* out of memory: stop, the error is reported by ds_sink_error */
        return;
    }
    if (!attrs || !nattrs) put_tag_line(x, "<", 1, name, nlen);
    else put_attrs_tag(x, name, nlen, attrs, nattrs, " >\n", 3);
    if (!flat) x->st.indent++;
}

static void xml_open(ds_sink *s, const char *name, size_t nlen, const ds_attr *attrs, size_t nattrs,
                     unsigned flags)
{
    xml_sink *x = xml_of(s);
    unsigned char flat = (flags & DS_OPEN_FLAT) != 0;
    ds_levels *l = &x->st.levels;
    int written = l->depth < l->cap && (!attrs || !nattrs ? put_tag_line_fast(x, "<", 1, name, nlen)
                                                          : nattrs == 1 && one_attr_tag_fast(x, name, nlen, attrs, " >\n", 3));
    if (!written) {
        xml_open_general(x, name, nlen, attrs, nattrs, flat);
        return;
    }
    l->v[l->depth++] = flat;  /* room checked above */
    if (!flat) x->st.indent++;
}

/* A frame envelope of a capture: len, then Direction, Time, From and To as a run of text in
 * pieces, From and To made once per connection side (ds_sink.open_run). */
static void xml_open_run(ds_sink *s, const char *name, size_t nlen, const ds_attr *attrs, size_t nhead,
                         const ds_attr_run *run, unsigned flags)
{
    xml_sink *x = xml_of(s);
    unsigned char flat = (flags & DS_OPEN_FLAT) != 0;
    if (ds_levels_push(&x->st.levels, flat) != 0) {
        x->st.w.error = 1;  /* out of memory: stop, the error is reported by ds_sink_error */
        return;
    }
    if (nhead != 1 || !one_attr_run_tag_fast(x, name, nlen, attrs, run, " >\n", 3)) {
        put_start_with_attrs(x, name, nlen, attrs, nhead);
        for (size_t i = 0; i < DS_ATTR_RUN_PIECES; i++) ds_wbuf_write(&x->st.w, run->text[i], run->len[i]);
        ds_wbuf_write(&x->st.w, " >\n", 3);
    }
    if (!flat) x->st.indent++;
}

static void xml_close(ds_sink *s, const char *name, size_t nlen)
{
    xml_sink *x = xml_of(s);
    unsigned char flat;
    /* A close without an open would break the document: drop it. */
    if (ds_levels_pop(&x->st.levels, &flat) != 0) return;
    if (!flat) x->st.indent--;
    put_tag_line(x, "</", 2, name, nlen);
}

/* A leaf whose value needs escaping, or that is larger than a block's room. */
static void __attribute__((noinline)) xml_leaf_slow(xml_sink *x, const char *name, size_t nlen,
                                                    const char *value, size_t vlen)
{
    put_start(x, name, nlen);
    ds_xml_attr(&x->st.w, "Value", value, vlen);
    ds_wbuf_write(&x->st.w, " />\n", 4);
}

/* <Name Value="v" /> in one pass when the value is plain and the line fits the block; 0 when
 * the caller must take another way. */
static inline __attribute__((always_inline)) int put_value_line(xml_sink *x, const char *name, size_t nlen,
                                                                const char *value, size_t vlen)
{
    ds_wbuf *w = &x->st.w;
    size_t ind = 2 * (size_t)x->st.indent;
    if (ind > DS_PIECE_MAX || nlen > DS_PIECE_MAX || vlen > DS_PIECE_MAX || !ds_wbuf_fits(w, ind + 1 + nlen + 8 + vlen + 5))
        return 0;
    char *o = ds_put_indent32(ds_wbuf_tail(w), ind);
    *o++ = '<';
    o = ds_put_upto32(o, name, nlen);
    memcpy(o, " Value=\"", 8);
    o = ds_put_upto32(o + 8, value, vlen);
    memcpy(o, "\" />\n", 5);
    ds_wbuf_commit(w, o + 5);
    return 1;
}

/* A leaf whose value must be scanned first (it may come from the input). */
static void __attribute__((noinline)) xml_leaf_scanned(xml_sink *x, const char *name, size_t nlen,
                                                       const char *value, size_t vlen)
{
    if (ds_xml_plain_run((const unsigned char *)value, vlen) == vlen && put_value_line(x, name, nlen, value, vlen))
        return;
    xml_leaf_slow(x, name, nlen, value, vlen);
}

/* <Name Value="v" />: most of the output is made of these. A value the decoder formatted
 * itself (DS_TEXT_PLAIN) is copied with one bounds check and no call. */
static void xml_leaf(ds_sink *s, const char *name, size_t nlen, const char *value, size_t vlen, unsigned flags)
{
    xml_sink *x = xml_of(s);
    if (!(flags & DS_TEXT_PLAIN)) xml_leaf_scanned(x, name, nlen, value, vlen);
    else if (!put_value_line(x, name, nlen, value, vlen)) xml_leaf_slow(x, name, nlen, value, vlen);
}

static void __attribute__((noinline)) xml_leaf_hex_slow(xml_sink *x, const char *name, size_t nlen,
                                                        const unsigned char *p, size_t n)
{
    put_start(x, name, nlen);
    ds_wbuf_write(&x->st.w, " Value=\"", 8);
    ds_wbuf_hex(&x->st.w, p, n);
    ds_wbuf_write(&x->st.w, "\" />\n", 5);
}

/* A hex leaf longer than 16 bytes (blocks of data, long strings): written straight into the
 * block when it fits, else piecewise. */
static void __attribute__((noinline)) xml_leaf_hex_long(xml_sink *x, const char *name, size_t nlen,
                                                        const unsigned char *p, size_t n)
{
    ds_wbuf *w = &x->st.w;
    size_t ind = 2 * (size_t)x->st.indent;
    /* (the bound on n first: it also keeps 2 * n from overflowing) */
    if (n > DS_WBUF_SIZE / 4 || ds_wbuf_reserve(w, ind + 1 + nlen + 8 + 2 * n + 5) != 0) {
        xml_leaf_hex_slow(x, name, nlen, p, n);
        return;
    }
    char *o = ds_put_indent(ds_wbuf_tail(w), ind);
    *o++ = '<';
    o = ds_put(o, name, nlen);
    memcpy(o, " Value=\"", 8);
    ds_hex_encode(o + 8, p, n);
    o += 8 + 2 * n;
    memcpy(o, "\" />\n", 5);
    ds_wbuf_commit(w, o + 5);
}

/* <Name Value="HEX" />: integers in hex mode and most octet strings are at most 16 bytes, written
 * with one bounds check and no call. */
static void xml_leaf_hex(ds_sink *s, const char *name, size_t nlen, const unsigned char *p, size_t n)
{
    xml_sink *x = xml_of(s);
    ds_wbuf *w = &x->st.w;
    size_t ind = 2 * (size_t)x->st.indent;
    if (n > 16 || ind > DS_PIECE_MAX || nlen > DS_PIECE_MAX || !ds_wbuf_fits(w, ind + 1 + nlen + 8 + 2 * n + 5)) {
        if (n > 16) xml_leaf_hex_long(x, name, nlen, p, n);
        else xml_leaf_hex_slow(x, name, nlen, p, n);
        return;
    }
    char *o = ds_put_indent32(ds_wbuf_tail(w), ind);
    *o++ = '<';
    o = ds_put_upto32(o, name, nlen);
    memcpy(o, " Value=\"", 8);
    ds_hex_encode_upto16(o + 8, p, n);  /* a spill past the digits stays in the slack */
    o += 8 + 2 * n;
    memcpy(o, "\" />\n", 5);
    ds_wbuf_commit(w, o + 5);
}

static void xml_leaf_attrs(ds_sink *s, const char *name, size_t nlen, const ds_attr *attrs, size_t nattrs)
{
    xml_sink *x = xml_of(s);
    if (nattrs == 1 && one_attr_tag_fast(x, name, nlen, attrs, " />\n", 4)) return;
    put_attrs_tag(x, name, nlen, attrs, nattrs, " />\n", 4);
}

static void xml_comment(ds_sink *s, const char *text, size_t len, unsigned flags)
{
    xml_sink *x = xml_of(s);
    ds_xml_comment_line(&x->st.w, 2 * x->st.indent, text, len, flags);
}

static void xml_diagnostic(ds_sink *s, const ds_diag *d)
{
    xml_sink *x = xml_of(s);
    write_indent(x);
    ds_xml_diagnostic(&x->st.w, d);
}

static int xml_error(const ds_sink *s)
{
    const xml_sink *x = (const xml_sink *)s->ctx;
    return x->st.w.error;
}

static void xml_flush(ds_sink *s)
{
    ds_wbuf_finish(&((xml_sink *)s->ctx)->st.w);
}

static void xml_destroy(ds_sink *s)
{
    xml_sink *x = xml_of(s);
    ds_xml_state_free(&x->st);
    free(x);
}

ds_sink *ds_xml_sink_new(FILE *out)
{
    if (!out) return NULL;
    xml_sink *x = malloc(sizeof *x);
    if (!x) return NULL;
    memset(&x->base, 0, sizeof x->base);
    if (ds_xml_state_init(&x->st, out) != 0) {
        free(x);
        return NULL;
    }
    x->decimal = 0;
    x->base.ctx = x;
    x->base.begin_document = xml_begin_document;
    x->base.end_document = xml_end_document;
    x->base.open = xml_open;
    x->base.open_run = xml_open_run;
    x->base.close = xml_close;
    x->base.leaf = xml_leaf;
    x->base.leaf_attrs = xml_leaf_attrs;
    x->base.leaf_hex = xml_leaf_hex;
    x->base.comment = xml_comment;
    x->base.diagnostic = xml_diagnostic;
    x->base.destroy = xml_destroy;
    x->base.error = xml_error;
    x->base.flush = xml_flush;
    return &x->base;
}
