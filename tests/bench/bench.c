/* dlmscope benchmark driver (`make bench`, issue 5).
 *
 * Generates its workloads deterministically under build/bench/ (nothing large lives in the
 * repository), runs build/release/dlmscope on each one as a child process, and prints one table
 * with wall time, throughput and the child's peak RSS, next to an in-process fread/fwrite
 * baseline of the same byte counts so that the figures can be compared across machines.
 *
 * Environment: BENCH_SCALE (default 1.0) scales every workload size; BENCH_RUNS (default 3) runs
 * each workload and baseline that many times, keeping the fastest; BENCH_KEEP=1 keeps the
 * generated files. Links libdlmscope.a for one in-process figure: the APDUs of the mix decoded to
 * values and encoded back (include/dlmscope/value.h); everything else runs the command. */
#define _DEFAULT_SOURCE 1 /* sync(2) */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "diagnose/uart.h"
#include "dlmscope/serial_infer.h"
#include "dlmscope/value.h"

/* wait4() is BSD/GNU, not POSIX; declared here so that the strict POSIX build can use it. */
pid_t wait4(pid_t pid, int *status, int options, struct rusage *rusage);

#define BENCH_DIR "build/bench"
#define CORPUS_DIR "testdata/corpus"
#define MB 1000000.0 /* rates and sizes are reported in decimal megabytes */
#define BLOCK (1u << 20)
#define MAX_FRAMES 256
#define MAX_FRAME_LEN 2048
#define HDLC_MAX_INFO 128
#define STARTUP_RUNS 20

/* ---- errors ----------------------------------------------------------------------------------- */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory (%zu bytes)", n);
    return p;
}

static FILE *xfopen(const char *path, const char *mode)
{
    FILE *f = fopen(path, mode);
    if (!f) die("%s: %s", path, strerror(errno));
    return f;
}

static void xfwrite(const void *p, size_t n, FILE *f, const char *path)
{
    if (n && fwrite(p, 1, n, f) != n) die("%s: write failed: %s", path, strerror(errno));
}

static void xfclose(FILE *f, const char *path)
{
    if (fclose(f) != 0) die("%s: close failed: %s", path, strerror(errno));
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) die("%s: %s", path, strerror(errno));
    return (uint64_t)st.st_size;
}

static void remove_file(const char *path)
{
    if (unlink(path) != 0 && errno != ENOENT) die("%s: cannot remove: %s", path, strerror(errno));
}

static double now_seconds(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) die("clock_gettime: %s", strerror(errno));
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- frames of the conversation mix ----------------------------------------------------------- */

typedef struct {
    uint8_t b[MAX_FRAME_LEN];
    size_t n;
    int tx;      /* 1 = client to server (TX in the log), 0 = RX */
    int wrapper; /* left out of binary streams, see write_mix() */
} frame;

typedef struct {
    frame f[MAX_FRAMES];
    size_t count;
} frame_mix;

static frame *mix_add(frame_mix *m, int tx)
{
    if (m->count == MAX_FRAMES) die("too many frames in the mix");
    frame *f = &m->f[m->count++];
    f->n = 0;
    f->tx = tx;
    f->wrapper = 0;
    return f;
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A corpus vector: one line of hex (whitespace ignored). */
static size_t load_corpus_hex(const char *name, uint8_t *out, size_t cap)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.hex", CORPUS_DIR, name);
    FILE *f = xfopen(path, "r");
    size_t n = 0;
    int hi = -1, c;
    while ((c = fgetc(f)) != EOF) {
        int v = hex_value(c);
        if (v < 0) {
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
            die("%s: unexpected character 0x%02X", path, (unsigned)c);
        }
        if (hi < 0) {
            hi = v;
            continue;
        }
        if (n == cap) die("%s: longer than %zu bytes", path, cap);
        out[n++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    if (ferror(f)) die("%s: read error", path);
    fclose(f);
    if (hi >= 0) die("%s: odd number of hex digits", path);
    if (n == 0) die("%s: empty", path);
    return n;
}

static void add_corpus_frame(frame_mix *m, const char *name, int tx)
{
    frame *f = mix_add(m, tx);
    f->n = load_corpus_hex(name, f->b, sizeof f->b);
}

/* The M-Bus vectors hold a segmented APDU as consecutive long telegrams (68 L L 68 ... 16,
 * L + 6 bytes each); each telegram becomes a frame of its own (its own log line). */
static void add_mbus_telegrams(frame_mix *m, const char *name)
{
    uint8_t b[4 * MAX_FRAME_LEN];
    size_t n = load_corpus_hex(name, b, sizeof b);
    for (size_t off = 0; off < n;) {
        if (n - off < 6 || b[off] != 0x68 || b[off + 3] != 0x68 || b[off + 1] != b[off + 2] ||
            n - off < (size_t)b[off + 1] + 6u)
            die("%s/%s.hex: not a sequence of M-Bus long telegrams at byte %zu", CORPUS_DIR, name, off);
        size_t len = (size_t)b[off + 1] + 6u;
        frame *f = mix_add(m, 0);
        memcpy(f->b, b + off, len);
        f->n = len;
        off += len;
    }
}

/* CRC-16/X.25 (HDLC HCS/FCS): reflected poly 0x8408, init 0xFFFF, xorout 0xFFFF. */
static uint16_t crc16_x25(const uint8_t *p, size_t n)
{
    uint16_t crc = 0xFFFF;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int bit = 0; bit < 8; bit++) crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0x8408) : (uint16_t)(crc >> 1);
    }
    return (uint16_t)~crc;
}

static void put_crc(uint8_t *p, uint16_t crc)
{
    p[0] = (uint8_t)(crc & 0xFF); /* transmitted low byte first */
    p[1] = (uint8_t)(crc >> 8);
}

typedef struct {
    uint8_t a[4];
    size_t n;
} hdlc_addr;

static const hdlc_addr CLIENT = {{0x21}, 1};      /* public client 0x10 */
static const hdlc_addr SERVER = {{0x02, 0x23}, 2}; /* logical 1, physical 0x11 */

