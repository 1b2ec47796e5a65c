/* Captures in: libpcap reads the file (pcap or pcapng), packet.c takes each packet apart, and
 * every connection gets its own decoder, fed per direction through its own TCP reassembly.
 *
 * Why a decoder per connection: it holds everything a conversation learns (framing state,
 * segment reassembly, the security session with titles and keys from the AARQ/AARE), so two
 * connections never mix even when their wrapper ports or HDLC addresses are the same. The two
 * directions are two sides of that decoder (ds_decoder_feed_side): framed apart, sharing the
 * session. A decoder writes whole frames into the sink inside its feed, so all of them can
 * share the one sink. */
#define _GNU_SOURCE /* pcap.h uses the BSD type names (u_char, u_int); fopencookie */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apdu/apdu_tags.h"
#include "capture/pcap_load.h"
#include "capture/packet.h"
#include "capture/tcp_reasm.h"
#include "dlmscope/capture.h"
#include "link/llc.h"
#include "sinks/xml_text.h"
#include "util/fmt.h"

#define DLMS_PORT_FIRST 4059
#define DLMS_PORT_LAST 4069
#define ENDPOINT_TEXT 56 /* "[" + 39 + "]:" + 5 + NUL, rounded up */
#define FROM_TO_XML (2 * ENDPOINT_TEXT + 16) /* ` From="` a `" To="` b `"` */
#define TRIM_ABOVE 512 /* live connections above which idle decoders give memory back */
#define READ_BUFFER (256u << 10) /* stdio buffer of the capture file */
#define HEAD_MAX 64       /* a SNRM and the start of the AARQ frame after it */

typedef struct endpoint {
    uint8_t addr[16];
    uint16_t port;
} endpoint;

/* A conversation: the protocol and its two endpoints, the lower first, so that both directions
 * find the same one. */
typedef struct conn_key {
    uint8_t ip_version, proto;
    endpoint e[2];
} conn_key;

typedef struct capture capture;
typedef struct conn conn;

/* What a side's bytes tell the decoder besides their time (ds_meta): the same for every packet
 * until the server is learned, so set then (set_server) instead of worked out a packet. */
typedef struct side_meta {
    ds_direction dir;
    const char *from, *to;
    uint16_t from_len, to_len;
    const char *from_to_xml; /* the conn's from_to_xml of the side, NULL when not made */
    uint16_t from_to_xml_len;
} side_meta;

typedef struct side_ctx {
    conn *c;
    int side;  /* 0: sent by e[0], 1: sent by e[1] */
} side_ctx;

struct conn {
    conn_key key;
    conn *hnext;             /* hash chain */
    conn *older, *newer;     /* by last packet: the oldest is evicted first */
    capture *cap;
    ds_decoder *dec;
    ds_tcp_stream tcp[2];
    uint64_t udp_offset[2];
    side_ctx ctx[2];
    ds_tcp_out out[2];       /* where each side's reassembled bytes and gaps go (ctx) */
    char name[2][ENDPOINT_TEXT];
    uint16_t name_len[2];
    side_meta meta[2];       /* each side's direction (set_server: which side is the server) and endpoints */
    char from_to_xml[2][FROM_TO_XML]; /* each side's From and To as the XML writers write them */
    int server_from_apdu;    /* learned from an AARQ/AARE: the port no longer decides */
    int fin[2];
    uint8_t head[2][HEAD_MAX];  /* the first bytes of each side, until they tell who sent them */
    size_t head_len[2];
    int head_done[2];
};

struct capture {
    ds_capture_options copt;
    const ds_options *opt;
    ds_sink *sink;
    ds_diag_fn diag_fn;
    void *diag_user;
    conn **buckets;
    size_t nbuckets;         /* a power of two */
    conn *oldest, *newest;
    size_t live;
    uint64_t packet;         /* 1-based number of the packet being read */
    ds_meta meta;            /* of the bytes fed: the packet's time (set_timestamp), line 0 */
    int ts_valid;            /* meta.timestamp[0..19) holds the date and time of ts_second */
    long ts_second;
    size_t waiting_total;    /* bytes waiting beyond holes in all connections */
    char us_digits[1000][4]; /* "000Z" to "999Z": three digits of the microseconds and the 'Z' after them */
    ds_stats stats;
};

