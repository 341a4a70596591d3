/* The App Token in the desktop keyring (doc/helper.md "Keyring"): libsecret schema
 * org.kaltura.AppToken, attributes service_url, partner_id, app_token_id; the secret is the token
 * string. Only the secret_password_* API touches items, so SECRET_BACKEND=file works. */
#ifndef KC_KEYRING_H
#define KC_KEYRING_H

#include <glib.h>
#include <stdbool.h>

#include "config.h"

enum kc_keyring_rc {
    KC_KEYRING_FOUND,
    KC_KEYRING_NOT_FOUND,   /* error: KC_EXIT_NO_TOKEN */
    KC_KEYRING_LOCKED,      /* error: KC_EXIT_KEYRING */
    KC_KEYRING_UNAVAILABLE, /* no Secret Service, D-Bus error, timeout; error: KC_EXIT_KEYRING */
};

#define KC_TOKEN_MAX 4096

/* Looks the profile's token up, waiting at most p->timeout seconds for the Secret Service
 * (after that: UNAVAILABLE, a message naming the timeout). On FOUND *token is set: release it
 * with kc_keyring_free. Otherwise error is set with a one-line message saying what to do. */
enum kc_keyring_rc kc_keyring_lookup(const struct kc_profile *p, char **token, GError **error);
void kc_keyring_free(char *token);

/* kc_keyring_lookup, which first searches for the item (no secret leaves the keyring, nothing
 * prompts) and, only when one exists, calls found(ctx) before reading it (a Secret Service
 * session, GetSecrets, maybe an unlock prompt: the slow part), so the caller can start work
 * that only makes sense with a token. No item, no keyring: found is never called, and the error
 * is what kc_keyring_lookup sets. One deadline (p->timeout) for the search and the read. */
enum kc_keyring_rc kc_keyring_lookup_found(const struct kc_profile *p, void (*found)(void *ctx),
                                           void *ctx, char **token, GError **error);

/* Stores (replaces) the profile's token. */
bool kc_keyring_store(const struct kc_profile *p, const char *token, GError **error);
/* Removes the profile's token; *removed tells whether there was one. */
bool kc_keyring_clear(const struct kc_profile *p, bool *removed, GError **error);

/* true when a string is acceptable as a token: one line of printable ASCII, 1..KC_TOKEN_MAX. */
bool kc_token_ok(const char *token);

#endif