/* One HDLC frame type 3; the HCS is present only when there is an information field. */
static void hdlc_frame(frame *f, const hdlc_addr *dst, const hdlc_addr *src, uint8_t control, int segmented,
                       const uint8_t *info, size_t info_len)
{
    size_t len = 2 + dst->n + src->n + 1 + (info_len ? 2 + info_len : 0) + 2;
    if (len > 0x7FF || len + 2 > sizeof f->b) die("HDLC frame too long (%zu)", len);
    uint8_t *b = f->b;
    size_t k = 0;
    b[k++] = 0x7E;
    b[k++] = (uint8_t)(0xA0 | (segmented ? 0x08 : 0) | (len >> 8));
    b[k++] = (uint8_t)(len & 0xFF);
    memcpy(b + k, dst->a, dst->n);
    k += dst->n;
    memcpy(b + k, src->a, src->n);
    k += src->n;
    b[k++] = control;
    if (info_len) {
        put_crc(b + k, crc16_x25(b + 1, k - 1));
        k += 2;
        memcpy(b + k, info, info_len);
        k += info_len;
    }
    put_crc(b + k, crc16_x25(b + 1, k - 1));
    k += 2;
    b[k++] = 0x7E;
    f->n = k;
}

/* Send/receive sequence numbers of the HDLC conversation, modulo 8. */
typedef struct {
    unsigned client_ns; /* I-frames sent by the client */
    unsigned server_ns; /* I-frames sent by the server */
} hdlc_seq;

static uint8_t i_control(unsigned nr, unsigned ns)
{
    return (uint8_t)(((nr & 7) << 5) | 0x10 | ((ns & 7) << 1));
}

/* The APDUs of the mix's client session, for the values figure. */
#define MAX_APDUS 32
static struct {
    uint8_t b[4096];
    size_t n;
} mix_apdus[MAX_APDUS];
static size_t mix_apdu_count;

static void record_apdu(const uint8_t *p, size_t n)
{
    if (mix_apdu_count == MAX_APDUS || n > sizeof mix_apdus[0].b) die("too many APDUs in the mix");
    memcpy(mix_apdus[mix_apdu_count].b, p, n);
    mix_apdus[mix_apdu_count++].n = n;
}

static void client_request(frame_mix *m, hdlc_seq *s, const char *apdu_name)
{
    uint8_t info[MAX_FRAME_LEN];
    static const uint8_t llc[3] = {0xE6, 0xE6, 0x00};
    memcpy(info, llc, 3);
    size_t n = 3 + load_corpus_hex(apdu_name, info + 3, sizeof info - 3);
    record_apdu(info + 3, n - 3);
    hdlc_frame(mix_add(m, 1), &SERVER, &CLIENT, i_control(s->server_ns, s->client_ns), 0, info, n);
    s->client_ns++;
}

/* A server reply; longer than one information field, it is split into I-frames with the
 * segmentation bit, each acknowledged by the client with RR as a real client does. */
static void server_reply_apdu(frame_mix *m, hdlc_seq *s, const uint8_t *apdu, size_t apdu_len)
{
    uint8_t info[4096];
    static const uint8_t llc[3] = {0xE6, 0xE7, 0x00};
    if (apdu_len > sizeof info - 3) die("reply APDU too large for the mix");
    memcpy(info, llc, 3);
    memcpy(info + 3, apdu, apdu_len);
    record_apdu(apdu, apdu_len);
    size_t n = 3 + apdu_len;
    for (size_t off = 0; off < n; off += HDLC_MAX_INFO) {
        size_t chunk = n - off < HDLC_MAX_INFO ? n - off : HDLC_MAX_INFO;
        int more = off + chunk < n;
        hdlc_frame(mix_add(m, 0), &CLIENT, &SERVER, i_control(s->client_ns, s->server_ns), more, info + off, chunk);
        s->server_ns++;
        if (more) hdlc_frame(mix_add(m, 1), &SERVER, &CLIENT, (uint8_t)(((s->server_ns & 7) << 5) | 0x11), 0, NULL, 0);
    }
}

static void server_reply(frame_mix *m, hdlc_seq *s, const char *apdu_name)
{
    uint8_t apdu[4096];
    size_t n = load_corpus_hex(apdu_name, apdu, sizeof apdu);
    server_reply_apdu(m, s, apdu, n);
}

/* A GET answered in two data blocks that together hold one octet-string of 1500 bytes
 * (09 82 05DC + a fixed pattern): block 1 carries 1000 raw bytes, block 2 (last) the other 504.
 * The blocks of the corpus vectors come from different transfers, so they cannot be chained. */
static void block_reply(frame_mix *m, hdlc_seq *s, uint32_t number)
{
    static uint8_t value[1504];
    value[0] = 0x09, value[1] = 0x82, value[2] = 0x05, value[3] = 0xDC;
    for (size_t i = 4; i < sizeof value; i++) value[i] = (uint8_t)(i * 7);
    size_t from = number == 1 ? 0 : 1000, len = number == 1 ? 1000 : sizeof value - 1000;
    uint8_t apdu[1100];
    size_t n = 0;
    apdu[n++] = 0xC4, apdu[n++] = 0x02, apdu[n++] = 0xC1, apdu[n++] = number == 1 ? 0x00 : 0x01;
    apdu[n++] = 0, apdu[n++] = 0, apdu[n++] = 0, apdu[n++] = (uint8_t)number;
    apdu[n++] = 0x00, apdu[n++] = 0x82, apdu[n++] = (uint8_t)(len >> 8), apdu[n++] = (uint8_t)len;
    memcpy(apdu + n, value + from, len);
    server_reply_apdu(m, s, apdu, n + len);
}

/* The self-built SNRM must equal the corpus one: proves the CRC and the frame layout. */
static void check_hdlc_builder(void)
{
    frame mine, theirs;
    hdlc_frame(&mine, &SERVER, &CLIENT, 0x93, 0, NULL, 0);
    theirs.n = load_corpus_hex("CS-u9n-snrm", theirs.b, sizeof theirs.b);
    if (mine.n != theirs.n || memcmp(mine.b, theirs.b, mine.n) != 0)
        die("self-check failed: built SNRM differs from %s/CS-u9n-snrm.hex", CORPUS_DIR);
}

static const char *const HAN_PUSHES[] = {
    "HAN-NO-aidon-list1-0x7D",      "HAN-NO-kaifa-list-noobis",        "HAN-NO-kaifa-list1-0x7E",
    "HAN-NO-kaifa-list1",           "HAN-NO-kaifa-list2",              "HAN-NO-kaifa-list3-obis",
    "HAN-SE-aidon-list-ui",         "HAN-SE-kamstrup-list",            "HAN-DK-kamstrup-list",
    "HAN-AT-evn-sagemcom-mbus",     "HAN-AT-netznoe-kaifa-ma309-mbus", "HAN-AT-tinetz-kaifa-ma309-mbus",
};

