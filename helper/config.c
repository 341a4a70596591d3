/* Configuration files: merge (user wins key by key), validation, profile selection, writer. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "contract.h"

GQuark kc_error_quark(void)
{
    return g_quark_from_static_string("kc-error-quark");
}

static const char *const known_keys[] = {
    "service_url",  "partner_id",   "app_token_id",   "hash_function", "user_id",
    "session_type", "expiry",       "privileges",     "ca_file",       "timeout",
    "cache",        "min_lifetime", "allow_insecure",
};

#define MAX_TIMEOUT      600
#define MAX_EXPIRY       315360000LL /* 10 years: the server's "relative time" bound */
#define MAX_USER_ID      320         /* the server's sessionUserId limit */
#define MAX_PRIVILEGES   4096
#define MAX_APP_TOKEN_ID 128

/* A key that looks like it would hold a secret (design.md §3.1). */
static bool key_is_secret(const char *key)
{
    g_autofree char *k = g_ascii_strdown(key, -1);
    if (strcmp(k, "app_token_id") == 0)
        return false;
    return strstr(k, "secret") || strstr(k, "token") || strstr(k, "password") ||
           strstr(k, "passwd") || strcmp(k, "ks") == 0 || strcmp(k, "key") == 0 ||
           strstr(k, "private_key");
}

