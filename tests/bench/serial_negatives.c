/* The false-verdict guard of the wrong-serial-settings inference on what users really capture on
 * a wrong port: other protocols (issue 14: "say honestly that the data is not DLMS ... random
 * bytes are never diagnosed as a setting problem"). Each class of stream is generated here,
 * deterministically (no files, no network):
 *   p1      DSMR 5 P1 telegrams (/ISK5... lines, !CRC16), 115200 8N1
 *   iec21   IEC 62056-21 mode C readouts (/ident, STX data lines ! CR LF ETX BCC), 9600 7E1
 *   modbus  Modbus RTU read-holding-registers requests and responses (CRC-16), 9600 8E1
 *   nmea    NMEA 0183 sentences ($GPGGA, $GPRMC ... *checksum), 4800 8N1
 *   log     plain log text, 115200 8N1
 *   deflate zlib-compressed text, 115200 8N1
 *   random  an AES-128-CTR key stream (ciphered data), 115200 8N1
 * and sent through the bit-level UART model (src/diagnose/uart.c) at its own setting and received
 * at its own setting ("as-is") and at the matrix's mis-settings (tests/bench/serial_matrix.c:
 * sender 2/4/8/16 times faster, receiver 2/4/8/16 times faster, the parity and data-bit
 * swaps, inverted), the port keeping or zeroing bad characters, told the capture's setting or
 * not. Every setting verdict is graded: true when it names the setting used (as the matrix
 * grades), false otherwise (as-is: always false), and counted as statistical (no frame with good
 * checks) or with frames; a capture of 00 bytes only is counted apart (all00: it holds nothing
 * of what was sent, whatever the stream), and the serial.not-dlms findings whose reason is
 * printable text apart among the others (text). Should print no false verdict. Not a unit test.
 * Usage: dlmscope-serial-negatives [-v]   (-v prints every false verdict, every true one and
 * every printable-text reason) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <mbedtls/aes.h>

#include "diagnose/uart.h"
#include "dlmscope/serial_infer.h"

#define STREAM_MAX 8192
#define MSG_MAX 64

/* A stream: its bytes, cut into messages sent with idle between them. */
typedef struct stream {
    const char *name, *setting;
    uint8_t b[STREAM_MAX];
    size_t n;
    size_t msg_end[MSG_MAX]; /* end offset of each message */
    size_t n_msg;
} stream;

static uint32_t rng = 12345u;
static unsigned rnd(unsigned below)
{
    rng = rng * 1103515245u + 12345u;
    return (rng >> 8) % below;
}

static void put(stream *s, const void *p, size_t n)
{
    if (s->n + n > STREAM_MAX) n = STREAM_MAX - s->n;
    memcpy(s->b + s->n, p, n);
    s->n += n;
}
static void end_msg(stream *s)
{
    if (s->n_msg < MSG_MAX && (!s->n_msg || s->msg_end[s->n_msg - 1] < s->n)) s->msg_end[s->n_msg++] = s->n;
}
static void puts_(stream *s, const char *t) { put(s, t, strlen(t)); }

/* CRC-16/ARC (poly 8005 reflected, init 0): DSMR P1's; Modbus's is the same with init FFFF */
static uint16_t crc16_a001(const uint8_t *p, size_t n, uint16_t crc)
{
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (uint16_t)(crc & 1u ? (crc >> 1) ^ 0xA001u : crc >> 1);
    }
    return crc;
}

