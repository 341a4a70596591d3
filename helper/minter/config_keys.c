/* The configuration key table and what is derived from it (config_keys.h). */
#include "config_keys.h"

#include <errno.h>
#include <glib.h>
#include <stddef.h>
#include <string.h>

#include "config.h"
#include "proxy.h"
#include "text.h"
#include "token_hash.h"

#define MAX_TIMEOUT      600
#define MAX_EXPIRY       315360000LL /* 10 years: the server's "relative time" bound */
#define MAX_USER_ID      320         /* the server's sessionUserId limit */
#define MAX_PRIVILEGES   4096
#define MAX_APP_TOKEN_ID 128
#define MAX_PATH         4096

static int hash_parse(const char *value)
{
    enum kc_hash h;
    return kc_hash_from_name(value, &h) == 0 ? (int)h : -1;
}

static const char *hash_spell(int value)
{
    return kc_hash_name((enum kc_hash)value);
}

/* appToken.startSession's type: KalturaSessionType USER (0) or ADMIN (2). */
static int session_type_parse(const char *value)
{
    if (g_ascii_strcasecmp(value, "user") == 0 || strcmp(value, "0") == 0)
        return 0;
    if (g_ascii_strcasecmp(value, "admin") == 0 || strcmp(value, "2") == 0)
        return 2;
    return -1;
}

static const char *session_type_spell(int value)
{
    return value == 2 ? "admin" : "user";
}

#define FIELD(f)     offsetof(struct kc_profile, f)
#define STARTSESSION " (passed to appToken.startSession when set)"

/* In the order of --help. Unset members: min 0, def NULL (unset), not required, no login. */
const struct kc_key kc_keys[] = {
    {.name = "service_url",
     .type = KC_KEY_URL,
     .offset = FIELD(service_url),
     .def = KC_DEFAULT_SERVICE_URL,
     .option = "--service-url",
     .metavar = "URL",
     .login = KC_LOGIN_PROFILE,
     .help = "API base URL"},
    {.name = "partner_id",
     .type = KC_KEY_DECIMAL,
     .offset = FIELD(partner_id),
     .min = 1,
     .max = G_MAXINT32,
     .required = true,
     .option = "--partner-id",
     .metavar = "N",
     .login = KC_LOGIN_PROFILE,
     .help = "partner id"},
    {.name = "app_token_id",
     .type = KC_KEY_TEXT,
     .offset = FIELD(app_token_id),
     .max = MAX_APP_TOKEN_ID,
     .required = true,
     .charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.",
     .bad = "is not an App Token id (like 0_ab12cd34)",
     .option = "--app-token-id",
     .metavar = "ID",
     .login = KC_LOGIN_PROFILE,
     .help = "App Token id, e.g. 0_ab12cd34"},
    {.name = "hash_function",
     .type = KC_KEY_CHOICE,
     .offset = FIELD(hash),
     .def = "sha1",
     .parse = hash_parse,
     .spell = hash_spell,
     .bad = "must be sha1, sha256, sha512 or md5",
     .option = "--hash",
     .metavar = "sha1|sha256|sha512|md5",
     .login = KC_LOGIN_PROFILE,
     .help = "the token's hashType: sha1, sha256, sha512 or md5"},
    {.name = "ca_file",
     .type = KC_KEY_TEXT,
     .offset = FIELD(ca_file),
     .max = MAX_PATH,
     .bad = "is not a usable path",
     .option = "--ca-file",
     .metavar = "FILE",
     .login = KC_LOGIN_PROFILE,
     .help = "PEM bundle to trust instead of the system store"},
    {.name = "proxy",
     .type = KC_KEY_TEXT,
     .offset = FIELD(proxy),
     .max = MAX_PATH,
     .check = kc_proxy_check,
     .bad = "is not a proxy: [SCHEME://]HOST[:PORT] (http, https, socks4, socks4a, socks5, "
            "socks5h) or none, without user name or password (no secrets in a config file: "
            "a proxy that needs them goes in https_proxy)",
     .option = "--proxy",
     .metavar = "URL|none",
     .login = KC_LOGIN_GIVEN,
     .help = "proxy for service_url (libcurl syntax; none: no proxy; unset: https_proxy ...)"},
    {.name = "user_id",
     .type = KC_KEY_TEXT,
     .offset = FIELD(user_id),
     .max = MAX_USER_ID,
     .bad = "is too long or has control characters",
     .option = "--user-id",
     .metavar = "ID",
     .login = KC_LOGIN_GIVEN,
     .help = "the sessions' user id" STARTSESSION},
    {.name = "session_type",
     .type = KC_KEY_CHOICE,
     .offset = FIELD(session_type),
     .parse = session_type_parse,
     .spell = session_type_spell,
     .bad = "must be user or admin",
     .option = "--session-type",
     .metavar = "user|admin",
     .login = KC_LOGIN_GIVEN,
     .help = "user or admin" STARTSESSION},
    {.name = "expiry",
     .type = KC_KEY_NUMBER,
     .offset = FIELD(expiry),
     .min = 1,
     .max = MAX_EXPIRY,
     .option = "--expiry",
     .metavar = "SECONDS",
     .login = KC_LOGIN_GIVEN,
     .help = "seconds a KS is valid" STARTSESSION},
    {.name = "privileges",
     .type = KC_KEY_TEXT,
     .offset = FIELD(privileges),
     .max = MAX_PRIVILEGES,
     .bad = "is too long or has control characters",
     .option = "--privileges",
     .metavar = "LIST",
     .login = KC_LOGIN_GIVEN,
     .help = "the KS's privileges" STARTSESSION},
    {.name = "timeout",
     .type = KC_KEY_NUMBER,
     .offset = FIELD(timeout),
     .min = 1,
     .max = MAX_TIMEOUT,
     .def = "30",
     .help = "seconds one command may spend on the network"},
    {.name = "cache",
     .type = KC_KEY_BOOL,
     .offset = FIELD(cache),
     .def = "true",
     .help = "reuse a still-valid KS from $XDG_RUNTIME_DIR"},
    {.name = "min_lifetime",
     .type = KC_KEY_NUMBER,
     .offset = FIELD(min_lifetime),
     .min = 0,
     .max = MAX_EXPIRY,
     .def = "300",
     .help = "seconds a reused KS must still be valid"},
    {.name = "allow_insecure",
     .type = KC_KEY_BOOL,
     .offset = FIELD(allow_insecure),
     .def = "false",
     .help = "allow http:// on a non-loopback host (warned about)"},
};
const size_t kc_n_keys = G_N_ELEMENTS(kc_keys);

