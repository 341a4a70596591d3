/* Well-formed (and deliberately malformed) KS strings for the C unit tests: the shape of
 * doc/kaltura-api.md §5 (contract.h kc_ks_well_formed), not a signature the server would
 * accept. Header-only, libc only. */
#ifndef KC_KS_FORGE_H
#define KC_KS_FORGE_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The test vectors of doc/kaltura-api.md §5.4 (partner 12345). */
#define KS_VECTOR_V2                                                                               \
    "djJ8MTIzNDV8AZjSBOczIAVk1HR2mRxggOeMp-tmyIe6Enajr3NpKjj_QyyjTA7ey2fHPu1DSRJq3mhbpqBrii64s"    \
    "V_RSKWhDKTQ0BCFdEakF_gbylwMupM="
#define KS_VECTOR_V1                                                                               \
    "NzA2Y2UwNjU5YjZiNmViZDhjYjczY2Y2YTY0NmY2NzhlYTRhNGEzMHwxMjM0NTsxMjM0NTsxNzAwMDAwMDAwOzA7"     \
    "MTY5OTkxMzYwMC4xMjM0OzA7dmlldzoqLHdpZGdldDoxOzs="

/* base64 (url: base64url) of n bytes, '=' padded; malloc'd. */
static inline char *ks_forge_b64(const unsigned char *in, size_t n, bool url)
{
    const char *abc = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                          : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((n + 2) / 3 * 4 + 1);
    size_t o = 0;
    if (out == NULL)
        abort();
    for (size_t i = 0; i < n; i += 3) {
        unsigned long v = (unsigned long)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned long)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
        out[o++] = '=';
        out[o++] = '=';
        if (i + 1 < n)
            out[o - 2] = abc[v >> 6 & 63];
        if (i + 2 < n)
            out[o - 1] = abc[v & 63];
    }
    out[o] = '\0';
    return out;
}

/* A v2-shaped KS of partner pid: "v2|pid|" and cipher_len bytes derived from seed (48 and a
 * multiple of 16 make it well-formed); malloc'd. */
static inline char *ks_forge_v2(const char *pid, unsigned seed, size_t cipher_len)
{
    size_t head = 3 + strlen(pid) + 1, n = head + cipher_len;
    unsigned char *raw = malloc(n);
    if (raw == NULL)
        abort();
    memcpy(raw, "v2|", 3);
    memcpy(raw + 3, pid, strlen(pid));
    raw[head - 1] = '|';
    for (size_t i = head; i < n; i++)
        raw[i] = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 16);
    char *ks = ks_forge_b64(raw, n, true);
    free(raw);
    return ks;
}

/* A v1-shaped KS: base64 of sig|info (sig: 40 lowercase hex digits, unless given); malloc'd. */
static inline char *ks_forge_v1(const char *sig, const char *info)
{
    const char *s = sig != NULL ? sig : "706ce0659b6b6ebd8cb73cf6a646f678ea4a4a30";
    size_t n = strlen(s) + 1 + strlen(info);
    char *raw = malloc(n + 1);
    if (raw == NULL)
        abort();
    strcpy(raw, s);
    strcat(raw, "|");
    strcat(raw, info);
    char *ks = ks_forge_b64((const unsigned char *)raw, n, false);
    free(raw);
    return ks;
}

#endif
