/* One worker thread for the widget session; see widget_worker.h. */
#include "widget_worker.h"

#include "mint.h"

struct kc_widget_job {
    const struct kc_profile *p;
    struct kc_cache *cache;
    struct kc_api *api;
    gint stop; /* atomic: set by the main thread, read by the worker's progress callback */
    GThread *thread;
    /* written by the worker, read after the join */
    char *wks;
    bool from_cache;
    GError *error;
};

static bool job_stopped(void *ctx)
{
    struct kc_widget_job *j = ctx;
    return g_atomic_int_get(&j->stop) != 0;
}

static gpointer worker(gpointer data)
{
    struct kc_widget_job *j = data;
    j->wks = kc_mint_widget(j->p, j->cache, j->api, &j->from_cache, &j->error);
    return NULL;
}

struct kc_widget_job *kc_widget_job_start(const struct kc_profile *p, struct kc_cache *cache,
                                          struct kc_api *api)
{
    struct kc_widget_job *j = g_new0(struct kc_widget_job, 1);
    j->p = p;
    j->cache = cache;
    j->api = api;
    kc_api_set_cancel(api, job_stopped, j); /* before the thread exists: no race on api */
    j->thread = g_thread_new("kc-widget", worker, j);
    return j;
}

void kc_widget_job_stop(struct kc_widget_job *j)
{
    g_atomic_int_set(&j->stop, 1);
}

char *kc_widget_job_finish(struct kc_widget_job *j, bool *from_cache, GError **error)
{
    g_thread_join(j->thread);
    kc_api_set_cancel(j->api, NULL, NULL); /* the api is the caller's again */
    char *wks = j->wks;
    *from_cache = j->from_cache;
    if (j->error)
        g_propagate_error(error, j->error);
    g_free(j);
    return wks;
}
