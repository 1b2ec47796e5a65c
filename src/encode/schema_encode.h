/* Walks a PDU description (src/apdu/schema.h) over XML elements and writes the bytes:
 * the inverse of schema_decode.c, driven by the same tables. */
#ifndef DS_ENCODE_SCHEMA_ENCODE_H
#define DS_ENCODE_SCHEMA_ENCODE_H

#include <libxml/tree.h>

#include "apdu/schema.h"
#include "encode/enc.h"
#include "util/buf.h"

/* Encodes one field, consuming elements from *cur (the next sibling not yet used; NULL at
 * the end). `parent` is only used to name the place of a missing element. 0 or -1. */
int ds_schema_encode(ds_enc *enc, const ds_field *f, xmlNode **cur, const xmlNode *parent, ds_buf *out);
int ds_schema_encode_list(ds_enc *enc, const ds_field *list, xmlNode **cur, const xmlNode *parent, ds_buf *out);

/* 1 when the element is an APDU element (GetRequest, AssociationRequest, glo_GetRequest ...). */
int ds_apdu_is_element(const xmlNode *node);
/* The same test on an element name (without prefix). */
int ds_apdu_is_name(const char *name);
/* Encodes an APDU element (tag byte included). 0 or -1 with the error in enc. */
int ds_apdu_encode(ds_enc *enc, const xmlNode *node, ds_buf *out);

#endif
