/* A growable byte string that is always wiped: when it grows (the old block) and when it is
 * freed, since it may hold a KS, a token hash or a request body. Out of memory ends the process
 * (secure_mem.h). libc only. */
#ifndef KC_BUF_H
#define KC_BUF_H

#include <stddef.h>

struct kc_buf {
    char *p; /* NUL-terminated once anything was added; NULL before */
    size_t len, cap;
};

void kc_buf_addn(struct kc_buf *b, const char *s, size_t n);
void kc_buf_add(struct kc_buf *b, const char *s);
void kc_buf_printf(struct kc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Wipes the whole block, frees it, and leaves b empty (reusable). */
void kc_buf_free(struct kc_buf *b);

#endif
