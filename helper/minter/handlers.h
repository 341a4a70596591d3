/* The minter's handlers of the commands in the table (commands.h). Each returns an enum
 * kc_exit and has already printed its one-line diagnostic when it fails. */
#ifndef KC_HANDLERS_H
#define KC_HANDLERS_H

#include <stdbool.h>
#include <sys/types.h>

#include "commands.h"
#include "error.h"

struct kc_cli {
    const char *config;  /* --config FILE, or NULL */
    const char *profile; /* --profile NAME, or NULL */
    const char *command;
    int argc; /* arguments after the command */
    char **argv;
    bool request_fed;  /* KALTURA_CREDENTIAL_REQUEST_FED=1: stdin is the frontend's memfd */
    mode_t user_umask; /* the caller's (the minter runs with 077): what exec's CMD gets back */
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
int kc_cmd_exec(const struct kc_cli *cli);
int kc_cmd_doctor(const struct kc_cli *cli);
int kc_cmd_setup_git(const struct kc_cli *cli);

#endif
