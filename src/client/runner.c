/* `dlmscope run`: a script through the machines. The transport (transport.h) carries bytes,
 * the link machine (conn.h) frames them, the association machine (assoc.h) makes and checks
 * the APDUs; this file connects them, waits (every wait bounded by the settings' timeout),
 * prints each answer with the decoder, and keeps the transcript and the invocation counter.
 *
 * --dry-run puts a server-side link machine in memory in place of the meter, so that the
 * frames printed are those the link machine would send (SNRM, the I-frames, DISC); the
 * association is then taken as pre-established, since no AARE can come. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "apdu/apdu_tags.h"
#include "client/image.h"
#include "client/script.h"
#include "dlmscope/assoc.h"
#include "dlmscope/conn.h"
#include "dlmscope/decoder.h"
#include "dlmscope/serial.h"
#include "dlmscope/transport.h"
#include "dlmscope/value.h"

#define INBOX_MAX 64
#define HEX_PER_LINE 16
#define RUN_MAX_VARIABLES 64
#define RUN_MAX_VARIABLE_BYTES 65536

typedef struct runner {
    const ds_run_settings *s;
    FILE *out, *log;
    int fd;
    ds_conn *conn, *mirror;       /* mirror: the meter's side in a dry run */
    ds_assoc *as;
    FILE *transcript;
    uint64_t sent_bytes, received_bytes;
    uint8_t *inbox[INBOX_MAX];
    size_t inbox_len[INBOX_MAX];
    size_t in_head, in_tail;
    int connected, disconnected, broken;
    /* a step that timed out: its answer may still come, and is then set aside with one message
       instead of being taken for the answer to what follows (the release) */
    size_t late_step;
    long late_line;
    const char *late_name;
    char link_error[300];
    ds_decoder *dec;
    ds_sink *sink;
    ds_keyset keys;
    int dry;
    int quiet;                    /* answers not printed (the blocks of an image transfer) */
    int has_next_ic;              /* an association made again: it goes on with this IC */
    uint32_t next_ic;
    struct {                      /* --stats: the whole run's traffic, as the link carried it */
        uint64_t bytes[2], frames[2]; /* [0] to the meter, [1] from it */
        uint64_t round_trips;     /* turns of the line to the meter: a frame out after one in */
        int last;                 /* direction of the last frame: 0 none, 1 out, 2 in */
    } stats;
    struct {                      /* the script's variables: a value read earlier */
        char name[32];
        uint8_t *data;
        size_t len;
    } vars[RUN_MAX_VARIABLES];
    size_t n_vars;
} runner;

static void say(runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(runner *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("dlmscope run: ", r->log);
    vfprintf(r->log, fmt, ap);
    fputc('\n', r->log);
    va_end(ap);
}

/* ---- transcript: socat's -x -v form, which decode reads with times and directions ---- */

static void wall_time(char *buf, size_t cap)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    time_t t = tv.tv_sec;
    localtime_r(&t, &tm);
    char day[32];
    if (strftime(day, sizeof day, "%Y/%m/%d %H:%M:%S", &tm) == 0) day[0] = '\0';
    snprintf(buf, cap, "%s.%06ld", day, (long)tv.tv_usec);
}

static void transcript_block(runner *r, int sent, const uint8_t *p, size_t n)
{
    if (!r->transcript || n == 0) return;
    char when[64];
    wall_time(when, sizeof when);
    uint64_t *count = sent ? &r->sent_bytes : &r->received_bytes;
    fprintf(r->transcript, "%c %s  length=%zu from=%llu to=%llu\n", sent ? '>' : '<', when, n,
            (unsigned long long)*count, (unsigned long long)(*count + n - 1));
    *count += n;
    for (size_t i = 0; i < n; i += HEX_PER_LINE) {
        for (size_t j = i; j < n && j < i + HEX_PER_LINE; j++) fprintf(r->transcript, " %02x", p[j]);
        fputc('\n', r->transcript);
    }
    fputs("--\n", r->transcript);
    fflush(r->transcript);
}

/* ---- --stats ---- */

/* A round trip is counted when the client sends after the meter had the line (or first): the
 * frames of one window burst are one turn, and so are a block's pblocks streamed without an
 * answer between them. */
static void count_frame(runner *r, int sent, size_t n)
{
    r->stats.bytes[!sent] += n;
    r->stats.frames[!sent]++;
    if (sent && r->stats.last != 1) r->stats.round_trips++;
    r->stats.last = sent ? 1 : 2;
}

static void print_stats(runner *r)
{
    if (!r->s->stats) return;
    say(r, "stats: sent %llu bytes in %llu frames, received %llu bytes in %llu frames, %llu round trips",
        (unsigned long long)r->stats.bytes[0], (unsigned long long)r->stats.frames[0],
        (unsigned long long)r->stats.bytes[1], (unsigned long long)r->stats.frames[1],
        (unsigned long long)r->stats.round_trips);
}

/* ---- dry run: the bytes as an XML comment ---- */

static void hex_comment(runner *r, const char *what, const uint8_t *p, size_t n)
{
    ds_sink_flush(r->sink);
    fflush(r->out);
    fprintf(r->out, "<!-- %s:", what);
    for (size_t i = 0; i < n; i++) fprintf(r->out, " %02X", p[i]);
    fputs(" -->\n", r->out);
}

/* ---- the link machine's events ---- */

