/* Transports under the link machines (transport.h): sockets, serial ports, pseudo-terminals and
 * the pump between a descriptor and a ds_conn. */
#define _DEFAULT_SOURCE /* posix_openpt & co. with the rest of the system's API */
#define _XOPEN_SOURCE 700
#include "dlmscope/transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conn/conn_int.h"

#define DEFAULT_PORT_TEXT_MAX 8
#define PUMP_READ_CHUNK 4096
#define PUMP_WRITE_CHUNK 4096

static void say(char *err, size_t err_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *err, size_t err_len, const char *fmt, ...)
{
    if (!err || !err_len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

uint64_t ds_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* Milliseconds from now to deadline for poll(): 0 when past, capped to int. */
static int ms_until(uint64_t deadline)
{
    uint64_t now = ds_clock_ms();
    if (deadline <= now) return 0;
    uint64_t d = deadline - now;
    return d > 0x7FFFFFFFu ? 0x7FFFFFFF : (int)d;
}

/* ---- addresses ------------------------------------------------------------------------------ */

static int parse_port(const char *text, uint16_t *port)
{
    if (!*text || strlen(text) > 5) return -1;
    unsigned long v = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (v > 0xFFFF) return -1;
    *port = (uint16_t)v;
    return 0;
}

static int copy_host(char *host, size_t host_len, const char *from, size_t n, char *err, size_t err_len)
{
    if (n >= host_len) {
        say(err, err_len, "host name too long (%zu characters)", n);
        return -1;
    }
    memcpy(host, from, n);
    host[n] = '\0';
    return 0;
}

int ds_host_port_parse(const char *text, int host_may_be_empty, uint16_t default_port, char *host,
                       size_t host_len, uint16_t *port, char *err, size_t err_len)
{
    if (!text || !host || !port || host_len == 0) {
        say(err, err_len, "no address");
        return -1;
    }
    const char *port_text = NULL;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || (close[1] != '\0' && close[1] != ':')) {
            say(err, err_len, "'%s': an IPv6 address in brackets is written [address]:port", text);
            return -1;
        }
        if (copy_host(host, host_len, text + 1, (size_t)(close - text - 1), err, err_len)) return -1;
        if (close[1] == ':') port_text = close + 2;
    } else {
        const char *colon = strchr(text, ':');
        if (colon && strchr(colon + 1, ':')) {
            say(err, err_len, "'%s': write an IPv6 address in brackets, as [%s]:4059", text, text);
            return -1;
        }
        if (!colon && host_may_be_empty && parse_port(text, port) == 0) {
            host[0] = '\0';
            return 0;
        }
        size_t n = colon ? (size_t)(colon - text) : strlen(text);
        if (copy_host(host, host_len, text, n, err, err_len)) return -1;
        if (colon) port_text = colon + 1;
    }
    if (!host[0] && !host_may_be_empty) {
        say(err, err_len, "'%s': no host", text);
        return -1;
    }
    if (!port_text) {
        *port = default_port;
        return 0;
    }
    if (parse_port(port_text, port)) {
        say(err, err_len, "'%s': the port '%s' is not a number from 0 to 65535", text, port_text);
        return -1;
    }
    return 0;
}

static int resolve(const char *host, uint16_t port, int socktype, int passive, struct addrinfo **out, char *err,
                   size_t err_len)
{
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = socktype;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    char service[DEFAULT_PORT_TEXT_MAX];
    snprintf(service, sizeof service, "%u", (unsigned)port);
    int rc = getaddrinfo(host && *host ? host : NULL, service, &hints, out);
    if (rc != 0) {
        say(err, err_len, "%s: %s", host && *host ? host : "(any)", gai_strerror(rc));
        return -1;
    }
    return 0;
}

static void addr_text(const struct sockaddr *sa, char *buf, size_t len)
{
    if (!buf || !len) return;
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
        snprintf(buf, len, "%s:%u", host, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
        snprintf(buf, len, "[%s]:%u", host, port);
    } else {
        snprintf(buf, len, "?");
    }
}

