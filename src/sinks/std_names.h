/* The one mapping between our Gurux-dialect element names and the IEC 62056
 * standard XML representation (ASN.1 identifiers of the Green Book COSEMpdu,
 * written as x:-prefixed elements in the namespace DS_STD_NS).
 *
 * Both directions read these tables: the standard XML sink (decode output,
 * src/sinks/std_xml_sink.c) maps Gurux -> standard, ds_std_xml_to_simple
 * (encode input, src/encode/std_xml.c) maps standard -> Gurux. Sources and
 * decisions are documented at the top of std_names.c. */
#ifndef DS_OUT_STD_NAMES_H
#define DS_OUT_STD_NAMES_H

#define DS_STD_NS "http://www.dlms.com/COSEMpdu"
#define DS_STD_PREFIX "x"

/* Row flags */
#define DS_STD_VALUE 0x1u    /* a leaf whose value is the element text; empty text is an empty value */
#define DS_STD_ENUM 0x2u     /* the text is an enumeration spelling mapped with ds_std_value_* */
#define DS_STD_BITS 0x4u     /* holds conformance bits as empty elements named by ds_std_bit_* */
#define DS_STD_DESC 0x8u     /* compact-array type description: children are type names, Qty is kept */
#define DS_STD_DERIVED 0x10u /* no source spelled it; derived from the ASN.1 by the kebab-case rule */

typedef struct ds_std_name {
    const char *gurux;   /* our element name */
    const char *std;     /* standard element name, without prefix */
    unsigned flags;
    const char *parent;  /* std -> Gurux only: this row applies when the parent is this Gurux name */
} ds_std_name;

/* Row for a Gurux element name (exact), or NULL. */
const ds_std_name *ds_std_by_gurux(const char *gurux);
/* Row for a standard element name inside a parent whose Gurux name is `gurux_parent`
 * (may be NULL). Exact match first, then case-insensitive. NULL when unknown. */
const ds_std_name *ds_std_by_std(const char *std, const char *gurux_parent);

/* Enumeration spellings of the leaf `element` (its Gurux name): Gurux value -> standard, and
 * back. A few standard spellings mean different Gurux values in different elements (the
 * ServiceError enumerations reuse Data-Access-Result words). NULL when not a known spelling. */
const char *ds_std_value_to_std(const char *gurux_value, const char *element);
const char *ds_std_value_to_gurux(const char *std_value, const char *element);

/* Conformance bit names (ConformanceBit Name="..."): Gurux <-> ASN.1 named bit. */
const char *ds_std_bit_to_std(const char *gurux_bit);
const char *ds_std_bit_to_gurux(const char *std_bit);

#endif
