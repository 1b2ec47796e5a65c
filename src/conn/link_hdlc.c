/* The HDLC link machine (IEC 62056-46, normal response mode), one code for both roles.
 *
 * The client is the primary station: it sends SNRM, its I-frames and RR polls with P=1 and
 * waits for the server's answer with F=1; the server speaks only when polled. Sending works in
 * bursts: up to the negotiated window of I-frames, the P/F bit on the last, and the next burst
 * only once all are acknowledged (N(R) of an RR or of the peer's I-frame). A frame that goes
 * unanswered for the response timeout is sent again (the same control byte, as the GX client
 * does); after max_retries sends the link is broken, with what was in flight in the message.
 * An I-frame out of sequence (a duplicate after a lost acknowledgement, or one after a lost
 * frame) is dropped and, when it carries P/F, answered so that the sender goes back: the
 * server sends its unacknowledged frames again or RR, the client polls with RR(V(R)). */
#include "conn/conn_int.h"

#include <stdio.h>
#include <string.h>

#include "link/hdlc.h"
#include "link/hdlc_write.h"
#include "link/llc.h"

#define CTRL_PF 0x10u
#define CTRL_SNRM 0x83u
#define CTRL_DISC 0x43u
#define CTRL_UA 0x63u
#define CTRL_DM 0x0Fu
#define CTRL_RR 0x01u
#define PARAMS_FORMAT 0x81u
#define PARAMS_GROUP 0x80u

static int is_client(const ds_conn *c) { return c->s.role == DS_CONN_CLIENT; }

static uint8_t i_control(unsigned ns, unsigned nr, int pf)
{
    return (uint8_t)((nr & 7u) << 5 | (ns & 7u) << 1 | (pf ? CTRL_PF : 0u));
}

static int send_frame(ds_conn *c, uint8_t control, int segmented, const uint8_t *info, size_t len)
{
    uint8_t frame[DS_HDLC_WIRE_MAX];
    size_t n = ds_hdlc_write(frame, sizeof frame, c->peer_addr, c->peer_len, c->own_addr, c->own_len, control,
                             segmented, info, len);
    if (!n) return -1;
    if (is_client(c) && (control & CTRL_PF)) c->poll_at = c->now;
    if (!is_client(c) && (control & CTRL_PF)) c->turn_held = 0; /* the final bit hands the turn back */
    return conn_queue_frame(c, frame, n);
}

static void send_rr(ds_conn *c)
{
    send_frame(c, (uint8_t)((c->vr & 7u) << 5 | CTRL_RR | CTRL_PF), 0, NULL, 0);
}

/* ---- SNRM/UA parameters ---------------------------------------------------------------------- */

static size_t put_param(uint8_t *p, uint8_t id, uint32_t value, size_t size)
{
    p[0] = id;
    p[1] = (uint8_t)size;
    for (size_t i = 0; i < size; i++) p[2 + i] = (uint8_t)(value >> (8 * (size - 1 - i)));
    return 2 + size;
}

/* The information field of SNRM/UA: 81 80 LL, then max info TX/RX in the bytes their values
 * need (1 or 2) and the windows in 4 bytes, as REFERENCE §1.6 shows them. */
static size_t write_params(uint8_t out[32], uint16_t info_tx, uint16_t info_rx, uint8_t win_tx, uint8_t win_rx)
{
    size_t n = 3;
    n += put_param(out + n, DS_HDLC_PARAM_MAX_INFO_TX, info_tx, info_tx > 0xFF ? 2 : 1);
    n += put_param(out + n, DS_HDLC_PARAM_MAX_INFO_RX, info_rx, info_rx > 0xFF ? 2 : 1);
    n += put_param(out + n, DS_HDLC_PARAM_WINDOW_TX, win_tx, 4);
    n += put_param(out + n, DS_HDLC_PARAM_WINDOW_RX, win_rx, 4);
    out[0] = PARAMS_FORMAT;
    out[1] = PARAMS_GROUP;
    out[2] = (uint8_t)(n - 3);
    return n;
}

