/* dlmscope command-line interface: subcommands over libdlmscope. */
#ifndef DS_CLI_H
#define DS_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "dlmscope/dlmscope.h"

#define DS_EXIT_OK 0
#define DS_EXIT_UNDECODABLE 1
#define DS_EXIT_USAGE 2

int ds_cmd_decode(int argc, char **argv);
void ds_cmd_decode_usage(FILE *out);
int ds_cmd_encode(int argc, char **argv);
void ds_cmd_encode_usage(FILE *out);
int ds_cmd_listen(int argc, char **argv);
int ds_cmd_diagnose(int argc, char **argv);
void ds_cmd_diagnose_usage(FILE *out);

/* ---- the inputs and options of `decode`, shared with the commands that read what it reads ---- */

typedef enum { DS_DIAG_OUT_NONE, DS_DIAG_OUT_TEXT, DS_DIAG_OUT_JSON } ds_diag_out;

typedef struct ds_diag_ctx {
    ds_diag_out mode;
    const char *file;
} ds_diag_ctx;

/* A step of a command either lets it go on or ends it with an exit status (>= 0). */
#define DS_GO_ON (-1)

/* What the command line asked for. opt points into secret, client_pub and server_pub, so this
 * stays where it was made (on the command's stack). */
typedef struct ds_decode_args {
    ds_options opt;
    ds_input_mode mode;
    int json, standard;
    const char *output;
    ds_diag_ctx dctx;
    ds_keyring *keys;
    uint8_t secret[64];
    ds_ec_key client_pub, server_pub;
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
void ds_cmd_listen_usage(FILE *out);

#endif
