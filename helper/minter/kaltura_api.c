/* api_v3 over libcurl; JSON answers through json-glib. */
#include "kaltura_api.h"

#include <curl/curl.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <time.h>

#include "answer.h"
#include "buf.h"
#include "contract.h"
#include "diag.h"
#include "json_depth.h"
#include "kaltura_errors.h"
#include "kc_config.h"
#include "proxy.h"
#include "retry.h"
#include "secure_mem.h"
#include "text.h"
#include "trace.h"

#define CLIENT_TAG "kaltura-credential:" KC_VERSION

struct kc_api {
    CURL *curl;
    struct curl_slist *headers;
    char *service_url;
    char *partner_id; /* every KS answered must be this partner's */
    int timeout;
    gint64 deadline; /* g_get_monotonic_time() units */
    bool (*cancelled)(void *ctx);
    void *cancel_ctx;
    char *resp; /* KC_API_MAX_RESPONSE + 1 bytes, wiped after every call */
    size_t resp_len;
    bool resp_too_big;
    char errbuf[CURL_ERROR_SIZE];
    char last_code[64];
    /* the last answer: its Date header (-1: none or unparsable) and when (our clock, µs) its
     * request was sent and the answer was in */
    long long date;
    gint64 sent_us, received_us;
};

void kc_session_clear(struct kc_session *s)
{
    secure_free_str(s->ks);
    g_free(s->user_id);
    g_free(s->privileges);
    memset(s, 0, sizeof *s);
}

const char *kc_api_last_error_code(const struct kc_api *a)
{
    return a->last_code[0] ? a->last_code : NULL;
}

/* ---- a request body: a kc_buf, wiped whenever it moves or dies (it holds KSs and hashes) ---- */

static void form_add(struct kc_api *a, struct kc_buf *b, const char *key, const char *value)
{
    char *esc = curl_easy_escape(a->curl, value, 0);
    if (!esc)
        kc_out_of_memory();
    if (b->len)
        kc_buf_add(b, "&");
    kc_buf_add(b, key);
    kc_buf_add(b, "=");
    kc_buf_add(b, esc);
    secure_wipe(esc, strlen(esc));
    curl_free(esc);
}

/* ---- transport ---- */

static size_t on_data(char *data, size_t size, size_t n, void *user)
{
    struct kc_api *a = user;
    size_t len = size * n;
    if (len > KC_API_MAX_RESPONSE - a->resp_len) {
        a->resp_too_big = true;
        return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
    }
    memcpy(a->resp + a->resp_len, data, len);
    a->resp_len += len;
    return len;
}

long long kc_api_server_date(const struct kc_api *a)
{
    return a->date > 0 ? a->date : 0;
}

static void resp_wipe(struct kc_api *a)
{
    secure_wipe(a->resp, KC_API_MAX_RESPONSE + 1);
    a->resp_len = 0;
    a->resp_too_big = false;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    const struct kc_api *a = user;
    return a->cancelled && a->cancelled(a->cancel_ctx) ? 1 : 0; /* 1: CURLE_ABORTED_BY_CALLBACK */
}

void kc_api_set_cancel(struct kc_api *a, bool (*cancelled)(void *ctx), void *ctx)
{
    a->cancelled = cancelled;
    a->cancel_ctx = ctx;
    curl_easy_setopt(a->curl, CURLOPT_NOPROGRESS, cancelled ? 0L : 1L);
}

