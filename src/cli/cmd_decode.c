/* dlmscope decode: bytes in, XML or JSON out. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/pipe_replay.h"
#include "dlmscope/dlmscope.h"

/* The command whose options are being read (decode, diagnose): messages name it */
static const char *command_name = "decode";

void ds_cmd_decode_usage(FILE *out)
{
    fprintf(out,
            "usage: dlmscope decode [OPTIONS] [FILE...]\n"
            "\n"
            "Decode DLMS/COSEM traffic into Gurux-style XML. FILEs (or standard input when none,\n"
            "or '-') may hold hex in any common shape, pasted log lines (TX:/RX:, timestamps)\n"
            "or binary dumps, or packet captures (pcap, pcapng: DLMS over TCP and UDP); the framing\n"
            "(HDLC, wrapper, M-Bus, raw APDU) is recognised per frame.\n"
            "\n"
            "Options:\n"
            "  --format KIND        framing: auto (default), hdlc, wrapper, mbus, pdu\n"
            "  --hex                input is text (hex or log), do not sniff\n"
            "  --binary             input is binary, do not sniff\n"
            "  --pcap               input is a pcap or pcapng capture, do not sniff (a capture is\n"
            "                       recognised by itself, on a pipe too)\n"
            "  --port N             a DLMS port besides 4059-4069 (TCP and UDP) in captures; repeatable\n"
            "  --any-port           in captures, try every TCP and UDP payload\n"
            "  --filter EXPR        in captures, only the packets this BPF filter takes (pcap-filter(7))\n"
            "  --decimal            numbers in decimal instead of hex\n"
            "  --no-comments        no explanatory comments (diagnostics are still written)\n"
            "  --pdu-only           APDUs only, without frame envelopes\n"
            "  --json               JSON Lines output, one object per frame\n"
            "  --standard-xml       the IEC 62056 XML representation (x: names, decimal); not with --json\n"
            "  --ek HEX, --ak HEX   global block cipher / authentication key (also DLMSCOPE_EK, DLMSCOPE_AK)\n"
            "  --dedicated-key HEX  dedicated key (normally learned from a deciphered AARQ) (also DLMSCOPE_DK)\n"
            "  --broadcast-key HEX  global broadcast key (also DLMSCOPE_BK)\n"
            "  --kek HEX            master key (KEK) to unwrap general-ciphering wrapped keys (also DLMSCOPE_KEK)\n"
            "  --private-key HEX    the recipient's key-agreement private key (32 bytes P-256, 48 P-384) for\n"
            "                       general-ciphering agreed keys (ECDH) (also DLMSCOPE_PRIVATE_KEY); not a\n"
            "                       signing key (run's --signing-key, ECDSA, for HLS mechanism 7)\n"
            "  --agreement-public-key HEX  the originator's key-agreement public key (Static Unified Model)\n"
            "                       (also DLMSCOPE_AGREEMENT_PUBLIC_KEY)\n"
            "  --client-title HEX, --server-title HEX  system titles (learned from AARQ/AARE otherwise)\n"
            "                       (also DLMSCOPE_CLIENT_TITLE, DLMSCOPE_SERVER_TITLE)\n"
            "  --key-file FILE      keys per system title (see dlmscope(1))\n"
            "  --no-verify          decipher without checking authentication tags\n"
            "  --show-keys          show key values found in deciphered APDUs\n"
            "  --hls-secret TEXT    HLS secret (mechanisms 2, 3, 4, 6) to check the association; hex:HEX for bytes\n"
            "  --hls2 METHOD        HLS mechanism 2 (manufacturer-specific): aes-ecb (default), or none (not checked)\n"
            "  --client-public-key HEX, --server-public-key HEX  public signing keys (ECDSA): HLS mechanism 7,\n"
            "                       general-signing, agreed-key ephemeral key signatures\n"
            "  --diagnostics=MODE   diagnostics on stderr: text (default), json, none\n"
            "  -o, --output FILE    write to FILE instead of standard output\n"
            "  -h, --help           this help\n"
            "\n"
            "Exit status: 0 everything decoded, 1 something was not decodable, 2 usage error.\n");
}

