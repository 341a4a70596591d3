/* Profile selection for a request (minter/select.c, README "Commands"). */
#include <string.h>

#include "config.h"
#include "contract.h"
#include "select.h"
#include "tap.h"

static GError *err;

static struct kc_config *load(const char *text)
{
    const char *texts[] = {text};
    const char *src[] = {"t.conf"};
    g_clear_error(&err);
    return kc_config_load_data(texts, src, 1, &err);
}

static void sel(struct kc_config *c, const char *arg, const char *rprof, const char *proto,
                const char *host, enum kc_select want, const char *want_name, int want_code)
{
    const struct kc_profile *p = NULL;
    g_clear_error(&err);
    enum kc_select got = kc_config_select(c, arg, rprof, proto, host, &p, &err);
    bool ok = got == want;
    if (ok && want == KC_SELECT_OK)
        ok = p && strcmp(p->name, want_name) == 0;
    if (ok && want == KC_SELECT_ERROR)
        ok = err && err->code == want_code && (!want_name || strstr(err->message, want_name));
    tap_ok(ok, "select arg=%s profile=%s %s://%s -> %s", arg ? arg : "-", rprof ? rprof : "-",
           proto ? proto : "-", host ? host : "-",
           got == KC_SELECT_OK           ? (p ? p->name : "?")
           : got == KC_SELECT_NOT_SERVED ? "not served"
                                         : (err ? err->message : "?"));
}

static void test_select(void)
{
    struct kc_config *c = load("[default]\n"
                               "[a]\nservice_url=https://a.example\n"
                               "[b]\nservice_url=https://a.example/other\n"
                               "[c]\nservice_url=http://localhost:8080\n");
    sel(c, NULL, NULL, NULL, NULL, KC_SELECT_OK, "default", 0);
    sel(c, NULL, NULL, "https", "www.kaltura.com", KC_SELECT_OK, "default", 0);
    sel(c, NULL, NULL, "https", "WWW.Kaltura.com:443", KC_SELECT_OK, "default", 0);
    sel(c, NULL, NULL, "http", "localhost:8080", KC_SELECT_OK, "c", 0);
    sel(c, NULL, NULL, NULL, "localhost:8080", KC_SELECT_OK, "c", 0);
    sel(c, NULL, NULL, "https", "localhost:8080", KC_SELECT_NOT_SERVED, NULL, 0);
    sel(c, NULL, NULL, "https", "github.com", KC_SELECT_NOT_SERVED, NULL, 0);
    sel(c, NULL, NULL, "https", "a.example", KC_SELECT_ERROR, "'a', 'b'", KC_EXIT_CONFIG);
    sel(c, NULL, "b", "https", "a.example", KC_SELECT_OK, "b", 0);
    sel(c, "a", "b", "https", "a.example", KC_SELECT_OK, "a", 0);
    sel(c, NULL, "c", "https", "github.com", KC_SELECT_NOT_SERVED, NULL, 0);
    sel(c, NULL, "c", NULL, NULL, KC_SELECT_OK, "c", 0);
    sel(c, NULL, "nope", NULL, NULL, KC_SELECT_ERROR, "nope", KC_EXIT_NO_PROFILE);
    sel(c, "../x", NULL, NULL, NULL, KC_SELECT_ERROR, NULL, KC_EXIT_USAGE);
    /* protocol but no host (CVE-2020-11008's request shape): nobody's KS, whatever names the
     * profile; only a request naming neither falls back to default (design.md 3.4). */
    sel(c, NULL, NULL, "https", NULL, KC_SELECT_NOT_SERVED, NULL, 0);
    sel(c, NULL, NULL, "https", "", KC_SELECT_NOT_SERVED, NULL, 0);
    sel(c, NULL, NULL, "", NULL, KC_SELECT_NOT_SERVED, NULL, 0);
    sel(c, NULL, "c", "http", NULL, KC_SELECT_NOT_SERVED, NULL, 0);
    sel(c, "c", NULL, "http", NULL, KC_SELECT_NOT_SERVED, NULL, 0);
    kc_config_free(c);

    c = load("[default]\nservice_url=https://a.example\n[a]\nservice_url=https://a.example\n");
    sel(c, NULL, NULL, "https", "a.example", KC_SELECT_OK, "default", 0);
    kc_config_free(c);
    c = load("[x]\npartner_id=1\n");
    sel(c, NULL, NULL, NULL, NULL, KC_SELECT_ERROR, "default", KC_EXIT_NO_PROFILE);
    kc_config_free(c);
}

int main(void)
{
    test_select();
    g_clear_error(&err);
    return tap_done();
}
