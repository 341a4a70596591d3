/* libsecret access for the App Token: the deadline, the retry of a failed session, the file
 * backend of the unit tests, and the words of each outcome (keyring_op.c does the steps). */
#include "keyring.h"

#include <libsecret/secret.h>
#include <string.h>

#include "cancel_timer.h"
#include "contract.h"
#include "keyring_op.h"
#include "text.h"

#define ATTRS(p)                                                                                   \
    "service_url", (p)->service_url, "partner_id", (p)->partner_id, "app_token_id",                \
        (p)->app_token_id, NULL

bool kc_token_ok(const char *token)
{
    return kc_text_ok(token, KC_TOKEN_MAX, KC_TEXT_NONEMPTY | KC_TEXT_ASCII);
}

void kc_keyring_free(char *token)
{
    secret_password_free(token); /* wipes, then frees */
}

/* ---- the file backend (SECRET_BACKEND=file, unit tests): no collections, never locked ---- */

static bool file_backend(void)
{
    const char *backend = g_getenv("SECRET_BACKEND");
    return backend && strcmp(backend, "file") == 0;
}

static enum kc_op_status file_failed(struct kc_op *op, GError *e)
{
    g_clear_error(&op->cause);
    op->cause = e;
    return g_cancellable_is_cancelled(op->cancel) ? KC_OP_TIMEOUT : KC_OP_NO_SERVICE;
}

static enum kc_op_status file_lookup(struct kc_op *op, const char *unused)
{
    (void)unused;
    GError *e = NULL;
    char *t = secret_password_lookup_sync(&kc_token_schema, op->cancel, &e, ATTRS(op->p));
    if (e) {
        kc_keyring_free(t);
        return file_failed(op, e);
    }
    if (t && !kc_token_ok(t)) {
        kc_keyring_free(t);
        return KC_OP_UNUSABLE;
    }
    op->token = t;
    if (t && op->found)
        op->found(op->found_data); /* no search in this backend: told once it is read */
    return t ? KC_OP_OK : KC_OP_NOT_FOUND;
}

static enum kc_op_status file_store(struct kc_op *op, const char *token)
{
    GError *e = NULL;
    const struct kc_profile *p = op->p;
    g_autofree char *label =
        g_strdup_printf("Kaltura App Token %s (%s@%s)", p->app_token_id, p->partner_id, p->host);
    if (!secret_password_store_sync(&kc_token_schema, SECRET_COLLECTION_DEFAULT, label, token,
                                    op->cancel, &e, ATTRS(p)))
        return file_failed(op, e);
    return KC_OP_OK;
}

static enum kc_op_status file_clear(struct kc_op *op, const char *unused)
{
    (void)unused;
    GError *e = NULL;
    op->removed = secret_password_clear_sync(&kc_token_schema, op->cancel, &e, ATTRS(op->p));
    return e ? file_failed(op, e) : KC_OP_OK;
}

/* ---- the Secret Service ---- */

static enum kc_op_status service_lookup(struct kc_op *op, const char *unused)
{
    (void)unused;
    return kc_op_lookup(op);
}

static enum kc_op_status service_clear(struct kc_op *op, const char *unused)
{
    (void)unused;
    return kc_op_clear(op);
}

typedef enum kc_op_status (*attempt_fn)(struct kc_op *op, const char *token);

/* Runs an attempt within the profile's timeout: one deadline for the whole operation. The
 * caller sets op->found and op->found_data (or zeroes them) before. */
static enum kc_op_status run(struct kc_op *op, const struct kc_profile *p, bool may_unlock,
                             attempt_fn attempt, const char *token)
{
    void (*found)(void *) = op->found;
    void *found_data = op->found_data;
    memset(op, 0, sizeof *op);
    op->found = found;
    op->found_data = found_data;
    op->p = p;
    op->may_unlock = may_unlock;
    op->cancel = g_cancellable_new();
    op->deadline = g_get_monotonic_time() + (gint64)p->timeout * G_USEC_PER_SEC;
    struct kc_cancel_timer *timer = kc_cancel_timer_start(op->cancel, op->deadline);
    enum kc_op_status st = KC_OP_ERROR;
    /* A failed session (KWallet's Diffie-Hellman fault in about 1 session of 100,
     * doc/keyrings.md) almost always works on a new one: once more, on a new connection. */
    for (int i = 0; i < 2; i++) {
        g_clear_error(&op->cause);
        op->ctx = g_main_context_new();
        st = attempt(op, token);
        if (op->svc)
            g_object_unref(op->svc);
        op->svc = NULL;
        /* every object of the attempt is gone: run what their finalizers left in the context
         * (keyring_op.c item_create says why) */
        g_main_context_push_thread_default(op->ctx);
        while (g_main_context_iteration(op->ctx, FALSE))
            ;
        g_main_context_pop_thread_default(op->ctx);
        g_main_context_unref(op->ctx);
        op->ctx = NULL;
        if (st != KC_OP_SESSION && st != KC_OP_UNREADABLE)
            break;
    }
    kc_cancel_timer_stop(timer);
    kc_keyring_service_release_spent();
    g_object_unref(op->cancel);
    op->cancel = NULL;
    return st;
}

