/* Kaltura error code -> message mapping, and that server text cannot leak a secret. */
#include <string.h>

#include "kaltura_errors.h"
#include "tap.h"

int main(void)
{
    char buf[512];
    const char *m = kc_kaltura_error_meaning("INVALID_APP_TOKEN_HASH");
    tap_ok(m && strstr(m, "hash_function") && strstr(m, "token"),
           "INVALID_APP_TOKEN_HASH names the token and hash_function");
    static const char *const codes[] = {"APP_TOKEN_ID_NOT_FOUND", "APP_TOKEN_NOT_ACTIVE",
                                        "APP_TOKEN_EXPIRED", "INVALID_KS", "SERVICE_FORBIDDEN"};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        tap_ok(kc_kaltura_error_meaning(codes[i]) != NULL, "%s has a meaning", codes[i]);
    tap_ok(kc_kaltura_error_meaning("NO_SUCH_CODE") == NULL, "unknown code: no meaning");

    kc_kaltura_error_format(buf, sizeof buf, "INVALID_APP_TOKEN_HASH",
                            "Invalid application token hash", NULL);
    tap_ok(strncmp(buf, "INVALID_APP_TOKEN_HASH: ", 24) == 0 &&
               strstr(buf, "(server said: Invalid application token hash)"),
           "format: CODE: meaning (server said: ...) [%s]", buf);

    kc_kaltura_error_format(buf, sizeof buf, "SOMETHING_NEW", "odd", NULL);
    tap_ok(strstr(buf, "SOMETHING_NEW: ") == buf && strstr(buf, "odd"),
           "unknown code still shown with the server text");

    const char *secret = "short-secret";
    const char *redact[] = {secret, NULL};
    kc_kaltura_error_format(buf, sizeof buf, "INVALID_KS", "Invalid KS \"short-secret\"", redact);
    tap_ok(!strstr(buf, secret) && strstr(buf, "<redacted>"), "listed secrets are redacted");

    /* regression (fuzz_api_parse): a listed secret inside a short base64 run leaked */
    kc_kaltura_error_format(buf, sizeof buf, "INVALID_KS", "Invalid KS=short-secret.", redact);
    tap_ok(!strstr(buf, secret) && strstr(buf, "KS=<redacted>"),
           "a listed secret inside a short base64 run is redacted");

    kc_kaltura_error_format(buf, sizeof buf, "INVALID_KS",
                            "Invalid KS \"djJ8MTIzNDV8AZjSBOczIAVk1HR2mRxggOeMp-tmyIe6Enajr\"",
                            NULL);
    tap_ok(!strstr(buf, "djJ8MTIz"), "a long base64 run (an echoed KS) is redacted");

    kc_kaltura_error_format(buf, sizeof buf, "X", "line1\nline2\r\x1b[31m", NULL);
    tap_ok(!strchr(buf, '\n') && !strchr(buf, '\r') && !strchr(buf, '\x1b'),
           "control characters never reach the message");

    char longmsg[2000];
    memset(longmsg, 'a', sizeof longmsg - 1);
    for (size_t i = 0; i < sizeof longmsg - 1; i += 10)
        longmsg[i] = ' ';
    longmsg[sizeof longmsg - 1] = '\0';
    kc_kaltura_error_format(buf, sizeof buf, "X", longmsg, NULL);
    tap_ok(strlen(buf) < 400, "server text is capped");
    return tap_done();
}
