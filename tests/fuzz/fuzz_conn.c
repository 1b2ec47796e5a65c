/* Fuzz target for the link machines (conn.h), both roles and both framings.
 *
 * The first three bytes choose the settings; the rest is a script of steps: peer bytes for one
 * machine alone, or two machines (client and server) talking with the script corrupting,
 * dropping and delaying what goes between them, plus clock steps, APDUs to send, opens and
 * closes, and frames with good checks built around script bytes (any control byte, info). Checked: no crash, no hang (every step is bounded), every frame a machine writes is a
 * frame the library's reader takes with good checks, and every APDU delivered is within
 * max_apdu. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/conn.h"
#include "dlmscope/frame.h"
#include "link/hdlc_write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fz_side {
    ds_conn *c;
    size_t max_apdu;
    int answer;               /* server: answers each APDU at once */
    ds_framer *check;         /* reads back what this machine wrote */
    uint64_t check_off;
} fz_side;

static void check_frame(void *user, const ds_frame *f)
{
    (void)user;
    if (!f->checks_ok) abort(); /* a machine wrote a frame that fails its own checks */
}

static void on_event(void *user, const ds_conn_event *ev)
{
    fz_side *s = user;
    static const uint8_t answer[300] = {0xC4, 0x01, 0xC1, 0x00};
    switch (ev->kind) {
    case DS_CONN_EV_APDU:
        if (ev->len == 0 || ev->len > s->max_apdu) abort();
        if (s->answer) ds_conn_send_apdu(s->c, answer, 4 + ev->len % (sizeof answer - 4), 0);
        break;
    case DS_CONN_EV_FRAME_OUT:
        ds_framer_feed(s->check, ev->data, ev->len, s->check_off, NULL);
        s->check_off += ev->len;
        break;
    case DS_CONN_EV_ERROR:
        if (!ev->code || !ev->message) abort();
        break;
    default:
        break;
    }
}

typedef struct cursor {
    const uint8_t *p;
    size_t n;
} cursor;

static unsigned take(cursor *c)
{
    if (!c->n) return 0;
    c->n--;
    return *c->p++;
}

static int side_init(fz_side *s, const ds_conn_settings *st)
{
    memset(s, 0, sizeof *s);
    s->max_apdu = st->max_apdu ? st->max_apdu : 65535;
    s->answer = st->role == DS_CONN_SERVER;
    s->check = ds_framer_new(st->framing == DS_CONN_HDLC ? DS_LINK_HDLC : DS_LINK_WRAPPER, check_frame, NULL, s);
    s->c = ds_conn_new(st, on_event, s);
    return s->c && s->check ? 0 : -1;
}

static void side_free(fz_side *s)
{
    ds_conn_free(s->c);
    ds_framer_free(s->check);
}