struct kc_api *kc_api_new(const struct kc_profile *p, GError **error)
{
    if (kc_profile_insecure(p) && !p->allow_insecure) { /* config.c refuses it: never here */
        g_set_error(error, KC_ERROR, KC_EXIT_CONFIG,
                    "profile '%s' uses plain http on a non-local host; use https", p->name);
        return NULL;
    }
    struct kc_api *a = g_new0(struct kc_api, 1);
    a->curl = curl_easy_init();
    if (!a->curl) {
        g_free(a);
        g_set_error(error, KC_ERROR, KC_EXIT_INTERNAL, "cannot initialise libcurl");
        return NULL;
    }
    a->service_url = g_strdup(p->service_url);
    a->partner_id = g_strdup(p->partner_id);
    a->timeout = (int)p->timeout; /* at most 600 (config_keys.c) */
    a->deadline = g_get_monotonic_time() + (gint64)p->timeout * G_USEC_PER_SEC;
    a->resp = g_malloc0(KC_API_MAX_RESPONSE + 1);
    a->headers = curl_slist_append(NULL, "Accept: application/json");
    a->headers = curl_slist_append(a->headers, "Expect:");
    if (kc_profile_insecure(p))
        diag_warning("profile '%s' uses plain http to %s (allow_insecure): the KS travels "
                     "unencrypted",
                     p->name, p->host);
    CURL *c = a->curl;
    bool http = strcmp(p->protocol, "http") == 0;
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, http ? "https,http" : "https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, CURLPROTO_HTTPS | (http ? CURLPROTO_HTTP : 0));
#endif
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); /* a redirect is an error (see perform) */
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (p->ca_file) {
        /* Instead of the system store, all of it: Debian's libcurl also has a compiled-in
         * CAPATH (/etc/ssl/certs), which CAINFO alone leaves in force. */
        curl_easy_setopt(c, CURLOPT_CAINFO, p->ca_file);
        curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
    }
    const char *proxy;
    switch (kc_proxy_for(p, &proxy)) {
    case KC_PROXY_NONE:
        curl_easy_setopt(c, CURLOPT_PROXY, ""); /* "": no proxy, the environment's neither */
        break;
    case KC_PROXY_KEY:
        curl_easy_setopt(c, CURLOPT_PROXY, proxy);
        curl_easy_setopt(c, CURLOPT_NOPROXY, ""); /* set: no_proxy is not read */
        break;
    case KC_PROXY_FROM_ENV:
        break;
    }
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "kaltura-credential/" KC_VERSION);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, a->headers);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, a->errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)KC_API_MAX_RESPONSE);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, a);
    return a;
}

void kc_api_free(struct kc_api *a)
{
    if (!a)
        return;
    curl_easy_cleanup(a->curl);
    curl_slist_free_all(a->headers);
    resp_wipe(a);
    g_free(a->resp);
    g_free(a->service_url);
    g_free(a->partner_id);
    g_free(a);
}

static long remaining_ms(const struct kc_api *a)
{
    gint64 left = a->deadline - g_get_monotonic_time();
    return left > 0 ? (long)(left / 1000) : 0;
}

static bool timed_out(struct kc_api *a, const char *what, GError **error)
{
    g_set_error(error, KC_ERROR, KC_EXIT_NETWORK,
                "%s: no answer from %s within %d s; check the network and service_url, or "
                "raise timeout",
                what, a->service_url, a->timeout);
    return false;
}

static bool transport_error(struct kc_api *a, const char *what, CURLcode rc, GError **error)
{
    const char *detail = a->errbuf[0] ? a->errbuf : curl_easy_strerror(rc);
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return timed_out(a, what, error);
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
        if (a->resp_too_big || rc == CURLE_FILESIZE_EXCEEDED) {
            g_set_error(error, KC_ERROR, KC_EXIT_BAD_RESPONSE,
                        "%s: the answer from %s is larger than %d KiB; is service_url a "
                        "Kaltura API server?",
                        what, a->service_url, KC_API_MAX_RESPONSE / 1024);
            return false;
        }
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
        g_set_error(error, KC_ERROR, KC_EXIT_NETWORK,
                    "%s: TLS with %s failed: %s; check service_url (the host name must match "
                    "the certificate) and ca_file",
                    what, a->service_url, detail);
        return false;
    case CURLE_UNSUPPORTED_PROTOCOL:
        g_set_error(error, KC_ERROR, KC_EXIT_NETWORK,
                    "%s: %s: protocol not allowed (only https, or http for a local server)", what,
                    a->service_url);
        return false;
    default:
        break;
    }
    g_set_error(error, KC_ERROR, KC_EXIT_NETWORK,
                "%s: cannot reach %s: %s; check service_url and the network", what, a->service_url,
                detail);
    return false;
}

