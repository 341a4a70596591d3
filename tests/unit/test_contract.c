/* The contract between the helper and the PAM module (helper/core/contract.h): the helper's
 * longest legal answer passes the module's parser, one byte more is refused by both, and the
 * one profile-name rule. Links the helper's answer writer and the module's parser. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "contract.h"
#include "helper_output.h"
#include "ks_forge.h"
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
    /* The longest well-formed KS: v2 of a 10-digit partner, 12272 bytes of ciphertext: base64
     * of 12286 bytes, 16384 characters. */
    struct kc_answer a = {
        .ks = ks_forge_v2("1234567890", 1, 12272),
        .username = tap_repeat('u', KC_ANSWER_MAX_USERNAME),
        .protocol = strdup("https"),
        .host = host,
        .expiry = LLONG_MAX, /* 19 digits */
        .service_url = strdup("https://h"),
        .partner_id = strdup("1234567890"),
    };
    TAP_CHECK(strlen(a.ks) == KC_ANSWER_MAX_KS);
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

    /* A longer KS (the next well-formed length: 16 bytes more ciphertext, 16404 characters):
     * the helper's writer refuses it and prints nothing ... */
    free(out);
    free(a.ks);
    a.ks = ks_forge_v2("1234567890", 1, 12288);
    TAP_CHECK(strlen(a.ks) > KC_ANSWER_MAX_KS && kc_ks_well_formed(a.ks, 16384, NULL) == false);
    out = print(&a, &rc, &len);
    tap_ok(rc == KC_EXIT_BAD_RESPONSE && len == 0,
           "a KS over the bound: the helper prints nothing");
    free(out);
    /* ... and the module's parser refuses it too (built by hand). */
    char *big = malloc(KC_ANSWER_MAX + 64);
    int n = snprintf(big, KC_ANSWER_MAX + 64, "password=%s\n", a.ks);
    tap_ok(pk_helper_output_parse(big, (size_t)n, &cred, &why) == PK_PARSE_ERROR,
           "a KS over the bound: the module refuses it (%s)", why ? why : "-");
    /* A whole output one byte over the bound: refused by the module. */
    memset(big, 'x', KC_ANSWER_MAX + 1);
    memcpy(big, "password=k\n", 11);
    big[KC_ANSWER_MAX] = '\n';
    tap_ok(pk_helper_output_parse(big, KC_ANSWER_MAX + 1, &cred, &why) == PK_PARSE_ERROR,
           "an answer one byte over KC_ANSWER_MAX: refused (%s)", why ? why : "-");
    free(big);

    /* Each of the other values one byte over: the writer refuses. */
    free(a.ks);
    a.ks = ks_forge_v2("1234567890", 1, 48);
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

static bool wf(const char *ks, const char *partner)
{
    return kc_ks_well_formed(ks, strlen(ks), partner);
}

/* A copy of ks with text inserted at byte at; malloc'd. */
static char *spliced(const char *ks, size_t at, const char *text)
{
    size_t n = strlen(ks), t = strlen(text);
    char *out = malloc(n + t + 1);
    if (out == NULL)
        abort();
    memcpy(out, ks, at);
    memcpy(out + at, text, t);
    memcpy(out + at + t, ks + at, n - at + 1);
    return out;
}

