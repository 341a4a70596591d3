/* exec's environment (helper/core/exec_env.h): CMD gets the four variables (the KS under the
 * name --env gives), earlier ones of those names are replaced, the programs' internal variables
 * are left out, the rest of the environment is kept; the KS is never in CMD's argv; a command
 * that cannot be found or run is 127 or 126 with one line on stderr. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec_env.h"
#include "capture.h"
#include "tap.h"

/* out holds all of `env`'s output: a build environment (dpkg-buildpackage, dh) is tens of KiB */
static char out[1 << 20], err[4096];

static int ignore_before_save = -1, ignore_after_save = -1;

/* Forks; the child calls kc_exec_with_answer(a, var, cmd) with stdout/stderr captured (after
 * ignoring the signals set above, before and after kc_exec_save_signals). Returns the exit
 * status. */
static int run(const struct kc_answer *a, const char *var, char *const *cmd)
{
    struct capture_file fo, fe;
    capture_file_open(&fo);
    capture_file_open(&fe);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fo.fd, 1);
        dup2(fe.fd, 2);
        if (ignore_before_save > 0)
            signal(ignore_before_save, SIG_IGN);
        kc_exec_save_signals();
        if (ignore_after_save > 0) {
            signal(ignore_after_save, SIG_IGN); /* as GIO does with SIGPIPE */
            sigset_t all;
            sigfillset(&all);
            sigprocmask(SIG_BLOCK, &all, NULL);
        }
        _exit(kc_exec_with_answer(a, var, cmd));
    }
    int st;
    waitpid(pid, &st, 0);
    capture_file_read(&fo, out, sizeof out);
    capture_file_read(&fe, err, sizeof err);
    capture_file_close(&fo);
    capture_file_close(&fe);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* SigIgn of a /proc/PID/status text without glibc's own signals (32 up to SIGRTMIN): nobody
 * can change those through sigaction, and GNU make, for one, starts its commands with them
 * ignored. */
static unsigned long long user_ignored(const char *status)
{
    const char *p = strstr(status, "SigIgn:\t");
    if (p == NULL)
        return ~0ULL;
    unsigned long long v = strtoull(p + strlen("SigIgn:\t"), NULL, 16);
    for (int sig = 32; sig < SIGRTMIN; sig++)
        v &= ~(1ULL << (sig - 1));
    return v;
}

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return true;
    return false;
}

/* A known start: the test runner may hand us ignored signals (a non-interactive shell's
 * background job ignores SIGINT and SIGQUIT) or a blocked mask, which CMD would rightly
 * inherit; the signal test below compares exact masks. */
static void reset_inherited_signals(void)
{
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, NULL, &sa) == 0 &&
            sa.sa_handler == SIG_IGN)
            signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

