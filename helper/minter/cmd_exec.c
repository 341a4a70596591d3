/* exec: CMD with a KS in its environment (README "Commands"). The frontend runs CMD itself on
 * a cache hit; here is the rest: a usage error, or a miss (mint, then run CMD). */
#include <stdio.h>
#include <sys/stat.h>

#include "cli_opts.h"
#include "contract.h"
#include "diag.h"
#include "exec_env.h"
#include "handlers.h"
#include "mint.h"
#include "select.h"

int kc_cmd_exec(const struct kc_cli *cli)
{
    struct kc_exec_opts x;
    char why[512];
    if (kc_exec_opts_parse(cli->argc, cli->argv, &x, why, sizeof why) != KC_EXIT_OK) {
        diag_error("%s; see kaltura-credential --help", why);
        return KC_EXIT_USAGE;
    }
    /* The identity of `ks`: no request (stdin belongs to CMD), the profile named, if any. */
    const char *profile = x.profile ? x.profile : cli->profile;
    struct kc_config *cfg = NULL;
    const struct kc_profile *p = NULL;
    bool not_served = false;
    struct kc_answer e = {0};
    int rc = kc_select(cli->config, profile, NULL, &cfg, &p, &not_served);
    if (rc == KC_EXIT_OK)
        rc = kc_obtain_ks(cfg, profile, p, NULL, &e);
    if (rc == KC_EXIT_OK)
        rc = kc_answer_check(&e);
    kc_config_free(cfg);
    if (rc == KC_EXIT_OK) {
        umask(cli->user_umask); /* CMD runs as it would from the frontend (a cache hit) */
        rc = kc_exec_with_answer(&e, x.env, x.cmd); /* returns only when CMD cannot start */
    }
    kc_answer_clear(&e);
    return rc;
}
