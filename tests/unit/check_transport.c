/* Transports (transport.h) on loopback and pseudo-terminals only: two link machines talking
 * through real descriptors (TCP, UDP, a pty reached through its symlink), addresses in text,
 * and the end of a link when the peer goes away. Every wait is bounded. */
#define _DEFAULT_SOURCE
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dlmscope/transport.h"

#define TEST_BUDGET_MS 10000u

typedef struct side {
    ds_conn *c;
    int connected, apdus, errors, broken;
    char last_code[32];
    size_t apdu_len;
    uint8_t apdu[4096];
    const uint8_t *auto_reply;
    size_t auto_reply_len;
} side;

static void on_event(void *user, const ds_conn_event *ev)
{
    side *s = user;
    switch (ev->kind) {
    case DS_CONN_EV_CONNECTED: s->connected++; break;
    case DS_CONN_EV_APDU:
        s->apdus++;
        s->apdu_len = ev->len;
        if (ev->len <= sizeof s->apdu) memcpy(s->apdu, ev->data, ev->len);
        if (s->auto_reply) ds_conn_send_apdu(s->c, s->auto_reply, s->auto_reply_len, ds_clock_ms());
        break;
    case DS_CONN_EV_ERROR:
        s->errors++;
        s->broken += ev->broken;
        snprintf(s->last_code, sizeof s->last_code, "%s", ev->code);
        break;
    default: break;
    }
}

static ds_conn_settings settings(ds_conn_role role, ds_conn_framing framing)
{
    ds_conn_settings s;
    memset(&s, 0, sizeof s);
    s.role = role;
    s.framing = framing;
    s.client_address = 16;
    s.server_logical = 1;
    s.response_timeout_ms = 500;
    return s;
}

/* Pumps both sides in turn, a few milliseconds each, until done() or the budget runs out. */
static int pump_until(side *a, int fa, side *b, int fb, int (*done)(side *, side *))
{
    uint64_t end = ds_clock_ms() + TEST_BUDGET_MS;
    while (!done(a, b)) {
        if (ds_clock_ms() > end) return -1;
        ds_conn_pump(a->c, fa, ds_clock_ms() + 5);
        ds_conn_pump(b->c, fb, ds_clock_ms() + 5);
    }
    return 0;
}

static int both_connected(side *a, side *b) { return a->connected && b->connected; }
static int client_answered(side *a, side *b) { (void)b; return a->apdus > 0; }

static void fill(uint8_t *p, size_t n, uint8_t tag)
{
    p[0] = tag;
    for (size_t i = 1; i < n; i++) p[i] = (uint8_t)(i * 13 + 5);
}

/* Connects, sends a req_len request, gets a resp_len answer, checks both. */
static void talk(side *cl, int fc, side *sv, int fs, ds_conn_framing framing, size_t req_len, size_t resp_len)
{
    static uint8_t req[4096], resp[4096];
    fill(req, req_len, 0xC0);
    fill(resp, resp_len, 0xC4);
    sv->auto_reply = resp;
    sv->auto_reply_len = resp_len;
    ck_assert_int_eq(ds_conn_open(cl->c, ds_clock_ms()), 0);
    if (framing == DS_CONN_HDLC) ck_assert_int_eq(pump_until(cl, fc, sv, fs, both_connected), 0);
    ck_assert_int_eq(ds_conn_send_apdu(cl->c, req, req_len, ds_clock_ms()), 0);
    ck_assert_int_eq(pump_until(cl, fc, sv, fs, client_answered), 0);
    ck_assert_uint_eq(sv->apdu_len, req_len);
    ck_assert_mem_eq(sv->apdu, req, req_len);
    ck_assert_uint_eq(cl->apdu_len, resp_len);
    ck_assert_mem_eq(cl->apdu, resp, resp_len);
    ck_assert_int_eq(cl->errors + sv->errors, 0);
}

static void new_pair(side *cl, side *sv, ds_conn_framing framing)
{
    memset(cl, 0, sizeof *cl);
    memset(sv, 0, sizeof *sv);
    ds_conn_settings cs = settings(DS_CONN_CLIENT, framing), ss = settings(DS_CONN_SERVER, framing);
    cl->c = ds_conn_new(&cs, on_event, cl);
    sv->c = ds_conn_new(&ss, on_event, sv);
    ck_assert_ptr_nonnull(cl->c);
    ck_assert_ptr_nonnull(sv->c);
}

