/* The one writer of the answer of get and ks (helper/core/answer.c): the exact output of every
 * format, shell quoting and JSON escaping, and nothing at all when a value cannot be printed.
 * Bounds: test_contract.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "answer.h"
#include "contract.h"
#include "ks_forge.h"
#include "capture.h"
#include "tap.h"

static char out[8192];

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

/* ks --format=env|export|json, from the sample answer a. */
static void test_formats(struct kc_answer a)
{
    tap_ok(print(a, KC_ANSWER_ENV) == KC_EXIT_OK &&
               strcmp(out, "KALTURA_KS=" KS_VECTOR_V2 "\nKALTURA_KS_EXPIRY=1700000000\n"
                           "KALTURA_PARTNER_ID=12345\n"
                           "KALTURA_SERVICE_URL=https://localhost:8443\n") == 0,
           "env: four NAME=VALUE lines, plain values bare");
    tap_ok(print(a, KC_ANSWER_EXPORT) == KC_EXIT_OK &&
               strcmp(out, "export KALTURA_KS='" KS_VECTOR_V2 "'\n"
                           "export KALTURA_KS_EXPIRY='1700000000'\n"
                           "export KALTURA_PARTNER_ID='12345'\n"
                           "export KALTURA_SERVICE_URL='https://localhost:8443'\n") == 0,
           "export: four export lines, single-quoted");
    tap_ok(print(a, KC_ANSWER_JSON) == KC_EXIT_OK &&
               strcmp(out, "{\"ks\":\"" KS_VECTOR_V2 "\",\"expiry\":1700000000,\"partnerId\":12345,"
                           "\"serviceUrl\":\"https://localhost:8443\",\"userId\":\"bob smith\","
                           "\"privileges\":\"sessionid:0_a,apptoken:0_a\"}\n") == 0,
           "json: one object on one line, numbers as numbers");
    struct kc_answer b = a;
    b.user_id = "";
    b.privileges = NULL;
    tap_ok(print(b, KC_ANSWER_JSON) == KC_EXIT_OK && strstr(out, "\"userId\":null,") &&
               strstr(out, "\"privileges\":null}"),
           "json: no user id, no privileges: null");
    b.user_id = "o'brien \"q\" \\ $(x)";
    b.service_url = "https://h/it's$HOME";
    tap_ok(print(b, KC_ANSWER_JSON) == KC_EXIT_OK &&
               strstr(out, "\"userId\":\"o'brien \\\"q\\\" \\\\ $(x)\"") != NULL,
           "json: quotes and backslashes escaped");
    tap_ok(print(b, KC_ANSWER_EXPORT) == KC_EXIT_OK &&
               strstr(out, "export KALTURA_SERVICE_URL='https://h/it'\\''s$HOME'\n") != NULL,
           "export: a ' is written '\\'' and $ stays literal");
    tap_ok(print(b, KC_ANSWER_ENV) == KC_EXIT_OK &&
               strstr(out, "KALTURA_SERVICE_URL='https://h/it'\\''s$HOME'\n") != NULL &&
               strstr(out, "KALTURA_KS=" KS_VECTOR_V2 "\n") != NULL,
           "env: a value a shell would interpret is quoted, a plain one is not");
    /* What a POSIX shell reads back from export is the value itself. */
    FILE *sh = popen("sh -c 'eval \"$(cat)\"; printf %s \"$KALTURA_SERVICE_URL\"' "
                     ">/tmp/kc-answer-sh.out",
                     "w");
    TAP_CHECK(sh != NULL);
    if (sh != NULL) {
        fputs(out, sh);
        pclose(sh);
    }
    char back[256] = "";
    FILE *r = fopen("/tmp/kc-answer-sh.out", "r");
    if (r != NULL) {
        if (fgets(back, sizeof back, r) == NULL)
            back[0] = '\0';
        fclose(r);
    }
    unlink("/tmp/kc-answer-sh.out");
    tap_ok(strcmp(back, b.service_url) == 0, "sh evaluates the quoted value back to itself (%s)",
           back);
}

int main(void)
{
    struct kc_answer a = {.ks = KS_VECTOR_V2,
                          .username = "bob smith",
                          .protocol = "https",
                          .host = "localhost:8443",
                          .expiry = 1700000000,
                          .service_url = "https://localhost:8443",
                          .partner_id = "12345",
                          .user_id = "bob smith",
                          .privileges = "sessionid:0_a,apptoken:0_a"};
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

    test_formats(a);

    /* Any value that is not one line of printable ASCII, a KS that is not the partner's:
     * nothing written, exit 10, in any format. */
    struct kc_answer bad[] = {a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a};
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
    bad[13].service_url = NULL;
    bad[14].partner_id = "12a";
    bad[15].partner_id = "12345678901";
    bad[16].user_id = "bob\nKALTURA_KS=evil";
    bad[17].privileges = "view:*\r";
    bad[18].privileges = "view:\xc3\xa9";
    const enum kc_answer_format formats[] = {KC_ANSWER_CREDENTIAL, KC_ANSWER_BARE, KC_ANSWER_ENV,
                                             KC_ANSWER_EXPORT, KC_ANSWER_JSON};
    int refused = 0, tries = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++, tries++)
            refused += print(bad[i], formats[f]) == KC_EXIT_BAD_RESPONSE && out[0] == '\0';
        tap_ok(!kc_answer_ok(&bad[i]), "kc_answer_ok refuses bad value %zu", i);
    }
    tap_ok(refused == tries, "a bad value: nothing written, in any format (%d of %d)", refused,
           tries);

    /* A failing write reports its own errno, not an earlier one (errno is EEXIST here, as it
     * was when the frontend printed "File exists"). */
    FILE *full = fopen("/dev/full", "w");
    char msg[512];
    TAP_CHECK(full != NULL);
    if (full != NULL) {
        struct capture c;
        capture_begin(&c, 2);
        errno = EEXIST;
        int rc = kc_answer_print(full, &a, KC_ANSWER_CREDENTIAL);
        capture_end(&c, msg, sizeof msg);
        tap_ok(rc == KC_EXIT_INTERNAL && strstr(msg, "No space left on device") &&
                   !strstr(msg, "File exists"),
               "write to /dev/full: exit 1, the write's own errno");
        fclose(full);
    }

    struct kc_answer owned = {.ks = strdup("djJ8secret"),
                              .username = strdup("u"),
                              .protocol = strdup("https"),
                              .host = strdup("h"),
                              .expiry = 42,
                              .service_url = strdup("https://h"),
                              .partner_id = strdup("12345"),
                              .user_id = strdup("u"),
                              .privileges = strdup("p")};
    kc_answer_clear(&owned);
    tap_ok(owned.ks == NULL && owned.username == NULL && owned.host == NULL && owned.expiry == 0 &&
               owned.partner_id == NULL,
           "kc_answer_clear: nothing left behind (the KS wiped before it is freed)");
    tap_ok(owned.service_url == NULL && owned.partner_id == NULL && owned.user_id == NULL &&
               owned.privileges == NULL,
           "kc_answer_clear: the values of ks --format too");
    return tap_done();
}
