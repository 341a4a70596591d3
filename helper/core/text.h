/* "Is this one line of printable text?": the one predicate behind every value that reaches a
 * terminal, a protocol line, a config file or the keyring. libc only. */
#ifndef KC_TEXT_H
#define KC_TEXT_H

#include <stdbool.h>
#include <stddef.h>

enum kc_text_rule {
    KC_TEXT_ANY = 0,           /* printable: no byte below 0x20, no DEL (UTF-8 is fine) */
    KC_TEXT_NONEMPTY = 1 << 0, /* at least one byte */
    KC_TEXT_NO_SPACE = 1 << 1, /* no ' ' either (a KS, a host) */
    KC_TEXT_ASCII = 1 << 2,    /* no byte above 0x7e (a token) */
};

/* true when s is not NULL, at most max bytes long and follows rules (enum kc_text_rule ORed). */
bool kc_text_ok(const char *s, size_t max, unsigned rules);

#endif
