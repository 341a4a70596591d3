/* The minter's handlers of the commands in the table (commands.h). Each returns an enum
 * kc_exit and has already printed its one-line diagnostic when it fails. */
#ifndef KC_HANDLERS_H
#define KC_HANDLERS_H

#include <glib.h>
#include <stdbool.h>

#include "cache.h"
#include "commands.h"
#include "config.h"
#include "protocol.h"

struct kc_cli {
    const char *config;  /* --config FILE, or NULL */
    const char *profile; /* --profile NAME, or NULL */
    const char *command;
    int argc; /* arguments after the command */
    char **argv;
    bool request_fed; /* KALTURA_CREDENTIAL_REQUEST_FED=1: stdin is the frontend's memfd */
};

typedef int (*kc_handler)(const struct kc_cli *cli);

/* The handler of every row of kc_commands, indexed by its id (handlers.c). */
extern const kc_handler kc_handlers[KC_CMD_COUNT];

int kc_cmd_get(const struct kc_cli *cli);
int kc_cmd_ks(const struct kc_cli *cli);
int kc_cmd_erase(const struct kc_cli *cli);
int kc_cmd_login(const struct kc_cli *cli);
int kc_cmd_logout(const struct kc_cli *cli);
int kc_cmd_status(const struct kc_cli *cli);
int kc_cmd_revoke(const struct kc_cli *cli);

/* ---- shared by the commands (cmd_get.c) ---- */

/* Prints error's message with diag_error and returns its exit code (frees error). */
int kc_fail(GError *error);

/* Reads a credential request from stdin (an empty request when stdin is a terminal and
 * skip_tty). Returns KC_EXIT_OK or KC_EXIT_INPUT (printed). */
int kc_read_request(struct kc_request *req, bool skip_tty);

/* Loads the config and selects the profile for req (may be NULL). Returns KC_EXIT_OK with
 * *cfg and *p set, or an exit code (printed). *not_served: the request names a host no profile
 * serves (then KC_EXIT_OK and *p == NULL). */
int kc_select(const struct kc_cli *cli, const struct kc_request *req, struct kc_config **cfg,
              const struct kc_profile **p, bool *not_served);

/* A valid KS for p: from the cache (min_lifetime) or freshly minted (then cached, with the
 * request alias for the frontend). req may be NULL (`ks`). */
int kc_obtain_ks(const struct kc_cli *cli, const struct kc_config *cfg, const struct kc_profile *p,
                 const struct kc_request *req, struct kc_answer *out);

#endif
