/* SHA-256 or SHA-384 over a message given in pieces (the signed bytes of general-signing, the
 * KDF input of agreed keys): the two hashes of security suites 1 and 2. */
#ifndef DS_SECURITY_HASH_H
#define DS_SECURITY_HASH_H

#include <stddef.h>
#include <stdint.h>

#define DS_HASH_MAX 48  /* SHA-384 */

/* Hashes parts[0..n) in order into out (32 bytes for SHA-256, 48 for SHA-384) and sets *out_len.
 * Empty pieces are skipped, so a NULL pointer with length 0 never reaches mbedtls.
 * Returns 0, or -1 when mbedtls fails. */
int ds_hash_parts(int sha384, const uint8_t *const parts[], const size_t lens[], size_t n, uint8_t out[DS_HASH_MAX],
                  size_t *out_len);

#endif
