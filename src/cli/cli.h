/* dlmscope command-line interface: subcommands over libdlmscope. */
#ifndef DS_CLI_H
#define DS_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dlmscope/dlmscope.h"
#include "dlmscope/serial_infer.h"

#define DS_EXIT_OK 0
#define DS_EXIT_UNDECODABLE 1
#define DS_EXIT_USAGE 2

int ds_cmd_decode(int argc, char **argv);
void ds_cmd_decode_usage(FILE *out);
int ds_cmd_encode(int argc, char **argv);
void ds_cmd_encode_usage(FILE *out);
int ds_cmd_listen(int argc, char **argv);
void ds_cmd_listen_usage(FILE *out);
int ds_cmd_run(int argc, char **argv);
void ds_cmd_run_usage(FILE *out);
int ds_cmd_emulate(int argc, char **argv);
void ds_cmd_emulate_usage(FILE *out);
int ds_cmd_diagnose(int argc, char **argv);
void ds_cmd_diagnose_usage(FILE *out);
int ds_cmd_script_from(int argc, char **argv);
void ds_cmd_script_from_usage(FILE *out);

/* Each line of lines (a library's gathered warnings) on stderr as "dlmscope COMMAND: warning:
 * WHERE: LINE" (without "WHERE: " when where is NULL). */
void ds_cli_warn_lines(const char *command, const char *where, const char *lines);

/* ---- the serial inference as a finding (serial_finding.c): diagnose and listen --diagnose ---- */

typedef void (*ds_cli_finding_fn)(void *user, const ds_finding *f);

/* The inference names a wrong setting (baud, parity, data bits, polarity). */
int ds_cli_serial_is_setting(const ds_serial_inference *inf);
/* The inference as a finding, with the fields dlmscope-diagnose(1) lists for its code (file: the
 * input, or listen's device), handed to emit. Returns its severity (a ds_severity). */
int ds_cli_serial_finding(const ds_serial_inference *inf, const char *file, ds_cli_finding_fn emit, void *user);

/* ---- the key options (cmd_keys.c): one parser for every command that takes keys ---- */

/* getopt_long values of the key options, above any command's own. */
enum {
    DS_KOPT_EK = 1000, DS_KOPT_AK, DS_KOPT_DK, DS_KOPT_BK, DS_KOPT_KEK, DS_KOPT_KEY_FILE, DS_KOPT_CLIENT_TITLE,
    DS_KOPT_SERVER_TITLE, DS_KOPT_PRIVATE_KEY, DS_KOPT_AGREEMENT_PUB, DS_KOPT_HLS_SECRET, DS_KOPT_CLIENT_PUB,
    DS_KOPT_SERVER_PUB
};

/* The symmetric keys, the key file and the titles: every command with keys takes these. */
#define DS_CLI_KEY_OPTIONS                                                                                   \
    {"ek", required_argument, NULL, DS_KOPT_EK}, {"ak", required_argument, NULL, DS_KOPT_AK},               \
    {"dedicated-key", required_argument, NULL, DS_KOPT_DK},                                                  \
    {"broadcast-key", required_argument, NULL, DS_KOPT_BK}, {"kek", required_argument, NULL, DS_KOPT_KEK},  \
    {"key-file", required_argument, NULL, DS_KOPT_KEY_FILE},                                                 \
    {"client-title", required_argument, NULL, DS_KOPT_CLIENT_TITLE},                                         \
    {"server-title", required_argument, NULL, DS_KOPT_SERVER_TITLE}
/* ... and what only a decoder checks with: agreed keys, the HLS secret, signing public keys. */
#define DS_CLI_DECODER_KEY_OPTIONS                                                                           \
    DS_CLI_KEY_OPTIONS, {"private-key", required_argument, NULL, DS_KOPT_PRIVATE_KEY},                       \
        {"agreement-public-key", required_argument, NULL, DS_KOPT_AGREEMENT_PUB},                            \
        {"hls-secret", required_argument, NULL, DS_KOPT_HLS_SECRET},                                         \
        {"client-public-key", required_argument, NULL, DS_KOPT_CLIENT_PUB},                                  \
        {"server-public-key", required_argument, NULL, DS_KOPT_SERVER_PUB}

/* What the key options gave. ds_cli_keys_apply points a ds_options into it, so it lives as long as
 * they do (on the command's stack). */
typedef struct ds_cli_keys {
    const char *command; /* "decode": messages read "dlmscope decode: ..." */
    ds_keyring *keys;
    uint8_t secret[64];
    size_t secret_len;
    int has_secret;
    ds_ec_key client_pub, server_pub;
} ds_cli_keys;

/* A fresh keyring (whose warnings go to stderr), with the DLMSCOPE_* keys of the environment
 * when from_env. 0; -1 without memory (nothing said); DS_EXIT_USAGE when the environment's keys
 * are refused (said). */
int ds_cli_keys_init(ds_cli_keys *k, const char *command, int from_env);
/* Takes option c: 0 taken, DS_EXIT_USAGE refused (said on stderr), DS_CLI_NOT_A_KEY_OPTION. */
#define DS_CLI_NOT_A_KEY_OPTION (-2)
int ds_cli_keys_take(ds_cli_keys *k, int c, const char *arg);
/* Gives the decoder options the keyring, the secret and the public keys, when any was given. */
void ds_cli_keys_apply(ds_cli_keys *k, ds_options *opt);
/* Frees the keyring and wipes the secret: every way out of a command passes here. */
void ds_cli_keys_free(ds_cli_keys *k);

/* ---- the inputs and options of `decode`, shared with the commands that read what it reads ---- */

typedef enum { DS_DIAG_OUT_NONE, DS_DIAG_OUT_TEXT, DS_DIAG_OUT_JSON } ds_diag_out;

typedef struct ds_diag_ctx {
    ds_diag_out mode;
    const char *file;
} ds_diag_ctx;

/* A step of a command either lets it go on or ends it with an exit status (>= 0). */
#define DS_GO_ON (-1)

/* What the command line asked for. opt points into keys (the secret and the public keys), so
 * this stays where it was made (on the command's stack). */
typedef struct ds_decode_args {
    ds_options opt;
    ds_input_mode mode;
    int json, standard;
    const char *output;
    ds_diag_ctx dctx;
    ds_cli_keys keys;                /* --ek, --key-file ... and the environment's keys */
    int pcap;                        /* --pcap: the input is a capture */
    ds_capture_options capture;      /* --port, --any-port, --filter */
    void (*usage)(FILE *out);        /* the command's help */
    ds_diag_fn diag_fn;              /* NULL: diagnostics printed as --diagnostics says */
    void *diag_user;
} ds_decode_args;

/* Defaults and the keys of the environment; DS_GO_ON or an exit status. `command` names the
 * command in messages. */
int ds_decode_args_init(ds_decode_args *a, const char *command);
/* decode's options (the files start at optind); DS_GO_ON or an exit status (--help: 0). */
int ds_decode_args_parse(ds_decode_args *a, int argc, char **argv, void (*usage)(FILE *out));
/* Decodes one input (a file, "-" or NULL for standard input) into the sink; the exit status. */
int ds_decode_input(const char *path, ds_decode_args *a, ds_sink *sink, int announce);
/* Frees the keys and wipes the secret. */
void ds_decode_args_free(ds_decode_args *a);

#endif
