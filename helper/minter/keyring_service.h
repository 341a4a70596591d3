/* A SecretService whose prompts end at the caller's deadline (its GCancellable), or sooner
 * where nobody can answer them, and then dismiss the dialog without waiting on the provider.
 * libsecret's own prompt code, once the call is cancelled, sends Dismiss and then waits for
 * the provider's Completed signal without any bound; and when a provider completes a prompt
 * with a result of another type than the call expects (an empty string where an unlock
 * expects a list of paths, as tests/lib/fake_secret_service.py and some providers send), it
 * never returns at all (libsecret 0.20.5 and later: on_real_prompt_completed returns no
 * error and no value). Either way its sync calls block beyond any deadline.
 * SecretServiceClass's prompt vfuncs are the documented way for a client to run prompts
 * itself: every libsecret call made through this object (unlock, create and delete an item)
 * prompts here. */
#ifndef KC_KEYRING_SERVICE_H
#define KC_KEYRING_SERVICE_H

#include <libsecret/secret.h>
#include <stdbool.h>

/* A prompt the user (or the provider) dismissed, or answered strangely: error domain, codes. */
#define KC_PROMPT_ERROR (kc_prompt_error_quark())
GQuark kc_prompt_error_quark(void);
enum { KC_PROMPT_DISMISSED = 1, KC_PROMPT_BAD_RESULT };

/* A new connection to the Secret Service (not libsecret's shared one: each has its own
 * session, so a failed session negotiation is retried on a fresh object). Each of its prompts
 * gets at most prompt_bound microseconds (0: no bound but the caller's cancellable). NULL and
 * error set when no Secret Service answers. */
SecretService *kc_keyring_service_open(gint64 prompt_bound, GCancellable *cancel, GError **error);

/* How the last prompt of svc that got no answer ended (its call failed with
 * G_IO_ERROR_CANCELLED): at the caller's deadline, or at prompt_bound. */
enum kc_prompt_end { KC_PROMPT_ANSWERED, KC_PROMPT_EXPIRED, KC_PROMPT_BOUND };
enum kc_prompt_end kc_keyring_service_prompt_end(SecretService *svc);
/* Frees what prompts left for after the deadline thread (cancel_timer.c) is joined: call it
 * after kc_cancel_timer_stop(). keyring_service.c says why. */
void kc_keyring_service_release_spent(void);

#endif
