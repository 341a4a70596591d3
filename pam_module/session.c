/* Obtaining, exporting, keeping and revoking the KS (see session.h). */
#include "session.h"

#include <errno.h>
#include <pwd.h>
#include <security/pam_ext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "contract.h"
#include "helper_output.h"
#include "run_helper.h"

#define DATA_NAME "pam_kaltura"

/* Kept with pam_set_data: the outcome of the first open, and the KS when `revoke` needs it. */
struct session_data {
    int pamret; /* PAM_SUCCESS or PAM_IGNORE */
    char *ks;   /* NUL-terminated, NULL unless kept for revoke */
    size_t ks_len;
};

static void data_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
    struct session_data *d = data;

    (void)pamh;
    (void)error_status;
    if (d->ks != NULL) {
        explicit_bzero(d->ks, d->ks_len);
        free(d->ks);
    }
    explicit_bzero(d, sizeof *d);
    free(d);
}

static struct session_data *get_data(const struct pk_args *args)
{
    const void *d = NULL;

    if (pam_get_data(args->pamh, DATA_NAME, &d) != PAM_SUCCESS)
        return NULL;
    return (struct session_data *)d;
}

/* Stores the outcome; takes ownership of ks (wiped on any failure). */
static int keep_data(const struct pk_args *args, int pamret, char *ks, size_t ks_len)
{
    struct session_data *d = calloc(1, sizeof *d);

    if (d == NULL) {
        if (ks != NULL) {
            explicit_bzero(ks, ks_len);
            free(ks);
        }
        return PAM_BUF_ERR;
    }
    d->pamret = pamret;
    d->ks = ks;
    d->ks_len = ks_len;
    if (pam_set_data(args->pamh, DATA_NAME, d, data_cleanup) != PAM_SUCCESS) {
        data_cleanup(args->pamh, d, 0);
        return PAM_BUF_ERR;
    }
    return PAM_SUCCESS;
}

/* getpwnam_r with a growing buffer; *buf is the caller's to free. */
static int lookup_user(const struct pk_args *args, struct passwd *pw, char **buf)
{
    size_t size = 1024;
    struct passwd *found = NULL;
    int e;

    *buf = NULL;
    for (;;) {
        char *b = realloc(*buf, size);

        if (b == NULL)
            return PAM_BUF_ERR;
        *buf = b;
        e = getpwnam_r(args->user, pw, *buf, size, &found);
        if (e != ERANGE || size >= (1u << 20))
            break;
        size *= 2;
    }
    if (found == NULL) {
        pk_err(args, "user not found%s%s", e ? ": " : "", e ? strerror(e) : "");
        return PAM_USER_UNKNOWN;
    }
    return PAM_SUCCESS;
}

/* "NAME=value" or "NAME_EXPIRY=value"; the caller wipes and frees it. */
static char *env_entry(const char *name, const char *suffix, const char *value, size_t len,
                       size_t *size)
{
    char *s;

    *size = strlen(name) + strlen(suffix) + 1 + len + 1;
    s = malloc(*size);
    if (s != NULL) {
        snprintf(s, *size, "%s%s=", name, suffix);
        memcpy(s + *size - len - 1, value, len);
        s[*size - 1] = '\0';
    }
    return s;
}

static void free_secret(char *s, size_t size)
{
    if (s != NULL) {
        explicit_bzero(s, size);
        free(s);
    }
}

/* Both variables or neither: nothing partial lands in the environment. */
static int export_env(const struct pk_args *args, const struct pk_helper_output *cred)
{
    const char *name = args->opt.env_name;
    size_t ks_size = 0, exp_size = 0;
    char *ks = env_entry(name, "", cred->password, cred->password_len, &ks_size);
    char *exp = NULL;
    int ret = PAM_BUF_ERR;

    if (cred->expiry != NULL)
        exp = env_entry(name, "_EXPIRY", cred->expiry, cred->expiry_len, &exp_size);
    if (ks == NULL || (cred->expiry != NULL && exp == NULL))
        goto done;
    ret = pam_putenv(args->pamh, ks);
    if (ret == PAM_SUCCESS && exp != NULL) {
        ret = pam_putenv(args->pamh, exp);
        if (ret != PAM_SUCCESS)
            (void)pam_putenv(args->pamh, name); /* "NAME" alone deletes it */
    }
    if (ret != PAM_SUCCESS)
        pk_err(args, "cannot set %s in the PAM environment: %s", name,
               pam_strerror(args->pamh, ret));
done:
    free_secret(ks, ks_size);
    free_secret(exp, exp_size);
    return ret == PAM_SUCCESS ? PAM_SUCCESS : PAM_BUF_ERR;
}

