/* Decode context: how decoders talk to the sink and report problems.
 *
 * Every decoder (frame envelopes, APDUs, A-XDR data) gets a ds_emit. It
 * formats numbers the way the options ask (hex or decimal), writes comments
 * only when they are wanted, and turns problems into diagnostics that go
 * both to the sink (at the place they occur) and to the diagnostic listener. */
#ifndef DS_CORE_EMIT_H
#define DS_CORE_EMIT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "dlmscope/decoder.h"
#include "dlmscope/diag.h"
#include "dlmscope/sink.h"

#define DS_MAX_DEPTH 64  /* nesting limit for data and PDUs: deeper input is an error */

typedef struct ds_emit ds_emit;

struct ds_emit {
    ds_sink *sink;
    const ds_options *opt;
    ds_diag_fn diag_fn;
    void *diag_user;
    uint64_t base;      /* stream offset of the buffer being decoded (pos 0) */
    uint64_t frame;     /* current frame number, 0 outside frames */
    uint64_t line;      /* current input line, 0 when unknown */
    uint64_t errors;
    uint64_t warnings;
    int depth;          /* current container nesting, checked against DS_MAX_DEPTH */
    /* Security hooks (set by the decoder when it has a session): fields worth remembering
     * (system titles, dedicated key, challenges) are reported as they are decoded, and a
     * ciphered APDU, once shown, is handed over so that its deciphered view can follow it. */
    void (*observe)(void *user, int what, const uint8_t *p, size_t n);
    void (*on_ciphered)(void *user, struct ds_emit *e, const uint8_t *apdu, size_t n, uint64_t offset);
    void *security;
    int hide_keys;      /* key values in deciphered APDUs are not written (no --show-keys) */
};

void ds_emit_init(ds_emit *e, ds_sink *sink, const ds_options *opt, ds_diag_fn fn, void *user);

/* Report a problem at `pos` bytes after e->base. printf-style message. */
void ds_report(ds_emit *e, const char *code, ds_severity sev, uint64_t pos, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Report at an absolute stream offset. */
void ds_report_abs(ds_emit *e, const char *code, ds_severity sev, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Forward a diagnostic made elsewhere (framer, reader): counted, sent to the sink and listener. */
void ds_emit_diag(ds_emit *e, const ds_diag *d);

/* Containers. ds_emit_open() returns -1 (after reporting apdu.too-deep) when nesting is too
 * deep; the container is then NOT opened and must not be closed. */
int ds_emit_open(ds_emit *e, const char *name);
int ds_emit_open_flat(ds_emit *e, const char *name, const ds_attr *attrs, size_t nattrs);
int ds_emit_open_attrs(ds_emit *e, const char *name, const ds_attr *attrs, size_t nattrs); /* indented children */
int ds_emit_open_qty(ds_emit *e, const char *name, uint64_t qty);  /* Qty="h2" or decimal */
void ds_emit_close(ds_emit *e, const char *name);

/* Leaves */
void ds_emit_leaf(ds_emit *e, const char *name, const char *value);  /* Value="value" */
void ds_emit_leaf_n(ds_emit *e, const char *name, const char *value, size_t len);
void ds_emit_bare(ds_emit *e, const char *name);                      /* <name /> */
void ds_emit_leaf_attr(ds_emit *e, const char *name, const char *attr, const char *value);
void ds_emit_hex(ds_emit *e, const char *name, const uint8_t *p, size_t n);  /* HEX in both modes */
void ds_emit_uint(ds_emit *e, const char *name, uint64_t v, int hex_digits); /* hN / decimal */
void ds_emit_sint(ds_emit *e, const char *name, int64_t v, int hex_digits);  /* sN / decimal */
void ds_emit_dec(ds_emit *e, const char *name, uint64_t v);                  /* decimal in both modes */

/* Comments: no-ops unless opt->comments. The text must not contain "--" (it is replaced). */
int ds_emit_comments_on(const ds_emit *e);
void ds_emit_comment(ds_emit *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ds_emit_comment_text(ds_emit *e, const char *text, size_t len);

#endif
