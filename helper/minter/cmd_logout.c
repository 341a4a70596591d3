/* logout: forget the profile's token (keyring) and its cached KS. */
#include <stdio.h>

#include "contract.h"
#include "diag.h"
#include "handlers.h"
#include "keyring.h"
#include "mint.h"
#include "select.h"

int kc_cmd_logout(const struct kc_cli *cli)
{
    struct kc_config *cfg = NULL;
    const struct kc_profile *p = NULL;
    bool not_served;
    int rc = kc_select(cli->config, cli->profile, NULL, &cfg, &p, &not_served);
    if (rc != KC_EXIT_OK)
        return rc;
    GError *e = NULL;
    bool removed = false;
    if (!kc_profile_complete(p, &e) || !kc_keyring_clear(p, &removed, &e)) {
        kc_config_free(cfg);
        return kc_fail(e);
    }
    struct kc_ks_params params;
    struct kc_ks_params_buf pbuf;
    kc_mint_params(p, &params, &pbuf);
    struct kc_cache *cache = kc_cache_open(false);
    kc_cache_drop_ks(cache, &params);
    kc_cache_close(cache);
    printf(removed ? "Removed the App Token of profile '%s' from the keyring.\n"
                   : "No App Token was stored for profile '%s'.\n",
           p->name);
    kc_config_free(cfg);
    return KC_EXIT_OK;
}
