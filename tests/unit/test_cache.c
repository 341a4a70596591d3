/* KS cache (cache.h): entries, trust checks, atomic replace, single-flight lock, prune. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "ks_forge.h"
#include "tap.h"

static char rt[64], dir[128];
static time_t NOW; /* set in main: entries are also pruned against the real clock */

static struct kc_ks_params params(const char *user)
{
    struct kc_ks_params p = {.service_url = "https://localhost:8443",
                             .partner_id = "12345",
                             .app_token_id = "0_abc",
                             .hash_function = "sha1",
                             .user_id = user};
    return p;
}

/* Well-formed KSs of partner 12345, one per n (freed at exit: static). n odd: 48 bytes of
 * ciphertext, even: 96, so two of them never have the same length. */
static char *ks_made[16];

static const char *ks(unsigned n)
{
    if (ks_made[n] == NULL)
        ks_made[n] = ks_forge_v2("12345", n, n % 2 ? 48 : 96);
    return ks_made[n];
}

static struct kc_answer entry(const char *ks_text, long long expiry)
{
    struct kc_answer e = {.ks = (char *)ks_text,
                          .username = (char *)"0_abc",
                          .protocol = (char *)"https",
                          .host = (char *)"localhost:8443",
                          .expiry = expiry,
                          .service_url = (char *)"https://localhost:8443",
                          .partner_id = (char *)"12345",
                          .privileges = (char *)"sessionid:0_abc,apptoken:0_abc"};
    return e;
}

/* Name of the first file in the cache dir starting with prefix (static buffer) or NULL. */
static const char *find(const char *prefix)
{
    static char name[256];
    DIR *d = opendir(dir);
    struct dirent *de;
    const char *found = NULL;
    while (d != NULL && (de = readdir(d)) != NULL)
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
            snprintf(name, sizeof name, "%s", de->d_name);
            found = name;
            break;
        }
    if (d != NULL)
        closedir(d);
    return found;
}

static int count(const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    while (d != NULL && (de = readdir(d)) != NULL)
        n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
    if (d != NULL)
        closedir(d);
    return n;
}

static char *path_of(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static void write_file(const char *path, const char *data, mode_t mode)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data))
        abort();
    fchmod(fd, mode);
    close(fd);
}

