/* The serial inference as a finding: one layout of its fields for diagnose (an input without
 * valid frames) and listen --diagnose (a port without valid frames). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int ds_cli_serial_is_setting(const ds_serial_inference *inf)
{
    return inf->verdict == DS_SERIAL_BAUD || inf->verdict == DS_SERIAL_PARITY ||
           inf->verdict == DS_SERIAL_DATA_BITS || inf->verdict == DS_SERIAL_INVERTED;
}

/* The other settings that explain the bytes as well, as "SENDER read at CAPTURE" and a note
 * when that port zeroes bad characters, separated by "; ". */
static void format_alternatives(const ds_serial_inference *inf, char *buf, size_t len)
{
    size_t used = 0;
    for (size_t i = 0; i < inf->n_alternatives && used < len; i++) {
        const ds_serial_alternative *alt = &inf->alternatives[i];
        char rx[DS_SERIAL_SETTINGS_TEXT], tx[DS_SERIAL_SETTINGS_TEXT];
        int k = snprintf(buf + used, len - used, "%s%s read at %s%s%s", i ? "; " : "",
                         ds_serial_settings_format(&alt->sender, tx, sizeof tx),
                         ds_serial_settings_format(&alt->receiver, rx, sizeof rx), alt->inverted ? ", inverted" : "",
                         alt->receiver_zeroes_errors ? " zeroing bad characters" : "");
        if (k < 0) break;
        used += (size_t)k;
    }
}

int ds_cli_serial_finding(const ds_serial_inference *inf, const char *file, ds_cli_finding_fn emit, void *user)
{
    char message[2048], hint[2048], rx[DS_SERIAL_SETTINGS_TEXT], tx[DS_SERIAL_SETTINGS_TEXT], ratio[32];
    char alternatives[4 * 80] = "";
    char frames[24], recovered[24];
    ds_serial_inference_message(inf, message, sizeof message);
    ds_serial_inference_hint(inf, hint, sizeof hint);
    ds_serial_settings_format(&inf->receiver, rx, sizeof rx);
    ds_serial_settings_format(&inf->sender, tx, sizeof tx);
    snprintf(ratio, sizeof ratio, "%u/%u", inf->ratio_num, inf->ratio_den);
    snprintf(frames, sizeof frames, "%zu", inf->frames);
    snprintf(recovered, sizeof recovered, "%zu", inf->recovered ? inf->recovered_len : 0);
    ds_finding_field fields[DS_FINDING_FIELDS_MAX];
    size_t k = 0;
    fields[k++] = (ds_finding_field){"file", file, 0};
    fields[k++] = (ds_finding_field){"capture_settings", rx, 0};
    fields[k++] = (ds_finding_field){"capture_settings_known", inf->receiver_known ? "true" : "false", 1};
    if (ds_cli_serial_is_setting(inf)) {
        fields[k++] = (ds_finding_field){"sender_settings", tx, 0};
        fields[k++] = (ds_finding_field){"ratio", ratio, 0};
        fields[k++] = (ds_finding_field){"inverted", inf->inverted ? "true" : "false", 1};
    }
    fields[k++] = (ds_finding_field){"frames", frames, 1};
    fields[k++] = (ds_finding_field){"recovered_bytes", recovered, 1};
    if (inf->n_alternatives) {
        format_alternatives(inf, alternatives, sizeof alternatives);
        fields[k++] = (ds_finding_field){"alternatives", alternatives, 0};
    }
    int sev = ds_serial_inference_severity(inf);
    ds_finding f = {.code = inf->code ? inf->code : DS_D_SERIAL_NOT_DLMS,
                    .severity = (ds_severity)sev,
                    .offset = inf->verdict == DS_SERIAL_NEAR_MISS ? inf->near_miss_offset : 0,
                    .time = "",
                    .message = message,
                    .hint = hint,
                    .fields = fields,
                    .nfields = k};
    emit(user, &f);
    return sev;
}
