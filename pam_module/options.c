/* Option parsing: a sorted table searched with bsearch (rra-c-util's pam-util style). */
#include "options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kc_config.h"
#include "logging.h"

typedef bool (*option_fn)(struct pk_args *args, const char *value);

struct option_def {
    const char *name;
    bool takes_value; /* name=VALUE, else a bare flag */
    option_fn set;
};

bool pk_valid_env_name(const char *name)
{
    static const char first[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
    size_t n = strlen(name);

    if (n == 0 || n > PK_ENV_NAME_MAX || strchr(first, name[0]) == NULL)
        return false;
    return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* Decimal digits only (no sign, no spaces), within [min, max]. */
static bool parse_number(const char *value, unsigned long min, unsigned long max,
                         unsigned long *out)
{
    char *end;
    unsigned long v;

    if (value[0] < '0' || value[0] > '9')
        return false;
    errno = 0;
    v = strtoul(value, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool set_debug(struct pk_args *args, const char *value)
{
    (void)value;
    args->opt.debug = true;
    return true;
}

static bool set_env(struct pk_args *args, const char *value)
{
    if (!pk_valid_env_name(value)) {
        pk_err(args, "invalid env= name (want [A-Za-z_][A-Za-z0-9_]*, at most %d characters)",
               PK_ENV_NAME_MAX);
        return false;
    }
    args->opt.env_name = value;
    return true;
}

static bool set_helper(struct pk_args *args, const char *value)
{
    if (value[0] != '/') {
        pk_err(args, "helper= must be an absolute path");
        return false;
    }
    args->opt.helper = value;
    args->opt.helper_overridden = true;
    return true;
}

static bool set_minimum_uid(struct pk_args *args, const char *value)
{
    unsigned long v;

    if (!parse_number(value, 0, (uid_t)-1 - 1, &v)) {
        pk_err(args, "invalid minimum_uid= value");
        return false;
    }
    args->opt.minimum_uid = (uid_t)v;
    return true;
}

static bool set_min_lifetime(struct pk_args *args, const char *value)
{
    unsigned long v;

    if (!parse_number(value, 0, (unsigned long)KC_MIN_LIFETIME_MAX, &v)) {
        pk_err(args, "invalid min_lifetime= value (want 0..%lld seconds)", KC_MIN_LIFETIME_MAX);
        return false;
    }
    args->opt.min_lifetime = (long long)v;
    return true;
}

static bool set_profile(struct pk_args *args, const char *value)
{
    if (!kc_profile_name_ok(value)) {
        pk_err(args, "invalid profile= name (want [A-Za-z0-9._-], at most %d characters, no '..')",
               KC_PROFILE_NAME_MAX);
        return false;
    }
    args->opt.profile = value;
    return true;
}

static bool set_revoke(struct pk_args *args, const char *value)
{
    (void)value;
    args->opt.revoke = true;
    return true;
}

static bool set_timeout(struct pk_args *args, const char *value)
{
    unsigned long v;

    if (!parse_number(value, 1, PK_TIMEOUT_MAX, &v)) {
        pk_err(args, "invalid timeout= value (want 1..%u seconds)", PK_TIMEOUT_MAX);
        return false;
    }
    args->opt.timeout = (unsigned)v;
    return true;
}

/* Must stay sorted by name: looked up with bsearch. */
static const struct option_def options[] = {
    {"debug", false, set_debug},
    {"env", true, set_env},
    {"helper", true, set_helper},
    {"min_lifetime", true, set_min_lifetime},
    {"minimum_uid", true, set_minimum_uid},
    {"profile", true, set_profile},
    {"revoke", false, set_revoke},
    {"timeout", true, set_timeout},
};

/* Compares an argument ("name" or "name=value") with a table entry, up to the '='. */
static int option_compare(const void *key, const void *member)
{
    const char *arg = key;
    const struct option_def *opt = member;
    size_t n = strcspn(arg, "=");
    int c = strncmp(arg, opt->name, n);

    if (c != 0)
        return c;
    return opt->name[n] == '\0' ? 0 : -1;
}

static void set_defaults(struct pk_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->env_name = "KALTURA_KS";
    opt->helper = KC_HELPER_PATH;
    opt->timeout = PK_TIMEOUT_DEFAULT;
    opt->minimum_uid = PK_MINIMUM_UID;
    opt->min_lifetime = PK_MIN_LIFETIME;
}

bool pk_options_parse(struct pk_args *args, int argc, const char **argv)
{
    bool ok = true;
    int i;

    set_defaults(&args->opt);
    /* `debug` first, so that messages about the other options honour it. */
    for (i = 0; i < argc; i++)
        if (strcmp(argv[i], "debug") == 0)
            args->opt.debug = true;
    for (i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char *eq = strchr(arg, '=');
        const struct option_def *def = bsearch(arg, options, sizeof options / sizeof options[0],
                                               sizeof options[0], option_compare);

        if (def == NULL) {
            pk_err(args, "unknown option %.64s (ignored)", arg);
            continue;
        }
        if (def->takes_value != (eq != NULL)) {
            pk_err(args, "option %s %s", def->name,
                   def->takes_value ? "needs a value (name=VALUE)" : "takes no value");
            ok = false;
            continue;
        }
        if (!def->set(args, eq != NULL ? eq + 1 : NULL))
            ok = false;
    }
    return ok;
}
