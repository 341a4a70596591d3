/* Unit tests of the PAM module's strict parser of the helper's output (no PAM needed). */
#include <stdio.h>
#include <string.h>

#include "helper_output.h"
#include "ks_forge.h"
#include "tap.h"

static enum pk_parse_result parse(const char *s, struct pk_helper_output *out, const char **why)
{
    return pk_helper_output_parse(s, strlen(s), out, why);
}

static void expect_error(const char *input, const char *label)
{
    struct pk_helper_output out;
    const char *why = NULL;
    enum pk_parse_result r = parse(input, &out, &why);

    tap_ok(r == PK_PARSE_ERROR && why != NULL && out.password == NULL && out.expiry == NULL,
           "rejected: %s (%s)", label, why ? why : "-");
}

int main(void)
{
    struct pk_helper_output out;
    const char *why;
    char big[KC_ANSWER_MAX + 64];

    const size_t v2 = strlen(KS_VECTOR_V2);
    /* The helper's normal answer; the KS ends in '=' and keeps it. */
    TAP_CHECK(parse("protocol=https\nhost=www.kaltura.com\nusername=u\n"
                    "password=" KS_VECTOR_V2 "\npassword_expiry_utc=1700000000\n",
                    &out, &why) == PK_PARSE_OK);
    TAP_CHECK(out.password_len == v2 && memcmp(out.password, KS_VECTOR_V2, v2) == 0);
    TAP_CHECK(out.expiry_len == 10 && memcmp(out.expiry, "1700000000", 10) == 0);

    /* The value starts after the first '='; a v1 KS (partner 12345 or any other) is fine. */
    TAP_CHECK(parse("password=" KS_VECTOR_V1 "\n", &out, &why) == PK_PARSE_OK);
    TAP_CHECK(out.password_len == strlen(KS_VECTOR_V1) &&
              memcmp(out.password, KS_VECTOR_V1, out.password_len) == 0 && out.expiry == NULL);
    char *other = ks_forge_v2("54321", 3, 64);
    char line[256];
    snprintf(line, sizeof line, "password=%s\n", other);
    TAP_CHECK(parse(line, &out, &why) == PK_PARSE_OK);
    free(other);

    /* A trailing blank line ends the output. */
    TAP_CHECK(parse("password=" KS_VECTOR_V2 "\n\n", &out, &why) == PK_PARSE_OK &&
              out.password_len == v2);

    /* Empty output: the helper had nothing for us. */
    TAP_CHECK(pk_helper_output_parse("", 0, &out, &why) == PK_PARSE_EMPTY);

    /* Unknown keys are ignored. */
    TAP_CHECK(parse("x-future=1\npassword=" KS_VECTOR_V2 "\n", &out, &why) == PK_PARSE_OK);

    expect_error("password=" KS_VECTOR_V2, "no final newline");
    expect_error("password=" KS_VECTOR_V2 "\npassword_expiry_utc=1", "last line without newline");
    expect_error("password=" KS_VECTOR_V2 "\r\n", "carriage return");
    expect_error("password=\n", "empty password");
    expect_error("password=" KS_VECTOR_V2 "\npassword=" KS_VECTOR_V1 "\n", "duplicate password");
    expect_error("password=" KS_VECTOR_V2 "\npassword_expiry_utc=1\npassword_expiry_utc=2\n",
                 "duplicate expiry");
    expect_error("password=" KS_VECTOR_V2 "\npassword_expiry_utc=12a\n", "non-digit expiry");
    expect_error("password=" KS_VECTOR_V2 "\npassword_expiry_utc=-1\n", "negative expiry");
    expect_error("password=" KS_VECTOR_V2 "\npassword_expiry_utc=\n", "empty expiry");
    expect_error("password=" KS_VECTOR_V2 "\npassword_expiry_utc=12345678901234567890\n",
                 "20-digit expiry");
    expect_error("garbage\n", "line without '='");
    expect_error("=value\npassword=" KS_VECTOR_V2 "\n", "empty key");
    expect_error("username=u\n", "no password");
    expect_error("\npassword=" KS_VECTOR_V2 "\n", "text after blank line");
    expect_error("\n", "blank line only");
    TAP_CHECK(pk_helper_output_parse("password=a\0b\n", 13, &out, &why) == PK_PARSE_ERROR);

    /* item 7 of the security review: what a Unicode line splitter breaks at, anywhere; a
     * password that is not a KS */
    expect_error("password=djJ8MTIz\xe2\x80\xa8password=x\n", "U+2028 in the password");
    expect_error("password=djJ8\xc2\x85MTIz\n", "U+0085 in the password");
    expect_error("username=bob\xe2\x80\xa8password=x\npassword=" KS_VECTOR_V2 "\n",
                 "U+2028 in the username");
    expect_error("username=bob\xc2\x85\npassword=" KS_VECTOR_V2 "\n", "U+0085 in the username");
    expect_error("host=h\x01\npassword=" KS_VECTOR_V2 "\n", "a control character");
    expect_error("password=" KS_VECTOR_V2 "\nusername=\x7f\n", "DEL");
    expect_error("password=a=b=c\n", "not a KS: '=' inside");
    expect_error("password=abc\n", "not a KS: abc");
    expect_error("password=djJ8MTIzNDV8YWJj\n", "not a KS: a v2 header and 3 bytes");

    /* Length caps: the longest KS (test_contract.c builds it), and more */
    char *longest = ks_forge_v2("1234567890", 1, 12272);
    memcpy(big, "password=", 9);
    memcpy(big + 9, longest, KC_ANSWER_MAX_KS);
    big[9 + KC_ANSWER_MAX_KS] = '\n';
    TAP_CHECK(pk_helper_output_parse(big, 10 + KC_ANSWER_MAX_KS, &out, &why) == PK_PARSE_OK &&
              out.password_len == KC_ANSWER_MAX_KS);
    free(longest);
    memset(big + 9, 'k', KC_ANSWER_MAX_KS + 1);
    big[10 + KC_ANSWER_MAX_KS] = '\n';
    TAP_CHECK(pk_helper_output_parse(big, 11 + KC_ANSWER_MAX_KS, &out, &why) == PK_PARSE_ERROR);
    memset(big, 'x', sizeof big);
    big[sizeof big - 1] = '\n';
    TAP_CHECK(pk_helper_output_parse(big, sizeof big, &out, &why) == PK_PARSE_ERROR);

    return tap_done();
}
