/* The encode pipeline: a streaming XML reader hands over one top-level element
 * at a time; each is encoded on its own (an envelope, a bare APDU, raw bytes)
 * and written through the caller's output function.
 *
 * libxml2's text reader keeps only the element being encoded in memory, so a
 * document of any size is encoded in bounded memory. */
#include <errno.h>
#include <libxml/xmlreader.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dlmscope/decoder.h"
#include "dlmscope/encoder.h"
#include "dlmscope/sink.h"
#include "encode/enc.h"
#include "encode/encipher.h"
#include "encode/json_in.h"
#include "encode/link_out.h"
#include "encode/schema_encode.h"
#include "encode/std_xml.h"
#include "encode/xml_prep.h"
#include "apdu/apdu_tags.h"
#include "link/llc.h"

/* Parsing options: no network, no entity substitution or DTD loading (untrusted input),
 * line numbers beyond 65535 kept for messages. */
#define READER_OPTIONS (XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_NOBLANKS)

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

/* How a unit's numbers are read: said by an option or the document, or inferred per unit. */
enum { DS_NUMBERS_INFER = -1, DS_NUMBERS_HEX = 0, DS_NUMBERS_DECIMAL = 1 };

/* Gurux's HDLC segments (GURUX-XML.md §2.1) are held back until they end, since the first
 * one lost its LLC and the last one does not say it is the last: see hdlc_segment(). */
typedef struct pending_segments {
    int active;
    uint8_t key[8];     /* destination and source address fields */
    size_t key_len;
    ds_buf apdu;        /* the segments so far */
    ds_buf queue;       /* frames held back, as records (queue_frame) */
} pending_segments;

/* Held back at most. Segmentation carries one APDU of at most the negotiated max PDU size, an
 * Unsigned16 in the InitiateRequest/Response, so a run beyond 64 KiB (plus the other side's RR
 * frames in between) is no APDU: its frames go out as they are. The bound matters for speed too:
 * whole_apdu() decodes the gathered bytes after each segment, so the cost of a run grows with the
 * square of its length (64 KiB in 128-byte segments: 16 MB decoded, a few hundredths of a second). */
#define PENDING_APDU_MAX 65535u
#define PENDING_MAX (PENDING_APDU_MAX + (64u << 10))

