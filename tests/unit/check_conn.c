/* The link machines without I/O (conn.h): a client and a server driven against each other
 * through a fake wire and a fake clock (no sockets, no sleeping), with faults injected between
 * them, and each role against frames of real meters and clients from the corpus.
 *
 * Expected frame bytes were worked out with an independent CRC-16/X.25 in python3 (poly 0x8408
 * reflected, init and xorout 0xFFFF: check("123456789") = 0x906E, and it reproduces the corpus
 * SNRM CS-u9n-snrm.hex byte for byte), from the layouts of REFERENCE.md §1.1-1.6 and §2.1. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/conn.h"
#include "dlmscope/frame.h"
#include "test_hex.h"

#define MAX_FRAMES 64
#define WIRE_CAP 65536

typedef struct side {
    ds_conn *c;
    int connected, disconnected, errors, broken;
    char last_code[32], last_message[256];
    uint8_t apdu[4096];     /* the last APDU received */
    size_t apdu_len;
    int apdus;
    const uint8_t *auto_reply; /* answered at once from inside the APDU event */
    size_t auto_reply_len;
    int auto_replies;          /* how many times (0: once) */
    int release_turn;          /* server: gives the turn back after each APDU (ds_conn_release_turn) */
    int frames_out;
} side;

static void on_event(void *user, const ds_conn_event *ev)
{
    side *s = user;
    switch (ev->kind) {
    case DS_CONN_EV_CONNECTED: s->connected++; break;
    case DS_CONN_EV_DISCONNECTED: s->disconnected++; break;
    case DS_CONN_EV_ERROR:
        s->errors++;
        s->broken += ev->broken;
        snprintf(s->last_code, sizeof s->last_code, "%s", ev->code);
        snprintf(s->last_message, sizeof s->last_message, "%s", ev->message);
        break;
    case DS_CONN_EV_APDU:
        ck_assert_uint_le(ev->len, sizeof s->apdu);
        memcpy(s->apdu, ev->data, ev->len);
        s->apdu_len = ev->len;
        s->apdus++;
        for (int i = 0; s->auto_reply && i < (s->auto_replies ? s->auto_replies : 1); i++)
            ck_assert_int_eq(ds_conn_send_apdu(s->c, s->auto_reply, s->auto_reply_len, 0), 0);
        if (s->release_turn) ds_conn_release_turn(s->c, 0);
        break;
    case DS_CONN_EV_FRAME_OUT: s->frames_out++; break;
    case DS_CONN_EV_FRAME_IN: break;
    }
}

/* A fault: given the direction (0 client to server) and the index of the frame in that
 * direction, 0 passes it, 1 drops it, 2 flips a bit of its FCS, 3 holds it back. */
typedef int (*fault_fn)(int dir, int index);

typedef struct pair {
    side cl, sv;
    uint64_t now;
    fault_fn fault;
    int sent[2];                  /* frames so far per direction */
    uint8_t held[2048];           /* one held-back frame, delivered after hold_ms */
    size_t held_len;
    int held_dir;
    uint64_t held_until;
    uint64_t hold_ms;
} pair;

static ds_conn_settings settings(ds_conn_role role, ds_conn_framing framing)
{
    ds_conn_settings s;
    memset(&s, 0, sizeof s);
    s.role = role;
    s.framing = framing;
    s.client_address = 16;
    s.server_logical = 1;
    s.response_timeout_ms = 1000;
    return s;
}

static void pair_init(pair *p, const ds_conn_settings *cs, const ds_conn_settings *ss)
{
    memset(p, 0, sizeof *p);
    p->cl.c = ds_conn_new(cs, on_event, &p->cl);
    p->sv.c = ds_conn_new(ss, on_event, &p->sv);
    ck_assert_ptr_nonnull(p->cl.c);
    ck_assert_ptr_nonnull(p->sv.c);
    p->now = 1000;
}

static void pair_free(pair *p)
{
    ds_conn_free(p->cl.c);
    ds_conn_free(p->sv.c);
}

/* The length of the frame at the start of w: HDLC from its format field, wrapper from its header. */
static size_t frame_len(const uint8_t *w, size_t n)
{
    if (n >= 3 && w[0] == 0x7E) return (size_t)(((w[1] & 0x07) << 8) | w[2]) + 2;
    if (n >= 8 && w[0] == 0x00 && w[1] == 0x01) return 8 + (size_t)(w[6] << 8 | w[7]);
    return n;
}

static void feed(pair *p, int dir, const uint8_t *f, size_t n)
{
    ds_conn *to = dir == 0 ? p->sv.c : p->cl.c;
    /* in two pieces, to show that any split works */
    size_t half = n / 2;
    ds_conn_recv(to, f, half, p->now);
    ds_conn_recv(to, f + half, n - half, p->now);
}

