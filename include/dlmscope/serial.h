/* Live serial ports: settings, opening with termios, the listening loop, and the
 * IEC 62056-21 mode E opening.
 *
 * Settings are written BAUD:DPS as in "2400:8N1", "9600:7E1", "115200:8N2", or in
 * Gurux's spelling "9600:8None1", "300:7Even1"; a device may carry its settings as in
 * Gurux XmlClient's -S: "/dev/ttyUSB0:9600:8None1". The parser is plain text work
 * and knows nothing of the system; opening the port says which baud rates and
 * parities the system can set. */
#ifndef DLMSCOPE_SERIAL_H
#define DLMSCOPE_SERIAL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "dlmscope/decoder.h"
#include "dlmscope/sink.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ds_parity {
    DS_PARITY_NONE = 0,
    DS_PARITY_EVEN,
    DS_PARITY_ODD,
    DS_PARITY_MARK,  /* parity bit always 1 (stick parity: only where the system has CMSPAR) */
    DS_PARITY_SPACE  /* parity bit always 0 (likewise) */
} ds_parity;

typedef struct ds_serial_settings {
    unsigned long baud;  /* bits per second */
    int data_bits;       /* 5 to 8 */
    ds_parity parity;
    int stop_bits;       /* 1 or 2 */
} ds_serial_settings;

/* Longest settings text written by ds_serial_settings_format ("4000000:8N1"), with its NUL. */
#define DS_SERIAL_SETTINGS_TEXT 24

/* 9600 8N1: the HDLC default without mode E. */
void ds_serial_settings_init(ds_serial_settings *s);

/* Parses "BAUD" (8N1 then), "BAUD:DPS" or "BAUD:D<Parity>S" (None, Even, Odd, Mark, Space,
 * any case). 0 on success; -1 with a message naming the bad part in err (err may be NULL). */
int ds_serial_settings_parse(const char *text, ds_serial_settings *out, char *err, size_t err_len);

/* Parses "DEVICE" or "DEVICE:BAUD:DPS" (a device path may itself hold colons: the settings
 * are taken from the end only when both fields read as settings). The device is copied into
 * device (device_len bytes with its NUL); *has_settings says whether settings were there
 * (out is left alone when not). 0 on success, -1 with a message in err. */
int ds_serial_target_parse(const char *text, char *device, size_t device_len, ds_serial_settings *out,
                           int *has_settings, char *err, size_t err_len);

/* Writes "9600:8N1" into buf (at least DS_SERIAL_SETTINGS_TEXT bytes); returns buf. */
char *ds_serial_settings_format(const ds_serial_settings *s, char *buf, size_t buf_len);

/* 1 when the system's termios can set this baud rate exactly. */
int ds_serial_baud_supported(unsigned long baud);

/* Opens DEVICE (O_NOCTTY, non-blocking) and configures it with ds_serial_configure.
 * Returns the descriptor, or -1 with a message naming the device and what failed. */
int ds_serial_open(const char *device, const ds_serial_settings *s, char *err, size_t err_len);

/* Raw mode (no line editing, no character translation, no flow control), CLOCAL|CREAD,
 * the given baud, data bits, parity and stop bits; reads return what has arrived. Pending
 * input and output are dropped only with discard set (used when the speed changes).
 * 0, or -1 with a message naming the setting that could not be made. */
int ds_serial_configure(int fd, const ds_serial_settings *s, int discard, char *err, size_t err_len);

/* ---- listening ------------------------------------------------------------------------------- */

/* How a listening session ended. */
typedef enum ds_listen_end {
    DS_LISTEN_STOPPED = 0, /* *stop was set (a signal) */
    DS_LISTEN_SILENCE,     /* no byte for timeout_ms */
    DS_LISTEN_HANGUP,      /* end of file, or the other side hung up */
    DS_LISTEN_ERROR        /* a read or write failed (errno set) */
} ds_listen_end;

typedef struct ds_listen_config {
    int fd;                          /* what is read (and written by ds_listener_send) */
    int timeout_ms;                  /* end after this long without a byte; < 0 never */
    int gap_ms;                      /* a silence this long ends an unframed record (a frame
                                        begun is never cut); <= 0 never */
    FILE *raw;                       /* NULL, or where every byte goes with its time, in the
                                        socat -x -v form that decode reads back */
    const volatile sig_atomic_t *stop; /* NULL, or a flag a signal handler sets to end */
    const char *name;                /* the device, for the raw log's first line */
} ds_listen_config;

typedef struct ds_listener ds_listener;

/* The decoder and sink are borrowed; bytes go to the decoder as they arrive and the sink is
 * flushed after each burst. */
