/*
 * pam_driver: runs PAM operations through libpamtest on one handle and prints the results,
 * reading the PAM environment back exactly (pypamtest mangles values that end in '=').
 *
 *   pam_driver [OPTION]... SERVICE USER OP[=EXPECTED]...
 *
 * OP: authenticate, setcred-establish, setcred-delete, setcred-refresh, open, close, env.
 * EXPECTED: a PAM code name without PAM_ (SUCCESS, IGNORE, SESSION_ERR, ...), default SUCCESS.
 * Output, one line each: "OP RESULT" (the code name, or "notrun" after a mismatch) in order,
 * "ENV <entry>" for every entry of each env op, "ELAPSED_MS <n>" for the whole run, then
 * "SIGNALS same|changed" (every signal's disposition, and this thread's mask, after the ops
 * against before) and the lines of the options below.
 * Exit status: 0 when every op returned what was expected, 1 on a mismatch, 2 on usage error.
 * Run it with LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=DIR.
 *
 * Options (host_probe.c has the host-process ones):
 *   --putenv NAME=VALUE  a PAM environment entry before the first op (as pam_systemd would)
 *   --probe DIR          a host with SIGCHLD and SIGPIPE handlers, a child and a second
 *                        thread, woken by the helper through the FIFOs DIR/fifo-child and
 *                        DIR/fifo-thread while the module runs: "PROBE ..."
 *   --pending-sigchld    a blocked SIGCHLD pending before the ops: "PENDING kept|lost"
 *   --sigchld ignore|reaper  SIGCHLD ignored, or a handler that reaps every child
 *   --children           after the ops: "CHILDREN none|running|exited"
 *   --login-wait         then as util-linux login: fork the "shell", print "SHELL <pid>",
 *                        wait(NULL) and print "WAITED <pid>" (the shell ends on SIGTERM)
 */
#include <libpamtest.h>
#include <security/pam_appl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host_probe.h"

#define MAX_OPS    16
#define MAX_PUTENV 16

static const struct {
    const char *name;
    int code;
} codes[] = {
    {"SUCCESS", PAM_SUCCESS},
    {"IGNORE", PAM_IGNORE},
    {"SESSION_ERR", PAM_SESSION_ERR},
    {"CRED_ERR", PAM_CRED_ERR},
    {"USER_UNKNOWN", PAM_USER_UNKNOWN},
    {"BUF_ERR", PAM_BUF_ERR},
    {"SERVICE_ERR", PAM_SERVICE_ERR},
    {"SYSTEM_ERR", PAM_SYSTEM_ERR},
    {"AUTH_ERR", PAM_AUTH_ERR},
    {"PERM_DENIED", PAM_PERM_DENIED},
    {"ABORT", PAM_ABORT},
    {"MODULE_UNKNOWN", PAM_MODULE_UNKNOWN},
};

static const struct {
    const char *name;
    enum pamtest_ops op;
    int flags;
} ops[] = {
    {"authenticate", PAMTEST_AUTHENTICATE, 0},
    {"setcred-establish", PAMTEST_SETCRED, PAM_ESTABLISH_CRED},
    {"setcred-delete", PAMTEST_SETCRED, PAM_DELETE_CRED},
    {"setcred-refresh", PAMTEST_SETCRED, PAM_REFRESH_CRED},
    {"open", PAMTEST_OPEN_SESSION, 0},
    {"close", PAMTEST_CLOSE_SESSION, 0},
    {"env", PAMTEST_GETENVLIST, 0},
};

static const char *code_name(int code)
{
    static char buf[32];

    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i].code == code)
            return codes[i].name;
    snprintf(buf, sizeof buf, "%d", code);
    return buf;
}

static int parse_code(const char *name)
{
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(codes[i].name, name) == 0)
            return codes[i].code;
    return -1;
}

