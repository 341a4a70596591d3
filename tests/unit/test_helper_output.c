/* Unit tests of the PAM module's strict parser of the helper's output (no PAM needed). */
#include <string.h>

#include "helper_output.h"
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

    /* The helper's normal answer; the KS ends in '=' and keeps it. */
    TAP_CHECK(parse("protocol=https\nhost=www.kaltura.com\nusername=u\n"
                    "password=djJ8MTIzNDV8YWJj==\npassword_expiry_utc=1700000000\n",
                    &out, &why) == PK_PARSE_OK);
    TAP_CHECK(out.password_len == 18 && memcmp(out.password, "djJ8MTIzNDV8YWJj==", 18) == 0);
    TAP_CHECK(out.expiry_len == 10 && memcmp(out.expiry, "1700000000", 10) == 0);

    /* '=' inside the value is part of the value. */
    TAP_CHECK(parse("password=a=b=c\n", &out, &why) == PK_PARSE_OK);
    TAP_CHECK(out.password_len == 5 && memcmp(out.password, "a=b=c", 5) == 0 && out.expiry == NULL);

    /* A trailing blank line ends the output. */
    TAP_CHECK(parse("password=abc\n\n", &out, &why) == PK_PARSE_OK && out.password_len == 3);

    /* Empty output: the helper had nothing for us. */
    TAP_CHECK(pk_helper_output_parse("", 0, &out, &why) == PK_PARSE_EMPTY);

    /* Unknown keys are ignored. */
    TAP_CHECK(parse("x-future=1\npassword=k\n", &out, &why) == PK_PARSE_OK);

    expect_error("password=abc", "no final newline");
    expect_error("password=abc\npassword_expiry_utc=1", "last line without newline");
    expect_error("password=abc\r\n", "carriage return");
    expect_error("password=\n", "empty password");
    expect_error("password=a\npassword=b\n", "duplicate password");
    expect_error("password=a\npassword_expiry_utc=1\npassword_expiry_utc=2\n", "duplicate expiry");
    expect_error("password=a\npassword_expiry_utc=12a\n", "non-digit expiry");
    expect_error("password=a\npassword_expiry_utc=-1\n", "negative expiry");
    expect_error("password=a\npassword_expiry_utc=\n", "empty expiry");
    expect_error("password=a\npassword_expiry_utc=12345678901234567890\n", "20-digit expiry");
    expect_error("garbage\n", "line without '='");
    expect_error("=value\npassword=a\n", "empty key");
    expect_error("username=u\n", "no password");
    expect_error("\npassword=a\n", "text after blank line");
    expect_error("\n", "blank line only");
    TAP_CHECK(pk_helper_output_parse("password=a\0b\n", 13, &out, &why) == PK_PARSE_ERROR);

    /* Length caps. */
    memcpy(big, "password=", 9);
    memset(big + 9, 'k', KC_ANSWER_MAX_KS);
    big[9 + KC_ANSWER_MAX_KS] = '\n';
    TAP_CHECK(pk_helper_output_parse(big, 10 + KC_ANSWER_MAX_KS, &out, &why) == PK_PARSE_OK &&
              out.password_len == KC_ANSWER_MAX_KS);
    memset(big + 9, 'k', KC_ANSWER_MAX_KS + 1);
    big[10 + KC_ANSWER_MAX_KS] = '\n';
    TAP_CHECK(pk_helper_output_parse(big, 11 + KC_ANSWER_MAX_KS, &out, &why) == PK_PARSE_ERROR);
    memset(big, 'x', sizeof big);
    big[sizeof big - 1] = '\n';
    TAP_CHECK(pk_helper_output_parse(big, sizeof big, &out, &why) == PK_PARSE_ERROR);

    return tap_done();
}