/* ---- diagnostics of the capture itself --------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static void report(capture *cap, const char *code, ds_severity sev, uint64_t offset, const char *fmt, ...)
{
    ds_diag d;
    memset(&d, 0, sizeof d);
    d.code = code;
    d.severity = sev;
    d.offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d.message, sizeof d.message, fmt, ap);
    va_end(ap);
    if (sev == DS_SEV_ERROR) cap->stats.errors++;
    else if (sev == DS_SEV_WARNING) cap->stats.warnings++;
    if (cap->sink && cap->sink->diagnostic) cap->sink->diagnostic(cap->sink, &d);
    if (cap->diag_fn) cap->diag_fn(cap->diag_user, &d);
}

/* ---- who is the server ------------------------------------------------------------------------- */

static int is_dlms_port(const capture *cap, uint16_t port)
{
    if (port >= DLMS_PORT_FIRST && port <= DLMS_PORT_LAST) return 1;
    for (size_t i = 0; i < cap->copt.nports; i++)
        if (cap->copt.ports[i] == port) return 1;
    return 0;
}

/* Who sends an APDU that starts with tag, from the one table of tag facts: 1 the client (AARQ,
 * get-request ...), 0 the server (AARE, responses, pushes), -1 either (the general carriers). */
static int tag_sent_by_client(uint8_t tag)
{
    switch (ds_apdu_tag(tag)->role) {
    case DS_APDU_REQUEST: return 1;
    case DS_APDU_RESPONSE: case DS_APDU_UNSOLICITED: return 0;
    default: return -1;
    }
}

/* Who sent the first bytes of a side's stream, as they say themselves: 1 the client, 0 the
 * server, -1 not known (yet: *wait set when more bytes could tell). A wrapper's APDU is at its
 * offset 8 and says it by its tag; in HDLC the LLC header of the first information frame says it
 * (DS_LLC_COMMAND to the server, DS_LLC_RESPONSE back); a bare APDU is its own first byte. */
static int sent_by_client(const uint8_t *p, size_t n, int *wait)
{
    *wait = 0;
    if (n >= 1 && p[0] == 0x7E) {
        for (size_t i = 3; i + DS_LLC_LEN <= n; i++)
            if (memcmp(p + i, DS_LLC_COMMAND, DS_LLC_LEN) == 0 || memcmp(p + i, DS_LLC_RESPONSE, DS_LLC_LEN) == 0)
                return memcmp(p + i, DS_LLC_COMMAND, DS_LLC_LEN) == 0;
        *wait = 1;
        return -1;
    }
    uint8_t tag;
    if (n >= 2 && p[0] == 0x00 && p[1] == 0x01) {
        if (n < 9) {
            *wait = 1;
            return -1;
        }
        tag = p[8];
    } else if (n >= 1) {
        tag = p[0];
    } else {
        *wait = 1;
        return -1;
    }
    return tag_sent_by_client(tag);
}

/* server: the side that is the server, -1 while unknown */
static void set_server(conn *c, int server)
{
    for (int side = 0; side < 2; side++)
        c->meta[side].dir = server < 0 ? DS_DIR_UNKNOWN : side == server ? DS_DIR_TO_CLIENT : DS_DIR_TO_SERVER;
}

/* The start of each side's stream is kept (HEAD_MAX bytes) until it says who sent it. Out of
 * line: after the first packets of a side it is never needed, and feed() stays small. */
static void __attribute__((noinline)) learn_server_from_head(conn *c, int side, const uint8_t *p, size_t n)
{
    size_t take = HEAD_MAX - c->head_len[side];
    if (take > n) take = n;
    memcpy(c->head[side] + c->head_len[side], p, take);
    c->head_len[side] += take;
    int wait;
    int client = sent_by_client(c->head[side], c->head_len[side], &wait);
    if (wait && c->head_len[side] < HEAD_MAX) return;
    c->head_done[side] = 1;
    if (client < 0) return;
    set_server(c, client ? 1 - side : side);
    c->server_from_apdu = 1;
}

static void learn_server(conn *c, int side, const uint8_t *p, size_t n)
{
    if (!c->server_from_apdu && !c->head_done[side]) learn_server_from_head(c, side, p, n);
}

/* ---- bytes into a connection's decoder --------------------------------------------------------- */

