/*
 * The PAM entry points, all in this one file (pam-krb5 style: OpenPAM's static module table
 * wants them together). Each one: parse the arguments, log entry, do the work, log exit.
 *
 * pam_kaltura is a session module. It is also callable from the auth stack so that
 * pam_setcred(PAM_ESTABLISH_CRED) can do the work for applications that only call setcred;
 * pam_acct_mgmt and pam_chauthtok are not provided (listing the module there is a
 * configuration error that Linux-PAM reports).
 */
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <string.h>

#include "logging.h"
#include "session.h"

/* Per-call setup: options and the user. Returns false when the options are invalid. */
static bool pk_init(struct pk_args *args, pam_handle_t *pamh, int argc, const char **argv)
{
    const void *user = NULL;

    memset(args, 0, sizeof *args);
    args->pamh = pamh;
    /* PAM_USER without prompting: a session module must never converse. */
    if (pam_get_item(pamh, PAM_USER, &user) == PAM_SUCCESS && user != NULL &&
        *(const char *)user != '\0')
        args->user = user;
    return pk_options_parse(args, argc, argv);
}

/*
 * Never authenticates anyone: PAM_IGNORE leaves the decision to the other modules. Returning
 * PAM_SUCCESS here would be an authentication bypass with `sufficient`.
 */
PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct pk_args args;

    (void)pk_init(&args, pamh, argc, argv);
    pk_log_entry(&args, __func__, flags);
    pk_log_exit(&args, __func__, PAM_IGNORE);
    return PAM_IGNORE;
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct pk_args args;
    int ret;

    if (!pk_init(&args, pamh, argc, argv)) {
        ret = PAM_CRED_ERR;
        goto done;
    }
    pk_log_entry(&args, __func__, flags);
    switch (flags & ~PAM_SILENT) {
    case PAM_ESTABLISH_CRED:
        ret = pk_session_open(&args);
        break;
    case PAM_DELETE_CRED:
        /* The end of the credentials, like close_session: util-linux login calls this
         * first, so a KS kept for `revoke` is ended here, whichever comes first. */
        ret = pk_session_close(&args);
        break;
    case PAM_REINITIALIZE_CRED:
    case PAM_REFRESH_CRED:
        /* A new KS could not reach the environment of processes already running. */
        ret = PAM_SUCCESS;
        break;
    default:
        pk_err(&args, "unknown pam_setcred flags %#x", (unsigned)flags);
        ret = PAM_SERVICE_ERR;
        break;
    }
    /*
     * Never return PAM_IGNORE from pam_setcred. Linux-PAM computes the jump targets of the
     * auth stack once, from pam_authenticate's results; a module returning PAM_IGNORE in
     * setcred where it succeeded in authenticate can make a [default=N] or `done` stack skip
     * other modules' setcred or fail the whole call (pam-krb5 found this). The work was
     * optional anyway, so "not applicable" is success here.
     */
    if (ret == PAM_IGNORE)
        ret = PAM_SUCCESS;
    /* PAM_SESSION_ERR is not a setcred code; PAM_CRED_ERR is its equivalent. */
    if (ret == PAM_SESSION_ERR)
        ret = PAM_CRED_ERR;
done:
    pk_log_exit(&args, __func__, ret);
    return ret;
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct pk_args args;
    int ret = PAM_SESSION_ERR;

    if (pk_init(&args, pamh, argc, argv)) {
        pk_log_entry(&args, __func__, flags);
        ret = pk_session_open(&args);
    }
    pk_log_exit(&args, __func__, ret);
    return ret;
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct pk_args args;
    int ret = PAM_SESSION_ERR;

    if (pk_init(&args, pamh, argc, argv)) {
        pk_log_entry(&args, __func__, flags);
        ret = pk_session_close(&args);
    } else {
        (void)pk_session_forget(&args); /* still drop the KS */
    }
    pk_log_exit(&args, __func__, ret);
    return ret;
}
