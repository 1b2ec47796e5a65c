/* Diagnostics as text: severity names and the one-line JSON form used by
 * --diagnostics=json (one object per line, fixed key order). */
#include "dlmscope/diag.h"
#include "dlmscope/sink.h"

#include <string.h>
#include "sinks/text.h"
#include "sinks/wbuf.h"

const char *ds_severity_name(ds_severity s)
{
    switch (s) {
    case DS_SEV_INFO: return "info";
    case DS_SEV_WARNING: return "warning";
    case DS_SEV_ERROR: return "error";
    }
    return "unknown";
}

/* {"code": "frame.fcs", "severity": "error", "offset": 12, "frame": 3, "line": 7, "message": "..."} */
void ds_diag_write_json(FILE *out, const ds_diag *d)
{
    char block[1024];
    ds_wbuf w;
    const char *code = d->code ? d->code : "";
    const char *sev = ds_severity_name(d->severity);
    ds_wbuf_init(&w, out, block, sizeof block);
    ds_wbuf_puts(&w, "{\"code\": ");
    ds_json_write_string(&w, code, strlen(code));
    ds_wbuf_puts(&w, ", \"severity\": ");
    ds_json_write_string(&w, sev, strlen(sev));
    ds_wbuf_puts(&w, ", \"offset\": ");
    ds_wbuf_udec(&w, d->offset);
    ds_wbuf_puts(&w, ", \"frame\": ");
    ds_wbuf_udec(&w, d->frame);
    ds_wbuf_puts(&w, ", \"line\": ");
    ds_wbuf_udec(&w, d->line);
    ds_wbuf_puts(&w, ", \"message\": ");
    ds_json_write_string(&w, d->message, strnlen(d->message, sizeof d->message));
    ds_wbuf_puts(&w, "}\n");
    ds_wbuf_flush(&w);
}