/* The answer's Date header as a Unix time, or -1. */
static long long answer_date(struct kc_api *a)
{
#if LIBCURL_VERSION_NUM >= 0x075400 /* curl_easy_header: 7.84 */
    struct curl_header *h = NULL;
    /* CURLH_HEADER: the server's own headers, not a proxy's answer to CONNECT */
    if (curl_easy_header(a->curl, "Date", 0, CURLH_HEADER, -1, &h) == CURLHE_OK && h->value) {
        time_t t = curl_getdate(h->value, NULL);
        return t > 0 ? (long long)t : -1;
    }
#else
    (void)a;
#endif
    return -1;
}

long long kc_api_clock_skew(long long date, gint64 sent_us, gint64 received_us, long long expiry,
                            long long max_lifetime)
{
    if (date < 0)
        return 0;
    /* The server wrote Date (whole seconds, truncated) between our sending and our receiving:
     * its clock minus ours lies in [lo, hi) (µs). */
    long long lo = date * G_USEC_PER_SEC - received_us;
    long long hi = (date + 1) * G_USEC_PER_SEC - sent_us;
    if (lo <= 0 && hi >= 0)
        return 0; /* the clocks agree as far as Date can tell */
    /* A server never grants more than was asked (doc/kaltura-api.md §2 step 5): a Date that
     * would make this KS live longer is not the clock its expiry came from. */
    if (expiry > 0 && expiry - date > max_lifetime + 2)
        return 0;
    /* hi, rounded up: the KS is believed to end at most 1 s + a round trip early, never late */
    return hi > 0 ? (hi + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC : hi / G_USEC_PER_SEC;
}

static bool is_cancelled(const struct kc_api *a)
{
    return a->cancelled && a->cancelled(a->cancel_ctx);
}

/* Sleeps ms, or less when the call is cancelled meanwhile. */
static void pause_before_retry(const struct kc_api *a, long ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;
    for (gint64 left; !is_cancelled(a) && (left = end - g_get_monotonic_time()) > 0;)
        g_usleep((gulong)MIN(left, 50 * 1000));
}

/* A server-supplied string fit for a message: at most max bytes, anything but printable ASCII
 * shown as '?'. */
static char *shown(const char *s, size_t max)
{
    char *safe = g_strndup(s, max);
    for (char *c = safe; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            *c = '?';
    return safe;
}

/* One attempt, for -v: the call, its HTTP status (or transport error) and its duration. */
static void trace_call(const struct kc_api *a, const char *what, int attempt, CURLcode rc,
                       long status, double ms)
{
    if (!kc_trace_on())
        return;
    char result[96];
    if (rc == CURLE_OK)
        snprintf(result, sizeof result, "HTTP %ld, %zu bytes", status, a->resp_len);
    else
        snprintf(result, sizeof result, "%s", curl_easy_strerror(rc));
    kc_trace("api: %s at %s%s: %s in %.1f ms", what, a->service_url, attempt > 0 ? " (retry)" : "",
             result, ms);
}

/* Where a redirect points, for a message: its origin (scheme://host[:port]) only. The rest
 * (user info, path, query, fragment) is the server's to fill and may echo the request: a
 * proxy that copies the KS into the Location must not get it into our stderr or syslog. */
static char *redirect_origin(const char *location)
{
    CURLU *u = location ? curl_url() : NULL;
    char *scheme = NULL, *host = NULL, *port = NULL;
    char *shown_origin = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, location, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
            port = NULL;
        g_autofree char *origin =
            g_strdup_printf("%s://%s%s%s", scheme, host, port ? ":" : "", port ? port : "");
        shown_origin = shown(origin, 200);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    if (!shown_origin)
        shown_origin = g_strdup(location ? "an address that is not a URL" : "nowhere");
    return shown_origin;
}

/* A Content-Type, for a message: the media type alone, if it looks like one (its parameters
 * are the server's to fill). */
static char *media_type(const char *type)
{
    static const char token[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                "!#$&'*+.^_`|~/-";
    size_t n = type ? strspn(type, token) : 0;
    if (n == 0 || n > 80 || (type[n] != '\0' && type[n] != ';' && type[n] != ' '))
        return g_strdup(type ? "something that is not a media type" : "nothing");
    return g_strndup(type, n);
}

/* POSTs body to service/action; on success a->resp holds a 200 answer. */
static bool perform(struct kc_api *a, const char *service, const char *action,
                    const struct kc_buf *body, const char *what, GError **error)
{
    g_autofree char *url =
        g_strdup_printf("%s/api_v3/service/%s/action/%s", a->service_url, service, action);
    curl_easy_setopt(a->curl, CURLOPT_URL, url);
    curl_easy_setopt(a->curl, CURLOPT_POSTFIELDS, body->p);
    curl_easy_setopt(a->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
    bool fresh = false;
    for (int attempt = 0, few = 0;; attempt++) {
        long left = remaining_ms(a);
        if (left <= 0)
            return timed_out(a, what, error);
        long bound = MIN(left, kc_retry_attempt_ms(a->timeout, attempt));
        resp_wipe(a);
        a->errbuf[0] = '\0';
        curl_easy_setopt(a->curl, CURLOPT_TIMEOUT_MS, bound);
        curl_easy_setopt(a->curl, CURLOPT_CONNECTTIMEOUT_MS, bound);
        curl_easy_setopt(a->curl, CURLOPT_FRESH_CONNECT, fresh ? 1L : 0L);
        double t0 = kc_trace_ms();
        a->sent_us = g_get_real_time();
        CURLcode rc = curl_easy_perform(a->curl);
        a->received_us = g_get_real_time();
        long status = 0;
        curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &status);
        trace_call(a, what, attempt, rc, status, kc_trace_ms() - t0);
        enum kc_retry retry = is_cancelled(a) ? KC_RETRY_NO : kc_retry_kind(rc, status);
        if (retry == KC_RETRY_FEW && ++few > KC_RETRY_FEW_MAX)
            retry = KC_RETRY_NO;
        /* jittered down by up to a half: callers that failed together do not return together */
        long backoff = kc_retry_backoff_ms(attempt + 1);
        backoff -= g_random_int_range(0, (gint32)(backoff / 2) + 1);
        if (retry != KC_RETRY_NO && remaining_ms(a) > backoff + 100) {
            pause_before_retry(a, backoff);
            fresh = rc != CURLE_OK; /* a hung or dropped connection: not that one again */
            continue;
        }
        if (rc != CURLE_OK)
            return transport_error(a, what, rc, error);
        if (status >= 300 && status < 400) {
            char *loc = NULL;
            curl_easy_getinfo(a->curl, CURLINFO_REDIRECT_URL, &loc);
            g_autofree char *safe = redirect_origin(loc);
            g_set_error(error, KC_ERROR, KC_EXIT_NETWORK,
                        "%s: %s answered with a redirect (HTTP %ld) to %s; set service_url to "
                        "the address the API really lives at",
                        what, a->service_url, status, safe);
            return false;
        }
        if (status != 200) {
            g_set_error(error, KC_ERROR, KC_EXIT_NETWORK,
                        "%s: %s answered HTTP %ld%s; check service_url or try again later", what,
                        a->service_url, status, status >= 500 ? " (server error)" : "");
            return false;
        }
        /* format=1 answers are application/json (doc/kaltura-api.md §4.4, KalturaResponseType); an
         * HTML page with a 200 is a captive portal or a proxy, not the API. */
        char *type = NULL;
        curl_easy_getinfo(a->curl, CURLINFO_CONTENT_TYPE, &type);
        size_t jn = strlen("application/json");
        if (!type || g_ascii_strncasecmp(type, "application/json", jn) != 0 ||
            (type[jn] != '\0' && type[jn] != ';' && type[jn] != ' ')) {
            g_autofree char *safe = media_type(type);
            g_set_error(error, KC_ERROR, KC_EXIT_BAD_RESPONSE,
                        "%s: unusable answer from %s: labelled %s, not application/json; is "
                        "service_url a Kaltura API server?",
                        what, a->service_url, safe);
            return false;
        }
        a->date = answer_date(a);
        return true;
    }
}

/* ---- JSON ---- */

#define KS_EXPIRED                                                                                 \
    "the new KS has already expired (check the clocks of this machine and the server)"

static bool bad_answer(GError **error, const char *what, const char *why)
{
    g_set_error(error, KC_ERROR, KC_EXIT_BAD_RESPONSE,
                "%s: unusable answer from the server: %s; is service_url a Kaltura API server?",
                what, why);
    return false;
}

/* A JSON number or numeric string as an integer. */
static bool json_int(JsonNode *n, long long *out)
{
    if (!n || JSON_NODE_TYPE(n) != JSON_NODE_VALUE)
        return false;
    GType t = json_node_get_value_type(n);
    if (t == G_TYPE_INT64) {
        *out = json_node_get_int(n);
        return true;
    }
    if (t == G_TYPE_DOUBLE) {
        double d = json_node_get_double(n);
        /* range first: casting 1e300 (or NaN) to long long is undefined */
        if (!(d > -9.2e18 && d < 9.2e18) || d != (double)(long long)d)
            return false;
        *out = (long long)d;
        return true;
    }
    if (t == G_TYPE_STRING) {
        const char *s = json_node_get_string(n);
        char *end = NULL;
        if (!s || !g_ascii_isdigit(s[0]))
            return false;
        guint64 v = g_ascii_strtoull(s, &end, 10);
        if (*end || v > G_MAXINT64)
            return false;
        *out = (long long)v;
        return true;
    }
    return false;
}

/* A string member's value, or "" when it is absent or not a string: a server that sends
 * "objectType": 1 or "code": {} must not crash us (json_node_get_string gives NULL for a
 * number, json_object_get_string_member_with_default g_criticals for an object). */
static const char *str_member(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);
    if (!n || JSON_NODE_TYPE(n) != JSON_NODE_VALUE || json_node_get_value_type(n) != G_TYPE_STRING)
        return "";
    const char *s = json_node_get_string(n);
    return s ? s : "";
}

static bool parse_exception(JsonObject *o, const char *what, const char *const *redact, char *code,
                            size_t code_size, GError **error)
{
    const char *c = str_member(o, "code");
    const char *m = str_member(o, "message");
    char msg[512];
    kc_kaltura_error_format(msg, sizeof msg, c, m, redact);
    if (code && code_size)
        g_strlcpy(code, c, code_size);
    g_set_error(error, KC_ERROR, KC_EXIT_REJECTED, "%s: %s", what, msg);
    return false;
}

bool kc_api_parse(const char *body, size_t len, enum kc_api_answer kind, const char *what,
                  const char *const *redact, long long now, const char *partner_id,
                  struct kc_session *out, char *code, size_t code_size, GError **error)
{
    if (code && code_size)
        code[0] = '\0';
    memset(out, 0, sizeof *out);
    /* json-glib hands strings out NUL-terminated, so an embedded NUL would silently shorten
     * a KS: refuse NULs and \u0000 escapes up front. */
    if (memchr(body, '\0', len) || g_strstr_len(body, (gssize)len, "\\u0000"))
        return bad_answer(error, what, "a NUL character in the answer");
    if (!g_utf8_validate(body, (gssize)len, NULL))
        return bad_answer(error, what, "the answer is not UTF-8 text");
    if (!kc_json_depth_ok(body, len, KC_JSON_MAX_OPENERS)) {
        g_autofree char *why =
            g_strdup_printf("the answer is nested too deep to parse (more than %d '[' or '{')",
                            KC_JSON_MAX_OPENERS);
        return bad_answer(error, what, why);
    }
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!json_parser_load_from_data(parser, body, (gssize)len, NULL))
        return bad_answer(error, what, "not JSON");
    JsonNode *root = json_parser_get_root(parser);
    JsonObject *o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    const char *type = o ? str_member(o, "objectType") : "";
    if (o &&
        (strcmp(type, "KalturaAPIException") == 0 ||
         (!*type && json_object_has_member(o, "code") && json_object_has_member(o, "message"))))
        return parse_exception(o, what, redact, code, code_size, error);
    if (kind == KC_ANSWER_ANY)
        return true;
    if (!o)
        return bad_answer(error, what, "expected a JSON object");
    JsonNode *ks = json_object_get_member(o, "ks");
    if (!ks || JSON_NODE_TYPE(ks) != JSON_NODE_VALUE ||
        json_node_get_value_type(ks) != G_TYPE_STRING)
        return bad_answer(error, what, "no ks in the answer");
    const char *ks_str = json_node_get_string(ks);
    if (!kc_text_ok(ks_str, KC_ANSWER_MAX_KS, KC_TEXT_NONEMPTY | KC_TEXT_NO_SPACE | KC_TEXT_ASCII))
        return bad_answer(error, what,
                          "the KS is empty, too long, or contains a newline, a control or a "
                          "non-ASCII character");
    if (!partner_id || !kc_ks_well_formed(ks_str, strlen(ks_str), partner_id)) {
        g_autofree char *why = g_strdup_printf("the KS is not a well-formed KS of partner %s",
                                               partner_id ? partner_id : "(none)");
        return bad_answer(error, what, why);
    }
    long long expiry = 0;
    if (kind == KC_ANSWER_SESSION_INFO) {
        if (!json_int(json_object_get_member(o, "expiry"), &expiry))
            return bad_answer(error, what, "no usable expiry in the answer");
        if (expiry <= now)
            return bad_answer(error, what, KS_EXPIRED);
    }
    char *user = NULL;
    JsonNode *u = json_object_get_member(o, "userId");
    long long uid_num;
    if (u && JSON_NODE_TYPE(u) == JSON_NODE_VALUE && json_node_get_value_type(u) == G_TYPE_STRING) {
        const char *s = json_node_get_string(u);
        if (*s && !kc_text_ok(s, KC_ANSWER_MAX_USERNAME, KC_TEXT_ASCII))
            return bad_answer(error, what,
                              "the user id is not printable ASCII (a newline, a control or a "
                              "non-ASCII character) or is too long");
        user = g_strdup(s);
    } else if (u && json_int(u, &uid_num)) {
        user = g_strdup_printf("%lld", uid_num);
    } else if (u && !JSON_NODE_HOLDS_NULL(u)) {
        return bad_answer(error, what, "userId is neither a string nor a number");
    }
    char *privileges = NULL;
    JsonNode *pv = json_object_get_member(o, "privileges");
    if (pv && JSON_NODE_TYPE(pv) == JSON_NODE_VALUE &&
        json_node_get_value_type(pv) == G_TYPE_STRING) {
        const char *s = json_node_get_string(pv);
        if (!kc_text_ok(s, KC_ANSWER_MAX_PRIVILEGES, KC_TEXT_ASCII)) {
            g_free(user);
            return bad_answer(error, what,
                              "the privileges are not printable ASCII (a newline, a control or "
                              "a non-ASCII character) or are too long");
        }
        privileges = g_strdup(s);
    } else if (pv && !JSON_NODE_HOLDS_NULL(pv)) {
        g_free(user);
        return bad_answer(error, what, "privileges is not a string");
    }
    out->ks = g_strdup(ks_str);
    out->user_id = user;
    out->expiry = expiry;
    out->privileges = privileges;
    return true;
}

/* ---- calls ---- */

/* Parses the answer with the server's clock, and moves its expiry onto ours (README "Security
 * model": expiry = local now + (expiry - server now)). max_lifetime: the most the server may
 * have granted (kc_api_clock_skew). */
static bool parse_answer(struct kc_api *a, enum kc_api_answer kind, const char *what,
                         const char *const *redact, long long max_lifetime, struct kc_session *out,
                         GError **error)
{
    /* G_MININT64: the expiry is checked below, once the server's clock is known */
    if (!kc_api_parse(a->resp, a->resp_len, kind, what, redact, G_MININT64, a->partner_id, out,
                      a->last_code, sizeof a->last_code, error))
        return false;
    if (kind != KC_ANSWER_SESSION_INFO)
        return true;
    long long skew =
        kc_api_clock_skew(a->date, a->sent_us, a->received_us, out->expiry, max_lifetime);
    if (out->expiry <= (long long)time(NULL) + skew) {
        kc_session_clear(out);
        return bad_answer(error, what, KS_EXPIRED);
    }
    out->expiry -= skew;
    return true;
}

static bool call(struct kc_api *a, const char *service, const char *action, struct kc_buf *body,
                 enum kc_api_answer kind, const char *const *redact, long long max_lifetime,
                 struct kc_session *out, GError **error)
{
    g_autofree char *what = g_strdup_printf("%s.%s", service, action);
    a->last_code[0] = '\0';
    a->date = -1;
    form_add(a, body, "format", "1");
    form_add(a, body, "clientTag", CLIENT_TAG);
    bool ok = perform(a, service, action, body, what, error) &&
              parse_answer(a, kind, what, redact, max_lifetime, out, error);
    resp_wipe(a);
    kc_buf_free(body);
    return ok;
}

bool kc_api_start_widget_session(struct kc_api *a, const char *partner_id, long long expiry,
                                 struct kc_session *out, GError **error)
{
    struct kc_buf b = {0};
    g_autofree char *widget = g_strdup_printf("_%s", partner_id);
    g_autofree char *exp = g_strdup_printf("%lld", expiry);
    form_add(a, &b, "widgetId", widget);
    form_add(a, &b, "expiry", exp);
    return call(a, "session", "startWidgetSession", &b, KC_ANSWER_WIDGET, NULL, 0, out, error);
}

bool kc_api_start_app_session(struct kc_api *a, const struct kc_app_session_req *r,
                              struct kc_session *out, GError **error)
{
    struct kc_buf b = {0};
    form_add(a, &b, "ks", r->widget_ks);
    form_add(a, &b, "id", r->id);
    form_add(a, &b, "tokenHash", r->token_hash);
    if (r->user_id)
        form_add(a, &b, "userId", r->user_id);
    if (r->type >= 0) {
        char t[16];
        snprintf(t, sizeof t, "%d", r->type);
        form_add(a, &b, "type", t);
    }
    if (r->expiry > 0) {
        char e[32];
        snprintf(e, sizeof e, "%lld", r->expiry);
        form_add(a, &b, "expiry", e);
    }
    if (r->privileges)
        form_add(a, &b, "sessionPrivileges", r->privileges);
    const char *redact[] = {r->widget_ks, r->token_hash, NULL};
    long long most = r->expiry > 0 ? r->expiry : KC_API_MAX_LIFETIME;
    return call(a, "appToken", "startSession", &b, KC_ANSWER_SESSION_INFO, redact, most, out,
                error);
}

bool kc_api_end_session(struct kc_api *a, const char *ks, GError **error)
{
    struct kc_buf b = {0};
    struct kc_session none = {0};
    form_add(a, &b, "ks", ks);
    const char *redact[] = {ks, NULL};
    return call(a, "session", "end", &b, KC_ANSWER_ANY, redact, 0, &none, error);
}
