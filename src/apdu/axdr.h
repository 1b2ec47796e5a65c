/* A-XDR data (the Data CHOICE of the Green Book): decoding to sink events. */
#ifndef DS_APDU_AXDR_H
#define DS_APDU_AXDR_H

#include <stddef.h>
#include <stdint.h>
#include "event/emit.h"
#include "util/cursor.h"

/* A-XDR type tags */
enum {
    DS_T_NULL = 0, DS_T_ARRAY = 1, DS_T_STRUCTURE = 2, DS_T_BOOLEAN = 3, DS_T_BIT_STRING = 4,
    DS_T_INT32 = 5, DS_T_UINT32 = 6, DS_T_FLOATING_POINT = 7, DS_T_OCTET_STRING = 9,
    DS_T_VISIBLE_STRING = 10, DS_T_UTF8_STRING = 12, DS_T_BCD = 13, DS_T_INT8 = 15,
    DS_T_INT16 = 16, DS_T_UINT8 = 17, DS_T_UINT16 = 18, DS_T_COMPACT_ARRAY = 19,
    DS_T_INT64 = 20, DS_T_UINT64 = 21, DS_T_ENUM = 22, DS_T_FLOAT32 = 23, DS_T_FLOAT64 = 24,
    DS_T_DATE_TIME = 25, DS_T_DATE = 26, DS_T_TIME = 27, DS_T_DONT_CARE = 255
};

/* Decodes one Data element at the cursor and emits it (comments included when on).
 * Returns 0 on success. On failure returns -1 after reporting a diagnostic
 * (data.bad-length, apdu.truncated, data.unknown-type, apdu.too-deep); every container
 * it opened is closed, and c->pos is left at the first byte it could not decode. */
int ds_axdr_data(ds_emit *e, ds_cursor *c);

/* How a type's value is laid out after its tag, from the one type table (axdr.c): */
typedef enum ds_axdr_form {
    DS_AXDR_NONE = 0,      /* not a Data type */
    DS_AXDR_BARE,          /* nothing (null, dont-care) */
    DS_AXDR_FIXED,         /* ds_axdr_type_size() bytes */
    DS_AXDR_COUNTED,       /* a length, then that many bytes (octet, visible, utf8 string) */
    DS_AXDR_BITS,          /* a bit count, then the bytes holding the bits */
    DS_AXDR_CONTAINER,     /* a count, then that many Data (array, structure) */
    DS_AXDR_COMPACT        /* a type description, a length, the contents (compact-array) */
} ds_axdr_form;
ds_axdr_form ds_axdr_type_form(uint8_t tag);
/* What a type's value is, finer than its form (for the encoders): */
typedef enum ds_axdr_kind {
    DS_AXDR_K_NONE = 0, DS_AXDR_K_BARE, DS_AXDR_K_CONTAINER, DS_AXDR_K_BOOLEAN, DS_AXDR_K_BITS,
    DS_AXDR_K_UNSIGNED,   /* unsigned integers, enum, BCD */
    DS_AXDR_K_SIGNED,
    DS_AXDR_K_REAL,       /* float32, float64 */
    DS_AXDR_K_DATE,       /* date-time, date, time */
    DS_AXDR_K_OCTETS, DS_AXDR_K_TEXT, DS_AXDR_K_COMPACT
} ds_axdr_kind;
ds_axdr_kind ds_axdr_type_kind(uint8_t tag);
/* The tag of the type whose element name is `name` (case-insensitive), or -1. */
int ds_axdr_type_named(const char *name);
/* Content bytes of a fixed-size type, 0 for the others. */
size_t ds_axdr_type_size(uint8_t tag);
/* 1 for the signed integer types. */
int ds_axdr_type_signed(uint8_t tag);

/* Steps over one Data at the cursor without decoding it, by the same type table; a compact
 * array's type description is checked as the decoder checks it, its contents are stepped over
 * by their length. 0, or -1 when the bytes are not one Data (the cursor is then anywhere). */
int ds_axdr_skip(ds_cursor *c, int depth);

/* The Gurux element name for a type tag ("UInt8", "OctetString", ...), NULL if unknown. */
const char *ds_axdr_type_name(uint8_t tag);

/* Emits the comment that goes before an octet string value: OBIS code with its
 * meaning for 6 bytes, a date for 12/5/4 bytes that parse as one, printable text.
 * Nothing when comments are off or nothing fits. */
void ds_axdr_octets_comment(ds_emit *e, const uint8_t *p, size_t n);

#endif
