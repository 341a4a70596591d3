/* Logging through pam_syslog (see logging.h). */
#include "logging.h"

#include <security/pam_ext.h>
#include <stdarg.h>
#include <stdio.h>

void pk_log(const struct pk_args *args, int priority, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    if (priority == LOG_DEBUG && !args->opt.debug)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (args->pamh == NULL)
        syslog(LOG_AUTHPRIV | priority, "pam_kaltura: %s", msg);
    else if (args->user != NULL)
        pam_syslog(args->pamh, priority, "(user %s) %s", args->user, msg);
    else
        pam_syslog(args->pamh, priority, "%s", msg);
}

static const char *flag_name(int flags)
{
    switch (flags & ~PAM_SILENT) {
    case PAM_ESTABLISH_CRED:
        return "establish";
    case PAM_DELETE_CRED:
        return "delete";
    case PAM_REINITIALIZE_CRED:
        return "reinitialize";
    case PAM_REFRESH_CRED:
        return "refresh";
    default:
        return "";
    }
}

void pk_log_entry(const struct pk_args *args, const char *func, int flags)
{
    const char *name = flag_name(flags);

    pk_debug(args, "%s: entry%s%s%s", func, *name ? " (" : "", name, *name ? ")" : "");
}

void pk_log_exit(const struct pk_args *args, const char *func, int pamret)
{
    const char *what = "failure";

    if (pamret == PAM_SUCCESS)
        what = "success";
    else if (pamret == PAM_IGNORE)
        what = "ignore";
    pk_debug(args, "%s: exit (%s)", func, what);
}
