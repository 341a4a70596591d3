/* Minimal TAP producer for the C unit tests (meson `protocol: 'tap'`). Header-only. */
#ifndef KC_TAP_H
#define KC_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3))) static void tap_ok(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    if (!cond)
        tap_failed++;
}

#define TAP_CHECK(cond) tap_ok((cond), "%s:%d: %s", __FILE__, __LINE__, #cond)

/* A malloc'd string of n times c (aborts when out of memory). */
static inline char *tap_repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    if (s == NULL)
        abort();
    for (size_t i = 0; i < n; i++)
        s[i] = c;
    s[n] = '\0';
    return s;
}

static int tap_done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
