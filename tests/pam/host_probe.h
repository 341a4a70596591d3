/*
 * pam_driver as a host process with a life of its own around the PAM calls (design §3.7: the
 * module never returns while a child of the host is alive, and leaves the host's signal
 * dispositions alone). See pam_driver.c for the options and what they print.
 */
#ifndef KC_TEST_HOST_PROBE_H
#define KC_TEST_HOST_PROBE_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

struct host_probe {
    /* options */
    const char *probe_dir; /* --probe DIR */
    bool pending_sigchld;  /* --pending-sigchld */
    const char *sigchld;   /* --sigchld ignore|reaper, or NULL */
    bool children;         /* --children */
    bool login_wait;       /* --login-wait */
    /* state */
    struct sigaction before[NSIG];
    int before_rc[NSIG];
    sigset_t mask_before;
    pid_t host_child; /* --probe, --pending-sigchld */
    pthread_t thread;
    bool thread_started;
};

/* Before the first PAM call: handlers, the host's child, the probe thread. 0, or -1 with a
 * message on stderr. */
int host_probe_before(struct host_probe *p);
/* After the last one: prints what was seen. */
void host_probe_after(struct host_probe *p);

#endif
