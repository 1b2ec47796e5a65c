/* AES key wrap, RFC 3394 §2.2.1 (wrap) and §2.2.2 (unwrap), index-based form. */
#include "security/keywrap.h"

#include <string.h>

#include <mbedtls/aes.h>
#include <mbedtls/platform_util.h>

#include "security/cipher.h"

#define KW_MAX_BLOCKS 4 /* a 256-bit key: four 64-bit blocks */

static const uint8_t DEFAULT_IV[8] = {0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6};

static int kek_ok(size_t kek_len)
{
    return kek_len == 16 || kek_len == 24 || kek_len == 32;
}

/* A ^= t, t as a 64-bit big-endian number */
static void xor_counter(uint8_t a[8], uint64_t t)
{
    for (int i = 7; i >= 0; i--, t >>= 8) a[i] ^= (uint8_t)t;
}

int ds_aes_key_wrap(const uint8_t *kek, size_t kek_len, const uint8_t *key, size_t key_len, uint8_t *out)
{
    if (!kek_ok(kek_len) || key_len % 8 != 0 || key_len < 16 || key_len > 8 * KW_MAX_BLOCKS) return -1;
    size_t n = key_len / 8;
    uint8_t a[8], r[KW_MAX_BLOCKS][8], b[16];
    memcpy(a, DEFAULT_IV, 8);
    memcpy(r, key, key_len);
    mbedtls_aes_context aes;
    mbedtls_aes_init(&aes);
    int rc = mbedtls_aes_setkey_enc(&aes, kek, (unsigned)kek_len * 8);
    for (unsigned j = 0; rc == 0 && j <= 5; j++) {
        for (size_t i = 1; rc == 0 && i <= n; i++) {
            memcpy(b, a, 8);
            memcpy(b + 8, r[i - 1], 8);
            rc = mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, b, b);
            memcpy(a, b, 8);
            xor_counter(a, (uint64_t)n * j + i);
            memcpy(r[i - 1], b + 8, 8);
        }
    }
    mbedtls_aes_free(&aes);
    if (rc == 0) {
        memcpy(out, a, 8);
        memcpy(out + 8, r, key_len);
    }
    mbedtls_platform_zeroize(r, sizeof r);
    mbedtls_platform_zeroize(b, sizeof b);
    return rc == 0 ? 0 : -1;
}

int ds_aes_key_unwrap(const uint8_t *kek, size_t kek_len, const uint8_t *wrapped, size_t wrapped_len,
                      uint8_t *out)
{
    if (!kek_ok(kek_len) || wrapped_len % 8 != 0 || wrapped_len < 24 || wrapped_len > 8 * (KW_MAX_BLOCKS + 1))
        return -1;
    size_t n = wrapped_len / 8 - 1;
    uint8_t a[8], r[KW_MAX_BLOCKS][8], b[16];
    memcpy(a, wrapped, 8);
    memcpy(r, wrapped + 8, 8 * n);
    mbedtls_aes_context aes;
    mbedtls_aes_init(&aes);
    int rc = mbedtls_aes_setkey_dec(&aes, kek, (unsigned)kek_len * 8);
    for (int j = 5; rc == 0 && j >= 0; j--) {
        for (size_t i = n; rc == 0 && i >= 1; i--) {
            xor_counter(a, (uint64_t)n * (unsigned)j + i);
            memcpy(b, a, 8);
            memcpy(b + 8, r[i - 1], 8);
            rc = mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_DECRYPT, b, b);
            memcpy(a, b, 8);
            memcpy(r[i - 1], b + 8, 8);
        }
    }
    mbedtls_aes_free(&aes);
    int ok = rc == 0 && ds_ct_equal(a, DEFAULT_IV, 8);
    if (ok) memcpy(out, r, 8 * n);
    else memset(out, 0, 8 * n);
    mbedtls_platform_zeroize(r, sizeof r);
    mbedtls_platform_zeroize(b, sizeof b);
    return ok ? 0 : (rc == 0 ? -2 : -1);
}
