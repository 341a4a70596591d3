/* The App Token in the desktop keyring (doc/helper.md "Keyring"): libsecret schema
 * org.kaltura.AppToken, attributes service_url, partner_id, app_token_id; the secret is the token
 * string. Every operation reads the lock state before anything else and is bounded by the
 * profile's `timeout`. Under SECRET_BACKEND=file (unit tests) only the secret_password_* API
 * is used: that backend has no collections, so it is never locked. */
#ifndef KC_KEYRING_H
#define KC_KEYRING_H

#include <glib.h>
#include <stdbool.h>

#include "config.h"

enum kc_keyring_rc {
    KC_KEYRING_FOUND,
    KC_KEYRING_NOT_FOUND,   /* no item, or one without a usable token; error: KC_EXIT_NO_TOKEN */
    KC_KEYRING_LOCKED,      /* error: KC_EXIT_KEYRING */
    KC_KEYRING_UNREADABLE,  /* an item is there, its secret could not be read; KC_EXIT_KEYRING */
    KC_KEYRING_UNAVAILABLE, /* no Secret Service, D-Bus error, timeout; error: KC_EXIT_KEYRING */
};

#define KC_TOKEN_MAX 4096

/* Looks the profile's token up, waiting at most p->timeout seconds for the Secret Service. A
 * locked collection is asked to unlock (its dialog waited for up to the timeout, or shortly
 * outside a graphical session). On FOUND *token is set: release it with kc_keyring_free.
 * Otherwise error is set with a one-line message saying what is true and what to do. */
enum kc_keyring_rc kc_keyring_lookup(const struct kc_profile *p, char **token, GError **error);
/* What kc_keyring_lookup would find, without ever asking to unlock anything (`status`). */
enum kc_keyring_rc kc_keyring_probe(const struct kc_profile *p, GError **error);
void kc_keyring_free(char *token);

/* kc_keyring_lookup that calls found(ctx), at most once, as soon as the profile's item is known
 * to exist (after the search, before the item is unlocked and its secret read: the slow part),
 * so the caller can start work that only makes sense with a token. No item, no keyring, a
 * locked collection that stays locked: found is never called. One deadline (p->timeout). */
enum kc_keyring_rc kc_keyring_lookup_found(const struct kc_profile *p, void (*found)(void *ctx),
                                           void *ctx, char **token, GError **error);

/* Stores the profile's token, replacing a stored one: the new item is made first, then the old
 * one removed, so a failure never loses the token stored before. */
bool kc_keyring_store(const struct kc_profile *p, const char *token, GError **error);
/* Removes the profile's token; *removed tells whether there was one. A token that is there but
 * locked is an error (KC_EXIT_KEYRING), never "nothing removed". */
bool kc_keyring_clear(const struct kc_profile *p, bool *removed, GError **error);

/* true when a string is acceptable as a token: one line of printable ASCII, 1..KC_TOKEN_MAX. */
bool kc_token_ok(const char *token);

#endif
