/* The commands of kaltura-credential (README "Commands"): one table for both programs. The
 * frontend reads from it what it may do by itself; the minter pairs every row with its handler
 * (handlers.c), and tests/unit/test_commands.c checks that none is missing. A word that is in
 * no row is ignored with exit 0, by both programs (gitcredentials(7): a helper ignores the
 * actions it does not know). libc only.
 *
 * A new command: one id, one row here, one handler in handlers.c. */
#ifndef KC_COMMANDS_H
#define KC_COMMANDS_H

#include <stdbool.h>

#include "answer.h"

enum kc_command_id {
    KC_CMD_GET,
    KC_CMD_KS,
    KC_CMD_EXEC,
    KC_CMD_STORE,
    KC_CMD_ERASE,
    KC_CMD_LOGIN,
    KC_CMD_LOGOUT,
    KC_CMD_REVOKE,
    KC_CMD_STATUS,
    KC_CMD_DOCTOR,
    KC_CMD_SETUP_GIT,
    KC_CMD_CAPABILITY,
    KC_CMD_COUNT
};

/* What the frontend does with a command. */
enum kc_front {
    KC_FRONT_MINTER, /* exec the minter with the same arguments */
    KC_FRONT_IGNORE, /* nothing to do: print nothing, exit 0 */
    KC_FRONT_CACHE,  /* serve a cache hit (arguments: see answer_option); a miss: the minter */
    KC_FRONT_EXEC,   /* exec: on a cache hit run CMD with the KS (exec_env.h); a miss: the minter */
};

#define KC_ARGS_ANY (-1) /* the handler parses or ignores the arguments after the command */

struct kc_command {
    const char *name;
    const char *help;      /* --help text after the name; lines separated by '\n' */
    enum kc_command_id id; /* == its index in kc_commands */
    enum kc_front front;
    enum kc_answer_format answer; /* KC_FRONT_CACHE: how a hit is printed */
    int max_args; /* 0: arguments are a usage error (the minter says so); or KC_ARGS_ANY */
    /* KC_FRONT_CACHE: the request on stdin selects the profile (get), or no request (ks) */
    bool reads_request;
    /* KC_FRONT_CACHE: --format=FORMAT may choose another answer (kc_ks_opts_parse); without
     * it, any argument sends the command to the minter, which judges it */
    bool answer_option;
};

extern const struct kc_command kc_commands[KC_CMD_COUNT];

/* The row named name, or NULL: a word to ignore. */
const struct kc_command *kc_command_find(const char *name);

#endif
