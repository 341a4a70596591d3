/* The bounded small-file reader (helper/core/small_file.c): what it reads, what it refuses,
 * and that a FIFO never blocks it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "small_file.h"
#include "tap.h"

static char dir[] = "/tmp/kc-small-file-XXXXXX";

static void put(const char *name, const char *data, size_t n, mode_t mode)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write(fd, data, n) != (ssize_t)n || fchmod(fd, mode) != 0)
        abort();
    close(fd);
}

static enum kc_file_rc rd(const char *name, size_t max, unsigned flags, size_t *len)
{
    char path[256], *buf;
    size_t n;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    enum kc_file_rc rc = kc_file_read(AT_FDCWD, path, max, flags, &buf, &n);
    if (len != NULL)
        *len = n;
    if ((rc == KC_FILE_OK) != (buf != NULL))
        return (enum kc_file_rc) - 1; /* *buf set exactly on success */
    if (buf != NULL && buf[n] != '\0')
        return (enum kc_file_rc) - 2; /* NUL-terminated */
    free(buf);
    return rc;
}

int main(void)
{
    if (mkdtemp(dir) == NULL)
        return 99;
    size_t n;
    put("ok", "a=b\n", 4, 0600);
    tap_ok(rd("ok", 4, 0, &n) == KC_FILE_OK && n == 4, "a file of max bytes is read whole");
    tap_ok(rd("ok", 3, 0, NULL) == KC_FILE_TOO_LARGE, "one byte over max: refused");
    put("empty", "", 0, 0600);
    tap_ok(rd("empty", 10, 0, &n) == KC_FILE_OK && n == 0, "an empty file is fine");
    tap_ok(rd("absent", 10, 0, NULL) == KC_FILE_ABSENT, "no such file: ABSENT");
    tap_ok(rd("ok/x", 10, 0, NULL) == KC_FILE_ABSENT, "a path through a file: ABSENT");
    put("nul", "a\0b\n", 4, 0600);
    tap_ok(rd("nul", 10, 0, NULL) == KC_FILE_NUL, "a NUL byte inside: refused");

    char path[256];
    snprintf(path, sizeof path, "%s/sub", dir);
    mkdir(path, 0700);
    tap_ok(rd("sub", 10, 0, NULL) == KC_FILE_NOT_REGULAR, "a directory: not a regular file");
    snprintf(path, sizeof path, "%s/fifo", dir);
    mkfifo(path, 0600);
    tap_ok(rd("fifo", 10, 0, NULL) == KC_FILE_NOT_REGULAR, "a FIFO: refused, without blocking");

    snprintf(path, sizeof path, "%s/link", dir);
    if (symlink("ok", path) != 0)
        return 99;
    tap_ok(rd("link", 10, 0, &n) == KC_FILE_OK && n == 4, "a symlink is followed by default");
    errno = 0;
    tap_ok(rd("link", 10, KC_FILE_NOFOLLOW, NULL) == KC_FILE_ERROR && errno == ELOOP,
           "KC_FILE_NOFOLLOW: a symlink is refused (ELOOP)");

    put("shared", "x", 1, 0640);
    tap_ok(rd("shared", 10, KC_FILE_PRIVATE, NULL) == KC_FILE_NOT_PRIVATE &&
               rd("shared", 10, 0, NULL) == KC_FILE_OK,
           "KC_FILE_PRIVATE: group-readable refused");
    tap_ok(rd("ok", 10, KC_FILE_PRIVATE, NULL) == KC_FILE_OK, "KC_FILE_PRIVATE: 0600 read");

    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    char *buf;
    tap_ok(kc_file_read(dfd, "ok", 10, KC_FILE_NOFOLLOW, &buf, &n) == KC_FILE_OK && n == 4 &&
               strcmp(buf, "a=b\n") == 0,
           "relative to a directory fd");
    free(buf);
    close(dfd);
    tap_ok(strcmp(kc_file_why(KC_FILE_NOT_REGULAR), "not a regular file") == 0 &&
               strcmp(kc_file_why(KC_FILE_CHANGED), "changed while being read") == 0,
           "a phrase for each failure");

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 99;
    return tap_done();
}
