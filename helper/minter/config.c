/* Configuration files: merge (user wins key by key), validation, profile selection, writer. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_keys.h"
#include "config_lines.h"
#include "contract.h"
#include "diag.h"
#include "small_file.h"
#include "text.h"
#include "trace.h"

/* A key that looks like it would hold a secret (README "Configuration"). */
static bool key_is_secret(const char *key)
{
    g_autofree char *k = g_ascii_strdown(key, -1);
    if (strcmp(k, "app_token_id") == 0)
        return false;
    return strstr(k, "secret") || strstr(k, "token") || strstr(k, "password") ||
           strstr(k, "passwd") || strcmp(k, "ks") == 0 || strcmp(k, "key") == 0 ||
           strstr(k, "private_key");
}

static void (*warning_sink)(const char *msg, void *ctx);
static void *warning_ctx;

void kc_config_set_warning_sink(void (*sink)(const char *msg, void *ctx), void *ctx)
{
    warning_sink = sink;
    warning_ctx = ctx;
}

__attribute__((format(printf, 1, 2))) static void config_warning(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (warning_sink)
        warning_sink(msg, warning_ctx);
    else
        diag_warning("%s", msg);
}

/* ---- merged view of all files ---- */

struct merged {
    GPtrArray *groups;   /* group names in first-seen order */
    GHashTable *values;  /* "group\x1fkey" -> value */
    GHashTable *sources; /* "group\x1fkey" -> file name */
};

static char *mkey(const char *group, const char *key)
{
    return g_strconcat(group, "\x1f", key, NULL);
}

/* "config FILE line N", or "config FILE" when N is 0. Messages about a config file name
 * the place, never the text there: GKeyFile's own messages quote it, and a secret pasted into
 * the file would reach stderr and, through the PAM module, syslog. */
static char *config_at(const char *source, unsigned line)
{
    return line ? g_strdup_printf("config %s line %u", source, line)
                : g_strdup_printf("config %s", source);
}

/* GKeyFile's parse error quotes the line: name the line instead. */
static bool load_text(GKeyFile *kf, const char *text, GKeyFileFlags flags, const char *source,
                      GError **error)
{
    if (g_key_file_load_from_data(kf, text, (gsize)-1, flags, NULL))
        return true;
    g_autofree char *at = config_at(source, kc_config_bad_line(text));
    g_set_error(error, KC_ERROR, KC_EXIT_CONFIG,
                "%s cannot be read: not a [profile] line, a key = value line or a # comment, or "
                "not UTF-8; fix it",
                at);
    return false;
}

static bool merge_file(struct merged *m, const char *text, const char *source, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    if (!load_text(kf, text, G_KEY_FILE_NONE, source, error))
        return false;
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    for (char **g = groups; *g; g++) {
        if (!kc_profile_name_ok(*g)) {
            g_autofree char *at = config_at(source, kc_config_group_line(text, *g));
            g_set_error(error, KC_ERROR, KC_EXIT_CONFIG,
                        "%s: this profile name is not allowed (use 1 to 64 letters, digits, "
                        "'.', '_', '-', no '..'); rename the group",
                        at);
            return false;
        }
        gboolean seen = FALSE;
        for (guint i = 0; i < m->groups->len; i++)
            seen = seen || strcmp(g_ptr_array_index(m->groups, i), *g) == 0;
        if (!seen)
            g_ptr_array_add(m->groups, g_strdup(*g));
        g_auto(GStrv) keys = g_key_file_get_keys(kf, *g, NULL, NULL);
        for (char **k = keys; k && *k; k++) {
            if (key_is_secret(*k) || kc_key_find(*k) == NULL) {
                g_autofree char *at = config_at(source, kc_config_key_line(text, *g, *k));
                /* The name is shown only when it looks like one (it may be a pasted KS). */
                g_autofree char *named = kc_config_name_showable(*k)
                                             ? g_strdup_printf("key '%s'", *k)
                                             : g_strdup("key (its name not shown)");
                if (!key_is_secret(*k)) {
                    config_warning("%s: profile '%s': unknown %s ignored", at, *g, named);
                    continue;
                }
                g_set_error(error, KC_ERROR, KC_EXIT_CONFIG,
                            "%s: profile '%s' has a %s, which would hold a secret; remove it and "
                            "run `kaltura-credential login` to keep the token in the keyring",
                            at, *g, named);
                return false;
            }
            /* A known key, so its name may be shown; its value never. */
            char *v = g_key_file_get_string(kf, *g, *k, NULL);
            if (!v) {
                g_set_error(error, KC_ERROR, KC_EXIT_CONFIG,
                            "config %s: profile '%s': the value of %s cannot be read (not UTF-8, "
                            "or a bad \\ escape); fix it",
                            source, *g, *k);
                return false;
            }
            g_strstrip(v);
            g_hash_table_replace(m->values, mkey(*g, *k), v);
            g_hash_table_replace(m->sources, mkey(*g, *k), g_strdup(source));
        }
    }
    return true;
}

