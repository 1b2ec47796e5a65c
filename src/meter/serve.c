/* dlmscope emulate's loop: one poll loop that serves the meter to several clients at once.
 *
 * Each client is a session: its own link machine (conn.h, server role, any client address) and
 * its own association machine (assoc.h, server role) that asks the meter's objects. TCP gives
 * one session per connection; UDP one per sender address; a pseudo-terminal or a serial line
 * one session on the one descriptor. The descriptors are the transport layer's (transport.h:
 * listening, accepting, datagrams by sender, the pty, the serial port, reads and writes that
 * never wait). Bytes go in with ds_conn_recv; answers come out frame by frame, as the link
 * machine reports each one it queues (DS_CONN_EV_FRAME_OUT); every wait is bounded: poll wakes for the links' own deadlines (retransmission,
 * inactivity) and at least every POLL_MS to see the stop flag. A client that stays silent for
 * idle_timeout_ms is dropped.
 *
 * With fault injection or the link-speed model on (ds_emulate_options), each frame is counted (dropped, corrupted) and queued with the time it is due: the line is
 * modelled, never slept on; poll wakes for the first frame due. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dlmscope/conn.h"
#include "dlmscope/transport.h"
#include "meter/meter_int.h"

#define POLL_MS 200
#define IO_CHUNK 4096
#define OUT_MAX (1u << 20)     /* bytes waiting for a slow client before it is dropped */
#define DEFAULT_CLIENTS 64
#define DEFAULT_IDLE_MS 120000
/* A client's general block transfer stream quiet this long before its last block: the meter
 * acknowledges the last block it took again (ds_assoc_gbt_quiet), so the client sends the rest
 * again. Below the client's usual 5 s answer timeout, with room for the retries. */
#define GBT_QUIET_MS 1000
#define LOOPBACK "127.0.0.1"

typedef struct session session;

typedef struct server {
    ds_meter *m;
    const ds_emulate_options *o;
    ds_server_objects objects;
    ds_conn_settings link;
    int listen_fd;               /* TCP listener, UDP socket, pty master or serial fd */
    ds_pty pty;                  /* --pty: the pseudo-terminal and its link */
    int has_pty;
    session **sessions;
    size_t max_sessions;
    /* fault injection */
    uint32_t frames_made;        /* frames the meter would have sent */
    int reset_done;              /* the link was dropped after reset_after_blocks */
    int activation_seen;         /* silent_after_activate: the activation that started it */
    uint64_t silent_until;
} server;

/* a frame waiting for its time on the modelled line */
typedef struct queued_frame {
    struct queued_frame *next;
    uint64_t due_ms;
    size_t len;
    uint8_t data[];
} queued_frame;

struct session {
    server *srv;
    int fd;                      /* TCP: its socket; others: the shared descriptor */
    ds_udp_peer peer;            /* UDP: the sender */
    ds_conn *conn;
    ds_assoc *assoc;
    uint8_t *out;                /* bytes to write (a stream's backlog) */
    size_t out_len;
    uint64_t last_ms;
    uint64_t gbt_asked_ms;       /* when its quiet GBT stream was last acknowledged again */
    int dead;
    /* shaped output: frames not yet due */
    queued_frame *queue, *queue_tail;
    size_t queued_bytes;
    uint64_t line_free_ms;       /* when the modelled line has sent all queued frames */
    int before_reboot;           /* existed when an activation made the meter silent */
};

static uint64_t now_ms(void)
{
    return ds_clock_ms();
}

/* ---- a session: link + association ---- */

static int assoc_out(void *user, const uint8_t *apdu, size_t len)
{
    session *s = user;
    return ds_conn_send_apdu(s->conn, apdu, len, now_ms());
}

/* The invocation counter goes on from association to association of a client, as a meter's
 * does: the next one starts where this one stopped (the frame counter object shows it). */
