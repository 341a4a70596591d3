/* Strict parser of the helper's key=value output (see helper_output.h). */
#include "helper_output.h"

#include <string.h>

static enum pk_parse_result fail(const char **why, const char *reason)
{
    *why = reason;
    return PK_PARSE_ERROR;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int key_is(const char *key, size_t key_len, const char *name)
{
    return key_len == strlen(name) && memcmp(key, name, key_len) == 0;
}

/* Parses into *out; on error *out may hold partial views (the caller discards them). */
static enum pk_parse_result parse(const char *buf, size_t len, struct pk_helper_output *out,
                                  const char **why)
{
    size_t pos = 0;

    if (len == 0)
        return PK_PARSE_EMPTY;
    if (len > KC_ANSWER_MAX)
        return fail(why, "output too large");
    if (memchr(buf, '\0', len) != NULL)
        return fail(why, "NUL byte in output");
    if (memchr(buf, '\r', len) != NULL)
        return fail(why, "carriage return in output");
    if (buf[len - 1] != '\n')
        return fail(why, "last line does not end in a newline");

    while (pos < len) {
        const char *line = buf + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t line_len = (size_t)(nl - line);
        const char *eq = memchr(line, '=', line_len);
        size_t key_len, value_len;
        const char *value;

        pos += line_len + 1;
        if (!kc_printable_ascii(line, line_len))
            return fail(why, "a character in the output that is not printable ASCII");
        if (line_len == 0) {
            if (pos != len)
                return fail(why, "text after the blank line");
            break;
        }
        if (eq == NULL)
            return fail(why, "line without '='");
        key_len = (size_t)(eq - line);
        if (key_len == 0)
            return fail(why, "line with an empty key");
        value = eq + 1;
        value_len = line_len - key_len - 1;

        if (key_is(line, key_len, "password")) {
            if (out->password != NULL)
                return fail(why, "password given twice");
            if (value_len == 0)
                return fail(why, "empty password");
            if (value_len > KC_ANSWER_MAX_KS)
                return fail(why, "password too long");
            if (!kc_ks_well_formed(value, value_len, NULL))
                return fail(why, "password is not a well-formed KS");
            out->password = value;
            out->password_len = value_len;
        } else if (key_is(line, key_len, "password_expiry_utc")) {
            if (out->expiry != NULL)
                return fail(why, "password_expiry_utc given twice");
            if (value_len == 0 || value_len > KC_ANSWER_MAX_EXPIRY || !all_digits(value, value_len))
                return fail(why, "password_expiry_utc is not a number");
            out->expiry = value;
            out->expiry_len = value_len;
        }
        /* Other keys (protocol, host, username, ...) are ignored. */
    }
    if (out->password == NULL)
        return fail(why, "no password in output");
    return PK_PARSE_OK;
}

enum pk_parse_result pk_helper_output_parse(const char *buf, size_t len,
                                            struct pk_helper_output *out, const char **why)
{
    struct pk_helper_output tmp = {0};
    enum pk_parse_result r;

    *why = NULL;
    r = parse(buf, len, &tmp, why);
    /* Nothing partial: the caller sees either a complete result or nothing. */
    if (r == PK_PARSE_OK)
        *out = tmp;
    else
        memset(out, 0, sizeof *out);
    return r;
}
