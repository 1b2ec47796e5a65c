/* Fuzz target: JSON -> bytes, the path of `dlmscope encode` for decode --json's lines.
 *
 * The input goes through the whole encoder as JSON (--from-json), unframed and with HDLC
 * framing; then through the JSON reader alone, whose every element must have a name and every
 * error a message. Nothing may crash, leak or hang whatever the text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/encoder.h"
#include "encode/json_in.h"

static void count_bytes(void *user, const uint8_t *p, size_t n)
{
    size_t *total = user;
    if (n > 0 && p == NULL) abort(); /* an empty <Undecoded> is an empty frame, as in XML */
    *total += n;
}

static void check_error(void *user, long line, const char *message)
{
    (void)user;
    if (line < 0 || !message || !message[0]) abort();
}

static void encode_json(const uint8_t *data, size_t size, int hdlc)
{
    ds_encode_options o;
    ds_encode_options_init(&o);
    o.json = 1;
    o.frame = hdlc ? DS_LINK_HDLC : DS_LINK_RAW;
    o.max_info = 32;
    size_t total = 0;
    ds_encode_memory((const char *)data, size, &o, count_bytes, &total, check_error, NULL, NULL);
}

/* Every element built from the JSON has a name; attributes have names and text. */
static void check_tree(const xmlNode *n, int depth)
{
    if (depth > DS_JSON_MAX_DEPTH + 2) abort();
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) continue;
        if (!n->name || !n->name[0]) abort();
        for (const xmlAttr *a = n->properties; a; a = a->next)
            if (!a->name || !a->name[0]) abort();
        check_tree(n->children, depth + 1);
    }
}

static void check_unit(void *user, xmlNode *unit)
{
    size_t *units = user;
    (*units)++;
    check_tree(unit, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20) return 0;
    encode_json(data, size, 0);
    encode_json(data, size, 1);
    size_t units = 0;
    const ds_json_callbacks cb = {check_unit, check_error, &units};
    if (ds_json_read_memory((const char *)data, size, &cb) != 0) abort(); /* memory is not short here */
    return 0;
}