/* Moves what one side queued to the other, frame by frame through the fault. Returns bytes moved. */
static size_t move(pair *p, int dir)
{
    static uint8_t wire[WIRE_CAP];
    ds_conn *from = dir == 0 ? p->cl.c : p->sv.c;
    size_t n = ds_conn_output(from, wire, sizeof wire), pos = 0;
    while (pos < n) {
        size_t len = frame_len(wire + pos, n - pos);
        ck_assert_uint_le(pos + len, n);
        int fault = p->fault ? p->fault(dir, p->sent[dir]) : 0;
        p->sent[dir]++;
        if (fault == 2) wire[pos + len - 2] ^= 0x01;
        if (fault == 4) {
            /* noise that looks like the start of a long frame, before this one */
            static const uint8_t noise[] = {0x7E, 0xA7, 0xFF, 0x03, 0x21};
            feed(p, dir, noise, sizeof noise);
        }
        if (fault == 3) {
            ck_assert_uint_le(len, sizeof p->held);
            memcpy(p->held, wire + pos, len);
            p->held_len = len;
            p->held_dir = dir;
            p->held_until = p->now + p->hold_ms;
        } else if (fault != 1) {
            feed(p, dir, wire + pos, len);
        }
        pos += len;
    }
    return n;
}

/* Runs the wire until both sides are quiet: moves bytes, and when nothing moves, lets the clock
 * jump to the next deadline. Bounded. */
static void run(pair *p)
{
    for (int round = 0; round < 2000; round++) {
        size_t moved = move(p, 0) + move(p, 1);
        if (moved) continue;
        uint64_t next = ds_conn_next_deadline(p->cl.c);
        uint64_t sv = ds_conn_next_deadline(p->sv.c);
        if (sv < next) next = sv;
        if (p->held_len && p->held_until < next) next = p->held_until;
        if (next == UINT64_MAX) return;
        if (next > p->now) p->now = next;
        if (p->held_len && p->now >= p->held_until) {
            size_t len = p->held_len;
            p->held_len = 0;
            feed(p, p->held_dir, p->held, len);
        }
        ds_conn_tick(p->cl.c, p->now);
        ds_conn_tick(p->sv.c, p->now);
    }
    ck_abort_msg("the machines did not settle");
}

static void connect_pair(pair *p)
{
    ck_assert_int_eq(ds_conn_open(p->cl.c, p->now), 0);
    ck_assert_int_eq(ds_conn_open(p->sv.c, p->now), 0);
    run(p);
    ck_assert_int_eq(p->cl.connected, 1);
    ck_assert(ds_conn_is_up(p->cl.c));
}

static void fill(uint8_t *p, size_t n, uint8_t tag)
{
    p[0] = tag;
    for (size_t i = 1; i < n; i++) p[i] = (uint8_t)(i * 7 + (i >> 8));
}

/* One request and its answer; checks both arrived whole, once. */
static void exchange(pair *p, size_t req_len, size_t resp_len)
{
    static uint8_t req[4096], resp[4096];
    fill(req, req_len, 0xC0);
    fill(resp, resp_len, 0xC4);
    int cl_before = p->cl.apdus, sv_before = p->sv.apdus;
    p->sv.auto_reply = resp;
    p->sv.auto_reply_len = resp_len;
    ck_assert_int_eq(ds_conn_send_apdu(p->cl.c, req, req_len, p->now), 0);
    run(p);
    ck_assert_int_eq(p->sv.apdus, sv_before + 1);
    ck_assert_uint_eq(p->sv.apdu_len, req_len);
    ck_assert_mem_eq(p->sv.apdu, req, req_len);
    ck_assert_int_eq(p->cl.apdus, cl_before + 1);
    ck_assert_uint_eq(p->cl.apdu_len, resp_len);
    ck_assert_mem_eq(p->cl.apdu, resp, resp_len);
    ck_assert(!ds_conn_busy(p->cl.c));
    ck_assert(!ds_conn_busy(p->sv.c));
    p->sv.auto_reply = NULL;
}

static void disconnect_pair(pair *p)
{
    ck_assert_int_eq(ds_conn_close(p->cl.c, p->now), 0);
    run(p);
    ck_assert_int_eq(p->cl.disconnected, 1);
    ck_assert(!ds_conn_is_up(p->cl.c));
}

static size_t take(ds_conn *c, uint8_t *buf, size_t cap)
{
    return ds_conn_output(c, buf, cap);
}

static void expect_output(ds_conn *c, const char *hex)
{
    uint8_t want[512], got[512];
    size_t n = test_unhex(hex, want, sizeof want);
    size_t m = take(c, got, sizeof got);
    ck_assert_uint_eq(m, n);
    ck_assert_mem_eq(got, want, n);
}

/* ---- bytes on the wire ---------------------------------------------------------------------- */

START_TEST(test_hdlc_frame_bytes)
{
    ds_conn_settings cs = settings(DS_CONN_CLIENT, DS_CONN_HDLC), ss = settings(DS_CONN_SERVER, DS_CONN_HDLC);
    side cl = {0}, sv = {0};
    cl.c = ds_conn_new(&cs, on_event, &cl);
    sv.c = ds_conn_new(&ss, on_event, &sv);
    uint8_t buf[512];
    ck_assert_int_eq(ds_conn_open(cl.c, 0), 0);
    /* SNRM with 128/128/1/1 (REFERENCE §1.6 layout; max info in one byte, windows in four) */
    const char *snrm = "7EA01E032193CD3B818012050180060180070400000001080400000001533B7E";
    uint8_t f[512];
    size_t n = test_unhex(snrm, f, sizeof f);
    size_t m = take(cl.c, buf, sizeof buf);
    ck_assert_uint_eq(m, n);
    ck_assert_mem_eq(buf, f, n);
    ds_conn_recv(sv.c, buf, m, 0);
    ck_assert_int_eq(sv.connected, 1);
    expect_output(sv.c, "7EA01E210373C37A818012050180060180070400000001080400000001533B7E");
    n = test_unhex("7EA01E210373C37A818012050180060180070400000001080400000001533B7E", f, sizeof f);
    ds_conn_recv(cl.c, f, n, 0);
    ck_assert_int_eq(cl.connected, 1);
    /* the first I-frame: N(S)=0, N(R)=0, P, the command LLC, then the APDU */
    uint8_t get[13];
    test_unhex("C001C1000100002B0100FF0200", get, sizeof get);
    ck_assert_int_eq(ds_conn_send_apdu(cl.c, get, sizeof get, 0), 0);
    ck_assert(ds_conn_busy(cl.c));
    expect_output(cl.c, "7EA0190321107FDAE6E600C001C1000100002B0100FF02007D8F7E");
    ck_assert_int_eq(ds_conn_close(cl.c, 0), 0);
    expect_output(cl.c, "7EA00703215303C77E");
    ds_conn_free(cl.c);
    ds_conn_free(sv.c);
}
END_TEST

