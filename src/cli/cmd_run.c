/* dlmscope run SCRIPT.xml: the command line of the client. The settings, the script and the
 * run are library work (dlmscope/run.h); this file reads the options and says how it ended. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dlmscope/run.h"

#define MAX_OPTIONS 64

void ds_cmd_run_usage(FILE *out)
{
    fprintf(out,
            "usage: dlmscope run [OPTIONS] SCRIPT.xml\n"
            "\n"
            "Send the requests of a script (Gurux XmlClient elements: GetRequest, SetRequest, ActionRequest,\n"
            "ReadRequest, WriteRequest ...) to a meter and print each answer in the decode format. The link,\n"
            "the association (AARQ, HLS) and the release are made from the settings; a <Settings> element in\n"
            "the script can give them too (the command line wins). See dlmscope-run(1), dlmscope-script(5).\n"
            "\n"
            "Transport (one):\n"
            "  --tcp HOST:PORT        TCP with the wrapper\n"
            "  --udp HOST:PORT        UDP with the wrapper\n"
            "  --hdlc-tcp HOST:PORT   HDLC over TCP\n"
            "  --serial, -S DEV[:BAUD:DPS]  HDLC on a serial port (9600:8N1, Gurux's 9600:8None1)\n"
            "  --host H, --port P     Gurux style: HDLC over TCP, or the wrapper with -w\n"
            "  -w, --wrapper          the wrapper with --host/--port\n"
            "  -i, --iec              serial: the IEC 62056-21 mode E opening first\n"
            "Addresses:\n"
            "  --client, -c SAP       client address (default 16)\n"
            "  --server, -s L[:P]     server logical[:physical] address (default 1)\n"
            "Security:\n"
            "  --auth, -a MECH        none, low, high, high-md5, high-sha1, high-gmac, high-sha256, high-ecdsa\n"
            "                         (Gurux: None, Low, High, HighMd5, HighSha1, HighGmac, HighSha256, HighEcdsa)\n"
            "  --password, -P TEXT    LLS password (0x... for bytes)\n"
            "  --hls-secret TEXT      HLS secret (mechanisms 2, 3, 4, 6; 0x... for bytes)\n"
            "  --ek HEX, --ak HEX     block cipher and authentication keys (ciphering, high-gmac)\n"
            "  --dk HEX               a dedicated key: ded-ciphering after the association\n"
            "  --client-title HEX     the client's system title (8 bytes)\n"
            "  --signing-key KEY      high-ecdsa: the client's private ECDSA signing key (P-256/P-384):\n"
            "                         hex, or a file with hex or a PEM key (old name: --private-key,\n"
            "                         which in decode is a key-agreement key)\n"
            "  --server-public-key KEY  high-ecdsa: the meter's public signing key (04||X||Y or\n"
            "                         X||Y in hex, or a file with hex or a PEM key)\n"
            "  --security KIND        none, authentication, encryption, authentication-encryption\n"
            "                         (default: authentication-encryption when --ek is given)\n"
            "  --suite N              security suite 0, 1 or 2\n"
            "  --ic N, --ic-file FILE the first invocation counter; the file is read first and\n"
            "                         written with the next one after the run\n"
            "  --ic-from-meter[=OBIS] first read the meter's frame counter (class 1, default\n"
            "                         0.0.43.1.0.255, attribute 2) as the public client 16 without\n"
            "                         security, and start at its value + 1 (never below --ic-file's)\n"
            "Output:\n"
            "  --transcript FILE      the conversation with times and directions, as decode reads it\n"
            "  --dry-run              print what would be sent (XML and hex frames), connect to nothing\n"
            "  --hex                  the script's numbers are hex (default decimal, as XmlClient)\n"
            "  --timeout SECONDS      every wait on the meter (default 5)\n"
            "  --max-pdu N            proposed max PDU size (default 65535)\n"
            "  --max-info N           HDLC max information field (default 128)\n"
            "  --window N             HDLC window proposed, 1..7 (default 1)\n"
            "  --stats                at the end: bytes and frames each way, and round trips\n"
            "  --continue-on-error    run the steps after a failed one (default: stop there)\n"
            "  --gbt-window N         propose general block transfer, taking N blocks (1..63) in\n"
            "                         one stream; 0 (default): not proposed\n"
            "  -h, --help             this help\n"
            "\n"
            "Keys and passwords are never printed nor written to the transcript in clear.\n"
            "Exit status: 0 every step succeeded, 1 an answer was an error, 2 usage, connection or\n"
            "association error.\n");
}

typedef struct pair {
    const char *name, *value;
} pair;

/* The options into the settings; an option under an old name is warned about when warn (the
 * options are applied twice, around the script, and warned about once). */
