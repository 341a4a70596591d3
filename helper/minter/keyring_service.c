/* Prompts run here, not by libsecret (keyring_service.h says why). One prompt: subscribe to its
 * Completed signal, call Prompt(""), then wait in the caller's main context for the first of:
 * Completed (a result, or dismissed), an error from Prompt, the cancellable, or the prompt
 * bound. On the last two the prompt is dismissed, and the wait ends with the reply to Dismiss
 * (at most 1 s later), not with a Completed signal the provider may never send. */
#include "keyring_service.h"

#define PROMPT_IFACE "org.freedesktop.Secret.Prompt"

typedef struct {
    SecretService parent_instance;
    gint64 prompt_bound;         /* µs, 0: none */
    enum kc_prompt_end last_end; /* of the last prompt that got no answer */
} KcKeyringService;
typedef struct {
    SecretServiceClass parent_class;
} KcKeyringServiceClass;

static GType service_type(void);
#define KC_KEYRING_SERVICE(o) G_TYPE_CHECK_INSTANCE_CAST((o), service_type(), KcKeyringService)

GQuark kc_prompt_error_quark(void)
{
    return g_quark_from_static_string("kc-prompt-error-quark");
}

/* One running prompt; owned by its GTask (task data). */
struct prompt_run {
    GDBusConnection *conn;
    char *owner, *path;
    GVariantType *return_type; /* NULL: any result */
    guint signal;
    GSource *cancelled, *bound;
    bool dismissing; /* cancelled or bound: Dismiss sent, its reply ends the wait */
    bool done;
};

static void prompt_run_free(gpointer data)
{
    struct prompt_run *r = data;
    g_assert(r->signal == 0 && r->cancelled == NULL && r->bound == NULL);
    g_object_unref(r->conn);
    g_free(r->owner);
    g_free(r->path);
    if (r->return_type)
        g_variant_type_free(r->return_type);
    g_free(r);
}

static void drop_source(GSource **source)
{
    if (*source) {
        g_source_destroy(*source);
        g_source_unref(*source);
        *source = NULL;
    }
}

/* Cancel watches taken off their context, whose last reference waits for
 * kc_keyring_service_release_spent(). GLib 2.74's GCancellableSource leaks when its last
 * reference goes while another thread is still running the cancellable's "cancelled" handlers
 * (its dispose takes a reference that only a later emission would drop), and our deadline
 * thread cancels exactly then; once that thread is joined, no emission can be running. */
static GPtrArray *spent_watches;

static void retire_watch(GSource **source)
{
    if (*source) {
        g_source_destroy(*source);
        if (!spent_watches)
            spent_watches = g_ptr_array_new_with_free_func((GDestroyNotify)g_source_unref);
        g_ptr_array_add(spent_watches, *source);
        *source = NULL;
    }
}

void kc_keyring_service_release_spent(void)
{
    if (spent_watches)
        g_ptr_array_unref(spent_watches);
    spent_watches = NULL;
}

/* Stops listening to the prompt: its Completed signal, the cancel watch and the bound. */
static void stop_listening(struct prompt_run *r)
{
    if (r->signal) {
        g_dbus_connection_signal_unsubscribe(r->conn, r->signal);
        r->signal = 0;
    }
    retire_watch(&r->cancelled);
    drop_source(&r->bound);
}

/* Ends the wait exactly once: returns value or error (one of them set) from the task.
 * Consumes the caller's reference to task. */
static void finish(GTask *task, GVariant *value, GError *error)
{
    struct prompt_run *r = g_task_get_task_data(task);
    if (r->done) {
        if (value)
            g_variant_unref(value);
        g_clear_error(&error);
        g_object_unref(task);
        return;
    }
    r->done = true;
    stop_listening(r);
    if (error)
        g_task_return_error(task, error);
    else
        g_task_return_pointer(task, value, (GDestroyNotify)g_variant_unref);
    g_object_unref(task);
}

