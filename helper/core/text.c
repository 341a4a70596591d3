/* The printable-text predicate (text.h). */
#include "text.h"

bool kc_text_ok(const char *s, size_t max, unsigned rules)
{
    if (s == NULL)
        return false;
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        unsigned char c = (unsigned char)s[n];
        if (n >= max || c < 0x20 || c == 0x7f || (c == ' ' && (rules & KC_TEXT_NO_SPACE)) ||
            (c > 0x7e && (rules & KC_TEXT_ASCII)))
            return false;
    }
    return n > 0 || !(rules & KC_TEXT_NONEMPTY);
}
