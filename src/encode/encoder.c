/* The encode pipeline: a streaming XML reader hands over one top-level element
 * at a time; each is encoded on its own (an envelope, a bare APDU, raw bytes)
 * and written through the caller's output function.
 *
 * libxml2's text reader keeps only the element being encoded in memory, so a
 * document of any size is encoded in bounded memory. */
#include <libxml/xmlreader.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dlmscope/encoder.h"
#include "encode/enc.h"
#include "encode/link_out.h"
#include "encode/schema_encode.h"
#include "encode/std_xml.h"
#include "link/llc.h"

void ds_encode_options_init(ds_encode_options *o)
{
    memset(o, 0, sizeof *o);
    o->frame = DS_LINK_RAW;
    o->client_sap = 16;
    o->server_logical = 1;
    o->max_info = 128;
    o->wport_client = 16;
    o->wport_server = 1;
}

typedef struct encoder {
    ds_link_opts link;
    ds_link_state state;
    int decimal;
    int std_document;   /* the root declares the standard XML namespace */
    ds_encode_out_fn out;
    void *out_user;
    ds_encode_error_fn err;
    void *err_user;
    ds_encode_stats stats;
    ds_buf buf;
} encoder;

static void emit_bytes(void *user, const uint8_t *p, size_t n)
{
    encoder *x = user;
    x->stats.frames++;
    x->stats.bytes += n;
    x->out(x->out_user, p, n);
}

static int emit_frame(void *user, const uint8_t *p, size_t n)
{
    emit_bytes(user, p, n);
    return 0;
}

static void ds_link_opts_from(ds_link_opts *l, const ds_encode_options *o)
{
    ds_link_opts_init(l);
    l->kind = o->frame == DS_LINK_HDLC || o->frame == DS_LINK_WRAPPER ? o->frame : DS_LINK_RAW;
    l->client_sap = o->client_sap;
    l->server_upper = o->server_logical;
    l->server_lower = o->has_physical ? o->server_physical : 0;
    if (o->server_size) l->server_size = o->server_size;
    /* the smallest form that holds the address: one byte carries 7 bits of the logical address
     * alone, two bytes 7 bits of each part, four bytes 14 bits of each */
    else if (!o->has_physical) l->server_size = o->server_logical < 0x80 ? 1 : 4;
    else l->server_size = (o->server_logical < 0x80 && o->server_physical < 0x80) ? 2 : 4;
    l->max_info = o->max_info;
    l->wport_client = o->wport_client;
    l->wport_server = o->wport_server;
}

static void report(encoder *x, long line, const char *msg)
{
    if (x->err) x->err(x->err_user, line, msg);
}

/* The APDU inside an envelope's <PDU>. */
static int encode_inner_apdu(void *user, ds_enc *enc, const xmlNode *apdu, ds_buf *out)
{
    (void)user;
    return ds_apdu_encode(enc, apdu, out);
}


/* XmlClient scripts carry these between PDUs; they are instructions to a client, not bytes.
 * <Decrypted> is our deciphered view of the ciphered APDU before it: not bytes either. */
static int is_script_metadata(const xmlNode *n)
{
    return ds_x_is(n, "Description") || ds_x_is(n, "Error") || ds_x_is(n, "ErrorUrl") || ds_x_is(n, "Sleep") ||
           ds_x_is(n, "Decrypted") || ds_x_is(n, "Reassembled") || ds_x_is(n, "Signed");
}

/* A top-level <PDU [LLC=".."]> (a raw record that had an LLC header): LLC + APDU. When the
 * output is framed, the framer writes the LLC of the frame's direction itself, so the recorded
 * one is only checked, not written (it would come out twice). */