static void make_p1(stream *s)
{
    s->name = "p1";
    s->setting = "115200:8N1";
    for (int t = 0; t < 3 && s->n < STREAM_MAX - 1200; t++) {
        char tg[1200];
        int len = snprintf(tg, sizeof tg,
                           "/ISK5\\2M550T-1012\r\n\r\n1-3:0.2.8(50)\r\n0-0:1.0.0(2612071%02d000W)\r\n"
                           "0-0:96.1.1(4530303434303037313331363130373136)\r\n1-0:1.8.1(%06u.%03u*kWh)\r\n"
                           "1-0:1.8.2(%06u.%03u*kWh)\r\n1-0:2.8.1(000000.000*kWh)\r\n1-0:2.8.2(000000.000*kWh)\r\n"
                           "0-0:96.14.0(0002)\r\n1-0:1.7.0(%02u.%03u*kW)\r\n1-0:2.7.0(00.000*kW)\r\n"
                           "0-0:96.7.21(00010)\r\n0-0:96.7.9(00003)\r\n1-0:99.97.0(1)(0-0:96.7.19)"
                           "(190911121102S)(0000000304*s)\r\n1-0:32.32.0(00002)\r\n1-0:32.36.0(00000)\r\n"
                           "0-0:96.13.0()\r\n1-0:32.7.0(23%u.0*V)\r\n1-0:31.7.0(00%u*A)\r\n1-0:21.7.0(%02u.%03u*kW)\r\n"
                           "1-0:22.7.0(00.000*kW)\r\n0-1:24.1.0(003)\r\n"
                           "0-1:96.1.0(4730303339303031393431363830343139)\r\n"
                           "0-1:24.2.1(2612071%02d0000W)(0%04u.%03u*m3)\r\n!",
                           t, 1234 + t, rnd(1000), 5678 + t, rnd(1000), rnd(4), rnd(1000), rnd(10), rnd(10), rnd(4),
                           rnd(1000), t, 1500 + t, rnd(1000));
        uint16_t crc = crc16_a001((const uint8_t *)tg, (size_t)len, 0);
        snprintf(tg + len, sizeof tg - (size_t)len, "%04X\r\n", crc);
        puts_(s, tg);
        end_msg(s);
    }
}

static void make_iec21(stream *s)
{
    s->name = "iec21";
    s->setting = "9600:7E1";
    for (int t = 0; t < 4 && s->n < STREAM_MAX - 600; t++) {
        puts_(s, "/ISk5MT174-0001\r\n");
        end_msg(s);
        char d[600];
        int len = snprintf(d, sizeof d,
                           "\x02" "0.0.0(%08u)\r\n0.9.1(1%02u%02u00)\r\n0.9.2(1261207)\r\n1.8.0(%07u.%u*kWh)\r\n"
                           "1.8.1(%07u.%u*kWh)\r\n1.8.2(0000000.0*kWh)\r\n2.8.0(0000000.0*kWh)\r\n"
                           "C.1.0(12345678)\r\n32.7.0(23%u.%u*V)\r\n31.7.0(%03u.%02u*A)\r\nF.F(00000000)\r\n!\r\n\x03",
                           12345678u, rnd(24), rnd(60), 1000 + rnd(9000), rnd(10), 1000 + rnd(9000), rnd(10), rnd(10),
                           rnd(10), rnd(20), rnd(100));
        uint8_t bcc = 0;
        for (int i = 1; i < len; i++) bcc ^= (uint8_t)d[i];
        put(s, d, (size_t)len);
        put(s, &bcc, 1);
        end_msg(s);
    }
}

static void make_modbus(stream *s)
{
    s->name = "modbus";
    s->setting = "9600:8E1";
    for (int t = 0; t < 40 && s->n < STREAM_MAX - 80; t++) {
        uint8_t addr = (uint8_t)(1 + t % 3), q = (uint8_t)(2 + rnd(8));
        uint16_t start = (uint16_t)(rnd(4) * 0x100 + rnd(64));
        uint8_t req[8] = {addr, 3, (uint8_t)(start >> 8), (uint8_t)start, 0, q};
        uint16_t c = crc16_a001(req, 6, 0xFFFFu);
        req[6] = (uint8_t)c;
        req[7] = (uint8_t)(c >> 8);
        put(s, req, 8);
        end_msg(s);
        uint8_t rsp[64] = {addr, 3, (uint8_t)(2 * q)};
        for (unsigned i = 0; i < 2u * q; i++) rsp[3 + i] = (uint8_t)(i % 2 ? rnd(256) : rnd(3));
        size_t rn = 3 + 2u * q;
        c = crc16_a001(rsp, rn, 0xFFFFu);
        rsp[rn] = (uint8_t)c;
        rsp[rn + 1] = (uint8_t)(c >> 8);
        put(s, rsp, rn + 2);
        end_msg(s);
    }
}

static void nmea_line(stream *s, const char *body)
{
    uint8_t cs = 0;
    for (const char *c = body; *c; c++) cs ^= (uint8_t)*c;
    char line[128];
    snprintf(line, sizeof line, "$%s*%02X\r\n", body, cs);
    puts_(s, line);
}