static void feed(conn *c, int side, const uint8_t *p, size_t n, uint64_t offset)
{
    learn_server(c, side, p, n);
    ds_meta *m = &c->cap->meta; /* its timestamp is the packet's (set_timestamp), line 0 */
    const side_meta *sm = &c->meta[side];
    m->dir = sm->dir;
    m->from = sm->from;
    m->to = sm->to;
    m->from_len = sm->from_len;
    m->to_len = sm->to_len;
    m->from_to_xml = sm->from_to_xml;
    m->from_to_xml_len = sm->from_to_xml_len;
    ds_decoder_feed_side(c->dec, side, p, n, offset, m);
    /* with this many connections at once, a decoder's buffers for the segments of its next APDU
     * are worth less than the memory: given back after each use (below, kept for speed) */
    if (c->cap->live > TRIM_ABOVE) ds_decoder_trim(c->dec);
}

static void on_tcp_data(void *user, const uint8_t *p, size_t n, uint64_t offset)
{
    side_ctx *s = user;
    feed(s->c, s->side, p, n, offset);
}

/* The frame the hole cut is closed (truncated) first; what follows is searched for a frame. */
static void on_tcp_gap(void *user, uint64_t offset, uint64_t missing)
{
    side_ctx *s = user;
    conn *c = s->c;
    ds_decoder_resync_side(c->dec, s->side);
    report(c->cap, DS_D_TCP_GAP, DS_SEV_ERROR, offset,
           "%llu byte(s) from %s to %s are not in the capture (seen by packet %llu); decoding goes on after them",
           (unsigned long long)missing, c->name[s->side], c->name[1 - s->side], (unsigned long long)c->cap->packet);
}


/* ---- the connection table ---------------------------------------------------------------------- */

static inline __attribute__((always_inline)) size_t key_hash(const capture *cap, const conn_key *k)
{
    /* the ports and the last 8 bytes of each address (all of an IPv4 address) tell connections
     * apart well enough for a bucket; the key comparison decides */
    uint64_t a, b;
    memcpy(&a, k->e[0].addr + 8, 8);
    memcpy(&b, k->e[1].addr + 8, 8);
    uint64_t a4, b4;
    uint32_t x, y;
    memcpy(&x, k->e[0].addr, 4);
    memcpy(&y, k->e[1].addr, 4);
    a4 = x;
    b4 = y;
    uint64_t h = (a ^ a4 * 0x9E3779B97F4A7C15ull) + (b ^ b4) * 0xC2B2AE3D27D4EB4Full;
    h ^= ((uint64_t)k->e[0].port << 16 | k->e[1].port | (uint64_t)k->proto << 32) * 0x165667B19E3779F9ull;
    return (size_t)(h ^ h >> 31) & (cap->nbuckets - 1);
}

/* Writes the endpoint's text; returns its length. */
static uint16_t endpoint_text(char *out, int ip_version, const endpoint *e)
{
    const uint8_t *a = e->addr;
    if (ip_version == 4) {
        snprintf(out, ENDPOINT_TEXT, "%u.%u.%u.%u:%u", a[0], a[1], a[2], a[3], e->port);
    } else {
        /* the text people and tools compare addresses by: RFC 5952's short form */
        char text[DS_IPV6_TEXT];
        ds_pkt_ipv6_text(a, text);
        snprintf(out, ENDPOINT_TEXT, "[%s]:%u", text, e->port);
    }
    return (uint16_t)strlen(out);
}

static void lru_unlink(capture *cap, conn *c)
{
    if (c->older) c->older->newer = c->newer;
    else cap->oldest = c->newer;
    if (c->newer) c->newer->older = c->older;
    else cap->newest = c->older;
    c->older = c->newer = NULL;
}

static void lru_push_newest(capture *cap, conn *c)
{
    c->older = cap->newest;
    c->newer = NULL;
    if (cap->newest) cap->newest->newer = c;
    else cap->oldest = c;
    cap->newest = c;
}

static void add_stats(ds_stats *to, const ds_stats *from)
{
    to->bytes += from->bytes;
    to->frames += from->frames;
    to->apdus += from->apdus;
    to->errors += from->errors;
    to->warnings += from->warnings;
}

