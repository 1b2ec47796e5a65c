/* Text helpers shared by the sinks: UTF-8 checks and JSON string escaping.
 *
 * Values and comment texts come from the decoded input and may hold any
 * byte, so every sink must check them before they reach a text format. */
#ifndef DS_OUT_TEXT_H
#define DS_OUT_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include "sinks/wbuf.h"

/* Length (2..4) of the well-formed UTF-8 sequence at p, whose first byte is >= 0x80;
 * 0 when it is not well-formed (stray continuation byte, overlong form, surrogate,
 * above U+10FFFF, or cut short by the end of the n available bytes). *cp gets the
 * code point. */
size_t ds_utf8_seq(const unsigned char *p, size_t n, uint32_t *cp);

/* Non-zero when all n bytes are well-formed UTF-8 (NUL and controls included). */
int ds_utf8_valid(const char *s, size_t n);

/* A JSON string with its quotes. Quote, backslash and control characters are
 * escaped (\" \\ \n \t \r \b \f, others \u00XX); bytes that are not well-formed
 * UTF-8 become \uFFFD, one per byte. */
void ds_json_write_string(ds_wbuf *w, const char *s, size_t n);

#endif
