/* Configuration (README "Configuration"): GKeyFile INI files, one group per profile, no secrets.
 * The keys: config_keys.h; choosing a profile for a request: select.h. */
#ifndef KC_CONFIG_H
#define KC_CONFIG_H

#include <glib.h>
#include <stdbool.h>

#include "contract.h"
#include "error.h"
#include "paths.h"
#include "token_hash.h"

#define KC_DEFAULT_PROFILE     "default"
#define KC_DEFAULT_SERVICE_URL "https://www.kaltura.com"

/* One profile. The fields a config key sets are named after it (config_keys.c). */
struct kc_profile {
    char *name;
    char *service_url;  /* normalised: scheme://host[:port][/path], no trailing slash */
    char *protocol;     /* "https" or "http" (for the git protocol output) */
    char *host;         /* host[:port] as git writes it; default ports dropped */
    char *hostname;     /* host alone (IPv6 without brackets) */
    char *partner_id;   /* decimal, validated; NULL when not set */
    char *app_token_id; /* NULL when not set */
    enum kc_hash hash;
    char *user_id;     /* NULL: unset */
    int session_type;  /* -1 unset, 0 user, 2 admin */
    long long expiry;  /* seconds; -1 unset */
    char *privileges;  /* NULL: unset */
    char *ca_file;     /* NULL: system store */
    char *proxy;       /* NULL: the environment's proxies; "none": none (kc_proxy_check) */
    long long timeout; /* seconds for one command's network work */
    bool cache;
    long long min_lifetime;
    bool allow_insecure;
};

struct kc_config {
    struct kc_config_paths paths;
    GPtrArray *profiles; /* struct kc_profile *, in the order first seen */
};

/* Reads the files in force (kc_config_paths_get(override)); missing non-override files are
 * fine (an empty config). Refuses secret-looking keys, bad profile names and bad values
 * (KC_EXIT_CONFIG); warns about unknown keys. */
struct kc_config *kc_config_load(const char *override, GError **error);
/* Like kc_config_load, with one more layer (INI text, may be NULL) that wins over the files:
 * `login` uses it for the values given on its command line, and may create a missing
 * --config file, so with extra a missing override file is not an error. */
struct kc_config *kc_config_load_extra(const char *override, const char *extra, GError **error);
/* Parses the texts of n files (NULL: absent) in order, later ones winning key by key; sources
 * name them in messages. Used by load and by tests. */
struct kc_config *kc_config_load_data(const char *const *texts, const char *const *sources,
                                      size_t n, GError **error);
void kc_config_free(struct kc_config *c);

/* Where the loader's warnings (unknown keys) go: stderr (diag_warning) while sink is NULL;
 * doctor collects them as check lines. */
void kc_config_set_warning_sink(void (*sink)(const char *msg, void *ctx), void *ctx);

const struct kc_profile *kc_config_find(const struct kc_config *c, const char *name);

/* true when the profile has everything needed to mint (partner_id, app_token_id); otherwise
 * sets a KC_EXIT_CONFIG error naming what is missing. */
bool kc_profile_complete(const struct kc_profile *p, GError **error);

/* How service URLs are parsed: nothing percent-decoded (the host as libcurl sees it). */
#define KC_URI_FLAGS (G_URI_FLAGS_ENCODED | G_URI_FLAGS_NON_DNS)

/* Normalises a service URL (see struct kc_profile): lowercase scheme and host, default port
 * and trailing slashes (and a trailing /api_v3) dropped, the path kept as written; no user
 * info, query or fragment; a host of letters, digits, '.' and '-' (no '%'-escape) or an IP
 * literal. https always; http only for a loopback host unless allow_insecure. Returns a new
 * string and the protocol and host parts (g_free all three). */
char *kc_service_url_normalise(const char *url, bool allow_insecure, char **protocol, char **host,
                               GError **error);
/* true for localhost, *.localhost, 127.0.0.0/8 and ::1 (host without port). */
bool kc_host_is_loopback(const char *host);
/* true when p uses plain http on a non-loopback host (allowed by allow_insecure). */
bool kc_profile_insecure(const struct kc_profile *p);

/* `login`: sets key=value pairs (values NULL: remove the key) in profile's group of the user
 * file, keeping comments and other groups; atomic replace with mode 0600. */
bool kc_config_write_profile(const char *user_file, const char *profile, const char *const *keys,
                             const char *const *values, size_t n, GError **error);

#endif
