/* The global options, shared by the frontend and the minter (see cli_opts.h). */
#include "cli_opts.h"

#include <stddef.h>
#include <string.h>

enum kc_global_scan kc_global_opts_scan(int argc, char **argv, struct kc_global_opts *g, int *index)
{
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
        if (strcmp(a, "--") == 0) {
            if (i + 1 >= argc)
                return KC_SCAN_NO_COMMAND;
            *index = i + 1;
            return KC_SCAN_COMMAND;
        }
        *index = i;
        return a[0] == '-' ? KC_SCAN_OTHER_OPTION : KC_SCAN_COMMAND;
    }
    return KC_SCAN_NO_COMMAND;
}