static int encode_raw_pdu(ds_enc *enc, const xmlNode *n, int keep_llc, ds_buf *out)
{
    const char *llc = ds_x_attr(n, "LLC");
    xmlNode *apdu = ds_x_first(n);
    xmlNode *rest = apdu ? ds_x_next(apdu) : NULL; /* bytes after the APDU, kept by the decoder */
    if (apdu && ds_x_is(apdu, "Undecoded") && !rest) { /* bytes that were no APDU */
        rest = apdu;
        apdu = NULL;
    } else if (apdu && (ds_x_is(apdu, "Undecoded") || (rest && (!ds_x_is(rest, "Undecoded") || ds_x_next(rest))))) {
        return ds_enc_fail(enc, n, "<PDU> must hold one APDU and then <Undecoded> bytes, <Undecoded> bytes alone, or nothing");
    }
    if (llc && keep_llc && ds_enc_hex(enc, n, llc, -1, out)) return -1;
    if (llc && !keep_llc) {
        ds_buf unused;
        ds_buf_init(&unused);
        int rc = ds_enc_hex(enc, n, llc, -1, &unused);
        ds_buf_free(&unused);
        if (rc) return -1;
    }
    if (apdu && ds_apdu_encode(enc, apdu, out)) return -1;
    const char *v = rest ? ds_enc_need_value(enc, rest) : "";
    return v ? ds_enc_hex(enc, rest, v, -1, out) : -1;
}

/* Frames (or not) the bytes of a bare APDU per the options. */
static int write_apdu(encoder *x, const uint8_t *p, size_t n)
{
    if (x->link.kind == DS_LINK_RAW) {
        emit_bytes(x, p, n);
        return 0;
    }
    return ds_link_frame_apdu(&x->link, &x->state, p, n, emit_frame, x);
}

static void encode_unit(encoder *x, const xmlNode *n)
{
    ds_enc enc;
    ds_enc_init(&enc, x->decimal);
    ds_buf_reset(&x->buf);
    x->stats.units++;
    int rc;
    int framed = 0;
    if (is_script_metadata(n)) {
        x->stats.units--;
        return;
    }
    /* The IEC 62056 standard representation is turned into our dialect first, so that one
     * encoder serves both; its integers are always decimal. */
    if (x->std_document || ds_std_xml_is_std(n)) {
        if (ds_std_xml_is_std(n)) enc.decimal = 1;
        if (ds_std_xml_to_simple(&enc, (xmlNode *)n)) {
            x->stats.failed++;
            report(x, enc.error_line, enc.error);
            return;
        }
    }
    if (ds_is_envelope(n)) {
        rc = ds_envelope_encode(&enc, &x->state, n, encode_inner_apdu, x, &x->buf);
        framed = 1;
    } else if (ds_x_is(n, "Undecoded")) {
        const char *v = ds_enc_need_value(&enc, n);
        rc = v ? ds_enc_hex(&enc, n, v, -1, &x->buf) : -1;
        framed = 1; /* raw bytes go out as they are */
    } else if (ds_x_is(n, "PDU")) {
        framed = x->link.kind == DS_LINK_RAW;
        rc = encode_raw_pdu(&enc, n, framed, &x->buf);
    } else if (ds_apdu_is_element(n)) {
        rc = ds_apdu_encode(&enc, n, &x->buf);
    } else {
        rc = ds_enc_fail(&enc, n, "<%s> is neither a frame, an APDU nor raw bytes", ds_x_name(n));
    }
    if (rc) {
        x->stats.failed++;
        report(x, enc.error_line, enc.error);
        return;
    }
    if (framed) {
        emit_bytes(x, x->buf.p, x->buf.len);
    } else if (write_apdu(x, x->buf.p, x->buf.len)) {
        x->stats.failed++;
        report(x, ds_x_line(n), "the framing options cannot carry this APDU (address sizes?)");
        return;
    }
    x->stats.encoded++;
}

/* The root decides the number convention, and may itself be the only unit (a document
 * holding one APDU, as Gurux's translator writes it). Decided on the name alone: expanding
 * a <Messages> root would load the whole document. */
static int root_is_unit(const char *name)
{
    static const char *const UNITS[] = {"HDLC", "WRAPPER", "WiredMBus", "PDU"};
    if (!name) return 0;
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++)
        if (strcasecmp(name, UNITS[i]) == 0) return 1;
    return ds_apdu_is_name(name);
}

static void read_root_attributes(encoder *x, xmlTextReaderPtr r)
{
    xmlChar *ns = xmlTextReaderLookupNamespace(r, BAD_CAST "x");
    if (ns) {
        x->std_document = xmlStrcmp(ns, BAD_CAST "http://www.dlms.com/COSEMpdu") == 0;
        xmlFree(ns);
    }
    xmlChar *numbers = xmlTextReaderGetAttribute(r, BAD_CAST "Numbers");
    if (numbers) {
        if (strcasecmp((const char *)numbers, "decimal") == 0) x->decimal = 1;
        else if (strcasecmp((const char *)numbers, "hex") == 0) x->decimal = 0;
        xmlFree(numbers);
    }
}

