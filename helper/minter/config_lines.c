/* Line numbers for config messages (config_lines.h). */
#include "config_lines.h"

#include <glib.h>
#include <string.h>

enum probe { BAD, GROUP, KEY };

/* Does the prefix of text made of its first n lines fail (BAD) or hold group (and key)? */
static bool holds(const char *text, unsigned n, enum probe what, const char *group, const char *key)
{
    const char *end = text;
    for (unsigned i = 0; i < n && *end; i++) {
        const char *nl = strchr(end, '\n');
        end = nl ? nl + 1 : end + strlen(end);
    }
    g_autoptr(GKeyFile) kf = g_key_file_new();
    bool loads = g_key_file_load_from_data(kf, text, (gsize)(end - text), G_KEY_FILE_NONE, NULL);
    if (what == BAD)
        return !loads;
    return loads && (what == GROUP ? g_key_file_has_group(kf, group)
                                   : g_key_file_has_key(kf, group, key, NULL));
}

/* The first n in 1..lines for which holds() is true (it stays true for every longer
 * prefix: for a group or key, up to a line that fails), or 0. */
static unsigned first_line(const char *text, enum probe what, const char *group, const char *key)
{
    unsigned lines = 1;
    for (const char *c = text; *c; c++)
        lines += *c == '\n' && c[1] != '\0';
    if (what != BAD) { /* only the prefixes that load */
        unsigned bad = first_line(text, BAD, NULL, NULL);
        lines = bad ? bad - 1 : lines;
        if (lines == 0)
            return 0;
    }
    if (!holds(text, lines, what, group, key))
        return 0;
    unsigned lo = 1, hi = lines; /* the answer is in [lo, hi] */
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (holds(text, mid, what, group, key))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

unsigned kc_config_bad_line(const char *text)
{
    return first_line(text, BAD, NULL, NULL);
}

unsigned kc_config_group_line(const char *text, const char *group)
{
    return first_line(text, GROUP, group, NULL);
}

unsigned kc_config_key_line(const char *text, const char *group, const char *key)
{
    return first_line(text, KEY, group, key);
}

bool kc_config_name_showable(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && n <= 32 && strspn(name, "abcdefghijklmnopqrstuvwxyz_") == n;
}
