/* kaltura-credential: the fast-path frontend (doc/architecture.md "Two executables").
 *
 * Links libc only, on purpose: libsecret, GLib, libcurl and OpenSSL cost 10-18 ms of dynamic
 * linking before main() (doc/cache.md), more than a whole cache hit. This program answers
 * what needs none of them (what the command table, commands.h, lets it: store, words in no
 * row, cache hits for get/ks, and exec's run of CMD on a hit) and execv()s
 * kaltura-credential-mint, with the same arguments, for everything else. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "cli_opts.h"
#include "commands.h"
#include "contract.h"
#include "diag.h"
#include "exec_env.h"
#include "kc_config.h"
#include "paths.h"
#include "protocol.h"
#include "secure_mem.h"
#include "trace.h"

#define MINT_NAME "kaltura-credential-mint"
#define FED_ENV   "KALTURA_CREDENTIAL_REQUEST_FED"
/* How long a follower waits for the leading minter of the same request: the design's default
 * network timeout (a leader stuck on a keyring prompt must not block others for ever). */
#define LEAD_WAIT_MS 30000

struct opts {
    const char *config;  /* --config FILE */
    const char *profile; /* --profile NAME, or KALTURA_CREDENTIAL_PROFILE */
    int cmd;             /* index of COMMAND in argv, 0: none */
    bool delegate;       /* an option only the minter knows (--help, --version, ...) */
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
    struct kc_global_opts g;
    int i;
    enum kc_global_scan r = kc_global_opts_scan(argc, argv, &g, &i);
    kc_trace_init(g.verbose);
    memset(o, 0, sizeof *o);
    o->config = g.config;
    o->profile = g.profile;
    if (r == KC_SCAN_MISSING_VALUE)
        return -1;
    /* --help, --version, or a usage error: the minter words it */
    o->delegate = r == KC_SCAN_OTHER_OPTION;
    o->cmd = r == KC_SCAN_COMMAND ? i : 0;
    return 0;
}

/* Installed, the minter is at its libexec path, and nowhere else: a program planted next to
 * a copy of the frontend must not get the request (and the user's keyring). The build tree's
 * frontend (helper/meson.build) finds it next to itself first. */
static char *mint_path(void)
{
#ifdef KC_MINT_NEXT_TO_SELF
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - sizeof MINT_NAME - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash != NULL) {
            memcpy(slash + 1, MINT_NAME, sizeof MINT_NAME);
            if (access(self, X_OK) == 0)
                return kc_xstrdup(self);
        }
    }
#endif
    return kc_xstrdup(KC_MINT_PATH);
}

/* Hands the already-read request to the minter as its stdin: a memfd, so no temp file and no
 * secret in argv or the environment. */
