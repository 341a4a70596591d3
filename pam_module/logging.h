/* Logging through pam_syslog: "(user NAME) message"; LOG_DEBUG only with `debug`. */
#ifndef PAM_KALTURA_LOGGING_H
#define PAM_KALTURA_LOGGING_H

#include <security/pam_modules.h>
#include <stdbool.h>
#include <syslog.h>

#include "options.h"

/* Per-call state, pam-krb5 style: created at entry, freed at exit. */
struct kc_args {
    pam_handle_t *pamh;
    const char *user; /* PAM_USER once known, else NULL */
    struct kc_options opt;
};

#define KC_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Never pass a secret (a KS, helper stdout) to these. */
void kc_log(const struct kc_args *args, int priority, const char *fmt, ...) KC_PRINTF(3, 4);
#define kc_err(args, ...)    kc_log((args), LOG_ERR, __VA_ARGS__)
#define kc_notice(args, ...) kc_log((args), LOG_NOTICE, __VA_ARGS__)
#define kc_debug(args, ...)  kc_log((args), LOG_DEBUG, __VA_ARGS__)

/* Debug lines at entry and exit of each pam_sm_* function. */
void kc_log_entry(const struct kc_args *args, const char *func, int flags);
void kc_log_exit(const struct kc_args *args, const char *func, int pamret);

#endif
