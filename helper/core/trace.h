/* Steps and their timings on stderr, for -v/--verbose and KALTURA_CREDENTIAL_TRACE=1 (README
 * "Troubleshooting"): which config files were read, cache hit or miss, the keyring lookup, each
 * API call with its HTTP status and duration. libc only, so the frontend traces its own hit or
 * miss. Every line is "kaltura-credential: trace <ms since start> <step>", written with one
 * write(2). Never pass a token, a KS or a token hash to kc_trace. */
#ifndef KC_TRACE_H
#define KC_TRACE_H

#include <stdbool.h>

/* The environment variable that turns tracing on without -v (any value but "", "0", "false"). */
#define KC_TRACE_ENV "KALTURA_CREDENTIAL_TRACE"
/* Internal: the frontend's start time (CLOCK_MONOTONIC, ns), handed to the minter it execs so
 * that both programs' lines count from the same start. Never reaches a command run by exec. */
#define KC_TRACE_START_ENV "KALTURA_CREDENTIAL_TRACE_START"

/* Starts the clock (or takes the frontend's, from KC_TRACE_START_ENV, which is then removed)
 * and turns tracing on when verbose or KC_TRACE_ENV says so. */
void kc_trace_init(bool verbose);
bool kc_trace_on(void);
void kc_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Monotonic milliseconds, for the durations the lines report. */
double kc_trace_ms(void);
/* Before the frontend execs the minter: sets KC_TRACE_START_ENV when tracing. */
void kc_trace_handover(void);

#endif
