/* status: what is configured, stored and cached, per profile; as text or, with --json, as one
 * JSON object (json-glib). Never prints a secret. */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "contract.h"
#include "diag.h"
#include "handlers.h"
#include "keyring.h"
#include "mint.h"

/* What status reports of one profile. */
struct status {
    bool complete;
    enum kc_keyring_rc token; /* when complete */
    bool cached;              /* a cached KS, still valid */
    long long expiry;         /* its expiry */
};

static void look(const struct kc_profile *p, struct status *st)
{
    memset(st, 0, sizeof *st);
    st->complete = kc_profile_complete(p, NULL);
    if (!st->complete)
        return;
    GError *e = NULL;
    st->token = kc_keyring_probe(p, &e); /* never asks to unlock */
    g_clear_error(&e);
    if (!p->cache)
        return;
    struct kc_ks_params params;
    struct kc_ks_params_buf pbuf;
    kc_mint_params(p, &params, &pbuf);
    struct kc_cache *cache = kc_cache_open(false);
    struct kc_answer a = {0};
    st->cached = kc_cache_get_ks(cache, &params, 0, time(NULL), &a) == 1;
    st->expiry = a.expiry;
    kc_answer_clear(&a);
    kc_cache_close(cache);
}

/* ---- text ---- */

static void show(const struct kc_profile *p)
{
    struct status st;
    printf("profile '%s': %s, partner %s, app token %s (%s)\n", p->name, p->service_url,
           p->partner_id ? p->partner_id : "(not set)",
           p->app_token_id ? p->app_token_id : "(not set)", kc_hash_name(p->hash));
    look(p, &st);
    if (!st.complete) {
        printf("  incomplete: run `kaltura-credential --profile %s login`\n", p->name);
        return;
    }
    switch (st.token) {
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
    if (!p->cache) {
        printf("  cached KS: cache disabled\n");
    } else if (st.cached) {
        char when[64];
        time_t t = (time_t)st.expiry;
        struct tm tm;
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&t, &tm));
        printf("  cached KS: valid until %s (%lld s left)\n", when,
               st.expiry - (long long)time(NULL));
    } else {
        printf("  cached KS: none\n");
    }
}

/* ---- JSON ---- */

static const char *token_word(const struct status *st)
{
    switch (st->token) {
    case KC_KEYRING_FOUND:
        return "stored";
    case KC_KEYRING_NOT_FOUND:
        return "not_stored";
    case KC_KEYRING_LOCKED:
        return "locked";
    case KC_KEYRING_UNREADABLE: /* stored, but its secret could not be read */
        return "unreadable";
    case KC_KEYRING_UNAVAILABLE:
        break;
    }
    return "unavailable";
}

static void add_str_or_null(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    if (value)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

/* {name, serviceUrl, partnerId, appTokenId, hashFunction, complete, token, cache, cachedKs} */
static void add_profile(JsonBuilder *b, const struct kc_profile *p)
{
    struct status st;
    look(p, &st);
    json_builder_begin_object(b);
    add_str_or_null(b, "name", p->name);
    add_str_or_null(b, "serviceUrl", p->service_url);
    json_builder_set_member_name(b, "partnerId");
    if (p->partner_id)
        json_builder_add_int_value(b, g_ascii_strtoll(p->partner_id, NULL, 10));
    else
        json_builder_add_null_value(b);
    add_str_or_null(b, "appTokenId", p->app_token_id);
    add_str_or_null(b, "hashFunction", kc_hash_name(p->hash));
    json_builder_set_member_name(b, "complete");
    json_builder_add_boolean_value(b, st.complete);
    add_str_or_null(b, "token", st.complete ? token_word(&st) : NULL);
    json_builder_set_member_name(b, "cache");
    json_builder_add_boolean_value(b, p->cache);
    json_builder_set_member_name(b, "cachedKs");
    if (st.cached) {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "expiry");
        json_builder_add_int_value(b, st.expiry);
        json_builder_set_member_name(b, "secondsLeft");
        json_builder_add_int_value(b, st.expiry - (long long)time(NULL));
        json_builder_end_object(b);
    } else {
        json_builder_add_null_value(b);
    }
    json_builder_end_object(b);
}

static void print_json(const struct kc_profile *const *profiles, guint n)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "profiles");
    json_builder_begin_array(b);
    for (guint i = 0; i < n; i++)
        add_profile(b, profiles[i]);
    json_builder_end_array(b);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_root(gen, root);
    g_autofree char *text = json_generator_to_data(gen, NULL);
    printf("%s\n", text);
}

int kc_cmd_status(const struct kc_cli *cli)
{
    bool json = false;
    for (int i = 0; i < cli->argc; i++) {
        if (strcmp(cli->argv[i], "--json") != 0) {
            diag_error("status: unknown argument '%s' (status takes --json); see "
                       "kaltura-credential --help",
                       cli->argv[i]);
            return KC_EXIT_USAGE;
        }
        json = true;
    }
    GError *e = NULL;
    struct kc_config *cfg = kc_config_load(cli->config, &e);
    if (!cfg)
        return kc_fail(e);
    g_autoptr(GPtrArray) shown = g_ptr_array_new();
    int rc = KC_EXIT_OK;
    if (cli->profile) {
        const struct kc_profile *p = kc_config_find(cfg, cli->profile);
        if (p)
            g_ptr_array_add(shown, (gpointer)p);
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
        g_ptr_array_add(shown, g_ptr_array_index(cfg->profiles, i));
    if (rc == KC_EXIT_OK && json)
        print_json((const struct kc_profile *const *)shown->pdata, shown->len);
    for (guint i = 0; rc == KC_EXIT_OK && !json && i < shown->len; i++)
        show(g_ptr_array_index(shown, i));
    kc_config_free(cfg);
    return rc;
}
