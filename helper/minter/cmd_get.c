/* get, ks, erase: the git credential protocol side (README "Commands"). */
#include <string.h>
#include <time.h>

#include "cli_opts.h"
#include "contract.h"
#include "diag.h"
#include "handlers.h"
#include "mint.h"
#include "protocol.h"
#include "request.h"
#include "select.h"

static int get_or_ks(const struct kc_cli *cli, bool bare, enum kc_answer_format format)
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
    rc = kc_select(cli->config, cli->profile, bare ? NULL : &req, &cfg, &p, &not_served);
    if (rc == KC_EXIT_OK && !not_served)
        rc = kc_obtain_ks(cfg, cli->profile, p, bare ? NULL : &req, &e);
    if (rc == KC_EXIT_OK && !not_served)
        rc = kc_answer_print(stdout, &e, format);
    kc_answer_clear(&e);
    kc_request_clear(&req);
    kc_config_free(cfg);
    return rc;
}

int kc_cmd_get(const struct kc_cli *cli)
{
    return get_or_ks(cli, false, KC_ANSWER_CREDENTIAL);
}

int kc_cmd_ks(const struct kc_cli *cli)
{
    enum kc_answer_format format;
    char why[512];
    if (kc_ks_opts_parse(cli->argc, cli->argv, &format, why, sizeof why) != KC_EXIT_OK) {
        diag_error("%s; see kaltura-credential --help", why);
        return KC_EXIT_USAGE;
    }
    return get_or_ks(cli, true, format);
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