static int apply(ds_run_settings *s, const pair *p, size_t n, int warn)
{
    char err[300];
    for (size_t i = 0; i < n; i++) {
        int rc = ds_run_setting(s, p[i].name, p[i].value, err, sizeof err);
        if (rc == DS_RUN_SETTING_OLD_NAME) {
            if (warn) fprintf(stderr, "dlmscope run: warning: --%s: %s\n", p[i].name, err);
        } else if (rc) {
            fprintf(stderr, "dlmscope run: --%s: %s\n", p[i].name, err);
            return -1;
        }
    }
    return 0;
}

int ds_cmd_run(int argc, char **argv)
{
    static const struct option LONG[] = {
        {"tcp", required_argument, 0, 0},        {"udp", required_argument, 0, 0},
        {"hdlc-tcp", required_argument, 0, 0},   {"serial", required_argument, 0, 'S'},
        {"host", required_argument, 0, 0},       {"port", required_argument, 0, 'p'},
        {"wrapper", no_argument, 0, 'w'},        {"iec", no_argument, 0, 'i'},
        {"client", required_argument, 0, 'c'},   {"server", required_argument, 0, 's'},
        {"auth", required_argument, 0, 'a'},     {"authentication", required_argument, 0, 'a'},
        {"password", required_argument, 0, 'P'}, {"hls-secret", required_argument, 0, 0},
        {"ek", required_argument, 0, 0},         {"ak", required_argument, 0, 0},
        {"dk", required_argument, 0, 0},         {"client-title", required_argument, 0, 0},
        {"signing-key", required_argument, 0, 0}, {"server-public-key", required_argument, 0, 0},
        {"private-key", required_argument, 0, 0}, /* the old name of --signing-key */
        {"security", required_argument, 0, 0},   {"suite", required_argument, 0, 0},
        {"ic", required_argument, 0, 0},         {"ic-file", required_argument, 0, 0},
        {"ic-from-meter", optional_argument, 0, 0},
        {"transcript", required_argument, 0, 0}, {"dry-run", no_argument, 0, 0},
        {"hex", no_argument, 0, 0},              {"decimal", no_argument, 0, 0},
        {"timeout", required_argument, 0, 0},    {"max-pdu", required_argument, 0, 0},
        {"max-info", required_argument, 0, 0},   {"sn", no_argument, 0, 0},
        {"window", required_argument, 0, 0},     {"stats", no_argument, 0, 0},
        {"continue-on-error", no_argument, 0, 0},
        {"gbt-window", required_argument, 0, 0},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    pair opts[MAX_OPTIONS];
    size_t n = 0;
    int c, idx = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "S:p:wic:s:a:P:h", LONG, &idx)) != -1) {
        const char *name;
        switch (c) {
        case 0: name = LONG[idx].name; break;
        case 'S': name = "serial"; break;
        case 'p': name = "port"; break;
        case 'w': name = "wrapper"; break;
        case 'i': name = "iec"; break;
        case 'c': name = "client"; break;
        case 's': name = "server"; break;
        case 'a': name = "auth"; break;
        case 'P': name = "password"; break;
        case 'h': ds_cmd_run_usage(stdout); return DS_EXIT_OK;
        default: ds_cmd_run_usage(stderr); return DS_EXIT_USAGE;
        }
        if (n == MAX_OPTIONS) {
            fprintf(stderr, "dlmscope run: too many options\n");
            return DS_EXIT_USAGE;
        }
        opts[n].name = name;
        opts[n].value = optarg ? optarg : "";
        n++;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "dlmscope run: one script is needed\n");
        ds_cmd_run_usage(stderr);
        return DS_EXIT_USAGE;
    }
    ds_run_settings s;
    ds_run_settings_init(&s);
    /* the command line before the script (how its numbers read) and after (it wins over <Settings>) */
    if (apply(&s, opts, n, 1)) return DS_EXIT_USAGE;
    char err[400];
    ds_run_script *sc = ds_run_script_load(argv[optind], &s, err, sizeof err);
    if (!sc) {
        fprintf(stderr, "dlmscope run: %s\n", err);
        return DS_EXIT_USAGE;
    }
    ds_cli_warn_lines("run", argv[optind], ds_run_script_warnings(sc));
    int rc = DS_EXIT_USAGE;
    if (!apply(&s, opts, n, 0)) rc = ds_run_script_execute(sc, &s, stdout, stderr);
    ds_run_script_free(sc);
    memset(&s, 0, sizeof s); /* the keys and the password */
    fflush(stdout);
    return rc;
}