/* Ends a connection: what waits beyond holes is decoded after its gaps, then the decoder ends. */
static void close_conn(capture *cap, conn *c)
{
    cap->waiting_total -= c->tcp[0].waiting_bytes + c->tcp[1].waiting_bytes;
    for (int side = 0; side < 2; side++) {
        ds_tcp_stream_flush(&c->tcp[side], &c->out[side]);
    }
    ds_decoder_end(c->dec);
    add_stats(&cap->stats, ds_decoder_stats(c->dec));
    ds_decoder_free(c->dec);
    for (int side = 0; side < 2; side++) ds_tcp_stream_free(&c->tcp[side]);
    conn **at = &cap->buckets[key_hash(cap, &c->key)];
    while (*at != c) at = &(*at)->hnext;
    *at = c->hnext;
    lru_unlink(cap, c);
    cap->live--;
    free(c);
}

/* Every byte of a key is a field (no padding), so that keys compare as bytes. */
_Static_assert(sizeof(conn_key) == 38, "conn_key has padding");

static uint64_t word_at(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Two keys are the same conversation: their 38 bytes compared as five words (the last two
 * overlap), without a memcmp call per packet. */
static int key_equal(const conn_key *a, const conn_key *b)
{
    const char *x = (const char *)a, *y = (const char *)b;
    uint64_t diff = (word_at(x) ^ word_at(y)) | (word_at(x + 8) ^ word_at(y + 8)) | (word_at(x + 16) ^ word_at(y + 16)) |
                    (word_at(x + 24) ^ word_at(y + 24)) | (word_at(x + 30) ^ word_at(y + 30));
    return diff == 0;
}

static conn *find_conn(capture *cap, const conn_key *k)
{
    for (conn *c = cap->buckets[key_hash(cap, k)]; c; c = c->hnext)
        if (key_equal(&c->key, k)) return c;
    return NULL;
}

static conn *new_conn(capture *cap, const conn_key *k)
{
    if (cap->live >= cap->copt.max_connections && cap->oldest) {
        conn *old = cap->oldest;
        report(cap, DS_D_CAPTURE_EVICTED, DS_SEV_WARNING, cap->packet,
               "more than %zu connections at once: %s - %s is dropped at packet %llu (what it held is decoded now)",
               cap->copt.max_connections, old->name[0], old->name[1], (unsigned long long)cap->packet);
        close_conn(cap, old);
    }
    conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->dec = ds_decoder_new(cap->opt, cap->sink, cap->diag_fn, cap->diag_user);
    if (!c->dec) {
        free(c);
        return NULL;
    }
    c->key = *k;
    c->cap = cap;
    for (int side = 0; side < 2; side++) {
        c->ctx[side] = (side_ctx){c, side};
        c->out[side] = (ds_tcp_out){on_tcp_data, on_tcp_gap, &c->ctx[side]};
        ds_tcp_stream_init(&c->tcp[side], cap->copt.max_waiting);
        c->name_len[side] = endpoint_text(c->name[side], k->ip_version, &k->e[side]);
    }
    for (int side = 0; side < 2; side++) {
        side_meta *sm = &c->meta[side];
        *sm = (side_meta){DS_DIR_UNKNOWN, c->name[side], c->name[1 - side], c->name_len[side], c->name_len[1 - side],
                          NULL, 0};
        /* every frame of the side writes these two: their text is made once here */
        ds_attr from_to[2] = {DS_ATTR_PLAIN("From", sm->from, sm->from_len), DS_ATTR_PLAIN("To", sm->to, sm->to_len)};
        size_t len = ds_xml_attrs_run(c->from_to_xml[side], FROM_TO_XML, from_to, 2);
        if (len) {
            sm->from_to_xml = c->from_to_xml[side];
            sm->from_to_xml_len = (uint16_t)len;
        }
    }
    int dlms0 = is_dlms_port(cap, k->e[0].port), dlms1 = is_dlms_port(cap, k->e[1].port);
    set_server(c, dlms0 != dlms1 ? (dlms0 ? 0 : 1) : -1);
    size_t h = key_hash(cap, k);
    c->hnext = cap->buckets[h];
    cap->buckets[h] = c;
    lru_push_newest(cap, c);
    cap->live++;
    return c;
}

/* ---- packets ------------------------------------------------------------------------------------ */

/* 8 bytes as a big-endian number: addresses compared by their two halves so order as memcmp
 * orders them; one load and a byte swap where the compiler says the byte order. */
static uint64_t be64_at(const uint8_t *p)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return __builtin_bswap64(word_at(p));
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return word_at(p);
#else
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
#endif
}

