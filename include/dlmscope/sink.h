/* Output sinks: where decoded structure goes.
 *
 * The decoder never formats XML or JSON itself; it describes what it found
 * as a stream of events (open a container, a leaf with a value, a comment,
 * close) and a sink turns them into text. Values arrive already formatted
 * as strings (hex or decimal per the options), so every sink shows the same
 * numbers. Events arrive in document order and are always balanced: every
 * open() has its close(), also when decoding fails half way. */
#ifndef DLMSCOPE_SINK_H
#define DLMSCOPE_SINK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "dlmscope/diag.h"

#ifdef __cplusplus
extern "C" {
#endif

/* open() flags */
#define DS_OPEN_FLAT 0x1u  /* children are written at the parent's indentation (Gurux frame envelopes) */

/* leaf(), comment() and ds_attr flags */
#define DS_TEXT_PLAIN 0x1u  /* the value or text is printable ASCII (0x20..0x7E) without & < > " \,
                             * without "--" and not ending in '-': every writer may copy it as it
                             * is. Set by the decoder for what it formats itself (numbers, hex, its
                             * own notes), never for bytes taken from the input. */
#define DS_ATTR_SIZED 0x2u  /* ds_attr only: name_len and value_len are the strings' lengths */
#define DS_LEAF_NUMBER 0x4u /* leaf() only: the value is an integer in decimal (-?[0-9]+), so that
                              * a typed writer (JSON) can write it as a number; set in decimal mode */

/* An attribute: name and value are NUL-terminated strings (value NULL = empty). DS_ATTR(name,
 * value) is a complete attribute; the decoder's frequent ones (Qty, len) also say their lengths and
 * that the value is plain (DS_ATTR_SIZED | DS_TEXT_PLAIN), so that a writer neither measures
 * nor scans them. Read the lengths with ds_attr_name_len() / ds_attr_value_len(). */
typedef struct ds_attr {
    const char *name;
    const char *value;
    unsigned flags;       /* DS_ATTR_SIZED, DS_TEXT_PLAIN (of the value) */
    unsigned name_len;    /* with DS_ATTR_SIZED */
    size_t value_len;     /* with DS_ATTR_SIZED */
} ds_attr;

/* An attribute of NUL-terminated strings (designated, so that the other fields are zero). */
#define DS_ATTR(nm, v) {.name = (nm), .value = (v)}
/* An attribute made by the program: literal name, plain value of known length. */
#define DS_ATTR_PLAIN(nm, v, vlen) {(nm), (v), DS_ATTR_SIZED | DS_TEXT_PLAIN, sizeof("" nm) - 1, (vlen)}

static inline size_t ds_attr_name_len(const ds_attr *a)
{
    return (a->flags & DS_ATTR_SIZED) ? a->name_len : strlen(a->name);
}
static inline size_t ds_attr_value_len(const ds_attr *a)
{
    if (a->flags & DS_ATTR_SIZED) return a->value_len;
    return a->value ? strlen(a->value) : 0;
}
static inline const char *ds_attr_value(const ds_attr *a) { return a->value ? a->value : ""; }

/* Attributes as the XML writers write them, in DS_ATTR_RUN_PIECES pieces of text joined in
 * order (ds_sink.open_run); the first three are short (at most 32 bytes each), any may be empty. */
#define DS_ATTR_RUN_PIECES 4
typedef struct ds_attr_run {
    const char *text[DS_ATTR_RUN_PIECES];
    size_t len[DS_ATTR_RUN_PIECES];
} ds_attr_run;

typedef struct ds_sink ds_sink;

/* What the decoder knows about a frame before its elements: given to frame_begin(). */
typedef struct ds_sink_frame {
    uint64_t number;   /* 1-based frame number */
    uint64_t offset;   /* stream offset of the frame's first byte */
    const char *type;  /* "HDLC", "wrapper", "M-Bus" or "raw" */
} ds_sink_frame;

/* Element and attribute names are program text (NUL-terminated). Elements also come with their
 * length, so that a writer never has to measure them; attributes may (see ds_attr). */
struct ds_sink {
    void *ctx;
    /* Start/end of the whole output (e.g. the <Messages> root). */
    void (*begin_document)(ds_sink *s);
    void (*end_document)(ds_sink *s);
    /* <name a1="v1" a2="v2"> ... ; attrs may be NULL when nattrs is 0 */
    void (*open)(ds_sink *s, const char *name, size_t name_len, const ds_attr *attrs, size_t nattrs,
                 unsigned flags);
    void (*close)(ds_sink *s, const char *name, size_t name_len);
    /* <name Value="value" />, the common leaf. flags: DS_TEXT_PLAIN. */
    void (*leaf)(ds_sink *s, const char *name, size_t name_len, const char *value, size_t value_len,
                 unsigned flags);
    /* A human note placed before the element it describes; text is not escaped by the caller.
     * flags: DS_TEXT_PLAIN. */
    void (*comment)(ds_sink *s, const char *text, size_t len, unsigned flags);
    /* A diagnostic at the place it occurs. */
    void (*diagnostic)(ds_sink *s, const ds_diag *d);
    /* Release the sink's resources; flushes pending output. */
    void (*destroy)(ds_sink *s);
    /* Non-zero once writing the output failed (short write, failed flush, out of
     * memory); output after the failure is dropped. May be NULL (never fails). */
    int (*error)(const ds_sink *s);
    /* Every other leaf: <name a1="v1" a2="v2" />, the first attribute being its value
     * (<TargetAddress Value="11" Size="4" />, <ConformanceBit Name="Get" />), or a bare leaf
     * such as <None /> when nattrs is 0. Required, like open, close, leaf and comment. */
    void (*leaf_attrs)(ds_sink *s, const char *name, size_t name_len, const ds_attr *attrs, size_t nattrs);
    /* <name Value="HEX" /> for raw bytes, the sink writing the hex itself (no intermediate
     * string: octet strings, segments, and integers in hex mode, whose text is their bytes, are
     * most of the output). May be NULL: the bytes are then formatted and passed to leaf(). */
    void (*leaf_hex)(ds_sink *s, const char *name, size_t name_len, const unsigned char *p, size_t n);
    /* Push what is buffered to the underlying stream now (live input). May be NULL. */
    void (*flush)(ds_sink *s);
    /* A frame begins: its elements follow. May be NULL (the XML writers need nothing). */
    void (*frame_begin)(ds_sink *s, const ds_sink_frame *f);
    /* open() of an element whose attributes after the first nhead are also given as the text an
     * XML writer writes for them (run: a capture's frame envelope, ` Direction="ToServer" Time="`,
     * the time, `"` and ` From="a" To="b"`, the last made once per connection side by
     * ds_xml_attrs_run()): an XML writer copies run's pieces instead of writing those attributes
     * one by one. May be NULL (the writers that are not the Gurux XML one): open() is called with
     * them all. */
    void (*open_run)(ds_sink *s, const char *name, size_t name_len, const ds_attr *attrs, size_t nhead,
                     const ds_attr_run *run, unsigned flags);
};

/* Gurux simple-XML writer on a stdio stream (not closed by the sink). */
ds_sink *ds_xml_sink_new(FILE *out);
/* Marks the XML document's numbers as decimal: the root becomes <Messages Numbers="decimal" >,
 * which `dlmscope encode` reads. Call before begin_document; no effect on other sinks. */
void ds_xml_sink_set_decimal(ds_sink *s, int decimal);
/* IEC 62056 standard XML writer (x:-prefixed ASN.1 names, namespace http://www.dlms.com/COSEMpdu,
 * values as element text) on a stdio stream. Frame envelopes stay as in the Gurux writer,
 * unprefixed. Integers are expected in decimal: decode with ds_options.decimal = 1. */
ds_sink *ds_std_xml_sink_new(FILE *out);
/* JSON writer: one JSON object per top-level element (frame), one per line. */
ds_sink *ds_json_sink_new(FILE *out);
/* A sink that discards everything (benchmarks, fuzzing). */
ds_sink *ds_null_sink_new(void);

/* Convenience wrappers: call the sink's function if it has one. */
void ds_sink_destroy(ds_sink *s);
/* Non-zero after a write error (see ds_sink.error); 0 for sinks without one. */
int ds_sink_error(const ds_sink *s);
/* Calls the sink's flush when it has one. */
void ds_sink_flush(ds_sink *s);
/* leaf_attrs() with the name measured (nothing for a NULL sink or name). */
void ds_sink_leaf_attrs(ds_sink *s, const char *name, const ds_attr *attrs, size_t nattrs);

/* Writes one diagnostic as a JSON line:
 * {"code": "...", "severity": "...", "offset": N, "frame": N, "line": N, "message": "..."} */
void ds_diag_write_json(FILE *out, const ds_diag *d);

#ifdef __cplusplus
}
#endif
#endif
