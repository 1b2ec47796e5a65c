/* Opening and configuring a serial port with termios. */
#define _DEFAULT_SOURCE /* the baud rates above 38400, CMSPAR and CRTSCTS are not POSIX */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "dlmscope/serial.h"
#include "port/say.h"


/* The speed constant of a baud rate; 0 (B0, hang up) when the system has none for it. */
static speed_t speed_of(unsigned long baud)
{
    static const struct {
        unsigned long baud;
        speed_t speed;
    } SPEEDS[] = {
        {50, B50},         {75, B75},         {110, B110},       {134, B134},       {150, B150},
        {200, B200},       {300, B300},       {600, B600},       {1200, B1200},     {1800, B1800},
        {2400, B2400},     {4800, B4800},     {9600, B9600},     {19200, B19200},   {38400, B38400},
#ifdef B57600
        {57600, B57600},
#endif
#ifdef B115200
        {115200, B115200},
#endif
#ifdef B230400
        {230400, B230400},
#endif
#ifdef B460800
        {460800, B460800},
#endif
#ifdef B500000
        {500000, B500000},
#endif
#ifdef B576000
        {576000, B576000},
#endif
#ifdef B921600
        {921600, B921600},
#endif
#ifdef B1000000
        {1000000, B1000000},
#endif
#ifdef B1152000
        {1152000, B1152000},
#endif
#ifdef B1500000
        {1500000, B1500000},
#endif
#ifdef B2000000
        {2000000, B2000000},
#endif
#ifdef B2500000
        {2500000, B2500000},
#endif
#ifdef B3000000
        {3000000, B3000000},
#endif
#ifdef B3500000
        {3500000, B3500000},
#endif
#ifdef B4000000
        {4000000, B4000000},
#endif
    };
    for (size_t i = 0; i < sizeof SPEEDS / sizeof SPEEDS[0]; i++)
        if (SPEEDS[i].baud == baud) return SPEEDS[i].speed;
    return B0;
}

int ds_serial_baud_supported(unsigned long baud)
{
    return speed_of(baud) != B0;
}

static tcflag_t size_flag(int data_bits)
{
    switch (data_bits) {
    case 5: return CS5;
    case 6: return CS6;
    case 7: return CS7;
    default: return CS8;
    }
}

/* The parity bits of c_cflag; -1 when the system cannot make this parity. */
static int parity_flags(ds_parity p, tcflag_t *flags)
{
    switch (p) {
    case DS_PARITY_NONE: *flags = 0; return 0;
    case DS_PARITY_EVEN: *flags = PARENB; return 0;
    case DS_PARITY_ODD: *flags = PARENB | PARODD; return 0;
#ifdef CMSPAR
    case DS_PARITY_MARK: *flags = PARENB | PARODD | CMSPAR; return 0;
    case DS_PARITY_SPACE: *flags = PARENB | CMSPAR; return 0;
#endif
    default: return -1;
    }
}

/* What cfmakeraw does, spelled out (it is not POSIX): no input or output processing, no
 * echo, no signals from characters, no software flow control; bytes as they come. */
static void make_raw(struct termios *t)
{
    t->c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF | IXANY);
    t->c_oflag &= ~(tcflag_t)OPOST;
    t->c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t->c_cc[VMIN] = 1;  /* a read returns what is there once poll() said there is something */
    t->c_cc[VTIME] = 0;
}

static int set_frame(struct termios *t, const ds_serial_settings *s, char *err, size_t err_len)
{
    if (s->data_bits < 5 || s->data_bits > 8) {
        ds_port_say(err, err_len, "data bits %d cannot be set: 5 to 8", s->data_bits);
        return -1;
    }
    if (s->stop_bits != 1 && s->stop_bits != 2) {
        ds_port_say(err, err_len, "stop bits %d cannot be set: 1 or 2", s->stop_bits);
        return -1;
    }
    tcflag_t parity;
    if (parity_flags(s->parity, &parity)) {
        ds_port_say(err, err_len, "%s parity is not supported by this system's termios",
            s->parity == DS_PARITY_MARK ? "mark" : s->parity == DS_PARITY_SPACE ? "space" : "this");
        return -1;
    }
    tcflag_t clear = CSIZE | PARENB | PARODD | CSTOPB;
#ifdef CMSPAR
    clear |= CMSPAR;
#endif
#ifdef CRTSCTS
    clear |= CRTSCTS; /* no hardware flow control: a meter's port has no RTS/CTS */
#endif
    t->c_cflag &= ~clear;
    t->c_cflag |= size_flag(s->data_bits) | parity | (s->stop_bits == 2 ? CSTOPB : 0) | CLOCAL | CREAD;
    /* received parity errors are not marked in the data: the decoder sees the bytes as sent */
    t->c_iflag &= ~(tcflag_t)INPCK;
    return 0;
}

int ds_serial_configure(int fd, const ds_serial_settings *s, int discard, char *err, size_t err_len)
{
    speed_t speed = speed_of(s->baud);
    if (speed == B0) {
        ds_port_say(err, err_len, "baud %lu is not supported", s->baud);
        return -1;
    }
    struct termios t;
    if (tcgetattr(fd, &t) != 0) {
        ds_port_say(err, err_len, "not a serial port or terminal (%s)", strerror(errno));
        return -1;
    }
    make_raw(&t);
    if (set_frame(&t, s, err, err_len)) return -1;
    if (cfsetispeed(&t, speed) != 0 || cfsetospeed(&t, speed) != 0) {
        ds_port_say(err, err_len, "baud %lu is not supported (%s)", s->baud, strerror(errno));
        return -1;
    }
    if (discard) tcflush(fd, TCIOFLUSH);
    if (tcsetattr(fd, TCSANOW, &t) != 0) {
        ds_port_say(err, err_len, "settings %lu:%d%c%d could not be set (%s)", s->baud, s->data_bits, "NEOMS"[s->parity % 5],
            s->stop_bits, strerror(errno));
        return -1;
    }
    /* tcsetattr succeeds when any one change was made: read back what the driver took */
    struct termios got;
    if (tcgetattr(fd, &got) == 0 && cfgetospeed(&got) != speed) {
        ds_port_say(err, err_len, "baud %lu is not supported by the driver", s->baud);
        return -1;
    }
    return 0;
}

int ds_serial_open(const char *device, const ds_serial_settings *s, char *err, size_t err_len)
{
    int fd = open(device, O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        ds_port_say(err, err_len, "%s: cannot open: %s", device, strerror(errno));
        return -1;
    }
    char why[200];
    if (ds_serial_configure(fd, s, 0, why, sizeof why)) {
        char text[DS_SERIAL_SETTINGS_TEXT];
        ds_port_say(err, err_len, "%s: cannot configure %s: %s", device, ds_serial_settings_format(s, text, sizeof text), why);
        close(fd);
        return -1;
    }
    return fd;
}
