/* The contract between the helper and the PAM module (helper/core/contract.h): the helper's
 * longest legal answer passes the module's parser, one byte more is refused by both, and the
 * one profile-name rule. Links the helper's answer writer and the module's parser. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "contract.h"
#include "helper_output.h"
#include "tap.h"

/* Prints a with the helper's writer into a memory buffer; *len: its length. */
static char *print(const struct kc_answer *a, int *rc, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (f == NULL)
        abort();
    *rc = kc_answer_print(f, a, KC_ANSWER_CREDENTIAL);
    fclose(f);
    return buf;
}

static void test_longest_answer(void)
{
    /* The longest host: "[" 255 bytes "]:65535" (an IPv6 literal cannot be that long, but the
     * bound is what both sides agree on). */
    char *host = tap_repeat('h', KC_ANSWER_MAX_HOST);
    host[0] = '[';
    memcpy(host + KC_ANSWER_MAX_HOST - 7, "]:65535", 7);
    struct kc_answer a = {
        .ks = tap_repeat('k', KC_ANSWER_MAX_KS),
        .username = tap_repeat('u', KC_ANSWER_MAX_USERNAME),
        .protocol = strdup("https"),
        .host = host,
        .expiry = LLONG_MAX, /* 19 digits */
        .service_url = strdup("https://h"),
        .partner_id = strdup("12345"),
    };
    int rc;
    size_t len;
    char *out = print(&a, &rc, &len);
    tap_ok(rc == KC_EXIT_OK && len == KC_ANSWER_MAX,
           "the longest answer is KC_ANSWER_MAX bytes (%zu of %zu)", len, (size_t)KC_ANSWER_MAX);
    struct pk_helper_output cred;
    const char *why = NULL;
    tap_ok(pk_helper_output_parse(out, len, &cred, &why) == PK_PARSE_OK &&
               cred.password_len == KC_ANSWER_MAX_KS && cred.expiry_len == KC_ANSWER_MAX_EXPIRY,
           "the module's parser accepts it (%s)", why ? why : "ok");

    /* One more byte in the KS: the helper's writer refuses it and prints nothing ... */
    free(out);
    free(a.ks);
    a.ks = tap_repeat('k', KC_ANSWER_MAX_KS + 1);
    out = print(&a, &rc, &len);
    tap_ok(rc == KC_EXIT_BAD_RESPONSE && len == 0, "a KS one byte over: the helper prints nothing");
    free(out);
    /* ... and the module's parser refuses it too (built by hand). */
    char *big = malloc(KC_ANSWER_MAX + 16);
    int n = snprintf(big, KC_ANSWER_MAX + 16, "password=%s\n", a.ks);
    tap_ok(pk_helper_output_parse(big, (size_t)n, &cred, &why) == PK_PARSE_ERROR,
           "a KS one byte over: the module refuses it (%s)", why ? why : "-");
    /* A whole output one byte over the bound: refused by the module. */
    memset(big, 'x', KC_ANSWER_MAX + 1);
    memcpy(big, "password=k\n", 11);
    big[KC_ANSWER_MAX] = '\n';
    tap_ok(pk_helper_output_parse(big, KC_ANSWER_MAX + 1, &cred, &why) == PK_PARSE_ERROR,
           "an answer one byte over KC_ANSWER_MAX: refused (%s)", why ? why : "-");
    free(big);

    /* Each of the other values one byte over: the writer refuses. */
    free(a.ks);
    a.ks = strdup("djJ8");
    char *saved = a.username;
    a.username = tap_repeat('u', KC_ANSWER_MAX_USERNAME + 1);
    free(print(&a, &rc, &len));
    tap_ok(rc == KC_EXIT_BAD_RESPONSE && len == 0, "a username one byte over: refused");
    free(a.username);
    a.username = saved;
    saved = a.host;
    a.host = tap_repeat('h', KC_ANSWER_MAX_HOST + 1);
    free(print(&a, &rc, &len));
    tap_ok(rc == KC_EXIT_BAD_RESPONSE && len == 0, "a host one byte over: refused");
    free(a.host);
    a.host = saved;
    kc_answer_clear(&a);
}

static void test_profile_names(void)
{
    char *name = tap_repeat('a', KC_PROFILE_NAME_MAX + 1);
    tap_ok(!kc_profile_name_ok(name), "a name of KC_PROFILE_NAME_MAX + 1 is refused");
    name[KC_PROFILE_NAME_MAX] = '\0';
    tap_ok(kc_profile_name_ok(name), "a name of KC_PROFILE_NAME_MAX is accepted");
    free(name);
    tap_ok(kc_profile_name_ok("work.1-x_y") && kc_profile_name_ok("a.b"), "letters, digits, ._-");
    tap_ok(!kc_profile_name_ok("a..b") && !kc_profile_name_ok(".."), "'..' is refused");
    tap_ok(!kc_profile_name_ok("") && !kc_profile_name_ok(NULL), "empty or NULL is refused");
    tap_ok(!kc_profile_name_ok("a/b") && !kc_profile_name_ok("a b") && !kc_profile_name_ok("ä"),
           "'/', ' ' and non-ASCII are refused");
}

int main(void)
{
    test_longest_answer();
    test_profile_names();
    return tap_done();
}
