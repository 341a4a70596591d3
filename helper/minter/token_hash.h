/* The App Token hash: lowercase_hex(HASH(widget KS + token)) (doc/kaltura-api.md §0, §2 step 3). */
#ifndef KC_TOKEN_HASH_H
#define KC_TOKEN_HASH_H

#include <stddef.h>

enum kc_hash {
    KC_HASH_SHA1 = 0, /* the server's default hashType */
    KC_HASH_SHA256,
    KC_HASH_SHA512,
    KC_HASH_MD5,
};

/* Enough for SHA-512 in hex plus the NUL. */
#define KC_TOKEN_HASH_HEX_MAX (2 * 64 + 1)

/* "sha1" ... "md5" (config spelling). */
const char *kc_hash_name(enum kc_hash h);
/* Parses a config spelling (case-insensitive). Returns 0, or -1 for an unknown name. */
int kc_hash_from_name(const char *name, enum kc_hash *out);

/* Writes the lowercase hex digest of ks followed by token into hex (hex_size >=
 * KC_TOKEN_HASH_HEX_MAX). No concatenated copy is made. Returns 0, or -1 on an OpenSSL failure
 * or a too-small buffer. */
int kc_token_hash(enum kc_hash h, const char *ks, const char *token, char *hex, size_t hex_size);

#endif
