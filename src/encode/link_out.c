/* Frame envelopes and bare APDUs to wire bytes (the inverse of src/link/envelope.c and the
 * payload layout decided in src/core/decoder.c). */
#include "encode/link_out.h"

#include <string.h>

#include "apdu/apdu_tags.h"
#include "link/envelope.h"
#include "link/framer_int.h" /* the M-Bus start and stop bytes */
#include "link/hdlc.h"
#include "link/llc.h"

#define WRAPPER_HEADER 8u
#define MBUS_PUSH_CONTROL 0x53u /* SND_UD */
#define MBUS_BROADCAST 0xFFu
#define HDLC_FIXED 7u   /* FMT(2) + CTRL + FCS(2) + the two flags */

void ds_link_state_init(ds_link_state *st)
{
    memset(st, 0, sizeof *st);
}

void ds_link_opts_from_encode_options(ds_link_opts *l, const ds_encode_options *o)
{
    memset(l, 0, sizeof *l);
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

/* The defaults are ds_encode_options_init's: one place for them. */
void ds_link_opts_init(ds_link_opts *o)
{
    ds_encode_options defaults;
    ds_encode_options_init(&defaults);
    ds_link_opts_from_encode_options(o, &defaults);
}

int ds_is_envelope(const xmlNode *node)
{
    return ds_x_is(node, "HDLC") || ds_x_is(node, "WRAPPER") || ds_x_is(node, "WiredMBus");
}


/* ---- reading envelope leaves ----------------------------------------------------------------- */

static int leaf_uint(ds_enc *enc, const xmlNode *n, int force_hex, size_t bytes, uint64_t *v)
{
    const char *text = ds_enc_need_value(enc, n);
    if (!text) return -1;
    return ds_enc_uint(enc, n, text, force_hex ? DS_NUM_HEX_ALWAYS : DS_NUM_FRAME, bytes, v);
}

static int leaf_hex(ds_enc *enc, const xmlNode *n, ds_buf *out)
{
    const char *text = ds_enc_need_value(enc, n);
    if (!text) return -1;
    return ds_enc_hex(enc, n, text, -1, out);
}

/* The Size attribute (decimal, 1/2/4 for addresses), 0 when absent. */
static int size_attr(ds_enc *enc, const xmlNode *n, int *size)
{
    const char *s = ds_x_attr(n, "Size");
    uint64_t v;
    *size = 0;
    if (!s) return 0;
    if (ds_enc_dec(enc, n, s, 4, &v)) return -1;
    if (v != 1 && v != 2 && v != 4) return ds_enc_fail(enc, n, "<%s Size=\"%s\">: 1, 2 or 4 expected", ds_x_name(n), s);
    *size = (int)v;
    return 0;
}

static int hdlc_address(ds_enc *enc, const xmlNode *n, uint8_t out[4], size_t *len)
{
    uint64_t packed;
    int size;
    if (leaf_uint(enc, n, 0, 4, &packed) || size_attr(enc, n, &size)) return -1;
    *len = ds_hdlc_addr_encode((uint32_t)packed, size, out);
    if (*len == 0)
        return ds_enc_fail(enc, n, "<%s>: address %llu does not fit in %d byte(s)", ds_x_name(n),
                           (unsigned long long)packed, size ? size : (int)ds_hdlc_addr_size_for((uint32_t)packed));
    return 0;
}

/* The bytes inside a <PDU>: its APDU element(s) through apdu_fn, <Undecoded> verbatim. */
static int pdu_content(ds_enc *enc, const xmlNode *pdu, ds_apdu_encode_fn apdu_fn, void *user, ds_buf *out)
{
    for (const xmlNode *c = ds_x_first(pdu); c; c = ds_x_next(c)) {
        if (ds_x_is(c, "Decrypted") || ds_x_is(c, "Reassembled") || ds_x_is(c, "Signed")) continue; /* views of what precedes, not bytes */
        if (ds_x_is(c, "Undecoded")) {
            if (leaf_hex(enc, c, out)) return -1;
        } else if (!apdu_fn) {
            return ds_enc_fail(enc, c, "<%s>: no APDU encoder", ds_x_name(c));
        } else if (apdu_fn(user, enc, c, out)) {
            if (!enc->error[0]) ds_enc_fail(enc, c, "<%s>: could not be encoded", ds_x_name(c));
            return -1;
        }
    }
    if (out->failed) return ds_enc_fail(enc, pdu, "<PDU>: too large");
    return 0;
}

/* ---- SNRM / UA parameters --------------------------------------------------------------------- */

static int param_id(const xmlNode *n)
{
    if (ds_x_is(n, "MaxInfoTX")) return DS_HDLC_PARAM_MAX_INFO_TX;
    if (ds_x_is(n, "MaxInfoRX")) return DS_HDLC_PARAM_MAX_INFO_RX;
    if (ds_x_is(n, "WindowSizeTX")) return DS_HDLC_PARAM_WINDOW_TX;
    if (ds_x_is(n, "WindowSizeRX")) return DS_HDLC_PARAM_WINDOW_RX;
    return -1;
}

static int known_param(ds_enc *enc, const xmlNode *n, uint8_t id, ds_buf *out)
{
    const char *text = ds_enc_need_value(enc, n);
    uint64_t v;
    int size;
    if (!text || ds_enc_dec(enc, n, text, UINT32_MAX, &v) || size_attr(enc, n, &size)) return -1;
    if (size == 0) size = (int)ds_hdlc_param_size_for(id, (uint32_t)v);
    if (size < 4 && v >> (8 * size))
        return ds_enc_fail(enc, n, "<%s Value=\"%s\">: does not fit in %d byte(s)", ds_x_name(n), text, size);
    if (ds_buf_byte(out, id) || ds_buf_byte(out, (uint8_t)size) || ds_buf_uint(out, v, (size_t)size)) return -1;
    return 0;
}

/* <Parameter Id="09" Value="HEX" /> */
static int other_param(ds_enc *enc, const xmlNode *n, ds_buf *out)
{
    const char *id_text = ds_x_attr(n, "Id");
    uint64_t id;
    if (!id_text) return ds_enc_fail(enc, n, "<Parameter> has no Id");
    if (ds_enc_uint(enc, n, id_text, 1, 1, &id)) return -1;
    size_t at = out->len;
    if (ds_buf_byte(out, (uint8_t)id) || ds_buf_byte(out, 0) || leaf_hex(enc, n, out)) return -1;
    size_t len = out->len - at - 2;
    if (len == 0 || len > 4) return ds_enc_fail(enc, n, "<Parameter>: 1 to 4 value bytes expected");
    out->p[at + 1] = (uint8_t)len;
    return 0;
}

/* <Snrm>/<Ua>: no children = no information field; parameters = 81 80 LL params; an
 * <Undecoded> alone = the field verbatim (it was not a parameter group), after parameters = the
 * malformed rest of the group (counted in LL). */
static int negotiation_info(ds_enc *enc, const xmlNode *body, ds_buf *info)
{
    ds_buf group;
    ds_buf_init(&group);
    int params = 0, rc = 0;
    for (const xmlNode *c = ds_x_first(body); c && rc == 0; c = ds_x_next(c)) {
        int id = param_id(c);
        if (id >= 0) {
            rc = known_param(enc, c, (uint8_t)id, &group);
            params = 1;
        } else if (ds_x_is(c, "Parameter")) {
            rc = other_param(enc, c, &group);
            params = 1;
        } else if (ds_x_is(c, "Undecoded")) {
            rc = leaf_hex(enc, c, &group);
        } else {
            rc = ds_enc_fail(enc, c, "<%s>: not an HDLC parameter", ds_x_name(c));
        }
    }
    if (rc == 0 && group.failed) rc = ds_enc_fail(enc, body, "<%s>: too large", ds_x_name(body));
    if (rc == 0 && params && group.len > 0xFF)
        rc = ds_enc_fail(enc, body, "<%s>: parameter group longer than 255 bytes", ds_x_name(body));
    if (rc == 0 && params) {
        uint8_t head[3] = {0x81, 0x80, (uint8_t)group.len};
        rc = ds_buf_append(info, head, 3);
    }
    if (rc == 0) rc = ds_buf_append(info, group.p, group.len);
    ds_buf_free(&group);
    return rc;
}

/* ---- HDLC envelope ---------------------------------------------------------------------------- */

typedef struct body_state {
    ds_buf info;
    int has_next;   /* a <NextFrame> segment was seen */
    int has_pdu;    /* a <PDU> ends the segments (or is the payload) */
} body_state;

static int is_negotiation(const xmlNode *n)
{
    return ds_x_is(n, "Snrm") || ds_x_is(n, "Ua");
}

/* <PDU [LLC]>: LLC attribute as given ("" = none), else the usual one for the APDU's first byte. */
static int hdlc_pdu(ds_enc *enc, const xmlNode *pdu, ds_apdu_encode_fn apdu_fn, void *user, body_state *b)
{
    const xmlNode *first = ds_x_first(pdu);
    if (first && is_negotiation(first) && !ds_x_next(first)) return negotiation_info(enc, first, &b->info);
    ds_buf apdu;
    ds_buf_init(&apdu);
    int rc = pdu_content(enc, pdu, apdu_fn, user, &apdu);
    const char *llc = ds_x_attr(pdu, "LLC");
    if (rc == 0 && llc) rc = ds_enc_hex(enc, pdu, llc, -1, &b->info);
    else if (rc == 0 && apdu.len > 0) rc = ds_buf_append(&b->info, ds_llc_for_tag(apdu.p[0]), DS_LLC_LEN);
    if (rc == 0) rc = ds_buf_append(&b->info, apdu.p, apdu.len);
    ds_buf_free(&apdu);
    return rc;
}

static int hdlc_body_element(ds_enc *enc, const xmlNode *c, ds_apdu_encode_fn apdu_fn, void *user, body_state *b)
{
    if (ds_x_is(c, "NextFrame")) {
        b->has_next = 1;
        return leaf_hex(enc, c, &b->info);
    }
    if (ds_x_is(c, "PDU")) {
        if (b->has_pdu) return ds_enc_fail(enc, c, "a second <PDU> in one frame");
        b->has_pdu = 1;
        if (b->has_next) return 0;  /* the reassembled view of the segments above */
        return hdlc_pdu(enc, c, apdu_fn, user, b);
    }
    if (is_negotiation(c)) return negotiation_info(enc, c, &b->info);
    if (ds_x_is(c, "DisconnectRequest") || ds_x_is(c, "DisconnectMode") || ds_x_is(c, "UnacceptableFrame")) {
        for (const xmlNode *u = ds_x_first(c); u; u = ds_x_next(u)) {
            if (!ds_x_is(u, "Undecoded")) return ds_enc_fail(enc, u, "<%s>: unexpected in <%s>", ds_x_name(u), ds_x_name(c));
            if (leaf_hex(enc, u, &b->info)) return -1;
        }
        return 0;
    }
    if (ds_x_is(c, "Command")) return 0;  /* S frames: the control byte says it all */
    if (ds_x_is(c, "Undecoded")) return leaf_hex(enc, c, &b->info);
    return ds_enc_fail(enc, c, "<%s>: not expected in an HDLC frame", ds_x_name(c));
}

static int encode_hdlc(ds_enc *enc, const xmlNode *env, ds_apdu_encode_fn apdu_fn, void *user, ds_buf *out,
                       ds_env_info *info)
{
    uint8_t dst[4], src[4];
    size_t dst_len = 0, src_len = 0;
    uint64_t control = 0;
    int have_control = 0, rc = 0;
    body_state b;
    memset(&b, 0, sizeof b);
    ds_buf_init(&b.info);
    for (const xmlNode *c = ds_x_first(env); c && rc == 0; c = ds_x_next(c)) {
        if (ds_x_is(c, "TargetAddress")) {
            rc = hdlc_address(enc, c, dst, &dst_len);
        } else if (ds_x_is(c, "SourceAddress")) {
            rc = hdlc_address(enc, c, src, &src_len);
        } else if (ds_x_is(c, "FrameType")) {
            rc = leaf_uint(enc, c, 1, 1, &control);
            have_control = 1;
        } else {
            rc = hdlc_body_element(enc, c, apdu_fn, user, &b);
        }
    }
    if (rc == 0 && (!dst_len || !src_len || !have_control))
        rc = ds_enc_fail(enc, env, "<HDLC> needs TargetAddress, SourceAddress and FrameType");
    /* a refused append (the buffer cap) returns -1 without a message of its own */
    if ((rc == 0 && b.info.failed) || (rc != 0 && !enc->error[0]))
        rc = ds_enc_fail(enc, env, "<HDLC>: information field too large");
    size_t start = out->len;
    if (rc == 0 && ds_hdlc_build(out, dst, dst_len, src, src_len, (uint8_t)control, b.has_next && !b.has_pdu,
                                 b.info.p, b.info.len))
        rc = ds_enc_fail(enc, env, "<HDLC>: %zu information bytes do not fit in one frame", b.info.len);
    if (rc == 0) {
        info->has_next = b.has_next;
        info->has_pdu = b.has_pdu;
        memcpy(info->dst, dst, dst_len);
        memcpy(info->src, src, src_len);
        info->dst_len = dst_len;
        info->src_len = src_len;
        info->control = (uint8_t)control;
        info->body_len = b.info.len;
        info->body_offset = start + 1 + 2 + dst_len + src_len + 1 + 2; /* flag, format, addresses, control, HCS */
    }
    ds_buf_free(&b.info);
    return rc;
}

/* ---- WRAPPER ---------------------------------------------------------------------------------- */

static int encode_wrapper(ds_enc *enc, const xmlNode *env, ds_apdu_encode_fn apdu_fn, void *user, ds_buf *out)
{
    uint64_t dst = 0, src = 0;
    int have_dst = 0, have_src = 0, rc = 0;
    ds_buf payload;
    ds_buf_init(&payload);
    for (const xmlNode *c = ds_x_first(env); c && rc == 0; c = ds_x_next(c)) {
        if (ds_x_is(c, "TargetAddress")) {
            rc = leaf_uint(enc, c, 0, 2, &dst);
            have_dst = 1;
        } else if (ds_x_is(c, "SourceAddress")) {
            rc = leaf_uint(enc, c, 0, 2, &src);
            have_src = 1;
        } else if (ds_x_is(c, "PDU")) {
            const char *llc = ds_x_attr(c, "LLC");
            if (llc) rc = ds_enc_hex(enc, c, llc, -1, &payload);
            if (rc == 0) rc = pdu_content(enc, c, apdu_fn, user, &payload);
        } else if (ds_x_is(c, "Undecoded")) {
            rc = leaf_hex(enc, c, &payload);
        } else {
            rc = ds_enc_fail(enc, c, "<%s>: not expected in a WRAPPER frame", ds_x_name(c));
        }
    }
    if (rc == 0 && (!have_dst || !have_src))
        rc = ds_enc_fail(enc, env, "<WRAPPER> needs TargetAddress and SourceAddress");
    if (rc == 0 && (payload.failed || payload.len > 0xFFFFu))
        rc = ds_enc_fail(enc, env, "<WRAPPER>: payload longer than 65535 bytes");
    if (rc == 0) {
        uint8_t head[WRAPPER_HEADER] = {0x00, 0x01, (uint8_t)(src >> 8), (uint8_t)src, (uint8_t)(dst >> 8),
                                        (uint8_t)dst, (uint8_t)(payload.len >> 8), (uint8_t)payload.len};
        size_t start = out->len;
        if (ds_buf_append(out, head, sizeof head) || ds_buf_append(out, payload.p, payload.len)) {
            if (out->len > start) out->len = start;
            rc = ds_enc_fail(enc, env, "<WRAPPER>: output too large");
        }
    }
    ds_buf_free(&payload);
    return rc;
}

/* ---- WiredMBus -------------------------------------------------------------------------------- */

/* The L field: user bytes (C .. last data byte). Above 255 some meters write only the low
 * byte (the decoder accepts that while it is below 5, i.e. up to 260 user bytes). */
static int mbus_l_field(size_t user_len, uint8_t *l)
{
    if (user_len <= 0xFFu) *l = (uint8_t)user_len;
    else if (user_len < 256u + 5u) *l = (uint8_t)(user_len - 256u);
    else return -1;
    return 0;
}

static int mbus_field(ds_enc *enc, const xmlNode *c, uint8_t *v, int *have)
{
    uint64_t x;
    if (leaf_uint(enc, c, 0, 1, &x)) return -1;
    *v = (uint8_t)x;
    *have = 1;
    return 0;
}

static int encode_mbus(ds_enc *enc, const xmlNode *env, ds_apdu_encode_fn apdu_fn, void *user, ds_buf *out,
                       ds_env_info *info)
{
    uint8_t c_field = 0, a_field = 0, ci = 0, stsap = 0, dtsap = 0;
    int have_c = 0, have_a = 0, have_ci = 0, have_s = 0, have_d = 0, has_next = 0, rc = 0;
    ds_buf payload;
    ds_buf_init(&payload);
    for (const xmlNode *c = ds_x_first(env); c && rc == 0; c = ds_x_next(c)) {
        if (ds_x_is(c, "Control")) rc = mbus_field(enc, c, &c_field, &have_c);
        else if (ds_x_is(c, "Address")) rc = mbus_field(enc, c, &a_field, &have_a);
        else if (ds_x_is(c, "CI")) rc = mbus_field(enc, c, &ci, &have_ci);
        else if (ds_x_is(c, "SourceAddress")) rc = mbus_field(enc, c, &stsap, &have_s);
        else if (ds_x_is(c, "TargetAddress")) rc = mbus_field(enc, c, &dtsap, &have_d);
        else if (ds_x_is(c, "NextFrame")) {
            has_next = 1;
            rc = leaf_hex(enc, c, &payload);
        } else if (ds_x_is(c, "PDU")) {
            info->has_pdu = 1;
            if (!has_next) rc = pdu_content(enc, c, apdu_fn, user, &payload);  /* else: reassembled view */
        } else if (ds_x_is(c, "Undecoded")) {
            rc = leaf_hex(enc, c, &payload);
        } else {
            rc = ds_enc_fail(enc, c, "<%s>: not expected in a WiredMBus frame", ds_x_name(c));
        }
    }
    int bare = !have_ci && !have_s && !have_d && !has_next && payload.len == 0 && !payload.failed;
    if (rc == 0 && bare && !have_c && !have_a) { /* the single character E5 */
        static const uint8_t ack = 0xE5;
        ds_buf_free(&payload);
        return ds_buf_append(out, &ack, 1) ? ds_enc_fail(enc, env, "<WiredMBus>: output too large") : 0;
    }
    if (rc == 0 && bare && have_c && have_a) { /* short frame 10 C A CS 16 */
        const uint8_t frame[5] = {DS_MBUS_SHORT_START, c_field, a_field, (uint8_t)(c_field + a_field), DS_MBUS_STOP};
        ds_buf_free(&payload);
        return ds_buf_append(out, frame, sizeof frame) ? ds_enc_fail(enc, env, "<WiredMBus>: output too large") : 0;
    }
    if (rc == 0 && !have_c && !have_a && !have_ci) {
        /* Gurux writes none of them: a meter's push (SND_UD to the broadcast address, REFERENCE
         * §2.2); the CI, a segment's number, is set by the caller, who sees the frames around */
        c_field = MBUS_PUSH_CONTROL;
        a_field = MBUS_BROADCAST;
        info->mbus_defaults = 1;
    } else if (rc == 0 && (!have_c || !have_a || !have_ci)) {
        rc = ds_enc_fail(enc, env, "<WiredMBus> needs Control, Address and CI (or none of them)");
    }
    if (rc == 0 && have_s != have_d)
        rc = ds_enc_fail(enc, env, "<WiredMBus>: SourceAddress and TargetAddress go together");
    size_t user_len = 3u + (have_s ? 2u : 0u) + payload.len;
    uint8_t l = 0;
    if (rc == 0 && (payload.failed || mbus_l_field(user_len, &l)))
        rc = ds_enc_fail(enc, env, "<WiredMBus>: %zu user bytes do not fit in one telegram", user_len);
    if (rc == 0) {
        uint8_t head[9] = {DS_MBUS_LONG_START, l, l, DS_MBUS_LONG_START, c_field, a_field, ci, stsap, dtsap};
        size_t head_len = have_s ? 9u : 7u;
        size_t start = out->len;
        unsigned sum = 0;
        for (size_t i = 4; i < head_len; i++) sum += head[i];
        for (size_t i = 0; i < payload.len; i++) sum += payload.p[i];
        uint8_t tail[2] = {(uint8_t)sum, DS_MBUS_STOP};
        info->has_next = has_next;
        info->body_offset = start + head_len;
        info->body_len = payload.len;
        if (ds_buf_append(out, head, head_len) || ds_buf_append(out, payload.p, payload.len) ||
            ds_buf_append(out, tail, 2)) {
            if (out->len > start) out->len = start;
            rc = ds_enc_fail(enc, env, "<WiredMBus>: output too large");
        }
    }
    ds_buf_free(&payload);
    return rc;
}

int ds_envelope_encode(ds_enc *enc, ds_link_state *st, const xmlNode *env, ds_apdu_encode_fn apdu_fn, void *user,
                       ds_buf *frame_out)
{
    return ds_envelope_encode_info(enc, st, env, apdu_fn, user, frame_out, NULL);
}

int ds_envelope_encode_info(ds_enc *enc, ds_link_state *st, const xmlNode *env, ds_apdu_encode_fn apdu_fn,
                            void *user, ds_buf *frame_out, ds_env_info *info)
{
    (void)st;
    ds_env_info unused;
    if (!info) info = &unused;
    memset(info, 0, sizeof *info);
    if (!enc || !env || !frame_out) return -1;
    if (enc->depth >= DS_ENC_MAX_DEPTH) return ds_enc_fail(enc, env, "nesting too deep");
    enc->depth++;
    int rc;
    if (ds_x_is(env, "HDLC")) {
        info->kind = DS_LINK_HDLC;
        rc = encode_hdlc(enc, env, apdu_fn, user, frame_out, info);
    } else if (ds_x_is(env, "WRAPPER")) {
        info->kind = DS_LINK_WRAPPER;
        rc = encode_wrapper(enc, env, apdu_fn, user, frame_out);
    } else if (ds_x_is(env, "WiredMBus")) {
        info->kind = DS_LINK_MBUS;
        rc = encode_mbus(enc, env, apdu_fn, user, frame_out, info);
    } else {
        rc = ds_enc_fail(enc, env, "<%s>: not a frame envelope", ds_x_name(env));
    }
    enc->depth--;
    return rc;
}

/* ---- framing bare APDUs ----------------------------------------------------------------------- */

/* Control byte of the next I frame from one side; the other side's N(R) advances with it. */
static uint8_t next_i_control(ds_link_state *st, int from_client)
{
    unsigned *ns = from_client ? &st->client_ns : &st->server_ns;
    unsigned *nr = from_client ? &st->client_nr : &st->server_nr;
    unsigned *peer_nr = from_client ? &st->server_nr : &st->client_nr;
    uint8_t control = (uint8_t)(((*nr & 7u) << 5) | 0x10u | ((*ns & 7u) << 1));
    *ns = (*ns + 1) & 7u;
    *peer_nr = (*peer_nr + 1) & 7u;
    if (!from_client) st->client_received++;
    return control;
}

/* A script of requests alone (no replies in the document) is framed as if each earlier
 * request had been answered by one frame, as the meter will do: the client's N(R) counts
 * at least one received frame per earlier request. */
static void assume_replies(ds_link_state *st)
{
    if (st->client_received >= st->requests) return;
    st->client_nr = (unsigned)((st->client_nr + (st->requests - st->client_received)) & 7u);
    st->client_received = st->requests;
}

static int server_address(const ds_link_opts *o, uint8_t out[4], size_t *len)
{
    int size = o->server_size;
    if (size == 0) size = o->server_upper < 0x80u && o->server_lower < 0x80u ? 2 : 4;
    *len = ds_hdlc_addr_from_parts(o->server_upper, o->server_lower, size, out);
    return *len ? 0 : -1;
}

static int frame_hdlc(const ds_link_opts *o, ds_link_state *st, const uint8_t *apdu, size_t n,
                      ds_frame_sink_fn emit, void *user)
{
    uint8_t client[4], server[4];
    size_t client_len = ds_hdlc_addr_encode(o->client_sap, 1, client), server_len;
    size_t max_info = o->max_info ? o->max_info : 128;
    if (!client_len || server_address(o, server, &server_len)) return -1;
    if (max_info > DS_HDLC_MAX_LEN + 2 - (HDLC_FIXED + 2 + 4 + 4)) return -1; /* written so that it cannot wrap */
    int request = ds_apdu_tag_is_request(apdu[0]);
    if (request) assume_replies(st);
    ds_buf data, frame;
    ds_buf_init(&data);
    ds_buf_init(&frame);
    int rc = ds_buf_append(&data, ds_llc_for_tag(apdu[0]), DS_LLC_LEN) || ds_buf_append(&data, apdu, n) ? -1 : 0;
    for (size_t pos = 0; rc == 0 && pos < data.len;) {
        size_t chunk = data.len - pos < max_info ? data.len - pos : max_info;
        int more = pos + chunk < data.len;
        uint8_t control = next_i_control(st, request);
        ds_buf_reset(&frame);
        if (request)
            rc = ds_hdlc_build(&frame, server, server_len, client, client_len, control, more, data.p + pos, chunk);
        else
            rc = ds_hdlc_build(&frame, client, client_len, server, server_len, control, more, data.p + pos, chunk);
        if (rc == 0) rc = emit(user, frame.p, frame.len);
        pos += chunk;
    }
    ds_buf_free(&data);
    ds_buf_free(&frame);
    if (request) st->requests++;
    return rc;
}

static int frame_wrapper(const ds_link_opts *o, const uint8_t *apdu, size_t n, ds_frame_sink_fn emit, void *user)
{
    if (n > 0xFFFFu || o->wport_client > 0xFFFFu || o->wport_server > 0xFFFFu) return -1;
    int request = ds_apdu_tag_is_request(apdu[0]);
    unsigned src = request ? o->wport_client : o->wport_server;
    unsigned dst = request ? o->wport_server : o->wport_client;
    uint8_t head[WRAPPER_HEADER] = {0x00, 0x01, (uint8_t)(src >> 8), (uint8_t)src, (uint8_t)(dst >> 8),
                                    (uint8_t)dst, (uint8_t)(n >> 8), (uint8_t)n};
    ds_buf frame;
    ds_buf_init(&frame);
    int rc = ds_buf_append(&frame, head, sizeof head) || ds_buf_append(&frame, apdu, n) ? -1 : 0;
    if (rc == 0) rc = emit(user, frame.p, frame.len);
    ds_buf_free(&frame);
    return rc;
}

int ds_link_frame_apdu(const ds_link_opts *o, ds_link_state *st, const uint8_t *apdu, size_t n,
                       ds_frame_sink_fn emit, void *user)
{
    if (!o || !st || !apdu || n == 0 || !emit) return -1;
    switch (o->kind) {
    case DS_LINK_HDLC: return frame_hdlc(o, st, apdu, n, emit, user);
    case DS_LINK_WRAPPER: return frame_wrapper(o, apdu, n, emit, user);
    case DS_LINK_RAW:
    case DS_LINK_AUTO: return emit(user, apdu, n);
    default: return -1;
    }
}
