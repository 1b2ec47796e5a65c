/* Reads APDU elements through the PDU descriptions (src/apdu/schema.h) into values, which
 * src/apdu/value_encode.c writes: the inverse of schema_decode.c, driven by the same tables. */
#ifndef DS_ENCODE_SCHEMA_ENCODE_H
#define DS_ENCODE_SCHEMA_ENCODE_H

#include <libxml/tree.h>

#include "apdu/schema.h"
#include "encode/enc.h"
#include "util/buf.h"

/* 1 when the element is an APDU element (GetRequest, AssociationRequest, glo_GetRequest ...). */
int ds_apdu_is_element(const xmlNode *node);
/* The same test on an element name (without prefix). */
int ds_apdu_is_name(const char *name);
/* Encodes an APDU element (tag byte included). 0 or -1 with the error in enc. */
int ds_apdu_encode(ds_enc *enc, const xmlNode *node, ds_buf *out);
/* Frees the arena this thread keeps from one ds_apdu_encode to the next (the end of a run). */
void ds_apdu_encode_release(void);

#endif
