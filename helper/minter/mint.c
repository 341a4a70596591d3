/* The minting flow (mint.h). Read from the bottom up: kc_obtain_ks is the whole story. */
#include "mint.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "contract.h"
#include "error.h"
#include "keyring.h"
#include "secure_mem.h"
#include "token_hash.h"
#include "trace.h"

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

/* The answer for a session: the username `get` prints is the session's user id, else the App
 * Token id. Strings point into p and s. */
static struct kc_answer answer_view(const struct kc_profile *p, const struct kc_session *s)
{
    return (struct kc_answer){
        .ks = s->ks,
        .username = s->user_id && *s->user_id ? s->user_id : p->app_token_id,
        .protocol = p->protocol,
        .host = p->host,
        .expiry = s->expiry,
        .service_url = p->service_url,
        .partner_id = p->partner_id,
        .user_id = s->user_id,
        .privileges = s->privileges,
    };
}

/* A malloc'd copy of a view (kc_answer_clear frees it). */
static void answer_copy(struct kc_answer *out, const struct kc_answer *v)
{
    out->ks = kc_xstrdup(v->ks);
    out->username = kc_xstrdup(v->username);
    out->protocol = kc_xstrdup(v->protocol);
    out->host = kc_xstrdup(v->host);
    out->expiry = v->expiry;
    out->service_url = kc_xstrdup(v->service_url);
    out->partner_id = kc_xstrdup(v->partner_id);
    out->user_id = v->user_id ? kc_xstrdup(v->user_id) : NULL;
    out->privileges = v->privileges ? kc_xstrdup(v->privileges) : NULL;
}

/* ---- the widget KS ---- */

