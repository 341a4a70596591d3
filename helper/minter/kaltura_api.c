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
#include "kaltura_errors.h"
#include "kc_config.h"
#include "secure_mem.h"
#include "text.h"
#include "trace.h"

#define CLIENT_TAG  "kaltura-credential:" KC_VERSION
#define MAX_RETRIES 2 /* after the first attempt, for 5xx and dropped connections */

struct kc_api {
    CURL *curl;
    struct curl_slist *headers;
    char *service_url;
    int timeout;
    gint64 deadline; /* g_get_monotonic_time() units */
    bool (*cancelled)(void *ctx);
    void *cancel_ctx;
    char *resp; /* KC_API_MAX_RESPONSE + 1 bytes, wiped after every call */
    size_t resp_len;
    bool resp_too_big;
    char errbuf[CURL_ERROR_SIZE];
    char last_code[64];
    char date[64]; /* the last answer's Date header */
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

/* Keeps the Date header (doctor compares the server's clock with ours). */
static size_t on_header(char *data, size_t size, size_t n, void *user)
{
    struct kc_api *a = user;
    size_t len = size * n;
    if (len > 5 && g_ascii_strncasecmp(data, "Date:", 5) == 0) {
        size_t v = 5;
        while (v < len && (data[v] == ' ' || data[v] == '\t'))
            v++;
        size_t end = len;
        while (end > v && (data[end - 1] == '\r' || data[end - 1] == '\n' || data[end - 1] == ' '))
            end--;
        g_strlcpy(a->date, data + v, MIN(sizeof a->date, end - v + 1));
    }
    return len;
}

long long kc_api_server_date(const struct kc_api *a)
{
    time_t t = a->date[0] ? curl_getdate(a->date, NULL) : -1;
    return t > 0 ? (long long)t : 0;
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
    struct kc_api *a = g_new0(struct kc_api, 1);
    a->curl = curl_easy_init();
    if (!a->curl) {
        g_free(a);
        g_set_error(error, KC_ERROR, KC_EXIT_INTERNAL, "cannot initialise libcurl");
        return NULL;
    }
    a->service_url = g_strdup(p->service_url);
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
    if (p->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, p->ca_file);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "kaltura-credential/" KC_VERSION);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, a->headers);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, a->errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
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

static bool retryable(CURLcode rc, long status)
{
    if (rc == CURLE_OK)
        return status >= 500 && status <= 599;
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR ||
           rc == CURLE_SEND_ERROR || rc == CURLE_PARTIAL_FILE;
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

/* POSTs body to service/action; on success a->resp holds a 200 answer. */
static bool perform(struct kc_api *a, const char *service, const char *action,
                    const struct kc_buf *body, const char *what, GError **error)
{
    g_autofree char *url =
        g_strdup_printf("%s/api_v3/service/%s/action/%s", a->service_url, service, action);
    curl_easy_setopt(a->curl, CURLOPT_URL, url);
    curl_easy_setopt(a->curl, CURLOPT_POSTFIELDS, body->p);
    curl_easy_setopt(a->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
    long backoff_ms = 200;
    for (int attempt = 0;; attempt++) {
        long left = remaining_ms(a);
        if (left <= 0)
            return timed_out(a, what, error);
        resp_wipe(a);
        a->errbuf[0] = '\0';
        a->date[0] = '\0';
        curl_easy_setopt(a->curl, CURLOPT_TIMEOUT_MS, left);
        curl_easy_setopt(a->curl, CURLOPT_CONNECTTIMEOUT_MS, left);
        double t0 = kc_trace_ms();
        CURLcode rc = curl_easy_perform(a->curl);
        long status = 0;
        curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &status);
        trace_call(a, what, attempt, rc, status, kc_trace_ms() - t0);
        bool cancelled = a->cancelled && a->cancelled(a->cancel_ctx);
        if (attempt < MAX_RETRIES && !cancelled && retryable(rc, status) &&
            remaining_ms(a) > backoff_ms + 100) {
            g_usleep((gulong)backoff_ms * 1000);
            backoff_ms *= 2;
            continue;
        }
        if (rc != CURLE_OK)
            return transport_error(a, what, rc, error);
        if (status >= 300 && status < 400) {
            char *loc = NULL;
            curl_easy_getinfo(a->curl, CURLINFO_REDIRECT_URL, &loc);
            g_autofree char *safe = shown(loc ? loc : "?", 200);
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
            g_autofree char *safe = shown(type ? type : "nothing", 80);
            g_set_error(error, KC_ERROR, KC_EXIT_BAD_RESPONSE,
                        "%s: unusable answer from %s: labelled %s, not application/json; is "
                        "service_url a Kaltura API server?",
                        what, a->service_url, safe);
            return false;
        }
        return true;
    }
}

/* ---- JSON ---- */

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
                  const char *const *redact, long long now, struct kc_session *out, char *code,
                  size_t code_size, GError **error)
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
    if (!kc_text_ok(ks_str, KC_ANSWER_MAX_KS, KC_TEXT_NONEMPTY | KC_TEXT_NO_SPACE))
        return bad_answer(error, what,
                          "the KS is empty, too long, or contains a newline or control character");
    long long expiry = 0;
    if (kind == KC_ANSWER_SESSION_INFO) {
        if (!json_int(json_object_get_member(o, "expiry"), &expiry))
            return bad_answer(error, what, "no usable expiry in the answer");
        if (expiry <= now)
            return bad_answer(error, what,
                              "the new KS has already expired (check this machine's clock)");
    }
    char *user = NULL;
    JsonNode *u = json_object_get_member(o, "userId");
    long long uid_num;
    if (u && JSON_NODE_TYPE(u) == JSON_NODE_VALUE && json_node_get_value_type(u) == G_TYPE_STRING) {
        const char *s = json_node_get_string(u);
        if (*s && !kc_text_ok(s, KC_ANSWER_MAX_USERNAME, KC_TEXT_ANY))
            return bad_answer(error, what, "the user id contains a newline or is too long");
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
        if (!kc_text_ok(s, KC_ANSWER_MAX_PRIVILEGES, KC_TEXT_ANY)) {
            g_free(user);
            return bad_answer(error, what, "the privileges contain a newline or are too long");
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

static bool call(struct kc_api *a, const char *service, const char *action, struct kc_buf *body,
                 enum kc_api_answer kind, const char *const *redact, struct kc_session *out,
                 GError **error)
{
    g_autofree char *what = g_strdup_printf("%s.%s", service, action);
    a->last_code[0] = '\0';
    form_add(a, body, "format", "1");
    form_add(a, body, "clientTag", CLIENT_TAG);
    bool ok = perform(a, service, action, body, what, error) &&
              kc_api_parse(a->resp, a->resp_len, kind, what, redact, (long long)time(NULL), out,
                           a->last_code, sizeof a->last_code, error);
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
    return call(a, "session", "startWidgetSession", &b, KC_ANSWER_WIDGET, NULL, out, error);
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
    return call(a, "appToken", "startSession", &b, KC_ANSWER_SESSION_INFO, redact, out, error);
}

bool kc_api_end_session(struct kc_api *a, const char *ks, GError **error)
{
    struct kc_buf b = {0};
    struct kc_session none = {0};
    form_add(a, &b, "ks", ks);
    const char *redact[] = {ks, NULL};
    return call(a, "session", "end", &b, KC_ANSWER_ANY, redact, &none, error);
}