static void on_completed(GDBusConnection *conn, const char *sender, const char *path,
                         const char *iface, const char *signal, GVariant *params, gpointer data)
{
    (void)conn, (void)sender, (void)path, (void)iface, (void)signal;
    GTask *task = data;
    struct prompt_run *r = g_task_get_task_data(task);
    if (r->done || r->dismissing)
        return;
    g_object_ref(task); /* finish() consumes one */
    gboolean dismissed = TRUE;
    GVariant *result = NULL;
    if (g_variant_is_of_type(params, G_VARIANT_TYPE("(bv)")))
        g_variant_get(params, "(bv)", &dismissed, &result);
    if (dismissed) {
        if (result)
            g_variant_unref(result);
        finish(task, NULL,
               g_error_new(KC_PROMPT_ERROR, KC_PROMPT_DISMISSED, "the prompt was dismissed"));
    } else if (r->return_type && !g_variant_is_of_type(result, r->return_type)) {
        GError *e = g_error_new(KC_PROMPT_ERROR, KC_PROMPT_BAD_RESULT,
                                "the prompt answered with a %s, not a %.*s",
                                g_variant_get_type_string(result),
                                (int)g_variant_type_get_string_length(r->return_type),
                                g_variant_type_peek_string(r->return_type));
        g_variant_unref(result);
        finish(task, NULL, e);
    } else {
        finish(task, result, NULL);
    }
}

static void on_prompted(GObject *source, GAsyncResult *res, gpointer data)
{
    GTask *task = data;
    GError *e = NULL;
    GVariant *ret = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &e);
    if (ret)
        g_variant_unref(ret);
    struct prompt_run *r = g_task_get_task_data(task);
    if (e && !r->dismissing) /* the provider could not show it: as good as dismissed */
        finish(task, NULL, e);
    else {
        g_clear_error(&e);
        g_object_unref(task); /* now Completed (or the cancellable) ends it */
    }
}

static void on_dismissed(GObject *source, GAsyncResult *res, gpointer data)
{
    GVariant *ret = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, NULL);
    if (ret)
        g_variant_unref(ret);
    finish(data, NULL,
           g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CANCELLED, "the prompt was not answered"));
}

/* No answer in time: at the deadline (cancelled) or at the prompt bound. */
static void give_up(GTask *task, enum kc_prompt_end end)
{
    struct prompt_run *r = g_task_get_task_data(task);
    KC_KEYRING_SERVICE(g_task_get_source_object(task))->last_end = end;
    r->dismissing = true; /* the Completed that Dismiss brings is not an answer */
    stop_listening(r);
    /* Takes the dialog nobody answered off the screen. The wait ends with the provider's
     * reply, or after 1 s without one: a message still queued at exit would never be sent. */
    g_dbus_connection_call(r->conn, r->owner, r->path, PROMPT_IFACE, "Dismiss", NULL, NULL,
                           G_DBUS_CALL_FLAGS_NO_AUTO_START, 1000, NULL, on_dismissed,
                           g_object_ref(task));
}

static gboolean on_cancelled(GCancellable *cancellable, gpointer data)
{
    (void)cancellable;
    give_up(data, KC_PROMPT_EXPIRED);
    return G_SOURCE_REMOVE;
}

static gboolean on_bound(gpointer data)
{
    give_up(data, KC_PROMPT_BOUND);
    return G_SOURCE_REMOVE;
}