static char *slurp(const char *path)
{
    static char buf[65536];
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static int hit(struct kc_cache *c, const struct kc_ks_params *p, long long min, time_t now,
               const char *want)
{
    struct kc_answer out;
    int rc = kc_cache_get_ks(c, p, min, now, &out);
    int ok = rc == 1 && (want == NULL || strcmp(out.ks, want) == 0);
    if (rc == 1)
        kc_answer_clear(&out);
    return rc == 1 ? ok : 0;
}

static void test_roundtrip(struct kc_cache *c)
{
    struct kc_ks_params p = params(NULL), q = params(""), r = params("bob");
    struct kc_answer e = entry(ks(1), NOW + 3600), out;
    TAP_CHECK(kc_cache_put_ks(c, &p, &e) == 0);
    TAP_CHECK(kc_cache_get_ks(c, &p, 300, NOW, &out) == 1);
    tap_ok(out.ks && !strcmp(out.ks, e.ks) && !strcmp(out.username, "0_abc") &&
               !strcmp(out.protocol, "https") && !strcmp(out.host, "localhost:8443") &&
               out.expiry == NOW + 3600,
           "put/get roundtrip");
    kc_answer_clear(&out);
    TAP_CHECK(out.ks == NULL);
    const char *name = find("ks-");
    struct stat st;
    tap_ok(name && stat(path_of(name), &st) == 0 && (st.st_mode & 0777) == 0600 &&
               strlen(name) == 19,
           "entry file ks-<16 hex>, mode 0600");
    tap_ok(!hit(c, &q, 300, NOW, NULL), "user_id \"\" differs from unset");
    tap_ok(!hit(c, &r, 300, NOW, NULL), "different user: miss");
    tap_ok(!hit(c, &p, 3600, NOW, NULL), "min_lifetime == time left: miss");
    tap_ok(hit(c, &p, 3599, NOW, NULL), "min_lifetime one second less: hit");
    tap_ok(count("ks-") == 1, "a stale-for-this-caller entry is kept");
    tap_ok(!hit(c, &p, 0, NOW + 3600, NULL) && count("ks-") == 0, "expired: miss and removed");
    struct kc_answer bad = entry("ks\nhost=evil", NOW + 3600);
    tap_ok(kc_cache_put_ks(c, &p, &bad) == -1 && count("ks-") == 0, "KS with newline refused");
    TAP_CHECK(kc_cache_put_ks(c, &p, &e) == 0 && kc_cache_drop_ks(c, &p) == 0);
    tap_ok(!hit(c, &p, 0, NOW, NULL), "dropped");
    TAP_CHECK(kc_cache_drop_ks(c, &p) == 0);
}

static void test_untrusted_entries(struct kc_cache *c)
{
    struct kc_ks_params p = params(NULL);
    struct kc_answer e = entry(ks(2), NOW + 3600);
    char saved[4096];
    TAP_CHECK(kc_cache_put_ks(c, &p, &e) == 0);
    const char *name = find("ks-");
    char entry_path[512];
    snprintf(entry_path, sizeof entry_path, "%s", path_of(name));
    snprintf(saved, sizeof saved, "%s", slurp(entry_path));

    /* Collision: same file name, another description. */
    char *other = strdup(saved);
    char *at = strstr(other, "app_token_id=+0_abc");
    at[strlen("app_token_id=+0_")] = 'X';
    write_file(entry_path, other, 0600);
    tap_ok(!hit(c, &p, 0, NOW, NULL), "description mismatch: miss");
    tap_ok(access(entry_path, F_OK) == 0, "a colliding entry is left alone");
    free(other);

    write_file(entry_path, "garbage\n", 0600);
    tap_ok(!hit(c, &p, 0, NOW, NULL) && access(entry_path, F_OK) != 0, "corrupt: miss, removed");
    write_file(entry_path, "format=kc2\nno newline at end", 0600);
    TAP_CHECK(!hit(c, &p, 0, NOW, NULL));
    TAP_CHECK(kc_cache_put_ks(c, &p, &e) == 0 && hit(c, &p, 0, NOW, ks(2)));

    write_file(entry_path, saved, 0644);
    tap_ok(!hit(c, &p, 0, NOW, NULL), "entry readable by others: refused");
    TAP_CHECK(kc_cache_put_ks(c, &p, &e) == 0 && hit(c, &p, 0, NOW, ks(2)));

    char target[256];
    snprintf(target, sizeof target, "%s/elsewhere", rt);
    write_file(target, saved, 0600);
    unlink(entry_path);
    TAP_CHECK(symlink(target, entry_path) == 0);
    tap_ok(!hit(c, &p, 0, NOW, NULL), "symlinked entry: miss");
    struct kc_answer e2 = entry(ks(3), NOW + 3600);
    struct stat st;
    tap_ok(kc_cache_put_ks(c, &p, &e2) == 0 && lstat(entry_path, &st) == 0 && S_ISREG(st.st_mode) &&
               strcmp(slurp(target), saved) == 0,
           "put replaces the symlink, its target untouched");
    unlink(target);

    TAP_CHECK(mkfifo(target, 0600) == 0);
    unlink(entry_path);
    TAP_CHECK(symlink(target, entry_path) == 0);
    tap_ok(!hit(c, &p, 0, NOW, NULL), "symlink to a FIFO: miss, no hang");
    unlink(target);
    unlink(entry_path);
    TAP_CHECK(mkfifo(entry_path, 0600) == 0);
    tap_ok(!hit(c, &p, 0, NOW, NULL), "FIFO entry: miss, no hang");

    char *big = malloc(70000);
    memset(big, 'a', 69999);
    big[69999] = '\0';
    memcpy(big, "format=kc2\n", 11);
    write_file(entry_path, big, 0600);
    free(big);
    tap_ok(!hit(c, &p, 0, NOW, NULL), "oversized entry: miss");

    if (geteuid() == 0) {
        TAP_CHECK(kc_cache_put_ks(c, &p, &e) == 0 && chown(entry_path, 12345, 12345) == 0);
        tap_ok(!hit(c, &p, 0, NOW, NULL), "entry owned by another user: refused");
    } else {
        tap_ok(1, "# SKIP foreign owner needs root");
    }
    TAP_CHECK(kc_cache_put_ks(c, &p, &e) == 0 && hit(c, &p, 0, NOW, ks(2)));
    kc_cache_drop_ks(c, &p);
}

static void test_atomic(struct kc_cache *c)
{
    struct kc_ks_params p = params("atomic");
    struct kc_answer a = entry(ks(4), NOW + 3600);
    struct kc_answer b = entry(ks(5), NOW + 3600);
    TAP_CHECK(kc_cache_put_ks(c, &p, &a) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 2000; i++)
            kc_cache_put_ks(c, &p, (i & 1) ? &a : &b);
        _exit(0);
    }
    int torn = 0, hits = 0;
    for (int i = 0; i < 2000; i++) {
        struct kc_answer out;
        if (kc_cache_get_ks(c, &p, 0, NOW, &out) == 1) {
            hits++;
            torn += strcmp(out.ks, a.ks) != 0 && strcmp(out.ks, b.ks) != 0;
            kc_answer_clear(&out);
        }
    }
    waitpid(pid, NULL, 0);
    tap_ok(torn == 0 && hits == 2000, "concurrent replace: never torn, never missing (%d hits)",
           hits);
    tap_ok(count(".tmp-") == 0, "no temp files left");
    kc_cache_drop_ks(c, &p);
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_lock(struct kc_cache *c)
{
    struct kc_ks_params p = params(NULL);
    int fd = kc_cache_lock(c, &p, 1);
    TAP_CHECK(fd >= 0);
    pid_t pid = fork();
    if (pid == 0) {
        double t0 = mono();
        int f2 = kc_cache_lock(c, &p, 1);
        double dt = mono() - t0;
        _exit(f2 < 0 && dt >= 0.9 && dt < 3 ? 0 : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "second process times out after ~1 s");
    struct kc_ks_params other = params("other");
    int fo = kc_cache_lock(c, &other, 0);
    tap_ok(fo >= 0, "another key is not blocked");
    kc_cache_unlock(fo);

    pid = fork();
    if (pid == 0) {
        close(fd); /* the inherited copy would keep the parent's lock alive */
        int f2 = kc_cache_lock(c, &p, 5);
        _exit(f2 >= 0 ? 0 : 1);
    }
    usleep(100000);
    kc_cache_unlock(fd);
    waitpid(pid, &st, 0);
    tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "waiter gets the lock once released");

    int ready[2];
    TAP_CHECK(pipe(ready) == 0);
    pid = fork();
    if (pid == 0) {
        int f2 = kc_cache_lock(c, &p, 1);
        if (write(ready[1], f2 >= 0 ? "y" : "n", 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    char ch = 0;
    TAP_CHECK(read(ready[0], &ch, 1) == 1 && ch == 'y');
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    double t0 = mono();
    fd = kc_cache_lock(c, &p, 5);
    tap_ok(fd >= 0 && mono() - t0 < 0.5, "a killed holder's lock is released at once");
    kc_cache_unlock(fd);
    close(ready[0]);
    close(ready[1]);
}

static void test_widget(struct kc_cache *c)
{
    char *ks;
    const char *u = "https://localhost:8443";
    TAP_CHECK(kc_cache_get_widget(c, u, "12345", NOW, &ks) == 0 && ks == NULL);
    tap_ok(kc_cache_put_widget(c, u, "12345", "widget-ks", NOW + 600) == -1,
           "widget: not a KS, not kept");
    tap_ok(kc_cache_put_widget(c, u, "54321", KS_VECTOR_V2, NOW + 600) == -1,
           "widget: another partner's KS, not kept");
    TAP_CHECK(kc_cache_put_widget(c, u, "12345", KS_VECTOR_V2, NOW + 600) == 0);
    tap_ok(kc_cache_get_widget(c, u, "12345", NOW, &ks) == 1 && !strcmp(ks, KS_VECTOR_V2),
           "widget roundtrip");
    free(ks);
    tap_ok(kc_cache_get_widget(c, u, "54321", NOW, &ks) == 0, "other partner: miss");
    tap_ok(kc_cache_get_widget(c, u, "12345", NOW + 540, &ks) == 0, "60 s left: miss");
    TAP_CHECK(kc_cache_get_widget(c, u, "12345", NOW + 539, &ks) == 1);
    free(ks);
    TAP_CHECK(kc_cache_drop_widget(c, u, "12345") == 0);
    TAP_CHECK(kc_cache_get_widget(c, u, "12345", NOW, &ks) == 0);
    TAP_CHECK(kc_cache_put_widget(c, u, "12345", "bad\nks", NOW + 600) == -1);
}

static void test_request(struct kc_cache *c)
{
    char f1[256], f2[256];
    snprintf(f1, sizeof f1, "%s/sys.conf", rt);
    snprintf(f2, sizeof f2, "%s/user.conf", rt);
    write_file(f1, "[default]\npartner_id=12345\n", 0644);
    unlink(f2);
    struct kc_config_paths paths = {.files = {f1, f2}, .n = 2};
    struct kc_request req = {
        .protocol = (char *)"https", .host = (char *)"localhost:8443", .path = (char *)"a"};
    struct kc_request_ident id = {.paths = &paths, .profile_arg = NULL, .req = &req};
    struct kc_ks_params p = params(NULL);
    struct kc_answer e = entry(ks(6), NOW + 3600), out;
    TAP_CHECK(kc_cache_put_ks(c, &p, &e) == 0 && kc_cache_put_request(c, &id, &p, 300) == 0);
    tap_ok(kc_cache_get_by_request(c, &id, NOW, &out) == 1 && !strcmp(out.ks, ks(6)),
           "request alias hit");
    kc_answer_clear(&out);
    req.path = (char *)"other/path";
    tap_ok(kc_cache_get_by_request(c, &id, NOW, &out) == 1, "path ignored");
    kc_answer_clear(&out);
    tap_ok(kc_cache_get_by_request(c, &id, NOW + 3300, &out) == 0, "alias keeps min_lifetime");
    req.host = (char *)"other:1";
    tap_ok(kc_cache_get_by_request(c, &id, NOW, &out) == 0, "other host: miss");
    req.host = (char *)"localhost:8443";
    id.profile_arg = "x";
    tap_ok(kc_cache_get_by_request(c, &id, NOW, &out) == 0, "--profile differs: miss");
    id.profile_arg = NULL;
    req.profile = (char *)"x";
    tap_ok(kc_cache_get_by_request(c, &id, NOW, &out) == 0, "profile= differs: miss");
    req.profile = NULL;
    struct kc_request_ident ks_id = {.paths = &paths, .profile_arg = NULL, .req = NULL};
    tap_ok(kc_cache_get_by_request(c, &ks_id, NOW, &out) == 0, "`ks` identity differs from get");
    write_file(f1, "[default]\npartner_id=12346\n", 0644);
    tap_ok(kc_cache_get_by_request(c, &id, NOW, &out) == 0, "config edited: miss");
    write_file(f1, "[default]\npartner_id=12345\n", 0644);
    TAP_CHECK(kc_cache_get_by_request(c, &id, NOW, &out) == 1);
    kc_answer_clear(&out);
    write_file(f2, "", 0644);
    tap_ok(kc_cache_get_by_request(c, &id, NOW, &out) == 0, "user config created: miss");
    unlink(f2);
    TAP_CHECK(kc_cache_drop_ks(c, &p) == 0);
    tap_ok(kc_cache_get_by_request(c, &id, NOW, &out) == 0, "erased KS: alias misses");
}

static void test_lead(struct kc_cache *c)
{
    char f1[256];
    snprintf(f1, sizeof f1, "%s/none.conf", rt);
    struct kc_config_paths paths = {.files = {f1}, .n = 1};
    struct kc_request_ident id = {.paths = &paths, .profile_arg = "lead"};
    bool waited = true;
    int fd = kc_cache_lead_request(c, &id, 1000, &waited);
    tap_ok(fd >= 0 && !waited, "first frontend leads");
    tap_ok((fcntl(fd, F_GETFD) & FD_CLOEXEC) == 0, "the lead lock survives exec");
    pid_t pid = fork();
    if (pid == 0) {
        close(fd);
        bool w = false;
        int f2 = kc_cache_lead_request(c, &id, 100, &w);
        if (f2 >= 0 || w)
            _exit(1); /* must time out while the leader holds */
        f2 = kc_cache_lead_request(c, &id, 5000, &w);
        _exit(f2 < 0 && w ? 0 : 2);
    }
    usleep(300000);
    close(fd);
    int st;
    waitpid(pid, &st, 0);
    tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a follower waits for the leader to finish");
    fd = kc_cache_lead_request(c, &id, 0, &waited);
    tap_ok(fd >= 0, "next one leads again");
    close(fd);
}

static void test_prune(struct kc_cache *c)
{
    struct kc_ks_params live = params("live"), dead = params("dead");
    struct kc_answer e1 = entry(ks(7), NOW + 3600), e2 = entry(ks(8), NOW - 1);
    char f1[256];
    snprintf(f1, sizeof f1, "%s/none.conf", rt);
    struct kc_config_paths paths = {.files = {f1}, .n = 1};
    struct kc_request_ident id = {.paths = &paths};
    kc_cache_put_ks(c, &live, &e1);
    kc_cache_put_ks(c, &dead, &e2);
    kc_cache_put_request(c, &id, &dead, 0);
    TAP_CHECK(kc_cache_put_widget(c, "https://x", "12345", KS_VECTOR_V1, NOW - 5) == 0);
    int fd = kc_cache_lock(c, &live, 0);
    kc_cache_unlock(fd);
    write_file(path_of(".tmp-ks-0000-1-2-3"), "x", 0600);
    struct timespec old[2] = {{NOW - 3600, 0}, {NOW - 3600, 0}};
    utimensat(AT_FDCWD, path_of(".tmp-ks-0000-1-2-3"), old, 0);
    write_file(path_of(".tmp-ks-fresh"), "x", 0600);
    struct timespec fresh[2] = {{NOW, 0}, {NOW, 0}};
    utimensat(AT_FDCWD, path_of(".tmp-ks-fresh"), fresh, 0);
    kc_cache_prune(c, NOW);
    tap_ok(count("ks-") == 1 && hit(c, &live, 0, NOW, ks(7)), "prune keeps the live KS");
    tap_ok(count("req-") == 0 && count("widget-") == 0, "prune drops dangling alias, old widget");
    tap_ok(count(".tmp-") == 1, "prune: old temp gone, fresh temp kept");
}

/* Lock files: one per request identity ever asked for; prune drops the idle old ones. */
static void age_lock_files(void)
{
    struct timespec old[2] = {{NOW - 3600, 0}, {NOW - 3600, 0}};
    DIR *d = opendir(dir);
    for (struct dirent *de; d != NULL && (de = readdir(d)) != NULL;)
        if (strncmp(de->d_name, "lock-", 5) == 0)
            utimensat(AT_FDCWD, path_of(de->d_name), old, 0);
    if (d != NULL)
        closedir(d);
}

static void test_prune_locks(struct kc_cache *c)
{
    struct kc_ks_params held = params("held"), idle = params("idle"), fresh = params("fresh");
    int held_fd = kc_cache_lock(c, &held, 0);
    kc_cache_unlock(kc_cache_lock(c, &idle, 0));
    age_lock_files(); /* these, and the lock files of the tests before */
    kc_cache_unlock(kc_cache_lock(c, &fresh, 0));
    kc_cache_prune(c, NOW);
    tap_ok(count("lock-") == 2,
           "prune: idle old lock files removed, a held one and a fresh one "
           "kept (%d left)",
           count("lock-"));
    int again = kc_cache_lock(c, &held, 0);
    tap_ok(held_fd >= 0 && again < 0, "the held lock is still a lock");
    kc_cache_unlock(held_fd);
}

static struct kc_cache *reopen(void)
{
    return kc_cache_open(false);
}

static void test_dir_trust(void)
{
    struct kc_cache *c;
    char link[256];
    TAP_CHECK((c = reopen()) != NULL);
    kc_cache_close(c);
    chmod(dir, 0755);
    tap_ok(reopen() == NULL, "0755 cache dir refused");
    chmod(dir, 0710);
    tap_ok(reopen() == NULL, "0710 cache dir refused");
    chmod(dir, 0700);
    if (geteuid() == 0) {
        TAP_CHECK(chown(dir, 12345, 12345) == 0);
        tap_ok(reopen() == NULL, "cache dir owned by another user refused");
        TAP_CHECK(chown(dir, 0, 0) == 0);
        TAP_CHECK(chown(rt, 12345, 12345) == 0);
        tap_ok(reopen() == NULL, "XDG_RUNTIME_DIR owned by another user refused");
        TAP_CHECK(chown(rt, 0, 0) == 0);
    } else {
        tap_ok(1, "# SKIP foreign owner needs root");
        tap_ok(1, "# SKIP foreign owner needs root");
    }
    snprintf(link, sizeof link, "%s/real", rt);
    TAP_CHECK(rename(dir, link) == 0 && symlink(link, dir) == 0);
    tap_ok(reopen() == NULL && kc_cache_open(true) == NULL, "symlinked cache dir refused");
    unlink(dir);
    TAP_CHECK(rename(link, dir) == 0);
    TAP_CHECK((c = reopen()) != NULL);
    kc_cache_close(c);
    setenv("XDG_RUNTIME_DIR", "relative", 1);
    tap_ok(kc_cache_open(true) == NULL, "relative XDG_RUNTIME_DIR: no cache");
    unsetenv("XDG_RUNTIME_DIR");
    tap_ok(kc_cache_open(true) == NULL, "no XDG_RUNTIME_DIR: no cache");
    setenv("XDG_RUNTIME_DIR", rt, 1);
}

#define ENTRY_TAIL                                                                                 \
    "expiry=42\nprotocol=https\nhost=h\nusername=u\nservice_url=https://h\n"                       \
    "user_id=u\nprivileges=+sessionid:0_a,apptoken:0_a\nks=" KS_VECTOR_V2 "\n"

static void test_parse_entry(void)
{
    static const char desc[] = "ks1\nservice_url=https://h";
    struct kc_answer e;
    tap_ok(kc_cache_parse_ks_entry("format=kc2\ndesc=ks1\nservice_url=https://h\n" ENTRY_TAIL, desc,
                                   strlen(desc), &e) == KC_ENTRY_OTHER,
           "parse: a desc is one line, so a multi-line one never matches");
    static const char d1[] = "ks1;partner_id=+12345";
    const size_t n1 = sizeof d1 - 1;
    const char *good = "format=kc2\ndesc=ks1;partner_id=+12345\n" ENTRY_TAIL;
    tap_ok(kc_cache_parse_ks_entry(good, d1, n1, &e) == KC_ENTRY_OK &&
               strcmp(e.ks, KS_VECTOR_V2) == 0 && e.expiry == 42 && strcmp(e.host, "h") == 0 &&
               strcmp(e.username, "u") == 0 && strcmp(e.service_url, "https://h") == 0 &&
               strcmp(e.partner_id, "12345") == 0 && strcmp(e.user_id, "u") == 0 &&
               strcmp(e.privileges, "sessionid:0_a,apptoken:0_a") == 0,
           "parse: a complete entry (the partner id from the description)");
    kc_answer_clear(&e);
    tap_ok(kc_cache_parse_ks_entry("format=kc2\ndesc=ks1;partner_id=+12345\nexpiry=42\n"
                                   "protocol=https\nhost=h\nusername=u\nservice_url=https://h\n"
                                   "user_id=\nprivileges=-\nks=" KS_VECTOR_V2 "\n",
                                   d1, n1, &e) == KC_ENTRY_OK &&
               e.user_id != NULL && e.user_id[0] == '\0' && e.privileges == NULL,
           "parse: no user id, privileges not sent (-)");
    kc_answer_clear(&e);
    tap_ok(kc_cache_parse_ks_entry(good, "ks2", 3, &e) == KC_ENTRY_OTHER && e.ks == NULL,
           "parse: another description is kept, nothing returned");
    tap_ok(kc_cache_parse_ks_entry(
               "format=kc2\ndesc=ks1;partner_id=+12345\nexpiry=42\nks=" KS_VECTOR_V2 "\n", d1, n1,
               &e) == KC_ENTRY_CORRUPT &&
               e.ks == NULL,
           "parse: missing fields: corrupt, nothing returned");
    tap_ok(kc_cache_parse_ks_entry("format=kc2\ndesc=ks1;partner_id=+12345\nexpiry=42\n"
                                   "protocol=https\nhost=h\nusername=u\nuser_id=u\nprivileges=-\n"
                                   "ks=" KS_VECTOR_V2 "\n",
                                   d1, n1, &e) == KC_ENTRY_CORRUPT &&
               e.ks == NULL,
           "parse: no service_url: corrupt");
    tap_ok(kc_cache_parse_ks_entry("format=kc2\ndesc=ks1;partner_id=+12345\nexpiry=4x\n"
                                   "protocol=https\nhost=h\nusername=u\nservice_url=https://h\n"
                                   "ks=" KS_VECTOR_V2 "\n",
                                   d1, n1, &e) == KC_ENTRY_CORRUPT,
           "parse: a bad expiry: corrupt");
    tap_ok(kc_cache_parse_ks_entry("format=kc3\ndesc=ks1;partner_id=+12345\n" ENTRY_TAIL, d1, n1,
                                   &e) == KC_ENTRY_CORRUPT,
           "parse: another format: corrupt");
    tap_ok(kc_cache_parse_ks_entry("format=kc1\ndesc=ks1;partner_id=+12345\nexpiry=42\n"
                                   "protocol=https\nhost=h\nusername=u\nks=" KS_VECTOR_V2 "\n",
                                   d1, n1, &e) == KC_ENTRY_CORRUPT,
           "parse: an entry of the previous format (kc1, no URL): corrupt, a miss");
    tap_ok(kc_cache_parse_ks_entry("format=kc2\ndesc=ks1;partner_id=+12345\nexpiry=42\n"
                                   "protocol=https\nhost=h\nusername=u\nservice_url=https://h\n"
                                   "ks=" KS_VECTOR_V2,
                                   d1, n1, &e) == KC_ENTRY_CORRUPT,
           "parse: a truncated last line: corrupt");
    /* item 7 of the security review: an entry cached before the KS and user id checks */
    static const char d2[] = "ks1;partner_id=+54321";
    const char *other = "format=kc2\ndesc=ks1;partner_id=+54321\n" ENTRY_TAIL;
    tap_ok(kc_cache_parse_ks_entry(other, d2, sizeof d2 - 1, &e) == KC_ENTRY_CORRUPT,
           "parse: a KS of another partner than the entry's: corrupt");
    tap_ok(kc_cache_parse_ks_entry("format=kc2\ndesc=ks1\n" ENTRY_TAIL, "ks1", 3, &e) ==
               KC_ENTRY_CORRUPT,
           "parse: a description without a partner: corrupt");
    tap_ok(kc_cache_parse_ks_entry("format=kc2\ndesc=ks1;partner_id=+12345\nexpiry=42\n"
                                   "protocol=https\nhost=h\nusername=u\xe2\x80\xa8password=x\n"
                                   "service_url=https://h\nks=" KS_VECTOR_V2 "\n",
                                   d1, n1, &e) == KC_ENTRY_CORRUPT,
           "parse: a username with U+2028: corrupt");
    tap_ok(kc_cache_parse_ks_entry("format=kc2\ndesc=ks1;partner_id=+12345\nexpiry=42\n"
                                   "protocol=https\nhost=h\nusername=u\nservice_url=https://h\n"
                                   "ks=djJ8\xc2\x85MTIz\n",
                                   d1, n1, &e) == KC_ENTRY_CORRUPT,
           "parse: a KS with U+0085: corrupt");
    tap_ok(kc_cache_parse_ks_entry("format=kc2\ndesc=ks1;partner_id=+12345\nexpiry=42\n"
                                   "protocol=https\nhost=h\nusername=u\nservice_url=https://h\n"
                                   "privileges=+view:\xc3\xa9\nks=" KS_VECTOR_V2 "\n",
                                   d1, n1, &e) == KC_ENTRY_CORRUPT,
           "parse: privileges that are not ASCII: corrupt");
}

/* A ks- entry on disk whose KS is not the profile partner's (cached by an older version): a
 * miss, and removed, so the minter mints a conforming one. */
static void test_nonconforming_on_disk(struct kc_cache *c)
{
    struct kc_ks_params p = params("legacy");
    struct kc_answer e = entry(ks(9), NOW + 3600);
    TAP_CHECK(kc_cache_put_ks(c, &p, &e) == 0 && hit(c, &p, 0, NOW, ks(9)));
    const char *name = NULL;
    char saved[8192], path[512];
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL) /* the entry holding ks(9) */
        if (strncmp(de->d_name, "ks-", 3) == 0 && strstr(slurp(path_of(de->d_name)), ks(9)))
            name = de->d_name;
    TAP_CHECK(name != NULL);
    snprintf(path, sizeof path, "%s", path_of(name ? name : "none"));
    if (d != NULL)
        closedir(d);
    snprintf(saved, sizeof saved, "%s", slurp(path));
    char *foreign = ks_forge_v2("54321", 9, 48);
    char *at = strstr(saved, ks(9));
    if (at != NULL && strlen(foreign) == strlen(ks(9)))
        memcpy(at, foreign, strlen(foreign)); /* same length: the rest of the entry stays */
    write_file(path, saved, 0600);
    tap_ok(!hit(c, &p, 0, NOW, NULL) && access(path, F_OK) != 0,
           "an entry holding another partner's KS: miss, removed");
    TAP_CHECK(kc_cache_put_ks(c, &p, &e) == 0);
    snprintf(saved, sizeof saved, "%s", slurp(path));
    at = strstr(saved, "username=0_abc");
    if (at != NULL)
        memcpy(at,
               "username=\xc2\x85"
               "abc",
               14); /* 0_ becomes U+0085 */
    write_file(path, saved, 0600);
    tap_ok(!hit(c, &p, 0, NOW, NULL) && access(path, F_OK) != 0,
           "an entry whose username holds U+0085: miss, removed");
    free(foreign);
    struct kc_answer mismatch = entry(ks(9), NOW + 3600);
    mismatch.partner_id = (char *)"54321";
    tap_ok(kc_cache_put_ks(c, &p, &mismatch) == -1, "put: an answer for another partner refused");
}

/* An entry of the previous format on disk (an older version's): a miss, replaced by a put. */
static void test_old_format(void)
{
    struct kc_cache *c = reopen();
    struct kc_ks_params p = params("old");
    struct kc_answer e = entry(ks(11), NOW + 3600), out;
    TAP_CHECK(c && kc_cache_put_ks(c, &p, &e) == 0);
    const char *name = NULL;
    char path[600], *text = NULL;
    DIR *d = opendir(dir);
    struct dirent *de;
    /* the entry just written: the one whose desc names user_id=+old */
    while (d != NULL && (de = readdir(d)) != NULL && name == NULL) {
        if (strncmp(de->d_name, "ks-", 3) != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        text = slurp(path);
        if (text != NULL && strstr(text, "user_id=+old") != NULL)
            name = de->d_name;
    }
    TAP_CHECK(name != NULL && text != NULL);
    if (name != NULL && text != NULL) {
        char old[4096];
        const char *desc = strstr(text, "desc=");
        snprintf(old, sizeof old,
                 "format=kc1\n%.*s\nexpiry=%lld\nprotocol=https\nhost=localhost:8443\n"
                 "username=0_abc\nks=%s\n",
                 (int)strcspn(desc, "\n"), desc, (long long)NOW + 3600, ks(12));
        write_file(path, old, 0600);
        tap_ok(kc_cache_get_ks(c, &p, 0, NOW, &out) == 0 && access(path, F_OK) != 0,
               "an older version's entry (kc1): a miss, removed");
        tap_ok(kc_cache_put_ks(c, &p, &e) == 0 && kc_cache_get_ks(c, &p, 0, NOW, &out) == 1 &&
                   strcmp(out.ks, ks(11)) == 0 && strcmp(out.partner_id, "12345") == 0 &&
                   strcmp(out.privileges, "sessionid:0_abc,apptoken:0_abc") == 0,
               "and replaced by the next put, with every field");
        kc_answer_clear(&out);
    }
    if (d != NULL)
        closedir(d);
    kc_cache_close(c);
}

int main(void)
{
    NOW = time(NULL);
    snprintf(rt, sizeof rt, "/tmp/kc-unit-XXXXXX");
    if (mkdtemp(rt) == NULL)
        return 99;
    snprintf(dir, sizeof dir, "%s/kaltura-credential", rt);
    setenv("XDG_RUNTIME_DIR", rt, 1);
    tap_ok(kc_cache_open(false) == NULL, "absent dir, no create: no cache");
    umask(0277);
    /* Kept in a static too: the forked children _exit while it is open (valgrind would call
     * it lost once main's copy is only in a clobbered register). */
    static struct kc_cache *c;
    c = kc_cache_open(true);
    umask(022);
    struct stat st;
    tap_ok(c != NULL && stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700,
           "created 0700 even under umask 0277");
    test_roundtrip(c);
    test_untrusted_entries(c);
    test_atomic(c);
    test_lock(c);
    test_widget(c);
    test_request(c);
    test_lead(c);
    test_nonconforming_on_disk(c);
    test_prune(c);
    test_prune_locks(c);
    kc_cache_close(c);
    test_dir_trust();
    test_parse_entry();
    test_old_format();
    tap_ok(kc_cache_get_ks(NULL, NULL, 0, NOW, &(struct kc_answer){0}) == 0, "NULL cache");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", rt);
    if (system(cmd) != 0)
        return 99;
    for (size_t i = 0; i < sizeof ks_made / sizeof ks_made[0]; i++)
        free(ks_made[i]);
    return tap_done();
}
