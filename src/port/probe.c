/* Probing a port for its settings (`dlmscope listen --probe`): the usual settings one after
 * another, each listened to for a bounded time (after an SNRM when asked), until one gives
 * frames whose checks pass. A wrong setting cannot pass them: chance gives no good FCS. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dlmscope/serial.h"
#include "link/checked.h"
#include "port/say.h"

#define PROBE_BUFFER (64u * 1024u)
#define WRITE_MS 1000

static const ds_serial_settings ORDER[] = {
    {2400, 8, DS_PARITY_EVEN, 1},  {2400, 8, DS_PARITY_NONE, 1},  {9600, 8, DS_PARITY_NONE, 1},
    {115200, 8, DS_PARITY_NONE, 1}, {9600, 8, DS_PARITY_EVEN, 1}, {19200, 8, DS_PARITY_NONE, 1},
    {4800, 8, DS_PARITY_NONE, 1},  {38400, 8, DS_PARITY_NONE, 1}, {57600, 8, DS_PARITY_NONE, 1},
    {1200, 8, DS_PARITY_NONE, 1},  {300, 7, DS_PARITY_EVEN, 1},   {4800, 8, DS_PARITY_EVEN, 1},
    {19200, 8, DS_PARITY_EVEN, 1}, {115200, 8, DS_PARITY_EVEN, 1}};

size_t ds_probe_settings(ds_serial_settings *out, size_t cap)
{
    size_t n = sizeof ORDER / sizeof ORDER[0];
    for (size_t i = 0; i < n && i < cap; i++) out[i] = ORDER[i];
    return n;
}

/* SNRM from client 16 (address byte 21) to the all-station server address 0x7F (byte FF): a
 * frame without information field carries one check, the FCS over A0 07 FF 21 93: CRC-16/X.25
 * 0x2898, low byte first (worked out with a python3 loop that gives BD 64 for the corpus SNRM
 * CS-u9n-snrm; tests/e2e/listen.sh decodes these bytes and expects no diagnostic). */
static const uint8_t SNRM[] = {0x7E, 0xA0, 0x07, 0xFF, 0x21, 0x93, 0x98, 0x28, 0x7E};

const uint8_t *ds_probe_snrm(size_t *len)
{
    *len = sizeof SNRM;
    return SNRM;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int stopped(const ds_probe_config *cfg) { return cfg->stop && *cfg->stop; }

static int write_request(const ds_probe_config *cfg, char *err, size_t err_len)
{
    const uint8_t *p = cfg->request;
    size_t n = cfg->request_len;
    long long end = now_ms() + WRITE_MS;
    while (n > 0) {
        ssize_t w = write(cfg->fd, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
            ds_port_say(err, err_len, "writing the request failed: %s", strerror(errno));
            return -1;
        }
        long long left = end - now_ms();
        if (left <= 0) {
            ds_port_say(err, err_len, "writing the request timed out after %d ms", WRITE_MS);
            return -1;
        }
        struct pollfd pf = {cfg->fd, POLLOUT, 0};
        (void)poll(&pf, 1, (int)left);
    }
    return 0;
}

/* Listens at the current setting until listen_ms have passed or a checked frame has come. */
static int listen_once(const ds_probe_config *cfg, uint8_t *buf, ds_probe_try *t, char *err, size_t err_len)
{
    size_t have = 0;
    long long end = now_ms() + cfg->listen_ms;
    for (;;) {
        long long left = end - now_ms();
        if (left <= 0 || stopped(cfg)) break;
        struct pollfd pf = {cfg->fd, POLLIN, 0};
        int r = poll(&pf, 1, left > 100 ? 100 : (int)left);
        if (r < 0 && errno != EINTR) {
            ds_port_say(err, err_len, "waiting for bytes failed: %s", strerror(errno));
            return -1;
        }
        if (r <= 0) continue;
        if (have == PROBE_BUFFER) have = 0; /* a frame is far shorter: start over rather than stop */
        ssize_t got = read(cfg->fd, buf + have, PROBE_BUFFER - have);
        if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (got <= 0) {
            if (got == 0 || pf.revents & POLLHUP) break; /* hung up: nothing more at any setting */
            ds_port_say(err, err_len, "reading failed: %s", strerror(errno));
            return -1;
        }
        have += (size_t)got;
        t->bytes += (uint64_t)got;
        t->frames = ds_checked_frames(buf, have, NULL);
        if (t->frames) break;
    }
    return 0;
}

int ds_serial_probe(const ds_probe_config *cfg, const ds_serial_settings *settings, size_t n, ds_probe_try *tries,
                    size_t *ntried, char *err, size_t err_len)
{
    *ntried = 0;
    uint8_t *buf = malloc(PROBE_BUFFER);
    if (!buf) {
        ds_port_say(err, err_len, "out of memory");
        return -2;
    }
    int found = -1;
    for (size_t i = 0; i < n && found < 0 && !stopped(cfg); i++) {
        ds_probe_try *t = &tries[i];
        memset(t, 0, sizeof *t);
        t->settings = settings[i];
        *ntried = i + 1;
        if (ds_serial_configure(cfg->fd, &settings[i], 1, NULL, 0) != 0) {
            t->failed = 1;
        } else if ((cfg->request && write_request(cfg, err, err_len) != 0) ||
                   listen_once(cfg, buf, t, err, err_len) != 0) {
            free(buf);
            return -2;
        }
        if (cfg->tried) cfg->tried(cfg->user, t);
        if (t->frames) found = (int)i;
    }
    free(buf);
    return found;
}
