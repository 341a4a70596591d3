/* Minting a KS from an App Token. */
#include "mint.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "contract.h"
#include "secure_mem.h"
#include "token_hash.h"

void kc_mint_params(const struct kc_profile *p, struct kc_ks_params *out,
                    struct kc_ks_params_buf *buf)
{
    memset(out, 0, sizeof *out);
    out->service_url = p->service_url;
    out->partner_id = p->partner_id;
    out->app_token_id = p->app_token_id;
    out->hash_function = kc_hash_name(p->hash);
    out->user_id = p->user_id;
    out->privileges = p->privileges;
    if (p->session_type >= 0) {
        snprintf(buf->session_type, sizeof buf->session_type, "%d", p->session_type);
        out->session_type = buf->session_type;
    }
    if (p->expiry > 0) {
        snprintf(buf->expiry, sizeof buf->expiry, "%lld", p->expiry);
        out->expiry = buf->expiry;
    }
}

/* A widget KS: from the cache, else from the server (and then cached). */
char *kc_mint_widget(const struct kc_profile *p, struct kc_cache *cache, struct kc_api *api,
                     bool *from_cache, GError **error)
{
    char *ks = NULL;
    *from_cache = false;
    if (cache && kc_cache_get_widget(cache, p->service_url, p->partner_id, time(NULL), &ks) == 1) {
        *from_cache = true;
        return ks;
    }
    struct kc_session w = {0};
    long long asked_at = (long long)time(NULL);
    if (!kc_api_start_widget_session(api, p->partner_id, KC_WIDGET_EXPIRY, &w, error))
        return NULL;
    if (cache)
        kc_cache_put_widget(cache, p->service_url, p->partner_id, w.ks,
                            asked_at + KC_WIDGET_EXPIRY);
    ks = w.ks;
    w.ks = NULL;
    kc_session_clear(&w);
    return ks;
}

static bool start_session(const struct kc_profile *p, const char *token, const char *wks,
                          struct kc_api *api, struct kc_session *out, GError **error)
{
    char hash[KC_TOKEN_HASH_HEX_MAX];
    if (kc_token_hash(p->hash, wks, token, hash, sizeof hash) != 0) {
        g_set_error(error, KC_ERROR, KC_EXIT_INTERNAL, "cannot compute the %s token hash",
                    kc_hash_name(p->hash));
        return false;
    }
    struct kc_app_session_req r = {
        .widget_ks = wks,
        .id = p->app_token_id,
        .token_hash = hash,
        .user_id = p->user_id,
        .type = p->session_type,
        .expiry = p->expiry,
        .privileges = p->privileges,
    };
    bool ok = kc_api_start_app_session(api, &r, out, error);
    secure_wipe(hash, sizeof hash);
    return ok;
}

bool kc_mint_with_widget(const struct kc_profile *p, const char *token, char *wks, bool from_cache,
                         struct kc_cache *cache, struct kc_api *api, struct kc_session *out,
                         GError **error)
{
    memset(out, 0, sizeof *out);
    g_autoptr(GError) e = NULL;
    bool ok = start_session(p, token, wks, api, out, &e);
    const char *code = kc_api_last_error_code(api);
    if (!ok && from_cache && code && strcmp(code, "INVALID_KS") == 0) {
        /* The cached widget KS expired early or was refused: once more with a fresh one. */
        kc_cache_drop_widget(cache, p->service_url, p->partner_id);
        secure_free_str(wks);
        g_clear_error(&e);
        wks = kc_mint_widget(p, NULL, api, &from_cache, &e);
        if (wks) {
            kc_cache_put_widget(cache, p->service_url, p->partner_id, wks,
                                (long long)time(NULL) + KC_WIDGET_EXPIRY);
            ok = start_session(p, token, wks, api, out, &e);
        }
    }
    secure_free_str(wks);
    if (!ok)
        g_propagate_error(error, g_steal_pointer(&e));
    return ok;
}

bool kc_mint(const struct kc_profile *p, const char *token, struct kc_cache *cache,
             struct kc_api *api, struct kc_session *out, GError **error)
{
    bool from_cache;
    memset(out, 0, sizeof *out);
    char *wks = kc_mint_widget(p, cache, api, &from_cache, error);
    return wks && kc_mint_with_widget(p, token, wks, from_cache, cache, api, out, error);
}

const char *kc_session_username(const struct kc_profile *p, const struct kc_session *s)
{
    return s->user_id && *s->user_id ? s->user_id : p->app_token_id;
}
