/* Transports: the thin layer of descriptors under the link machines of conn.h, for `dlmscope
 * run` and `dlmscope emulate`. TCP (connect with a timeout, listen, accept), UDP (a socket
 * connected to its peer, or a server's bound socket answering each sender), serial ports
 * (opened with serial.h's termios settings) and pseudo-terminals reachable under a symlink;
 * then ds_conn_pump, which moves bytes between one descriptor and one ds_conn until something
 * happens or a deadline passes, and, for a program that polls many descriptors itself (the
 * emulator), reads and writes that never wait.
 *
 * Every descriptor returned is non-blocking and close-on-exec. Every wait has a timeout.
 * Errors come back as -1 with a message naming the address or device and what failed. */
#ifndef DLMSCOPE_TRANSPORT_H
#define DLMSCOPE_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "dlmscope/conn.h"
#include "dlmscope/serial.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A monotonic clock in milliseconds: the now_ms of conn.h and the deadlines below. */
uint64_t ds_clock_ms(void);

/* The longest host text ds_host_port_parse writes, with its NUL. */
#define DS_HOST_TEXT 256

/* "host:port", "[v6 address]:port", "host" or "[v6]" (then default_port); a port alone
 * ("4059") with host_may_be_empty gives an empty host (listen on any address). A v6 address
 * without brackets is refused, since its last group could be taken for a port.
 * 0, or -1 with a message in err. */
int ds_host_port_parse(const char *text, int host_may_be_empty, uint16_t default_port, char *host,
                       size_t host_len, uint16_t *port, char *err, size_t err_len);

/* TCP connection to "host:port" (any address family the name gives, in order), within
 * timeout_ms in all. Returns the descriptor (TCP_NODELAY set), or -1 with a message. */
int ds_tcp_connect(const char *host_port, int timeout_ms, char *err, size_t err_len);

/* A listening TCP socket on host (NULL or "" = every address, IPv6 and IPv4 where the system
 * allows, else IPv4) and port (0 = any free port). *bound_port (may be NULL) gets the port.
 * Returns the descriptor, or -1 with a message. */
int ds_tcp_listen(const char *host, uint16_t port, uint16_t *bound_port, char *err, size_t err_len);

/* Waits up to timeout_ms (< 0: no limit, for a server that is ended by a signal, which makes
 * it return -1 with errno EINTR) for a connection. Returns its descriptor, -2 on timeout, or
 * -1 with a message. peer (may be NULL) gets "address:port" of the client. */
int ds_tcp_accept(int listen_fd, int timeout_ms, char *peer, size_t peer_len, char *err, size_t err_len);

/* A UDP socket connected to "host:port" (reads take only its datagrams). */
int ds_udp_connect(const char *host_port, char *err, size_t err_len);

/* A UDP socket bound to host (NULL or "" = any) and port (0 = any free one). */
int ds_udp_bind(const char *host, uint16_t port, uint16_t *bound_port, char *err, size_t err_len);

/* Waits up to timeout_ms for the first datagram on a bound UDP socket and connects the socket
 * to its sender, so that the datagram and the ones after it can be read and answered with
 * ds_conn_pump. 0, -2 on timeout, or -1 with a message; peer (may be NULL) gets its address. */
int ds_udp_accept_peer(int fd, int timeout_ms, char *peer, size_t peer_len, char *err, size_t err_len);

/* A UDP server answers many senders on one bound socket (ds_udp_bind): each datagram comes
 * with its sender's address, kept opaque here (a struct sockaddr_storage fits in addr). */
typedef struct ds_udp_peer {
    uint8_t addr[128];
    uint32_t len;
} ds_udp_peer;

/* Reads one datagram without waiting: its length (a datagram may be empty: 0 with *got 1),
 * 0 with *got 0 when none is waiting, or -1 on an error. from gets the sender. */
long ds_udp_recv_from(int fd, uint8_t *buf, size_t cap, ds_udp_peer *from, int *got);
/* Sends one datagram to peer without waiting: 0, or -1 (a full socket buffer drops the datagram
 * as the network could: errno EAGAIN). */
int ds_udp_send_to(int fd, const uint8_t *p, size_t n, const ds_udp_peer *peer);
/* 1 when a and b are the same sender. */
int ds_udp_peer_equal(const ds_udp_peer *a, const ds_udp_peer *b);

