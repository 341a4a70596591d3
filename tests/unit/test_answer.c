/* The one writer of the answer of get and ks (helper/core/answer.c): the exact output, and
 * nothing at all when a value cannot be printed. Bounds: test_contract.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "answer.h"
#include "contract.h"
#include "ks_forge.h"
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
    struct kc_answer a = {.ks = KS_VECTOR_V2,
                          .username = "bob smith",
                          .protocol = "https",
                          .host = "localhost:8443",
                          .expiry = 1700000000,
                          .partner_id = "12345"};
    tap_ok(print(a, KC_ANSWER_CREDENTIAL) == KC_EXIT_OK &&
               strcmp(out, "protocol=https\nhost=localhost:8443\nusername=bob smith\n"
                           "password=" KS_VECTOR_V2 "\npassword_expiry_utc=1700000000\n") == 0,
           "get: the five lines, in order");
    tap_ok(print(a, KC_ANSWER_BARE) == KC_EXIT_OK && strcmp(out, KS_VECTOR_V2 "\n") == 0,
           "ks: the KS and a newline");
    a.ks = KS_VECTOR_V1;
    tap_ok(print(a, KC_ANSWER_BARE) == KC_EXIT_OK && strcmp(out, KS_VECTOR_V1 "\n") == 0,
           "ks: a v1 KS");
    a.ks = KS_VECTOR_V2;

    /* Any value that is not printable ASCII, a KS that is not the partner's: nothing written,
     * exit 10. */
    struct kc_answer bad[] = {a, a, a, a, a, a, a, a, a, a, a, a, a};
    bad[0].ks = "djJ8\rMTIz";
    bad[1].username = "bob\nhost=evil";
    bad[2].host = "";
    bad[3].protocol = NULL;
    bad[4].ks = "djJ8 MTIz";
    bad[5].expiry = 0;
    bad[6].host = "a b";
    bad[7].username = "bob\xe2\x80\xa8password=x"; /* U+2028 */
    bad[8].username = "bob\xc2\x85password=x";     /* U+0085 */
    bad[9].ks = "djJ8MTIz==";                      /* printable, but no KS */
    bad[10].partner_id = "54321";                  /* another partner's KS */
    bad[11].partner_id = NULL;
    bad[12].host = "h\xc3\xa9";
    int refused = 0;
    const int nbad = (int)(sizeof bad / sizeof bad[0]);
    for (int i = 0; i < nbad; i++) {
        refused += print(bad[i], KC_ANSWER_CREDENTIAL) == KC_EXIT_BAD_RESPONSE && out[0] == '\0';
        refused += print(bad[i], KC_ANSWER_BARE) == KC_EXIT_BAD_RESPONSE && out[0] == '\0';
        tap_ok(!kc_answer_ok(&bad[i]), "kc_answer_ok refuses bad value %d", i);
    }
    tap_ok(refused == 2 * nbad, "a bad value: nothing written, in either format (%d of %d)",
           refused, 2 * nbad);

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
                              .expiry = 42,
                              .partner_id = strdup("12345")};
    kc_answer_clear(&owned);
    tap_ok(owned.ks == NULL && owned.username == NULL && owned.host == NULL && owned.expiry == 0 &&
               owned.partner_id == NULL,
           "kc_answer_clear: nothing left behind (the KS wiped before it is freed)");
    return tap_done();
}