START_TEST(test_host_port)
{
    char host[DS_HOST_TEXT], err[256];
    uint16_t port = 0;
    ck_assert_int_eq(ds_host_port_parse("127.0.0.1:4059", 0, 1, host, sizeof host, &port, err, sizeof err), 0);
    ck_assert_str_eq(host, "127.0.0.1");
    ck_assert_uint_eq(port, 4059);
    ck_assert_int_eq(ds_host_port_parse("[::1]:10", 0, 1, host, sizeof host, &port, err, sizeof err), 0);
    ck_assert_str_eq(host, "::1");
    ck_assert_uint_eq(port, 10);
    ck_assert_int_eq(ds_host_port_parse("[fe80::1]", 0, 4059, host, sizeof host, &port, err, sizeof err), 0);
    ck_assert_str_eq(host, "fe80::1");
    ck_assert_uint_eq(port, 4059);
    ck_assert_int_eq(ds_host_port_parse("meter.local", 0, 4059, host, sizeof host, &port, err, sizeof err), 0);
    ck_assert_str_eq(host, "meter.local");
    ck_assert_uint_eq(port, 4059);
    ck_assert_int_eq(ds_host_port_parse("4061", 1, 4059, host, sizeof host, &port, err, sizeof err), 0);
    ck_assert_str_eq(host, "");
    ck_assert_uint_eq(port, 4061);
    ck_assert_int_eq(ds_host_port_parse("::1", 0, 4059, host, sizeof host, &port, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "brackets"));
    ck_assert_int_eq(ds_host_port_parse("host:65536", 0, 4059, host, sizeof host, &port, err, sizeof err), -1);
    ck_assert_int_eq(ds_host_port_parse("host:", 0, 4059, host, sizeof host, &port, err, sizeof err), -1);
    ck_assert_int_eq(ds_host_port_parse("[::1", 0, 4059, host, sizeof host, &port, err, sizeof err), -1);
    ck_assert_int_eq(ds_host_port_parse(":80", 0, 4059, host, sizeof host, &port, err, sizeof err), -1);
}
END_TEST

static void tcp_pair(const char *listen_host, const char *connect_host, ds_conn_framing framing, size_t req, size_t resp)
{
    char err[256] = "", addr[128], peer[128];
    uint16_t port = 0;
    int lfd = ds_tcp_listen(listen_host, 0, &port, err, sizeof err);
    if (lfd < 0 && strcmp(listen_host, "::1") == 0) return; /* no IPv6 here */
    ck_assert_msg(lfd >= 0, "%s", err);
    ck_assert_uint_ne(port, 0);
    snprintf(addr, sizeof addr, "%s:%u", connect_host, (unsigned)port);
    int fc = ds_tcp_connect(addr, 2000, err, sizeof err);
    ck_assert_msg(fc >= 0, "%s", err);
    int fs = ds_tcp_accept(lfd, 2000, peer, sizeof peer, err, sizeof err);
    ck_assert_msg(fs >= 0, "%s", err);
    side cl, sv;
    new_pair(&cl, &sv, framing);
    talk(&cl, fc, &sv, fs, framing, req, resp);
    /* the client goes away: the server's pump reports the link closed */
    close(fc);
    ck_assert_int_eq(ds_conn_pump(sv.c, fs, ds_clock_ms() + 2000), DS_PUMP_CLOSED);
    ck_assert_str_eq(sv.last_code, "link.closed");
    close(fs);
    close(lfd);
    ds_conn_free(cl.c);
    ds_conn_free(sv.c);
}

START_TEST(test_tcp)
{
    tcp_pair("127.0.0.1", "127.0.0.1", DS_CONN_HDLC, 1000, 3000);
    tcp_pair("127.0.0.1", "localhost", DS_CONN_WRAPPER, 13, 3000);
    tcp_pair("::1", "[::1]", DS_CONN_WRAPPER, 13, 300);
}
END_TEST

START_TEST(test_tcp_refused_and_timeout)
{
    char err[256];
    uint16_t port = 0;
    /* a port that was free a moment ago: nothing listens there */
    int lfd = ds_tcp_listen("127.0.0.1", 0, &port, err, sizeof err);
    ck_assert_int_ge(lfd, 0);
    close(lfd);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", (unsigned)port);
    ck_assert_int_eq(ds_tcp_connect(addr, 1000, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, addr));
    /* accept without a caller ends with the timeout */
    lfd = ds_tcp_listen("127.0.0.1", 0, &port, err, sizeof err);
    uint64_t t0 = ds_clock_ms();
    ck_assert_int_eq(ds_tcp_accept(lfd, 50, NULL, 0, err, sizeof err), -2);
    ck_assert_uint_lt(ds_clock_ms() - t0, 2000);
    close(lfd);
}
END_TEST

