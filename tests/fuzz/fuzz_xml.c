/* Fuzz target: the XML reading path of the encoder.
 *
 * First the whole input goes through the document encoder (streaming reader, frame
 * envelopes, APDU descriptions, framing of bare APDUs) as `dlmscope encode` runs it, in
 * hex and decimal mode with HDLC framing. Then the input is parsed as XML (network off; no entity substitution, no DTD
 * loading: only XML_PARSE_NONET), then every element of the tree is handed to
 * ds_axdr_encode, alternately in hex and decimal mode. Elements that are not
 * Data must fail cleanly; the encoder must leave its depth balanced and set
 * an error message exactly when it fails. */
#include <libxml/parser.h>
#include <stdint.h>
#include <stdlib.h>

#include "dlmscope/encoder.h"
#include "encode/axdr_encode.h"

static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static void ignore_bytes(void *user, const uint8_t *p, size_t n)
{
    size_t *total = user;
    if (n == 0 && p == NULL) abort();
    *total += n;
}

static void ignore_error(void *user, long line, const char *message)
{
    (void)user;
    if (line < 0 || !message || !message[0]) abort();
}

static void encode_document(const uint8_t *data, size_t size, int decimal)
{
    ds_encode_options o;
    ds_encode_options_init(&o);
    o.decimal = decimal;
    o.frame = decimal ? DS_LINK_HDLC : DS_LINK_RAW;
    o.max_info = 32;
    size_t total = 0;
    ds_encode_memory((const char *)data, size, &o, ignore_bytes, &total, ignore_error, NULL, NULL);
}

static void encode_element(const xmlNode *node, int decimal)
{
    ds_enc enc;
    ds_enc_init(&enc, decimal);
    ds_buf out;
    ds_buf_init(&out);
    int r = ds_axdr_encode(&enc, node, &out);
    if (enc.depth != 0) abort();
    if ((r == 0) != (enc.error[0] == '\0')) abort();
    if (r == 0 && out.len == 0) abort(); /* at least the type tag */
    ds_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int initialised;
    if (!initialised) {
        xmlSetGenericErrorFunc(NULL, quiet);
        initialised = 1;
    }
    if (size > 1 << 20) return 0;
    encode_document(data, size, 0);
    encode_document(data, size, 1);
    xmlDoc *doc = xmlReadMemory((const char *)data, (int)size, "fuzz.xml", NULL, XML_PARSE_NONET);
    if (!doc) return 0;
    xmlNode *root = xmlDocGetRootElement(doc);
    int decimal = 0;
    /* iterative pre-order walk over element nodes only (entity references are not entered) */
    for (xmlNode *n = root; n;) {
        encode_element(n, decimal);
        decimal ^= 1;
        xmlNode *next = ds_x_first(n);
        while (!next && n && n != root) {
            next = ds_x_next(n);
            if (!next) n = n->parent;
        }
        n = next;
    }
    xmlFreeDoc(doc);
    return 0;
}