static void on_link(void *user, const ds_conn_event *ev)
{
    runner *r = user;
    switch (ev->kind) {
    case DS_CONN_EV_CONNECTED: r->connected = 1; break;
    case DS_CONN_EV_DISCONNECTED: r->disconnected = 1; break;
    case DS_CONN_EV_APDU:
        if (r->in_tail - r->in_head >= INBOX_MAX) break;
        r->inbox[r->in_tail % INBOX_MAX] = malloc(ev->len ? ev->len : 1);
        if (!r->inbox[r->in_tail % INBOX_MAX]) break;
        memcpy(r->inbox[r->in_tail % INBOX_MAX], ev->data, ev->len);
        r->inbox_len[r->in_tail % INBOX_MAX] = ev->len;
        r->in_tail++;
        break;
    case DS_CONN_EV_ERROR:
        /* the frame just written to the transcript failed its check: it stays there as it came
           (decode reports it), and this says that the link dropped it */
        if (r->transcript && ev->code && !strcmp(ev->code, "link.fcs"))
            fputs("# the frame above failed its frame check (link.fcs): dropped by the link, which recovers by "
                  "retransmission\n",
                  r->transcript);
        snprintf(r->link_error, sizeof r->link_error, "%s: %s", ev->code ? ev->code : "link", ev->message ? ev->message : "");
        if (ev->broken) r->broken = 1;
        say(r, "link %s%s", r->link_error, ev->broken ? " (the link is down)" : "");
        break;
    case DS_CONN_EV_FRAME_OUT:
        count_frame(r, 1, ev->len);
        transcript_block(r, 1, ev->data, ev->len);
        if (r->dry) hex_comment(r, "frame", ev->data, ev->len);
        break;
    case DS_CONN_EV_FRAME_IN:
        if (r->dry) break;
        count_frame(r, 0, ev->len);
        transcript_block(r, 0, ev->data, ev->len);
        break;
    }
}

/* The meter's side of a dry run answers every APDU with an exception-response, only so that
 * the client's link (which waits for an answer before its next I-frame) goes on; what it
 * answers is neither shown nor kept. */
static void on_mirror(void *user, const ds_conn_event *ev)
{
    runner *r = user;
    if (ev->kind != DS_CONN_EV_APDU) return;
    uint8_t apdu[8];
    size_t n = 0;
    char err[100];
    if (!ds_build_exception_response(1, 2, apdu, sizeof apdu, &n, err, sizeof err))
        ds_conn_send_apdu(r->mirror, apdu, n, ds_clock_ms());
}

/* The association machine's APDUs go to the link (or, unframed, straight out). */
static int to_link(void *user, const uint8_t *apdu, size_t len)
{
    runner *r = user;
    if (!r->conn) {
        if (r->dry) hex_comment(r, "apdu", apdu, len);
        transcript_block(r, 1, apdu, len);
        return 0;
    }
    if (ds_conn_send_apdu(r->conn, apdu, len, ds_clock_ms())) {
        say(r, "the link does not take an APDU of %zu bytes", len);
        return -1;
    }
    return 0;
}

/* Each plain APDU: the requests in a dry run, the answers always, in the decode format. */
static void show(void *user, int sent, const uint8_t *plain, size_t len)
{
    runner *r = user;
    if ((sent && !r->dry) || r->quiet) return;
    ds_decoder_feed(r->dec, plain, len, 0, NULL);
    ds_decoder_boundary(r->dec);
    ds_sink_flush(r->sink);
}

/* ---- moving bytes ---- */

/* After a step timed out, the next answer that is not the RLRE (the one thing asked since) is
 * that step's, late: said once, and not given to the association machine. */
static int late_answer(runner *r, const uint8_t *apdu, size_t len)
{
    if (!r->late_step || !len || apdu[0] == DS_APDU_TAG_RLRE) return 0;
    if (ds_apdu_tag(apdu[0])->role == DS_APDU_UNSOLICITED) return 0;
    say(r, "the answer to step %zu (line %ld, <%s>) arrived after its timeout; ignored", r->late_step, r->late_line,
        r->late_name);
    r->late_step = 0;
    return 1;
}

static void deliver_inbox(runner *r)
{
    while (r->in_head != r->in_tail) {
        size_t i = r->in_head % INBOX_MAX;
        r->in_head++;
        if (late_answer(r, r->inbox[i], r->inbox_len[i])) {
            free(r->inbox[i]);
            r->inbox[i] = NULL;
            continue;
        }
        if (ds_assoc_receive(r->as, r->inbox[i], r->inbox_len[i]) && ds_assoc_error(r->as)[0])
            say(r, "%s", ds_assoc_error(r->as));
        free(r->inbox[i]);
        r->inbox[i] = NULL;
    }
}

/* Dry run: the bytes between the two link machines in memory. */
static void shuttle(runner *r)
{
    uint8_t buf[4096];
    for (int round = 0; round < 1000; round++) {
        size_t a = ds_conn_output(r->conn, buf, sizeof buf), b = 0;
        uint64_t now = ds_clock_ms();
        if (a) ds_conn_recv(r->mirror, buf, a, now);
        b = ds_conn_output(r->mirror, buf, sizeof buf);
        if (b) ds_conn_recv(r->conn, buf, b, now);
        if (!a && !b) return;
    }
}

typedef int (*done_fn)(runner *r);

static int is_connected(runner *r) { return r->connected; }
static int is_disconnected(runner *r) { return r->disconnected; }
static int is_answered(runner *r) { return !ds_assoc_busy(r->as); }

/* How long the meter's general block transfer stream may stay quiet, its last block not yet
 * come, before the last block taken is acknowledged again: the link's rule for its retries
 * (ds_conn_retry_interval), so DS_ASSOC_GBT_RETRIES of them and the giving up fit in the answer
 * timeout, and come before the link's own wait (at most 3000 ms a try) runs out. */
static uint64_t gbt_quiet_ms(const runner *r)
{
    return ds_conn_retry_interval((uint32_t)r->s->timeout_ms, DS_ASSOC_GBT_RETRIES);
}

