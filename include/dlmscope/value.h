/* Values: APDUs and A-XDR Data as a tree, both ways.
 *
 * ds_value_decode_apdu() turns the bytes of one APDU into a tree of ds_value nodes, one node per
 * field of the APDU's description (the same tables that drive the XML decoder: a node's `name`
 * is the element name of the XML output); ds_value_encode_apdu() writes such a tree back to
 * bytes. Whatever decoded without an error encodes back to the same bytes (length forms that
 * are longer than needed included: `len_bytes` keeps them).
 *
 * The tree of an APDU:
 *   APDU (tag = the APDU tag)
 *     the APDU's layout: CHOICE "GetResponse" (tag = 01) -> GROUP "GetResponseNormal" -> ...
 * Fields without a name (an OPTIONAL, an unnamed CHOICE, a BER TLV, a Data value) are nodes too;
 * ds_value_find() looks through them, so a path names only named fields:
 *   "GetResponse/GetResponseNormal/Result/Data".
 *
 * A-XDR Data is a DS_VALUE_DATA node whose `tag` is the A-XDR type (DS_DATA_*):
 *   null, dont-care          nothing
 *   array, structure         children (count)
 *   boolean                  u (the byte as sent: 00, 01, or another byte meaning true)
 *   bit-string               bytes (the bits, first bit in the high bit of bytes[0]), u = bit count
 *   integers, enum, bcd      u (the bytes as an unsigned number); signed types also in i
 *   float32, float64         bytes (4 or 8, big-endian IEEE 754), f = the value
 *   octet/visible/utf8       bytes
 *   date-time, date, time    bytes (12, 5, 4); ds_value_datetime() gives the parsed view
 *   compact-array            child 1: DS_VALUE_TYPE "ContentsDescription" (the element type:
 *                            tag = A-XDR type, structure: children; array: u = count, child =
 *                            element type); child 2: GROUP "ArrayContents" whose children are
 *                            the elements as Data nodes (written without their tags).
 *
 * Raw bytes (DS_VALUE_RAW, what the XML calls <Undecoded>): bytes a decoder could not read, kept
 * so that they encode back as they came. Where a field (or a list item, or a Data element) is
 * expected, a RAW value holds the rest of its scope, tags included: it is written as it is and
 * nothing more is written in that scope (the scope is the APDU, or the BER field it is in).
 *   CHOICE flagged DS_VALUE_UNCHOSEN, child RAW   the choice's tag could not be read: the bytes
 *                                                 stand for tag and body
 *   named BER choice, UNCHOSEN, child RAW         the whole TLV as it is (no stop)
 *   RAW among the TAGGED fields of a BER sequence one field as it is (no stop)
 *   compact-array DATA, child RAW                 all its bytes after the type tag
 * A LIST or an array/structure that raw bytes cut short carries DS_VALUE_CUT_SHORT with u = the
 * count its length announced (the items are not all there); ds_value_cut_short() sets it.
 *
 * Memory: every node and every byte string lives in an arena with caller-given limits; nothing
 * is allocated beyond them (the call that would is refused with a message). One call frees it. */
#ifndef DLMSCOPE_VALUE_H
#define DLMSCOPE_VALUE_H

#include <stddef.h>
#include <stdint.h>
#include "dlmscope/diag.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ds_value_kind {
    DS_VALUE_NUMBER = 1, /* unsigned number: u (len = its byte count where the wire form varies) */
    DS_VALUE_SIGNED,     /* signed number: i (u holds its bytes) */
    DS_VALUE_BYTES,      /* bytes, len: fixed-size, length-prefixed or a whole BER value */
    DS_VALUE_ENUM,       /* enumerated value: u; ds_value_enum_name() spells it */
    DS_VALUE_BARE,       /* an alternative without content */
    DS_VALUE_GROUP,      /* a sequence of fields: children */
    DS_VALUE_OPTIONAL,   /* u = 1: present, children = its fields; u = 0: absent */
    DS_VALUE_CHOICE,     /* tag = the chosen alternative; children = its fields */
    DS_VALUE_LIST,       /* SEQUENCE OF: children = the items */
    DS_VALUE_DATA,       /* A-XDR Data: tag = its type (see above) */
    DS_VALUE_CONFORMANCE,/* u = the 24 conformance bits (bit 0 of the block = 0x800000) */
    DS_VALUE_APDU,       /* an APDU: tag; child = its layout */
    DS_VALUE_TAGGED,     /* a BER TLV: tag; children = the fields of its value */
    DS_VALUE_BITS,       /* a BER bit string: bytes = unused-bits count byte + the bits; u = bit count */
    DS_VALUE_OID,        /* an object identifier: bytes = its BER content */
    DS_VALUE_TYPE,       /* a compact-array type description (see above) */
    DS_VALUE_RAW         /* bytes no description read (an <Undecoded>): written as they are; see below */
} ds_value_kind;

