/* Each command of the table (commands.h) paired with the minter's handler. */
#include "handlers.h"

#include <stdio.h>

static int cmd_store(const struct kc_cli *cli)
{
    (void)cli; /* a generating helper stores nothing (and echoes nothing, unlike some) */
    return KC_EXIT_OK;
}

static int cmd_capability(const struct kc_cli *cli)
{
    (void)cli;
    printf("version 0\n"); /* no optional capabilities */
    return KC_EXIT_OK;
}

const kc_handler kc_handlers[KC_CMD_COUNT] = {
    [KC_CMD_GET] = kc_cmd_get,
    [KC_CMD_KS] = kc_cmd_ks,
    [KC_CMD_EXEC] = kc_cmd_exec,
    [KC_CMD_STORE] = cmd_store,
    [KC_CMD_ERASE] = kc_cmd_erase,
    [KC_CMD_LOGIN] = kc_cmd_login,
    [KC_CMD_LOGOUT] = kc_cmd_logout,
    [KC_CMD_REVOKE] = kc_cmd_revoke,
    [KC_CMD_STATUS] = kc_cmd_status,
    [KC_CMD_DOCTOR] = kc_cmd_doctor,
    [KC_CMD_SETUP_GIT] = kc_cmd_setup_git,
    [KC_CMD_CAPABILITY] = cmd_capability,
};