static int usage(void)
{
    fprintf(stderr, "usage: pam_driver [OPTION]... SERVICE USER OP[=EXPECTED]...\n");
    return 2;
}

static int no_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *d)
{
    (void)n;
    (void)msg;
    (void)resp;
    (void)d;
    return PAM_CONV_ERR; /* a session module must never converse */
}

int main(int argc, char **argv)
{
    struct pam_testcase tests[MAX_OPS];
    const char *names[MAX_OPS], *putenvs[MAX_PUTENV];
    struct pam_conv conv = {no_conv, NULL};
    pam_handle_t *pamh = NULL;
    size_t ntests = 0, nputenv = 0;
    struct timespec t0, t1;
    struct host_probe probe = {0};
    enum pamtest_err perr;
    int i = 1, rc = 0;

    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--putenv") == 0 && i + 1 < argc && nputenv < MAX_PUTENV)
            putenvs[nputenv++] = argv[++i];
        else if (strcmp(argv[i], "--probe") == 0 && i + 1 < argc)
            probe.probe_dir = argv[++i];
        else if (strcmp(argv[i], "--pending-sigchld") == 0)
            probe.pending_sigchld = true;
        else if (strcmp(argv[i], "--sigchld") == 0 && i + 1 < argc)
            probe.sigchld = argv[++i];
        else if (strcmp(argv[i], "--children") == 0)
            probe.children = true;
        else if (strcmp(argv[i], "--login-wait") == 0)
            probe.login_wait = true;
        else
            return usage();
    }
    if (argc - i < 3)
        return usage();
    const char *service = argv[i], *user = argv[i + 1];
    for (i += 2; i < argc && ntests < MAX_OPS; i++) {
        char *eq = strchr(argv[i], '=');
        size_t n = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
        int expected = eq ? parse_code(eq + 1) : PAM_SUCCESS;
        size_t k;

        for (k = 0; k < sizeof ops / sizeof ops[0]; k++)
            if (strlen(ops[k].name) == n && strncmp(ops[k].name, argv[i], n) == 0)
                break;
        if (k == sizeof ops / sizeof ops[0] || expected < 0)
            return usage();
        tests[ntests] = (struct pam_testcase)pam_test_flags(ops[k].op, expected, ops[k].flags);
        names[ntests++] = ops[k].name;
    }

    if (pam_start(service, user, &conv, &pamh) != PAM_SUCCESS) {
        fprintf(stderr, "pam_driver: pam_start failed\n");
        return 1;
    }
    for (size_t k = 0; k < nputenv; k++)
        if (pam_putenv(pamh, putenvs[k]) != PAM_SUCCESS) {
            fprintf(stderr, "pam_driver: pam_putenv failed\n");
            return 1;
        }
    if (host_probe_before(&probe) != 0)
        return 1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    perr = _pamtest(service, user, NULL, tests, ntests, pamh);
    clock_gettime(CLOCK_MONOTONIC, &t1);

    const struct pam_testcase *failed = _pamtest_failed_case(tests, ntests);
    for (size_t k = 0; k < ntests; k++) {
        bool ran = failed == NULL || &tests[k] <= failed;

        if (tests[k].pam_operation == PAMTEST_GETENVLIST) {
            printf("%s %s\n", names[k], ran ? "SUCCESS" : "notrun");
            for (char **e = tests[k].case_out.envlist; ran && e != NULL && *e != NULL; e++)
                printf("ENV %s\n", *e);
            if (ran)
                pamtest_free_env(tests[k].case_out.envlist);
        } else {
            printf("%s %s\n", names[k], ran ? code_name(tests[k].op_rv) : "notrun");
        }
    }
    printf("ELAPSED_MS %lld\n",
           (long long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
    host_probe_after(&probe);
    if (perr != PAMTEST_ERR_OK) {
        fprintf(stderr, "pam_driver: %s\n", pamtest_strerror(perr));
        rc = 1;
    }
    return rc;
}