const struct kc_key *kc_key_find(const char *name)
{
    for (size_t i = 0; i < kc_n_keys; i++)
        if (strcmp(kc_keys[i].name, name) == 0)
            return &kc_keys[i];
    return NULL;
}

/* The field of k in profile p, as an lvalue of type. */
#define AT(p, k, type)       ((type *)(void *)((char *)(p) + (k)->offset))
#define AT_CONST(p, k, type) ((type const *)(const void *)((const char *)(p) + (k)->offset))

static bool parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (g_ascii_strcasecmp(v, yes[i]) == 0 || g_ascii_strcasecmp(v, no[i]) == 0) {
            *out = g_ascii_strcasecmp(v, yes[i]) == 0;
            return true;
        }
    }
    return false;
}

static bool parse_number(const struct kc_key *k, const char *v, long long *out, char **why)
{
    char *end = NULL;
    errno = 0;
    long long n = g_ascii_strtoll(v, &end, 10);
    if (errno || end == v || *end || !g_ascii_isdigit(v[0]) || n < k->min || n > k->max) {
        *why = g_strdup_printf("must be a whole number from %lld to %lld", k->min, k->max);
        return false;
    }
    *out = n;
    return true;
}

static bool load_url(const struct kc_key *k, struct kc_profile *p, const char *v, char **why)
{
    g_autoptr(GError) e = NULL;
    char *url = kc_service_url_normalise(v, p->allow_insecure, &p->protocol, &p->host, &e);
    if (url == NULL) {
        /* The message starts with the key's name, which the caller puts first itself. */
        const char *m = e != NULL ? e->message : "is not usable";
        size_t n = strlen(k->name);
        *why = g_strdup(strncmp(m, k->name, n) == 0 && m[n] == ' ' ? m + n + 1 : m);
        return false;
    }
    *AT(p, k, char *) = url;
    g_autoptr(GUri) uri = g_uri_parse(url, KC_URI_FLAGS, NULL); /* as normalise parsed it */
    p->hostname = g_strdup(uri != NULL ? g_uri_get_host(uri) : "");
    return true;
}