START_TEST(test_wrapper_bytes)
{
    pair p;
    ds_conn_settings cs = settings(DS_CONN_CLIENT, DS_CONN_WRAPPER), ss = settings(DS_CONN_SERVER, DS_CONN_WRAPPER);
    pair_init(&p, &cs, &ss);
    ck_assert_int_eq(ds_conn_open(p.cl.c, p.now), 0);
    ck_assert_int_eq(p.cl.connected, 1);
    uint8_t get[13];
    test_unhex("C001C1000100002B0100FF0200", get, sizeof get);
    ck_assert_int_eq(ds_conn_send_apdu(p.cl.c, get, sizeof get, p.now), 0);
    /* version 1, source wPort 16, destination 1, length 13 (REFERENCE §2.1) */
    expect_output(p.cl.c, "0001001000010 00D C001C1000100002B0100FF0200");
    ds_conn_recv(p.sv.c, (const uint8_t *)"\x00\x01\x00\x10\x00\x01\x00\x0D", 8, p.now);
    ds_conn_recv(p.sv.c, get, sizeof get, p.now);
    ck_assert_int_eq(p.sv.connected, 1);
    ck_assert_int_eq(p.sv.apdus, 1);
    ck_assert_uint_eq(ds_conn_peer_address(p.sv.c), 16);
    uint8_t resp[] = {0xC4, 0x01, 0xC1, 0x00, 0x09, 0x02, 0x00, 0x01};
    ck_assert_int_eq(ds_conn_send_apdu(p.sv.c, resp, sizeof resp, p.now), 0);
    expect_output(p.sv.c, "00010001001000 08 C401C10009020001");
    exchange(&p, 1000, 3000);
    pair_free(&p);
}
END_TEST

/* ---- exchanges -------------------------------------------------------------------------------- */

static void hdlc_pair(pair *p, uint16_t info, uint8_t cl_window, uint8_t sv_window)
{
    ds_conn_settings cs = settings(DS_CONN_CLIENT, DS_CONN_HDLC), ss = settings(DS_CONN_SERVER, DS_CONN_HDLC);
    cs.max_info_tx = cs.max_info_rx = info;
    ss.max_info_tx = ss.max_info_rx = info;
    cs.window_tx = cs.window_rx = cl_window;
    ss.window_tx = ss.window_rx = sv_window;
    pair_init(p, &cs, &ss);
}

START_TEST(test_hdlc_short_and_long)
{
    pair p;
    hdlc_pair(&p, 128, 1, 1);
    connect_pair(&p);
    ds_conn_params prm;
    ds_conn_get_params(p.cl.c, &prm);
    ck_assert_uint_eq(prm.max_info_tx, 128);
    ck_assert_uint_eq(prm.window_tx, 1);
    exchange(&p, 13, 20);
    int frames = p.cl.frames_out;
    exchange(&p, 1000, 1000);
    /* 1003 bytes with the LLC in frames of 128: 8 I-frames; the answer's 7 further segments are
     * each polled with RR: 15 frames from the client */
    ck_assert_int_eq(p.cl.frames_out - frames, 15);
    exchange(&p, 2, 4000);
    exchange(&p, 4000, 1);
    disconnect_pair(&p);
    ck_assert_int_eq(p.sv.disconnected, 1);
    ck_assert_int_eq(p.cl.errors + p.sv.errors, 0);
    pair_free(&p);
}
END_TEST

/* Several APDUs given at once (a general block transfer stream) over HDLC, window 1: the link
 * queues them. Server to client: the first goes at once, each further one when the client polls
 * (ds_conn_poll); client to server: each goes when the server gives the turn back at once with RR
 * (ds_conn_release_turn), with no wait for the response timeout (1000 ms). */