/* From the cache, else from the server (and then cached). *from_cache says which. */
static char *widget_ks(const struct kc_profile *p, struct kc_cache *cache, struct kc_api *api,
                       bool *from_cache, GError **error)
{
    char *ks = NULL;
    *from_cache = false;
    if (cache && kc_cache_get_widget(cache, p->service_url, p->partner_id, time(NULL), &ks) == 1) {
        kc_trace("widget KS: from the cache");
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

/* widget_ks in a worker thread, so that the keyring lookup on the main thread overlaps it
 * (the widget session needs no token; libsecret's sync API stays on the main thread). From
 * widget_start until widget_finish the worker owns api and cache. */
struct widget_job {
    const struct kc_profile *p;
    struct kc_cache *cache;
    struct kc_api *api;
    gint stop; /* atomic: set by the main thread, read by the worker's progress callback */
    GThread *thread;
    /* written by the worker, read after the join */
    char *wks;
    bool from_cache;
    GError *error;
};

static bool job_stopped(void *ctx)
{
    struct widget_job *j = ctx;
    return g_atomic_int_get(&j->stop) != 0;
}

static gpointer widget_thread(gpointer data)
{
    struct widget_job *j = data;
    j->wks = widget_ks(j->p, j->cache, j->api, &j->from_cache, &j->error);
    return NULL;
}

static struct widget_job *widget_start(const struct kc_profile *p, struct kc_cache *cache,
                                       struct kc_api *api)
{
    struct widget_job *j = g_new0(struct widget_job, 1);
    j->p = p;
    j->cache = cache;
    j->api = api;
    kc_api_set_cancel(api, job_stopped, j); /* before the thread exists: no race on api */
    j->thread = g_thread_new("kc-widget", widget_thread, j);
    return j;
}

/* Waits for the worker (stop: abandon a transfer in progress, no retry) and frees j; returns
 * what widget_ks returned. api and cache are the caller's again. */
static char *widget_finish(struct widget_job *j, bool stop, bool *from_cache, GError **error)
{
    if (stop)
        g_atomic_int_set(&j->stop, 1);
    g_thread_join(j->thread);
    kc_api_set_cancel(j->api, NULL, NULL);
    char *wks = j->wks;
    *from_cache = j->from_cache;
    if (j->error)
        g_propagate_error(error, j->error);
    g_free(j);
    return wks;
}

/* ---- appToken.startSession ---- */

static bool start_session(const struct kc_profile *p, const char *token, const char *wks,
                          struct kc_api *api, struct kc_session *out, GError **error)
{
    char hash[KC_TOKEN_HASH_HEX_MAX];
    if (kc_token_hash(p->hash, wks, token, hash, sizeof hash) != 0) {
        g_set_error(error, KC_ERROR, KC_EXIT_INTERNAL, "cannot compute the %s token hash",
                    kc_hash_name(p->hash));
        return false;
    }
    kc_trace("token hash: %s of the widget KS and the token", kc_hash_name(p->hash));
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

/* Takes wks over (wipes and frees it). A cached widget KS refused with INVALID_KS is dropped
 * and the session is asked for once more with a fresh one. */
static bool app_session(const struct kc_profile *p, const char *token, char *wks, bool from_cache,
                        struct kc_cache *cache, struct kc_api *api, struct kc_session *out,
                        GError **error)
{
    memset(out, 0, sizeof *out);
    g_autoptr(GError) e = NULL;
    bool ok = start_session(p, token, wks, api, out, &e);
    const char *code = kc_api_last_error_code(api);
    if (!ok && from_cache && code && strcmp(code, "INVALID_KS") == 0) {
        kc_cache_drop_widget(cache, p->service_url, p->partner_id);
        secure_free_str(wks);
        g_clear_error(&e);
        wks = widget_ks(p, cache, api, &from_cache, &e); /* not cached now: fetched and kept */
        ok = wks && start_session(p, token, wks, api, out, &e);
    }
    secure_free_str(wks);
    if (!ok)
        g_propagate_error(error, g_steal_pointer(&e));
    return ok;
}

/* ---- a fresh KS ---- */

bool kc_mint_with_token(const struct kc_profile *p, const char *token, struct kc_cache *cache,
                        struct kc_session *out, GError **error)
{
    bool from_cache;
    memset(out, 0, sizeof *out);
    struct kc_api *api = kc_api_new(p, error);
    char *wks = api ? widget_ks(p, cache, api, &from_cache, error) : NULL;
    bool ok = wks && app_session(p, token, wks, from_cache, cache, api, out, error);
    kc_api_free(api);
    return ok;
}

/* The widget fetch, started once the keyring has found the token's item (not before: without
 * a bus, a Secret Service or an item, no request reaches the server at all). */
struct overlap {
    const struct kc_profile *p;
    struct kc_cache *cache;
    GError **error;
    struct kc_api *api;
    struct widget_job *job;
};

static void overlap_start(void *data)
{
    struct overlap *o = data;
    o->api = kc_api_new(o->p, o->error);
    o->job = o->api ? widget_start(o->p, o->cache, o->api) : NULL;
}

/* With the keyring's token. The widget KS is fetched while the keyring reads the token (a
 * Secret Service session, GetSecrets, maybe an unlock prompt): a cold get costs the longer of
 * the two, not their sum. A keyring failure wins over a network one (it says what to do), and
 * stops the fetch early. */
static int mint_fresh(const struct kc_profile *p, struct kc_cache *cache, struct kc_session *s)
{
    GError *e = NULL, *ek = NULL;
    char *token = NULL, *wks = NULL;
    bool from_cache = false;
    /* kc_api_new warns about plain http; that warning must not precede a keyring error (one
     * line per failure), so such a rare profile waits for the keyring first. */
    bool overlap = !kc_profile_insecure(p);
    struct overlap o = {.p = p, .cache = cache, .error = &e};
    double t0 = kc_trace_ms();
    enum kc_keyring_rc krc =
        kc_keyring_lookup_found(p, overlap ? overlap_start : NULL, &o, &token, &ek);
    bool found = krc == KC_KEYRING_FOUND;
    kc_trace("keyring: lookup: %s in %.1f ms",
             found                         ? "token found"
             : krc == KC_KEYRING_NOT_FOUND ? "no token stored"
             : krc == KC_KEYRING_LOCKED    ? "locked"
                                           : "unavailable",
             kc_trace_ms() - t0);
    struct kc_api *api = o.api;
    struct widget_job *job = o.job;
    if (job)
        wks = widget_finish(job, !found, &from_cache, &e);
    if (!found) {
        secure_free_str(wks);
        kc_api_free(api);
        g_clear_error(&e);
        return kc_fail(ek);
    }
    if (!overlap) {
        api = kc_api_new(p, &e);
        wks = api ? widget_ks(p, cache, api, &from_cache, &e) : NULL;
    }
    bool ok = wks && app_session(p, token, wks, from_cache, cache, api, s, &e);
    kc_keyring_free(token);
    kc_api_free(api);
    return ok ? KC_EXIT_OK : kc_fail(e);
}

/* ---- the whole flow ---- */

int kc_obtain_ks(const struct kc_config *cfg, const char *profile_arg, const struct kc_profile *p,
                 const struct kc_request *req, struct kc_answer *out)
{
    GError *e = NULL;
    memset(out, 0, sizeof *out);
    if (!kc_profile_complete(p, &e))
        return kc_fail(e);
    struct kc_ks_params params;
    struct kc_ks_params_buf pbuf;
    kc_mint_params(p, &params, &pbuf);
    struct kc_request_ident ident = {.paths = &cfg->paths, .profile_arg = profile_arg, .req = req};
    struct kc_cache *cache = p->cache ? kc_cache_open(true) : NULL;
    struct kc_session s = {0};
    int rc = KC_EXIT_OK, lock = -1;
    /* shared=false: a KS for this request alone: minted, never cached (the widget KS still
     * is: it is not what a caller revokes). min_lifetime=: a floor above the profile's. */
    bool shared = !(req && req->unshared);
    long long min_left =
        req && req->min_lifetime > p->min_lifetime ? req->min_lifetime : p->min_lifetime;
    if (!cache)
        kc_trace("cache: %s",
                 p->cache ? "none (no usable cache directory)" : "off (cache = false)");
    if (!shared) {
        kc_trace("cache: not used, a KS for this request alone (shared=false)");
        goto mint;
    }
    if (cache && kc_cache_get_ks(cache, &params, min_left, time(NULL), out) == 1)
        goto hit;
    /* Single flight: whoever holds the lock mints; the others find its KS on the re-check. */
    double t0 = kc_trace_ms();
    lock = kc_cache_lock(cache, &params, (int)p->timeout);
    if (cache && kc_cache_get_ks(cache, &params, min_left, time(NULL), out) == 1) {
        kc_trace("cache: a concurrent mint's KS, after %.1f ms", kc_trace_ms() - t0);
        goto hit;
    }
    kc_trace("cache: %s, minting", cache ? "miss" : "not used");
mint:
    rc = mint_fresh(p, cache, &s);
    if (rc == KC_EXIT_OK) {
        struct kc_answer view = answer_view(p, &s);
        answer_copy(out, &view);
        kc_trace("minted a KS valid for %lld s", out->expiry - (long long)time(NULL));
        if (cache && shared && kc_cache_put_ks(cache, &params, out) == 0)
            kc_trace("cache: KS stored");
    }
    goto done;
hit:
    kc_trace("cache: hit, the KS is valid for %lld s more", out->expiry - (long long)time(NULL));
done:
    kc_session_clear(&s);
    if (rc == KC_EXIT_OK && cache && shared)
        kc_cache_put_request(cache, &ident, &params, p->min_lifetime);
    kc_cache_unlock(lock);
    kc_cache_close(cache);
    return rc;
}

void kc_mint_cache_replace(const struct kc_profile *p, struct kc_cache *cache,
                           const struct kc_session *s)
{
    struct kc_ks_params params;
    struct kc_ks_params_buf pbuf;
    kc_mint_params(p, &params, &pbuf);
    if (!s->ks) {
        kc_cache_drop_ks(cache, &params);
        return;
    }
    struct kc_answer view = answer_view(p, s);
    kc_cache_put_ks(cache, &params, &view);
}
