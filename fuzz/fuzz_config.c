/* libFuzzer target: the config parser (helper/minter/config.c kc_config_load_data).
 * Input: the system file's text, optionally "\0" and the user file's text (later wins).
 * Invariants: failure is KC_EXIT_CONFIG with a one-line message and no config, which names a
 * line GKeyFile refuses by its number and never quotes it (it may be a pasted secret); on success
 * every profile has an allowed, unique name, findable by kc_config_find, a service_url that is
 * already normalised (normalising it again gives the same URL, protocol and host), plain http
 * only on loopback unless allow_insecure, values in their documented ranges and no control
 * characters in any string; the host libcurl parses from an API call's URL is the profile's
 * hostname, a plain name ([a-z0-9.-], no '%') or an IP literal, on which the loopback rule
 * was decided. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_lines.h"
#include "contract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void clean(const char *s, size_t max)
{
    if (s == NULL)
        return;
    size_t n = strlen(s);
    if (n > max)
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            abort();
}

static void digits(const char *s, long long max)
{
    if (s == NULL)
        return;
    if (!*s || strlen(s) > 12)
        abort();
    long long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            abort();
        v = v * 10 + (*p - '0');
    }
    if (v < 1 || v > max)
        abort();
}

/* The host libcurl will connect to for an API call of p is p->hostname, which is what the
 * loopback rule judged: a plain name or an IP literal. libcurl writes IP addresses its own way
 * ("127.1" and "0x7f.1" as 127.0.0.1, "::0" as "::"): then it must be an IP literal, and
 * loopback for us means loopback for it. */
static void curl_sees_hostname(const struct kc_profile *p)
{
    CURLU *u = curl_url();
    char *host = NULL;
    char *call = g_strdup_printf("%s/api_v3/service/session/action/end", p->service_url);
    if (u == NULL || curl_url_set(u, CURLUPART_URL, call, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        abort();
    size_t n = strlen(host);
    struct in6_addr a6;
    struct in_addr a4;
    bool v6 = n > 2 && host[0] == '[' && host[n - 1] == ']';
    char *bare = v6 ? g_strndup(host + 1, n - 2) : g_strdup(host);
    bool ip = v6 ? inet_pton(AF_INET6, bare, &a6) == 1 : inet_pton(AF_INET, bare, &a4) == 1;
    if ((v6 && !ip) ||
        (!v6 && strspn(bare, "abcdefghijklmnopqrstuvwxyz0123456789.-") != strlen(bare)) ||
        (strcmp(bare, p->hostname) != 0 && !ip) ||
        (kc_host_is_loopback(p->hostname) && !kc_host_is_loopback(bare)))
        abort();
    g_free(bare);
    g_free(call);
    curl_free(host);
    curl_url_cleanup(u);
}

/* A message about text (file source) that says "config SOURCE line N cannot be read" names
 * the first line GKeyFile refuses, and is the fixed template: it quotes nothing. */
static void bad_line_named_not_quoted(const char *msg, const char *source, const char *text)
{
    char *head = g_strdup_printf("config %s line ", source);
    const char *at = strstr(msg, head);
    unsigned n = at ? (unsigned)strtoul(at + strlen(head), NULL, 10) : 0;
    g_free(head);
    if (at == NULL || !strstr(msg, "cannot be read"))
        return;
    if (n == 0 || n != kc_config_bad_line(text))
        abort();
    /* Word for word the template: nothing of the text is in it (a quote-search would also
     * find the file's own name, "/kaltura/credential.conf line", in a line). */
    char *expected = g_strdup_printf("config %s line %u cannot be read: not a [profile] line, a "
                                     "key = value line or a # comment, or not UTF-8; fix it",
                                     source, n);
    if (strcmp(msg, expected) != 0)
        abort();
    g_free(expected);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 2);
    if (copy == NULL)
        abort();
    memcpy(copy, data, size);
    copy[size] = copy[size + 1] = '\0';
    const char *texts[2] = {copy, NULL};
    const char *sources[2] = {"/etc/kaltura/credential.conf", "~/.config/kaltura/credential.conf"};
    char *nul = memchr(copy, '\0', size);
    if (nul != NULL)
        texts[1] = nul + 1;
    GError *error = NULL;
    struct kc_config *c = kc_config_load_data(texts, sources, 2, &error);
    if (c == NULL) {
        if (error == NULL || error->domain != KC_ERROR || error->code != KC_EXIT_CONFIG ||
            strchr(error->message, '\n') != NULL)
            abort();
        for (int i = 0; i < 2; i++)
            if (texts[i])
                bad_line_named_not_quoted(error->message, sources[i], texts[i]);
        g_error_free(error);
        free(copy);
        return 0;
    }
    if (error != NULL)
        abort();
    for (guint i = 0; i < c->profiles->len; i++) {
        const struct kc_profile *p = g_ptr_array_index(c->profiles, i);
        if (!kc_profile_name_ok(p->name) || kc_config_find(c, p->name) != p)
            abort();
        if (strchr(p->name, '/') || strstr(p->name, ".."))
            abort();
        clean(p->service_url, 4096);
        clean(p->host, 300);
        clean(p->hostname, 300);
        clean(p->app_token_id, 256);
        clean(p->user_id, 320);
        clean(p->privileges, 4096);
        clean(p->ca_file, 4096);
        digits(p->partner_id, 2147483647LL);
        if (p->timeout < 1 || p->timeout > 600 || p->min_lifetime < 0 ||
            p->min_lifetime > 10LL * 366 * 86400 || (p->expiry != -1 && p->expiry < 1) ||
            p->expiry > 10LL * 366 * 86400 ||
            (p->session_type != -1 && p->session_type != 0 && p->session_type != 2))
            abort();
        if (strcmp(p->protocol, "https") != 0 && strcmp(p->protocol, "http") != 0)
            abort();
        if (strcmp(p->protocol, "http") == 0 && !p->allow_insecure &&
            !kc_host_is_loopback(p->hostname))
            abort();
        if (kc_profile_insecure(p) && !p->allow_insecure)
            abort();
        curl_sees_hostname(p);
        char *proto = NULL, *host = NULL;
        GError *e2 = NULL;
        char *again =
            kc_service_url_normalise(p->service_url, p->allow_insecure, &proto, &host, &e2);
        if (again == NULL || strcmp(again, p->service_url) != 0 ||
            strcmp(proto, p->protocol) != 0 || strcmp(host, p->host) != 0)
            abort();
        g_free(again);
        g_free(proto);
        g_free(host);
    }
    kc_config_free(c);
    free(copy);
    return 0;
}