/*
 * Maps a finished helper run to a PAM code and logs it. 0 with output → parse;
 * exit KC_EXIT_NO_PROFILE/NO_TOKEN ("not applicable") or 0 with no output → PAM_IGNORE; anything
 * else → PAM_SESSION_ERR.
 */
static int judge_run(const struct pk_args *args, const struct pk_helper_result *res,
                     const char *command)
{
    int code;

    if (res->unreaped)
        pk_err(args, "helper %s did not die within 1 s of SIGKILL: left to its supervisor",
               command);
    if (res->lost) {
        pk_err(args, "helper %s: no exit status (its supervisor died)", command);
        return PAM_SESSION_ERR;
    }
    if (res->timed_out) {
        pk_log_helper_stderr(args, res, LOG_ERR);
        pk_err(args, "helper %s did not finish within %u s: killed", command, args->opt.timeout);
        return PAM_SESSION_ERR;
    }
    if (res->overflow) {
        pk_err(args, "helper %s wrote more than %zu bytes: killed", command, (size_t)KC_ANSWER_MAX);
        return PAM_SESSION_ERR;
    }
    if (!WIFEXITED(res->status)) {
        pk_log_helper_stderr(args, res, LOG_ERR);
        pk_err(args, "helper %s killed by signal %d", command,
               WIFSIGNALED(res->status) ? WTERMSIG(res->status) : 0);
        return PAM_SESSION_ERR;
    }
    code = WEXITSTATUS(res->status);
    if (code == KC_EXIT_NO_PROFILE || code == KC_EXIT_NO_TOKEN) {
        pk_log_helper_stderr(args, res, LOG_DEBUG);
        pk_debug(args, "helper %s: %s (exit %d): nothing to do", command,
                 code == KC_EXIT_NO_PROFILE ? "profile not configured" : "no token stored", code);
        return PAM_IGNORE;
    }
    if (code != 0) {
        pk_log_helper_stderr(args, res, LOG_ERR);
        pk_err(args, "helper %s failed with exit status %d", command, code);
        return PAM_SESSION_ERR;
    }
    pk_log_helper_stderr(args, res, LOG_DEBUG);
    return PAM_SUCCESS;
}

/* Runs the helper and exports its KS; *keep gets a copy of the KS when `revoke` is set. */
static int obtain_ks(const struct pk_args *args, const struct passwd *pw, char **keep,
                     size_t *keep_len)
{
    struct pk_helper_result *res = malloc(sizeof *res);
    struct pk_helper_output cred;
    struct pk_helper_request req = {.command = "get"};
    char input[KC_PROFILE_NAME_MAX + 16];
    const char *why = NULL;
    int ret;

    *keep = NULL;
    *keep_len = 0;
    if (res == NULL)
        return PAM_BUF_ERR;
    /* An empty request makes the helper use its `default` profile. */
    if (args->opt.profile != NULL)
        snprintf(input, sizeof input, "profile=%s\n\n", args->opt.profile);
    else
        snprintf(input, sizeof input, "\n");
    req.input = input;
    req.input_len = strlen(input);

    ret = pk_run_helper(args, pw, &req, res);
    if (ret != PAM_SUCCESS) {
        free(res);
        return ret;
    }
    ret = judge_run(args, res, "get");
    if (ret != PAM_SUCCESS)
        goto done;
    switch (pk_helper_output_parse(res->out, res->out_len, &cred, &why)) {
    case PK_PARSE_EMPTY:
        pk_debug(args, "helper get: no KS for this request: nothing to do");
        ret = PAM_IGNORE;
        goto done;
    case PK_PARSE_ERROR:
        pk_err(args, "helper get: malformed output: %s", why);
        ret = PAM_SESSION_ERR;
        goto done;
    case PK_PARSE_OK:
        break;
    }
    if (args->opt.revoke) {
        *keep = strndup(cred.password, cred.password_len);
        if (*keep == NULL) {
            ret = PAM_BUF_ERR;
            goto done;
        }
        *keep_len = cred.password_len;
    }
    ret = export_env(args, &cred);
    if (ret == PAM_SUCCESS)
        pk_notice(args, "%s set for the session%s%.*s", args->opt.env_name,
                  cred.expiry != NULL ? ", expires at " : "", (int)cred.expiry_len,
                  cred.expiry != NULL ? cred.expiry : "");
done:
    if (ret != PAM_SUCCESS && *keep != NULL) {
        free_secret(*keep, *keep_len);
        *keep = NULL;
    }
    explicit_bzero(res, sizeof *res);
    free(res);
    return ret;
}