START_TEST(test_hdlc_queued_stream)
{
    pair p;
    hdlc_pair(&p, 128, 1, 1);
    connect_pair(&p);
    static uint8_t req[20], block[200];
    fill(req, sizeof req, 0xC0);
    fill(block, sizeof block, 0xE0);
    p.sv.auto_reply = block;
    p.sv.auto_reply_len = sizeof block;
    p.sv.auto_replies = 3;
    ck_assert_int_eq(ds_conn_send_apdu(p.cl.c, req, sizeof req, p.now), 0);
    run(&p);
    ck_assert_int_eq(p.cl.apdus, 1); /* the others wait for a poll */
    p.sv.auto_reply = NULL;
    for (int i = 0; i < 10 && p.cl.apdus < 3; i++) {
        ck_assert_int_eq(ds_conn_poll(p.cl.c, p.now), 0);
        run(&p);
    }
    ck_assert_int_eq(p.cl.apdus, 3);
    ck_assert_mem_eq(p.cl.apdu, block, sizeof block);
    /* the client streams three APDUs given in a row */
    p.sv.release_turn = 1;
    int before = p.sv.apdus;
    uint64_t start = p.now;
    for (int i = 0; i < 3; i++) ck_assert_int_eq(ds_conn_send_apdu(p.cl.c, block, sizeof block, p.now), 0);
    for (int round = 0; round < 100 && move(&p, 0) + move(&p, 1); round++) {
    } /* the bytes move; the clock stands still */
    ck_assert_int_eq(p.sv.apdus, before + 3);
    ck_assert_uint_eq(p.now, start);
    /* the last one's answer, fetched by the client's poll */
    p.sv.release_turn = 0;
    ck_assert_int_eq(ds_conn_send_apdu(p.sv.c, req, sizeof req, p.now), 0);
    int got = p.cl.apdus;
    run(&p);
    ck_assert_int_eq(p.cl.apdus, got + 1);
    ck_assert_int_eq(p.cl.errors + p.sv.errors, 0);
    disconnect_pair(&p);
    pair_free(&p);
}
END_TEST

START_TEST(test_hdlc_window)
{
    pair p;
    hdlc_pair(&p, 128, 3, 7);
    connect_pair(&p);
    ds_conn_params prm;
    ds_conn_get_params(p.cl.c, &prm);
    ck_assert_uint_eq(prm.window_tx, 3);
    ck_assert_uint_eq(prm.window_rx, 3);
    ds_conn_get_params(p.sv.c, &prm);
    ck_assert_uint_eq(prm.window_tx, 3);
    int frames = p.cl.frames_out;
    exchange(&p, 1000, 1000);
    /* 8 I-frames out; the 8-frame answer comes in bursts of 3: RR after the first two bursts */
    ck_assert_int_eq(p.cl.frames_out - frames, 10);
    exchange(&p, 13, 20);
    disconnect_pair(&p);
    ck_assert_int_eq(p.cl.errors + p.sv.errors, 0);
    pair_free(&p);

    /* a server that offers window 1 keeps a client that asks for 7 at 1 */
    hdlc_pair(&p, 128, 7, 1);
    connect_pair(&p);
    ds_conn_get_params(p.cl.c, &prm);
    ck_assert_uint_eq(prm.window_tx, 1);
    exchange(&p, 1000, 1000);
    pair_free(&p);
}
END_TEST

START_TEST(test_hdlc_negotiated_info)
{
    pair p;
    ds_conn_settings cs = settings(DS_CONN_CLIENT, DS_CONN_HDLC), ss = settings(DS_CONN_SERVER, DS_CONN_HDLC);
    cs.max_info_tx = cs.max_info_rx = 512;
    ss.max_info_tx = 64;
    ss.max_info_rx = 256;
    pair_init(&p, &cs, &ss);
    connect_pair(&p);
    ds_conn_params prm;
    ds_conn_get_params(p.cl.c, &prm);
    ck_assert_uint_eq(prm.max_info_tx, 256);
    ck_assert_uint_eq(prm.max_info_rx, 64);
    exchange(&p, 1500, 1500);
    pair_free(&p);
}
END_TEST

/* ---- faults --------------------------------------------------------------------------------- */

static int fault_dir, fault_index, fault_kind, fault_fired;
static int one_fault(int dir, int index)
{
    if (dir != fault_dir || index != fault_index) return 0;
    fault_fired = 1;
    return fault_kind;
}

static void faulty_exchange(int dir, int index, int kind, uint8_t window, size_t req, size_t resp)
{
    pair p;
    hdlc_pair(&p, 128, window, window);
    p.hold_ms = 2500;
    connect_pair(&p);
    fault_dir = dir;
    fault_index = p.sent[dir] + index;
    fault_kind = kind;
    fault_fired = 0;
    p.fault = one_fault;
    exchange(&p, req, resp);
    p.fault = NULL;
    if (kind == 2 && fault_fired) ck_assert_str_eq(dir == 0 ? p.sv.last_code : p.cl.last_code, "link.fcs");
    ck_assert_int_eq(p.cl.broken + p.sv.broken, 0);
    exchange(&p, 13, 20); /* and the link goes on */
    disconnect_pair(&p);
    pair_free(&p);
}

START_TEST(test_fault_dropped)
{
    /* every frame of a segmented exchange, in each direction, dropped once */
    for (int dir = 0; dir < 2; dir++)
        for (int i = 0; i < 16; i++) {
            faulty_exchange(dir, i, 1, 1, 1000, 1000);
            faulty_exchange(dir, i, 1, 3, 1000, 1000);
        }
    faulty_exchange(0, 0, 1, 1, 13, 20);
    faulty_exchange(1, 0, 1, 1, 13, 20);
}
END_TEST

START_TEST(test_fault_fcs)
{
    for (int dir = 0; dir < 2; dir++)
        for (int i = 0; i < 9; i++) faulty_exchange(dir, i, 2, 1, 600, 600); /* 5 I + 4 RR each way */
    faulty_exchange(0, 0, 2, 1, 13, 20);
    faulty_exchange(1, 0, 2, 3, 13, 1000);
}
END_TEST