/* A-XDR Data types (Green Book Data CHOICE tags) */
enum {
    DS_DATA_NULL = 0, DS_DATA_ARRAY = 1, DS_DATA_STRUCTURE = 2, DS_DATA_BOOLEAN = 3, DS_DATA_BIT_STRING = 4,
    DS_DATA_DOUBLE_LONG = 5, DS_DATA_DOUBLE_LONG_UNSIGNED = 6, DS_DATA_OCTET_STRING = 9,
    DS_DATA_VISIBLE_STRING = 10, DS_DATA_UTF8_STRING = 12, DS_DATA_BCD = 13, DS_DATA_INTEGER = 15,
    DS_DATA_LONG = 16, DS_DATA_UNSIGNED = 17, DS_DATA_LONG_UNSIGNED = 18, DS_DATA_COMPACT_ARRAY = 19,
    DS_DATA_LONG64 = 20, DS_DATA_LONG64_UNSIGNED = 21, DS_DATA_ENUM = 22, DS_DATA_FLOAT32 = 23,
    DS_DATA_FLOAT64 = 24, DS_DATA_DATE_TIME = 25, DS_DATA_DATE = 26, DS_DATA_TIME = 27,
    DS_DATA_DONT_CARE = 255
};

/* value flags */
#define DS_VALUE_UNCHOSEN 0x01 /* a CHOICE (or BER choice, nested APDU) without an alternative yet */
#define DS_VALUE_DEFAULT  0x02 /* a CHOICE whose alternative is the description's default */
#define DS_VALUE_CUT_SHORT 0x04 /* a LIST or Data array/structure ended by raw bytes: u = the count announced */

typedef struct ds_value ds_value;
struct ds_value {
    ds_value_kind kind;
    const char *name;     /* the field's element name, NULL for unnamed fields; Data: NULL */
    uint8_t tag;          /* CHOICE, TAGGED, APDU: the tag; DATA, TYPE: the A-XDR type */
    uint8_t len_bytes;    /* bytes its length or count took on the wire; 0 or too few: shortest form */
    uint8_t flags;        /* DS_VALUE_* */
    uint64_t u;
    int64_t i;
    double f;
    const uint8_t *bytes; /* in the arena */
    size_t len;
    size_t count;         /* children */
    ds_value *child;      /* first child */
    ds_value *next;       /* next sibling */
    size_t offset;        /* decoded: byte offset of the field in the decoded buffer */
    const void *field;    /* the library's description of the field (internal) */
};

typedef struct ds_value_arena ds_value_arena;

/* An arena for at most max_nodes nodes and max_bytes bytes of byte strings; NULL without memory. */
ds_value_arena *ds_value_arena_new(size_t max_nodes, size_t max_bytes);
/* Frees every node of the arena and the arena. */
void ds_value_arena_free(ds_value_arena *a);
/* Drops every node, keeps the arena (its memory) for the next APDU. */
void ds_value_arena_reset(ds_value_arena *a);
/* Why the last allocation was refused ("" when none was). */
const char *ds_value_arena_error(const ds_value_arena *a);

/* ---- bytes -> values ---- */

/* Decodes the APDU in p[0..n) into a tree. Returns 0 when all of it decoded; -1 after an error,
 * described in *err (code, offset into p, message; err may be NULL), with *out holding what
 * decoded (NULL when nothing did). Warnings (a length longer than needed) are not errors. */