static void keep_ic(session *s)
{
    if (!s->assoc || !ds_assoc_is_open(s->assoc)) return;
    meter_assoc *as = meter_find_assoc(s->srv->m, ds_conn_peer_address(s->conn));
    uint32_t next = ds_assoc_next_ic(s->assoc);
    if (as && next > as->ic) as->ic = next;
    uint32_t seen;
    if (as && ds_assoc_peer_last_ic(s->assoc, &seen) && (!as->has_client_ic || seen > as->client_ic)) {
        as->has_client_ic = 1;
        as->client_ic = seen;
    }
}

static void drop_assoc(session *s)
{
    keep_ic(s);
    ds_assoc_free(s->assoc);
    s->assoc = NULL;
}

/* A new association for each link: which one the client gets is decided by the meter's accept
 * callback from its client address and AARQ. */
static int start_assoc(session *s)
{
    ds_assoc_settings st;
    memset(&st, 0, sizeof st);
    st.role = DS_ASSOC_SERVER;
    st.logical_names = 1;
    st.max_pdu = s->srv->m->link.max_pdu;
    s->assoc = ds_assoc_new(&st, assoc_out, s);
    if (!s->assoc) return -1;
    ds_assoc_serve(s->assoc, &s->srv->objects, ds_conn_peer_address(s->conn));
    return 0;
}

static void frame_out(session *s, const uint8_t *p, size_t n);

static void on_link_event(void *user, const ds_conn_event *ev)
{
    session *s = user;
    switch (ev->kind) {
    case DS_CONN_EV_FRAME_OUT:
        frame_out(s, ev->data, ev->len);
        break;
    case DS_CONN_EV_APDU:
        if (!s->assoc && start_assoc(s)) {
            s->dead = 1;
            return;
        }
        /* an APDU the association cannot take is answered by it (exception, AARE rejected) or
           dropped; the link stays */
        ds_assoc_receive(s->assoc, ev->data, ev->len);
        ds_conn_release_turn(s->conn, now_ms()); /* nothing to answer (a GBT block mid-stream) */
        keep_ic(s);
        break;
    case DS_CONN_EV_DISCONNECTED:
        drop_assoc(s); /* DISC: the association ends with its link */
        break;
    case DS_CONN_EV_ERROR:
        if (ev->broken) s->dead = 1;
        break;
    default:
        break;
    }
}

static session *session_new(server *srv, int fd)
{
    session *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->srv = srv;
    s->fd = fd;
    s->last_ms = now_ms();
    s->conn = ds_conn_new(&srv->link, on_link_event, s);
    if (!s->conn) {
        free(s);
        return NULL;
    }
    return s;
}

static void clear_queue(session *s)
{
    while (s->queue) {
        queued_frame *f = s->queue;
        s->queue = f->next;
        free(f);
    }
    s->queue_tail = NULL;
    s->queued_bytes = 0;
}

static void session_free(session *s)
{
    if (!s) return;
    drop_assoc(s);
    ds_conn_free(s->conn);
    clear_queue(s);
    free(s->out);
    free(s);
}

static int shaping(const ds_emulate_options *o)
{
    return o->drop_frame || o->corrupt_frame || o->delay_ms || o->baud || o->turnaround_ms;
}

static int is_stream(const server *srv)
{
    return srv->o->transport != DS_EMULATE_UDP;
}

/* Appends bytes to the stream backlog; 0, or -1 (the session dies) when the client does not
 * read or memory is out. */
static int backlog_add(session *s, const uint8_t *p, size_t n)
{
    if (s->out_len + n > OUT_MAX) return -1;
    uint8_t *q = realloc(s->out, s->out_len + n ? s->out_len + n : 1);
    if (!q) return -1;
    s->out = q;
    memcpy(s->out + s->out_len, p, n);
    s->out_len += n;
    return 0;
}

/* One frame to the client: a datagram of its own over UDP (one wrapper frame per datagram),
 * the stream's backlog otherwise. */
static void deliver(session *s, const uint8_t *p, size_t n)
{
    if (!is_stream(s->srv)) {
        if (ds_udp_send_to(s->fd, p, n, &s->peer) < 0 && errno != EAGAIN && errno != EWOULDBLOCK) s->dead = 1;
        return;
    }
    if (backlog_add(s, p, n)) s->dead = 1;
}

