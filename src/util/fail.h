/* The one way to leave a message in a caller's error buffer. */
#ifndef DS_UTIL_FAIL_H
#define DS_UTIL_FAIL_H

#include <stddef.h>

/* Formats the message into err (when err and errlen are given, cut to errlen) and returns -1,
 * so that a check reads `return ds_fail(err, errlen, "...", ...);`. */
int ds_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Adds one line (the message and '\n') to the NUL-ended lines in buf, of size bufsize, when it
 * fits whole: a loader's warnings are gathered so (a line cut short would mislead), and the
 * ones that do not fit are dropped. */
void ds_add_line(char *buf, size_t bufsize, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
