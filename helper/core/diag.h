/* One-line diagnostics on stderr, always prefixed "kaltura-credential: ".
 * Never pass a token or a KS to these functions. */
#ifndef KC_DIAG_H
#define KC_DIAG_H

#include <stdarg.h>

void diag_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "kaltura-credential: " LEVEL MESSAGE as one line (CR and LF become spaces), one write(2);
 * errno is kept. The writer behind the two above, and behind tracing's lines. */
void diag_vline(const char *level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif
