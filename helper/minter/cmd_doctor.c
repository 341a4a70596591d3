/* doctor: checks the setup end to end, one line per check with what to do (README
 * "Troubleshooting"): the config files and their problems, the profile, the cache directory,
 * the proxy in effect, the session bus, the Secret Service and its default collection
 * (doctor_keyring.c), the token, the service URL over TLS (a widget session: no token needed)
 * and the server's clock against ours (its Date header). Exit status: the code of the first
 * failed check (contract.h), 0 when none failed. Never prints a secret: the token is looked
 * up and wiped, the widget KS wiped unprinted. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cache.h"
#include "contract.h"
#include "doctor.h"
#include "handlers.h"
#include "kaltura_api.h"
#include "keyring.h"
#include "proxy.h"
#include "select.h"

#define CLOCK_SKEW_OK 60 /* seconds: more is worth a warning */

void kc_report(struct kc_report *r, enum kc_check state, int code, const char *fmt, ...)
{
    static const char *const word[] = {"ok", "warn", "fail", "skip"};
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_strdelimit(text, "\r\n", ' '); /* one line per check, always */
    printf("%-4s  %s\n", word[state], text);
    fflush(stdout);
    if (state == KC_CHECK_FAIL && r->first_failure == KC_EXIT_OK)
        r->first_failure = code != KC_EXIT_OK ? code : KC_EXIT_INTERNAL;
}

/* ---- config and profile ---- */

static void collect_warning(const char *msg, void *ctx)
{
    g_ptr_array_add(ctx, g_strdup(msg));
}

static struct kc_config *config_check(struct kc_report *r, const struct kc_cli *cli)
{
    struct kc_config_paths paths;
    if (kc_config_paths_get(cli->config, &paths) != 0) {
        kc_report(r, KC_CHECK_FAIL, KC_EXIT_CONFIG,
                  "config: HOME is not set, so the user file cannot be found; set HOME or use "
                  "--config FILE");
        return NULL;
    }
    for (size_t i = 0; i < paths.n; i++) {
        struct stat st;
        bool there = stat(paths.files[i], &st) == 0;
        kc_report(r, KC_CHECK_OK, 0, "config: %s: %s%s", paths.files[i],
                  there ? "present" : "not present",
                  paths.is_override ? " (--config or KALTURA_CREDENTIAL_CONFIG)" : "");
    }
    kc_config_paths_clear(&paths);
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    GError *e = NULL;
    kc_config_set_warning_sink(collect_warning, warnings);
    struct kc_config *cfg = kc_config_load(cli->config, &e);
    kc_config_set_warning_sink(NULL, NULL);
    if (!cfg) {
        kc_report(r, KC_CHECK_FAIL, e->code, "%s", e->message);
        g_error_free(e);
        return NULL;
    }
    for (guint i = 0; i < warnings->len; i++)
        kc_report(r, KC_CHECK_WARN, 0,
                  "%s; remove the key, or correct its name (kaltura-credential "
                  "--help lists the keys)",
                  (const char *)g_ptr_array_index(warnings, i));
    g_autoptr(GString) names = g_string_new(NULL);
    for (guint i = 0; i < cfg->profiles->len; i++)
        g_string_append_printf(names, "%s%s", i ? ", " : "",
                               ((struct kc_profile *)g_ptr_array_index(cfg->profiles, i))->name);
    kc_report(r, KC_CHECK_OK, 0, "config: %u profile%s%s%s", cfg->profiles->len,
              cfg->profiles->len == 1 ? "" : "s", names->len ? ": " : "", names->str);
    return cfg;
}

static const struct kc_profile *profile_check(struct kc_report *r, const struct kc_config *cfg,
                                              const char *name)
{
    const struct kc_profile *p = NULL;
    GError *e = NULL;
    if (kc_config_select(cfg, name, NULL, NULL, NULL, &p, &e) != KC_SELECT_OK) {
        kc_report(r, KC_CHECK_FAIL, e ? e->code : KC_EXIT_NO_PROFILE, "profile: %s",
                  e ? e->message : "none selected");
        g_clear_error(&e);
        return NULL;
    }
    if (!kc_profile_complete(p, &e)) {
        kc_report(r, KC_CHECK_FAIL, e->code, "profile '%s': %s", p->name, e->message);
        g_error_free(e);
        return NULL;
    }
    kc_report(r, KC_CHECK_OK, 0, "profile '%s': %s, partner %s, app token %s (%s)", p->name,
              p->service_url, p->partner_id, p->app_token_id, kc_hash_name(p->hash));
    return p;
}

/* ---- cache and proxy ---- */

static void cache_check(struct kc_report *r, const struct kc_profile *p)
{
    if (p && !p->cache) {
        kc_report(r, KC_CHECK_OK, 0, "cache: off for profile '%s' (cache = false)", p->name);
        return;
    }
    char *dir = NULL;
    const char *problem = NULL;
    switch (kc_cache_check(&dir, &problem)) {
    case 0:
        kc_report(r, KC_CHECK_OK, 0, "cache: %s is private and writable", dir);
        break;
    case -1:
        kc_report(r, KC_CHECK_WARN, 0,
                  "cache: XDG_RUNTIME_DIR is not set, so there is no cache and every command "
                  "mints a KS (over ssh, log in with pam_systemd, or set it to /run/user/UID)");
        break;
    default:
        kc_report(r, KC_CHECK_WARN, 0,
                  "cache: %s %s: the helper works, but without a cache (every command mints)", dir,
                  problem);
        break;
    }
    free(dir);
}

/* A proxy URL as shown: user and password hidden. */
static char *proxy_shown(const char *url)
{
    const char *at = strrchr(url, '@');
    if (!at)
        return g_strdup(url);
    const char *scheme = strstr(url, "://");
    size_t keep = scheme && scheme < at ? (size_t)(scheme - url) + 3 : 0;
    return g_strdup_printf("%.*s(credentials hidden)%s", (int)keep, url, at);
}

/* libcurl's no_proxy rule: "*", or a host name equal to an entry or ending in ".entry". */
static bool no_proxy_matches(const char *list, const char *host)
{
    g_auto(GStrv) entries = g_strsplit_set(list, ", ", -1);
    for (char **e = entries; *e; e++) {
        const char *d = **e == '.' ? *e + 1 : *e;
        size_t hl = strlen(host), dl = strlen(d);
        if (!*d)
            continue;
        if (strcmp(d, "*") == 0 || g_ascii_strcasecmp(host, d) == 0 ||
            (hl > dl && host[hl - dl - 1] == '.' && g_ascii_strcasecmp(host + hl - dl, d) == 0))
            return true;
    }
    return false;
}

/* The proxy p's requests go through: the profile's `proxy` key (proxy.h) or, without one, the
 * environment as libcurl reads it (its variables, in its order). */
static void proxy_check(struct kc_report *r, const struct kc_profile *p)
{
    const char *url = NULL;
    switch (p ? kc_proxy_for(p, &url) : KC_PROXY_FROM_ENV) {
    case KC_PROXY_NONE:
        kc_report(r, KC_CHECK_OK, 0, "proxy: none (%s)",
                  p->proxy ? "the profile's proxy = none"
                           : "a plain-http service on a loopback host is never proxied");
        return;
    case KC_PROXY_KEY:
        kc_report(r, KC_CHECK_OK, 0, "proxy: %s is reached through %s (the profile's proxy key)",
                  p->hostname, url);
        return;
    case KC_PROXY_FROM_ENV:
        break;
    }
    bool https = !p || strcmp(p->protocol, "https") == 0;
    const char *const https_vars[] = {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", NULL};
    const char *const http_vars[] = {"http_proxy", "all_proxy", "ALL_PROXY", NULL};
    const char *var = NULL, *value = NULL;
    for (const char *const *v = https ? https_vars : http_vars; *v && !value; v++)
        if (g_getenv(*v) && *g_getenv(*v))
            var = *v, value = g_getenv(*v);
    const char *no_proxy = g_getenv("no_proxy");
    if (!no_proxy || !*no_proxy)
        no_proxy = g_getenv("NO_PROXY");
    const char *host = p ? p->hostname : "the service";
    if (!value) {
        kc_report(r, KC_CHECK_OK, 0, "proxy: none (%s is reached directly)", host);
        return;
    }
    g_autofree char *shown = proxy_shown(value);
    if (p && no_proxy && no_proxy_matches(no_proxy, p->hostname))
        kc_report(r, KC_CHECK_OK, 0, "proxy: %s=%s, but no_proxy=%s exempts %s: reached directly",
                  var, shown, no_proxy, host);
    else
        kc_report(r, KC_CHECK_OK, 0, "proxy: %s is reached through %s (from %s)", host, shown, var);
}

/* ---- token, service, clock ---- */

static void token_check(struct kc_report *r, const struct kc_profile *p)
{
    char *token = NULL;
    GError *e = NULL;
    switch (kc_keyring_lookup(p, &token, &e)) {
    case KC_KEYRING_FOUND:
        kc_report(r, KC_CHECK_OK, 0, "token: stored in the keyring for profile '%s'", p->name);
        break;
    default:
        kc_report(r, KC_CHECK_FAIL, e->code, "token: %s", e->message);
        break;
    }
    kc_keyring_free(token);
    g_clear_error(&e);
}

void kc_doctor_clock(struct kc_report *r, long long server, long long local)
{
    if (server <= 0) {
        kc_report(r, KC_CHECK_WARN, 0,
                  "clock: the server's answer had no usable Date header to compare with");
        return;
    }
    long long skew = server - local;
    long long off = skew < 0 ? -skew : skew;
    if (off <= CLOCK_SKEW_OK)
        kc_report(r, KC_CHECK_OK, 0, "clock: within %lld s of the server's (its Date header)", off);
    else
        kc_report(r, KC_CHECK_WARN, 0,
                  "clock: this machine's clock is %lld s %s the server's (its Date header); KS "
                  "lifetimes are judged on this clock: turn on time sync (timedatectl "
                  "set-ntp true)",
                  off, skew > 0 ? "behind" : "ahead of");
}

/* The service URL over TLS with the profile's settings: a widget session, which needs no
 * token (and proves the partner exists); then the clocks, from that answer's Date header. */
static void service_check(struct kc_report *r, const struct kc_profile *p)
{
    GError *e = NULL;
    struct kc_session w = {0};
    struct kc_api *api = kc_api_new(p, &e);
    gint64 t0 = g_get_monotonic_time();
    bool ok = api && kc_api_start_widget_session(api, p->partner_id, 60, &w, &e);
    double ms = (double)(g_get_monotonic_time() - t0) / 1000.0;
    long long local = (long long)time(NULL);
    kc_session_clear(&w); /* the widget KS is not for printing */
    if (ok)
        kc_report(r, KC_CHECK_OK, 0,
                  "service: %s answers over %s; session.startWidgetSession for partner %s took "
                  "%.0f ms",
                  p->service_url, strcmp(p->protocol, "https") == 0 ? "TLS" : "plain http",
                  p->partner_id, ms);
    else
        kc_report(r, KC_CHECK_FAIL, e ? e->code : KC_EXIT_INTERNAL, "service: %s",
                  e ? e->message : "cannot initialise libcurl");
    g_clear_error(&e);
    long long server = api ? kc_api_server_date(api) : 0;
    if (server > 0 || ok)
        kc_doctor_clock(r, server, local);
    else
        kc_report(r, KC_CHECK_SKIP, 0, "clock: not compared (no answer from the server)");
    kc_api_free(api);
}

int kc_cmd_doctor(const struct kc_cli *cli)
{
    struct kc_report r = {0};
    struct kc_config *cfg = config_check(&r, cli);
    const struct kc_profile *p = cfg ? profile_check(&r, cfg, cli->profile) : NULL;
    int timeout = p ? (int)p->timeout : 30;
    cache_check(&r, p);
    proxy_check(&r, p);
    bool keyring = kc_doctor_keyring(&r, timeout);
    if (!p)
        kc_report(&r, KC_CHECK_SKIP, 0, "token, service, clock: not checked (no usable profile)");
    else if (keyring)
        token_check(&r, p);
    else
        kc_report(&r, KC_CHECK_SKIP, 0, "token: not looked up (the keyring is not usable)");
    if (p)
        service_check(&r, p);
    kc_config_free(cfg);
    return r.first_failure;
}