static void prompt_async(SecretService *self, SecretPrompt *prompt, const GVariantType *return_type,
                         GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data)
{
    /* No cancellable on the task: cancellation is handled here, so that it ends the wait. */
    GTask *task = g_task_new(self, NULL, callback, user_data);
    struct prompt_run *r = g_new0(struct prompt_run, 1);
    GDBusProxy *proxy = G_DBUS_PROXY(prompt);
    r->conn = g_object_ref(g_dbus_proxy_get_connection(proxy));
    r->owner = g_dbus_proxy_get_name_owner(proxy);
    r->path = g_strdup(g_dbus_proxy_get_object_path(proxy));
    r->return_type = return_type ? g_variant_type_copy(return_type) : NULL;
    g_task_set_task_data(task, r, prompt_run_free);
    if (!r->owner) {
        finish(task, NULL,
               g_error_new_literal(G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER,
                                   "the Secret Service left the bus during a prompt"));
        return;
    }
    r->signal = g_dbus_connection_signal_subscribe(
        r->conn, r->owner, PROMPT_IFACE, "Completed", r->path, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
        on_completed, g_object_ref(task), g_object_unref);
    GMainContext *ctx = g_main_context_get_thread_default();
    if (cancellable) {
        r->cancelled = g_cancellable_source_new(cancellable);
        g_source_set_callback(r->cancelled, G_SOURCE_FUNC(on_cancelled), task, NULL);
        g_source_attach(r->cancelled, ctx);
    }
    gint64 bound = KC_KEYRING_SERVICE(self)->prompt_bound;
    if (bound > 0) {
        r->bound = g_timeout_source_new((guint)(bound / 1000));
        g_source_set_callback(r->bound, on_bound, task, NULL);
        g_source_attach(r->bound, ctx);
    }
    /* The task's own reference goes to the Prompt call; a prompt may take a person's time, so
     * the call has no D-Bus timeout: the cancellable bounds it. */
    g_dbus_connection_call(r->conn, r->owner, r->path, PROMPT_IFACE, "Prompt",
                           g_variant_new("(s)", ""), NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START,
                           G_MAXINT, NULL, on_prompted, task);
}

static GVariant *prompt_finish(SecretService *self, GAsyncResult *res, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(res, self), NULL);
    return g_task_propagate_pointer(G_TASK(res), error);
}

static void on_sync_done(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)source;
    *(GAsyncResult **)data = g_object_ref(res);
}

static GVariant *prompt_sync(SecretService *self, SecretPrompt *prompt, GCancellable *cancellable,
                             const GVariantType *return_type, GError **error)
{
    GMainContext *ctx = g_main_context_new();
    g_main_context_push_thread_default(ctx);
    GAsyncResult *res = NULL;
    prompt_async(self, prompt, return_type, cancellable, on_sync_done, &res);
    while (!res)
        g_main_context_iteration(ctx, TRUE);
    GVariant *v = prompt_finish(self, res, error);
    g_object_unref(res);
    g_main_context_pop_thread_default(ctx);
    g_main_context_unref(ctx);
    return v;
}

static void instance_init(GTypeInstance *instance, gpointer klass)
{
    (void)klass;
    KcKeyringService *self = (KcKeyringService *)instance;
    self->prompt_bound = 0;
    self->last_end = KC_PROMPT_ANSWERED;
}

static void class_init(gpointer klass, gpointer data)
{
    (void)data;
    SecretServiceClass *sc = SECRET_SERVICE_CLASS(klass);
    sc->prompt_sync = prompt_sync;
    sc->prompt_async = prompt_async;
    sc->prompt_finish = prompt_finish;
}

/* What G_DEFINE_TYPE would write, by hand: the tools that check this code read it plainly. */
static GType service_type(void)
{
    static gsize type = 0;
    if (g_once_init_enter(&type)) { /* NOLINT(performance-no-int-to-ptr): GLib's macro */
        GType t = g_type_register_static_simple(
            SECRET_TYPE_SERVICE, g_intern_static_string("KcKeyringService"),
            sizeof(KcKeyringServiceClass), class_init, sizeof(KcKeyringService), instance_init, 0);
        g_once_init_leave(&type, t);
    }
    return type;
}

SecretService *kc_keyring_service_open(gint64 prompt_bound, GCancellable *cancel, GError **error)
{
    SecretService *svc =
        secret_service_open_sync(service_type(), NULL, SECRET_SERVICE_NONE, cancel, error);
    if (svc)
        KC_KEYRING_SERVICE(svc)->prompt_bound = prompt_bound;
    return svc;
}

enum kc_prompt_end kc_keyring_service_prompt_end(SecretService *svc)
{
    return KC_KEYRING_SERVICE(svc)->last_end;
}
