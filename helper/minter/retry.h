/* When an API call is tried again (doc/helper.md "The API client", README "Security model").
 * One command has one deadline (the profile's timeout). Within it each attempt has its own,
 * shorter bound, so one answer lost in a hung connection costs seconds, not the deadline; a
 * server in trouble (502/503/504, a dropped connection, an attempt past its bound) is tried
 * again with capped backoff until the deadline; a server that is not there (connection
 * refused) or that fails the request itself (500 and the other 5xx) only a couple of times. */
#ifndef KC_RETRY_H
#define KC_RETRY_H

#include <curl/curl.h>

enum kc_retry {
    KC_RETRY_NO,             /* an answer, or a failure retrying cannot mend */
    KC_RETRY_FEW,            /* at most KC_RETRY_FEW_MAX times */
    KC_RETRY_UNTIL_DEADLINE, /* while the deadline leaves room */
};
#define KC_RETRY_FEW_MAX 2

/* How a failed attempt is retried: rc and the HTTP status of its answer (0: none). */
enum kc_retry kc_retry_kind(CURLcode rc, long status);

/* The bound of attempt n (from 0) of a command whose deadline is timeout_s away at the start: a
 * quarter of it, from 1 to 5 s, doubled for each further attempt (a server that is only slow
 * still gets through). The caller also caps it at what is left of the deadline. */
long kc_retry_attempt_ms(long timeout_s, int n);

/* The pause before retry n (from 1), before jitter: 200 ms, doubled each time, at most 2 s. */
long kc_retry_backoff_ms(int n);

#endif
