/* One-line diagnostics on stderr. The message is formatted into one buffer and written with a
 * single write(2), so lines from concurrent helpers do not interleave. */
#include "diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void diag_vline(const char *level, const char *fmt, va_list ap)
{
    char buf[1024];
    int saved = errno;
    int n = snprintf(buf, sizeof buf, "kaltura-credential: %s", level);
    if (n < 0)
        n = 0;
    size_t len = (size_t)n;
    int m = vsnprintf(buf + len, sizeof buf - len, fmt, ap);
    if (m > 0)
        len += (size_t)m;
    if (len > sizeof buf - 2)
        len = sizeof buf - 2;
    /* One line, always: a newline inside a message would fake a second diagnostic. */
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\n' || buf[i] == '\r')
            buf[i] = ' ';
    buf[len++] = '\n';
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(STDERR_FILENO, buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    errno = saved;
}

void diag_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vline("", fmt, ap);
    va_end(ap);
}

void diag_warning(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vline("warning: ", fmt, ap);
    va_end(ap);
}