/* One frame the meter sends: counted, perhaps dropped or corrupted, then queued for when the
 * modelled line has carried it (10 bits a byte at baud, after the turnaround when the line
 * was quiet, and the delay). */
static void shape_frame(session *s, const uint8_t *p, size_t n, uint64_t now)
{
    const ds_emulate_options *o = s->srv->o;
    uint32_t k = ++s->srv->frames_made;
    if (k == o->drop_frame) return;
    if (s->queued_bytes + n > OUT_MAX) {
        s->dead = 1;
        return;
    }
    queued_frame *f = malloc(sizeof *f + n);
    if (!f) {
        s->dead = 1;
        return;
    }
    memcpy(f->data, p, n);
    /* HDLC: a byte of the header or information field, so the checks fail; wrapper: the APDU's
       last byte */
    if (k == o->corrupt_frame) f->data[s->srv->link.framing == DS_CONN_HDLC ? n / 2 : n - 1] ^= 0xFF;
    uint64_t start = now + o->delay_ms;
    if (s->line_free_ms <= now) start += o->turnaround_ms;
    if (start < s->line_free_ms) start = s->line_free_ms;
    uint64_t line_ms = o->baud ? ((uint64_t)n * 10u * 1000u + o->baud - 1) / o->baud : 0;
    f->due_ms = start + line_ms;
    s->line_free_ms = f->due_ms;
    f->len = n;
    f->next = NULL;
    if (s->queue_tail)
        s->queue_tail->next = f;
    else
        s->queue = f;
    s->queue_tail = f;
    s->queued_bytes += n;
}

/* While the meter is silent (rebooting after an activation), what the link makes is lost. */
static int silent(const server *srv, uint64_t now)
{
    return srv->activation_seen && now < srv->silent_until;
}

/* A whole frame the link machine queued (DS_CONN_EV_FRAME_OUT): the frames come one by one
 * from the machine that made them, so nothing here reads a frame's length again. */
static void frame_out(session *s, const uint8_t *p, size_t n)
{
    uint64_t now = now_ms();
    if (s->dead || silent(s->srv, now)) return;
    if (shaping(s->srv->o))
        shape_frame(s, p, n, now);
    else
        deliver(s, p, n);
}

/* Releases the shaped frames that are due. */
static void release_due(session *s, uint64_t now)
{
    while (s->queue && s->queue->due_ms <= now && !s->dead) {
        queued_frame *f = s->queue;
        s->queue = f->next;
        if (!s->queue) s->queue_tail = NULL;
        s->queued_bytes -= f->len;
        deliver(s, f->data, f->len);
        free(f);
    }
}

/* The link's output queue holds the same bytes as the frames frame_out took: it is emptied. */
static void discard_link_output(session *s)
{
    uint8_t chunk[IO_CHUNK];
    while (ds_conn_output(s->conn, chunk, sizeof chunk) > 0) continue;
}

/* Releases what is due, then writes as much of the backlog as the descriptor takes. */
static void session_flush(session *s)
{
    discard_link_output(s);
    release_due(s, now_ms());
    while (s->out_len && !s->dead) {
        long w = ds_fd_write_some(s->fd, s->out, s->out_len);
        if (w == DS_IO_CLOSED) {
            s->dead = 1;
            return;
        }
        if (w == 0) return; /* no room now: poll waits for POLLOUT */
        memmove(s->out, s->out + w, s->out_len - (size_t)w);
        s->out_len -= (size_t)w;
    }
}

/* The faults that follow what the meter did: the link dropped after so many image blocks
 * (the answer to the last one lost with it), silence once an image is activated. */
static void after_request(session *s, uint64_t now)
{
    server *srv = s->srv;
    const ds_emulate_options *o = srv->o;
    if (o->reset_after_blocks && !srv->reset_done && srv->m->image_blocks_taken >= o->reset_after_blocks) {
        srv->reset_done = 1;
        discard_link_output(s);
        clear_queue(s);
        s->out_len = 0;
        s->dead = 1;
    }
    if (o->silent_after_activate_ms && srv->m->image_activated && !srv->activation_seen) {
        /* the activation's own answer still goes; what comes after is lost */
        session_flush(s);
        srv->activation_seen = 1;
        srv->silent_until = now + o->silent_after_activate_ms;
        for (size_t i = 0; i < srv->max_sessions; i++)
            if (srv->sessions[i]) srv->sessions[i]->before_reboot = 1;
    }
}

