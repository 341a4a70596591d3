/* The helper's process, forked by the supervisor (see child.h). */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <security/pam_ext.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHILD_PATH "PATH=/usr/local/bin:/usr/bin:/bin"

static char *env_pair(const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 2;
    char *s = malloc(n);

    if (s != NULL)
        snprintf(s, n, "%s=%s", name, value);
    return s;
}

/* Adds NAME=value to the plan's environment; false on allocation failure. */
static bool add_env(struct pk_child_plan *plan, int *n, const char *name, const char *value)
{
    if (*n >= PK_CHILD_ENV_MAX - 1)
        return false;
    plan->envp[*n] = env_pair(name, value);
    return plan->envp[(*n)++] != NULL;
}

/*
 * Proxies: libcurl reads https_proxy/HTTPS_PROXY for the https API and no_proxy/NO_PROXY
 * for the exceptions. http_proxy is not passed: the helper speaks plain http only to a
 * loopback server or to one its profile explicitly allows (allow_insecure), and neither
 * should be routed to a proxy by the login environment; the profile's own proxy setting
 * covers a plain-http server behind one.
 */
const char *const pk_child_proxy_vars[] = {"https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY",
                                           NULL};

/* The small environment of doc/pam.md "What happens at open_session": nothing of the calling
 * process leaks through, only what the PAM environment says about the session. */
static bool build_env(const struct pk_args *args, const struct passwd *pw,
                      struct pk_child_plan *plan)
{
    const char *runtime = pam_getenv(args->pamh, "XDG_RUNTIME_DIR");
    const char *bus = pam_getenv(args->pamh, "DBUS_SESSION_BUS_ADDRESS");
    char runtime_buf[64], bus_buf[PATH_MAX + 16];
    struct stat st;
    int n = 0;

