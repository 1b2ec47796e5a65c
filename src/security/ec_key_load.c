/* ECDSA keys from the command line or a file (keys.h ds_ec_key_load): hex, or a PEM key read
 * with mbedtls's parser. Every buffer that held key bytes is wiped. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>

#include "dlmscope/keys.h"

#define KEY_FILE_MAX 16384 /* a PEM EC key is a few hundred bytes; more is no key file */
#define P256_LEN 32
#define P384_LEN 48

static void say(char *err, size_t errlen, const char *what, const char *detail)
{
    if (err && errlen) snprintf(err, errlen, "%s%s", what, detail ? detail : "");
}

/* The file's bytes with a NUL after them (mbedtls wants it for PEM): its length, or -1. */
static long read_small_file(const char *path, char *buf, size_t cap, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        say(err, errlen, path, ": cannot be read");
        return -1;
    }
    size_t n = fread(buf, 1, cap - 1, f);
    int too_long = n == cap - 1 && fgetc(f) != EOF;
    fclose(f);
    if (too_long) {
        say(err, errlen, path, ": too long for a key file");
        return -1;
    }
    buf[n] = '\0';
    return (long)n;
}

static int curve_len(const mbedtls_ecp_keypair *ec)
{
    return ec->grp.id == MBEDTLS_ECP_DP_SECP256R1 ? P256_LEN : ec->grp.id == MBEDTLS_ECP_DP_SECP384R1 ? P384_LEN : 0;
}

/* A PEM key through mbedtls: the private scalar or the public point of a P-256/P-384 key. */
static int from_pem(const char *pem, size_t len, int private_key, ds_ec_key *out, char *err, size_t errlen)
{
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int rc = -1;
    int is_private = strstr(pem, "PRIVATE KEY-----") != NULL;
    int parsed = is_private ? mbedtls_pk_parse_key(&pk, (const unsigned char *)pem, len + 1, NULL, 0)
                            : mbedtls_pk_parse_public_key(&pk, (const unsigned char *)pem, len + 1);
    if (private_key && !is_private) {
        say(err, errlen, "a public key where the private key was expected", NULL);
    } else if (parsed != 0 || mbedtls_pk_get_type(&pk) != MBEDTLS_PK_ECKEY) {
        say(err, errlen, "not a PEM elliptic-curve key (unencrypted EC PRIVATE KEY, PRIVATE KEY or PUBLIC KEY)", NULL);
    } else {
        const mbedtls_ecp_keypair *ec = mbedtls_pk_ec(pk);
        int n = curve_len(ec);
        size_t olen = 0;
        if (!n)
            say(err, errlen, "the key is on another curve than P-256 or P-384", NULL);
        else if (private_key)
            rc = mbedtls_mpi_write_binary(&ec->d, out->bytes, (size_t)n) ? -1 : (out->len = (size_t)n, 0);
        else
            rc = mbedtls_ecp_point_write_binary(&ec->grp, &ec->Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, out->bytes,
                                                sizeof out->bytes)
                     ? -1
                     : (out->len = olen, 0);
        if (n && rc) say(err, errlen, "the key could not be written out", NULL);
    }
    mbedtls_pk_free(&pk);
    return rc;
}

static int from_hex(const char *text, int private_key, ds_ec_key *out, char *err, size_t errlen)
{
    if (!private_key) return ds_ec_public_key_parse(text, out, err, errlen);
    uint8_t raw[DS_EC_KEY_MAX + 1];
    int n = ds_hex_to_bytes(text, raw, sizeof raw), rc = -1;
    if (n != P256_LEN && n != P384_LEN)
        say(err, errlen,
            n < 0 ? "the private key is not hex (or longer than 97 bytes), nor a file"
                  : "the private key is a P-256 scalar of 32 bytes or a P-384 one of 48",
            NULL);
    else {
        memcpy(out->bytes, raw, (size_t)n);
        out->len = (size_t)n;
        rc = 0;
    }
    mbedtls_platform_zeroize(raw, sizeof raw);
    return rc;
}

int ds_ec_key_load(const char *arg, int private_key, ds_ec_key *out, char *err, size_t errlen)
{
    ds_ec_key k;
    memset(&k, 0, sizeof k);
    struct stat st;
    int rc;
    if (!arg || !*arg) {
        say(err, errlen, "no key given", NULL);
        return -1;
    }
    if (stat(arg, &st) == 0 && S_ISREG(st.st_mode)) {
        char buf[KEY_FILE_MAX];
        long n = read_small_file(arg, buf, sizeof buf, err, errlen);
        if (n < 0) return -1;
        if (strstr(buf, "-----BEGIN"))
            rc = from_pem(buf, (size_t)n, private_key, &k, err, errlen);
        else {
            /* hex text, perhaps with a newline */
            for (long i = n - 1; i >= 0 && (buf[i] == '\n' || buf[i] == '\r' || buf[i] == ' '); i--) buf[i] = '\0';
            rc = from_hex(buf, private_key, &k, err, errlen);
        }
        mbedtls_platform_zeroize(buf, sizeof buf);
    } else {
        rc = from_hex(arg, private_key, &k, err, errlen);
    }
    if (rc == 0) {
        k.set = 1;
        *out = k;
    }
    mbedtls_platform_zeroize(&k, sizeof k);
    return rc;
}
