/* Packet captures in: DLMS over TCP and UDP read from pcap and pcapng files.
 *
 * Each TCP connection or UDP conversation (the two addresses and ports and the protocol) is
 * decoded apart from every other, with its own framing, segment reassembly and security
 * session (titles and keys learned from its own AARQ/AARE), into the one sink. TCP is put back
 * in order per direction first (out-of-order, retransmitted and overlapping segments); bytes
 * the capture lost are a tcp.gap diagnostic, after which decoding resynchronises. Every frame
 * carries the capture time, the sender and the receiver, and its direction (ToServer/ToClient)
 * when known: from the AARQ/AARE, else from the port (the side on a DLMS port is the server). */
#ifndef DLMSCOPE_CAPTURE_H
#define DLMSCOPE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "dlmscope/decoder.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DS_CAPTURE_PORTS_MAX 32
/* Live connections before the oldest is dropped: a connection takes about 5.5 KB while it
 * talks (its decoder, a framer per direction, one security session; segment reassembly and
 * further sessions are allocated when used), so 10,000 of them stay below 64 MB (make bench). */
#define DS_CAPTURE_CONNECTIONS_DEFAULT 10000
#define DS_CAPTURE_WAITING_DEFAULT (256u << 10)   /* out-of-order bytes held per direction */
#define DS_CAPTURE_WAITING_TOTAL (16u << 20)      /* out-of-order bytes held in all connections */

typedef struct ds_capture_options {
    uint16_t ports[DS_CAPTURE_PORTS_MAX]; /* DLMS ports besides 4059..4069 (TCP and UDP) */
    size_t nports;
    int any_port;              /* every TCP and UDP payload is tried */
    const char *filter;        /* a BPF filter expression (pcap-filter(7)), NULL for none */
    size_t max_connections;    /* DS_CAPTURE_CONNECTIONS_DEFAULT by ds_capture_options_init */
    size_t max_waiting;        /* DS_CAPTURE_WAITING_DEFAULT by ds_capture_options_init */
} ds_capture_options;

void ds_capture_options_init(ds_capture_options *c);

/* 1 when the bytes start with a pcap (either byte order, micro- or nanosecond) or pcapng magic;
 * at least 4 bytes are looked at. */
int ds_capture_magic(const uint8_t *p, size_t n);

/* Decodes a capture read from `in` (its descriptor is read from its current position; `in` is
 * neither read through stdio nor closed) into the sink, without begin/end_document.
 * Returns 0 when everything decoded, 1 when something was not decodable, -1 when the capture
 * cannot be read at all (not a capture, a link type that is not read), -2 when the filter is
 * refused; err says why. Nothing is written to the sink then. */
int ds_decode_capture(FILE *in, const ds_capture_options *copt, const ds_options *opt, ds_sink *sink,
                      ds_diag_fn diag_fn, void *diag_user, ds_stats *stats_out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
