/* Memory (helper/core/secure_mem.c): the wipe functions leave nothing of a secret where we can
 * still look (what is freed is wiped before free; that part is checked under valgrind/ASan only in
 * the sense that no freed memory is read). */
#include <stdlib.h>
#include <string.h>

#include "secure_mem.h"
#include "tap.h"

static int all_zero(const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        if (c[i] != 0)
            return 0;
    return 1;
}

int main(void)
{
    char buf[64];
    memset(buf, 'K', sizeof buf);
    secure_wipe(buf, sizeof buf);
    tap_ok(all_zero(buf, sizeof buf), "secure_wipe zeroes every byte");
    memset(buf, 'K', sizeof buf);
    secure_wipe(buf + 8, 16);
    tap_ok(buf[7] == 'K' && all_zero(buf + 8, 16) && buf[24] == 'K',
           "secure_wipe: exactly n bytes");
    secure_wipe(NULL, 10);
    secure_free_str(NULL);
    tap_ok(1, "NULL is accepted");

    char *d = kc_xstrdup(NULL);
    tap_ok(d != NULL && d[0] == '\0', "kc_xstrdup(NULL) is \"\"");
    free(d);
    d = kc_xstrndup("abcdef", 3);
    tap_ok(strcmp(d, "abc") == 0, "kc_xstrndup copies at most n bytes");
    free(d);
    return tap_done();
}