static void session_input(session *s, const uint8_t *p, size_t n)
{
    s->last_ms = now_ms();
    if (silent(s->srv, s->last_ms)) return; /* rebooting: nothing heard */
    if (ds_conn_recv(s->conn, p, n, s->last_ms) < 0) s->dead = 1;
    after_request(s, s->last_ms);
    if (!s->dead) session_flush(s);
}

/* ---- the listening side ---- */

static int add_session(server *srv, session *s)
{
    for (size_t i = 0; i < srv->max_sessions; i++)
        if (!srv->sessions[i]) {
            srv->sessions[i] = s;
            return 0;
        }
    return -1;
}

static void remove_session(server *srv, size_t i)
{
    session *s = srv->sessions[i];
    if (s->fd >= 0 && s->fd != srv->listen_fd) close(s->fd);
    session_free(s);
    srv->sessions[i] = NULL;
}

static int open_socket(server *srv, char *where, size_t wsz, char *err, size_t errsz)
{
    const ds_emulate_options *o = srv->o;
    if (o->port < 0 || o->port > 65535) {
        if (errsz) snprintf(err, errsz, "port %d: use 0 to 65535", o->port);
        return -1;
    }
    uint16_t port = 0;
    int udp = o->transport == DS_EMULATE_UDP;
    srv->listen_fd = udp ? ds_udp_bind(LOOPBACK, (uint16_t)o->port, &port, err, errsz)
                         : ds_tcp_listen(LOOPBACK, (uint16_t)o->port, &port, err, errsz);
    if (srv->listen_fd < 0) return -1;
    const char *kind = udp ? "udp" : o->transport == DS_EMULATE_TCP ? "tcp" : "hdlc-tcp";
    snprintf(where, wsz, "%s " LOOPBACK ":%u", kind, (unsigned)port);
    return 0;
}

static int open_pty(server *srv, char *where, size_t wsz, char *err, size_t errsz)
{
    if (ds_pty_open(&srv->pty, srv->o->path, err, errsz)) return -1;
    srv->has_pty = 1;
    srv->listen_fd = srv->pty.master;
    snprintf(where, wsz, "pty %s (%s)", srv->o->path, srv->pty.slave_name);
    return 0;
}

static int open_serial(server *srv, char *where, size_t wsz, char *err, size_t errsz)
{
    if (ds_serial_target_describe(srv->o->path, where, wsz, err, errsz)) return -1;
    srv->listen_fd = ds_serial_target_open(srv->o->path, err, errsz); /* non-blocking, as all of transport.h's */
    return srv->listen_fd < 0 ? -1 : 0;
}

/* ---- the loop ---- */

static void accept_tcp(server *srv)
{
    for (;;) {
        int fd = ds_tcp_accept(srv->listen_fd, 0, NULL, 0, NULL, 0);
        if (fd < 0) return;
        session *s = session_new(srv, fd);
        if (!s || add_session(srv, s)) { /* full: the client is turned away */
            session_free(s);
            close(fd);
        }
    }
}

static session *udp_session(server *srv, const ds_udp_peer *peer)
{
    for (size_t i = 0; i < srv->max_sessions; i++) {
        session *s = srv->sessions[i];
        if (s && ds_udp_peer_equal(&s->peer, peer)) return s;
    }
    session *s = session_new(srv, srv->listen_fd);
    if (!s) return NULL;
    s->peer = *peer;
    if (add_session(srv, s)) {
        session_free(s);
        return NULL;
    }
    return s;
}

static void read_udp(server *srv)
{
    uint8_t buf[65536];
    for (;;) {
        ds_udp_peer peer;
        int got;
        long n = ds_udp_recv_from(srv->listen_fd, buf, sizeof buf, &peer, &got);
        if (n < 0 || !got) return;
        session *s = udp_session(srv, &peer);
        if (s) session_input(s, buf, (size_t)n);
    }
}