static uint16_t min_info(uint16_t own, uint32_t peer)
{
    if (peer == 0) return own; /* no usable value: our own bound stands */
    return peer < own ? (uint16_t)peer : own;
}

static uint8_t min_window(uint8_t own, uint32_t peer)
{
    if (peer == 0) return own;
    return peer < own ? (uint8_t)peer : own;
}

/* What the peer offered (its own point of view: its TX is our RX) met with our settings. */
static void negotiate(ds_conn *c, const ds_hdlc_params *peer_in)
{
    ds_hdlc_params peer;
    ds_hdlc_params_defaults(&peer);
    if (peer_in->present) {
        if (peer_in->has_max_info_tx) peer.max_info_tx = peer_in->max_info_tx;
        if (peer_in->has_max_info_rx) peer.max_info_rx = peer_in->max_info_rx;
        if (peer_in->has_window_tx) peer.window_tx = peer_in->window_tx;
        if (peer_in->has_window_rx) peer.window_rx = peer_in->window_rx;
    }
    c->params.max_info_tx = min_info(c->s.max_info_tx, peer.max_info_rx);
    c->params.max_info_rx = min_info(c->s.max_info_rx, peer.max_info_tx);
    c->params.window_tx = min_window(c->s.window_tx, peer.window_rx);
    c->params.window_rx = min_window(c->s.window_rx, peer.window_tx);
}

/* ---- state --------------------------------------------------------------------------------- */

static void reset_sequence(ds_conn *c)
{
    c->vs = c->vr = 0;
    c->tx_active = 0;
    c->n_unacked = 0;
    c->rx_active = 0;
    c->rx_len = 0;
    c->rx_overflow = 0;
    c->awaiting_reply = 0;
    c->peer_busy = 0;
    c->retries = 0;
}

static void progress(ds_conn *c)
{
    c->retries = 0;
    c->poll_at = c->now;
}

/* Frames the next burst of the APDU being sent: up to the window, P/F on the last one. */
static void pump_tx(ds_conn *c)
{
    if (!c->tx_active || c->n_unacked || c->peer_busy || c->state != LINK_UP) return;
    size_t max_info = c->params.max_info_tx;
    while (c->tx_next < c->tx_len && c->n_unacked < c->params.window_tx) {
        size_t len = c->tx_len - c->tx_next;
        if (len > max_info) len = max_info;
        int segmented = c->tx_next + len < c->tx_len;
        int last_of_burst = !segmented || c->n_unacked + 1 == c->params.window_tx;
        sent_frame *sf = &c->unacked[c->n_unacked++];
        sf->ns = (uint8_t)c->vs;
        sf->control = i_control(c->vs, c->vr, last_of_burst);
        sf->segmented = segmented;
        sf->off = c->tx_next;
        sf->len = len;
        c->vs = (c->vs + 1) & 7u;
        c->tx_next += len;
        send_frame(c, sf->control, segmented, c->tx + sf->off, len);
    }
    if (c->tx_next == c->tx_len && is_client(c)) c->awaiting_reply = 1;
}

/* The unacknowledged frames again, as they were, P/F on the last. */
static void resend_unacked(ds_conn *c)
{
    for (size_t i = 0; i < c->n_unacked; i++) {
        const sent_frame *sf = &c->unacked[i];
        uint8_t control = (uint8_t)(sf->control & ~CTRL_PF);
        if (i + 1 == c->n_unacked) control |= CTRL_PF;
        send_frame(c, control, sf->segmented, c->tx + sf->off, sf->len);
    }
}

/* N(R) from the peer acknowledges our frames before it. Returns 1 when it acknowledged any. */
static int take_ack(ds_conn *c, int nr)
{
    if (nr < 0 || c->n_unacked == 0) return 0;
    size_t k = (size_t)(((unsigned)nr - c->unacked[0].ns) & 7u);
    if (k == 0 || k > c->n_unacked) return 0; /* nothing new, or an N(R) we never sent */
    memmove(c->unacked, c->unacked + k, (c->n_unacked - k) * sizeof c->unacked[0]);
    c->n_unacked -= k;
    if (c->n_unacked == 0 && c->tx_next == c->tx_len) c->tx_active = 0;
    progress(c);
    return 1;
}

