/* Frame envelopes (GURUX-XML.md §2 and the dialect decisions on comments and attributes). */
#include "link/envelope.h"

#include <stdio.h>
#include "link/hdlc.h"
#include "util/fmt.h"

#define NUM_MAX 24

/* hx in hex mode (no padding), decimal otherwise */
static const char *fmt_num(const ds_emit *e, char *buf, uint64_t v)
{
    if (e->opt->decimal) ds_fmt_udec(buf, v);
    else ds_fmt_uhex(buf, v, 1);
    return buf;
}

static const char *direction_name(ds_direction d)
{
    return d == DS_DIR_TX ? "TX" : d == DS_DIR_RX ? "RX" : NULL;
}

/* Gurux counts from the opening flag to the end of the information field
 * (all bytes minus FCS and closing flag); a frame without one counts all its
 * bytes including both flags. */
static size_t hdlc_len_attr(const ds_hdlc_info *h)
{
    size_t header = 2u + h->dst.len + h->src.len + 1u;
    if (h->dst.len == 0 || h->src.len == 0) return h->frame_len - 1;  /* header unknown */
    int has_info = h->frame_len >= header + 4;
    return has_info ? h->frame_len - 1 : h->frame_len + 2;
}

static size_t frame_len_attr(const ds_frame *f)
{
    switch (f->kind) {
    case DS_LINK_HDLC: return hdlc_len_attr(&f->u.hdlc);
    case DS_LINK_WRAPPER: return 8u + f->u.wrapper.length;
    case DS_LINK_MBUS: return (size_t)f->u.mbus.l_field + (f->u.mbus.l_quirk ? 256u : 0u) + 6u;
    default: return f->wire_len;
    }
}

static const char *element_name(ds_link_kind k)
{
    return k == DS_LINK_HDLC ? "HDLC" : k == DS_LINK_WRAPPER ? "WRAPPER" : k == DS_LINK_MBUS ? "WiredMBus" : NULL;
}

static void address_comment(ds_emit *e, const ds_hdlc_addr *a)
{
    if (a->len == 2 || a->len == 4) ds_emit_comment(e, "logical %u, physical %u", a->upper, a->lower);
}

static void frame_label(ds_emit *e, const ds_hdlc_info *h)
{
    const char *name = ds_hdlc_type_name(h->type);
    switch (h->type) {
    case DS_HDLC_I:
        ds_emit_comment(e, "I frame N(S)=%d N(R)=%d P/F=%d", h->ns, h->nr, h->pf);
        break;
    case DS_HDLC_RR:
    case DS_HDLC_RNR:
    case DS_HDLC_REJ:
    case DS_HDLC_SREJ:
        ds_emit_comment(e, "%s frame N(R)=%d P/F=%d", name, h->nr, h->pf);
        break;
    default:
        ds_emit_comment(e, "%s frame P/F=%d", name, h->pf);
        break;
    }
}

static void hdlc_children(ds_emit *e, const ds_hdlc_info *h)
{
    char num[NUM_MAX];
    address_comment(e, &h->dst);
    ds_emit_leaf(e, "TargetAddress", fmt_num(e, num, h->dst.packed));
    address_comment(e, &h->src);
    ds_emit_leaf(e, "SourceAddress", fmt_num(e, num, h->src.packed));
    if (h->dst.len == 0 || h->src.len == 0) return;  /* no control byte known */
    frame_label(e, h);
    ds_fmt_uhex(num, h->control, 2);  /* two hex digits in both modes */
    ds_emit_leaf(e, "FrameType", num);
}

static void mbus_children(ds_emit *e, const ds_mbus_info *m)
{
    ds_emit_uint(e, "Control", m->c, 2);
    ds_emit_uint(e, "Address", m->a, 2);
    ds_emit_uint(e, "CI", m->ci, 2);
    if (!m->has_tsap) return;
    ds_emit_uint(e, "SourceAddress", m->stsap, 2);
    ds_emit_uint(e, "TargetAddress", m->dtsap, 2);
}

static void raw_comment(ds_emit *e, const ds_frame *f)
{
    const char *dir = direction_name(f->meta.dir);
    const char *time = f->meta.timestamp;
    if (dir && time[0]) ds_emit_comment(e, "%s %s", dir, time);
    else if (dir) ds_emit_comment(e, "%s", dir);
    else if (time[0]) ds_emit_comment(e, "%s", time);
}

