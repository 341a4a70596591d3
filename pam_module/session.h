/* The work behind the entry points: obtain, export, keep and revoke the KS. */
#ifndef PAM_KALTURA_SESSION_H
#define PAM_KALTURA_SESSION_H

#include "logging.h"

/*
 * open_session / setcred(ESTABLISH). Returns PAM_SUCCESS (KS exported), PAM_IGNORE (not
 * applicable: uid below minimum_uid, no profile, no token stored, nothing for this user),
 * PAM_USER_UNKNOWN, PAM_BUF_ERR or PAM_SESSION_ERR (failure to mint, logged).
 * Idempotent within one PAM handle.
 */
int pk_session_open(struct pk_args *args);

/*
 * close_session and setcred(DELETE_CRED), whichever comes first: a KS obtained with `revoke`
 * is ended on the server (unless it has expired) and taken out of the PAM environment; then
 * the handle's data is forgotten (the KS wiped). PAM_IGNORE when nothing was obtained.
 */
int pk_session_close(struct pk_args *args);

/* Forgets the handle's data (the KS wiped), revoking nothing. */
int pk_session_forget(struct pk_args *args);

#endif
