/* The link machines without I/O (conn.h): settings, the frame reader, the output queue and the
 * events, shared by both framings; each call is handed to link_hdlc.c or link_wrapper.c. */
#include "conn/conn_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apdu/apdu_tags.h"
#include "link/hdlc_write.h"
#include "link/llc.h"

#define DEFAULT_MAX_INFO 128u
#define DEFAULT_TIMEOUT_MS 3000u
#define DEFAULT_RETRIES 3u
#define DEFAULT_MAX_APDU 65535u
/* The largest information field the 11-bit frame length leaves room for with 4-byte addresses
 * (IEC 62056-46 allows max info up to 2030). */
#define MAX_INFO_LIMIT 2030u

static uint16_t info_or_default(uint16_t v)
{
    if (v == 0) return DEFAULT_MAX_INFO;
    return v > MAX_INFO_LIMIT ? MAX_INFO_LIMIT : v;
}

static uint8_t window_or_default(uint8_t v)
{
    if (v == 0) return 1;
    return v > CONN_WINDOW_MAX ? CONN_WINDOW_MAX : v;
}

static void fill_defaults(ds_conn_settings *s)
{
    s->max_info_tx = info_or_default(s->max_info_tx);
    s->max_info_rx = info_or_default(s->max_info_rx);
    s->window_tx = window_or_default(s->window_tx);
    s->window_rx = window_or_default(s->window_rx);
    if (!s->response_timeout_ms) s->response_timeout_ms = DEFAULT_TIMEOUT_MS;
    if (!s->max_retries) s->max_retries = DEFAULT_RETRIES;
    if (!s->max_apdu) s->max_apdu = DEFAULT_MAX_APDU;
    if (s->server_address_size == 0)
        s->server_address_size = s->server_physical == 0 ? 1
                                 : (s->server_logical < 0x80 && s->server_physical < 0x80) ? 2 : 4;
}

uint32_t ds_conn_retry_interval(uint32_t step_timeout_ms, uint8_t max_retries)
{
    uint32_t sends = (max_retries ? max_retries : DEFAULT_RETRIES) + 1u;
    uint32_t interval = step_timeout_ms / sends;
    if (interval < DS_CONN_MIN_RETRY_INTERVAL_MS) interval = DS_CONN_MIN_RETRY_INTERVAL_MS;
    return interval > DEFAULT_TIMEOUT_MS ? DEFAULT_TIMEOUT_MS : interval;
}

void conn_event(ds_conn *c, ds_conn_event_kind kind, const uint8_t *data, size_t len)
{
    ds_conn_event ev = {.kind = kind, .data = data, .len = len};
    if (kind != DS_CONN_EV_FRAME_IN && kind != DS_CONN_EV_FRAME_OUT) c->notices++;
    c->fn(c->user, &ev);
}

void conn_error(ds_conn *c, const char *code, int broken, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    if (broken) {
        c->state = c->s.role == DS_CONN_CLIENT ? LINK_BROKEN : LINK_DOWN;
        c->tx_active = 0;
        c->n_unacked = 0;
        c->rx_active = 0;
        c->awaiting_reply = 0;
        conn_drop_queue(c);
    }
    ds_conn_event ev = {.kind = DS_CONN_EV_ERROR, .code = code, .message = c->msg, .broken = broken};
    c->notices++;
    c->fn(c->user, &ev);
}

int conn_queue_frame(ds_conn *c, const uint8_t *frame, size_t n)
{
    if (n > c->out_cap - c->out_len) {
        conn_error(c, "link.output_full", 0, "%zu bytes for the peer are still unsent: a %zu-byte frame was dropped",
                   c->out_len, n);
        return -1;
    }
    memcpy(c->out + c->out_len, frame, n);
    c->out_len += n;
    conn_event(c, DS_CONN_EV_FRAME_OUT, frame, n);
    return 0;
}

const char *conn_apdu_words(const ds_conn *c, char *buf, size_t cap)
{
    const char *service = ds_apdu_tag(c->last_tag)->service;
    if (service)
        snprintf(buf, cap, "the %zu-byte %s", c->last_len, service);
    else
        snprintf(buf, cap, "the %zu-byte APDU (tag %02X)", c->last_len, c->last_tag);
    return buf;
}

