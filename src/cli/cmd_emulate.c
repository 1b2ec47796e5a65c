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
#include "dlmscope/keys.h"
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
            "  --gbt-window N       offer general block transfer, streaming up to N blocks\n"
            "                       (1..63); 0: not offered (default: the model's, 0)\n"
            "  --max-pdu N          the meter's max receive PDU size, 64..65535 (default: the\n"
            "                       model's, 1024); longer APDUs come in GBT blocks or pblocks\n"
            "  --keep-client-ic     remember each client's highest invocation counter from one\n"
            "                       association to the next; a ciphered request at or below it\n"
            "                       is refused as a replay, as a meter does (default: afresh)\n"
            "  --max-clients N      clients served at once over TCP or UDP (default 64)\n"
            "  --idle SECONDS       drop a client silent this long (default 120)\n"
            "\n"
            "Image transfer (class 18):\n"
            "  --store-images DIR   write each verified image to DIR/IDENTIFIER (hex when not plain)\n"
            "  --max-image BYTES    refuse larger images at image_transfer_initiate (default 16777216)\n"
            "  --image-block-size N image_block_size (attribute 2), 1..65535 bytes (default: the\n"
            "                       model's, 256); a block's ACTION longer than the max PDU comes\n"
            "                       in general block transfer blocks or pblocks\n"
            "  --verify-delay-ms MS verification takes MS (status 2, image_verify temporary-failure)\n"
            "  --verify-fail        verification ends in verification failed (4)\n"
            "  --activate-delay-ms MS  activation takes MS (status 5, image_activate temporary-failure)\n"
            "  --activate-fail      activation ends in activation failed (7)\n"
            "  --refuse-block N     answer block N once with hardware-fault\n"
            "  --verify-busy N      answer image_verify with temporary-failure N times first\n"
            "  --image-signature HEX  the signature attribute 7 gives a verified image (default none)\n"
            "\n"
            "Faults and the link-speed model (frames count from 1, all clients together):\n"
            "  --drop-frame N       do not send the Nth frame\n"
            "  --corrupt-frame N    send the Nth frame with a byte inverted\n"
            "  --delay-ms MS        send every frame MS later\n"
            "  --reset-after-blocks N  drop the link once, on the Nth image block taken (unanswered)\n"
            "  --silent-after-activate MS  after an image is activated, answer nothing for MS,\n"
            "                       then drop the links of the time (a reboot)\n"
            "  --baud N             send frames as a serial line of N baud would (10 bits a byte)\n"
            "  --turnaround-ms MS   and turn the line around MS before an answer\n"
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
       OPT_MAX_CLIENTS, OPT_IDLE, OPT_STORE_IMAGES, OPT_MAX_IMAGE, OPT_VERIFY_DELAY, OPT_VERIFY_FAIL,
       OPT_ACTIVATE_DELAY, OPT_ACTIVATE_FAIL, OPT_REFUSE_BLOCK, OPT_VERIFY_BUSY, OPT_IMAGE_SIGNATURE, OPT_DROP_FRAME, OPT_CORRUPT_FRAME, OPT_DELAY_MS,
       OPT_RESET_AFTER_BLOCKS, OPT_SILENT_AFTER_ACTIVATE, OPT_BAUD, OPT_TURNAROUND_MS, OPT_GBT_WINDOW,
       OPT_IMAGE_BLOCK_SIZE, OPT_MAX_PDU, OPT_KEEP_CLIENT_IC };

