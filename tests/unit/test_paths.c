/* Config and cache path resolution (paths.h). */
#include <stdlib.h>
#include <string.h>

#include "kc_config.h"
#include "paths.h"
#include "tap.h"

static int eq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

int main(void)
{
    struct kc_config_paths p;
    unsetenv("KALTURA_CREDENTIAL_CONFIG");
    unsetenv("XDG_CONFIG_HOME");
    setenv("HOME", "/home/u", 1);
    TAP_CHECK(kc_config_paths_get(NULL, &p) == 0);
    tap_ok(p.n == 2 && !p.is_override && eq(p.files[0], KC_SYSCONFDIR "/kaltura/credential.conf"),
           "system file first");
    tap_ok(eq(p.files[1], "/home/u/.config/kaltura/credential.conf") && eq(p.user_file, p.files[1]),
           "user file from HOME");
    kc_config_paths_clear(&p);

    setenv("XDG_CONFIG_HOME", "/xdg", 1);
    TAP_CHECK(kc_config_paths_get(NULL, &p) == 0 && eq(p.files[1], "/xdg/kaltura/credential.conf"));
    kc_config_paths_clear(&p);
    setenv("XDG_CONFIG_HOME", "relative/dir", 1);
    tap_ok(kc_config_paths_get(NULL, &p) == 0 &&
               eq(p.files[1], "/home/u/.config/kaltura/credential.conf"),
           "relative XDG_CONFIG_HOME ignored");
    kc_config_paths_clear(&p);
    setenv("XDG_CONFIG_HOME", "", 1);
    TAP_CHECK(kc_config_paths_get(NULL, &p) == 0 &&
              eq(p.files[1], "/home/u/.config/kaltura/credential.conf"));
    kc_config_paths_clear(&p);

    setenv("KALTURA_CREDENTIAL_CONFIG", "/env.conf", 1);
    TAP_CHECK(kc_config_paths_get(NULL, &p) == 0);
    tap_ok(p.n == 1 && p.is_override && eq(p.files[0], "/env.conf") && eq(p.user_file, "/env.conf"),
           "KALTURA_CREDENTIAL_CONFIG replaces both");
    kc_config_paths_clear(&p);
    TAP_CHECK(kc_config_paths_get("/flag.conf", &p) == 0);
    tap_ok(p.n == 1 && eq(p.files[0], "/flag.conf"), "--config beats the environment");
    kc_config_paths_clear(&p);
    setenv("KALTURA_CREDENTIAL_CONFIG", "", 1);
    unsetenv("HOME");
    unsetenv("XDG_CONFIG_HOME");
    tap_ok(kc_config_paths_get(NULL, &p) == -1, "no HOME, no override: -1");
    tap_ok(kc_config_paths_get("/f", &p) == 0 && p.n == 1, "no HOME but --config: fine");
    kc_config_paths_clear(&p);

    unsetenv("XDG_RUNTIME_DIR");
    char *d = kc_cache_dir_path();
    tap_ok(d == NULL, "no XDG_RUNTIME_DIR: no cache dir");
    setenv("XDG_RUNTIME_DIR", "", 1);
    TAP_CHECK(kc_cache_dir_path() == NULL);
    setenv("XDG_RUNTIME_DIR", "run/user", 1);
    tap_ok(kc_cache_dir_path() == NULL, "relative XDG_RUNTIME_DIR: no cache");
    setenv("XDG_RUNTIME_DIR", "/run/user/7", 1);
    d = kc_cache_dir_path();
    TAP_CHECK(eq(d, "/run/user/7/kaltura-credential"));
    free(d);
    return tap_done();
}
