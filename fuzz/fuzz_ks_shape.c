/* libFuzzer target: the KS shape check (helper/core/contract.h kc_ks_well_formed), used by the
 * helper for every KS it prints, caches or sends back, and by the PAM module. Differential: it
 * must agree with a plain reference that decodes the whole KS first and then checks
 * doc/kaltura-api.md §5 on the bytes. Input: a selector byte (0: any partner, 1: "12345",
 * else the partner id is the text up to the first NUL), then the KS. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int digit64(char c)
{
    static const char std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *p = c ? strchr(std, c) : NULL;
    const char *q = c ? strchr(url, c) : NULL;
    return p ? (int)(p - std) : q ? (int)(q - url) : -1;
}

/* n digits, 1 to 10, equal to partner when it is not NULL. */
static bool pid_ok(const unsigned char *p, size_t n, const char *partner)
{
    if (n < 1 || n > 10)
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    return partner == NULL || (strlen(partner) == n && memcmp(partner, p, n) == 0);
}

static bool reference(const char *ks, size_t len, const char *partner)
{
    if (len == 0 || len > KC_ANSWER_MAX_KS || len % 4 != 0)
        return false;
    size_t pad = 0;
    while (pad < 3 && ks[len - 1 - pad] == '=')
        pad++;
    if (pad > 2)
        return false;
    unsigned char *dec = malloc(len / 4 * 3);
    if (dec == NULL)
        abort();
    size_t n = 0;
    for (size_t i = 0; i < len; i += 4) {
        unsigned long v = 0;
        for (size_t j = i; j < i + 4; j++) {
            int d = j >= len - pad ? 0 : digit64(ks[j]);
            if (d < 0) {
                free(dec);
                return false;
            }
            v = v * 64 + (unsigned long)d;
        }
        dec[n++] = (unsigned char)(v >> 16);
        dec[n++] = (unsigned char)(v >> 8);
        dec[n++] = (unsigned char)v;
    }
    n -= pad;
    bool ok = false;
    if (n >= 3 && memcmp(dec, "v2|", 3) == 0) {
        unsigned char *bar = memchr(dec + 3, '|', n - 3);
        size_t cipher = bar ? n - (size_t)(bar - dec) - 1 : 0;
        ok = bar && pid_ok(dec + 3, (size_t)(bar - dec) - 3, partner) && cipher >= 48 &&
             cipher % 16 == 0;
    } else if (n >= 41 && dec[40] == '|') {
        ok = true;
        for (size_t i = 0; i < 40; i++)
            ok = ok && ((dec[i] >= '0' && dec[i] <= '9') || (dec[i] >= 'a' && dec[i] <= 'f'));
        unsigned char *semi = memchr(dec + 41, ';', n - 41);
        ok = ok && semi && pid_ok(dec + 41, (size_t)(semi - dec) - 41, partner) &&
             memchr(semi + 1, ';', n - (size_t)(semi - dec) - 1) != NULL;
    }
    free(dec);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *partner = data[0] == 1 ? "12345" : NULL;
    const uint8_t *ks = data + 1;
    size_t len = size - 1;
    char *own = NULL;
    if (data[0] > 1) { /* "partner\0KS" */
        const uint8_t *nul = memchr(ks, '\0', len);
        if (nul == NULL)
            return 0;
        own = strndup((const char *)ks, (size_t)(nul - ks));
        if (own == NULL)
            abort();
        partner = own;
        len -= (size_t)(nul - ks) + 1;
        ks = nul + 1;
    }
    char *copy = malloc(len ? len : 1); /* exactly sized: ASan sees any over-read */
    if (copy == NULL)
        abort();
    memcpy(copy, ks, len);
    bool got = kc_ks_well_formed(copy, len, partner);
    if (got != reference(copy, len, partner))
        abort();
    if (got && !kc_printable_ascii(copy, len))
        abort();
    free(copy);
    free(own);
    return 0;
}
