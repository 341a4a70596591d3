/* libsecret access for the App Token. */
#include "keyring.h"

#include <libsecret/secret.h>
#include <string.h>

#include "cancel_timer.h"
#include "contract.h"
#include "text.h"

static const SecretSchema schema = {
    .name = "org.kaltura.AppToken",
    .flags = SECRET_SCHEMA_NONE,
    .attributes =
        {
            {"service_url", SECRET_SCHEMA_ATTRIBUTE_STRING},
            {"partner_id", SECRET_SCHEMA_ATTRIBUTE_STRING},
            {"app_token_id", SECRET_SCHEMA_ATTRIBUTE_STRING},
            {NULL, 0},
        },
};

#define ATTRS(p)                                                                                   \
    "service_url", (p)->service_url, "partner_id", (p)->partner_id, "app_token_id",                \
        (p)->app_token_id, NULL

bool kc_token_ok(const char *token)
{
    return kc_text_ok(token, KC_TOKEN_MAX, KC_TEXT_NONEMPTY | KC_TEXT_ASCII);
}

static void unavailable(GError **error, const char *what, const GError *e)
{
    g_set_error(error, KC_ERROR, KC_EXIT_KEYRING,
                "cannot %s the keyring: %s; is a Secret Service (gnome-keyring, KeePassXC ...) "
                "running on this session bus?",
                what, e->message);
}

/* After a lookup that found nothing: is that because the item sits in a locked collection?
 * (libsecret reports both cases as NULL without an error: doc/helper.md "Keyring".) */
static bool keyring_locked(const struct kc_profile *p, GCancellable *cancel)
{
    const char *backend = g_getenv("SECRET_BACKEND");
    if (backend && strcmp(backend, "file") == 0)
        return false; /* no collections: a wrong file password simply hides items */
    g_autoptr(SecretService) svc = secret_service_get_sync(SECRET_SERVICE_NONE, cancel, NULL);
    if (!svc)
        return false;
    g_autoptr(GHashTable) attrs = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(attrs, "service_url", p->service_url);
    g_hash_table_insert(attrs, "partner_id", p->partner_id);
    g_hash_table_insert(attrs, "app_token_id", p->app_token_id);
    GList *items = secret_service_search_sync(svc, &schema, attrs, SECRET_SEARCH_ALL, cancel, NULL);
    bool locked = false;
    for (GList *l = items; l; l = l->next)
        locked = locked || secret_item_get_locked(l->data);
    g_list_free_full(items, g_object_unref);
    if (locked)
        return true;
    g_autoptr(SecretCollection) coll = secret_collection_for_alias_sync(
        svc, SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE, cancel, NULL);
    return coll && secret_collection_get_locked(coll);
}

/* No item was found for p: why (locked, or not stored), as the error to report. */
static enum kc_keyring_rc nothing_found(const struct kc_profile *p, GCancellable *cancel,
                                        GError **error)
{
    if (keyring_locked(p, cancel)) {
        g_set_error(error, KC_ERROR, KC_EXIT_KEYRING,
                    "the keyring is locked; unlock it (log in to the desktop, or "
                    "`gnome-keyring-daemon --unlock`) and try again");
        return KC_KEYRING_LOCKED;
    }
    g_set_error(error, KC_ERROR, KC_EXIT_NO_TOKEN,
                "no App Token stored for profile '%s' (%s, partner %s, token id %s); run "
                "`kaltura-credential --profile %s login`",
                p->name, p->service_url, p->partner_id, p->app_token_id, p->name);
    return KC_KEYRING_NOT_FOUND;
}

