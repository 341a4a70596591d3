/* Where in a config file's text something is: the line a message names instead of quoting
 * it. GKeyFile's own parse errors quote the offending line, and a secret pasted into the
 * config (a token, a KS) must reach neither stderr nor, through the PAM module, syslog. */
#ifndef KC_CONFIG_LINES_H
#define KC_CONFIG_LINES_H

#include <stdbool.h>

/* 1-based line numbers; 0 when there is none (the text loads whole, the group or key is not
 * in it). GKeyFile itself is the judge: these load ever longer prefixes of whole lines (a
 * binary search, so about log2(lines) loads) and report the first one that fails, or that
 * has the group or key. */
unsigned kc_config_bad_line(const char *text);
unsigned kc_config_group_line(const char *text, const char *group);
unsigned kc_config_key_line(const char *text, const char *group, const char *key);

/* true when name may be shown in a message: what a config key or a typo of one looks like
 * (1 to 32 of a-z and '_'). A pasted token or KS parses as a key name too (the text before a
 * KS's '=' padding), and is never shown. */
bool kc_config_name_showable(const char *name);

#endif
