/* The Secret Service side of the keyring operations (keyring_op.h). */
#include "keyring_op.h"

#include <string.h>

#include "cancel_timer.h"
#include "keyring.h"

const SecretSchema kc_token_schema = {
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

/* A prompt where nobody can answer it (no graphical session) still gets this long: a KWallet
 * wallet that pam_kwallet5 opened at login reads Locked until some client asks to unlock it,
 * and that request's prompt then completes at once, without a dialog; KeePassXC answers every
 * CreateItem with a prompt that completes by itself. */
#define UNATTENDED_PROMPT_US (2 * G_USEC_PER_SEC)
/* Taking a new item out again after the old one could not be removed: its own bound, since
 * the operation's deadline may have passed already. */
#define ROLLBACK_US (5 * G_USEC_PER_SEC)

GHashTable *kc_token_attributes(const struct kc_profile *p)
{
    GHashTable *a = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(a, "service_url", p->service_url);
    g_hash_table_insert(a, "partner_id", p->partner_id);
    g_hash_table_insert(a, "app_token_id", p->app_token_id);
    return a;
}

bool kc_op_attended(void)
{
    const char *x = g_getenv("DISPLAY"), *w = g_getenv("WAYLAND_DISPLAY");
    return (x && *x) || (w && *w);
}

/* Creating and deleting items: libsecret's async calls, run in the attempt's own main context
 * (op->ctx), pushed for that call only. Their *_sync versions drop their result, and the prompt
 * proxy it holds (KeePassXC answers every CreateItem with a prompt), only after their private
 * context is gone; the proxy's signal subscriptions are then freed by callbacks on that
 * context which never run (2 x 8 bytes per prompt, LeakSanitizer). keyring.c drains op->ctx
 * once the attempt has dropped every object. The other objects (the service, collection and
 * items of the sync calls) stay on contexts nobody iterates, as with the sync API: their
 * property-change handlers leak when they run (valgrind). */
static void on_done(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)source;
    *(GAsyncResult **)data = g_object_ref(res);
}

static GAsyncResult *wait_for(struct kc_op *op, GAsyncResult **res)
{
    while (!*res)
        g_main_context_iteration(op->ctx, TRUE);
    g_main_context_pop_thread_default(op->ctx);
    return *res;
}

static SecretItem *item_create(struct kc_op *op, SecretCollection *coll, GHashTable *attrs,
                               const char *label, SecretValue *value, GError **error)
{
    GAsyncResult *res = NULL;
    g_main_context_push_thread_default(op->ctx);
    secret_item_create(coll, &kc_token_schema, attrs, label, value, SECRET_ITEM_CREATE_NONE,
                       op->cancel, on_done, &res);
    SecretItem *item = secret_item_create_finish(wait_for(op, &res), error);
    g_object_unref(res);
    return item;
}

static bool item_delete(struct kc_op *op, SecretItem *item, GCancellable *cancel, GError **error)
{
    GAsyncResult *res = NULL;
    g_main_context_push_thread_default(op->ctx);
    secret_item_delete(item, cancel, on_done, &res);
    bool ok = secret_item_delete_finish(item, wait_for(op, &res), error);
    g_object_unref(res);
    return ok;
}

static void set_cause(struct kc_op *op, GError *e)
{
    g_clear_error(&op->cause);
    op->cause = e;
}

/* Sorts the error of a failed call into a status; keeps it as the cause. */
static enum kc_op_status failed(struct kc_op *op, GError *e)
{
    set_cause(op, e);
    enum kc_prompt_end end = op->svc ? kc_keyring_service_prompt_end(op->svc) : KC_PROMPT_ANSWERED;
    if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED) && end == KC_PROMPT_BOUND)
        return KC_OP_PROMPT_UNATTENDED;
    if (g_cancellable_is_cancelled(op->cancel))
        return end == KC_PROMPT_EXPIRED ? KC_OP_PROMPT_UNANSWERED : KC_OP_TIMEOUT;
    /* gnome-keyring: "Cannot create an item in a locked collection" */
    if (g_error_matches(e, SECRET_ERROR, SECRET_ERROR_IS_LOCKED) ||
        strstr(e->message, "locked collection"))
        return KC_OP_LOCKED;
    /* nobody owns org.freedesktop.secrets and nothing can be activated for it: opening the
     * service does not call it, so the first call tells */
    if (g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
        g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
        g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND)) {
        g_dbus_error_strip_remote_error(e);
        return KC_OP_NO_SERVICE;
    }
    /* KWallet's Diffie-Hellman fault (doc/keyrings.md): OpenSession refused with InvalidArgs
     * "Client public key size is invalid", or "Can't find session ..." for a secret sent over
     * a session whose keys do not match; any service's answer about an unknown session */
    bool remote =
        e->domain == G_DBUS_ERROR || g_error_matches(e, G_IO_ERROR, G_IO_ERROR_DBUS_ERROR);
    if (g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS) ||
        (remote && strcasestr(e->message, "session")))
        return KC_OP_SESSION;
    return KC_OP_ERROR;
}

