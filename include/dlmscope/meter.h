/* The meter emulator: a meter model read from XML, its COSEM objects, and the loop that serves
 * clients over TCP, UDP, HDLC over TCP or a serial line.
 *
 * The model (man/dlmscope-model.5) describes the objects (class, OBIS code, attribute values,
 * access rights per association), the associations (client SAP, authentication, keys, security
 * policy) and the link (HDLC or wrapper, max info, window, PDU size). The objects answer
 * through the ds_server_objects callbacks of dlmscope/assoc.h, so the association machine,
 * not the meter, reads and writes the APDUs. */
#ifndef DLMSCOPE_METER_H
#define DLMSCOPE_METER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "dlmscope/assoc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ds_meter ds_meter;

/* Reads a model. NULL with "file:line: message" in err when it cannot be used. */
ds_meter *ds_meter_load(const char *path, char *err, size_t errsz);
ds_meter *ds_meter_load_memory(const char *xml, size_t len, const char *name, char *err, size_t errsz);
void ds_meter_free(ds_meter *m);
/* What the loader warns about in a model it took (an attribute under an old name), one
 * "file:line: message" a line; "" when nothing. */
const char *ds_meter_warnings(const ds_meter *m);

/* The callbacks of dlmscope/assoc.h answered by this meter (objects->user = m). */
void ds_meter_objects(ds_meter *m, ds_server_objects *objects);

/* The link of the model. */
typedef struct ds_meter_link {
    int hdlc;                 /* 1 HDLC, 0 the TCP/UDP wrapper */
    uint16_t max_info;        /* HDLC max info field, both directions */
    uint8_t window;           /* HDLC window, both directions */
    uint16_t max_pdu;         /* the server's max receive PDU size */
    uint16_t server_logical;  /* HDLC upper address / wrapper wPort */
    uint16_t server_physical; /* HDLC lower address, 0 = none */
    uint8_t gbt_window;       /* general block transfer offered, streaming up to this many blocks
                                 (1..63); 0 = not offered */
} ds_meter_link;
void ds_meter_get_link(const ds_meter *m, ds_meter_link *out);
/* Offers general block transfer in every association with this window (1..63), or not (0). */
void ds_meter_set_gbt_window(ds_meter *m, uint8_t window);
/* The server's max receive PDU size (64..65535) instead of the model's. */
void ds_meter_set_max_pdu(ds_meter *m, uint16_t max_pdu);
/* 1: remember the highest invocation counter each client used, from one association and
 * connection to the next, and refuse a ciphered request at or below it as a replay (as a meter's
 * security setup does); 0 (the default): each association starts afresh. */
void ds_meter_set_keep_client_ic(ds_meter *m, int keep);

/* The meter's clock: 0 (the default) follows the real clock; otherwise the meter's "now" is
 * this Unix time and stays there (for tests). */
void ds_meter_set_time(ds_meter *m, int64_t unix_seconds);

/* Image transfer (class 18): how the meter takes, verifies, stores and activates images. */
typedef struct ds_meter_image_options {
    uint32_t max_image_size;     /* image_transfer_initiate refuses a larger image; 0 = 16 MiB */
    const char *store_dir;       /* a verified image is written to DIR/IDENTIFIER; NULL: kept in memory */
    uint32_t block_size;         /* image_block_size (attribute 2) instead of the model's; 0 = the model's */
    int verify_fails;            /* 1: verification ends in verification-failed (4) */
    uint32_t verify_delay_ms;    /* verification takes this long: status 2, image_verify temporary-failure */
    int activate_fails;          /* 1: activation ends in activation-failed (7) */
    uint32_t activate_delay_ms;  /* activation takes this long: status 5, image_activate temporary-failure */
    /* fault injection */
    int has_refuse_block;
    uint32_t refuse_block;       /* this block number is answered once with hardware-fault */
    uint32_t verify_busy;        /* image_verify answers temporary-failure this many times first */
    /* image_to_activate_signature of attribute 7 for a verified image (default: empty); the
     * bytes are the caller's and must outlive the meter */
    const uint8_t *signature;
    size_t signature_len;
} ds_meter_image_options;
void ds_meter_set_image_options(ds_meter *m, const ds_meter_image_options *o);

/* The meter's monotonic clock in milliseconds: 0 (the default) follows the real one; otherwise
 * it stands at ms (for tests of verification and activation delays). */
void ds_meter_set_mono_ms(ds_meter *m, int64_t ms);

/* ---- emulate: serving the meter ---- */

typedef enum {
    DS_EMULATE_TCP = 0,   /* TCP with the wrapper */
    DS_EMULATE_UDP,       /* UDP with the wrapper */
    DS_EMULATE_HDLC_TCP,  /* HDLC frames over TCP */
    DS_EMULATE_PTY,       /* HDLC on a new pseudo-terminal; link = a symlink to its slave */
    DS_EMULATE_SERIAL     /* HDLC on a serial device with termios settings */
} ds_emulate_transport;

typedef struct ds_emulate_options {
    ds_emulate_transport transport;
    int port;                 /* TCP/UDP port on 127.0.0.1 (and ::1); 0 = any free one */
    const char *path;         /* pty link or serial device */
    const char *serial_settings; /* "9600:8N1"; NULL = 9600 8N1 */
    uint16_t max_info;        /* 0 = the model's */
    uint8_t window;           /* 0 = the model's */
    int max_clients;          /* 0 = 64 */
    uint32_t idle_timeout_ms; /* a client silent this long is dropped; 0 = 120000 */
    /* fault injection and the link-speed model (all 0: off). Frames count from 1 over the
       meter's whole run, every client together. */
    uint32_t drop_frame;      /* the nth frame the meter would send is not sent */
    uint32_t corrupt_frame;   /* the nth frame is sent with a byte inverted */
    uint32_t delay_ms;        /* every frame is sent this much later */
    uint32_t reset_after_blocks; /* after this many image blocks taken, the link drops (once) */
    uint32_t silent_after_activate_ms; /* after an image is activated the meter is silent this
                                          long, then the links of the time are dropped */
    uint32_t baud;            /* frames take as long as on a serial line at this speed (10 bits a byte) */
    uint32_t turnaround_ms;   /* and the line turns around this long before an answer */
    /* told once the meter listens: "listening on tcp 127.0.0.1:4059" */
    void (*ready)(void *user, const char *where);
    void *user;
    /* set to non-zero (e.g. by a signal handler) to stop the loop */
    volatile sig_atomic_t *stop;
} ds_emulate_options;

/* Serves until *stop becomes non-zero. 0 on a clean stop, -1 with err (cannot listen, ...). */
int ds_emulate_run(ds_meter *m, const ds_emulate_options *o, char *err, size_t errsz);

#ifdef __cplusplus
}
#endif

#endif