int ds_value_decode_apdu(ds_value_arena *a, const uint8_t *p, size_t n, ds_value **out, ds_diag *err);
/* Decodes one A-XDR Data at p; *used = its bytes. Same contract. */
int ds_value_decode_data(ds_value_arena *a, const uint8_t *p, size_t n, size_t *used, ds_value **out,
                         ds_diag *err);

/* ---- values -> bytes ---- */

/* Writes the APDU (a DS_VALUE_APDU tree) into buf, never more than cap bytes; *len = bytes written.
 * buf NULL: nothing is written, *len = the bytes it takes (a value that cannot be written is
 * refused all the same).
 * Returns 0, or -1 with a message naming the field's path in err (a value of the wrong kind, too
 * long for its length form, an unknown choice, too many elements, or buf too small). */
int ds_value_encode_apdu(const ds_value *apdu, uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz);
/* The same for one A-XDR Data value (with its tag). */
int ds_value_encode_data(const ds_value *data, uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz);

/* ---- finding values ---- */

/* The field at a '/'-separated path of names below node (unnamed fields are looked through),
 * or NULL. */
ds_value *ds_value_find(const ds_value *node, const char *path);
/* The first field named `name` anywhere below node (depth first), or NULL. */
ds_value *ds_value_find_any(const ds_value *node, const char *name);
/* The i-th child (0-based), or NULL. */
ds_value *ds_value_child(const ds_value *node, size_t i);
/* The first Data value at or below node, or NULL. */
ds_value *ds_value_data(const ds_value *node);
/* The name of an ENUM value in its field's table, or NULL. */
const char *ds_value_enum_name(const ds_value *v);

/* Convenience getters over an APDU tree: 0 when found, -1 when the APDU has no such field. */
int ds_value_invoke_id(const ds_value *apdu, uint32_t *out);      /* the invoke-id-and-priority byte(s) */
int ds_value_class_id(const ds_value *apdu, uint16_t *out);
int ds_value_instance_id(const ds_value *apdu, uint8_t out[6]);   /* the OBIS code */
int ds_value_attribute_id(const ds_value *apdu, uint8_t *out);    /* attribute or method id */
/* The result: a data-access-result or action-result; 0 (success) for a response carrying data. */
int ds_value_result(const ds_value *apdu, uint32_t *out);

/* ---- date-time, date, time ---- */

#define DS_DT_UNSPECIFIED_YEAR 0xFFFF
#define DS_DT_UNSPECIFIED 0xFF            /* month, day, weekday, hour, ...: not specified */
#define DS_DT_UNSPECIFIED_DEVIATION (-32768)
#define DS_DT_DST_END 0xFD                /* month: daylight saving ends */
#define DS_DT_DST_BEGIN 0xFE              /* month: daylight saving begins */
#define DS_DT_LAST_DAY 0xFE               /* day of month: the last; 0xFD the second last */

/* The fields of a date-time (12 bytes), date (5) or time (4); a field the form does not have is
 * 'not specified'. */
typedef struct ds_datetime {
    uint16_t year;
    uint8_t month, day, weekday;
    uint8_t hour, minute, second, hundredths;
    int16_t deviation;     /* minutes from local time to UTC */
    uint8_t clock_status;  /* DS_DT_UNSPECIFIED when not specified */
} ds_datetime;

/* The view of a date-time, date or time Data value (or of 12/5/4 bytes in an octet string): 0,
 * or -1 when v is neither. */
int ds_value_datetime(const ds_value *v, ds_datetime *out);
/* The bytes of a date-time (size 12), date (5) or time (4) from a view: returns size, 0 for other sizes. */
size_t ds_datetime_bytes(const ds_datetime *dt, uint8_t *out, size_t size);

/* ---- building values ---- */

/* An APDU of this tag with every field at its default (numbers 0, optionals absent, lists
 * empty, choices unchosen, Data null); NULL when the tag is not an APDU or the arena is full. */
ds_value *ds_value_new_apdu(ds_value_arena *a, uint8_t tag);
/* Chooses alternative `tag` of a CHOICE (or BER choice): its fields at their defaults. 0, or -1
 * when the choice has no such alternative (or the arena is full). */
