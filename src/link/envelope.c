/* Frame envelopes (GURUX-XML.md §2 and the dialect decisions on comments and attributes). */
#include "link/envelope.h"

#include <stdio.h>
#include <string.h>
#include "link/hdlc.h"
#include "util/copy.h"
#include "util/cursor.h"
#include "util/fmt.h"

#define NUM_MAX 24

/* A name with its length: the writers take both, and nothing here measures a name at run time. */
typedef struct known_name {
    const char *text;
    size_t len;
} known_name;
#define NAME(lit) ((known_name){lit, sizeof lit - 1})

/* Appends a string literal at o; returns the new end. */
#define PUT_LIT(o, lit) ds_put(o, lit, sizeof lit - 1)

/* hx in hex mode (no padding), decimal otherwise, NUL-terminated; returns the length. */
static size_t fmt_num_len(const ds_emit *e, char *buf, uint64_t v)
{
    return e->opt->decimal ? ds_fmt_udec(buf, v) : ds_fmt_uhex(buf, v, 1);
}

/* The Direction attribute's values with their lengths (every frame of a capture has one). */
static const known_name DIRECTION_NAMES[] = {
    [DS_DIR_UNKNOWN] = {NULL, 0},
    [DS_DIR_TX] = NAME("TX"),
    [DS_DIR_RX] = NAME("RX"),
    [DS_DIR_TO_SERVER] = NAME("ToServer"),
    [DS_DIR_TO_CLIENT] = NAME("ToClient"),
};

static known_name direction_name(ds_direction d)
{
    if ((size_t)d >= sizeof DIRECTION_NAMES / sizeof DIRECTION_NAMES[0]) return DIRECTION_NAMES[DS_DIR_UNKNOWN];
    return DIRECTION_NAMES[d];
}

const char *ds_envelope_direction_name(ds_direction d)
{
    return direction_name(d).text;
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
    /* as for HDLC, all bytes but the check and the end: 68 L L 68, then the L bytes counted by L;
     * the short frame and E5 have no such pair and count every byte */
    case DS_LINK_MBUS:
        if (f->u.mbus.form != DS_MBUS_LONG) return f->wire_len;  /* 5 or 1 */
        return (size_t)f->u.mbus.l_field + (f->u.mbus.l_quirk ? 256u : 0u) + 4u;
    default: return f->wire_len;
    }
}

/* The envelope element of each framing; a raw record has none. */
static const known_name ENVELOPE_NAMES[] = {
    [DS_LINK_AUTO] = {NULL, 0},
    [DS_LINK_HDLC] = NAME("HDLC"),
    [DS_LINK_WRAPPER] = NAME("WRAPPER"),
    [DS_LINK_MBUS] = NAME("WiredMBus"),
    [DS_LINK_RAW] = {NULL, 0},
};

static const known_name *element_name(ds_link_kind k)
{
    if ((size_t)k >= sizeof ENVELOPE_NAMES / sizeof ENVELOPE_NAMES[0] || !ENVELOPE_NAMES[k].text) return NULL;
    return &ENVELOPE_NAMES[k];
}

/* Comments here are written for every frame: composed in place from pieces of known length,
 * without printf (which would cost more than decoding the frame). */
static void address_comment(ds_emit *e, const ds_hdlc_addr *a)
{
    if ((a->len != 2 && a->len != 4) || !ds_emit_comments_on(e)) return;
    char t[48];  /* "logical " 65535 ", physical ", then ds_fmt_udec's 21 bytes */
    char *o = PUT_LIT(t, "logical ");
    o += ds_fmt_udec(o, a->upper);
    o = PUT_LIT(o, ", physical ");
    o += ds_fmt_udec(o, a->lower);
    ds_emit_note(e, t, (size_t)(o - t));
}

/* "I frame N(S)=0 N(R)=1 P/F=1": N(S) for I frames, N(R) for I and S frames. */
static void frame_label(ds_emit *e, const ds_hdlc_info *h)
{
    if (!ds_emit_comments_on(e)) return;
    char t[96];  /* name, " frame", two 20-digit numbers with their labels, " P/F=1" */
    size_t name_len;
    const char *name = ds_hdlc_type_name_len(h->type, &name_len);
    char *o = ds_put(t, name, name_len);
    o = PUT_LIT(o, " frame");
    if (h->type == DS_HDLC_I) {
        o = PUT_LIT(o, " N(S)=");
        o += ds_fmt_udec(o, (uint64_t)h->ns);
    }
    if (h->type == DS_HDLC_I || h->type == DS_HDLC_RR || h->type == DS_HDLC_RNR || h->type == DS_HDLC_REJ ||
        h->type == DS_HDLC_SREJ) {
        o = PUT_LIT(o, " N(R)=");
        o += ds_fmt_udec(o, (uint64_t)h->nr);
    }
    o = PUT_LIT(o, " P/F=");
    *o++ = h->pf ? '1' : '0';
    ds_emit_note(e, t, (size_t)(o - t));
}

