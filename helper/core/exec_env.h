/* `exec`: running the user's command with a KS in its environment, and only there (README
 * "Commands"). The frontend does it on a cache hit, the minter after a mint: one function,
 * so both set the same variables the same way. libc only. */
#ifndef KC_EXEC_ENV_H
#define KC_EXEC_ENV_H

#include <stdbool.h>

#include "answer.h"

/* Exit codes of exec's own failures, as a shell has them: the command was not found, or was
 * found but could not be run. (A command's own exit status passes through unchanged.) */
#define KC_EXIT_EXEC_NOT_FOUND 127
#define KC_EXIT_EXEC_CANNOT    126

/* true for a name --env accepts: [A-Za-z_][A-Za-z0-9_]*, at most 128 bytes, not one of the
 * other variables exec sets (KALTURA_KS_EXPIRY, KALTURA_PARTNER_ID, KALTURA_SERVICE_URL). */
bool kc_exec_env_name_ok(const char *name);

/* The signal mask and the ignored signals this program started with. An ignored signal and the
 * mask survive execve, and libraries change them (GIO ignores SIGPIPE process-wide): the
 * minter saves them first thing, and kc_exec_with_answer gives CMD those back, so CMD gets
 * what the caller gave whichever program runs it. */
void kc_exec_save_signals(void);

/* execvpe(cmd[0], cmd) (PATH searched as a shell does) with this process's environment, in
 * which ks_var=<KS>, KALTURA_KS_EXPIRY, KALTURA_PARTNER_ID and KALTURA_SERVICE_URL replace any
 * variables of those names, and the programs' internal variables are left out. The KS is never
 * put into this process's own environment or into argv. Returns only when the command could not
 * be started: KC_EXIT_EXEC_NOT_FOUND or KC_EXIT_EXEC_CANNOT, its diagnostic printed, every
 * string built wiped. */
int kc_exec_with_answer(const struct kc_answer *a, const char *ks_var, char *const *cmd);

#endif
