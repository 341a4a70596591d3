/* A deadline for blocking GIO calls that take a GCancellable but no timeout (libsecret's
 * *_sync API, whose D-Bus calls otherwise wait for the bus's 25 s default). */
#ifndef KC_CANCEL_TIMER_H
#define KC_CANCEL_TIMER_H

#include <gio/gio.h>
#include <stdbool.h>

struct kc_cancel_timer;

/* Cancels cancellable at end (g_get_monotonic_time() units), unless kc_cancel_timer_stop comes
 * first. Never fails. */
struct kc_cancel_timer *kc_cancel_timer_start(GCancellable *cancellable, gint64 end);
/* Stops the clock and frees t; afterwards cancellable is no longer touched. Returns true when
 * the deadline had passed (cancellable was cancelled). */
bool kc_cancel_timer_stop(struct kc_cancel_timer *t);

#endif