START_TEST(test_fault_delayed)
{
    /* an answer held back past the response timeout: the client sends again, the late frame and
     * the repeated one both arrive, and each APDU is still delivered once */
    for (int dir = 0; dir < 2; dir++)
        for (int i = 0; i < 10; i++) faulty_exchange(dir, i, 3, 1, 600, 600);
    faulty_exchange(1, 0, 3, 1, 13, 20);
    faulty_exchange(1, 0, 3, 2, 13, 700);
}
END_TEST

START_TEST(test_fault_noise)
{
    /* a false frame start swallows what follows until the reader gives it up */
    for (int dir = 0; dir < 2; dir++)
        for (int i = 0; i < 4; i++) faulty_exchange(dir, i, 4, 1, 300, 300);
}
END_TEST

START_TEST(test_fault_link_reset)
{
    pair p;
    hdlc_pair(&p, 128, 1, 1);
    connect_pair(&p);
    exchange(&p, 13, 20);
    /* the server forgets the link (restarted): the next I-frame gets DM */
    ds_conn_free(p.sv.c);
    ds_conn_settings ss = settings(DS_CONN_SERVER, DS_CONN_HDLC);
    memset(&p.sv, 0, sizeof p.sv);
    p.sv.c = ds_conn_new(&ss, on_event, &p.sv);
    uint8_t get[13];
    fill(get, sizeof get, 0xC0);
    ck_assert_int_eq(ds_conn_send_apdu(p.cl.c, get, sizeof get, p.now), 0);
    run(&p);
    ck_assert_int_eq(p.cl.broken, 1);
    ck_assert_str_eq(p.cl.last_code, "link.dm");
    ck_assert_ptr_nonnull(strstr(p.cl.last_message, "get-request"));
    ck_assert(!ds_conn_is_up(p.cl.c));
    ck_assert_int_eq(ds_conn_send_apdu(p.cl.c, get, sizeof get, p.now), -1);
    ck_assert_int_eq(ds_conn_recv(p.cl.c, get, 1, p.now), -1);
    /* a new SNRM starts over */
    ck_assert_int_eq(ds_conn_open(p.cl.c, p.now), 0);
    run(&p);
    ck_assert(ds_conn_is_up(p.cl.c));
    exchange(&p, 13, 20);
    pair_free(&p);
}
END_TEST

static int drop_server(int dir, int index)
{
    (void)index;
    return dir == 1;
}

START_TEST(test_fault_retries_exhausted)
{
    pair p;
    hdlc_pair(&p, 128, 1, 1);
    connect_pair(&p);
    p.fault = drop_server;
    uint64_t start = p.now;
    int frames = p.cl.frames_out;
    uint8_t req[300];
    fill(req, sizeof req, 0xC0);
    ck_assert_int_eq(ds_conn_send_apdu(p.cl.c, req, sizeof req, p.now), 0);
    run(&p);
    ck_assert_int_eq(p.cl.broken, 1);
    ck_assert_str_eq(p.cl.last_code, "link.timeout");
    /* the first segment, sent once and 3 times again, 1000 ms apart */
    ck_assert_int_eq(p.cl.frames_out - frames, 4);
    ck_assert_uint_eq(p.now - start, 4000);
    ck_assert_ptr_nonnull(strstr(p.cl.last_message, "N(S)=0"));
    ck_assert_ptr_nonnull(strstr(p.cl.last_message, "300-byte get-request"));
    ck_assert_uint_eq(ds_conn_next_deadline(p.cl.c), UINT64_MAX);
    pair_free(&p);

    /* no UA at all */
    hdlc_pair(&p, 128, 1, 1);
    p.fault = drop_server;
    ds_conn_open(p.cl.c, p.now);
    run(&p);
    ck_assert_str_eq(p.cl.last_code, "link.timeout");
    ck_assert_ptr_nonnull(strstr(p.cl.last_message, "SNRM"));
    pair_free(&p);

    /* wrapper: the answer never comes */
    ds_conn_settings cs = settings(DS_CONN_CLIENT, DS_CONN_WRAPPER), ss = settings(DS_CONN_SERVER, DS_CONN_WRAPPER);
    pair_init(&p, &cs, &ss);
    p.fault = drop_server;
    ds_conn_open(p.cl.c, p.now);
    ds_conn_send_apdu(p.cl.c, req, 13, p.now);
    p.sv.auto_reply = req;
    p.sv.auto_reply_len = 5;
    run(&p);
    ck_assert_str_eq(p.cl.last_code, "link.timeout");
    ck_assert_int_eq(p.cl.broken, 1);
    pair_free(&p);
}
END_TEST

static int drop_first_answer(int dir, int index)
{
    (void)index;
    if (dir != 1 || fault_fired) return 0;
    fault_fired = 1;
    return 1;
}

/* A step that gives up after 2 s: its link's retries fit inside it, so a dropped answer is
 * recovered before the step's time is up (with min(2 s, 3 s) the first retry would have gone
 * out exactly when the step gave up). */
