/* Fuzz target for the link framer and the frame envelopes.
 *
 * The input is fed in pieces whose sizes (and occasional record boundaries)
 * are derived from the input itself, to an auto-detecting framer and to a
 * framer forced to one framing. Every delivered frame goes through the
 * envelope writer into a sink that discards everything, and is checked
 * against the input: its wire bytes must be the stream bytes at its offset. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dlmscope/frame.h"
#include "event/emit.h"
#include "link/envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fuzz_ctx {
    const uint8_t *data;
    size_t size;
    uint64_t next_offset;  /* frames never overlap except for a shared flag */
    uint64_t frames;
    ds_sink sink;
    ds_options opt;
    unsigned sum;
} fuzz_ctx;

static void nop_open(ds_sink *s, const char *name, size_t name_len, const ds_attr *a, size_t n, unsigned flags)
{
    fuzz_ctx *c = s->ctx;
    (void)flags;
    if (name_len != strlen(name)) abort();
    c->sum += (unsigned char)name[0];
    for (size_t i = 0; i < n; i++) c->sum += (unsigned)strlen(a[i].name) + (unsigned)strlen(a[i].value);
}
static void nop_close(ds_sink *s, const char *name, size_t name_len)
{
    (void)s;
    if (name_len != strlen(name)) abort();
}
static void nop_leaf(ds_sink *s, const char *name, size_t name_len, const char *value, size_t len, unsigned flags)
{
    fuzz_ctx *c = s->ctx;
    if (name_len != strlen(name)) abort();
    (void)flags;  /* the library checks DS_TEXT_PLAIN itself in this build (DS_CHECK_CONTRACTS) */
    for (size_t i = 0; i < len; i++) c->sum += (unsigned char)value[i];
}
static void nop_leaf_attrs(ds_sink *s, const char *name, size_t name_len, const ds_attr *a, size_t n)
{
    fuzz_ctx *c = s->ctx;
    if (name_len != strlen(name)) abort();
    for (size_t i = 0; i < n; i++) c->sum += (unsigned)strlen(a[i].name) + (unsigned)strlen(a[i].value);
}
static void nop_comment(ds_sink *s, const char *text, size_t len, unsigned flags)
{
    fuzz_ctx *c = s->ctx;
    (void)flags;
    for (size_t i = 0; i < len; i++) c->sum += (unsigned char)text[i];
}
static void nop_diag(ds_sink *s, const ds_diag *d) { (void)s; (void)d; }

static void on_diag(void *user, const ds_diag *d)
{
    fuzz_ctx *c = user;
    if (!d->code || d->offset > c->size + (uint64_t)DS_RAW_MAX) abort();
}

static void on_frame(void *user, const ds_frame *f)
{
    fuzz_ctx *c = user;
    if (f->number != ++c->frames) abort();
    if (f->wire_len == 0 || f->offset + f->wire_len > c->size) abort();
    if (memcmp(f->wire, c->data + f->offset, f->wire_len) != 0) abort();
    if (f->offset + 1 < c->next_offset) abort();
    c->next_offset = f->offset + f->wire_len;
    for (size_t i = 0; i < f->info_len; i++) c->sum += f->info[i];

    ds_emit e;
    ds_emit_init(&e, &c->sink, &c->opt, NULL, NULL);
    if (ds_envelope_open(&e, f) != 0) abort();
    ds_envelope_body(&e, f);
    ds_envelope_close(&e, f);
    if (e.depth != 0) abort();
}

static void run(const uint8_t *data, size_t size, ds_link_kind kind, uint32_t seed)
{
    fuzz_ctx c;
    memset(&c, 0, sizeof c);
    c.data = data;
    c.size = size;
    c.sink.ctx = &c;
    c.sink.open = nop_open;
    c.sink.close = nop_close;
    c.sink.leaf = nop_leaf;
    c.sink.leaf_attrs = nop_leaf_attrs;
    c.sink.comment = nop_comment;
    c.sink.diagnostic = nop_diag;
    c.opt.decimal = (int)(seed & 1);
    c.opt.comments = (int)((seed >> 1) & 1);
    c.opt.link = kind;
    ds_framer *fr = ds_framer_new(kind, on_frame, on_diag, &c);
    if (!fr) return;
    ds_meta meta;
    memset(&meta, 0, sizeof meta);
    meta.dir = (ds_direction)(seed % 3);
    size_t at = 0;
    uint32_t x = seed | 1;
    while (at < size) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;  /* xorshift: piece sizes from the input */
        size_t n = 1 + x % 97;
        if (n > size - at) n = size - at;
        meta.line++;
        /* each piece in a buffer of its own size: a read past it (the framer scans pieces where
         * they lie) is then an overflow ASan sees, not the next piece's bytes */
        uint8_t *piece = malloc(n);
        if (!piece) break;
        memcpy(piece, data + at, n);
        ds_framer_feed(fr, piece, n, at, &meta);
        free(piece);
        at += n;
        if ((x >> 8) % 23 == 0) ds_framer_flush(fr);  /* a record boundary now and then */
        if ((x >> 16) % 3 == 0) ds_framer_trim(fr);   /* buffers given back, as with many connections */
    }
    ds_framer_flush(fr);
    ds_framer_free(fr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t seed = 0x9E3779B9u;
    for (size_t i = 0; i < size && i < 8; i++) seed = seed * 31u + data[i];
    run(data, size, DS_LINK_AUTO, seed);
    run(data, size, (ds_link_kind)(1 + seed % 4), seed >> 3);
    /* all in one piece, too */
    ds_framer *fr = ds_framer_new(DS_LINK_AUTO, NULL, NULL, NULL);
    if (fr) {
        ds_framer_feed(fr, data, size, 0, NULL);
        ds_framer_flush(fr);
        ds_framer_free(fr);
    }
    return 0;
}
