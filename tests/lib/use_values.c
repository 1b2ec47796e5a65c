/* A program built against the installed library with pkg-config (tests/lib/installed.sh): reads
 * the value out of a GetResponse and builds a GetRequest from values, through the public
 * headers only. */
#include <stdio.h>

#include <dlmscope/dlmscope.h>

int main(void)
{
    /* get-response-normal, invoke-id C1, data: double-long-unsigned 00003039 */
    static const uint8_t response[] = {0xC4, 0x01, 0xC1, 0x00, 0x06, 0x00, 0x00, 0x30, 0x39};
    ds_value_arena *a = ds_value_arena_new(256, 4096);
    if (!a) return 3;
    ds_value *apdu;
    ds_diag d;
    if (ds_value_decode_apdu(a, response, sizeof response, &apdu, &d) != 0) {
        printf("decode: %s at %llu: %s\n", d.code, (unsigned long long)d.offset, d.message);
        return 1;
    }
    uint32_t iid, result;
    ds_value *data = ds_value_data(ds_value_find(apdu, "GetResponse/GetResponseNormal/Result/Data"));
    if (!data || ds_value_invoke_id(apdu, &iid) || ds_value_result(apdu, &result)) return 1;
    printf("response: invoke-id %02X, result %u, data type %u, value %llu\n", (unsigned)iid, (unsigned)result,
           data->tag, (unsigned long long)data->u);
    ds_value_arena_free(a);

    /* the energy register (class 3, 1.0.1.8.0.255), its value (attribute 2) */
    ds_cosem_ref ref = {3, {1, 0, 1, 8, 0, 255}, 2};
    uint8_t buf[64];
    size_t n;
    char err[200];
    if (ds_build_get_request_normal(0xC1, &ref, buf, sizeof buf, &n, err, sizeof err) != 0) {
        printf("build: %s\n", err);
        return 1;
    }
    printf("request:");
    for (size_t i = 0; i < n; i++) printf(" %02X", buf[i]);
    printf("\n");
    return 0;
}
