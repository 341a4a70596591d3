/* Trusting and opening the helper (helper_path.h). */
#include "helper_path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Root, or the euid running the module: whoever can write those files already is the user
 * the module runs as, and gains nothing. (In login, sshd and gdm that euid is root.) */
static bool owner_ok(const struct stat *st)
{
    return st->st_uid == 0 || st->st_uid == geteuid();
}

static bool dir_ok(const struct stat *st)
{
    return S_ISDIR(st->st_mode) && owner_ok(st) &&
           ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0 || (st->st_mode & S_ISVTX) != 0);
}

static bool file_ok(const struct stat *st)
{
    return S_ISREG(st->st_mode) && owner_ok(st) && (st->st_mode & (S_IWGRP | S_IWOTH)) == 0 &&
           (st->st_mode & S_IXUSR) != 0;
}

/* Checks the component just opened (fd, the first `upto` bytes of path); logs a refusal. */
static bool component_ok(const struct pk_args *args, const char *path, size_t upto, int fd,
                         bool last)
{
    struct stat st;

    if (fstat(fd, &st) != 0) {
        pk_err(args, "helper %s: %.*s: %s", path, (int)upto, path, strerror(errno));
        return false;
    }
    if (S_ISLNK(st.st_mode)) {
        pk_err(args, "helper %s: %.*s is a symbolic link: refusing to run it (name the real path)",
               path, (int)upto, path);
        return false;
    }
    if (!last && !dir_ok(&st)) {
        pk_err(args,
               "helper %s: %.*s is not a directory owned by root and writable only by its "
               "owner (or sticky): refusing to run it",
               path, (int)upto, path);
        return false;
    }
    if (last && !file_ok(&st)) {
        pk_err(args,
               "helper %s: not an executable regular file owned by root and writable only by "
               "its owner: refusing to run it",
               path);
        return false;
    }
    return true;
}

int pk_helper_open(const struct pk_args *args, const char *path)
{
    size_t len = strlen(path), pos = 1;
    int dir;

    if (path[0] != '/' || len >= PATH_MAX || path[len - 1] == '/') {
        pk_err(args, "helper %s: not an absolute path to a file", path);
        return -1;
    }
    dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0 || !component_ok(args, path, 1, dir, false)) {
        if (dir >= 0)
            close(dir);
        return -1;
    }
    for (;;) {
        char name[NAME_MAX + 1];
        size_t n;
        bool last;
        int fd;

        pos += strspn(path + pos, "/");
        n = strcspn(path + pos, "/");
        last = path[pos + n] == '\0';
        if (n > NAME_MAX || (n == 1 && path[pos] == '.') ||
            (n == 2 && path[pos] == '.' && path[pos + 1] == '.')) {
            pk_err(args, "helper %s: not a plain absolute path (no `.`, `..`)", path);
            close(dir);
            return -1;
        }
        memcpy(name, path + pos, n);
        name[n] = '\0';
        fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        close(dir);
        if (fd < 0) {
            pk_err(args, "helper %s: %.*s: %s", path, (int)(pos + n), path, strerror(errno));
            return -1;
        }
        if (!component_ok(args, path, pos + n, fd, last)) {
            close(fd);
            return -1;
        }
        if (last)
            return fd;
        dir = fd;
        pos += n;
    }
}
