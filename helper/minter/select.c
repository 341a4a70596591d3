/* Which profile serves a request (select.h). */
#include "select.h"

#include <string.h>

#include "contract.h"
#include "protocol.h"
#include "trace.h"

/* Does p serve protocol+host (either may be NULL: not compared)? Default ports are ignored. */
static bool serves(const struct kc_profile *p, const char *protocol, const char *host)
{
    if (protocol && g_ascii_strcasecmp(protocol, p->protocol) != 0)
        return false;
    if (!host)
        return true;
    g_autofree char *h = g_ascii_strdown(host, -1);
    const char *dflt = strcmp(p->protocol, "https") == 0 ? ":443" : ":80";
    if (g_str_has_suffix(h, dflt))
        h[strlen(h) - strlen(dflt)] = '\0';
    return strcmp(h, p->host) == 0;
}

static enum kc_select no_profile(GError **error, const char *name)
{
    if (!kc_profile_name_ok(name)) {
        g_set_error(error, KC_ERROR, KC_EXIT_USAGE,
                    "profile name is not allowed (use letters, digits, '.', '_', '-')");
        return KC_SELECT_ERROR;
    }
    g_set_error(error, KC_ERROR, KC_EXIT_NO_PROFILE,
                "profile '%s' is not configured; run `kaltura-credential --profile %s login`", name,
                name);
    return KC_SELECT_ERROR;
}

enum kc_select kc_config_select(const struct kc_config *c, const char *profile_arg,
                                const char *req_profile, const char *req_protocol,
                                const char *req_host, const struct kc_profile **out, GError **error)
{
    const char *name = profile_arg ? profile_arg : req_profile;
    const char *host = req_host && *req_host ? req_host : NULL;
    *out = NULL;
    if (kc_request_lacks_host(req_protocol, req_host))
        return KC_SELECT_NOT_SERVED; /* whatever names the profile */
    if (name) {
        const struct kc_profile *p = kc_config_find(c, name);
        if (!p)
            return no_profile(error, name);
        /* Never hand a profile's KS to a host it does not serve (git asks every helper). */
        if (host && !serves(p, req_protocol, host))
            return KC_SELECT_NOT_SERVED;
        *out = p;
        return KC_SELECT_OK;
    }
    if (!host) {
        *out = kc_config_find(c, KC_DEFAULT_PROFILE);
        return *out ? KC_SELECT_OK : no_profile(error, KC_DEFAULT_PROFILE);
    }
    g_autoptr(GPtrArray) hits = g_ptr_array_new();
    for (guint i = 0; i < c->profiles->len; i++) {
        const struct kc_profile *p = g_ptr_array_index(c->profiles, i);
        if (serves(p, req_protocol, host))
            g_ptr_array_add(hits, (gpointer)p);
    }
    if (hits->len == 0)
        return KC_SELECT_NOT_SERVED;
    if (hits->len == 1) {
        *out = g_ptr_array_index(hits, 0);
        return KC_SELECT_OK;
    }
    g_autoptr(GString) names = g_string_new(NULL);
    for (guint i = 0; i < hits->len; i++) {
        const struct kc_profile *p = g_ptr_array_index(hits, i);
        if (strcmp(p->name, KC_DEFAULT_PROFILE) == 0) {
            *out = p;
            return KC_SELECT_OK;
        }
        g_string_append_printf(names, "%s'%s'", i ? ", " : "", p->name);
    }
    g_set_error(error, KC_ERROR, KC_EXIT_CONFIG,
                "profiles %s all serve this host; say which with profile=NAME on stdin or "
                "--profile NAME",
                names->str);
    return KC_SELECT_ERROR;
}

int kc_select(const char *config, const char *profile_arg, const struct kc_request *req,
              struct kc_config **cfg, const struct kc_profile **p, bool *not_served)
{
    GError *e = NULL;
    *p = NULL;
    *not_served = false;
    *cfg = kc_config_load(config, &e);
    if (!*cfg)
        return kc_fail(e);
    enum kc_select s = kc_config_select(*cfg, profile_arg, req ? req->profile : NULL,
                                        req ? req->protocol : NULL, req ? req->host : NULL, p, &e);
    if (s == KC_SELECT_ERROR)
        return kc_fail(e);
    *not_served = s == KC_SELECT_NOT_SERVED;
    if (*p)
        kc_trace("profile: %s (%s, partner %s)", (*p)->name, (*p)->service_url,
                 (*p)->partner_id ? (*p)->partner_id : "not set");
    else
        kc_trace("profile: none serves this request's host");
    return KC_EXIT_OK;
}
