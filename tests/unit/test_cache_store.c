/* The cache directory and the file operations inside it (helper/core/cache_store.c), below the
 * entry format that test_cache.c covers: trust of the directory, what a read accepts, atomic
 * private writes, removal, and the two kinds of lock. */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache_store.h"
#include "tap.h"

static char rt[] = "/tmp/kc-store-XXXXXX";
static char cdir[256];

static void path_of(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", cdir, name);
}

static void test_open(void)
{
    struct kc_store s;
    tap_ok(kc_store_open(&s, false, true) == -1, "no directory and create=false: no store");
    tap_ok(kc_store_open(&s, true, true) == 0, "created");
    struct stat st;
    tap_ok(stat(cdir, &st) == 0 && (st.st_mode & 0777) == 0700, "created 0700 (umask ignored)");
    kc_store_close(&s);
    chmod(cdir, 0750);
    tap_ok(kc_store_open(&s, true, true) == -1, "a directory open to the group: refused");
    chmod(cdir, 0700);
    setenv("XDG_RUNTIME_DIR", "relative/path", 1);
    tap_ok(kc_store_open(&s, true, true) == -1, "a relative XDG_RUNTIME_DIR: no store");
    setenv("XDG_RUNTIME_DIR", rt, 1);
}

static void test_files(struct kc_store *s)
{
    char *buf;
    size_t len;
    char p[512];
    tap_ok(kc_store_write(s, "ks-a", "x=1\n", 4) == 0, "written");
    struct stat st;
    path_of(p, sizeof p, "ks-a");
    tap_ok(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600, "0600 whatever the umask");
    tap_ok(kc_store_read(s, "ks-a", &buf, &len) == KC_READ_OK && len == 4 &&
               strcmp(buf, "x=1\n") == 0,
           "read back");
    free(buf);
    buf = NULL;
    tap_ok(kc_store_write(s, "ks-a", "x=2\n", 4) == 0, "replaced");
    tap_ok(kc_store_read(s, "ks-a", &buf, &len) == KC_READ_OK && strcmp(buf, "x=2\n") == 0,
           "the new contents are read");
    free(buf);
    tap_ok(kc_store_read(s, "ks-none", &buf, &len) == KC_READ_ABSENT && buf == NULL, "absent");
    chmod(p, 0644);
    tap_ok(kc_store_read(s, "ks-a", &buf, &len) == KC_READ_BAD, "readable by others: bad");
    path_of(p, sizeof p, "ks-link");
    if (symlink("ks-a", p) != 0)
        abort();
    tap_ok(kc_store_read(s, "ks-link", &buf, &len) == KC_READ_BAD, "a symlink: bad");
    path_of(p, sizeof p, "ks-big");
    int fd = open(p, O_WRONLY | O_CREAT, 0600);
    if (fd < 0 || ftruncate(fd, KC_ENTRY_MAX + 1) != 0)
        abort();
    close(fd);
    tap_ok(kc_store_read(s, "ks-big", &buf, &len) == KC_READ_BAD, "over KC_ENTRY_MAX: bad");
    tap_ok(kc_store_remove(s, "ks-a") == 0 &&
               kc_store_read(s, "ks-a", &buf, &len) == KC_READ_ABSENT,
           "removed");
    tap_ok(kc_store_remove(s, "ks-a") == 0, "removing what is gone is fine");
    int temps = 0;
    DIR *d = opendir(cdir);
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL)
        temps += strncmp(de->d_name, ".tmp-", 5) == 0;
    if (d != NULL)
        closedir(d);
    tap_ok(temps == 0, "no temp file left behind");
}

