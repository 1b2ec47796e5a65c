/* XML text pieces shared by the XML writers. */
#ifndef DS_OUT_XML_TEXT_H
#define DS_OUT_XML_TEXT_H

#include <stddef.h>

#include <stdio.h>

#include "dlmscope/diag.h"
#include "dlmscope/sink.h"
#include "sinks/levels.h"
#include "sinks/wbuf.h"

/* What both XML writers keep between calls. */
typedef struct ds_xml_state {
    ds_wbuf w;
    ds_levels levels;   /* per open container, a writer's flags (e.g. opened flat) */
    size_t indent;      /* indentation level of the next line */
    int in_document;    /* the root element is open */
    char block[DS_WBUF_SIZE + DS_WBUF_SLACK];
} ds_xml_state;

/* 0, or -1 out of memory. */
int ds_xml_state_init(ds_xml_state *st, FILE *out);
/* Flushes the output and frees the state's memory (not st itself). */
void ds_xml_state_free(ds_xml_state *st);

/* Length of the leading run of bytes that need neither escaping nor checking. */
size_t ds_xml_plain_run(const unsigned char *p, size_t n);
/* Whether the bytes can be XML text at all (no C0 controls but TAB/LF/CR, well-formed UTF-8). */
int ds_xml_writable(const unsigned char *p, size_t n);
/* Writes checked bytes with & < > " TAB LF CR escaped. */
void ds_xml_escaped(ds_wbuf *w, const unsigned char *p, size_t n);
/* ` attr="value"`, or ` attrHex="HEX"` when the value cannot be XML text. */
void ds_xml_attr(ds_wbuf *w, const char *attr, const char *value, size_t len);
/* The attributes as ds_xml_attr() writes them (` a="v"` each) into out, for a caller that gives
 * the same ones for many elements (a capture's From and To per connection side: ds_meta
 * from_to_xml). Returns the length; 0 when they do not fit in cap or a value needs escaping
 * (they are then written one by one). */
size_t ds_xml_attrs_run(char *out, size_t cap, const ds_attr *attrs, size_t n);
/* 1 when text can be a comment's content as it is: ASCII 0x20..0x7F, no "--", no '-' at the end.
 * The first checks 16 bytes at a time where the machine allows; the second byte by byte (the
 * reference the first is tested against). */
int ds_xml_comment_verbatim(const unsigned char *p, size_t n);
int ds_xml_comment_verbatim_bytes(const unsigned char *p, size_t n);
/* <!--text-->\n after `indent` blanks: "--" broken up, no trailing '-', CR/LF as spaces,
 * illegal characters as '?'. flags DS_TEXT_PLAIN: the text is known to need none of that. */
void ds_xml_comment_line(ds_wbuf *w, size_t indent, const char *text, size_t len, unsigned flags);
/* <!--severity code offset=N: message-->\n */
void ds_xml_diagnostic(ds_wbuf *w, const ds_diag *d);

#endif
