/* The minting flow, from start to end (doc/helper.md "Minting", doc/cache.md): the cached KS; else,
 * under the single-flight lock, a fresh one: the widget KS (cached, else fetched in a worker thread
 * while the keyring is read), lowercase_hex(HASH(widget KS + token)), appToken.startSession
 * (once more with a fresh widget KS when the cached one is refused), and the cache put. */
#ifndef KC_MINT_H
#define KC_MINT_H

#include <glib.h>
#include <stdbool.h>

#include "answer.h"
#include "cache.h"
#include "config.h"
#include "kaltura_api.h"
#include "protocol.h"

/* Lifetime asked for a widget KS (the server's default; it may cap it lower, which the
 * INVALID_KS retry absorbs). */
#define KC_WIDGET_EXPIRY 86400

/* get, ks: a valid KS for p into out: from the cache (with min_lifetime left, or the request's
 * min_lifetime= when that is more) or freshly minted with the keyring's token (then cached).
 * Either way the request alias is recorded for the frontend: cfg's files, profile_arg
 * (--profile or NULL) and req (NULL for `ks`). A request with shared=false gets a fresh KS
 * that is neither cached nor aliased. Returns an exit code; a failure has printed its
 * diagnostic. */
int kc_obtain_ks(const struct kc_config *cfg, const char *profile_arg, const struct kc_profile *p,
                 const struct kc_request *req, struct kc_answer *out);

/* login: mints one KS for p with token (not the keyring's); the widget KS is cached like get
 * caches it (cache may be NULL). out: the new session (kc_session_clear). */
bool kc_mint_with_token(const struct kc_profile *p, const char *token, struct kc_cache *cache,
                        struct kc_session *out, GError **error);

/* login, once the token is stored: s (the check's KS) replaces p's cached KS, which was minted
 * with the token stored before; without a KS in s (--no-verify) the cached one is dropped. */
void kc_mint_cache_replace(const struct kc_profile *p, struct kc_cache *cache,
                           const struct kc_session *s);

/* The cache key of everything that shapes p's KS; strings point into p or into buf. */
struct kc_ks_params_buf {
    char session_type[16];
    char expiry[24];
};
void kc_mint_params(const struct kc_profile *p, struct kc_ks_params *out,
                    struct kc_ks_params_buf *buf);

#endif
