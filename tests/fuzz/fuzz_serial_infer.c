/* Fuzz target for the serial-settings inference: any bytes, with the capture's setting told (one
 * of a few, from the first byte) or not. No crash, no hang, the text and JSON of the finding
 * always terminated in their buffers, the verdict's code one of the documented ones. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/serial_infer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const RECEIVERS[] = {"2400:8N1", "9600:8E1", "300:7E1", "115200:8N2", "2401:8N1", "1200:5S2"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    unsigned pick = data[0] % 8u;
    ds_serial_settings rx;
    const ds_serial_settings *told = NULL;
    /* the untold case tries every receiver: kept to one input in eight, and short, for speed */
    if (pick < sizeof RECEIVERS / sizeof RECEIVERS[0]) {
        if (ds_serial_settings_parse(RECEIVERS[pick], &rx, NULL, 0) != 0) abort();
        told = &rx;
    } else if (size > 1024) {
        size = 1024;
    }
    ds_serial_inference r;
    if (ds_serial_infer(data + 1, size - 1, told, &r) != 0) return 0;
    static const char *const CODES[] = {DS_D_SERIAL_OK, DS_D_SERIAL_BAUD_MISMATCH, DS_D_SERIAL_PARITY_MISMATCH,
                                        DS_D_SERIAL_DATA_BITS_MISMATCH, DS_D_SERIAL_INVERTED, DS_D_SERIAL_NOT_DLMS,
                                        DS_D_SERIAL_NEAR_MISS, DS_D_SERIAL_RANDOM};
    int known = 0;
    for (size_t i = 0; i < sizeof CODES / sizeof CODES[0]; i++) known |= r.code && strcmp(r.code, CODES[i]) == 0;
    if (!known) abort();
    char text[512], json[512];
    int need = ds_serial_inference_text(&r, text, sizeof text);
    if (need < 0 || !memchr(text, '\0', sizeof text)) abort();
    need = ds_serial_inference_json(&r, json, sizeof json);
    if (need < 0 || !memchr(json, '\0', sizeof json)) abort();
    if (r.recovered_len && !r.recovered) abort();
    ds_serial_inference_free(&r);
    return 0;
}
