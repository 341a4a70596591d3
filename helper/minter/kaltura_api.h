/* Kaltura api_v3 client (doc/kaltura-api.md §1-§4, §6): libcurl + json-glib.
 * One curl easy handle per struct kc_api, reused for every call (one connection); POST form
 * bodies with format=1 and clientTag (no secret ever in a URL); TLS verification always on;
 * no redirects followed; a total deadline across all calls; a response size cap. */
#ifndef KC_KALTURA_API_H
#define KC_KALTURA_API_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define KC_API_MAX_RESPONSE (64 * 1024)
/* The longest a KS may live: the server's bound for relative times (10 years). */
#define KC_API_MAX_LIFETIME 315360000LL

struct kc_api;

/* A session from the server. ks is wiped by kc_session_clear. */
struct kc_session {
    char *ks;
    char *user_id;    /* NULL or "" when the KS has none */
    long long expiry; /* absolute unix time on OUR clock (moved from the server's by its Date
                       * header: kc_api_clock_skew); 0 when the answer has none (widget) */
    char *privileges; /* KalturaSessionInfo.privileges; NULL when the answer has none */
};
void kc_session_clear(struct kc_session *s);

/* The deadline (p->timeout seconds) starts now. Warns when p uses plain http off loopback. */
struct kc_api *kc_api_new(const struct kc_profile *p, GError **error);
void kc_api_free(struct kc_api *a);

/* While cancelled(ctx) returns true, a transfer in progress is abandoned (within about a
 * second: libcurl's progress callback) and no retry is made. NULL removes the hook. */
void kc_api_set_cancel(struct kc_api *a, bool (*cancelled)(void *ctx), void *ctx);

/* The server's clock: the Date header of the last call's answer (an HTTP 200 labelled JSON,
 * an API exception included) as a unix time, or 0 when there was none or it was unreadable. */
long long kc_api_server_date(const struct kc_api *a);

/* The Kaltura error code of the last KalturaAPIException, or NULL. */
const char *kc_api_last_error_code(const struct kc_api *a);

/* session.startWidgetSession(widgetId=_<partner_id>, expiry). */
bool kc_api_start_widget_session(struct kc_api *a, const char *partner_id, long long expiry,
                                 struct kc_session *out, GError **error);

struct kc_app_session_req {
    const char *widget_ks;
    const char *id;
    const char *token_hash;
    const char *user_id;    /* NULL: not sent */
    int type;               /* -1: not sent */
    long long expiry;       /* -1: not sent */
    const char *privileges; /* NULL: not sent */
};
/* appToken.startSession: out gets ks, userId, expiry, privileges (validated: printable,
 * bounded, in the future by the server's clock; then moved onto ours). */
bool kc_api_start_app_session(struct kc_api *a, const struct kc_app_session_req *r,
                              struct kc_session *out, GError **error);

/* session.end with ks= the KS to end. */
bool kc_api_end_session(struct kc_api *a, const char *ks, GError **error);

/* ---- parsing and the clock, exposed for unit tests ---- */

/* The server's clock minus ours (seconds) from an answer's Date header (date: Unix time, -1 when
 * absent or unparsable), sent and received at sent_us and received_us (g_get_real_time), for a
 * KS expiring at expiry (server clock; 0: none) that may live at most max_lifetime seconds.
 * 0 when there is no Date, when Date cannot tell the clocks apart (1 s resolution plus the
 * round trip), or when it is not the clock the expiry came from (the KS would live longer than
 * max_lifetime). Otherwise the bound that errs early: expiry - skew is never later than the
 * KS's real end on our clock. doc/helper.md "The server's clock". */
long long kc_api_clock_skew(long long date, gint64 sent_us, gint64 received_us, long long expiry,
                            long long max_lifetime);

enum kc_api_answer {
    KC_ANSWER_SESSION_INFO, /* KalturaSessionInfo: ks + expiry required */
    KC_ANSWER_WIDGET,       /* KalturaStartWidgetSessionResponse: ks required */
    KC_ANSWER_ANY,          /* anything but an exception (session.end answers null) */
};
/* Parses a response body. On a KalturaAPIException: false, KC_EXIT_REJECTED, and the code is
 * copied to code (may be NULL). Messages never contain the strings in redact. now: for the
 * expiry check. what: "service.action" for messages. A KS must be a well-formed KS of
 * partner_id (contract.h kc_ks_well_formed), a userId printable ASCII: else
 * KC_EXIT_BAD_RESPONSE. */
bool kc_api_parse(const char *body, size_t len, enum kc_api_answer kind, const char *what,
                  const char *const *redact, long long now, const char *partner_id,
                  struct kc_session *out, char *code, size_t code_size, GError **error);

#endif