static void test_ks_shape(void)
{
    tap_ok(wf(KS_VECTOR_V2, "12345") && wf(KS_VECTOR_V2, NULL), "v2 vector (§5.4): well-formed");
    tap_ok(wf(KS_VECTOR_V1, "12345") && wf(KS_VECTOR_V1, NULL), "v1 vector (§5.4): well-formed");
    tap_ok(!wf(KS_VECTOR_V2, "54321") && !wf(KS_VECTOR_V2, "1234") && !wf(KS_VECTOR_V2, "123456") &&
               !wf(KS_VECTOR_V2, "012345"),
           "v2 vector: not a KS of another partner (nor of a prefix or extension of its id)");
    tap_ok(!wf(KS_VECTOR_V1, "54321") && !wf(KS_VECTOR_V1, "1234") && !wf(KS_VECTOR_V1, "123456"),
           "v1 vector: not a KS of another partner");
    /* what a Unicode line splitter breaks at, anywhere */
    const char *breaks[] = {"\xe2\x80\xa8", "\xc2\x85", "\n", "\r", " ", "\t", "\x7f"};
    for (size_t i = 0; i < sizeof breaks / sizeof breaks[0]; i++) {
        char *bad = spliced(KS_VECTOR_V2, 40, breaks[i]);
        char *bad1 = spliced(KS_VECTOR_V1, 8, breaks[i]);
        tap_ok(!wf(bad, NULL) && !wf(bad1, NULL), "a KS with byte 0x%02x... inserted: refused",
               (unsigned char)breaks[i][0]);
        free(bad);
        free(bad1);
    }
    char *cut = strdup(KS_VECTOR_V2);
    cut[strlen(cut) - 1] = '\0';
    tap_ok(!wf(cut, NULL), "v2 without its '=' padding: refused");
    free(cut);
    char *mid = spliced(KS_VECTOR_V2, 20, "====");
    tap_ok(!wf(mid, NULL), "'=' inside: refused");
    free(mid);
    tap_ok(!wf("djJ8", NULL) && !wf("", NULL) && !wf("djJ8MTIzNDV8", NULL) &&
               !kc_ks_well_formed(NULL, 0, NULL),
           "a bare header, nothing, NULL: refused");

    /* v2: the ciphertext is a multiple of 16 bytes, 48 at least */
    char *ks = ks_forge_v2("12345", 1, 48);
    tap_ok(wf(ks, "12345"), "v2, 48 bytes of ciphertext: well-formed");
    free(ks);
    ks = ks_forge_v2("12345", 1, 47);
    tap_ok(!wf(ks, "12345"), "v2, 47 bytes: refused");
    free(ks);
    ks = ks_forge_v2("12345", 1, 32);
    tap_ok(!wf(ks, "12345"), "v2, 32 bytes: refused");
    free(ks);
    ks = ks_forge_v2("12345", 1, 49);
    tap_ok(!wf(ks, "12345"), "v2, 49 bytes: refused");
    free(ks);
    ks = ks_forge_v2("1234567890", 1, 64);
    tap_ok(wf(ks, NULL) && wf(ks, "1234567890"), "v2, a 10-digit partner id");
    free(ks);
    ks = ks_forge_v2("12345678901", 1, 64);
    tap_ok(!wf(ks, NULL), "v2, an 11-digit partner id: refused");
    free(ks);
    ks = ks_forge_v2("", 1, 64);
    tap_ok(!wf(ks, NULL), "v2, an empty partner id: refused");
    free(ks);
    ks = ks_forge_v2("12a45", 1, 64);
    tap_ok(!wf(ks, NULL), "v2, a partner id with a letter: refused");
    free(ks);
    /* base64 and base64url digits are both accepted (the server maps - _ to + /) */
    char *std = strdup(KS_VECTOR_V2);
    for (char *c = std; *c; c++) {
        if (*c == '-')
            *c = '+';
        else if (*c == '_')
            *c = '/';
    }
    tap_ok(wf(std, "12345"), "v2 in the standard alphabet: well-formed");
    free(std);

    /* v1: 40 lowercase hex digits, '|', the partner id and at least 3 ';'-fields */
    ks = ks_forge_v1(NULL, "12345;12345;1700000000");
    tap_ok(wf(ks, "12345"), "v1, three fields: well-formed");
    free(ks);
    ks = ks_forge_v1(NULL, "12345;12345");
    tap_ok(!wf(ks, "12345"), "v1, two fields: refused");
    free(ks);
    ks = ks_forge_v1(NULL, "54321;12345;1700000000");
    tap_ok(!wf(ks, "12345"), "v1 whose first field is another partner: refused");
    free(ks);
    ks = ks_forge_v1("706CE0659B6B6EBD8CB73CF6A646F678EA4A4A30", "12345;12345;1");
    tap_ok(!wf(ks, NULL), "v1, uppercase signature: refused");
    free(ks);
    ks = ks_forge_v1("706ce0659b6b6ebd8cb73cf6a646f678ea4a4a3", "12345;12345;1");
    tap_ok(!wf(ks, NULL), "v1, a 39-digit signature: refused");
    free(ks);
    ks = ks_forge_v1(NULL, "12345;12345;1\xe2\x80\xa8x");
    tap_ok(wf(ks, "12345"), "v1: the fields' bytes are the server's business (base64 hides them)");
    free(ks);
}

static void test_printable_ascii(void)
{
    tap_ok(kc_printable_ascii("alice@example.com ~!", 20), "printable ASCII");
    tap_ok(!kc_printable_ascii("a\xe2\x80\xa8"
                               "b",
                               5) &&
               !kc_printable_ascii("a\xc2\x85", 3) && !kc_printable_ascii("a\nb", 3) &&
               !kc_printable_ascii("a\x7f", 2) && !kc_printable_ascii("\xff", 1),
           "U+2028, U+0085, newline, DEL, 0xff: not");
}

int main(void)
{
    test_longest_answer();
    test_profile_names();
    test_ks_shape();
    test_printable_ascii();
    return tap_done();
}
