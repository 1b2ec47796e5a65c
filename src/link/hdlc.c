/* HDLC field decoding: addresses, control byte, SNRM/UA parameters, header. */
#include "link/hdlc.h"

#include <string.h>
#include "util/cursor.h"

/* The size of the address field at p: the extension bit (b0) marks its last byte, and only
 * 1, 2 and 4 are legal sizes. 0 when no legal size fits in avail bytes. */
static size_t addr_size(const uint8_t *p, size_t avail)
{
    if (avail >= 1 && (p[0] & 1u)) return 1;
    if (avail >= 2 && (p[1] & 1u)) return 2;
    if (avail >= 4 && !(p[2] & 1u) && (p[3] & 1u)) return 4;
    return 0;  /* 3 bytes, or no last byte within 4 */
}

/* Writes all of *out (zero when unreadable): the fields are worked out first and stored once. */
size_t ds_hdlc_addr_decode(const uint8_t *p, size_t avail, ds_hdlc_addr *out)
{
    size_t n = addr_size(p, avail);
    uint8_t raw[4] = {0};
    uint16_t upper = 0, lower = 0;
    uint32_t packed = 0;
    switch (n) {
    case 1:
        raw[0] = p[0];
        upper = (uint16_t)(p[0] >> 1);
        packed = upper;
        break;
    case 2:
        raw[0] = p[0];
        raw[1] = p[1];
        upper = (uint16_t)(p[0] >> 1);
        lower = (uint16_t)(p[1] >> 1);
        packed = ((uint32_t)upper << 7) | lower;
        break;
    case 4:
        memcpy(raw, p, 4);
        upper = (uint16_t)(((p[0] >> 1) << 7) | (p[1] >> 1));
        lower = (uint16_t)(((p[2] >> 1) << 7) | (p[3] >> 1));
        packed = ((uint32_t)upper << 14) | lower;
        break;
    default:
        break;
    }
    memcpy(out->raw, raw, sizeof raw);
    out->len = (uint8_t)n;
    out->upper = upper;
    out->lower = lower;
    out->packed = packed;
    return n;
}

static ds_hdlc_type classify_u(uint8_t control)
{
    switch (control & 0xEFu) {  /* the P/F bit does not change the command */
    case 0x83: return DS_HDLC_SNRM;
    case 0x43: return DS_HDLC_DISC;
    case 0x63: return DS_HDLC_UA;
    case 0x0F: return DS_HDLC_DM;
    case 0x87: return DS_HDLC_FRMR;
    case 0x03: return DS_HDLC_UI;
    default: return DS_HDLC_UNKNOWN_U;
    }
}

ds_hdlc_type ds_hdlc_classify(uint8_t control, int *ns, int *nr, int *pf)
{
    static const ds_hdlc_type s_types[4] = {DS_HDLC_RR, DS_HDLC_RNR, DS_HDLC_REJ, DS_HDLC_SREJ};
    int n_s = -1, n_r = -1;
    ds_hdlc_type t;
    if ((control & 0x01u) == 0) {
        t = DS_HDLC_I;
        n_s = (control >> 1) & 7;
        n_r = control >> 5;
    } else if ((control & 0x03u) == 0x01u) {
        t = s_types[(control >> 2) & 3];
        n_r = control >> 5;
    } else {
        t = classify_u(control);
    }
    if (ns) *ns = n_s;
    if (nr) *nr = n_r;
    if (pf) *pf = (control >> 4) & 1;
    return t;
}

/* Indexed by ds_hdlc_type; an unknown U frame is shown as "U". */
static const struct {
    const char *text;
    size_t len;
} TYPE_NAMES[] = {
#define TYPE_NAME(t, lit) [t] = {lit, sizeof lit - 1}
    TYPE_NAME(DS_HDLC_I, "I"),       TYPE_NAME(DS_HDLC_RR, "RR"),     TYPE_NAME(DS_HDLC_RNR, "RNR"),
    TYPE_NAME(DS_HDLC_REJ, "REJ"),   TYPE_NAME(DS_HDLC_SREJ, "SREJ"), TYPE_NAME(DS_HDLC_SNRM, "SNRM"),
    TYPE_NAME(DS_HDLC_DISC, "DISC"), TYPE_NAME(DS_HDLC_UA, "UA"),     TYPE_NAME(DS_HDLC_DM, "DM"),
    TYPE_NAME(DS_HDLC_FRMR, "FRMR"), TYPE_NAME(DS_HDLC_UI, "UI"),     TYPE_NAME(DS_HDLC_UNKNOWN_U, "U"),
#undef TYPE_NAME
};

const char *ds_hdlc_type_name_len(ds_hdlc_type t, size_t *len)
{
    if ((size_t)t >= sizeof TYPE_NAMES / sizeof TYPE_NAMES[0] || !TYPE_NAMES[t].text) t = DS_HDLC_UNKNOWN_U;
    *len = TYPE_NAMES[t].len;
    return TYPE_NAMES[t].text;
}

const char *ds_hdlc_type_name(ds_hdlc_type t)
{
    size_t len;
    return ds_hdlc_type_name_len(t, &len);
}