static enum kc_op_status open_service(struct kc_op *op)
{
    GError *e = NULL;
    op->svc = kc_keyring_service_open(kc_op_attended() ? 0 : UNATTENDED_PROMPT_US, op->cancel, &e);
    if (op->svc)
        return KC_OP_OK;
    set_cause(op, e);
    return g_cancellable_is_cancelled(op->cancel) ? KC_OP_TIMEOUT : KC_OP_NO_SERVICE;
}

/* Asks the service to unlock objects (collections or items). Its dialog, if one opens, is
 * waited for until the deadline, or outside a graphical session for UNATTENDED_PROMPT_US. */
static enum kc_op_status unlock(struct kc_op *op, GList *objects)
{
    if (!op->may_unlock)
        return KC_OP_LOCKED;
    GList *unlocked = NULL;
    GError *e = NULL;
    gint n = secret_service_unlock_sync(op->svc, objects, op->cancel, &unlocked, &e);
    g_list_free_full(unlocked, g_object_unref);
    if (!e)
        return n == (gint)g_list_length(objects) ? KC_OP_OK : KC_OP_LOCKED;
    switch (failed(op, e)) {
    case KC_OP_PROMPT_UNATTENDED:
        return KC_OP_LOCKED_UNATTENDED;
    case KC_OP_PROMPT_UNANSWERED:
        return KC_OP_LOCKED_UNANSWERED;
    case KC_OP_TIMEOUT:
        return KC_OP_TIMEOUT;
    default: /* dismissed, or the provider could not show its dialog */
        return KC_OP_LOCKED;
    }
}

/* The default collection (*out NULL when there is none), unlocked if it was locked. Only a
 * store needs it; for the others it is the lock check, and a collection that cannot be read
 * leaves that to the search. */
static enum kc_op_status collection(struct kc_op *op, bool needed, SecretCollection **out)
{
    GError *e = NULL;
    *out = secret_collection_for_alias_sync(op->svc, SECRET_COLLECTION_DEFAULT,
                                            SECRET_COLLECTION_NONE, op->cancel, &e);
    if (e) {
        if (needed || g_cancellable_is_cancelled(op->cancel))
            return failed(op, e);
        g_error_free(e);
        return KC_OP_OK;
    }
    if (!*out)
        return needed ? KC_OP_NO_COLLECTION : KC_OP_OK;
    if (!secret_collection_get_locked(*out))
        return KC_OP_OK;
    GList one = {.data = *out};
    return unlock(op, &one);
}

static enum kc_op_status search(struct kc_op *op, GList **items)
{
    g_autoptr(GHashTable) attrs = kc_token_attributes(op->p);
    GError *e = NULL;
    *items = secret_service_search_sync(op->svc, &kc_token_schema, attrs, SECRET_SEARCH_ALL,
                                        op->cancel, &e);
    return e ? failed(op, e) : KC_OP_OK;
}

/* Tells the caller that the profile's item exists (op->found), once. */
static void announce_found(struct kc_op *op)
{
    void (*found)(void *) = op->found;
    op->found = NULL;
    if (found)
        found(op->found_data);
}

/* The profile's items, locked ones included. Unlocks them when all must be (store, clear: an
 * item that stays locked cannot be removed) or when none is unlocked (lookup). */
static enum kc_op_status items_unlocked(struct kc_op *op, bool all, GList **items)
{
    enum kc_op_status st = search(op, items);
    if (st == KC_OP_OK && *items)
        announce_found(op); /* before the slow part: unlocking an item, reading its secret */
    GList *locked = NULL;
    size_t open = 0;
    for (GList *l = st == KC_OP_OK ? *items : NULL; l; l = l->next) {
        if (secret_item_get_locked(l->data))
            locked = g_list_prepend(locked, l->data);
        else
            open++;
    }
    if (!locked || (!all && open > 0)) {
        g_list_free(locked);
        return st;
    }
    st = unlock(op, locked);
    g_list_free(locked);
    if (st != KC_OP_OK)
        return st;
    g_list_free_full(*items, g_object_unref); /* once more, for the new lock states */
    st = search(op, items);
    for (GList *l = st == KC_OP_OK ? *items : NULL; l; l = l->next)
        if (secret_item_get_locked(l->data))
            return KC_OP_LOCKED;
    return st;
}

