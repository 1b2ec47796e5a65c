/* The decoding pipeline: frames from the framer, payloads reassembled per
 * conversation, APDUs decoded into the sink.
 *
 * What this file decides, and nothing below it: which frame bytes form an
 * APDU (LLC removal, HDLC and M-Bus segments), and how a frame's pieces are
 * laid out in the output (envelope, <NextFrame> segments, <PDU>). */
#include <stdlib.h>
#include <string.h>

#include "apdu/apdu.h"
#include "apdu/axdr.h"
#include "core/reasm.h"
#include "core/retx.h"
#include "dlmscope/decoder.h"
#include "dlmscope/keys.h"
#include "dlmscope/dlmscope.h"
#include "event/emit.h"
#include "link/envelope.h"
#include "link/llc.h"
#include "security/security.h"
#include "util/fmt.h"

struct ds_decoder {
    ds_options opt;
    ds_emit emit;
    ds_framer *framer;
    ds_framer *other_side;  /* side 1 of two-sided input (ds_decoder_feed_side); NULL until used */
    int side0_raw_start;    /* side 0's framer told may_start_apdu (once: nothing unsets it) */
    ds_reasm reasm;
    ds_retx retx;           /* the last I frame of each HDLC sender: retransmissions */
    ds_security security;
    ds_stats stats;
    /* the caller's APDU callback (ds_decoder_on_apdu) and what it needs */
    ds_apdu_fn apdu_fn;
    ds_apdu_want_fn apdu_want; /* NULL: values for every APDU */
    void *apdu_user;
    ds_value_arena *values;
    const ds_meta *frame_meta;  /* of the frame being decoded, NULL outside on_frame */
    /* the caller's frame callback (ds_decoder_on_frame) */
    ds_frame_fn frame_fn;
    void *frame_user;
};

/* Bounds of the values of one APDU: an APDU is at most 64 KiB (max PDU size is an Unsigned16),
 * and a reassembled block transfer at most the blocks' cap; its nodes cannot outnumber its bytes
 * by much (every Data element takes at least one byte). */
#define DS_VALUE_NODES_MAX (1u << 20)
#define DS_VALUE_BYTES_MAX (16u << 20)

/* What the current session knows, for the caller. */
static void session_view(const ds_decoder *d, ds_session_view *v)
{
    memset(v, 0, sizeof *v);
    v->mechanism = -1;
    const ds_session *s = d->security.current;
    if (!s) return;
    v->has_client_title = s->has_client_title;
    v->has_server_title = s->has_server_title;
    memcpy(v->client_title, s->client_title, sizeof v->client_title);
    memcpy(v->server_title, s->server_title, sizeof v->server_title);
    v->has_dedicated_key = s->dedicated != NULL;
    v->mechanism = s->mechanism;
    for (int i = 0; i < 4 && i < (int)DS_IC_SENDERS; i++) {
        v->ic_seen[i] = s->ic.seen[i];
        v->ic_last[i] = s->ic.last[i];
    }
    v->negotiated = s->negotiated;
}

/* The emitter's hook: an APDU was decoded on its own; the caller gets it as values. */
static void on_apdu(void *user, const uint8_t *apdu, size_t n, uint64_t offset, int source)
{
    ds_decoder *d = user;
    ds_value_arena_reset(d->values);
    ds_value *value = NULL;
    ds_diag err;
    memset(&err, 0, sizeof err);
    int skipped = d->apdu_want && !d->apdu_want(d->apdu_user, apdu, n, source);
    int rc = skipped ? 0 : ds_value_decode_apdu(d->values, apdu, n, &value, &err);
    ds_session_view view;
    session_view(d, &view);
    ds_apdu_event ev = {.apdu = apdu,
                        .len = n,
                        .offset = offset,
                        .source = (ds_apdu_source)source,
                        .value = value,
                        .value_error = rc == 0 ? NULL : err.message[0] ? err.message : "not decoded",
                        .meta = d->frame_meta,
                        .frame = d->emit.frame,
                        .session = &view,
                        .value_skipped = skipped};
    d->apdu_fn(d->apdu_user, &ev);
}

