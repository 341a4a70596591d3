/* Wiping memory that held a token or a KS. explicit_bzero is not optimised away. */
#include "secure_mem.h"

#include <stdlib.h>
#include <string.h>

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