void conn_describe_in_flight(const ds_conn *c, char *buf, size_t cap)
{
    char words[96];
    if (c->state == LINK_CONNECTING) {
        snprintf(buf, cap, "SNRM unanswered");
    } else if (c->state == LINK_DISCONNECTING) {
        snprintf(buf, cap, "DISC unanswered");
    } else if (c->n_unacked) {
        const sent_frame *sf = &c->unacked[0];
        size_t from = sf->off >= DS_LLC_LEN ? sf->off - DS_LLC_LEN : 0;
        snprintf(buf, cap, "I-frame N(S)=%u (APDU bytes %zu..%zu of %s) not acknowledged", sf->ns, from,
                 sf->off + sf->len - DS_LLC_LEN, conn_apdu_words(c, words, sizeof words));
    } else if (c->tx_active) {
        snprintf(buf, cap, "%s half sent (%zu bytes framed)", conn_apdu_words(c, words, sizeof words),
                 c->tx_next > DS_LLC_LEN ? c->tx_next - DS_LLC_LEN : 0);
    } else if (c->rx_active) {
        snprintf(buf, cap, "a segmented answer to %s being received (%zu bytes so far)",
                 conn_apdu_words(c, words, sizeof words), c->rx_len);
    } else if (c->awaiting_reply) {
        snprintf(buf, cap, "no answer to %s", conn_apdu_words(c, words, sizeof words));
    } else {
        snprintf(buf, cap, "nothing");
    }
}

void conn_link_lost(ds_conn *c, const char *why)
{
    if (c->state == LINK_BROKEN) return;
    if (c->state == LINK_DOWN && c->s.role == DS_CONN_SERVER) return;
    char in_flight[200];
    conn_describe_in_flight(c, in_flight, sizeof in_flight);
    conn_error(c, "link.closed", 1, "%s (in flight: %s)", why, in_flight);
    if (c->s.role == DS_CONN_SERVER) c->peer_known = 0;
}

uint64_t conn_notices(const ds_conn *c)
{
    return c->notices;
}

static void on_frame(void *user, const ds_frame *f)
{
    ds_conn *c = user;
    conn_event(c, DS_CONN_EV_FRAME_IN, f->wire, f->wire_len);
    if (!f->checks_ok) {
        /* a frame with a bad HCS/FCS is dropped unanswered: the sender's timeout recovers */
        conn_error(c, "link.fcs", 0, "a %zu-byte frame at offset %llu failed its check and was dropped", f->wire_len,
                   (unsigned long long)f->offset);
        return;
    }
    if (c->s.framing == DS_CONN_HDLC)
        hdlc_frame_in(c, f);
    else
        wrapper_frame_in(c, f);
}

static void on_diag(void *user, const ds_diag *d)
{
    /* garbage between frames and broken frames: the frame callback says what matters */
    (void)user;
    (void)d;
}

ds_conn *ds_conn_new(const ds_conn_settings *s, ds_conn_event_fn fn, void *user)
{
    if (!s || !fn) return NULL;
    if (s->role != DS_CONN_CLIENT && s->role != DS_CONN_SERVER) return NULL;
    if (s->framing != DS_CONN_WRAPPER && s->framing != DS_CONN_HDLC) return NULL;
    ds_conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->s = *s;
    fill_defaults(&c->s);
    c->fn = fn;
    c->user = user;
    if (c->s.framing == DS_CONN_HDLC) {
        size_t own = ds_hdlc_addr_from_parts(c->s.server_logical, c->s.server_physical, c->s.server_address_size,
                                             c->s.role == DS_CONN_SERVER ? c->own_addr : c->peer_addr);
        size_t client = ds_hdlc_addr_from_parts(c->s.client_address, 0, 1,
                                                c->s.role == DS_CONN_SERVER ? c->peer_addr : c->own_addr);
        if (!own || (!client && c->s.role == DS_CONN_CLIENT)) {
            free(c);
            return NULL;
        }
        c->own_len = c->s.role == DS_CONN_SERVER ? own : client;
        c->peer_len = c->s.role == DS_CONN_SERVER ? client : own;
    }
    /* room for a whole window sent again, its acknowledgements and a disconnect */
    size_t frame_max = (size_t)c->s.max_info_tx + 32;
    c->out_cap = c->s.framing == DS_CONN_HDLC ? 2 * (CONN_WINDOW_MAX + 2) * frame_max : 2 * (c->s.max_apdu + 8);
    c->tx_cap = c->s.max_apdu + DS_LLC_LEN;
    c->rx_cap = c->s.max_apdu;
    c->out = malloc(c->out_cap);
    c->tx = malloc(c->tx_cap);
    c->rx = malloc(c->rx_cap);
    c->framer = ds_framer_new(c->s.framing == DS_CONN_HDLC ? DS_LINK_HDLC : DS_LINK_WRAPPER, on_frame, on_diag, c);
    if (!c->out || !c->tx || !c->rx || !c->framer) {
        ds_conn_free(c);
        return NULL;
    }
    c->params = (ds_conn_params){c->s.max_info_tx, c->s.max_info_rx, c->s.window_tx, c->s.window_rx};
    c->state = LINK_DOWN;
    return c;
}