int ds_decoder_on_apdu(ds_decoder *d, ds_apdu_fn fn, void *user)
{
    if (fn && !d->values) {
        d->values = ds_value_arena_new(DS_VALUE_NODES_MAX, DS_VALUE_BYTES_MAX);
        if (!d->values) return -1;
    }
    d->apdu_fn = fn;
    d->apdu_user = user;
    d->emit.on_apdu = fn ? on_apdu : NULL;
    d->emit.apdu_user = d;
    return 0;
}

void ds_decoder_apdu_values_for(ds_decoder *d, ds_apdu_want_fn want)
{
    d->apdu_want = want;
}

void ds_decoder_on_frame(ds_decoder *d, ds_frame_fn fn, void *user)
{
    d->frame_fn = fn;
    d->frame_user = user;
}

/* An HDLC address as a number: its length and its value. The value leaves out the extension
 * bits, but the length fixes them, so equal numbers are equal addresses. */
static ds_link_addr hdlc_addr(const ds_hdlc_addr *a)
{
    return (ds_link_addr)a->len << 32 | a->packed;
}

static ds_link_addr wrapper_port(uint16_t port)
{
    const uint8_t bytes[2] = {(uint8_t)(port >> 8), (uint8_t)port};
    return ds_link_addr_of(bytes, 2);
}

/* The conversation a frame belongs to, the same for both directions, and its sender: the
 * frame's source address where the link has one. */
static void select_session(ds_decoder *d, const ds_frame *f)
{
    ds_link_addr a = 0, b = 0; /* destination and source */
    if (f->kind == DS_LINK_HDLC) {
        a = hdlc_addr(&f->u.hdlc.dst);
        b = hdlc_addr(&f->u.hdlc.src);
    } else if (f->kind == DS_LINK_WRAPPER) {
        a = wrapper_port(f->u.wrapper.dst_port);
        b = wrapper_port(f->u.wrapper.src_port);
    } else if (f->kind == DS_LINK_MBUS) {
        a = ds_link_addr_of(&f->u.mbus.a, 1); /* the meter; the sender is not known */
    }
    ds_conversation c = {f->kind, a < b ? a : b, a < b ? b : a};
    /* the sender keeps the block transfers of the two directions apart; where the input says the
     * direction, it counts too: client SAP 1 and server 1 have the same wrapper port and HDLC
     * address, and their GBT blocks must not be joined into one stream */
    ds_link_addr sender = b;
    if (f->meta.dir != DS_DIR_UNKNOWN) sender |= (ds_link_addr)f->meta.dir << 61;
    ds_security_select(&d->security, &c, sender);
    ds_security_on_frame(&d->security, f);
}

void ds_options_init(ds_options *o)
{
    memset(o, 0, sizeof *o);
    o->comments = 1;
    o->link = DS_LINK_AUTO;
    o->hls2 = DS_HLS2_AES_ECB;
}

const char *ds_version(void)
{
    return DLMSCOPE_VERSION;
}

/* ---- APDU payloads ---------------------------------------------------------------------------- */


/* A payload of printable ASCII only is a message in words (some meters answer "NEXERROR..."),
 * not an APDU: no APDU of 8 bytes or more consists of printable characters alone, because
 * every one has a length, counter or tag byte outside that range. */
static int looks_like_text(const uint8_t *p, size_t n)
{
    if (n < 8) return 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7E) return 0;
    return 1;
}

/* Decodes an APDU, inside <PDU> unless only PDUs are wanted. `framed`: the bytes came out of
 * a valid frame, so a payload that is no APDU means the link carries something else. */
