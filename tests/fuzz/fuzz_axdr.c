/* Fuzz target: A-XDR data decoding. The first byte picks the options; the
 * sink checks that events stay balanced and the cursor stays in bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "apdu/axdr.h"
#include "event/emit.h"

static int depth;

static void f_open(ds_sink *s, const char *name, size_t name_len, const ds_attr *a, size_t n, unsigned flags)
{
    (void)s;
    if (name_len != strlen(name)) abort();
    (void)a;
    (void)n;
    (void)flags;
    depth++;
}

static void f_close(ds_sink *s, const char *name, size_t name_len)
{
    (void)s;
    if (name_len != strlen(name)) abort();
    if (--depth < 0) abort();
}

static volatile size_t sink_bytes;

static void f_leaf(ds_sink *s, const char *name, size_t name_len, const char *value, size_t len, unsigned flags)
{
    (void)s;
    if (name_len != strlen(name)) abort();
    (void)flags;  /* the library checks DS_TEXT_PLAIN itself in this build (DS_CHECK_CONTRACTS) */
    /* touch every byte so ASan sees out-of-bounds values */
    for (size_t i = 0; i < len; i++) sink_bytes += (unsigned char)value[i];
}

static void f_leaf_attrs(ds_sink *s, const char *name, size_t name_len, const ds_attr *a, size_t n)
{
    (void)s;
    if (name_len != strlen(name)) abort();
    for (size_t i = 0; i < n; i++) sink_bytes += strlen(a[i].name) + strlen(a[i].value);
}

static void f_comment(ds_sink *s, const char *text, size_t len, unsigned flags)
{
    (void)s;
    (void)flags;
    for (size_t i = 0; i < len; i++) sink_bytes += (unsigned char)text[i];
}

static void f_diag(ds_sink *s, const ds_diag *d)
{
    (void)s;
    sink_bytes += strlen(d->message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    ds_sink sink;
    memset(&sink, 0, sizeof sink);
    sink.open = f_open;
    sink.close = f_close;
    sink.leaf = f_leaf;
    sink.leaf_attrs = f_leaf_attrs;
    sink.comment = f_comment;
    sink.diagnostic = f_diag;
    ds_options opt;
    memset(&opt, 0, sizeof opt);
    opt.decimal = data[0] & 1;
    opt.comments = (data[0] >> 1) & 1;
    ds_emit e;
    ds_emit_init(&e, &sink, &opt, NULL, NULL);
    ds_cursor c;
    ds_cur_init(&c, data + 1, size - 1);
    depth = 0;
    /* decode a sequence of values, as a with-list response would */
    while (c.pos < c.len) {
        size_t before = c.pos;
        int r = ds_axdr_data(&e, &c);
        if (depth != 0 || e.depth != 0 || c.pos > c.len) abort();
        if (r) {
            if (c.pos < before) abort();
            break;
        }
        if (c.pos == before && c.p[before] != DS_T_NULL && c.p[before] != DS_T_DONT_CARE) abort();
        if (c.pos == before) abort(); /* a decoded value always consumes its tag */
    }
    return 0;
}
