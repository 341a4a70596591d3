/* The nesting pre-check (json_depth.h). */
#include "json_depth.h"

bool kc_json_depth_ok(const char *text, size_t len, unsigned max)
{
    unsigned openers = 0;
    for (size_t i = 0; i < len; i++)
        if ((text[i] == '[' || text[i] == '{') && ++openers > max)
            return false;
    return true;
}