/* ---- the words ---- */

enum kind { READ, STORE, REMOVE };
static const char *const verb[] = {"read", "store the token in", "remove the token from"};
static const char *const not_done[] = {"", ", so the App Token was not stored",
                                       ", so the App Token was not removed"};

/* One line that says what is true and what to do; the rc that goes with it. */
static enum kc_keyring_rc explain(const struct kc_op *op, enum kind k, enum kc_op_status st,
                                  GError **error)
{
    const struct kc_profile *p = op->p;
    const char *cause = op->cause ? op->cause->message : "no reason given";
    long long t = p->timeout;
    switch (st) {
    case KC_OP_OK:
        return KC_KEYRING_FOUND;
    case KC_OP_NOT_FOUND:
        g_set_error(error, KC_ERROR, KC_EXIT_NO_TOKEN,
                    "no App Token stored for profile '%s' (%s, partner %s, token id %s); run "
                    "`kaltura-credential --profile %s login`",
                    p->name, p->service_url, p->partner_id, p->app_token_id, p->name);
        return KC_KEYRING_NOT_FOUND;
    case KC_OP_UNUSABLE:
        g_set_error(error, KC_ERROR, KC_EXIT_NO_TOKEN,
                    "the keyring item for profile '%s' does not hold a usable token; run "
                    "`kaltura-credential --profile %s login` again",
                    p->name, p->name);
        return KC_KEYRING_NOT_FOUND;
    case KC_OP_LOCKED:
        g_set_error(error, KC_ERROR, KC_EXIT_KEYRING,
                    "the keyring is locked%s; unlock it (log in to the desktop, or unlock it in "
                    "GNOME Keyring, KeePassXC or KWallet) and try again",
                    not_done[k]);
        return KC_KEYRING_LOCKED;
    case KC_OP_LOCKED_UNANSWERED:
        g_set_error(error, KC_ERROR, KC_EXIT_KEYRING,
                    "the keyring is locked and its unlock dialog was not answered within %lld s "
                    "(the profile's timeout)%s; unlock it and try again",
                    t, not_done[k]);
        return KC_KEYRING_LOCKED;
    case KC_OP_LOCKED_UNATTENDED:
        g_set_error(error, KC_ERROR, KC_EXIT_KEYRING,
                    "the keyring is locked, and its unlock dialog needs someone at the desktop: "
                    "this runs outside a graphical session (no DISPLAY or WAYLAND_DISPLAY)%s; "
                    "unlock the keyring in the desktop session and try again",
                    not_done[k]);
        return KC_KEYRING_LOCKED;
    case KC_OP_UNREADABLE:
        g_set_error(error, KC_ERROR, KC_EXIT_KEYRING,
                    "the App Token of profile '%s' is stored, but its secret could not be read "
                    "(twice: KWallet's Diffie-Hellman fault, doc/keyrings.md); try again",
                    p->name);
        return KC_KEYRING_UNREADABLE;
    case KC_OP_SESSION:
        g_set_error(error, KC_ERROR, KC_EXIT_KEYRING,
                    "cannot %s the keyring: %s (twice, each on a new session)%s; try again",
                    verb[k], cause, not_done[k]);
        return KC_KEYRING_UNAVAILABLE;
    case KC_OP_NO_SERVICE:
        g_set_error(error, KC_ERROR, KC_EXIT_KEYRING,
                    "cannot %s the keyring: %s; is a Secret Service (gnome-keyring, KeePassXC, "
                    "KWallet ...) running on this session bus?",
                    verb[k], cause);
        return KC_KEYRING_UNAVAILABLE;
    case KC_OP_NO_COLLECTION:
        g_set_error(error, KC_ERROR, KC_EXIT_KEYRING,
                    "the keyring has no default collection to store the App Token in; create "
                    "one in the keyring's program (KeePassXC: expose a database group to the "
                    "Secret Service) and try again");
        return KC_KEYRING_UNAVAILABLE;
    case KC_OP_NOT_REPLACED:
        g_set_error(error, KC_ERROR, KC_EXIT_KEYRING,
                    "the keyring kept the App Token stored before: its item could not be "
                    "removed (%s), so the new one was taken out again; try again",
                    cause);
        return KC_KEYRING_UNAVAILABLE;
    case KC_OP_BOTH_KEPT:
        g_set_error(error, KC_ERROR, KC_EXIT_KEYRING,
                    "the keyring now holds two App Tokens for profile '%s': the old item could "
                    "not be removed (%s), nor the new one taken out again; remove the older "
                    "'Kaltura App Token %s' item in the keyring's program",
                    p->name, cause, p->app_token_id);
        return KC_KEYRING_UNAVAILABLE;
    case KC_OP_NOT_KEPT:
        g_set_error(error, KC_ERROR, KC_EXIT_KEYRING,
                    "the keyring took the App Token but does not give it back (%s); try again",
                    op->cause ? op->cause->message : "reading it gave something else");
        return KC_KEYRING_UNAVAILABLE;
    case KC_OP_TIMEOUT:
        g_set_error(error, KC_ERROR, KC_EXIT_KEYRING,
                    "the keyring did not answer within %lld s (the profile's timeout)%s; is the "
                    "Secret Service (gnome-keyring, KeePassXC, KWallet ...) hung? Restart it, or "
                    "raise timeout",
                    t, not_done[k]);
        return KC_KEYRING_UNAVAILABLE;
    case KC_OP_PROMPT_UNANSWERED:
        g_set_error(error, KC_ERROR, KC_EXIT_KEYRING,
                    "the keyring's confirmation dialog was not answered within %lld s (the "
                    "profile's timeout)%s; answer it (or turn that confirmation off in the "
                    "keyring's settings) and try again",
                    t, not_done[k]);
        return KC_KEYRING_UNAVAILABLE;
    case KC_OP_PROMPT_UNATTENDED:
        g_set_error(error, KC_ERROR, KC_EXIT_KEYRING,
                    "the keyring asks for a confirmation that needs someone at the desktop: "
                    "this runs outside a graphical session (no DISPLAY or WAYLAND_DISPLAY)%s; "
                    "run it in the desktop session (or turn that confirmation off in the "
                    "keyring's settings)",
                    not_done[k]);
        return KC_KEYRING_UNAVAILABLE;
    case KC_OP_ERROR:
        break;
    }
    g_set_error(error, KC_ERROR, KC_EXIT_KEYRING, "cannot %s the keyring: %s%s", verb[k], cause,
                not_done[k]);
    return KC_KEYRING_UNAVAILABLE;
}

