/* dlmscope emulate: serve a meter model to clients. The model, the objects and the loop are
 * library work (dlmscope/meter.h); this file reads the command line, sets up the signals and
 * prints the one "listening on ..." line. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dlmscope/meter.h"

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

void ds_cmd_emulate_usage(FILE *out)
{
    fprintf(out,
            "usage: dlmscope emulate --model FILE [TRANSPORT] [OPTIONS]\n"
            "\n"
            "Be the meter that the model describes (see dlmscope-model(5)): answer clients' associations,\n"
            "GET, SET and ACTION requests with the model's objects. Prints one line, \"listening on ...\",\n"
            "when ready; serves until SIGINT or SIGTERM.\n"
            "\n"
            "Transport (one; default --tcp 4059):\n"
            "  --tcp PORT           TCP with the wrapper on 127.0.0.1 (0: any free port, printed)\n"
            "  --udp PORT           UDP with the wrapper on 127.0.0.1\n"
            "  --hdlc-tcp PORT      HDLC frames over TCP on 127.0.0.1\n"
            "  --pty LINK           HDLC on a new pseudo-terminal, reachable as the symlink LINK\n"
            "  --serial DEVICE[:BAUD:DPS]  HDLC on a serial port (default 9600:8N1)\n"
            "\n"
            "Options:\n"
            "  --model FILE         the meter model (required)\n"
            "  --max-info N         HDLC max info field, 32..2030 (default: the model's, 128)\n"
            "  --window N           HDLC window, 1..7 (default: the model's, 1)\n"
            "  --max-clients N      clients served at once over TCP or UDP (default 64)\n"
            "  --idle SECONDS       drop a client silent this long (default 120)\n"
            "  -h, --help           this help\n"
            "\n"
            "Exit status: 0 stopped by a signal, 1 the model or the transport could not be used,\n"
            "2 usage error.\n");
}

static int usage_error(const char *msg, const char *what)
{
    fprintf(stderr, "dlmscope emulate: %s%s\n", msg, what);
    return DS_EXIT_USAGE;
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static void print_ready(void *user, const char *where)
{
    (void)user;
    printf("listening on %s\n", where);
    fflush(stdout);
}

enum { OPT_MODEL = 256, OPT_TCP, OPT_UDP, OPT_HDLC_TCP, OPT_PTY, OPT_SERIAL, OPT_MAX_INFO, OPT_WINDOW,
       OPT_MAX_CLIENTS, OPT_IDLE };

static const struct option LONG_OPTIONS[] = {
    {"model", required_argument, NULL, OPT_MODEL},       {"tcp", required_argument, NULL, OPT_TCP},
    {"udp", required_argument, NULL, OPT_UDP},           {"hdlc-tcp", required_argument, NULL, OPT_HDLC_TCP},
    {"pty", required_argument, NULL, OPT_PTY},           {"serial", required_argument, NULL, OPT_SERIAL},
    {"max-info", required_argument, NULL, OPT_MAX_INFO}, {"window", required_argument, NULL, OPT_WINDOW},
    {"max-clients", required_argument, NULL, OPT_MAX_CLIENTS}, {"idle", required_argument, NULL, OPT_IDLE},
    {"help", no_argument, NULL, 'h'},                    {NULL, 0, NULL, 0}};

int ds_cmd_emulate(int argc, char **argv)
{
    ds_emulate_options o;
    memset(&o, 0, sizeof o);
    o.transport = DS_EMULATE_TCP;
    o.port = 4059;
    const char *model = NULL;
    int transports = 0;
    long v;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", LONG_OPTIONS, NULL)) != -1) {
        switch (c) {
        case OPT_MODEL: model = optarg; break;
        case OPT_TCP:
        case OPT_UDP:
        case OPT_HDLC_TCP:
            if (parse_int(optarg, 0, 65535, &v)) return usage_error("not a port (0..65535): ", optarg);
            o.transport = c == OPT_TCP ? DS_EMULATE_TCP : c == OPT_UDP ? DS_EMULATE_UDP : DS_EMULATE_HDLC_TCP;
            o.port = (int)v;
            transports++;
            break;
        case OPT_PTY:
        case OPT_SERIAL:
            o.transport = c == OPT_PTY ? DS_EMULATE_PTY : DS_EMULATE_SERIAL;
            o.path = optarg;
            transports++;
            break;
        case OPT_MAX_INFO:
            if (parse_int(optarg, 32, 2030, &v)) return usage_error("--max-info takes 32..2030: ", optarg);
            o.max_info = (uint16_t)v;
            break;
        case OPT_WINDOW:
            if (parse_int(optarg, 1, 7, &v)) return usage_error("--window takes 1..7: ", optarg);
            o.window = (uint8_t)v;
            break;
        case OPT_MAX_CLIENTS:
            if (parse_int(optarg, 1, 4000, &v)) return usage_error("--max-clients takes 1..4000: ", optarg);
            o.max_clients = (int)v;
            break;
        case OPT_IDLE:
            if (parse_int(optarg, 1, 86400, &v)) return usage_error("--idle takes 1..86400 seconds: ", optarg);
            o.idle_timeout_ms = (uint32_t)v * 1000u;
            break;
        case 'h': ds_cmd_emulate_usage(stdout); return DS_EXIT_OK;
        case ':': return usage_error("option needs a value: ", argv[optind - 1]);
        default: return usage_error("unknown option: ", argv[optind - 1]);
        }
    }
    if (optind < argc) return usage_error("unexpected argument: ", argv[optind]);
    if (!model) return usage_error("--model FILE is required", "");
    if (transports > 1) return usage_error("give one transport", "");

    char err[600];
    ds_meter *m = ds_meter_load(model, err, sizeof err);
    if (!m) {
        fprintf(stderr, "dlmscope emulate: %s\n", err);
        return DS_EXIT_UNDECODABLE;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal; /* no SA_RESTART: poll returns at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    o.ready = print_ready;
    o.stop = &stop_requested;
    int rc = ds_emulate_run(m, &o, err, sizeof err);
    ds_meter_free(m);
    if (rc) {
        fprintf(stderr, "dlmscope emulate: %s\n", err);
        return DS_EXIT_UNDECODABLE;
    }
    return DS_EXIT_OK;
}
