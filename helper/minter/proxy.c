/* The proxy rules (proxy.h). */
#include "proxy.h"

#include <glib.h>
#include <string.h>

#define HOST_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-:"

static bool is_none(const char *value)
{
    return g_ascii_strcasecmp(value, "none") == 0;
}

bool kc_proxy_check(const char *value)
{
    static const char *const schemes[] = {"http",    "https",  "socks4",
                                          "socks4a", "socks5", "socks5h"};
    if (is_none(value))
        return true;
    g_autofree char *full =
        strstr(value, "://") != NULL ? g_strdup(value) : g_strconcat("http://", value, NULL);
    g_autoptr(GUri) uri = g_uri_parse(full, G_URI_FLAGS_NONE, NULL);
    if (uri == NULL || g_uri_get_userinfo(uri) != NULL || g_uri_get_query(uri) != NULL ||
        g_uri_get_fragment(uri) != NULL)
        return false;
    const char *path = g_uri_get_path(uri), *host = g_uri_get_host(uri);
    bool ipv6 = host != NULL && strchr(host, ':') != NULL; /* "[::1]" gives "::1" */
    if (host == NULL || (!g_ascii_isalnum(host[0]) && !ipv6) ||
        strspn(host, HOST_CHARS) != strlen(host) || (path[0] != '\0' && strcmp(path, "/") != 0))
        return false;
    for (size_t i = 0; i < G_N_ELEMENTS(schemes); i++)
        if (g_ascii_strcasecmp(g_uri_get_scheme(uri), schemes[i]) == 0)
            return true;
    return false;
}

enum kc_proxy_use kc_proxy_for(const struct kc_profile *p, const char **url)
{
    *url = NULL;
    /* The KS would cross to the proxy in cleartext (and a proxy's loopback is not ours). */
    if (strcmp(p->protocol, "http") == 0 && kc_host_is_loopback(p->hostname))
        return KC_PROXY_NONE;
    if (p->proxy == NULL)
        return KC_PROXY_FROM_ENV;
    if (is_none(p->proxy))
        return KC_PROXY_NONE;
    *url = p->proxy;
    return KC_PROXY_KEY;
}