static bool key_is_known(const char *key)
{
    for (size_t i = 0; i < G_N_ELEMENTS(known_keys); i++)
        if (strcmp(key, known_keys[i]) == 0)
            return true;
    return false;
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

static bool merge_file(struct merged *m, const char *text, const char *source, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) e = NULL;
    if (!g_key_file_load_from_data(kf, text, (gsize)-1, G_KEY_FILE_NONE, &e)) {
        g_set_error(error, KC_ERROR, KC_EXIT_CONFIG, "config %s: %s; fix the file", source,
                    e->message);
        return false;
    }
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    for (char **g = groups; *g; g++) {
        if (!kc_profile_name_ok(*g)) {
            g_set_error(error, KC_ERROR, KC_EXIT_CONFIG,
                        "config %s: profile name '%s' is not allowed (use letters, digits, "
                        "'.', '_', '-'); rename the group",
                        source, *g);
            return false;
        }
        gboolean seen = FALSE;
        for (guint i = 0; i < m->groups->len; i++)
            seen = seen || strcmp(g_ptr_array_index(m->groups, i), *g) == 0;
        if (!seen)
            g_ptr_array_add(m->groups, g_strdup(*g));
        g_auto(GStrv) keys = g_key_file_get_keys(kf, *g, NULL, NULL);
        for (char **k = keys; k && *k; k++) {
            if (key_is_secret(*k)) {
                g_set_error(error, KC_ERROR, KC_EXIT_CONFIG,
                            "config %s: profile '%s' has key '%s', which would hold a secret; "
                            "remove it and run `kaltura-credential login` to keep the token "
                            "in the keyring",
                            source, *g, *k);
                return false;
            }
            if (!key_is_known(*k)) {
                diag_warning("config %s: profile '%s': unknown key '%s' ignored", source, *g, *k);
                continue;
            }
            g_autoptr(GError) ve = NULL;
            char *v = g_key_file_get_string(kf, *g, *k, &ve);
            if (!v) {
                g_set_error(error, KC_ERROR, KC_EXIT_CONFIG, "config %s: profile '%s': %s: %s",
                            source, *g, *k, ve->message);
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

static bool get_bool(struct pctx *c, const char *key, bool def, bool *out)
{
    const char *v = val(c, key);
    *out = def;
    if (!v)
        return true;
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no",
                                                                                "off", "0"};
    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (g_ascii_strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (g_ascii_strcasecmp(v, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return bad(c, key, "must be true or false");
}

static bool get_int(struct pctx *c, const char *key, long long min, long long max, long long def,
                    long long *out)
{
    const char *v = val(c, key);
    *out = def;
    if (!v)
        return true;
    char *end = NULL;
    errno = 0;
    long long n = g_ascii_strtoll(v, &end, 10);
    if (errno || end == v || *end || !g_ascii_isdigit(v[0]) || n < min || n > max) {
        g_autofree char *why =
            g_strdup_printf("must be a whole number from %lld to %lld", min, max);
        return bad(c, key, why);
    }
    *out = n;
    return true;
}

static bool printable(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if ((unsigned char)s[n] < 0x20 || s[n] == 0x7f)
            return false;
    return n <= max;
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

bool kc_profile_insecure(const struct kc_profile *p)
{
    return strcmp(p->protocol, "http") == 0 && !kc_host_is_loopback(p->hostname);
}

static char *url_error(GError **error, const char *url, const char *why)
{
    /* Never echo what may be a secret: a password in the user info, a KS in a pasted query. */
    g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
    g_autofree char *shown =
        uri ? g_uri_to_string_partial(uri,
                                      G_URI_HIDE_USERINFO | G_URI_HIDE_QUERY | G_URI_HIDE_FRAGMENT)
            : NULL;
    g_autofree char *safe = g_strescape(shown ? shown : url, NULL);
    g_set_error(error, KC_ERROR, KC_EXIT_CONFIG, "service_url '%s' %s", safe, why);
    return NULL;
}

char *kc_service_url_normalise(const char *url, bool allow_insecure, char **protocol, char **host,
                               GError **error)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, &e);
    if (!uri)
        return url_error(error, url, "is not a URL (e.g. https://www.kaltura.com)");
    g_autofree char *scheme = g_ascii_strdown(g_uri_get_scheme(uri), -1);
    const char *h = g_uri_get_host(uri);
    if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)
        return url_error(error, url, "must start with https:// (or http:// for a local server)");
    if (!h || !*h || !printable(h, KC_HOST_NAME_MAX) || strchr(h, ' '))
        return url_error(error, url, "has no host name");
    if (g_uri_get_userinfo(uri))
        return url_error(error, url, "must not contain a user name or password");
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
    if (!printable(path, 1024) || strchr(path, ' '))
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
    g_free(p->name);
    g_free(p->service_url);
    g_free(p->protocol);
    g_free(p->host);
    g_free(p->hostname);
    g_free(p->partner_id);
    g_free(p->app_token_id);
    g_free(p->user_id);
    g_free(p->privileges);
    g_free(p->ca_file);
    g_free(p);
}

static bool app_token_id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > MAX_APP_TOKEN_ID)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isalnum(id[i]) && !strchr("_-.", id[i]))
            return false;
    return true;
}

static struct kc_profile *build_profile(struct merged *m, const char *group, GError **error)
{
    struct pctx c = {m, group, error};
    g_autoptr(GPtrArray) guard = g_ptr_array_new_with_free_func(profile_free);
    struct kc_profile *p = g_new0(struct kc_profile, 1);
    g_ptr_array_add(guard, p);
    p->name = g_strdup(group);
    long long n;

    if (!get_bool(&c, "allow_insecure", false, &p->allow_insecure) ||
        !get_bool(&c, "cache", true, &p->cache))
        return NULL;
    const char *url = val(&c, "service_url");
    g_autoptr(GError) ue = NULL;
    p->service_url = kc_service_url_normalise(url ? url : KC_DEFAULT_SERVICE_URL, p->allow_insecure,
                                              &p->protocol, &p->host, &ue);
    /* kc_service_url_normalise() sets ue whenever it returns NULL; the analyzer cannot see
     * that through g_set_error(). */
    if (!p->service_url)
        // NOLINTNEXTLINE(clang-analyzer-core.NullDereference)
        return bad(&c, "service_url", ue->message + strlen("service_url ")), NULL;
    g_autoptr(GUri) uri = g_uri_parse(p->service_url, G_URI_FLAGS_NONE, NULL);
    p->hostname = g_strdup(g_uri_get_host(uri));

    if (val(&c, "partner_id")) {
        if (!get_int(&c, "partner_id", 1, G_MAXINT32, 0, &n))
            return NULL;
        p->partner_id = g_strdup_printf("%lld", n);
    }
    const char *id = val(&c, "app_token_id");
    if (id && !app_token_id_ok(id))
        return bad(&c, "app_token_id", "is not an App Token id (like 0_ab12cd34)"), NULL;
    p->app_token_id = g_strdup(id);

    const char *hf = val(&c, "hash_function");
    p->hash = KC_HASH_SHA1;
    if (hf && kc_hash_from_name(hf, &p->hash) != 0)
        return bad(&c, "hash_function", "must be sha1, sha256, sha512 or md5"), NULL;

    const char *uid = val(&c, "user_id");
    if (uid && !printable(uid, MAX_USER_ID))
        return bad(&c, "user_id", "is too long or has control characters"), NULL;
    p->user_id = g_strdup(uid);

    const char *st = val(&c, "session_type");
    p->session_type = -1;
    if (st) {
        if (g_ascii_strcasecmp(st, "user") == 0 || strcmp(st, "0") == 0)
            p->session_type = 0;
        else if (g_ascii_strcasecmp(st, "admin") == 0 || strcmp(st, "2") == 0)
            p->session_type = 2;
        else
            return bad(&c, "session_type", "must be user or admin"), NULL;
    }
    if (!get_int(&c, "expiry", 1, MAX_EXPIRY, -1, &p->expiry))
        return NULL;
    const char *priv = val(&c, "privileges");
    if (priv && !printable(priv, MAX_PRIVILEGES))
        return bad(&c, "privileges", "is too long or has control characters"), NULL;
    p->privileges = g_strdup(priv);
    const char *ca = val(&c, "ca_file");
    if (ca && !printable(ca, 4096))
        return bad(&c, "ca_file", "is not a usable path"), NULL;
    p->ca_file = g_strdup(ca);
    if (!get_int(&c, "timeout", 1, MAX_TIMEOUT, 30, &n))
        return NULL;
    p->timeout = (int)n;
    if (!get_int(&c, "min_lifetime", 0, MAX_EXPIRY, 300, &p->min_lifetime))
        return NULL;
    return g_ptr_array_steal_index(guard, 0);
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

/* Reads a config file: a regular file of at most 1 MiB without NUL bytes. Not
 * g_file_get_contents: that blocks forever on a FIFO and reads /dev/zero until memory runs out.
 * Errors are G_FILE_ERROR (NOENT for a missing file). */
static gboolean read_config_file(const char *path, char **text, GError **e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        int err = errno;
        g_set_error(e, G_FILE_ERROR, g_file_error_from_errno(err), "%s", g_strerror(err));
        return FALSE;
    }
    struct stat st;
    const char *why = NULL;
    char *buf = NULL;
    size_t n = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        why = "not a regular file";
    else if (st.st_size > MAX_CONFIG_FILE)
        why = "larger than 1 MiB";
    if (!why) {
        size_t cap = (size_t)st.st_size + 1; /* one more byte: notice a file that grew */
        buf = g_malloc(cap + 1);
        for (;;) {
            ssize_t r = read(fd, buf + n, cap - n);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                why = r < 0 ? g_strerror(errno) : NULL;
                break;
            }
            n += (size_t)r;
            if (n == cap) {
                why = "changed while being read";
                break;
            }
        }
        if (!why && memchr(buf, '\0', n))
            why = "contains a NUL byte";
    }
    close(fd);
    if (why) {
        g_set_error(e, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s", why);
        g_free(buf);
        return FALSE;
    }
    buf[n] = '\0';
    *text = buf;
    return TRUE;
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
    const char *missing = !p->partner_id ? "partner_id" : !p->app_token_id ? "app_token_id" : NULL;
    if (!missing)
        return true;
    g_set_error(error, KC_ERROR, KC_EXIT_CONFIG,
                "profile '%s' has no %s; run `kaltura-credential --profile %s login` or add it "
                "to the config file",
                p->name, missing, p->name);
    return false;
}

/* Does p serve protocol+host (either may be NULL: not compared)? Default ports are ignored. */
static bool serves(const struct kc_profile *p, const char *protocol, const char *host)
{
    if (protocol && g_ascii_strcasecmp(protocol, p->protocol) != 0)
        return false;
    if (!host)
        return true;
    g_autofree char *h = g_ascii_strdown(host, -1);
    const char *dflt = strcmp(p->protocol, "https") == 0 ? ":443" : ":80";
    if (g_str_has_suffix(h, dflt))
        h[strlen(h) - strlen(dflt)] = '\0';
    return strcmp(h, p->host) == 0;
}

static enum kc_select no_profile(GError **error, const char *name)
{
    if (!kc_profile_name_ok(name)) {
        g_set_error(error, KC_ERROR, KC_EXIT_USAGE,
                    "profile name is not allowed (use letters, digits, '.', '_', '-')");
        return KC_SELECT_ERROR;
    }
    g_set_error(error, KC_ERROR, KC_EXIT_NO_PROFILE,
                "profile '%s' is not configured; run `kaltura-credential --profile %s login`", name,
                name);
    return KC_SELECT_ERROR;
}

enum kc_select kc_config_select(const struct kc_config *c, const char *profile_arg,
                                const char *req_profile, const char *req_protocol,
                                const char *req_host, const struct kc_profile **out, GError **error)
{
    const char *name = profile_arg ? profile_arg : req_profile;
    const char *host = req_host && *req_host ? req_host : NULL;
    *out = NULL;
    if (name) {
        const struct kc_profile *p = kc_config_find(c, name);
        if (!p)
            return no_profile(error, name);
        /* Never hand a profile's KS to a host it does not serve (git asks every helper). */
        if (host && !serves(p, req_protocol, host))
            return KC_SELECT_NOT_SERVED;
        *out = p;
        return KC_SELECT_OK;
    }
    if (!host) {
        *out = kc_config_find(c, KC_DEFAULT_PROFILE);
        return *out ? KC_SELECT_OK : no_profile(error, KC_DEFAULT_PROFILE);
    }
    g_autoptr(GPtrArray) hits = g_ptr_array_new();
    for (guint i = 0; i < c->profiles->len; i++) {
        const struct kc_profile *p = g_ptr_array_index(c->profiles, i);
        if (serves(p, req_protocol, host))
            g_ptr_array_add(hits, (gpointer)p);
    }
    if (hits->len == 0)
        return KC_SELECT_NOT_SERVED;
    if (hits->len == 1) {
        *out = g_ptr_array_index(hits, 0);
        return KC_SELECT_OK;
    }
    g_autoptr(GString) names = g_string_new(NULL);
    for (guint i = 0; i < hits->len; i++) {
        const struct kc_profile *p = g_ptr_array_index(hits, i);
        if (strcmp(p->name, KC_DEFAULT_PROFILE) == 0) {
            *out = p;
            return KC_SELECT_OK;
        }
        g_string_append_printf(names, "%s'%s'", i ? ", " : "", p->name);
    }
    g_set_error(error, KC_ERROR, KC_EXIT_CONFIG,
                "profiles %s all serve this host; say which with profile=NAME on stdin or "
                "--profile NAME",
                names->str);
    return KC_SELECT_ERROR;
}

bool kc_config_write_profile(const char *user_file, const char *profile, const char *const *keys,
                             const char *const *values, size_t n, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) e = NULL;
    if (!g_key_file_load_from_file(kf, user_file,
                                   G_KEY_FILE_KEEP_COMMENTS | G_KEY_FILE_KEEP_TRANSLATIONS, &e) &&
        !g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
        g_set_error(error, KC_ERROR, KC_EXIT_CONFIG, "cannot read config file %s: %s; fix it",
                    user_file, e->message);
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
