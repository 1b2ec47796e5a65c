/* Reading the IEC 62056 standard XML representation (x:-prefixed ASN.1 names in the namespace
 * http://www.dlms.com/COSEMpdu, values as element text) by turning it into our Gurux dialect,
 * so that the one encoder (schema_encode.c, axdr_encode.c) encodes it unchanged.
 * The names come from the table in src/sinks/std_names.c, which the standard XML writer uses too. */
#ifndef DS_ENCODE_STD_XML_H
#define DS_ENCODE_STD_XML_H

#include <libxml/tree.h>

#include "encode/enc.h"

/* Rewrites the subtree at `node` in place: every element in the COSEMpdu namespace gets its
 * Gurux name and loses its namespace, a leaf's text becomes its Value attribute (enumeration
 * spellings mapped back), conformance bits become <ConformanceBit Name=".." />. Elements in
 * no namespace (frame envelopes, Gurux-dialect parts) are left as they are, their children
 * are still visited. Numbers are not converted: the standard writes integers in decimal, so
 * encode the result with a decimal ds_enc. 0, or -1 via ds_enc_fail (unknown standard name,
 * text where the element takes none, nesting too deep). */
int ds_std_xml_to_simple(ds_enc *enc, xmlNode *node);

/* 1 when the element is in the COSEMpdu namespace (the cue to call ds_std_xml_to_simple). */
int ds_std_xml_is_std(const xmlNode *node);

#endif
