/* Where files live: config files and the cache directory. libc only. */
#ifndef KC_PATHS_H
#define KC_PATHS_H

#include <stddef.h>

#define KC_MAX_CONFIG_FILES 2

struct kc_config_paths {
    /* In read order: later files win key by key. n == 1 when an override is in force. */
    char *files[KC_MAX_CONFIG_FILES];
    size_t n;
    int is_override; /* --config FILE or KALTURA_CREDENTIAL_CONFIG */
    char *user_file; /* where `login` writes: the override, else the XDG user file */
};

/* override: --config value or NULL; then KALTURA_CREDENTIAL_CONFIG; then
 * KC_SYSCONFDIR/kaltura/credential.conf +
 * ${XDG_CONFIG_HOME:-$HOME/.config}/kaltura/credential.conf.
 * Returns -1 when no HOME can be found and no override is set (out of memory: exits). */
int kc_config_paths_get(const char *override, struct kc_config_paths *out);
void kc_config_paths_clear(struct kc_config_paths *p);

/* "$XDG_RUNTIME_DIR/kaltura-credential", or NULL when XDG_RUNTIME_DIR is unset/empty/relative. */
char *kc_cache_dir_path(void);

#endif
