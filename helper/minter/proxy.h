/* Which proxy a profile's requests go through (README "Configuration", doc/helper.md "The API
 * client"): a plain-http service on a loopback host never goes through one; otherwise the
 * profile's `proxy` key decides (`none`: no proxy), and without it the environment does
 * (libcurl reads https_proxy, http_proxy, all_proxy and no_proxy). */
#ifndef KC_PROXY_H
#define KC_PROXY_H

#include <stdbool.h>

#include "config.h"

/* The `proxy` key's rule: `none` (any case), or libcurl's [SCHEME://]HOST[:PORT] with a scheme
 * libcurl proxies through (http when left out), and no user name or password (a config file
 * holds no secrets). */
bool kc_proxy_check(const char *value);

enum kc_proxy_use {
    KC_PROXY_NONE,    /* straight to the server, whatever the environment says */
    KC_PROXY_KEY,     /* through the profile's proxy, whatever the environment says */
    KC_PROXY_FROM_ENV /* as libcurl reads the environment */
};
/* For p; with KC_PROXY_KEY, *url is p's proxy. */
enum kc_proxy_use kc_proxy_for(const struct kc_profile *p, const char **url);

#endif