static void print_diag(void *user, const ds_diag *d)
{
    const ds_diag_ctx *ctx = user;
    if (ctx->mode == DS_DIAG_OUT_JSON) {
        ds_diag_write_json(stderr, d);
    } else if (ctx->mode == DS_DIAG_OUT_TEXT) {
        fprintf(stderr, "dlmscope: %s: %s %s at offset %llu", ctx->file, ds_severity_name(d->severity), d->code,
                (unsigned long long)d->offset);
        if (d->frame) fprintf(stderr, ", frame %llu", (unsigned long long)d->frame);
        if (d->line) fprintf(stderr, ", line %llu", (unsigned long long)d->line);
        fprintf(stderr, ": %s\n", d->message);
    }
}

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

/* The names of --hls2; the first is the default. */
static int parse_hls2(const char *s, ds_hls2_method *out)
{
    static const struct {
        const char *name;
        ds_hls2_method method;
    } METHODS[] = {{"aes-ecb", DS_HLS2_AES_ECB}, {"none", DS_HLS2_NONE}};
    for (size_t i = 0; i < sizeof METHODS / sizeof METHODS[0]; i++)
        if (!strcmp(s, METHODS[i].name)) {
            *out = METHODS[i].method;
            return 0;
        }
    return -1;
}

enum { GO_ON = DS_GO_ON };

#define PCAP_ERR_MAX 512

/* 1 when the input starts with a capture's magic; only an input that can seek back is looked at
 * here (a file, standard input redirected from one): a pipe's bytes are taken and given back
 * (decode_input). */
static int sniff_capture(FILE *in)
{
    long start = ftell(in);
    if (start < 0) return 0;
    uint8_t magic[4];
    size_t n = fread(magic, 1, sizeof magic, in);
    if (fseek(in, start, SEEK_SET) != 0) return 0;
    return ds_capture_magic(magic, n);
}

/* The diagnostics' receiver: the caller's (diagnose) or the printer of --diagnostics */
static ds_diag_fn diag_fn_of(const ds_decode_args *a, void **user)
{
    *user = a->diag_fn ? a->diag_user : (void *)&a->dctx;
    return a->diag_fn ? a->diag_fn : print_diag;
}

static int decode_capture(FILE *in, const char *name, const ds_decode_args *a, ds_sink *sink)
{
    char err[PCAP_ERR_MAX];
    void *user;
    ds_diag_fn fn = diag_fn_of(a, &user);
    int rc = ds_decode_capture(in, &a->capture, &a->opt, sink, fn, user, NULL, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "dlmscope: %s: %s\n", name, err);
        return rc == -2 ? DS_EXIT_USAGE : DS_EXIT_UNDECODABLE; /* a bad filter is the command line's */
    }
    return rc;
}

/* The first bytes of a pipe (up to n: a capture's magic), read with read(2) so that nothing more is
 * taken from it; fewer at its end or on an error, which the reading after them meets again. */
static size_t take_first_bytes(int fd, uint8_t *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r > 0) {
            got += (size_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) { /* a descriptor left non-blocking */
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            if (poll(&pfd, 1, -1) >= 0 || errno == EINTR) continue;
        }
        break;
    }
    return got;
}

/* A capture or not, told by its first bytes; a pipe's are read and given back (a capture needs
 * no --pcap on a pipe). */
