/* A tiny growable string for cache entries. libc only. Errors are sticky (oom), so callers
 * build a whole entry and check once. */
#ifndef KC_STRBUF_H
#define KC_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct kc_strbuf {
    char *p; /* NUL-terminated when not NULL */
    size_t len, cap;
    bool oom;
};

void kc_sb_addn(struct kc_strbuf *b, const char *s, size_t n);
void kc_sb_add(struct kc_strbuf *b, const char *s);
void kc_sb_printf(struct kc_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Percent-encodes everything but printable ASCII other than '%', ';', '=' (one line, and
 * fields cannot run into each other). */
void kc_sb_esc(struct kc_strbuf *b, const char *s, size_t n);
/* ";name=-" for NULL (unset), ";name=+<escaped value>" otherwise: unset differs from "". */
void kc_sb_field(struct kc_strbuf *b, const char *name, const char *value);
void kc_sb_free(struct kc_strbuf *b);
void kc_sb_wipe_free(struct kc_strbuf *b); /* for buffers that held a KS */

#endif
