/* dlmscope listen: a live serial port in, XML or JSON out as the frames arrive. The port,
 * the reading loop and the IEC opening are library work (dlmscope/serial.h); this file
 * reads the command line, sets up the signals and says how it ended. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "dlmscope/dlmscope.h"
#include "dlmscope/serial.h"

#define DEVICE_MAX 512
#define SEND_MAX (1u << 20) /* a request file larger than this is refused */
/* --diagnose keeps the first bytes received for the serial inference when none held a valid
 * frame: it scores every setting on its first 3 KiB and the best few on all it is given, whose
 * verdict is clear long before this (diagnose of a file takes up to 4 MiB; live memory stays small). */
#define INFER_KEEP_MAX ((size_t)64 << 10)

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

void ds_cmd_listen_usage(FILE *out)
{
    fprintf(out,
            "usage: dlmscope listen [OPTIONS] DEVICE[:BAUD:DPS]\n"
            "\n"
            "Read a serial port (or a pseudo-terminal) and decode the DLMS/COSEM frames as they arrive,\n"
            "into Gurux-style XML (or JSON), written at once. Ends on Ctrl-C (SIGINT), SIGTERM, hang-up,\n"
            "or --timeout; the document is then closed and a summary goes to standard error.\n"
            "\n"
            "Options:\n"
            "  --serial SETTINGS    BAUD:DPS as 2400:8N1, 9600:7E1, 115200:8N2 or Gurux's 9600:8None1\n"
            "                       (default 9600:8N1; DEVICE:9600:8None1 says the same)\n"
            "  --timeout SECONDS    end after this long without a byte (default: never)\n"
            "  --gap SECONDS        a silence this long ends an unframed record (default 1; 0 never);\n"
            "                       a frame begun is never cut\n"
            "  --raw FILE           save every byte with its time, in a form decode reads back\n"
            "  --send FILE          write the request in FILE (hex, or XML as encode reads it) first\n"
            "  --probe              find the port's settings: try the usual ones one after another (each\n"
            "                       for --timeout seconds, default 3) until one gives frames with good\n"
            "                       checks, and say which; nothing is decoded\n"
            "  --send-snrm          with --probe: send an SNRM at each setting (for a meter that does\n"
            "                       not push) and listen for its answer\n"
            "  --iec                IEC 62056-21 mode E opening first: /?! at 300 baud 7E1, then the\n"
            "                       baud rate the meter offers (data bits, parity, stop bits of --serial)\n"
            "  --ek HEX, --ak HEX   global block cipher / authentication key (also DLMSCOPE_EK, DLMSCOPE_AK)\n"
            "  --key-file FILE      keys per system title (see dlmscope(1)); the other key, title and\n"
            "                       secret options of decode are taken too\n"
            "  --format KIND        framing: auto (default), hdlc, wrapper, mbus, pdu\n"
            "  --decimal            numbers in decimal instead of hex\n"
            "  --no-comments        no explanatory comments (diagnostics are still written)\n"
            "  --pdu-only           APDUs only, without frame envelopes\n"
            "  --json               JSON Lines output, one object per frame\n"
            "  --standard-xml       the IEC 62056 XML representation; not with --json\n"
            "  --diagnostics=MODE   diagnostics on stderr: text (default), json, none\n"
            "  --diagnose           diagnose as it listens: findings with hints on stderr (as --diagnostics\n"
            "                       says), the summary at the end; with no valid frame, the serial\n"
            "                       settings inferred from the first bytes (see dlmscope-diagnose(1))\n"
            "  -o, --output FILE    write to FILE instead of standard output\n"
            "  -h, --help           this help\n"
            "\n"
            "Exit status: 0 everything decoded, 1 something was not decodable or the port failed,\n"
            "2 usage error.\n");
}

typedef enum { DIAG_NONE, DIAG_TEXT, DIAG_JSON } diag_mode;

