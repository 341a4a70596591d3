/* The seed flow (design.md §1): widget KS (reused from the cache when there is one) ->
 * lowercase_hex(HASH(widget KS + token)) -> appToken.startSession. */
#ifndef KC_MINT_H
#define KC_MINT_H

#include <glib.h>
#include <stdbool.h>

#include "cache.h"
#include "config.h"
#include "kaltura_api.h"

/* Lifetime asked for a widget KS (the server's default; it may cap it lower, which the
 * INVALID_KS retry absorbs). */
#define KC_WIDGET_EXPIRY 86400

/* Mints a KS for p with token through api. cache may be NULL (no widget reuse). When a cached
 * widget KS is refused with INVALID_KS, it is dropped and the flow is retried once with a
 * fresh one. out: the new session (kc_session_clear). */
bool kc_mint(const struct kc_profile *p, const char *token, struct kc_cache *cache,
             struct kc_api *api, struct kc_session *out, GError **error);

/* The two halves of kc_mint, for a caller that overlaps the keyring lookup with the first:
 * kc_mint_widget gets the widget KS (cached, else from the server, then cached; *from_cache
 * tells which); kc_mint_with_widget takes it over (wipes and frees it) and finishes the flow. */
char *kc_mint_widget(const struct kc_profile *p, struct kc_cache *cache, struct kc_api *api,
                     bool *from_cache, GError **error);
bool kc_mint_with_widget(const struct kc_profile *p, const char *token, char *wks, bool from_cache,
                         struct kc_cache *cache, struct kc_api *api, struct kc_session *out,
                         GError **error);

/* The cache key of everything that shapes p's KS; strings point into p or into buf. */
struct kc_ks_params_buf {
    char session_type[16];
    char expiry[24];
};
void kc_mint_params(const struct kc_profile *p, struct kc_ks_params *out,
                    struct kc_ks_params_buf *buf);

/* The username `get` prints with a KS: the session's user id, else the App Token id. */
const char *kc_session_username(const struct kc_profile *p, const struct kc_session *s);

#endif