/* The peer's poll or final bit: our turn to speak. */
static void answer_turn(ds_conn *c)
{
    if (c->n_unacked) {
        resend_unacked(c);
        return;
    }
    if (c->tx_active) {
        pump_tx(c);
        return;
    }
    if (conn_next_queued(c)) return; /* an APDU that waited for the turn (a GBT stream) */
    if (!is_client(c)) send_rr(c);
}

static void deliver(ds_conn *c)
{
    c->rx_active = 0;
    if (is_client(c)) c->awaiting_reply = 0; /* the answer came, whole or too long */
    if (c->rx_overflow) {
        conn_error(c, "link.too_long", 0, "a reassembled APDU exceeds %zu bytes and was dropped", c->s.max_apdu);
    } else if (c->rx_len) { /* I-frames with no APDU (no info, or the LLC alone) carry nothing up */
        conn_event(c, DS_CONN_EV_APDU, c->rx, c->rx_len);
    }
    c->rx_len = 0;
    c->rx_overflow = 0;
}

static void take_info(ds_conn *c, const uint8_t *info, size_t len)
{
    if (!c->rx_active) {
        c->rx_len = 0;
        c->rx_overflow = 0;
    }
    if (!info || !len) return; /* an I-frame without an information field */
    if (!c->rx_active) {
        size_t llc = ds_llc_length(info, len);
        info += llc;
        len -= llc;
    }
    if (len > c->rx_cap - c->rx_len) {
        c->rx_overflow = 1;
        return;
    }
    memcpy(c->rx + c->rx_len, info, len);
    c->rx_len += len;
}

static void on_i_frame(ds_conn *c, const ds_frame *f)
{
    const ds_hdlc_info *h = &f->u.hdlc;
    take_ack(c, h->nr);
    if ((unsigned)h->ns != c->vr) {
        /* a duplicate or a frame after a lost one: dropped; the poll bit asks us to say where
         * we are, so that the sender goes back to V(R). A client with window 1 that gets the
         * frame it took last again (the server answered a request sent twice: a delayed answer
         * and the answer to the retransmission) keeps the turn and says nothing: an RR here
         * would hand the turn back while its next frame goes out, and from then on every
         * frame would be answered twice. */
        if (is_client(c) && c->params.window_rx == 1 && ((c->vr - (unsigned)h->ns) & 7u) == 1) return;
        if (h->pf) {
            if (is_client(c))
                send_rr(c);
            else
                answer_turn(c);
        }
        return;
    }
    c->vr = (c->vr + 1) & 7u;
    progress(c);
    take_info(c, f->info, f->info_len);
    if (h->segmented) {
        c->rx_active = 1;
        if (h->pf) send_rr(c);
        return;
    }
    /* the APDU callback may queue the answer at once (ds_conn_send_apdu sends it); else the
     * server keeps the turn until it has one (or gives it back, ds_conn_release_turn), and the
     * client's poll asks for it */
    if (!is_client(c) && h->pf) c->turn_held = 1;
    deliver(c);
}

static void on_s_frame(ds_conn *c, const ds_hdlc_info *h)
{
    take_ack(c, h->nr);
    if (h->type == DS_HDLC_RNR) {
        c->peer_busy = 1;
        return;
    }
    c->peer_busy = 0;
    if (h->pf) answer_turn(c);
}

static void peer_ended(ds_conn *c, const char *code, const char *what)
{
    char in_flight[200];
    conn_describe_in_flight(c, in_flight, sizeof in_flight);
    conn_error(c, code, 1, "the server answered %s: the link is down (in flight: %s)", what, in_flight);
}

/* ---- frames in ----------------------------------------------------------------------------- */

static int client_addressed(const ds_conn *c, const ds_hdlc_info *h)
{
    return h->dst.len == 1 && h->dst.upper == c->s.client_address && h->src.upper == c->s.server_logical &&
           h->src.lower == (h->src.len == 1 ? 0 : c->s.server_physical);
}

