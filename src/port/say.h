/* Inside the port module: how its functions put an error message into the caller's buffer. */
#ifndef DS_PORT_SAY_H
#define DS_PORT_SAY_H

#include <stddef.h>

/* Formats into err (err_len bytes, cut to fit); nothing when err is NULL or err_len is 0. */
void ds_port_say(char *err, size_t err_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
