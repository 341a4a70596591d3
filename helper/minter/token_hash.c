/* App Token hash with OpenSSL EVP (libcrypto only). */
#include "token_hash.h"

#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

#include "secure_mem.h"

static const struct {
    enum kc_hash id;
    const char *name;
    const char *evp_name;
} hashes[] = {
    {KC_HASH_SHA1, "sha1", "SHA1"},
    {KC_HASH_SHA256, "sha256", "SHA256"},
    {KC_HASH_SHA512, "sha512", "SHA512"},
    {KC_HASH_MD5, "md5", "MD5"},
};

const char *kc_hash_name(enum kc_hash h)
{
    for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
        if (hashes[i].id == h)
            return hashes[i].name;
    return "?";
}

int kc_hash_from_name(const char *name, enum kc_hash *out)
{
    for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++) {
        if (strcasecmp(name, hashes[i].name) == 0) {
            *out = hashes[i].id;
            return 0;
        }
    }
    return -1;
}

int kc_token_hash(enum kc_hash h, const char *ks, const char *token, char *hex, size_t hex_size)
{
    const char *evp_name = NULL;
    for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
        if (hashes[i].id == h)
            evp_name = hashes[i].evp_name;
    if (!evp_name || hex_size < KC_TOKEN_HASH_HEX_MAX)
        return -1;

    EVP_MD *md = EVP_MD_fetch(NULL, evp_name, NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    int rc = -1;
    /* Two updates instead of a concatenated copy: no extra buffer holds the token. */
    if (md && ctx && EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
        EVP_DigestUpdate(ctx, ks, strlen(ks)) == 1 &&
        EVP_DigestUpdate(ctx, token, strlen(token)) == 1 &&
        EVP_DigestFinal_ex(ctx, digest, &len) == 1 && 2 * (size_t)len < hex_size) {
        static const char digits[] = "0123456789abcdef";
        for (unsigned int i = 0; i < len; i++) {
            hex[2 * i] = digits[digest[i] >> 4];
            hex[2 * i + 1] = digits[digest[i] & 0xf];
        }
        hex[2 * len] = '\0';
        rc = 0;
    }
    secure_wipe(digest, sizeof digest);
    EVP_MD_CTX_free(ctx); /* also cleanses the digest state */
    EVP_MD_free(md);
    return rc;
}
