/* The command line of kaltura-credential, as both programs read it: the global options
 * (--config FILE, --profile NAME, -v/--verbose; the values also as --opt=VALUE, up to COMMAND
 * or "--"), and the options of the commands the frontend serves itself (ks --format, exec).
 * The frontend answers cache hits for the profile and in the shape it reads here, so the two
 * programs must never read the same argv differently: this file is the one scan. libc only. */
#ifndef KC_CLI_OPTS_H
#define KC_CLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "answer.h"

/* Selects a profile like --profile; --profile wins. An empty value is unset. */
#define KC_PROFILE_ENV "KALTURA_CREDENTIAL_PROFILE"

struct kc_global_opts {
    const char *config;  /* --config FILE, or NULL */
    const char *profile; /* --profile NAME, else $KALTURA_CREDENTIAL_PROFILE, or NULL */
    bool verbose;        /* -v, --verbose */
};

enum kc_global_scan {
    KC_SCAN_COMMAND,       /* *index: where COMMAND is in argv */
    KC_SCAN_NO_COMMAND,    /* argv (or "--") ends without a command */
    KC_SCAN_OTHER_OPTION,  /* *index: an option other than the ones above (--help, a typo) */
    KC_SCAN_MISSING_VALUE, /* --config or --profile is the last argument */
};

/* Fills *g from argv[1..] (g is zeroed first) and says where the scan stopped. */
enum kc_global_scan kc_global_opts_scan(int argc, char **argv, struct kc_global_opts *g,
                                        int *index);

/* The options of a command are parsed from the arguments after it (argc, argv: those alone).
 * On a usage error they return KC_EXIT_USAGE with why[0..why_size) saying what is wrong;
 * otherwise KC_EXIT_OK. */

/* "--name VALUE" or "--name=VALUE" at argv[*i]: the value (*i moved past a separate one);
 * "" when the value is missing; NULL when argv[*i] is another word. */
const char *kc_opt_value(int argc, char **argv, int *i, const char *name);

/* ks [--format=bare|env|export|json] (also --format FORMAT). */
int kc_ks_opts_parse(int argc, char **argv, enum kc_answer_format *format, char *why,
                     size_t why_size);

/* exec [--profile NAME] [--env NAME] -- CMD [ARGS...] */
struct kc_exec_opts {
    const char *profile; /* wins over the global one (the later option); NULL: not given */
    const char *env;     /* the variable that gets the KS: KALTURA_KS unless --env */
    char **cmd;          /* CMD and its arguments, NULL-terminated (argv's own tail) */
};
int kc_exec_opts_parse(int argc, char **argv, struct kc_exec_opts *o, char *why, size_t why_size);

#endif
