/* status: what is configured, stored and cached, per profile. Never prints a secret. */
#include <stdio.h>
#include <time.h>

#include "contract.h"
#include "diag.h"
#include "handlers.h"
#include "keyring.h"
#include "mint.h"

static void token_line(const struct kc_profile *p)
{
    GError *e = NULL;
    switch (kc_keyring_probe(p, &e)) { /* never asks to unlock */
    case KC_KEYRING_FOUND:
        printf("  token: stored in the keyring\n");
        break;
    case KC_KEYRING_NOT_FOUND:
        printf("  token: not stored (run `kaltura-credential --profile %s login`)\n", p->name);
        break;
    case KC_KEYRING_LOCKED:
        printf("  token: unknown, the keyring is locked\n");
        break;
    case KC_KEYRING_UNREADABLE:
        printf("  token: stored, but its secret could not be read (try again)\n");
        break;
    case KC_KEYRING_UNAVAILABLE:
        printf("  token: unknown, no keyring available\n");
        break;
    }
    g_clear_error(&e);
}

static void cache_line(const struct kc_profile *p)
{
    if (!p->cache) {
        printf("  cached KS: cache disabled\n");
        return;
    }
    struct kc_ks_params params;
    struct kc_ks_params_buf pbuf;
    kc_mint_params(p, &params, &pbuf);
    struct kc_cache *cache = kc_cache_open(false);
    struct kc_answer e = {0};
    time_t now = time(NULL);
    if (kc_cache_get_ks(cache, &params, 0, now, &e) == 1) {
        char when[64];
        time_t t = (time_t)e.expiry;
        struct tm tm;
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&t, &tm));
        printf("  cached KS: valid until %s (%lld s left)\n", when, e.expiry - (long long)now);
    } else {
        printf("  cached KS: none\n");
    }
    kc_answer_clear(&e);
    kc_cache_close(cache);
}

static void show(const struct kc_profile *p)
{
    printf("profile '%s': %s, partner %s, app token %s (%s)\n", p->name, p->service_url,
           p->partner_id ? p->partner_id : "(not set)",
           p->app_token_id ? p->app_token_id : "(not set)", kc_hash_name(p->hash));
    if (!kc_profile_complete(p, NULL)) {
        printf("  incomplete: run `kaltura-credential --profile %s login`\n", p->name);
        return;
    }
    token_line(p);
    cache_line(p);
}

int kc_cmd_status(const struct kc_cli *cli)
{
    GError *e = NULL;
    struct kc_config *cfg = kc_config_load(cli->config, &e);
    if (!cfg)
        return kc_fail(e);
    int rc = KC_EXIT_OK;
    if (cli->profile) {
        const struct kc_profile *p = kc_config_find(cfg, cli->profile);
        if (p)
            show(p);
        else {
            diag_error("profile '%s' is not configured; run `kaltura-credential --profile %s "
                       "login`",
                       cli->profile, cli->profile);
            rc = KC_EXIT_NO_PROFILE;
        }
    } else if (cfg->profiles->len == 0) {
        diag_error("no profiles configured; run `kaltura-credential login`");
        rc = KC_EXIT_NO_PROFILE;
    }
    for (guint i = 0; !cli->profile && i < cfg->profiles->len; i++)
        show(g_ptr_array_index(cfg->profiles, i));
    kc_config_free(cfg);
    return rc;
}
