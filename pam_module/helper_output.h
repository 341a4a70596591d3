/*
 * Strict parser of the helper's `get` output (README "Commands"): key=value lines.
 * libc only and free of PAM, so it can be unit-tested and fuzzed on a plain buffer.
 */
#ifndef PAM_KALTURA_HELPER_OUTPUT_H
#define PAM_KALTURA_HELPER_OUTPUT_H

#include <stddef.h>

#include "contract.h"

/* The bounds are the helper's own (contract.h): at most KC_ANSWER_MAX bytes of output, a KS
 * of at most KC_ANSWER_MAX_KS bytes; its longest answer passes (tests/unit/test_contract.c). */

enum pk_parse_result {
    PK_PARSE_OK,    /* password found (expiry optional) */
    PK_PARSE_EMPTY, /* no output at all: the helper had nothing for us */
    PK_PARSE_ERROR, /* malformed: *why says how (never quotes the input) */
};

/* Views into the parsed buffer: nothing is copied, so there is no extra copy of the KS. */
struct pk_helper_output {
    const char *password;
    size_t password_len;
    const char *expiry; /* decimal digits, NULL when the helper gave none */
    size_t expiry_len;
};

/*
 * Rules: every line ends in '\n'; nothing but printable ASCII otherwise (no NUL, '\r', control
 * character, DEL, or byte above 0x7e: no U+2028 or U+0085 a Unicode line splitter would break
 * at, in any value, the ignored ones included); a line is KEY=VALUE with a non-empty key; a
 * blank line ends the output and may only be the last line; `password` must be a well-formed
 * KS (contract.h kc_ks_well_formed: base64/base64url of a v1 or v2 KS, at most
 * KC_ANSWER_MAX_KS bytes; of any partner: the module does not know which one the profile
 * names, the helper checked that); `password_expiry_utc` is 1 to KC_ANSWER_MAX_EXPIRY digits;
 * either key given twice is an error; other keys are ignored; output without `password`
 * is an error (unless it is empty).
 */
enum pk_parse_result pk_helper_output_parse(const char *buf, size_t len,
                                            struct pk_helper_output *out, const char **why);

#endif
