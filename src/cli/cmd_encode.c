/* dlmscope encode: XML in, bytes out. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "dlmscope/cipher.h"
#include "dlmscope/dlmscope.h"

typedef struct out_ctx {
    FILE *out;
    int binary;
} out_ctx;

typedef struct err_ctx {
    const char *file;
} err_ctx;

void ds_cmd_encode_usage(FILE *out)
{
    fprintf(out,
            "usage: dlmscope encode [OPTIONS] [FILE...]\n"
            "\n"
            "Encode DLMS/COSEM XML (dlmscope's decode output, the Gurux simple-XML dialect,\n"
            "XmlClient scripts) or decode --json's JSON Lines into bytes. Frame elements (<HDLC>, <WRAPPER>, <WiredMBus>) are\n"
            "encoded as given; bare APDUs are framed per --frame. Reads standard input when no FILE.\n"
            "\n"
            "Options:\n"
            "  --decimal            numbers in the XML are decimal (XmlClient scripts); a root\n"
            "                       attribute Numbers=\"decimal\" or \"hex\" takes precedence\n"
            "  --hex                numbers in the XML are hex (Gurux translator default). Without\n"
            "                       either, each unit's numbers tell; one that could be both is refused\n"
            "  --frame KIND         framing of bare APDUs: pdu (none, default), hdlc, wrapper\n"
            "  --client SAP         HDLC client address (default 16)\n"
            "  --server L[:P]       HDLC server logical[:physical] address (default 1)\n"
            "  --server-size N      HDLC server address bytes: 1, 2 or 4\n"
            "  --max-info N         HDLC information field size for segmentation (default 128)\n"
            "  --wport C:S          wrapper ports of client and server (default 16:1)\n"
            "  --from-json          the input is decode --json's JSON Lines (found without it when\n"
            "                       the input begins with '{'); their numbers are decimal\n"
            "  --binary             write raw bytes instead of hex lines\n"
            "\n"
            "Enciphering (with keys, a ciphered APDU followed by its <Decrypted> view, as decode\n"
            "writes it, is enciphered again from the view: same form, header, SC, IC and title):\n"
            "  --ek HEX, --ak HEX   global block cipher / authentication key\n"
            "  --dedicated-key HEX  dedicated key (ded- and general-ded forms)\n"
            "  --broadcast-key HEX  global broadcast key (security control bit 40)\n"
            "  --kek HEX            master key: general-ciphering wrapped keys\n"
            "  --key-file FILE      keys per system title (see dlmscope(1))\n"
            "  --client-title HEX, --server-title HEX  the senders' system titles (for views\n"
            "                       without SystemTitle and for --cipher)\n"
            "  --ic N               invocation counter of the first APDU enciphered, +1 for each\n"
            "                       next (default: each APDU's own); decimal, or hex after 0x\n"
            "  --sc HEX             security control instead of each APDU's own (30: A+E, suite 0)\n"
            "  --cipher FORM        encipher bare plain APDUs too: glo, ded, general-glo,\n"
            "                       general-ded or general-ciphering (SC 30 unless --sc)\n"
            "  -o, --output FILE    write to FILE instead of standard output\n"
            "  -h, --help           this help\n"
            "\n"
            "Output: one frame (or unframed APDU) per line, uppercase hex.\n"
            "Exit status: 0 everything encoded, 1 something was not encodable, 2 usage error.\n");
}

static void write_frame(void *user, const uint8_t *p, size_t n)
{
    out_ctx *o = user;
    if (o->binary) {
        fwrite(p, 1, n, o->out);
        return;
    }
    static const char HEX[] = "0123456789ABCDEF";
    char line[4096];
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (w + 2 > sizeof line) {
            fwrite(line, 1, w, o->out);
            w = 0;
        }
        line[w++] = HEX[p[i] >> 4];
        line[w++] = HEX[p[i] & 0xF];
    }
    fwrite(line, 1, w, o->out);
    fputc('\n', o->out);
}

static void print_error(void *user, long line, const char *message)
{
    const err_ctx *e = user;
    if (line > 0) fprintf(stderr, "dlmscope: %s:%ld: %s\n", e->file, line, message);
    else fprintf(stderr, "dlmscope: %s: %s\n", e->file, message);
}

/* One unsigned number: decimal, or hex after 0x. Not strtoul's base 0, which would read a
 * leading 0 as octal (1:017 would be physical 15, 1:09 refused). */
static unsigned long parse_unsigned(const char *s, char **end)
{
    if (s[0] == '-' || s[0] == '+') { /* strtoul would accept a sign */
        *end = (char *)s;
        return 0;
    }
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) return strtoul(s + 2, end, 16);
    return strtoul(s, end, 10);
}

