/* A hash over a message given in pieces: the HLS values (MD5, SHA-1, SHA-256, and the ECDSA
 * digests of mechanism 7), the signed bytes of general-signing, the KDF input of agreed keys. */
#ifndef DS_SECURITY_HASH_H
#define DS_SECURITY_HASH_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/md.h>

#define DS_HASH_MAX 64  /* the largest digest of mbedtls md */

/* A run of bytes; a NULL pointer is allowed with length 0. */
typedef struct ds_bytes {
    const uint8_t *p;
    size_t n;
} ds_bytes;

/* Hashes parts[0..n) in order into out and sets *out_len (the digest size of `type`). Empty pieces
 * are skipped, so a NULL pointer never reaches mbedtls. Returns 0, or -1 when mbedtls fails. */
int ds_hash_parts(mbedtls_md_type_t type, const ds_bytes *parts, size_t n, uint8_t out[DS_HASH_MAX],
                  size_t *out_len);

#endif
