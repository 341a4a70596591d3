/* Profile selection: which profile answers a request (README "Commands", doc/helper.md
 * "Profile selection"). */
#ifndef KC_SELECT_H
#define KC_SELECT_H

#include <glib.h>
#include <stdbool.h>

#include "config.h"
#include "protocol.h"

/* profile_arg (--profile) then req_profile (profile=)
 * name a profile directly; else the one profile serving req_protocol+req_host; several: the
 * default one when among them, else an error naming them; neither protocol nor host: the
 * default profile. Returns KC_SELECT_OK with *out set; KC_SELECT_NOT_SERVED when the request
 * names a host that the selected profile does not serve, or a protocol without a host
 * (kc_request_lacks_host; print nothing, exit 0); KC_SELECT_ERROR with error set
 * (KC_EXIT_NO_PROFILE for a profile that does not exist, KC_EXIT_CONFIG for ambiguity). */
enum kc_select { KC_SELECT_OK, KC_SELECT_NOT_SERVED, KC_SELECT_ERROR };
enum kc_select kc_config_select(const struct kc_config *c, const char *profile_arg,
                                const char *req_profile, const char *req_protocol,
                                const char *req_host, const struct kc_profile **out,
                                GError **error);

/* Loads the config (config: --config FILE or NULL) and selects the profile for req (may be
 * NULL). Returns KC_EXIT_OK with *cfg and *p set, or an exit code (printed). *not_served: the
 * request names a host no profile serves (then KC_EXIT_OK and *p == NULL). */
int kc_select(const char *config, const char *profile_arg, const struct kc_request *req,
              struct kc_config **cfg, const struct kc_profile **p, bool *not_served);

#endif