/* "N" or "N:M" of unsigned numbers within max. */
static int parse_pair(const char *s, unsigned max, unsigned *a, unsigned *b, int *has_b)
{
    char *end;
    errno = 0;
    unsigned long x = parse_unsigned(s, &end);
    if (errno || end == s || x > max) return -1;
    *a = (unsigned)x;
    *has_b = 0;
    if (*end == ':') {
        const char *t = end + 1;
        unsigned long y = parse_unsigned(t, &end);
        if (errno || end == t || y > max) return -1;
        *b = (unsigned)y;
        *has_b = 1;
    }
    return *end ? -1 : 0;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "dlmscope encode: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return DS_EXIT_USAGE;
}

/* The key options (--ek ... --key-file, the titles) are the commands' shared ones (cmd_keys.c);
 * these say how to encipher. */
enum { OPT_IC = 300, OPT_SC, OPT_CIPHER };

static int take_cipher_option(ds_encode_options *o, int c, const char *arg)
{
    static const struct {
        const char *name;
        ds_cipher_form form;
    } FORMS[] = {{"glo", DS_CIPHER_GLO},
                 {"ded", DS_CIPHER_DED},
                 {"general-glo", DS_CIPHER_GENERAL_GLO},
                 {"general-ded", DS_CIPHER_GENERAL_DED},
                 {"general-ciphering", DS_CIPHER_GENERAL_CIPHERING}};
    uint8_t sc;
    char *end;
    unsigned long long v;
    switch (c) {
    case OPT_IC:
        errno = 0;
        v = arg[0] == '-' || arg[0] == '+' ? ~0ULL
            : (arg[0] == '0' && (arg[1] == 'x' || arg[1] == 'X')) ? strtoull(arg + 2, &end, 16) : strtoull(arg, &end, 10);
        if (errno || end == arg || *end || v > 0xFFFFFFFFULL)
            return usage_error("--ic takes an invocation counter from 0 to 4294967295 (or 0x...), not '%s'", arg);
        o->has_ic = 1;
        o->ic = (uint32_t)v;
        return 0;
    case OPT_SC:
        if (ds_hex_to_bytes(arg, &sc, 1) != 1) return usage_error("--sc takes one byte in hex (30, 10, 20, 31 ...), not '%s'", arg);
        o->has_sc = 1;
        o->sc = sc;
        return 0;
    case OPT_CIPHER:
        for (size_t i = 0; i < sizeof FORMS / sizeof FORMS[0]; i++)
            if (!strcmp(arg, FORMS[i].name)) {
                o->cipher_form = FORMS[i].form;
                return 0;
            }
        return usage_error("unknown --cipher '%s' (glo, ded, general-glo, general-ded, general-ciphering)", arg);
    default: return -1;
    }
}

static int encode_one(const char *path, const ds_encode_options *o, out_ctx *out)
{
    int fd = STDIN_FILENO;
    err_ctx e = {"(stdin)"};
    if (path && strcmp(path, "-") != 0) {
        fd = open(path, O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "dlmscope: %s: %s\n", path, strerror(errno));
            return DS_EXIT_UNDECODABLE;
        }
        e.file = path;
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
            fprintf(stderr, "dlmscope: %s: is a directory, not an XML file\n", path);
            close(fd);
            return DS_EXIT_UNDECODABLE;
        }
    }
    ds_encode_stats st;
    int rc = ds_encode_fd(fd, e.file, o, write_frame, out, print_error, &e, &st);
    if (rc < 0) fprintf(stderr, "dlmscope: %s: cannot set up the XML reader (out of memory)\n", e.file);
    if (fd != STDIN_FILENO) close(fd);
    return rc == 0 ? DS_EXIT_OK : DS_EXIT_UNDECODABLE;
}

enum { OPT_DECIMAL = 256, OPT_HEX, OPT_FRAME, OPT_CLIENT, OPT_SERVER, OPT_SERVER_SIZE, OPT_MAX_INFO, OPT_WPORT, OPT_BINARY,
       OPT_JSON };

static const struct option LONG[] = {
    {"decimal", no_argument, NULL, OPT_DECIMAL},      {"hex", no_argument, NULL, OPT_HEX},
    {"frame", required_argument, NULL, OPT_FRAME},
    {"client", required_argument, NULL, OPT_CLIENT},  {"server", required_argument, NULL, OPT_SERVER},
    {"server-size", required_argument, NULL, OPT_SERVER_SIZE},
    {"max-info", required_argument, NULL, OPT_MAX_INFO}, {"wport", required_argument, NULL, OPT_WPORT},
    {"binary", no_argument, NULL, OPT_BINARY},        {"output", required_argument, NULL, 'o'},
    {"from-json", no_argument, NULL, OPT_JSON},
    DS_CLI_KEY_OPTIONS,
    {"ic", required_argument, NULL, OPT_IC},          {"sc", required_argument, NULL, OPT_SC},
    {"cipher", required_argument, NULL, OPT_CIPHER},
    {"help", no_argument, NULL, 'h'},                 {NULL, 0, NULL, 0}};

