/* PDU schema: one description of each APDU, walked by generic code.
 *
 * Every APDU is described once, as a tree of ds_field values (see
 * pdu_xdlms.c and pdu_acse.c). schema_decode.c walks a description over
 * bytes and emits XML events; the encoder walks the same description over
 * an XML tree and produces bytes. Because both directions read the same
 * table, bytes -> XML -> bytes is exact by construction as long as each
 * field kind is invertible, which is the rule for adding a kind here.
 *
 * Field kinds fall in three groups:
 *  - A-XDR fixed fields (UINT, INT, BYTES, ENUM, BOOL) and length-prefixed
 *    octets (OCTETS);
 *  - structure: GROUP (a named container), OPTIONAL (00/01 presence byte),
 *    CHOICE (a tag byte selects an alternative), SEQ_OF (count + items),
 *    DATA (an A-XDR Data), APDU (a nested APDU, e.g. in user-information);
 *  - BER for ACSE: BER_SEQ (tagged fields in any order), BER_TLV (one
 *    universal-tagged value), BER_CHOICE, and REST_* kinds that take all
 *    bytes of the enclosing TLV.
 */
#ifndef DS_APDU_SCHEMA_H
#define DS_APDU_SCHEMA_H

#include <stddef.h>
#include <stdint.h>
#include "event/emit.h"
#include "util/cursor.h"

typedef enum ds_fkind {
    SK_END = 0,    /* terminates a field list */
    SK_UINT,       /* big-endian unsigned, `size` bytes */
    SK_INT,        /* big-endian two's complement, `size` bytes */
    SK_BYTES,      /* exactly `size` bytes, HEX */
    SK_OCTETS,     /* A-XDR length + bytes, HEX */
    SK_ENUM,       /* `size` (1) byte, written as its name from `names` */
    SK_BARE,       /* consumes nothing; writes <name /> (an alternative without content) */
    SK_GROUP,      /* <name> sub... </name>; name NULL = transparent sequence */
    SK_OPTIONAL,   /* 00 = absent, 01 = present: then sub[0] */
    SK_CHOICE,     /* tag byte, then the matching alternative's sub list */
    SK_PEEK_CHOICE,/* like CHOICE, but the byte stays: it begins the alternative (encoder: the first
                      alternative whose shape matches the XML wins) */
    SK_SEQ_OF,     /* A-XDR count, then count times sub[0]; <name Qty=".."> */
    SK_DATA,       /* one A-XDR Data */
    SK_CONFORMANCE,/* 5F 1F 04 00 + 24 bits as <ConformanceBit Name=".." /> */
    SK_APDU,       /* a nested APDU filling the rest of the enclosing buffer */
    SK_BER_SEQ,    /* BER length, then context-tagged fields (alts by BER tag) */
    SK_BER_TLV,    /* universal TLV with tag `tag`; sub[0] decoded over its value */
    SK_BER_CHOICE, /* one TLV whose tag selects the alternative */
    SK_REST_UINT,  /* all remaining bytes (1..4) as an unsigned number */
    SK_REST_ENUM,  /* all remaining bytes (1) as an enum name */
    SK_REST_BYTES, /* all remaining bytes, HEX */
    SK_REST_BITS,  /* BER bit string content: unused-bits byte + bits as 0/1 chars */
    SK_REST_OID    /* all remaining bytes are an OID; named by `names` keyed on the last arc */
} ds_fkind;

/* How numbers are written */
typedef enum ds_nfmt {
    NF_HEX = 0,    /* hex, zero-padded to 2*size digits (Gurux hN); decimal in decimal mode */
    NF_HEX_NOPAD,  /* hex without padding (Gurux hx); decimal in decimal mode */
    NF_DEC,        /* decimal in both modes */
    NF_HEX_ALWAYS  /* hex, padded, in both modes (InstanceId, VariableName) */
} ds_nfmt;

typedef struct ds_enum {
    uint32_t value;
    const char *name;
} ds_enum;   /* tables end with {0, NULL} */

typedef struct ds_field ds_field;

/* Writes a comment about a field's value before its element; p/n are the field's bytes. */
typedef void (*ds_comment_fn)(ds_emit *e, const uint8_t *p, size_t n, uint64_t value);

/* Decoders of alternatives (CHOICE, BER_SEQ, BER_CHOICE) */
typedef struct ds_alt {
    uint8_t tag;
    const ds_field *body;   /* field list ending with SK_END */
} ds_alt;

