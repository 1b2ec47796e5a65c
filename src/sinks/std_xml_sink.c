/* The IEC 62056 standard XML writer: the same events as the Gurux writer (xml_sink.c),
 * written with the ASN.1 names of src/sinks/std_names.c.
 *
 *   <x:get-request>                           APDU elements: x: prefix, standard name
 *     <x:get-request-normal>
 *       <x:invoke-id-and-priority>193</x:invoke-id-and-priority>     values are element text
 *   <x:proposed-conformance> <x:get /> ...    conformance bits: one empty element per set bit
 *   <x:boolean Byte="FF">true</x:boolean>     extra attributes of a leaf stay attributes
 *   <x:visible-string ValueHex="0001" />      a value XML cannot carry: hex in an attribute
 *
 * Counted containers lose their Qty (the count is the number of children), except inside a
 * compact-array contents-description, where an array's Qty is its number-of-elements.
 * The standard has no frame envelopes: everything the table does not know (Messages root, HDLC,
 * WRAPPER, WiredMBus, TargetAddress, NextFrame, PDU, Undecoded ...) is written unprefixed exactly
 * as the Gurux writer writes it, so that `encode` can rebuild the frames. The root declares the
 * namespace and says Numbers="decimal": the standard writes integers in decimal, so this sink
 * must be fed by a decoder in decimal mode (ds_options.decimal = 1). */
#include "dlmscope/sink.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sinks/levels.h"
#include "sinks/std_names.h"
#include "sinks/text.h"
#include "sinks/wbuf.h"
#include "sinks/xml_text.h"
#include "util/fmt.h"

enum { LV_FLAT = 1, LV_DESC = 2 };

typedef struct std_sink {
    ds_sink base;
    ds_xml_state st;    /* output block, open containers, indentation */
} std_sink;

static std_sink *std_of(ds_sink *s) { return (std_sink *)s->ctx; }

/* ---- escaping ---------------------------------------------------------------------------------- */

/* ` name="value"` */
static void put_attr(ds_wbuf *w, const ds_attr *a)
{
    ds_xml_attr(w, a->name, ds_attr_value(a), ds_attr_value_len(a));
}

/* ---- element pieces ------------------------------------------------------------------------------ */

static void write_indent(std_sink *x) { ds_wbuf_spaces(&x->st.w, 2 * x->st.indent); }

static int in_desc(const std_sink *x)
{
    return x->st.levels.depth > 0 && (x->st.levels.v[x->st.levels.depth - 1] & LV_DESC);
}

static void write_std_name(ds_wbuf *w, const char *std)
{
    ds_wbuf_write(w, DS_STD_PREFIX ":", sizeof DS_STD_PREFIX);
    ds_wbuf_puts(w, std);
}

/* The standard value of a leaf: its enumeration spelling when it has one. The value is
 * `len` bytes, not necessarily NUL-terminated; enumeration names are short. */
static const char *std_value(const ds_std_name *row, const char *gurux_name, const char *value, size_t len)
{
    char word[64];
    if (!(row->flags & DS_STD_ENUM) || len >= sizeof word) return value;
    memcpy(word, value, len);
    word[len] = '\0';
    const char *v = ds_std_value_to_std(word, gurux_name);
    return v ? v : value;
}