static const struct option LONG_OPTIONS[] = {
    {"model", required_argument, NULL, OPT_MODEL},       {"tcp", required_argument, NULL, OPT_TCP},
    {"udp", required_argument, NULL, OPT_UDP},           {"hdlc-tcp", required_argument, NULL, OPT_HDLC_TCP},
    {"pty", required_argument, NULL, OPT_PTY},           {"serial", required_argument, NULL, OPT_SERIAL},
    {"max-info", required_argument, NULL, OPT_MAX_INFO}, {"window", required_argument, NULL, OPT_WINDOW},
    {"gbt-window", required_argument, NULL, OPT_GBT_WINDOW}, {"max-pdu", required_argument, NULL, OPT_MAX_PDU},
    {"keep-client-ic", no_argument, NULL, OPT_KEEP_CLIENT_IC},
    {"max-clients", required_argument, NULL, OPT_MAX_CLIENTS}, {"idle", required_argument, NULL, OPT_IDLE},
    {"store-images", required_argument, NULL, OPT_STORE_IMAGES}, {"max-image", required_argument, NULL, OPT_MAX_IMAGE},
    {"verify-delay-ms", required_argument, NULL, OPT_VERIFY_DELAY}, {"verify-fail", no_argument, NULL, OPT_VERIFY_FAIL},
    {"activate-delay-ms", required_argument, NULL, OPT_ACTIVATE_DELAY},
    {"activate-fail", no_argument, NULL, OPT_ACTIVATE_FAIL}, {"refuse-block", required_argument, NULL, OPT_REFUSE_BLOCK},
    {"verify-busy", required_argument, NULL, OPT_VERIFY_BUSY},
    {"image-signature", required_argument, NULL, OPT_IMAGE_SIGNATURE},
    {"image-block-size", required_argument, NULL, OPT_IMAGE_BLOCK_SIZE},
    {"drop-frame", required_argument, NULL, OPT_DROP_FRAME}, {"corrupt-frame", required_argument, NULL, OPT_CORRUPT_FRAME},
    {"delay-ms", required_argument, NULL, OPT_DELAY_MS},
    {"reset-after-blocks", required_argument, NULL, OPT_RESET_AFTER_BLOCKS},
    {"silent-after-activate", required_argument, NULL, OPT_SILENT_AFTER_ACTIVATE},
    {"baud", required_argument, NULL, OPT_BAUD}, {"turnaround-ms", required_argument, NULL, OPT_TURNAROUND_MS},
    {"help", no_argument, NULL, 'h'},                    {NULL, 0, NULL, 0}};

/* The image transfer options: 1 when c is not one, 0 taken, else the usage error's exit status. */
static int image_option(int c, const char *arg, ds_meter_image_options *img)
{
    long v;
    switch (c) {
    case OPT_STORE_IMAGES: img->store_dir = arg; return 0;
    case OPT_MAX_IMAGE:
        if (parse_int(arg, 1, 0x7FFFFFFFL, &v)) return usage_error("--max-image takes 1..2147483647 bytes: ", arg);
        img->max_image_size = (uint32_t)v;
        return 0;
    case OPT_IMAGE_BLOCK_SIZE:
        /* the client's limit: a block of up to 65535 bytes (its ACTION goes in GBT blocks or
         * pblocks when longer than the max PDU) */
        if (parse_int(arg, 1, 65535, &v)) return usage_error("--image-block-size takes 1..65535 bytes: ", arg);
        img->block_size = (uint32_t)v;
        return 0;
    case OPT_VERIFY_DELAY:
    case OPT_ACTIVATE_DELAY:
        if (parse_int(arg, 0, 3600000, &v)) return usage_error("a delay takes 0..3600000 ms: ", arg);
        if (c == OPT_VERIFY_DELAY)
            img->verify_delay_ms = (uint32_t)v;
        else
            img->activate_delay_ms = (uint32_t)v;
        return 0;
    case OPT_VERIFY_FAIL: img->verify_fails = 1; return 0;
    case OPT_ACTIVATE_FAIL: img->activate_fails = 1; return 0;
    case OPT_REFUSE_BLOCK:
        if (parse_int(arg, 0, 0x7FFFFFFFL, &v)) return usage_error("--refuse-block takes a block number: ", arg);
        img->has_refuse_block = 1;
        img->refuse_block = (uint32_t)v;
        return 0;
    case OPT_IMAGE_SIGNATURE: {
        static uint8_t signature[255];
        int n = ds_hex_to_bytes(arg, signature, sizeof signature);
        if (n <= 0) return usage_error("--image-signature takes 1..255 bytes in hex: ", arg);
        img->signature = signature;
        img->signature_len = (size_t)n;
        return 0;
    }
    case OPT_VERIFY_BUSY:
        if (parse_int(arg, 0, 1000, &v)) return usage_error("--verify-busy takes 0..1000: ", arg);
        img->verify_busy = (uint32_t)v;
        return 0;
    default: return 1;
    }
}

