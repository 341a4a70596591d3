/* setup-git [--profile NAME] [--unset]: git config --global for the profile's service URL, the
 * safe way (README "git and other credential clients"): first an empty credential.<url>.helper,
 * which empties the list of helpers git collected for that URL so far (a global `store` helper
 * would otherwise write every KS to ~/.git-credentials), then `kaltura --profile NAME`.
 * --unset removes the key again. git itself does the writing (`git config`), so its file
 * locking and format rules apply. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "cli_opts.h"
#include "contract.h"
#include "diag.h"
#include "handlers.h"
#include "select.h"
#include "trace.h"

struct setup_opts {
    const char *profile;
    bool unset;
};

static int parse(const struct kc_cli *cli, struct setup_opts *o)
{
    memset(o, 0, sizeof *o);
    o->profile = cli->profile;
    for (int i = 0; i < cli->argc; i++) {
        const char *a = cli->argv[i], *v;
        if (strcmp(a, "--unset") == 0) {
            o->unset = true;
        } else if ((v = kc_opt_value(cli->argc, cli->argv, &i, "--profile")) != NULL) {
            o->profile = v;
            if (v[0] == '\0') {
                diag_error("setup-git: --profile needs a profile name; see kaltura-credential "
                           "--help");
                return KC_EXIT_USAGE;
            }
        } else {
            diag_error("setup-git: unknown argument '%s' (setup-git takes --profile NAME and "
                       "--unset); see kaltura-credential --help",
                       a);
            return KC_EXIT_USAGE;
        }
    }
    return KC_EXIT_OK;
}

/* Runs git with args (no shell); *out: its stdout (may be NULL). Returns git's exit status, or
 * -1 when git cannot be run (error set). */
static int git(const char *const *args, char **out, GError **error)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, "git");
    for (const char *const *a = args; *a; a++)
        g_ptr_array_add(argv, (gpointer)*a);
    g_ptr_array_add(argv, NULL);
    g_autofree char *err = NULL;
    int status = 0;
    g_autoptr(GError) e = NULL;
    if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, out, &err,
                      &status, &e)) {
        g_set_error(error, KC_ERROR, KC_EXIT_INTERNAL,
                    "setup-git: cannot run git: %s; is git installed?", e->message);
        return -1;
    }
    if (!g_spawn_check_wait_status(status, NULL)) {
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
        g_autofree char *first = g_strndup(err ? err : "", strcspn(err ? err : "", "\n"));
        g_set_error(error, KC_ERROR, KC_EXIT_INTERNAL, "setup-git: git config failed (%d): %s",
                    code, *first ? first : "no message");
        return code;
    }
    return 0;
}

/* The helper command line git will run (through its shell: `git credential-` + this). */
static char *helper_line(const struct kc_config *cfg, const struct kc_profile *p)
{
    GString *s = g_string_new("kaltura");
    if (cfg->paths.is_override) {
        g_autofree char *abs = g_canonicalize_filename(cfg->paths.files[0], NULL);
        g_autofree char *quoted = g_shell_quote(abs);
        g_string_append_printf(s, " --config %s", quoted);
    }
    /* Named even for `default`: a KALTURA_CREDENTIAL_PROFILE in git's environment must not
     * choose another profile for this URL. */
    g_string_append_printf(s, " --profile %s", p->name);
    return g_string_free(s, FALSE);
}

/* A credential.helper (for every URL) configured after our lines is asked too, and could
 * store the KS: say so. git lists the entries of all its files in the order it reads them. */
static void warn_later_helpers(const char *key)
{
    const char *args[] = {"config", "--show-origin", "--get-regexp", "^credential\\..*helper$",
                          NULL};
    g_autofree char *out = NULL;
    if (git(args, &out, NULL) != 0 || !out)
        return;
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    bool after = false;
    for (char **l = lines; *l; l++) {
        /* "file:PATH\tKEY VALUE" */
        const char *tab = strchr(*l, '\t');
        if (!tab)
            continue;
        const char *k = tab + 1;
        if (g_str_has_prefix(k, key) && k[strlen(key)] == ' ')
            after = true;
        else if (after && g_str_has_prefix(k, "credential.helper ") && k[18] != '\0')
            diag_warning("setup-git: git also asks the helper '%s' (%.*s), configured after "
                         "this one, for %s; move it before the kaltura lines or remove it",
                         k + 18, (int)(tab - *l), *l, key);
    }
}

int kc_cmd_setup_git(const struct kc_cli *cli)
{
    struct setup_opts o;
    int rc = parse(cli, &o);
    if (rc != KC_EXIT_OK)
        return rc;
    struct kc_config *cfg = NULL;
    const struct kc_profile *p = NULL;
    bool not_served;
    rc = kc_select(cli->config, o.profile, NULL, &cfg, &p, &not_served);
    if (rc != KC_EXIT_OK) {
        kc_config_free(cfg); /* kc_select keeps a loaded config for the caller to free */
        return rc;
    }
    /* The URL git matches: scheme and host[:port]; git sends no path unless useHttpPath. */
    g_autofree char *url = g_strdup_printf("%s://%s", p->protocol, p->host);
    g_autofree char *key = g_strdup_printf("credential.%s.helper", url);
    g_autofree char *line = helper_line(cfg, p);
    GError *e = NULL;
    kc_trace("setup-git: %s %s", o.unset ? "removing" : "writing", key);
    if (o.unset) {
        const char *args[] = {"config", "--global", "--unset-all", key, NULL};
        int st = git(args, NULL, &e);
        if (st == 5) { /* git: no such key */
            g_clear_error(&e);
            printf("git: nothing to remove, %s is not set\n", key);
        } else if (st != 0) {
            kc_config_free(cfg);
            return kc_fail(e);
        } else {
            printf("git: removed %s\n", key);
        }
        kc_config_free(cfg);
        return KC_EXIT_OK;
    }
    const char *reset[] = {"config", "--global", "--replace-all", key, "", NULL};
    const char *add[] = {"config", "--global", "--add", key, line, NULL};
    if (git(reset, NULL, &e) != 0 || git(add, NULL, &e) != 0) {
        kc_config_free(cfg);
        return kc_fail(e);
    }
    printf("git: %s = \"\" (no helper configured before it is asked), then \"%s\"\n", key, line);
    warn_later_helpers(key);
    kc_config_free(cfg);
    return KC_EXIT_OK;
}
