/* The config key table (helper/minter/config_keys.c): every row is well-formed, and what is derived
 * from it (unknown-key lookup, defaults, login's values, --help) follows the rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_keys.h"
#include "tap.h"

static void test_rows(void)
{
    int bad = 0;
    for (size_t i = 0; i < kc_n_keys; i++) {
        const struct kc_key *k = &kc_keys[i];
        bool ok = k->name && k->help && kc_key_find(k->name) == k;
        for (size_t j = 0; j < i; j++)
            ok = ok && strcmp(kc_keys[j].name, k->name) != 0;
        if (k->type == KC_KEY_CHOICE)
            ok = ok && k->parse && k->spell && k->bad;
        if (k->type == KC_KEY_TEXT)
            ok = ok && k->max > 0 && k->bad;
        if (k->type == KC_KEY_NUMBER || k->type == KC_KEY_DECIMAL)
            ok = ok && k->min <= k->max;
        /* login writes the profile's value: it must have a file spelling */
        if (k->login == KC_LOGIN_PROFILE)
            ok = ok && k->type != KC_KEY_NUMBER && k->type != KC_KEY_BOOL;
        ok = ok && (k->option == NULL) == (k->login == KC_LOGIN_NONE) &&
             (k->option == NULL || (strncmp(k->option, "--", 2) == 0 && k->metavar));
        if (!ok)
            tap_ok(0, "row '%s' is malformed", k->name ? k->name : "?");
        bad += !ok;
    }
    tap_ok(bad == 0, "%zu rows, each well-formed, unique and found by name", kc_n_keys);
    tap_ok(kc_key_find("no_such_key") == NULL && kc_key_find("token") == NULL,
           "unknown keys are not found (a warning when loading)");
}

static void test_defaults_and_values(void)
{
    const char *text[] = {"[p]\npartner_id=0012\napp_token_id=0_x\nsession_type=ADMIN\n"};
    const char *src[] = {"t.conf"};
    GError *e = NULL;
    struct kc_config *c = kc_config_load_data(text, src, 1, &e);
    const struct kc_profile *p = c ? g_ptr_array_index(c->profiles, 0) : NULL;
    TAP_CHECK(p != NULL);
    if (p == NULL)
        return;
    int wrong = 0;
    for (size_t i = 0; i < kc_n_keys; i++) {
        const struct kc_key *k = &kc_keys[i];
        const char *v = kc_key_value(k, p);
        if (k->type == KC_KEY_NUMBER || k->type == KC_KEY_BOOL || strstr(text[0], k->name))
            continue; /* no file spelling, or set by the text */
        wrong += k->def ? !v || strcmp(v, k->def) != 0 : v != NULL;
    }
    tap_ok(wrong == 0, "keys not in the file: their default, or unset");
    tap_ok(strcmp(kc_key_value(kc_key_find("partner_id"), p), "12") == 0 &&
               strcmp(kc_key_value(kc_key_find("session_type"), p), "admin") == 0 &&
               strcmp(kc_key_value(kc_key_find("hash_function"), p), "sha1") == 0,
           "values in their canonical spelling (what login writes)");
    tap_ok(kc_profile_missing(p) == NULL && kc_profile_complete(p, NULL), "complete profile");
    kc_config_free(c);
    text[0] = "[q]\npartner_id=5\n";
    c = kc_config_load_data(text, src, 1, &e);
    p = c ? g_ptr_array_index(c->profiles, 0) : NULL;
    tap_ok(p && kc_profile_missing(p) == kc_key_find("app_token_id") &&
               !kc_profile_complete(p, NULL),
           "the first required key missing is named");
    kc_config_free(c);
}

/* The --help lines: every key on a line of its own, every login option with its key. */
static void test_help(void)
{
    char *buf = NULL, *lbuf = NULL;
    size_t len = 0, llen = 0;
    FILE *f = open_memstream(&buf, &len), *lf = open_memstream(&lbuf, &llen);
    kc_keys_print_help(f);
    kc_keys_print_login_help(lf);
    fclose(f);
    fclose(lf);
    int missing = 0;
    for (size_t i = 0; i < kc_n_keys; i++) {
        char line[64], opt[64];
        snprintf(line, sizeof line, "\n  %s ", kc_keys[i].name);
        missing += strncmp(buf, line + 1, strlen(line + 1)) != 0 && strstr(buf, line) == NULL;
        if (kc_keys[i].option) {
            snprintf(opt, sizeof opt, "  %s %s ", kc_keys[i].option, kc_keys[i].metavar);
            missing += strstr(lbuf, opt) == NULL;
        }
    }
    tap_ok(missing == 0, "--help has a line for every key and every login option");
    free(buf);
    free(lbuf);
}

int main(void)
{
    test_rows();
    test_defaults_and_values();
    test_help();
    return tap_done();
}
