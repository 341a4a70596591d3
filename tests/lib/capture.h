/* Capturing what the code under test writes to a file descriptor, for the C unit tests.
 * Header-only. Output goes through an unlinked-at-the-end temporary file, not a pipe: a
 * pipe would block a writer of more than its buffer while nobody reads it.
 *
 *   struct capture c;
 *   capture_begin(&c, 2);            fd 2 now writes into the capture file
 *   ... code that writes to stderr ...
 *   capture_end(&c, buf, sizeof buf); fd 2 restored; buf holds what was written
 *
 * A forked child writes into capture files directly: capture_file_open, dup2 its fd onto
 * the child's 1 or 2, then capture_file_read and capture_file_close in the parent. */
#ifndef KC_TEST_CAPTURE_H
#define KC_TEST_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct capture_file {
    int fd;
    char path[32];
};

/* A new empty temporary file (aborts on failure: a test cannot go on without it). */
static inline void capture_file_open(struct capture_file *f)
{
    snprintf(f->path, sizeof f->path, "/tmp/kc-capture-XXXXXX");
    f->fd = mkstemp(f->path);
    if (f->fd < 0)
        abort();
}

/* Everything written to the file so far into buf, NUL-terminated (truncated to size - 1). */
static inline void capture_file_read(const struct capture_file *f, char *buf, size_t size)
{
    ssize_t n = pread(f->fd, buf, size - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
}

static inline void capture_file_close(struct capture_file *f)
{
    close(f->fd);
    unlink(f->path);
    f->fd = -1;
}

struct capture {
    struct capture_file file;
    int target, saved;
};

/* stdio's buffers are flushed on both sides, so what went through stdout or stderr before
 * begin stays out and what went through it before end is in. */
static inline void capture_begin(struct capture *c, int target)
{
    fflush(stdout);
    fflush(stderr);
    capture_file_open(&c->file);
    c->target = target;
    c->saved = dup(target);
    if (c->saved < 0 || dup2(c->file.fd, target) < 0)
        abort();
}

static inline void capture_end(struct capture *c, char *buf, size_t size)
{
    fflush(stdout);
    fflush(stderr);
    if (dup2(c->saved, c->target) < 0)
        abort();
    close(c->saved);
    capture_file_read(&c->file, buf, size);
    capture_file_close(&c->file);
}

#endif
