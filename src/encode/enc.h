/* Encoder context: reading XML elements and turning their values into bytes.
 *
 * The encoder walks a libxml2 tree. These helpers hide what the dialects
 * disagree on: element names compare case-insensitively and without a
 * namespace prefix, the value is the Value attribute (or ValueHex, or the
 * first attribute, as Gurux reads it), comments and white space are skipped.
 * The first error is kept with its XML line; the PDU it belongs to is then
 * not written. */
#ifndef DS_ENCODE_ENC_H
#define DS_ENCODE_ENC_H

#include <libxml/tree.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define DS_ENC_MAX_DEPTH 64

/* What the numbers of a unit say about their notation, gathered while it is encoded when the
 * document does not say (GURUX-XML.md §1 notation, §5, §8). Whether each reading works at
 * all is seen from encoding the unit both ways; these are the hints on top: Gurux's hex mode
 * pads fixed-size numbers to two digits per byte, its decimal mode never pads. */
typedef struct ds_num_evidence {
    int hex_votes, dec_votes;
    long hex_line, dec_line;          /* the first of each, for the message */
    char hex_why[96], dec_why[96];
    long differ_line;                 /* the first APDU number that reads differently, 0 = none */
    int frame_differ;                 /* a frame field reads differently */
    char differ_why[128];
} ds_num_evidence;

typedef struct ds_enc {
    int decimal;            /* numbers are decimal (Gurux XmlClient scripts); hex otherwise */
    ds_num_evidence *ev;    /* notes on the notation when it is being inferred, else NULL */
    int depth;
    int stopped;            /* an <Undecoded> was written: the rest of its scope (the APDU, or the
                               BER field) is in it, so the fields after it are not encoded */
    char error[256];        /* first error, "" when none */
    long error_line;
} ds_enc;

void ds_enc_init(ds_enc *enc, int decimal);
/* Records the first error (with the node's line) and returns -1. */
int ds_enc_fail(ds_enc *enc, const xmlNode *node, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- tree walking ---- */
/* First / next element child, skipping comments, text and processing instructions. */
xmlNode *ds_x_first(const xmlNode *parent);
xmlNode *ds_x_next(const xmlNode *node);
/* Number of element children. */
size_t ds_x_count(const xmlNode *parent);
/* Element name without prefix, compared case-insensitively with `name`. */
int ds_x_is(const xmlNode *node, const char *name);
const char *ds_x_name(const xmlNode *node);
long ds_x_line(const xmlNode *node);
/* The attribute `name` (case-insensitive), or NULL. The string belongs to the node. */
const char *ds_x_attr(const xmlNode *node, const char *name);

/* The value of a leaf: Value, else the first attribute that is not a known extra (Gurux
 * reads the first attribute whatever its name), else NULL. *is_hex is set when the value
 * came from a ValueHex attribute (bytes written as hex because XML could not carry them). */
const char *ds_x_value(const xmlNode *node, int *is_hex);

/* ---- values ---- */
/* Flags of ds_enc_uint(). */
#define DS_NUM_HEX_ALWAYS 1 /* hex in both modes (FrameType, a Boolean's byte) */
#define DS_NUM_PADDED 2     /* Gurux's hex mode writes 2 digits per byte (hN fields, data) */
#define DS_NUM_FRAME 4      /* a frame envelope's field (addresses, M-Bus header) */

/* Unsigned number in the document's convention (hex or decimal), or hex when flags hold
 * DS_NUM_HEX_ALWAYS. Checks it fits in `bytes` bytes. */
int ds_enc_uint(ds_enc *enc, const xmlNode *node, const char *text, int flags, size_t bytes, uint64_t *out);
/* An element count written as Qty (not read for the bytes): which reading gives the true
 * count is a hint on the notation. */
void ds_enc_note_count(ds_enc *enc, const xmlNode *node, const char *qty, size_t count);
/* Signed: decimal with '-' in decimal mode, two's complement hex of exactly `bytes` bytes
 * (or fewer digits) in hex mode. */
int ds_enc_sint(ds_enc *enc, const xmlNode *node, const char *text, size_t bytes, int64_t *out);
/* Hex string (spaces allowed between byte pairs) appended to out; odd length is an error.
 * expect < 0: any length; else exactly `expect` bytes. */
int ds_enc_hex(ds_enc *enc, const xmlNode *node, const char *text, long expect, ds_buf *out);
/* Decimal number (both modes). */
int ds_enc_dec(ds_enc *enc, const xmlNode *node, const char *text, uint64_t max, uint64_t *out);

/* The leaf's value, required: fails with "missing Value" otherwise. */
const char *ds_enc_need_value(ds_enc *enc, const xmlNode *node);

#endif