/* The command, with the keyring the key options fill. */
static int run_encode(int argc, char **argv, ds_cli_keys *keys)
{
    ds_encode_options o;
    ds_encode_options_init(&o);
    out_ctx out = {stdout, 0};
    const char *output = NULL;
    unsigned a, b;
    int has_b, key_status;

    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", LONG, NULL)) != -1) {
        switch (c) {
        case OPT_DECIMAL: o.decimal = 1; break;
        case OPT_HEX: o.hex = 1; break;
        case OPT_FRAME:
            if (!strcmp(optarg, "pdu") || !strcmp(optarg, "raw")) o.frame = DS_LINK_RAW;
            else if (!strcmp(optarg, "hdlc")) o.frame = DS_LINK_HDLC;
            else if (!strcmp(optarg, "wrapper")) o.frame = DS_LINK_WRAPPER;
            else return usage_error("unknown --frame '%s' (pdu, hdlc, wrapper)", optarg);
            break;
        case OPT_CLIENT:
            if (parse_pair(optarg, 0x7F, &a, &b, &has_b) || has_b)
                return usage_error("--client takes a SAP from 0 to 127, not '%s'", optarg);
            o.client_sap = a;
            break;
        case OPT_SERVER:
            if (parse_pair(optarg, 0x3FFF, &a, &b, &has_b))
                return usage_error("--server takes LOGICAL[:PHYSICAL] (0..16383), not '%s'", optarg);
            o.server_logical = a;
            o.server_physical = has_b ? b : 0;
            o.has_physical = has_b;
            break;
        case OPT_SERVER_SIZE:
            if (strcmp(optarg, "1") && strcmp(optarg, "2") && strcmp(optarg, "4"))
                return usage_error("--server-size is 1, 2 or 4, not '%s'", optarg);
            o.server_size = atoi(optarg);
            break;
        case OPT_MAX_INFO:
            if (parse_pair(optarg, 2030, &a, &b, &has_b) || has_b || a < 16)
                return usage_error("--max-info takes 16..2030, not '%s'", optarg);
            o.max_info = a;
            break;
        case OPT_WPORT:
            if (parse_pair(optarg, 0xFFFF, &a, &b, &has_b) || !has_b)
                return usage_error("--wport takes CLIENT:SERVER ports, not '%s'", optarg);
            o.wport_client = a;
            o.wport_server = b;
            break;
        case OPT_BINARY: out.binary = 1; break;
        case OPT_JSON: o.json = 1; break;
        case 'o': output = optarg; break;
        case 'h': ds_cmd_encode_usage(stdout); return DS_EXIT_OK;
        case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
        case OPT_IC: case OPT_SC: case OPT_CIPHER:
            if (take_cipher_option(&o, c, optarg)) return DS_EXIT_USAGE;
            break;
        default:
            key_status = ds_cli_keys_take(keys, c, optarg);
            if (key_status == 0) break;
            if (key_status != DS_CLI_NOT_A_KEY_OPTION) return key_status;
            fprintf(stderr, "dlmscope encode: unknown option '%s'\n", argv[optind - 1]);
            ds_cmd_encode_usage(stderr);
            return DS_EXIT_USAGE;
        }
    }
    if (o.decimal && o.hex) return usage_error("--hex and --decimal exclude each other");
    if (ds_keyring_has_keys(keys->keys)) o.keys = keys->keys;
    else if (o.cipher_form || o.has_ic || o.has_sc)
        return usage_error("--cipher, --ic and --sc encipher: give the keys (--ek, --ak, ... or --key-file)");
    if (o.server_size == 1 && (o.has_physical || o.server_logical > 0x7F))
        return usage_error("a 1-byte server address holds a logical address up to 127 and no physical one");
    if (o.server_size == 2 && (o.server_logical > 0x7F || o.server_physical > 0x7F))
        return usage_error("a 2-byte server address holds addresses up to 127");
    if (output && strcmp(output, "-") != 0) {
        out.out = fopen(output, "wb");
        if (!out.out) {
            fprintf(stderr, "dlmscope: %s: %s\n", output, strerror(errno));
            return DS_EXIT_UNDECODABLE;
        }
    }
    int status = DS_EXIT_OK;
    if (optind == argc) {
        status = encode_one(NULL, &o, &out);
    } else {
        for (int i = optind; i < argc; i++) {
            int rc = encode_one(argv[i], &o, &out);
            if (rc > status) status = rc;
        }
    }
    if (fflush(out.out) != 0 || ferror(out.out)) {
        fprintf(stderr, "dlmscope: error writing output: %s\n", strerror(errno));
        status = DS_EXIT_UNDECODABLE;
    }
    if (out.out != stdout) fclose(out.out);
    return status;
}

int ds_cmd_encode(int argc, char **argv)
{
    /* keys from the options only: encode has never read the DLMSCOPE_* keys of the environment */
    ds_cli_keys keys;
    if (ds_cli_keys_init(&keys, "encode", 0)) {
        fprintf(stderr, "dlmscope: out of memory\n");
        return DS_EXIT_UNDECODABLE;
    }
    int status = run_encode(argc, argv, &keys);
    ds_cli_keys_free(&keys); /* the keys never outlive the command */
    return status;
}
