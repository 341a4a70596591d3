/* libFuzzer target: the Kaltura api_v3 JSON answer parser (helper/minter/kaltura_api.c
 * kc_api_parse): KalturaSessionInfo, widget sessions, session.end's null and KalturaAPIException
 * bodies. The first input byte picks the expected answer kind; the rest is the body. Invariants:
 * success gives a well-formed KS of the profile's partner (contract.h kc_ks_well_formed: at most
 * KC_ANSWER_MAX_KS bytes of the base64 alphabet), an expiry after `now` for a session, a user id
 * and privileges of printable ASCII; a body opening more than KC_JSON_MAX_OPENERS
 * levels never succeeds (json_depth.h); failure gives exactly KC_EXIT_REJECTED (with a
 * NUL-terminated printable code) or KC_EXIT_BAD_RESPONSE, a one-line message that never
 * contains a redacted secret, and nothing in out. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "contract.h"
#include "json_depth.h"
#include "kaltura_api.h"

#define NOW     1700000000LL
#define PARTNER "12345" /* the partner of the test vectors (doc/kaltura-api.md §5.4) */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_line(const char *s, size_t max)
{
    if (s == NULL || strlen(s) > max)
        abort();
    for (; *s; s++)
        if (*s == '\n' || *s == '\0')
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const enum kc_api_answer kinds[] = {KC_ANSWER_SESSION_INFO, KC_ANSWER_WIDGET,
                                               KC_ANSWER_ANY};
    enum kc_api_answer kind = kinds[data[0] % 3];
    size_t len = size - 1;
    char *body = malloc(len ? len : 1); /* exactly sized, not NUL-terminated */
    if (body == NULL)
        abort();
    memcpy(body, data + 1, len);
    /* the secrets a real call passes: the widget KS and the token hash */
    const char *redact[] = {"djJ8MTIzNDV8SECRETWIDGETKS", "5ecre7a5b1e0123456789abcdef", NULL};
    struct kc_session s;
    char code[64];
    memset(code, 'X', sizeof code);
    GError *error = NULL;
    bool ok = kc_api_parse(body, len, kind, "appToken.startSession", redact, NOW, PARTNER, &s, code,
                           sizeof code, &error);
    if (ok) {
        if (error != NULL || code[0] != '\0' || !kc_json_depth_ok(body, len, KC_JSON_MAX_OPENERS))
            abort();
        if (kind != KC_ANSWER_ANY) {
            size_t n = s.ks ? strlen(s.ks) : 0;
            if (n == 0 || n > KC_ANSWER_MAX_KS || !kc_ks_well_formed(s.ks, n, PARTNER))
                abort();
            for (size_t i = 0; i < n; i++)
                if ((unsigned char)s.ks[i] <= 0x20 || (unsigned char)s.ks[i] >= 0x7f)
                    abort();
            if (kind == KC_ANSWER_SESSION_INFO && s.expiry <= NOW)
                abort();
            if (kind == KC_ANSWER_WIDGET && s.expiry != 0)
                abort();
            if (s.user_id) {
                one_line(s.user_id, KC_ANSWER_MAX_USERNAME);
                if (!kc_printable_ascii(s.user_id, strlen(s.user_id)))
                    abort();
            }
            if (s.privileges) {
                one_line(s.privileges, KC_ANSWER_MAX_PRIVILEGES);
                if (!kc_printable_ascii(s.privileges, strlen(s.privileges)))
                    abort();
            }
        }
    } else {
        if (error == NULL || error->domain != KC_ERROR || s.ks || s.user_id || s.privileges)
            abort();
        if (error->code != KC_EXIT_REJECTED && error->code != KC_EXIT_BAD_RESPONSE)
            abort();
        one_line(error->message, 4096);
        for (const char *const *r = redact; *r; r++)
            if (strstr(error->message, *r))
                abort();
        if (memchr(code, '\0', sizeof code) == NULL)
            abort();
        if (error->code == KC_EXIT_BAD_RESPONSE && code[0] != '\0')
            abort();
        g_error_free(error);
    }
    kc_session_clear(&s);
    free(body);
    return 0;
}
