/* faultrelay: a loopback TCP relay between `dlmscope run` and `dlmscope emulate` that injects
 * one fault, for tests/e2e/faults.sh.
 *
 *   faultrelay FRAMING UPSTREAM_PORT FAULT DIR NTH [DELAY_MS]
 *
 * FRAMING   hdlc or wrapper: how the byte streams are cut into frames (HDLC: the flag and the
 *           11-bit frame length of the format field; wrapper: the 8-byte header's length)
 * FAULT     none, drop (the frame is not passed on), fcs (its last byte before the closing
 *           flag, the second FCS byte, is flipped; wrapper: its last byte), delay (it and
 *           everything after it in that direction is held DELAY_MS), reset (instead of
 *           passing it on, both connections are closed)
 * DIR       up (client to meter) or down (meter to client): whose frames are counted
 * NTH       the fault hits the NTH whole frame (1 = the first) in that direction
 *
 * Listens on 127.0.0.1 with a port of the system's choice and prints "listening on PORT"
 * (flushed) once ready; takes one client, connects to 127.0.0.1:UPSTREAM_PORT and relays
 * until either side closes. Prints "fault: ..." on stderr when the fault is applied.
 * Every wait is bounded: no client within 10 s, or 40 s in all, and it gives up (exit 3).
 * Exit status: 0 when the fault was applied (or none was asked), 1 when the connection ended
 * before the NTH frame, 2 usage, 3 a timeout or a socket error. */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_MAX 65536
#define LIFETIME_MS 40000
#define ACCEPT_MS 10000

enum fault { F_NONE, F_DROP, F_FCS, F_DELAY, F_RESET };

/* One direction: bytes read and not yet cut into frames, and bytes held back by a delay. */
typedef struct {
    int from, to;
    uint8_t in[BUF_MAX];
    size_t in_len;
    uint8_t held[BUF_MAX];
    size_t held_len;
    uint64_t release_ms; /* 0: nothing held */
    unsigned frames;
    int faulty; /* the fault's direction */
} pipe_dir;

static int hdlc;
static enum fault fault;
static unsigned nth;
static unsigned delay_ms;
static int applied;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int send_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The length of the whole frame at the start of buf, 0 if it has not all arrived. Bytes
 * before an HDLC flag (noise) count as a frame of their own, passed on as they are. */
static size_t frame_length(const uint8_t *buf, size_t len)
{
    if (hdlc) {
        if (buf[0] != 0x7E) {
            size_t i = 1;
            while (i < len && buf[i] != 0x7E) i++;
            return i;
        }
        if (len >= 2 && buf[1] == 0x7E) return 1; /* a lone flag */
        if (len < 3) return 0;
        size_t body = ((size_t)(buf[1] & 0x07) << 8) | buf[2];
        return len >= body + 2 ? body + 2 : 0;
    }
    if (len < 8) return 0;
    size_t body = ((size_t)buf[6] << 8) | buf[7];
    return len >= body + 8 ? body + 8 : 0;
}

/* Passes one frame on, or applies the fault to it. -1 when the relay is to end. */
static int pass_frame(pipe_dir *d, uint8_t *f, size_t n)
{
    int counted = !hdlc || (n > 1 && f[0] == 0x7E);
    if (counted) d->frames++;
    if (d->faulty && counted && d->frames == nth && fault != F_NONE) {
        applied = 1;
        fprintf(stderr, "fault: frame %u (%zu bytes)\n", nth, n);
        switch (fault) {
        case F_DROP: return 0;
        case F_FCS: f[hdlc ? n - 2 : n - 1] ^= 0x5A; break;
        case F_DELAY: d->release_ms = now_ms() + delay_ms; break;
        case F_RESET: return -1;
        case F_NONE: break;
        }
    }
    if (d->release_ms) {
        if (d->held_len + n > sizeof d->held) return -1;
        memcpy(d->held + d->held_len, f, n);
        d->held_len += n;
        return 0;
    }
    return send_all(d->to, f, n);
}

