/* Fuzz target: the link layer in the encode direction.
 *
 * Input starting with 0xFF: the rest is options (3 bytes) + an APDU framed with
 * ds_link_frame_apdu(). Otherwise the input is parsed as XML (XML_PARSE_NONET only) and every
 * envelope at the top or under the root is encoded, in hex and decimal mode.
 * Properties: an encoder failure sets an error and writes nothing; depth stays balanced; every
 * HDLC frame produced is read back by the library's framer as one frame with good checks. */
#include <libxml/parser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/frame.h"
#include "encode/link_out.h"

static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

typedef struct readback {
    size_t frames, good;
    size_t wire_len;
} readback;

static void on_frame(void *user, const ds_frame *f)
{
    readback *r = user;
    r->frames++;
    if (f->checks_ok && f->complete) r->good++;
    r->wire_len = f->wire_len;
}

/* One HDLC frame must come back as exactly one good frame of the same length. */
static void check_hdlc(const uint8_t *p, size_t n)
{
    readback r = {0, 0, 0};
    ds_framer *fr = ds_framer_new(DS_LINK_HDLC, on_frame, NULL, &r);
    if (!fr) return;
    ds_meta meta;
    memset(&meta, 0, sizeof meta);
    ds_framer_feed(fr, p, n, 0, &meta);
    ds_framer_flush(fr);
    ds_framer_free(fr);
    if (r.frames != 1 || r.good != 1 || r.wire_len != n) abort();
}

static int name_apdu(void *user, ds_enc *enc, const xmlNode *apdu, ds_buf *out)
{
    (void)user;
    if (ds_x_is(apdu, "Fail")) return ds_enc_fail(enc, apdu, "asked to fail");
    const char *name = ds_x_name(apdu);
    return ds_buf_append(out, name, strlen(name));
}

static void encode_envelope(const xmlNode *env, int decimal)
{
    ds_enc enc;
    ds_enc_init(&enc, decimal);
    ds_buf out;
    ds_buf_init(&out);
    int r = ds_envelope_encode(&enc, NULL, env, name_apdu, NULL, &out);
    if (enc.depth != 0) abort();
    if ((r == 0) != (enc.error[0] == '\0')) abort();
    if (r != 0 && out.len != 0) abort();
    if (r == 0 && ds_x_is(env, "HDLC")) check_hdlc(out.p, out.len);
    ds_buf_free(&out);
}

static int check_frame(void *user, const uint8_t *p, size_t n)
{
    if (*(int *)user) check_hdlc(p, n);
    return 0;
}

static void frame_apdu(const uint8_t *data, size_t size)
{
    if (size < 4) return;
    ds_link_opts o;
    ds_link_opts_init(&o);
    o.kind = data[0] % 3 == 0 ? DS_LINK_HDLC : data[0] % 3 == 1 ? DS_LINK_WRAPPER : DS_LINK_RAW;
    o.server_size = (int[]){0, 1, 2, 4}[data[0] >> 6];
    o.server_upper = data[1] & 0x7Fu;
    o.server_lower = o.server_size == 1 ? 0 : data[1] >> 7;
    o.max_info = (size_t)data[2] * 7 + 1;  /* up to 1786: fits the 11-bit length */
    ds_link_state st;
    ds_link_state_init(&st);
    int hdlc = o.kind == DS_LINK_HDLC;
    int r = ds_link_frame_apdu(&o, &st, data + 3, size - 3, check_frame, &hdlc);
    if (r != 0 && !(o.kind == DS_LINK_WRAPPER && size - 3 > 0xFFFF)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int initialised;
    if (!initialised) {
        xmlSetGenericErrorFunc(NULL, quiet);
        initialised = 1;
    }
    if (size > 0 && data[0] == 0xFF) {
        frame_apdu(data + 1, size - 1);
        return 0;
    }
    if (size > 65536) return 0;
    xmlDoc *doc = xmlReadMemory((const char *)data, (int)size, "fuzz.xml", NULL, XML_PARSE_NONET);
    if (!doc) return 0;
    xmlNode *root = xmlDocGetRootElement(doc);
    for (int decimal = 0; decimal < 2; decimal++) {
        if (ds_is_envelope(root)) encode_envelope(root, decimal);
        for (xmlNode *n = ds_x_first(root); n; n = ds_x_next(n))
            if (ds_is_envelope(n)) encode_envelope(n, decimal);
    }
    xmlFreeDoc(doc);
    return 0;
}