size_t ds_hdlc_addr_size_for(uint32_t packed)
{
    return packed < 0x80u ? 1 : packed < 0x4000u ? 2 : 4;
}

size_t ds_hdlc_param_size_for(uint8_t id, uint32_t value)
{
    if (id == DS_HDLC_PARAM_WINDOW_TX || id == DS_HDLC_PARAM_WINDOW_RX) return 4;
    return value <= 0xFFu ? 1 : value <= 0xFFFFu ? 2 : 4;
}

/* <Name Value="v" />, or <Name Value="v" Size="n" /> when the wire used another size than
 * the encoder would choose for v (the packed number does not say how it was written). */
static void sized_leaf(ds_emit *e, known_name name, const char *value, size_t value_len, size_t size,
                       size_t canonical, unsigned flags)
{
    if (size == canonical) {
        ds_emit_value_len(e, name.text, name.len, value, value_len, flags);
        return;
    }
    char sz[NUM_MAX];
    ds_attr attrs[2] = {DS_ATTR_PLAIN("Value", value, value_len), DS_ATTR_PLAIN("Size", sz, ds_fmt_udec(sz, size))};
    ds_emit_leaf_attrs_len(e, name.text, name.len, attrs, 2);
}

static void address_leaf(ds_emit *e, known_name name, const ds_hdlc_addr *a)
{
    char num[NUM_MAX];
    address_comment(e, a);
    size_t len = fmt_num_len(e, num, a->packed);
    if (a->len == 0) /* unreadable address: nothing to size */
        ds_emit_value_len(e, name.text, name.len, num, len, ds_emit_number_flags(e));
    else
        sized_leaf(e, name, num, len, a->len, ds_hdlc_addr_size_for(a->packed), ds_emit_number_flags(e));
}

static void hdlc_children(ds_emit *e, const ds_hdlc_info *h)
{
    address_leaf(e, NAME("TargetAddress"), &h->dst);
    address_leaf(e, NAME("SourceAddress"), &h->src);
    if (h->dst.len == 0 || h->src.len == 0) return;  /* no control byte known */
    frame_label(e, h);
    char control[2];  /* two hex digits in both modes */
    ds_hex_encode(control, &h->control, 1);
    ds_emit_leaf_plain(e, "FrameType", control, sizeof control);
}

/* Target (DTSAP) before source (STSAP) and unpadded, as Gurux writes its frame addresses. */
static void mbus_children(ds_emit *e, const ds_mbus_info *m)
{
    if (m->form == DS_MBUS_ACK) return;  /* one byte, E5: the len="1" says it all */
    ds_emit_uint(e, "Control", m->c, 2);
    ds_emit_uint(e, "Address", m->a, 2);
    if (m->form == DS_MBUS_SHORT) return;  /* no CI: len="5" */
    ds_emit_uint(e, "CI", m->ci, 2);
    if (!m->has_tsap) return;
    char num[NUM_MAX];
    ds_emit_value_len(e, "TargetAddress", sizeof "TargetAddress" - 1, num, fmt_num_len(e, num, m->dtsap), ds_emit_number_flags(e));
    ds_emit_value_len(e, "SourceAddress", sizeof "SourceAddress" - 1, num, fmt_num_len(e, num, m->stsap), ds_emit_number_flags(e));
}

static void raw_comment(ds_emit *e, const ds_frame *f)
{
    const char *dir = ds_envelope_direction_name(f->meta.dir);
    const char *time = f->meta.timestamp;
    if (dir && time[0]) ds_emit_comment(e, "%s %s", dir, time);
    else if (dir) ds_emit_comment(e, "%s", dir);
    else if (time[0]) ds_emit_comment(e, "%s", time);
    if (f->meta.from && f->meta.to) ds_emit_comment(e, "from %s to %s", f->meta.from, f->meta.to);
}

/* A capture's frame: Direction, Time, From and To as the XML writers write them (ds_sink.open_run),
 * composed from the text the capture made once per connection side (ds_meta.from_to_xml) and the
 * words before the time, fixed per direction; every frame of a capture has them all. */
#define DIR_TIME(lit) NAME(" Direction=\"" lit "\" Time=\"")
static const known_name DIRECTION_TIME_RUNS[] = {
    [DS_DIR_UNKNOWN] = NAME(" Time=\""),
    [DS_DIR_TX] = DIR_TIME("TX"),
    [DS_DIR_RX] = DIR_TIME("RX"),
    [DS_DIR_TO_SERVER] = DIR_TIME("ToServer"),
    [DS_DIR_TO_CLIENT] = DIR_TIME("ToClient"),
};

