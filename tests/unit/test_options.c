/* The PAM module's options (pam_module/options.c): the validators and the parser, without a
 * PAM handle (messages go to syslog then). */
#include <stdlib.h>
#include <string.h>

#include "logging.h"
#include "options.h"
#include "tap.h"

static bool parse(struct pk_args *args, const char *arg)
{
    const char *argv[] = {arg};
    memset(args, 0, sizeof *args);
    return pk_options_parse(args, arg != NULL ? 1 : 0, argv);
}

static void test_profile(void)
{
    struct pk_args a;
    char opt[16 + KC_PROFILE_NAME_MAX];
    memcpy(opt, "profile=", 8);
    memset(opt + 8, 'p', KC_PROFILE_NAME_MAX + 1);
    opt[8 + KC_PROFILE_NAME_MAX + 1] = '\0';
    tap_ok(!parse(&a, opt), "profile= one character over the helper's limit: refused");
    opt[8 + KC_PROFILE_NAME_MAX] = '\0';
    tap_ok(parse(&a, opt) && strlen(a.opt.profile) == KC_PROFILE_NAME_MAX,
           "profile= at the helper's limit: accepted");
    tap_ok(!parse(&a, "profile=a..b"), "profile= with '..': refused, as the helper does");
    tap_ok(!parse(&a, "profile=a/b") && !parse(&a, "profile="), "profile= a/b or empty: refused");
    tap_ok(parse(&a, "profile=work.1-x_y") && strcmp(a.opt.profile, "work.1-x_y") == 0,
           "profile=work.1-x_y");
}

static void test_env_name(void)
{
    tap_ok(pk_valid_env_name("KALTURA_KS") && pk_valid_env_name("_x1"), "env names");
    tap_ok(!pk_valid_env_name("1KS") && !pk_valid_env_name("MY-KS") && !pk_valid_env_name(""),
           "env: leading digit, dash, empty refused");
    char *name = tap_repeat('E', PK_ENV_NAME_MAX + 1);
    tap_ok(!pk_valid_env_name(name), "env: one over PK_ENV_NAME_MAX refused");
    name[PK_ENV_NAME_MAX] = '\0';
    tap_ok(pk_valid_env_name(name), "env: PK_ENV_NAME_MAX accepted");
    free(name);
}

static void test_values(void)
{
    struct pk_args a;
    tap_ok(parse(&a, NULL) && a.opt.timeout == PK_TIMEOUT_DEFAULT &&
               a.opt.minimum_uid == PK_MINIMUM_UID && strcmp(a.opt.env_name, "KALTURA_KS") == 0 &&
               a.opt.profile == NULL && !a.opt.revoke && !a.opt.debug,
           "defaults");
    tap_ok(parse(&a, "timeout=300") && a.opt.timeout == 300, "timeout=300");
    tap_ok(!parse(&a, "timeout=0") && !parse(&a, "timeout=301") && !parse(&a, "timeout=+5"),
           "timeout 0, 301, +5 refused");
    tap_ok(!parse(&a, "minimum_uid=-1") && parse(&a, "minimum_uid=0"), "minimum_uid");
    tap_ok(parse(&a, NULL) && a.opt.min_lifetime == 3600, "min_lifetime: 3600 by default");
    tap_ok(parse(&a, "min_lifetime=0") && a.opt.min_lifetime == 0 &&
               parse(&a, "min_lifetime=315360000") && a.opt.min_lifetime == 315360000,
           "min_lifetime 0 and 315360000");
    tap_ok(!parse(&a, "min_lifetime=315360001") && !parse(&a, "min_lifetime=-1") &&
               !parse(&a, "min_lifetime=1h") && !parse(&a, "min_lifetime"),
           "min_lifetime out of range, not a number, without a value: refused");
    tap_ok(!parse(&a, "helper=relative/path") && parse(&a, "helper=/bin/true") &&
               a.opt.helper_overridden,
           "helper= must be absolute");
    tap_ok(!parse(&a, "revoke=yes") && !parse(&a, "timeout") && parse(&a, "revoke") && a.opt.revoke,
           "flags take no value, options need one");
    tap_ok(parse(&a, "no_such_option"), "an unknown option is logged, not fatal");
}

int main(void)
{
    test_profile();
    test_env_name();
    test_values();
    return tap_done();
}
