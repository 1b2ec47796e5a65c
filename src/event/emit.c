#include "event/emit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sinks/xml_text.h"
#include "util/fmt.h"

void ds_emit_init(ds_emit *e, ds_sink *sink, const ds_options *opt, ds_diag_fn fn, void *user)
{
    memset(e, 0, sizeof *e);
    e->sink = sink;
    e->opt = opt;
    e->diag_fn = fn;
    e->diag_user = user;
}

static void report_v(ds_emit *e, const char *code, ds_severity sev, uint64_t offset,
                     const char *fmt, va_list ap)
{
    ds_diag d;
    d.code = code;
    d.severity = sev;
    d.offset = offset;
    d.frame = e->frame;
    d.line = e->line;
    vsnprintf(d.message, sizeof d.message, fmt, ap);
    ds_emit_diag(e, &d);
}

void ds_emit_diag(ds_emit *e, const ds_diag *d)
{
    if (d->severity == DS_SEV_ERROR) e->errors++;
    else if (d->severity == DS_SEV_WARNING) e->warnings++;
    if (e->sink && e->sink->diagnostic) e->sink->diagnostic(e->sink, d);
    if (e->diag_fn) e->diag_fn(e->diag_user, d);
}

void ds_report(ds_emit *e, const char *code, ds_severity sev, uint64_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_v(e, code, sev, e->base + pos, fmt, ap);
    va_end(ap);
}

void ds_report_abs(ds_emit *e, const char *code, ds_severity sev, uint64_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_v(e, code, sev, offset, fmt, ap);
    va_end(ap);
}

int ds_emit_too_deep(ds_emit *e)
{
    ds_report(e, DS_D_APDU_TOO_DEEP, DS_SEV_ERROR, 0, DS_TOO_DEEP_MESSAGE, DS_MAX_DEPTH);
    return -1;
}

#ifdef DS_CHECK_CONTRACTS
void ds_emit_check_plain(const char *text, size_t len, unsigned flags)
{
    if ((flags & DS_TEXT_PLAIN) && !ds_text_is_plain(text, len)) {
        fprintf(stderr, "dlmscope: internal error: text marked plain is not: \"%.*s\"\n", (int)len, text);
        abort();
    }
}
#endif

/* The same for attributes, and their stated lengths (DS_ATTR_SIZED). */
static void check_attrs(const ds_attr *attrs, size_t nattrs)
{
#ifdef DS_CHECK_CONTRACTS
    for (size_t i = 0; i < nattrs; i++) {
        const ds_attr *a = &attrs[i];
        const char *v = ds_attr_value(a);
        if ((a->flags & DS_ATTR_SIZED) && (strlen(a->name) != a->name_len || strlen(v) != a->value_len)) {
            fprintf(stderr, "dlmscope: internal error: attribute %s: wrong stated length\n", a->name);
            abort();
        }
        ds_emit_check_plain(v, strlen(v), a->flags);
    }
#else
    (void)attrs, (void)nattrs;
#endif
}

int ds_emit_open_flat_len(ds_emit *e, const char *name, size_t name_len, const ds_attr *attrs, size_t nattrs)
{
    check_attrs(attrs, nattrs);
    if (ds_emit_enter(e)) return -1;
    e->sink->open(e->sink, name, name_len, attrs, nattrs, DS_OPEN_FLAT);
    return 0;
}

/* A run of attributes, its pieces joined, is the very text the XML writers write for them
 * (ds_xml_attrs_run). */
static void check_run(const ds_attr *attrs, size_t nattrs, const ds_attr_run *run)
{
#ifdef DS_CHECK_CONTRACTS
    char made[512], joined[512];
    if (nattrs == 0) return; /* not made: the sink copies the run (ds_emit_takes_run) */
    size_t made_len = ds_xml_attrs_run(made, sizeof made, attrs, nattrs), len = 0;
    for (size_t i = 0; i < DS_ATTR_RUN_PIECES; i++) {
        if (run->len[i] > sizeof joined - len || (i < DS_ATTR_RUN_PIECES - 1 && run->len[i] > 32)) abort();
        memcpy(joined + len, run->text[i], run->len[i]);
        len += run->len[i];
    }
    if (made_len != len || memcmp(made, joined, len) != 0) {
        fprintf(stderr, "dlmscope: internal error: an attribute run is not its attributes' text\n");
        abort();
    }
#else
    (void)attrs;
    (void)nattrs;
    (void)run;
#endif
}

