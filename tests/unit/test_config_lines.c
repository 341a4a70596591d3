/* Line numbers for config messages (helper/minter/config_lines.c), with GKeyFile the judge. */
#include <string.h>

#include "config_lines.h"
#include "tap.h"

int main(void)
{
    tap_ok(kc_config_bad_line("[a]\nk=v\n") == 0, "a good file: no bad line");
    tap_ok(kc_config_bad_line("") == 0, "an empty file: no bad line");
    tap_ok(kc_config_bad_line("[a]\nk=v\nnot a pair\nx=y\n") == 3, "a line without '=': 3");
    tap_ok(kc_config_bad_line("k=v\n[a]\n") == 1, "a key before any group: 1");
    tap_ok(kc_config_bad_line("# c\n\n[a]\nk=v\n[b\n") == 5, "an unclosed group: 5");
    tap_ok(kc_config_bad_line("[a]\nk=v\nbad") == 3, "the last line, without a newline: 3");
    tap_ok(kc_config_bad_line("[a]\n[b\xff]\n") == 0 &&
               kc_config_group_line("[a]\n[b\xff]\n", "b\xff") == 2,
           "a group name that is not UTF-8 loads (the profile-name rule refuses it): line 2");
    tap_ok(kc_config_group_line("# c\n[a]\nk=v\n[b]\n[a]\n", "b") == 4, "group b: line 4");
    tap_ok(kc_config_group_line("[a]\n", "b") == 0, "no group b: 0");
    tap_ok(kc_config_key_line("[a]\nk=v\n[b]\nk=w\nj=1\n", "b", "k") == 4,
           "key k of group b (not of a): line 4");
    tap_ok(kc_config_key_line("[b]\nx=1\n[a]\nk=v\n[b]\nk=w\n", "b", "k") == 6,
           "a group given twice: its key in the second part");
    tap_ok(kc_config_key_line("[a]\n  k  = v\n", "a", "k") == 2, "blanks around the key");
    tap_ok(kc_config_key_line("[a]\nk=v\n", "a", "j") == 0, "no such key: 0");
    tap_ok(kc_config_key_line("[a]\nk=v\nbroken\n", "a", "k") == 2,
           "a later line that fails does not hide an earlier key");
    tap_ok(kc_config_name_showable("service_url") && kc_config_name_showable("servce_url") &&
               kc_config_name_showable("token"),
           "names that look like keys may be shown");
    tap_ok(!kc_config_name_showable("djJ8MTIzNDV8c2VjcmV0") &&
               !kc_config_name_showable("0123456789abcdef") && !kc_config_name_showable("") &&
               !kc_config_name_showable("Token") &&
               !kc_config_name_showable("abcdefghijklmnopqrstuvwxyzabcdefg"),
           "anything else is not: a KS, hex, empty, upper case, over 32");
    return tap_done();
}