static int decode_input(FILE *in, const char *name, ds_decode_args *a, ds_sink *sink)
{
    const ds_options *opt = &a->opt;
    uint8_t first[4];
    size_t n = 0;
    int rc;
    if (a->pcap || (a->mode == DS_INPUT_AUTO && sniff_capture(in))) return decode_capture(in, name, a, sink);
    if (a->mode == DS_INPUT_AUTO && ftell(in) < 0 && fileno(in) >= 0) { /* a pipe, terminal or socket */
        n = take_first_bytes(fileno(in), first, sizeof first);
        if (ds_capture_magic(first, n)) {
            ds_pipe_replay t = {.buf = first, .n = n, .cap = n, .fd = fileno(in)};
            FILE *whole = ds_pipe_replay_open(&t);
            if (!whole) {
                fprintf(stderr, "dlmscope: %s: %s\n", name, strerror(errno));
                return DS_EXIT_UNDECODABLE;
            }
            rc = decode_capture(whole, name, a, sink);
            fclose(whole);
            return rc;
        }
    }
    void *user;
    ds_diag_fn fn = diag_fn_of(a, &user);
    rc = ds_decode_stream_after(first, n, in, a->mode, opt, sink, fn, user, NULL);
    if (rc < 0) fprintf(stderr, "dlmscope: %s: read error: %s\n", name, strerror(errno));
    return rc < 0 ? DS_EXIT_UNDECODABLE : rc;
}

int ds_decode_input(const char *path, ds_decode_args *a, ds_sink *sink, int announce)
{
    FILE *in = stdin;
    const char *name = "(stdin)";
    ds_diag_ctx *dctx = &a->dctx;
    const ds_options *opt = &a->opt;
    if (path && strcmp(path, "-") != 0) {
        in = fopen(path, "rb");
        if (!in) {
            fprintf(stderr, "dlmscope: %s: %s\n", path, strerror(errno));
            return DS_EXIT_UNDECODABLE;
        }
        name = path;
    }
    dctx->file = name;
    if (announce && opt->comments && sink->comment) {
        char text[512];
        int n = snprintf(text, sizeof text, "file: %s", name);
        if (n > 0) sink->comment(sink, text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1, 0);
    }
    int rc = decode_input(in, name, a, sink);
    if (in != stdin) fclose(in);
    return rc;
}


enum {
    OPT_FORMAT = 256, OPT_HEX, OPT_BINARY, OPT_DECIMAL, OPT_NO_COMMENTS, OPT_PDU_ONLY, OPT_JSON, OPT_DIAG, OPT_STD,
    OPT_SHOW_KEYS, OPT_NO_VERIFY, OPT_HLS2, OPT_PCAP, OPT_PORT, OPT_ANY_PORT, OPT_FILTER
};

