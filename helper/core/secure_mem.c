/* Wiping (explicit_bzero is not optimised away) and allocating or dying (secure_mem.h). */
#include "secure_mem.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "contract.h"
#include "diag.h"

void secure_wipe(void *p, size_t n)
{
    if (p != NULL && n > 0)
        explicit_bzero(p, n);
}

void secure_free_str(char *s)
{
    if (s == NULL)
        return;
    secure_wipe(s, strlen(s));
    free(s);
}

_Noreturn void kc_out_of_memory(void)
{
    diag_error("out of memory");
    /* _exit: no stdio flush (a half-built answer stays unprinted), no atexit handlers. */
    _exit(KC_EXIT_INTERNAL);
}

void *kc_xmalloc(size_t n)
{
    void *p = malloc(n > 0 ? n : 1);
    if (p == NULL)
        kc_out_of_memory();
    return p;
}

char *kc_xstrdup(const char *s)
{
    char *d = strdup(s != NULL ? s : "");
    if (d == NULL)
        kc_out_of_memory();
    return d;
}

char *kc_xstrndup(const char *s, size_t n)
{
    char *d = strndup(s, n);
    if (d == NULL)
        kc_out_of_memory();
    return d;
}