/* The fault and link-speed options: 1 when c is not one, 0 taken, else the usage error's exit
 * status. */
static int fault_option(int c, const char *arg, ds_emulate_options *o)
{
    static const struct {
        int opt;
        long lo, hi;
        const char *msg;
    } RANGES[] = {
        {OPT_DROP_FRAME, 1, 0x7FFFFFFFL, "--drop-frame takes a frame number from 1: "},
        {OPT_CORRUPT_FRAME, 1, 0x7FFFFFFFL, "--corrupt-frame takes a frame number from 1: "},
        {OPT_DELAY_MS, 0, 600000, "--delay-ms takes 0..600000: "},
        {OPT_RESET_AFTER_BLOCKS, 1, 0x7FFFFFFFL, "--reset-after-blocks takes a count from 1: "},
        {OPT_SILENT_AFTER_ACTIVATE, 1, 3600000, "--silent-after-activate takes 1..3600000 ms: "},
        {OPT_BAUD, 50, 10000000, "--baud takes 50..10000000: "},
        {OPT_TURNAROUND_MS, 0, 600000, "--turnaround-ms takes 0..600000: "},
    };
    for (size_t i = 0; i < sizeof RANGES / sizeof RANGES[0]; i++) {
        if (RANGES[i].opt != c) continue;
        long v;
        if (parse_int(arg, RANGES[i].lo, RANGES[i].hi, &v)) return usage_error(RANGES[i].msg, arg);
        uint32_t u = (uint32_t)v;
        switch (c) {
        case OPT_DROP_FRAME: o->drop_frame = u; break;
        case OPT_CORRUPT_FRAME: o->corrupt_frame = u; break;
        case OPT_DELAY_MS: o->delay_ms = u; break;
        case OPT_RESET_AFTER_BLOCKS: o->reset_after_blocks = u; break;
        case OPT_SILENT_AFTER_ACTIVATE: o->silent_after_activate_ms = u; break;
        case OPT_BAUD: o->baud = u; break;
        default: o->turnaround_ms = u; break;
        }
        return 0;
    }
    return 1;
}

int ds_cmd_emulate(int argc, char **argv)
{
    ds_emulate_options o;
    memset(&o, 0, sizeof o);
    o.transport = DS_EMULATE_TCP;
    o.port = 4059;
    const char *model = NULL;
    int transports = 0;
    int gbt_window = -1; /* -1: the model's */
    long max_pdu = 0;    /* 0: the model's */
    int keep_client_ic = 0;
    long v;
    ds_meter_image_options img;
    memset(&img, 0, sizeof img);
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", LONG_OPTIONS, NULL)) != -1) {
        int rc = image_option(c, optarg, &img);
        if (rc == 1) rc = fault_option(c, optarg, &o);
        if (rc == 0) continue;
        if (rc != 1) return rc;
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
        case OPT_GBT_WINDOW:
            if (parse_int(optarg, 0, 63, &v)) return usage_error("--gbt-window takes 0..63: ", optarg);
            gbt_window = (int)v;
            break;
        case OPT_MAX_PDU:
            if (parse_int(optarg, 64, 65535, &max_pdu)) return usage_error("--max-pdu takes 64..65535: ", optarg);
            break;
        case OPT_KEEP_CLIENT_IC: keep_client_ic = 1; break;
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
    ds_cli_warn_lines("emulate", NULL, ds_meter_warnings(m));
    ds_meter_set_image_options(m, &img);
    if (gbt_window >= 0) ds_meter_set_gbt_window(m, (uint8_t)gbt_window);
    if (max_pdu) ds_meter_set_max_pdu(m, (uint16_t)max_pdu);
    ds_meter_set_keep_client_ic(m, keep_client_ic);
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