int ds_value_choose(ds_value_arena *a, ds_value *choice, uint8_t tag);
/* Makes an OPTIONAL present (its fields at their defaults) or absent. */
int ds_value_set_present(ds_value_arena *a, ds_value *optional, int present);
/* Appends a default item to a LIST, or a field of BER tag `tag` to a BER sequence (a GROUP of
 * TAGGED fields); returns it, or NULL. */
ds_value *ds_value_add_item(ds_value_arena *a, ds_value *list);
ds_value *ds_value_add_tagged(ds_value_arena *a, ds_value *sequence, uint8_t tag);
/* Copies n bytes into the arena as v's bytes. */
int ds_value_set_bytes(ds_value_arena *a, ds_value *v, const uint8_t *p, size_t n);
/* Puts Data `data` in place of the first Data value below v (the node is copied into the arena,
 * its children are shared, not copied). */
int ds_value_set_data(ds_value_arena *a, ds_value *v, const ds_value *data);

/* Data values */
ds_value *ds_value_new_data(ds_value_arena *a, uint8_t type);          /* null, array, structure, ... */
ds_value *ds_value_new_uint(ds_value_arena *a, uint8_t type, uint64_t u); /* unsigned, enum, bcd, boolean */
ds_value *ds_value_new_int(ds_value_arena *a, uint8_t type, int64_t i);
ds_value *ds_value_new_bytes(ds_value_arena *a, uint8_t type, const uint8_t *p, size_t n); /* strings, dates, floats */
/* Raw bytes (see above): a copy of p[0..n) in the arena, or NULL. */
ds_value *ds_value_new_raw(ds_value_arena *a, const uint8_t *p, size_t n);
/* Marks a LIST or Data array/structure as cut short by raw bytes, announcing `count` items. */
void ds_value_cut_short(ds_value *container, uint64_t count);
/* Appends child to an array, structure or list; returns 0. */
int ds_value_append(ds_value *container, ds_value *child);

/* ---- builders: what a client or a server sends ---- */

/* A COSEM attribute or method reference */
typedef struct ds_cosem_ref {
    uint16_t class_id;
    uint8_t instance[6];   /* OBIS code */
    uint8_t id;            /* attribute or method */
} ds_cosem_ref;

/* Invoke-id-and-priority (iip): the invoke id in bits 0-3, bit 6 the service class (1 confirmed),
 * bit 7 the priority (1 high). DS_IIP_DEFAULT (C1) is invoke id 1, confirmed, high priority: what
 * a client sends when it has no reason to choose. */
#define DS_IIP_CONFIRMED 0x40u
#define DS_IIP_HIGH_PRIORITY 0x80u
#define DS_IIP_DEFAULT (DS_IIP_HIGH_PRIORITY | DS_IIP_CONFIRMED | 1u)

/* Each writes one APDU into buf (at most cap bytes), *len = its size; 0, or -1 with err. */
int ds_build_get_request_normal(uint8_t iip, const ds_cosem_ref *ref, uint8_t *buf, size_t cap, size_t *len,
                                char *err, size_t errsz);
int ds_build_get_request_next(uint8_t iip, uint32_t block_number, uint8_t *buf, size_t cap, size_t *len,
                              char *err, size_t errsz);
int ds_build_get_request_with_list(uint8_t iip, const ds_cosem_ref *refs, size_t n, uint8_t *buf, size_t cap,
                                   size_t *len, char *err, size_t errsz);
/* data NULL: the response carries data-access-result `result` instead */
int ds_build_get_response_normal(uint8_t iip, const ds_value *data, uint8_t result, uint8_t *buf, size_t cap,
                                 size_t *len, char *err, size_t errsz);
int ds_build_set_request_normal(uint8_t iip, const ds_cosem_ref *ref, const ds_value *data, uint8_t *buf,
                                size_t cap, size_t *len, char *err, size_t errsz);
int ds_build_set_response_normal(uint8_t iip, uint8_t result, uint8_t *buf, size_t cap, size_t *len, char *err,
                                 size_t errsz);
/* params NULL: no method invocation parameters */
int ds_build_action_request_normal(uint8_t iip, const ds_cosem_ref *ref, const ds_value *params, uint8_t *buf,
                                   size_t cap, size_t *len, char *err, size_t errsz);
