/* A tiny growable string (strbuf.h). */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secure_mem.h"

static bool grow(struct kc_strbuf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    /* Not realloc: the old block may hold a KS and must be wiped, not left in the heap. */
    char *p = malloc(cap);
    if (p == NULL) {
        b->oom = true;
        return false;
    }
    if (b->p != NULL) {
        memcpy(p, b->p, b->len + 1);
        secure_wipe(b->p, b->cap);
        free(b->p);
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void kc_sb_addn(struct kc_strbuf *b, const char *s, size_t n)
{
    if (!grow(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void kc_sb_add(struct kc_strbuf *b, const char *s)
{
    kc_sb_addn(b, s, strlen(s));
}

void kc_sb_printf(struct kc_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    if (!grow(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void kc_sb_esc(struct kc_strbuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch > 0x20 && ch < 0x7f && ch != '%' && ch != ';' && ch != '=') {
            kc_sb_addn(b, (const char *)&s[i], 1);
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            kc_sb_addn(b, e, 3);
        }
    }
}

void kc_sb_field(struct kc_strbuf *b, const char *name, const char *value)
{
    kc_sb_add(b, ";");
    kc_sb_add(b, name);
    if (value == NULL) {
        kc_sb_add(b, "=-");
        return;
    }
    kc_sb_add(b, "=+");
    kc_sb_esc(b, value, strlen(value));
}

void kc_sb_free(struct kc_strbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void kc_sb_wipe_free(struct kc_strbuf *b)
{
    secure_wipe(b->p, b->cap);
    kc_sb_free(b);
}
