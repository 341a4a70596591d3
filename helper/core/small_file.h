/* Reading a small file whole, bounded: a regular file only (never a FIFO or a device: opened
 * O_NONBLOCK, checked with fstat), at most max bytes (one that grows while it is read is
 * refused too), no NUL byte inside. The config files and the cache entries are read with it.
 * libc only. */
#ifndef KC_SMALL_FILE_H
#define KC_SMALL_FILE_H

#include <stddef.h>

enum kc_file_rc {
    KC_FILE_OK = 0,
    KC_FILE_ABSENT,      /* no such file (ENOENT, ENOTDIR) */
    KC_FILE_ERROR,       /* open, fstat or read failed: errno says why (ELOOP: a symlink) */
    KC_FILE_NOT_REGULAR, /* a directory, FIFO, device ... */
    KC_FILE_NOT_PRIVATE, /* KC_FILE_PRIVATE: not ours, or group/other bits set */
    KC_FILE_TOO_LARGE,   /* more than max bytes */
    KC_FILE_CHANGED,     /* grew while being read */
    KC_FILE_NUL,         /* a NUL byte inside */
};

enum kc_file_flag {
    KC_FILE_NOFOLLOW = 1 << 0, /* a symlink is refused (KC_FILE_ERROR, ELOOP) */
    KC_FILE_PRIVATE = 1 << 1,  /* owned by the effective uid, no group or other permission */
};

/* Reads path (relative to dirfd, or AT_FDCWD) with flags (enum kc_file_flag ORed). KC_FILE_OK:
 * *buf is malloc'd and NUL-terminated after its *len bytes; the caller wipes it when it may
 * hold a secret. Otherwise *buf is NULL. */
enum kc_file_rc kc_file_read(int dirfd, const char *path, size_t max, unsigned flags, char **buf,
                             size_t *len);

/* A phrase for a failure ("not a regular file"; KC_FILE_ERROR: strerror(errno)). */
const char *kc_file_why(enum kc_file_rc rc);

#endif