/* A client session (connect, association, a profile read answered in segmented blocks, a few
 * other services, disconnect), two wrapper frames and a round of HAN pushes. */
static void build_mix(frame_mix *m)
{
    hdlc_seq s = {1, 1}; /* after AARQ (N(S)=0) and AARE (N(S)=0) from the corpus */
    add_corpus_frame(m, "CS-u9n-snrm", 1);
    add_corpus_frame(m, "CS-u9n-ua", 0);
    add_corpus_frame(m, "CS-u9n-aarq-iframe", 1);
    add_corpus_frame(m, "CS-u9n-aare-iframe", 0);
    client_request(m, &s, "CS-u9n-get-request-selective-range");
    block_reply(m, &s, 1);
    client_request(m, &s, "CS-u9n-get-request-next");
    block_reply(m, &s, 2);
    client_request(m, &s, "CS-u9n-get-request-with-list");
    server_reply(m, &s, "CS-u9n-get-response-with-list");
    client_request(m, &s, "CS-u9n-set-request-clock");
    server_reply(m, &s, "CS-u9n-set-response");
    client_request(m, &s, "CS-u9n-action-reply-to-hls");
    server_reply(m, &s, "CS-u9n-action-response-hls");
    hdlc_frame(mix_add(m, 1), &SERVER, &CLIENT, 0x53, 0, NULL, 0); /* DISC */
    hdlc_frame(mix_add(m, 0), &CLIENT, &SERVER, 0x73, 0, NULL, 0); /* UA */
    add_corpus_frame(m, "CS-wrapper-image-transfer-initiate", 1);
    m->f[m->count - 1].wrapper = 1;
    add_corpus_frame(m, "TR-u9n-udp-wrapper-ggc", 0);
    m->f[m->count - 1].wrapper = 1;
    for (size_t i = 0; i < sizeof HAN_PUSHES / sizeof HAN_PUSHES[0]; i++) {
        if (strstr(HAN_PUSHES[i], "-mbus")) add_mbus_telegrams(m, HAN_PUSHES[i]);
        else add_corpus_frame(m, HAN_PUSHES[i], 0);
    }
}

/* ---- workload files --------------------------------------------------------------------------- */

static size_t log_line(char *out, const frame *f, uint64_t index)
{
    static const char digits[] = "0123456789ABCDEF";
    uint64_t ms = (index * 20u) % (24u * 3600u * 1000u) + 12u * 3600u * 1000u;
    ms %= 24u * 3600u * 1000u;
    int k = snprintf(out, 32, "%s: %02u:%02u:%02u.%03u", f->tx ? "TX" : "RX", (unsigned)(ms / 3600000u),
                     (unsigned)(ms / 60000u % 60u), (unsigned)(ms / 1000u % 60u), (unsigned)(ms % 1000u));
    size_t n = (size_t)k;
    for (size_t i = 0; i < f->n; i++) {
        out[n++] = ' ';
        out[n++] = digits[f->b[i] >> 4];
        out[n++] = digits[f->b[i] & 15];
    }
    out[n++] = '\n';
    return n;
}

static uint64_t mix_log_bytes(const frame_mix *m)
{
    char line[32 + 3 * MAX_FRAME_LEN + 2];
    uint64_t total = 0;
    for (size_t i = 0; i < m->count; i++) total += log_line(line, &m->f[i], i);
    return total;
}

static size_t mix_frames(const frame_mix *m, int as_log)
{
    size_t n = 0;
    for (size_t i = 0; i < m->count; i++) n += as_log || !m->f[i].wrapper;
    return n;
}

/* Writes `reps` repetitions of the mix, as a log (hex) or concatenated (binary). A binary
 * stream holds no wrapper frames: in a binary dump, dlmscope looks for a wrapper header only
 * where no checked (HDLC/M-Bus) frame came before, since 00 01 is too weak a sync mark. */
static void write_mix(const frame_mix *m, uint64_t reps, int as_log, const char *path)
{
    FILE *f = xfopen(path, "wb");
    char line[32 + 3 * MAX_FRAME_LEN + 2];
    uint64_t index = 0;
    for (uint64_t r = 0; r < reps; r++) {
        for (size_t i = 0; i < m->count; i++, index++) {
            if (as_log) xfwrite(line, log_line(line, &m->f[i], index), f, path);
            else if (!m->f[i].wrapper) xfwrite(m->f[i].b, m->f[i].n, f, path);
        }
    }
    xfclose(f, path);
}

/* ---- workload (5): the frames of (2) in a capture, over many TCP connections ------------------- */

#define PCAP_CONNECTIONS 64  /* connections open at once; their packets take turns */
#define MANY_CONNECTIONS 10000 /* (9): as many open at once, for the peak RSS */
#define PCAP_HEADERS (14 + 20 + 20) /* Ethernet, IPv4, TCP */

