/* Link, network and transport headers (see packet.h; facts from REFERENCE.md 10.6). */
#include "capture/packet.h"

#include <stdio.h>
#include <string.h>

#include "capture/tcp_reasm.h"

#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_IPV6 0x86DDu
#define ETHERTYPE_VLAN 0x8100u  /* 802.1Q */
#define ETHERTYPE_QINQ 0x88A8u  /* 802.1ad */
#define ETHERTYPE_QINQ_OLD 0x9100u
#define VLAN_TAGS_MAX 8         /* tags stacked deeper than this are not a real capture */
#define IPV6_EXT_MAX 8          /* extension headers followed before giving up */

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static ds_pkt_result broken(const char **why, const char *text)
{
    *why = text;
    return DS_PKT_BROKEN;
}

static ds_pkt_result transport(uint8_t proto, const uint8_t *p, size_t avail, size_t wire, ds_pkt *out,
                               const char **why)
{
    out->proto = proto;
    if (proto == 6) {
        if (avail < 20) return broken(why, "the TCP header is cut short");
        size_t hl = (size_t)(p[12] >> 4) * 4;
        if (hl < 20 || hl > avail || hl > wire) return broken(why, "the TCP header length is impossible");
        out->sport = be16(p);
        out->dport = be16(p + 2);
        out->seq = be32(p + 4);
        out->ack = be32(p + 8);
        out->tcp_flags = p[13];
        out->payload = p + hl;
        out->len = avail - hl;
        out->wire_len = wire - hl;
        return DS_PKT_OURS;
    }
    if (proto == 17) {
        if (avail < 8) return broken(why, "the UDP header is cut short");
        size_t ulen = be16(p + 4);
        if (ulen < 8 || ulen > wire) return broken(why, "the UDP length is impossible");
        out->sport = be16(p);
        out->dport = be16(p + 2);
        out->payload = p + 8;
        out->len = (ulen < avail ? ulen : avail) - 8;
        out->wire_len = ulen - 8;
        return DS_PKT_OURS;
    }
    return DS_PKT_OTHER;
}

static ds_pkt_result ipv4(const uint8_t *p, size_t avail, ds_pkt *out, const char **why)
{
    if (avail < 20) return broken(why, "the IPv4 header is cut short");
    size_t ihl = (size_t)(p[0] & 0x0F) * 4;
    size_t total = be16(p + 2);
    if (ihl < 20 || ihl > avail) return broken(why, "the IPv4 header length is impossible");
    if (total < ihl) return broken(why, "the IPv4 total length is shorter than its header");
    out->ip_version = 4;
    memcpy(out->src, p + 12, 4);
    memcpy(out->dst, p + 16, 4);
    uint16_t frag = be16(p + 6);
    size_t have = total < avail ? total : avail; /* Ethernet pads short frames: the IP length rules */
    if (frag & 0x3FFFu) {  /* MF set or an offset: one piece of a fragmented datagram */
        if ((frag & 0x1FFFu) == 0 && have - ihl >= 4) { /* the first holds the ports: whose it is */
            out->proto = p[9];
            out->sport = be16(p + ihl);
            out->dport = be16(p + ihl + 2);
            out->first_fragment = 1;
        }
        *why = (frag & 0x1FFFu) ? "an IPv4 fragment (not the first)" : "the first IPv4 fragment of a datagram";
        return DS_PKT_FRAGMENT;
    }
    return transport(p[9], p + ihl, have - ihl, total - ihl, out, why);
}

static ds_pkt_result ipv6(const uint8_t *p, size_t avail, ds_pkt *out, const char **why)
{
    if (avail < 40) return broken(why, "the IPv6 header is cut short");
    size_t wire = be16(p + 4);
    out->ip_version = 6;
    memcpy(out->src, p + 8, 16);
    memcpy(out->dst, p + 24, 16);
    uint8_t next = p[6];
    size_t have = avail - 40 < wire ? avail - 40 : wire;
    const uint8_t *q = p + 40;
    for (int i = 0; i <= IPV6_EXT_MAX; i++) {
        if (next == 6 || next == 17) return transport(next, q, have, wire, out, why);
        size_t len;
        if (next == 0 || next == 43 || next == 60) { /* hop-by-hop, routing, destination options */
            if (have < 8) return broken(why, "an IPv6 extension header is cut short");
            len = ((size_t)q[1] + 1) * 8;
        } else if (next == 44) {
            if (have < 8) return broken(why, "an IPv6 fragment header is cut short");
            if ((be16(q + 2) & 0xFFF9u) != 0) {  /* an offset or M set: a fragment */
                if ((be16(q + 2) & 0xFFF8u) == 0 && have >= 12) { /* the first holds the ports */
                    out->proto = q[0];
                    out->sport = be16(q + 8);
                    out->dport = be16(q + 10);
                    out->first_fragment = 1;
                }
                *why = "an IPv6 fragment";
                return DS_PKT_FRAGMENT;
            }
            len = 8; /* an atomic fragment: the whole datagram */
        } else if (next == 51) { /* authentication header */
            if (have < 8) return broken(why, "an IPv6 authentication header is cut short");
            len = ((size_t)q[1] + 2) * 4;
        } else {
            return DS_PKT_OTHER;
        }
        if (len > have || len > wire) return broken(why, "an IPv6 extension header is longer than the packet");
        next = q[0];
        q += len;
        have -= len;
        wire -= len;
    }
    return broken(why, "more IPv6 extension headers than are followed");
}

