/* Parsing of api_v3 JSON answers: KalturaSessionInfo, widget sessions, exceptions. */
#include <string.h>

#include "contract.h"
#include "kaltura_api.h"
#include "tap.h"

#define NOW 1700000000LL

static GError *err;
static struct kc_session s;
static char code[64];

static bool parse(const char *body, enum kc_api_answer kind)
{
    kc_session_clear(&s);
    g_clear_error(&err);
    const char *redact[] = {"SECRETKS", NULL};
    return kc_api_parse(body, strlen(body), kind, "appToken.startSession", redact, NOW, &s, code,
                        sizeof code, &err);
}

static int err_code(void)
{
    return err ? err->code : -1;
}

static void bad(const char *body, enum kc_api_answer kind, const char *what)
{
    bool ok = parse(body, kind);
    tap_ok(!ok && err_code() == KC_EXIT_BAD_RESPONSE, "bad response: %s (%s)", what,
           err ? err->message : "accepted");
}

/* kc_api_clock_skew. T: our clock when the request left (s); a KS of 600 s. */
#define T       1700000000LL
#define US      1000000LL
#define LONGEST KC_API_MAX_LIFETIME

static long long skew(long long date, double sent_after_t, double rtt)
{
    gint64 sent = (gint64)((double)(T * US) + sent_after_t * US);
    return kc_api_clock_skew(date, sent, sent + (gint64)(rtt * US), date + 600, LONGEST);
}

static void test_clock_skew(void)
{
    tap_ok(skew(-1, 0.3, 0.1) == 0, "no Date: our clock (skew 0)");
    /* The clocks agree: Date is T (truncated) whether we sent at T+0.0 or T+0.9. */
    tap_ok(skew(T, 0.0, 0.05) == 0 && skew(T, 0.9, 0.05) == 0 && skew(T, 0.99, 0.5) == 0,
           "agreeing clocks: skew 0 (Date's 1 s resolution is no skew)");
    tap_ok(skew(T + 1, 0.9, 0.2) == 0, "Date a second on, within the round trip: skew 0");
    /* The server 3600 s ahead: its clock minus ours is in [3600 - rtt, 3601); the estimate
     * never lets a KS outlive its real end. */
    long long a = skew(T + 3600, 0.5, 0.1);
    tap_ok(a >= 3600 && a <= 3601, "server an hour ahead: skew %lld (3600..3601)", a);
    long long b = skew(T - 3600, 0.5, 0.1);
    tap_ok(b >= -3600 && b <= -3599, "server an hour behind: skew %lld (-3600..-3599)", b);
    tap_ok(skew(T - 86400 * 400, 0.2, 0.1) <= -86400 * 400 + 1,
           "a year and more: corrected all the same (a dead RTC, a restored VM snapshot)");
    /* Date inconsistent with the expiry: a KS of 600 s that the Date says lives 1 h. */
    gint64 sent = T * US;
    tap_ok(kc_api_clock_skew(T - 3600, sent, sent, T + 600, 600) == 0,
           "a Date that would make the KS outlive what was asked: ignored (skew 0)");
    tap_ok(kc_api_clock_skew(T - 3600, sent, sent, T - 3600 + 602, 600) == -3599,
           "a KS of exactly what was asked (+2 s for rounding): corrected");
    tap_ok(kc_api_clock_skew(0, sent, sent, T + 600, LONGEST) == 0,
           "Date 1970 with a KS of 53 years: not the KS's clock (skew 0)");
}