static void be16_at(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void be32_at(uint8_t *p, uint32_t v)
{
    be16_at(p, v >> 16);
    be16_at(p + 2, v & 0xFFFF);
}

/* One Ethernet/IPv4/TCP packet of connection c carrying payload (checksums left 0: nothing
 * checks them), into out; returns its length. */
static size_t tcp_packet(uint8_t *out, unsigned c, int from_client, uint32_t seq, uint32_t ack, const uint8_t *payload,
                         size_t n)
{
    static const uint8_t ETH[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
    uint8_t client[4] = {10, 1, (uint8_t)(c >> 8), (uint8_t)c}, server[4] = {10, 0, 0, 1};
    memcpy(out, ETH, 14);
    uint8_t *ip = out + 14, *tcp = ip + 20;
    memset(ip, 0, 40);
    ip[0] = 0x45;
    be16_at(ip + 2, (unsigned)(40 + n));
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, from_client ? client : server, 4);
    memcpy(ip + 16, from_client ? server : client, 4);
    be16_at(tcp, from_client ? 40000 + c : 4059);
    be16_at(tcp + 2, from_client ? 4059 : 40000 + c);
    be32_at(tcp + 4, seq);
    be32_at(tcp + 8, ack);
    tcp[12] = 5 << 4;
    tcp[13] = 0x18; /* PSH ACK */
    be16_at(tcp + 14, 65535);
    memcpy(tcp + 20, payload, n);
    return PCAP_HEADERS + n;
}

static void write_mix(const frame_mix *m, uint64_t reps, int as_log, const char *path);

/* A pcap of about `size` bytes: the binary frames of the mix, each sent on every one of `conns`
 * connections in turn (seen mid-stream: no SYN, and never ended: all are open at once), one frame
 * per segment. With bin_path, whole passes through the mix, and the same frames as a binary dump,
 * each connection's sequence after the other (the same frames and sequences, so the same decoding
 * work); without, it stops at the first frame past `size` once every connection has sent and
 * received (two frames). Returns the frame count. */
static uint64_t write_capture(const frame_mix *m, uint64_t size, unsigned conns, const char *pcap_path,
                              const char *bin_path)
{
    FILE *f = xfopen(pcap_path, "wb");
    static const uint8_t HEADER[24] = {0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                       0xFF, 0xFF, 0, 0, 1, 0, 0, 0};
    xfwrite(HEADER, sizeof HEADER, f, pcap_path);
    uint32_t (*seq)[2] = xmalloc(conns * sizeof *seq);
    for (unsigned c = 0; c < conns; c++) {
        seq[c][0] = 1000u + c * 7919u;
        seq[c][1] = 0xFFFFF000u + c; /* some wrap around 2^32 */
    }
    uint8_t pkt[16 + PCAP_HEADERS + MAX_FRAME_LEN];
    uint64_t written = sizeof HEADER, frames = 0, us = 0, rounds = 0, sent = 0;
    for (; written < size; rounds++) {
        for (size_t i = 0; i < m->count; i++) {
            const frame *fr = &m->f[i];
            if (fr->wrapper) continue;
            if (!bin_path && written >= size && sent >= 2) goto done;
            for (unsigned c = 0; c < conns; c++) {
                int dir = fr->tx ? 0 : 1;
                size_t n = tcp_packet(pkt + 16, c, fr->tx, seq[c][dir], seq[c][1 - dir], fr->b, fr->n);
                seq[c][dir] += (uint32_t)fr->n;
                us++;
                uint32_t rec[4] = {(uint32_t)(1767323045u + us / 1000000), (uint32_t)(us % 1000000), (uint32_t)n,
                                   (uint32_t)n}; /* little-endian host, as the header says */
                memcpy(pkt, rec, 16);
                xfwrite(pkt, 16 + n, f, pcap_path);
                written += 16 + n;
                frames++;
            }
            sent++;
        }
    }
done:
    xfclose(f, pcap_path);
    free(seq);
    if (bin_path) write_mix(m, rounds * conns, 0, bin_path);
    return frames;
}

/* xorshift64*: fixed seed, so the garbage is the same on every run and machine. */
static void write_garbage(uint64_t size, const char *path)
{
    FILE *f = xfopen(path, "wb");
    uint8_t *buf = xmalloc(BLOCK);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (uint64_t done = 0; done < size;) {
        size_t n = size - done < BLOCK ? (size_t)(size - done) : BLOCK;
        for (size_t i = 0; i < n; i += 8) {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            uint64_t v = x * 0x2545F4914F6CDD1Dull;
            for (size_t j = 0; j < 8 && i + j < n; j++) buf[i + j] = (uint8_t)(v >> (8 * j));
        }
        xfwrite(buf, n, f, path);
        done += n;
    }
    free(buf);
    xfclose(f, path);
}

static uint64_t count_lines(const char *path)
{
    FILE *f = xfopen(path, "rb");
    char *buf = xmalloc(BLOCK);
    uint64_t lines = 0;
    size_t n;
    while ((n = fread(buf, 1, BLOCK, f)) > 0)
        for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + n - p))) != NULL; p++) lines++;
    if (ferror(f)) die("%s: read error", path);
    free(buf);
    fclose(f);
    return lines;
}

/* ---- running the tool ------------------------------------------------------------------------- */

typedef struct {
    double seconds;
    long max_rss_kb;
    int exit_code;
} run_result;

static void redirect(const char *path, int fd)
{
    int o = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || dup2(o, fd) < 0) _exit(126);
    close(o);
}