static void make_nmea(stream *s)
{
    s->name = "nmea";
    s->setting = "4800:8N1";
    for (int t = 0; t < 30 && s->n < STREAM_MAX - 300; t++) {
        char b[100];
        snprintf(b, sizeof b, "GPGGA,1230%02d.00,4807.%03u,N,01131.%03u,E,1,%02u,0.9,545.4,M,46.9,M,,", t, rnd(1000),
                 rnd(1000), 4 + rnd(8));
        nmea_line(s, b);
        snprintf(b, sizeof b, "GPRMC,1230%02d.00,A,4807.%03u,N,01131.%03u,E,0.%02u,84.4,071226,,,A", t, rnd(1000),
                 rnd(1000), rnd(100));
        nmea_line(s, b);
        if (t % 5 == 0) nmea_line(s, "GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1");
        end_msg(s);
    }
}

static const char *const LOG_WORDS[] = {"kernel:", "usb", "1-1:", "new", "full-speed", "device", "number", "using",
                                        "xhci_hcd", "ttyUSB0:", "cp210x", "converter", "now", "attached", "to",
                                        "systemd[1]:", "Started", "Session", "of", "user", "pi.", "sshd[812]:",
                                        "Accepted", "publickey", "for", "from", "192.168.1.20", "port", "22"};

static void make_log_text(stream *s, size_t upto)
{
    for (int t = 0; s->n < upto; t++) {
        char line[200];
        int len = snprintf(line, sizeof line, "Dec  7 07:%02d:%02d raspberrypi", t / 60 % 60, t % 60);
        for (unsigned w = 0, k = 3 + rnd(9); w < k && len < 180; w++)
            len += snprintf(line + len, sizeof line - (size_t)len, " %s",
                            LOG_WORDS[rnd(sizeof LOG_WORDS / sizeof LOG_WORDS[0])]);
        snprintf(line + len, sizeof line - (size_t)len, "\n");
        puts_(s, line);
        end_msg(s);
    }
}

static void make_log(stream *s)
{
    s->name = "log";
    s->setting = "115200:8N1";
    make_log_text(s, 4000);
}

static void make_deflate(stream *s)
{
    static stream text;
    memset(&text, 0, sizeof text);
    make_log_text(&text, STREAM_MAX - 200);
    s->name = "deflate";
    s->setting = "115200:8N1";
    uLongf out = STREAM_MAX;
    if (compress2(s->b, &out, text.b, text.n, 9) != Z_OK) exit(2);
    s->n = out;
    for (size_t at = 256; at < s->n; at += 256) s->msg_end[s->n_msg++] = at;
    end_msg(s);
}

static void make_random(stream *s)
{
    s->name = "random";
    s->setting = "115200:8N1";
    mbedtls_aes_context aes;
    mbedtls_aes_init(&aes);
    const unsigned char key[16] = "dlmscope-negativ";
    unsigned char nonce[16] = {0}, block[16];
    size_t off = 0;
    mbedtls_aes_setkey_enc(&aes, key, 128);
    memset(s->b, 0, 3000);
    mbedtls_aes_crypt_ctr(&aes, 3000, &off, nonce, block, s->b, s->b);
    mbedtls_aes_free(&aes);
    s->n = 3000;
    for (size_t at = 250; at < s->n; at += 250) s->msg_end[s->n_msg++] = at;
    end_msg(s);
}

static ds_serial_settings settings_at(unsigned long baud, const char *format)
{
    char t[40];
    snprintf(t, sizeof t, "%lu:%s", baud, format);
    ds_serial_settings s;
    if (ds_serial_settings_parse(t, &s, NULL, 0) != 0) {
        fprintf(stderr, "bad setting %s\n", t);
        exit(2);
    }
    return s;
}

/* The stream on a line as a sender at tx puts it (idle of 25 + 7k bit times between messages),
 * received at rx. */
static uint8_t *send_receive(const stream *s, const ds_serial_settings *tx, const ds_serial_settings *rx,
                             int inverted, ds_uart_error_policy pol, size_t *n)
{
    ds_uart_line l;
    ds_uart_line_init(&l);
    uint64_t bit = ds_uart_bit_ticks(tx->baud);
    ds_uart_line_add(&l, 1, 40 * bit + 13);
    size_t at = 0;
    for (size_t k = 0; k < s->n_msg; k++) {
        for (; at < s->msg_end[k]; at++) ds_uart_put_char(&l, tx, s->b[at]);
        ds_uart_line_add(&l, 1, (uint64_t)(25 + 7 * (k % 8)) * bit + 1 + 311u * (unsigned)k);
    }
    if (inverted)
        for (size_t i = 0; i < l.n; i++) l.level[i] ^= 1u;
    long got = ds_uart_receive_bytes(&l, rx, 0, pol, NULL, 0);
    uint8_t *b = malloc((size_t)(got > 0 ? got : 1));
    if (!b) exit(2);
    ds_uart_receive_bytes(&l, rx, 0, pol, b, (size_t)got);
    ds_uart_line_free(&l);
    *n = (size_t)(got > 0 ? got : 0);
    return b;
}