static void xml_error(void *arg, const char *msg, xmlParserSeverities severity, xmlTextReaderLocatorPtr loc)
{
    encoder *x = arg;
    if (severity != XML_PARSER_SEVERITY_ERROR && severity != XML_PARSER_SEVERITY_VALIDITY_ERROR) return;
    char text[256];
    snprintf(text, sizeof text, "XML: %s", msg);
    size_t len = strlen(text);
    while (len && (text[len - 1] == '\n' || text[len - 1] == ' ')) text[--len] = '\0';
    x->stats.xml_error = 1;
    report(x, xmlTextReaderLocatorLineNumber(loc), text);
}

static int run_reader(encoder *x, xmlTextReaderPtr r)
{
    if (!r) return -1;
    xmlTextReaderSetErrorHandler(r, xml_error, x);
    int rc = xmlTextReaderRead(r);
    while (rc == 1) {
        int type = xmlTextReaderNodeType(r);
        int depth = xmlTextReaderDepth(r);
        if (type == XML_READER_TYPE_ELEMENT && depth == 0) {
            read_root_attributes(x, r);
            if (root_is_unit((const char *)xmlTextReaderConstLocalName(r))) {
                xmlNode *root = xmlTextReaderExpand(r);
                if (root) encode_unit(x, root);
                break;
            }
        } else if (type == XML_READER_TYPE_ELEMENT && depth == 1) {
            xmlNode *n = xmlTextReaderExpand(r);
            if (!n) break;
            encode_unit(x, n);
            rc = xmlTextReaderNext(r);
            continue;
        }
        rc = xmlTextReaderRead(r);
    }
    if (rc < 0) x->stats.xml_error = 1;
    xmlFreeTextReader(r);
    return 0;
}

static void encoder_init(encoder *x, const ds_encode_options *o, ds_encode_out_fn out, void *out_user,
                         ds_encode_error_fn err, void *err_user)
{
    memset(x, 0, sizeof *x);
    x->decimal = o->decimal;
    x->out = out;
    x->out_user = out_user;
    x->err = err;
    x->err_user = err_user;
    ds_buf_init(&x->buf);
    ds_link_opts_from(&x->link, o);
    ds_link_state_init(&x->state);
}

static int finish(encoder *x, ds_encode_stats *stats)
{
    ds_buf_free(&x->buf);
    if (stats) *stats = x->stats;
    return (x->stats.failed || x->stats.xml_error) ? 1 : 0;
}

/* Parsing options: no network, no entity substitution or DTD loading (untrusted input),
 * line numbers beyond 65535 kept for messages. */
#define READER_OPTIONS (XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_NOBLANKS)

int ds_encode_fd(int fd, const char *name, const ds_encode_options *o, ds_encode_out_fn out, void *out_user,
                 ds_encode_error_fn err, void *err_user, ds_encode_stats *stats)
{
    ds_encode_options defaults;
    if (!o) {
        ds_encode_options_init(&defaults);
        o = &defaults;
    }
    encoder x;
    encoder_init(&x, o, out, out_user, err, err_user);
    if (run_reader(&x, xmlReaderForFd(fd, name, NULL, READER_OPTIONS))) {
        ds_buf_free(&x.buf);
        return -1;
    }
    return finish(&x, stats);
}

int ds_encode_memory(const char *xml, size_t len, const ds_encode_options *o, ds_encode_out_fn out, void *out_user,
                     ds_encode_error_fn err, void *err_user, ds_encode_stats *stats)
{
    ds_encode_options defaults;
    if (!o) {
        ds_encode_options_init(&defaults);
        o = &defaults;
    }
    if (len > INT32_MAX) return -1;
    encoder x;
    encoder_init(&x, o, out, out_user, err, err_user);
    if (run_reader(&x, xmlReaderForMemory(xml, (int)len, NULL, NULL, READER_OPTIONS))) {
        ds_buf_free(&x.buf);
        return -1;
    }
    return finish(&x, stats);
}