static void emit_apdu(ds_decoder *d, const uint8_t *p, size_t n, uint64_t offset, int framed,
                      const ds_attr *pdu_attr)
{
    ds_emit *e = &d->emit;
    ds_cursor c;
    ds_cur_init(&c, p, n);
    uint64_t saved_base = e->base;
    e->base = offset;
    d->stats.apdus++;
    if (framed && n > 0 && (!ds_apdu_lookup(p[0]) || looks_like_text(p, n))) {
        ds_report(e, DS_D_FRAME_NOT_DLMS, DS_SEV_ERROR, 0,
                  "the frame is valid but its payload is not DLMS (first byte 0x%02X)", p[0]);
        if (!d->opt.pdu_only && ds_emit_open_flat(e, "PDU", pdu_attr, pdu_attr ? 1 : 0) == 0) {
            ds_axdr_octets_comment(e, p, n);
            ds_emit_undecoded(e, &c);
            ds_emit_close(e, "PDU");
        } else {
            ds_emit_undecoded(e, &c);
        }
        e->base = saved_base;
        return;
    }
    if (d->opt.pdu_only) {
        ds_apdu_decode(e, &c);
    } else if (ds_emit_open_flat(e, "PDU", pdu_attr, pdu_attr ? 1 : 0) == 0) {
        ds_apdu_decode(e, &c);
        ds_emit_close(e, "PDU");
    }
    e->base = saved_base;
}

static void emit_segment(ds_decoder *d, const uint8_t *p, size_t n)
{
    if (!d->opt.pdu_only) ds_emit_hex(&d->emit, "NextFrame", p, n);
}

/* One segment of a segmented APDU, s being the conversation's slot when one is gathering (the
 * caller looked it up once for both its own decision and this). Shows the segment, and the
 * whole APDU once the last arrives. */
static void add_segment(ds_decoder *d, ds_reasm_slot *s, const uint8_t *key, size_t key_len, const uint8_t *p,
                        size_t n, uint64_t offset, int last, int seq)
{
    ds_emit *e = &d->emit;
    if (s && seq >= 0 && s->next_seq >= 0 && seq != s->next_seq) {
        ds_report_abs(e, DS_D_FRAME_SEGMENT, DS_SEV_ERROR, offset,
                      "segment %d arrived where %d was expected; the %zu byte(s) gathered so far are dropped",
                      seq, s->next_seq, s->data.len);
        ds_reasm_release(&d->reasm, s);
        s = NULL;
    }
    if (!s && seq > 0) {
        ds_report_abs(e, DS_D_FRAME_SEGMENT, DS_SEV_ERROR, offset,
                      "segment %d without the segments before it; shown but not reassembled", seq);
        emit_segment(d, p, n);
        return;
    }
    if (!s) {
        int evicted;
        s = ds_reasm_start(&d->reasm, key, key_len, offset, &evicted);
        if (!s) {
            ds_report_abs(e, DS_D_FRAME_SEGMENT, DS_SEV_ERROR, offset,
                          "out of memory gathering segments; shown but not reassembled");
            emit_segment(d, p, n);
            return;
        }
        if (evicted)
            ds_report_abs(e, DS_D_FRAME_SEGMENT, DS_SEV_WARNING, offset,
                          "too many conversations with unfinished segments; the oldest was given up");
    }
    emit_segment(d, p, n);
    if (ds_reasm_append(&d->reasm, s, p, n)) {
        ds_report_abs(e, DS_D_FRAME_SEGMENT, DS_SEV_ERROR, offset,
                      "reassembled APDU would exceed %u bytes; given up", (unsigned)DS_REASM_MAX);
        ds_reasm_release(&d->reasm, s);
        return;
    }
    s->next_seq = seq >= 0 ? seq + 1 : -1;
    if (last) {
        size_t llc = ds_llc_length(s->data.p, s->data.len);
        emit_apdu(d, s->data.p + llc, s->data.len - llc, s->first_offset + llc, 1, NULL);
        ds_reasm_release(&d->reasm, s);
    }
}