int ds_emit_open_flat_run(ds_emit *e, const char *name, size_t name_len, const ds_attr *attrs, size_t nhead,
                          size_t nattrs, const ds_attr_run *run)
{
    check_attrs(attrs, nattrs);
    check_run(attrs + nhead, nattrs - nhead, run);
    if (ds_emit_enter(e)) return -1;
    if (e->sink->open_run) e->sink->open_run(e->sink, name, name_len, attrs, nhead, run, DS_OPEN_FLAT);
    else e->sink->open(e->sink, name, name_len, attrs, nattrs, DS_OPEN_FLAT);
    return 0;
}

int ds_emit_open_attrs_len(ds_emit *e, const char *name, size_t name_len, const ds_attr *attrs, size_t nattrs)
{
    check_attrs(attrs, nattrs);
    if (ds_emit_enter(e)) return -1;
    e->sink->open(e->sink, name, name_len, attrs, nattrs, 0);
    return 0;
}

int ds_emit_open_qty_len(ds_emit *e, const char *name, size_t name_len, uint64_t qty)
{
    char buf[24];
    size_t len = e->opt->decimal ? ds_fmt_udec(buf, qty) : ds_fmt_uhex(buf, qty, 2);
    ds_attr a = DS_ATTR_PLAIN("Qty", buf, len);
    check_attrs(&a, 1);
    if (ds_emit_enter(e)) return -1;
    e->sink->open(e->sink, name, name_len, &a, 1, 0);
    return 0;
}

void ds_emit_bare_len(ds_emit *e, const char *name, size_t name_len)
{
    e->sink->leaf_attrs(e->sink, name, name_len, NULL, 0);
}

void ds_emit_leaf_attrs_len(ds_emit *e, const char *name, size_t name_len, const ds_attr *attrs, size_t nattrs)
{
    check_attrs(attrs, nattrs);
    e->sink->leaf_attrs(e->sink, name, name_len, attrs, nattrs);
}

void ds_emit_hex_formatted(ds_emit *e, const char *name, size_t name_len, const uint8_t *p, size_t n)
{
    char small[2 * 64 + 1];
    if (n <= 64) {
        size_t len = ds_fmt_hex(small, p, n);
        ds_emit_value_len(e, name, name_len, small, len, DS_TEXT_PLAIN);
        return;
    }
    /* Long values (octet strings up to an APDU's size): format in pieces on the stack
     * would need sink support; a heap buffer is simpler and bounded by the APDU size. */
    char *buf = malloc(2 * n + 1);
    if (!buf) {
        ds_report(e, DS_D_INPUT_TOO_LARGE, DS_SEV_ERROR, 0, "out of memory formatting %zu bytes", n);
        return;
    }
    size_t len = ds_fmt_hex(buf, p, n);
    ds_emit_value_len(e, name, name_len, buf, len, DS_TEXT_PLAIN);
    free(buf);
}

void ds_emit_uint_len(ds_emit *e, const char *name, size_t name_len, uint64_t v, int hex_digits)
{
    char buf[24];
    size_t n = e->opt->decimal ? ds_fmt_udec(buf, v) : ds_fmt_uhex(buf, v, hex_digits);
    ds_emit_value_len(e, name, name_len, buf, n, ds_emit_number_flags(e));
}

void ds_emit_sint_len(ds_emit *e, const char *name, size_t name_len, int64_t v, int hex_digits)
{
    char buf[24];
    size_t n = e->opt->decimal ? ds_fmt_sdec(buf, v) : ds_fmt_shex(buf, v, hex_digits);
    ds_emit_value_len(e, name, name_len, buf, n, ds_emit_number_flags(e));
}

void ds_emit_comment_text(ds_emit *e, const char *text, size_t len)
{
    if (!e->opt->comments) return;
    e->sink->comment(e->sink, text, len, 0);
}

void ds_emit_comment(ds_emit *e, const char *fmt, ...)
{
    if (!e->opt->comments) return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof buf) n = (int)sizeof buf - 1;
    e->sink->comment(e->sink, buf, (size_t)n, 0);
}