/* ---- values ---- */

struct pctx {
    struct merged *m;
    const char *group;
    GError **error;
};

static const char *val(struct pctx *c, const char *key)
{
    g_autofree char *k = mkey(c->group, key);
    const char *v = g_hash_table_lookup(c->m->values, k);
    return v && *v ? v : NULL;
}

static bool bad(struct pctx *c, const char *key, const char *why)
{
    g_autofree char *k = mkey(c->group, key);
    const char *src = g_hash_table_lookup(c->m->sources, k);
    g_set_error(c->error, KC_ERROR, KC_EXIT_CONFIG, "config %s: profile '%s': %s %s; fix it",
                src ? src : "?", c->group, key, why);
    return false;
}

bool kc_host_is_loopback(const char *host)
{
    if (!host)
        return false;
    if (g_ascii_strcasecmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
        g_str_has_suffix(host, ".localhost"))
        return true;
    /* inet_pton, not sscanf("%u"): that also took signs and wrapped ("127.-0.+1.1"). */
    struct in_addr a;
    return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

/* A host as libcurl will use it: letters, digits, '.' and '-' (which takes in IPv4 literals),
 * or an IPv6 literal (GUri gives it without its brackets). Nothing percent-encoded: GUri
 * decodes "%2F" where libcurl keeps it, so "192.0.2.2%2F.localhost" was one host to the
 * loopback rule (a *.localhost) and another to the connection (192.0.2.2). host is the
 * undecoded text (G_URI_FLAGS_ENCODED | G_URI_FLAGS_NON_DNS). */
static bool host_ok(const char *host)
{
    static const char name[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-";
    size_t n = host ? strlen(host) : 0;
    struct in6_addr a6;
    if (n == 0 || n > KC_HOST_NAME_MAX)
        return false;
    if (strchr(host, ':'))
        return inet_pton(AF_INET6, host, &a6) == 1;
    return strspn(host, name) == n;
}

bool kc_profile_insecure(const struct kc_profile *p)
{
    return strcmp(p->protocol, "http") == 0 && !kc_host_is_loopback(p->hostname);
}

static char *url_error(GError **error, const char *url, const char *why)
{
    /* Never echo what may be a secret (a password in the user info, a token or KS pasted into
     * the path or query): only scheme://host[:port], and only for a URL that parses with a
     * plain host. */
    g_autoptr(GUri) uri = g_uri_parse(url, KC_URI_FLAGS, NULL);
    const char *host = uri ? g_uri_get_host(uri) : NULL;
    const char *auth = strstr(url, "://");
    bool plain = host && host_ok(host) && auth && !memchr(auth + 3, '%', strcspn(auth + 3, "/?#"));
    g_autofree char *shown = plain ? g_uri_join(KC_URI_FLAGS, g_uri_get_scheme(uri), NULL, host,
                                                g_uri_get_port(uri), "", NULL, NULL)
                                   : NULL;
    if (shown)
        g_set_error(error, KC_ERROR, KC_EXIT_CONFIG, "service_url for %s %s", shown, why);
    else
        g_set_error(error, KC_ERROR, KC_EXIT_CONFIG, "service_url %s", why);
    return NULL;
}

char *kc_service_url_normalise(const char *url, bool allow_insecure, char **protocol, char **host,
                               GError **error)
{
    g_autoptr(GError) e = NULL;
    /* Nothing decoded: the host and path are judged, and handed to libcurl, as written. */
    g_autoptr(GUri) uri = g_uri_parse(url, KC_URI_FLAGS, &e);
    if (!uri)
        return url_error(error, url, "is not a URL (e.g. https://www.kaltura.com)");
    g_autofree char *scheme = g_ascii_strdown(g_uri_get_scheme(uri), -1);
    const char *h = g_uri_get_host(uri);
    if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)
        return url_error(error, url, "must start with https:// (or http:// for a local server)");
    if (!h || !*h)
        return url_error(error, url, "has no host name");
    if (g_uri_get_userinfo(uri))
        return url_error(error, url, "must not contain a user name or password");
    /* GUri still turns an escaped letter or '.' ("%2E") into itself: refuse any '%' in the
     * authority as written, so that what is checked is what the user wrote. */
    const char *auth = strstr(url, "://");
    size_t auth_len = auth ? strcspn(auth + 3, "/?#") : 0;
    if (!host_ok(h) || (auth && memchr(auth + 3, '%', auth_len)))
        return url_error(error, url,
                         "has a host that is not a plain name (letters, digits, '.', '-'; no "
                         "'%'-escapes: an international name in its xn-- form) or an IP "
                         "address");
    if (g_uri_get_query(uri) || g_uri_get_fragment(uri))
        return url_error(error, url, "must not contain '?' or '#'");
    g_autofree char *hl = g_ascii_strdown(h, -1);
    if (strcmp(scheme, "http") == 0 && !allow_insecure && !kc_host_is_loopback(hl))
        return url_error(error, url,
                         "uses plain http on a non-local host; use https (or set "
                         "allow_insecure = true, not recommended)");
    int port = g_uri_get_port(uri);
    if ((port == 443 && strcmp(scheme, "https") == 0) ||
        (port == 80 && strcmp(scheme, "http") == 0))
        port = -1;
    g_autofree char *hostpart =
        strchr(hl, ':') ? g_strdup_printf("[%s]", hl) : g_strdup(hl); /* IPv6 literal */
    g_autofree char *hostport =
        port > 0 ? g_strdup_printf("%s:%d", hostpart, port) : g_strdup(hostpart);
    g_autofree char *path = g_strdup(g_uri_get_path(uri));
    /* Trailing slashes and a pasted API endpoint (".../api_v3/"), repeatedly, so that the
     * result normalises to itself ("https://x////api_v3" gave "https://x///"). */
    for (size_t n = strlen(path);;) {
        while (n > 0 && path[n - 1] == '/')
            path[--n] = '\0';
        if (!g_str_has_suffix(path, "/api_v3"))
            break;
        n -= strlen("/api_v3");
        path[n] = '\0';
    }
    if (!kc_text_ok(path, 1024, KC_TEXT_NO_SPACE | KC_TEXT_ASCII))
        return url_error(error, url, "has a bad path");
    if (protocol)
        *protocol = g_strdup(scheme);
    if (host)
        *host = g_strdup(hostport);
    return g_strdup_printf("%s://%s%s", scheme, hostport, path);
}

static void profile_free(gpointer data)
{
    struct kc_profile *p = data;
    if (!p)
        return;
    kc_keys_free_fields(p);
    g_free(p->name);
    g_free(p);
}

/* Typed loading of every key of the table (config_keys.c); the service URL last, as it depends
 * on allow_insecure. */
static struct kc_profile *build_profile(struct merged *m, const char *group, GError **error)
{
    struct pctx c = {m, group, error};
    struct kc_profile *p = g_new0(struct kc_profile, 1);
    p->name = g_strdup(group);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < kc_n_keys; i++) {
            const struct kc_key *k = &kc_keys[i];
            g_autofree char *why = NULL;
            if ((k->type == KC_KEY_URL) != (pass == 1))
                continue;
            if (!kc_key_load(k, p, val(&c, k->name), &why)) {
                bad(&c, k->name, why);
                profile_free(p);
                return NULL;
            }
        }
    }
    return p;
}

