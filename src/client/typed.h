/* Typed script steps of `dlmscope run` (<Get>, <Set>, <Method>, <Expect>): the Gurux request
 * they stand for, and the check of their values against the COSEM class table (names/). */
#ifndef DS_CLIENT_TYPED_H
#define DS_CLIENT_TYPED_H

#include <stddef.h>
#include <stdint.h>

#include "dlmscope/value.h"

/* What a typed step names: the class, the object's logical name and the attribute or method. */
typedef struct typed_ref {
    uint16_t class_id;
    uint8_t obis[6];
    unsigned index;
} typed_ref;

/* "a.b.c.d.e.f" (decimal) or 12 hex digits: 0, or -1. */
int typed_parse_obis(const char *text, uint8_t obis[6]);
/* A number in decimal or 0x-hex no larger than max: 0, or -1. */
int typed_parse_uint(const char *text, unsigned long max, unsigned long *out);

/* The type description at spec (names.h) as the script writes types: "Int8",
 * "Structure{OctetString, UInt32}", "Array of UInt8", "any". Returns buf. */
const char *typed_spec_text(const uint8_t *spec, size_t n, char *buf, size_t cap);

/* Checks a Set's value (method = 0; v NULL: a Get, only that the attribute exists) or a Method's
 * parameter (method = 1, v NULL when the request carries none) against the class table: 0, or -1 with a message that names the member
 * and the type it takes. A class or member the table does not describe is not checked. */
int typed_check(const typed_ref *ref, int method, const ds_value *v, char *err, size_t errlen);

#endif
