/* general-signing parse + verify with arbitrary bytes. The first input byte picks the public key:
 * 0 the P-256 generator point, 1 the P-384 one (both valid keys, so the curve arithmetic runs
 * on whatever signature the input carries), otherwise the next byte gives a key length and the
 * key is taken from the input. Every piece lives in its own exactly-sized allocation so ASan
 * catches any over-read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecp.h>

#include "security/signing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 04 || X || Y of the curve's generator; 0 on failure */
static size_t generator_point(mbedtls_ecp_group_id id, uint8_t *out, size_t cap)
{
    mbedtls_ecp_group grp;
    mbedtls_ecp_group_init(&grp);
    size_t olen = 0;
    if (mbedtls_ecp_group_load(&grp, id) != 0 ||
        mbedtls_ecp_point_write_binary(&grp, &grp.G, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, out, cap) != 0)
        olen = 0;
    mbedtls_ecp_group_free(&grp);
    return olen;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    uint8_t *pub = NULL;
    size_t pub_len = 0;
    if (mode <= 1) {
        pub = malloc(97);
        if (pub == NULL)
            return 0;
        pub_len = generator_point(mode ? MBEDTLS_ECP_DP_SECP384R1 : MBEDTLS_ECP_DP_SECP256R1, pub, 97);
    } else {
        if (size < 1)
            return 0;
        pub_len = data[0];
        data++;
        size--;
        if (pub_len > size)
            pub_len = size;
        pub = malloc(pub_len ? pub_len : 1);
        if (pub == NULL)
            return 0;
        memcpy(pub, data, pub_len);
        data += pub_len;
        size -= pub_len;
    }
    uint8_t *apdu = malloc(size ? size : 1);
    if (apdu == NULL) {
        free(pub);
        return 0;
    }
    if (size)
        memcpy(apdu, data, size);
    ds_signed s;
    char err[200];
    if (ds_signed_parse(apdu, size, &s, err, sizeof err) == 0) {
        if (s.content_field_at < 1 || s.content_field_at > s.signed_len || s.signed_len > s.apdu_len ||
            s.apdu_len > size)
            abort();
        ds_signed_reading reading = DS_SIGNED_NONE;
        int rc = ds_signed_verify(apdu, &s, pub, pub_len, &reading, err, sizeof err);
        /* a reading is named exactly when the signature verified */
        if (rc < -1 || rc > 1 || (rc == 0) != (reading != DS_SIGNED_NONE) ||
            (rc == 0 && ds_signed_verdict(reading) == NULL))
            abort();
    }
    free(apdu);
    free(pub);
    return 0;
}