/* The meter's GBT stream quiet since *heard_ms (its last block lost, or our acknowledgement):
 * the last block taken in order is acknowledged again, so that the meter sends the rest again.
 * 0, or -1 when the machine gave the stream up. */
static int ask_gbt_again(runner *r, uint64_t *heard_ms)
{
    uint64_t now = ds_clock_ms();
    if (!r->as || !ds_assoc_gbt_receiving(r->as) || now < *heard_ms + gbt_quiet_ms(r)) return 0;
    *heard_ms = now;
    if (ds_assoc_gbt_quiet(r->as)) {
        say(r, "%s", ds_assoc_error(r->as));
        return -1;
    }
    say(r, "general block transfer: the meter's blocks stopped before the last one for %llu ms: the last block "
           "taken acknowledged again",
        (unsigned long long)gbt_quiet_ms(r));
    return 0;
}

/* Pumps until done, the link breaks or the timeout passes: 0, -1 broken, -2 timeout (or a
 * general block transfer given up: the machine's error said). */
static int wait_for(runner *r, done_fn done)
{
    uint64_t deadline = ds_clock_ms() + (uint64_t)r->s->timeout_ms;
    uint64_t heard = ds_clock_ms();
    while (!done(r)) {
        if (r->broken) return -1;
        if (r->dry) {
            shuttle(r);
            return done(r) ? 0 : -2;
        }
        if (ds_clock_ms() >= deadline) return -2;
        uint64_t until = deadline;
        if (r->as && ds_assoc_gbt_receiving(r->as) && heard + gbt_quiet_ms(r) < until) until = heard + gbt_quiet_ms(r);
        size_t came = r->in_tail;
        if (ds_conn_pump(r->conn, r->fd, until) == DS_PUMP_CLOSED) r->broken = 1;
        if (r->in_tail != came) heard = ds_clock_ms();
        deliver_inbox(r);
        if (ask_gbt_again(r, &heard)) return -2;
        /* a service still waits and the link is quiet: the server holds the next block of a
         * general block transfer stream, which over HDLC it sends only when polled */
        if (r->as && ds_assoc_busy(r->as)) ds_conn_poll(r->conn, ds_clock_ms());
    }
    return 0;
}

/* ---- setting up ---- */

static int open_transport(runner *r, ds_conn_framing *framing, char *err, size_t errlen)
{
    const ds_run_settings *s = r->s;
    char target[DS_RUN_TEXT_MAX + 16];
    ds_run_transport t = s->transport;
    snprintf(target, sizeof target, "%s", s->target);
    if (t == DS_RUN_NO_TRANSPORT && s->host[0]) {
        t = s->wrapper ? DS_RUN_TCP : DS_RUN_HDLC_TCP;
        snprintf(target, sizeof target, "%s:%u", s->host, s->port ? s->port : 4059);
    }
    *framing = (t == DS_RUN_TCP || t == DS_RUN_UDP) ? DS_CONN_WRAPPER : DS_CONN_HDLC;
    if (r->dry) return t == DS_RUN_NO_TRANSPORT ? 1 : 0;
    switch (t) {
    case DS_RUN_TCP:
    case DS_RUN_HDLC_TCP: r->fd = ds_tcp_connect(target, s->timeout_ms, err, errlen); break;
    case DS_RUN_UDP: r->fd = ds_udp_connect(target, err, errlen); break;
    case DS_RUN_SERIAL: r->fd = ds_serial_target_open(target, err, errlen); break;
    default: snprintf(err, errlen, "no meter given: --tcp, --udp, --hdlc-tcp or --serial (or --dry-run)"); return -1;
    }
    if (r->fd < 0) return -1;
    if (t == DS_RUN_SERIAL && s->iec) {
        char dev[DS_RUN_TEXT_MAX];
        ds_serial_settings after;
        int has = 0;
        ds_iec_result res;
        if (ds_serial_target_parse(target, dev, sizeof dev, &after, &has, err, errlen)) return -1;
        if (!has) ds_serial_settings_init(&after);
        if (ds_iec_mode_e_open(r->fd, &after, s->timeout_ms, NULL, &res, err, errlen)) return -1;
        say(r, "IEC opening: %s, %lu baud", res.ident, res.baud);
    }
    return 0;
}

static int make_link(runner *r, ds_conn_framing framing)
{
    ds_conn_settings cs;
    memset(&cs, 0, sizeof cs);
    cs.role = DS_CONN_CLIENT;
    cs.framing = framing;
    cs.client_address = (uint16_t)r->s->client_sap;
    cs.server_logical = (uint16_t)r->s->server_logical;
    cs.server_physical = (uint16_t)r->s->server_physical;
    cs.max_info_tx = cs.max_info_rx = (uint16_t)r->s->max_info;
    cs.window_tx = cs.window_rx = (uint8_t)r->s->window;
    /* HDLC: the retries fit inside the step's timeout. The wrapper sends nothing again (TCP
       does that): its link waits as long as the step. */
    if (framing == DS_CONN_HDLC)
        cs.response_timeout_ms = ds_conn_retry_interval((uint32_t)r->s->timeout_ms, 0);
    else
        cs.response_timeout_ms = (uint32_t)(r->s->timeout_ms > 3000 ? 3000 : r->s->timeout_ms);
    r->conn = ds_conn_new(&cs, on_link, r);
    if (!r->conn) return -1;
    if (r->dry) {
        cs.role = DS_CONN_SERVER;
        r->mirror = ds_conn_new(&cs, on_mirror, r);
        if (!r->mirror) return -1;
    }
    return 0;
}