struct ds_field {
    ds_fkind kind;
    const char *name;       /* element name; NULL where the kind allows it */
    uint8_t name_len;       /* strlen(name), set with the name by DS_NAME: the writers are given it */
    uint8_t size;           /* bytes of fixed fields */
    uint8_t fmt;            /* ds_nfmt */
    uint8_t tag;            /* BER_TLV universal tag */
    uint8_t has_default;    /* CHOICE: use default_body for tags not in alts */
    const ds_field *sub;    /* GROUP/OPTIONAL/SEQ_OF/BER_TLV: field list ending with SK_END */
    const ds_alt *alts;     /* CHOICE/BER_SEQ/BER_CHOICE: ends with {0, NULL} */
    const ds_field *default_body;
    const ds_enum *names;   /* ENUM/REST_ENUM/REST_OID, CHOICE tag leaf names */
    const char *tag_leaf;   /* CHOICE: write the tag byte as <tag_leaf Value=name/> before the body */
    ds_comment_fn comment;
    const char *len_error;  /* diagnostic code when a length exceeds what is left; default data.bad-length */
    uint8_t observe;        /* DS_OBS_*: report the field's bytes to the security layer */
};

/* Fields the security layer learns from (ds_emit.observe) */
enum {
    DS_OBS_NONE = 0,
    DS_OBS_CALLING_TITLE,     /* AARQ calling-AP-title: the client's system title */
    DS_OBS_RESPONDING_TITLE,  /* AARE responding-AP-title: the server's system title */
    DS_OBS_DEDICATED_KEY,     /* InitiateRequest dedicated-key */
    DS_OBS_MECHANISM,         /* mechanism-name (OID bytes) */
    DS_OBS_CTOS,              /* AARQ calling-authentication-value */
    DS_OBS_STOC,              /* AARE responding-authentication-value */
    DS_OBS_AARE_RESULT,       /* AARE result */
    DS_OBS_PROPOSED_CONFORMANCE,   /* InitiateRequest proposed-conformance (5F 1F 04 00 + 3 bytes) */
    DS_OBS_PROPOSED_MAX_PDU,       /* InitiateRequest client-max-receive-pdu-size (2 bytes) */
    DS_OBS_NEGOTIATED_CONFORMANCE, /* InitiateResponse negotiated-conformance */
    DS_OBS_NEGOTIATED_MAX_PDU      /* InitiateResponse server-max-receive-pdu-size */
};

/* A field's name and its length: `nm` is a string literal or NULL (no name; a pointer variable
 * would not be a constant in a static table, so the length is that of the literal). */
#define DS_NAME(nm) .name = (nm), .name_len = DS_LITERAL_LEN(nm)
#define DS_LITERAL_LEN(nm) ((uint8_t)_Generic((nm), char *: sizeof(nm) - 1, const char *: sizeof(nm) - 1, default: 0))

/* Field list helpers for the tables (compound literals have static storage at file scope). */
#define DS_LIST(...) ((const ds_field[]){__VA_ARGS__, {.kind = SK_END}})
#define DS_EMPTY ((const ds_field[]){{.kind = SK_END}})
#define DS_ALTS(...) ((const ds_alt[]){__VA_ARGS__, {0, NULL}})
#define DS_ALT(t, ...) {(t), DS_LIST(__VA_ARGS__)}

#define F_U8(nm)       {.kind = SK_UINT, DS_NAME(nm), .size = 1}
#define F_U16(nm)      {.kind = SK_UINT, DS_NAME(nm), .size = 2}
#define F_U32(nm)      {.kind = SK_UINT, DS_NAME(nm), .size = 4}
#define F_DEC8(nm)     {.kind = SK_UINT, DS_NAME(nm), .size = 1, .fmt = NF_DEC}
#define F_BYTES(nm, n) {.kind = SK_BYTES, DS_NAME(nm), .size = (n), .fmt = NF_HEX_ALWAYS}
#define F_OCTETS(nm)   {.kind = SK_OCTETS, DS_NAME(nm)}
#define F_ENUM(nm, t)  {.kind = SK_ENUM, DS_NAME(nm), .size = 1, .names = (t)}
#define F_DATA         {.kind = SK_DATA}
#define F_BARE(nm)     {.kind = SK_BARE, DS_NAME(nm)}
#define F_GROUP(nm, ...) {.kind = SK_GROUP, DS_NAME(nm), .sub = DS_LIST(__VA_ARGS__)}
#define F_OPTIONAL(...)  {.kind = SK_OPTIONAL, .sub = DS_LIST(__VA_ARGS__)}
#define F_SEQ_OF(nm, ...) {.kind = SK_SEQ_OF, DS_NAME(nm), .sub = DS_LIST(__VA_ARGS__)}
#define F_CHOICE(nm, ...) {.kind = SK_CHOICE, DS_NAME(nm), .alts = DS_ALTS(__VA_ARGS__)}

/* Decodes one field at the cursor. 0 on success; -1 after a reported error, with every
 * container it opened closed and c->pos at the first byte it could not decode. */
int ds_schema_decode(ds_emit *e, ds_cursor *c, const ds_field *f);
/* Decodes a field list up to SK_END. */
int ds_schema_decode_list(ds_emit *e, ds_cursor *c, const ds_field *list);

/* Name for a value in an enum table, or NULL. */
const char *ds_enum_name(const ds_enum *t, uint32_t v);

#endif