static ds_pkt_result by_ip_version(const uint8_t *p, size_t avail, ds_pkt *out, const char **why)
{
    if (avail < 1) return broken(why, "no IP header");
    if (p[0] >> 4 == 4) return ipv4(p, avail, out, why);
    if (p[0] >> 4 == 6) return ipv6(p, avail, out, why);
    return DS_PKT_OTHER;
}

static ds_pkt_result by_ethertype(uint16_t type, const uint8_t *p, size_t avail, ds_pkt *out, const char **why)
{
    if (type == ETHERTYPE_IPV4) return ipv4(p, avail, out, why);
    if (type == ETHERTYPE_IPV6) return ipv6(p, avail, out, why);
    return DS_PKT_OTHER;
}

/* The address family of a loopback header: 2 IPv4; 24, 28, 30 IPv6 (the BSDs differ). */
static ds_pkt_result by_family(uint32_t family, const uint8_t *p, size_t avail, ds_pkt *out, const char **why)
{
    if (family == 2) return ipv4(p, avail, out, why);
    if (family == 24 || family == 28 || family == 30) return ipv6(p, avail, out, why);
    return DS_PKT_OTHER;
}

static ds_pkt_result ethernet(const uint8_t *p, size_t caplen, ds_pkt *out, const char **why)
{
    if (caplen < 14) return broken(why, "the Ethernet header is cut short");
    size_t at = 12;
    uint16_t type = be16(p + at);
    for (int tags = 0; type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD; tags++) {
        if (tags == VLAN_TAGS_MAX) return broken(why, "too many VLAN tags");
        at += 4;
        if (caplen < at + 2) return broken(why, "a VLAN tag is cut short");
        type = be16(p + at);
    }
    at += 2;
    return by_ethertype(type, p + at, caplen - at, out, why);
}

int ds_pkt_linktype_known(int linktype)
{
    switch (linktype) {
    case DS_LT_NULL: case DS_LT_ETHERNET: case DS_LT_RAW_DLT: case DS_LT_RAW_DLT_BSD: case DS_LT_RAW:
    case DS_LT_LOOP: case DS_LT_LINUX_SLL: case DS_LT_IPV4: case DS_LT_IPV6: case DS_LT_LINUX_SLL2:
        return 1;
    default:
        return 0;
    }
}

ds_pkt_result ds_pkt_parse(int linktype, const uint8_t *p, size_t caplen, ds_pkt *out, const char **why)
{
    /* every field zero (the addresses whole: an IPv4 one fills 4 bytes, the key reads 16), set
     * field by field: a memset of the whole struct is a rep stos, dearer than these stores */
    out->ip_version = 0;
    memset(out->src, 0, sizeof out->src);
    memset(out->dst, 0, sizeof out->dst);
    out->proto = 0;
    out->sport = out->dport = 0;
    out->seq = out->ack = 0;
    out->tcp_flags = 0;
    out->payload = NULL;
    out->len = out->wire_len = 0;
    out->first_fragment = 0;
    *why = "";
    switch (linktype) {
    case DS_LT_ETHERNET: return ethernet(p, caplen, out, why);
    case DS_LT_RAW_DLT:
    case DS_LT_RAW_DLT_BSD:
    case DS_LT_RAW: return by_ip_version(p, caplen, out, why);
    case DS_LT_IPV4: return ipv4(p, caplen, out, why);
    case DS_LT_IPV6: return ipv6(p, caplen, out, why);
    case DS_LT_NULL: {
        if (caplen < 4) return broken(why, "the loopback header is cut short");
        uint32_t le = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        uint32_t family = (le & 0xFFFF0000u) ? be32(p) : le; /* the capturing host's byte order */
        return by_family(family, p + 4, caplen - 4, out, why);
    }
    case DS_LT_LOOP:
        if (caplen < 4) return broken(why, "the loopback header is cut short");
        return by_family(be32(p), p + 4, caplen - 4, out, why);
    case DS_LT_LINUX_SLL:
        if (caplen < 16) return broken(why, "the Linux cooked header is cut short");
        return by_ethertype(be16(p + 14), p + 16, caplen - 16, out, why);
    case DS_LT_LINUX_SLL2:
        if (caplen < 20) return broken(why, "the Linux cooked v2 header is cut short");
        return by_ethertype(be16(p), p + 20, caplen - 20, out, why);
    default:
        return DS_PKT_LINKTYPE;
    }
}

void ds_pkt_ipv6_text(const uint8_t a[16], char *out)
{
    unsigned group[8];
    for (int i = 0; i < 8; i++) group[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
    /* the longest run of zero groups; a single zero group is written, not shortened (4.2.2) */
    int best = -1, best_len = 1;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && group[j] == 0) j++;
        if (j - i > best_len) best = i, best_len = j - i;
        i = j > i ? j : i + 1;
    }
    char *p = out;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            *p++ = ':';
            if (i == 0) *p++ = ':';
            i += best_len - 1;
            continue;
        }
        p += snprintf(p, 5, "%x", group[i]); /* at most 4 digits */
        if (i < 7) *p++ = ':';
    }
    *p = '\0';
}
