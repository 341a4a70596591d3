/* The command line both programs read (cli_opts.h): one scan, so they cannot disagree. The
 * global options, KALTURA_CREDENTIAL_PROFILE, -v, and the options of ks and exec. */
#include <stdlib.h>
#include <string.h>

#include "cli_opts.h"
#include "contract.h"
#include "tap.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof(a)[0]))

static int eq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static void test_profile_env_and_verbose(void)
{
    struct kc_global_opts g;
    int i;
    setenv(KC_PROFILE_ENV, "envprof", 1);
    char *a1[] = {"kc", "ks"};
    tap_ok(kc_global_opts_scan(2, a1, &g, &i) == KC_SCAN_COMMAND && eq(g.profile, "envprof"),
           "KALTURA_CREDENTIAL_PROFILE selects the profile");
    char *a2[] = {"kc", "--profile", "flag", "ks"};
    tap_ok(kc_global_opts_scan(4, a2, &g, &i) == KC_SCAN_COMMAND && eq(g.profile, "flag"),
           "--profile wins over KALTURA_CREDENTIAL_PROFILE");
    char *a3[] = {"kc", "--help"};
    tap_ok(kc_global_opts_scan(2, a3, &g, &i) == KC_SCAN_OTHER_OPTION && eq(g.profile, "envprof"),
           "the variable is read whichever way the scan ends");
    setenv(KC_PROFILE_ENV, "", 1);
    tap_ok(kc_global_opts_scan(2, a1, &g, &i) == KC_SCAN_COMMAND && g.profile == NULL,
           "an empty KALTURA_CREDENTIAL_PROFILE is unset");
    unsetenv(KC_PROFILE_ENV);
    char *a4[] = {"kc", "-v", "--config=c", "--verbose", "get"};
    tap_ok(kc_global_opts_scan(5, a4, &g, &i) == KC_SCAN_COMMAND && i == 4 && g.verbose &&
               eq(g.config, "c"),
           "-v and --verbose are global options");
    char *a5[] = {"kc", "get", "-v"};
    tap_ok(kc_global_opts_scan(3, a5, &g, &i) == KC_SCAN_COMMAND && !g.verbose,
           "-v after the command is the command's argument");
    char *a6[] = {"kc", "-vv", "get"};
    tap_ok(kc_global_opts_scan(3, a6, &g, &i) == KC_SCAN_OTHER_OPTION, "-vv is not -v");
}

static void test_ks_opts(void)
{
    enum kc_answer_format f;
    char why[256];
    char *none[] = {NULL};
    tap_ok(kc_ks_opts_parse(0, none, &f, why, sizeof why) == KC_EXIT_OK && f == KC_ANSWER_BARE,
           "ks: bare by default");
    char *a1[] = {"--format=json"}, *a2[] = {"--format", "export"}, *a3[] = {"--format=env"},
         *a4[] = {"--format=bare"};
    tap_ok(kc_ks_opts_parse(1, a1, &f, why, sizeof why) == KC_EXIT_OK && f == KC_ANSWER_JSON &&
               kc_ks_opts_parse(2, a2, &f, why, sizeof why) == KC_EXIT_OK &&
               f == KC_ANSWER_EXPORT &&
               kc_ks_opts_parse(1, a3, &f, why, sizeof why) == KC_EXIT_OK && f == KC_ANSWER_ENV &&
               kc_ks_opts_parse(1, a4, &f, why, sizeof why) == KC_EXIT_OK && f == KC_ANSWER_BARE,
           "ks: --format=X and --format X, every format");
    char *b1[] = {"--format=xml"}, *b2[] = {"--format"}, *b3[] = {"extra"},
         *b4[] = {"--formats=json"}, *b5[] = {"--format=JSON"};
    tap_ok(kc_ks_opts_parse(1, b1, &f, why, sizeof why) == KC_EXIT_USAGE &&
               strstr(why, "unknown format 'xml'") != NULL,
           "ks: an unknown format is a usage error naming it (%s)", why);
    tap_ok(kc_ks_opts_parse(1, b2, &f, why, sizeof why) == KC_EXIT_USAGE &&
               kc_ks_opts_parse(1, b3, &f, why, sizeof why) == KC_EXIT_USAGE &&
               kc_ks_opts_parse(1, b4, &f, why, sizeof why) == KC_EXIT_USAGE &&
               kc_ks_opts_parse(1, b5, &f, why, sizeof why) == KC_EXIT_USAGE,
           "ks: --format without a value, another word, --formats, JSON: usage errors");
}

