/* Obtaining, exporting, keeping and revoking the KS (see session.h). */
#include "session.h"

#include <errno.h>
#include <pwd.h>
#include <security/pam_ext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "contract.h"
#include "helper_output.h"
#include "run_helper.h"

#define DATA_NAME "pam_kaltura"

/* A KS kept to be revoked: minted for this login alone (the request said shared=false). */
struct kept_ks {
    char *ks; /* NUL-terminated */
    size_t ks_len;
    long long expiry; /* local Unix time; 0: unknown */
    char *profile;    /* the profile it was minted for, NULL: the helper's default */
    char *env_name;   /* the variable it was exported as */
};

/* Kept with pam_set_data: the outcome of the first open, and the KS when `revoke` needs it. */
struct session_data {
    int pamret;          /* PAM_SUCCESS or PAM_IGNORE */
    struct kept_ks kept; /* .ks NULL unless kept for revoke */
};

static void free_secret(char *s, size_t size)
{
    if (s != NULL) {
        explicit_bzero(s, size);
        free(s);
    }
}

static void kept_clear(struct kept_ks *k)
{
    free_secret(k->ks, k->ks_len);
    free(k->profile);
    free(k->env_name);
    explicit_bzero(k, sizeof *k);
}

static void data_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
    struct session_data *d = data;

    (void)pamh;
    (void)error_status;
    kept_clear(&d->kept);
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