ds_listener *ds_listener_new(const ds_listen_config *cfg, ds_decoder *d, ds_sink *sink);
/* Writes a request to the port (all of it, within timeout_ms, default 5 s when none), logs it
 * as sent (TX) and decodes it. 0, or -1 with a message in err. */
int ds_listener_send(ds_listener *l, const uint8_t *p, size_t n, char *err, size_t err_len);
/* A line of text in the raw log (e.g. what the IEC opening said); no effect without one. */
void ds_listener_note(ds_listener *l, const char *text);
/* Reads until stopped, silent for timeout_ms, hung up or failed; then ends the pending
 * frames (ds_decoder_end is left to the caller, which owns the decoder). */
ds_listen_end ds_listener_run(ds_listener *l);
uint64_t ds_listener_bytes_received(const ds_listener *l);
/* Keeps a copy of the first max bytes received (none unless asked), for a look at them after the
 * run (listen --diagnose infers the serial settings from them when they held no valid frame).
 * Memory: max bytes, taken here. 0, or -1 on no memory (nothing is kept then). */
int ds_listener_keep_received(ds_listener *l, size_t max);
/* The bytes kept so far (at most the max asked for), owned by the listener; NULL when none. */
const uint8_t *ds_listener_kept(const ds_listener *l, size_t *n);
void ds_listener_free(ds_listener *l);

/* ---- IEC 62056-21 mode E ----------------------------------------------------------------------- */

#define DS_IEC_IDENT_MAX 64

typedef struct ds_iec_result {
    char ident[DS_IEC_IDENT_MAX];  /* the identification line without "/" and CR LF */
    unsigned long baud;            /* the baud rate agreed (from the baud character) */
    char baud_char;                /* the baud character Z the meter offered */
    int mode_e;                    /* the meter offered HDLC mode E ("\2" after Z) */
} ds_iec_result;

/* Baud character of modes C/D/E ('0' 300 ... '6' 19200) to the rate; 0 when not one. */
unsigned long ds_iec_baud_of_char(char z);

/* Parses an identification line "/XXXZ\W ident" (without CR LF). 0 or -1 with a message. */
int ds_iec_ident_parse(const char *line, size_t len, ds_iec_result *out, char *err, size_t err_len);

/* The mode E opening on an open port: 300 baud 7E1, "/?!" CR LF, the identification, the
 * option select ACK '2' Z '2' CR LF, a wait, then Z baud 8N1 (data bits, parity and stop bits
 * of `after`; its baud is replaced). Each wait is bounded by timeout_ms. The exchange is
 * noted in the listener's raw log when l is not NULL. 0, or -1 with a message. */
int ds_iec_mode_e_open(int fd, const ds_serial_settings *after, int timeout_ms, ds_listener *l,
                       ds_iec_result *out, char *err, size_t err_len);

/* ---- probing a port for its settings ----------------------------------------------------------- */

/* One setting tried by ds_serial_probe. */
typedef struct ds_probe_try {
    ds_serial_settings settings;
    uint64_t bytes;        /* received while listening at it */
    size_t frames;         /* HDLC, M-Bus or IEC 62056-21 frames with good checks among them */
    int failed;            /* the port refused the setting (the rest are 0) */
} ds_probe_try;

typedef struct ds_probe_config {
    int fd;                            /* an open port (ds_serial_open) */
    int listen_ms;                     /* how long each setting is listened to, > 0 */
    const uint8_t *request;            /* NULL, or sent after each switch (an SNRM) */
    size_t request_len;
    const volatile sig_atomic_t *stop; /* NULL, or a flag a signal handler sets to end */
    /* NULL, or called after each setting (to say how it went as it goes) */
    void (*tried)(void *user, const ds_probe_try *t);
    void *user;
} ds_probe_config;

/* The settings tried, in order (the HAN and customer ports' 2400 8E1 and 8N1, HDLC's 9600 8N1,
 * P1's 115200 8N1, then the other usual rates; 300 7E1 for IEC 62056-21): how many, copied into
 * out (up to cap). */
size_t ds_probe_settings(ds_serial_settings *out, size_t cap);

/* A plain SNRM to the all-station address from client 16 (the bytes IEC 62056-46 gives, FCS
 * included), for --send-snrm: *len gets its length. */
const uint8_t *ds_probe_snrm(size_t *len);

/* Tries the n settings one after another on cfg->fd: switches the port (pending bytes dropped),
 * sends the request if any, and listens for up to listen_ms, stopping early once a frame with
 * good checks has come. Stops at the first setting that gives one. tries gets one entry per
 * setting tried (n at most); *ntried says how many. Returns the index of the setting that gave
 * frames, -1 when none did, -2 on a read or write error (message in err). */
int ds_serial_probe(const ds_probe_config *cfg, const ds_serial_settings *settings, size_t n, ds_probe_try *tries,
                    size_t *ntried, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif
#endif