static void test_exec_opts(void)
{
    struct kc_exec_opts x;
    char why[256];
    char *a1[] = {"--", "sh", "-c", "x", NULL};
    tap_ok(kc_exec_opts_parse(4, a1, &x, why, sizeof why) == KC_EXIT_OK && x.cmd == a1 + 1 &&
               x.profile == NULL && eq(x.env, "KALTURA_KS"),
           "exec -- CMD ARGS: CMD is argv's tail, KALTURA_KS by default");
    char *a2[] = {"--profile", "p", "--env=MY_KS", "--", "true", NULL};
    tap_ok(kc_exec_opts_parse(5, a2, &x, why, sizeof why) == KC_EXIT_OK && eq(x.profile, "p") &&
               eq(x.env, "MY_KS") && x.cmd == a2 + 4,
           "exec --profile NAME --env=NAME -- CMD");
    char *a3[] = {"--", "--env", "X", NULL};
    tap_ok(kc_exec_opts_parse(3, a3, &x, why, sizeof why) == KC_EXIT_OK && eq(x.cmd[0], "--env") &&
               eq(x.env, "KALTURA_KS"),
           "after --, everything is CMD's");
    char *b1[] = {"sh", "-c", "x"};
    tap_ok(kc_exec_opts_parse(3, b1, &x, why, sizeof why) == KC_EXIT_USAGE &&
               strstr(why, "before '--'") != NULL,
           "exec without --: usage error (%s)", why);
    char *b2[] = {"--"};
    tap_ok(kc_exec_opts_parse(1, b2, &x, why, sizeof why) == KC_EXIT_USAGE &&
               strstr(why, "no command") != NULL,
           "exec --: no command: usage error");
    char *none[] = {NULL};
    tap_ok(kc_exec_opts_parse(0, none, &x, why, sizeof why) == KC_EXIT_USAGE,
           "exec alone: usage error");
    char *b3[] = {"--frob", "--", "true"}, *b4[] = {"--env", "1X", "--", "true"},
         *b5[] = {"--env", "KALTURA_KS_EXPIRY", "--", "true"}, *b6[] = {"--env=", "--", "true"},
         *b7[] = {"--profile"}, *b8[] = {"--env", "A-B", "--", "true"};
    tap_ok(kc_exec_opts_parse(3, b3, &x, why, sizeof why) == KC_EXIT_USAGE &&
               strstr(why, "--frob") != NULL,
           "exec: an unknown option");
    tap_ok(kc_exec_opts_parse(4, b4, &x, why, sizeof why) == KC_EXIT_USAGE &&
               kc_exec_opts_parse(4, b5, &x, why, sizeof why) == KC_EXIT_USAGE &&
               kc_exec_opts_parse(3, b6, &x, why, sizeof why) == KC_EXIT_USAGE &&
               kc_exec_opts_parse(4, b8, &x, why, sizeof why) == KC_EXIT_USAGE,
           "exec --env: a digit first, another variable exec sets, empty, a '-': refused");
    tap_ok(kc_exec_opts_parse(1, b7, &x, why, sizeof why) == KC_EXIT_USAGE,
           "exec --profile without its value");
    char *b9[] = {"--profile", "--", "true"};
    tap_ok(kc_exec_opts_parse(3, b9, &x, why, sizeof why) == KC_EXIT_USAGE &&
               strstr(why, "--profile needs a profile name") != NULL,
           "exec --profile -- CMD: the name left out, not 'CMD before --'");
}

int main(void)
{
    struct kc_global_opts g;
    int i = -1;

    char *a1[] = {"kc", "--config", "f.conf", "--profile=prod", "get", "--profile", "x"};
    tap_ok(kc_global_opts_scan(ARGC(a1), a1, &g, &i) == KC_SCAN_COMMAND && i == 4 &&
               eq(g.config, "f.conf") && eq(g.profile, "prod"),
           "both forms of the options; the scan stops at COMMAND");
    char *a2[] = {"kc", "--config=c", "--", "--help"};
    tap_ok(kc_global_opts_scan(ARGC(a2), a2, &g, &i) == KC_SCAN_COMMAND && i == 3 &&
               eq(g.config, "c") && g.profile == NULL,
           "after --, an option-looking word is the command");
    char *a3[] = {"kc", "--profile"};
    tap_ok(kc_global_opts_scan(ARGC(a3), a3, &g, &i) == KC_SCAN_MISSING_VALUE,
           "--profile without its value");
    char *a4[] = {"kc", "--profile", "p", "--help", "get"};
    tap_ok(kc_global_opts_scan(ARGC(a4), a4, &g, &i) == KC_SCAN_OTHER_OPTION && i == 3 &&
               eq(g.profile, "p"),
           "another option stops the scan where it stands");
    char *a5[] = {"kc", "--configx", "get"};
    tap_ok(kc_global_opts_scan(ARGC(a5), a5, &g, &i) == KC_SCAN_OTHER_OPTION && i == 1 &&
               g.config == NULL,
           "--configx is not --config");
    char *a6[] = {"kc", "--config", "c"};
    tap_ok(kc_global_opts_scan(ARGC(a6), a6, &g, &i) == KC_SCAN_NO_COMMAND, "no command");
    char *a7[] = {"kc", "--"};
    tap_ok(kc_global_opts_scan(ARGC(a7), a7, &g, &i) == KC_SCAN_NO_COMMAND, "-- then nothing");
    char *a8[] = {"kc", "--config", "--profile", "get"};
    tap_ok(kc_global_opts_scan(ARGC(a8), a8, &g, &i) == KC_SCAN_COMMAND && i == 3 &&
               eq(g.config, "--profile") && g.profile == NULL,
           "a value is taken as it is, even when it looks like an option");
    test_profile_env_and_verbose();
    test_ks_opts();
    test_exec_opts();
    return tap_done();
}
