/* The intermediate process and the helper's supervisor (supervisor.h). */
#include "supervisor.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Forks without running the host's pthread_atfork handlers, which need not be
 * async-signal-safe: _Fork() where libc has it (glibc 2.34, musl 1.2.3). */
static pid_t fork_plain(void)
{
#ifdef PK_HAVE__FORK
    return _Fork();
#else
    return fork();
#endif
}

static void report(int sock, int kind, int value)
{
    const struct pk_sup_report r = {.kind = kind, .value = value};

    /* MSG_NOSIGNAL: the module may be gone. */
    (void)send(sock, &r, sizeof r, MSG_NOSIGNAL);
}

static void on_sigchld(int sig)
{
    (void)sig; /* only interrupts ppoll() */
}

/* Everything but keep: the helper has its own copies of the pipes, and the module must see
 * end of file on them when the helper is done, not when the supervisor is. */
static void close_all_but(int keep, int max_fd)
{
    for (int fd = 0; fd < keep; fd++)
        (void)close(fd);
    pk_close_from(keep + 1, max_fd);
}

/* Waits for the helper, or for the module's word to kill it. The helper is not reaped before
 * the kill, so its pid (and process group id) cannot have been reused by then. */
static _Noreturn void supervise(pid_t helper, int sock)
{
    sigset_t during_poll;
    int status;

    sigfillset(&during_poll);
    sigdelset(&during_poll, SIGCHLD);
    for (;;) {
        struct pollfd pfd = {.fd = sock, .events = POLLIN};

        if (waitpid(helper, &status, WNOHANG) == helper) {
            report(sock, PK_SUP_EXITED, status);
            _exit(0);
        }
        /* SIGCHLD is blocked but here: an exit between waitpid and ppoll is not missed. */
        if (ppoll(&pfd, 1, NULL, &during_poll) > 0)
            break; /* a byte from the module, or its end of the socket closed */
    }
    (void)kill(-helper, SIGKILL);
    (void)kill(helper, SIGKILL);
    /* May block for as long as the helper sleeps uninterruptibly: nobody waits for us. */
    while (waitpid(helper, &status, 0) < 0)
        if (errno != EINTR) {
            status = SIGKILL; /* cannot happen (it is our child); a wait status "killed" */
            break;
        }
    report(sock, PK_SUP_KILLED, status);
    _exit(0);
}

_Noreturn void pk_supervisor_start(const struct pk_child_plan *plan, int sock)
{
    struct sigaction sa;
    pid_t pid = fork_plain();

    if (pid != 0) {
        /* The intermediate process: the host reaps it at once. */
        if (pid < 0)
            report(sock, PK_SUP_NO_FORK, errno);
        _exit(0);
    }
    /* The supervisor: a new session, so no terminal signal of the host's reaches it. */
    (void)setsid();
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGCHLD, &sa, NULL); /* every signal is still blocked (run_helper.c) */
    pid = fork_plain();
    if (pid == 0)
        pk_child_exec(plan);
    if (pid < 0) {
        report(sock, PK_SUP_NO_FORK, errno);
        _exit(0);
    }
    close_all_but(sock, plan->max_fd);
    supervise(pid, sock);
}
