/* The always-wiping buffer (buf.h). */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secure_mem.h"

static void grow(struct kc_buf *b, size_t extra)
{
    if (extra >= (size_t)-1 / 2 - b->len)
        kc_out_of_memory();
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    /* Not realloc: the old block may hold a secret and must be wiped, not left in the heap. */
    char *p = kc_xmalloc(cap);
    if (b->p != NULL) {
        memcpy(p, b->p, b->len + 1);
        secure_wipe(b->p, b->cap);
        free(b->p);
    }
    b->p = p;
    b->cap = cap;
}

void kc_buf_addn(struct kc_buf *b, const char *s, size_t n)
{
    grow(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void kc_buf_add(struct kc_buf *b, const char *s)
{
    kc_buf_addn(b, s, strlen(s));
}

void kc_buf_printf(struct kc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        kc_out_of_memory(); /* only an encoding error or a size overflow: not ours to handle */
    grow(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void kc_buf_free(struct kc_buf *b)
{
    secure_wipe(b->p, b->cap);
    free(b->p);
    memset(b, 0, sizeof *b);
}
