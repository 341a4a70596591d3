/*
 * The helper's process: everything it needs is prepared before fork() (allocation, NSS
 * lookups, the helper's descriptor), so that after fork() it only makes async-signal-safe
 * calls. The PAM application may be multi-threaded (gdm), where malloc or NSS after fork()
 * can deadlock. It is forked by the supervisor (supervisor.h), never by the host itself.
 */
#ifndef PAM_KALTURA_CHILD_H
#define PAM_KALTURA_CHILD_H

#include <pwd.h>
#include <stdbool.h>
#include <sys/types.h>

#include "logging.h"

/* HOME USER LOGNAME PATH XDG_RUNTIME_DIR DBUS_SESSION_BUS_ADDRESS, the proxy variables, NULL */
#define PK_CHILD_ENV_MAX 12

struct pk_child_plan {
    const char *path;             /* the helper, absolute (its argv[0]) */
    int exec_fd;                  /* the helper, opened and checked (helper_path.h): executed */
    char *argv[3];                /* helper COMMAND NULL */
    char *envp[PK_CHILD_ENV_MAX]; /* NULL-terminated, owned */
    gid_t *groups;                /* supplementary groups of the user, owned */
    int ngroups;
    uid_t uid;
    gid_t gid;
    bool switch_user; /* false when we already are the user */
    const char *home;
    int fds[3]; /* become the child's stdin, stdout, stderr */
    int max_fd; /* fallback bound when close_range() is missing */
};

/* Builds the plan for `path command` as pw; takes exec_fd over (closed by pk_child_plan_free,
 * also on failure). Returns PAM_SUCCESS, or (logged) PAM_BUF_ERR when out of memory,
 * PAM_SESSION_ERR when the user's groups cannot be read. */
int pk_child_plan_init(const struct pk_args *args, const struct passwd *pw, const char *path,
                       int exec_fd, const char *command, struct pk_child_plan *plan);
void pk_child_plan_free(struct pk_child_plan *plan);

/* The proxy variables passed on from the PAM environment when set (README "Security model"). */
extern const char *const pk_child_proxy_vars[];

/* In the helper's process after fork(): sets up and execs, or _exit()s 126 (setup) / 127
 * (exec). */
_Noreturn void pk_child_exec(const struct pk_child_plan *plan);

/* Closes every descriptor from `from` up (close_range, else one by one up to max_fd). */
void pk_close_from(int from, int max_fd);

#endif
