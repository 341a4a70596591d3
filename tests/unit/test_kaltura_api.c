/* Parsing of api_v3 JSON answers: KalturaSessionInfo, widget sessions, exceptions. The
 * profile's partner is 12345, the partner of the test vectors (ks_forge.h). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "contract.h"
#include "kaltura_api.h"
#include "ks_forge.h"
#include "capture.h"
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
    return kc_api_parse(body, strlen(body), kind, "appToken.startSession", redact, NOW, "12345", &s,
                        code, sizeof code, &err);
}

/* A KalturaSessionInfo body with this ks (raw JSON string contents) and userId member. */
static char *info(const char *ks_json, const char *user_member)
{
    return g_strdup_printf("{\"ks\":\"%s\",\"expiry\":1700000100%s%s}", ks_json,
                           user_member ? "," : "", user_member ? user_member : "");
}

/* KS_VECTOR_V2 with text put in after byte at. */
static char *ks_with(size_t at, const char *text)
{
    return g_strdup_printf("%.*s%s%s", (int)at, KS_VECTOR_V2, text, &KS_VECTOR_V2[at]);
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

static void test_ks_and_user_shape(void)
{
    char *b, *k;
    /* item 7 of the security review: a server can send what Unicode line splitters break at */
    const char *breaks[][2] = {{"\\u2028", "U+2028 escaped"},
                               {"\xe2\x80\xa8", "U+2028 raw"},
                               {"\\u0085", "U+0085 escaped"},
                               {"\xc2\x85", "U+0085 raw"},
                               {"\\u00e9", "U+00E9"}};
    for (size_t i = 0; i < G_N_ELEMENTS(breaks); i++) {
        k = ks_with(30, breaks[i][0]);
        b = info(k, NULL);
        bad(b, KC_ANSWER_SESSION_INFO, breaks[i][1]);
        tap_ok(err && strstr(err->message, "non-ASCII"), "... said so (%s)",
               err ? err->message : "-");
        g_free(b);
        g_free(k);
        g_autofree char *user = g_strdup_printf("\"userId\":\"bob%spassword=x\"", breaks[i][0]);
        b = info(KS_VECTOR_V2, user);
        bad(b, KC_ANSWER_SESSION_INFO, "userId with");
        tap_ok(err && strstr(err->message, "printable ASCII"), "... %s in the userId (%s)",
               breaks[i][1], err ? err->message : "-");
        g_free(b);
    }
    /* a well-formed KS, but another partner's: not what we asked for */
    k = ks_forge_v2("54321", 7, 64);
    b = info(k, NULL);
    bad(b, KC_ANSWER_SESSION_INFO, "a KS of partner 54321");
    tap_ok(err && strstr(err->message, "partner 12345"), "... names the partner (%s)",
           err ? err->message : "-");
    g_free(b);
    g_free(k);
    k = ks_forge_v1(NULL, "54321;54321;1700000100;0;1;;;;");
    b = info(k, NULL);
    bad(b, KC_ANSWER_SESSION_INFO, "a v1 KS of partner 54321");
    g_free(b);
    g_free(k);
    b = g_strdup_printf("{\"partnerId\":54321,\"ks\":\"%s\",\"userId\":0}", KS_VECTOR_V2);
    kc_session_clear(&s);
    g_clear_error(&err);
    tap_ok(!kc_api_parse(b, strlen(b), KC_ANSWER_WIDGET, "session.startWidgetSession", NULL, NOW,
                         "54321", &s, NULL, 0, &err) &&
               err_code() == KC_EXIT_BAD_RESPONSE,
           "a widget KS of another partner: refused too");
    g_free(b);
    bad("{\"ks\":\"djJ8abc\",\"expiry\":1700000100}", KC_ANSWER_SESSION_INFO,
        "printable, but no KS");
    b = info(KS_VECTOR_V1, "\"userId\":\"alice@example.com\"");
    tap_ok(parse(b, KC_ANSWER_SESSION_INFO) && strcmp(s.ks, KS_VECTOR_V1) == 0 &&
               strcmp(s.user_id, "alice@example.com") == 0,
           "a v1 KS of partner 12345 and an ASCII user id: accepted");
    g_free(b);
}

/* A 64 KiB answer of nested '[' parsed on a thread of 2 MiB of stack, as the widget KS is
 * (mint.c): refused before json-glib recurses into it (security review item 8). */
static void *deep_parse(void *arg)
{
    (void)arg;
    char *body = tap_repeat('[', KC_API_MAX_RESPONSE);
    size_t half = KC_API_MAX_RESPONSE / 2;
    memset(body + half, ']', half); /* well-formed: 32 Ki levels */
    GError *e = NULL;
    struct kc_session w = {0};
    bool ok = kc_api_parse(body, KC_API_MAX_RESPONSE, KC_ANSWER_WIDGET,
                           "session.startWidgetSession", NULL, NOW, "12345", &w, NULL, 0, &e);
    tap_ok(!ok && e && e->code == KC_EXIT_BAD_RESPONSE && strstr(e->message, "nested"),
           "32 Ki levels of nesting on a 2 MiB stack: refused, no crash (%s)",
           e ? e->message : "accepted");
    g_clear_error(&e);
    free(body);
    return NULL;
}

static void test_deep_nesting(void)
{
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 2 * 1024 * 1024);
    TAP_CHECK(pthread_create(&t, &attr, deep_parse, NULL) == 0 && pthread_join(t, NULL) == 0);
    pthread_attr_destroy(&attr);
    /* an exception with a message of brackets: fine up to the bound */
    char *b = g_strdup_printf("{\"code\":\"INVALID_WIDGET_ID\",\"message\":\"Unknown widget "
                              "[_1] %s\",\"objectType\":\"KalturaAPIException\",\"args\":{}}",
                              "[[[[[[[[[[[[[[[[[[[[[[[[[[[[");
    tap_ok(!parse(b, KC_ANSWER_SESSION_INFO) && err_code() == KC_EXIT_REJECTED,
           "32 openers: parsed (an exception)");
    g_free(b);
    b = g_strdup_printf("{\"ks\":\"%s\",\"expiry\":1700000100,\"x\":[ 'x\"', %s1%s, '\"' ]}",
                        KS_VECTOR_V2, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
                        "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
    bad(b, KC_ANSWER_SESSION_INFO, "34 levels, behind a single-quoted string with a '\"'");
    g_free(b);
}

/* kc_api_new on a plain-http profile off loopback: only with allow_insecure, and only then
 * does the warning name allow_insecure (security review item 1). Returns the stderr text. */
static char *api_new_stderr(bool allow_insecure, bool *made)
{
    struct kc_profile p = {.name = (char *)"p",
                           .service_url = (char *)"http://192.0.2.2",
                           .protocol = (char *)"http",
                           .host = (char *)"192.0.2.2",
                           .hostname = (char *)"192.0.2.2",
                           .partner_id = (char *)"12345",
                           .timeout = 5,
                           .allow_insecure = allow_insecure};
    struct capture c;
    char buf[1024];
    GError *e = NULL;
    capture_begin(&c, 2);
    struct kc_api *a = kc_api_new(&p, &e);
    capture_end(&c, buf, sizeof buf);
    *made = a != NULL;
    kc_api_free(a);
    /* one line: it goes into a TAP description */
    char *out = g_strdelimit(g_strdup_printf("%s%s", buf, e ? e->message : ""), "\n", ' ');
    tap_ok(allow_insecure || (e && e->code == KC_EXIT_CONFIG), "error code %d", e ? e->code : -1);
    g_clear_error(&e);
    return out;
}

static void test_insecure_wording(void)
{
    bool made;
    g_autofree char *with = api_new_stderr(true, &made);
    tap_ok(made && strstr(with, "(allow_insecure)") && strstr(with, "unencrypted"),
           "allow_insecure set: warned, naming it (%s)", with);
    g_autofree char *without = api_new_stderr(false, &made);
    tap_ok(!made && !strstr(without, "(allow_insecure)"),
           "allow_insecure not set: refused (exit 4), the warning's wording never used (%s)",
           without);
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
    char *b;
    test_clock_skew();
    tap_ok(parse("{\"ks\":\"" KS_VECTOR_V2 "\",\"sessionType\":0,\"partnerId\":12345,"
                 "\"userId\":\"bob\",\"expiry\":1700000100,\"privileges\":\"x\","
                 "\"objectType\":\"KalturaSessionInfo\"}",
                 KC_ANSWER_SESSION_INFO) &&
               strcmp(s.ks, KS_VECTOR_V2) == 0 && strcmp(s.user_id, "bob") == 0 &&
               s.expiry == 1700000100 && s.privileges != NULL && strcmp(s.privileges, "x") == 0,
           "session info with JSON numbers, privileges kept");
    tap_ok(parse("{\"ks\":\"" KS_VECTOR_V2 "\",\"partnerId\":\"12345\",\"expiry\":\"1700000100\"}",
                 KC_ANSWER_SESSION_INFO) &&
               s.expiry == 1700000100 && s.user_id == NULL && s.privileges == NULL,
           "numeric strings, no userId, no privileges");
    {
        /* the vector in the standard alphabet, its '/'s escaped, its 'd' a \u escape */
        GString *ks = g_string_new("\\u0064");
        for (const char *c = &KS_VECTOR_V2[1]; *c; c++)
            g_string_append(ks, *c == '_' ? "\\/" : *c == '-' ? "+" : (char[2]){*c, 0});
        b = g_strdup_printf("{\"ks\":\"%s\",\"expiry\":1700000100.0}", ks->str);
        tap_ok(parse(b, KC_ANSWER_SESSION_INFO) && s.ks[0] == 'd' && strchr(s.ks, '/') &&
                   !strchr(s.ks, '\\') && s.expiry == 1700000100,
               "\\/ and \\u escapes decoded, integral double accepted");
        g_free(b);
        g_string_free(ks, TRUE);
    }
    tap_ok(parse("{\"partnerId\":12345,\"ks\":\"" KS_VECTOR_V2 "\",\"userId\":0,"
                 "\"objectType\":\"KalturaStartWidgetSessionResponse\"}",
                 KC_ANSWER_WIDGET) &&
               strcmp(s.ks, KS_VECTOR_V2) == 0 && strcmp(s.user_id, "0") == 0 && s.expiry == 0,
           "widget session: userId number 0 becomes \"0\"");
    tap_ok(parse("{\"ks\":\"" KS_VECTOR_V2 "\",\"expiry\":1700000100,\"userId\":null}",
                 KC_ANSWER_SESSION_INFO) &&
               s.user_id == NULL,
           "userId null is no user");
    tap_ok(parse("null", KC_ANSWER_ANY), "session.end: null is success");
    test_ks_and_user_shape();
    test_insecure_wording();
    test_deep_nesting();

    bad("{\"expiry\":1700000100}", KC_ANSWER_SESSION_INFO, "missing ks");
    /* regressions (fuzz_api_parse): non-string objectType/code/message, a huge double expiry */
    tap_ok(parse("{\"objectType\":1}", KC_ANSWER_ANY), "objectType 1 is not an exception");
    tap_ok(parse("{\"ks\":\"" KS_VECTOR_V2 "\",\"objectType\":{}}", KC_ANSWER_WIDGET) &&
               strcmp(s.ks, KS_VECTOR_V2) == 0,
           "objectType an object: not an exception, the ks is used");
    bad("{\"objectType\":[1]}", KC_ANSWER_SESSION_INFO, "objectType an array, no ks");
    tap_ok(!parse("{\"objectType\":\"KalturaAPIException\",\"code\":5,\"message\":{}}",
                  KC_ANSWER_ANY) &&
               err_code() == KC_EXIT_REJECTED && strstr(err->message, "UNKNOWN_ERROR"),
           "exception with a number code and an object message: rejected, no crash");
    tap_ok(!parse("{\"code\":null,\"message\":[]}", KC_ANSWER_ANY) &&
               err_code() == KC_EXIT_REJECTED,
           "untyped exception with null code: rejected, no crash");
    bad("{\"ks\":\"" KS_VECTOR_V2 "\",\"expiry\":1e300}", KC_ANSWER_SESSION_INFO, "expiry 1e300");
    bad("{\"ks\":\"" KS_VECTOR_V2 "\",\"expiry\":-1e300}", KC_ANSWER_SESSION_INFO, "expiry -1e300");
    bad("{\"ks\":\"" KS_VECTOR_V2 "\"}", KC_ANSWER_SESSION_INFO, "missing expiry");
    bad("{\"ks\":12,\"expiry\":1700000100}", KC_ANSWER_SESSION_INFO, "ks not a string");
    bad("{\"ks\":\"\",\"expiry\":1700000100}", KC_ANSWER_SESSION_INFO, "empty ks");
    bad("{\"ks\":\"ab\\ncd\",\"expiry\":1700000100}", KC_ANSWER_SESSION_INFO, "newline in ks");
    bad("{\"ks\":\"ab\\rcd\",\"expiry\":1700000100}", KC_ANSWER_SESSION_INFO, "CR in ks");
    bad("{\"ks\":\"ab\\u0000cd\",\"expiry\":1700000100}", KC_ANSWER_SESSION_INFO, "\\u0000 in ks");
    bad("{\"ks\":\"ab cd\",\"expiry\":1700000100}", KC_ANSWER_SESSION_INFO, "space in ks");
    b = info(KS_VECTOR_V2, "\"userId\":\"a\\nb\"");
    bad(b, KC_ANSWER_SESSION_INFO, "newline in userId");
    g_free(b);
    b = info(KS_VECTOR_V2, "\"userId\":{}");
    bad(b, KC_ANSWER_SESSION_INFO, "userId an object");
    g_free(b);
    b = info(KS_VECTOR_V2, "\"userId\":\"u\",\"privileges\":\"a\\nb\"");
    bad(b, KC_ANSWER_SESSION_INFO, "newline in privileges");
    g_free(b);
    b = info(KS_VECTOR_V2, "\"privileges\":\"view:\xc3\xa9\"");
    bad(b, KC_ANSWER_SESSION_INFO, "non-ASCII privileges");
    g_free(b);
    b = info(KS_VECTOR_V2, "\"privileges\":7");
    bad(b, KC_ANSWER_SESSION_INFO, "privileges a number");
    g_free(b);
    bad("{\"ks\":\"" KS_VECTOR_V2 "\",\"expiry\":1699999999}", KC_ANSWER_SESSION_INFO,
        "expiry in the past");
    bad("{\"ks\":\"" KS_VECTOR_V2 "\",\"expiry\":\"17x\"}", KC_ANSWER_SESSION_INFO,
        "expiry not numeric");
    bad("{\"ks\":\"" KS_VECTOR_V2 "\",\"expiry\":1.5}", KC_ANSWER_SESSION_INFO,
        "expiry fractional");
    bad("<html>nope</html>", KC_ANSWER_SESSION_INFO, "not JSON");
    bad("{\"ks\":\"" KS_VECTOR_V2 "\",\"expiry\":17", KC_ANSWER_SESSION_INFO, "truncated JSON");
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
        bool ok = kc_api_parse(body, sizeof body - 1, KC_ANSWER_SESSION_INFO, "x", NULL, NOW,
                               "12345", &s, NULL, 0, &err);
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