/* Moves up to one chunk from one machine to the other, with the step's fault. */
static void carry(ds_conn *from, ds_conn *to, unsigned fault, unsigned where, uint64_t now)
{
    uint8_t buf[4096];
    size_t n = ds_conn_output(from, buf, sizeof buf);
    if (!n) return;
    switch (fault & 3u) {
    case 1: return;                                 /* lost */
    case 2: buf[where % n] ^= (uint8_t)(1u << (fault >> 2 & 7u)); break; /* a bit flipped */
    case 3: n = where % n; break;                   /* cut short */
    default: break;
    }
    ds_conn_recv(to, buf, n, now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cursor cur = {data, size};
    unsigned mode = take(&cur), sizes = take(&cur), flags = take(&cur);
    ds_conn_settings a, b;
    memset(&a, 0, sizeof a);
    a.framing = mode & 1u ? DS_CONN_HDLC : DS_CONN_WRAPPER;
    a.role = mode & 2u ? DS_CONN_SERVER : DS_CONN_CLIENT;
    a.client_address = mode & 4u ? 16 : 0;
    a.server_logical = 1;
    a.server_physical = mode & 8u ? 17 : 0;
    a.max_info_tx = (uint16_t)(sizes & 0x0Fu) * 16;
    a.max_info_rx = (uint16_t)(sizes >> 4) * 16;
    a.window_tx = a.window_rx = (uint8_t)(mode >> 4 & 7u);
    a.response_timeout_ms = 100;
    a.max_apdu = flags & 2u ? 1000 : 0;
    a.inactivity_timeout_ms = flags & 4u ? 5000 : 0;
    int pair = flags & 1u; /* both machines, the script between them */
    b = a;
    if (pair) {
        a.role = DS_CONN_CLIENT;
        a.client_address = 16;
        b.role = DS_CONN_SERVER;
    }
    fz_side s1, s2;
    if (side_init(&s1, &a) != 0 || (pair && side_init(&s2, &b) != 0)) abort();
    uint64_t now = 1;
    static uint8_t apdu[70000];
    for (int steps = 0; cur.n && steps < 512; steps++) {
        unsigned op = take(&cur);
        switch (op & 7u) {
        case 0: { /* peer bytes (single machine) or a carry with a fault (pair) */
            unsigned len = take(&cur);
            if (pair) {
                carry(s1.c, s2.c, op >> 3, len, now);
                carry(s2.c, s1.c, op >> 6, len, now);
            } else {
                if (len > cur.n) len = (unsigned)cur.n;
                ds_conn_recv(s1.c, cur.p, len, now);
                cur.p += len;
                cur.n -= len;
            }
            break;
        }
        case 1: now += (op >> 3) * 37u; break;
        case 2: {
            size_t len = 1 + (size_t)take(&cur) * (op >> 3 & 1u ? 97u : 1u) + (op >> 4) * 4000u;
            if (len > sizeof apdu) len = sizeof apdu;
            memset(apdu, (int)op, len);
            apdu[0] = 0xC0;
            ds_conn_send_apdu(s1.c, apdu, len, now);
            break;
        }
        case 3: ds_conn_open(s1.c, now); break;
        case 4: ds_conn_close(s1.c, now); break;
        case 5: {
            uint8_t sink[512];
            ds_conn_output(s1.c, sink, (op >> 3) * 16u);
            break;
        }
        case 6: {
            uint64_t d = ds_conn_next_deadline(s1.c);
            if (pair && ds_conn_next_deadline(s2.c) < d) d = ds_conn_next_deadline(s2.c);
            if (d != UINT64_MAX && d > now) now = d;
            break;
        }
        case 7: { /* a well-formed frame around script bytes, so that the checks do not stop
                     the search at the CRC: HDLC with the control byte given, or a wrapper */
            unsigned control = take(&cur), len = take(&cur);
            if (len > cur.n) len = (unsigned)cur.n;
            if (a.framing == DS_CONN_HDLC) {
                static const uint8_t client16 = 0x21, server1 = 0x03, server1_17[2] = {0x02, 0x23};
                const uint8_t *server = a.server_physical ? server1_17 : &server1;
                size_t server_len = a.server_physical ? 2 : 1;
                int to_server = a.role == DS_CONN_SERVER;
                uint8_t frame[DS_HDLC_WIRE_MAX];
                size_t n = ds_hdlc_write(frame, sizeof frame, to_server ? server : &client16, to_server ? server_len : 1,
                                         to_server ? &client16 : server, to_server ? 1 : server_len, (uint8_t)control,
                                         op >> 3 & 1u, cur.p, len);
                if (n) ds_conn_recv(s1.c, frame, n, now);
            } else {
                uint8_t head[8] = {0, 1, 0, (uint8_t)(a.role == DS_CONN_SERVER ? 16 : 1), 0,
                                   (uint8_t)(a.role == DS_CONN_SERVER ? 1 : 16), 0, (uint8_t)len};
                ds_conn_recv(s1.c, head, sizeof head, now);
                ds_conn_recv(s1.c, cur.p, len, now);
            }
            cur.p += len;
            cur.n -= len;
            break;
        }
        default: break;
        }
        ds_conn_tick(s1.c, now);
        if (pair) ds_conn_tick(s2.c, now);
        ds_conn_params prm;
        ds_conn_get_params(s1.c, &prm);
        if (prm.window_tx < 1 || prm.window_tx > 7 || prm.max_info_tx == 0) abort();
        (void)ds_conn_busy(s1.c);
    }
    side_free(&s1);
    if (pair) side_free(&s2);
    return 0;
}