/* Reads what is there and passes on every whole frame. -1 when the relay is to end. */
static int pump(pipe_dir *d)
{
    ssize_t r = recv(d->from, d->in + d->in_len, sizeof d->in - d->in_len, 0);
    if (r < 0 && errno == EINTR) return 0;
    if (r <= 0) return -1;
    d->in_len += (size_t)r;
    size_t n;
    while (d->in_len && (n = frame_length(d->in, d->in_len)) > 0) {
        if (pass_frame(d, d->in, n)) return -1;
        memmove(d->in, d->in + n, d->in_len - n);
        d->in_len -= n;
    }
    if (d->in_len == sizeof d->in) return -1; /* a frame longer than any */
    return 0;
}

static int release_held(pipe_dir *d, uint64_t now)
{
    if (!d->release_ms || now < d->release_ms) return 0;
    d->release_ms = 0;
    int rc = send_all(d->to, d->held, d->held_len);
    d->held_len = 0;
    return rc;
}

static int listen_loopback(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 1) ||
        getsockname(fd, (struct sockaddr *)&a, &al))
        return -1;
    printf("listening on %u\n", (unsigned)ntohs(a.sin_port));
    fflush(stdout);
    return fd;
}

static int connect_loopback(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int parse_fault(const char *s)
{
    static const char *const names[] = {"none", "drop", "fcs", "delay", "reset"};
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, names[i])) return fault = (enum fault)i, 0;
    return -1;
}

static int relay(pipe_dir *up, pipe_dir *down, uint64_t end)
{
    for (;;) {
        uint64_t now = now_ms();
        if (now >= end) return 3;
        if (release_held(up, now) || release_held(down, now)) return 0;
        uint64_t wake = end;
        if (up->release_ms && up->release_ms < wake) wake = up->release_ms;
        if (down->release_ms && down->release_ms < wake) wake = down->release_ms;
        struct pollfd p[2] = {{up->from, POLLIN, 0}, {down->from, POLLIN, 0}};
        int rc = poll(p, 2, (int)(wake - now));
        if (rc < 0 && errno != EINTR) return 3;
        if (rc <= 0) continue;
        if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && pump(up)) return 0;
        if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) && pump(down)) return 0;
    }
}

int main(int argc, char **argv)
{
    if (argc < 6 || argc > 7 || (strcmp(argv[1], "hdlc") && strcmp(argv[1], "wrapper")) ||
        parse_fault(argv[3]) || (strcmp(argv[4], "up") && strcmp(argv[4], "down"))) {
        fprintf(stderr, "usage: faultrelay hdlc|wrapper UPSTREAM_PORT none|drop|fcs|delay|reset up|down NTH [DELAY_MS]\n");
        return 2;
    }
    hdlc = !strcmp(argv[1], "hdlc");
    unsigned upstream = (unsigned)strtoul(argv[2], NULL, 10);
    nth = (unsigned)strtoul(argv[5], NULL, 10);
    delay_ms = argc == 7 ? (unsigned)strtoul(argv[6], NULL, 10) : 0;
    if (!upstream || upstream > 65535 || !nth || (fault == F_DELAY && !delay_ms)) {
        fprintf(stderr, "faultrelay: bad port, NTH or DELAY_MS\n");
        return 2;
    }
    uint64_t start = now_ms();
    int lfd = listen_loopback();
    if (lfd < 0) return perror("faultrelay: listen"), 3;
    struct pollfd pl = {lfd, POLLIN, 0};
    if (poll(&pl, 1, ACCEPT_MS) != 1) return fprintf(stderr, "faultrelay: no client\n"), 3;
    int cfd = accept(lfd, NULL, NULL);
    close(lfd);
    int mfd = connect_loopback(upstream);
    if (cfd < 0 || mfd < 0) return perror("faultrelay: accept/connect"), 3;
    int one = 1;
    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    static pipe_dir up, down;
    up.from = cfd, up.to = mfd, up.faulty = !strcmp(argv[4], "up");
    down.from = mfd, down.to = cfd, down.faulty = !up.faulty;
    int rc = relay(&up, &down, start + LIFETIME_MS);
    close(cfd);
    close(mfd);
    if (rc) return fprintf(stderr, "faultrelay: gave up after %u ms\n", LIFETIME_MS), rc;
    if (fault != F_NONE && !applied) return fprintf(stderr, "faultrelay: the connection ended before frame %u\n", nth), 1;
    return 0;
}
