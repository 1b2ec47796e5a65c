/* Human names for protocol numbers: OBIS codes, interface classes, units, dates. */
#ifndef DS_NAMES_H
#define DS_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "dlmscope/value.h"

/* "a.b.c.d.e.f" in decimal. buf >= 24. Returns length. */
size_t ds_obis_format(const uint8_t obis[6], char *buf);
/* Longest meaning of an OBIS code (the table is checked against it when compiled), and the
 * room ds_obis_text() needs. */
#define DS_OBIS_NAME_MAX 63
#define DS_OBIS_TEXT_MAX (23 + 1 + DS_OBIS_NAME_MAX)
/* "a.b.c.d.e.f" followed, when the code has a standard meaning, by a space and the meaning:
 * the comment shown for an OBIS code. buf >= DS_OBIS_TEXT_MAX; no NUL. *named (when named is
 * not NULL) tells whether a meaning was found. Returns the length. */
size_t ds_obis_text(const uint8_t obis[6], char *buf, int *named);
/* Standard meaning of an OBIS code ("Clock", "Active energy import (+A), total"), or NULL. */
const char *ds_obis_meaning(const uint8_t obis[6]);
/* 1 when the OBIS table is sorted, without a code twice (for the tests). */
int ds_obis_table_sorted(void);
/* 1 when the OBIS index finds every row of the table under its own code (for the tests). */
int ds_obis_table_indexed(void);
/* The i-th meaning of the OBIS table, NULL past its end (for the tests). */
const char *ds_obis_table_name(size_t i);
/* ---- COSEM interface classes ----
 *
 * A type description is a few bytes in prefix form, made of A-XDR type tags (DS_DATA_* of
 * dlmscope/value.h): a simple type is its tag; a structure is DS_DATA_STRUCTURE, the number of
 * its elements, then each element's description; an array is DS_DATA_ARRAY then its element's
 * description (any count). DS_TYPE_ANY stands for any type (a register's value, a CHOICE). So
 * image transfer's method 1 parameter, structure {octet-string, double-long-unsigned}, is
 * 02 02 09 06. */
#define DS_TYPE_ANY 0xFE
#define DS_TYPE_SPEC_MAX_DEPTH 8

typedef struct ds_member_def {
    const char *name;      /* "time", "remote_disconnect"; NULL ends a list */
    const uint8_t *type;   /* attribute type or method parameter type, prefix form */
} ds_member_def;

typedef struct ds_class_def {
    uint16_t id;
    uint8_t version;              /* the version this program implements (REFERENCE.md §8.1) */
    const char *name;
    const ds_member_def *attributes; /* attribute i is attributes[i - 1]; NULL: not described */
    const ds_member_def *methods;    /* method i is methods[i - 1]; NULL: none described */
} ds_class_def;

/* The definition of a class, or NULL. */
const ds_class_def *ds_class_find(uint16_t class_id);
/* The i-th row of the table (from 0), NULL past its end (for the tests). */
const ds_class_def *ds_class_at(size_t i);
/* Attribute or method (from 1) of a class, or NULL; attribute 1 (logical_name, an octet
 * string) for every class. */
const ds_member_def *ds_class_attribute(const ds_class_def *c, unsigned attribute);
const ds_member_def *ds_class_method(const ds_class_def *c, unsigned method);
/* How many attributes (at least 1) and methods the table describes. */
unsigned ds_class_attribute_count(const ds_class_def *c);
unsigned ds_class_method_count(const ds_class_def *c);
/* Bytes of the type description at spec (n bytes available), 0 when it is malformed. */
size_t ds_type_spec_len(const uint8_t *spec, size_t n);

/* Where a value does not fit a type description: the elements from the outside in (the
 * container's A-XDR tag, structure or array, and the element's number from 1), the part that
 * differs (NULL when the description is malformed or nests too deep), and, when that part is a
 * structure of another count, the count the description wants. */
struct ds_value;
typedef struct ds_type_step {
    uint8_t container;
    size_t element;
} ds_type_step;
typedef struct ds_type_misfit {
    size_t depth;
    ds_type_step path[DS_TYPE_SPEC_MAX_DEPTH + 1];
    const struct ds_value *value;
    int count_differs;
    size_t want_count;
} ds_type_misfit;

/* The one value-type check, for the emulator (values of its model, parameters it is called
 * with) and the client (typed steps before they are sent): 1 when v (a DATA value of
 * dlmscope/value.h) has the type described at spec (n bytes), else 0 and, when why is not NULL,
 * where it differs. */
int ds_type_fits(const uint8_t *spec, size_t n, const struct ds_value *v, ds_type_misfit *why);

/* Interface class name ("Clock", "Register", "Association LN"), or NULL. */
const char *ds_class_name(uint16_t class_id);
/* Name of an attribute or a method (numbered from 1) of an interface class ("time" for Clock
 * attribute 2, "remote_disconnect" for Disconnect control method 1), or NULL when the class or
 * the number is not in the table (the common classes of REFERENCE.md §8; attribute 1,
 * logical_name, for every known class). */
const char *ds_attribute_name(uint16_t class_id, unsigned attribute);
const char *ds_method_name(uint16_t class_id, unsigned method);
/* Unit symbol for the scaler_unit enum ("Wh", "V"), or NULL. */
const char *ds_unit_name(uint8_t unit);

/* Date-time (12 bytes), date (5) or time (4) as ISO 8601 exactly as encoded, no time zone
 * conversion: "2021-01-24T13:48:57.80" + deviation as "+01:00"-style offset when specified
 * (deviation is minutes local->UTC, so -60 is written +01:00), unspecified fields as
 * "*" (e.g. "*-*-05T..."), and status flags appended in words (" dst", " invalid" ...).
 * Returns length written (< bufsz), or 0 when the bytes are not a plausible date/time
 * (month 13, hour 25, ...), or when bufsz is too small for the text. */
size_t ds_datetime_format(const uint8_t *p, size_t n, char *buf, size_t bufsz);
/* A buffer this large holds every date text and its NUL (93 + 1). */
#define DS_DATETIME_TEXT_MAX 94

#endif
