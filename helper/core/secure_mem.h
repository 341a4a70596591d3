/* Wiping memory that held a token or a KS. libc only. */
#ifndef KC_SECURE_MEM_H
#define KC_SECURE_MEM_H

#include <stddef.h>

/* explicit_bzero wrapper that accepts NULL. */
void secure_wipe(void *p, size_t n);
/* Wipe a NUL-terminated string (strlen bytes) and free() it. Accepts NULL. */
void secure_free_str(char *s);

#endif