/* The run's pieces: 0 when the frame's attributes are not a capture's (they go one by one). */
static int capture_run(ds_attr_run *run, const ds_meta *m)
{
    size_t ts_len = m->timestamp_len;
    if (!m->from_to_xml || !m->from || !m->to || ts_len == 0 || ts_len > 32 || !m->timestamp[0] ||
        (size_t)m->dir >= sizeof DIRECTION_TIME_RUNS / sizeof DIRECTION_TIME_RUNS[0])
        return 0;
    known_name head = DIRECTION_TIME_RUNS[m->dir];
    *run = (ds_attr_run){{head.text, m->timestamp, "\"", m->from_to_xml}, {head.len, ts_len, 1, m->from_to_xml_len}};
    return 1;
}

/* Direction, Time, From and To after attrs[0] (len) as the input says them; returns how many
 * attributes attrs then holds. */
static inline __attribute__((always_inline)) size_t meta_attrs(ds_attr *attrs, const ds_meta *m)
{
    size_t n = 1;
    known_name dir = direction_name(m->dir);
    if (dir.text) attrs[n++] = (ds_attr)DS_ATTR_PLAIN("Direction", dir.text, dir.len);
    if (m->timestamp[0]) { /* text of the input: scanned by the writer, but a capture's own is plain */
        unsigned plain = m->from && m->to ? DS_TEXT_PLAIN : 0;
        attrs[n++] = (ds_attr){"Time", m->timestamp, DS_ATTR_SIZED | plain, sizeof "Time" - 1,
                               m->timestamp_len ? m->timestamp_len : strlen(m->timestamp)};
    }
    if (m->from && m->to) {
        /* plain by contract (ds_meta): written as they are */
        attrs[n++] = (ds_attr)DS_ATTR_PLAIN("From", m->from, m->from_len ? m->from_len : strlen(m->from));
        attrs[n++] = (ds_attr)DS_ATTR_PLAIN("To", m->to, m->to_len ? m->to_len : strlen(m->to));
    }
    return n;
}

/* A capture's envelope opened with its run (ds_emit_open_flat_run); -2 when it has none. */
static inline __attribute__((always_inline)) int open_with_run(ds_emit *e, const known_name *name, ds_attr *attrs,
                                                             const ds_meta *m)
{
    ds_attr_run run;
    if (!capture_run(&run, m)) return -2;
    /* the attributes the run stands for are made only for a writer that takes them one by one,
     * and to check the run against them */
    size_t n = ds_emit_takes_run(e) && !DS_EMIT_CHECKS ? 1 : meta_attrs(attrs, m);
    return ds_emit_open_flat_run(e, name->text, name->len, attrs, 1, n, &run);
}

int ds_envelope_open(ds_emit *e, const ds_frame *f)
{
    const known_name *name = element_name(f->kind);
    if (!name) {
        raw_comment(e, f);
        return 0;
    }
    char len[NUM_MAX];
    ds_attr attrs[5] = {DS_ATTR_PLAIN("len", len, fmt_num_len(e, len, frame_len_attr(f)))};
    const ds_meta *m = &f->meta;
    if (__builtin_expect(m->from_to_xml != NULL, 0)) { /* a capture's: the other inputs' way kept straight */
        int opened = open_with_run(e, name, attrs, m);
        if (opened == -2) opened = ds_emit_open_flat_len(e, name->text, name->len, attrs, meta_attrs(attrs, m));
        if (opened != 0) return -1;
    } else if (ds_emit_open_flat_len(e, name->text, name->len, attrs, meta_attrs(attrs, m)) != 0) {
        return -1;
    }
    char num[NUM_MAX];
    switch (f->kind) {
    case DS_LINK_HDLC:
        hdlc_children(e, &f->u.hdlc);
        break;
    case DS_LINK_WRAPPER:
        ds_emit_value_len(e, "TargetAddress", sizeof "TargetAddress" - 1, num, fmt_num_len(e, num, f->u.wrapper.dst_port), ds_emit_number_flags(e));
        ds_emit_value_len(e, "SourceAddress", sizeof "SourceAddress" - 1, num, fmt_num_len(e, num, f->u.wrapper.src_port), ds_emit_number_flags(e));
        break;
    case DS_LINK_MBUS:
        mbus_children(e, &f->u.mbus);
        break;
    default:
        break;
    }
    return 0;
}