static int read_ic_file(const ds_run_settings *s, uint32_t *ic)
{
    if (!s->ic_file[0]) return 0;
    FILE *f = fopen(s->ic_file, "r");
    if (!f) return errno == ENOENT ? 0 : -1; /* no file yet: the settings' IC */
    unsigned long v = 0;
    int ok = fscanf(f, "%lu", &v) == 1 && v <= 0xFFFFFFFFul;
    fclose(f);
    if (!ok) return -1;
    *ic = (uint32_t)v;
    return 0;
}

static void write_ic_file(runner *r)
{
    if (!r->s->ic_file[0] || r->dry || (!r->as && !r->has_next_ic)) return;
    /* without an association, a reconnect that failed: the IC the dropped one had reached */
    uint32_t next = r->as ? ds_assoc_next_ic(r->as) : r->next_ic;
    FILE *f = fopen(r->s->ic_file, "w");
    if (!f || fprintf(f, "%lu\n", (unsigned long)next) < 0 || fclose(f))
        say(r, "cannot write the invocation counter to %s", r->s->ic_file);
}

static int make_assoc(runner *r, char *err, size_t errlen)
{
    const ds_run_settings *s = r->s;
    ds_assoc_settings a;
    memset(&a, 0, sizeof a);
    a.role = DS_ASSOC_CLIENT;
    a.logical_names = s->logical_names;
    a.mechanism = s->mechanism;
    a.secret = s->secret;
    a.secret_len = s->secret_len;
    r->keys = s->keys;
    int ciphering = s->keys.ek.set && s->security_policy != 0;
    if (s->keys.ek.set || s->keys.ak.set) a.keys = &r->keys;
    a.security_policy = (uint8_t)(s->security_policy < 0 ? (s->keys.ek.set ? 3 : 0) : s->security_policy);
    a.security_suite = s->security_suite;
    a.dedicated = s->dedicated;
    a.general_ciphering = s->general_ciphering;
    a.own_title = s->has_client_title ? s->client_title : NULL;
    /* general block transfer is proposed only with a window (--gbt-window) */
    a.gbt_window = (uint8_t)s->gbt_window;
    a.conformance = s->gbt_window ? s->conformance | DS_CONFORMANCE_GBT : s->conformance & ~DS_CONFORMANCE_GBT;
    a.max_pdu = (uint16_t)s->max_pdu;
    a.first_ic = s->ic;
    if (read_ic_file(s, &a.first_ic)) return snprintf(err, errlen, "%.200s: not an invocation counter", s->ic_file), -1;
    if (r->has_next_ic) a.first_ic = r->next_ic;
    if ((ciphering || s->mechanism >= 5) && !s->has_client_title)
        return snprintf(err, errlen, "ciphering and HLS 5-7 need the client's system title (--client-title)"), -1;
    if (s->mechanism == 5 && (!s->keys.ek.set || !s->keys.ak.set))
        return snprintf(err, errlen, "high-gmac needs --ek and --ak"), -1;
    if (s->mechanism == 7 && (!s->sign_key.set || !s->server_sign_key.set))
        return snprintf(err, errlen, "high-ecdsa needs --signing-key (the client's) and --server-public-key (the meter's)"), -1;
    if (s->mechanism == 7 && s->sign_key.len + s->sign_key.len + 1 != s->server_sign_key.len)
        return snprintf(err, errlen, "high-ecdsa: --signing-key and --server-public-key are on different curves"), -1;
    if (s->mechanism == 7) {
        a.ecdsa_priv = s->sign_key.bytes;
        a.ecdsa_priv_len = s->sign_key.len;
        a.peer_pub = s->server_sign_key.bytes;
        a.peer_pub_len = s->server_sign_key.len;
    }
    if (s->mechanism >= 1 && s->mechanism != 5 && s->mechanism != 7 && !s->secret_len)
        return snprintf(err, errlen, "this authentication needs --password or --hls-secret"), -1;
    r->as = ds_assoc_new(&a, to_link, r);
    if (!r->as) return snprintf(err, errlen, "out of memory"), -1;
    ds_assoc_set_trace(r->as, show, r);
    return 0;
}

static int make_printer(runner *r)
{
    ds_options o;
    ds_options_init(&o);
    o.pdu_only = 1;
    o.link = DS_LINK_RAW;
    r->sink = ds_xml_sink_new(r->out);
    r->dec = r->sink ? ds_decoder_new(&o, r->sink, NULL, NULL) : NULL;
    if (!r->dec) return -1;
    r->sink->begin_document(r->sink);
    ds_decoder_begin(r->dec);
    return 0;
}

/* ---- the run ---- */

static const char *status_text(const ds_assoc_result *res)
{
    return res->status == DS_ASSOC_OK ? "ok" : res->status == DS_ASSOC_ERROR_ANSWER ? "error answer" : "answer does not fit";
}

/* ---- <ImageTransfer> ---- */

static int image_call(void *user, const uint8_t *apdu, size_t len, const ds_assoc_result **res)
{
    runner *r = user;
    if (ds_assoc_request(r->as, apdu, len)) {
        say(r, "image: not sent: %s", ds_assoc_error(r->as));
        return 1;
    }
    int w = wait_for(r, is_answered);
    if (w) {
        ds_assoc_abandon(r->as);
        say(r, "image: %s", w == -1 ? "the link broke" : "no answer in time");
        return 2;
    }
    *res = ds_assoc_last_result(r->as);
    return 0;
}

static int associate(runner *r);
static void release(runner *r);
static void disconnect(runner *r);

/* The link, the association and the transport of the run dropped, without a word to the
 * meter (which is gone); the IC carries on. */
