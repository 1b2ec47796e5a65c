/* A-XDR Data encoding: the inverse of src/apdu/axdr.c.
 *
 * Reads one Data element of the XML dialect (<UInt8 Value="05" />,
 * <Array Qty="02" > ... </Array>, <CompactArray> ... ) and appends its A-XDR
 * bytes, type tag included. Numbers follow enc->decimal (hex otherwise);
 * octet strings, floats and date/time bytes are hex in both modes; Qty of
 * Array/Structure is not read (the count is the number of child elements),
 * except in a container cut short by an <Undecoded> (the bytes the decoder
 * could not read, written back as they are): its items are not all there. */
#ifndef DS_ENCODE_AXDR_ENCODE_H
#define DS_ENCODE_AXDR_ENCODE_H

#include <libxml/tree.h>

#include "dlmscope/value.h"
#include "encode/enc.h"
#include "util/buf.h"

/* 1 when the element is an A-XDR Data element (None, Array, Structure, Boolean, ... CompactArray, DontCare). */
int ds_axdr_is_data(const xmlNode *node);

/* Appends the A-XDR encoding (type tag included) of the Data element `node` to out.
 * 0 ok; -1 after ds_enc_fail() (out may then hold a partial encoding). */
int ds_axdr_encode(ds_enc *enc, const xmlNode *node, ds_buf *out);

/* Reads the Data element `node` into a Data value appended to parent's children (in arena a;
 * scratch: a buffer for the leaves' bytes). The same reading as ds_axdr_encode: an <Undecoded>
 * becomes raw bytes (and sets enc->stopped), a container it cut short keeps its Qty. 0, or -1
 * after ds_enc_fail(). */
int ds_axdr_read_value(ds_enc *enc, const xmlNode *node, ds_value_arena *a, ds_buf *scratch, ds_value *parent);

/* The count a container announced (its Qty, in the document's number convention), for one
 * whose items an <Undecoded> cut short. */
int ds_enc_qty(ds_enc *enc, const xmlNode *node, size_t *count);

#endif