/* ---- per link ------------------------------------------------------------------------------------ */

/* The key of one direction of an HDLC conversation, from `to` and `from` addresses: for
 * reassembly its direction counts. */
static size_t hdlc_key(const ds_hdlc_addr *to, const ds_hdlc_addr *from, uint8_t key[static DS_REASM_KEY_MAX])
{
    size_t k = 0;
    key[k++] = DS_LINK_HDLC;
    memcpy(key + k, to->raw, to->len);
    k += to->len;
    memcpy(key + k, from->raw, from->len);
    return k + from->len;
}

/* The conversation of an HDLC frame for reassembly. */
static size_t hdlc_reasm_key(const ds_hdlc_info *h, uint8_t key[static DS_REASM_KEY_MAX])
{
    return hdlc_key(&h->dst, &h->src, key);
}

/* The other direction's key of an HDLC conversation: source and destination swapped. */
static size_t hdlc_reverse_key(const ds_hdlc_info *h, uint8_t key[static DS_REASM_KEY_MAX])
{
    return hdlc_key(&h->src, &h->dst, key);
}

/* An I frame sent again (same N(S) and information field as the sender's previous one: its
 * acknowledgement was late or lost) carries nothing new: decoding or reassembling it again would
 * show the APDU twice, or double a segment. Its bytes are shown undecoded, with a note. Only on
 * a link set up in the trace (retx.h): SNRM or UA starts N(S) over for both sides, DISC, DM
 * or FRMR end it. Returns 1 for a repeat. */
static int hdlc_retransmission(ds_decoder *d, const ds_frame *f)
{
    const ds_hdlc_info *h = &f->u.hdlc;
    uint8_t key[DS_REASM_KEY_MAX];
    size_t k = hdlc_reasm_key(h, key);
    int setup = h->type == DS_HDLC_SNRM || h->type == DS_HDLC_UA;
    if (setup || h->type == DS_HDLC_DISC || h->type == DS_HDLC_DM || h->type == DS_HDLC_FRMR) {
        void (*mark)(ds_retx *, const uint8_t *, size_t) = setup ? ds_retx_arm : ds_retx_forget;
        mark(&d->retx, key, k);
        k = hdlc_reverse_key(h, key);
        mark(&d->retx, key, k);
        return 0;
    }
    if (h->type != DS_HDLC_I || !ds_retx_is_repeat(&d->retx, key, k, h->ns, f->info, f->info_len)) return 0;
    ds_report_abs(&d->emit, DS_D_LINK_RETRANSMISSION, DS_SEV_INFO, f->offset,
                  "I frame N(S)=%d sent again with the same %zu-byte information field; not decoded twice", h->ns,
                  f->info_len);
    if (!d->opt.pdu_only) ds_emit_hex(&d->emit, "Undecoded", f->info, f->info_len);
    return 1;
}

/* Segments are shown as their information field exactly as on the wire (the first keeps its
 * LLC), so that they re-encode byte for byte; the reassembled APDU is shown without LLC. An
 * unsegmented APDU is shown without its LLC; a PDU whose LLC is not the usual one for its
 * direction (or missing) says so in an LLC attribute. */
