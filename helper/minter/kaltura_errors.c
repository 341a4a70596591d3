/* Kaltura error code table (codes from doc/kaltura-api.md §1, §2, §4.6, §6). */
#include "kaltura_errors.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *code;
    const char *meaning;
} table[] = {
    {"INVALID_APP_TOKEN_HASH",
     "the server rejected the token hash: wrong token, or hash_function does not match the "
     "token's hashType; run `kaltura-credential login` again or fix hash_function"},
    {"APP_TOKEN_ID_NOT_FOUND",
     "no such App Token on this partner (unknown, deleted, or another partner's); check "
     "app_token_id and partner_id"},
    {"APP_TOKEN_NOT_ACTIVE", "the App Token is disabled; ask the partner admin to enable it"},
    {"APP_TOKEN_EXPIRED", "the App Token has expired; create a new one and run "
                          "`kaltura-credential login`"},
    {"INVALID_KS", "the server did not accept the session (expired, ended or not valid here)"},
    {"SERVICE_FORBIDDEN", "this session may not call that service; check the token's "
                          "permissions and the partner_id"},
    {"MISSING_KS", "the server needs a session for this call"},
    {"INVALID_WIDGET_ID", "the partner's default widget was not found; check partner_id"},
    {"START_SESSION_ERROR", "the server could not start a session for this partner"},
    {"START_WIDGET_SESSION_ERROR", "the server could not start a widget session"},
    {"INVALID_ENUM_VALUE", "a parameter had a value the server does not accept; check "
                           "session_type"},
    {"MISSING_MANDATORY_PARAMETER", "a required parameter was missing (a bug in this program?)"},
    {"INVALID_FIELD_VALUE", "the server refused a value; check user_id and privileges"},
    {"PARTNER_ACCESS_FORBIDDEN", "the session's partner may not access this partner"},
    /* Kaltura's own spelling, "SERVERL" (doc/kaltura-api.md §4.6): the code the server sends.
     * Do not "fix" it, or this meaning is never found. */
    {"INTERNAL_SERVERL_ERROR", "the server had an internal error; try again later"},
};

const char *kc_kaltura_error_meaning(const char *code)
{
    if (!code)
        return NULL;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].code, code) == 0)
            return table[i].meaning;
    return NULL;
}

#define MAX_SERVER_MESSAGE 200
/* A run of base64 characters this long is taken for a KS or token the server echoed. */
#define SECRET_LIKE_RUN 32

static int is_b64(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/' || c == '=' || c == '_' || c == '-';
}

/* Copies printable ASCII of src into dst (cap bytes + NUL), redacting secrets. */
static void sanitise(char *dst, size_t cap, const char *src, const char *const *redact)
{
    static const char mark[] = "<redacted>";
    size_t o = 0;
    while (*src && o < cap) {
        size_t skip = 0;
        for (const char *const *r = redact; r && *r; r++) {
            size_t n = strlen(*r);
            if (n && strncmp(src, *r, n) == 0) {
                skip = n;
                break;
            }
        }
        if (!skip) {
            size_t run = 0;
            while (is_b64(src[run]))
                run++;
            if (run >= SECRET_LIKE_RUN)
                skip = run;
            else if (run > 0) { /* a short run: copy one character, check the next one
                                 * against redact again (a secret may start mid-run) */
                dst[o++] = *src++;
                continue;
            }
        }
        if (skip) {
            for (size_t i = 0; mark[i] && o < cap; i++)
                dst[o++] = mark[i];
            src += skip;
            continue;
        }
        unsigned char c = (unsigned char)*src++;
        dst[o++] = (char)((c >= 0x20 && c < 0x7f) ? c : '?');
    }
    dst[o] = '\0';
}

char *kc_kaltura_error_format(char *buf, size_t size, const char *code, const char *message,
                              const char *const *redact)
{
    char safe_code[64], safe_msg[MAX_SERVER_MESSAGE + 1];
    sanitise(safe_code, sizeof safe_code - 1, code && *code ? code : "UNKNOWN_ERROR", redact);
    sanitise(safe_msg, sizeof safe_msg - 1, message ? message : "", redact);
    const char *meaning = kc_kaltura_error_meaning(code);
    if (!meaning)
        meaning = "the Kaltura server refused the request";
    if (safe_msg[0])
        snprintf(buf, size, "%s: %s (server said: %s)", safe_code, meaning, safe_msg);
    else
        snprintf(buf, size, "%s: %s", safe_code, meaning);
    return buf;
}
