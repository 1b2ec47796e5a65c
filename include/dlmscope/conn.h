/* Link machines without I/O (HDLC and the TCP/UDP wrapper), one code for both roles.
 *
 * A ds_conn carries APDUs between a client and a server over one framing. It never reads,
 * writes or sleeps: the caller feeds it the bytes that arrived (ds_conn_recv) and the time
 * (every call takes now_ms, a monotonic clock in milliseconds), takes the bytes to send
 * (ds_conn_output) and gets events through one callback. Transports (sockets, termios) are a
 * thin layer above it, and tests drive two machines against each other with no sockets and
 * no sleeping (as nghttp2's session is driven by mem_recv/mem_send).
 *
 * HDLC: SNRM/UA with the negotiation of max info and window, I-frame sequencing, segmentation
 * of long APDUs over several frames and reassembly of segmented ones with RR, retransmission
 * after the response timeout, RR polling, DISC/UA or DM at the end, DM and FRMR reported as
 * errors. Wrapper: the 8-byte header (version 1, source and destination wPort, length).
 *
 * Every byte from the peer is untrusted: lengths are checked, a reassembled APDU is bounded
 * by settings.max_apdu, and nothing the peer sends can make the machine allocate without
 * bound or wait without a deadline (ds_conn_next_deadline). */
#ifndef DLMSCOPE_CONN_H
#define DLMSCOPE_CONN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { DS_CONN_CLIENT = 0, DS_CONN_SERVER = 1 } ds_conn_role;
typedef enum { DS_CONN_WRAPPER = 0, DS_CONN_HDLC = 1 } ds_conn_framing;

typedef struct ds_conn_settings {
    ds_conn_role role;
    ds_conn_framing framing;
    uint16_t client_address;      /* wrapper wPort / HDLC client SAP (e.g. 16, 17, 1) */
    uint16_t server_logical;      /* wrapper wPort / HDLC upper address (e.g. 1) */
    uint16_t server_physical;     /* HDLC lower address; with server_address_size 1 unused */
    uint8_t server_address_size;  /* HDLC server address field: 1, 2 or 4 bytes; 0 = 1 if no
                                     physical address, else 2 or 4 as the values need */
    uint16_t max_info_tx;         /* HDLC: what we propose (client) or accept at most (server);
                                     0 = 128 */
    uint16_t max_info_rx;         /* 0 = 128 */
    uint8_t window_tx, window_rx; /* HDLC: 1..7; 0 = 1 */
    uint32_t response_timeout_ms; /* a frame unanswered this long is sent again; 0 = 3000 */
    uint8_t max_retries;          /* then the link is broken (DS_CONN_EV_ERROR); 0 = 3 */
    uint32_t inactivity_timeout_ms; /* server: drop an idle link; 0 = never */
    size_t max_apdu;              /* bound on a reassembled APDU; 0 = 65535 */
} ds_conn_settings;

typedef enum {
    DS_CONN_EV_CONNECTED,    /* HDLC: UA received (client) / sent (server); wrapper: at once */
    DS_CONN_EV_APDU,         /* a whole APDU arrived (data, len), reassembled if segmented */
    DS_CONN_EV_DISCONNECTED, /* DISC/UA or DM ended the link in order */
    DS_CONN_EV_ERROR,        /* code and message say what; the link may still be up (e.g. a
                                bad FCS, dropped) or broken (retries exhausted, FRMR) */
    DS_CONN_EV_FRAME_IN,     /* one whole frame received (data, len), for transcripts */
    DS_CONN_EV_FRAME_OUT     /* one whole frame queued for sending (data, len) */
} ds_conn_event_kind;

typedef struct ds_conn_event {
    ds_conn_event_kind kind;
    const uint8_t *data; size_t len; /* APDU or frame bytes; valid during the callback only */
    const char *code;                /* DS_CONN_EV_ERROR: a diagnostic code, e.g. "link.frmr" */
    const char *message;             /* DS_CONN_EV_ERROR: plain words */
    int broken;                      /* DS_CONN_EV_ERROR: 1 when the link is gone */
} ds_conn_event;

typedef void (*ds_conn_event_fn)(void *user, const ds_conn_event *ev);

typedef struct ds_conn ds_conn;

/* The negotiated values (after DS_CONN_EV_CONNECTED; before it, the settings' ones). */
typedef struct ds_conn_params {
    uint16_t max_info_tx, max_info_rx;
    uint8_t window_tx, window_rx;
} ds_conn_params;

/* The floor of ds_conn_retry_interval: sends closer together than this would only crowd a slow
 * line. */
