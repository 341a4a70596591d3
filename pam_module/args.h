/* The module's per-call state, pam-krb5 style: filled at the entry of each pam_sm_* function
 * (public.c), passed down to everything, gone at its exit. */
#ifndef PAM_KALTURA_ARGS_H
#define PAM_KALTURA_ARGS_H

#include <security/pam_modules.h>

#include "options.h"

struct pk_args {
    pam_handle_t *pamh;
    const char *user; /* PAM_USER once known, else NULL */
    struct pk_options opt;
};

#endif