static uint16_t bound_port_of(int fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) return 0;
    if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

/* ---- TCP ------------------------------------------------------------------------------------- */

/* One address: a non-blocking connect, finished within deadline. */
static int connect_one(const struct addrinfo *ai, uint64_t deadline, int *err_no)
{
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0 || set_nonblocking(fd) < 0) {
        *err_no = errno;
        if (fd >= 0) close(fd);
        return -1;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
            *err_no = errno;
            close(fd);
            return -1;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int rc;
        do rc = poll(&pfd, 1, ms_until(deadline));
        while (rc < 0 && errno == EINTR);
        int so = 0;
        socklen_t sl = sizeof so;
        if (rc == 0) {
            *err_no = ETIMEDOUT;
            close(fd);
            return -1;
        }
        if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) != 0 || so != 0) {
            *err_no = rc < 0 ? errno : so ? so : errno;
            close(fd);
            return -1;
        }
    }
    int one = 1;
    if (ai->ai_socktype == SOCK_STREAM) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int connect_to(const char *host_port, int socktype, int timeout_ms, char *err, size_t err_len)
{
    char host[DS_HOST_TEXT];
    uint16_t port;
    if (ds_host_port_parse(host_port, 0, 4059, host, sizeof host, &port, err, err_len)) return -1;
    struct addrinfo *list;
    if (resolve(host, port, socktype, 0, &list, err, err_len)) return -1;
    uint64_t deadline = ds_clock_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    int fd = -1, err_no = 0;
    for (const struct addrinfo *ai = list; ai && fd < 0; ai = ai->ai_next) {
        fd = connect_one(ai, deadline, &err_no);
        if (fd < 0 && err_no == ETIMEDOUT) break;
    }
    freeaddrinfo(list);
    if (fd < 0)
        say(err, err_len, "%s: %s%s", host_port, strerror(err_no),
            err_no == ETIMEDOUT ? " (no answer within the connect timeout)" : "");
    return fd;
}

int ds_tcp_connect(const char *host_port, int timeout_ms, char *err, size_t err_len)
{
    return connect_to(host_port, SOCK_STREAM, timeout_ms, err, err_len);
}

static int bind_any(const char *host, uint16_t port, int socktype, uint16_t *bound_port, char *err, size_t err_len)
{
    struct addrinfo *list;
    if (resolve(host, port, socktype, 1, &list, err, err_len)) return -1;
    /* with no host, prefer the IPv6 wildcard, which takes IPv4 too where the system allows */
    int fd = -1, err_no = 0;
    for (int pass = 0; pass < 2 && fd < 0; pass++)
        for (const struct addrinfo *ai = list; ai && fd < 0; ai = ai->ai_next) {
            if ((pass == 0) != (ai->ai_family == AF_INET6)) continue;
            fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
            if (fd < 0) {
                err_no = errno;
                continue;
            }
            int one = 1, zero = 0;
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            if (ai->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || set_nonblocking(fd) != 0 ||
                (socktype == SOCK_STREAM && listen(fd, 64) != 0)) {
                err_no = errno;
                close(fd);
                fd = -1;
            }
        }
    freeaddrinfo(list);
    if (fd < 0) {
        say(err, err_len, "%s port %u: %s", host && *host ? host : "any address", (unsigned)port, strerror(err_no));
        return -1;
    }
    if (bound_port) *bound_port = bound_port_of(fd);
    return fd;
}

int ds_tcp_listen(const char *host, uint16_t port, uint16_t *bound_port, char *err, size_t err_len)
{
    return bind_any(host, port, SOCK_STREAM, bound_port, err, err_len);
}