int main(void)
{
    reset_inherited_signals();
    struct kc_answer a = {.ks = "djJ8c2VjcmV0",
                          .username = "u",
                          .protocol = "https",
                          .host = "h",
                          .expiry = 1700000000,
                          .service_url = "https://h",
                          .partner_id = "12345"};
    setenv("KALTURA_KS", "stale", 1);
    setenv("KALTURA_PARTNER_ID", "999", 1);
    setenv("KALTURA_CREDENTIAL_REQUEST_FED", "1", 1);
    setenv("KALTURA_CREDENTIAL_TRACE_START", "1", 1);
    setenv("KC_UNRELATED", "kept", 1);
    char *env_cmd[] = {"env", NULL};
    tap_ok(run(&a, "KALTURA_KS", env_cmd) == 0 && has_line(out, "KALTURA_KS=djJ8c2VjcmV0") &&
               has_line(out, "KALTURA_KS_EXPIRY=1700000000") &&
               has_line(out, "KALTURA_PARTNER_ID=12345") &&
               has_line(out, "KALTURA_SERVICE_URL=https://h") && has_line(out, "KC_UNRELATED=kept"),
           "the four variables, found through PATH; the rest of the environment kept");
    tap_ok(strstr(out, "stale") == NULL && strstr(out, "=999") == NULL,
           "earlier variables of those names replaced, not doubled");
    tap_ok(strstr(out, "KALTURA_CREDENTIAL_REQUEST_FED") == NULL &&
               strstr(out, "KALTURA_CREDENTIAL_TRACE_START") == NULL,
           "the programs' internal variables left out");
    const char *own = getenv("KALTURA_KS");
    tap_ok(own != NULL && strcmp(own, "stale") == 0,
           "our own environment is not changed (the KS is in CMD's alone)");
    tap_ok(run(&a, "MY_KS", env_cmd) == 0 && has_line(out, "MY_KS=djJ8c2VjcmV0") &&
               has_line(out, "KALTURA_KS=stale"),
           "--env NAME: the KS under NAME; KALTURA_KS is then the caller's business");

    char *args_cmd[] = {"sh", "-c", "exit 42", NULL};
    tap_ok(run(&a, "KALTURA_KS", args_cmd) == 42, "CMD's exit status passes through");
    char *cmdline_cmd[] = {"sh", "-c", "cat /proc/$$/cmdline", NULL};
    tap_ok(run(&a, "KALTURA_KS", cmdline_cmd) == 0 && strstr(out, "djJ8") == NULL,
           "the KS is not in CMD's argv");

    char *missing[] = {"kc-no-such-command-here", NULL};
    int rc = run(&a, "KALTURA_KS", missing);
    tap_ok(rc == KC_EXIT_EXEC_NOT_FOUND && out[0] == '\0' &&
               strstr(err, "kaltura-credential: exec: kc-no-such-command-here: command not "
                           "found") == err &&
               strchr(err, '\n') == err + strlen(err) - 1,
           "not found in PATH: 127, one line (%.*s)", (int)strcspn(err, "\n"), err);
    char *missing_path[] = {"/nonexistent/cmd", NULL};
    tap_ok(run(&a, "KALTURA_KS", missing_path) == KC_EXIT_EXEC_NOT_FOUND &&
               strstr(err, "No such file") != NULL,
           "a path that does not exist: 127");
    char noexec[] = "/tmp/kc-exec-noexec-XXXXXX";
    int fd = mkstemp(noexec);
    TAP_CHECK(fd >= 0 && fchmod(fd, 0644) == 0);
    close(fd);
    char *cannot[] = {noexec, NULL};
    rc = run(&a, "KALTURA_KS", cannot);
    tap_ok(rc == KC_EXIT_EXEC_CANNOT && out[0] == '\0' && strstr(err, "cannot run") != NULL &&
               strstr(err, "Permission denied") != NULL,
           "not executable: 126 (%.*s)", (int)strcspn(err, "\n"), err);
    unlink(noexec);

    /* signals: what was ignored after the save is not CMD's; what was before stays */
    char *sig_cmd[] = {"grep", "-E", "^Sig(Ign|Blk):", "/proc/self/status", NULL};
    ignore_before_save = SIGUSR1;
    ignore_after_save = SIGPIPE;
    rc = run(&a, "KALTURA_KS", sig_cmd);
    tap_ok(rc == 0 && strstr(out, "SigBlk:\t0000000000000000\n") != NULL &&
               user_ignored(out) == 0x200,
           "CMD gets the start's mask and ignored signals (SIGUSR1 ignored, SIGPIPE not)");
    ignore_before_save = ignore_after_save = -1;

    tap_ok(
        kc_exec_env_name_ok("KALTURA_KS") && kc_exec_env_name_ok("_x1") &&
            !kc_exec_env_name_ok("1x") && !kc_exec_env_name_ok("") && !kc_exec_env_name_ok(NULL) &&
            !kc_exec_env_name_ok("A=B") && !kc_exec_env_name_ok("KALTURA_SERVICE_URL") &&
            !kc_exec_env_name_ok("KALTURA_PARTNER_ID") && !kc_exec_env_name_ok("KALTURA_KS_EXPIRY"),
        "names --env accepts");
    return tap_done();
}
