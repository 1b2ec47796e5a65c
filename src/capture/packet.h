/* One captured packet taken apart: link header, IPv4 / IPv6, then TCP or UDP.
 *
 * Every length is checked against the captured bytes; a packet that is not IP, or IP that
 * carries neither TCP nor UDP, is simply not ours. The link types are those a DLMS capture may
 * carry (REFERENCE.md 10.6); their numbers are the file's LINKTYPE values together with the
 * DLT values libpcap may hand out for them. */
#ifndef DS_CAPTURE_PACKET_H
#define DS_CAPTURE_PACKET_H

#include <stddef.h>
#include <stdint.h>

enum {
    DS_LT_NULL = 0,        /* BSD loopback: 4-byte address family in the capturing host's order */
    DS_LT_ETHERNET = 1,
    DS_LT_RAW_DLT = 12,    /* DLT_RAW on most systems */
    DS_LT_RAW_DLT_BSD = 14, /* DLT_RAW on OpenBSD */
    DS_LT_RAW = 101,       /* LINKTYPE_RAW */
    DS_LT_LOOP = 108,      /* OpenBSD loopback: address family big-endian */
    DS_LT_LINUX_SLL = 113,
    DS_LT_IPV4 = 228,
    DS_LT_IPV6 = 229,
    DS_LT_LINUX_SLL2 = 276
};

typedef enum {
    DS_PKT_OURS = 0,     /* TCP or UDP over IP: the fields are set */
    DS_PKT_OTHER,        /* not IP, or IP without TCP/UDP (ARP, ICMP ...): skipped quietly */
    DS_PKT_FRAGMENT,     /* an IP fragment: not reassembled (proto and ports set in the first) */
    DS_PKT_BROKEN,       /* a header does not fit or says something impossible */
    DS_PKT_LINKTYPE      /* a link type this reader does not know */
} ds_pkt_result;

typedef struct ds_pkt {
    int ip_version;          /* 4 or 6 */
    uint8_t src[16], dst[16]; /* IPv4: the first 4 bytes */
    uint8_t proto;           /* 6 TCP, 17 UDP */
    uint16_t sport, dport;
    uint32_t seq, ack;       /* TCP (ack valid with the ACK flag) */
    uint8_t tcp_flags;       /* TCP: DS_TCP_SYN, DS_TCP_FIN, DS_TCP_RST, 0x10 ACK */
    const uint8_t *payload;  /* the captured payload */
    size_t len;              /* its captured length */
    size_t wire_len;         /* its length on the wire (IP lengths say): > len when cut by snaplen */
    int first_fragment;      /* DS_PKT_FRAGMENT: the first fragment, proto and ports are set */
} ds_pkt;

/* Takes a packet apart; on DS_PKT_FRAGMENT and DS_PKT_BROKEN *why says what (static text). */
ds_pkt_result ds_pkt_parse(int linktype, const uint8_t *p, size_t caplen, ds_pkt *out, const char **why);
/* 1 when the link type is one ds_pkt_parse knows */
int ds_pkt_linktype_known(int linktype);

/* An IPv6 address as RFC 5952 text (section 4): lower-case hex groups without leading zeros,
 * the longest run of two or more zero groups (the first of equal runs) written "::". out holds
 * at least DS_IPV6_TEXT bytes. */
#define DS_IPV6_TEXT 40
void ds_pkt_ipv6_text(const uint8_t a[16], char *out);

#endif
