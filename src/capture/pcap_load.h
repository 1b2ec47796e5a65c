/* libpcap, loaded when a capture is read and not before: linked in, it and the libraries it pulls
 * (dbus, systemd, gcrypt ...) were loaded by every run of every command. Only the few functions
 * the capture reader calls are looked up; pcap/pcap.h gives their types. */
#ifndef DS_CAPTURE_PCAP_LOAD_H
#define DS_CAPTURE_PCAP_LOAD_H

#include <stddef.h>
#include <stdio.h>

#include <pcap/pcap.h>

typedef struct ds_pcap_api {
    pcap_t *(*fopen_offline_with_tstamp_precision)(FILE *, u_int, char *);
    int (*compile)(pcap_t *, struct bpf_program *, const char *, int, bpf_u_int32);
    int (*setfilter)(pcap_t *, struct bpf_program *);
    void (*freecode)(struct bpf_program *);
    char *(*geterr)(pcap_t *);
    int (*datalink)(pcap_t *);
    const char *(*datalink_val_to_name)(int);
    int (*loop)(pcap_t *, int, pcap_handler, u_char *);
    void (*close)(pcap_t *);
} ds_pcap_api;

/* The functions, loaded on the first call (and kept for the life of the process); NULL with a
 * message in err when libpcap or one of them cannot be found. */
const ds_pcap_api *ds_pcap_load(char *err, size_t errlen);

#endif
