/* AES key wrap (RFC 3394, default IV A6A6A6A6A6A6A6A6): how DLMS carries a key inside a
 * general-ciphering wrapped-key and in key_transfer (Security setup, class 64, method 2).
 * Written here because Debian's mbedtls is built without MBEDTLS_NIST_KW_C; the block cipher
 * is still mbedtls's AES. */
#ifndef DS_SECURITY_KEYWRAP_H
#define DS_SECURITY_KEYWRAP_H

#include <stddef.h>
#include <stdint.h>

/* Wraps key_len bytes (a multiple of 8, 16 to 32) with the KEK (an AES key: 16, 24 or 32
 * bytes; DLMS uses 16 or 32) into key_len + 8 bytes at out. 0 ok, -1 bad lengths. */
int ds_aes_key_wrap(const uint8_t *kek, size_t kek_len, const uint8_t *key, size_t key_len, uint8_t *out);

/* Unwraps wrapped_len bytes (24 to 40, a multiple of 8) into wrapped_len - 8 bytes at out.
 * 0 ok; -1 bad lengths; -2 the integrity check fails (wrong KEK or damaged data), in which
 * case out is zeroed. */
int ds_aes_key_unwrap(const uint8_t *kek, size_t kek_len, const uint8_t *wrapped, size_t wrapped_len,
                      uint8_t *out);

#endif