/* <x:name extra="..">text</x:name>, or <x:name ValueHex="HEX" /> when the text cannot be XML. */
static void write_std_leaf(std_sink *x, const ds_std_name *row, const char *gurux_name, const char *value,
                           size_t len, const ds_attr *extra, size_t nextra)
{
    const char *v = value ? value : "";
    const char *mapped = std_value(row, gurux_name, v, len);
    if (mapped != v) len = strlen(mapped);
    write_indent(x);
    ds_wbuf_putc(&x->st.w, '<');
    write_std_name(&x->st.w, row->std);
    for (size_t i = 0; i < nextra; i++) put_attr(&x->st.w, &extra[i]);
    if (!ds_xml_writable((const unsigned char *)mapped, len)) {
        ds_wbuf_write(&x->st.w, " ValueHex=\"", 11);
        ds_wbuf_hex(&x->st.w, (const unsigned char *)mapped, len);
        ds_wbuf_write(&x->st.w, "\" />\n", 5);
        return;
    }
    ds_wbuf_putc(&x->st.w, '>');
    ds_xml_escaped(&x->st.w, (const unsigned char *)mapped, len);
    ds_wbuf_write(&x->st.w, "</", 2);
    write_std_name(&x->st.w, row->std);
    ds_wbuf_write(&x->st.w, ">\n", 2);
}

static void write_bare(std_sink *x, const ds_std_name *row)
{
    write_indent(x);
    ds_wbuf_putc(&x->st.w, '<');
    write_std_name(&x->st.w, row->std);
    ds_wbuf_write(&x->st.w, " />\n", 4);
}

/* A Gurux-form leaf for names the table does not know (frame envelope fields). */
static void write_gurux_leaf(std_sink *x, const char *name, const ds_attr *attrs, size_t nattrs)
{
    write_indent(x);
    ds_wbuf_putc(&x->st.w, '<');
    ds_wbuf_puts(&x->st.w, name);
    for (size_t i = 0; i < nattrs; i++) put_attr(&x->st.w, &attrs[i]);
    ds_wbuf_write(&x->st.w, " />\n", 4);
}

/* ---- sink callbacks ---------------------------------------------------------------------------------- */

static void std_begin_document(ds_sink *s)
{
    std_sink *x = std_of(s);
    if (x->st.in_document) return;
    x->st.in_document = 1;
    ds_wbuf_puts(&x->st.w, "<Messages xmlns:" DS_STD_PREFIX "=\"" DS_STD_NS "\" Numbers=\"decimal\" >\n");
}

static void std_end_document(ds_sink *s)
{
    std_sink *x = std_of(s);
    if (x->st.in_document) ds_wbuf_write(&x->st.w, "</Messages>\n", 12);
    x->st.in_document = 0;
    ds_wbuf_finish(&x->st.w);
}

static void std_open(ds_sink *s, const char *name, size_t name_len, const ds_attr *attrs, size_t nattrs,
                     unsigned flags)
{
    std_sink *x = std_of(s);
    const ds_std_name *row = ds_std_by_gurux(name);
    int flat = (flags & DS_OPEN_FLAT) != 0;
    int desc = in_desc(x) || (row && (row->flags & DS_STD_DESC));
    if (ds_levels_push(&x->st.levels, (unsigned char)((flat ? LV_FLAT : 0) | (desc ? LV_DESC : 0))) != 0) {
        x->st.w.error = 1;
        return;
    }
    write_indent(x);
    ds_wbuf_putc(&x->st.w, '<');
    if (row) write_std_name(&x->st.w, row->std);
    else ds_wbuf_write(&x->st.w, name, name_len);
    int wrote = 0;
    for (size_t i = 0; attrs && i < nattrs; i++) {
        /* the count is the number of children; only a type description's array count is data */
        if (row && !desc && strcmp(attrs[i].name, "Qty") == 0) continue;
        put_attr(&x->st.w, &attrs[i]);
        wrote = 1;
    }
    ds_wbuf_write(&x->st.w, wrote ? " >\n" : ">\n", wrote ? 3 : 2);
    if (!flat) x->st.indent++;
}

static void std_close(ds_sink *s, const char *name, size_t name_len)
{
    std_sink *x = std_of(s);
    unsigned char lv;
    if (ds_levels_pop(&x->st.levels, &lv) != 0) return;
    if (!(lv & LV_FLAT)) x->st.indent--;
    const ds_std_name *row = ds_std_by_gurux(name);
    write_indent(x);
    ds_wbuf_write(&x->st.w, "</", 2);
    if (row) write_std_name(&x->st.w, row->std);
    else ds_wbuf_write(&x->st.w, name, name_len);
    ds_wbuf_write(&x->st.w, ">\n", 2);
}

