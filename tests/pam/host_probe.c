/* pam_driver's life around the PAM calls (host_probe.h). */
#include "host_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SEEN 64

/* What the host's handlers saw: the si_pid of every SIGCHLD, the number of SIGPIPEs. */
static volatile sig_atomic_t n_seen;
static volatile pid_t seen[MAX_SEEN];
static volatile sig_atomic_t sigpipes;
static char probe_line[160];

static void on_sigchld(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    (void)ctx;
    if (n_seen < MAX_SEEN) {
        seen[n_seen] = si->si_pid;
        n_seen = n_seen + 1;
    }
}

static void on_sigchld_reaper(int sig)
{
    int saved = errno;

    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    errno = saved;
}

static void on_sigpipe(int sig)
{
    (void)sig;
    sigpipes = sigpipes + 1;
}

static bool was_seen(pid_t pid)
{
    for (sig_atomic_t i = 0; i < n_seen; i++)
        if (seen[i] == pid)
            return true;
    return false;
}

static bool same_set(const sigset_t *a, const sigset_t *b)
{
    for (int sig = 1; sig < NSIG; sig++)
        if (sigismember(a, sig) != sigismember(b, sig))
            return false;
    return true;
}

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000 /* the kernel's; libc sets it on every sigaction() */
#endif

/* SA_RESTORER aside: libc adds it to whatever it installs, so a disposition set back to its
 * default differs from one never set in that bit alone. */
static bool same_action(const struct sigaction *a, const struct sigaction *b)
{
    return a->sa_handler == b->sa_handler &&
           (a->sa_flags & ~SA_RESTORER) == (b->sa_flags & ~SA_RESTORER) &&
           same_set(&a->sa_mask, &b->sa_mask);
}

static int get_action(int sig, struct sigaction *sa)
{
    memset(sa, 0, sizeof *sa);
    return sigaction(sig, NULL, sa);
}

static void set_handler(int sig, void (*fn)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void set_recording_sigchld(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigchld;
    sa.sa_flags = SA_RESTART | SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
}

static double timeout_scale(void)
{
    const char *s = getenv("KC_TEST_TIMEOUT_SCALE");
    double v = s != NULL ? strtod(s, NULL) : 1.0;

    return v >= 1.0 ? v : 1.0;
}

/* Opens DIR/name for reading: blocks until the helper opens it for writing. */
static void wait_fifo(const char *dir, const char *name)
{
    char path[4096], c;
    int fd;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    fd = open(path, O_RDONLY);
    if (fd >= 0) {
        (void)read(fd, &c, 1);
        close(fd);
    }
}

/* The second thread: woken by the helper while the module runs, it looks at the process's
 * dispositions, takes a SIGPIPE of its own, and waits for the host's handler to see the host
 * child's exit. Then it lets the helper finish (DIR/probe-done). */
static void *probe_thread(void *arg)
{
    struct host_probe *p = arg;
    struct sigaction chld, pipe_now;
    bool same, piped = false, child_seen = false;
    long tries = (long)(1000 * timeout_scale()); /* 10 ms each */
    const struct timespec tick = {0, 10 * 1000 * 1000};
    char path[4096];
    int fds[2];

    wait_fifo(p->probe_dir, "fifo-thread");
    get_action(SIGCHLD, &chld);
    get_action(SIGPIPE, &pipe_now);
    same = same_action(&chld, &p->before[SIGCHLD]) && same_action(&pipe_now, &p->before[SIGPIPE]);
    if (pipe(fds) == 0) {
        sig_atomic_t before = sigpipes;

        close(fds[0]);
        (void)write(fds[1], "x", 1); /* EPIPE, and a SIGPIPE for this thread */
        close(fds[1]);
        piped = sigpipes > before;
    }
    for (long i = 0; i < tries && !(child_seen = was_seen(p->host_child)); i++)
        nanosleep(&tick, NULL);
    snprintf(probe_line, sizeof probe_line, "PROBE sigchld=%s sigpipe=%s dispositions=%s",
             child_seen ? "seen" : "missed", piped ? "handled" : "missed",
             same ? "same" : "changed");
    snprintf(path, sizeof path, "%s/probe-done", p->probe_dir);
    close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    return NULL;
}

static pid_t fork_host_child(const char *fifo_dir)
{
    pid_t pid = fork();

    if (pid == 0) {
        if (fifo_dir != NULL)
            wait_fifo(fifo_dir, "fifo-child");
        _exit(0);
    }
    return pid;
}

int host_probe_before(struct host_probe *p)
{
    if (p->sigchld != NULL && strcmp(p->sigchld, "ignore") == 0)
        set_handler(SIGCHLD, SIG_IGN);
    else if (p->sigchld != NULL && strcmp(p->sigchld, "reaper") == 0)
        set_handler(SIGCHLD, on_sigchld_reaper);
    else if (p->sigchld != NULL) {
        fprintf(stderr, "pam_driver: --sigchld ignore|reaper\n");
        return -1;
    }
    if (p->probe_dir != NULL || p->pending_sigchld) {
        set_recording_sigchld();
        set_handler(SIGPIPE, on_sigpipe);
    }
    for (int sig = 1; sig < NSIG; sig++)
        p->before_rc[sig] = get_action(sig, &p->before[sig]);
    if (p->pending_sigchld) {
        sigset_t chld;
        siginfo_t si;

        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        pthread_sigmask(SIG_BLOCK, &chld, NULL);
        p->host_child = fork_host_child(NULL);
        /* Exited (not reaped): its SIGCHLD is pending now. */
        if (p->host_child < 0 || waitid(P_PID, (id_t)p->host_child, &si, WEXITED | WNOWAIT) != 0) {
            perror("pam_driver: host child");
            return -1;
        }
    }
    pthread_sigmask(SIG_SETMASK, NULL, &p->mask_before);
    if (p->probe_dir != NULL) {
        p->host_child = fork_host_child(p->probe_dir);
        if (p->host_child < 0 || pthread_create(&p->thread, NULL, probe_thread, p) != 0) {
            perror("pam_driver: probe");
            return -1;
        }
        p->thread_started = true;
    }
    return 0;
}

static void print_signals(const struct host_probe *p)
{
    bool same = true;
    sigset_t mask;

    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction now;
        int rc = get_action(sig, &now);

        if (rc != p->before_rc[sig] || (rc == 0 && !same_action(&now, &p->before[sig])))
            same = false;
    }
    pthread_sigmask(SIG_SETMASK, NULL, &mask);
    printf("SIGNALS %s\n", same && same_set(&mask, &p->mask_before) ? "same" : "changed");
}

