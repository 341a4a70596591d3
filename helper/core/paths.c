/* Config file paths and the cache directory path (README "Configuration", doc/cache.md). libc only.
 */
#include "paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc_config.h"
#include "secure_mem.h"

static char *join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = kc_xmalloc(la + lb + 1);
    memcpy(s, a, la);
    memcpy(s + la, b, lb);
    s[la + lb] = '\0';
    return s;
}

/* Only an absolute, non-empty value counts: the XDG spec says relative ones are invalid and
 * must be ignored (a relative path would depend on the caller's cwd). */
static const char *abs_env(const char *name)
{
    const char *v = getenv(name);
    return (v != NULL && v[0] == '/') ? v : NULL;
}

int kc_config_paths_get(const char *override, struct kc_config_paths *out)
{
    memset(out, 0, sizeof *out);
    if (override == NULL || override[0] == '\0') {
        override = getenv("KALTURA_CREDENTIAL_CONFIG");
        if (override != NULL && override[0] == '\0')
            override = NULL;
    }
    if (override != NULL) {
        out->files[0] = kc_xstrdup(override);
        out->user_file = kc_xstrdup(override);
        out->n = 1;
        out->is_override = 1;
        return 0;
    }
    char *user;
    const char *xdg = abs_env("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    if (xdg != NULL)
        user = join(xdg, "/kaltura/credential.conf");
    else if (home != NULL && home[0] != '\0')
        user = join(home, "/.config/kaltura/credential.conf");
    else
        return -1;
    out->files[0] = kc_xstrdup(KC_SYSCONFDIR "/kaltura/credential.conf");
    out->files[1] = user;
    out->n = 2;
    out->user_file = kc_xstrdup(user);
    return 0;
}

void kc_config_paths_clear(struct kc_config_paths *p)
{
    for (size_t i = 0; i < KC_MAX_CONFIG_FILES; i++)
        free(p->files[i]);
    free(p->user_file);
    memset(p, 0, sizeof *p);
}

char *kc_cache_dir_path(void)
{
    const char *rt = abs_env("XDG_RUNTIME_DIR");
    return rt != NULL ? join(rt, "/kaltura-credential") : NULL;
}