static int server_addressed(const ds_conn *c, const ds_hdlc_info *h)
{
    if (h->dst.upper != c->s.server_logical) return 0;
    if (h->dst.len > 1 && h->dst.lower != c->s.server_physical) return 0;
    if (h->src.len != 1) return 0;
    if (c->s.client_address && h->src.upper != c->s.client_address) return 0;
    /* while a link is up, only its client is heard (a new SNRM from another one waits) */
    if (c->state == LINK_UP && c->peer_known && h->src.upper != c->peer_address) return 0;
    return 1;
}

static void client_frame(ds_conn *c, const ds_frame *f)
{
    const ds_hdlc_info *h = &f->u.hdlc;
    switch (h->type) {
    case DS_HDLC_UA:
        if (c->state == LINK_CONNECTING) {
            negotiate(c, &h->params);
            reset_sequence(c);
            c->state = LINK_UP;
            conn_event(c, DS_CONN_EV_CONNECTED, NULL, 0);
        } else if (c->state == LINK_DISCONNECTING) {
            c->state = LINK_DOWN;
            conn_event(c, DS_CONN_EV_DISCONNECTED, NULL, 0);
        }
        return;
    case DS_HDLC_DM:
        if (c->state == LINK_DISCONNECTING) {
            c->state = LINK_DOWN;
            conn_event(c, DS_CONN_EV_DISCONNECTED, NULL, 0);
        } else if (c->state == LINK_CONNECTING || c->state == LINK_UP) {
            peer_ended(c, "link.dm", "DM (disconnected mode)");
        }
        return;
    case DS_HDLC_FRMR:
        if (c->state == LINK_UP || c->state == LINK_CONNECTING) peer_ended(c, "link.frmr", "FRMR (frame rejected)");
        return;
    case DS_HDLC_I:
        if (c->state == LINK_UP) on_i_frame(c, f);
        return;
    case DS_HDLC_RR: case DS_HDLC_RNR: case DS_HDLC_REJ: case DS_HDLC_SREJ:
        if (c->state == LINK_UP) on_s_frame(c, h);
        return;
    default:
        return;
    }
}

static void send_dm(ds_conn *c)
{
    send_frame(c, CTRL_DM | CTRL_PF, 0, NULL, 0);
}

static void server_snrm(ds_conn *c, const ds_hdlc_info *h)
{
    negotiate(c, &h->params);
    reset_sequence(c);
    c->peer_address = h->src.upper;
    c->peer_known = 1;
    c->peer_len = ds_hdlc_addr_from_parts(h->src.upper, 0, 1, c->peer_addr);
    /* answer in the address form the client used */
    memcpy(c->own_addr, h->dst.raw, h->dst.len);
    c->own_len = h->dst.len;
    c->state = LINK_UP;
    uint8_t params[32];
    size_t n = write_params(params, c->params.max_info_tx, c->params.max_info_rx, c->params.window_tx,
                            c->params.window_rx);
    send_frame(c, CTRL_UA | CTRL_PF, 0, params, n);
    conn_event(c, DS_CONN_EV_CONNECTED, NULL, 0);
}

static void server_frame(ds_conn *c, const ds_frame *f)
{
    const ds_hdlc_info *h = &f->u.hdlc;
    c->last_heard = c->now;
    if (h->type == DS_HDLC_SNRM) {
        server_snrm(c, h);
        return;
    }
    if (c->state != LINK_UP) {
        /* not connected: DISC, I and S frames get DM (REFERENCE §10.1) */
        if (h->type == DS_HDLC_DISC || h->type == DS_HDLC_I || h->pf) {
            c->peer_len = ds_hdlc_addr_from_parts(h->src.upper, 0, 1, c->peer_addr);
            send_dm(c);
        }
        return;
    }
    switch (h->type) {
    case DS_HDLC_DISC:
        send_frame(c, CTRL_UA | CTRL_PF, 0, NULL, 0);
        reset_sequence(c);
        c->state = LINK_DOWN;
        c->peer_known = 0;
        conn_event(c, DS_CONN_EV_DISCONNECTED, NULL, 0);
        return;
    case DS_HDLC_I:
        on_i_frame(c, f);
        return;
    case DS_HDLC_RR: case DS_HDLC_RNR: case DS_HDLC_REJ: case DS_HDLC_SREJ:
        on_s_frame(c, h);
        return;
    default:
        return;
    }
}

