/* The trace module (helper/core/trace.h): off unless -v or KALTURA_CREDENTIAL_TRACE says so;
 * one "kaltura-credential: trace <ms> <step>" line per call, one line even for a message with a
 * newline; the frontend's start time carried over to the minter and never further. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "tap.h"
#include "trace.h"

static char captured[4096];

/* Runs kc_trace(msg) with stderr redirected; captured holds what was written. */
static void trace_to_buffer(const char *msg)
{
    struct capture c;
    capture_begin(&c, 2);
    kc_trace("%s", msg);
    capture_end(&c, captured, sizeof captured);
}

int main(void)
{
    unsetenv(KC_TRACE_ENV);
    kc_trace_init(false);
    trace_to_buffer("step");
    tap_ok(!kc_trace_on() && captured[0] == '\0', "off by default: nothing written");

    kc_trace_init(true);
    trace_to_buffer("cache: hit");
    tap_ok(kc_trace_on() && strncmp(captured, "kaltura-credential: trace ", 26) == 0 &&
               strstr(captured, " ms  cache: hit\n") != NULL &&
               strchr(captured, '\n') == captured + strlen(captured) - 1,
           "-v: one line with the time and the step (%.*s)", (int)strcspn(captured, "\n"),
           captured);
    trace_to_buffer("two\nlines");
    tap_ok(strchr(captured, '\n') == captured + strlen(captured) - 1 &&
               strstr(captured, "two lines") != NULL,
           "a newline in a message cannot fake a second line");

    setenv(KC_TRACE_ENV, "1", 1);
    kc_trace_init(false);
    tap_ok(kc_trace_on(), "KALTURA_CREDENTIAL_TRACE=1 turns it on");
    setenv(KC_TRACE_ENV, "0", 1);
    kc_trace_init(false);
    tap_ok(!kc_trace_on(), "KALTURA_CREDENTIAL_TRACE=0 leaves it off");
    setenv(KC_TRACE_ENV, "", 1);
    kc_trace_init(false);
    tap_ok(!kc_trace_on(), "an empty KALTURA_CREDENTIAL_TRACE leaves it off");
    unsetenv(KC_TRACE_ENV);

    /* The handover: the frontend's start, then the minter continues from it. */
    kc_trace_init(true);
    usleep(30000);
    kc_trace_handover();
    const char *start = getenv(KC_TRACE_START_ENV);
    tap_ok(start != NULL && strspn(start, "0123456789") == strlen(start),
           "handover: the start time in the environment, for the minter");
    kc_trace_init(true); /* as the minter does */
    tap_ok(getenv(KC_TRACE_START_ENV) == NULL, "the minter takes it and removes it");
    trace_to_buffer("later");
    double ms = strtod(captured + 26, NULL);
    tap_ok(ms >= 25.0, "times continue from the frontend's start (%.3f ms)", ms);
    kc_trace_init(false);
    kc_trace_handover();
    tap_ok(getenv(KC_TRACE_START_ENV) == NULL, "no handover when tracing is off");
    setenv(KC_TRACE_START_ENV, "99999999999999999999", 1);
    kc_trace_init(true);
    trace_to_buffer("x");
    tap_ok(strtod(captured + 26, NULL) < 1000.0 && getenv(KC_TRACE_START_ENV) == NULL,
           "a start time that is not one (too long, in the future) is ignored, and removed");
    setenv(KC_TRACE_START_ENV, "12ab", 1);
    kc_trace_init(true);
    tap_ok(getenv(KC_TRACE_START_ENV) == NULL, "not digits: ignored, removed");
    return tap_done();
}
