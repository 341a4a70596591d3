/* get, ks, erase: the git credential protocol side (design.md §3.4). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "handlers.h"
#include "diag.h"
#include "contract.h"
#include "keyring.h"
#include "mint.h"
#include "protocol.h"
#include "secure_mem.h"
#include "widget_worker.h"

int kc_fail(GError *error)
{
    int code = error ? error->code : KC_EXIT_INTERNAL;
    diag_error("%s", error ? error->message : "internal error");
    g_clear_error(&error);
    return code == KC_EXIT_OK ? KC_EXIT_INTERNAL : code;
}

/* A request the frontend already read arrives in its memfd (frontend.c feed_request), which
 * stays our stdin for the whole mint. Once read, its bytes (a password= line, for erase) have
 * no reason to stay there. Only that memfd is emptied: never a file the user redirected. */
static void forget_fed_request(void)
{
    static const char prefix[] = "/memfd:" KC_FED_REQUEST_NAME;
    char link[sizeof prefix + 32];
    ssize_t n = readlink("/proc/self/fd/0", link, sizeof link - 1);
    if (n < (ssize_t)sizeof prefix - 1)
        return;
    link[n] = '\0';
    if (strncmp(link, prefix, sizeof prefix - 1) == 0 && ftruncate(STDIN_FILENO, 0) != 0)
        diag_warning("cannot empty the request memfd: %s", strerror(errno));
}

int kc_read_request(struct kc_request *req, bool skip_tty)
{
    const char *why = NULL;
    memset(req, 0, sizeof *req);
    if (skip_tty && isatty(STDIN_FILENO))
        return KC_EXIT_OK;
    if (kc_request_read_fd(STDIN_FILENO, req, NULL, NULL, &why) != 0) {
        diag_error("bad credential request on standard input: %s", why ? why : "read error");
        return KC_EXIT_INPUT;
    }
    forget_fed_request();
    return KC_EXIT_OK;
}

int kc_select(const struct kc_cli *cli, const struct kc_request *req, struct kc_config **cfg,
              const struct kc_profile **p, bool *not_served)
{
    GError *e = NULL;
    *p = NULL;
    *not_served = false;
    *cfg = kc_config_load(cli->config, &e);
    if (!*cfg)
        return kc_fail(e);
    enum kc_select s = kc_config_select(*cfg, cli->profile, req ? req->profile : NULL,
                                        req ? req->protocol : NULL, req ? req->host : NULL, p, &e);
    if (s == KC_SELECT_ERROR)
        return kc_fail(e);
    *not_served = s == KC_SELECT_NOT_SERVED;
    return KC_EXIT_OK;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        abort();
    return d;
}

/* Mints with the keyring's token; fills out (malloc'd strings, as the cache wants them).
 * The widget KS needs no token, so a worker thread fetches it while the keyring is read here
 * (libsecret's sync API stays on the main thread): a cold get costs the longer of the two, not
 * their sum. A keyring failure wins over a network one (it says what to do), and stops the
 * fetch early. */
static int mint_fresh(const struct kc_profile *p, struct kc_cache *cache, struct kc_answer *out)
{
    GError *e = NULL, *ek = NULL;
    char *token = NULL;
    bool from_cache = false;
    char *wks = NULL;
    /* kc_api_new warns about plain http; that warning must not precede a keyring error (one
     * line per failure), so such a rare profile waits for the keyring first. */
    bool overlap = !kc_profile_insecure(p);
    struct kc_api *api = overlap ? kc_api_new(p, &e) : NULL;
    struct kc_widget_job *job = api ? kc_widget_job_start(p, cache, api) : NULL;
    bool found = kc_keyring_lookup(p, &token, &ek) == KC_KEYRING_FOUND;
    if (job) { /* api and cache are ours again once the worker is joined */
        if (!found)
            kc_widget_job_stop(job);
        wks = kc_widget_job_finish(job, &from_cache, &e);
    }
    if (!found) {
        secure_free_str(wks);
        kc_api_free(api);
        g_clear_error(&e);
        return kc_fail(ek);
    }
    if (!overlap) {
        api = kc_api_new(p, &e);
        wks = api ? kc_mint_widget(p, cache, api, &from_cache, &e) : NULL;
    }
    struct kc_session s = {0};
    bool ok = wks && kc_mint_with_widget(p, token, wks, from_cache, cache, api, &s, &e);
    kc_keyring_free(token);
    kc_api_free(api);
    if (!ok)
        return kc_fail(e);
    out->ks = xstrdup(s.ks);
    out->username = xstrdup(kc_session_username(p, &s));
    out->protocol = xstrdup(p->protocol);
    out->host = xstrdup(p->host);
    out->expiry = s.expiry;
    kc_session_clear(&s);
    return KC_EXIT_OK;
}

