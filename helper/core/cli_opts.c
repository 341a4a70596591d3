/* The command line, shared by the frontend and the minter (see cli_opts.h). */
#include "cli_opts.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "exec_env.h"

const char *kc_opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (a == NULL || strncmp(a, name, n) != 0 || (a[n] != '\0' && a[n] != '='))
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (*i + 1 < argc)
        return argv[++*i];
    return "";
}

enum kc_global_scan kc_global_opts_scan(int argc, char **argv, struct kc_global_opts *g, int *index)
{
    enum kc_global_scan r = KC_SCAN_NO_COMMAND;
    memset(g, 0, sizeof *g);
    *index = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        size_t n = 0;
        if (strncmp(a, "--config", 8) == 0 && (a[8] == '\0' || a[8] == '='))
            slot = &g->config, n = 8;
        else if (strncmp(a, "--profile", 9) == 0 && (a[9] == '\0' || a[9] == '='))
            slot = &g->profile, n = 9;
        if (slot != NULL) {
            if (a[n] == '=')
                *slot = a + n + 1;
            else if (i + 1 < argc)
                *slot = argv[++i];
            else
                return KC_SCAN_MISSING_VALUE;
            continue;
        }
        if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            g->verbose = true;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            if (i + 1 < argc) {
                *index = i + 1;
                r = KC_SCAN_COMMAND;
            }
            break;
        }
        *index = i;
        r = a[0] == '-' ? KC_SCAN_OTHER_OPTION : KC_SCAN_COMMAND;
        break;
    }
    const char *env = getenv(KC_PROFILE_ENV);
    if (g->profile == NULL && env != NULL && env[0] != '\0')
        g->profile = env;
    return r;
}

__attribute__((format(printf, 3, 4))) static int usage(char *why, size_t why_size, const char *fmt,
                                                       ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
    return KC_EXIT_USAGE;
}

int kc_ks_opts_parse(int argc, char **argv, enum kc_answer_format *format, char *why,
                     size_t why_size)
{
    static const struct {
        const char *name;
        enum kc_answer_format format;
    } formats[] = {{"bare", KC_ANSWER_BARE},
                   {"env", KC_ANSWER_ENV},
                   {"export", KC_ANSWER_EXPORT},
                   {"json", KC_ANSWER_JSON}};
    *format = KC_ANSWER_BARE;
    for (int i = 0; i < argc && argv[i] != NULL; i++) {
        const char *v = kc_opt_value(argc, argv, &i, "--format");
        if (v == NULL)
            return usage(why, why_size, "ks: unknown argument '%s' (ks takes --format=FORMAT)",
                         argv[i]);
        size_t k = 0;
        while (k < sizeof formats / sizeof formats[0] && strcmp(formats[k].name, v) != 0)
            k++;
        if (k == sizeof formats / sizeof formats[0])
            return usage(why, why_size, "ks: unknown format '%s' (use bare, env, export or json)",
                         v);
        *format = formats[k].format;
    }
    return KC_EXIT_OK;
}

int kc_exec_opts_parse(int argc, char **argv, struct kc_exec_opts *o, char *why, size_t why_size)
{
    memset(o, 0, sizeof *o);
    o->env = KC_VAR_KS;
    for (int i = 0; i < argc && argv[i] != NULL; i++) {
        const char *v, *a = argv[i];
        if (strcmp(a, "--") == 0) {
            if (i + 1 >= argc || argv[i + 1] == NULL)
                return usage(why, why_size, "exec: no command after '--'");
            o->cmd = argv + i + 1;
            return KC_EXIT_OK;
        }
        if ((v = kc_opt_value(argc, argv, &i, "--profile")) != NULL) {
            /* `--profile -- CMD`: the name was left out, "--" is not one */
            if (v[0] == '\0' || strcmp(v, "--") == 0)
                return usage(why, why_size, "exec: --profile needs a profile name");
            o->profile = v;
        } else if ((v = kc_opt_value(argc, argv, &i, "--env")) != NULL) {
            if (!kc_exec_env_name_ok(v))
                return usage(why, why_size,
                             "exec: --env '%s' is not a usable variable name (letters, digits "
                             "and '_', not starting with a digit, none of the other three "
                             "KALTURA_ variables exec sets)",
                             v);
            o->env = v;
        } else if (a[0] == '-') {
            return usage(why, why_size, "exec: unknown option '%s'", a);
        } else {
            return usage(why, why_size,
                         "exec: '%s' before '--'; write kaltura-credential exec -- CMD [ARGS...]",
                         a);
        }
    }
    return usage(why, why_size, "exec: no command; write kaltura-credential exec -- CMD [ARGS...]");
}