#define DS_CONN_MIN_RETRY_INTERVAL_MS 200u

/* The response timeout for a link whose caller gives up on a step after step_timeout_ms: the
 * first send and its max_retries sends again (0 = the default 3) all fit inside the step,
 * step_timeout_ms / (max_retries + 1), at least DS_CONN_MIN_RETRY_INTERVAL_MS and at most the
 * default 3000 ms. (With min(step, 3000) instead, a step of 3 s or less would give up exactly
 * when its first retry went out, and nothing would be recoverable.) */
uint32_t ds_conn_retry_interval(uint32_t step_timeout_ms, uint8_t max_retries);

/* NULL on bad settings (an address that does not fit its field) or no memory. All buffers are
 * allocated here, bounded by the settings (besides the copies of queued APDUs, at most 64);
 * nothing is allocated per byte afterwards. A server
 * with client_address 0 takes a link with any client SAP / wPort (ds_conn_peer_address).
 * The callback may call ds_conn_send_apdu, ds_conn_output and the getters; not ds_conn_free. */
ds_conn *ds_conn_new(const ds_conn_settings *s, ds_conn_event_fn fn, void *user);
void ds_conn_free(ds_conn *c);

/* Client: starts the link (HDLC: queues SNRM; wrapper: DS_CONN_EV_CONNECTED at once).
 * Server: nothing to do (the client's SNRM opens the link); returns 0. */
int ds_conn_open(ds_conn *c, uint64_t now_ms);

/* Queues one APDU (segmented over HDLC frames as max info needs). -1 if the link is not up,
 * the APDU is longer than settings.max_apdu, or 64 APDUs already wait. APDUs are sent one at a
 * time: one given while another is being sent is kept (a copy) and goes after it (over HDLC, a
 * server's next APDU when the client polls). May be called from inside the event callback
 * (e.g. a server answering DS_CONN_EV_APDU at once). */
int ds_conn_send_apdu(ds_conn *c, const uint8_t *apdu, size_t len, uint64_t now_ms);

/* Bytes from the peer, any split. Events fire from inside. Returns 0, or -1 once broken. */
int ds_conn_recv(ds_conn *c, const uint8_t *p, size_t n, uint64_t now_ms);

/* Time passes: retransmissions, polling, timeouts. Returns 0, or -1 once broken. */
int ds_conn_tick(ds_conn *c, uint64_t now_ms);

/* The next time ds_conn_tick has something to do; UINT64_MAX if none. */
uint64_t ds_conn_next_deadline(const ds_conn *c);

/* Client, HDLC: polls the server (RR) for an APDU it holds, when nothing is in flight: a server
 * streaming several APDUs (general block transfer) sends each only when polled. No-op otherwise. */
int ds_conn_poll(ds_conn *c, uint64_t now_ms);
/* Server, HDLC: the APDU that polled it needs no answer (a block inside a general block
 * transfer stream): an RR gives the turn back at once, instead of keeping it until an answer.
 * No-op when it answered, or otherwise. */
int ds_conn_release_turn(ds_conn *c, uint64_t now_ms);
/* Moves up to cap queued output bytes into buf; returns how many. */
size_t ds_conn_output(ds_conn *c, uint8_t *buf, size_t cap);

/* Client: ends the link (HDLC: DISC, then DS_CONN_EV_DISCONNECTED on UA/DM). */
int ds_conn_close(ds_conn *c, uint64_t now_ms);

int ds_conn_is_up(const ds_conn *c);
/* 1 while an APDU we sent, or a segmented one we receive, is not complete. A client's APDU is
 * complete when acknowledged (over HDLC with window 1 that is its answer's N(R)); a server's
 * answer once it is all sent (its last frame is acknowledged only by the client's next one).
 * A client also waits for an answer to each APDU it sent, polling for it (HDLC) until it
 * comes or the retries run out (link.timeout): ds_conn_next_deadline covers that wait. */
int ds_conn_busy(const ds_conn *c);
void ds_conn_get_params(const ds_conn *c, ds_conn_params *out);

/* The peer's address: a server gives the client SAP (HDLC) or wPort (wrapper) of the link it
 * has (learnt from the SNRM or the first wrapper frame; settings.client_address 0 accepts any
 * client), a client the server's logical address. */
uint16_t ds_conn_peer_address(const ds_conn *c);

/* Bytes queued for the peer that ds_conn_output has not taken yet. */
size_t ds_conn_pending_output(const ds_conn *c);

#ifdef __cplusplus
}
#endif

#endif
