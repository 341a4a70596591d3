/* exec's environment and execvpe (exec_env.h). */
#include "exec_env.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "secure_mem.h"
#include "trace.h"

/* The programs' own variables: meaningless, or misleading, to the command. */
static const char *const internal_vars[] = {"KALTURA_CREDENTIAL_REQUEST_FED", KC_TRACE_START_ENV};

static bool signals_saved;
static sigset_t start_mask;
static sigset_t start_ignored;

void kc_exec_save_signals(void)
{
    sigemptyset(&start_ignored);
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
            sigaddset(&start_ignored, sig);
    }
    signals_saved = sigprocmask(SIG_SETMASK, NULL, &start_mask) == 0;
}

/* What exec keeps of ours, as it was at the start: ignored signals back to SIG_DFL unless they
 * were ignored then (handlers are reset by execve itself), and the mask. */
static void restore_signals(void)
{
    if (!signals_saved)
        return;
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa) != 0 ||
            sa.sa_handler != SIG_IGN || sigismember(&start_ignored, sig))
            continue;
        signal(sig, SIG_DFL);
    }
    sigprocmask(SIG_SETMASK, &start_mask, NULL);
}

bool kc_exec_env_name_ok(const char *name)
{
    static const char first[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
    size_t n = name != NULL ? strlen(name) : 0;
    if (n == 0 || n > 128 || strchr(first, name[0]) == NULL ||
        strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_0123456789") != n)
        return false;
    return strcmp(name, KC_VAR_EXPIRY) != 0 && strcmp(name, KC_VAR_PARTNER) != 0 &&
           strcmp(name, KC_VAR_URL) != 0;
}

/* Is entry ("NAME=value") named name? */
static bool named(const char *entry, const char *name)
{
    size_t len = strlen(name);
    return strncmp(entry, name, len) == 0 && entry[len] == '=';
}

/* Is entry one of ours (vars) or an internal variable: left out of CMD's environment? */
static bool replaced(const char *entry, const struct kc_answer_var *vars)
{
    for (size_t i = 0; i < KC_ANSWER_VARS; i++)
        if (named(entry, vars[i].name))
            return true;
    for (size_t i = 0; i < sizeof internal_vars / sizeof internal_vars[0]; i++)
        if (named(entry, internal_vars[i]))
            return true;
    return false;
}

static char *assignment(const char *name, const char *value)
{
    size_t n = strlen(name) + 1 + strlen(value) + 1;
    char *s = kc_xmalloc(n);
    snprintf(s, n, "%s=%s", name, value);
    return s;
}

int kc_exec_with_answer(const struct kc_answer *a, const char *ks_var, char *const *cmd)
{
    char expiry[24];
    struct kc_answer_var vars[KC_ANSWER_VARS];
    kc_answer_vars(a, ks_var, expiry, vars);
    size_t n = 0;
    while (environ != NULL && environ[n] != NULL)
        n++;
    char **envp = kc_xmalloc((n + KC_ANSWER_VARS + 1) * sizeof *envp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!replaced(environ[i], vars))
            envp[k++] = environ[i];
    char *built[KC_ANSWER_VARS];
    for (size_t i = 0; i < KC_ANSWER_VARS; i++)
        envp[k++] = built[i] = assignment(vars[i].name, vars[i].value);
    envp[k] = NULL;
    kc_trace("exec: running %s with the KS in $%s", cmd[0], ks_var);
    fflush(NULL); /* nothing buffered may be lost, or written twice, by the exec */
    restore_signals();
    execvpe(cmd[0], cmd, envp);
    int err = errno;
    for (size_t i = 0; i < KC_ANSWER_VARS; i++)
        secure_free_str(built[i]);
    free(envp);
    if (err == ENOENT || err == ENOTDIR) {
        if (strchr(cmd[0], '/') != NULL) /* no PATH search: name the file's problem */
            diag_error("exec: %s: %s", cmd[0], strerror(err));
        else
            diag_error("exec: %s: command not found (not in PATH)", cmd[0]);
        return KC_EXIT_EXEC_NOT_FOUND;
    }
    diag_error("exec: cannot run %s: %s", cmd[0], strerror(err));
    return KC_EXIT_EXEC_CANNOT;
}
