/* The one writer of the answer (answer.h). */
#include "answer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "diag.h"
#include "protocol.h"
#include "secure_mem.h"
#include "text.h"

void kc_answer_clear(struct kc_answer *a)
{
    secure_free_str(a->ks);
    free(a->username);
    free(a->protocol);
    free(a->host);
    free(a->service_url);
    free(a->partner_id);
    free(a->user_id);
    free(a->privileges);
    memset(a, 0, sizeof *a);
}

static bool digits_ok(const char *s, size_t max)
{
    size_t n = s != NULL ? strlen(s) : 0;
    return n > 0 && n <= max && strspn(s, "0123456789") == n;
}

bool kc_answer_ok(const struct kc_answer *a)
{
    const unsigned word = KC_TEXT_NONEMPTY | KC_TEXT_NO_SPACE | KC_TEXT_ASCII;
    return a->ks != NULL && digits_ok(a->partner_id, KC_ANSWER_MAX_PARTNER_ID) &&
           kc_ks_well_formed(a->ks, strlen(a->ks), a->partner_id) &&
           kc_text_ok(a->username, KC_ANSWER_MAX_USERNAME, KC_TEXT_NONEMPTY | KC_TEXT_ASCII) &&
           kc_text_ok(a->protocol, KC_ANSWER_MAX_PROTOCOL, word) &&
           kc_text_ok(a->host, KC_ANSWER_MAX_HOST, word) && a->expiry > 0 &&
           kc_text_ok(a->service_url, KC_ANSWER_MAX_SERVICE_URL, word) &&
           (a->user_id == NULL || kc_text_ok(a->user_id, KC_ANSWER_MAX_USERNAME, KC_TEXT_ASCII)) &&
           (a->privileges == NULL ||
            kc_text_ok(a->privileges, KC_ANSWER_MAX_PRIVILEGES, KC_TEXT_ASCII));
}

/* ---- shells ---- */

/* Single quotes, each ' written as '\'' : a POSIX shell reads the value back byte for byte. */
static int put_quoted(FILE *out, const char *s)
{
    if (fputc('\'', out) == EOF)
        return -1;
    for (; *s != '\0'; s++)
        if ((*s == '\'' ? fputs("'\\''", out) : fputc(*s, out)) == EOF)
            return -1;
    return fputc('\'', out) == EOF ? -1 : 0;
}

/* Nothing a shell would interpret: such a value stays bare (a KS, a number, a plain URL), so
 * readers of NAME=VALUE files that do not unquote (docker --env-file) get it as it is. */
static bool shell_plain(const char *s)
{
    static const char plain[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                "0123456789_@%+=:,./-";
    return s[0] != '\0' && strspn(s, plain) == strlen(s);
}

static int put_var(FILE *out, bool export, const char *name, const char *value)
{
    if (fprintf(out, "%s%s=", export ? "export " : "", name) < 0)
        return -1;
    if (!export && shell_plain(value))
        return fputs(value, out) == EOF ? -1 : 0;
    return put_quoted(out, value);
}

void kc_answer_vars(const struct kc_answer *a, const char *ks_var, char expiry[24],
                    struct kc_answer_var vars[KC_ANSWER_VARS])
{
    snprintf(expiry, 24, "%lld", a->expiry);
    vars[0] = (struct kc_answer_var){ks_var, a->ks};
    vars[1] = (struct kc_answer_var){KC_VAR_EXPIRY, expiry};
    vars[2] = (struct kc_answer_var){KC_VAR_PARTNER, a->partner_id};
    vars[3] = (struct kc_answer_var){KC_VAR_URL, a->service_url};
}

static int write_vars(FILE *out, const struct kc_answer *a, bool export)
{
    char expiry[24];
    struct kc_answer_var vars[KC_ANSWER_VARS];
    kc_answer_vars(a, KC_VAR_KS, expiry, vars);
    for (size_t i = 0; i < KC_ANSWER_VARS; i++)
        if (put_var(out, export, vars[i].name, vars[i].value) != 0 || fputc('\n', out) == EOF)
            return -1;
    return 0;
}

/* ---- JSON ---- */

/* A JSON string; NULL is null. Every value is printable already: escaping is belt and braces. */
static int put_json_str(FILE *out, const char *s)
{
    if (s == NULL)
        return fputs("null", out) == EOF ? -1 : 0;
    if (fputc('"', out) == EOF)
        return -1;
    for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++) {
        int rc;
        if (*c == '"' || *c == '\\')
            rc = fprintf(out, "\\%c", *c);
        else if (*c < 0x20 || *c == 0x7f)
            rc = fprintf(out, "\\u%04x", *c);
        else
            rc = fputc(*c, out) == EOF ? -1 : 0;
        if (rc < 0)
            return -1;
    }
    return fputc('"', out) == EOF ? -1 : 0;
}