static void hdlc_payload(ds_decoder *d, const ds_frame *f)
{
    const ds_hdlc_info *h = &f->u.hdlc;
    const uint8_t *p = f->info;
    size_t n = f->info_len;
    /* the key is only needed while segments are gathered, which most frames are not part of */
    if (h->segmented || ds_reasm_gathering(&d->reasm)) {
        uint8_t key[DS_REASM_KEY_MAX];
        size_t k = hdlc_reasm_key(h, key);
        ds_reasm_slot *gathering = ds_reasm_find(&d->reasm, key, k);
        if (h->segmented || gathering) {
            add_segment(d, gathering, key, k, p, n, f->info_offset, !h->segmented, -1);
            return;
        }
    }
    if (n == 0) return;
    size_t llc = ds_llc_length(p, n); /* DS_LLC_LEN or 0 */
    int usual = llc && (n == llc || memcmp(p, ds_llc_for_tag(p[llc]), DS_LLC_LEN) == 0);
    if (usual) {
        emit_apdu(d, p + llc, n - llc, f->info_offset + llc, 1, NULL);
        return;
    }
    char hex[2 * DS_LLC_LEN + 1] = "";
    if (llc) ds_fmt_hex(hex, p, llc);
    ds_attr attr = DS_ATTR_PLAIN("LLC", hex, 2 * llc);
    emit_apdu(d, p + llc, n - llc, f->info_offset + llc, 1, &attr);
}

static void mbus_payload(ds_decoder *d, const ds_frame *f)
{
    const ds_mbus_info *m = &f->u.mbus;
    if (!m->has_tsap) {
        emit_apdu(d, f->info, f->info_len, f->info_offset, 1, NULL);
        return;
    }
    uint8_t key[4] = {DS_LINK_MBUS, m->a, m->stsap, m->dtsap};
    ds_reasm_slot *gathering = ds_reasm_find(&d->reasm, key, sizeof key);
    if (m->fin && m->seq == 0 && !gathering) emit_apdu(d, f->info, f->info_len, f->info_offset, 1, NULL);
    else add_segment(d, gathering, key, sizeof key, f->info, f->info_len, f->info_offset, m->fin, m->seq);
}

/* A raw record: the APDU alone, or inside <PDU LLC=".."> when the record carried an LLC
 * header, so that the header is not lost. */
static void raw_payload(ds_decoder *d, const ds_frame *f)
{
    ds_emit *e = &d->emit;
    if (f->meta.dir != DS_DIR_UNKNOWN)
        ds_emit_comment(e, "%s%s%s", ds_envelope_direction_name(f->meta.dir), f->meta.timestamp[0] ? " " : "",
                        f->meta.timestamp);
    if (f->meta.from && f->meta.to) ds_emit_comment(e, "from %s to %s", f->meta.from, f->meta.to);
    size_t llc = ds_llc_length(f->info, f->info_len);
    char hex[2 * DS_LLC_LEN + 1];
    ds_attr attr = DS_ATTR_PLAIN("LLC", hex, ds_fmt_hex(hex, f->info, llc));
    int wrapped = llc && !d->opt.pdu_only && ds_emit_open_flat(e, "PDU", &attr, 1) == 0;
    ds_cursor c;
    ds_cur_init(&c, f->info + llc, f->info_len - llc);
    uint64_t saved = e->base;
    e->base = f->info_offset + llc;
    d->stats.apdus++;
    ds_apdu_decode(e, &c);
    e->base = saved;
    if (wrapped) ds_emit_close(e, "PDU");
}

static void broken_frame_body(ds_decoder *d, const ds_frame *f)
{
    ds_cursor c;
    if (f->info_len > 0) ds_cur_init(&c, f->info, f->info_len);
    else ds_cur_init(&c, f->wire, f->wire_len);
    ds_emit_undecoded(&d->emit, &c);
}

/* Tells a sink that wants it (JSON: the facts at the top of each line) where a frame begins. */
static void announce_frame(ds_emit *e, const ds_frame *f)
{
    if (!e->sink->frame_begin) return;
    static const char *const TYPES[] = {[DS_LINK_HDLC] = "HDLC", [DS_LINK_WRAPPER] = "wrapper",
                                        [DS_LINK_MBUS] = "M-Bus", [DS_LINK_RAW] = "raw"};
    const char *type = (unsigned)f->kind < sizeof TYPES / sizeof TYPES[0] ? TYPES[f->kind] : NULL;
    const ds_sink_frame info = {.number = f->number, .offset = f->offset, .type = type ? type : "raw"};
    e->sink->frame_begin(e->sink, &info);
}

