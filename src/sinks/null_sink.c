/* A sink that discards everything: decoding cost alone (benchmarks, fuzzing). */
#include "dlmscope/sink.h"

#include <stdlib.h>

static void null_document(ds_sink *s) { (void)s; }

static void null_open(ds_sink *s, const char *name, size_t name_len, const ds_attr *attrs, size_t nattrs,
                      unsigned flags)
{
    (void)s; (void)name; (void)name_len; (void)attrs; (void)nattrs; (void)flags;
}

static void null_close(ds_sink *s, const char *name, size_t name_len) { (void)s; (void)name; (void)name_len; }

static void null_leaf(ds_sink *s, const char *name, size_t name_len, const char *value, size_t value_len,
                      unsigned flags)
{
    (void)s; (void)name; (void)name_len; (void)value; (void)value_len; (void)flags;
}

static void null_leaf_attrs(ds_sink *s, const char *name, size_t name_len, const ds_attr *attrs, size_t nattrs)
{
    (void)s; (void)name; (void)name_len; (void)attrs; (void)nattrs;
}

static void null_comment(ds_sink *s, const char *text, size_t len, unsigned flags)
{
    (void)s; (void)text; (void)len; (void)flags;
}

static void null_diagnostic(ds_sink *s, const ds_diag *d) { (void)s; (void)d; }

static void null_destroy(ds_sink *s) { free(s); }

ds_sink *ds_null_sink_new(void)
{
    ds_sink *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->ctx = s;
    s->begin_document = null_document;
    s->end_document = null_document;
    s->open = null_open;
    s->close = null_close;
    s->leaf = null_leaf;
    s->leaf_attrs = null_leaf_attrs;
    s->comment = null_comment;
    s->diagnostic = null_diagnostic;
    s->destroy = null_destroy;
    s->error = NULL;  /* writes nothing, so it never fails */
    return s;
}