/* The first unlocked item's token that is usable. An item whose secret cannot be decrypted
 * (libsecret: SECRET_ERROR_PROTOCOL; KWallet's fault) is UNREADABLE, not "no token". */
static enum kc_op_status read_token(struct kc_op *op, GList *items)
{
    bool unreadable = false;
    for (GList *l = items; l; l = l->next) {
        SecretItem *item = l->data;
        if (secret_item_get_locked(item))
            continue;
        GError *e = NULL;
        if (!secret_item_load_secret_sync(item, op->cancel, &e)) {
            if (!g_error_matches(e, SECRET_ERROR, SECRET_ERROR_PROTOCOL) ||
                g_cancellable_is_cancelled(op->cancel))
                return failed(op, e);
            set_cause(op, e);
            unreadable = true;
            continue;
        }
        SecretValue *v = secret_item_get_secret(item);
        if (!v) {
            unreadable = true;
            continue;
        }
        gsize n = 0;
        char *t = secret_value_unref_to_password(v, &n);
        if (t && strlen(t) == n && kc_token_ok(t)) {
            op->token = t;
            return KC_OP_OK;
        }
        secret_password_free(t); /* wipes */
    }
    return unreadable ? KC_OP_UNREADABLE : KC_OP_UNUSABLE;
}

enum kc_op_status kc_op_lookup(struct kc_op *op)
{
    g_autoptr(SecretCollection) coll = NULL;
    GList *items = NULL;
    enum kc_op_status st = open_service(op);
    if (st == KC_OP_OK)
        st = collection(op, false, &coll);
    if (st == KC_OP_OK)
        st = items_unlocked(op, false, &items);
    if (st == KC_OP_OK)
        st = items ? read_token(op, items) : KC_OP_NOT_FOUND;
    g_list_free_full(items, g_object_unref);
    return st;
}

static enum kc_op_status create(struct kc_op *op, SecretCollection *coll, const char *token,
                                SecretItem **out)
{
    const struct kc_profile *p = op->p;
    g_autoptr(GHashTable) attrs = kc_token_attributes(p);
    g_autofree char *label =
        g_strdup_printf("Kaltura App Token %s (%s@%s)", p->app_token_id, p->partner_id, p->host);
    g_autoptr(SecretValue) value = secret_value_new(token, -1, "text/plain"); /* wiped on free */
    GError *e = NULL;
    /* Never SECRET_ITEM_CREATE_REPLACE: KeePassXC before 2.7.6 opens an access dialog for the
     * item it would replace, even with ConfirmAccessItem=false (keepassxc issue 9255). */
    *out = item_create(op, coll, attrs, label, value, &e);
    return *out ? KC_OP_OK : failed(op, e);
}

/* Removes the old items once the new one is in. When one cannot be removed, the new one is
 * taken out again: the keyring keeps what it had, and never two tokens for the profile. */
static enum kc_op_status remove_old(struct kc_op *op, GList *old, SecretItem *fresh)
{
    const char *fresh_path = g_dbus_proxy_get_object_path(G_DBUS_PROXY(fresh));
    for (GList *l = old; l; l = l->next) {
        if (strcmp(g_dbus_proxy_get_object_path(l->data), fresh_path) == 0)
            continue;
        GError *e = NULL;
        if (item_delete(op, l->data, op->cancel, &e))
            continue;
        enum kc_op_status why = failed(op, e);
        if (why == KC_OP_TIMEOUT)
            set_cause(op, g_error_new(G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no answer within %lld s",
                                      op->p->timeout));
        else if (why == KC_OP_PROMPT_UNANSWERED)
            set_cause(op, g_error_new(G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                      "its confirmation dialog was not answered within %lld s",
                                      op->p->timeout));
        else if (why == KC_OP_PROMPT_UNATTENDED)
            set_cause(op, g_error_new_literal(G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                              "its confirmation dialog needs someone at the "
                                              "desktop"));
        g_autoptr(GCancellable) cancel = g_cancellable_new();
        struct kc_cancel_timer *timer =
            kc_cancel_timer_start(cancel, g_get_monotonic_time() + ROLLBACK_US);
        bool back = item_delete(op, fresh, cancel, NULL);
        kc_cancel_timer_stop(timer);
        return back ? KC_OP_NOT_REPLACED : KC_OP_BOTH_KEPT;
    }
    return KC_OP_OK;
}