/* The key of a packet's conversation and the side its sender is. Every field of the key is
 * set (the addresses whole: IPv4 in their first 4 bytes, the rest zero from ds_pkt_parse). */
static int key_of(const ds_pkt *pk, conn_key *k)
{
    uint64_t s0 = be64_at(pk->src), d0 = be64_at(pk->dst);
    uint64_t s1 = be64_at(pk->src + 8), d1 = be64_at(pk->dst + 8);
    int src_first = s0 != d0 ? s0 < d0 : s1 != d1 ? s1 < d1 : pk->sport <= pk->dport;
    k->ip_version = (uint8_t)pk->ip_version;
    k->proto = pk->proto;
    memcpy(k->e[0].addr, src_first ? pk->src : pk->dst, 16);
    memcpy(k->e[1].addr, src_first ? pk->dst : pk->src, 16);
    k->e[0].port = src_first ? pk->sport : pk->dport;
    k->e[1].port = src_first ? pk->dport : pk->sport;
    return src_first ? 0 : 1;
}

/* What waits beyond holes, all connections together, is capped too (DS_CAPTURE_WAITING_TOTAL):
 * past it the holes of the stream that grew are given up. */
static void account_waiting(capture *cap, conn *c, size_t before)
{
    size_t after = c->tcp[0].waiting_bytes + c->tcp[1].waiting_bytes;
    cap->waiting_total += after - before; /* wraps back when it shrank: unsigned arithmetic */
    for (int side = 0; side < 2 && cap->waiting_total > DS_CAPTURE_WAITING_TOTAL; side++) {
        size_t had = c->tcp[side].waiting_bytes;
        ds_tcp_stream_flush(&c->tcp[side], &c->out[side]);
        cap->waiting_total -= had;
    }
}

/* Most packets: the next data in order, no SYN, FIN or RST, nothing waiting beyond a hole either
 * way (so no waiting bytes to account and no close to consider). Their bytes go straight to the
 * decoder and the acknowledgement is taken, which is all the general way below would do.
 * Returns 0 when the general way must take the packet. */
static int tcp_packet_in_order(conn *c, int side, const ds_pkt *pk)
{
    ds_tcp_stream *s = &c->tcp[side], *peer = &c->tcp[1 - side];
    if ((pk->tcp_flags & (DS_TCP_SYN | DS_TCP_FIN | DS_TCP_RST)) || peer->waiting || (c->fin[0] && c->fin[1]) ||
        !ds_tcp_stream_in_order(s, pk->seq, 0, pk->len, pk->wire_len))
        return 0;
    feed(c, side, pk->payload, pk->len, s->offset);
    ds_tcp_stream_delivered(s, pk->len);
    if (pk->tcp_flags & 0x10u) ds_tcp_stream_ack(peer, pk->ack, &c->out[1 - side]);
    return 1;
}

static void tcp_packet(capture *cap, conn *c, int side, const ds_pkt *pk)
{
    if (tcp_packet_in_order(c, side, pk)) return;
    size_t before = c->tcp[0].waiting_bytes + c->tcp[1].waiting_bytes;
    unsigned flags = pk->tcp_flags & (DS_TCP_SYN | DS_TCP_FIN);
    if ((pk->tcp_flags & DS_TCP_SYN) && !(pk->tcp_flags & 0x10u) && !c->server_from_apdu)
        set_server(c, 1 - side); /* a SYN without ACK opens the connection: its sender is the client */
    ds_tcp_stream_segment(&c->tcp[side], pk->seq, flags, pk->payload, pk->len, pk->wire_len, &c->out[side]);
    if (pk->tcp_flags & 0x10u) /* the peer's bytes this acknowledges were received: a hole there is the capture's */
        ds_tcp_stream_ack(&c->tcp[1 - side], pk->ack, &c->out[1 - side]);
    account_waiting(cap, c, before);
    if (pk->tcp_flags & DS_TCP_RST) {
        close_conn(cap, c);
        return;
    }
    if (pk->tcp_flags & DS_TCP_FIN) c->fin[side] = 1;
    if (c->fin[0] && c->fin[1] && !c->tcp[0].waiting && !c->tcp[1].waiting) close_conn(cap, c);
}

