/* The bounded small-file reader (small_file.h). */
#include "small_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secure_mem.h"

/* Reads at most cap bytes of fd into b; -1 on a read error. */
static ssize_t read_upto(int fd, char *b, size_t cap)
{
    size_t n = 0;
    while (n < cap) {
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        n += (size_t)r;
    }
    return (ssize_t)n;
}

static enum kc_file_rc read_open(int fd, size_t max, unsigned flags, char **buf, size_t *len)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return KC_FILE_ERROR;
    if (!S_ISREG(st.st_mode))
        return KC_FILE_NOT_REGULAR;
    if ((flags & KC_FILE_PRIVATE) && (st.st_uid != geteuid() || (st.st_mode & 077) != 0))
        return KC_FILE_NOT_PRIVATE;
    if (st.st_size < 0 || (unsigned long long)st.st_size > max)
        return KC_FILE_TOO_LARGE;
    /* One byte more than the file has: a file that grew meanwhile fills it. */
    size_t cap = (size_t)st.st_size + 1;
    char *b = kc_xmalloc(cap + 1);
    ssize_t n = read_upto(fd, b, cap);
    enum kc_file_rc rc = n < 0                                ? KC_FILE_ERROR
                         : (size_t)n == cap                   ? KC_FILE_CHANGED
                         : memchr(b, '\0', (size_t)n) != NULL ? KC_FILE_NUL
                                                              : KC_FILE_OK;
    if (rc != KC_FILE_OK) {
        int saved = errno;
        secure_wipe(b, cap + 1);
        free(b);
        errno = saved;
        return rc;
    }
    b[n] = '\0';
    *buf = b;
    *len = (size_t)n;
    return KC_FILE_OK;
}

enum kc_file_rc kc_file_read(int dirfd, const char *path, size_t max, unsigned flags, char **buf,
                             size_t *len)
{
    *buf = NULL;
    *len = 0;
    int o = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
    int fd = openat(dirfd, path, o | ((flags & KC_FILE_NOFOLLOW) ? O_NOFOLLOW : 0));
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? KC_FILE_ABSENT : KC_FILE_ERROR;
    enum kc_file_rc rc = read_open(fd, max, flags, buf, len);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

const char *kc_file_why(enum kc_file_rc rc)
{
    switch (rc) {
    case KC_FILE_OK:
        return "read";
    case KC_FILE_ABSENT:
        return "no such file";
    case KC_FILE_ERROR:
        return strerror(errno);
    case KC_FILE_NOT_REGULAR:
        return "not a regular file";
    case KC_FILE_NOT_PRIVATE:
        return "not private to this user";
    case KC_FILE_TOO_LARGE:
        return "too large";
    case KC_FILE_CHANGED:
        return "changed while being read";
    case KC_FILE_NUL:
        return "contains a NUL byte";
    }
    return "unreadable";
}
