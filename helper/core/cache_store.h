/* Internal to cache.c: the trusted cache directory and safe file I/O inside it. libc only.
 * Every access is relative to the verified directory fd with O_NOFOLLOW, so nothing done to the
 * path after kc_store_open() (renames, symlinks) can redirect a read or a write. */
#ifndef KC_CACHE_STORE_H
#define KC_CACHE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define KC_ENTRY_MAX (64 * 1024) /* larger files are not ours: ignored */

struct kc_store {
    int dirfd;
    bool quiet;          /* no warnings (the frontend: the minter will warn) */
    const char *problem; /* after a failed open: why (static text), or NULL (no XDG_RUNTIME_DIR) */
};

/* Opens and verifies $XDG_RUNTIME_DIR/kaltura-credential. -1: no (trustworthy) cache. */
int kc_store_open(struct kc_store *s, bool create, bool quiet);
void kc_store_close(struct kc_store *s);

enum kc_read_rc { KC_READ_OK = 0, KC_READ_ABSENT = -1, KC_READ_BAD = -2 };
/* Reads a regular 0600 file owned by us, at most KC_ENTRY_MAX bytes, without following a
 * symlink. *buf is NUL-terminated (wipe it: it may hold a KS). KC_READ_BAD: symlink, foreign,
 * wrong mode, too big, NUL inside. */
enum kc_read_rc kc_store_read(struct kc_store *s, const char *name, char **buf, size_t *len);
/* Atomic replace: O_EXCL temp file (0600) + renameat. 0 or -1 (warned). */
int kc_store_write(struct kc_store *s, const char *name, const char *data, size_t len);
/* unlinkat; ENOENT is success. */
int kc_store_remove(struct kc_store *s, const char *name);
/* Exclusive flock on name, polling until timeout_ms. fd or -1. The lock is on the file that
 * has the name when it is granted (a lock file pruned meanwhile is not it). */
int kc_store_lock(struct kc_store *s, const char *name, int timeout_ms);
/* Leader or follower on lock file name: takes it exclusively at once (returns the fd, without
 * O_CLOEXEC so the lock outlives an exec), or waits until the current holder is done (or
 * timeout_ms) and returns -1 with *waited set when it did finish. */
int kc_store_lead_or_wait(struct kc_store *s, const char *name, int timeout_ms, bool *waited);
/* Removes lock file name when it was created before older_than and nobody holds it (the two
 * functions above then lock the file created in its place, never the unlinked one). */
void kc_store_remove_idle_lock(struct kc_store *s, const char *name, time_t older_than);

#endif