static void udp_packet(capture *cap, conn *c, int side, const ds_pkt *pk)
{
    if (pk->len) feed(c, side, pk->payload, pk->len, c->udp_offset[side]);
    if (pk->wire_len > pk->len)
        report(cap, DS_D_CAPTURE_SNAPLEN, DS_SEV_ERROR, c->udp_offset[side] + pk->len,
               "packet %llu: the capture kept %zu of the datagram's %zu byte(s)", (unsigned long long)cap->packet,
               pk->len, pk->wire_len);
    c->udp_offset[side] += pk->len;
    ds_decoder_boundary_side(c->dec, side); /* a datagram is a record of its own */
}

/* A new SYN on a known conversation whose sequence does not go on from it: the ports are reused
 * by a new connection, which starts afresh. */
static int reopens(const conn *c, int side, const ds_pkt *pk)
{
    if (pk->proto != 6 || !(pk->tcp_flags & DS_TCP_SYN) || (pk->tcp_flags & 0x10u)) return 0;
    const ds_tcp_stream *s = &c->tcp[side];
    return s->started && s->next_seq != pk->seq + 1;
}

/* DLMS traffic: a DLMS port at either end, or any port when asked */
static int wanted(const capture *cap, const ds_pkt *pk)
{
    return cap->copt.any_port || is_dlms_port(cap, pk->sport) || is_dlms_port(cap, pk->dport);
}

/* Whether a packet is DLMS traffic is asked only of one that no connection takes: a
 * connection is made for wanted packets only, and its key holds the ports that decided it. */
static void take_packet(capture *cap, const ds_pkt *pk)
{
    conn_key k;
    int side = key_of(pk, &k);
    conn *c = find_conn(cap, &k);
    if (c && reopens(c, side, pk)) {
        close_conn(cap, c);
        c = NULL;
    }
    if (!c && !wanted(cap, pk)) return;
    if (!c) c = new_conn(cap, &k);
    if (!c) {
        report(cap, DS_D_CAPTURE_READ, DS_SEV_ERROR, cap->packet, "packet %llu: out of memory for a connection",
               (unsigned long long)cap->packet);
        return;
    }
    lru_unlink(cap, c);
    lru_push_newest(cap, c);
    if (pk->proto == 6) tcp_packet(cap, c, side, pk);
    else udp_packet(cap, c, side, pk);
}

static void make_us_digits(capture *cap)
{
    for (unsigned v = 0; v < 1000; v++) {
        cap->us_digits[v][0] = (char)('0' + v / 100);
        memcpy(cap->us_digits[v] + 1, DS_DEC_PAIRS + 2 * (v % 100), 2);
        cap->us_digits[v][3] = 'Z';
    }
}

/* The packet's time as ISO 8601 UTC with microseconds. The date and time of day are formatted
 * only when the second changes (most packets share theirs with the one before). */
static void set_timestamp(capture *cap, const struct timeval *tv)
{
    char *ts = cap->meta.timestamp;
    if (!cap->ts_valid || tv->tv_sec != cap->ts_second) {
        time_t t = (time_t)tv->tv_sec;
        struct tm tm;
        cap->ts_valid = gmtime_r(&t, &tm) && strftime(ts, sizeof cap->meta.timestamp, "%Y-%m-%dT%H:%M:%S", &tm) == 19;
        cap->ts_second = tv->tv_sec;
        if (!cap->ts_valid) {
            ts[0] = '\0';
            cap->meta.timestamp_len = 0;
            return;
        }
        ts[19] = '.'; /* the digits between are each packet's own */
        ts[26] = 'Z';
        ts[27] = '\0';
        cap->meta.timestamp_len = 27;
    }
    /* every packet's microseconds: two stores of four bytes from a table, the first's 'Z'
     * overwritten by the second's first digit, the second's the one at ts[26] */
    unsigned long usec = (unsigned long)tv->tv_usec;
    if (usec >= 1000000u) usec %= 1000000u; /* never from libpcap: no division a packet for it */
    unsigned us = (unsigned)usec, ms = us / 1000;
    memcpy(ts + 20, cap->us_digits[ms], 4);
    memcpy(ts + 23, cap->us_digits[us - 1000 * ms], 4);
}