/* data NULL: no return parameters */
int ds_build_action_response_normal(uint8_t iip, uint8_t result, const ds_value *data, uint8_t *buf, size_t cap,
                                    size_t *len, char *err, size_t errsz);
/* reason < 0: without a reason field */
int ds_build_release_request(int reason, uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz);
int ds_build_release_response(int reason, uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz);
int ds_build_exception_response(uint8_t state_error, uint8_t service_error, uint8_t *buf, size_t cap, size_t *len,
                                char *err, size_t errsz);
/* date_time NULL or n == 0: none (a 00 length) */
int ds_build_data_notification(uint32_t long_iip, const uint8_t *date_time, size_t n, const ds_value *data,
                               uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz);

/* An association request or response (AARQ, AARE): the ACSE fields and the xDLMS
 * InitiateRequest/InitiateResponse that rides in its user-information. */
typedef struct ds_association {
    uint8_t context;        /* application context name, last arc: 1 LN, 2 SN, 3 LN ciphered, 4 SN ciphered */
    int mechanism;          /* mechanism name, last arc (0..7); < 0: none (no ACSE requirements either) */
    const uint8_t *title;   /* calling (AARQ) or responding (AARE) AP title; NULL: none */
    size_t title_len;
    const uint8_t *auth;    /* calling (AARQ) or responding (AARE) authentication value; NULL: none */
    size_t auth_len;
    uint8_t result;         /* AARE: association-result (0 accepted, 1 rejected-permanent, 2 rejected-transient) */
    uint8_t diagnostic;     /* AARE: acse-service-user diagnostic */
    /* the InitiateRequest (AARQ) or InitiateResponse (AARE), when user_information is NULL */
    uint8_t dlms_version;   /* 6 */
    uint32_t conformance;   /* the 24 conformance bits */
    uint16_t max_pdu;       /* proposed (AARQ) or negotiated (AARE) max PDU size */
    uint16_t vaa_name;      /* AARE: 0x0007 for LN, 0xFA00 for SN */
    const uint8_t *dedicated_key; /* AARQ: NULL for none */
    size_t dedicated_key_len;
    /* or the user-information APDU as bytes (a ciphered InitiateRequest, a ConfirmedServiceError) */
    const uint8_t *user_information;
    size_t user_information_len;
} ds_association;

int ds_build_aarq(const ds_association *as, uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz);
int ds_build_aare(const ds_association *as, uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz);

/* ---- block transfer (DataBlock-SA: last-block, block-number, raw-data) ---- */

/* Receives one APDU of a split; a non-zero return stops the split (and is returned). */
typedef int (*ds_block_fn)(void *user, const uint8_t *apdu, size_t len);

/* Splits the encoded Data `data` (n bytes, tag included) into get-response-with-datablock APDUs
 * of at most block_size raw bytes each, numbered from 1, the last marked; fn gets each. 0, or -1
 * with err. */
int ds_split_get_response(uint8_t iip, const uint8_t *data, size_t n, size_t block_size, ds_block_fn fn,
                          void *user, char *err, size_t errsz);
/* The same for a set-request: set-request-with-first-datablock (with the attribute), then
 * set-request-with-datablock. */
int ds_split_set_request(uint8_t iip, const ds_cosem_ref *ref, const uint8_t *data, size_t n, size_t block_size,
                         ds_block_fn fn, void *user, char *err, size_t errsz);

/* Joins the raw data of the blocks of one transfer, in order. The one reassembly for both uses:
 * a party to the transfer (client, server) joins strictly with ds_block_join_add, which refuses
 * a block out of order; the decoder, which shows a trace as it is, joins one per sender with
 * ds_block_join_take, which says what happened (a restart, a repeated block, a gap) and goes on. */
typedef struct ds_block_join {
    uint8_t *out;        /* the caller's buffer, or the join's own (ds_block_join_init_growing) */
    size_t cap, len;     /* cap: the most bytes the whole may take */
    uint32_t next;       /* the block number expected next (from 1) */
    int done;            /* the last block is in */
    int open;            /* a transfer is in progress: its block 1 is in, its last is not */
    /* the highest block number since the last block 1, kept after the transfer ended (completed or
     * given up), so that a number going back is told from one whose earlier blocks are not there */
    uint32_t highest;
    /* GBT: a number a transfer may start at besides 1, the one after the sender's own
     * acknowledgement (an acknowledgement takes a number of the sender's counter); 0: none.
     * Set by the caller, kept while no transfer is open (ds_block_join_take) */
    uint32_t start_at;
    size_t first_len;    /* bytes of block 1 (the start of out) */
    int grows;           /* out belongs to the join and grows as needed, up to cap */
    size_t allocated;    /* growing: the size of out */
} ds_block_join;

