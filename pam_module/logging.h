/* Logging through pam_syslog: "(user NAME) message"; LOG_DEBUG only with `debug`. */
#ifndef PAM_KALTURA_LOGGING_H
#define PAM_KALTURA_LOGGING_H

#include <security/pam_modules.h>
#include <stdbool.h>
#include <syslog.h>

#include "args.h"

#define PK_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Never pass a secret (a KS, helper stdout) to these. */
void pk_log(const struct pk_args *args, int priority, const char *fmt, ...) PK_PRINTF(3, 4);
#define pk_err(args, ...)    pk_log((args), LOG_ERR, __VA_ARGS__)
#define pk_notice(args, ...) pk_log((args), LOG_NOTICE, __VA_ARGS__)
#define pk_debug(args, ...)  pk_log((args), LOG_DEBUG, __VA_ARGS__)

/* Debug lines at entry and exit of each pam_sm_* function. */
void pk_log_entry(const struct pk_args *args, const char *func, int flags);
void pk_log_exit(const struct pk_args *args, const char *func, int pamret);

#endif
