#include "util/fail.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ds_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void ds_add_line(char *buf, size_t bufsize, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t used = strnlen(buf, bufsize);
    if (n < 0 || (size_t)n >= sizeof line || used + (size_t)n + 2 > bufsize) return;
    memcpy(buf + used, line, (size_t)n);
    memcpy(buf + used + (size_t)n, "\n", 2);
}
