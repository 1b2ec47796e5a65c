#include "sinks/wbuf.h"

#include <string.h>

#include "util/fmt.h"

void ds_wbuf_init(ds_wbuf *w, FILE *out, char *buf, size_t size)
{
    w->out = out;
    w->buf = buf;
    w->len = 0;
    w->cap = size - DS_WBUF_SLACK;
    w->error = 0;
}

static void write_through(ds_wbuf *w, const void *p, size_t n)
{
    if (w->error || n == 0) return;
    if (fwrite(p, 1, n, w->out) != n) w->error = 1;
}

void ds_wbuf_flush(ds_wbuf *w)
{
    write_through(w, w->buf, w->len);
    w->len = 0;
}

int ds_wbuf_finish(ds_wbuf *w)
{
    ds_wbuf_flush(w);
    if (!w->error && fflush(w->out) != 0) w->error = 1;
    return w->error;
}

void ds_wbuf_write_slow(ds_wbuf *w, const void *p, size_t n)
{
    ds_wbuf_flush(w);
    if (n >= w->cap) {
        /* A piece as large as the block gains nothing from a copy. */
        write_through(w, p, n);
        return;
    }
    memcpy(w->buf, p, n);
    w->len = n;
}

void ds_wbuf_spaces(ds_wbuf *w, size_t n)
{
    while (n > 0) {
        if (w->len == w->cap) ds_wbuf_flush(w);
        size_t k = n < w->cap - w->len ? n : w->cap - w->len;
        ds_put_spaces(w->buf + w->len, k);
        w->len += k;
        n -= k;
    }
}

void ds_wbuf_hex(ds_wbuf *w, const unsigned char *p, size_t n)
{
    while (n > 0) {
        if (w->cap - w->len < 2) ds_wbuf_flush(w);
        /* as many bytes as fit in the block, in one piece */
        size_t room = (w->cap - w->len) / 2;
        size_t k = n < room ? n : room;
        ds_hex_encode(w->buf + w->len, p, k);
        w->len += 2 * k;
        p += k;
        n -= k;
    }
}

void ds_wbuf_udec(ds_wbuf *w, uint64_t v)
{
    if (ds_wbuf_reserve(w, 21) == 0) {  /* 20 digits and the formatter's NUL */
        w->len += ds_fmt_udec(ds_wbuf_tail(w), v);
        return;
    }
    char tmp[24];
    size_t n = ds_fmt_udec(tmp, v);
    for (size_t i = 0; i < n; i++) ds_wbuf_putc(w, tmp[i]);
}
