/* doctor: the report (one line per check) and the checks that live in their own file. The
 * command itself, its order of checks and the rest of them: cmd_doctor.c. */
#ifndef KC_DOCTOR_H
#define KC_DOCTOR_H

#include <stdbool.h>

#include "config.h"

enum kc_check {
    KC_CHECK_OK,
    KC_CHECK_WARN, /* works, but worth fixing (or works only partly) */
    KC_CHECK_FAIL, /* does not work: the line says what to do; doctor's exit status */
    KC_CHECK_SKIP, /* not checked: what it needs failed above */
};

struct kc_report {
    int first_failure; /* the exit code (contract.h) of the first failed check, or 0 */
};

/* Prints "ok    what: detail" (warn, fail, skip) on stdout, flushed, one line. code: the exit
 * code a failure stands for (ignored otherwise). */
void kc_report(struct kc_report *r, enum kc_check state, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The clock check: server (its Date header, 0: none) against local (unix times). Within 60 s
 * is ok; more, or no Date header, a warning. */
void kc_doctor_clock(struct kc_report *r, long long server, long long local);

/* doctor_keyring.c: the session bus, who owns org.freedesktop.secrets, the default
 * collection's lock state; each at most timeout seconds. Returns true when a keyring lookup
 * can be tried (the token check). */
bool kc_doctor_keyring(struct kc_report *r, int timeout);

#endif