void ds_conn_free(ds_conn *c)
{
    if (!c) return;
    if (c->framer) ds_framer_free(c->framer);
    conn_drop_queue(c);
    free(c->out);
    free(c->tx);
    free(c->rx);
    free(c);
}

int ds_conn_open(ds_conn *c, uint64_t now_ms)
{
    if (!c) return -1;
    c->now = now_ms;
    if (c->s.role == DS_CONN_SERVER) return 0;
    if (c->state == LINK_UP || c->state == LINK_CONNECTING) return 0;
    return c->s.framing == DS_CONN_HDLC ? hdlc_open(c) : wrapper_open(c);
}

/* The APDU goes now: into tx, framed from its start. */
static int start_apdu(ds_conn *c, const uint8_t *apdu, size_t len)
{
    size_t head = 0;
    if (c->s.framing == DS_CONN_HDLC) {
        memcpy(c->tx, c->s.role == DS_CONN_CLIENT ? DS_LLC_COMMAND : DS_LLC_RESPONSE, DS_LLC_LEN);
        head = DS_LLC_LEN;
    }
    memcpy(c->tx + head, apdu, len);
    c->tx_len = head + len;
    c->tx_next = 0;
    c->tx_active = 1;
    c->last_tag = apdu[0];
    c->last_len = len;
    return c->s.framing == DS_CONN_HDLC ? hdlc_send(c) : wrapper_send(c);
}

void conn_drop_queue(ds_conn *c)
{
    while (c->q_count) {
        free(c->queue[c->q_head]);
        c->queue[c->q_head] = NULL;
        c->q_head = (c->q_head + 1) % CONN_QUEUE_MAX;
        c->q_count--;
    }
    c->q_head = 0;
}

int conn_next_queued(ds_conn *c)
{
    if (!c->q_count || c->tx_active || c->n_unacked || c->state != LINK_UP) return 0;
    size_t len = c->queue_len[c->q_head];
    if (c->s.framing == DS_CONN_WRAPPER && len + 8 > c->out_cap - c->out_len) return 0; /* not drained yet */
    uint8_t *apdu = c->queue[c->q_head];
    c->queue[c->q_head] = NULL;
    c->q_head = (c->q_head + 1) % CONN_QUEUE_MAX;
    c->q_count--;
    start_apdu(c, apdu, len);
    free(apdu);
    return 1;
}

/* Keeps a copy of an APDU given while another is being sent (or, with the wrapper, while the
 * output has no room for it yet); -1 when the queue is full. */
static int enqueue(ds_conn *c, const uint8_t *apdu, size_t len)
{
    if (c->q_count == CONN_QUEUE_MAX) {
        conn_error(c, "link.output_full", 0, "%u APDUs wait to be sent: the APDU was not queued", CONN_QUEUE_MAX);
        return -1;
    }
    uint8_t *copy = malloc(len);
    if (!copy) return -1;
    memcpy(copy, apdu, len);
    size_t i = (c->q_head + c->q_count) % CONN_QUEUE_MAX;
    c->queue[i] = copy;
    c->queue_len[i] = len;
    c->q_count++;
    return 0;
}

int ds_conn_send_apdu(ds_conn *c, const uint8_t *apdu, size_t len, uint64_t now_ms)
{
    if (!c || !apdu || len == 0) return -1;
    c->now = now_ms;
    if (c->state != LINK_UP || len > c->s.max_apdu) return -1;
    int no_room = c->s.framing == DS_CONN_WRAPPER && len + 8 > c->out_cap - c->out_len;
    if (c->tx_active || c->n_unacked || c->q_count || no_room) return enqueue(c, apdu, len);
    return start_apdu(c, apdu, len);
}

int ds_conn_release_turn(ds_conn *c, uint64_t now_ms)
{
    if (!c) return -1;
    c->now = now_ms;
    if (c->s.framing != DS_CONN_HDLC || c->s.role != DS_CONN_SERVER) return 0;
    return hdlc_release_turn(c);
}

