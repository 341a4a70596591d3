/* What kaltura-credential promises the programs that run it: exit codes, the bounds of its
 * `get` answer, and the profile-name rule (doc/architecture.md "The contract").
 * libc only and header only: the PAM module includes this one file of the helper's tree and
 * nothing else, so the two sides can never disagree on these numbers. */
#ifndef KC_CONTRACT_H
#define KC_CONTRACT_H

#include <stdbool.h>
#include <string.h>

/* Exit codes: documented in README.md and --help. */
enum kc_exit {
    KC_EXIT_OK = 0,            /* success, ignored action, or a host no profile serves */
    KC_EXIT_INTERNAL = 1,      /* out of memory, cannot run the minter, ... */
    KC_EXIT_USAGE = 2,         /* bad command line */
    KC_EXIT_INPUT = 3,         /* bad credential-protocol input on stdin */
    KC_EXIT_CONFIG = 4,        /* configuration error */
    KC_EXIT_NO_PROFILE = 5,    /* the selected profile is not configured */
    KC_EXIT_NO_TOKEN = 6,      /* no App Token stored in the keyring for the profile */
    KC_EXIT_KEYRING = 7,       /* keyring locked, or no Secret Service */
    KC_EXIT_REJECTED = 8,      /* the Kaltura server rejected the request */
    KC_EXIT_NETWORK = 9,       /* network, TLS, timeout, HTTP status */
    KC_EXIT_BAD_RESPONSE = 10, /* unusable answer from the server */
};

/* The `get` answer (README "Commands"): protocol, host, username, password, password_expiry_utc,
 * one key=value line each. The longest value of each; the helper prints nothing longer and
 * the PAM module accepts exactly this much (tests/unit/test_contract.c builds the longest). */
#define KC_ANSWER_MAX_PROTOCOL 5                      /* "https" */
#define KC_HOST_NAME_MAX       255                    /* a host name in service_url */
#define KC_ANSWER_MAX_HOST     (KC_HOST_NAME_MAX + 8) /* "[" name "]:65535" */
#define KC_ANSWER_MAX_USERNAME 1024                   /* a KS's user id (or the App Token id) */
#define KC_ANSWER_MAX_KS       (16 * 1024)
#define KC_ANSWER_MAX_EXPIRY   19 /* digits: a positive 64-bit time */

#define KC_ANSWER_LINE_MAX(key, value_max) (sizeof(key "=\n") - 1 + (value_max))
/* The whole answer, at its longest. */
#define KC_ANSWER_MAX                                                                              \
    (KC_ANSWER_LINE_MAX("protocol", KC_ANSWER_MAX_PROTOCOL) +                                      \
     KC_ANSWER_LINE_MAX("host", KC_ANSWER_MAX_HOST) +                                              \
     KC_ANSWER_LINE_MAX("username", KC_ANSWER_MAX_USERNAME) +                                      \
     KC_ANSWER_LINE_MAX("password", KC_ANSWER_MAX_KS) +                                            \
     KC_ANSWER_LINE_MAX("password_expiry_utc", KC_ANSWER_MAX_EXPIRY))

/* Request keys of `get` and `revoke` beyond git's (README "Commands"), as the PAM module sends
 * them: profile=NAME; min_lifetime=SECONDS (get: a cached KS is used only with more than that
 * left); shared=false (get: a KS minted for this request alone, never cached; revoke: the KS
 * was such a one, so a KS the server no longer knows is a failure, not "already ended"). */
#define KC_REQ_PROFILE      "profile"
#define KC_REQ_MIN_LIFETIME "min_lifetime"
#define KC_REQ_SHARED       "shared"
#define KC_MIN_LIFETIME_MAX 315360000LL /* 10 years, the bound of config min_lifetime too */

/* Profile names (INI groups, --profile, profile= on stdin, the PAM module's profile=):
 * [A-Za-z0-9._-]{1,64} without "..". */
#define KC_PROFILE_NAME_MAX 64

static inline bool kc_profile_name_ok(const char *name)
{
    static const char allowed[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
    size_t n = name != NULL ? strlen(name) : 0;
    return n > 0 && n <= KC_PROFILE_NAME_MAX && strstr(name, "..") == NULL &&
           strspn(name, allowed) == n;
}

#endif
