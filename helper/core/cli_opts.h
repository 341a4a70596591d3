/* The global options of kaltura-credential (--config FILE, --profile NAME, also as
 * --opt=VALUE, up to COMMAND or "--"). The frontend and the minter both scan argv with this
 * one function: the frontend serves cache hits for the profile it reads here, so the two must
 * never read the same argv differently. libc only. */
#ifndef KC_CLI_OPTS_H
#define KC_CLI_OPTS_H

struct kc_global_opts {
    const char *config;  /* --config FILE, or NULL */
    const char *profile; /* --profile NAME, or NULL */
};

enum kc_global_scan {
    KC_SCAN_COMMAND,       /* *index: where COMMAND is in argv */
    KC_SCAN_NO_COMMAND,    /* argv (or "--") ends without a command */
    KC_SCAN_OTHER_OPTION,  /* *index: an option other than the two above (--help, a typo) */
    KC_SCAN_MISSING_VALUE, /* --config or --profile is the last argument */
};

/* Fills *g from argv[1..] (g is zeroed first) and says where the scan stopped. */
enum kc_global_scan kc_global_opts_scan(int argc, char **argv, struct kc_global_opts *g,
                                        int *index);

#endif
