/* The widget KS (kc_mint_widget) fetched in a worker thread, so that the keyring lookup on the
 * main thread overlaps it: the widget session needs no token. */
#ifndef KC_WIDGET_WORKER_H
#define KC_WIDGET_WORKER_H

#include <glib.h>
#include <stdbool.h>

#include "cache.h"
#include "config.h"
#include "kaltura_api.h"

struct kc_widget_job;

/* Starts kc_mint_widget(p, cache, api) in a thread. From here until kc_widget_job_finish the
 * worker owns api and cache: the caller must not touch them. Never fails. */
struct kc_widget_job *kc_widget_job_start(const struct kc_profile *p, struct kc_cache *cache,
                                          struct kc_api *api);
/* Asks the worker to give up: a transfer in progress is abandoned (libcurl's progress
 * callback sees the flag) and no retry is made. */
void kc_widget_job_stop(struct kc_widget_job *j);
/* Waits for the worker and frees j; returns what kc_mint_widget returned (the widget KS, to
 * wipe with secure_free_str, or NULL with error set) and sets *from_cache likewise. */
char *kc_widget_job_finish(struct kc_widget_job *j, bool *from_cache, GError **error);

#endif
