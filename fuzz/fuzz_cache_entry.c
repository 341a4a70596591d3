/* libFuzzer target: the cache entry reader (helper/core/cache.c kc_cache_parse_ks_entry).
 * Input: an entry file's bytes, or "DESC\0ENTRY" to choose the description it must match.
 * Invariants: an accepted entry has a well-formed KS of the partner its desc names
 * (contract.h kc_ks_well_formed) and printable ASCII values, no field holds '\n', every field
 * is the value of the first line with that key, and writing the entry back the way
 * kc_cache_put_ks does reads back to exactly the same values; a mismatching desc is never OK. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "contract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What ks_desc writes for a profile (cache.c). */
#define DEFAULT_DESC                                                                               \
    "ks1;service_url=+https://localhost:8443;partner_id=+12345;app_token_id=+0_abc;"               \
    "hash_function=+sha256;user_id=-;session_type=-;privileges=-;expiry=-"

static char *dup0(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1); /* exactly sized: ASan sees any over-read */
    if (s == NULL)
        abort();
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static void no_newline(const char *s)
{
    if (s == NULL || strchr(s, '\n') != NULL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    char *desc, *buf;
    size_t desc_len;
    if (nul != NULL) {
        desc_len = (size_t)(nul - data);
        desc = dup0(data, desc_len);
        buf = dup0(nul + 1, size - desc_len - 1);
    } else {
        desc = strdup(DEFAULT_DESC);
        desc_len = strlen(desc);
        buf = dup0(data, size);
    }
    struct kc_answer e;
    enum kc_entry_rc rc = kc_cache_parse_ks_entry(buf, desc, desc_len, &e);
    if (rc != KC_ENTRY_OK && rc != KC_ENTRY_OTHER && rc != KC_ENTRY_CORRUPT)
        abort();
    if (rc != KC_ENTRY_OK) {
        if (e.ks || e.username || e.protocol || e.host || e.service_url || e.partner_id ||
            e.user_id || e.privileges) /* nothing partial */
            abort();
    } else {
        /* desc can only match whole, so it holds no newline (nor NUL: the first one ends it) */
        if (memchr(desc, '\n', desc_len) || strlen(desc) != desc_len)
            abort();
        no_newline(e.ks);
        no_newline(e.username);
        no_newline(e.protocol);
        no_newline(e.host);
        no_newline(e.service_url);
        no_newline(e.partner_id);
        if (e.user_id != NULL)
            no_newline(e.user_id);
        if (e.privileges != NULL)
            no_newline(e.privileges);
        if (e.ks[0] == '\0' || e.expiry < 0 || strstr(buf, "format=kc2\n") != buf)
            abort();
        char marker[64];
        snprintf(marker, sizeof marker, ";partner_id=+%s", e.partner_id ? e.partner_id : "?");
        if (e.partner_id == NULL || !strstr(desc, marker) ||
            !kc_ks_well_formed(e.ks, strlen(e.ks), e.partner_id) ||
            !kc_printable_ascii(e.username, strlen(e.username)) ||
            !kc_printable_ascii(e.host, strlen(e.host)))
            abort();
        /* round trip through the writer's format */
        const char *user = e.user_id != NULL ? e.user_id : "";
        const char *priv = e.privileges != NULL ? e.privileges : "";
        size_t n = strlen(desc) + strlen(e.ks) + strlen(e.username) + strlen(e.protocol) +
                   strlen(e.host) + strlen(e.service_url) + strlen(e.partner_id) + strlen(user) +
                   strlen(priv) + 256;
        char *again = malloc(n);
        if (again == NULL)
            abort();
        snprintf(again, n,
                 "format=kc2\ndesc=%s\nexpiry=%lld\nprotocol=%s\nhost=%s\nusername=%s\n"
                 "service_url=%s\nuser_id=%s\nprivileges=%s%s\nks=%s\n",
                 desc, e.expiry, e.protocol, e.host, e.username, e.service_url, user,
                 e.privileges != NULL ? "+" : "-", priv, e.ks);
        struct kc_answer f;
        if (kc_cache_parse_ks_entry(again, desc, desc_len, &f) != KC_ENTRY_OK ||
            strcmp(f.ks, e.ks) != 0 || strcmp(f.username, e.username) != 0 ||
            strcmp(f.protocol, e.protocol) != 0 || strcmp(f.host, e.host) != 0 ||
            f.expiry != e.expiry || strcmp(f.service_url, e.service_url) != 0 ||
            strcmp(f.partner_id, e.partner_id) != 0 ||
            strcmp(f.user_id != NULL ? f.user_id : "", user) != 0 ||
            (f.privileges == NULL) != (e.privileges == NULL) ||
            strcmp(f.privileges != NULL ? f.privileges : "", priv) != 0)
            abort();
        /* another description never matches */
        struct kc_answer g;
        if (kc_cache_parse_ks_entry(again, "ks1\nother", 9, &g) == KC_ENTRY_OK)
            abort();
        kc_answer_clear(&f);
        free(again);
    }
    kc_answer_clear(&e);
    free(desc);
    free(buf);
    return 0;
}
