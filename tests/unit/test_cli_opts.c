/* The global options both programs read (cli_opts.h): one scan, so they cannot disagree. */
#include <string.h>

#include "cli_opts.h"
#include "tap.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof(a)[0]))

static int eq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
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
    return tap_done();
}
