/* The always-wiping buffer (helper/core/buf.c). That a freed or outgrown block is wiped is
 * seen by the sanitizer and valgrind lanes only as "no freed memory is read"; here: contents. */
#include <string.h>

#include "buf.h"
#include "tap.h"

int main(void)
{
    struct kc_buf b = {0};
    kc_buf_add(&b, "ks=");
    kc_buf_addn(&b, "djJ8xyz", 4);
    kc_buf_printf(&b, ";%d;%s", 42, "x");
    tap_ok(b.len == 12 && strcmp(b.p, "ks=djJ8;42;x") == 0, "add, addn, printf append");

    /* Past the first block (256) and several doublings: nothing lost on the way. */
    char chunk[100];
    memset(chunk, 'a', sizeof chunk);
    for (int i = 0; i < 50; i++)
        kc_buf_addn(&b, chunk, sizeof chunk);
    size_t as = 0;
    for (size_t i = 12; i < b.len; i++)
        as += b.p[i] == 'a';
    tap_ok(b.len == 12 + 5000 && as == 5000 && strncmp(b.p, "ks=djJ8;42;x", 12) == 0 &&
               b.p[b.len] == '\0' && b.cap > b.len,
           "growth keeps the contents, NUL-terminated");

    kc_buf_free(&b);
    tap_ok(b.p == NULL && b.len == 0 && b.cap == 0, "free leaves an empty buffer");
    kc_buf_add(&b, "");
    tap_ok(b.p != NULL && b.len == 0 && b.p[0] == '\0', "reusable after free; \"\" is a string");
    kc_buf_printf(&b, "%s", "");
    tap_ok(b.len == 0, "an empty printf adds nothing");
    kc_buf_free(&b);
    struct kc_buf never = {0};
    kc_buf_free(&never);
    tap_ok(never.p == NULL, "freeing a never-used buffer is fine");
    return tap_done();
}