/* The leaf name of a DLMS parameter; text NULL for any other. */
static known_name param_name(uint8_t id)
{
    switch (id) {
    case DS_HDLC_PARAM_MAX_INFO_TX: return NAME("MaxInfoTX");
    case DS_HDLC_PARAM_MAX_INFO_RX: return NAME("MaxInfoRX");
    case DS_HDLC_PARAM_WINDOW_TX: return NAME("WindowSizeTX");
    case DS_HDLC_PARAM_WINDOW_RX: return NAME("WindowSizeRX");
    default: return (known_name){NULL, 0};
    }
}

/* One parameter: the four DLMS ones in decimal (with Size when not the usual width), any
 * other as <Parameter Id="09" Value="HEX" /> so that it re-encodes. */
static void param_leaf(ds_emit *e, uint8_t id, const uint8_t *v, size_t len)
{
    known_name name = param_name(id);
    if (!name.text) {
        char idh[3], hex[2 * 4 + 1];
        ds_fmt_hex(idh, &id, 1);
        ds_fmt_hex(hex, v, len);
        ds_attr attrs[2] = {DS_ATTR("Id", idh), DS_ATTR("Value", hex)};
        ds_emit_leaf_attrs(e, "Parameter", attrs, 2);
        return;
    }
    uint32_t value = 0;
    for (size_t i = 0; i < len; i++) value = value << 8 | v[i];
    char num[NUM_MAX];
    size_t num_len = ds_fmt_udec(num, value);
    sized_leaf(e, name, num, num_len, len, ds_hdlc_param_size_for(id, value), DS_TEXT_PLAIN | DS_LEAF_NUMBER);
}

/* Writes the parameters of an 81 80 group. The same rules as ds_hdlc_params_walk(); returns
 * 0 when the field was well formed, else -1 with *stop where the malformed part starts. */
static void emit_param(void *user, uint8_t id, uint32_t value, const uint8_t *raw, size_t len)
{
    (void)value;
    param_leaf(user, id, raw, len);
}

static int params_emit(ds_emit *e, const uint8_t *p, size_t n, size_t *stop)
{
    return ds_hdlc_params_walk(p, n, emit_param, e, stop);
}

/* <Snrm>/<Ua>: empty without parameters, else <PDU> holding one leaf per parameter. */
static void negotiation_body(ds_emit *e, const ds_frame *f, known_name name)
{
    if (f->info_len == 0) {
        if (ds_emit_open_len(e, name.text, name.len) == 0) ds_emit_close_len(e, name.text, name.len);
        return;
    }
    if (ds_emit_open_flat(e, "PDU", NULL, 0) != 0) return;
    if (ds_emit_open_len(e, name.text, name.len) == 0) {
        size_t stop = 0;
        if (params_emit(e, f->info, f->info_len, &stop) != 0)
            ds_emit_hex(e, "Undecoded", f->info + stop, f->info_len - stop);
        ds_emit_close_len(e, name.text, name.len);
    }
    ds_emit_close(e, "PDU");
}

static void empty_body(ds_emit *e, const ds_frame *f, known_name name)
{
    if (ds_emit_open_len(e, name.text, name.len) != 0) return;
    /* These frames carry nothing for DLMS; an FRMR reason field is kept visible. */
    if (f->info_len > 0) ds_emit_hex(e, "Undecoded", f->info, f->info_len);
    ds_emit_close_len(e, name.text, name.len);
}

/* The M-Bus frames that carry no data: a comment says what they are. */
static int mbus_control_body(ds_emit *e, const ds_mbus_info *m)
{
    if (m->form == DS_MBUS_SHORT) ds_emit_comment(e, "M-Bus short frame: no data");
    else if (m->form == DS_MBUS_ACK) ds_emit_comment(e, "M-Bus single character E5: acknowledgement");
    else return 0;
    return 1;
}

int ds_envelope_body(ds_emit *e, const ds_frame *f)
{
    if (f->kind == DS_LINK_MBUS) return mbus_control_body(e, &f->u.mbus);
    if (f->kind != DS_LINK_HDLC) return 0;
    const ds_hdlc_info *h = &f->u.hdlc;
    if (h->dst.len == 0 || h->src.len == 0) return 0;
    switch (h->type) {
    case DS_HDLC_SNRM: negotiation_body(e, f, NAME("Snrm")); return 1;
    case DS_HDLC_UA: negotiation_body(e, f, NAME("Ua")); return 1;
    case DS_HDLC_DISC: empty_body(e, f, NAME("DisconnectRequest")); return 1;
    case DS_HDLC_DM: empty_body(e, f, NAME("DisconnectMode")); return 1;
    case DS_HDLC_FRMR: empty_body(e, f, NAME("UnacceptableFrame")); return 1;
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
    const known_name *name = element_name(f->kind);
    if (name) ds_emit_close_len(e, name->text, name->len);
}
