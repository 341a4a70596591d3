/* The printable-text predicate (helper/core/text.c). */
#include "tap.h"
#include "text.h"

int main(void)
{
    tap_ok(kc_text_ok("djJ8MTIz", 16, KC_TEXT_ANY), "plain text");
    tap_ok(kc_text_ok("", 16, KC_TEXT_ANY) && !kc_text_ok("", 16, KC_TEXT_NONEMPTY),
           "empty: only without KC_TEXT_NONEMPTY");
    tap_ok(!kc_text_ok(NULL, 16, KC_TEXT_ANY), "NULL is not text");
    tap_ok(kc_text_ok("abcd", 4, KC_TEXT_ANY) && !kc_text_ok("abcde", 4, KC_TEXT_ANY),
           "at most max bytes");
    tap_ok(!kc_text_ok("a\nb", 16, KC_TEXT_ANY) && !kc_text_ok("a\rb", 16, KC_TEXT_ANY) &&
               !kc_text_ok("a\tb", 16, KC_TEXT_ANY) && !kc_text_ok("a\x7f", 16, KC_TEXT_ANY) &&
               !kc_text_ok("\x1b[2J", 16, KC_TEXT_ANY),
           "no control character, no DEL");
    tap_ok(kc_text_ok("bob smith", 16, KC_TEXT_ANY) &&
               !kc_text_ok("bob smith", 16, KC_TEXT_NO_SPACE),
           "a space only without KC_TEXT_NO_SPACE");
    tap_ok(kc_text_ok("Jos\xc3\xa9", 16, KC_TEXT_ANY) &&
               !kc_text_ok("Jos\xc3\xa9", 16, KC_TEXT_ASCII),
           "UTF-8 only without KC_TEXT_ASCII");
    return tap_done();
}
