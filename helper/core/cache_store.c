/* The trusted cache directory and safe file I/O inside it (see cache_store.h). */
#include "cache_store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "paths.h"
#include "secure_mem.h"
#include "small_file.h"

#define CACHE_NAME "kaltura-credential"

static void warn_once(struct kc_store *s, const char *what, const char *path)
{
    static bool warned;
    s->problem = what;
    if (s->quiet || warned)
        return;
    warned = true;
    diag_warning("KS cache disabled: %s %s", path, what);
}

/* XDG_RUNTIME_DIR must be ours: a directory someone else controls could swap our subdirectory
 * between checks, or have planted it. */
static int open_runtime_dir(struct kc_store *s, const char *rt)
{
    int fd = open(rt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
        warn_once(s, "(XDG_RUNTIME_DIR) is not a private directory of this user", rt);
        close(fd);
        return -1;
    }
    return fd;
}

int kc_store_open(struct kc_store *s, bool create, bool quiet)
{
    s->dirfd = -1;
    s->quiet = quiet;
    s->problem = NULL;
    char *path = kc_cache_dir_path();
    if (path == NULL)
        return -1; /* no XDG_RUNTIME_DIR: no cache, by design */
    char *slash = strrchr(path, '/');
    *slash = '\0';
    int rtfd = open_runtime_dir(s, path[0] ? path : "/");
    *slash = '/';
    if (rtfd < 0)
        goto out;
    bool made = create && mkdirat(rtfd, CACHE_NAME, 0700) == 0;
    /* O_NOFOLLOW: a symlink planted at our name is refused, never followed. */
    int fd = openat(rtfd, CACHE_NAME, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int err = errno;
    close(rtfd);
    if (fd < 0) {
        if (err == ELOOP || err == ENOTDIR)
            warn_once(s, "is a symlink or not a directory; remove it", path);
        else if (err != ENOENT)
            warn_once(s, "cannot be opened", path);
        goto out;
    }
    struct stat st;
    if (made)
        (void)fchmod(fd, 0700); /* a strict umask must not leave us without access */
    if (fstat(fd, &st) != 0 || st.st_uid != geteuid()) {
        warn_once(s, "is not owned by this user; remove it", path);
        close(fd);
        goto out;
    }
    if ((st.st_mode & 077) != 0) {
        warn_once(s, "is accessible to others; run chmod 700 on it", path);
        close(fd);
        goto out;
    }
    s->dirfd = fd;
out:
    free(path);
    return s->dirfd >= 0 ? 0 : -1;
}

void kc_store_close(struct kc_store *s)
{
    if (s->dirfd >= 0)
        close(s->dirfd);
    s->dirfd = -1;
}

enum kc_read_rc kc_store_read(struct kc_store *s, const char *name, char **buf, size_t *len)
{
    /* Only a small regular file, ours, private, is an entry (never a FIFO or a device). */
    enum kc_file_rc rc =
        kc_file_read(s->dirfd, name, KC_ENTRY_MAX, KC_FILE_NOFOLLOW | KC_FILE_PRIVATE, buf, len);
    return rc == KC_FILE_OK ? KC_READ_OK : rc == KC_FILE_ABSENT ? KC_READ_ABSENT : KC_READ_BAD;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int kc_store_write(struct kc_store *s, const char *name, const char *data, size_t len)
{
    static unsigned counter;
    char tmp[256];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(tmp, sizeof tmp, ".tmp-%s-%ld-%ld-%u", name, (long)getpid(), ts.tv_nsec, counter++);
    int fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        goto fail;
    /* umask may have removed bits; the reader insists on exactly owner-only. */
    int bad = fchmod(fd, 0600) != 0 || write_all(fd, data, len) != 0;
    if (close(fd) != 0 || bad || renameat(s->dirfd, tmp, s->dirfd, name) != 0) {
        unlinkat(s->dirfd, tmp, 0);
        goto fail;
    }
    return 0;
fail:
    if (!s->quiet)
        diag_warning("cannot write the KS cache (%s); continuing without it", strerror(errno));
    return -1;
}

int kc_store_remove(struct kc_store *s, const char *name)
{
    return (unlinkat(s->dirfd, name, 0) == 0 || errno == ENOENT) ? 0 : -1;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int open_lock(struct kc_store *s, const char *name, int cloexec)
{
    int fd = openat(s->dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | cloexec, 0600);
    struct stat st;
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Poll rather than block: flock has no timeout, and alarm() would disturb the caller.
 * A holder that dies releases the lock with its last fd (kernel), so only a live but
 * stuck holder makes us wait the whole timeout. */
static int poll_flock(int fd, int op, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        if (flock(fd, op | LOCK_NB) == 0)
            return 0;
        if ((errno != EWOULDBLOCK && errno != EINTR) || now_ms() >= deadline)
            return -1;
        struct timespec nap = {0, 5 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
}

/* Whether fd (locked) is still the file at name: a prune (kc_store_remove_idle_lock) may have
 * unlinked it between our open and our flock, and a lock on an unlinked file locks nobody out. */
static bool still_named(const struct kc_store *s, int fd, const char *name)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && fstatat(s->dirfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
           a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int kc_store_lock(struct kc_store *s, const char *name, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        int fd = open_lock(s, name, O_CLOEXEC);
        if (fd < 0)
            return -1;
        long long left = deadline - now_ms();
        if (poll_flock(fd, LOCK_EX, left > 0 ? (int)left : 0) != 0) {
            close(fd);
            return -1;
        }
        if (still_named(s, fd, name))
            return fd;
        close(fd); /* pruned meanwhile: lock the file that has the name now */
    }
}

int kc_store_lead_or_wait(struct kc_store *s, const char *name, int timeout_ms, bool *waited)
{
    *waited = false;
    for (;;) {
        int fd = open_lock(s, name, 0);
        if (fd < 0)
            return -1;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            if (still_named(s, fd, name))
                return fd;
            close(fd); /* pruned meanwhile: lead on the file that has the name now */
            continue;
        }
        /* A shared lock is granted once the leader is gone; followers never block each other.
         * A follower only looks the request up again after, so a pruned file is no matter. */
        *waited = poll_flock(fd, LOCK_SH, timeout_ms) == 0;
        close(fd);
        return -1;
    }
}

void kc_store_remove_idle_lock(struct kc_store *s, const char *name, time_t older_than)
{
    struct stat st;
    if (fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_mtime >= older_than)
        return;
    int fd = open_lock(s, name, O_CLOEXEC);
    if (fd < 0)
        return;
    /* Held by nobody, and ours while we unlink it: whoever opened it before and locks it after
     * sees it unnamed (still_named) and takes the new one. */
    if (flock(fd, LOCK_EX | LOCK_NB) == 0 && still_named(s, fd, name))
        unlinkat(s->dirfd, name, 0);
    close(fd);
}
