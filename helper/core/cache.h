/* The KS cache in $XDG_RUNTIME_DIR/kaltura-credential/ (doc/cache.md). libc only, so that
 * the frontend can serve a hit without loading GLib, libsecret, libcurl or OpenSSL.
 * Layout and trust rules: doc/architecture.md "Cache layout". Nothing here ever prints a KS. */
#ifndef KC_CACHE_H
#define KC_CACHE_H

#include <stdbool.h>
#include <time.h>

#include "answer.h"
#include "paths.h"
#include "protocol.h"

struct kc_cache; /* an open, verified cache directory */

/* Opens (create: creating if missing) the cache dir. Returns NULL when there is no cache:
 * no XDG_RUNTIME_DIR, or a directory that is not ours / not 0700 / a symlink (then a warning
 * is printed once with diag_warning). */
struct kc_cache *kc_cache_open(bool create);
/* Same; quiet: no warnings at all (the frontend, whose miss hands over to the minter, which
 * warns). */
struct kc_cache *kc_cache_open_ex(bool create, bool quiet);
void kc_cache_close(struct kc_cache *c);

/* doctor: is the cache usable? 0: yes (the directory is created if missing, and an entry was
 * written and removed again); -1: no XDG_RUNTIME_DIR (no cache, by design); -2: refused or
 * not writable, *problem says why (static text). *path: the directory (free it; NULL with -1). */
int kc_cache_check(char **path, const char **problem);

/* Everything that shapes a KS. NULL members mean "unset". */
struct kc_ks_params {
    const char *service_url; /* normalised, no trailing slash */
    const char *partner_id;
    const char *app_token_id;
    const char *hash_function;
    const char *user_id;
    const char *session_type;
    const char *privileges;
    const char *expiry;
};

/* 1: hit (an entry for exactly these params with expiry - now > min_lifetime), 0: miss
 * (absent, stale, corrupt or foreign entries are misses; expired, corrupt and foreign ones
 * are removed; one still valid but below this min_lifetime is kept for the put to replace). */
int kc_cache_get_ks(struct kc_cache *c, const struct kc_ks_params *p, long long min_lifetime,
                    time_t now, struct kc_answer *out);
/* Atomically replaces the entry. 0 on success, -1 on error (a warning; caching is best effort).
 * A successful put also prunes expired entries (kc_cache_prune). */
int kc_cache_put_ks(struct kc_cache *c, const struct kc_ks_params *p, const struct kc_answer *e);
/* Forgets the KS of these params (erase/logout/revoke). Returns 0 also when there was none. */
int kc_cache_drop_ks(struct kc_cache *c, const struct kc_ks_params *p);

/* The request as the frontend sees it, before any config parsing: which config files are in
 * force (their bytes are part of the key), the --profile argument, and the request's
 * profile/protocol/host. */
struct kc_request_ident {
    const struct kc_config_paths *paths;
    const char *profile_arg;      /* --profile NAME or NULL */
    const struct kc_request *req; /* NULL for `ks` */
};

/* Frontend fast path: request alias -> ks entry. 1 hit, 0 miss. */
int kc_cache_get_by_request(struct kc_cache *c, const struct kc_request_ident *id, time_t now,
                            struct kc_answer *out);
/* Minter: records that this request resolves to the entry of params p, with min_lifetime. */
int kc_cache_put_request(struct kc_cache *c, const struct kc_request_ident *id,
                         const struct kc_ks_params *p, long long min_lifetime);

/* Widget KS of (service_url, partner_id): reused while it has > 60 s left. */
int kc_cache_get_widget(struct kc_cache *c, const char *service_url, const char *partner_id,
                        time_t now, char **ks_out);
int kc_cache_put_widget(struct kc_cache *c, const char *service_url, const char *partner_id,
                        const char *ks, long long expiry);
int kc_cache_drop_widget(struct kc_cache *c, const char *service_url, const char *partner_id);

/* Single-flight: exclusive flock on lock-<key of p>, waiting at most timeout_sec.
 * Returns an fd >= 0 to pass to kc_cache_unlock, or -1 (timeout/error: caller mints anyway). */
int kc_cache_lock(struct kc_cache *c, const struct kc_ks_params *p, int timeout_sec);
void kc_cache_unlock(int lock_fd);

/* Frontend single-flight for one request identity, so N concurrent cold `get`s start one
 * minter, not N (each minter costs ~20 ms of CPU for dynamic linking alone). Either this
 * process leads: returns an fd whose lock must stay held while the minter runs (it is not
 * O_CLOEXEC: exec the minter with it open); or another process leads: waits until it is done
 * (at most timeout_ms), returns -1 and sets *waited when it finished (then look up again). */
int kc_cache_lead_request(struct kc_cache *c, const struct kc_request_ident *id, int timeout_ms,
                          bool *waited);

/* Parses the bytes of a ks- entry (buf NUL-terminated, as kc_store_read returns it) whose
 * desc= line must equal desc[0..desc_len). KC_ENTRY_OK fills out (free with kc_answer_clear;
 * expiry is not compared with the clock here); KC_ENTRY_OTHER: a well-formed entry for another
 * description (a hash collision: keep it); KC_ENTRY_CORRUPT: not ours or incomplete (remove).
 * Exposed for unit tests and fuzz/fuzz_cache_entry.c. */
enum kc_entry_rc { KC_ENTRY_OK = 0, KC_ENTRY_OTHER = 1, KC_ENTRY_CORRUPT = 2 };
enum kc_entry_rc kc_cache_parse_ks_entry(const char *buf, const char *desc, size_t desc_len,
                                         struct kc_answer *out);

/* Removes expired ks-/widget- entries, dangling req- aliases, and lock files older than a
 * minute that nobody holds. */
void kc_cache_prune(struct kc_cache *c, time_t now);

#endif