static void read_stream(session *s)
{
    uint8_t buf[IO_CHUNK];
    for (int rounds = 0; rounds < 64 && !s->dead; rounds++) { /* bounded: one busy peer does not starve the rest */
        long n = ds_fd_read_some(s->fd, buf, sizeof buf);
        if (n > 0) {
            session_input(s, buf, (size_t)n);
            continue;
        }
        /* the one line of a pty or serial port stays open whatever happened to the other side */
        if (n == DS_IO_CLOSED)
            s->dead = s->srv->o->transport == DS_EMULATE_TCP || s->srv->o->transport == DS_EMULATE_HDLC_TCP;
        return;
    }
}

static int single_stream(const server *srv)
{
    return srv->o->transport == DS_EMULATE_PTY || srv->o->transport == DS_EMULATE_SERIAL;
}

/* The client's GBT stream quiet for GBT_QUIET_MS (since its last bytes, or since the last
 * acknowledgement sent again) before its last block: the last block taken is acknowledged
 * again. When the association gives the stream up its request is dropped; the client's own
 * timeout ends its wait. */
static void ask_gbt_again(session *s, uint64_t now)
{
    if (!s->assoc || !ds_assoc_gbt_receiving(s->assoc)) return;
    uint64_t since = s->last_ms > s->gbt_asked_ms ? s->last_ms : s->gbt_asked_ms;
    if (now < since + GBT_QUIET_MS) return;
    s->gbt_asked_ms = now;
    ds_assoc_gbt_quiet(s->assoc);
}

/* Time passes for every session: link deadlines, GBT streams gone quiet, idle clients, dead ones. */
static void tick_sessions(server *srv, uint64_t now)
{
    uint32_t idle = srv->o->idle_timeout_ms ? srv->o->idle_timeout_ms : DEFAULT_IDLE_MS;
    for (size_t i = 0; i < srv->max_sessions; i++) {
        session *s = srv->sessions[i];
        if (!s) continue;
        if (ds_conn_next_deadline(s->conn) <= now && ds_conn_tick(s->conn, now) < 0) s->dead = 1;
        ask_gbt_again(s, now);
        session_flush(s);
        if (!single_stream(srv) && now - s->last_ms > idle && !s->queue) s->dead = 1;
        if (s->before_reboot && !silent(srv, now)) s->dead = 1; /* the reboot ended its link */
        if (s->dead) {
            if (single_stream(srv)) {
                /* the one line stays: a fresh link waits for the next SNRM */
                session *fresh = session_new(srv, srv->listen_fd);
                if (fresh) {
                    session_free(s);
                    srv->sessions[i] = fresh;
                    continue;
                }
            }
            remove_session(srv, i);
        }
    }
}

static int poll_timeout(const server *srv, uint64_t now)
{
    uint64_t next = now + POLL_MS;
    for (size_t i = 0; i < srv->max_sessions; i++) {
        const session *s = srv->sessions[i];
        if (s && ds_conn_next_deadline(s->conn) < next) next = ds_conn_next_deadline(s->conn);
        if (s && s->queue && s->queue->due_ms < next) next = s->queue->due_ms;
        if (s && s->before_reboot && srv->silent_until < next) next = srv->silent_until;
    }
    return next <= now ? 0 : (int)(next - now);
}