static void drop_connection(runner *r)
{
    if (r->as) {
        r->next_ic = ds_assoc_next_ic(r->as);
        r->has_next_ic = 1;
    }
    ds_assoc_free(r->as);
    r->as = NULL;
    ds_conn_free(r->conn);
    r->conn = NULL;
    if (r->fd >= 0) close(r->fd);
    r->fd = -1;
    while (r->in_head != r->in_tail) {
        free(r->inbox[r->in_head % INBOX_MAX]);
        r->inbox[r->in_head++ % INBOX_MAX] = NULL;
    }
    r->connected = r->disconnected = r->broken = 0;
    r->link_error[0] = '\0';
}

/* One try at the transport, the link and the association again: 0, or -1 (said why). */
static int connect_again(runner *r)
{
    char err[400] = "";
    ds_conn_framing framing;
    if (open_transport(r, &framing, err, sizeof err) || make_assoc(r, err, sizeof err) || make_link(r, framing)) {
        say(r, "reconnect: %s", err[0] ? err : "out of memory");
        return -1;
    }
    ds_conn_open(r->conn, ds_clock_ms());
    int w = wait_for(r, is_connected);
    if (w) {
        say(r, "reconnect: the link did not come up: %s", w == -1 ? r->link_error : "no answer in time");
        return -1;
    }
    return associate(r) ? -1 : 0;
}

#define RECONNECT_TRIES 10
#define RECONNECT_PAUSE_MS 1000

/* Reconnect="true" after activate: the meter reboots, so its old link is dead; a new one is
 * tried RECONNECT_TRIES times, RECONNECT_PAUSE_MS apart, each wait bounded by the timeout. */
static int image_reconnect(void *user)
{
    runner *r = user;
    for (int i = 1; i <= RECONNECT_TRIES; i++) {
        drop_connection(r);
        usleep(RECONNECT_PAUSE_MS * 1000u);
        say(r, "reconnect: try %d of %d", i, RECONNECT_TRIES);
        if (connect_again(r) == 0) return 0;
    }
    drop_connection(r);
    return 2;
}

static void image_pause(void *user, unsigned ms)
{
    (void)user;
    usleep(ms * 1000u);
}

static void image_say(void *user, const char *line) { say(user, "%s", line); }

static int run_image(runner *r, const ds_run_step *st)
{
    if (r->dry) {
        say(r, "line %ld: <ImageTransfer> is not run in a dry run", st->line);
        return 0;
    }
    image_io io = {r, image_call, image_pause, image_say, ds_assoc_peer_max_pdu(r->as), r->log,
                   isatty(fileno(r->log)), 3, 20, 200, image_reconnect, 0};
    io.gbt = (ds_assoc_negotiated_conformance(r->as) & DS_CONFORMANCE_GBT) != 0 && r->s->gbt_window != 0;
    r->quiet = 1;
    int rc = image_transfer(&io, st->image);
    r->quiet = 0;
    return rc;
}

/* ---- --ic-from-meter: the meter's frame counter, read first as the public client ---- */

static void obis_text(const uint8_t o[6], char *buf, size_t cap)
{
    snprintf(buf, cap, "%u.%u.%u.%u.%u.%u", o[0], o[1], o[2], o[3], o[4], o[5]);
}

/* The public client's settings: SAP 16, no authentication, no ciphering, no IC file; the
 * transport and the meter's address are the run's. */
static void public_settings(const ds_run_settings *s, ds_run_settings *pub)
{
    *pub = *s;
    pub->client_sap = 16;
    pub->mechanism = 0;
    memset(pub->secret, 0, sizeof pub->secret);
    pub->secret_len = 0;
    memset(&pub->keys, 0, sizeof pub->keys);
    memset(&pub->sign_key, 0, sizeof pub->sign_key);
    pub->security_policy = 0;
    pub->dedicated = pub->general_ciphering = 0;
    pub->gbt_window = 0;
    pub->ic_file[0] = '\0';
}

/* The counter from the GET's answer: an unsigned number below 2^32 - 1 (value + 1 must fit).
 * 0, or -1 with why. */
static int counter_value(const ds_assoc_result *res, uint32_t *value, char *why, size_t cap)
{
    if (res->status != DS_ASSOC_OK)
        return snprintf(why, cap, "the GET was answered with an error (result %lu)", (unsigned long)res->result), -1;
    ds_value_arena *a = ds_value_arena_new(4096, 1u << 16);
    ds_value *tree = NULL;
    ds_diag d;
    memset(&d, 0, sizeof d);
    const ds_value *v = a && !ds_value_decode_apdu(a, res->answer, res->answer_len, &tree, &d) ? ds_value_data(tree) : NULL;
    int rc = -1;
    if (!v) snprintf(why, cap, "the answer carries no value");
    else if (v->tag != DS_DATA_DOUBLE_LONG_UNSIGNED && v->tag != DS_DATA_LONG64_UNSIGNED &&
             v->tag != DS_DATA_LONG_UNSIGNED && v->tag != DS_DATA_UNSIGNED)
        snprintf(why, cap, "the value is of type %u, not an unsigned number", v->tag);
    else if (v->u >= 0xFFFFFFFFull)
        snprintf(why, cap, "the counter is at its end (%llu): the key must be changed", (unsigned long long)v->u);
    else {
        *value = (uint32_t)v->u;
        rc = 0;
    }
    ds_value_arena_free(a);
    return rc;
}

/* Associates as r->s says (the public client), GETs the counter, releases and disconnects.
 * 0, or -1 with why. */
