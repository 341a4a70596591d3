/* Module options: parsed from the PAM stack line on every call. */
#ifndef PAM_KALTURA_OPTIONS_H
#define PAM_KALTURA_OPTIONS_H

#include <stdbool.h>
#include <sys/types.h>

#include "contract.h"

#define PK_ENV_NAME_MAX    64 /* longest env= name we accept */
#define PK_TIMEOUT_DEFAULT 10u
#define PK_TIMEOUT_MAX     300u
#define PK_MINIMUM_UID     1000u
#define PK_MIN_LIFETIME    3600LL /* a login's KS: valid for more than an hour, if it can be */

struct pk_options {
    const char *profile;    /* profile=NAME, NULL: let the helper pick `default` */
    const char *env_name;   /* env=NAME, default KALTURA_KS */
    const char *helper;     /* helper=PATH, default KC_HELPER_PATH */
    unsigned timeout;       /* timeout=SECONDS, 1..300 */
    uid_t minimum_uid;      /* minimum_uid=UID */
    long long min_lifetime; /* min_lifetime=SECONDS: a cached KS needs more left */
    bool revoke;            /* revoke: end the KS at close_session */
    bool debug;             /* debug: LOG_DEBUG messages */
    bool helper_overridden; /* helper= was given: its ownership must be checked */
};

struct pk_args; /* args.h */

/*
 * Fills args->opt from argv. Unknown options are logged and skipped; a known option with an
 * invalid value is logged and makes the call fail (returns false): a misconfigured stack line
 * should be noticed, not silently run with defaults.
 */
bool pk_options_parse(struct pk_args *args, int argc, const char **argv);

/* Validators, exposed for the unit tests. */
bool pk_valid_env_name(const char *name);

#endif