typedef enum mis { AS_IS, SENDER_FASTER, RECEIVER_FASTER, READ_AS, INVERTED } mis;
typedef struct mis_setting {
    const char *name;
    mis k;
    unsigned ratio;         /* SENDER_FASTER, RECEIVER_FASTER */
    const char *from, *to;  /* READ_AS: the stream's frame format, the receiver's */
} mis_setting;

static const mis_setting MIS[] = {
    {"as-is", AS_IS, 1, NULL, NULL},          {"sender 2x", SENDER_FASTER, 2, NULL, NULL},
    {"sender 4x", SENDER_FASTER, 4, NULL, NULL}, {"sender 8x", SENDER_FASTER, 8, NULL, NULL},
    {"sender 16x", SENDER_FASTER, 16, NULL, NULL}, {"receiver 2x", RECEIVER_FASTER, 2, NULL, NULL},
    {"receiver 4x", RECEIVER_FASTER, 4, NULL, NULL}, {"receiver 8x", RECEIVER_FASTER, 8, NULL, NULL},
    {"receiver 16x", RECEIVER_FASTER, 16, NULL, NULL}, {"8N1 as 8E1", READ_AS, 1, "8N1", "8E1"},
    {"8N1 as 7E1", READ_AS, 1, "8N1", "7E1"},     {"8E1 as 8N1", READ_AS, 1, "8E1", "8N1"},
    {"8E1 as 8O1", READ_AS, 1, "8E1", "8O1"},     {"7E1 as 8N1", READ_AS, 1, "7E1", "8N1"},
    {"inverted", INVERTED, 1, NULL, NULL},
};
#define N_MIS (sizeof MIS / sizeof MIS[0])

static int is_setting(const ds_serial_inference *r)
{
    return r->verdict == DS_SERIAL_BAUD || r->verdict == DS_SERIAL_PARITY || r->verdict == DS_SERIAL_DATA_BITS ||
           r->verdict == DS_SERIAL_INVERTED;
}

/* Whether the verdict names the setting used (the matrix's names_setting, the named setting
 * only, or any baud it lists as explaining the bytes as well). */
static int names_one(const mis_setting *m, ds_serial_verdict verdict, const ds_serial_settings *receiver,
                     const ds_serial_settings *sender, int inverted, const ds_serial_inference *r,
                     const ds_serial_settings *tx, const ds_serial_settings *rx, int told)
{
    switch (m->k) {
    case AS_IS: return 0;
    case SENDER_FASTER:
    case RECEIVER_FASTER: {
        unsigned long want = told ? tx->baud : (unsigned long)((double)receiver->baud * tx->baud / rx->baud);
        int named = sender->baud == want;
        if (sender == &r->sender)
            for (size_t i = 0; i < r->n_other_bauds; i++) named |= r->other_bauds[i] == want;
        return verdict == DS_SERIAL_BAUD && named;
    }
    case READ_AS:
        return (verdict == DS_SERIAL_PARITY || verdict == DS_SERIAL_DATA_BITS) && !inverted &&
               sender->data_bits == tx->data_bits && sender->parity == tx->parity;
    default: return verdict == DS_SERIAL_INVERTED && inverted;
    }
}

/* The setting named, or one of the alternatives the finding lists as explaining the bytes
 * exactly as well (the matrix's 'a') */
static int names_setting(const mis_setting *m, const ds_serial_inference *r, const ds_serial_settings *tx,
                         const ds_serial_settings *rx, int told)
{
    if (names_one(m, r->verdict, &r->receiver, &r->sender, r->inverted, r, tx, rx, told)) return 1;
    for (size_t i = 0; i < r->n_alternatives; i++) {
        const ds_serial_alternative *a = &r->alternatives[i];
        if (names_one(m, a->verdict, &a->receiver, &a->sender, a->inverted, r, tx, rx, told)) return 1;
    }
    return 0;
}

