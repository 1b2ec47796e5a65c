/* Internals of the link machines (conn.h) shared by the dispatch (conn.c) and the two framings
 * (link_hdlc.c, link_wrapper.c). */
#ifndef DS_CONN_CONN_INT_H
#define DS_CONN_CONN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "dlmscope/conn.h"
#include "dlmscope/frame.h"

typedef enum {
    LINK_DOWN,          /* HDLC NDM; wrapper: not opened */
    LINK_CONNECTING,    /* client: SNRM sent, no UA yet */
    LINK_UP,
    LINK_DISCONNECTING, /* client: DISC sent, no UA/DM yet */
    LINK_BROKEN         /* client: retries exhausted, DM or FRMR; only ds_conn_open starts again */
} link_state;

/* An I-frame sent and not yet acknowledged: enough to send it again as it was. */
typedef struct sent_frame {
    uint8_t control;   /* with the P/F bit it was first sent with */
    uint8_t ns;
    int segmented;
    size_t off, len;   /* its information field: tx[off .. off+len) */
} sent_frame;

#define CONN_WINDOW_MAX 7u
/* APDUs given while one is being sent wait in a queue (a general block transfer streams a window
 * of up to 63 blocks at once) */
#define CONN_QUEUE_MAX 64u

struct ds_conn {
    ds_conn_settings s;          /* defaults filled in */
    ds_conn_event_fn fn;
    void *user;
    ds_framer *framer;           /* the library's frame reader, forced to the one framing */
    uint64_t in_off;             /* stream offset of the next byte fed to the framer */
    uint64_t last_byte_at;       /* when the last peer byte came */
    uint64_t now;                /* the time of the call being served */
    link_state state;
    ds_conn_params params;

    uint8_t *out;                /* bytes queued for the peer */
    size_t out_len, out_cap;

    /* Sending: the APDU being sent (HDLC: LLC first), framed from tx_next on. */
    uint8_t *tx;
    size_t tx_cap, tx_len, tx_next;
    int tx_active;
    sent_frame unacked[CONN_WINDOW_MAX];
    size_t n_unacked;
    uint8_t *queue[CONN_QUEUE_MAX]; /* APDUs waiting for the one being sent (copies) */
    size_t queue_len[CONN_QUEUE_MAX];
    size_t q_head, q_count;
    uint8_t last_tag;            /* the first APDU byte of what was sent last, for messages */
    size_t last_len;

    /* Receiving: a segmented APDU being put together (LLC removed). */
    uint8_t *rx;
    size_t rx_cap, rx_len;
    int rx_active, rx_overflow;

    unsigned vs, vr;             /* HDLC V(S), V(R), mod 8 */
    int awaiting_reply;          /* client: an APDU went out, its answer has not come */
    int peer_busy;               /* the peer sent RNR */
    int turn_held;               /* server: polled by a complete APDU and not answered yet */
    uint64_t poll_at;            /* client: when the frame now waited for was sent */
    unsigned retries;            /* sends again since the last progress */
    uint64_t last_heard;         /* server: the last frame for us (inactivity) */

    uint8_t own_addr[4], peer_addr[4]; /* HDLC address fields as on the wire */
    size_t own_len, peer_len;
    uint16_t peer_address;       /* server: the client SAP / wPort the link is with */
    int peer_known;

    uint64_t notices;            /* events other than FRAME_IN/OUT so far (ds_conn_pump) */
    char msg[256];
};

/* ---- conn.c: shared by both framings ---- */
void conn_event(ds_conn *c, ds_conn_event_kind kind, const uint8_t *data, size_t len);
/* DS_CONN_EV_ERROR; broken 1 also puts the link in LINK_BROKEN (client) or LINK_DOWN (server). */
void conn_error(ds_conn *c, const char *code, int broken, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Queues one whole frame for the peer (DS_CONN_EV_FRAME_OUT). -1 when the output queue is full:
 * the frame is dropped as a lost one would be, and the retransmission covers it. */
int conn_queue_frame(ds_conn *c, const uint8_t *frame, size_t n);
/* "the 13-byte get-request" (what was sent last), for messages. */
const char *conn_apdu_words(const ds_conn *c, char *buf, size_t cap);

/* What was going on, for the message of a broken link: "no answer to the 13-byte get-request". */
void conn_describe_in_flight(const ds_conn *c, char *buf, size_t cap);
/* The transport lost the peer (closed, failed): DS_CONN_EV_ERROR "link.closed", broken. */
void conn_link_lost(ds_conn *c, const char *why);
uint64_t conn_notices(const ds_conn *c);

/* ---- link_hdlc.c ---- */
void hdlc_frame_in(ds_conn *c, const ds_frame *f);
int hdlc_open(ds_conn *c);
/* Starts the next queued APDU when nothing is being sent: 1 when one was started. */
int conn_next_queued(ds_conn *c);
/* Drops the queued APDUs (the link broke or closed). */
void conn_drop_queue(ds_conn *c);
int hdlc_send(ds_conn *c);
/* Client: an RR poll for what the server holds, when nothing is in flight. */
int hdlc_poll(ds_conn *c);
/* Server: an RR when it holds the turn with nothing to say. */
int hdlc_release_turn(ds_conn *c);
int hdlc_close(ds_conn *c);
void hdlc_tick(ds_conn *c);
uint64_t hdlc_deadline(const ds_conn *c);
int hdlc_busy(const ds_conn *c);

/* ---- link_wrapper.c ---- */
void wrapper_frame_in(ds_conn *c, const ds_frame *f);
int wrapper_open(ds_conn *c);
int wrapper_send(ds_conn *c);
int wrapper_close(ds_conn *c);
void wrapper_tick(ds_conn *c);
uint64_t wrapper_deadline(const ds_conn *c);

#endif
