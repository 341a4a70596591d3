/* Running the helper as the user: fork, drop privileges for good, exec, bounded read. */
#ifndef PAM_KALTURA_RUN_HELPER_H
#define PAM_KALTURA_RUN_HELPER_H

#include <pwd.h>
#include <stdbool.h>
#include <stddef.h>

#include "helper_output.h"
#include "logging.h"

#define PK_HELPER_STDERR_MAX 2048 /* bytes of stderr kept for the log */

struct pk_helper_request {
    const char *command; /* argv[1]: "get" or "revoke" */
    const char *input;   /* written to the helper's stdin, which is then closed */
    size_t input_len;
};

struct pk_helper_result {
    char out[KC_ANSWER_MAX]; /* stdout: may hold a KS, wipe after use */
    size_t out_len;
    char err[PK_HELPER_STDERR_MAX]; /* stderr: no secrets by the helper's contract */
    size_t err_len;
    int status;     /* waitpid() status */
    bool timed_out; /* killed at the deadline */
    bool overflow;  /* killed for writing more than KC_ANSWER_MAX bytes */
    bool unreaped;  /* killed, but still not reaped 1 s later (left behind) */
};

/*
 * The helper path must be a regular file (not a symlink) owned by root or by the euid running
 * the module, not writable by group or others, executable, in a directory with the same
 * ownership rule that is not group/world-writable unless sticky. Logs why when it is not.
 */
bool pk_helper_path_trusted(const struct pk_args *args, const char *path);

/*
 * Runs `helper COMMAND` as pw with req->input on stdin; returns within args->opt.timeout
 * seconds (plus the time to reap a SIGKILLed child). Returns false (logged) when the helper
 * could not be started; otherwise true with *res filled, even if it failed or was killed.
 */
bool pk_run_helper(const struct pk_args *args, const struct passwd *pw,
                   const struct pk_helper_request *req, struct pk_helper_result *res);

/* Logs the helper's stderr, line by line, at the given priority. */
void pk_log_helper_stderr(const struct pk_args *args, const struct pk_helper_result *res,
                          int priority);

#endif