START_TEST(test_retry_interval_fits_the_step)
{
    ck_assert_uint_eq(ds_conn_retry_interval(2000, 0), 500);  /* 4 sends: 0, 500, 1000, 1500 */
    ck_assert_uint_eq(ds_conn_retry_interval(2000, 1), 1000);
    ck_assert_uint_eq(ds_conn_retry_interval(5000, 0), 1250);
    ck_assert_uint_eq(ds_conn_retry_interval(60000, 0), 3000); /* the default at most */
    ck_assert_uint_eq(ds_conn_retry_interval(300, 0), DS_CONN_MIN_RETRY_INTERVAL_MS);
    ck_assert_uint_eq(ds_conn_retry_interval(0, 0), DS_CONN_MIN_RETRY_INTERVAL_MS);

    for (int dir = 0; dir < 2; dir++) {
        pair p;
        ds_conn_settings cs = settings(DS_CONN_CLIENT, DS_CONN_HDLC), ss = settings(DS_CONN_SERVER, DS_CONN_HDLC);
        cs.response_timeout_ms = ds_conn_retry_interval(2000, 0);
        pair_init(&p, &cs, &ss);
        connect_pair(&p);
        fault_fired = 0;
        fault_dir = dir;
        fault_index = p.sent[dir];
        fault_kind = 1;
        p.fault = dir == 1 ? drop_first_answer : one_fault; /* the answer, or the request, lost once */
        uint64_t start = p.now;
        exchange(&p, 13, 20);
        ck_assert(fault_fired);
        ck_assert_uint_eq(p.now - start, 500); /* recovered by the first retry */
        ck_assert_uint_lt(p.now - start, 2000);
        ck_assert_int_eq(p.cl.broken, 0);
        p.fault = NULL;
        exchange(&p, 13, 20);
        pair_free(&p);
    }
}
END_TEST

START_TEST(test_frmr_and_garbage)
{
    pair p;
    hdlc_pair(&p, 128, 1, 1);
    connect_pair(&p);
    /* garbage and frames for another client before the answer are skipped */
    uint8_t junk[] = {0x00, 0x13, 0x7E, 0x7E, 0x55};
    ds_conn_recv(p.cl.c, junk, sizeof junk, p.now);
    uint8_t other[64];
    /* UA for client 17 (0x23) from server 1 */
    size_t n = test_unhex("7EA007230373B9F57E", other, sizeof other);
    ds_conn_recv(p.cl.c, other, n, p.now);
    ck_assert_int_eq(p.cl.errors, 0);
    exchange(&p, 13, 20);
    /* FRMR: 7E A0 07 21 03 97 FCS 7E */
    n = test_unhex("7EA0072103972BE17E", other, sizeof other);
    uint8_t get[13];
    fill(get, sizeof get, 0xC0);
    ds_conn_send_apdu(p.cl.c, get, sizeof get, p.now);
    ds_conn_recv(p.cl.c, other, n, p.now);
    ck_assert_str_eq(p.cl.last_code, "link.frmr");
    ck_assert_int_eq(p.cl.broken, 1);
    pair_free(&p);
}
END_TEST

START_TEST(test_max_apdu)
{
    pair p;
    ds_conn_settings cs = settings(DS_CONN_CLIENT, DS_CONN_HDLC), ss = settings(DS_CONN_SERVER, DS_CONN_HDLC);
    cs.max_apdu = 500;
    pair_init(&p, &cs, &ss);
    connect_pair(&p);
    uint8_t big[1000];
    fill(big, sizeof big, 0xC0);
    ck_assert_int_eq(ds_conn_send_apdu(p.cl.c, big, 501, p.now), -1);
    p.sv.auto_reply = big;
    p.sv.auto_reply_len = 800;
    ck_assert_int_eq(ds_conn_send_apdu(p.cl.c, big, 20, p.now), 0);
    run(&p);
    ck_assert_str_eq(p.cl.last_code, "link.too_long");
    ck_assert_int_eq(p.cl.apdus, 0);
    pair_free(&p);
}
END_TEST

START_TEST(test_hdlc_server_bytes)
{
    /* the server's answers, frame by frame (REFERENCE §10.1) */
    ds_conn_settings ss = settings(DS_CONN_SERVER, DS_CONN_HDLC);
    side sv = {0};
    sv.c = ds_conn_new(&ss, on_event, &sv);
    uint8_t f[512];
    size_t n;
    /* not connected: DISC and an I-frame get DM */
    n = test_unhex("7EA00703215303C77E", f, sizeof f);
    ds_conn_recv(sv.c, f, n, 0);
    expect_output(sv.c, "7EA00721031F6BE97E");
    n = test_unhex("7EA0190321107FDAE6E600C001C1000100002B0100FF02007D8F7E", f, sizeof f);
    ds_conn_recv(sv.c, f, n, 0);
    expect_output(sv.c, "7EA00721031F6BE97E");
    ck_assert_int_eq(sv.apdus, 0);
    /* an SNRM for server 2 is not for us; none from client 17 either when client 16 is set */
    n = test_unhex("7EA007052193D6D77E", f, sizeof f);
    ds_conn_recv(sv.c, f, n, 0);
    n = test_unhex("7EA007032393BF327E", f, sizeof f);
    ds_conn_recv(sv.c, f, n, 0);
    ck_assert_uint_eq(ds_conn_pending_output(sv.c), 0);
    ck_assert_int_eq(sv.connected, 0);
    /* an SNRM without parameters: UA with the defaults */
    n = test_unhex("7EA0070321930F017E", f, sizeof f);
    ds_conn_recv(sv.c, f, n, 0);
    ck_assert_int_eq(sv.connected, 1);
    expect_output(sv.c, "7EA01E210373C37A818012050180060180070400000001080400000001533B7E");
    /* an RR poll with nothing to send: RR with N(R)=0 */
    n = test_unhex("7EA00703211115A67E", f, sizeof f);
    ds_conn_recv(sv.c, f, n, 0);
    expect_output(sv.c, "7EA00721031115007E");
    /* a GET; answered later, outside the callback: I-frame N(S)=0 N(R)=1 F, response LLC */
    n = test_unhex("7EA0190321107FDAE6E600C001C1000100002B0100FF02007D8F7E", f, sizeof f);
    ds_conn_recv(sv.c, f, n, 0);
    ck_assert_int_eq(sv.apdus, 1);
    ck_assert_uint_eq(sv.apdu_len, 13);
    ck_assert_uint_eq(ds_conn_pending_output(sv.c), 0);
    uint8_t resp[18];
    test_unhex("C401C1000906083132333435363738", resp, sizeof resp);
    ck_assert_int_eq(ds_conn_send_apdu(sv.c, resp, 15, 0), 0);
    expect_output(sv.c, "7EA01B2103300B64E6E700C401C10009060831323334353637387CE97E");
    ck_assert_uint_eq(ds_conn_peer_address(sv.c), 16);
    /* DISC: UA, and the link is down */
    n = test_unhex("7EA00703215303C77E", f, sizeof f);
    ds_conn_recv(sv.c, f, n, 0);
    expect_output(sv.c, "7EA00721037301407E");
    ck_assert_int_eq(sv.disconnected, 1);
    ck_assert(!ds_conn_is_up(sv.c));
    ds_conn_free(sv.c);
}
END_TEST