    if (runtime == NULL || runtime[0] == '\0') {
        /* pam_systemd normally sets it; else the usual place, if it is really the user's. */
        snprintf(runtime_buf, sizeof runtime_buf, "/run/user/%lu", (unsigned long)pw->pw_uid);
        runtime = NULL;
        if (stat(runtime_buf, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == pw->pw_uid)
            runtime = runtime_buf;
    }
    if ((bus == NULL || bus[0] == '\0') && runtime != NULL) {
        snprintf(bus_buf, sizeof bus_buf, "unix:path=%s/bus", runtime);
        bus = bus_buf;
    }
    if (!add_env(plan, &n, "HOME", pw->pw_dir) || !add_env(plan, &n, "USER", pw->pw_name) ||
        !add_env(plan, &n, "LOGNAME", pw->pw_name))
        return false;
    plan->envp[n] = strdup(CHILD_PATH);
    if (plan->envp[n++] == NULL)
        return false;
    if (runtime != NULL && !add_env(plan, &n, "XDG_RUNTIME_DIR", runtime))
        return false;
    if (bus != NULL && bus[0] != '\0' && !add_env(plan, &n, "DBUS_SESSION_BUS_ADDRESS", bus))
        return false;
    for (const char *const *name = pk_child_proxy_vars; *name != NULL; name++) {
        const char *value = pam_getenv(args->pamh, *name);

        if (value != NULL && value[0] != '\0' && !add_env(plan, &n, *name, value))
            return false;
    }
    plan->envp[n] = NULL;
    return true;
}

/* getgrouplist() now, setgroups() in the child: initgroups() after fork is not safe. */
static bool load_groups(const struct passwd *pw, struct pk_child_plan *plan)
{
    int n = 32;

    for (int tries = 0; tries < 8; tries++) {
        gid_t *g = realloc(plan->groups, (size_t)n * sizeof *g);
        int want = n;

        if (g == NULL)
            return false;
        plan->groups = g;
        if (getgrouplist(pw->pw_name, pw->pw_gid, g, &want) >= 0) {
            plan->ngroups = want;
            return true;
        }
        n = want > n ? want : n * 2;
    }
    return false;
}

int pk_child_plan_init(const struct pk_args *args, const struct passwd *pw, const char *path,
                       int exec_fd, const char *command, struct pk_child_plan *plan)
{
    long open_max = sysconf(_SC_OPEN_MAX);

    memset(plan, 0, sizeof *plan);
    plan->path = path;
    plan->exec_fd = exec_fd;
    plan->argv[0] = (char *)path;
    plan->argv[1] = (char *)command;
    plan->argv[2] = NULL;
    plan->uid = pw->pw_uid;
    plan->gid = pw->pw_gid;
    plan->home = pw->pw_dir;
    plan->max_fd = open_max > 0 && open_max < 65536 ? (int)open_max : 65536;
    plan->fds[0] = plan->fds[1] = plan->fds[2] = -1;
    /* Switch unless both real and effective uid already are the user's. */
    plan->switch_user = getuid() != pw->pw_uid || geteuid() != pw->pw_uid;
    if (!build_env(args, pw, plan)) {
        pk_err(args, "out of memory building the helper's environment");
        pk_child_plan_free(plan);
        return PAM_BUF_ERR;
    }
    if (plan->switch_user && !load_groups(pw, plan)) {
        pk_err(args, "cannot get the supplementary groups of the user");
        pk_child_plan_free(plan);
        return PAM_SESSION_ERR;
    }
    return PAM_SUCCESS;
}

void pk_child_plan_free(struct pk_child_plan *plan)
{
    for (int i = 0; i < PK_CHILD_ENV_MAX && plan->envp[i] != NULL; i++)
        free(plan->envp[i]);
    free(plan->groups);
    if (plan->exec_fd >= 0)
        close(plan->exec_fd);
    memset(plan, 0, sizeof *plan);
    plan->exec_fd = -1;
}

/* ---- after fork(): async-signal-safe calls only ---- */

static _Noreturn void die(const char *msg, int code)
{
    ssize_t r = write(STDERR_FILENO, msg, strlen(msg));

    (void)r;
    _exit(code);
}

static void reset_signals(void)
{
    struct sigaction dfl;
    sigset_t none;

    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            (void)sigaction(sig, &dfl, NULL); /* EINVAL for libc-reserved signals: fine */
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Moves the three pipe ends onto 0, 1, 2 (they may themselves be 0..2). */
static bool setup_stdio(const struct pk_child_plan *plan)
{
    int high[3];

    for (int i = 0; i < 3; i++) {
        high[i] = fcntl(plan->fds[i], F_DUPFD_CLOEXEC, 3);
        if (high[i] < 0)
            return false;
    }
    for (int i = 0; i < 3; i++)
        if (dup2(high[i], i) < 0) /* dup2 clears FD_CLOEXEC on the target */
            return false;
    return true;
}

static void drop_privileges(const struct pk_child_plan *plan)
{
    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;

    if (!plan->switch_user)
        return;
    if (setgroups((size_t)plan->ngroups, plan->groups) != 0)
        die("pam_kaltura: setgroups failed\n", 126);
    if (setgid(plan->gid) != 0)
        die("pam_kaltura: setgid failed\n", 126);
    if (setuid(plan->uid) != 0)
        die("pam_kaltura: setuid failed\n", 126);
    /* Verify the switch is complete (real, effective and saved ids) and cannot be undone. */
    if (getresuid(&ruid, &euid, &suid) != 0 || getresgid(&rgid, &egid, &sgid) != 0 ||
        ruid != plan->uid || euid != plan->uid || suid != plan->uid || rgid != plan->gid ||
        egid != plan->gid || sgid != plan->gid)
        die("pam_kaltura: privilege drop incomplete\n", 126);
    if (plan->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
        die("pam_kaltura: privilege drop can be undone\n", 126);
}

void pk_close_from(int from, int max_fd)
{
    if (close_range((unsigned)from, ~0U, 0) == 0)
        return;
    for (int fd = from; fd < max_fd; fd++)
        (void)close(fd);
}

/* The helper's descriptor goes to fd 3, close-on-exec: a compiled helper needs nothing of
 * itself. A script does: execution fails with ENOENT when its interpreter could not open
 * /dev/fd/3, and is retried with fd 3 left open for it. */
static void exec_helper(const struct pk_child_plan *plan, int fd)
{
    if (dup2(fd, 3) != 3 || fcntl(3, F_SETFD, FD_CLOEXEC) != 0)
        die("pam_kaltura: cannot set up the helper's descriptor\n", 126);
    pk_close_from(4, plan->max_fd);
    fexecve(3, plan->argv, plan->envp);
    if (errno == ENOENT && fcntl(3, F_SETFD, 0) == 0)
        fexecve(3, plan->argv, plan->envp);
}

_Noreturn void pk_child_exec(const struct pk_child_plan *plan)
{
    int fd;

    reset_signals();
    /* Its own process group, in the supervisor's session (no controlling tty): the
     * supervisor kills the whole group at the deadline. */
    (void)setpgid(0, 0);
    /* Above 2 before stdio is set up: the host may have had 0..2 closed. */
    fd = fcntl(plan->exec_fd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0 || !setup_stdio(plan))
        die("pam_kaltura: cannot set up the helper's stdio\n", 126);
    drop_privileges(plan);
    if (chdir(plan->home) != 0 && chdir("/") != 0)
        die("pam_kaltura: cannot chdir\n", 126);
    exec_helper(plan, fd);
    die("pam_kaltura: cannot execute the helper\n", 127);
}
