/* Running the helper as the user, with a deadline and bounded output (see run_helper.h). */
#include "run_helper.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"

/* ---- trusting the helper path ---- */

static bool owner_ok(const struct stat *st)
{
    /* Root, or the euid running the module: a process cannot be attacked by its own files. */
    return st->st_uid == 0 || st->st_uid == geteuid();
}

bool pk_helper_path_trusted(const struct pk_args *args, const char *path)
{
    char dir[PATH_MAX];
    struct stat st;

    if (path[0] != '/' || strlen(path) >= sizeof dir) {
        pk_err(args, "helper %s: not an absolute path", path);
        return false;
    }
    if (lstat(path, &st) != 0) {
        pk_err(args, "helper %s: %s", path, strerror(errno));
        return false;
    }
    if (!S_ISREG(st.st_mode) || !owner_ok(&st) || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0 ||
        (st.st_mode & S_IXUSR) == 0) {
        pk_err(args,
               "helper %s: not an executable regular file owned by root and "
               "writable only by its owner: refusing to run it",
               path);
        return false;
    }
    strcpy(dir, path);
    if (stat(dirname(dir), &st) != 0 || !owner_ok(&st) ||
        ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0)) {
        pk_err(args, "helper %s: its directory is writable by others: refusing to run it", path);
        return false;
    }
    return true;
}

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
 * SIGKILLs the child's process group and reaps the child, waiting at most 1 s: a child stuck
 * in uninterruptible sleep (a hung NFS home) must not hold up the login. Such a child is
 * left behind (logged by the caller through res->unreaped).
 */
static void kill_and_reap(pid_t pid, struct pk_helper_result *res)
{
    const struct timespec tick = {0, 10 * 1000 * 1000};

    /* The child leads its own process group: take its descendants down too. */
    (void)kill(-pid, SIGKILL);
    (void)kill(pid, SIGKILL);
    for (int i = 0; i < 100; i++) {
        pid_t w = waitpid(pid, &res->status, WNOHANG);

        if (w == pid || (w < 0 && errno != EINTR))
            return;
        nanosleep(&tick, NULL);
    }
    res->unreaped = true;
}

/*
 * Reads stdout/stderr until the child exits and both pipes are drained, or the deadline.
 * Wakes at least every 100 ms to notice a child that exited while a descendant keeps a pipe
 * open; 10 ms once both pipes are closed.
 */
static void supervise(pid_t pid, int out_fd, int err_fd, long long deadline,
                      struct pk_helper_result *res)
{
    bool exited = false;

    for (;;) {
        struct pollfd pfd[2];
        long long left;
        int slice;

        if (out_fd >= 0 && !read_stdout(&out_fd, res)) {
            kill_and_reap(pid, res);
            break;
        }
        if (err_fd >= 0)
            read_stderr(&err_fd, res);
        if (exited)
            break;
        if (waitpid(pid, &res->status, WNOHANG) == pid) {
            exited = true; /* one more round drains what is left in the pipes */
            continue;
        }
        left = deadline - now_ms();
        if (left <= 0) {
            res->timed_out = true;
            kill_and_reap(pid, res);
            break;
        }
        slice = out_fd < 0 && err_fd < 0 ? 10 : 100;
        pfd[0] = (struct pollfd){.fd = out_fd, .events = POLLIN};
        pfd[1] = (struct pollfd){.fd = err_fd, .events = POLLIN};
        (void)poll(pfd, 2, (int)(left < slice ? left : slice)); /* EINTR: just loop */
    }
    close_fd(&out_fd);
    close_fd(&err_fd);
}

/* The request is small (well below a pipe's capacity): one non-blocking write. */
static void feed_stdin(int fd, const struct pk_helper_request *req)
{
    size_t off = 0;

    (void)fcntl(fd, F_SETFL, O_NONBLOCK);
    while (off < req->input_len) {
        ssize_t n = write(fd, req->input + off, req->input_len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* EPIPE (SIGPIPE is ignored) or full: the helper sees a short request */
        off += (size_t)n;
    }
    close(fd);
}

struct saved_signals {
    struct sigaction chld, pipe;
    sigset_t mask;
};

static void enter_signals(struct saved_signals *saved)
{
    struct sigaction dfl, ign;

    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ign = dfl;
    ign.sa_handler = SIG_IGN;
    /* SIGCHLD default so that waitpid() sees our child; SIGPIPE ignored so that a helper
     * closing its stdin early cannot kill a login. Both restored afterwards. */
    sigaction(SIGCHLD, &dfl, &saved->chld);
    sigaction(SIGPIPE, &ign, &saved->pipe);
}

static void leave_signals(const struct saved_signals *saved)
{
    sigaction(SIGCHLD, &saved->chld, NULL);
    sigaction(SIGPIPE, &saved->pipe, NULL);
}

static pid_t spawn(const struct pk_child_plan *plan)
{
    sigset_t all, old;
    pid_t pid;

    /* No application signal handler may run in the child before it resets them. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid = fork();
    if (pid == 0)
        pk_child_exec(plan);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return pid;
}

bool pk_run_helper(const struct pk_args *args, const struct passwd *pw,
                   const struct pk_helper_request *req, struct pk_helper_result *res)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    struct pk_child_plan plan;
    struct saved_signals saved;
    long long deadline;
    pid_t pid;

    memset(res, 0, sizeof *res);
    if (!pk_child_plan_init(args, pw, args->opt.helper, req->command, &plan))
        return false;
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
        pk_err(args, "cannot create pipes: %s", strerror(errno));
        close_pairs(in, out, err);
        pk_child_plan_free(&plan);
        return false;
    }
    plan.fds[0] = in[0];
    plan.fds[1] = out[1];
    plan.fds[2] = err[1];

    enter_signals(&saved);
    deadline = now_ms() + (long long)args->opt.timeout * 1000;
    pid = spawn(&plan);
    close_fd(&in[0]);
    close_fd(&out[1]);
    close_fd(&err[1]);
    pk_child_plan_free(&plan);
    if (pid < 0) {
        pk_err(args, "cannot fork: %s", strerror(errno));
        close_pairs(in, out, err);
        leave_signals(&saved);
        return false;
    }
    pk_debug(args, "running %s %s as uid %lu (pid %ld)", args->opt.helper, req->command,
             (unsigned long)pw->pw_uid, (long)pid);
    feed_stdin(in[1], req);
    (void)fcntl(out[0], F_SETFL, O_NONBLOCK);
    (void)fcntl(err[0], F_SETFL, O_NONBLOCK);
    supervise(pid, out[0], err[0], deadline, res);
    leave_signals(&saved);
    return true;
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