static int write_json(FILE *out, const struct kc_answer *a)
{
    /* partnerId and expiry are numbers, as in KalturaSessionInfo; no user: null */
    const char *user = a->user_id != NULL && a->user_id[0] != '\0' ? a->user_id : NULL;
    if (fputs("{\"ks\":", out) == EOF || put_json_str(out, a->ks) != 0 ||
        fprintf(out, ",\"expiry\":%lld,\"partnerId\":%s,\"serviceUrl\":", a->expiry,
                a->partner_id) < 0 ||
        put_json_str(out, a->service_url) != 0 || fputs(",\"userId\":", out) == EOF ||
        put_json_str(out, user) != 0 || fputs(",\"privileges\":", out) == EOF ||
        put_json_str(out, a->privileges) != 0 || fputs("}\n", out) == EOF)
        return -1;
    return 0;
}

static int write_answer(FILE *out, const struct kc_answer *a, enum kc_answer_format format)
{
    char expiry[24];
    switch (format) {
    case KC_ANSWER_BARE:
        return fprintf(out, "%s\n", a->ks) < 0 ? -1 : 0;
    case KC_ANSWER_ENV:
    case KC_ANSWER_EXPORT:
        return write_vars(out, a, format == KC_ANSWER_EXPORT);
    case KC_ANSWER_JSON:
        return write_json(out, a);
    case KC_ANSWER_CREDENTIAL:
        break;
    }
    snprintf(expiry, sizeof expiry, "%lld", a->expiry);
    if (kc_proto_write(out, "protocol", a->protocol) != 0 ||
        kc_proto_write(out, "host", a->host) != 0 ||
        kc_proto_write(out, "username", a->username) != 0 ||
        kc_proto_write(out, "password", a->ks) != 0 ||
        kc_proto_write(out, "password_expiry_utc", expiry) != 0)
        return -1;
    return 0;
}

int kc_answer_check(const struct kc_answer *a)
{
    if (kc_answer_ok(a))
        return KC_EXIT_OK;
    diag_error("the KS is not a well-formed KS of partner %s, or a value given with it is not "
               "printable ASCII, or is too long",
               a->partner_id != NULL && kc_text_ok(a->partner_id, KC_KS_PARTNER_MAX,
                                                   KC_TEXT_NONEMPTY | KC_TEXT_ASCII)
                   ? a->partner_id
                   : "(none)");
    return KC_EXIT_BAD_RESPONSE;
}

int kc_answer_print(FILE *out, const struct kc_answer *a, enum kc_answer_format format)
{
    int rc = kc_answer_check(a);
    if (rc != KC_EXIT_OK)
        return rc;
    errno = 0;
    if (write_answer(out, a, format) != 0 || fflush(out) != 0) {
        diag_error("cannot write to standard output: %s", errno ? strerror(errno) : "write error");
        return KC_EXIT_INTERNAL;
    }
    return KC_EXIT_OK;
}
