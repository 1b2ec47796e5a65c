/* Fuzz target: the standard XML representation, both directions.
 *
 * Input as APDU bytes: decoded (decimal, comments on or off by the input's length) into the
 * Gurux writer and into the standard writer. The standard output must be well-formed XML and
 * convert back without error; encoding the converted tree must give exactly what encoding the
 * Gurux output gives (same success, same bytes): the two dialects may not drift.
 * Input as XML text: parsed (XML_PARSE_NONET) and converted from its root; conversion and
 * encoding must fail cleanly or succeed, never crash. */
#include <libxml/parser.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/dlmscope.h"
#include "encode/schema_encode.h"
#include "encode/std_xml.h"

static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static char *decode_to(const uint8_t *data, size_t size, int standard, int comments, size_t *len)
{
    char *xml = NULL;
    FILE *out = open_memstream(&xml, len);
    if (!out) abort();
    ds_sink *sink = standard ? ds_std_xml_sink_new(out) : ds_xml_sink_new(out);
    if (!standard) ds_xml_sink_set_decimal(sink, 1);
    ds_options opt;
    ds_options_init(&opt);
    opt.decimal = 1;
    opt.comments = comments;
    sink->begin_document(sink);
    ds_decode_apdu_buffer(data, size, &opt, sink, NULL, NULL);
    sink->end_document(sink);
    ds_sink_destroy(sink);
    fclose(out);
    return xml;
}

static xmlNode *first_element(xmlNode *parent)
{
    for (xmlNode *n = parent ? parent->children : NULL; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE) return n;
    return NULL;
}

/* Encodes the first APDU element; -1 when there is none or encoding fails. */
static int encode_first(xmlDoc *doc, int convert, ds_buf *out)
{
    xmlNode *apdu = first_element(xmlDocGetRootElement(doc));
    if (!apdu) return -1;
    ds_enc enc;
    ds_enc_init(&enc, 1);
    if (convert && ds_std_xml_to_simple(&enc, apdu) != 0) abort(); /* our own output must convert */
    if (!ds_apdu_is_element(apdu)) return -1;
    int r = ds_apdu_encode(&enc, apdu, out);
    if ((r == 0) != (enc.error[0] == '\0')) abort();
    return r;
}

static void both_dialects(const uint8_t *data, size_t size)
{
    int comments = (int)(size & 1);
    size_t glen = 0, slen = 0;
    char *gxml = decode_to(data, size, 0, comments, &glen);
    char *sxml = decode_to(data, size, 1, comments, &slen);
    xmlDoc *gdoc = xmlReadMemory(gxml, (int)glen, "g.xml", NULL, XML_PARSE_NONET);
    xmlDoc *sdoc = xmlReadMemory(sxml, (int)slen, "s.xml", NULL, XML_PARSE_NONET);
    if (!sdoc || !gdoc) abort(); /* both writers must produce well-formed XML */
    ds_buf gb, sb;
    ds_buf_init(&gb);
    ds_buf_init(&sb);
    int gr = encode_first(gdoc, 0, &gb);
    int sr = encode_first(sdoc, 1, &sb);
    if (gr != sr) abort();
    if (gr == 0 && (gb.len != sb.len || memcmp(gb.p, sb.p, gb.len) != 0)) abort();
    ds_buf_free(&gb);
    ds_buf_free(&sb);
    xmlFreeDoc(gdoc);
    xmlFreeDoc(sdoc);
    free(gxml);
    free(sxml);
}

static void as_xml_text(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return;
    xmlDoc *doc = xmlReadMemory((const char *)data, (int)size, "in.xml", NULL, XML_PARSE_NONET);
    if (!doc) return;
    xmlNode *root = xmlDocGetRootElement(doc);
    ds_enc enc;
    ds_enc_init(&enc, 1);
    int r = ds_std_xml_to_simple(&enc, root);
    if ((r == 0) != (enc.error[0] == '\0')) abort();
    xmlNode *apdu = root && ds_apdu_is_element(root) ? root : first_element(root);
    if (r == 0 && apdu && ds_apdu_is_element(apdu)) {
        ds_buf out;
        ds_buf_init(&out);
        r = ds_apdu_encode(&enc, apdu, &out);
        if ((r == 0) != (enc.error[0] == '\0')) abort();
        ds_buf_free(&out);
    }
    xmlFreeDoc(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        xmlSetGenericErrorFunc(NULL, quiet);
        init = 1;
    }
    if (size > 0 && data[0] == '<') as_xml_text(data, size);
    else both_dialects(data, size);
    return 0;
}