int ds_envelope_open(ds_emit *e, const ds_frame *f)
{
    const char *name = element_name(f->kind);
    if (!name) {
        raw_comment(e, f);
        return 0;
    }
    char len[NUM_MAX];
    ds_attr attrs[3];
    size_t n = 0;
    attrs[n].name = "len";
    attrs[n++].value = fmt_num(e, len, frame_len_attr(f));
    const char *dir = direction_name(f->meta.dir);
    if (dir) {
        attrs[n].name = "Direction";
        attrs[n++].value = dir;
    }
    if (f->meta.timestamp[0]) {
        attrs[n].name = "Time";
        attrs[n++].value = f->meta.timestamp;
    }
    if (ds_emit_open_flat(e, name, attrs, n) != 0) return -1;
    char num[NUM_MAX];
    switch (f->kind) {
    case DS_LINK_HDLC:
        hdlc_children(e, &f->u.hdlc);
        break;
    case DS_LINK_WRAPPER:
        ds_emit_leaf(e, "TargetAddress", fmt_num(e, num, f->u.wrapper.dst_port));
        ds_emit_leaf(e, "SourceAddress", fmt_num(e, num, f->u.wrapper.src_port));
        break;
    case DS_LINK_MBUS:
        mbus_children(e, &f->u.mbus);
        break;
    default:
        break;
    }
    return 0;
}

static void param_leaf(void *user, uint8_t id, uint32_t value)
{
    ds_emit *e = user;
    switch (id) {
    case DS_HDLC_PARAM_MAX_INFO_TX: ds_emit_dec(e, "MaxInfoTX", value); break;
    case DS_HDLC_PARAM_MAX_INFO_RX: ds_emit_dec(e, "MaxInfoRX", value); break;
    case DS_HDLC_PARAM_WINDOW_TX: ds_emit_dec(e, "WindowSizeTX", value); break;
    case DS_HDLC_PARAM_WINDOW_RX: ds_emit_dec(e, "WindowSizeRX", value); break;
    default: ds_emit_comment(e, "parameter %02X = %u", id, (unsigned)value); break;
    }
}

/* <Snrm>/<Ua>: empty without parameters, else <PDU> holding one leaf per parameter. */
static void negotiation_body(ds_emit *e, const ds_frame *f, const char *name)
{
    if (f->info_len == 0) {
        if (ds_emit_open(e, name) == 0) ds_emit_close(e, name);
        return;
    }
    if (ds_emit_open_flat(e, "PDU", NULL, 0) != 0) return;
    if (ds_emit_open(e, name) == 0) {
        size_t stop = 0;
        if (ds_hdlc_params_walk(f->info, f->info_len, param_leaf, e, &stop) != 0)
            ds_emit_hex(e, "Undecoded", f->info + stop, f->info_len - stop);
        ds_emit_close(e, name);
    }
    ds_emit_close(e, "PDU");
}

static void empty_body(ds_emit *e, const ds_frame *f, const char *name)
{
    if (ds_emit_open(e, name) != 0) return;
    /* These frames carry nothing for DLMS; an FRMR reason field is kept visible. */
    if (f->info_len > 0) ds_emit_hex(e, "Undecoded", f->info, f->info_len);
    ds_emit_close(e, name);
}

int ds_envelope_body(ds_emit *e, const ds_frame *f)
{
    if (f->kind != DS_LINK_HDLC) return 0;
    const ds_hdlc_info *h = &f->u.hdlc;
    if (h->dst.len == 0 || h->src.len == 0) return 0;
    switch (h->type) {
    case DS_HDLC_SNRM: negotiation_body(e, f, "Snrm"); return 1;
    case DS_HDLC_UA: negotiation_body(e, f, "Ua"); return 1;
    case DS_HDLC_DISC: empty_body(e, f, "DisconnectRequest"); return 1;
    case DS_HDLC_DM: empty_body(e, f, "DisconnectMode"); return 1;
    case DS_HDLC_FRMR: empty_body(e, f, "UnacceptableFrame"); return 1;
    case DS_HDLC_RR:
    case DS_HDLC_RNR:
    case DS_HDLC_REJ:
    case DS_HDLC_SREJ:
        ds_emit_leaf(e, "Command", "NextFrame");
        return 1;
    case DS_HDLC_UNKNOWN_U: return f->info_len == 0;
    case DS_HDLC_I:
    case DS_HDLC_UI: break;
    }
    return 0;
}

void ds_envelope_close(ds_emit *e, const ds_frame *f)
{
    const char *name = element_name(f->kind);
    if (name) ds_emit_close(e, name);
}
