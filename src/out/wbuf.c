#include "out/wbuf.h"

#include <string.h>

#include "util/fmt.h"

void ds_wbuf_init(ds_wbuf *w, FILE *out, char *buf, size_t cap)
{
    w->out = out;
    w->buf = buf;
    w->len = 0;
    w->cap = cap;
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

#define SPACES_RUN 64
static const char spaces[] = "                                                                ";
_Static_assert(sizeof spaces == SPACES_RUN + 1, "spaces must hold SPACES_RUN blanks");

void ds_wbuf_spaces(ds_wbuf *w, size_t n)
{
    while (n > SPACES_RUN) {
        ds_wbuf_write(w, spaces, SPACES_RUN);
        n -= SPACES_RUN;
    }
    ds_wbuf_write(w, spaces, n);
}

/* The two hex digits of every byte value, so that a byte costs one 2-byte copy. */
static const char HEX_PAIRS[513] =
    "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
    "202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F"
    "404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F"
    "606162636465666768696A6B6C6D6E6F707172737475767778797A7B7C7D7E7F"
    "808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9F"
    "A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF"
    "C0C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"
    "E0E1E2E3E4E5E6E7E8E9EAEBECEDEEEFF0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF";

void ds_wbuf_hex(ds_wbuf *w, const unsigned char *p, size_t n)
{
    while (n > 0) {
        if (w->cap - w->len < 2) ds_wbuf_flush(w);
        /* as many bytes as fit in the block, in one tight loop */
        size_t room = (w->cap - w->len) / 2;
        size_t k = n < room ? n : room;
        char *o = w->buf + w->len;
        for (size_t i = 0; i < k; i++) memcpy(o + 2 * i, HEX_PAIRS + 2 * p[i], 2);
        w->len += 2 * k;
        p += k;
        n -= k;
    }
}

void ds_wbuf_udec(ds_wbuf *w, uint64_t v)
{
    char tmp[24];
    size_t n = ds_fmt_udec(tmp, v);
    ds_wbuf_write(w, tmp, n);
}