START_TEST(test_pump_timeout_and_broken_link)
{
    /* a server that never answers: the client's pump returns at its deadlines, and the link
     * machine breaks after its retries, within response_timeout x (retries + 1) */
    char err[256], addr[64];
    uint16_t port = 0;
    int lfd = ds_tcp_listen("127.0.0.1", 0, &port, err, sizeof err);
    snprintf(addr, sizeof addr, "127.0.0.1:%u", (unsigned)port);
    int fc = ds_tcp_connect(addr, 1000, err, sizeof err);
    int fs = ds_tcp_accept(lfd, 1000, NULL, 0, err, sizeof err);
    ck_assert_int_ge(fs, 0);
    side cl;
    memset(&cl, 0, sizeof cl);
    ds_conn_settings cs = settings(DS_CONN_CLIENT, DS_CONN_HDLC);
    cs.response_timeout_ms = 100;
    cs.max_retries = 2;
    cl.c = ds_conn_new(&cs, on_event, &cl);
    uint64_t t0 = ds_clock_ms();
    ds_conn_open(cl.c, t0);
    ck_assert_int_eq(ds_conn_pump(cl.c, fc, t0 + 20), DS_PUMP_TIMEOUT);
    int rc = DS_PUMP_TIMEOUT;
    while (rc == DS_PUMP_TIMEOUT && ds_clock_ms() < t0 + 3000) rc = ds_conn_pump(cl.c, fc, ds_clock_ms() + 1000);
    ck_assert_int_eq(rc, DS_PUMP_EVENT);
    ck_assert_str_eq(cl.last_code, "link.timeout");
    uint64_t took = ds_clock_ms() - t0;
    ck_assert_uint_ge(took, 300);
    ck_assert_uint_lt(took, 2000);
    /* the server side saw three SNRMs */
    uint8_t buf[256];
    ssize_t n = read(fs, buf, sizeof buf);
    ck_assert_int_eq(n, 3 * 32);
    ds_conn_free(cl.c);
    close(fc);
    close(fs);
    close(lfd);
}
END_TEST

START_TEST(test_serve_ready)
{
    /* a server loop of its own: poll(), then ds_conn_serve_ready on the readable descriptor */
    char err[256], addr[64];
    uint16_t port = 0;
    int lfd = ds_tcp_listen("127.0.0.1", 0, &port, err, sizeof err);
    snprintf(addr, sizeof addr, "127.0.0.1:%u", (unsigned)port);
    int fc = ds_tcp_connect(addr, 1000, err, sizeof err);
    int fs = ds_tcp_accept(lfd, 1000, NULL, 0, err, sizeof err);
    ck_assert_int_ge(fs, 0);
    side cl, sv;
    new_pair(&cl, &sv, DS_CONN_HDLC);
    uint8_t req[700], resp[900];
    fill(req, sizeof req, 0xC0);
    fill(resp, sizeof resp, 0xC4);
    sv.auto_reply = resp;
    sv.auto_reply_len = sizeof resp;
    ds_conn_open(cl.c, ds_clock_ms());
    uint64_t end = ds_clock_ms() + TEST_BUDGET_MS;
    int sent = 0;
    while (cl.apdus == 0 && ds_clock_ms() < end) {
        ds_conn_pump(cl.c, fc, ds_clock_ms() + 2);
        if (cl.connected && !sent) sent = ds_conn_send_apdu(cl.c, req, sizeof req, ds_clock_ms()) == 0;
        struct pollfd pfd = {.fd = fs, .events = POLLIN};
        if (poll(&pfd, 1, 2) > 0) ck_assert_int_ne(ds_conn_serve_ready(sv.c, fs), DS_PUMP_CLOSED);
    }
    ck_assert_uint_eq(sv.apdu_len, sizeof req);
    ck_assert_uint_eq(cl.apdu_len, sizeof resp);
    ck_assert_mem_eq(cl.apdu, resp, sizeof resp);
    close(fc);
    struct pollfd pfd = {.fd = fs, .events = POLLIN};
    ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
    ck_assert_int_eq(ds_conn_serve_ready(sv.c, fs), DS_PUMP_CLOSED);
    ck_assert_str_eq(sv.last_code, "link.closed");
    ds_conn_free(cl.c);
    ds_conn_free(sv.c);
    close(fs);
    close(lfd);
}
END_TEST

