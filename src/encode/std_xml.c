/* Standard XML -> Gurux dialect, in place (see std_xml.h). The inverse of
 * src/sinks/std_xml_sink.c, driven by the same table. */
#include "encode/std_xml.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sinks/std_names.h"

/* The XML tree is walked recursively; libxml2 limits a document's depth to 256 itself, this
 * keeps our own recursion bounded whatever parser options the caller used. */
#define STD_MAX_DEPTH 256

int ds_std_xml_is_std(const xmlNode *node)
{
    return node && node->type == XML_ELEMENT_NODE && node->ns && node->ns->href &&
           strcmp((const char *)node->ns->href, DS_STD_NS) == 0;
}

static int is_text(const xmlNode *n)
{
    return n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE;
}

static int has_element_child(const xmlNode *node)
{
    for (const xmlNode *c = node->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) return 1;
    return 0;
}

static int all_space(const xmlChar *s)
{
    for (; s && *s; s++)
        if (!isspace(*s)) return 0;
    return 1;
}

/* Non-zero when some text child holds more than white space. */
static int has_text(const xmlNode *node)
{
    for (const xmlNode *c = node->children; c; c = c->next)
        if (is_text(c) && !all_space(c->content)) return 1;
    return 0;
}

static void drop_text_children(xmlNode *node)
{
    xmlNode *c = node->children;
    while (c) {
        xmlNode *next = c->next;
        if (is_text(c)) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        }
        c = next;
    }
}

/* Strings keep their spaces, also inside compact-array contents (whose values may be strings);
 * everything else (numbers, hex, enumeration words) is trimmed. */
static int keeps_spaces(const ds_std_name *row)
{
    static const char *const KEEP[] = {"String", "StringUTF8", "ArrayContents", "Row"};
    for (size_t i = 0; i < sizeof KEEP / sizeof KEEP[0]; i++)
        if (strcmp(row->gurux, KEEP[i]) == 0) return 1;
    return 0;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    size_t lead = 0;
    while (s[lead] && isspace((unsigned char)s[lead])) lead++;
    if (lead) memmove(s, s + lead, n - lead + 1);
}

static void rename_to(xmlNode *node, const char *gurux)
{
    xmlNodeSetName(node, (const xmlChar *)gurux);
    xmlSetNs(node, NULL);
}

/* A leaf's text becomes its Value attribute. */
static int text_to_value(ds_enc *enc, xmlNode *node, const ds_std_name *row, const char *std_name)
{
    if (xmlHasProp(node, (const xmlChar *)"Value") || xmlHasProp(node, (const xmlChar *)"ValueHex")) {
        if (has_text(node)) return ds_enc_fail(enc, node, "<x:%s> has both a Value attribute and text", std_name);
        drop_text_children(node);
        return 0;
    }
    xmlChar *content = xmlNodeGetContent(node);
    if (!content) return ds_enc_fail(enc, node, "out of memory");
    char *text = (char *)content;
    if (!keeps_spaces(row)) trim(text);
    const char *value = text;
    if (row->flags & DS_STD_ENUM) {
        const char *g = ds_std_value_to_gurux(text, row->gurux);
        if (g) value = g;
    }
    xmlAttr *a = xmlSetProp(node, (const xmlChar *)"Value", (const xmlChar *)value);
    xmlFree(content);
    if (!a) return ds_enc_fail(enc, node, "out of memory");
    drop_text_children(node);
    return 0;
}

/* Set conformance bits: <x:get /> -> <ConformanceBit Name="Get" />. */
static int rewrite_bits(ds_enc *enc, xmlNode *parent)
{
    for (xmlNode *c = parent->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        const char *bit = ds_std_bit_to_gurux((const char *)c->name);
        if (!ds_std_xml_is_std(c) || !bit)
            return ds_enc_fail(enc, c, "<%s> is not a conformance bit", (const char *)c->name);
        if (has_element_child(c) || has_text(c))
            return ds_enc_fail(enc, c, "conformance bit <x:%s> takes no content", (const char *)c->name);
        rename_to(c, "ConformanceBit");
        if (!xmlSetProp(c, (const xmlChar *)"Name", (const xmlChar *)bit)) return ds_enc_fail(enc, c, "out of memory");
        drop_text_children(c);
    }
    return 0;
}

static int rewrite(ds_enc *enc, xmlNode *node, const char *gurux_parent, int in_desc, int depth);

static int rewrite_children(ds_enc *enc, xmlNode *node, const char *gurux_name, int in_desc, int depth)
{
    for (xmlNode *c = node->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        if (rewrite(enc, c, gurux_name, in_desc, depth + 1)) return -1;
    }
    return 0;
}

static int rewrite(ds_enc *enc, xmlNode *node, const char *gurux_parent, int in_desc, int depth)
{
    if (depth > STD_MAX_DEPTH) return ds_enc_fail(enc, node, "XML nested more than %d levels", STD_MAX_DEPTH);
    if (!ds_std_xml_is_std(node)) return rewrite_children(enc, node, (const char *)node->name, in_desc, depth);

    const char *std_name = (const char *)node->name;
    const ds_std_name *row = ds_std_by_std(std_name, gurux_parent);
    if (!row) return ds_enc_fail(enc, node, "<x:%s> is not a known standard XML element", std_name);
    /* row->gurux is static; std_name dies with the rename, keep a copy for messages */
    char name[96];
    snprintf(name, sizeof name, "%s", std_name);
    rename_to(node, row->gurux);

    if (row->flags & DS_STD_BITS) return rewrite_bits(enc, node);
    int desc = in_desc || (row->flags & DS_STD_DESC) != 0;
    if (has_element_child(node)) {
        if (has_text(node)) return ds_enc_fail(enc, node, "<x:%s> holds both text and elements", name);
        return rewrite_children(enc, node, row->gurux, desc, depth);
    }
    /* a type description names types: <x:long-unsigned /> is a type, not an empty value */
    if (in_desc) {
        if (has_text(node)) return ds_enc_fail(enc, node, "type <x:%s> in a contents-description takes no text", name);
        drop_text_children(node);
        return 0;
    }
    if (!(row->flags & (DS_STD_VALUE | DS_STD_ENUM))) {
        if (has_text(node)) return ds_enc_fail(enc, node, "<x:%s> takes no text", name);
        drop_text_children(node);
        return 0;
    }
    /* Result and ServiceError are containers when empty, enumeration leaves with text */
    if (!(row->flags & DS_STD_VALUE) && !has_text(node)) return 0;
    return text_to_value(enc, node, row, name);
}

int ds_std_xml_to_simple(ds_enc *enc, xmlNode *node)
{
    if (!node) return ds_enc_fail(enc, NULL, "no XML element to convert");
    const char *parent = NULL;
    if (node->parent && node->parent->type == XML_ELEMENT_NODE && !ds_std_xml_is_std(node->parent))
        parent = (const char *)node->parent->name;
    return rewrite(enc, node, parent, 0, 0);
}