static enum kc_keyring_rc finish(struct kc_op *op, enum kind k, enum kc_op_status st,
                                 GError **error)
{
    enum kc_keyring_rc rc = explain(op, k, st, error);
    g_clear_error(&op->cause);
    return rc;
}

/* ---- the API ---- */

static enum kc_keyring_rc lookup(const struct kc_profile *p, bool may_unlock, void (*found)(void *),
                                 void *found_data, char **token, GError **error)
{
    struct kc_op op = {.found = found, .found_data = found_data};
    enum kc_op_status st =
        run(&op, p, may_unlock, file_backend() ? file_lookup : service_lookup, NULL);
    *token = op.token; /* set only when found */
    return finish(&op, READ, st, error);
}

enum kc_keyring_rc kc_keyring_lookup(const struct kc_profile *p, char **token, GError **error)
{
    return lookup(p, true, NULL, NULL, token, error);
}

enum kc_keyring_rc kc_keyring_lookup_found(const struct kc_profile *p, void (*found)(void *ctx),
                                           void *ctx, char **token, GError **error)
{
    return lookup(p, true, found, ctx, token, error);
}

enum kc_keyring_rc kc_keyring_probe(const struct kc_profile *p, GError **error)
{
    char *token = NULL;
    enum kc_keyring_rc rc = lookup(p, false, NULL, NULL, &token, error);
    kc_keyring_free(token);
    return rc;
}

bool kc_keyring_store(const struct kc_profile *p, const char *token, GError **error)
{
    struct kc_op op = {0};
    enum kc_op_status st = run(&op, p, true, file_backend() ? file_store : kc_op_store, token);
    finish(&op, STORE, st, error);
    return st == KC_OP_OK;
}

bool kc_keyring_clear(const struct kc_profile *p, bool *removed, GError **error)
{
    struct kc_op op = {0};
    enum kc_op_status st = run(&op, p, true, file_backend() ? file_clear : service_clear, NULL);
    *removed = st == KC_OP_OK && op.removed;
    finish(&op, REMOVE, st, error);
    return st == KC_OP_OK;
}