static const struct option LONG_OPTIONS[] = {
    {"format", required_argument, NULL, OPT_FORMAT}, {"hex", no_argument, NULL, OPT_HEX},
    {"binary", no_argument, NULL, OPT_BINARY},       {"decimal", no_argument, NULL, OPT_DECIMAL},
    {"no-comments", no_argument, NULL, OPT_NO_COMMENTS}, {"pdu-only", no_argument, NULL, OPT_PDU_ONLY},
    {"json", no_argument, NULL, OPT_JSON},           {"diagnostics", required_argument, NULL, OPT_DIAG},
    {"standard-xml", no_argument, NULL, OPT_STD},
    DS_CLI_DECODER_KEY_OPTIONS,
    {"show-keys", no_argument, NULL, OPT_SHOW_KEYS},
    {"no-verify", no_argument, NULL, OPT_NO_VERIFY},
    {"hls2", required_argument, NULL, OPT_HLS2},
    {"pcap", no_argument, NULL, OPT_PCAP},           {"port", required_argument, NULL, OPT_PORT},
    {"any-port", no_argument, NULL, OPT_ANY_PORT},   {"filter", required_argument, NULL, OPT_FILTER},
    {"output", required_argument, NULL, 'o'},        {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

/* The defaults, then the keys of the environment: the options given later add to them or replace them. */
int ds_decode_args_init(ds_decode_args *a, const char *command)
{
    command_name = command;
    memset(a, 0, sizeof *a);
    ds_options_init(&a->opt);
    a->mode = DS_INPUT_AUTO;
    ds_capture_options_init(&a->capture);
    a->dctx = (ds_diag_ctx){DS_DIAG_OUT_TEXT, "(stdin)"};
    int rc = ds_cli_keys_init(&a->keys, command, 1);
    if (rc < 0) {
        fprintf(stderr, "dlmscope: out of memory\n");
        return DS_EXIT_UNDECODABLE;
    }
    return rc ? rc : GO_ON;
}

/* --port N: 1..65535, at most DS_CAPTURE_PORTS_MAX of them */
static int take_port(ds_decode_args *a, const char *arg)
{
    char *end;
    errno = 0;
    unsigned long port = strtoul(arg, &end, 10);
    if (errno || end == arg || *end || port == 0 || port > 65535 || arg[0] == '-' || arg[0] == '+') {
        fprintf(stderr, "dlmscope %s: --port '%s' is not a port number (1-65535)\n", command_name, arg);
        return DS_EXIT_USAGE;
    }
    if (a->capture.nports == DS_CAPTURE_PORTS_MAX) {
        fprintf(stderr, "dlmscope %s: more than %d --port options\n", command_name, DS_CAPTURE_PORTS_MAX);
        return DS_EXIT_USAGE;
    }
    a->capture.ports[a->capture.nports++] = (uint16_t)port;
    return GO_ON;
}

static int take_diagnostics_mode(ds_decode_args *a, const char *arg)
{
    if (!strcmp(arg, "json")) a->dctx.mode = DS_DIAG_OUT_JSON;
    else if (!strcmp(arg, "text")) a->dctx.mode = DS_DIAG_OUT_TEXT;
    else if (!strcmp(arg, "none")) a->dctx.mode = DS_DIAG_OUT_NONE;
    else {
        fprintf(stderr, "dlmscope %s: unknown --diagnostics '%s' (text, json, none)\n", command_name, arg);
        return DS_EXIT_USAGE;
    }
    return GO_ON;
}

/* One option that says how to read, decode or write (not a key); --help ends the command here. */
static int take_decoding_option(ds_decode_args *a, int c, const char *arg, char **argv)
{
    switch (c) {
    case OPT_FORMAT:
        if (parse_format(arg, &a->opt.link)) {
            fprintf(stderr, "dlmscope %s: unknown --format '%s' (auto, hdlc, wrapper, mbus, pdu)\n", command_name, arg);
            return DS_EXIT_USAGE;
        }
        return GO_ON;
    case OPT_HEX: a->mode = DS_INPUT_HEX; return GO_ON;
    case OPT_BINARY: a->mode = DS_INPUT_BINARY; return GO_ON;
    case OPT_PCAP: a->pcap = 1; return GO_ON;
    case OPT_PORT: return take_port(a, arg);
    case OPT_ANY_PORT: a->capture.any_port = 1; return GO_ON;
    case OPT_FILTER: a->capture.filter = arg; return GO_ON;
    case OPT_DECIMAL: a->opt.decimal = 1; return GO_ON;
    case OPT_NO_COMMENTS: a->opt.comments = 0; return GO_ON;
    case OPT_PDU_ONLY: a->opt.pdu_only = 1; return GO_ON;
    case OPT_JSON: a->json = 1; return GO_ON;
    case OPT_STD: a->standard = 1; return GO_ON;
    case OPT_SHOW_KEYS: a->opt.show_keys = 1; return GO_ON;
    case OPT_NO_VERIFY: a->opt.no_verify = 1; return GO_ON;
    case OPT_HLS2:
        if (parse_hls2(arg, &a->opt.hls2)) {
            fprintf(stderr, "dlmscope %s: unknown --hls2 '%s' (aes-ecb, none)\n", command_name, arg);
            return DS_EXIT_USAGE;
        }
        return GO_ON;
    case OPT_DIAG: return take_diagnostics_mode(a, arg);
    case 'o': a->output = arg; return GO_ON;
    case 'h': a->usage(stdout); return DS_EXIT_OK;
    case ':':
        fprintf(stderr, "dlmscope %s: option '%s' needs a value\n", command_name, argv[optind - 1]);
        return DS_EXIT_USAGE;
    default:
        fprintf(stderr, "dlmscope %s: unknown option '%s'\n", command_name, argv[optind - 1]);
        a->usage(stderr);
        return DS_EXIT_USAGE;
    }
}

/* The options in the order given (a later key replaces an earlier one); the files start at optind. */
int ds_decode_args_parse(ds_decode_args *a, int argc, char **argv, void (*usage)(FILE *out))
{
    a->usage = usage;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", LONG_OPTIONS, NULL)) != -1) {
        int status = ds_cli_keys_take(&a->keys, c, optarg);
        if (status == DS_CLI_NOT_A_KEY_OPTION) status = take_decoding_option(a, c, optarg, argv);
        else if (status == 0) status = GO_ON;
        if (status != GO_ON) return status;
    }
    ds_cli_keys_apply(&a->keys, &a->opt);
    return GO_ON;
}

/* Standard output for none or "-"; NULL (said) when the file cannot be made. */
static FILE *open_output(const char *output)
{
    if (!output || !strcmp(output, "-")) return stdout;
    FILE *out = fopen(output, "wb");
    if (!out) fprintf(stderr, "dlmscope: %s: %s\n", output, strerror(errno));
    return out;
}

/* XML (the default), JSON Lines or the standard XML. The last two take integers in decimal:
 * JSON writes them as numbers; JSON has no comments (its values say what they are). */
static int choose_sink(ds_decode_args *a, FILE *out, ds_sink **sink)
{
    if (a->json && a->standard) {
        fprintf(stderr, "dlmscope %s: --json and --standard-xml exclude each other\n", command_name);
        return DS_EXIT_USAGE;
    }
    if (a->standard || a->json) a->opt.decimal = 1;
    if (a->json) a->opt.comments = 0;
    *sink = a->json ? ds_json_sink_new(out) : a->standard ? ds_std_xml_sink_new(out) : ds_xml_sink_new(out);
    if (!*sink) {
        fprintf(stderr, "dlmscope: out of memory\n");
        return DS_EXIT_UNDECODABLE;
    }
    ds_xml_sink_set_decimal(*sink, a->opt.decimal);
    return GO_ON;
}

/* Every file into one document (standard input when there are none); the worst status of them all.
 * With more than one file each starts with a comment naming it. */
static int decode_files(ds_decode_args *a, ds_sink *sink, char **files, int nfiles)
{
    int status = DS_EXIT_OK;
    sink->begin_document(sink);
    if (nfiles == 0) {
        status = ds_decode_input(NULL, a, sink, 0);
    } else {
        for (int i = 0; i < nfiles; i++) {
            int rc = ds_decode_input(files[i], a, sink, nfiles > 1);
            if (rc > status) status = rc;
        }
    }
    sink->end_document(sink);
    return status;
}

static int decode_to_output(ds_decode_args *a, char **files, int nfiles)
{
    FILE *out = open_output(a->output);
    if (!out) return DS_EXIT_UNDECODABLE;
    /* The sinks hand over whole blocks (DS_WBUF_SIZE): stdio's own buffer would only split each into
     * two write(2) calls (a partial fill, then the rest). Diagnostics go to stderr, not here. */
    setvbuf(out, NULL, _IONBF, 0);
    ds_sink *sink = NULL;
    int status = choose_sink(a, out, &sink);
    if (status == GO_ON) {
        status = decode_files(a, sink, files, nfiles);
        ds_sink_destroy(sink);
        if (fflush(out) != 0 || ferror(out)) {
            fprintf(stderr, "dlmscope: error writing output: %s\n", strerror(errno));
            status = DS_EXIT_UNDECODABLE;
        }
    }
    if (out != stdout) fclose(out);
    return status;
}

int ds_cmd_decode(int argc, char **argv)
{
    ds_decode_args a;
    int status = ds_decode_args_init(&a, "decode");
    if (status == GO_ON) status = ds_decode_args_parse(&a, argc, argv, ds_cmd_decode_usage);
    if (status == GO_ON) status = decode_to_output(&a, argv + optind, argc - optind);
    ds_decode_args_free(&a);
    return status;
}

void ds_decode_args_free(ds_decode_args *a)
{
    /* every way out passes here, so the keys and the secret never outlive the command */
    ds_cli_keys_free(&a->keys);
}
