/* The deadline runs in a small thread that only waits on a condition variable and, when the
 * time is up, calls g_cancellable_cancel (documented as callable from any thread). The caller's
 * thread keeps the blocking call: libsecret's sync API stays on the main thread. */
#include "cancel_timer.h"

struct kc_cancel_timer {
    GMutex lock;
    GCond cond;
    bool stop;  /* under lock: the caller is done */
    bool fired; /* under lock: the deadline passed first */
    gint64 end; /* g_get_monotonic_time() units */
    GCancellable *cancellable;
    GThread *thread;
};

static gpointer timer_thread(gpointer data)
{
    struct kc_cancel_timer *t = data;
    g_mutex_lock(&t->lock);
    while (!t->stop && !t->fired)
        t->fired = !g_cond_wait_until(&t->cond, &t->lock, t->end) && !t->stop;
    bool fire = t->fired;
    g_mutex_unlock(&t->lock);
    /* Outside our lock: the "cancelled" handlers (GDBus, libsecret) run right here. stop()
     * joins this thread before the cancellable can go away. */
    if (fire)
        g_cancellable_cancel(t->cancellable);
    return NULL;
}

struct kc_cancel_timer *kc_cancel_timer_start(GCancellable *cancellable, gint64 end)
{
    struct kc_cancel_timer *t = g_new0(struct kc_cancel_timer, 1);
    g_mutex_init(&t->lock);
    g_cond_init(&t->cond);
    t->end = end;
    t->cancellable = g_object_ref(cancellable);
    t->thread = g_thread_new("kc-deadline", timer_thread, t);
    return t;
}

bool kc_cancel_timer_stop(struct kc_cancel_timer *t)
{
    g_mutex_lock(&t->lock);
    t->stop = true;
    g_cond_signal(&t->cond);
    g_mutex_unlock(&t->lock);
    g_thread_join(t->thread);
    bool fired = t->fired;
    g_object_unref(t->cancellable);
    g_cond_clear(&t->cond);
    g_mutex_clear(&t->lock);
    g_free(t);
    return fired;
}
