/* Running the helper as the user, with a deadline and bounded output (see run_helper.h). */
#include "run_helper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "helper_path.h"
#include "supervisor.h"

/* ---- parent side ---- */

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* The helper's three pipes, whichever ends are still open. */
static void close_pairs(int in[2], int out[2], int err[2])
{
    int *ends[] = {&in[0], &in[1], &out[0], &out[1], &err[0], &err[1]};

    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++)
        close_fd(ends[i]);
}

/*
 * Reads what is available on *fd into buf (cap bytes, *len of them used); closes *fd at EOF or
 * on an error. Once buf is full, further bytes are dropped with keep_first (stderr: the start
 * is what the log wants), or end the read with false (stdout: more than the helper may write).
 */
static bool drain(int *fd, char *buf, size_t cap, size_t *len, bool keep_first)
{
    for (;;) {
        char sink[512];
        bool full = *len == cap;
        ssize_t n = full ? read(*fd, sink, keep_first ? sizeof sink : 1)
                         : read(*fd, buf + *len, cap - *len);

        if (n > 0 && full && !keep_first)
            return false;
        if (n > 0) {
            if (!full)
                *len += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            close_fd(fd);
        return true;
    }
}

/* Reads what is available from stdout; false when the helper wrote too much. */
static bool read_stdout(int *fd, struct pk_helper_result *res)
{
    if (drain(fd, res->out, sizeof res->out, &res->out_len, false))
        return true;
    res->overflow = true;
    return false;
}

/* Keeps the first PK_HELPER_STDERR_MAX bytes of stderr, discards the rest. */
static void read_stderr(int *fd, struct pk_helper_result *res)
{
    (void)drain(fd, res->err, sizeof res->err, &res->err_len, true);
}

/*
 * Reads the supervisor's report as it arrives (*got bytes of *rep so far). Returns 1 once it
 * is complete, -1 when the supervisor closed the socket without one, 0 for "not yet".
 */
static int read_report(int sock, struct pk_sup_report *rep, size_t *got)
{
    while (*got < sizeof *rep) {
        ssize_t n = recv(sock, (char *)rep + *got, sizeof *rep - *got, MSG_DONTWAIT);

        if (n > 0) {
            *got += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) ? -1 : 0;
    }
    return 1;
}

/* Takes in a complete report. */
static void take_report(const struct pk_sup_report *rep, struct pk_helper_result *res)
{
    if (rep->kind == PK_SUP_EXITED || rep->kind == PK_SUP_KILLED)
        res->status = rep->value;
    else
        res->lost = true; /* PK_SUP_NO_FORK (pk_run_helper logs it) */
}

/*
 * Asks the supervisor to SIGKILL the helper's process group and waits at most 1 s for it to
 * be dead: a helper stuck in uninterruptible sleep (a hung FUSE or NFS home) must not hold
 * up the login. It stays its supervisor's child then, never ours (res->unreaped).
 */
static void kill_helper(int sock, struct pk_sup_report *rep, size_t *got,
                        struct pk_helper_result *res)
{
    long long deadline = now_ms() + 1000;
    int r;

    /* MSG_NOSIGNAL: no SIGPIPE for the host if the supervisor is already gone. */
    (void)send(sock, "k", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    while ((r = read_report(sock, rep, got)) == 0) {
        struct pollfd pfd = {.fd = sock, .events = POLLIN};
        long long left = deadline - now_ms();

        if (left <= 0)
            break;
        (void)poll(&pfd, 1, (int)left); /* EINTR: just loop */
    }
    if (r == 1)
        take_report(rep, res);
    else
        res->unreaped = true;
}

/*
 * Reads stdout/stderr until the supervisor reports the helper's end, or the deadline. After
 * the report one more round drains what is left in the pipes (a descendant of the helper may
 * keep them open: not waited for).
 */
static void supervise(int out_fd, int err_fd, int sock, long long deadline,
                      struct pk_sup_report *rep, size_t *got, struct pk_helper_result *res)
{
    bool ended = false;

    for (;;) {
        struct pollfd pfd[3];
        long long left;
        int r;

        if (out_fd >= 0 && !read_stdout(&out_fd, res)) {
            if (!ended)
                kill_helper(sock, rep, got, res);
            break;
        }
        if (err_fd >= 0)
            read_stderr(&err_fd, res);
        if (ended)
            break;
        r = read_report(sock, rep, got);
        if (r != 0) {
            if (r == 1)
                take_report(rep, res);
            else
                res->lost = true;
            ended = true; /* one more round for the pipes */
            continue;
        }
        left = deadline - now_ms();
        if (left <= 0) {
            res->timed_out = true;
            kill_helper(sock, rep, got, res);
            break;
        }
        pfd[0] = (struct pollfd){.fd = out_fd, .events = POLLIN};
        pfd[1] = (struct pollfd){.fd = err_fd, .events = POLLIN};
        pfd[2] = (struct pollfd){.fd = sock, .events = POLLIN};
        (void)poll(pfd, 3, (int)left); /* EINTR: just loop */
    }
    close_fd(&out_fd);
    close_fd(&err_fd);
}

/*
 * The request goes into the stdin pipe before anything is forked, and the write end is
 * closed at once: the read end is ours until then, so the write cannot raise SIGPIPE, and no
 * signal disposition or mask needs changing for it. A pipe holds 64 KiB by default; grown if
 * the system made it smaller.
 */
static bool prefill_stdin(int in[2], const struct pk_helper_request *req)
{
    int size = fcntl(in[1], F_GETPIPE_SZ);
    size_t off = 0;

    if (req->input_len > 65536)
        return false;
    if (size >= 0 && (size_t)size < req->input_len)
        (void)fcntl(in[1], F_SETPIPE_SZ, (int)req->input_len);
    (void)fcntl(in[1], F_SETFL, O_NONBLOCK);
    while (off < req->input_len) {
        ssize_t n = write(in[1], req->input + off, req->input_len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close_fd(&in[1]);
    return off == req->input_len;
}

/* Forks the intermediate process (supervisor.h) with every signal blocked in this thread, so
 * that no handler of the host runs in it; returns its pid. */
static pid_t spawn(const struct pk_child_plan *plan, int sock)
{
    sigset_t all, old;
    pid_t pid;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid = fork();
    if (pid == 0)
        pk_supervisor_start(plan, sock);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return pid;
}

/* The intermediate process exits right after its fork: waiting for it is short. The host's
 * own SIGCHLD handler may have reaped it already (ECHILD), or the host ignores SIGCHLD and
 * the kernel did (ECHILD too, once it is gone): either is fine, its status is not needed. */
static void reap_intermediate(pid_t pid)
{
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

int pk_run_helper(const struct pk_args *args, const struct passwd *pw,
                  const struct pk_helper_request *req, struct pk_helper_result *res)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, sock[2] = {-1, -1};
    struct pk_child_plan plan;
    struct pk_sup_report rep;
    size_t got = 0;
    long long deadline;
    int exec_fd, ret;
    pid_t pid;

    memset(res, 0, sizeof *res);
    exec_fd = pk_helper_open(args, args->opt.helper);
    if (exec_fd < 0)
        return PAM_SESSION_ERR;
    ret = pk_child_plan_init(args, pw, args->opt.helper, exec_fd, req->command, &plan);
    if (ret != PAM_SUCCESS)
        return ret;
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock) != 0) {
        pk_err(args, "cannot create pipes: %s", strerror(errno));
        goto fail;
    }
    if (!prefill_stdin(in, req)) {
        pk_err(args, "cannot pass the request to the helper");
        goto fail;
    }
    plan.fds[0] = in[0];
    plan.fds[1] = out[1];
    plan.fds[2] = err[1];

    deadline = now_ms() + (long long)args->opt.timeout * 1000;
    pid = spawn(&plan, sock[1]);
    if (pid < 0) {
        pk_err(args, "cannot fork: %s", strerror(errno));
        goto fail;
    }
    close_fd(&in[0]);
    close_fd(&out[1]);
    close_fd(&err[1]);
    close_fd(&sock[1]);
    pk_child_plan_free(&plan);
    reap_intermediate(pid);
    pk_debug(args, "running %s %s as uid %lu", args->opt.helper, req->command,
             (unsigned long)pw->pw_uid);
    (void)fcntl(out[0], F_SETFL, O_NONBLOCK);
    (void)fcntl(err[0], F_SETFL, O_NONBLOCK);
    supervise(out[0], err[0], sock[0], deadline, &rep, &got, res);
    if (got == sizeof rep && rep.kind == PK_SUP_NO_FORK) {
        pk_err(args, "cannot fork: %s", strerror(rep.value));
        ret = PAM_SESSION_ERR;
    }
    close_fd(&sock[0]);
    return ret;
fail:
    close_pairs(in, out, err);
    close_fd(&sock[0]);
    close_fd(&sock[1]);
    pk_child_plan_free(&plan);
    return PAM_SESSION_ERR;
}

void pk_log_helper_stderr(const struct pk_args *args, const struct pk_helper_result *res,
                          int priority)
{
    size_t pos = 0;

    while (pos < res->err_len) {
        const char *line = res->err + pos;
        const char *nl = memchr(line, '\n', res->err_len - pos);
        size_t n = nl != NULL ? (size_t)(nl - line) : res->err_len - pos;
        char clean[256];
        size_t k = n;

        if (k > sizeof clean - 1)
            k = sizeof clean - 1;

        for (size_t i = 0; i < k; i++) {
            unsigned char c = (unsigned char)line[i];
            clean[i] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
        }
        clean[k] = '\0';
        if (k > 0)
            pk_log(args, priority, "helper: %s%s", clean, k < n ? " [...]" : "");
        pos += n + 1;
    }
}