START_TEST(test_hdlc_rnr)
{
    /* the server says RNR (receiver not ready) to the first segment: the client holds the next
     * one, polls with RR after the response timeout, and goes on once RR comes */
    ds_conn_settings cs = settings(DS_CONN_CLIENT, DS_CONN_HDLC);
    side cl = {0};
    cl.c = ds_conn_new(&cs, on_event, &cl);
    uint8_t f[512], out[512], apdu[300];
    ds_conn_open(cl.c, 0);
    ds_conn_output(cl.c, out, sizeof out);
    size_t n = test_unhex("7EA01E210373C37A818012050180060180070400000001080400000001533B7E", f, sizeof f);
    ds_conn_recv(cl.c, f, n, 0);
    fill(apdu, sizeof apdu, 0xC1);
    ck_assert_int_eq(ds_conn_send_apdu(cl.c, apdu, sizeof apdu, 0), 0);
    size_t m = ds_conn_output(cl.c, out, sizeof out);
    ck_assert_uint_eq(m, 128 + 11);
    ck_assert_uint_eq(out[1], 0xA8); /* S=1 */
    ck_assert_uint_eq(out[5], 0x10); /* N(S)=0 N(R)=0 P */
    n = test_unhex("7EA00721033533677E", f, sizeof f); /* RNR N(R)=1 F */
    ds_conn_recv(cl.c, f, n, 10);
    ck_assert_uint_eq(ds_conn_pending_output(cl.c), 0);
    ck_assert_uint_eq(ds_conn_next_deadline(cl.c), 1010);
    ds_conn_tick(cl.c, 1010);
    expect_output(cl.c, "7EA00703211115A67E"); /* RR N(R)=0 P */
    n = test_unhex("7EA00721033117217E", f, sizeof f); /* RR N(R)=1 F */
    ds_conn_recv(cl.c, f, n, 1020);
    m = ds_conn_output(cl.c, out, sizeof out);
    ck_assert_uint_eq(m, 128 + 11);
    ck_assert_uint_eq(out[1], 0xA8);
    ck_assert_uint_eq(out[5], 0x12); /* N(S)=1 N(R)=0 P */
    ck_assert_int_eq(cl.errors, 0);
    ds_conn_free(cl.c);
}
END_TEST

/* ---- corpus frames -------------------------------------------------------------------------- */

typedef struct decoded {
    int frames, bad;
    ds_hdlc_type type;
    ds_hdlc_params params;
} decoded;

static void count_frame(void *user, const ds_frame *f)
{
    decoded *d = user;
    d->frames++;
    if (!f->checks_ok) d->bad++;
    d->type = f->u.hdlc.type;
    d->params = f->u.hdlc.params;
}

static void count_diag(void *user, const ds_diag *diag)
{
    decoded *d = user;
    (void)diag;
    d->bad++;
}

