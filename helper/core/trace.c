/* Tracing (trace.h). */
#include "trace.h"

#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool trace_enabled;
static long long start_ns;

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static bool env_says_on(void)
{
    const char *v = getenv(KC_TRACE_ENV);
    return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0 && strcmp(v, "false") != 0;
}

/* The frontend's start, when it handed one over: digits only, not in the future. */
static bool inherited_start(long long *out)
{
    const char *v = getenv(KC_TRACE_START_ENV);
    if (v == NULL || v[0] == '\0' || strlen(v) > 18 || strspn(v, "0123456789") != strlen(v))
        return false;
    long long t = strtoll(v, NULL, 10);
    if (t <= 0 || t > now_ns())
        return false;
    *out = t;
    return true;
}

void kc_trace_init(bool verbose)
{
    trace_enabled = verbose || env_says_on();
    if (!inherited_start(&start_ns))
        start_ns = now_ns();
    unsetenv(KC_TRACE_START_ENV); /* ours alone: nothing we run inherits it */
}

bool kc_trace_on(void)
{
    return trace_enabled;
}

double kc_trace_ms(void)
{
    return (double)now_ns() / 1e6;
}

void kc_trace_handover(void)
{
    if (!trace_enabled)
        return;
    char v[24];
    snprintf(v, sizeof v, "%lld", start_ns);
    setenv(KC_TRACE_START_ENV, v, 1);
}

void kc_trace(const char *fmt, ...)
{
    if (!trace_enabled)
        return;
    char level[40];
    snprintf(level, sizeof level, "trace %9.3f ms  ", (double)(now_ns() - start_ns) / 1e6);
    va_list ap;
    va_start(ap, fmt);
    diag_vline(level, fmt, ap);
    va_end(ap);
}