/* Stores the outcome; takes kept over (wiped on any failure). */
static int keep_data(const struct pk_args *args, int pamret, struct kept_ks *kept)
{
    struct session_data *d = calloc(1, sizeof *d);

    if (d == NULL) {
        kept_clear(kept);
        return PAM_BUF_ERR;
    }
    d->pamret = pamret;
    d->kept = *kept;
    memset(kept, 0, sizeof *kept);
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

/*
 * The `get` request: the profile, and what the KS is for. With `revoke` it must be this
 * login's alone (shared=false: minted for it, never taken from or put into the helper's
 * cache), since ending it must not end anyone else's. Without, a cached KS is fine if it is
 * valid for more than min_lifetime seconds: a login should not start with a KS that is about
 * to expire (a fresh one lasts as long as the App Token's sessions do).
 */
static void get_request(const struct pk_args *args, char *buf, size_t size)
{
    char profile[KC_PROFILE_NAME_MAX + 16] = "";

    if (args->opt.profile != NULL)
        snprintf(profile, sizeof profile, "%s=%s\n", KC_REQ_PROFILE, args->opt.profile);
    if (args->opt.revoke)
        snprintf(buf, size, "%s%s=false\n\n", profile, KC_REQ_SHARED);
    else
        snprintf(buf, size, "%s%s=%lld\n\n", profile, KC_REQ_MIN_LIFETIME, args->opt.min_lifetime);
}

/* Copies what revoke will need; false when out of memory. */
static bool keep_for_revoke(const struct pk_args *args, const struct pk_helper_output *cred,
                            struct kept_ks *kept)
{
    kept->ks = strndup(cred->password, cred->password_len);
    kept->ks_len = cred->password_len;
    kept->expiry = cred->expiry != NULL ? strtoll(cred->expiry, NULL, 10) : 0;
    kept->profile = args->opt.profile != NULL ? strdup(args->opt.profile) : NULL;
    kept->env_name = strdup(args->opt.env_name);
    if (kept->ks == NULL || kept->env_name == NULL ||
        (args->opt.profile != NULL && kept->profile == NULL)) {
        kept_clear(kept);
        return false;
    }
    return true;
}

/* Runs the helper and exports its KS; *kept gets what revoke needs when `revoke` is set. */
static int obtain_ks(const struct pk_args *args, const struct passwd *pw, struct kept_ks *kept)
{
    struct pk_helper_result *res = malloc(sizeof *res);
    struct pk_helper_output cred;
    struct pk_helper_request req = {.command = "get"};
    char input[KC_PROFILE_NAME_MAX + 64];
    const char *why = NULL;
    int ret;

    memset(kept, 0, sizeof *kept);
    if (res == NULL)
        return PAM_BUF_ERR;
    get_request(args, input, sizeof input);
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
    if (args->opt.revoke && !keep_for_revoke(args, &cred, kept)) {
        ret = PAM_BUF_ERR;
        goto done;
    }
    ret = export_env(args, &cred);
    if (ret == PAM_SUCCESS)
        pk_notice(args, "%s set for the session%s%.*s", args->opt.env_name,
                  cred.expiry != NULL ? ", expires at " : "", (int)cred.expiry_len,
                  cred.expiry != NULL ? cred.expiry : "");
done:
    if (ret != PAM_SUCCESS)
        kept_clear(kept);
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
    struct kept_ks kept = {0};
    char *pwbuf = NULL;
    int ret;

    if (done != NULL) {
        /* Already ran in this handle (setcred and open_session, or xdm repeating). */
        pk_debug(args, "KS already obtained in this PAM handle");
        return done->pamret;
    }
    ret = prepare(args, &pw, &pwbuf);
    if (ret == PAM_SUCCESS) {
        ret = obtain_ks(args, &pw, &kept);
        /* Remember success and "not applicable"; a failure may be retried by a later call. */
        if (ret == PAM_SUCCESS || ret == PAM_IGNORE) {
            int stored = keep_data(args, ret, &kept);

            if (stored != PAM_SUCCESS)
                ret = stored;
        }
    }
    free(pwbuf);
    return ret;
}

/* Ends the kept KS on the server: helper `revoke` as the user, the KS on its stdin only
 * (never argv, never its environment), shared=false: the KS was this login's alone, so the
 * helper reports a KS the server no longer knows as a failure instead of "already ended". */
static int revoke_ks(const struct pk_args *args, const struct kept_ks *k)
{
    struct pk_helper_result *res;
    struct pk_helper_request req = {.command = "revoke"};
    struct passwd pw;
    char *pwbuf = NULL, *input = NULL;
    size_t size = 0, used;
    int ret = prepare(args, &pw, &pwbuf);

    if (ret != PAM_SUCCESS) {
        free(pwbuf);
        return ret;
    }
    size = KC_PROFILE_NAME_MAX + 64 + k->ks_len;
    input = malloc(size);
    res = malloc(sizeof *res);
    if (input == NULL || res == NULL) {
        free(input);
        free(res);
        free(pwbuf);
        return PAM_BUF_ERR;
    }
    input[0] = '\0';
    if (k->profile != NULL)
        snprintf(input, size, "%s=%s\n", KC_REQ_PROFILE, k->profile);
    used = strlen(input);
    snprintf(input + used, size - used, "%s=false\npassword=%s\n\n", KC_REQ_SHARED, k->ks);
    req.input = input;
    req.input_len = strlen(input);
    ret = pk_run_helper(args, &pw, &req, res);
    if (ret == PAM_SUCCESS)
        ret = judge_run(args, res, "revoke");
    if (ret == PAM_SUCCESS)
        pk_notice(args, "%s revoked", k->env_name); /* else judge_run said why not */
    free_secret(input, size);
    explicit_bzero(res, sizeof *res);
    free(res);
    free(pwbuf);
    return ret;
}

/* Takes the revoked (or expired) KS out of the PAM environment too. */
static void unexport(const struct pk_args *args, const char *env_name)
{
    char expiry_name[PK_ENV_NAME_MAX + sizeof "_EXPIRY"];

    (void)pam_putenv(args->pamh, env_name);
    snprintf(expiry_name, sizeof expiry_name, "%s_EXPIRY", env_name);
    (void)pam_putenv(args->pamh, expiry_name);
}

int pk_session_close(struct pk_args *args)
{
    const struct session_data *d = get_data(args);
    int ret = PAM_SUCCESS;

    if (d == NULL || d->pamret != PAM_SUCCESS) {
        pk_debug(args, "no KS obtained in this PAM handle: nothing to do");
        return pk_session_forget(args) == PAM_SUCCESS ? PAM_IGNORE : PAM_BUF_ERR;
    }
    if (d->kept.ks != NULL && d->kept.expiry > 0 && (long long)time(NULL) >= d->kept.expiry) {
        pk_debug(args, "%s expired at %lld: nothing to revoke", d->kept.env_name, d->kept.expiry);
        unexport(args, d->kept.env_name);
    } else if (d->kept.ks != NULL) {
        ret = revoke_ks(args, &d->kept);
        if (ret == PAM_SUCCESS)
            unexport(args, d->kept.env_name);
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