static void print_children(void)
{
    siginfo_t si;

    memset(&si, 0, sizeof si);
    if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) != 0)
        printf("CHILDREN %s\n", errno == ECHILD ? "none" : "error");
    else
        printf("CHILDREN %s\n", si.si_pid == 0 ? "running" : "exited");
}

/* util-linux login after pam_open_session: forks the shell, then wait(NULL) until a child
 * ends, and takes that for the shell's end. */
static void login_wait(void)
{
    pid_t shell = fork(), w;

    if (shell == 0) {
        sigset_t none;
        int null = open("/dev/null", O_RDWR);

        /* Not the driver's stdout and stderr: whoever reads them must see their end. */
        dup2(null, 1);
        dup2(null, 2);
        sigemptyset(&none);
        signal(SIGTERM, SIG_DFL);
        pthread_sigmask(SIG_SETMASK, &none, NULL);
        pause();
        _exit(0);
    }
    printf("SHELL %ld\n", (long)shell);
    fflush(stdout);
    while ((w = wait(NULL)) < 0 && errno == EINTR)
        ;
    printf("WAITED %ld\n", (long)w);
    if (w != shell) {
        kill(shell, SIGTERM);
        waitpid(shell, NULL, 0);
    }
}

void host_probe_after(struct host_probe *p)
{
    print_signals(p);
    if (p->thread_started) {
        pthread_join(p->thread, NULL);
        printf("%s hostchild=%s\n", probe_line,
               waitpid(p->host_child, NULL, WNOHANG) == p->host_child ? "ours" : "gone");
    }
    if (p->pending_sigchld) {
        sigset_t pending;

        sigpending(&pending);
        /* Unblocked: the handler runs now, with the siginfo of the SIGCHLD still pending. One
         * sent meanwhile for another child (the module's) cannot replace the first. */
        pthread_sigmask(SIG_UNBLOCK, &pending, NULL);
        printf("PENDING %s from=%s\n", sigismember(&pending, SIGCHLD) ? "kept" : "lost",
               was_seen(p->host_child) ? "host-child" : "other");
        waitpid(p->host_child, NULL, 0);
    }
    if (p->children)
        print_children();
    if (p->login_wait)
        login_wait();
    fflush(stdout);
}