static int public_read(runner *r, ds_conn_framing framing, uint32_t *value, char *why, size_t cap)
{
    char err[400] = "";
    if (make_assoc(r, err, sizeof err) || make_link(r, framing))
        return snprintf(why, cap, "%s", err[0] ? err : "out of memory"), -1;
    ds_conn_open(r->conn, ds_clock_ms());
    int w = wait_for(r, is_connected);
    if (w) return snprintf(why, cap, "the link did not come up: %s", w == -1 ? r->link_error : "no answer in time"), -1;
    if (associate(r)) return snprintf(why, cap, "the public client was not associated"), -1;
    ds_cosem_ref ref = {1, {0}, 2};
    memcpy(ref.instance, r->s->ic_obis, 6);
    uint8_t apdu[32];
    size_t len = 0;
    if (ds_build_get_request_normal(DS_IIP_DEFAULT, &ref, apdu, sizeof apdu, &len, err, sizeof err))
        return snprintf(why, cap, "%s", err), -1;
    if (ds_assoc_request(r->as, apdu, len)) return snprintf(why, cap, "the GET was not sent: %s", ds_assoc_error(r->as)), -1;
    w = wait_for(r, is_answered);
    if (w) {
        ds_assoc_abandon(r->as);
        return snprintf(why, cap, "the GET: %s", w == -1 ? "the link broke" : "no answer in time"), -1;
    }
    int rc = counter_value(ds_assoc_last_result(r->as), value, why, cap);
    release(r);
    disconnect(r);
    return rc;
}

/* Reads the counter, then sets the run's first IC to value + 1, never below the one the run
 * would start at otherwise (the IC file's, or --ic). The public association's link goes; over
 * HDLC the line stays for the run's own SNRM, the wrapper's connection is made again (a meter
 * may drop it after the RLRE). 0, or 2 said why. */
static int read_ic_from_meter(runner *r, ds_conn_framing framing)
{
    const ds_run_settings *own = r->s;
    char obis[32], why[500] = "";
    obis_text(own->ic_obis, obis, sizeof obis);
    ds_run_settings *pub = malloc(sizeof *pub);
    if (!pub) return say(r, "out of memory"), 2;
    public_settings(own, pub);
    say(r, "reading the invocation counter from the meter: client 16, no security, GET 1/%s/2", obis);
    r->s = pub;
    r->quiet = 1;
    uint32_t value = 0;
    int rc = public_read(r, framing, &value, why, sizeof why);
    r->s = own;
    r->quiet = 0;
    memset(pub, 0, sizeof *pub);
    free(pub);
    int fd = r->fd;
    if (framing == DS_CONN_HDLC) r->fd = -1;
    drop_connection(r);
    r->has_next_ic = 0;
    if (framing == DS_CONN_HDLC) r->fd = fd;
    if (rc) {
        say(r, "invocation counter not read from the meter (client 16, %s attribute 2): %s", obis, why);
        return 2;
    }
    uint32_t stored = own->ic;
    if (read_ic_file(own, &stored)) stored = own->ic; /* make_assoc says what is wrong with the file */
    r->next_ic = value + 1 > stored ? value + 1 : stored;
    r->has_next_ic = 1;
    say(r, "invocation counter read from the meter: %lu; the run starts at %lu%s", (unsigned long)value,
        (unsigned long)r->next_ic, r->next_ic > value + 1 ? " (the stored one, higher)" : "");
    if (framing == DS_CONN_WRAPPER) {
        char err[400] = "";
        ds_conn_framing again;
        if (open_transport(r, &again, err, sizeof err)) return say(r, "%s", err), 2;
    }
    return 0;
}

/* ---- <Expect> ---- */

/* The answer's Data (a get answer's value, an action's return parameters) as bytes. */
static int answer_bytes(const ds_assoc_result *res, uint8_t *out, size_t cap, size_t *len)
{
    ds_value_arena *a = ds_value_arena_new(100000, 1u << 22);
    ds_value *tree = NULL;
    ds_diag d;
    memset(&d, 0, sizeof d);
    char err[100];
    int rc = !a || ds_value_decode_apdu(a, res->answer, res->answer_len, &tree, &d) || !ds_value_data(tree) ||
             ds_value_encode_data(ds_value_data(tree), out, cap, len, err, sizeof err);
    ds_value_arena_free(a);
    return rc ? -1 : 0;
}

/* ---- variables ---- */

static const uint8_t *variable(const runner *r, const char *name, size_t *len)
{
    for (size_t i = 0; i < r->n_vars; i++)
        if (!strcmp(r->vars[i].name, name)) {
            *len = r->vars[i].len;
            return r->vars[i].data;
        }
    return NULL;
}

/* Keeps the answer's Data under the step's variable name. */
static void store_variable(runner *r, const ds_run_step *st, const ds_assoc_result *res)
{
    uint8_t *buf = malloc(res->answer_len + 16);
    size_t len = 0, i;
    if (!buf || answer_bytes(res, buf, res->answer_len + 16, &len) || len > RUN_MAX_VARIABLE_BYTES) {
        free(buf);
        say(r, "line %ld: no value for the variable %s", st->line, st->store_var);
        return;
    }
    for (i = 0; i < r->n_vars && strcmp(r->vars[i].name, st->store_var); i++) continue;
    if (i == RUN_MAX_VARIABLES) {
        free(buf);
        say(r, "line %ld: more than %d variables", st->line, RUN_MAX_VARIABLES);
        return;
    }
    if (i == r->n_vars) r->n_vars++;
    free(r->vars[i].data);
    snprintf(r->vars[i].name, sizeof r->vars[i].name, "%s", st->store_var);
    r->vars[i].data = buf;
    r->vars[i].len = len;
}

