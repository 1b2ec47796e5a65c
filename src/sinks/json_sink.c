/* JSON Lines writer: the same content as the XML, one JSON object per line.
 *
 * Each top-level element (a frame envelope, or an APDU element when there is
 * no envelope) becomes one object on its own line; there is no document root
 * (begin/end of the document write nothing). Mapping:
 *
 *   container   {"name":"GetRequest","children":[...]}
 *               {"name":"Array","attrs":{"Qty":"02"},"children":[...]}
 *               ("attrs" only when the container has attributes; an empty
 *               container has "children":[])
 *   leaf        {"name":"ClassId","value":"0008"}
 *   named leaf  {"name":"ConformanceBit","attr":"Name","value":"Get"}
 *               ("attr" only when the attribute is not "Value")
 *   bare leaf   {"name":"None"}
 *   more attrs  {"name":"TargetAddress","value":"11","attrs":{"Size":"4"}}
 *               (leaf_attrs: the first attribute as above, the others in "attrs")
 *   comment     {"comment":"0.0.1.0.0.255 Clock"}
 *   diagnostic  {"diagnostic":{"code":"frame.fcs","severity":"error",
 *                "offset":12,"frame":3,"line":7,"message":"..."}}
 *
 * Comments and diagnostics are children at the place they occur; outside any
 * element they are lines of their own. Numbers keep the text form of the XML
 * (hex or decimal per the options), as strings.
 *
 * Strings: " and \ are escaped, control characters as \n \t \r \b \f or
 * \u00XX. A value (or attribute value) that is not well-formed UTF-8 is
 * written losslessly as uppercase hex under the key with "Hex" appended:
 * {"name":"String","valueHex":"48FF"}, {"attrs":{"TimeHex":"..."}}. In
 * comments and diagnostic messages (text for people) each byte that is not
 * well-formed UTF-8 becomes \uFFFD. */
#include "dlmscope/sink.h"

#include <stdlib.h>
#include <string.h>
#include "sinks/levels.h"
#include "sinks/text.h"
#include "sinks/wbuf.h"

typedef struct json_sink {
    ds_sink base;
    ds_wbuf w;
    ds_levels levels;  /* per open container: 1 once it has a child (a comma is due) */
    char block[DS_WBUF_SIZE + DS_WBUF_SLACK];
} json_sink;

static json_sink *json_of(ds_sink *s) { return (json_sink *)s->ctx; }

static void write_cstring(ds_wbuf *w, const char *s)
{
    ds_json_write_string(w, s, strlen(s));
}

/* Before an item: the comma that separates it from its previous sibling. */
static void item_begin(json_sink *j)
{
    if (j->levels.depth == 0) return;
    unsigned char *has_children = ds_levels_top(&j->levels);
    if (*has_children) ds_wbuf_putc(&j->w, ',');
    *has_children = 1;
}

/* After an item: a top-level item ends its line. */
static void item_end(json_sink *j)
{
    if (j->levels.depth == 0) ds_wbuf_putc(&j->w, '\n');
}

/* "key":"value" or, when value is not UTF-8, "keyHex":"HEX". */
static void write_keyed_value(ds_wbuf *w, const char *key, const char *value, size_t len)
{
    if (!value) {
        value = "";
        len = 0;
    }
    if (ds_utf8_valid(value, len)) {
        write_cstring(w, key);
        ds_wbuf_putc(w, ':');
        ds_json_write_string(w, value, len);
        return;
    }
    ds_wbuf_putc(w, '"');
    ds_wbuf_puts(w, key);  /* keys are names from the program, not from the input */
    ds_wbuf_write(w, "Hex\":\"", 6);
    ds_wbuf_hex(w, (const unsigned char *)value, len);
    ds_wbuf_putc(w, '"');
}

static void json_begin_document(ds_sink *s) { (void)s; }

static void json_end_document(ds_sink *s)
{
    ds_wbuf_finish(&json_of(s)->w);
}

static void json_open(ds_sink *s, const char *name, size_t name_len, const ds_attr *attrs, size_t nattrs,
                      unsigned flags)
{
    json_sink *j = json_of(s);
    (void)flags;  /* indentation only matters to the XML */
    item_begin(j);
    if (ds_levels_push(&j->levels, 0) != 0) {
        j->w.error = 1;  /* out of memory: stop, the error is reported by ds_sink_error */
        return;
    }
    ds_wbuf_write(&j->w, "{\"name\":", 8);
    ds_json_write_string(&j->w, name, name_len);
    if (attrs && nattrs) {
        ds_wbuf_write(&j->w, ",\"attrs\":{", 10);
        for (size_t i = 0; i < nattrs; i++) {
            if (i) ds_wbuf_putc(&j->w, ',');
            write_keyed_value(&j->w, attrs[i].name, ds_attr_value(&attrs[i]), ds_attr_value_len(&attrs[i]));
        }
        ds_wbuf_putc(&j->w, '}');
    }
    ds_wbuf_write(&j->w, ",\"children\":[", 13);
}