void ds_block_join_init(ds_block_join *j, uint8_t *out, size_t cap);
/* A join that keeps the bytes itself, allocating as blocks come, never more than cap bytes;
 * ds_block_join_free releases them. */
void ds_block_join_init_growing(ds_block_join *j, size_t cap);
void ds_block_join_free(ds_block_join *j);
/* Adds the block of a decoded APDU (any form with LastBlock, BlockNumber and RawData: GET/SET
 * data blocks, ACTION pblocks). 1 when it was the last, 0 when more are to come, -1 with err (a
 * block out of order, a data-access-result instead of data, no room). */
int ds_block_join_add(ds_block_join *j, const ds_value *apdu, char *err, size_t errsz);

/* What ds_block_join_take did with a block. */
typedef enum ds_block_outcome {
    DS_BLOCK_TAKEN = 0,     /* added; more are to come */
    DS_BLOCK_COMPLETE,      /* added, and it was the last: the whole is out[0..len) */
    DS_BLOCK_REPEATED,      /* its number was taken before: ignored */
    DS_BLOCK_GAP,           /* its number is past the one expected: the transfer is given up */
    DS_BLOCK_BACKWARDS,     /* no transfer open, and its number is not past the highest seen: ignored */
    DS_BLOCK_NO_START,      /* no transfer open: the blocks before it are not there; ignored */
    DS_BLOCK_TOO_LARGE      /* the whole would pass cap (or no memory): the transfer is given up */
} ds_block_outcome;

typedef struct ds_block_step {
    ds_block_outcome outcome;
    /* block 1 came while a transfer was open, which is dropped and a new one begun with this block
     * (whose outcome follows): 1 with the same bytes as the open transfer's block 1, 2 with others */
    int restarted;
    uint32_t expected;      /* the number expected before this block (restart, gap) */
    uint32_t highest;       /* the highest number seen before this block (backwards) */
    size_t dropped;         /* bytes of a transfer given up (restart, gap) */
} ds_block_step;

/* Adds block `number` (from 1; last: the last-block flag) of the data p[0..n), the lenient way:
 * block 1 (again) starts a transfer, a repeated block is ignored, a gap gives the transfer up. */
ds_block_step ds_block_join_take(ds_block_join *j, uint32_t number, int last, const uint8_t *p, size_t n);
/* Ends the open transfer, if any, without completing it (the sender gave up: a data-access-result
 * instead of data). */
void ds_block_join_abandon(ds_block_join *j);
/* Takes the joined bytes away from a growing join after DS_BLOCK_COMPLETE: *out (free() it; NULL
 * when empty), the count returned. The join is then empty, its block numbers kept. */
size_t ds_block_join_detach(ds_block_join *j, uint8_t **out);

/* ---- more builders (same contract as above: one APDU into buf, 0 or -1 with err) ---- */

/* confirmed-service-error (0E): the service that failed (1 initiate, 5 read, 6 write ...), the
 * ServiceError kind (the choice's tag: 0 application-reference ... 6 initiate ... 10 other) and its
 * enumerated value. */
int ds_build_confirmed_service_error(uint8_t service, uint8_t error_kind, uint8_t error, uint8_t *buf, size_t cap,
                                     size_t *len, char *err, size_t errsz);
/* event-notification-request (C2): time NULL or n == 0: none; else 12 bytes of date-time. */
int ds_build_event_notification(const uint8_t *time, size_t n, const ds_cosem_ref *ref, const ds_value *value,
                                uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz);
/* get-response-with-list: n results; data[i] NULL (or data NULL): data-access-result results[i]. */
int ds_build_get_response_with_list(uint8_t iip, const ds_value *const *data, const uint8_t *results, size_t n,
                                    uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz);
