/* A bound on how deeply a JSON text can nest, found before it is parsed: json-glib recurses
 * once per level, so a 64 KiB answer of '[' overflows a thread's stack (2 MiB) long before it
 * is refused. libc only, on a buffer (not NUL-terminated), for the unit tests and
 * fuzz_api_parse. */
#ifndef KC_JSON_DEPTH_H
#define KC_JSON_DEPTH_H

#include <stdbool.h>
#include <stddef.h>

/* No answer this client reads opens more than a few: KalturaSessionInfo one object, an
 * exception two (its args) and a '[' or two in its message. */
#define KC_JSON_MAX_OPENERS 32

/* true when text holds at most max '[' and '{' bytes, wherever they are. Every level of
 * nesting opens with one of them, so no parser nests deeper than that. Not a string-aware
 * depth count on purpose: json-glib's lexer also takes single-quoted strings and C comments,
 * and a pre-scan that misplaced a string boundary by its rules would miss whole levels
 * ("[ 'x\"', [[[...]]], '\"' ]"). */
bool kc_json_depth_ok(const char *text, size_t len, unsigned max);

#endif