static void on_frame(void *user, const ds_frame *f)
{
    ds_decoder *d = user;
    ds_emit *e = &d->emit;
    d->stats.frames++;
    select_session(d, f);
    d->frame_meta = &f->meta;
    e->frame = f->number;
    e->line = f->meta.line;
    announce_frame(e, f);
    if (d->frame_fn) d->frame_fn(d->frame_user, f);

    if (f->kind == DS_LINK_RAW) {
        raw_payload(d, f);
        return;
    }
    int enveloped = !d->opt.pdu_only && ds_envelope_open(e, f) == 0;
    if (!f->checks_ok || !f->complete) {
        broken_frame_body(d, f);
    } else if (f->kind == DS_LINK_HDLC && hdlc_retransmission(d, f)) {
        /* an I frame sent again: shown undecoded, with a note */
    } else if (enveloped && ds_envelope_body(e, f)) {
        /* a frame without APDU (SNRM, UA, RR, DISC, ...): the envelope wrote it */
    } else if (f->kind == DS_LINK_HDLC) {
        if (f->u.hdlc.type == DS_HDLC_I || f->u.hdlc.type == DS_HDLC_UI) hdlc_payload(d, f);
    } else if (f->kind == DS_LINK_MBUS) {
        if (f->u.mbus.form == DS_MBUS_LONG) mbus_payload(d, f); /* short frames and E5 carry no APDU */
    } else if (f->info_len > 0) {
        emit_apdu(d, f->info, f->info_len, f->info_offset, 1, NULL);
    }
    if (enveloped) ds_envelope_close(e, f);
    e->frame = 0;
    d->frame_meta = NULL;
}

static int may_start_apdu(uint8_t first)
{
    return ds_apdu_lookup(first) != NULL;
}

/* Garbage between frames is shown, so that no byte of the input disappears silently. */
static void on_garbage(void *user, const uint8_t *p, size_t n, uint64_t total, uint64_t offset)
{
    ds_decoder *d = user;
    (void)offset;
    ds_emit_hex(&d->emit, "Undecoded", p, n);
    if (total > n)
        ds_emit_comment(&d->emit, "%llu more garbage byte(s) not shown", (unsigned long long)(total - n));
}

/* Diagnostics of the framer and of the reader (odd hex digits...) belong in the same output. */
static void on_lower_diag(void *user, const ds_diag *dg)
{
    ds_decoder *d = user;
    ds_emit_diag(&d->emit, dg);
}

/* The security state as the options ask: keys, HLS secret and method, public keys. Both entry
 * points (a stream, one APDU buffer) set it up here, so they check the same things. */
static void security_from_options(ds_security *s, const ds_options *o)
{
    ds_security_init(s, o->keys, !o->no_verify, o->show_keys);
    if (o->hls_secret) ds_security_set_hls_secret(s, o->hls_secret, o->hls_secret_len);
    ds_security_set_hls2_method(s, o->hls2);
    s->client_pub = o->client_public_key;
    s->client_pub_len = o->client_public_key_len;
    s->server_pub = o->server_public_key;
    s->server_pub_len = o->server_public_key_len;
}

/* ---- public API ---------------------------------------------------------------------------------- */

ds_decoder *ds_decoder_new(const ds_options *opt, ds_sink *sink, ds_diag_fn diag_fn, void *diag_user)
{
    ds_decoder *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    if (opt) d->opt = *opt;
    else ds_options_init(&d->opt);
    ds_emit_init(&d->emit, sink, &d->opt, diag_fn, diag_user);
    ds_reasm_init(&d->reasm);
    ds_retx_init(&d->retx);
    security_from_options(&d->security, &d->opt);
    /* always on: block reassembly needs no keys; deciphering and HLS checks only act with them */
    ds_security_attach(&d->security, &d->emit);
    d->emit.no_keys = !(d->opt.keys && ds_keyring_has_keys(d->opt.keys));
    d->framer = ds_framer_new(d->opt.link, on_frame, on_lower_diag, d);
    if (!d->framer) {
        free(d);
        return NULL;
    }
    ds_framer_set_garbage_fn(d->framer, on_garbage);
    if (d->opt.decoder_hook) d->opt.decoder_hook(d->opt.decoder_hook_user, d, 0);
    return d;
}