typedef struct listen_args {
    ds_options opt;
    char device[DEVICE_MAX];
    ds_serial_settings serial;
    int have_serial;
    int timeout_ms, gap_ms;
    const char *raw, *send, *output;
    int iec, json, standard;
    int probe, send_snrm; /* --probe: find the port's settings instead of listening */
    diag_mode diag;
    int diagnose;     /* --diagnose: findings instead of bare diagnostics, a summary at the end */
    ds_cli_keys keys; /* the key options and the environment's keys, as decode takes them */
} listen_args;

static int usage_error(const char *fmt, const char *what)
{
    fputs("dlmscope listen: ", stderr);
    fprintf(stderr, "%s%s\n", fmt, what);
    return DS_EXIT_USAGE;
}

/* Seconds, with a fraction, to milliseconds: "2", "0.5". -1 when not one. */
static int parse_seconds(const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0) || v > 86400.0 * 365) return -1;
    return (int)(v * 1000 + 0.5);
}

static void print_diag(void *user, const ds_diag *d)
{
    const listen_args *a = user;
    if (a->diag == DIAG_JSON) {
        ds_diag_write_json(stderr, d);
    } else if (a->diag == DIAG_TEXT) {
        fprintf(stderr, "dlmscope: %s: %s %s at offset %llu", a->device, ds_severity_name(d->severity), d->code,
                (unsigned long long)d->offset);
        if (d->frame) fprintf(stderr, ", frame %llu", (unsigned long long)d->frame);
        fprintf(stderr, ": %s\n", d->message);
    }
}

enum { OPT_SERIAL = 256, OPT_TIMEOUT, OPT_GAP, OPT_RAW, OPT_SEND, OPT_IEC, OPT_FORMAT, OPT_DECIMAL, OPT_NO_COMMENTS,
       OPT_PDU_ONLY, OPT_JSON, OPT_STD, OPT_DIAG, OPT_DIAGNOSE, OPT_PROBE, OPT_SEND_SNRM };

static const struct option LONG_OPTIONS[] = {
    {"serial", required_argument, NULL, OPT_SERIAL},   {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"gap", required_argument, NULL, OPT_GAP},         {"raw", required_argument, NULL, OPT_RAW},
    {"send", required_argument, NULL, OPT_SEND},       {"iec", no_argument, NULL, OPT_IEC},
    {"format", required_argument, NULL, OPT_FORMAT},   {"decimal", no_argument, NULL, OPT_DECIMAL},
    {"no-comments", no_argument, NULL, OPT_NO_COMMENTS}, {"pdu-only", no_argument, NULL, OPT_PDU_ONLY},
    {"json", no_argument, NULL, OPT_JSON},             {"standard-xml", no_argument, NULL, OPT_STD},
    {"diagnostics", required_argument, NULL, OPT_DIAG}, {"output", required_argument, NULL, 'o'},
    DS_CLI_DECODER_KEY_OPTIONS,                        {"help", no_argument, NULL, 'h'},
    {"diagnose", no_argument, NULL, OPT_DIAGNOSE},
    {"probe", no_argument, NULL, OPT_PROBE},           {"send-snrm", no_argument, NULL, OPT_SEND_SNRM},
    {NULL, 0, NULL, 0}};

static int parse_format(const char *s, ds_link_kind *out)
{
    static const struct {
        const char *name;
        ds_link_kind kind;
    } KINDS[] = {{"auto", DS_LINK_AUTO}, {"hdlc", DS_LINK_HDLC}, {"wrapper", DS_LINK_WRAPPER},
                 {"mbus", DS_LINK_MBUS}, {"pdu", DS_LINK_RAW}, {"raw", DS_LINK_RAW}};
    for (size_t i = 0; i < sizeof KINDS / sizeof KINDS[0]; i++)
        if (!strcmp(s, KINDS[i].name)) {
            *out = KINDS[i].kind;
            return 0;
        }
    return -1;
}