/* A <Set> or <Method> whose value is a variable: built now, checked against the class table. */
static int build_with_variable(runner *r, const ds_run_step *st, uint8_t **apdu, size_t *len)
{
    size_t n = 0;
    const uint8_t *bytes = variable(r, st->value_var, &n);
    if (!bytes) return say(r, "line %ld: the variable %s holds no value", st->line, st->value_var), -1;
    ds_value_arena *a = ds_value_arena_new(100000, 1u << 22);
    ds_value *v = NULL;
    ds_diag d;
    memset(&d, 0, sizeof d);
    size_t used = 0, cap = n + 64;
    char err[300];
    *apdu = malloc(cap);
    ds_cosem_ref ref = {st->ref.class_id, {0}, (uint8_t)st->ref.index};
    memcpy(ref.instance, st->ref.obis, 6);
    int rc = !a || !*apdu || ds_value_decode_data(a, bytes, n, &used, &v, &d) || !v ? -1 : 0;
    if (!rc && typed_check(&st->ref, st->typed_kind == 2, v, err, sizeof err)) {
        say(r, "line %ld: <%s> not sent: %s", st->line, st->name, err);
        rc = -1;
    } else if (!rc) {
        rc = st->typed_kind == 1 ? ds_build_set_request_normal(DS_IIP_DEFAULT, &ref, v, *apdu, cap, len, err, sizeof err)
                                 : ds_build_action_request_normal(DS_IIP_DEFAULT, &ref, v, *apdu, cap, len, err, sizeof err);
        if (rc) say(r, "line %ld: <%s>: %s", st->line, st->name, err);
    }
    ds_value_arena_free(a);
    if (rc) {
        free(*apdu);
        *apdu = NULL;
    }
    return rc;
}

/* 0 when the answer is as the step's <Expect> says (or it has none), 1 when not (reported). */
static int check_expect(runner *r, const ds_run_step *st, size_t i)
{
    if (!st->has_expect) return 0;
    const ds_assoc_result *res = ds_assoc_last_result(r->as);
    long got = res->status == DS_ASSOC_OK ? 0 : (long)res->result;
    int ok = 1;
    if (st->expect_result >= 0 && got != st->expect_result) {
        say(r, "step %zu (line %ld): expect FAIL: result %ld, want %ld", i + 1, st->expect_line, got, st->expect_result);
        ok = 0;
    }
    size_t want_len = st->expect_len;
    const uint8_t *want = st->expect_var[0] ? variable(r, st->expect_var, &want_len) : st->expect_data;
    if (st->expect_var[0] && !want) {
        say(r, "step %zu (line %ld): expect FAIL: the variable %s holds no value", i + 1, st->expect_line, st->expect_var);
        ok = 0;
    } else if (want) {
        size_t len = 0;
        uint8_t *buf = malloc(res->answer_len + 16);
        int same = buf && !answer_bytes(res, buf, res->answer_len + 16, &len) && len == want_len &&
                   !memcmp(buf, want, len);
        free(buf);
        if (!same) {
            say(r, "step %zu (line %ld): expect FAIL: the value differs", i + 1, st->expect_line);
            ok = 0;
        }
    }
    if (ok) say(r, "step %zu (line %ld): expect pass", i + 1, st->expect_line);
    return ok ? 0 : 1;
}

/* One step: 0 done, 1 failed (reported), 2 the link broke or no answer came. */
static int run_step(runner *r, ds_run_step *st, size_t i)
{
    if (st->pause_ms && !r->dry) usleep(st->pause_ms * 1000u);
    if (st->kind == STEP_IMAGE) {
        int rc = run_image(r, st);
        say(r, "step %zu (line %ld, <%s>): %s", i + 1, st->line, st->name, rc == 0 ? "ok" : "failed");
        return rc;
    }
    uint8_t *built = NULL;
    size_t built_len = 0;
    if (st->value_var[0] && (r->dry || build_with_variable(r, st, &built, &built_len))) {
        if (!r->dry) return 1;
        say(r, "step %zu (line %ld, <%s>): its variable is known only when run", i + 1, st->line, st->name);
        return 0;
    }
    int sent = ds_assoc_request(r->as, built ? built : st->apdu, built ? built_len : st->len);
    free(built);
    if (sent) {
        say(r, "step %zu (line %ld, <%s>): not sent: %s", i + 1, st->line, st->name, ds_assoc_error(r->as));
        return 1;
    }
    if (r->dry) {
        shuttle(r);
        ds_assoc_abandon(r->as);
        return 0;
    }
    int w = wait_for(r, is_answered);
    if (w) {
        ds_assoc_abandon(r->as);
        if (w == -1) say(r, "step %zu (line %ld, <%s>): the link broke", i + 1, st->line, st->name);
        else {
            say(r, "step %zu (line %ld, <%s>): no answer within %d ms", i + 1, st->line, st->name, r->s->timeout_ms);
            r->late_step = i + 1;
            r->late_line = st->line;
            r->late_name = st->name;
        }
        return 2;
    }
    const ds_assoc_result *res = ds_assoc_last_result(r->as);
    if (st->store_var[0] && res->status == DS_ASSOC_OK) store_variable(r, st, res);
    if (st->has_expect) {
        /* an answer the script expects is judged by its <Expect> alone (an error result may be wanted) */
        say(r, "step %zu (line %ld, <%s>): %s", i + 1, st->line, st->name, status_text(res));
        return check_expect(r, st, i);
    }
    if (res->status == DS_ASSOC_OK) {
        say(r, "step %zu (line %ld, <%s>): ok", i + 1, st->line, st->name);
        return 0;
    }
    say(r, "step %zu (line %ld, <%s>): %s: %s", i + 1, st->line, st->name, status_text(res), ds_assoc_error(r->as));
    return 1;
}

