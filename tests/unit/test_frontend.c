/* The libc-only frontend: served cache hits, ignored actions, usage and input errors.
 * argv[1]: path of the kaltura-credential binary. Misses exec the minter, which is tested with
 * the emulator (tests/cache); here a miss is only checked not to print a cached KS. */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "ks_forge.h"
#include "capture.h"
#include "tap.h"

static const char *fe;
static char out[65536], err[4096];

/* Runs the frontend with args, stdin = in; captures stdout/stderr; returns the exit status. */
static int run(const char *in, const char *const *args)
{
    char *argv[16] = {(char *)fe};
    int n = 1;
    for (; args[n - 1] != NULL; n++)
        argv[n] = (char *)args[n - 1];
    argv[n] = NULL;
    struct capture_file fi, fo, fe2;
    capture_file_open(&fi); /* the child's stdin */
    capture_file_open(&fo);
    capture_file_open(&fe2);
    if (write(fi.fd, in, strlen(in)) != (ssize_t)strlen(in))
        abort();
    lseek(fi.fd, 0, SEEK_SET);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fi.fd, 0);
        dup2(fo.fd, 1);
        dup2(fe2.fd, 2);
        execv(fe, argv);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    capture_file_read(&fo, out, sizeof out);
    capture_file_read(&fe2, err, sizeof err);
    capture_file_close(&fi);
    capture_file_close(&fo);
    capture_file_close(&fe2);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Rewrites the one ks- entry of the cache dir so that its KS holds a '\r' (a corrupt or
 * tampered entry: the cache's own writer refuses such a value). Returns 0 on success. */
static int corrupt_ks_entry(const char *rt)
{
    char dir[256], path[512], buf[4096];
    snprintf(dir, sizeof dir, "%s/kaltura-credential", rt);
    DIR *d = opendir(dir);
    struct dirent *de;
    int rc = -1;
    while (d != NULL && (de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, "ks-", 3) != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        int fd = open(path, O_RDWR);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        char *ks = n > 0 ? (buf[n] = '\0', strstr(buf, "\nks=")) : NULL;
        if (ks != NULL) {
            ks[6] = '\r'; /* "\nks=dj\r8MTIz..." */
            rc = pwrite(fd, buf, (size_t)n, 0) == n ? 0 : -1;
        }
        if (fd >= 0)
            close(fd);
    }
    if (d != NULL)
        closedir(d);
    return rc;
}

static void test_libc_only(bool sanitized)
{
    if (sanitized) { /* the sanitizer runtimes are linked in on purpose */
        tap_ok(1, "# SKIP libc-only check in a sanitizer build");
        return;
    }
    char cmd[4200], line[512];
    snprintf(cmd, sizeof cmd, "ldd '%s'", fe);
    FILE *p = popen(cmd, "r");
    int n = 0, other = 0;
    while (p != NULL && fgets(line, sizeof line, p) != NULL) {
        n++;
        if (!strstr(line, "linux-vdso") && !strstr(line, "libc.so") && !strstr(line, "ld-linux"))
            other++;
    }
    if (p != NULL)
        pclose(p);
    tap_ok(n > 0 && other == 0, "frontend links libc only");
}

/* ks --format and exec, served by the frontend from the hit for profile p2 (the minter, run
 * instead, would fail: the config has no profile p2). */
static void test_formats_and_exec(const char *opt)
{
    tap_ok(run("", ARGS(opt, "--profile=p2", "ks", "--format=json")) == 0 &&
               strncmp(out, "{\"ks\":\"" KS_VECTOR_V2 "\",\"expiry\":",
                       strlen("{\"ks\":\"" KS_VECTOR_V2 "\",\"expiry\":")) == 0 &&
               strstr(out, "\"partnerId\":12345,\"serviceUrl\":\"https://localhost:8443\"") &&
               err[0] == '\0',
           "ks --format=json: from the cache");
    tap_ok(run("", ARGS(opt, "--profile=p2", "ks", "--format", "env")) == 0 &&
               strncmp(out, "KALTURA_KS=" KS_VECTOR_V2 "\nKALTURA_KS_EXPIRY=",
                       strlen("KALTURA_KS=" KS_VECTOR_V2 "\nKALTURA_KS_EXPIRY=")) == 0,
           "ks --format env: from the cache");
    tap_ok(run("", ARGS(opt, "--profile=p2", "ks", "--format=export")) == 0 &&
               strncmp(out, "export KALTURA_KS='" KS_VECTOR_V2 "'\n",
                       strlen("export KALTURA_KS='" KS_VECTOR_V2 "'\n")) == 0,
           "ks --format=export: from the cache");
    setenv("KALTURA_CREDENTIAL_PROFILE", "p2", 1);
    tap_ok(run("", ARGS(opt, "ks")) == 0 && strcmp(out, KS_VECTOR_V2 "\n") == 0,
           "KALTURA_CREDENTIAL_PROFILE keys the hit like --profile");
    tap_ok(run("", ARGS(opt, "exec", "--", "sh", "-c",
                        "echo \"$KALTURA_KS $KALTURA_PARTNER_ID\"")) == 0 &&
               strcmp(out, KS_VECTOR_V2 " 12345\n") == 0 && err[0] == '\0',
           "exec: CMD run by the frontend with the cached KS");
    unsetenv("KALTURA_CREDENTIAL_PROFILE");
    tap_ok(run("", ARGS(opt, "exec", "--profile", "p2", "--env", "K", "--", "sh", "-c",
                        "echo \"$K\"; exit 7")) == 7 &&
               strcmp(out, KS_VECTOR_V2 "\n") == 0,
           "exec --profile --env: the KS in $K; CMD's exit status");
    tap_ok(run("", ARGS(opt, "--profile=p2", "exec", "--", "kc-no-such-cmd")) == 127 &&
               out[0] == '\0' && strstr(err, "command not found") &&
               strchr(err, '\n') == err + strlen(err) - 1,
           "exec: a CMD that does not exist: 127, one line, nothing on stdout");
    /* usage errors are the minter's to word: exit 2, nothing on stdout */
    tap_ok(run("", ARGS(opt, "--profile=p2", "exec", "sh")) == 2 && out[0] == '\0' &&
               strstr(err, "before '--'"),
           "exec without --: exit 2");
    tap_ok(run("", ARGS(opt, "--profile=p2", "exec", "--")) == 2 && out[0] == '\0',
           "exec -- without CMD: exit 2");
    tap_ok(run("", ARGS(opt, "--profile=p2", "ks", "--format=yaml")) == 2 && out[0] == '\0' &&
               strstr(err, "unknown format 'yaml'"),
           "ks --format=yaml: exit 2, nothing on stdout");
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 99;
    fe = argv[1];
    char rt[] = "/tmp/kc-fe-XXXXXX", conf[128];
    if (mkdtemp(rt) == NULL)
        return 99;
    snprintf(conf, sizeof conf, "%s/c.conf", rt);
    int fd = open(conf, O_WRONLY | O_CREAT, 0600);
    if (write(fd, "[default]\n", 10) != 10)
        return 99;
    close(fd);
    setenv("XDG_RUNTIME_DIR", rt, 1);
    setenv("KALTURA_CREDENTIAL_CONFIG", conf, 1);

    test_libc_only(argc > 2 && strcmp(argv[2], "sanitized") == 0);
    tap_ok(run("", ARGS("store")) == 0 && out[0] == '\0' && err[0] == '\0', "store: silent 0");
    tap_ok(run("", ARGS("no-such-action")) == 0 && out[0] == '\0' && err[0] == '\0',
           "unknown action: silent 0");
    /* capability: the same answer whichever program is asked (the frontend hands it over) */
    tap_ok(run("", ARGS("capability")) == 0 && strcmp(out, "version 0\n") == 0,
           "capability through the frontend: version 0");
    char mint[4200];
    snprintf(mint, sizeof mint, "%.*s/kaltura-credential-mint", (int)(strrchr(fe, '/') - fe), fe);
    const char *fe_saved = fe;
    fe = mint;
    tap_ok(run("", ARGS("capability")) == 0 && strcmp(out, "version 0\n") == 0,
           "capability asked of the minter directly: version 0");
    tap_ok(run("", ARGS("no-such-action")) == 0 && out[0] == '\0' && err[0] == '\0',
           "unknown action asked of the minter directly: silent 0");
    fe = fe_saved;
    tap_ok(run("", ARGS("--profile", "x")) == 2 && out[0] == '\0' && strstr(err, "usage"),
           "no command: usage, exit 2");
    tap_ok(run("", ARGS("--config")) == 2, "--config without a value: exit 2");
    tap_ok(run("protocol=https\nhost=a\nx", ARGS("get")) == 3 && out[0] == '\0' &&
               strncmp(err, "kaltura-credential: ", 20) == 0 &&
               strchr(err, '\n') == err + strlen(err) - 1,
           "final line without '=' nor newline: exit 3, one stderr line, no stdout");
    tap_ok(run("noequals\n", ARGS("get")) == 3 && out[0] == '\0', "line without '=': exit 3");

    struct kc_cache *c = kc_cache_open(true);
    struct kc_ks_params p = {
        .service_url = "https://localhost:8443", .partner_id = "12345", .app_token_id = "0_abc"};
    struct kc_answer e = {.ks = (char *)KS_VECTOR_V2,
                          .username = (char *)"0_abc",
                          .protocol = (char *)"https",
                          .host = (char *)"localhost:8443",
                          .expiry = (long long)time(NULL) + 3600,
                          .service_url = (char *)"https://localhost:8443",
                          .partner_id = (char *)"12345"};
    struct kc_config_paths paths = {.files = {conf}, .n = 1, .is_override = 1};
    struct kc_request req = {.protocol = (char *)"https", .host = (char *)"localhost:8443"};
    struct kc_request_ident id = {.paths = &paths, .req = &req};
    struct kc_request_ident ks_id = {.paths = &paths, .profile_arg = "p2"};
    TAP_CHECK(c && kc_cache_put_ks(c, &p, &e) == 0 && kc_cache_put_request(c, &id, &p, 300) == 0 &&
              kc_cache_put_request(c, &ks_id, &p, 300) == 0);
    char want[512];
    snprintf(want, sizeof want,
             "protocol=https\nhost=localhost:8443\nusername=0_abc\npassword=" KS_VECTOR_V2 "\n"
             "password_expiry_utc=%lld\n",
             e.expiry);
    tap_ok(run("protocol=https\nhost=localhost:8443\npath=x\n\n", ARGS("get")) == 0 &&
               strcmp(out, want) == 0 && err[0] == '\0',
           "get: served from the cache");
    unsetenv("KALTURA_CREDENTIAL_CONFIG");
    tap_ok(run("protocol=https\nhost=localhost:8443\n", ARGS("--config", conf, "get")) == 0 &&
               strcmp(out, want) == 0,
           "--config FILE form");
    char opt[200];
    snprintf(opt, sizeof opt, "--config=%s", conf);
    tap_ok(run("", ARGS(opt, "--profile=p2", "ks")) == 0 && strcmp(out, KS_VECTOR_V2 "\n") == 0,
           "ks: bare KS, --config=/--profile= forms");
    tap_ok(run("protocol=https\nhost=other\n\n", ARGS(opt, "get")) != 0 || !strstr(out, "djJ8"),
           "other host: not served from the cache");
    test_formats_and_exec(opt);
    /* protocol without host (CVE-2020-11008's request shape): never answered, not even from
     * an alias an older version may have recorded for it. */
    struct kc_request bare = {.protocol = (char *)"https"};
    struct kc_request_ident bare_id = {.paths = &paths, .req = &bare};
    TAP_CHECK(kc_cache_put_request(c, &bare_id, &p, 300) == 0);
    tap_ok(run("protocol=https\n\n", ARGS("get")) == 0 && out[0] == '\0' && err[0] == '\0',
           "protocol without host: nothing, exit 0, even with a cached alias");
    /* A cache entry whose KS holds a '\r': nothing on stdout (no partial answer), at most one
     * line on stderr, and never the stale errno of an earlier call. The entry is corrupt: a
     * miss, so the minter answers (here: the config's only profile does not serve this host). */
    TAP_CHECK(corrupt_ks_entry(rt) == 0);
    int rc = run("protocol=https\nhost=localhost:8443\n", ARGS(opt, "get"));
    tap_ok(out[0] == '\0' && (err[0] == '\0' || strchr(err, '\n') == err + strlen(err) - 1) &&
               !strstr(err, "File exists"),
           "get: a cached KS with a \\r prints nothing (exit %d)", rc);
    tap_ok(corrupt_ks_entry(rt) != 0, "the corrupt entry is gone (a miss, removed)");
    printf("# stdout: %.*s\n# stderr: %.*s", (int)strcspn(out, "\n"), out, (int)strcspn(err, "\n"),
           err);
    printf("\n");
    setenv("XDG_RUNTIME_DIR", "/nonexistent", 1);
    tap_ok(run("protocol=https\nhost=localhost:8443\n", ARGS(opt, "get")) != 0 ||
               !strstr(out, "djJ8"),
           "no cache dir: not served");
    kc_cache_close(c);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", rt);
    if (system(cmd) != 0)
        return 99;
    return tap_done();
}
