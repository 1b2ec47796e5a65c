/* Listening on a port: bytes go to the decoder as they arrive, and to the raw log.
 *
 * The raw log is written in socat's -x -v form, which the reader takes as a serial capture:
 *
 *     # dlmscope listen /dev/ttyUSB0
 *     < 2026/12/06 18:29:59.120431  length=20 from=0 to=19
 *      7e a0 79 01 02 01 10 80 93 e6 e7 00 0f 40 00 00
 *      00 09 0c 07
 *     --
 *
 * one block per read burst ("<" received, ">" sent). The bytes of one direction stay one
 * record across blocks, so a frame split over two bursts is one frame; a line of text ends
 * the record. The listener feeds the decoder exactly as the reader will feed it from the log
 * (the same record boundaries, the same time and line for each byte), which is what makes
 * `dlmscope decode LOG` give the output that listening gave. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dlmscope/serial.h"

#define SLICE_MS 100          /* the longest single wait: a stop flag is seen within it */
#define SEND_TIMEOUT_MS 5000  /* writing a request, when no timeout is configured */
#define HEX_PER_LINE 16

struct ds_listener {
    ds_listen_config cfg;
    ds_decoder *d;
    ds_sink *sink;
    uint64_t offset;          /* bytes fed to the decoder, both directions */
    uint64_t count[3];        /* bytes per direction (socat's from/to), by ds_direction */
    uint64_t lines;           /* lines of the raw log so far (counted with or without a log) */
    int in_run;               /* a block of run_dir is open: the next of that direction goes on with it */
    ds_direction run_dir;
    uint64_t run_line;        /* the line of the run's first block header */
    int gap_armed;            /* bytes came since the last silence was looked at */
    uint8_t *kept;            /* the first bytes received, when asked (ds_listener_keep_received) */
    size_t kept_len, kept_max;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* socat's time: "2026/12/06 18:29:59.120431", local time. */
static void wall_time(char *out, size_t len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    time_t sec = ts.tv_sec;
    struct tm tm;
    if (!localtime_r(&sec, &tm)) memset(&tm, 0, sizeof tm);
    char day[20]; /* "2026/12/06 18:29:59" */
    if (strftime(day, sizeof day, "%Y/%m/%d %H:%M:%S", &tm) == 0) day[0] = '\0';
    snprintf(out, len, "%s.%06d", day, (int)(ts.tv_nsec / 1000 % 1000000));
}

static void raw_line(ds_listener *l, const char *text)
{
    l->lines++;
    if (l->cfg.raw) fprintf(l->cfg.raw, "%s\n", text);
}

ds_listener *ds_listener_new(const ds_listen_config *cfg, ds_decoder *d, ds_sink *sink)
{
    ds_listener *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->cfg = *cfg;
    l->d = d;
    l->sink = sink;
    char when[40], text[300];
    wall_time(when, sizeof when);
    snprintf(text, sizeof text, "# dlmscope listen %.200s, started %s", cfg->name ? cfg->name : "", when);
    raw_line(l, text);
    return l;
}

void ds_listener_free(ds_listener *l)
{
    if (l) free(l->kept);
    free(l);
}

int ds_listener_keep_received(ds_listener *l, size_t max)
{
    uint8_t *buf = max ? malloc(max) : NULL;
    if (max && !buf) return -1;
    free(l->kept);
    l->kept = buf;
    l->kept_len = 0;
    l->kept_max = max;
    return 0;
}

const uint8_t *ds_listener_kept(const ds_listener *l, size_t *n)
{
    *n = l->kept_len;
    return l->kept;
}

/* The received bytes up to the bound asked for; the rest only go by. */
static void keep(ds_listener *l, const uint8_t *p, size_t n)
{
    size_t room = l->kept_max - l->kept_len;
    size_t take = n < room ? n : room;
    if (take) memcpy(l->kept + l->kept_len, p, take);
    l->kept_len += take;
}

uint64_t ds_listener_bytes_received(const ds_listener *l)
{
    return l->count[DS_DIR_RX];
}

/* A line of text ends the record, in the log and here alike. */
void ds_listener_note(ds_listener *l, const char *text)
{
    char line[300];
    snprintf(line, sizeof line, "# %.280s", text);
    for (char *p = line; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7F) *p = ' '; /* a meter's text may hold anything */
    raw_line(l, line);
    l->in_run = 0;
}

/* The block in the log: its header, the bytes 16 to a line, then socat's "--". */
static void log_block(ds_listener *l, const uint8_t *p, size_t n, ds_direction dir, const char *when)
{
    char line[HEX_PER_LINE * 3 + 80];
    uint64_t from = l->count[dir];
    snprintf(line, sizeof line, "%c %s  length=%zu from=%llu to=%llu", dir == DS_DIR_TX ? '>' : '<', when, n,
             (unsigned long long)from, (unsigned long long)(from + n - 1));
    raw_line(l, line);
    for (size_t i = 0; i < n; i += HEX_PER_LINE) {
        size_t k = 0;
        for (size_t j = i; j < n && j < i + HEX_PER_LINE; j++) k += (size_t)sprintf(line + k, " %02x", p[j]);
        raw_line(l, line);
    }
    raw_line(l, "--");
}

/* One burst: into the log, then into the decoder with the same record boundary, time and line
 * that the reader will give it from the log. */
static void take_burst(ds_listener *l, const uint8_t *p, size_t n, ds_direction dir)
{
    char when[DS_TIMESTAMP_MAX];
    wall_time(when, sizeof when);
    if (!l->in_run || l->run_dir != dir) {
        ds_decoder_boundary(l->d);
        l->in_run = 1;
        l->run_dir = dir;
        l->run_line = l->lines + 1;
    }
    log_block(l, p, n, dir, when);
    if (l->cfg.raw) fflush(l->cfg.raw);
    ds_meta meta;
    memset(&meta, 0, sizeof meta);
    meta.dir = dir;
    snprintf(meta.timestamp, sizeof meta.timestamp, "%s", when);
    meta.line = l->run_line;
    ds_decoder_feed(l->d, p, n, l->offset, &meta);
    if (dir == DS_DIR_RX) keep(l, p, n);
    l->offset += n;
    l->count[dir] += n;
    ds_sink_flush(l->sink);
}

int ds_listener_send(ds_listener *l, const uint8_t *p, size_t n, char *err, size_t err_len)
{
    int limit = l->cfg.timeout_ms > 0 ? l->cfg.timeout_ms : SEND_TIMEOUT_MS;
    long long start = now_ms();
    size_t done = 0;
    while (done < n) {
        long long left = limit - (now_ms() - start);
        if (left <= 0) {
            snprintf(err, err_len, "writing the request: %zu of %zu bytes written in %d ms", done, n, limit);
            return -1;
        }
        struct pollfd pfd = {l->cfg.fd, POLLOUT, 0};
        int rc = poll(&pfd, 1, left > SLICE_MS ? SLICE_MS : (int)left);
        if (rc < 0 && errno != EINTR) break;
        if (l->cfg.stop && *l->cfg.stop) {
            snprintf(err, err_len, "writing the request: stopped");
            return -1;
        }
        if (rc <= 0) continue;
        ssize_t w = write(l->cfg.fd, p + done, n - done);
        if (w < 0 && errno != EAGAIN && errno != EINTR) break;
        if (w > 0) done += (size_t)w;
    }
    if (done < n) {
        snprintf(err, err_len, "writing the request: %s", strerror(errno));
        return -1;
    }
    take_burst(l, p, n, DS_DIR_TX);
    return 0;
}

/* A silence: an unframed record waiting for its end gets it (a frame begun does not). */
static void silence(ds_listener *l)
{
    l->gap_armed = 0;
    if (ds_decoder_pending(l->d) != DS_PENDING_RECORD) return;
    char text[80];
    snprintf(text, sizeof text, "silence: no byte for %d ms", l->cfg.gap_ms);
    ds_listener_note(l, text);
    ds_decoder_boundary(l->d);
    ds_sink_flush(l->sink);
}

/* How long the next wait may be: a slice, cut to the silence that ends the session and to
 * the one that ends a record. */
static int next_wait(const ds_listener *l, long long since_last)
{
    long long wait = SLICE_MS;
    if (l->cfg.timeout_ms >= 0 && l->cfg.timeout_ms - since_last < wait) wait = l->cfg.timeout_ms - since_last;
    if (l->gap_armed && l->cfg.gap_ms > 0 && l->cfg.gap_ms - since_last < wait) wait = l->cfg.gap_ms - since_last;
    return wait < 0 ? 0 : (int)wait;
}

ds_listen_end ds_listener_run(ds_listener *l)
{
    uint8_t buf[4096];
    long long last = now_ms();
    for (;;) {
        if (l->cfg.stop && *l->cfg.stop) return DS_LISTEN_STOPPED;
        long long since = now_ms() - last;
        if (l->gap_armed && l->cfg.gap_ms > 0 && since >= l->cfg.gap_ms) silence(l);
        if (l->cfg.timeout_ms >= 0 && since >= l->cfg.timeout_ms) return DS_LISTEN_SILENCE;
        struct pollfd pfd = {l->cfg.fd, POLLIN, 0};
        int rc = poll(&pfd, 1, next_wait(l, since));
        if (rc < 0) {
            if (errno == EINTR) continue;
            return DS_LISTEN_ERROR;
        }
        if (rc == 0) continue;
        if (pfd.revents & POLLIN) {
            ssize_t n = read(l->cfg.fd, buf, sizeof buf);
            if (n > 0) {
                take_burst(l, buf, (size_t)n, DS_DIR_RX);
                last = now_ms();
                l->gap_armed = 1;
                continue;
            }
            if (n == 0) return DS_LISTEN_HANGUP;
            if (errno == EAGAIN || errno == EINTR) continue;
            return errno == EIO ? DS_LISTEN_HANGUP : DS_LISTEN_ERROR; /* EIO: the other side of a pty closed */
        }
        if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) return DS_LISTEN_HANGUP;
    }
}