static int take_option(listen_args *a, int c, const char *arg, char **argv)
{
    char err[200];
    switch (c) {
    case OPT_SERIAL:
        if (ds_serial_settings_parse(arg, &a->serial, err, sizeof err)) return usage_error("--serial: ", err);
        a->have_serial = 1;
        return -1;
    case OPT_TIMEOUT:
        if ((a->timeout_ms = parse_seconds(arg)) < 0) return usage_error("--timeout: not a number of seconds: ", arg);
        return -1;
    case OPT_GAP:
        if ((a->gap_ms = parse_seconds(arg)) < 0) return usage_error("--gap: not a number of seconds: ", arg);
        return -1;
    case OPT_RAW: a->raw = arg; return -1;
    case OPT_SEND: a->send = arg; return -1;
    case OPT_IEC: a->iec = 1; return -1;
    case OPT_PROBE: a->probe = 1; return -1;
    case OPT_SEND_SNRM: a->send_snrm = 1; return -1;
    case OPT_FORMAT:
        if (parse_format(arg, &a->opt.link)) return usage_error("unknown --format (auto, hdlc, wrapper, mbus, pdu): ", arg);
        return -1;
    case OPT_DECIMAL: a->opt.decimal = 1; return -1;
    case OPT_NO_COMMENTS: a->opt.comments = 0; return -1;
    case OPT_PDU_ONLY: a->opt.pdu_only = 1; return -1;
    case OPT_JSON: a->json = 1; return -1;
    case OPT_STD: a->standard = 1; return -1;
    case OPT_DIAG:
        if (!strcmp(arg, "json")) a->diag = DIAG_JSON;
        else if (!strcmp(arg, "text")) a->diag = DIAG_TEXT;
        else if (!strcmp(arg, "none")) a->diag = DIAG_NONE;
        else return usage_error("unknown --diagnostics (text, json, none): ", arg);
        return -1;
    case OPT_DIAGNOSE: a->diagnose = 1; return -1;
    case 'o': a->output = arg; return -1;
    case 'h': ds_cmd_listen_usage(stdout); return DS_EXIT_OK;
    case ':': return usage_error("this option needs a value: ", argv[optind - 1]);
    default: {
        int status = ds_cli_keys_take(&a->keys, c, arg);
        if (status == DS_CLI_NOT_A_KEY_OPTION) return usage_error("unknown option: ", argv[optind - 1]);
        return status == 0 ? -1 : status;
    }
    }
}

/* The options, then the one device (with its settings, when it carries them). */
static int parse_args(listen_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    ds_options_init(&a->opt);
    ds_serial_settings_init(&a->serial);
    a->timeout_ms = -1;
    a->gap_ms = 1000;
    a->diag = DIAG_TEXT;
    int key_status = ds_cli_keys_init(&a->keys, "listen", 1);
    if (key_status) return key_status < 0 ? usage_error("out of memory", "") : key_status;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", LONG_OPTIONS, NULL)) != -1) {
        int status = take_option(a, c, optarg, argv);
        if (status >= 0) return status;
    }
    if (optind + 1 != argc) {
        ds_cmd_listen_usage(stderr);
        return usage_error(optind == argc ? "no DEVICE given" : "one DEVICE only", "");
    }
    char err[200];
    ds_serial_settings in_name;
    int has = 0;
    if (ds_serial_target_parse(argv[optind], a->device, sizeof a->device, &in_name, &has, err, sizeof err))
        return usage_error("", err);
    if (has && a->have_serial) return usage_error("settings both in the device name and --serial: ", argv[optind]);
    if (has) a->serial = in_name;
    if (a->json && a->standard) return usage_error("--json and --standard-xml exclude each other", "");
    if (a->send_snrm && !a->probe) return usage_error("--send-snrm goes with --probe", "");
    if (a->probe && (has || a->have_serial)) return usage_error("--probe tries the settings itself: no --serial", "");
    if (a->standard) a->opt.decimal = 1;
    ds_cli_keys_apply(&a->keys, &a->opt);
    return -1;
}

/* The request of --send: hex text, or XML (anything whose first non-blank is '<'). */
typedef struct request {
    uint8_t *bytes;
    size_t len, cap;
    int failed;
} request;

static void collect(void *user, const uint8_t *p, size_t n)
{
    request *r = user;
    if (r->failed || n > SEND_MAX - r->len) {
        r->failed = 1;
        return;
    }
    if (r->len + n > r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        while (cap < r->len + n) cap *= 2;
        uint8_t *b = realloc(r->bytes, cap);
        if (!b) {
            r->failed = 1;
            return;
        }
        r->bytes = b;
        r->cap = cap;
    }
    memcpy(r->bytes + r->len, p, n);
    r->len += n;
}

