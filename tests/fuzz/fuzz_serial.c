/* Fuzz target for the serial settings text (dlmscope listen --serial, DEVICE:BAUD:DPS) and the
 * IEC 62056-21 identification line: no crash, messages always terminated and in their buffer,
 * what is taken is in range and survives formatting and reading back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/serial.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_message(const char *err, size_t cap)
{
    if (!memchr(err, '\0', cap)) abort();
}

static void check_settings(const ds_serial_settings *s)
{
    if (s->baud == 0 || s->baud > 100000000ul || s->data_bits < 5 || s->data_bits > 8 ||
        (unsigned)s->parity > DS_PARITY_SPACE || (s->stop_bits != 1 && s->stop_bits != 2))
        abort();
    char text[DS_SERIAL_SETTINGS_TEXT];
    ds_serial_settings again;
    if (ds_serial_settings_parse(ds_serial_settings_format(s, text, sizeof text), &again, NULL, 0) != 0) abort();
    if (again.baud != s->baud || again.data_bits != s->data_bits || again.parity != s->parity ||
        again.stop_bits != s->stop_bits)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    size_t len = strlen(text);

    char err[200];
    ds_serial_settings s;
    memset(err, 'x', sizeof err);
    if (ds_serial_settings_parse(text, &s, err, sizeof err) == 0) check_settings(&s);
    else check_message(err, sizeof err);

    char device[64];
    int has = -1;
    ds_serial_settings_init(&s);
    if (ds_serial_target_parse(text, device, sizeof device, &s, &has, err, sizeof err) == 0) {
        size_t n = strlen(device);
        /* the device is the text, or its start up to the ':' before the settings */
        if (n > len || memcmp(device, text, n) != 0 || (has != 0 && has != 1)) abort();
        if (!has && n != len) abort();
        if (has && (n >= len || text[n] != ':')) abort();
        check_settings(&s);
    } else {
        check_message(err, sizeof err);
    }

    ds_iec_result r;
    char small[16];
    if (ds_iec_ident_parse(text, len, &r, small, sizeof small) == 0) {
        if (!memchr(r.ident, '\0', sizeof r.ident) || ds_iec_baud_of_char(r.baud_char) != r.baud || r.baud == 0)
            abort();
    } else {
        check_message(small, sizeof small);
    }
    free(text);
    return 0;
}