static void serve(server *srv, struct pollfd *fds)
{
    const ds_emulate_options *o = srv->o;
    while (!o->stop || !*o->stop) {
        size_t n = 0;
        fds[n++] = (struct pollfd){.fd = srv->listen_fd, .events = POLLIN};
        session *owner[DEFAULT_CLIENTS * 64];
        int streams = o->transport == DS_EMULATE_TCP || o->transport == DS_EMULATE_HDLC_TCP;
        for (size_t i = 0; streams && i < srv->max_sessions; i++) {
            session *s = srv->sessions[i];
            if (!s) continue;
            owner[n] = s;
            fds[n++] = (struct pollfd){.fd = s->fd, .events = (short)(POLLIN | (s->out_len ? POLLOUT : 0))};
        }
        if (single_stream(srv) && srv->sessions[0] && srv->sessions[0]->out_len) fds[0].events |= POLLOUT;
        int rc = poll(fds, n, poll_timeout(srv, now_ms()));
        if (rc < 0 && errno != EINTR) break;
        if (rc > 0) {
            if (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) {
                if (o->transport == DS_EMULATE_UDP) read_udp(srv);
                else if (streams) accept_tcp(srv);
                else if (srv->sessions[0]) read_stream(srv->sessions[0]);
            }
            if (single_stream(srv) && srv->sessions[0] && (fds[0].revents & POLLOUT)) session_flush(srv->sessions[0]);
            for (size_t k = 1; k < n; k++) {
                if (fds[k].revents & (POLLIN | POLLERR | POLLHUP)) read_stream(owner[k]);
                if (fds[k].revents & POLLOUT) session_flush(owner[k]);
            }
        }
        tick_sessions(srv, now_ms());
    }
}

int ds_emulate_run(ds_meter *m, const ds_emulate_options *o, char *err, size_t errsz)
{
    server srv;
    memset(&srv, 0, sizeof srv);
    srv.m = m;
    srv.o = o;
    srv.listen_fd = -1;
    srv.max_sessions = o->max_clients > 0 ? (size_t)o->max_clients : DEFAULT_CLIENTS;
    if (srv.max_sessions > DEFAULT_CLIENTS * 64 - 1) srv.max_sessions = DEFAULT_CLIENTS * 64 - 1;
    if (single_stream(&srv)) srv.max_sessions = 1;
    ds_meter_objects(m, &srv.objects);

    ds_conn_settings *l = &srv.link;
    l->role = DS_CONN_SERVER;
    l->framing = o->transport == DS_EMULATE_TCP || o->transport == DS_EMULATE_UDP ? DS_CONN_WRAPPER : DS_CONN_HDLC;
    l->client_address = 0; /* any client: the association decides */
    l->server_logical = m->link.server_logical;
    l->server_physical = m->link.server_physical;
    l->max_info_tx = l->max_info_rx = o->max_info ? o->max_info : m->link.max_info;
    l->window_tx = l->window_rx = o->window ? o->window : m->link.window;

    char where[700];
    int rc;
    switch (o->transport) {
    case DS_EMULATE_TCP:
    case DS_EMULATE_HDLC_TCP:
    case DS_EMULATE_UDP: rc = open_socket(&srv, where, sizeof where, err, errsz); break;
    case DS_EMULATE_PTY: rc = open_pty(&srv, where, sizeof where, err, errsz); break;
    case DS_EMULATE_SERIAL: rc = open_serial(&srv, where, sizeof where, err, errsz); break;
    default:
        if (errsz) snprintf(err, errsz, "unknown transport");
        rc = -1;
    }
    if (rc) return -1;
    srv.sessions = calloc(srv.max_sessions, sizeof *srv.sessions);
    struct pollfd *fds = calloc(srv.max_sessions + 1, sizeof *fds);
    if (!srv.sessions || !fds) {
        free(srv.sessions);
        free(fds);
        if (srv.has_pty)
            ds_pty_close(&srv.pty);
        else
            close(srv.listen_fd);
        if (errsz) snprintf(err, errsz, "out of memory");
        return -1;
    }
    rc = 0;
    if (single_stream(&srv) && !(srv.sessions[0] = session_new(&srv, srv.listen_fd))) {
        if (errsz) snprintf(err, errsz, "the link machine could not be made (settings?)");
        rc = -1;
    }
    if (!rc) {
        if (o->ready) o->ready(o->user, where);
        serve(&srv, fds);
    }
    for (size_t i = 0; i < srv.max_sessions; i++)
        if (srv.sessions[i]) remove_session(&srv, i);
    free(srv.sessions);
    free(fds);
    if (srv.has_pty)
        ds_pty_close(&srv.pty);
    else
        close(srv.listen_fd);
    return rc;
}