static void one_packet(capture *cap, int linktype, const struct pcap_pkthdr *h, const uint8_t *data)
{
    set_timestamp(cap, &h->ts);
    ds_pkt pk;
    const char *why;
    switch (ds_pkt_parse(linktype, data, h->caplen, &pk, &why)) {
    case DS_PKT_OURS: take_packet(cap, &pk); break;
    case DS_PKT_FRAGMENT:
        /* said once per datagram, by its first fragment, when it is DLMS traffic (the others
         * carry no ports to tell) */
        if (pk.first_fragment && (pk.proto == 6 || pk.proto == 17) && wanted(cap, &pk))
            report(cap, DS_D_CAPTURE_FRAGMENT, DS_SEV_ERROR, cap->packet,
                   "packet %llu: %s; fragments are not reassembled, the datagram is not decoded",
                   (unsigned long long)cap->packet, why);
        break;
    case DS_PKT_BROKEN:
        report(cap, DS_D_CAPTURE_BAD_PACKET, DS_SEV_ERROR, cap->packet, "packet %llu: %s",
               (unsigned long long)cap->packet, why);
        break;
    default: break; /* not IP, or IP without TCP or UDP */
    }
}

/* ---- public API --------------------------------------------------------------------------------- */

void ds_capture_options_init(ds_capture_options *c)
{
    memset(c, 0, sizeof *c);
    c->max_connections = DS_CAPTURE_CONNECTIONS_DEFAULT;
    c->max_waiting = DS_CAPTURE_WAITING_DEFAULT;
}

int ds_capture_magic(const uint8_t *p, size_t n)
{
    static const uint8_t MAGICS[][4] = {
        {0xA1, 0xB2, 0xC3, 0xD4}, {0xD4, 0xC3, 0xB2, 0xA1}, /* pcap, microseconds, both byte orders */
        {0xA1, 0xB2, 0x3C, 0x4D}, {0x4D, 0x3C, 0xB2, 0xA1}, /* pcap, nanoseconds */
        {0x0A, 0x0D, 0x0D, 0x0A},                           /* pcapng section header block */
    };
    if (!p || n < 4) return 0;
    for (size_t i = 0; i < sizeof MAGICS / sizeof MAGICS[0]; i++)
        if (memcmp(p, MAGICS[i], 4) == 0) return 1;
    return 0;
}

/* A FILE without a descriptor (fopencookie, fmemopen: a stream whose first bytes were looked at)
 * is read through stdio by a stream that libpcap may close without closing the caller's. */
static ssize_t through_read(void *cookie, char *buf, size_t size)
{
    FILE *in = cookie;
    size_t n = fread(buf, 1, size, in);
    return n == 0 && ferror(in) ? -1 : (ssize_t)n;
}

static int through_close(void *cookie)
{
    (void)cookie; /* the caller's FILE stays open */
    return 0;
}

/* The capture as libpcap reads it, and the stdio buffer of its stream (freed after the stream is
 * closed by pcap_close). */
typedef struct capture_file {
    pcap_t *pc;
    char *buffer;
} capture_file;

static FILE *own_stream(FILE *in, char **buffer)
{
    int fd = fileno(in);
    FILE *own;
    if (fd < 0) {
        cookie_io_functions_t io = {.read = through_read, .close = through_close};
        own = fopencookie(in, "rb", io);
    } else {
        fd = dup(fd); /* libpcap closes what it is given; the caller's FILE stays open */
        own = fd >= 0 ? fdopen(fd, "rb") : NULL;
        if (!own && fd >= 0) close(fd);
    }
    /* libpcap freads each packet header and payload: with stdio's default buffer (a file's
     * block, 4 KiB) that is one read() per few packets. The buffer is given: glibc's setvbuf
     * ignores the size asked for without one (measured: 52,502 reads of 4 KiB for 215 MB) */
    if (own) {
        *buffer = malloc(READ_BUFFER);
        if (*buffer) setvbuf(own, *buffer, _IOFBF, READ_BUFFER);
        /* the stream is this reader's alone (one thread reads it): without stdio's lock around
         * each of libpcap's two freads per packet */
        __fsetlocking(own, FSETLOCKING_BYCALLER);
    }
    return own;
}

static int open_capture(const ds_pcap_api *pcap, FILE *in, capture_file *cf, char *err, size_t errlen)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    cf->buffer = NULL;
    FILE *own = own_stream(in, &cf->buffer);
    if (!own) {
        snprintf(err, errlen, "cannot read the capture: %s", strerror(errno));
        return -1;
    }
    cf->pc = pcap->fopen_offline_with_tstamp_precision(own, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
    if (!cf->pc) {
        fclose(own);
        free(cf->buffer);
        snprintf(err, errlen, "not a capture that can be read: %s", errbuf);
        return -1;
    }
    return 0;
}

