/* XML text pieces shared by the XML writers. */
#ifndef DS_OUT_XML_TEXT_H
#define DS_OUT_XML_TEXT_H

#include <stddef.h>

#include "dlmscope/diag.h"
#include "out/wbuf.h"

/* Length of the leading run of bytes that need neither escaping nor checking. */
size_t ds_xml_plain_run(const unsigned char *p, size_t n);
/* Whether the bytes can be XML text at all (no C0 controls but TAB/LF/CR, well-formed UTF-8). */
int ds_xml_writable(const unsigned char *p, size_t n);
/* Writes checked bytes with & < > " TAB LF CR escaped. */
void ds_xml_escaped(ds_wbuf *w, const unsigned char *p, size_t n);
/* ` attr="value"`, or ` attrHex="HEX"` when the value cannot be XML text. */
void ds_xml_attr(ds_wbuf *w, const char *attr, const char *value, size_t len);
/* <!--text-->\n: "--" broken up, no trailing '-', CR/LF as spaces, illegal characters as '?'. */
void ds_xml_comment(ds_wbuf *w, const char *text, size_t len);
/* <!--severity code offset=N: message-->\n */
void ds_xml_diagnostic(ds_wbuf *w, const ds_diag *d);

#endif