bool kc_key_load(const struct kc_key *k, struct kc_profile *p, const char *value, char **why)
{
    const char *v = value != NULL ? value : k->def;
    long long n = -1;
    int choice;
    bool b;
    *why = NULL;
    switch (k->type) {
    case KC_KEY_TEXT:
        if (v != NULL && (!kc_text_ok(v, (size_t)k->max, KC_TEXT_ANY) ||
                          (k->charset != NULL && strspn(v, k->charset) != strlen(v)) ||
                          (k->check != NULL && !k->check(v)))) {
            *why = g_strdup(k->bad);
            return false;
        }
        *AT(p, k, char *) = g_strdup(v);
        return true;
    case KC_KEY_NUMBER:
        if (v != NULL && !parse_number(k, v, &n, why))
            return false;
        *AT(p, k, long long) = n;
        return true;
    case KC_KEY_DECIMAL:
        if (v != NULL && !parse_number(k, v, &n, why))
            return false;
        *AT(p, k, char *) = v != NULL ? g_strdup_printf("%lld", n) : NULL;
        return true;
    case KC_KEY_BOOL:
        if (v == NULL || !parse_bool(v, &b)) {
            *why = g_strdup("must be true or false");
            return false;
        }
        *AT(p, k, bool) = b;
        return true;
    case KC_KEY_CHOICE:
        choice = v != NULL ? k->parse(v) : -1;
        if (v != NULL && choice < 0) {
            *why = g_strdup(k->bad);
            return false;
        }
        *AT(p, k, int) = choice;
        return true;
    case KC_KEY_URL:
        return load_url(k, p, v, why);
    }
    return false;
}

const char *kc_key_value(const struct kc_key *k, const struct kc_profile *p)
{
    switch (k->type) {
    case KC_KEY_TEXT:
    case KC_KEY_DECIMAL:
    case KC_KEY_URL:
        return *AT_CONST(p, k, char *);
    case KC_KEY_CHOICE:
        return *AT_CONST(p, k, int) >= 0 ? k->spell(*AT_CONST(p, k, int)) : NULL;
    case KC_KEY_NUMBER:
    case KC_KEY_BOOL:
        break;
    }
    return NULL;
}

void kc_keys_free_fields(struct kc_profile *p)
{
    for (size_t i = 0; i < kc_n_keys; i++) {
        const struct kc_key *k = &kc_keys[i];
        if (k->type == KC_KEY_TEXT || k->type == KC_KEY_DECIMAL || k->type == KC_KEY_URL)
            g_clear_pointer(AT(p, k, char *), g_free);
    }
    g_clear_pointer(&p->protocol, g_free);
    g_clear_pointer(&p->host, g_free);
    g_clear_pointer(&p->hostname, g_free);
}

const struct kc_key *kc_profile_missing(const struct kc_profile *p)
{
    for (size_t i = 0; i < kc_n_keys; i++)
        if (kc_keys[i].required && kc_key_value(&kc_keys[i], p) == NULL)
            return &kc_keys[i];
    return NULL;
}

void kc_keys_print_help(FILE *out)
{
    for (size_t i = 0; i < kc_n_keys; i++) {
        const struct kc_key *k = &kc_keys[i];
        fprintf(out, "  %-15s %s", k->name, k->help);
        if (k->required)
            fputs(" (required)", out);
        else if (k->def != NULL)
            fprintf(out, " (default: %s)", k->def);
        fputc('\n', out);
    }
}

void kc_keys_print_login_help(FILE *out)
{
    for (size_t i = 0; i < kc_n_keys; i++) {
        const struct kc_key *k = &kc_keys[i];
        if (k->option == NULL)
            continue;
        g_autofree char *opt = g_strdup_printf("%s %s", k->option, k->metavar);
        fprintf(out, "  %-31s sets %s%s\n", opt, k->name,
                k->login == KC_LOGIN_GIVEN ? " (written only when given)" : "");
    }
}