static void close_capture(const ds_pcap_api *pcap, capture_file *cf)
{
    pcap->close(cf->pc); /* closes the stream: its buffer is no longer used */
    free(cf->buffer);
}

static int set_filter(const ds_pcap_api *pcap, pcap_t *pc, const char *filter, char *err, size_t errlen)
{
    struct bpf_program prog;
    if (pcap->compile(pc, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errlen, "bad --filter '%s': %s", filter, pcap->geterr(pc));
        return -1;
    }
    int rc = pcap->setfilter(pc, &prog);
    if (rc != 0) snprintf(err, errlen, "--filter '%s' cannot be applied: %s", filter, pcap->geterr(pc));
    pcap->freecode(&prog);
    return rc == 0 ? 0 : -1;
}

typedef struct reading {
    capture *cap;
    int linktype;
} reading;

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
    reading *r = (reading *)(void *)user;
    r->cap->packet++;
    one_packet(r->cap, r->linktype, h, data);
}

/* Every packet through one pcap_loop(): libpcap then calls back for each packet from its own
 * reading loop, which costs less than a pcap_next_ex() call per packet (a third of the reader's
 * time per packet was that call). Packets before a read error are all delivered, as with
 * pcap_next_ex(). */
static int read_packets(const ds_pcap_api *pcap, capture *cap, pcap_t *pc)
{
    reading r = {cap, pcap->datalink(pc)};
    int rc = pcap->loop(pc, -1, on_packet, (u_char *)(void *)&r);
    if (rc == PCAP_ERROR)
        report(cap, DS_D_CAPTURE_READ, DS_SEV_ERROR, cap->packet + 1, "after packet %llu: %s",
               (unsigned long long)cap->packet, pcap->geterr(pc));
    return 0;
}

int ds_decode_capture(FILE *in, const ds_capture_options *copt, const ds_options *opt, ds_sink *sink,
                      ds_diag_fn diag_fn, void *diag_user, ds_stats *stats_out, char *err, size_t errlen)
{
    capture cap;
    memset(&cap, 0, sizeof cap);
    if (copt) cap.copt = *copt;
    else ds_capture_options_init(&cap.copt);
    if (cap.copt.max_connections == 0) cap.copt.max_connections = DS_CAPTURE_CONNECTIONS_DEFAULT;
    if (cap.copt.nports > DS_CAPTURE_PORTS_MAX) cap.copt.nports = DS_CAPTURE_PORTS_MAX;
    ds_options defaults;
    ds_options_init(&defaults);
    cap.opt = opt ? opt : &defaults;
    cap.sink = sink;
    cap.diag_fn = diag_fn;
    cap.diag_user = diag_user;
    make_us_digits(&cap);
    const ds_pcap_api *pcap = ds_pcap_load(err, errlen);
    if (!pcap) return -1;
    capture_file cf;
    if (open_capture(pcap, in, &cf, err, errlen) != 0) return -1;
    pcap_t *pc = cf.pc;
    int linktype = pcap->datalink(pc);
    if (!ds_pkt_linktype_known(linktype)) {
        const char *name = pcap->datalink_val_to_name(linktype);
        snprintf(err, errlen, "the capture's link type %d (%s) is not one that is read", linktype, name ? name : "?");
        close_capture(pcap, &cf);
        return -1;
    }
    if (cap.copt.filter && set_filter(pcap, pc, cap.copt.filter, err, errlen)) {
        close_capture(pcap, &cf);
        return -2;
    }
    for (cap.nbuckets = 64; cap.nbuckets < 2 * cap.copt.max_connections && cap.nbuckets < (1u << 20);)
        cap.nbuckets *= 2;
    cap.buckets = calloc(cap.nbuckets, sizeof *cap.buckets);
    if (!cap.buckets) {
        snprintf(err, errlen, "out of memory");
        close_capture(pcap, &cf);
        return -1;
    }
    read_packets(pcap, &cap, pc);
    while (cap.oldest) close_conn(&cap, cap.oldest);
    free(cap.buckets);
    close_capture(pcap, &cf);
    if (stats_out) *stats_out = cap.stats;
    return cap.stats.errors ? 1 : 0;
}