typedef struct encoder {
    ds_link_opts link;
    ds_link_state state;
    int option_numbers; /* DS_NUMBERS_* from the options */
    int numbers;        /* for the current top-level element */
    int std_document;   /* the top-level element declares the standard XML namespace */
    long xml_error_line; /* the first XML error's line */
    int xml_errors;
    const ds_xml_prep *prep;
    uint64_t top_seen, child_seen; /* top-level elements met, children of the current one */
    ds_encode_out_fn out;
    void *out_user;
    ds_encode_error_fn err;
    void *err_user;
    ds_encode_stats stats;
    ds_buf buf;
    ds_buf other;       /* the second reading while the notation is inferred */
    unsigned mbus_seq;  /* Gurux M-Bus telegrams: the next segment number, and the data so far */
    ds_buf mbus_apdu;
    pending_segments pending;
    ds_sink *null_sink; /* for "is this a whole APDU?" */
    ds_enc_cipher cipher; /* enciphering with the options' keys */
    ds_buf held;        /* a bare ciphered APDU written once it is known whether its <Decrypted>
                           view follows (then the view is enciphered in its place) */
    int held_active;
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

static void report(encoder *x, long line, const char *msg)
{
    if (x->err) x->err(x->err_user, line, msg);
}

/* A ciphered APDU just encoded at out[at..]: with keys and its <Decrypted> view after it, the
 * view enciphered in its place. */
static int encipher_from_view(encoder *x, ds_enc *enc, const xmlNode *apdu, ds_buf *out, size_t at)
{
    const xmlNode *view = ds_x_next(apdu);
    if (!ds_enc_cipher_on(&x->cipher) || !view || !ds_x_is(view, "Decrypted") || out->len <= at ||
        !ds_apdu_tag_is_ciphered(out->p[at]))
        return 0;
    ds_buf ciphered;
    ds_buf_init(&ciphered);
    int rc = ds_buf_append(&ciphered, out->p + at, out->len - at);
    out->len = at;
    if (rc == 0) rc = ds_enc_cipher_view(enc, &x->cipher, ciphered.p, ciphered.len, view, out);
    else ds_enc_fail(enc, apdu, "out of memory");
    ds_buf_free(&ciphered);
    return rc;
}

/* The APDU inside an envelope's <PDU>. */
static int encode_inner_apdu(void *user, ds_enc *enc, const xmlNode *apdu, ds_buf *out)
{
    size_t at = out->len;
    if (ds_apdu_encode(enc, apdu, out)) return -1;
    return encipher_from_view(user, enc, apdu, out, at);
}

/* A bare APDU; with --cipher a plain one is enciphered in that form. */
static int encode_bare_apdu(encoder *x, ds_enc *enc, const xmlNode *n, ds_buf *out)
{
    if (!ds_enc_cipher_on(&x->cipher) || !x->cipher.o->cipher_form) return ds_apdu_encode(enc, n, out);
    ds_buf plain;
    ds_buf_init(&plain);
    int rc = ds_apdu_encode(enc, n, &plain);
    if (rc == 0 && plain.len && ds_apdu_tag(plain.p[0])->protection == DS_APDU_PLAIN)
        rc = ds_enc_cipher_plain(enc, &x->cipher, n, plain.p, plain.len, out);
    else if (rc == 0 && ds_buf_append(out, plain.p, plain.len))
        rc = ds_enc_fail(enc, n, "out of memory");
    ds_buf_free(&plain);
    return rc;
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

/* ---- entity references ---- */

/* An attribute whose value holds a reference to an entity of the DTD: libxml2 does not
 * replace those (XML_PARSE_NOENT is off for untrusted input), so the value would be read
 * wrong. The five predefined entities and character references arrive as plain text. */
static const xmlNode *entity_in_attributes(const xmlNode *n, const char **attr, const char **entity, int depth)
{
    for (const xmlAttr *a = n->properties; a; a = a->next)
        for (const xmlNode *c = a->children; c; c = c->next)
            if (c->type == XML_ENTITY_REF_NODE) {
                *attr = (const char *)a->name;
                *entity = (const char *)c->name;
                return n;
            }
    if (depth >= DS_ENC_MAX_DEPTH) return NULL; /* deeper is refused by the encoder anyway */
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        const xmlNode *bad = entity_in_attributes(c, attr, entity, depth + 1);
        if (bad) return bad;
    }
    return NULL;
}

static int refuse_entities(ds_enc *enc, const xmlNode *n)
{
    const char *attr = "", *entity = "";
    const xmlNode *bad = entity_in_attributes(n, &attr, &entity, 0);
    if (!bad) return 0;
    return ds_enc_fail(enc, bad, "<%s %s=\"...&%s;...\">: entity references are not read (only &amp; &lt; &gt; "
                                 "&quot; &apos; and &#...;)", ds_x_name(bad), attr, entity);
}

/* ---- one reading of a unit ---- */

/* Encodes unit n into out in one notation, without side effects on the encoder. *framed is
 * set when the bytes are a whole frame (or raw bytes) rather than an APDU still to frame. */
static int encode_once(encoder *x, const xmlNode *n, ds_enc *enc, ds_buf *out, int *framed, ds_env_info *info)
{
    ds_buf_reset(out);
    memset(info, 0, sizeof *info);
    *framed = 0;
    ds_enc_cipher_unit_start(&x->cipher);
    if (ds_x_is(n, "Decrypted")) /* the view of the held ciphered APDU: enciphered in its place */
        return ds_enc_cipher_view(enc, &x->cipher, x->held.p, x->held.len, n, out);
    if (ds_is_envelope(n)) {
        *framed = 1;
        return ds_envelope_encode_info(enc, NULL, n, encode_inner_apdu, x, out, info);
    }
    if (ds_x_is(n, "Undecoded")) {
        *framed = 1; /* raw bytes go out as they are */
        const char *v = ds_enc_need_value(enc, n);
        return v ? ds_enc_hex(enc, n, v, -1, out) : -1;
    }
    if (ds_x_is(n, "PDU")) {
        *framed = x->link.kind == DS_LINK_RAW;
        return encode_raw_pdu(enc, n, *framed, out);
    }
    if (ds_apdu_is_element(n)) return encode_bare_apdu(x, enc, n, out);
    return ds_enc_fail(enc, n, "<%s> is neither a frame, an APDU nor raw bytes", ds_x_name(n));
}

/* ---- the notation, when nobody said ---- */

/* The frame length attribute (len) read both ways against the frame each reading made:
 * Gurux counts all bytes, or all but the FCS and closing flag when there is an information
 * field (GURUX-XML.md §2.1); the same for WRAPPER and M-Bus. */
static void len_hint(const xmlNode *n, size_t hex_len, size_t dec_len, ds_enc *enc)
{
    const char *len = ds_is_envelope(n) ? ds_x_attr(n, "len") : NULL;
    if (!len || !enc->ev) return;
    ds_enc probe;
    ds_enc_init(&probe, 0);
    uint64_t h = 0, d = 0;
    int ok_h = ds_enc_uint(&probe, n, len, DS_NUM_HEX_ALWAYS, 4, &h) == 0;
    ds_enc_init(&probe, 1);
    int ok_d = ds_enc_uint(&probe, n, len, 0, 4, &d) == 0;
    int by_hex = ok_h && (h == hex_len || h + 3 == hex_len);
    int by_dec = ok_d && (d == dec_len || d + 3 == dec_len);
    if (by_hex == by_dec) return;
    ds_num_evidence *ev = enc->ev;
    int *votes = by_hex ? &ev->hex_votes : &ev->dec_votes;
    if ((*votes)++) return;
    *(by_hex ? &ev->hex_line : &ev->dec_line) = ds_x_line(n);
    snprintf(by_hex ? ev->hex_why : ev->dec_why, sizeof ev->hex_why, "<%s len=\"%.16s\"> is the frame length in %s",
             ds_x_name(n), len, by_hex ? "hex" : "decimal");
}

/* Reads the unit both ways and keeps the reading the document supports (see the brief of
 * ds_num_evidence): a reading that fails is out; of two that work and differ, the hints
 * decide, and when they do not (or contradict the only reading left) the unit is refused,
 * naming the options that settle it. Returns the reading's rc; enc and x->buf hold it. */
static int encode_inferred(encoder *x, const xmlNode *n, ds_enc *enc, int *framed, ds_env_info *info)
{
    ds_num_evidence ev;
    memset(&ev, 0, sizeof ev);
    ds_enc dec;
    ds_env_info dec_info;
    int dec_framed;
    ds_enc_init(enc, 0);
    enc->ev = &ev;
    ds_enc_init(&dec, 1);
    dec.ev = &ev;
    int rc_h = encode_once(x, n, enc, &x->buf, framed, info);
    /* No number read differently and none looked decimal: the decimal reading could only give
     * the same bytes or fail, and hex is kept either way (most of decode's own output). */
    if (rc_h == 0 && !ev.differ_line && !ev.frame_differ && !ev.dec_votes) {
        enc->ev = NULL;
        return 0;
    }
    int rc_d = encode_once(x, n, &dec, &x->other, &dec_framed, &dec_info);
    enc->ev = dec.ev = NULL;
    if (rc_h == 0 && rc_d == 0 && x->buf.len == x->other.len && memcmp(x->buf.p, x->other.p, x->buf.len) == 0)
        return 0; /* the notation makes no difference */
    len_hint(n, x->buf.len, x->other.len, enc);
    int hex_ok = rc_h == 0 && !ev.dec_votes, dec_ok = rc_d == 0 && !ev.hex_votes;
    if (rc_h == 0 && rc_d == 0 && ev.hex_votes && !ev.dec_votes) dec_ok = 0, hex_ok = 1;
    if (rc_h == 0 && rc_d == 0 && ev.dec_votes && !ev.hex_votes) hex_ok = 0, dec_ok = 1;
    int use_dec;
    if (hex_ok != dec_ok) {
        use_dec = dec_ok;
    } else if (hex_ok && !ev.differ_line) {
        /* only a frame's addresses differ: frames come from the translator, whose default is
         * hex, or from our decoder, which says Numbers="decimal" when it is not; Gurux's decimal
         * notation is the XmlClient's, and its scripts hold no frames (GURUX-XML.md §8) */
        use_dec = 0;
    } else if (hex_ok) { /* both work, differ, and nothing tells them apart */
        ds_enc_init(enc, 0);
        return ds_enc_fail(enc, n, "the numbers may be hex or decimal and the bytes differ (%s, line %ld): "
                                   "say which with --hex or --decimal",
                           ev.differ_line ? ev.differ_why : "the frame length", ev.differ_line);
    } else if (rc_h == 0 || rc_d == 0) { /* the one reading that works is contradicted */
        ds_enc_init(enc, 0);
        return ds_enc_fail(enc, n, "the numbers look hex (%s, line %ld) and decimal (%s, line %ld): "
                                   "say which with --hex or --decimal",
                           ev.hex_why, ev.hex_line, ev.dec_why, ev.dec_line);
    } else { /* neither works: the error of the likelier one */
        use_dec = ev.dec_votes > ev.hex_votes;
    }
    if (!use_dec) return rc_h;
    *enc = dec;
    *framed = dec_framed;
    *info = dec_info;
    ds_buf swap = x->buf;
    x->buf = x->other;
    x->other = swap;
    return rc_d;
}

/* ---- what a frame needs from the frames around it ---- */

static int whole_apdu(encoder *x, const uint8_t *p, size_t n)
{
    if (!n || !x->null_sink) return 0;
    return ds_decode_apdu_buffer(p, n, NULL, x->null_sink, NULL, NULL) == 0;
}

/* A <WiredMBus> without header (Gurux): the CI numbers the segments of one APDU, 0x00,
 * 0x01, ... with FIN (0x10) on the last, which is the one that completes the APDU (or has
 * the reassembled <PDU> after it, or is alone: 0x10). REFERENCE §2.2. */
static void mbus_segment_ci(encoder *x, const ds_env_info *info, ds_buf *frame)
{
    const uint8_t *data = frame->p + info->body_offset;
    int last = 1;
    if (info->has_next && !info->has_pdu) {
        if (ds_buf_append(&x->mbus_apdu, data, info->body_len)) ds_buf_reset(&x->mbus_apdu);
        last = whole_apdu(x, x->mbus_apdu.p, x->mbus_apdu.len);
    } else if (!info->has_next) {
        x->mbus_seq = 0;
    }
    uint8_t ci = (uint8_t)((last ? 0x10u : 0u) | (x->mbus_seq & 0x0Fu));
    x->mbus_seq = last ? 0 : x->mbus_seq + 1;
    if (last) ds_buf_reset(&x->mbus_apdu);
    frame->p[6] = ci;
    unsigned sum = 0;
    for (size_t i = 4; i + 2 < frame->len; i++) sum += frame->p[i];
    frame->p[frame->len - 2] = (uint8_t)sum;
}

#define RECORD_HEAD 7u

/* Held-back frames are records: kind (0 = as it is, 1 = a segment), length (4 bytes), the
 * sizes of the destination and source address fields, then the frame. */
static int queue_frame(pending_segments *q, int segment, const ds_env_info *info, const uint8_t *p, size_t n)
{
    uint8_t head[RECORD_HEAD] = {(uint8_t)segment, (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
                               (uint8_t)n, (uint8_t)(info ? info->dst_len : 0), (uint8_t)(info ? info->src_len : 0)};
    return ds_buf_append(&q->queue, head, sizeof head) || ds_buf_append(&q->queue, p, n) ? -1 : 0;
}

static size_t record_len(const uint8_t *h)
{
    return (size_t)h[1] << 24 | (size_t)h[2] << 16 | (size_t)h[3] << 8 | h[4];
}

/* A held-back segment sent again: the LLC put back in front (first), the segment bit as
 * `more` says; the frame as it was when it cannot be rebuilt. */
static void send_segment(encoder *x, const uint8_t *h, int first, int more, ds_buf *frame)
{
    size_t n = record_len(h), dl = h[5], sl = h[6], off = 3 + dl + sl + 1 + 2;
    const uint8_t *f = h + RECORD_HEAD, *body = f + off;
    ds_buf info;
    ds_buf_init(&info);
    if (first) ds_buf_append(&info, ds_llc_for_tag(body[0]), DS_LLC_LEN);
    ds_buf_append(&info, body, n - off - 3);
    ds_buf_reset(frame);
    if (!info.failed && ds_hdlc_build(frame, f + 3, dl, f + 3 + dl, sl, f[3 + dl + sl], more, info.p, info.len) == 0)
        emit_bytes(x, frame->p, frame->len);
    else
        emit_bytes(x, f, n);
    ds_buf_free(&info);
}

/* Sends the held-back frames: as they were, or (whole = 1) with the LLC put back in front
 * of the first segment and the segment bit cleared on the last. */
static void release_pending(encoder *x, int whole)
{
    pending_segments *q = &x->pending;
    const uint8_t *p = q->queue.p, *end = q->queue.p + q->queue.len;
    const uint8_t *last_segment = NULL;
    for (const uint8_t *h = p; h + RECORD_HEAD <= end; h += RECORD_HEAD + record_len(h))
        if (h[0]) last_segment = h;
    ds_buf frame;
    ds_buf_init(&frame);
    int first = 1;
    for (const uint8_t *h = p; h + RECORD_HEAD <= end; h += RECORD_HEAD + record_len(h)) {
        if (!h[0] || !whole) {
            emit_bytes(x, h + RECORD_HEAD, record_len(h));
            continue;
        }
        send_segment(x, h, first, h != last_segment, &frame);
        first = 0;
    }
    ds_buf_free(&frame);
    ds_buf_reset(&q->queue);
    ds_buf_reset(&q->apdu);
    q->active = 0;
}

static void flush_pending(encoder *x)
{
    if (x->pending.active) release_pending(x, 0);
}

/* An HDLC frame. Gurux writes each segment of an APDU as <NextFrame> with the information
 * bytes minus the LLC of the first, and the last one the same way (GURUX-XML.md §2.1, its
 * messageToXml): a run of <NextFrame> whose first has no LLC is held back until the bytes
 * make a whole APDU, then sent with the LLC back and the last segment closing it. A run that
 * never completes (a segment pasted alone, the end of the input) goes out as written; so does
 * our own form, whose first segment keeps its LLC and whose last carries the <PDU>. */
static void hdlc_frame(encoder *x, const ds_env_info *info, const uint8_t *frame, size_t n)
{
    pending_segments *q = &x->pending;
    const uint8_t *body = frame + info->body_offset;
    int segment = info->has_next && !info->has_pdu && info->body_len > 0;
    uint8_t key[8];
    size_t key_len = info->dst_len + info->src_len;
    memcpy(key, info->dst, info->dst_len);
    memcpy(key + info->dst_len, info->src, info->src_len);
    int same = q->active && key_len == q->key_len && memcmp(key, q->key, key_len) == 0;
    if (q->active && segment && same) {
        if (queue_frame(q, 1, info, frame, n) || ds_buf_append(&q->apdu, body, info->body_len) ||
            q->queue.len > PENDING_MAX || q->apdu.len > PENDING_APDU_MAX) {
            release_pending(x, 0);
            return;
        }
        if (whole_apdu(x, q->apdu.p, q->apdu.len)) release_pending(x, 1);
        return;
    }
    if (q->active && !same && !segment) { /* the other side's frames (RR) in between */
        if (queue_frame(q, 0, NULL, frame, n) || q->queue.len > PENDING_MAX) release_pending(x, 0);
        return;
    }
    flush_pending(x);
    if (segment && ds_llc_length(body, info->body_len) == 0) {
        q->active = 1;
        memcpy(q->key, key, key_len);
        q->key_len = key_len;
        if (queue_frame(q, 1, info, frame, n) == 0 && ds_buf_append(&q->apdu, body, info->body_len) == 0) return;
        release_pending(x, 0);
        return;
    }
    emit_bytes(x, frame, n);
}

static void unit_failed(encoder *x, long line, const char *msg)
{
    x->stats.failed++;
    report(x, line, msg);
}

/* Frames (or writes) a bare APDU of a unit; 0, or -1 when the framing cannot carry it. */
static int write_unit_apdu(encoder *x, const xmlNode *n, const uint8_t *p, size_t len)
{
    flush_pending(x);
    if (write_apdu(x, p, len) == 0) return 0;
    x->stats.encoded--;
    unit_failed(x, ds_x_line(n), "the framing options cannot carry this APDU (address sizes?)");
    return -1;
}

/* The held ciphered APDU goes out as it was: no view came after it. */
static void release_held(encoder *x, const xmlNode *n)
{
    if (!x->held_active) return;
    x->held_active = 0;
    write_unit_apdu(x, n, x->held.p, x->held.len);
}

static void encode_unit(encoder *x, const xmlNode *n)
{
    int view = x->held_active && ds_x_is(n, "Decrypted");
    if (!view) release_held(x, n);
    if (!view && is_script_metadata(n)) return;
    x->stats.units++;
    ds_enc enc;
    ds_enc_init(&enc, x->numbers == DS_NUMBERS_DECIMAL);
    int infer = x->numbers == DS_NUMBERS_INFER;
    /* The IEC 62056 standard representation is turned into our dialect first, so that one
     * encoder serves both; its integers are always decimal. */
    if (x->std_document || ds_std_xml_is_std(n)) {
        if (ds_std_xml_is_std(n)) {
            enc.decimal = 1;
            infer = 0;
        }
        if (ds_std_xml_to_simple(&enc, (xmlNode *)n)) {
            unit_failed(x, enc.error_line, enc.error);
            return;
        }
    }
    if (refuse_entities(&enc, n)) {
        unit_failed(x, enc.error_line, enc.error);
        return;
    }
    int framed, rc;
    ds_env_info info;
    if (infer) rc = encode_inferred(x, n, &enc, &framed, &info);
    else rc = encode_once(x, n, &enc, &x->buf, &framed, &info);
    if (view) { /* it stands for the held APDU, which was counted */
        x->stats.units--;
        x->held_active = 0;
        if (rc) x->stats.encoded--;
    }
    if (rc) {
        unit_failed(x, enc.error_line, enc.error);
        return;
    }
    x->stats.encoded++;
    if (view) x->stats.encoded--;
    ds_enc_cipher_unit_done(&x->cipher);
    if (info.kind == DS_LINK_MBUS && info.mbus_defaults) mbus_segment_ci(x, &info, &x->buf);
    if (info.kind == DS_LINK_HDLC) {
        hdlc_frame(x, &info, x->buf.p, x->buf.len);
        return;
    }
    if (!framed && !view && ds_enc_cipher_on(&x->cipher) && x->buf.len && ds_apdu_tag_is_ciphered(x->buf.p[0])) {
        flush_pending(x); /* held until the next unit says whether a view follows */
        ds_buf_reset(&x->held);
        if (ds_buf_append(&x->held, x->buf.p, x->buf.len) == 0) {
            x->held_active = 1;
            return;
        }
    }
    if (framed) {
        flush_pending(x);
        emit_bytes(x, x->buf.p, x->buf.len);
    } else {
        write_unit_apdu(x, n, x->buf.p, x->buf.len);
    }
}

/* A top-level element that is itself one unit (a document holding one APDU, as Gurux's
 * translator writes it, or one of several frames written one after the other without a
 * root); any other top-level element is a container whose children are the units. Decided on
 * the name alone: expanding a <Messages> container would load the whole document. */
static int top_is_unit(const char *name)
{
    static const char *const UNITS[] = {"HDLC", "WRAPPER", "WiredMBus", "PDU", "Undecoded",
                                        "Description", "Error", "ErrorUrl", "Sleep"};
    if (!name) return 0;
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++)
        if (strcasecmp(name, UNITS[i]) == 0) return 1;
    return ds_apdu_is_name(name);
}

/* Each top-level element may say which numbers it holds (Numbers="hex|decimal") and may
 * declare the standard namespace; both hold for it and what is inside it. */
static void read_top_attributes(encoder *x, xmlTextReaderPtr r)
{
    x->numbers = x->option_numbers;
    x->std_document = 0;
    xmlChar *ns = xmlTextReaderLookupNamespace(r, BAD_CAST "x");
    if (ns) {
        x->std_document = xmlStrcmp(ns, BAD_CAST "http://www.dlms.com/COSEMpdu") == 0;
        xmlFree(ns);
    }
    xmlChar *numbers = xmlTextReaderGetAttribute(r, BAD_CAST "Numbers");
    if (numbers) {
        if (strcasecmp((const char *)numbers, "decimal") == 0) x->numbers = DS_NUMBERS_DECIMAL;
        else if (strcasecmp((const char *)numbers, "hex") == 0) x->numbers = DS_NUMBERS_HEX;
        xmlFree(numbers);
    }
}

static void xml_error(void *arg, xmlErrorPtr error)
{
    encoder *x = arg;
    if (!error || error->level < XML_ERR_ERROR) return;
    /* the errors of the first bad line; what recovery finds after it would be consequences */
    long line = error->line > 0 ? error->line : 1;
    if (x->xml_error_line && (line != x->xml_error_line || x->xml_errors >= 3)) return;
    x->xml_error_line = line;
    x->xml_errors++;
    char text[256];
    const char *msg = error->message ? error->message : "error";
    const char *root = strstr(msg, " and " DS_XML_PREP_ROOT);
    const char *open = strstr(msg, "mismatch: ");
    if (root && open && open < root) /* the end of the input met an element still open */
        snprintf(text, sizeof text, "XML: Premature end of data in tag %.*s", (int)(root - open - 10), open + 10);
    else
        snprintf(text, sizeof text, "XML: %s", msg);
    size_t len = strlen(text);
    while (len && (text[len - 1] == '\n' || text[len - 1] == ' ')) text[--len] = '\0';
    x->stats.xml_error = 1;
    report(x, error->line, text);
}

static int only_space(const xmlChar *s)
{
    while (s && *s && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) s++;
    return !s || !*s;
}

/* Text between top-level elements: XML allows none (without a root it would be "extra
 * content"); inside the synthetic root libxml2 accepts it, so it is refused here. */
static void stray_text(encoder *x, xmlTextReaderPtr r)
{
    const xmlChar *v = xmlTextReaderConstValue(r);
    if (only_space(v)) return;
    xmlNode *n = xmlTextReaderCurrentNode(r);
    long line = n ? xmlGetLineNo(n) : xmlTextReaderGetParserLineNumber(r);
    /* the node carries the line where the text ends: back to where its first letter is */
    const xmlChar *c = v;
    while (*c == ' ' || *c == '\t' || *c == '\r' || *c == '\n') c++;
    for (; *c; c++)
        if (*c == '\n' && line > 1) line--;
    x->stats.xml_error = 1;
    report(x, line, "XML: text outside any element");
}

/* Encodes the unit at the reader (depth 1: a top-level element, 2: a child of one); returns
 * -1 when the reader cannot go on. At an XML error libxml2's reader gives up before handing
 * over the unit that ended just before it: the unit is taken from the tree then, when the text
 * pass saw it end. */
static int encode_expanded(encoder *x, xmlTextReaderPtr r, int depth)
{
    xmlNode *n = xmlTextReaderExpand(r);
    if (n) {
        encode_unit(x, n);
        return 0;
    }
    n = xmlTextReaderCurrentNode(r);
    if (n && n->type == XML_ELEMENT_NODE && x->prep && ds_xml_prep_closed(x->prep, depth - 1, x->top_seen, x->child_seen))
        encode_unit(x, n);
    return -1;
}

/* The synthetic root of xml_prep.c is depth 0: the file's top-level elements are depth 1,
 * the children of a container among them depth 2. */
static void run_reader(encoder *x, xmlTextReaderPtr r)
{
    xmlTextReaderSetStructuredErrorHandler(r, xml_error, x);
    int rc = xmlTextReaderRead(r);
    while (rc == 1) {
        int type = xmlTextReaderNodeType(r);
        int depth = xmlTextReaderDepth(r);
        if (type == XML_READER_TYPE_ELEMENT && depth == 1) {
            read_top_attributes(x, r);
            x->top_seen++;
            x->child_seen = 0;
            if (top_is_unit((const char *)xmlTextReaderConstLocalName(r))) {
                if (encode_expanded(x, r, 1)) break;
                rc = xmlTextReaderNext(r);
                continue;
            }
        } else if (type == XML_READER_TYPE_ELEMENT && depth == 2) {
            x->child_seen++;
            if (encode_expanded(x, r, 2)) break;
            rc = xmlTextReaderNext(r);
            continue;
        } else if ((type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA) && depth == 1) {
            stray_text(x, r);
        }
        rc = xmlTextReaderRead(r);
    }
    if (rc < 0) x->stats.xml_error = 1;
    release_held(x, NULL);
    flush_pending(x);
}

/* What the text pass found wrong with the input as a whole. */
static void report_prep(encoder *x, const ds_xml_prep *p)
{
    char text[160];
    switch (p->status) {
    case DS_PREP_OK: return;
    case DS_PREP_EMPTY: snprintf(text, sizeof text, "empty input: there is no XML to encode"); break;
    case DS_PREP_NOT_XML: snprintf(text, sizeof text, "not XML: the text does not begin with '<'"); break;
    case DS_PREP_NO_ELEMENT: snprintf(text, sizeof text, "no XML element in the input (nothing to encode)"); break;
    case DS_PREP_READ_ERROR: snprintf(text, sizeof text, "cannot read the input: %s", strerror(p->read_errno)); break;
    }
    x->stats.xml_error = 1;
    report(x, p->status_line, text);
}

static int read_document(encoder *x, ds_xml_source_fn source, void *user, const char *name)
{
    ds_xml_prep *prep = malloc(sizeof *prep);
    if (!prep) return -1;
    ds_xml_prep_init(prep, source, user);
    x->prep = prep;
    xmlTextReaderPtr r = xmlReaderForIO(ds_xml_prep_read, NULL, prep, name, NULL, READER_OPTIONS);
    if (!r) {
        free(prep);
        return -1;
    }
    run_reader(x, r);
    xmlFreeTextReader(r);
    report_prep(x, prep);
    x->prep = NULL;
    free(prep);
    return 0;
}

/* ---- JSON in: decode --json's lines, their elements encoded as the XML's ------------------------ */

static void json_unit(void *user, xmlNode *unit)
{
    encoder *x = user;
    x->numbers = DS_NUMBERS_DECIMAL; /* decode --json writes its integers in decimal */
    x->std_document = 0;
    encode_unit(x, unit);
}

static void json_error(void *user, long line, const char *message)
{
    encoder *x = user;
    x->stats.xml_error = 1;
    report(x, line, message);
}

/* The first bytes, read to tell JSON from XML, are handed on before the rest of the source. */
typedef struct peeked_source {
    ds_xml_source_fn source;
    void *user;
    uint8_t head[4096];
    size_t len, pos;
} peeked_source;

static long peeked_read(void *user, uint8_t *buf, size_t cap)
{
    peeked_source *s = user;
    if (s->pos < s->len) {
        size_t n = s->len - s->pos < cap ? s->len - s->pos : cap;
        memcpy(buf, s->head + s->pos, n);
        s->pos += n;
        return (long)n;
    }
    return s->source(s->user, buf, cap);
}

/* Reads until a character other than white space is seen (or the head is full, or the end);
 * 1 when it is '{'. */
static int peek_is_json(peeked_source *s)
{
    for (;;) {
        for (size_t i = 0; i < s->len; i++) {
            uint8_t c = s->head[i];
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return c == '{';
        }
        if (s->len == sizeof s->head) return 0;
        long got = s->source(s->user, s->head + s->len, sizeof s->head - s->len);
        if (got <= 0) return 0;
        s->len += (size_t)got;
    }
}

/* XML or JSON, as the options or the first character say. */
static int read_input(encoder *x, const ds_encode_options *o, ds_xml_source_fn source, void *user, const char *name)
{
    peeked_source *s = malloc(sizeof *s);
    if (!s) return -1;
    s->source = source;
    s->user = user;
    s->len = s->pos = 0;
    int rc;
    if (peek_is_json(s) || o->json) {
        const ds_json_callbacks cb = {json_unit, json_error, x};
        rc = ds_json_read(s->head, s->len, source, user, &cb);
        flush_pending(x);
    } else {
        rc = read_document(x, peeked_read, s, name);
    }
    free(s);
    return rc;
}

static void encoder_init(encoder *x, const ds_encode_options *o, ds_encode_out_fn out, void *out_user,
                         ds_encode_error_fn err, void *err_user)
{
    memset(x, 0, sizeof *x);
    x->option_numbers = o->decimal ? DS_NUMBERS_DECIMAL : o->hex ? DS_NUMBERS_HEX : DS_NUMBERS_INFER;
    x->numbers = x->option_numbers;
    x->out = out;
    x->out_user = out_user;
    x->err = err;
    x->err_user = err_user;
    ds_buf_init(&x->buf);
    ds_buf_init(&x->other);
    ds_buf_init(&x->mbus_apdu);
    ds_buf_init(&x->pending.apdu);
    ds_buf_init(&x->pending.queue);
    x->null_sink = ds_null_sink_new();
    ds_enc_cipher_init(&x->cipher, o);
    ds_buf_init(&x->held);
    ds_link_opts_from_encode_options(&x->link, o);
    ds_link_state_init(&x->state);
}

static void encoder_free(encoder *x)
{
    ds_buf_free(&x->buf);
    ds_buf_free(&x->other);
    ds_buf_free(&x->mbus_apdu);
    ds_buf_free(&x->pending.apdu);
    ds_buf_free(&x->pending.queue);
    ds_buf_free(&x->held);
    if (x->null_sink) ds_sink_destroy(x->null_sink);
    ds_apdu_encode_release();
}

static int finish(encoder *x, ds_encode_stats *stats)
{
    encoder_free(x);
    if (stats) *stats = x->stats;
    return (x->stats.failed || x->stats.xml_error) ? 1 : 0;
}

static long read_fd(void *user, uint8_t *buf, size_t cap)
{
    int fd = *(int *)user;
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n >= 0 || errno != EINTR) return (long)n;
    }
}

typedef struct memory_source {
    const char *p;
    size_t left;
} memory_source;

static long read_memory(void *user, uint8_t *buf, size_t cap)
{
    memory_source *m = user;
    size_t n = m->left < cap ? m->left : cap;
    memcpy(buf, m->p, n);
    m->p += n;
    m->left -= n;
    return (long)n;
}

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
    if (read_input(&x, o, read_fd, &fd, name)) {
        encoder_free(&x);
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
    encoder x;
    encoder_init(&x, o, out, out_user, err, err_user);
    memory_source m = {xml, xml ? len : 0};
    if (read_input(&x, o, read_memory, &m, NULL)) {
        encoder_free(&x);
        return -1;
    }
    return finish(&x, stats);
}