static void merged_clear(struct merged *m)
{
    g_ptr_array_unref(m->groups);
    g_hash_table_unref(m->values);
    g_hash_table_unref(m->sources);
}

struct kc_config *kc_config_load_data(const char *const *texts, const char *const *sources,
                                      size_t n, GError **error)
{
    struct merged m = {
        g_ptr_array_new_with_free_func(g_free),
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
    };
    struct kc_config *c = g_new0(struct kc_config, 1);
    c->profiles = g_ptr_array_new_with_free_func(profile_free);
    for (size_t i = 0; i < n; i++) {
        if (texts[i] && !merge_file(&m, texts[i], sources[i], error))
            goto fail;
    }
    for (guint i = 0; i < m.groups->len; i++) {
        struct kc_profile *p = build_profile(&m, g_ptr_array_index(m.groups, i), error);
        if (!p)
            goto fail;
        g_ptr_array_add(c->profiles, p);
    }
    merged_clear(&m);
    return c;
fail:
    merged_clear(&m);
    kc_config_free(c);
    return NULL;
}

struct kc_config *kc_config_load(const char *override, GError **error)
{
    return kc_config_load_extra(override, NULL, error);
}

#define MAX_CONFIG_FILE (1024 * 1024)

/* Reads a config file: a regular file of at most 1 MiB without NUL bytes (small_file.h). Not
 * g_file_get_contents: that blocks forever on a FIFO and reads /dev/zero until memory runs out.
 * Errors are G_FILE_ERROR (NOENT for a missing file). */