void ds_decoder_begin(ds_decoder *d)
{
    (void)d; /* the document root belongs to the caller, which may decode several inputs */
}

void ds_decoder_feed(ds_decoder *d, const uint8_t *data, size_t len, uint64_t offset, const ds_meta *meta)
{
    d->stats.bytes += len;
    ds_framer_feed(d->framer, data, len, offset, meta);
}

void ds_decoder_boundary(ds_decoder *d)
{
    ds_framer_flush(d->framer);
}

/* The first use of a side: side 1's framer made (NULL when memory ran out), and each told once
 * that they read binary bytes: an unframed record is an APDU only when its first byte can begin one. */
static ds_framer *__attribute__((noinline)) side_framer_first(ds_decoder *d, int side)
{
    if (side == 0) {
        ds_framer_set_raw_start_fn(d->framer, may_start_apdu);
        d->side0_raw_start = 1;
        return d->framer;
    }
    if (!d->other_side) {
        d->other_side = ds_framer_new(d->opt.link, on_frame, on_lower_diag, d);
        if (!d->other_side) return NULL;
        ds_framer_set_garbage_fn(d->other_side, on_garbage);
        ds_framer_set_raw_start_fn(d->other_side, may_start_apdu);
    }
    return d->other_side;
}

static void __attribute__((noinline)) feed_side_first(ds_decoder *d, int side, const uint8_t *data, size_t len,
                                                       uint64_t offset, const ds_meta *meta)
{
    ds_framer *fr = side_framer_first(d, side);
    if (!fr) return;
    d->stats.bytes += len;
    ds_framer_feed(fr, data, len, offset, meta);
}

/* A capture feeds every packet: once the side is set up, its framer is fed without a call of
 * its own (a jump to ds_framer_feed, no register saved). */
void ds_decoder_feed_side(ds_decoder *d, int side, const uint8_t *data, size_t len, uint64_t offset,
                          const ds_meta *meta)
{
    ds_framer *fr = side == 0 ? (d->side0_raw_start ? d->framer : NULL) : d->other_side;
    if (!fr) {
        feed_side_first(d, side, data, len, offset, meta);
        return;
    }
    d->stats.bytes += len;
    ds_framer_feed(fr, data, len, offset, meta);
}

void ds_decoder_boundary_side(ds_decoder *d, int side)
{
    ds_framer_flush(side == 0 ? d->framer : d->other_side);
}

void ds_decoder_resync_side(ds_decoder *d, int side)
{
    ds_framer_resync(side == 0 ? d->framer : d->other_side);
}

void ds_decoder_trim(ds_decoder *d)
{
    if (!d) return;
    if (!ds_reasm_gathering(&d->reasm)) ds_reasm_free(&d->reasm);
    ds_retx_trim(&d->retx);
    ds_security_trim(&d->security);
    ds_framer_trim(d->framer);
    ds_framer_trim(d->other_side);
}

ds_pending ds_decoder_pending(const ds_decoder *d)
{
    return ds_framer_pending(d->framer);
}