START_TEST(test_udp)
{
    char err[256], addr[64], peer[128];
    uint16_t port = 0;
    int fs = ds_udp_bind("127.0.0.1", 0, &port, err, sizeof err);
    ck_assert_msg(fs >= 0, "%s", err);
    snprintf(addr, sizeof addr, "127.0.0.1:%u", (unsigned)port);
    int fc = ds_udp_connect(addr, err, sizeof err);
    ck_assert_msg(fc >= 0, "%s", err);
    side cl, sv;
    new_pair(&cl, &sv, DS_CONN_WRAPPER);
    uint8_t req[20], resp[600];
    fill(req, sizeof req, 0xC0);
    fill(resp, sizeof resp, 0xC4);
    sv.auto_reply = resp;
    sv.auto_reply_len = sizeof resp;
    ds_conn_open(cl.c, ds_clock_ms());
    ds_conn_send_apdu(cl.c, req, sizeof req, ds_clock_ms());
    ck_assert_int_eq(ds_conn_pump(cl.c, fc, ds_clock_ms() + 5), DS_PUMP_TIMEOUT); /* sent */
    ck_assert_int_eq(ds_udp_accept_peer(fs, 2000, peer, sizeof peer, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(peer, "127.0.0.1:"));
    ck_assert_int_eq(pump_until(&cl, fc, &sv, fs, client_answered), 0);
    ck_assert_uint_eq(sv.apdu_len, sizeof req);
    ck_assert_uint_eq(cl.apdu_len, sizeof resp);
    ck_assert_mem_eq(cl.apdu, resp, sizeof resp);
    ds_conn_free(cl.c);
    ds_conn_free(sv.c);
    close(fc);
    close(fs);
}
END_TEST

START_TEST(test_pty)
{
    char err[256] = "", link[256], target[300];
    snprintf(link, sizeof link, "/tmp/dlmscope-check-pty-%ld", (long)getpid());
    ds_pty pty;
    ck_assert_msg(ds_pty_open(&pty, link, err, sizeof err) == 0, "%s", err);
    struct stat st;
    ck_assert_int_eq(lstat(link, &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    snprintf(target, sizeof target, "%s:9600:8N1", link);
    int fc = ds_serial_target_open(target, err, sizeof err);
    ck_assert_msg(fc >= 0, "%s", err);
    side cl, sv;
    new_pair(&cl, &sv, DS_CONN_HDLC);
    talk(&cl, fc, &sv, pty.master, DS_CONN_HDLC, 1000, 2000);
    ck_assert_int_eq(ds_conn_close(cl.c, ds_clock_ms()), 0);
    ds_conn_pump(cl.c, fc, ds_clock_ms() + 5);
    ck_assert_int_eq(ds_conn_pump(sv.c, pty.master, ds_clock_ms() + 2000), DS_PUMP_EVENT);
    ck_assert_int_eq(ds_conn_pump(cl.c, fc, ds_clock_ms() + 2000), DS_PUMP_EVENT);
    ck_assert(!ds_conn_is_up(cl.c));
    close(fc);
    ds_conn_free(cl.c);
    ds_conn_free(sv.c);
    /* another file where the link should go is not replaced */
    ds_pty other;
    ck_assert_int_eq(ds_pty_open(&other, "/dev/null", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "not a symlink"));
    ds_pty_close(&pty);
    ck_assert_int_eq(lstat(link, &st), -1);
}
END_TEST

/* A UDP server's view: datagrams from two senders on one bound socket, told apart by their
 * address, answered one by one; nothing waiting reads as "none" without blocking. */
START_TEST(test_udp_by_sender)
{
    char err[256] = "", where[64];
    uint16_t port = 0;
    int srv = ds_udp_bind("127.0.0.1", 0, &port, err, sizeof err);
    ck_assert_msg(srv >= 0, "%s", err);
    snprintf(where, sizeof where, "127.0.0.1:%u", (unsigned)port);
    int a = ds_udp_connect(where, err, sizeof err), b = ds_udp_connect(where, err, sizeof err);
    ck_assert(a >= 0 && b >= 0);
    uint8_t buf[64];
    ds_udp_peer pa, pb;
    int got = 1;
    ck_assert_int_eq(ds_udp_recv_from(srv, buf, sizeof buf, &pa, &got), 0);
    ck_assert_int_eq(got, 0);
    ck_assert_int_eq(write(a, "AA", 2), 2);
    ck_assert_int_eq(write(b, "B", 1), 1);
    struct pollfd pfd = {.fd = srv, .events = POLLIN};
    ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
    ck_assert_int_eq(ds_udp_recv_from(srv, buf, sizeof buf, &pa, &got), 2);
    ck_assert_int_eq(got, 1);
    ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
    ck_assert_int_eq(ds_udp_recv_from(srv, buf, sizeof buf, &pb, &got), 1);
    ck_assert_int_eq(buf[0], 'B');
    ck_assert(!ds_udp_peer_equal(&pa, &pb));
    ck_assert(ds_udp_peer_equal(&pa, &pa));
    ck_assert_int_eq(ds_udp_send_to(srv, (const uint8_t *)"xyz", 3, &pb), 0);
    pfd.fd = b;
    ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
    ck_assert_int_eq(read(b, buf, sizeof buf), 3);
    ck_assert_int_eq(memcmp(buf, "xyz", 3), 0);
    /* a did not get b's answer */
    ck_assert_int_eq(ds_fd_read_some(a, buf, sizeof buf), DS_IO_AGAIN);
    close(a);
    close(b);
    close(srv);
}
END_TEST

/* The reads and writes of a program that polls itself: nothing waits, a closed peer is told. */
START_TEST(test_read_write_some)
{
    char err[256] = "", where[64], peer[64];
    uint16_t port = 0;
    int lfd = ds_tcp_listen("127.0.0.1", 0, &port, err, sizeof err);
    ck_assert_msg(lfd >= 0, "%s", err);
    ck_assert_int_eq(ds_tcp_accept(lfd, 0, NULL, 0, err, sizeof err), -2); /* nobody yet: no wait */
    snprintf(where, sizeof where, "127.0.0.1:%u", (unsigned)port);
    int fc = ds_tcp_connect(where, 2000, err, sizeof err);
    ck_assert_msg(fc >= 0, "%s", err);
    int fs = ds_tcp_accept(lfd, 2000, peer, sizeof peer, err, sizeof err);
    ck_assert_msg(fs >= 0, "%s", err);
    uint8_t buf[16];
    ck_assert_int_eq(ds_fd_read_some(fs, buf, sizeof buf), DS_IO_AGAIN);
    ck_assert_int_eq(ds_fd_write_some(fc, (const uint8_t *)"hello", 5), 5);
    struct pollfd pfd = {.fd = fs, .events = POLLIN};
    ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
    ck_assert_int_eq(ds_fd_read_some(fs, buf, sizeof buf), 5);
    close(fc);
    ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
    ck_assert_int_eq(ds_fd_read_some(fs, buf, sizeof buf), DS_IO_CLOSED);
    /* writing to a closed peer ends in DS_IO_CLOSED, without SIGPIPE ending the test */
    long w = 0;
    for (int i = 0; i < 100 && w >= 0; i++) w = ds_fd_write_some(fs, (const uint8_t *)"x", 1);
    ck_assert_int_eq(w, DS_IO_CLOSED);
    close(fs);
    close(lfd);
}
END_TEST

START_TEST(test_serial_describe)
{
    char where[128], err[256] = "";
    ck_assert_int_eq(ds_serial_target_describe("/dev/ttyUSB0:19200:8E1", where, sizeof where, err, sizeof err), 0);
    ck_assert_str_eq(where, "serial /dev/ttyUSB0 19200:8E1");
    ck_assert_int_eq(ds_serial_target_describe("/dev/ttyS1", where, sizeof where, err, sizeof err), 0);
    ck_assert_str_eq(where, "serial /dev/ttyS1 9600:8N1");
    /* a device path may hold colons: settings come from the end only when both fields are settings */
    ck_assert_int_eq(ds_serial_target_describe("/dev/ttyS1:fast", where, sizeof where, err, sizeof err), 0);
    ck_assert_str_eq(where, "serial /dev/ttyS1:fast 9600:8N1");
}
END_TEST

static Suite *transport_suite(void)
{
    Suite *s = suite_create("transport");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_host_port);
    tcase_add_test(tc, test_tcp);
    tcase_add_test(tc, test_tcp_refused_and_timeout);
    tcase_add_test(tc, test_pump_timeout_and_broken_link);
    tcase_add_test(tc, test_serve_ready);
    tcase_add_test(tc, test_udp);
    tcase_add_test(tc, test_pty);
    tcase_add_test(tc, test_udp_by_sender);
    tcase_add_test(tc, test_read_write_some);
    tcase_add_test(tc, test_serial_describe);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(transport_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
