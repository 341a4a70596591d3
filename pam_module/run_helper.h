/* Running the helper as the user: a trusted path, a supervisor out of the host's children
 * (supervisor.h), privileges dropped for good, a deadline, bounded reads. */
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
    int status;     /* the helper's wait status */
    bool timed_out; /* killed at the deadline */
    bool overflow;  /* killed for writing more than KC_ANSWER_MAX bytes */
    bool unreaped;  /* killed, but not dead 1 s later: left to its supervisor (not our child) */
    bool lost;      /* no status: the supervisor died */
};

/*
 * Runs `helper COMMAND` as pw with req->input on stdin (at most 64 KiB); returns within
 * args->opt.timeout seconds, plus at most 1 s to see a killed helper die. Returns PAM_SUCCESS
 * with *res filled (even if the helper failed or was killed); PAM_SESSION_ERR (logged) when
 * the helper is not trusted (helper_path.h) or could not be started; PAM_BUF_ERR when out of
 * memory. Never returns with a child of its own alive; changes no signal disposition or mask
 * of the process (the calling thread's mask only while it forks).
 */
int pk_run_helper(const struct pk_args *args, const struct passwd *pw,
                  const struct pk_helper_request *req, struct pk_helper_result *res);

/* Logs the helper's stderr, line by line, at the given priority. */
void pk_log_helper_stderr(const struct pk_args *args, const struct pk_helper_result *res,
                          int priority);

#endif
