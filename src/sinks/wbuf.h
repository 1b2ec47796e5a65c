/* Buffered writer for the output sinks.
 *
 * Sinks produce many tiny pieces ("<", a name, a value, " />\n"); handing
 * each to stdio would cost a call and a lock per piece. The writer collects
 * them in one caller-provided block and passes full blocks to fwrite.
 * A short fwrite is remembered (error) and later output is dropped, so a
 * full disk is reported once by the caller instead of failing per event. */
#ifndef DS_OUT_WBUF_H
#define DS_OUT_WBUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/copy.h"

/* 1 MiB: the kernel's cost per byte written falls with the size of each write(2) up to about
 * this size (measured on workload (2) of `make bench`: 64 KiB blocks 0.09-0.14 s of system time,
 * 1 MiB blocks 0.05-0.08 s, for 298 MB of XML). */
#define DS_WBUF_SIZE (1024u * 1024u)

/* The last DS_WBUF_SLACK bytes of every block are scratch: once n bytes are known to fit
 * (ds_wbuf_fits, ds_wbuf_reserve), a writer may store up to DS_WBUF_SLACK bytes past them, so
 * that short pieces can be written with fixed-size stores (ds_put_indent32, ds_put_upto32, the
 * hex of ds_hex_encode_upto16) and the bytes beyond a piece are simply overwritten by what
 * follows. */
#define DS_WBUF_SLACK 64u

typedef struct ds_wbuf {
    FILE *out;
    char *buf;
    size_t len;
    size_t cap;   /* > 0 */
    int error;    /* non-zero after a failed write; output is dropped from then on */
} ds_wbuf;

/* buf holds size bytes, size > 2 * DS_WBUF_SLACK; the block proper is the first
 * size - DS_WBUF_SLACK bytes. */
void ds_wbuf_init(ds_wbuf *w, FILE *out, char *buf, size_t size);
/* Hands the buffered bytes to the stream (no fflush). */
void ds_wbuf_flush(ds_wbuf *w);
/* ds_wbuf_flush() plus fflush() of the stream. Returns w->error. */
int ds_wbuf_finish(ds_wbuf *w);
/* Out-of-line part of ds_wbuf_write() for pieces that do not fit. */
void ds_wbuf_write_slow(ds_wbuf *w, const void *p, size_t n);
/* n spaces, from a precomputed run of spaces. */
void ds_wbuf_spaces(ds_wbuf *w, size_t n);
/* Bytes as uppercase hex, two digits each. */
void ds_wbuf_hex(ds_wbuf *w, const unsigned char *p, size_t n);
/* Unsigned decimal. */
void ds_wbuf_udec(ds_wbuf *w, uint64_t v);

/* n blanks at o (indentation); returns o + n. */
static inline char *ds_put_spaces(char *o, size_t n)
{
    static const char blanks[] = "                                                                ";
    if (n < sizeof blanks) ds_copy_short(o, blanks, n);
    else memset(o, ' ', n);
    return o + n;
}

static inline void ds_wbuf_write(ds_wbuf *w, const void *p, size_t n)
{
    if (n <= w->cap - w->len) {
        ds_copy_short(w->buf + w->len, p, n);
        w->len += n;
    } else {
        ds_wbuf_write_slow(w, p, n);
    }
}

static inline void ds_wbuf_putc(ds_wbuf *w, char c)
{
    if (w->len == w->cap) ds_wbuf_flush(w);
    w->buf[w->len++] = c;
}

static inline void ds_wbuf_puts(ds_wbuf *w, const char *s)
{
    ds_wbuf_write(w, s, strlen(s));
}

/* The line writers' fast paths take lines whose pieces (indentation, names, short values) are
 * at most DS_PIECE_MAX bytes each: every piece is then moved with fixed-size copies and no call
 * (ds_put_indent32, ds_put_upto32); other lines go the out-of-line way. */
#define DS_PIECE_MAX 32u

/* n <= 32 blanks (indentation) for a writer that reserved them: one fixed-size store, the
 * blanks past n landing in the block's slack. */
static inline char *ds_put_indent32(char *o, size_t n)
{
    static const char blanks32[32] = "                                ";
    memcpy(o, blanks32, sizeof blanks32);
    return o + n;
}

/* ds_put_spaces() for a writer that reserved the n bytes. */
static inline char *ds_put_indent(char *o, size_t n)
{
    return n > 32 ? ds_put_spaces(o, n) : ds_put_indent32(o, n);
}

/* Non-zero when n bytes (and the slack after them) fit in the block as it is. The line writers
 * test this and leave a full block to their out-of-line piecewise path: a fast path that makes
 * no call needs no registers saved and restored, which was a fifth of its cost. */
static inline int ds_wbuf_fits(const ds_wbuf *w, size_t n) { return n <= w->cap - w->len; }

/* Room for at least n more bytes (flushing when needed): the caller then writes at
 * ds_wbuf_tail() and advances with ds_wbuf_commit(). Returns 0, or -1 when n is larger than
 * the whole block (the caller takes the piecewise path). */
static inline int ds_wbuf_reserve(ds_wbuf *w, size_t n)
{
    if (n <= w->cap - w->len) return 0;
    if (n > w->cap) return -1;
    ds_wbuf_flush(w);
    return 0;
}

static inline char *ds_wbuf_tail(ds_wbuf *w) { return w->buf + w->len; }

static inline void ds_wbuf_commit(ds_wbuf *w, char *end) { w->len = (size_t)(end - w->buf); }

#endif
