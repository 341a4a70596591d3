/* Memory: wiping what held a token or a KS, and the executables' one out-of-memory policy:
 * print one line and exit KC_EXIT_INTERNAL (the PAM module has its own: it lives in someone
 * else's process and returns PAM_BUF_ERR). libc only. */
#ifndef KC_SECURE_MEM_H
#define KC_SECURE_MEM_H

#include <stddef.h>

/* explicit_bzero wrapper that accepts NULL. */
void secure_wipe(void *p, size_t n);
/* Wipe a NUL-terminated string (strlen bytes) and free() it. Accepts NULL. */
void secure_free_str(char *s);

/* malloc, strdup (NULL gives ""), strndup: never NULL; out of memory ends the process. */
void *kc_xmalloc(size_t n);
char *kc_xstrdup(const char *s);
char *kc_xstrndup(const char *s, size_t n);
_Noreturn void kc_out_of_memory(void);

#endif
