/* The wrapper link (IEC 62056-47): an 8-byte header before each APDU, no link control. TCP
 * carries the bytes reliably, so nothing is sent again: a client that waits longer than
 * response_timeout x (max_retries + 1) for an answer reports the link broken. */
#include "conn/conn_int.h"

#include <stdio.h>
#include <string.h>

#define WRAPPER_VERSION 1u
#define WRAPPER_HEADER 8u

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)(v & 0xFFu);
}

void wrapper_frame_in(ds_conn *c, const ds_frame *f)
{
    const ds_wrapper_info *w = &f->u.wrapper;
    if (c->s.role == DS_CONN_CLIENT) {
        if (c->state != LINK_UP || w->dst_port != c->s.client_address || w->src_port != c->s.server_logical) return;
        c->awaiting_reply = 0;
        c->retries = 0;
    } else {
        if (w->dst_port != c->s.server_logical) return;
        if (c->s.client_address && w->src_port != c->s.client_address) return;
        c->last_heard = c->now;
        if (c->state != LINK_UP || !c->peer_known || c->peer_address != w->src_port) {
            c->peer_address = w->src_port;
            c->peer_known = 1;
            c->state = LINK_UP;
            conn_event(c, DS_CONN_EV_CONNECTED, NULL, 0);
        }
    }
    if (f->info_len > c->s.max_apdu) {
        conn_error(c, "link.too_long", 0, "a %zu-byte APDU exceeds the bound of %zu bytes and was dropped",
                   f->info_len, c->s.max_apdu);
        return;
    }
    conn_event(c, DS_CONN_EV_APDU, f->info, f->info_len);
}

int wrapper_open(ds_conn *c)
{
    c->state = LINK_UP;
    c->awaiting_reply = 0;
    c->retries = 0;
    conn_event(c, DS_CONN_EV_CONNECTED, NULL, 0);
    return 0;
}

int wrapper_send(ds_conn *c)
{
    uint16_t src = c->s.role == DS_CONN_CLIENT ? c->s.client_address : c->s.server_logical;
    uint16_t dst = c->s.role == DS_CONN_CLIENT ? c->s.server_logical : ds_conn_peer_address(c);
    c->tx_active = 0;
    if (c->tx_len > 0xFFFFu) return -1;
    if (WRAPPER_HEADER + c->tx_len > c->out_cap - c->out_len) {
        conn_error(c, "link.output_full", 0, "%zu bytes for the peer are still unsent: the APDU was not queued",
                   c->out_len);
        return -1;
    }
    uint8_t *p = c->out + c->out_len;
    put_be16(p, WRAPPER_VERSION);
    put_be16(p + 2, src);
    put_be16(p + 4, dst);
    put_be16(p + 6, (uint16_t)c->tx_len);
    memcpy(p + WRAPPER_HEADER, c->tx, c->tx_len);
    c->out_len += WRAPPER_HEADER + c->tx_len;
    conn_event(c, DS_CONN_EV_FRAME_OUT, p, WRAPPER_HEADER + c->tx_len);
    if (c->s.role == DS_CONN_CLIENT) {
        c->awaiting_reply = 1;
        c->retries = 0;
        c->poll_at = c->now;
    }
    return 0;
}

int wrapper_close(ds_conn *c)
{
    c->state = LINK_DOWN;
    c->awaiting_reply = 0;
    conn_event(c, DS_CONN_EV_DISCONNECTED, NULL, 0);
    return 0;
}

uint64_t wrapper_deadline(const ds_conn *c)
{
    if (c->s.role != DS_CONN_CLIENT || c->state != LINK_UP || !c->awaiting_reply) return UINT64_MAX;
    return c->poll_at + c->s.response_timeout_ms;
}

void wrapper_tick(ds_conn *c)
{
    if (wrapper_deadline(c) > c->now) return;
    if (c->retries >= c->s.max_retries) {
        char words[96];
        conn_error(c, "link.timeout", 1, "no answer from the server in %u ms: no answer to %s",
                   (unsigned)((c->retries + 1) * c->s.response_timeout_ms), conn_apdu_words(c, words, sizeof words));
        return;
    }
    c->retries++;
    c->poll_at = c->now;
}
