/* HDLC frames out: addresses, format, HCS, FCS (see hdlc_write.h). */
#include "link/hdlc_write.h"

#include <string.h>

#include "dlmscope/frame.h"
#include "link/envelope.h"

size_t ds_hdlc_addr_from_parts(uint32_t upper, uint32_t lower, int size, uint8_t out[4])
{
    switch (size) {
    case 1:
        if (upper >= 0x80u || lower != 0) return 0;
        out[0] = (uint8_t)(upper << 1 | 1u);
        return 1;
    case 2:
        if (upper >= 0x80u || lower >= 0x80u) return 0;
        out[0] = (uint8_t)(upper << 1);
        out[1] = (uint8_t)(lower << 1 | 1u);
        return 2;
    case 4:
        if (upper >= 0x4000u || lower >= 0x4000u) return 0;
        out[0] = (uint8_t)((upper >> 7) << 1);
        out[1] = (uint8_t)((upper & 0x7Fu) << 1);
        out[2] = (uint8_t)((lower >> 7) << 1);
        out[3] = (uint8_t)((lower & 0x7Fu) << 1 | 1u);
        return 4;
    default:
        return 0;
    }
}

size_t ds_hdlc_addr_encode(uint32_t packed, int size, uint8_t out[4])
{
    if (size == 0) size = (int)ds_hdlc_addr_size_for(packed);
    switch (size) {
    case 1: return ds_hdlc_addr_from_parts(packed, 0, 1, out);
    case 2: return packed >= 0x4000u ? 0 : ds_hdlc_addr_from_parts(packed >> 7, packed & 0x7Fu, 2, out);
    case 4: return ds_hdlc_addr_from_parts(packed >> 14, packed & 0x3FFFu, 4, out);
    default: return 0;
    }
}

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)(v >> 8);
}

size_t ds_hdlc_write(uint8_t *out, size_t cap, const uint8_t *dst, size_t dst_len, const uint8_t *src,
                     size_t src_len, uint8_t control, int segmented, const uint8_t *info, size_t info_len)
{
    if (dst_len > 4 || src_len > 4 || info_len > DS_HDLC_MAX_LEN) return 0;
    size_t header = 2 + dst_len + src_len + 1;
    size_t frame_len = header + (info_len ? 2 + info_len : 0) + 2;
    if (frame_len > DS_HDLC_MAX_LEN || frame_len + 2 > cap) return 0;
    uint16_t format = (uint16_t)(0xA000u | (segmented ? 0x0800u : 0u) | frame_len);
    uint8_t *c = out + 1; /* the content: what lies between the flags */
    out[0] = DS_HDLC_FLAG;
    c[0] = (uint8_t)(format >> 8);
    c[1] = (uint8_t)(format & 0xFFu);
    memcpy(c + 2, dst, dst_len);
    memcpy(c + 2 + dst_len, src, src_len);
    c[header - 1] = control;
    size_t pos = header;
    if (info_len) {
        put_le16(c + pos, ds_crc16_x25(c, header));
        pos += 2;
        memcpy(c + pos, info, info_len);
        pos += info_len;
    }
    /* the FCS covers everything between the flags, the HCS included */
    put_le16(c + pos, ds_crc16_x25(c, pos));
    pos += 2;
    c[pos] = DS_HDLC_FLAG;
    return frame_len + 2;
}

int ds_hdlc_build(ds_buf *out, const uint8_t *dst, size_t dst_len, const uint8_t *src, size_t src_len,
                  uint8_t control, int segmented, const uint8_t *info, size_t info_len)
{
    uint8_t frame[DS_HDLC_WIRE_MAX];
    size_t n = ds_hdlc_write(frame, sizeof frame, dst, dst_len, src, src_len, control, segmented, info, info_len);
    return n && ds_buf_append(out, frame, n) == 0 ? 0 : -1;
}
