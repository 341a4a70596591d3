/* revoke: end a KS on the server (session.end) and forget it locally. */
#include <string.h>
#include <time.h>

#include "contract.h"
#include "diag.h"
#include "handlers.h"
#include "kaltura_api.h"
#include "mint.h"
#include "request.h"
#include "select.h"
#include "text.h"

/* End ks at p's server. An INVALID_KS answer means it is already dead: fine, unless the KS
 * was the caller's alone (shared=false, the PAM module's): then nobody else could have ended
 * it, and the caller must hear that its KS did not end here. */
static int end_session(const struct kc_profile *p, const char *ks, bool unshared)
{
    GError *e = NULL;
    struct kc_api *api = kc_api_new(p, &e);
    if (!api)
        return kc_fail(e);
    bool ok = kc_api_end_session(api, ks, &e);
    const char *code = kc_api_last_error_code(api);
    if (!ok && !unshared && code && strcmp(code, "INVALID_KS") == 0) {
        g_clear_error(&e);
        ok = true;
    }
    kc_api_free(api);
    return ok ? KC_EXIT_OK : kc_fail(e);
}

int kc_cmd_revoke(const struct kc_cli *cli)
{
    struct kc_request req;
    struct kc_config *cfg = NULL;
    const struct kc_profile *p = NULL;
    bool not_served = false;
    int rc = kc_read_request(&req, true);
    if (rc == KC_EXIT_OK)
        rc = kc_select(cli->config, cli->profile, &req, &cfg, &p, &not_served);
    if (rc != KC_EXIT_OK || not_served)
        goto out;
    struct kc_ks_params params;
    struct kc_ks_params_buf pbuf;
    kc_mint_params(p, &params, &pbuf);
    bool keyed = kc_profile_complete(p, NULL); /* else there is no cache entry */
    struct kc_cache *cache = keyed ? kc_cache_open(false) : NULL;
    struct kc_answer cur = {0};
    bool cached = kc_cache_get_ks(cache, &params, 0, time(NULL), &cur) == 1;
    const char *ks = req.password ? req.password : cached ? cur.ks : NULL;
    if (!ks) {
        diag_warning("nothing to revoke for profile '%s': no cached KS and no password= on "
                     "standard input",
                     p->name);
    } else if (!kc_text_ok(ks, KC_ANSWER_MAX_KS, KC_TEXT_NONEMPTY | KC_TEXT_NO_SPACE)) {
        diag_error("revoke: the password= value is not a KS");
        rc = KC_EXIT_INPUT;
    } else {
        rc = end_session(p, ks, req.unshared);
        if (rc == KC_EXIT_OK && cached && strcmp(ks, cur.ks) == 0)
            kc_cache_drop_ks(cache, &params);
    }
    kc_answer_clear(&cur);
    kc_cache_close(cache);
out:
    kc_request_clear(&req);
    kc_config_free(cfg);
    return rc;
}