/* The steps in order. A failed step stops the run (what came after it may well depend on it:
 * a verify after a refused block, a write after a failed read), unless the settings say
 * ContinueOnError; a broken link always stops it. */
static int run_steps(runner *r, ds_run_script *sc)
{
    int worst = 0;
    for (size_t i = 0; i < sc->count; i++) {
        int rc = run_step(r, &sc->steps[i], i);
        if (rc == 2) return 2;
        if (rc == 0) continue;
        worst = 1;
        if (r->s->continue_on_error) continue;
        if (i + 1 < sc->count)
            say(r, "stopped after step %zu: %zu step(s) not run (ContinueOnError=\"true\" runs them)", i + 1,
                sc->count - i - 1);
        break;
    }
    return worst;
}

static int associate(runner *r)
{
    if (ds_assoc_open(r->as)) {
        say(r, "AARQ: %s", ds_assoc_error(r->as));
        return 2;
    }
    if (r->dry) {
        shuttle(r);
        ds_assoc_abandon(r->as);
        ds_assoc_assume_open(r->as, (uint16_t)r->s->max_pdu);
        return 0;
    }
    int w = wait_for(r, is_answered);
    if (w) {
        ds_assoc_abandon(r->as);
        say(r, "association: %s", w == -1 ? "the link broke" : "no AARE in time");
        return 2;
    }
    const ds_assoc_result *res = ds_assoc_last_result(r->as);
    if (res->status != DS_ASSOC_OK || !ds_assoc_is_open(r->as)) {
        say(r, "association refused: %s", ds_assoc_error(r->as));
        return 2;
    }
    say(r, "associated (max PDU %u, conformance 0x%06lX)", ds_assoc_peer_max_pdu(r->as),
        (unsigned long)ds_assoc_negotiated_conformance(r->as));
    return 0;
}

static void release(runner *r)
{
    /* over a broken link there is nobody to release with: saying so again would only bury
     * the message that told what was in flight */
    if (r->broken || !r->as || !ds_assoc_is_open(r->as) || ds_assoc_release(r->as)) return;
    if (r->dry) {
        shuttle(r);
        ds_assoc_abandon(r->as);
        return;
    }
    if (wait_for(r, is_answered)) {
        ds_assoc_abandon(r->as);
        say(r, "release: no RLRE in time");
    }
}

static void disconnect(runner *r)
{
    if (!r->conn || !ds_conn_is_up(r->conn) || r->broken) return;
    if (ds_conn_close(r->conn, ds_clock_ms())) return;
    if (wait_for(r, is_disconnected)) say(r, "disconnect: no answer in time");
}

static void runner_free(runner *r)
{
    for (size_t i = 0; i < r->n_vars; i++) free(r->vars[i].data);
    while (r->in_head != r->in_tail) free(r->inbox[r->in_head++ % INBOX_MAX]);
    if (r->dec) {
        ds_decoder_end(r->dec);
        r->sink->end_document(r->sink);
        ds_decoder_free(r->dec);
    }
    if (r->sink) ds_sink_destroy(r->sink);
    ds_assoc_free(r->as);
    ds_conn_free(r->conn);
    ds_conn_free(r->mirror);
    if (r->fd >= 0) close(r->fd);
    if (r->transcript) fclose(r->transcript);
    memset(&r->keys, 0, sizeof r->keys);
}

int ds_run_script_execute(ds_run_script *sc, const ds_run_settings *s, FILE *out, FILE *log)
{
    runner r;
    memset(&r, 0, sizeof r);
    r.s = s;
    r.out = out;
    r.log = log;
    r.fd = -1;
    r.dry = s->dry_run;
    char err[400] = "";
    ds_conn_framing framing;
    int unframed = open_transport(&r, &framing, err, sizeof err);
    int rc = 2;
    if (unframed < 0) {
        say(&r, "%s", err);
        runner_free(&r);
        return 2;
    }
    if (s->transcript[0] && !(r.transcript = fopen(s->transcript, "w"))) {
        say(&r, "cannot write the transcript %s: %s", s->transcript, strerror(errno));
        runner_free(&r);
        return 2;
    }
    /* the association's settings are checked before anything goes to the meter */
    if (make_printer(&r) || make_assoc(&r, err, sizeof err)) {
        say(&r, "%s", err[0] ? err : "out of memory");
        runner_free(&r);
        return 2;
    }
    if (s->ic_from_meter) {
        char obis[32];
        obis_text(s->ic_obis, obis, sizeof obis);
        ds_assoc_free(r.as);
        r.as = NULL;
        if (r.dry) say(&r, "would read the invocation counter from the meter first: client 16, no security, GET 1/%s/2, release", obis);
        if ((!r.dry && read_ic_from_meter(&r, framing)) || make_assoc(&r, err, sizeof err)) {
            if (err[0]) say(&r, "%s", err);
            runner_free(&r);
            return 2;
        }
    }
    if (!unframed && make_link(&r, framing)) {
        say(&r, "out of memory");
        runner_free(&r);
        return 2;
    }
    if (sc->skipped) say(&r, "%zu association or link request(s) of the script left to the machines", sc->skipped);
    if (r.conn) {
        ds_conn_open(r.conn, ds_clock_ms());
        int w = wait_for(&r, is_connected);
        if (w) {
            say(&r, "the link did not come up: %s", w == -1 ? r.link_error : "no answer in time");
            runner_free(&r);
            return 2;
        }
    }
    rc = associate(&r);
    if (rc == 0) {
        rc = run_steps(&r, sc);
        release(&r);
    }
    disconnect(&r);
    print_stats(&r);
    write_ic_file(&r);
    runner_free(&r);
    return rc;
}
