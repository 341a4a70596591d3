/* The JSON nesting pre-check (helper/minter/json_depth.c). */
#include <stdlib.h>
#include <string.h>

#include "json_depth.h"
#include "tap.h"

static bool ok(const char *s, unsigned max)
{
    return kc_json_depth_ok(s, strlen(s), max);
}

int main(void)
{
    tap_ok(ok("{\"ks\":\"x\",\"args\":{\"a\":[1,{\"b\":2}]}}", 4), "4 openers within 4");
    tap_ok(!ok("{\"ks\":\"x\",\"args\":{\"a\":[1,{\"b\":2}]}}", 3), "4 openers over 3");
    tap_ok(!ok("[][][]", 2), "siblings count too: a bound on depth, not the depth");
    tap_ok(ok("null", 0) && ok("", 0) && ok("]]]}}}", 0), "no opener: fine");
    /* the string-aware pre-scan this replaced missed levels that json-glib parses: it takes
     * single-quoted strings and comments, so a '"' there started no string for it */
    tap_ok(!ok("[ 'x\"', [[[[1]]]], '\"' ]", 4), "a '\"' in a single-quoted string hides nothing");
    tap_ok(!ok("[ /* \" */ [[[[1]]]] /* \" */ ]", 4), "nor one in a comment");
    tap_ok(!ok("[\"[[[[\"]", 4), "brackets inside strings count (conservative)");
    char *deep = tap_repeat('[', 65535);
    tap_ok(!kc_json_depth_ok(deep, 65535, KC_JSON_MAX_OPENERS), "64 KiB of '[': refused");
    memset(deep, '"', 65535);
    tap_ok(kc_json_depth_ok(deep, 65535, KC_JSON_MAX_OPENERS), "64 KiB of quotes: fine");
    free(deep);
    char edge[KC_JSON_MAX_OPENERS + 2];
    memset(edge, '{', KC_JSON_MAX_OPENERS + 1);
    edge[KC_JSON_MAX_OPENERS + 1] = '\0';
    tap_ok(!ok(edge, KC_JSON_MAX_OPENERS), "KC_JSON_MAX_OPENERS + 1: refused");
    edge[KC_JSON_MAX_OPENERS] = '\0';
    tap_ok(ok(edge, KC_JSON_MAX_OPENERS), "KC_JSON_MAX_OPENERS: fine");
    tap_ok(!kc_json_depth_ok("[[", 2, 1) && kc_json_depth_ok("[[", 1, 1),
           "only len bytes are read");
    return tap_done();
}
