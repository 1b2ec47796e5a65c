#include "security/hash.h"

#include <mbedtls/md.h>

int ds_hash_parts(int sha384, const uint8_t *const parts[], const size_t lens[], size_t n, uint8_t out[DS_HASH_MAX],
                  size_t *out_len)
{
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(sha384 ? MBEDTLS_MD_SHA384 : MBEDTLS_MD_SHA256);
    if (info == NULL) return -1;
    mbedtls_md_context_t ctx;
    mbedtls_md_init(&ctx);
    int rc = mbedtls_md_setup(&ctx, info, 0);
    if (rc == 0) rc = mbedtls_md_starts(&ctx);
    for (size_t i = 0; i < n && rc == 0; i++)
        if (lens[i] > 0) rc = mbedtls_md_update(&ctx, parts[i], lens[i]);
    if (rc == 0) rc = mbedtls_md_finish(&ctx, out);
    mbedtls_md_free(&ctx);
    *out_len = mbedtls_md_get_size(info);
    return rc == 0 ? 0 : -1;
}