static gboolean read_config_file(const char *path, char **text, GError **e)
{
    size_t len;
    enum kc_file_rc rc = kc_file_read(AT_FDCWD, path, MAX_CONFIG_FILE, 0, text, &len);
    if (rc == KC_FILE_OK)
        return TRUE;
    int err = rc == KC_FILE_ABSENT ? ENOENT : errno;
    bool sys = rc == KC_FILE_ABSENT || rc == KC_FILE_ERROR;
    gint code = sys ? (gint)g_file_error_from_errno(err) : (gint)G_FILE_ERROR_INVAL;
    g_set_error(e, G_FILE_ERROR, code, "%s",
                sys                       ? g_strerror(err)
                : rc == KC_FILE_TOO_LARGE ? "larger than 1 MiB"
                                          : kc_file_why(rc));
    return FALSE;
}

struct kc_config *kc_config_load_extra(const char *override, const char *extra, GError **error)
{
    struct kc_config_paths paths = {0};
    if (kc_config_paths_get(override, &paths) != 0) {
        g_set_error(error, KC_ERROR, KC_EXIT_CONFIG,
                    "cannot locate the config file (HOME is not set); use --config FILE");
        return NULL;
    }
    char *texts[KC_MAX_CONFIG_FILES + 1] = {0};
    const char *sources[KC_MAX_CONFIG_FILES + 1] = {0};
    struct kc_config *c = NULL;
    for (size_t i = 0; i < paths.n; i++) {
        g_autoptr(GError) e = NULL;
        if (!read_config_file(paths.files[i], &texts[i], &e)) {
            texts[i] = NULL;
            if (g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT) &&
                (!paths.is_override || extra))
                continue;
            g_set_error(error, KC_ERROR, KC_EXIT_CONFIG, "cannot read config file %s; %s",
                        paths.files[i], e->message);
            goto out;
        }
    }
    for (size_t i = 0; i < paths.n; i++)
        kc_trace("config: %s: %s", paths.files[i], texts[i] ? "read" : "absent");
    for (size_t i = 0; i < paths.n; i++)
        sources[i] = paths.files[i];
    texts[paths.n] = g_strdup(extra);
    sources[paths.n] = "(command line)";
    c = kc_config_load_data((const char *const *)texts, sources, paths.n + 1, error);
    if (c) {
        c->paths = paths;
        memset(&paths, 0, sizeof paths);
    }
out:
    for (size_t i = 0; i < G_N_ELEMENTS(texts); i++)
        g_free(texts[i]);
    kc_config_paths_clear(&paths);
    return c;
}

void kc_config_free(struct kc_config *c)
{
    if (!c)
        return;
    kc_config_paths_clear(&c->paths);
    g_ptr_array_unref(c->profiles);
    g_free(c);
}

const struct kc_profile *kc_config_find(const struct kc_config *c, const char *name)
{
    for (guint i = 0; name && i < c->profiles->len; i++) {
        const struct kc_profile *p = g_ptr_array_index(c->profiles, i);
        if (strcmp(p->name, name) == 0)
            return p;
    }
    return NULL;
}

bool kc_profile_complete(const struct kc_profile *p, GError **error)
{
    const struct kc_key *missing = kc_profile_missing(p);
    if (!missing)
        return true;
    g_set_error(error, KC_ERROR, KC_EXIT_CONFIG,
                "profile '%s' has no %s; run `kaltura-credential --profile %s login` or add it "
                "to the config file",
                p->name, missing->name, p->name);
    return false;
}

bool kc_config_write_profile(const char *user_file, const char *profile, const char *const *keys,
                             const char *const *values, size_t n, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) e = NULL;
    g_autofree char *text = NULL;
    if (!read_config_file(user_file, &text, &e)) {
        if (!g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
            g_set_error(error, KC_ERROR, KC_EXIT_CONFIG, "cannot read config file %s: %s; fix it",
                        user_file, e->message);
            return false;
        }
    } else if (!load_text(kf, text, G_KEY_FILE_KEEP_COMMENTS | G_KEY_FILE_KEEP_TRANSLATIONS,
                          user_file, error)) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (values[i])
            g_key_file_set_string(kf, profile, keys[i], values[i]);
        else
            g_key_file_remove_key(kf, profile, keys[i], NULL);
    }
    gsize len = 0;
    g_autofree char *data = g_key_file_to_data(kf, &len, NULL);
    g_autofree char *dir = g_path_get_dirname(user_file);
    g_clear_error(&e);
    if (g_mkdir_with_parents(dir, 0700) != 0 ||
        !g_file_set_contents_full(user_file, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT,
                                  0600, &e)) {
        g_set_error(error, KC_ERROR, KC_EXIT_CONFIG, "cannot write config file %s: %s", user_file,
                    e ? e->message : g_strerror(errno));
        return false;
    }
    return true;
}
