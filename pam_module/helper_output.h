/*
 * Strict parser of the helper's `get` output (design §3.4): key=value lines.
 * libc only and free of PAM, so it can be unit-tested and fuzzed on a plain buffer.
 */
#ifndef PAM_KALTURA_HELPER_OUTPUT_H
#define PAM_KALTURA_HELPER_OUTPUT_H

#include <stddef.h>

#include "contract.h"

/* Exactly what the helper may print (contract.h): its longest answer passes. */
#define KC_HELPER_OUTPUT_MAX KC_ANSWER_MAX        /* bytes of stdout we accept from the helper */
#define KC_KS_MAX            KC_ANSWER_MAX_KS     /* longest KS we accept */
#define KC_EXPIRY_DIGITS_MAX KC_ANSWER_MAX_EXPIRY /* fits in a signed 64-bit integer */

enum kc_parse_result {
    KC_PARSE_OK,    /* password found (expiry optional) */
    KC_PARSE_EMPTY, /* no output at all: the helper had nothing for us */
    KC_PARSE_ERROR, /* malformed: *why says how (never quotes the input) */
};

/* Views into the parsed buffer: nothing is copied, so there is no extra copy of the KS. */
struct kc_helper_output {
    const char *password;
    size_t password_len;
    const char *expiry; /* decimal digits, NULL when the helper gave none */
    size_t expiry_len;
};

/*
 * Rules: every line ends in '\n'; no NUL or '\r' anywhere; a line is KEY=VALUE with a
 * non-empty key; a blank line ends the output and may only be the last line; `password`
 * must be non-empty and at most KC_KS_MAX bytes; `password_expiry_utc` is 1..19 digits;
 * either key given twice is an error; other keys are ignored; output without `password`
 * is an error (unless it is empty).
 */
enum kc_parse_result kc_helper_output_parse(const char *buf, size_t len,
                                            struct kc_helper_output *out, const char **why);

#endif