int ds_conn_poll(ds_conn *c, uint64_t now_ms)
{
    if (!c) return -1;
    c->now = now_ms;
    if (c->s.framing != DS_CONN_HDLC || c->s.role != DS_CONN_CLIENT) return 0;
    return hdlc_poll(c);
}

static void check_inactivity(ds_conn *c)
{
    if (c->s.role != DS_CONN_SERVER || !c->s.inactivity_timeout_ms || c->state != LINK_UP) return;
    if (c->now < c->last_heard + c->s.inactivity_timeout_ms) return;
    c->peer_known = 0;
    conn_error(c, "link.inactivity", 1, "nothing heard from the client for %u ms: the link is down",
               (unsigned)c->s.inactivity_timeout_ms);
}

/* Bytes that begin a frame and then stop for half a response timeout are no frame: a false
 * start in noise (7E A7 FF ...) would otherwise hold back every frame behind it until 2047
 * bytes have come. The reader then looks for good frames inside what it held. */
static void give_up_stalled_frame(ds_conn *c)
{
    if (c->now - c->last_byte_at < c->s.response_timeout_ms / 2) return;
    if (ds_framer_pending(c->framer) == DS_PENDING_NONE) return;
    ds_framer_flush(c->framer);
}

int ds_conn_recv(ds_conn *c, const uint8_t *p, size_t n, uint64_t now_ms)
{
    if (!c) return -1;
    c->now = now_ms;
    check_inactivity(c);
    if (c->state == LINK_BROKEN) return -1;
    if (p && n) {
        give_up_stalled_frame(c);
        ds_framer_feed(c->framer, p, n, c->in_off, NULL);
        c->in_off += n;
        c->last_byte_at = now_ms;
    }
    return c->state == LINK_BROKEN ? -1 : 0;
}

int ds_conn_tick(ds_conn *c, uint64_t now_ms)
{
    if (!c) return -1;
    c->now = now_ms;
    check_inactivity(c);
    if (c->state == LINK_BROKEN) return -1;
    give_up_stalled_frame(c);
    if (c->state == LINK_BROKEN) return -1;
    if (c->s.framing == DS_CONN_HDLC)
        hdlc_tick(c);
    else
        wrapper_tick(c);
    return c->state == LINK_BROKEN ? -1 : 0;
}

uint64_t ds_conn_next_deadline(const ds_conn *c)
{
    if (!c || c->state == LINK_BROKEN) return UINT64_MAX;
    uint64_t d = c->s.framing == DS_CONN_HDLC ? hdlc_deadline(c) : wrapper_deadline(c);
    if (c->s.role == DS_CONN_SERVER && c->s.inactivity_timeout_ms && c->state == LINK_UP) {
        uint64_t idle = c->last_heard + c->s.inactivity_timeout_ms;
        if (idle < d) d = idle;
    }
    return d;
}

size_t ds_conn_output(ds_conn *c, uint8_t *buf, size_t cap)
{
    if (!c || !buf) return 0;
    size_t n = c->out_len < cap ? c->out_len : cap;
    memcpy(buf, c->out, n);
    memmove(c->out, c->out + n, c->out_len - n);
    c->out_len -= n;
    if (c->s.framing == DS_CONN_WRAPPER)
        while (conn_next_queued(c)) {
        } /* the room made takes what waited */
    return n;
}

int ds_conn_close(ds_conn *c, uint64_t now_ms)
{
    if (!c) return -1;
    c->now = now_ms;
    if (c->s.role == DS_CONN_SERVER || c->state != LINK_UP) return c->state == LINK_UP ? 0 : -1;
    return c->s.framing == DS_CONN_HDLC ? hdlc_close(c) : wrapper_close(c);
}

int ds_conn_is_up(const ds_conn *c)
{
    return c && c->state == LINK_UP;
}

int ds_conn_busy(const ds_conn *c)
{
    if (!c || c->state != LINK_UP) return 0;
    return c->s.framing == DS_CONN_HDLC ? hdlc_busy(c) : 0;
}

void ds_conn_get_params(const ds_conn *c, ds_conn_params *out)
{
    if (c && out) *out = c->params;
}

uint16_t ds_conn_peer_address(const ds_conn *c)
{
    if (!c) return 0;
    if (c->s.role == DS_CONN_CLIENT) return c->s.server_logical;
    return c->peer_known ? c->peer_address : c->s.client_address;
}

size_t ds_conn_pending_output(const ds_conn *c)
{
    return c ? c->out_len : 0;
}