/* Waits for fd to become readable: 1, 0 on timeout (timeout_ms < 0: no limit), -1 on error. */
static int wait_readable(int fd, int timeout_ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int rc = poll(&pfd, 1, timeout_ms < 0 ? -1 : timeout_ms);
    return rc < 0 ? -1 : rc;
}

int ds_tcp_accept(int listen_fd, int timeout_ms, char *peer, size_t peer_len, char *err, size_t err_len)
{
    int rc = wait_readable(listen_fd, timeout_ms);
    if (rc == 0) return -2;
    if (rc < 0) {
        say(err, err_len, "waiting for a connection: %s", strerror(errno));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = accept(listen_fd, (struct sockaddr *)&ss, &sl);
    if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED) return -2; /* gone meanwhile */
        say(err, err_len, "accept: %s", strerror(errno));
        return -1;
    }
    if (set_nonblocking(fd) != 0) {
        say(err, err_len, "accept: %s", strerror(errno));
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    addr_text((struct sockaddr *)&ss, peer, peer_len);
    return fd;
}

/* ---- UDP ------------------------------------------------------------------------------------- */

int ds_udp_connect(const char *host_port, char *err, size_t err_len)
{
    return connect_to(host_port, SOCK_DGRAM, 0, err, err_len);
}

int ds_udp_bind(const char *host, uint16_t port, uint16_t *bound_port, char *err, size_t err_len)
{
    return bind_any(host, port, SOCK_DGRAM, bound_port, err, err_len);
}

int ds_udp_accept_peer(int fd, int timeout_ms, char *peer, size_t peer_len, char *err, size_t err_len)
{
    int rc = wait_readable(fd, timeout_ms);
    if (rc == 0) return -2;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    uint8_t probe;
    if (rc < 0 || recvfrom(fd, &probe, 1, MSG_PEEK, (struct sockaddr *)&ss, &sl) < 0 ||
        connect(fd, (struct sockaddr *)&ss, sl) != 0) {
        if (rc > 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return -2;
        say(err, err_len, "waiting for a datagram: %s", strerror(errno));
        return -1;
    }
    addr_text((struct sockaddr *)&ss, peer, peer_len);
    return 0;
}

int ds_udp_peer_equal(const ds_udp_peer *a, const ds_udp_peer *b)
{
    return a->len == b->len && memcmp(a->addr, b->addr, a->len) == 0;
}

long ds_udp_recv_from(int fd, uint8_t *buf, size_t cap, ds_udp_peer *from, int *got)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    *got = 0;
    ssize_t n;
    do n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)&ss, &sl);
    while (n < 0 && errno == EINTR);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    _Static_assert(sizeof ss <= sizeof from->addr, "ds_udp_peer holds a sockaddr_storage");
    memset(from, 0, sizeof *from);
    memcpy(from->addr, &ss, sl);
    from->len = (uint32_t)sl;
    *got = 1;
    return (long)n;
}

int ds_udp_send_to(int fd, const uint8_t *p, size_t n, const ds_udp_peer *peer)
{
    ssize_t w;
    do w = sendto(fd, p, n, 0, (const struct sockaddr *)(const void *)peer->addr, (socklen_t)peer->len);
    while (w < 0 && errno == EINTR);
    return w < 0 ? -1 : 0;
}

/* ---- streams polled by their user ------------------------------------------------------------- */

long ds_fd_read_some(int fd, uint8_t *buf, size_t cap)
{
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n > 0) return (long)n;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return DS_IO_AGAIN;
        if (n == 0 || errno == EIO) errno = 0; /* a pty master reads EIO once the other side is closed */
        return DS_IO_CLOSED;
    }
}

long ds_fd_write_some(int fd, const uint8_t *p, size_t n)
{
    for (;;) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == ENOTSOCK) w = write(fd, p, n);
        if (w >= 0) return (long)w;
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : DS_IO_CLOSED;
    }
}

/* ---- serial and pty -------------------------------------------------------------------------- */

