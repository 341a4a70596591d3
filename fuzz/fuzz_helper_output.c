/*
 * libFuzzer target for the PAM module's helper-output parser (pam_module/helper_output.c).
 * Checks the parser's promises on any input: views stay inside the buffer, OK means output of
 * printable ASCII lines, a password that is a well-formed KS (contract.h kc_ks_well_formed, any
 * partner) and an all-digit expiry, nothing partial on error. Registration belongs in
 * fuzz/meson.build (see doc/pam.md).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "helper_output.h"

static int inside(const char *p, size_t n, const uint8_t *buf, size_t len)
{
    return p >= (const char *)buf && p + n <= (const char *)buf + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pk_helper_output out;
    const char *why = NULL;
    /* A private copy, exactly sized, so that ASan catches any read past the end. */
    char *buf = malloc(size ? size : 1);
    enum pk_parse_result r;

    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    r = pk_helper_output_parse(buf, size, &out, &why);
    if (r == PK_PARSE_OK) {
        if (!inside(out.password, out.password_len, (const uint8_t *)buf, size) ||
            out.password_len == 0 || out.password_len > KC_ANSWER_MAX_KS ||
            memchr(out.password, '\n', out.password_len) ||
            memchr(out.password, '\r', out.password_len) ||
            memchr(out.password, '\0', out.password_len) ||
            !kc_ks_well_formed(out.password, out.password_len, NULL))
            abort();
        for (size_t i = 0; i < size; i++) /* lines of printable ASCII, nothing else */
            if (buf[i] != '\n' && !kc_printable_ascii(buf + i, 1))
                abort();
        if (out.expiry != NULL) {
            if (!inside(out.expiry, out.expiry_len, (const uint8_t *)buf, size) ||
                out.expiry_len == 0 || out.expiry_len > KC_ANSWER_MAX_EXPIRY)
                abort();
            for (size_t i = 0; i < out.expiry_len; i++)
                if (out.expiry[i] < '0' || out.expiry[i] > '9')
                    abort();
        }
    } else if (out.password != NULL || out.expiry != NULL || /* no result without OK */
               (r == PK_PARSE_ERROR && why == NULL) ||       /* an error says why */
               (r == PK_PARSE_EMPTY && size != 0)) {         /* EMPTY only for nothing */
        abort();
    }
    free(buf);
    return 0;
}