static void test_locks(struct kc_store *s)
{
    int fd = kc_store_lock(s, "lock-x", 0);
    tap_ok(fd >= 0, "lock taken");
    pid_t pid = fork();
    if (pid == 0) {
        struct kc_store c;
        _exit(kc_store_open(&c, false, true) == 0 && kc_store_lock(&c, "lock-x", 200) < 0 ? 0 : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a second holder times out");

    bool waited;
    int lead = kc_store_lead_or_wait(s, "lock-req-y", 1000, &waited);
    tap_ok(lead >= 0 && !waited && (fcntl(lead, F_GETFD) & FD_CLOEXEC) == 0,
           "the first one leads, with a lock that survives exec");
    pid = fork();
    if (pid == 0) { /* the leader holds throughout: the follower neither leads nor sees it end */
        struct kc_store c;
        bool w = true;
        int r = kc_store_open(&c, false, true) == 0
                    ? kc_store_lead_or_wait(&c, "lock-req-y", 100, &w)
                    : -2;
        _exit(r == -1 && !w ? 0 : 1);
    }
    waitpid(pid, &st, 0);
    tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
           "a follower does not lead while the leader holds");
    close(lead);
    lead = kc_store_lead_or_wait(s, "lock-req-y", 0, &waited);
    tap_ok(lead >= 0 && !waited, "the leader done, the next one leads");
    close(lead);
    close(fd);
}

/* Whether process pid has path open (/proc/PID/fd). */
static bool has_open(pid_t pid, const char *path)
{
    char dirp[32], link[64], target[512];
    snprintf(dirp, sizeof dirp, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(dirp);
    bool found = false;
    for (struct dirent *de; !found && d != NULL && (de = readdir(d)) != NULL;) {
        snprintf(link, sizeof link, "%.31s/%.16s", dirp, de->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        found = strcmp(target, path) == 0;
    }
    if (d != NULL)
        closedir(d);
    return found;
}

/* A waiter that opened a lock file which is then removed (a prune) and released must not end up
 * holding the unlinked file: a newcomer would lock the new one, and both would hold "the" lock. */
static void test_lock_survives_prune(struct kc_store *s)
{
    char path[300];
    path_of(path, sizeof path, "lock-z");
    int fd = kc_store_lock(s, "lock-z", 0);
    int got[2], done[2];
    if (fd < 0 || pipe(got) != 0 || pipe(done) != 0) {
        tap_ok(0, "setup");
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(fd); /* the parent's lock is the parent's, and the pipes' other ends too */
        close(got[0]);
        close(done[1]);
        char b = 'r'; /* from now on, an open lock-z in this process is kc_store_lock's */
        if (write(got[1], &b, 1) != 1)
            _exit(1);
        struct kc_store c;
        b = (char)(kc_store_open(&c, false, true) == 0 && kc_store_lock(&c, "lock-z", 10000) >= 0);
        if (write(got[1], &b, 1) != 1 || read(done[0], &b, 1) < 0)
            _exit(1);
        _exit(0); /* holding the lock until told */
    }
    close(got[1]);
    close(done[0]);
    char b = 0;
    if (read(got[0], &b, 1) != 1)
        b = 0;
    for (int i = 0; i < 10000 && !has_open(pid, path); i++)
        usleep(1000); /* until the waiter has the file open (an event, polled) */
    unlink(path);     /* what a prune does, holding the lock */
    close(fd);
    bool locked = read(got[0], &b, 1) == 1 && b == 1;
    int other = open(path, O_RDWR | O_CREAT, 0600);
    bool excluded = other >= 0 && flock(other, LOCK_EX | LOCK_NB) != 0;
    tap_ok(locked && excluded, "a waiter whose lock file was pruned locks the file named now");
    if (other >= 0)
        close(other);
    close(done[1]);
    close(got[0]);
    int st;
    waitpid(pid, &st, 0);
}

int main(void)
{
    umask(0);
    if (mkdtemp(rt) == NULL)
        return 99;
    snprintf(cdir, sizeof cdir, "%s/kaltura-credential", rt);
    setenv("XDG_RUNTIME_DIR", rt, 1);
    test_open();
    struct kc_store s;
    TAP_CHECK(kc_store_open(&s, true, true) == 0);
    test_files(&s);
    test_locks(&s);
    test_lock_survives_prune(&s);
    kc_store_close(&s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", rt);
    if (system(cmd) != 0)
        return 99;
    return tap_done();
}