void ds_decoder_end(ds_decoder *d)
{
    ds_framer_flush(d->framer);
    ds_framer_flush(d->other_side);
    for (size_t i = 0; i < d->reasm.nslots; i++) {
        ds_reasm_slot *s = &d->reasm.slot[i];
        if (!s->active) continue;
        /* Not an error in the bytes: the capture simply stops before the APDU does (a single
         * segment pasted on its own is the common case). Say so, without a diagnostic. */
        ds_emit_comment(&d->emit, "input ended before the last segment: %zu byte(s) of an unfinished APDU",
                        s->data.len);
        ds_reasm_release(&d->reasm, s);
    }
    ds_security_end(&d->security, &d->emit);
    if (d->opt.decoder_hook) d->opt.decoder_hook(d->opt.decoder_hook_user, d, 1);
}

const ds_stats *ds_decoder_stats(const ds_decoder *d)
{
    ds_stats *s = (ds_stats *)&d->stats;
    s->errors = d->emit.errors;
    s->warnings = d->emit.warnings;
    return s;
}

void ds_decoder_free(ds_decoder *d)
{
    if (!d) return;
    ds_framer_free(d->framer);
    ds_framer_free(d->other_side);
    ds_reasm_free(&d->reasm);
    ds_retx_free(&d->retx);
    ds_security_free(&d->security);
    ds_value_arena_free(d->values);
    free(d);
}

int ds_decode_stream(FILE *in, ds_input_mode mode, const ds_options *opt, ds_sink *sink, ds_diag_fn diag_fn,
                     void *diag_user, ds_stats *stats_out)
{
    return ds_decode_stream_after(NULL, 0, in, mode, opt, sink, diag_fn, diag_user, stats_out);
}

int ds_decode_stream_after(const uint8_t *taken, size_t n, FILE *in, ds_input_mode mode, const ds_options *opt,
                           ds_sink *sink, ds_diag_fn diag_fn, void *diag_user, ds_stats *stats_out)
{
    ds_decoder *d = ds_decoder_new(opt, sink, diag_fn, diag_user);
    if (!d) return -1;
    ds_reader *r = ds_reader_new_after(taken, n, in, mode, on_lower_diag, d);
    if (!r) {
        ds_decoder_free(d);
        return -1;
    }
    ds_chunk chunk;
    int rc;
    int first = 1;
    while ((rc = ds_reader_next(r, &chunk)) > 0) {
        /* A text record (a line) that is not framed is an APDU whatever its first byte;
         * binary input has no lines, so only a byte that can begin an APDU makes it one. */
        if (first && ds_reader_mode(r) == DS_INPUT_BINARY) ds_framer_set_raw_start_fn(d->framer, may_start_apdu);
        first = 0;
        if (chunk.record_start) ds_decoder_boundary(d);
        if (chunk.len) ds_decoder_feed(d, chunk.data, chunk.len, chunk.offset, &chunk.meta);
        if (ds_reader_is_live(r)) ds_sink_flush(sink); /* someone is watching: show each frame as it comes */
    }
    ds_decoder_end(d);
    const ds_stats *st = ds_decoder_stats(d);
    if (stats_out) *stats_out = *st;
    int result = rc < 0 ? -1 : st->errors ? 1 : 0;
    ds_reader_free(r);
    ds_decoder_free(d);
    return result;
}

int ds_decode_apdu_buffer(const uint8_t *apdu, size_t len, const ds_options *opt, ds_sink *sink,
                          ds_diag_fn diag_fn, void *diag_user)
{
    ds_options o;
    if (opt) o = *opt;
    else ds_options_init(&o);
    ds_emit e;
    ds_emit_init(&e, sink, &o, diag_fn, diag_user);
    ds_security sec;
    security_from_options(&sec, &o);
    static const ds_conversation ONE_APDU = {DS_LINK_RAW, 0, 0};
    ds_security_attach(&sec, &e);
    e.no_keys = !(o.keys && ds_keyring_has_keys(o.keys));
    ds_security_select(&sec, &ONE_APDU, 0);
    ds_cursor c;
    ds_cur_init(&c, apdu, len);
    ds_apdu_decode(&e, &c);
    ds_security_free(&sec);
    return (int)e.errors;
}
