#define _GNU_SOURCE /* fopencookie */
#include "cli/pipe_replay.h"

#include <errno.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static ssize_t replay_read(void *cookie, char *out, size_t size)
{
    ds_pipe_replay *r = cookie;
    if (r->pos < r->n) {
        size_t k = r->n - r->pos < size ? r->n - r->pos : size;
        memcpy(out, r->buf + r->pos, k);
        r->pos += k;
        return (ssize_t)k;
    }
    ssize_t got;
    do got = read(r->fd, out, size);
    while (got < 0 && errno == EINTR);
    if (got <= 0) return got;
    if (!r->overflow && r->pos == r->n) { /* keep what fits, only while nothing was skipped */
        size_t keep = (size_t)got < r->cap - r->n ? (size_t)got : r->cap - r->n;
        memcpy(r->buf + r->n, out, keep);
        r->n += keep;
        r->overflow = keep < (size_t)got;
    }
    r->pos += (size_t)got;
    return got;
}

/* Back to a position among the bytes kept, as long as nothing beyond them was read. */
static int replay_seek(void *cookie, off64_t *off, int whence)
{
    ds_pipe_replay *r = cookie;
    off64_t to = whence == SEEK_SET ? *off : whence == SEEK_CUR ? (off64_t)r->pos + *off : -1;
    if (to < 0 || (uint64_t)to > r->n || r->pos > r->n) return -1;
    r->pos = (size_t)to;
    *off = to;
    return 0;
}

static int replay_close(void *cookie)
{
    (void)cookie; /* the descriptor and the bytes kept are the caller's */
    return 0;
}

FILE *ds_pipe_replay_open(ds_pipe_replay *r)
{
    cookie_io_functions_t io = {.read = replay_read, .seek = replay_seek, .close = replay_close};
    return fopencookie(r, "rb", io);
}