static void std_leaf(ds_sink *s, const char *name, size_t name_len, const char *value, size_t value_len,
                     unsigned flags)
{
    std_sink *x = std_of(s);
    (void)flags;  /* enumeration values are mapped, so every value is looked at anyway */
    const ds_std_name *row = ds_std_by_gurux(name);
    if (row) {
        write_std_leaf(x, row, name, value, value ? value_len : 0, NULL, 0);
        return;
    }
    write_indent(x);
    ds_wbuf_putc(&x->st.w, '<');
    ds_wbuf_write(&x->st.w, name, name_len);
    ds_xml_attr(&x->st.w, "Value", value, value_len);
    ds_wbuf_write(&x->st.w, " />\n", 4);
}

/* A conformance bit is an element of its own in the standard form: <x:Get />. */
static int write_std_conformance_bit(std_sink *x, const char *name, const ds_attr *attrs, size_t nattrs)
{
    if (nattrs != 1 || strcmp(name, "ConformanceBit") != 0 || strcmp(attrs[0].name, "Name") != 0) return 0;
    const char *bit = attrs[0].value ? ds_std_bit_to_std(attrs[0].value) : NULL;
    if (!bit) return 0;
    write_indent(x);
    ds_wbuf_putc(&x->st.w, '<');
    write_std_name(&x->st.w, bit);
    ds_wbuf_write(&x->st.w, " />\n", 4);
    return 1;
}

static void std_leaf_attrs(ds_sink *s, const char *name, size_t name_len, const ds_attr *attrs, size_t nattrs)
{
    std_sink *x = std_of(s);
    (void)name_len;
    if (write_std_conformance_bit(x, name, attrs, nattrs)) return;
    const ds_std_name *row = ds_std_by_gurux(name);
    if (row && nattrs == 0) {
        write_bare(x, row);
        return;
    }
    if (!row) {
        write_gurux_leaf(x, name, attrs, nattrs);
        return;
    }
    write_std_leaf(x, row, name, ds_attr_value(&attrs[0]), ds_attr_value_len(&attrs[0]), attrs + 1, nattrs - 1);
}

static void std_comment(ds_sink *s, const char *text, size_t len, unsigned flags)
{
    std_sink *x = std_of(s);
    ds_xml_comment_line(&x->st.w, 2 * x->st.indent, text, len, flags);
}

static void std_diagnostic(ds_sink *s, const ds_diag *d)
{
    std_sink *x = std_of(s);
    write_indent(x);
    ds_xml_diagnostic(&x->st.w, d);
}

static int std_error(const ds_sink *s)
{
    return ((const std_sink *)s->ctx)->st.w.error;
}

static void std_flush(ds_sink *s)
{
    ds_wbuf_finish(&((std_sink *)s->ctx)->st.w);
}

static void std_destroy(ds_sink *s)
{
    std_sink *x = std_of(s);
    ds_xml_state_free(&x->st);
    free(x);
}

ds_sink *ds_std_xml_sink_new(FILE *out)
{
    if (!out) return NULL;
    std_sink *x = malloc(sizeof *x);
    if (!x) return NULL;
    memset(&x->base, 0, sizeof x->base);
    if (ds_xml_state_init(&x->st, out) != 0) {
        free(x);
        return NULL;
    }
    x->base.ctx = x;
    x->base.begin_document = std_begin_document;
    x->base.end_document = std_end_document;
    x->base.open = std_open;
    x->base.close = std_close;
    x->base.leaf = std_leaf;
    x->base.leaf_attrs = std_leaf_attrs;
    x->base.comment = std_comment;
    x->base.diagnostic = std_diagnostic;
    x->base.destroy = std_destroy;
    x->base.error = std_error;
    x->base.flush = std_flush;
    return &x->base;
}