static run_result run_tool(char *const argv[], const char *out_path, const char *err_path)
{
    run_result r = {0, 0, -1};
    double t0 = now_seconds();
    pid_t pid = fork();
    if (pid < 0) die("fork: %s", strerror(errno));
    if (pid == 0) {
        redirect(out_path, 1);
        redirect(err_path, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    int status;
    struct rusage ru;
    pid_t w;
    while ((w = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR) {}
    if (w < 0) die("wait4: %s", strerror(errno));
    r.seconds = now_seconds() - t0;
    r.max_rss_kb = ru.ru_maxrss;
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) die("%s killed by signal %d", argv[0], WTERMSIG(status));
    if (r.exit_code == 127 || r.exit_code == 126) die("cannot run %s (exit %d)", argv[0], r.exit_code);
    return r;
}

static void show_stderr_head(const char *err_path)
{
    FILE *f = fopen(err_path, "r");
    if (!f) return;
    char line[512];
    for (int i = 0; i < 5 && fgets(line, sizeof line, f); i++) fprintf(stderr, "  | %s", line);
    fclose(f);
}

static void expect_exit(const run_result *r, int ok_max, const char *what, const char *err_path)
{
    if (r->exit_code >= 0 && r->exit_code <= ok_max) return;
    fprintf(stderr, "bench: %s: dlmscope exited with %d (expected %s); stderr (%s):\n", what, r->exit_code,
            ok_max ? "0 or 1" : "0", err_path);
    show_stderr_head(err_path);
    exit(1);
}

/* Plain stdio doing the same I/O as the tool: read the input, write as many output bytes. */
static double baseline_seconds(const char *in_path, uint64_t out_bytes, const char *out_path)
{
    char *buf = xmalloc(BLOCK);
    memset(buf, 'x', BLOCK);
    double t0 = now_seconds();
    FILE *in = xfopen(in_path, "rb");
    FILE *out = xfopen(out_path, "wb");
    size_t n;
    volatile unsigned sink = 0; /* touch the data so the read cannot be optimised away */
    while ((n = fread(buf, 1, BLOCK, in)) > 0) sink += (unsigned char)buf[n - 1];
    if (ferror(in)) die("%s: read error", in_path);
    fclose(in);
    memset(buf, 'x', BLOCK);
    for (uint64_t done = 0; done < out_bytes;) {
        size_t k = out_bytes - done < BLOCK ? (size_t)(out_bytes - done) : BLOCK;
        xfwrite(buf, k, out, out_path);
        done += k;
    }
    xfclose(out, out_path);
    double t = now_seconds() - t0;
    (void)sink;
    free(buf);
    remove_file(out_path);
    return t;
}

/* ---- results ---------------------------------------------------------------------------------- */

typedef struct {
    const char *name;
    uint64_t in_bytes, out_bytes, frames;
    run_result run;
    double base_seconds;
} workload;

static double safe_div(double a, double b)
{
    return b > 0 ? a / b : 0;
}

static void print_table(const workload *w, size_t n)
{
    printf("\n%-22s %9s %11s %8s %9s %12s %10s %8s %8s %6s\n", "workload", "input MB", "frames", "seconds",
           "in MB/s", "frames/s", "out MB/s", "RSS MB", "base s", "ratio");
    for (size_t i = 0; i < n; i++) {
        const workload *x = &w[i];
        char frames[24] = "-", rate[24] = "-";
        if (x->frames) {
            snprintf(frames, sizeof frames, "%llu", (unsigned long long)x->frames);
            snprintf(rate, sizeof rate, "%.0f", safe_div((double)x->frames, x->run.seconds));
        }
        printf("%-22s %9.1f %11s %8.3f %9.1f %12s %10.1f %8.1f %8.3f %6.2f\n", x->name, x->in_bytes / MB, frames,
               x->run.seconds, safe_div(x->in_bytes / MB, x->run.seconds), rate,
               safe_div(x->out_bytes / MB, x->run.seconds), x->run.max_rss_kb / 1024.0, x->base_seconds,
               safe_div(x->run.seconds, x->base_seconds));
    }
}

static int target(const char *what, double value, const char *unit, int below, double limit)
{
    int met = below ? value < limit : value >= limit;
    printf("  %-40s %12.2f %-5s target %s %-8.10g %s\n", what, value, unit, below ? "< " : ">=", limit,
           met ? "met" : "NOT met");
    return met;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- main ------------------------------------------------------------------------------------- */

static double env_scale(void)
{
    const char *s = getenv("BENCH_SCALE");
    if (!s || !*s) return 1.0;
    char *end;
    double v = strtod(s, &end);
    if (*end || !(v > 0) || v > 100) die("BENCH_SCALE must be a number in (0, 100], got '%s'", s);
    return v;
}

static void one_frame_file(const frame *f, const char *path)
{
    FILE *o = xfopen(path, "w");
    char line[32 + 3 * MAX_FRAME_LEN + 2];
    xfwrite(line, log_line(line, f, 0), o, path);
    xfclose(o, path);
}

/* The one-repetition mix must decode without any diagnostic, as hex and as binary, and its
 * XML must encode back to exactly one line per frame. */
static void check_mix(char *tool, const frame_mix *m)
{
    static const char *const hex = BENCH_DIR "/mix1.log", *const bin = BENCH_DIR "/mix1.bin",
                             *const xml = BENCH_DIR "/mix1.xml", *const enc = BENCH_DIR "/mix1.enc",
                             *const err = BENCH_DIR "/mix1.err";
    write_mix(m, 1, 1, hex);
    write_mix(m, 1, 0, bin);
    char *dec_bin[] = {tool, "decode", "--binary", (char *)bin, NULL};
    run_result r = run_tool(dec_bin, xml, err);
    expect_exit(&r, 0, "check: binary mix", err);
    if (file_size(err) != 0) die("check: binary mix produced diagnostics, see %s", err);
    char *dec_hex[] = {tool, "decode", "--hex", (char *)hex, NULL};
    r = run_tool(dec_hex, xml, err);
    expect_exit(&r, 0, "check: hex log mix", err);
    if (file_size(err) != 0) die("check: hex log mix produced diagnostics, see %s", err);
    char *encode[] = {tool, "encode", (char *)xml, NULL};
    r = run_tool(encode, enc, err);
    expect_exit(&r, 0, "check: encode of the mix XML", err);
    uint64_t lines = count_lines(enc);
    if (lines != m->count)
        die("check: encode of the mix XML gave %llu lines for %zu frames", (unsigned long long)lines, m->count);
    const char *const files[] = {hex, bin, xml, enc, err};
    for (size_t i = 0; i < 5; i++) remove_file(files[i]);
}

static double startup_ms(char *tool, const frame_mix *m)
{
    static const char *const in = BENCH_DIR "/one-frame.log", *const out = BENCH_DIR "/one-frame.xml",
                             *const err = BENCH_DIR "/one-frame.err";
    one_frame_file(&m->f[0], in);
    char *argv[] = {tool, "decode", (char *)in, NULL};
    double ms[STARTUP_RUNS];
    for (int i = 0; i < STARTUP_RUNS; i++) {
        run_result r = run_tool(argv, out, err);
        expect_exit(&r, 0, "start-up (one frame)", err);
        ms[i] = r.seconds * 1000.0;
    }
    qsort(ms, STARTUP_RUNS, sizeof ms[0], compare_doubles);
    remove_file(in);
    remove_file(out);
    remove_file(err);
    return (ms[STARTUP_RUNS / 2 - 1] + ms[STARTUP_RUNS / 2]) / 2;
}

/* BENCH_RUNS (default 3, 1..20): each workload and its baseline are run that many times and the
 * fastest of each is kept, so that one run disturbed by another process does not decide. */
/* The mix's APDUs decoded to values and encoded back (each checked to come back exactly), in
 * rounds for at least `seconds`: APDUs per second. */
static double values_rate(double seconds, size_t *apdus_out)
{
    ds_value_arena *a = ds_value_arena_new(1 << 16, 1 << 22);
    static uint8_t out[4096];
    if (!a) die("out of memory for the value arena");
    uint64_t done = 0;
    double start = now_seconds(), elapsed = 0;
    while (elapsed < seconds) {
        for (size_t i = 0; i < mix_apdu_count; i++) {
            ds_value *v;
            size_t len;
            ds_value_arena_reset(a);
            if (ds_value_decode_apdu(a, mix_apdus[i].b, mix_apdus[i].n, &v, NULL) ||
                ds_value_encode_apdu(v, out, sizeof out, &len, NULL, 0) || len != mix_apdus[i].n ||
                memcmp(out, mix_apdus[i].b, len) != 0)
                die("values: APDU %zu of the mix does not come back exactly", i);
        }
        done += mix_apdu_count;
        elapsed = now_seconds() - start;
    }
    ds_value_arena_free(a);
    *apdus_out = mix_apdu_count;
    return safe_div((double)done, elapsed);
}

/* Serial-settings inference (include/dlmscope/serial_infer.h) over 1 MB (10^6 bytes) of
 * mis-sampled bytes: the mix's frames (not wrappers) sent through the UART model at `tx` as pushes
 * with idle gaps, read at `rx` (INPCK-style zeroing when zero), until a megabyte has arrived;
 * then the fastest of `runs` inferences, with the capture's setting told or not. The verdict
 * must be `expect`, or the figure would time the wrong path. */
static double serial_infer_seconds(const frame_mix *m, const char *tx, const char *rx, int zero, int told,
                                   const char *expect, int runs)
{
    ds_serial_settings t, r;
    if (ds_serial_settings_parse(tx, &t, NULL, 0) || ds_serial_settings_parse(rx, &r, NULL, 0)) die("serial: settings");
    size_t want = 1000000, have = 0;
    uint8_t *cap = xmalloc(want);
    ds_uart_line l;
    ds_uart_line_init(&l);
    uint64_t bit = ds_uart_bit_ticks(t.baud);
    for (unsigned k = 0; have < want; k++) {
        ds_uart_line_clear(&l);
        if (ds_uart_line_add(&l, 1, 30 * bit + k % 97)) die("serial: out of memory");
        for (size_t i = 0; i < m->count; i++) {
            if (m->f[i].wrapper) continue;
            for (size_t j = 0; j < m->f[i].n; j++)
                if (ds_uart_put_char(&l, &t, m->f[i].b[j])) die("serial: out of memory");
            if (ds_uart_line_add(&l, 1, (25 + i % 11) * bit + 1 + i)) die("serial: out of memory");
        }
        long got = ds_uart_receive_bytes(&l, &r, 0, zero ? DS_UART_ZERO : DS_UART_KEEP, cap + have, want - have);
        if (got <= 0) die("serial: the receiver delivered nothing");
        have += (size_t)got < want - have ? (size_t)got : want - have;
    }
    ds_uart_line_free(&l);
    double best = 0;
    for (int i = 0; i < runs; i++) {
        ds_serial_inference res;
        double start = now_seconds();
        if (ds_serial_infer(cap, have, told ? &r : NULL, &res) != 0) die("serial: out of memory");
        double s = now_seconds() - start;
        if (strcmp(res.code, expect) != 0) die("serial: %s read at %s gave %s, not %s", tx, rx, res.code, expect);
        ds_serial_inference_free(&res);
        if (i == 0 || s < best) best = s;
    }
    free(cap);
    return best;
}

/* The same over 1 MB of random bytes (xorshift, fixed seed): no verdict but serial.random, after
 * every hypothesis and the faster-sender chains have been tried (the slowest path). */
static double serial_random_seconds(int told, int runs)
{
    size_t n = 1000000;
    uint8_t *cap = xmalloc(n);
    uint32_t x = 0x9E3779B9u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        cap[i] = (uint8_t)(x >> 11);
    }
    ds_serial_settings r;
    if (ds_serial_settings_parse("2400:8N1", &r, NULL, 0)) die("serial: settings");
    double best = 0;
    for (int i = 0; i < runs; i++) {
        ds_serial_inference res;
        double start = now_seconds();
        if (ds_serial_infer(cap, n, told ? &r : NULL, &res) != 0) die("serial: out of memory");
        double s = now_seconds() - start;
        if (strcmp(res.code, DS_D_SERIAL_RANDOM) != 0) die("serial: random bytes gave %s, not serial.random", res.code);
        ds_serial_inference_free(&res);
        if (i == 0 || s < best) best = s;
    }
    free(cap);
    return best;
}

static int env_runs(void)
{
    const char *v = getenv("BENCH_RUNS");
    if (!v || !*v) return 3;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < 1 || n > 20) die("BENCH_RUNS=%s: expected a number of runs from 1 to 20", v);
    return (int)n;
}

static void run_workload(workload *w, char *const argv[], const char *in, const char *out, const char *err,
                         int ok_max, int runs)
{
    printf("running %-22s (%.1f MB) ...\n", w->name, file_size(in) / MB);
    fflush(stdout);
    w->in_bytes = file_size(in);
    for (int i = 0; i < runs; i++) {
        /* Written-back output of the run before must not be paid by this one: start clean. The
         * output of the run before is removed untimed, as the baseline removes its own: opening
         * it with O_TRUNC would otherwise charge this run for freeing its page cache (about
         * 0.05 s for the 298 MB of workload (2)), which the baseline never pays. */
        remove_file(out);
        sync();
        run_result r = run_tool(argv, out, err);
        expect_exit(&r, ok_max, w->name, err);
        if (i == 0 || r.seconds < w->run.seconds) w->run.seconds = r.seconds;
        if (i == 0 || r.max_rss_kb > w->run.max_rss_kb) w->run.max_rss_kb = r.max_rss_kb;
        w->run.exit_code = r.exit_code;
    }
    w->out_bytes = file_size(out);
    for (int i = 0; i < runs; i++) {
        sync();
        double b = baseline_seconds(in, w->out_bytes, BENCH_DIR "/baseline.out");
        if (i == 0 || b < w->base_seconds) w->base_seconds = b;
    }
}

/* BENCH_ONLY: which workload alone, 0 for all. Only (9) can run alone: its input is made by itself
 * and it is the one whose size (its peak RSS) matters at BENCH_SCALE=1 more than its time. */
static int env_only(void)
{
    const char *s = getenv("BENCH_ONLY");
    if (!s || !*s) return 0;
    if (strcmp(s, "9") != 0) die("BENCH_ONLY must be 9 (the only workload that runs alone), got '%s'", s);
    return 9;
}

/* Workload (9) alone: its input, its runs, its row and its target. */
static int run_many_only(const frame_mix *mix, double scale, int runs, int keep, const char *tool)
{
    static const char *const many_in = BENCH_DIR "/w9-many.pcap", *const out9 = BENCH_DIR "/w9-out.xml",
                             *const err = BENCH_DIR "/stderr.txt";
    printf("dlmscope bench: BENCH_SCALE=%g, BENCH_RUNS=%d, BENCH_ONLY=9\n", scale, runs);
    fflush(stdout);
    workload w = {.name = "9 pcap 10,000 conns"};
    w.frames = write_capture(mix, (uint64_t)((double)(1ull << 28) * scale), MANY_CONNECTIONS, many_in, NULL);
    char *a9[] = {(char *)tool, "decode", (char *)many_in, NULL};
    run_workload(&w, a9, many_in, out9, err, 0, runs);
    print_table(&w, 1);
    printf("\ntargets (one core):\n");
    int met = target("peak RSS 9 pcap 10,000 conns", w.run.max_rss_kb / 1024.0, "MB", 1, 64);
    if (!keep) {
        remove_file(out9);
        remove_file(many_in);
        remove_file(err);
    } else {
        printf("files kept in %s/ (BENCH_KEEP=1)\n", BENCH_DIR);
    }
    printf("%s\n", met ? "all targets met" : "some targets NOT met");
    return 0;
}

int main(int argc, char **argv)
{
    char *tool = argc > 1 ? argv[1] : "build/release/dlmscope";
    double scale = env_scale();
    int runs = env_runs();
    const char *keep_env = getenv("BENCH_KEEP");
    int keep = keep_env && strcmp(keep_env, "1") == 0;
    if (access(tool, X_OK) != 0) die("%s: not executable (build it with make build/release/dlmscope)", tool);
    if (mkdir("build", 0755) != 0 && errno != EEXIST) die("build: %s", strerror(errno));
    if (mkdir(BENCH_DIR, 0755) != 0 && errno != EEXIST) die("%s: %s", BENCH_DIR, strerror(errno));

    check_hdlc_builder();
    static frame_mix mix;
    build_mix(&mix);
    check_mix(tool, &mix);
    if (env_only() == 9) return run_many_only(&mix, scale, runs, keep, tool);

    uint64_t per_rep = mix_log_bytes(&mix);
    uint64_t reps = (uint64_t)(100e6 * scale / (double)per_rep + 0.5);
    if (reps == 0) reps = 1;
    uint64_t garbage = (uint64_t)((double)(1ull << 30) * scale);
    if (garbage == 0) garbage = 1;
    printf("dlmscope bench: BENCH_SCALE=%g, BENCH_RUNS=%d; mix of %zu frames (%llu bytes as a log), %llu repetitions\n",
           scale, runs,
           mix.count, (unsigned long long)per_rep, (unsigned long long)reps);
    printf("generating workloads in %s/ ...\n", BENCH_DIR);
    fflush(stdout);

    static const char *const log_in = BENCH_DIR "/w1-mix.log", *const bin_in = BENCH_DIR "/w2-mix.bin",
                             *const rnd_in = BENCH_DIR "/w3-random.bin", *const xml1 = BENCH_DIR "/w1-out.xml",
                             *const xml2 = BENCH_DIR "/w2-out.xml", *const out3 = BENCH_DIR "/w3-out.xml",
                             *const hex4 = BENCH_DIR "/w4-out.hex", *const err = BENCH_DIR "/stderr.txt";
    write_mix(&mix, reps, 1, log_in);
    write_mix(&mix, reps, 0, bin_in);
    write_garbage(garbage, rnd_in);
    uint64_t frames = reps * mix_frames(&mix, 1), bin_frames = reps * mix_frames(&mix, 0);

    static const char *const pcap_in = BENCH_DIR "/w5-tcp.pcap", *const pcap_bin = BENCH_DIR "/w6-same.bin",
                             *const out5 = BENCH_DIR "/w5-out.xml", *const out6 = BENCH_DIR "/w6-out.xml";
    uint64_t pcap_frames =
        write_capture(&mix, (uint64_t)((double)(1ull << 30) * scale), PCAP_CONNECTIONS, pcap_in, pcap_bin);
    static const char *const many_in = BENCH_DIR "/w9-many.pcap", *const out8 = BENCH_DIR "/w9-out.xml";
    uint64_t many_frames =
        write_capture(&mix, (uint64_t)((double)(1ull << 28) * scale), MANY_CONNECTIONS, many_in, NULL);

    workload w[8] = {{.name = "1 decode hex log", .frames = frames},
                     {.name = "2 decode binary HDLC", .frames = bin_frames},
                     {.name = "3 scan random bytes", .frames = 0},
                     {.name = "4 encode XML of (1)", .frames = 0},
                     {.name = "5 decode pcap TCP", .frames = pcap_frames},
                     {.name = "6 same frames binary", .frames = pcap_frames},
                     {.name = "7 diagnose binary (2)", .frames = bin_frames},
                     {.name = "9 pcap 10,000 conns", .frames = many_frames}};
    char *a1[] = {tool, "decode", "--hex", (char *)log_in, NULL};
    run_workload(&w[0], a1, log_in, xml1, err, 0, runs);
    char *a2[] = {tool, "decode", "--binary", (char *)bin_in, NULL};
    run_workload(&w[1], a2, bin_in, xml2, err, 0, runs);
    if (!keep) remove_file(xml2);
    /* Random bytes are not DLMS: exit 1 ("something was not decodable") is the expected answer. */
    char *a3[] = {tool, "decode", "--binary", "--diagnostics=none", (char *)rnd_in, NULL};
    run_workload(&w[2], a3, rnd_in, out3, err, 1, runs);
    if (!keep) remove_file(out3);
    char *a4[] = {tool, "encode", (char *)xml1, NULL};
    run_workload(&w[3], a4, xml1, hex4, err, 0, runs);
    w[3].frames = count_lines(hex4);
    if (w[3].frames != frames)
        fprintf(stderr, "bench: note: encode wrote %llu lines for %llu frames\n", (unsigned long long)w[3].frames,
                (unsigned long long)frames);
    char *a5[] = {tool, "decode", (char *)pcap_in, NULL};
    run_workload(&w[4], a5, pcap_in, out5, err, 0, runs);
    if (!keep) remove_file(out5);
    char *a6[] = {tool, "decode", "--binary", (char *)pcap_bin, NULL};
    run_workload(&w[5], a6, pcap_bin, out6, err, 0, runs);
    if (!keep) remove_file(out6);
    /* diagnose over the input of (2): the decoder with values for every APDU and the diagnoser,
     * into no XML; findings (if the mix has any) make exit 1 */
    static const char *const out7 = BENCH_DIR "/w7-out.txt";
    char *a7[] = {tool, "diagnose", "--binary", (char *)bin_in, NULL};
    run_workload(&w[6], a7, bin_in, out7, err, 1, runs);
    if (!keep) remove_file(out7);
    char *a8[] = {tool, "decode", (char *)many_in, NULL};
    run_workload(&w[7], a8, many_in, out8, err, 0, runs);
    if (!keep) remove_file(out8);
    double start_ms = startup_ms(tool, &mix);
    size_t value_apdus;
    double value_rate = values_rate(scale < 1 ? 0.2 : 1.0, &value_apdus);
    printf("running serial-settings inference (1.0 MB each) ...\n");
    fflush(stdout);
    double serial_parity = serial_infer_seconds(&mix, "2400:8E1", "2400:8N1", 1, 1, DS_D_SERIAL_PARITY_MISMATCH, runs);
    double serial_parity_untold =
        serial_infer_seconds(&mix, "2400:8E1", "2400:8N1", 1, 0, DS_D_SERIAL_PARITY_MISMATCH, runs);
    double serial_baud = serial_infer_seconds(&mix, "2400:8N1", "9600:8N1", 0, 1, DS_D_SERIAL_BAUD_MISMATCH, runs);
    double serial_baud_untold =
        serial_infer_seconds(&mix, "2400:8N1", "9600:8N1", 0, 0, DS_D_SERIAL_BAUD_MISMATCH, runs);
    /* the sender faster: found from the bits its start and stop bits force */
    double serial_slow = serial_infer_seconds(&mix, "9600:8N1", "2400:8N1", 0, 1, DS_D_SERIAL_BAUD_MISMATCH, runs);
    double serial_slow_untold =
        serial_infer_seconds(&mix, "9600:8N1", "2400:8N1", 0, 0, DS_D_SERIAL_BAUD_MISMATCH, runs);
    double serial_random = serial_random_seconds(1, runs);
    double serial_random_untold = serial_random_seconds(0, runs);
    double serial_all[] = {serial_parity, serial_parity_untold, serial_baud,  serial_baud_untold,
                           serial_slow,   serial_slow_untold,   serial_random, serial_random_untold};
    double serial_worst = 0;
    for (size_t i = 0; i < sizeof serial_all / sizeof serial_all[0]; i++)
        if (serial_all[i] > serial_worst) serial_worst = serial_all[i];

    print_table(w, 8);
    printf("\nMB = 10^6 bytes (RSS: MiB); frames = input frames ((4): hex lines written); RSS = peak of the\n"
           "child (wait4 ru_maxrss); base s = fread input + fwrite as many output bytes, same run; seconds and\n"
           "base s are the fastest of BENCH_RUNS runs each, after sync(); ratio =\n"
           "seconds / base s. Workload (2) holds the frames of (1) in binary (about 1/3 of its size),\n"
           "without the 2 wrapper frames per mix (left out since the first figures, see README.md).\n"
           "Workload (5) is a pcap (about 1 GB at scale 1) of those frames, one per TCP segment, each sent\n"
           "on %d connections in turn; (6) is the same frames in the same order as a binary dump.\n"
           "Workload (7) is `diagnose` over the input of (2) (its output: the summary and findings).\n"
           "Workload (9) is a pcap of the frames of (5) on %d connections in turn, all open at once\n"
           "(every one has sent and received before the first ends): its peak RSS is the figure.\n"
           "Start-up: median wall time of %d runs decoding one frame: %.2f ms\n",
           PCAP_CONNECTIONS, MANY_CONNECTIONS, STARTUP_RUNS, start_ms);
    printf("Values: the %zu APDUs of the mix's client session decoded to values and encoded back (in process,\n"
           "each checked to come back exactly): %.0f APDUs/s\n",
           value_apdus, value_rate);

    printf("Serial settings: inference over 1.0 MB of mis-sampled bytes (the mix's frames through the UART\n"
           "model): 2400 8E1 read as 8N1 with INPCK %.2f s (capture's setting told) / %.2f s (not told);\n"
           "2400 8N1 read at 9600 %.2f s / %.2f s; 9600 8N1 read at 2400 %.2f s / %.2f s;\n"
           "random bytes (no setting explains them) %.2f s / %.2f s\n",
           serial_parity, serial_parity_untold, serial_baud, serial_baud_untold, serial_slow, serial_slow_untold,
           serial_random, serial_random_untold);

    printf("\ntargets (one core):\n");
    int all = 1;
    all &= target("(2) decode binary, frames/s", safe_div((double)w[1].frames, w[1].run.seconds), "", 0, 1e6);
    all &= target("(2) decode binary, input MB/s", safe_div(w[1].in_bytes / MB, w[1].run.seconds), "MB/s", 0, 100);
    all &= target("(2) ratio to fread/fwrite baseline", safe_div(w[1].run.seconds, w[1].base_seconds), "", 1, 3);
    all &= target("(3) scan random bytes", safe_div(w[2].in_bytes / 1e9, w[2].run.seconds), "GB/s", 0, 1);
    all &= target("(4) encode, XML input MB/s", safe_div(w[3].in_bytes / MB, w[3].run.seconds), "MB/s", 0, 50);
    all &= target("serial inference, 1 MB, slowest case", serial_worst, "s", 1, 2);
    all &= target("(5) pcap time / (6) same frames binary", safe_div(w[4].run.seconds, w[5].run.seconds), "", 1, 1.25);
    all &= target("(7) diagnose speed / (2) decode speed", safe_div(w[1].run.seconds, w[6].run.seconds), "", 0, 0.5);
    for (size_t i = 0; i < 8; i++) {
        char what[64];
        snprintf(what, sizeof what, "peak RSS %s", w[i].name);
        all &= target(what, w[i].run.max_rss_kb / 1024.0, "MB", 1, 64);
    }
    all &= target("start-up, one frame, median wall", start_ms, "ms", 1, 5);
    printf("%s\n", all ? "all targets met" : "some targets NOT met");

    if (!keep) {
        const char *const files[] = {log_in, bin_in, rnd_in, xml1, hex4, err, pcap_in, pcap_bin, many_in};
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) remove_file(files[i]);
    } else {
        printf("files kept in %s/ (BENCH_KEEP=1)\n", BENCH_DIR);
    }
    return 0;
}