START_TEST(test_corpus_server_answers_snrm)
{
    /* CS-u9n-snrm.hex: a real client (16) calls server 1 / physical 17 with an SNRM without
     * parameters; the machine answers UA with the defaults, which the library's reader takes */
    ds_conn_settings ss = settings(DS_CONN_SERVER, DS_CONN_HDLC);
    ss.server_physical = 17;
    side sv = {0};
    sv.c = ds_conn_new(&ss, on_event, &sv);
    uint8_t f[512], out[512];
    size_t n = test_unhex("7EA00802232193BD647E", f, sizeof f);
    ds_conn_recv(sv.c, f, n, 0);
    ck_assert_int_eq(sv.connected, 1);
    size_t m = ds_conn_output(sv.c, out, sizeof out);
    decoded d = {0};
    ds_framer *fr = ds_framer_new(DS_LINK_HDLC, count_frame, count_diag, &d);
    ds_framer_feed(fr, out, m, 0, NULL);
    ds_framer_flush(fr);
    ds_framer_free(fr);
    ck_assert_int_eq(d.frames, 1);
    ck_assert_int_eq(d.bad, 0);
    ck_assert_int_eq(d.type, DS_HDLC_UA);
    ck_assert_uint_eq(d.params.max_info_tx, 128);
    ck_assert_uint_eq(d.params.window_rx, 1);
    /* addressed back in the 2-byte form the client used: 21 02 23 */
    ck_assert_uint_eq(out[3], 0x21);
    ck_assert_uint_eq(out[4], 0x02);
    ck_assert_uint_eq(out[5], 0x23);
    /* then the AARQ of the same client (CS-u9n-aarq-iframe.hex) is delivered without its LLC */
    n = test_unhex("7EA02C02232110AF9FE6E600601DA109060760857405080101BE10040E01000000065F1F0400001E1DFFFFC5E47E", f,
                   sizeof f);
    ds_conn_recv(sv.c, f, n, 0);
    ck_assert_int_eq(sv.apdus, 1);
    ck_assert_uint_eq(sv.apdu_len, 0x1F);
    ck_assert_uint_eq(sv.apdu[0], 0x60);
    ds_conn_free(sv.c);
}
END_TEST

START_TEST(test_corpus_client_takes_ua_and_iframe)
{
    /* client 16 to server 1/17; the real meter's UA (CS-u9n-ua.hex, 154/154/1/1) and its AARE
     * (CS-u9n-aare-iframe.hex, N(S)=0 N(R)=1 F) */
    ds_conn_settings cs = settings(DS_CONN_CLIENT, DS_CONN_HDLC);
    cs.server_physical = 17;
    cs.max_info_tx = cs.max_info_rx = 512;
    side cl = {0};
    cl.c = ds_conn_new(&cs, on_event, &cl);
    uint8_t f[512], out[512];
    ds_conn_open(cl.c, 0);
    size_t m = ds_conn_output(cl.c, out, sizeof out);
    ck_assert_uint_eq(out[3], 0x02); /* 2-byte server address 02 23 */
    ck_assert_uint_eq(out[4], 0x23);
    ck_assert_uint_eq(out[5], 0x21);
    ck_assert_uint_eq(out[6], 0x93);
    (void)m;
    size_t n = test_unhex("7EA01F21022373E6C781801205019A06019A070400000001080400000001CCA27E", f, sizeof f);
    ds_conn_recv(cl.c, f, n, 0);
    ck_assert_int_eq(cl.connected, 1);
    ds_conn_params prm;
    ds_conn_get_params(cl.c, &prm);
    ck_assert_uint_eq(prm.max_info_tx, 154);
    ck_assert_uint_eq(prm.max_info_rx, 154);
    uint8_t aarq[0x1F];
    n = test_unhex("601DA109060760857405080101BE10040E01000000065F1F0400001E1DFFFF", aarq, sizeof aarq);
    ck_assert_int_eq(ds_conn_send_apdu(cl.c, aarq, n, 0), 0);
    /* the very frame of CS-u9n-aarq-iframe.hex */
    m = ds_conn_output(cl.c, out, sizeof out);
    n = test_unhex("7EA02C02232110AF9FE6E600601DA109060760857405080101BE10040E01000000065F1F0400001E1DFFFFC5E47E", f,
                   sizeof f);
    ck_assert_uint_eq(m, n);
    ck_assert_mem_eq(out, f, n);
    n = test_unhex("7EA0382102233034E7E6E7006129A109060760857405080101A203020100A305A103020100BE10040E0800065F1F04000"
                   "01E1D04C80007B86A7E",
                   f, sizeof f);
    ds_conn_recv(cl.c, f, n, 0);
    ck_assert_int_eq(cl.apdus, 1);
    ck_assert_uint_eq(cl.apdu[0], 0x61);
    ck_assert_uint_eq(cl.apdu_len, 0x2B);
    ck_assert(!ds_conn_busy(cl.c));
    ck_assert_int_eq(cl.errors, 0);
    ds_conn_free(cl.c);
}
END_TEST

static Suite *conn_suite(void)
{
    Suite *s = suite_create("conn");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_hdlc_frame_bytes);
    tcase_add_test(tc, test_wrapper_bytes);
    tcase_add_test(tc, test_hdlc_short_and_long);
    tcase_add_test(tc, test_hdlc_window);
    tcase_add_test(tc, test_hdlc_queued_stream);
    tcase_add_test(tc, test_hdlc_negotiated_info);
    tcase_add_test(tc, test_fault_dropped);
    tcase_add_test(tc, test_fault_fcs);
    tcase_add_test(tc, test_fault_delayed);
    tcase_add_test(tc, test_fault_noise);
    tcase_add_test(tc, test_fault_link_reset);
    tcase_add_test(tc, test_fault_retries_exhausted);
    tcase_add_test(tc, test_retry_interval_fits_the_step);
    tcase_add_test(tc, test_frmr_and_garbage);
    tcase_add_test(tc, test_max_apdu);
    tcase_add_test(tc, test_hdlc_server_bytes);
    tcase_add_test(tc, test_hdlc_rnr);
    tcase_add_test(tc, test_corpus_server_answers_snrm);
    tcase_add_test(tc, test_corpus_client_takes_ua_and_iframe);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(conn_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