static bool listed(GList *items, const char *path)
{
    for (GList *l = items; l; l = l->next)
        if (strcmp(g_dbus_proxy_get_object_path(l->data), path) == 0)
            return true;
    return false;
}

/* After a CreateItem that failed: removes what it left behind. kwalletd5 registers the item
 * before it decrypts the secret, so a secret it cannot decrypt leaves an item without one, at
 * an entry location that the next new item with that label is given again; removing that
 * empty item later would remove the new token with it (doc/keyrings.md). */
static void remove_leftovers(struct kc_op *op, GList *old)
{
    GList *now = NULL;
    if (g_cancellable_is_cancelled(op->cancel) || search(op, &now) != KC_OP_OK)
        return;
    for (GList *l = now; l; l = l->next)
        if (!listed(old, g_dbus_proxy_get_object_path(l->data)))
            item_delete(op, l->data, op->cancel, NULL);
    g_list_free_full(now, g_object_unref);
}

/* Reads the stored token back: "stored" is said only of a token the keyring gives back (or,
 * when the deadline leaves no time to check, of one it took). A secret that cannot be
 * decrypted is the session's fault (KWallet's Diffie-Hellman bug): KC_OP_SESSION, retried. */
static enum kc_op_status read_back(struct kc_op *op, SecretItem *fresh, const char *token)
{
    GError *e = NULL;
    if (!secret_item_load_secret_sync(fresh, op->cancel, &e)) {
        if (g_cancellable_is_cancelled(op->cancel)) {
            g_error_free(e);
            return KC_OP_OK;
        }
        bool undecryptable = g_error_matches(e, SECRET_ERROR, SECRET_ERROR_PROTOCOL);
        set_cause(op, e);
        return undecryptable ? KC_OP_SESSION : KC_OP_NOT_KEPT;
    }
    g_autoptr(SecretValue) v = secret_item_get_secret(fresh);
    gsize n = 0;
    const char *got = v ? secret_value_get(v, &n) : NULL;
    if (got && n == strlen(token) && memcmp(got, token, n) == 0)
        return KC_OP_OK;
    set_cause(op, NULL);
    return KC_OP_NOT_KEPT;
}

enum kc_op_status kc_op_store(struct kc_op *op, const char *token)
{
    g_autoptr(SecretCollection) coll = NULL;
    g_autoptr(SecretItem) fresh = NULL;
    GList *old = NULL;
    enum kc_op_status st = open_service(op);
    if (st == KC_OP_OK)
        st = collection(op, true, &coll);
    if (st == KC_OP_OK)
        st = items_unlocked(op, true, &old);
    if (st == KC_OP_OK) {
        st = create(op, coll, token, &fresh);
        if (st != KC_OP_OK)
            remove_leftovers(op, old);
    }
    /* The new token is read back before the old one goes: one that the keyring took wrongly
     * (over a session whose keys do not match, kwalletd's padding check passes by chance once
     * in 256) is taken out again, and the old token stays. And once more after: removing an
     * old item that shared the new one's entry (kwalletd) would take the new token with it. */
    if (st == KC_OP_OK) {
        st = read_back(op, fresh, token);
        if (st != KC_OP_OK)
            item_delete(op, fresh, op->cancel, NULL);
    }
    if (st == KC_OP_OK)
        st = remove_old(op, old, fresh);
    if (st == KC_OP_OK)
        st = read_back(op, fresh, token);
    g_list_free_full(old, g_object_unref);
    return st;
}

enum kc_op_status kc_op_clear(struct kc_op *op)
{
    g_autoptr(SecretCollection) coll = NULL;
    GList *items = NULL;
    enum kc_op_status st = open_service(op);
    if (st == KC_OP_OK)
        st = collection(op, false, &coll);
    if (st == KC_OP_OK)
        st = items_unlocked(op, true, &items);
    for (GList *l = st == KC_OP_OK ? items : NULL; l && st == KC_OP_OK; l = l->next) {
        GError *e = NULL;
        if (item_delete(op, l->data, op->cancel, &e))
            op->removed = true;
        else
            st = failed(op, e);
    }
    g_list_free_full(items, g_object_unref);
    return st;
}
