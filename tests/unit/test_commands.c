/* The command table (helper/core/commands.h) and the minter's pairing of it (handlers.c): every row
 * has a handler, names are unique, the frontend's fast path is only for argument-less get/ks. */
#include <string.h>

#include "commands.h"
#include "handlers.h"
#include "tap.h"

int main(void)
{
    int bad_id = 0, no_handler = 0, no_help = 0, dup = 0;
    for (size_t i = 0; i < KC_CMD_COUNT; i++) {
        const struct kc_command *c = &kc_commands[i];
        bad_id +=
            c->id != (enum kc_command_id)i || c->name == NULL || kc_command_find(c->name) != c;
        no_handler += kc_handlers[i] == NULL;
        no_help += c->help == NULL || c->help[0] == '\0';
        for (size_t j = 0; j < i; j++)
            dup += c->name != NULL && kc_commands[j].name != NULL &&
                   strcmp(c->name, kc_commands[j].name) == 0;
        if (no_handler > 0 && kc_handlers[i] == NULL)
            tap_ok(0, "command '%s' has no handler in the minter", c->name ? c->name : "?");
    }
    tap_ok(bad_id == 0, "every row is at its id and found by its name");
    tap_ok(no_handler == 0, "the minter has a handler for every command of the table");
    tap_ok(dup == 0 && no_help == 0, "names are unique, every command has its help");
    tap_ok(kc_command_find("no-such-word") == NULL && kc_command_find(NULL) == NULL,
           "a word in no row: not found (ignored by both programs)");
    const struct kc_command *get = kc_command_find("get"), *ks = kc_command_find("ks");
    tap_ok(get && get->front == KC_FRONT_CACHE && get->reads_request &&
               get->answer == KC_ANSWER_CREDENTIAL && get->max_args == 0,
           "get: a cache hit is served by the frontend, keyed by the request");
    tap_ok(ks && ks->front == KC_FRONT_CACHE && !ks->reads_request &&
               ks->answer == KC_ANSWER_BARE && ks->answer_option && ks->max_args == KC_ARGS_ANY,
           "ks: a cache hit is served by the frontend, bare unless --format says otherwise");
    tap_ok(!get->answer_option, "get: no --format");
    const struct kc_command *ex = kc_command_find("exec");
    tap_ok(ex && ex->front == KC_FRONT_EXEC && !ex->reads_request && ex->max_args == KC_ARGS_ANY,
           "exec: the frontend runs CMD on a cache hit; reads no request (stdin is CMD's)");
    const struct kc_command *store = kc_command_find("store"), *cap = kc_command_find("capability");
    tap_ok(store && store->front == KC_FRONT_IGNORE, "store: ignored by the frontend");
    tap_ok(cap && cap->front == KC_FRONT_MINTER, "capability: answered by the minter only");
    return tap_done();
}