int main(void)
{
    test_clock_skew();
    tap_ok(
        parse("{\"ks\":\"djJ8abc\",\"sessionType\":0,\"partnerId\":12345,\"userId\":\"bob\","
              "\"expiry\":1700000100,\"privileges\":\"x\",\"objectType\":\"KalturaSessionInfo\"}",
              KC_ANSWER_SESSION_INFO) &&
            strcmp(s.ks, "djJ8abc") == 0 && strcmp(s.user_id, "bob") == 0 &&
            s.expiry == 1700000100 && s.privileges != NULL && strcmp(s.privileges, "x") == 0,
        "session info with JSON numbers, privileges kept");
    tap_ok(parse("{\"ks\":\"djJ8abc\",\"partnerId\":\"12345\",\"expiry\":\"1700000100\"}",
                 KC_ANSWER_SESSION_INFO) &&
               s.expiry == 1700000100 && s.user_id == NULL && s.privileges == NULL,
           "numeric strings, no userId, no privileges");
    tap_ok(parse("{\"ks\":\"djJ8\\/ab\\u0063\",\"expiry\":1700000100.0}", KC_ANSWER_SESSION_INFO) &&
               strcmp(s.ks, "djJ8/abc") == 0 && s.expiry == 1700000100,
           "\\/ and \\u escapes decoded, integral double accepted");
    tap_ok(parse("{\"partnerId\":12345,\"ks\":\"djJ8w\",\"userId\":0,"
                 "\"objectType\":\"KalturaStartWidgetSessionResponse\"}",
                 KC_ANSWER_WIDGET) &&
               strcmp(s.ks, "djJ8w") == 0 && strcmp(s.user_id, "0") == 0 && s.expiry == 0,
           "widget session: userId number 0 becomes \"0\"");
    tap_ok(parse("{\"ks\":\"k\",\"expiry\":1700000100,\"userId\":null}", KC_ANSWER_SESSION_INFO) &&
               s.user_id == NULL,
           "userId null is no user");
    tap_ok(parse("null", KC_ANSWER_ANY), "session.end: null is success");

    bad("{\"expiry\":1700000100}", KC_ANSWER_SESSION_INFO, "missing ks");
    /* regressions (fuzz_api_parse): non-string objectType/code/message, a huge double expiry */
    tap_ok(parse("{\"objectType\":1}", KC_ANSWER_ANY), "objectType 1 is not an exception");
    tap_ok(parse("{\"ks\":\"k\",\"objectType\":{}}", KC_ANSWER_WIDGET) && strcmp(s.ks, "k") == 0,
           "objectType an object: not an exception, the ks is used");
    bad("{\"objectType\":[1]}", KC_ANSWER_SESSION_INFO, "objectType an array, no ks");
    tap_ok(!parse("{\"objectType\":\"KalturaAPIException\",\"code\":5,\"message\":{}}",
                  KC_ANSWER_ANY) &&
               err_code() == KC_EXIT_REJECTED && strstr(err->message, "UNKNOWN_ERROR"),
           "exception with a number code and an object message: rejected, no crash");
    tap_ok(!parse("{\"code\":null,\"message\":[]}", KC_ANSWER_ANY) &&
               err_code() == KC_EXIT_REJECTED,
           "untyped exception with null code: rejected, no crash");
    bad("{\"ks\":\"k\",\"expiry\":1e300}", KC_ANSWER_SESSION_INFO, "expiry 1e300");
    bad("{\"ks\":\"k\",\"expiry\":-1e300}", KC_ANSWER_SESSION_INFO, "expiry -1e300");
    bad("{\"ks\":\"k\"}", KC_ANSWER_SESSION_INFO, "missing expiry");
    bad("{\"ks\":12,\"expiry\":1700000100}", KC_ANSWER_SESSION_INFO, "ks not a string");
    bad("{\"ks\":\"\",\"expiry\":1700000100}", KC_ANSWER_SESSION_INFO, "empty ks");
    bad("{\"ks\":\"ab\\ncd\",\"expiry\":1700000100}", KC_ANSWER_SESSION_INFO, "newline in ks");
    bad("{\"ks\":\"ab\\rcd\",\"expiry\":1700000100}", KC_ANSWER_SESSION_INFO, "CR in ks");
    bad("{\"ks\":\"ab\\u0000cd\",\"expiry\":1700000100}", KC_ANSWER_SESSION_INFO, "\\u0000 in ks");
    bad("{\"ks\":\"ab cd\",\"expiry\":1700000100}", KC_ANSWER_SESSION_INFO, "space in ks");
    bad("{\"ks\":\"k\",\"expiry\":1700000100,\"userId\":\"a\\nb\"}", KC_ANSWER_SESSION_INFO,
        "newline in userId");
    bad("{\"ks\":\"k\",\"expiry\":1700000100,\"userId\":{}}", KC_ANSWER_SESSION_INFO,
        "userId an object");
    bad("{\"ks\":\"k\",\"expiry\":1700000100,\"userId\":\"u\",\"privileges\":\"a\\nb\"}",
        KC_ANSWER_SESSION_INFO, "newline in privileges");
    bad("{\"ks\":\"k\",\"expiry\":1700000100,\"privileges\":7}", KC_ANSWER_SESSION_INFO,
        "privileges a number");
    bad("{\"ks\":\"k\",\"expiry\":1699999999}", KC_ANSWER_SESSION_INFO, "expiry in the past");
    bad("{\"ks\":\"k\",\"expiry\":\"17x\"}", KC_ANSWER_SESSION_INFO, "expiry not numeric");
    bad("{\"ks\":\"k\",\"expiry\":1.5}", KC_ANSWER_SESSION_INFO, "expiry fractional");
    bad("<html>nope</html>", KC_ANSWER_SESSION_INFO, "not JSON");
    bad("{\"ks\":\"k\",\"expiry\":17", KC_ANSWER_SESSION_INFO, "truncated JSON");
    bad("\"djJ8\"", KC_ANSWER_SESSION_INFO, "a bare string");
    bad("{\"ks\":\"\xff\xfe\",\"expiry\":1700000100}", KC_ANSWER_SESSION_INFO, "invalid UTF-8");
    {
        GString *big = g_string_new("{\"ks\":\"");
        for (int i = 0; i < KC_ANSWER_MAX_KS + 1; i++)
            g_string_append_c(big, 'a');
        g_string_append(big, "\",\"expiry\":1700000100}");
        bad(big->str, KC_ANSWER_SESSION_INFO, "ks over 16 KiB");
        g_string_free(big, TRUE);
    }
    {
        const char body[] = "{\"ks\":\"ab\0cd\",\"expiry\":1700000100}";
        kc_session_clear(&s);
        g_clear_error(&err);
        bool ok = kc_api_parse(body, sizeof body - 1, KC_ANSWER_SESSION_INFO, "x", NULL, NOW, &s,
                               NULL, 0, &err);
        tap_ok(!ok && err_code() == KC_EXIT_BAD_RESPONSE, "raw NUL byte in the body");
    }

    bool ok = parse("{\"code\":\"INVALID_APP_TOKEN_HASH\",\"message\":\"Invalid application token "
                    "hash\",\"objectType\":\"KalturaAPIException\",\"args\":[]}",
                    KC_ANSWER_SESSION_INFO);
    tap_ok(!ok && err_code() == KC_EXIT_REJECTED && strcmp(code, "INVALID_APP_TOKEN_HASH") == 0 &&
               strstr(err->message, "INVALID_APP_TOKEN_HASH: ") &&
               strstr(err->message, "hash_function"),
           "exception: rejected with code and meaning (%s)", err ? err->message : "-");
    ok = parse("{\"code\":\"INVALID_KS\",\"message\":\"Invalid KS \\\"SECRETKS\\\", Error "
               "\\\"-1,INVALID_STR\\\"\",\"objectType\":\"KalturaAPIException\"}",
               KC_ANSWER_ANY);
    tap_ok(!ok && err_code() == KC_EXIT_REJECTED && !strstr(err->message, "SECRETKS"),
           "an echoed KS is redacted from the message");
    ok = parse("{\"code\":\"SERVICE_FORBIDDEN\",\"message\":\"m\"}", KC_ANSWER_SESSION_INFO);
    tap_ok(!ok && err_code() == KC_EXIT_REJECTED, "exception without objectType");
    kc_session_clear(&s);
    g_clear_error(&err);
    return tap_done();
}
