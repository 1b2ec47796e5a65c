/* ptywriter: plays a serial device on a pseudo-terminal for `dlmscope listen` tests.
 *
 *   ptywriter [OPTIONS] HEXFILE SENTFILE -- COMMAND [ARGS...]
 *
 * Opens a pty pair, runs COMMAND with "@PTY@" at the start of an argument replaced by the
 * slave's path, waits until the command has put the port in raw mode, then writes the bytes of
 * HEXFILE (hex digits; lines starting with '#' are comments) to the master in random small
 * chunks (1 to 17 bytes) with random small delays (0 to 3 ms), from a fixed seed. The bytes
 * written are saved in SENTFILE, so that the test can decode the same bytes from a file.
 *
 * Options:
 *   -s SEED    random seed (default 1)
 *   -n N       write only the first N bytes
 *   -e END     how the command is ended: "self" (default: it ends by itself, e.g. --timeout),
 *              "int" (SIGINT), "term" (SIGTERM), "hangup" (the master is closed)
 *   -r RAWFILE before ending it, wait until RAWFILE (the command's --raw log) shows every byte
 *   -q FILE    first read the request the command sends and check it is the hex of FILE
 *   -m IDENT   first play the IEC 62056-21 mode E opening with the identification "/IDENT"
 *   -b BAUD    play a meter at BAUD for `listen --probe`: until the command ends, every 150 ms
 *              write HEXFILE (a push) when the rate the command set on the port (the slave's
 *              termios, read on the master) is BAUD, and the same bytes each XORed with 55 at any
 *              other rate (what a port at a wrong rate delivers: nothing passes a check); with -q,
 *              answer with HEXFILE only when the request arrives at BAUD, and stay silent else.
 *              (A pty keeps the rate but no data bits or parity: only the rate can be told.)
 *
 * Every wait is bounded: the whole run takes a few seconds and at most about 30 s, after
 * which the command is killed. Exit status: the command's, 97 when it was killed, 98 when
 * the exchange went wrong (the message says what), 2 usage. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_BYTES (1u << 20)
#define LIMIT_MS 30000

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The hex digits of a file, '#' lines left out; NULL on failure. */
static unsigned char *read_hex(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return NULL;
    }
    unsigned char *out = malloc(MAX_BYTES);
    size_t n = 0;
    int hi = -1, c, at_line_start = 1, comment = 0;
    while (out && (c = fgetc(f)) != EOF) {
        if (at_line_start) comment = c == '#';
        at_line_start = c == '\n';
        if (comment) continue;
        int v = hex_value(c);
        if (v < 0) continue;
        if (hi < 0) {
            hi = v;
        } else if (n < MAX_BYTES) {
            out[n++] = (unsigned char)(hi << 4 | v);
            hi = -1;
        }
    }
    fclose(f);
    *len = n;
    return out;
}

static int fail(const char *what)
{
    fprintf(stderr, "ptywriter: %s\n", what);
    return 98;
}

/* Waits until the slave is in raw mode (the master reads the slave's termios), at most ms.
 * (A pty keeps no data bits or parity: the switch to 8N1 cannot be watched, and need not be,
 * since listen reads the confirmation byte by byte and drops nothing after it.) */
static int wait_raw_mode(int master, int ms)
{
    long long end = now_ms() + ms;
    while (now_ms() < end) {
        struct termios t;
        if (tcgetattr(master, &t) == 0 && !(t.c_lflag & ICANON)) return 0;
        sleep_us(10000);
    }
    return -1;
}

/* Reads exactly n bytes from the master within ms. */
static int read_exact(int master, unsigned char *buf, size_t n, int ms)
{
    long long end = now_ms() + ms;
    size_t got = 0;
    while (got < n && now_ms() < end) {
        struct pollfd p = {master, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        ssize_t r = read(master, buf + got, n - got);
        if (r > 0) got += (size_t)r;
        else if (r < 0 && errno != EAGAIN && errno != EINTR) return -1;
    }
    return got == n ? 0 : -1;
}

static void write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
            return;
        } else {
            sleep_us(1000);
        }
    }
}

/* The meter's side of the mode E opening. */
static int play_iec(int master, const char *ident)
{
    unsigned char req[5], ack[6];
    if (read_exact(master, req, 5, 5000) || memcmp(req, "/?!\r\n", 5) != 0) return fail("no /?! CR LF from listen");
    char line[128];
    int n = snprintf(line, sizeof line, "/%s\r\n", ident);
    sleep_us(200000); /* the meter's reaction time */
    write_all(master, (const unsigned char *)line, (size_t)n);
    if (read_exact(master, ack, 6, 5000)) return fail("no option select ACK from listen");
    if (ack[0] != 0x06 || ack[1] != '2' || ack[2] != (unsigned char)ident[3] || ack[3] != '2' || ack[4] != '\r' ||
        ack[5] != '\n')
        return fail("the option select ACK is not 06 '2' Z '2' CR LF");
    write_all(master, ack, 6); /* the confirmation at the new rate */
    return 0;
}

/* Waits until the raw log holds "to=LAST" of the last byte written, at most 10 s. */
static void wait_raw(const char *path, size_t total)
{
    char want[40];
    snprintf(want, sizeof want, "to=%zu\n", total - 1);
    long long end = now_ms() + 10000;
    static char text[1 << 20];
    while (now_ms() < end) {
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
        if (f) fclose(f);
        text[n] = '\0';
        if (strstr(text, want)) return;
        sleep_us(20000);
    }
}

