/* login: set a profile up, prove the token works, then store it (README "Commands"). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "config_keys.h"
#include "contract.h"
#include "diag.h"
#include "handlers.h"
#include "keyring.h"
#include "mint.h"
#include "secure_mem.h"

/* login's options are the config keys' (config_keys.c), plus --no-verify. */
static int usage(const char *why)
{
    g_autoptr(GString) u = g_string_new("usage: kaltura-credential [--profile NAME] login");
    for (size_t k = 0; k < kc_n_keys; k++)
        if (kc_keys[k].option)
            g_string_append_printf(u, " [%s %s]", kc_keys[k].option, kc_keys[k].metavar);
    diag_error("login: %s; %s [--no-verify]", why, u->str);
    return KC_EXIT_USAGE;
}

/* values[k]: the value given for key k's option, or NULL. */
static int parse_args(const struct kc_cli *cli, const char **values, bool *no_verify)
{
    for (int i = 0; i < cli->argc; i++) {
        const char *a = cli->argv[i];
        if (strcmp(a, "--no-verify") == 0) {
            *no_verify = true;
            continue;
        }
        size_t k = 0;
        for (; k < kc_n_keys; k++) {
            const char *opt = kc_keys[k].option;
            size_t n = opt ? strlen(opt) : 0;
            if (opt && strncmp(a, opt, n) == 0 && (a[n] == '\0' || a[n] == '=')) {
                if (a[n] == '=')
                    values[k] = a + n + 1;
                else if (i + 1 < cli->argc)
                    values[k] = cli->argv[++i];
                else
                    return usage("an option lacks its value");
                break;
            }
        }
        if (k == kc_n_keys) {
            g_autofree char *why = g_strdup_printf("unknown argument '%s'", a);
            return usage(why);
        }
    }
    return KC_EXIT_OK;
}

/* Reads one line (the token) from stdin into buf; on a terminal, prompts without echo. */
static int read_token(const struct kc_profile *p, char *buf, size_t size)
{
    bool tty = isatty(STDIN_FILENO);
    struct termios old, quiet;
    if (tty) {
        fprintf(stderr, "App Token for %s (partner %s at %s): ", p->app_token_id, p->partner_id,
                p->host);
        fflush(stderr);
        if (tcgetattr(STDIN_FILENO, &old) == 0) {
            quiet = old;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            quiet.c_lflag |= ECHONL;
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        } else {
            tty = false;
        }
    }
    size_t n = 0;
    bool too_long = false, eol = false;
    /* One byte at a time: nothing beyond the first line is consumed or buffered. */
    for (;;) {
        char c;
        ssize_t r = read(STDIN_FILENO, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (c == '\n') {
            eol = true;
            break;
        }
        if (n + 1 < size)
            buf[n++] = c;
        else
            too_long = true;
        c = 0;
    }
    buf[n] = '\0';
    if (tty)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    if (n > 0 && buf[n - 1] == '\r')
        buf[--n] = '\0';
    (void)eol;
    if (too_long || !kc_token_ok(buf)) {
        secure_wipe(buf, size);
        diag_error("login: %s; give the App Token (one line) on standard input",
                   n == 0 && !too_long ? "no token given" : "that is not an App Token");
        return KC_EXIT_USAGE;
    }
    return KC_EXIT_OK;
}

/* The extra config layer with the command line's values. */
static char *extra_layer(const char *profile, const char **values)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    /* The group must exist even with no values: set and drop a placeholder. */
    g_key_file_set_string(kf, profile, "-", "-");
    g_key_file_remove_key(kf, profile, "-", NULL);
    for (size_t k = 0; k < kc_n_keys; k++)
        if (values[k])
            g_key_file_set_string(kf, profile, kc_keys[k].name, values[k]);
    return g_key_file_to_data(kf, NULL, NULL);
}