/* every byte 00: what many mis-settings give whatever is sent (the bytes hold nothing of the
 * stream, so they cannot show it is not DLMS) */
static int all_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i]) return 0;
    return n > 0;
}

typedef struct tally {
    unsigned text, inferences, zeros, false_stat, false_frames, true_stat, true_frames, ok, other;
} tally;

int main(int argc, char **argv)
{
    int verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
    static stream st[7];
    void (*const make[7])(stream *) = {make_p1, make_iec21, make_modbus, make_nmea, make_log, make_deflate, make_random};
    tally all = {0};
    printf("%-8s %6s %5s %5s | %11s %11s | %11s %11s | %4s %5s %5s\n", "class", "bytes", "runs", "all00", "false stat", "false frm",
           "true stat", "true frm", "ok", "other", "text");
    for (int c = 0; c < 7; c++) {
        stream *s = &st[c];
        memset(s, 0, sizeof *s);
        make[c](s);
        const char *format = strchr(s->setting, ':') + 1;
        unsigned long baud = strtoul(s->setting, NULL, 10);
        tally t = {0};
        for (size_t mi = 0; mi < N_MIS; mi++) {
            const mis_setting *m = &MIS[mi];
            if (m->k == READ_AS && strcmp(m->from, format) != 0) continue;
            ds_serial_settings tx = settings_at(baud, format), rx = tx;
            if (m->k == SENDER_FASTER) rx = settings_at(baud / m->ratio, format);
            if (m->k == RECEIVER_FASTER) rx = settings_at(baud * m->ratio, format);
            if (m->k == READ_AS) rx = settings_at(baud, m->to);
            for (int pol = 0; pol < 2; pol++)
                for (int told = 1; told >= 0; told--) {
                    size_t n;
                    uint8_t *b = send_receive(s, &tx, &rx, m->k == INVERTED, pol ? DS_UART_ZERO : DS_UART_KEEP, &n);
                    ds_serial_inference r;
                    if (ds_serial_infer(b, n, told ? &rx : NULL, &r) != 0) exit(2);
                    t.inferences++;
                    if (all_zero(b, n)) {
                        t.zeros++;
                    } else if (is_setting(&r)) {
                        int right = names_setting(m, &r, &tx, &rx, told);
                        unsigned *cell = right ? (r.statistical ? &t.true_stat : &t.true_frames)
                                               : (r.statistical ? &t.false_stat : &t.false_frames);
                        (*cell)++;
                        if (verbose && right)
                            printf("  true %s %s %s %s: %s%s\n", s->name, m->name, pol ? "zero" : "keep",
                                   told ? "told" : "untold", r.code, r.statistical ? " (statistical)" : " (frames)");
                        if (!right && verbose) {
                            char text[1400];
                            ds_serial_inference_text(&r, text, sizeof text);
                            printf("  FALSE %s %s %s %s (%zu bytes): %s\n", s->name, m->name, pol ? "zero" : "keep",
                                   told ? "told" : "untold", n, text);
                        }
                    } else if (r.verdict == DS_SERIAL_FINE) {
                        t.ok++;
                    } else {
                        t.other++;
                        int text = r.verdict == DS_SERIAL_NOT_DLMS && strstr(r.why, "printable text") != NULL;
                        t.text += text;
                        if (verbose && text) printf("  text %s %s %s %s\n", s->name, m->name, pol ? "zero" : "keep",
                                                    told ? "told" : "untold");
                    }
                    ds_serial_inference_free(&r);
                    free(b);
                }
        }
        printf("%-8s %6zu %5u %5u | %11u %11u | %11u %11u | %4u %5u %5u\n", s->name, s->n, t.inferences, t.zeros, t.false_stat,
               t.false_frames, t.true_stat, t.true_frames, t.ok, t.other, t.text);
        fflush(stdout);
        all.inferences += t.inferences;
        all.zeros += t.zeros;
        all.text += t.text;
        all.false_stat += t.false_stat;
        all.false_frames += t.false_frames;
        all.true_stat += t.true_stat;
        all.true_frames += t.true_frames;
        all.ok += t.ok;
        all.other += t.other;
    }
    printf("%-8s %6s %5u %5u | %11u %11u | %11u %11u | %4u %5u %5u\n", "total", "", all.inferences, all.zeros, all.false_stat,
           all.false_frames, all.true_stat, all.true_frames, all.ok, all.other, all.text);
    return 0;
}