int kc_obtain_ks(const struct kc_cli *cli, const struct kc_config *cfg, const struct kc_profile *p,
                 const struct kc_request *req, struct kc_answer *out)
{
    GError *e = NULL;
    memset(out, 0, sizeof *out);
    if (!kc_profile_complete(p, &e))
        return kc_fail(e);
    struct kc_ks_params params;
    struct kc_ks_params_buf pbuf;
    kc_mint_params(p, &params, &pbuf);
    struct kc_request_ident ident = {.paths = &cfg->paths, .profile_arg = cli->profile, .req = req};
    struct kc_cache *cache = p->cache ? kc_cache_open(true) : NULL;
    int rc = KC_EXIT_OK, lock = -1;
    if (cache && kc_cache_get_ks(cache, &params, p->min_lifetime, time(NULL), out) == 1)
        goto hit;
    /* Single flight: whoever holds the lock mints; the others find its KS on the re-check. */
    lock = kc_cache_lock(cache, &params, (int)p->timeout);
    if (cache && kc_cache_get_ks(cache, &params, p->min_lifetime, time(NULL), out) == 1)
        goto hit;
    rc = mint_fresh(p, cache, out);
    if (rc == KC_EXIT_OK && cache)
        kc_cache_put_ks(cache, &params, out);
hit:
    if (rc == KC_EXIT_OK && cache)
        kc_cache_put_request(cache, &ident, &params, p->min_lifetime);
    kc_cache_unlock(lock);
    kc_cache_close(cache);
    return rc;
}

static int get_or_ks(const struct kc_cli *cli, bool bare)
{
    struct kc_request req;
    struct kc_config *cfg = NULL;
    const struct kc_profile *p = NULL;
    bool not_served = false;
    struct kc_answer e = {0};
    /* `ks` reads no request (stdin is often a terminal) unless the frontend fed one, and
     * then ignores it: the frontend keys `ks` cache hits on no request either. */
    memset(&req, 0, sizeof req);
    int rc = (!bare || cli->request_fed) ? kc_read_request(&req, false) : KC_EXIT_OK;
    if (bare)
        kc_request_clear(&req);
    if (rc != KC_EXIT_OK)
        return rc;
    rc = kc_select(cli, bare ? NULL : &req, &cfg, &p, &not_served);
    if (rc == KC_EXIT_OK && !not_served)
        rc = kc_obtain_ks(cli, cfg, p, bare ? NULL : &req, &e);
    if (rc == KC_EXIT_OK && !not_served)
        rc = kc_answer_print(stdout, &e, bare ? KC_ANSWER_BARE : KC_ANSWER_CREDENTIAL);
    kc_answer_clear(&e);
    kc_request_clear(&req);
    kc_config_free(cfg);
    return rc;
}

int kc_cmd_get(const struct kc_cli *cli)
{
    return get_or_ks(cli, false);
}

int kc_cmd_ks(const struct kc_cli *cli)
{
    return get_or_ks(cli, true);
}

/* erase: git reports a KS it could not use. Forget the cached one, unless the caller names a
 * different KS (then ours is not the one that failed). Always silent, always exit 0 unless the
 * input itself is broken. */
int kc_cmd_erase(const struct kc_cli *cli)
{
    struct kc_request req;
    struct kc_config *cfg = NULL;
    const struct kc_profile *p = NULL;
    int rc = kc_read_request(&req, false);
    if (rc != KC_EXIT_OK)
        return rc;
    GError *e = NULL;
    cfg = kc_config_load(cli->config, &e);
    if (cfg &&
        kc_config_select(cfg, cli->profile, req.profile, req.protocol, req.host, &p, &e) ==
            KC_SELECT_OK &&
        kc_profile_complete(p, NULL)) {
        struct kc_ks_params params;
        struct kc_ks_params_buf pbuf;
        kc_mint_params(p, &params, &pbuf);
        struct kc_cache *cache = kc_cache_open(false);
        struct kc_answer cur = {0};
        bool hit = kc_cache_get_ks(cache, &params, 0, time(NULL), &cur) == 1;
        if (hit && (!req.password || strcmp(req.password, cur.ks) == 0))
            kc_cache_drop_ks(cache, &params);
        kc_answer_clear(&cur);
        kc_cache_close(cache);
    }
    g_clear_error(&e); /* git's rule: erase of something we do not know is not an error */
    kc_config_free(cfg);
    kc_request_clear(&req);
    return KC_EXIT_OK;
}
