/* The key options of decode, encode and listen: one parser, so that each command names, checks
 * and reports keys, titles and secrets in the same words. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "cli/cli.h"

/* A key that looks mistyped: said once, at start, before any traffic is read. */
static void key_warning(void *user, const char *message)
{
    const ds_cli_keys *k = user;
    fprintf(stderr, "dlmscope %s: warning: %s\n", k->command, message);
}

/* A key, title or secret refused: a usage error, said before any traffic is read. */
static int key_error(const ds_cli_keys *k, const char *message)
{
    fprintf(stderr, "dlmscope %s: %s\n", k->command, message);
    return DS_EXIT_USAGE;
}

int ds_cli_keys_init(ds_cli_keys *k, const char *command, int from_env)
{
    memset(k, 0, sizeof *k);
    k->command = command;
    k->keys = ds_keyring_new();
    if (!k->keys) return -1;
    ds_keyring_on_warning(k->keys, key_warning, k);
    char kerr[200];
    if (from_env && ds_keyring_from_env(k->keys, kerr, sizeof kerr)) return key_error(k, kerr);
    return 0;
}

/* --ek, --ak, --dedicated-key, --broadcast-key, --kek: the message names the option as the user wrote it. */
static int take_symmetric_key(ds_cli_keys *k, int c, const char *arg)
{
    static const char *const OPTION[] = {"--ek", "--ak", "--dedicated-key", "--broadcast-key", "--kek"};
    static const char WHICH[] = {'e', 'a', 'd', 'b', 'k'};
    size_t i = (size_t)(c - DS_KOPT_EK);
    char kerr[200], msg[sizeof kerr + 64];
    int rc = ds_keyring_set(k->keys, NULL, WHICH[i], arg, kerr, sizeof kerr);
    snprintf(msg, sizeof msg, "%s: %s", OPTION[i], kerr);
    if (rc) return key_error(k, msg);
    if (kerr[0]) key_warning(k, msg);
    return 0;
}

static int take_system_title(ds_cli_keys *k, int c, const char *arg)
{
    uint8_t title[DS_TITLE_LEN];
    if (ds_hex_to_bytes(arg, title, sizeof title) != DS_TITLE_LEN)
        return key_error(k, "a system title is 8 bytes written as 16 hex digits");
    if (c == DS_KOPT_CLIENT_TITLE) ds_keyring_set_titles(k->keys, title, NULL);
    else ds_keyring_set_titles(k->keys, NULL, title);
    return 0;
}

/* The secret as text, as it is configured in meters ("Gurux"); hex:ABCD for bytes. */
static int take_hls_secret(ds_cli_keys *k, const char *arg)
{
    if (!strncmp(arg, "hex:", 4)) {
        int n = ds_hex_to_bytes(arg + 4, k->secret, sizeof k->secret);
        if (n < 0) return key_error(k, "--hls-secret hex:... is not hex or longer than 64 bytes");
        k->secret_len = (size_t)n;
    } else {
        size_t n = strlen(arg);
        if (n > sizeof k->secret) return key_error(k, "--hls-secret is longer than 64 bytes");
        memcpy(k->secret, arg, n);
        k->secret_len = n;
    }
    k->has_secret = 1;
    return 0;
}

int ds_cli_keys_take(ds_cli_keys *k, int c, const char *arg)
{
    char kerr[200];
    switch (c) {
    case DS_KOPT_EK:
    case DS_KOPT_AK:
    case DS_KOPT_DK:
    case DS_KOPT_BK:
    case DS_KOPT_KEK: return take_symmetric_key(k, c, arg);
    case DS_KOPT_PRIVATE_KEY:
    case DS_KOPT_AGREEMENT_PUB:
        if (ds_keyring_set(k->keys, NULL, c == DS_KOPT_PRIVATE_KEY ? 'p' : 'q', arg, kerr, sizeof kerr))
            return key_error(k, kerr);
        return 0;
    case DS_KOPT_CLIENT_TITLE:
    case DS_KOPT_SERVER_TITLE: return take_system_title(k, c, arg);
    case DS_KOPT_KEY_FILE:
        if (ds_keyring_load_file(k->keys, arg, kerr, sizeof kerr)) return key_error(k, kerr);
        return 0;
    case DS_KOPT_HLS_SECRET: return take_hls_secret(k, arg);
    case DS_KOPT_CLIENT_PUB:
    case DS_KOPT_SERVER_PUB:
        if (ds_ec_public_key_parse(arg, c == DS_KOPT_CLIENT_PUB ? &k->client_pub : &k->server_pub, kerr, sizeof kerr))
            return key_error(k, kerr);
        return 0;
    default: return DS_CLI_NOT_A_KEY_OPTION;
    }
}

void ds_cli_keys_apply(ds_cli_keys *k, ds_options *opt)
{
    if (k->has_secret) {
        opt->hls_secret = k->secret;
        opt->hls_secret_len = k->secret_len;
    }
    if (k->client_pub.len) {
        opt->client_public_key = k->client_pub.bytes;
        opt->client_public_key_len = k->client_pub.len;
    }
    if (k->server_pub.len) {
        opt->server_public_key = k->server_pub.bytes;
        opt->server_public_key_len = k->server_pub.len;
    }
    /* the keyring takes part only when something can be checked or deciphered with it */
    if (ds_keyring_has_keys(k->keys) || opt->hls_secret || opt->client_public_key || opt->server_public_key)
        opt->keys = k->keys;
}

void ds_cli_keys_free(ds_cli_keys *k)
{
    ds_keyring_free(k->keys);
    k->keys = NULL;
    mbedtls_platform_zeroize(k->secret, sizeof k->secret);
}