/* A non-blocking stream (socket, pty master, serial port) read and written by a program that
 * polls many descriptors itself: no call here waits. */
typedef enum ds_io_result {
    DS_IO_AGAIN = 0,   /* nothing now (read) or no room now (write) */
    DS_IO_CLOSED = -1  /* the peer closed the stream, or it failed (errno says, 0 when closed) */
} ds_io_result;
/* Reads what is there: the count (> 0), DS_IO_AGAIN or DS_IO_CLOSED. */
long ds_fd_read_some(int fd, uint8_t *buf, size_t cap);
/* Writes what fits now (a socket without SIGPIPE): the count (>= 0), or DS_IO_CLOSED. */
long ds_fd_write_some(int fd, const uint8_t *p, size_t n);

/* "serial DEVICE BAUD:DPS" for a serial target as ds_serial_target_open reads it, for the
 * "listening on" line. 0, or -1 with a message. */
int ds_serial_target_describe(const char *target, char *buf, size_t len, char *err, size_t err_len);

/* "DEVICE" or "DEVICE:BAUD:DPS" (serial.h's ds_serial_target_parse; without settings 9600 8N1)
 * opened with ds_serial_open. Returns the descriptor, or -1 with a message. */
int ds_serial_target_open(const char *target, char *err, size_t err_len);

/* A pseudo-terminal: the master side for the program, the slave side under a symlink for the
 * other program to open as a serial port (`dlmscope emulate --pty LINK`). */
typedef struct ds_pty {
    int master;           /* non-blocking; what ds_conn_pump reads and writes */
    int slave_hold;       /* the slave kept open, so that the master does not read EIO while no
                             program has the link open */
    char slave_name[128]; /* /dev/pts/N */
    char link[512];       /* the symlink made, "" when none */
} ds_pty;

/* Makes the pty (raw mode, 9600 8N1) and, when link_path is not NULL, the symlink link_path ->
 * /dev/pts/N (an existing symlink there is replaced; any other file is left alone and is an
 * error). 0, or -1 with a message. */
int ds_pty_open(ds_pty *p, const char *link_path, char *err, size_t err_len);
/* Closes both sides and removes the symlink if it still points to this pty. */
void ds_pty_close(ds_pty *p);

/* Writes all n bytes to a non-blocking descriptor, waiting for room up to timeout_ms in all.
 * 0, or -1 (errno ETIMEDOUT when the time ran out). */
int ds_fd_write_all(int fd, const uint8_t *p, size_t n, int timeout_ms);

/* How ds_conn_pump ended. */
typedef enum ds_pump_result {
    DS_PUMP_EVENT = 1,    /* the machine reported DS_CONN_EV_CONNECTED, APDU, DISCONNECTED or ERROR */
    DS_PUMP_TIMEOUT = 0,  /* deadline_ms came first */
    DS_PUMP_CLOSED = -1   /* the descriptor failed or the peer closed it: a DS_CONN_EV_ERROR
                             "link.closed" (broken, with what was in flight) was reported,
                             unless the link was down already (a server after DISC) */
} ds_pump_result;

/* Moves bytes between fd and c: writes what c queued, polls fd until the earlier of deadline_ms
 * (ds_clock_ms time) and c's own next deadline, feeds what arrived to ds_conn_recv and calls
 * ds_conn_tick; returns as soon as one of the events above fired (after writing what c queued
 * in answer), or when deadline_ms passes. A write that finds no room waits for it within the
 * same deadline. */
ds_pump_result ds_conn_pump(ds_conn *c, int fd, uint64_t deadline_ms);

/* One step for a program that polls many descriptors itself (an emulator with many clients):
 * reads what fd has now (without waiting), feeds it to c, ticks c, and writes what c queued
 * (waiting for room up to 1 s). Call it when poll() says fd is readable or when
 * ds_conn_next_deadline(c) has passed. DS_PUMP_EVENT when an event fired, DS_PUMP_TIMEOUT when
 * none did, DS_PUMP_CLOSED as for ds_conn_pump. */
ds_pump_result ds_conn_serve_ready(ds_conn *c, int fd);

#ifdef __cplusplus
}
#endif
#endif