static void encode_error(void *user, long line, const char *message)
{
    fprintf(stderr, "dlmscope listen: %s: line %ld: %s\n", (const char *)user, line, message);
}

static int read_request(const char *path, request *r)
{
    memset(r, 0, sizeof *r);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "dlmscope listen: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *text = malloc(SEND_MAX + 1);
    size_t n = text ? fread(text, 1, SEND_MAX + 1, f) : 0;
    fclose(f);
    if (!text || n > SEND_MAX) {
        fprintf(stderr, "dlmscope listen: %s: too large for a request (or out of memory)\n", path);
        free(text);
        return -1;
    }
    size_t i = 0;
    while (i < n && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')) i++;
    int rc = 0;
    if (i < n && text[i] == '<') {
        ds_encode_options eo;
        ds_encode_options_init(&eo);
        rc = ds_encode_memory(text, n, &eo, collect, r, encode_error, (void *)path, NULL) != 0 || r->failed ? -1 : 0;
    } else {
        r->bytes = ds_hex_parse_text(text, n, &r->len);
        if (!r->bytes) rc = -1;
    }
    free(text);
    if (rc == 0 && r->len == 0) rc = -1;
    if (rc) fprintf(stderr, "dlmscope listen: %s: no request could be read from it\n", path);
    return rc;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a wait is cut short by the signal */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static const char *end_reason(ds_listen_end e)
{
    switch (e) {
    case DS_LISTEN_STOPPED: return "a signal";
    case DS_LISTEN_SILENCE: return "silence (--timeout)";
    case DS_LISTEN_HANGUP: return "hang-up or end of input";
    default: return "read error";
    }
}

/* --diagnose: each finding on stderr as it is made, in the form --diagnostics asks. Named by its
 * frame and byte offset (and time), not by the line the listener gives the decoder: that is a
 * line of the raw log, which a live reader does not see (and decode of the raw log gives the
 * same frames and offsets). */
static void print_finding(void *user, const ds_finding *f)
{
    const listen_args *a = user;
    ds_finding live = *f;
    live.line = 0;
    if (a->diag == DIAG_JSON) ds_finding_write_json(stderr, &live);
    else if (a->diag == DIAG_TEXT) ds_finding_write_text(stderr, &live);
}

/* No valid frames on the port: the wrong-setting inference of diagnose, on the first bytes it
 * gave, read as received at the port's settings (told or the default: known either way). The
 * finding goes where the others went. Its severity, or -1 when there was nothing to infer from. */
static int infer_settings(const listen_args *a, const ds_listener *l)
{
    size_t n;
    const uint8_t *bytes = ds_listener_kept(l, &n);
    if (!bytes || n == 0) return -1;
    ds_serial_inference inf;
    if (ds_serial_infer(bytes, n, &a->serial, &inf) != 0) {
        fprintf(stderr, "dlmscope listen: out of memory for the serial inference\n");
        return -1;
    }
    int sev = ds_cli_serial_finding(&inf, a->device, print_finding, (void *)a);
    ds_serial_inference_free(&inf);
    return sev;
}

/* No valid frames: where the setting that would give them is said, and --probe, which tries the
 * settings on the port itself. settings: the port's, as text. Text mode only: the JSON lines on
 * stderr stay JSON. */
static void say_how_to_find_settings(const listen_args *a, const char *settings, int inferred)
{
    fprintf(stderr, "dlmscope listen: %s: no valid frames at %s: %s, or try dlmscope listen --probe %s\n", a->device,
            settings,
            inferred ? "for the setting that would give them, see the serial finding above"
                     : "no bytes came to infer the setting from",
            a->device);
}

/* Everything after the port is open: the opening, the request, the reading, the summary. */
static int listen_on(listen_args *a, int fd, FILE *raw, ds_sink *sink)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ds_diagnoser *g = a->diagnose ? ds_diagnoser_new(print_finding, a) : NULL;
    if (g) ds_diagnoser_options(g, &a->opt);
    ds_decoder *d = ds_decoder_new(&a->opt, sink, g ? ds_diagnoser_diag : print_diag, g ? (void *)g : (void *)a);
    ds_listen_config cfg = {fd, a->timeout_ms, a->gap_ms, raw, &stop_requested, a->device};
    ds_listener *l = d ? ds_listener_new(&cfg, d, sink) : NULL;
    if (l && g && ds_listener_keep_received(l, INFER_KEEP_MAX) != 0) {
        ds_listener_free(l);
        l = NULL;
    }
    if (!l) {
        fprintf(stderr, "dlmscope: out of memory\n");
        ds_decoder_free(d);
        ds_diagnoser_free(g);
        return DS_EXIT_UNDECODABLE;
    }
    char err[300], text[DS_SERIAL_SETTINGS_TEXT], note[400];
    snprintf(note, sizeof note, "settings %s", ds_serial_settings_format(&a->serial, text, sizeof text));
    ds_listener_note(l, note);
    int status = DS_EXIT_OK, ran = 0;
    ds_listen_end end = DS_LISTEN_ERROR;
    sink->begin_document(sink);
    ds_sink_flush(sink);
    ds_iec_result iec;
    if (a->iec && ds_iec_mode_e_open(fd, &a->serial, a->timeout_ms > 0 ? a->timeout_ms : 2000, l, &iec, err, sizeof err)) {
        fprintf(stderr, "dlmscope listen: %s: %s\n", a->device, err);
        status = DS_EXIT_UNDECODABLE;
    }
    request req = {0};
    if (status == DS_EXIT_OK && a->send && read_request(a->send, &req)) status = DS_EXIT_UNDECODABLE;
    if (status == DS_EXIT_OK && req.len && ds_listener_send(l, req.bytes, req.len, err, sizeof err)) {
        fprintf(stderr, "dlmscope listen: %s: %s\n", a->device, err);
        status = DS_EXIT_UNDECODABLE;
    }
    free(req.bytes);
    if (status == DS_EXIT_OK) {
        end = ds_listener_run(l);
        ran = 1;
        if (end == DS_LISTEN_ERROR) {
            fprintf(stderr, "dlmscope listen: %s: read error: %s\n", a->device, strerror(errno));
            status = DS_EXIT_UNDECODABLE;
        }
    }
    /* whatever ended it: the pending frames are decoded and the document is closed */
    ds_decoder_end(d);
    sink->end_document(sink);
    ds_sink_flush(sink);
    const ds_stats *st = ds_decoder_stats(d);
    if (st->errors && status == DS_EXIT_OK) status = DS_EXIT_UNDECODABLE;
    fprintf(stderr,
            "dlmscope listen: %s: %llu bytes received, %llu frames, %llu APDUs, %llu errors, %llu warnings, "
            "%.1f s%s%s\n",
            a->device, (unsigned long long)ds_listener_bytes_received(l), (unsigned long long)st->frames,
            (unsigned long long)st->apdus, (unsigned long long)st->errors, (unsigned long long)st->warnings,
            seconds_since(&t0), ran ? ", ended by " : "", ran ? end_reason(end) : "");
    if (g) {
        ds_diagnoser_end(g);
        int serial_sev = ds_diagnoser_no_frames(g) ? infer_settings(a, l) : -1;
        ds_diagnoser_write_summary(g, stderr);
        if (ds_diagnoser_no_frames(g) && a->diag == DIAG_TEXT) say_how_to_find_settings(a, text, serial_sev >= 0);
        if ((ds_diagnoser_count(g, DS_SEV_ERROR) || serial_sev == DS_SEV_ERROR) && status == DS_EXIT_OK)
            status = DS_EXIT_UNDECODABLE;
        ds_diagnoser_free(g);
    }
    ds_listener_free(l);
    ds_decoder_free(d);
    return status;
}

static int listen_with_output(listen_args *a, int fd)
{
    FILE *out = stdout;
    if (a->output && strcmp(a->output, "-") != 0 && !(out = fopen(a->output, "wb"))) {
        fprintf(stderr, "dlmscope: %s: %s\n", a->output, strerror(errno));
        return DS_EXIT_UNDECODABLE;
    }
    setvbuf(out, NULL, _IONBF, 0); /* the sinks hand over whole blocks, flushed after each burst */
    FILE *raw = NULL;
    int status = DS_EXIT_OK;
    if (a->raw && !(raw = fopen(a->raw, "w"))) {
        fprintf(stderr, "dlmscope: %s: %s\n", a->raw, strerror(errno));
        status = DS_EXIT_UNDECODABLE;
    }
    ds_sink *sink = NULL;
    if (status == DS_EXIT_OK) {
        sink = a->json ? ds_json_sink_new(out) : a->standard ? ds_std_xml_sink_new(out) : ds_xml_sink_new(out);
        if (!sink) {
            fprintf(stderr, "dlmscope: out of memory\n");
            status = DS_EXIT_UNDECODABLE;
        }
    }
    if (sink) {
        ds_xml_sink_set_decimal(sink, a->opt.decimal);
        status = listen_on(a, fd, raw, sink);
        ds_sink_destroy(sink);
    }
    if (raw && fclose(raw) != 0) {
        fprintf(stderr, "dlmscope: %s: %s\n", a->raw, strerror(errno));
        status = DS_EXIT_UNDECODABLE;
    }
    if (fflush(out) != 0 || ferror(out)) {
        fprintf(stderr, "dlmscope: error writing output: %s\n", strerror(errno));
        status = DS_EXIT_UNDECODABLE;
    }
    if (out != stdout) fclose(out);
    return status;
}

/* --probe: one line per setting tried as it goes, then the verdict. */
static void say_tried(void *user, const ds_probe_try *t)
{
    (void)user;
    char text[DS_SERIAL_SETTINGS_TEXT];
    ds_serial_settings_format(&t->settings, text, sizeof text);
    if (t->failed) printf("%-12s the port refused this setting\n", text);
    else printf("%-12s %8llu bytes  %zu frames with good checks\n", text, (unsigned long long)t->bytes, t->frames);
    fflush(stdout);
}

static int probe_port(listen_args *a, int fd)
{
    ds_serial_settings settings[32];
    ds_probe_try tries[32];
    size_t n = ds_probe_settings(settings, 32), ntried = 0;
    ds_probe_config cfg = {fd, a->timeout_ms > 0 ? a->timeout_ms : 3000, NULL, 0, &stop_requested, say_tried, NULL};
    if (a->send_snrm) cfg.request = ds_probe_snrm(&cfg.request_len);
    char err[300];
    int found = ds_serial_probe(&cfg, settings, n < 32 ? n : 32, tries, &ntried, err, sizeof err);
    if (found == -2) {
        fprintf(stderr, "dlmscope listen: %s: %s\n", a->device, err);
        return DS_EXIT_UNDECODABLE;
    }
    if (found < 0) {
        fprintf(stderr, "dlmscope listen: %s: none of the %zu settings tried gave a frame with good checks\n",
                a->device, ntried);
        return DS_EXIT_UNDECODABLE;
    }
    char text[DS_SERIAL_SETTINGS_TEXT];
    ds_serial_settings_format(&settings[found], text, sizeof text);
    printf("%s: frames with good checks at %s: listen with --serial %s\n", a->device, text, text);
    return DS_EXIT_OK;
}

static int open_and_listen(listen_args *a)
{
    install_signals();
    char err[600];
    int fd = ds_serial_open(a->device, &a->serial, err, sizeof err);
    if (fd < 0) {
        fprintf(stderr, "dlmscope listen: %s\n", err);
        return DS_EXIT_UNDECODABLE;
    }
    int status = a->probe ? probe_port(a, fd) : listen_with_output(a, fd);
    close(fd);
    return status;
}

int ds_cmd_listen(int argc, char **argv)
{
    listen_args a;
    int status = parse_args(&a, argc, argv);
    if (status < 0) status = open_and_listen(&a);
    ds_cli_keys_free(&a.keys); /* every way out passes here: the keys never outlive the command */
    return status;
}