int ds_serial_target_open(const char *target, char *err, size_t err_len)
{
    char device[512];
    ds_serial_settings s;
    int has_settings = 0;
    ds_serial_settings_init(&s);
    if (ds_serial_target_parse(target, device, sizeof device, &s, &has_settings, err, err_len)) return -1;
    int fd = ds_serial_open(device, &s, err, err_len);
    if (fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        say(err, err_len, "%s: %s", device, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int ds_serial_target_describe(const char *target, char *buf, size_t len, char *err, size_t err_len)
{
    char device[512], settings[64];
    ds_serial_settings s;
    int has_settings = 0;
    ds_serial_settings_init(&s);
    if (ds_serial_target_parse(target, device, sizeof device, &s, &has_settings, err, err_len)) return -1;
    snprintf(buf, len, "serial %s %s", device, ds_serial_settings_format(&s, settings, sizeof settings));
    return 0;
}

static int make_link(ds_pty *p, const char *link_path, char *err, size_t err_len)
{
    struct stat st;
    if (lstat(link_path, &st) == 0) {
        if (!S_ISLNK(st.st_mode)) {
            say(err, err_len, "%s exists and is not a symlink: not replaced", link_path);
            return -1;
        }
        unlink(link_path);
    }
    if (symlink(p->slave_name, link_path) != 0) {
        say(err, err_len, "symlink %s -> %s: %s", link_path, p->slave_name, strerror(errno));
        return -1;
    }
    snprintf(p->link, sizeof p->link, "%s", link_path);
    return 0;
}

int ds_pty_open(ds_pty *p, const char *link_path, char *err, size_t err_len)
{
    memset(p, 0, sizeof *p);
    p->master = p->slave_hold = -1;
    if (link_path && strlen(link_path) >= sizeof p->link) {
        say(err, err_len, "pty link path too long");
        return -1;
    }
    p->master = posix_openpt(O_RDWR | O_NOCTTY);
    const char *name = NULL;
    if (p->master < 0 || grantpt(p->master) != 0 || unlockpt(p->master) != 0 || !(name = ptsname(p->master))) {
        say(err, err_len, "pseudo-terminal: %s", strerror(errno));
        ds_pty_close(p);
        return -1;
    }
    snprintf(p->slave_name, sizeof p->slave_name, "%s", name);
    ds_serial_settings s;
    ds_serial_settings_init(&s);
    p->slave_hold = ds_serial_open(p->slave_name, &s, err, err_len); /* raw mode, 9600 8N1 */
    if (p->slave_hold < 0 || set_nonblocking(p->master) != 0 || fcntl(p->slave_hold, F_SETFD, FD_CLOEXEC) < 0 ||
        (link_path && make_link(p, link_path, err, err_len) != 0)) {
        if (p->slave_hold >= 0 && !(err && *err)) say(err, err_len, "pseudo-terminal: %s", strerror(errno));
        ds_pty_close(p);
        return -1;
    }
    return 0;
}

void ds_pty_close(ds_pty *p)
{
    if (!p) return;
    if (p->link[0]) {
        char target[sizeof p->slave_name];
        ssize_t n = readlink(p->link, target, sizeof target - 1);
        if (n >= 0) {
            target[n] = '\0';
            if (strcmp(target, p->slave_name) == 0) unlink(p->link);
        }
        p->link[0] = '\0';
    }
    if (p->slave_hold >= 0) close(p->slave_hold);
    if (p->master >= 0) close(p->master);
    p->slave_hold = p->master = -1;
}

/* ---- writing and the pump -------------------------------------------------------------------- */

int ds_fd_write_all(int fd, const uint8_t *p, size_t n, int timeout_ms)
{
    uint64_t deadline = ds_clock_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return -1;
        int left = ms_until(deadline);
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        if (left == 0 || poll(&pfd, 1, left) == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
    }
    return 0;
}

/* Writes what c queued; what does not fit now stays queued (pos says how far the buffer went). */
static int flush_output(ds_conn *c, int fd, uint8_t *buf, size_t *len, size_t *pos)
{
    for (;;) {
        if (*pos == *len) {
            *pos = 0;
            *len = ds_conn_output(c, buf, PUMP_WRITE_CHUNK);
            if (*len == 0) return 0;
        }
        ssize_t w = write(fd, buf + *pos, *len - *pos);
        if (w > 0) {
            *pos += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 1;
        return -1;
    }
}

static ds_pump_result lost(ds_conn *c, const char *what, int err_no)
{
    char why[160];
    if (err_no)
        snprintf(why, sizeof why, "%s: %s", what, strerror(err_no));
    else
        snprintf(why, sizeof why, "%s", what);
    conn_link_lost(c, why);
    return DS_PUMP_CLOSED;
}

ds_pump_result ds_conn_pump(ds_conn *c, int fd, uint64_t deadline_ms)
{
    uint8_t out[PUMP_WRITE_CHUNK], in[PUMP_READ_CHUNK];
    size_t out_len = 0, out_pos = 0;
    uint64_t notices = conn_notices(c);
    for (;;) {
        int blocked = flush_output(c, fd, out, &out_len, &out_pos);
        if (blocked < 0) return lost(c, "writing to the peer failed", errno);
        if (!blocked && conn_notices(c) != notices) return DS_PUMP_EVENT;
        uint64_t now = ds_clock_ms();
        if (now >= deadline_ms) {
            if (blocked) {
                /* keep the unwritten rest for the next call: it goes back in front of the queue
                 * only by being written now, within a short grace */
                if (ds_fd_write_all(fd, out + out_pos, out_len - out_pos, 1000) != 0)
                    return lost(c, "the peer takes no more bytes", errno);
            }
            return conn_notices(c) != notices ? DS_PUMP_EVENT : DS_PUMP_TIMEOUT;
        }
        uint64_t wake = ds_conn_next_deadline(c);
        if (wake > deadline_ms) wake = deadline_ms;
        struct pollfd pfd = {.fd = fd, .events = (short)(POLLIN | (blocked ? POLLOUT : 0))};
        int rc = poll(&pfd, 1, ms_until(wake));
        if (rc < 0 && errno != EINTR) return lost(c, "waiting for the peer failed", errno);
        now = ds_clock_ms();
        if (rc > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = read(fd, in, sizeof in);
            if (n > 0) {
                ds_conn_recv(c, in, (size_t)n, now);
            } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                /* a pty master reads EIO once the other side is closed */
                int e = n == 0 ? 0 : errno;
                if (blocked) ds_fd_write_all(fd, out + out_pos, out_len - out_pos, 100);
                return lost(c, n == 0 || e == EIO ? "the peer closed the connection" : "reading from the peer failed",
                            e == EIO ? 0 : e);
            }
        }
        ds_conn_tick(c, now);
    }
}

ds_pump_result ds_conn_serve_ready(ds_conn *c, int fd)
{
    uint64_t notices = conn_notices(c);
    uint8_t buf[PUMP_READ_CHUNK];
    for (int reads = 0; reads < 16; reads++) { /* bounded: one busy peer does not starve the rest */
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) {
            ds_conn_recv(c, buf, (size_t)n, ds_clock_ms());
            if ((size_t)n < sizeof buf) break;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
        int e = n == 0 ? 0 : errno;
        return lost(c, n == 0 || e == EIO ? "the peer closed the connection" : "reading from the peer failed",
                    e == EIO ? 0 : e);
    }
    ds_conn_tick(c, ds_clock_ms());
    size_t n;
    while ((n = ds_conn_output(c, buf, sizeof buf)) > 0)
        if (ds_fd_write_all(fd, buf, n, 1000) != 0) return lost(c, "writing to the peer failed", errno);
    return conn_notices(c) != notices ? DS_PUMP_EVENT : DS_PUMP_TIMEOUT;
}