/* The lookup proper; every D-Bus call in it is abandoned once cancel is cancelled. */
static enum kc_keyring_rc lookup(const struct kc_profile *p, GCancellable *cancel, char **token,
                                 GError **error)
{
    g_autoptr(GError) e = NULL;
    char *t = secret_password_lookup_sync(&schema, cancel, &e, ATTRS(p));
    if (e) {
        kc_keyring_free(t);
        unavailable(error, "read", e);
        return KC_KEYRING_UNAVAILABLE;
    }
    if (!t)
        return nothing_found(p, cancel, error);
    if (!kc_token_ok(t)) {
        kc_keyring_free(t);
        g_set_error(error, KC_ERROR, KC_EXIT_NO_TOKEN,
                    "the keyring item for profile '%s' does not hold a usable token; run "
                    "`kaltura-credential --profile %s login` again",
                    p->name, p->name);
        return KC_KEYRING_NOT_FOUND;
    }
    *token = t;
    return KC_KEYRING_FOUND;
}

/* Whether an item for p is there to be read, without reading it: a search, no secret leaves
 * the keyring and nothing prompts. */
static enum kc_keyring_rc probe(const struct kc_profile *p, GCancellable *cancel, GError **error)
{
    g_autoptr(GError) e = NULL;
    GList *items = secret_password_search_sync(&schema, SECRET_SEARCH_ALL, cancel, &e, ATTRS(p));
    if (e) {
        g_list_free_full(items, g_object_unref);
        unavailable(error, "read", e);
        return KC_KEYRING_UNAVAILABLE;
    }
    if (!items)
        return nothing_found(p, cancel, error);
    g_list_free_full(items, g_object_unref);
    return KC_KEYRING_FOUND;
}

enum kc_keyring_rc kc_keyring_lookup_found(const struct kc_profile *p, void (*found)(void *ctx),
                                           void *ctx, char **token, GError **error)
{
    *token = NULL;
    g_autoptr(GCancellable) cancel = g_cancellable_new();
    struct kc_cancel_timer *timer = kc_cancel_timer_start(cancel, (int)p->timeout);
    g_autoptr(GError) e = NULL;
    enum kc_keyring_rc rc = found ? probe(p, cancel, &e) : KC_KEYRING_FOUND;
    if (rc == KC_KEYRING_FOUND) {
        if (found)
            found(ctx);
        rc = lookup(p, cancel, token, &e);
    }
    /* A token that arrived is used even if the deadline passed meanwhile; any other outcome
     * after the deadline (cancelled calls look like "unavailable" or "not found") is the
     * timeout. */
    if (kc_cancel_timer_stop(timer) && rc != KC_KEYRING_FOUND) {
        g_set_error(error, KC_ERROR, KC_EXIT_KEYRING,
                    "the keyring did not answer within %lld s (the profile's timeout); is the "
                    "Secret Service (gnome-keyring, KeePassXC ...) hung? Restart it, or raise "
                    "timeout",
                    p->timeout);
        return KC_KEYRING_UNAVAILABLE;
    }
    if (e)
        g_propagate_error(error, g_steal_pointer(&e));
    return rc;
}

enum kc_keyring_rc kc_keyring_lookup(const struct kc_profile *p, char **token, GError **error)
{
    return kc_keyring_lookup_found(p, NULL, NULL, token, error);
}

void kc_keyring_free(char *token)
{
    secret_password_free(token); /* wipes, then frees */
}

bool kc_keyring_store(const struct kc_profile *p, const char *token, GError **error)
{
    g_autoptr(GError) e = NULL;
    g_autofree char *label =
        g_strdup_printf("Kaltura App Token %s (%s@%s)", p->app_token_id, p->partner_id, p->host);
    if (!secret_password_store_sync(&schema, SECRET_COLLECTION_DEFAULT, label, token, NULL, &e,
                                    ATTRS(p))) {
        unavailable(error, "store the token in", e);
        return false;
    }
    return true;
}

bool kc_keyring_clear(const struct kc_profile *p, bool *removed, GError **error)
{
    g_autoptr(GError) e = NULL;
    *removed = secret_password_clear_sync(&schema, NULL, &e, ATTRS(p));
    if (e) {
        unavailable(error, "remove the token from", e);
        return false;
    }
    return true;
}
