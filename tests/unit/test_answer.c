/* The one writer of the answer of get and ks (helper/core/answer.c): the exact output, and
 * nothing at all when a value cannot be printed. Bounds: test_contract.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "answer.h"
#include "contract.h"
#include "tap.h"

static char out[4096];

/* Prints a to a memory stream; returns the exit code, out holds what was written. */
static int print(struct kc_answer a, enum kc_answer_format format)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        abort();
    int rc = kc_answer_print(f, &a, format);
    fclose(f);
    snprintf(out, sizeof out, "%s", buf);
    free(buf);
    return rc;
}

int main(void)
{
    struct kc_answer a = {.ks = "djJ8MTIz==",
                          .username = "bob smith",
                          .protocol = "https",
                          .host = "localhost:8443",
                          .expiry = 1700000000};
    tap_ok(print(a, KC_ANSWER_CREDENTIAL) == KC_EXIT_OK &&
               strcmp(out, "protocol=https\nhost=localhost:8443\nusername=bob smith\n"
                           "password=djJ8MTIz==\npassword_expiry_utc=1700000000\n") == 0,
           "get: the five lines, in order");
    tap_ok(print(a, KC_ANSWER_BARE) == KC_EXIT_OK && strcmp(out, "djJ8MTIz==\n") == 0,
           "ks: the KS and a newline");

    /* Any value that is not one line of printable text: nothing written, exit 10. */
    struct kc_answer bad[] = {a, a, a, a, a, a, a};
    bad[0].ks = "djJ8\rMTIz";
    bad[1].username = "bob\nhost=evil";
    bad[2].host = "";
    bad[3].protocol = NULL;
    bad[4].ks = "djJ8 MTIz";
    bad[5].expiry = 0;
    bad[6].host = "a b";
    int refused = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        refused += print(bad[i], KC_ANSWER_CREDENTIAL) == KC_EXIT_BAD_RESPONSE && out[0] == '\0';
        refused += print(bad[i], KC_ANSWER_BARE) == KC_EXIT_BAD_RESPONSE && out[0] == '\0';
        tap_ok(!kc_answer_ok(&bad[i]), "kc_answer_ok refuses bad value %zu", i);
    }
    tap_ok(refused == 14, "a bad value: nothing written, in either format (%d of 14)", refused);

    /* A failing write reports its own errno, not an earlier one (errno is EEXIST here, as it
     * was when the frontend printed "File exists"). */
    FILE *full = fopen("/dev/full", "w");
    char errpath[] = "/tmp/kc-answer-err-XXXXXX", msg[512] = "";
    int efd = mkstemp(errpath), saved = dup(2);
    TAP_CHECK(full != NULL && efd >= 0 && saved >= 0);
    if (full != NULL && efd >= 0 && saved >= 0) {
        dup2(efd, 2);
        errno = EEXIST;
        int rc = kc_answer_print(full, &a, KC_ANSWER_CREDENTIAL);
        dup2(saved, 2);
        ssize_t n = pread(efd, msg, sizeof msg - 1, 0);
        msg[n > 0 ? n : 0] = '\0';
        tap_ok(rc == KC_EXIT_INTERNAL && strstr(msg, "No space left on device") &&
                   !strstr(msg, "File exists"),
               "write to /dev/full: exit 1, the write's own errno");
    }
    if (full != NULL)
        fclose(full);
    if (efd >= 0) {
        close(efd);
        unlink(errpath);
    }
    if (saved >= 0)
        close(saved);

    struct kc_answer owned = {.ks = strdup("djJ8secret"),
                              .username = strdup("u"),
                              .protocol = strdup("https"),
                              .host = strdup("h"),
                              .expiry = 42};
    kc_answer_clear(&owned);
    tap_ok(owned.ks == NULL && owned.username == NULL && owned.host == NULL && owned.expiry == 0,
           "kc_answer_clear: nothing left behind (the KS wiped before it is freed)");
    return tap_done();
}