int ds_hdlc_params_walk(const uint8_t *p, size_t n, ds_hdlc_param_fn fn, void *user, size_t *stop)
{
    ds_cursor c;
    uint8_t format, group, group_len;
    ds_cur_init(&c, p, n);
    *stop = 0;
    if (ds_cur_u8(&c, &format) || format != 0x81u) return -1;
    if (ds_cur_u8(&c, &group) || group != 0x80u) return -1;
    if (ds_cur_u8(&c, &group_len)) return -1;
    /* The group must fill the information field exactly; anything else is
     * reported, but the parameters that do fit are still shown. */
    size_t end = c.pos + group_len;
    int ok = end == n;
    if (end > n) end = n;
    c.len = end;
    while (ds_cur_left(&c) > 0) {
        size_t at = c.pos;
        uint8_t id, len;
        uint64_t value;
        if (ds_cur_u8(&c, &id) || ds_cur_u8(&c, &len) || len == 0 || len > 4) {
            *stop = at;
            return -1;
        }
        const uint8_t *raw = c.p + c.pos;
        if (ds_cur_uint(&c, len, &value)) {
            *stop = at;
            return -1;
        }
        if (fn) fn(user, id, (uint32_t)value, raw, len);
    }
    *stop = c.pos;
    return ok ? 0 : -1;
}

static void store_param(void *user, uint8_t id, uint32_t value, const uint8_t *raw, size_t len)
{
    (void)raw;
    (void)len;
    ds_hdlc_params *out = user;
    switch (id) {
    case DS_HDLC_PARAM_MAX_INFO_TX: out->max_info_tx = value; out->has_max_info_tx = 1; break;
    case DS_HDLC_PARAM_MAX_INFO_RX: out->max_info_rx = value; out->has_max_info_rx = 1; break;
    case DS_HDLC_PARAM_WINDOW_TX: out->window_tx = value; out->has_window_tx = 1; break;
    case DS_HDLC_PARAM_WINDOW_RX: out->window_rx = value; out->has_window_rx = 1; break;
    default: break;  /* other parameters are not negotiated by DLMS */
    }
}

void ds_hdlc_params_defaults(ds_hdlc_params *out)
{
    *out = (ds_hdlc_params){.max_info_tx = 128, .max_info_rx = 128, .window_tx = 1, .window_rx = 1};
}

int ds_hdlc_params_parse(const uint8_t *p, size_t n, ds_hdlc_params *out)
{
    size_t stop;
    ds_hdlc_params_defaults(out);
    if (n >= 2 && p[0] == 0x81u && p[1] == 0x80u) out->present = 1;
    return ds_hdlc_params_walk(p, n, store_param, out, &stop);
}

/* What a header says before anything is decoded: every field not named is zero. */
static void header_defaults(ds_hdlc_info *h)
{
    *h = (ds_hdlc_info){.type = DS_HDLC_UNKNOWN_U, .ns = -1, .nr = -1, .hcs_ok = -1, .fcs_ok = -1};
}

/* (flatten: the address and control decoders are inlined here, where every frame passes) */
__attribute__((flatten)) int ds_hdlc_parse_header(const uint8_t *content, size_t avail, ds_hdlc_info *h,
                                                  ds_hdlc_layout *lay)
{
    /* Every field is defined whatever the result: the framer builds the frame's header here
     * and fills in only the check results after. */
    header_defaults(h);
    memset(lay, 0, sizeof *lay);
    if (avail < 2) return DS_HDLC_HDR_INCOMPLETE;
    if ((content[0] & 0xF0u) != 0xA0u) return DS_HDLC_HDR_INVALID;
    h->format = (uint16_t)((content[0] << 8) | content[1]);
    h->segmented = (h->format >> 11) & 1;
    h->frame_len = h->format & DS_HDLC_MAX_LEN;
    size_t len = h->frame_len;
    if (len < DS_HDLC_MIN_LEN) return DS_HDLC_HDR_INVALID;
    /* Addresses and control must lie inside the frame, before the FCS. */
    size_t limit = len - 2 < avail ? len - 2 : avail;
    size_t pos = 2;
    size_t n = ds_hdlc_addr_decode(content + pos, limit - pos, &h->dst);
    if (n == 0) return limit < len - 2 && limit - pos < 4 ? DS_HDLC_HDR_INCOMPLETE : DS_HDLC_HDR_BAD_ADDRESS;
    pos += n;
    n = ds_hdlc_addr_decode(content + pos, limit - pos, &h->src);
    if (n == 0) return limit < len - 2 && limit - pos < 4 ? DS_HDLC_HDR_INCOMPLETE : DS_HDLC_HDR_BAD_ADDRESS;
    pos += n;
    if (pos >= limit) return limit < len - 2 ? DS_HDLC_HDR_INCOMPLETE : DS_HDLC_HDR_INVALID;
    h->control = content[pos++];
    h->type = ds_hdlc_classify(h->control, &h->ns, &h->nr, &h->pf);
    lay->header_len = pos;
    size_t rest = len - 2 - pos;  /* bytes between CTRL and FCS */
    if (rest == 1) return DS_HDLC_HDR_INVALID;  /* too short for an HCS */
    lay->has_hcs = rest >= 2;
    lay->info_pos = lay->has_hcs ? pos + 2 : pos;
    lay->info_len = lay->has_hcs ? rest - 2 : 0;
    return DS_HDLC_HDR_OK;
}
