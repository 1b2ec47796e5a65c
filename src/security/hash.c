#include "security/hash.h"

int ds_hash_parts(mbedtls_md_type_t type, const ds_bytes *parts, size_t n, uint8_t out[DS_HASH_MAX],
                  size_t *out_len)
{
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(type);
    if (info == NULL) return -1;
    mbedtls_md_context_t ctx;
    mbedtls_md_init(&ctx);
    int rc = mbedtls_md_setup(&ctx, info, 0);
    if (rc == 0) rc = mbedtls_md_starts(&ctx);
    for (size_t i = 0; i < n && rc == 0; i++)
        if (parts[i].n > 0) rc = mbedtls_md_update(&ctx, parts[i].p, parts[i].n);
    if (rc == 0) rc = mbedtls_md_finish(&ctx, out);
    mbedtls_md_free(&ctx);
    *out_len = mbedtls_md_get_size(info);
    return rc == 0 ? 0 : -1;
}
