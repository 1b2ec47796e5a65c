/* HLS verification and diagnosis with arbitrary lengths and bytes. Every piece is copied into
 * its own exactly-sized allocation so that any over-read is caught by ASan. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "security/hls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct pieces {
    void *p[10];
    size_t n;
} pieces;

/* the next len bytes in their own allocation, or NULL when the input is exhausted */
static uint8_t *take(const uint8_t **data, size_t *size, size_t len, pieces *keep)
{
    if (len > *size || keep->n >= sizeof keep->p / sizeof keep->p[0])
        return NULL;
    uint8_t *p = malloc(len ? len : 1);
    if (p == NULL)
        return NULL;
    if (len)
        memcpy(p, *data, len);
    *data += len;
    *size -= len;
    keep->p[keep->n++] = p;
    return p;
}

static char *take_text(const uint8_t **data, size_t *size, size_t len, pieces *keep)
{
    uint8_t *p = take(data, size, len + 1, keep);
    if (p != NULL)
        p[len] = 0;
    return (char *)p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 10)
        return 0;
    ds_hls_inputs in;
    memset(&in, 0, sizeof in);
    in.mechanism = 2 + data[0] % 6;
    int server_side = data[1] & 1;
    in.sc = (data[1] & 2) ? 0 : 0x10;
    in.mech2 = (data[1] & 4) ? DS_HLS_MECH2_NONE : DS_HLS_MECH2_AES_ECB;
    size_t secret_len = data[2] % 80, ctos_len = data[3], stoc_len = data[4];
    in.key_len = data[5] % 40;
    in.ak_len = data[6] % 40;
    in.pub_len = (data[7] & 1) ? 97 : 65;
    size_t text_len = data[8] % 70;
    int with_hints = data[9] & 1;
    data += 10;
    size -= 10;

    pieces keep = {{0}, 0};
    in.secret = take(&data, &size, secret_len, &keep);
    in.secret_len = secret_len;
    in.ctos = take(&data, &size, ctos_len, &keep);
    in.ctos_len = ctos_len;
    in.stoc = take(&data, &size, stoc_len, &keep);
    in.stoc_len = stoc_len;
    in.client_title = take(&data, &size, DS_HLS_TITLE_LEN, &keep);
    in.server_title = take(&data, &size, DS_HLS_TITLE_LEN, &keep);
    in.ek = take(&data, &size, in.key_len, &keep);
    in.ak = take(&data, &size, in.ak_len ? in.ak_len : in.key_len, &keep);
    ds_hls_hints hints;
    memset(&hints, 0, sizeof hints);
    hints.secret_text = take_text(&data, &size, text_len, &keep);
    hints.ek_text = hints.secret_text;
    if (in.mechanism == 7) {
        in.client_pub = take(&data, &size, in.pub_len, &keep);
        in.server_pub = in.client_pub;
    }
    /* everything left is the value under test */
    size_t got_len = size;
    uint8_t *got = take(&data, &size, got_len, &keep);
    if (got == NULL)
        got_len = 0;

    char why[128];
    uint8_t out[DS_HLS_VALUE_MAX];
    size_t out_len = sizeof out;
    ds_hls_expected(&in, server_side, 1, out, &out_len);
    if (ds_hls_verify(&in, server_side, got, got_len, why, sizeof why) != 0)
        ds_hls_diagnose(&in, server_side, got, got_len, with_hints ? &hints : NULL, why, sizeof why);
    for (size_t i = 0; i < keep.n; i++)
        free(keep.p[i]);
    return 0;
}
