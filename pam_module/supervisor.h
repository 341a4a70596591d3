/*
 * The helper is never a child of the host (login, sshd, gdm). The module forks an
 * intermediate process, which forks the supervisor and exits at once; the module reaps it at
 * once. The supervisor, now init's, forks the helper (child.h) and waits for it, and reports
 * its wait status on a socket. The module thus never returns while a child of the host is
 * alive (a helper stuck in uninterruptible sleep on a hung FUSE or NFS mount, even after
 * SIGKILL, is the supervisor's problem, not the host's: util-linux login reaps its shell with
 * wait(NULL), which must not return the helper instead), and needs no SIGCHLD of its own, so
 * the host's signal dispositions are left alone.
 *
 * The socket (a socketpair, one end each): the module writes one byte to have the helper's
 * process group killed; end of file (the module gone) does the same. The supervisor writes
 * one struct pk_sup_report and exits.
 */
#ifndef PAM_KALTURA_SUPERVISOR_H
#define PAM_KALTURA_SUPERVISOR_H

#include "child.h"

enum pk_sup_kind {
    PK_SUP_EXITED = 1, /* value: the helper's wait status */
    PK_SUP_KILLED = 2, /* killed on request; value: its wait status */
    PK_SUP_NO_FORK = 3 /* the supervisor or the helper could not be forked; value: errno */
};

struct pk_sup_report {
    int kind; /* enum pk_sup_kind */
    int value;
};

/*
 * In the intermediate process, right after the host's fork() (all signals blocked): forks
 * the supervisor and _exit()s. Async-signal-safe calls only, from here to the helper's exec.
 * sock: the supervisor's end of the socket; every other descriptor is closed in the
 * supervisor once the helper is forked.
 */
_Noreturn void pk_supervisor_start(const struct pk_child_plan *plan, int sock);

#endif