static int feed_request(const char *raw, size_t len)
{
    int fd = memfd_create(KC_FED_REQUEST_NAME, MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, raw + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    int rc = (lseek(fd, 0, SEEK_SET) == 0 && dup2(fd, STDIN_FILENO) == STDIN_FILENO) ? 0 : -1;
    close(fd);
    return rc;
}

/* The caller's umask, before ours (077): the minter and exec's CMD get it back. */
static mode_t user_umask;

static int exec_minter(char **argv, char *raw, size_t raw_len, bool fed)
{
    char *path = mint_path();
    int rc = 0;
    if (fed) {
        rc = feed_request(raw, raw_len);
        if (rc == 0)
            rc = setenv(FED_ENV, "1", 1);
    } else {
        rc = unsetenv(FED_ENV); /* an inherited one must not make the minter skip stdin */
    }
    secure_wipe(raw, raw_len);
    free(raw);
    if (rc != 0) {
        diag_error("cannot pass the request on: %s", strerror(errno));
        free(path);
        return KC_EXIT_INTERNAL;
    }
    kc_trace("frontend: running the minter %s", path);
    kc_trace_handover();
    argv[0] = path;
    umask(user_umask); /* the minter sets 077 first thing, and keeps this for exec's CMD */
    execv(path, argv);
    umask(077);
    diag_error("cannot run %s: %s (is kaltura-credential installed completely?)", path,
               strerror(errno));
    free(path);
    return KC_EXIT_INTERNAL;
}

/* Prints a cache hit. Returns its exit code. */
static int serve(struct kc_answer *e, enum kc_answer_format format)
{
    /* A buffered stdout holds the KS until the flush: nothing printed on failure paths. */
    static char buf[BUFSIZ]; /* static: stdout still refers to it at exit */
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    int rc = kc_answer_print(stdout, e, format);
    kc_answer_clear(e);
    secure_wipe(buf, sizeof buf);
    return rc;
}

/* A cache hit for profile (NULL: none named) and req (NULL for ks and exec) into *e: 1 hit,
 * 0 miss. With lead_fd, a miss single-flights with concurrent frontends of the same request:
 * one leads (and keeps *lead_fd locked across the exec of the minter), the others wait for it
 * and look again. */
static int cache_lookup(const struct opts *o, const char *profile, const struct kc_request *req,
                        struct kc_answer *e, int *lead_fd)
{
    struct kc_config_paths paths;
    memset(e, 0, sizeof *e);
    if (lead_fd != NULL)
        *lead_fd = -1;
    if (kc_config_paths_get(o->config, &paths) != 0)
        return 0; /* the minter explains */
    for (size_t i = 0; i < paths.n; i++)
        kc_trace("config file %s (its bytes are part of the cache key)", paths.files[i]);
    struct kc_cache *c = kc_cache_open_ex(true, true);
    struct kc_request_ident id = {.paths = &paths, .profile_arg = profile, .req = req};
    bool waited = false;
    time_t now = time(NULL);
    int hit = kc_cache_get_by_request(c, &id, now, e);
    if (hit != 1 && c != NULL && lead_fd != NULL) {
        double t0 = kc_trace_ms();
        *lead_fd = kc_cache_lead_request(c, &id, LEAD_WAIT_MS, &waited);
        if (waited) {
            kc_trace("frontend: waited %.1f ms for another minter of this request",
                     kc_trace_ms() - t0);
            hit = kc_cache_get_by_request(c, &id, now = time(NULL), e);
        }
    }
    if (c == NULL)
        kc_trace("cache: none (no XDG_RUNTIME_DIR, or its kaltura-credential directory is "
                 "not usable)");
    else if (hit == 1)
        kc_trace("cache: hit, the KS is valid for %lld s more", e->expiry - (long long)now);
    else
        kc_trace("cache: miss (profile %s)", profile != NULL ? profile : "not named");
    kc_cache_close(c);
    kc_config_paths_clear(&paths);
    if (hit == 1 && lead_fd != NULL && *lead_fd >= 0) {
        close(*lead_fd);
        *lead_fd = -1;
    }
    return hit == 1;
}

/* A KC_FRONT_CACHE command: a hit is printed here, a miss goes to the minter (with the request
 * already read, for get). */
static int cache_or_minter(const struct opts *o, const struct kc_command *c,
                           enum kc_answer_format format, char **argv)
{
    int lead_fd = -1; /* on a miss, stays open (locked) across the exec of the minter */
    struct kc_answer e;
    if (!c->reads_request)
        return cache_lookup(o, o->profile, NULL, &e, &lead_fd) ? serve(&e, format)
                                                               : exec_minter(argv, NULL, 0, false);
    struct kc_request req;
    char *raw = NULL;
    size_t raw_len = 0;
    const char *why = NULL;
    if (kc_request_read_fd(STDIN_FILENO, &req, &raw, &raw_len, &why) != 0) {
        diag_error("bad credential request on standard input: %s", why);
        return KC_EXIT_INPUT;
    }
    if (kc_request_lacks_host(req.protocol, req.host)) { /* nobody's KS: see protocol.h */
        kc_request_clear(&req);
        secure_wipe(raw, raw_len);
        free(raw);
        return KC_EXIT_OK;
    }
    /* shared=false: a KS for this request alone, which no cache hit can be. */
    int hit = !req.unshared && cache_lookup(o, o->profile, &req, &e, &lead_fd);
    kc_request_clear(&req);
    if (hit) {
        secure_wipe(raw, raw_len);
        free(raw);
        return serve(&e, format);
    }
    return exec_minter(argv, raw, raw_len, true);
}

/* exec: on a hit, CMD runs from here with the KS in its environment; a miss (and any usage
 * error, which the minter words) goes to the minter, which mints and then runs CMD. No
 * single-flight lead here: its lock would be inherited by the minter and then by CMD; the
 * minter's own per-KS lock still mints once. The cache identity is the one of `ks`. */
static int exec_fast(const struct opts *o, int argc, char **argv)
{
    struct kc_exec_opts x;
    char why[512];
    if (kc_exec_opts_parse(argc - o->cmd - 1, argv + o->cmd + 1, &x, why, sizeof why) != 0)
        return exec_minter(argv, NULL, 0, false);
    struct kc_answer e;
    if (!cache_lookup(o, x.profile != NULL ? x.profile : o->profile, NULL, &e, NULL))
        return exec_minter(argv, NULL, 0, false);
    umask(user_umask); /* CMD runs with the caller's umask, not ours */
    int rc = kc_exec_with_answer(&e, x.env, x.cmd);
    umask(077);
    kc_answer_clear(&e);
    return rc;
}

int main(int argc, char **argv)
{
    /* No core dumps and no ptrace by other processes of this user: a cache hit holds a KS
     * (the minter does the same for itself; exec resets the flag). */
    prctl(PR_SET_DUMPABLE, 0);
    /* What we create (the cache dir, lock files) is ours alone, whatever the caller's umask:
     * one that hid owner-read left a cache dir we could not open, so nothing fixed its mode
     * and the cache stayed off. The minter does the same. */
    user_umask = umask(077);
    struct opts o;
    if (parse_opts(argc, argv, &o) != 0 || (o.cmd == 0 && !o.delegate)) {
        diag_error("usage: kaltura-credential [--config FILE] [--profile NAME] [-v] COMMAND "
                   "(see kaltura-credential --help)");
        return KC_EXIT_USAGE;
    }
    if (o.delegate)
        return exec_minter(argv, NULL, 0, false);
    const struct kc_command *c = kc_command_find(argv[o.cmd]);
    if (c == NULL)
        return KC_EXIT_OK; /* an action git may add later: ignored (gitcredentials) */
    kc_trace("frontend: %s, profile %s", c->name, o.profile != NULL ? o.profile : "not named");
    enum kc_answer_format format = c->answer;
    char why[512];
    switch (c->front) {
    case KC_FRONT_IGNORE:
        return KC_EXIT_OK;
    case KC_FRONT_CACHE:
        if (o.cmd == argc - 1 ||
            (c->answer_option && kc_ks_opts_parse(argc - o.cmd - 1, argv + o.cmd + 1, &format, why,
                                                  sizeof why) == KC_EXIT_OK))
            return cache_or_minter(&o, c, format, argv);
        break; /* other arguments: the minter judges them */
    case KC_FRONT_EXEC:
        return exec_fast(&o, argc, argv);
    case KC_FRONT_MINTER:
        break;
    }
    return exec_minter(argv, NULL, 0, false);
}