static int prepare(const struct pk_args *args, struct passwd *pw, char **pwbuf)
{
    int ret;

    if (args->user == NULL) {
        pk_err(args, "no user name (PAM_USER) in this PAM handle");
        return PAM_USER_UNKNOWN;
    }
    ret = lookup_user(args, pw, pwbuf);
    if (ret != PAM_SUCCESS)
        return ret;
    if (pw->pw_uid < args->opt.minimum_uid) {
        pk_debug(args, "uid %lu below minimum_uid %lu: ignored", (unsigned long)pw->pw_uid,
                 (unsigned long)args->opt.minimum_uid);
        return PAM_IGNORE;
    }
    return PAM_SUCCESS;
}

int pk_session_open(struct pk_args *args)
{
    const struct session_data *done = get_data(args);
    struct passwd pw;
    char *pwbuf = NULL, *ks = NULL;
    size_t ks_len = 0;
    int ret;

    if (done != NULL) {
        /* Already ran in this handle (setcred and open_session, or xdm repeating). */
        pk_debug(args, "KS already obtained in this PAM handle");
        return done->pamret;
    }
    ret = prepare(args, &pw, &pwbuf);
    if (ret == PAM_SUCCESS) {
        ret = obtain_ks(args, &pw, &ks, &ks_len);
        /* Remember success and "not applicable"; a failure may be retried by a later call. */
        if (ret == PAM_SUCCESS || ret == PAM_IGNORE) {
            int kept = keep_data(args, ret, ks, ks_len);

            if (kept != PAM_SUCCESS)
                ret = kept;
        }
    }
    free(pwbuf);
    return ret;
}

static int revoke_ks(const struct pk_args *args, const struct session_data *d)
{
    struct pk_helper_result *res;
    struct pk_helper_request req = {.command = "revoke"};
    struct passwd pw;
    char *pwbuf = NULL, *input = NULL;
    size_t size = 0;
    int ret = prepare(args, &pw, &pwbuf);

    if (ret != PAM_SUCCESS) {
        free(pwbuf);
        return ret;
    }
    /* The KS goes to the helper's stdin only: never argv, never its environment. */
    size = KC_PROFILE_NAME_MAX + 32 + d->ks_len;
    input = malloc(size);
    res = malloc(sizeof *res);
    if (input == NULL || res == NULL) {
        free(input);
        free(res);
        free(pwbuf);
        return PAM_BUF_ERR;
    }
    snprintf(input, size, "%s%s%spassword=%s\n\n", args->opt.profile ? "profile=" : "",
             args->opt.profile ? args->opt.profile : "", args->opt.profile ? "\n" : "", d->ks);
    req.input = input;
    req.input_len = strlen(input);
    ret = pk_run_helper(args, &pw, &req, res);
    if (ret == PAM_SUCCESS)
        ret = judge_run(args, res, "revoke");
    if (ret == PAM_SUCCESS)
        pk_notice(args, "%s revoked", args->opt.env_name);
    free_secret(input, size);
    explicit_bzero(res, sizeof *res);
    free(res);
    free(pwbuf);
    return ret;
}

int pk_session_close(struct pk_args *args)
{
    const struct session_data *d = get_data(args);
    int ret = PAM_IGNORE;

    if (d == NULL || d->pamret != PAM_SUCCESS) {
        pk_debug(args, "no KS obtained in this PAM handle: nothing to do");
        return pk_session_forget(args) == PAM_SUCCESS ? PAM_IGNORE : PAM_BUF_ERR;
    }
    if (args->opt.revoke && d->ks != NULL) {
        ret = revoke_ks(args, d);
        /* A revoked KS is useless: take it out of the environment too. */
        if (ret == PAM_SUCCESS) {
            char expiry_name[PK_ENV_NAME_MAX + sizeof "_EXPIRY"];

            (void)pam_putenv(args->pamh, args->opt.env_name);
            snprintf(expiry_name, sizeof expiry_name, "%s_EXPIRY", args->opt.env_name);
            (void)pam_putenv(args->pamh, expiry_name);
        }
    } else {
        ret = PAM_SUCCESS;
    }
    if (pk_session_forget(args) != PAM_SUCCESS)
        return PAM_BUF_ERR;
    return ret;
}

int pk_session_forget(struct pk_args *args)
{
    /* Replacing the data with NULL runs data_cleanup, which wipes the KS. */
    if (get_data(args) == NULL)
        return PAM_SUCCESS;
    return pam_set_data(args->pamh, DATA_NAME, NULL, NULL);
}