static void json_close(ds_sink *s, const char *name, size_t name_len)
{
    json_sink *j = json_of(s);
    unsigned char has_children;
    (void)name;
    (void)name_len;
    /* A close without an open would break the line: drop it. */
    if (ds_levels_pop(&j->levels, &has_children) != 0) return;
    ds_wbuf_write(&j->w, "]}", 2);
    item_end(j);
}

static void json_leaf(ds_sink *s, const char *name, size_t name_len, const char *value, size_t value_len,
                      unsigned flags)
{
    json_sink *j = json_of(s);
    (void)flags;
    item_begin(j);
    ds_wbuf_write(&j->w, "{\"name\":", 8);
    ds_json_write_string(&j->w, name, name_len);
    ds_wbuf_putc(&j->w, ',');
    write_keyed_value(&j->w, "value", value, value_len);
    ds_wbuf_putc(&j->w, '}');
    item_end(j);
}

/* The first attribute maps as for leaf() ("attr" when it is not Value); the others go into
 * "attrs"; without attributes, a bare leaf. */
static void json_leaf_attrs(ds_sink *s, const char *name, size_t name_len, const ds_attr *attrs, size_t nattrs)
{
    json_sink *j = json_of(s);
    item_begin(j);
    ds_wbuf_write(&j->w, "{\"name\":", 8);
    ds_json_write_string(&j->w, name, name_len);
    if (nattrs == 0) {
        ds_wbuf_putc(&j->w, '}');
        item_end(j);
        return;
    }
    if (strcmp(attrs[0].name, "Value") != 0) {
        ds_wbuf_write(&j->w, ",\"attr\":", 8);
        write_cstring(&j->w, attrs[0].name);
    }
    ds_wbuf_putc(&j->w, ',');
    write_keyed_value(&j->w, "value", ds_attr_value(&attrs[0]), ds_attr_value_len(&attrs[0]));
    if (nattrs > 1) {
        ds_wbuf_write(&j->w, ",\"attrs\":{", 10);
        for (size_t i = 1; i < nattrs; i++) {
            if (i > 1) ds_wbuf_putc(&j->w, ',');
            write_keyed_value(&j->w, attrs[i].name, ds_attr_value(&attrs[i]), ds_attr_value_len(&attrs[i]));
        }
        ds_wbuf_putc(&j->w, '}');
    }
    ds_wbuf_putc(&j->w, '}');
    item_end(j);
}

static void json_comment(ds_sink *s, const char *text, size_t len, unsigned flags)
{
    json_sink *j = json_of(s);
    (void)flags;
    item_begin(j);
    ds_wbuf_write(&j->w, "{\"comment\":", 11);
    ds_json_write_string(&j->w, text ? text : "", text ? len : 0);
    ds_wbuf_putc(&j->w, '}');
    item_end(j);
}

static void json_diagnostic(ds_sink *s, const ds_diag *d)
{
    json_sink *j = json_of(s);
    item_begin(j);
    ds_wbuf_write(&j->w, "{\"diagnostic\":{\"code\":", 22);
    write_cstring(&j->w, d->code ? d->code : "");
    ds_wbuf_write(&j->w, ",\"severity\":", 12);
    write_cstring(&j->w, ds_severity_name(d->severity));
    ds_wbuf_write(&j->w, ",\"offset\":", 10);
    ds_wbuf_udec(&j->w, d->offset);
    ds_wbuf_write(&j->w, ",\"frame\":", 9);
    ds_wbuf_udec(&j->w, d->frame);
    ds_wbuf_write(&j->w, ",\"line\":", 8);
    ds_wbuf_udec(&j->w, d->line);
    ds_wbuf_write(&j->w, ",\"message\":", 11);
    ds_json_write_string(&j->w, d->message, strnlen(d->message, sizeof d->message));
    ds_wbuf_write(&j->w, "}}", 2);
    item_end(j);
}

static int json_error(const ds_sink *s)
{
    const json_sink *j = (const json_sink *)s->ctx;
    return j->w.error;
}

static void json_flush(ds_sink *s)
{
    ds_wbuf_finish(&((json_sink *)s->ctx)->w);
}

static void json_destroy(ds_sink *s)
{
    json_sink *j = json_of(s);
    ds_wbuf_finish(&j->w);
    ds_levels_free(&j->levels);
    free(j);
}

ds_sink *ds_json_sink_new(FILE *out)
{
    if (!out) return NULL;
    json_sink *j = malloc(sizeof *j);
    if (!j) return NULL;
    memset(&j->base, 0, sizeof j->base);
    if (ds_levels_init(&j->levels, 128) != 0) {
        free(j);
        return NULL;
    }
    ds_wbuf_init(&j->w, out, j->block, sizeof j->block);
    j->base.ctx = j;
    j->base.begin_document = json_begin_document;
    j->base.end_document = json_end_document;
    j->base.open = json_open;
    j->base.close = json_close;
    j->base.leaf = json_leaf;
    j->base.leaf_attrs = json_leaf_attrs;
    j->base.comment = json_comment;
    j->base.diagnostic = json_diagnostic;
    j->base.destroy = json_destroy;
    j->base.error = json_error;
    j->base.flush = json_flush;
    return &j->base;
}