static speed_t speed_of(long baud)
{
    switch (baud) {
    case 300: return B300;
    case 1200: return B1200;
    case 2400: return B2400;
    case 4800: return B4800;
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    default: return B0;
    }
}

/* -b: the meter that answers only at its own rate, until the command ends (or `end`). */
static int play_meter(int master, pid_t pid, speed_t want, const unsigned char *data, size_t len,
                      const unsigned char *req, size_t req_len, long long end)
{
    static unsigned char wrong[MAX_BYTES], got[4096];
    for (size_t i = 0; i < len; i++) wrong[i] = data[i] ^ 0x55u;
    size_t have = 0;
    while (now_ms() < end) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        struct termios t;
        int right = tcgetattr(master, &t) == 0 && cfgetispeed(&t) == want;
        if (!req) {
            write_all(master, right ? data : wrong, len);
            sleep_us(150000);
            continue;
        }
        struct pollfd p = {master, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        ssize_t r = read(master, got + have, sizeof got - have);
        if (r <= 0) continue;
        have += (size_t)r;
        if (have >= req_len && memcmp(got + have - req_len, req, req_len) == 0) {
            if (right) write_all(master, data, len);
            have = 0;
        } else if (have == sizeof got) {
            have = 0;
        }
    }
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    fprintf(stderr, "ptywriter: the command did not end in time; killed\n");
    return 97;
}

/* Waits for the child at most until `end`; kills it after that. */
static int reap(pid_t pid, long long end)
{
    int st;
    while (now_ms() < end) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        sleep_us(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    fprintf(stderr, "ptywriter: the command did not end in time; killed\n");
    return 97;
}

/* Runs the command, "@PTY@" at the start of an argument replaced by the slave's path. */
static pid_t start(char **argv, const char *slave_name, int master, int slave)
{
    pid_t pid = fork();
    if (pid != 0) return pid;
    close(master); /* else the master stays open in the command, and no hang-up could reach it */
    close(slave);
    static char with_settings[512];
    for (int i = 0; argv[i]; i++) {
        if (strncmp(argv[i], "@PTY@", 5) != 0) continue;
        snprintf(with_settings, sizeof with_settings, "%s%s", slave_name, argv[i] + 5);
        argv[i] = with_settings;
    }
    execvp(argv[0], argv);
    perror(argv[0]);
    _exit(127);
}

int main(int argc, char **argv)
{
    unsigned seed = 1;
    long limit = -1;
    const char *end_how = "self", *raw = NULL, *request = NULL, *ident = NULL;
    long meter_baud = 0;
    int c;
    while ((c = getopt(argc, argv, "+s:n:e:r:q:m:b:")) != -1) {
        switch (c) {
        case 's': seed = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'n': limit = strtol(optarg, NULL, 10); break;
        case 'e': end_how = optarg; break;
        case 'r': raw = optarg; break;
        case 'q': request = optarg; break;
        case 'm': ident = optarg; break;
        case 'b': meter_baud = strtol(optarg, NULL, 10); break;
        default: return 2;
        }
    }
    if (argc - optind < 4 || strcmp(argv[optind + 2], "--") != 0) {
        fprintf(stderr, "usage: ptywriter [-s SEED] [-n N] [-e self|int|term|hangup] [-r RAW] [-q REQ] [-m IDENT] [-b BAUD] "
                        "HEXFILE SENTFILE -- COMMAND [ARGS...]\n");
        return 2;
    }
    size_t len;
    unsigned char *data = read_hex(argv[optind], &len);
    if (!data) return 2;
    if (limit >= 0 && (size_t)limit < len) len = (size_t)limit;
    FILE *sent = fopen(argv[optind + 1], "wb");
    if (!sent || fwrite(data, 1, len, sent) != len || fclose(sent) != 0) return fail("cannot write SENTFILE");
    int master, slave;
    char name[256];
    if (openpty(&master, &slave, name, NULL, NULL) != 0) return fail("openpty failed");
    long long deadline = now_ms() + LIMIT_MS;
    pid_t pid = start(argv + optind + 3, name, master, slave);
    if (pid < 0) return fail("fork failed");
    int rc = 0;
    if (wait_raw_mode(master, 10000)) rc = fail("listen did not put the port in raw mode");
    if (!rc && meter_baud) {
        size_t req_len = 0;
        unsigned char *req = request ? read_hex(request, &req_len) : NULL;
        if (speed_of(meter_baud) == B0 || (request && !req)) return fail("-b: not a usual rate, or no request");
        rc = play_meter(master, pid, speed_of(meter_baud), data, len, req, req_len, deadline);
        free(req);
        free(data);
        close(slave);
        return rc;
    }
    if (!rc && request) {
        size_t want_len;
        unsigned char *want = read_hex(request, &want_len), got[4096];
        if (!want || want_len > sizeof got || read_exact(master, got, want_len, 5000) || memcmp(got, want, want_len))
            rc = fail("the request read from the port is not the expected one");
        free(want);
    }
    if (!rc && ident) rc = play_iec(master, ident);
    srand(seed);
    for (size_t i = 0; !rc && i < len;) {
        size_t n = 1 + (size_t)(rand() % 17);
        if (n > len - i) n = len - i;
        write_all(master, data + i, n);
        i += n;
        sleep_us(rand() % 3000);
    }
    if (!rc && raw && len) wait_raw(raw, len);
    if (rc || !strcmp(end_how, "int")) kill(pid, SIGINT);
    else if (!strcmp(end_how, "term")) kill(pid, SIGTERM);
    else if (!strcmp(end_how, "hangup")) close(master);
    int status = reap(pid, deadline);
    free(data);
    close(slave);
    return rc ? rc : status;
}
