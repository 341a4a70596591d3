/*
 * Trusting the helper before running it as root's child: every component of its path, from
 * `/` down, must be beyond the reach of other users, and the file that was checked is the
 * one executed (an O_PATH descriptor, later fexecve()d), so nothing can be swapped between
 * the check and the exec.
 */
#ifndef PAM_KALTURA_HELPER_PATH_H
#define PAM_KALTURA_HELPER_PATH_H

#include "logging.h"

/*
 * Opens path component by component (openat, O_PATH | O_NOFOLLOW) and checks each:
 * - no symbolic link anywhere (the path must be the real one), no `.` or `..`;
 * - every directory owned by root or by the euid running the module, and not writable by
 *   group or others unless it is sticky (like /tmp: others may add names there but cannot
 *   rename or remove ours, and the next component's owner is checked in turn);
 * - the helper a regular file with that same owner rule, executable by its owner, not
 *   writable by group or others.
 * Returns the helper's O_PATH descriptor (close-on-exec), or -1 after logging why not.
 */
int pk_helper_open(const struct pk_args *args, const char *path);

#endif
