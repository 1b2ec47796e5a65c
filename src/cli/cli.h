/* dlmscope command-line interface: subcommands over libdlmscope. */
#ifndef DS_CLI_H
#define DS_CLI_H

#include <stdio.h>

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

/* ---- the key options (cmd_keys.c): one parser for every command that takes keys ---- */

#include <stddef.h>
#include <stdint.h>
#include "dlmscope/dlmscope.h"

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

#endif