/* set-request-with-list: n attributes and their n values (each required). */
int ds_build_set_request_with_list(uint8_t iip, const ds_cosem_ref *refs, const ds_value *const *values, size_t n,
                                   uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz);
int ds_build_set_response_with_list(uint8_t iip, const uint8_t *results, size_t n, uint8_t *buf, size_t cap,
                                    size_t *len, char *err, size_t errsz);
/* action-request-with-list: n methods; params[i] NULL (or params NULL): null-data. */
int ds_build_action_request_with_list(uint8_t iip, const ds_cosem_ref *refs, const ds_value *const *params, size_t n,
                                      uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz);
/* action-response-with-list: n action results; data[i] NULL (or data NULL): no return parameters. */
int ds_build_action_response_with_list(uint8_t iip, const uint8_t *results, const ds_value *const *data, size_t n,
                                       uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz);

/* ACTION with pblocks (DataBlock-SA: last, number, raw data): the first block names the method. */
int ds_build_action_request_with_first_pblock(uint8_t iip, const ds_cosem_ref *ref, int last, uint32_t number,
                                              const uint8_t *raw, size_t n, uint8_t *buf, size_t cap, size_t *len,
                                              char *err, size_t errsz);
int ds_build_action_request_with_pblock(uint8_t iip, int last, uint32_t number, const uint8_t *raw, size_t n,
                                        uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz);
int ds_build_action_response_with_pblock(uint8_t iip, int last, uint32_t number, const uint8_t *raw, size_t n,
                                         uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz);
/* The acknowledgements of a block transfer: the number of the block just received. */
int ds_build_action_request_next_pblock(uint8_t iip, uint32_t number, uint8_t *buf, size_t cap, size_t *len,
                                        char *err, size_t errsz);
int ds_build_action_response_next_pblock(uint8_t iip, uint32_t number, uint8_t *buf, size_t cap, size_t *len,
                                         char *err, size_t errsz);
int ds_build_set_response_datablock(uint8_t iip, uint32_t number, uint8_t *buf, size_t cap, size_t *len,
                                    char *err, size_t errsz);
int ds_build_set_response_last_datablock(uint8_t iip, uint8_t result, uint32_t number, uint8_t *buf, size_t cap,
                                         size_t *len, char *err, size_t errsz);
/* Like ds_split_set_request: action-request-with-first-pblock (with the method), then
 * action-request-with-pblock; data is the encoded method invocation parameters. */
int ds_split_action_request(uint8_t iip, const ds_cosem_ref *ref, const uint8_t *data, size_t n, size_t block_size,
                            ds_block_fn fn, void *user, char *err, size_t errsz);

/* General block transfer (E0): block-control (b7 last block, b6 streaming, b5..b0 window),
 * block number, block number acknowledged, block data. ds_block_join_add joins its blocks too. */
#define DS_GBT_LAST 0x80
#define DS_GBT_STREAMING 0x40
#define DS_GBT_WINDOW 0x3F
/* Conformance bit 2, general-block-transfer (bit 0 = the MSB of the 24-bit block). */
#define DS_CONFORMANCE_GBT 0x200000u
int ds_build_general_block_transfer(uint8_t control, uint16_t number, uint16_t ack, const uint8_t *data, size_t n,
                                    uint8_t *buf, size_t cap, size_t *len, char *err, size_t errsz);
typedef struct ds_gbt_params {
    uint16_t first_number; /* the number of the first block (1 opens an exchange) */
    uint16_t ack;          /* the block number acknowledged, the same in every block (0 with block 1: a new exchange) */
    uint8_t window;        /* 0..63: how many blocks this sender can receive in one stream */
    int streaming;         /* 1: every block but the last carries STR (the caller sends them without waiting) */
} ds_gbt_params;
/* Splits an encoded APDU (n bytes) into GBT blocks of at most block_size data bytes, numbered from
 * p->first_number, the last with the last-block bit; fn gets each. 0, or -1 with err. */
int ds_split_general_block_transfer(const uint8_t *apdu, size_t n, size_t block_size, const ds_gbt_params *p,
                                    ds_block_fn fn, void *user, char *err, size_t errsz);

#ifdef __cplusplus
}
#endif

#endif