void hdlc_frame_in(ds_conn *c, const ds_frame *f)
{
    const ds_hdlc_info *h = &f->u.hdlc;
    if (is_client(c)) {
        if (client_addressed(c, h)) client_frame(c, f);
    } else if (server_addressed(c, h)) {
        server_frame(c, f);
    }
}

/* ---- calls --------------------------------------------------------------------------------- */

static void send_snrm(ds_conn *c)
{
    uint8_t params[32];
    size_t n = write_params(params, c->s.max_info_tx, c->s.max_info_rx, c->s.window_tx, c->s.window_rx);
    send_frame(c, CTRL_SNRM | CTRL_PF, 0, params, n);
}

int hdlc_open(ds_conn *c)
{
    reset_sequence(c);
    c->params = (ds_conn_params){c->s.max_info_tx, c->s.max_info_rx, c->s.window_tx, c->s.window_rx};
    c->state = LINK_CONNECTING;
    send_snrm(c);
    return 0;
}

int hdlc_send(ds_conn *c)
{
    pump_tx(c);
    return 0;
}

int hdlc_release_turn(ds_conn *c)
{
    if (is_client(c) || !c->turn_held || c->state != LINK_UP || c->tx_active || c->n_unacked) return 0;
    if (!conn_next_queued(c)) send_rr(c);
    return 0;
}

int hdlc_poll(ds_conn *c)
{
    if (c->state != LINK_UP || c->tx_active || c->n_unacked || c->rx_active || c->awaiting_reply) return 0;
    if (conn_next_queued(c)) return 0;
    send_rr(c);
    c->awaiting_reply = 1;
    return 0;
}

int hdlc_close(ds_conn *c)
{
    c->state = LINK_DISCONNECTING;
    c->retries = 0;
    send_frame(c, CTRL_DISC | CTRL_PF, 0, NULL, 0);
    return 0;
}

static int client_waits(const ds_conn *c)
{
    if (!is_client(c)) return 0;
    if (c->state == LINK_CONNECTING || c->state == LINK_DISCONNECTING) return 1;
    return c->state == LINK_UP && (c->n_unacked || c->tx_active || c->rx_active || c->awaiting_reply);
}

int hdlc_busy(const ds_conn *c)
{
    if (c->rx_active) return 1;
    /* the last frame of a server's answer is acknowledged only by the client's next frame: the
     * answer counts as complete once it is all sent */
    if (!is_client(c)) return c->tx_active && c->tx_next < c->tx_len;
    return c->tx_active || c->n_unacked != 0;
}

uint64_t hdlc_deadline(const ds_conn *c)
{
    return client_waits(c) ? c->poll_at + c->s.response_timeout_ms : UINT64_MAX;
}

void hdlc_tick(ds_conn *c)
{
    if (!client_waits(c) || c->now < c->poll_at + c->s.response_timeout_ms) return;
    if (c->retries >= c->s.max_retries) {
        char in_flight[200];
        conn_describe_in_flight(c, in_flight, sizeof in_flight);
        conn_error(c, "link.timeout", 1, "no answer from the server after %u sends %u ms apart: %s",
                   (unsigned)c->retries + 1, (unsigned)c->s.response_timeout_ms, in_flight);
        return;
    }
    c->retries++;
    if (c->state == LINK_CONNECTING)
        send_snrm(c);
    else if (c->state == LINK_DISCONNECTING)
        send_frame(c, CTRL_DISC | CTRL_PF, 0, NULL, 0);
    else if (c->n_unacked)
        resend_unacked(c);
    else
        send_rr(c); /* the answer is late, or a segment of it was lost: poll from V(R) */
    c->poll_at = c->now;
}