/* Mints one KS with the token (the widget KS it needed is cached like `get` does). */
static int verify(const struct kc_profile *p, const char *token, struct kc_cache *cache,
                  struct kc_session *s)
{
    GError *e = NULL;
    if (!kc_mint_with_token(p, token, cache, s, &e)) {
        g_prefix_error(&e, "login: checking the token failed, nothing was stored: ");
        return kc_fail(e);
    }
    return KC_EXIT_OK;
}

/* Writes what the keys' login column says: KC_LOGIN_PROFILE keys with the profile's value,
 * KC_LOGIN_GIVEN keys only when given. */
static int save(const struct kc_config *cfg, const struct kc_profile *p, const char *token,
                const char **values)
{
    GError *e = NULL;
    if (!kc_keyring_store(p, token, &e))
        return kc_fail(e);
    g_autofree const char **keys = g_new0(const char *, kc_n_keys);
    g_autofree const char **vals = g_new0(const char *, kc_n_keys);
    size_t n = 0;
    for (size_t k = 0; k < kc_n_keys; k++) {
        const char *v = kc_keys[k].login == KC_LOGIN_PROFILE ? kc_key_value(&kc_keys[k], p)
                        : kc_keys[k].login == KC_LOGIN_GIVEN ? values[k]
                                                             : NULL;
        if (v) {
            keys[n] = kc_keys[k].name;
            vals[n++] = v;
        }
    }
    if (!kc_config_write_profile(cfg->paths.user_file, p->name, keys, vals, n, &e)) {
        bool removed;
        kc_keyring_clear(p, &removed, NULL); /* keep "nothing stored on failure" */
        return kc_fail(e);
    }
    return KC_EXIT_OK;
}

/* values: one slot per config key, for the option values given. */
static int login(const struct kc_cli *cli, const char **values)
{
    bool no_verify = false;
    int rc = parse_args(cli, values, &no_verify);
    if (rc != KC_EXIT_OK)
        return rc;
    const char *name = cli->profile ? cli->profile : KC_DEFAULT_PROFILE;
    if (!kc_profile_name_ok(name))
        return usage("the profile name may only use letters, digits, '.', '_' and '-'");
    g_autofree char *extra = extra_layer(name, values);
    GError *e = NULL;
    struct kc_config *cfg = kc_config_load_extra(cli->config, extra, &e);
    if (!cfg)
        return kc_fail(e);
    const struct kc_profile *p = kc_config_find(cfg, name);
    if (!p) { /* the extra layer always has the group */
        kc_config_free(cfg);
        diag_error("login: internal error: no profile '%s' after loading", name);
        return KC_EXIT_INTERNAL;
    }
    const struct kc_key *missing = kc_profile_missing(p);
    if (missing) {
        g_autofree char *why = g_strdup_printf("%s is needed (the profile has none)",
                                               missing->option ? missing->option : missing->name);
        kc_config_free(cfg);
        return usage(why);
    }
    char token[KC_TOKEN_MAX + 2];
    struct kc_session s = {0};
    struct kc_cache *cache = p->cache ? kc_cache_open(true) : NULL;
    rc = read_token(p, token, sizeof token);
    if (rc == KC_EXIT_OK && !no_verify)
        rc = verify(p, token, cache, &s);
    if (rc == KC_EXIT_OK)
        rc = save(cfg, p, token, values);
    secure_wipe(token, sizeof token);
    if (rc == KC_EXIT_OK && cache)
        kc_mint_cache_replace(p, cache, &s);
    kc_session_clear(&s);
    kc_cache_close(cache);
    if (rc == KC_EXIT_OK)
        printf("Profile '%s' is set up: App Token %s for partner %s at %s is in the keyring%s.\n",
               p->name, p->app_token_id, p->partner_id, p->service_url,
               no_verify ? " (not checked: --no-verify)" : " and works");
    kc_config_free(cfg);
    return rc;
}

int kc_cmd_login(const struct kc_cli *cli)
{
    const char **values = g_new0(const char *, kc_n_keys);
    int rc = login(cli, values);
    g_free((gpointer)values);
    return rc;
}
