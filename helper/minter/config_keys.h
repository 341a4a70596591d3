/* The configuration keys (README "Configuration"), one row each, in the spirit of pam-krb5's option
 * table: the unknown-key check, the typed loading into struct kc_profile, login's options and
 * the --help lines are all derived from kc_keys. A new key: one row in config_keys.c and its
 * field in struct kc_profile (config.h). */
#ifndef KC_CONFIG_KEYS_H
#define KC_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct kc_profile;

enum kc_key_type {
    KC_KEY_TEXT,    /* char *: printable, at most max bytes, only charset's characters if set */
    KC_KEY_NUMBER,  /* long long in [min, max]; unset: -1 */
    KC_KEY_DECIMAL, /* char *: a number in [min, max], kept as its canonical decimal */
    KC_KEY_BOOL,    /* bool: true/yes/on/1 or false/no/off/0 */
    KC_KEY_CHOICE,  /* int: what parse makes of the value; unset: -1 */
    KC_KEY_URL,     /* char *: normalised service URL; also sets protocol, host, hostname */
};

/* What `login` writes to the config file for a key. */
enum kc_key_login {
    KC_LOGIN_NONE,    /* no login option */
    KC_LOGIN_PROFILE, /* always: the profile's value (from the option, or what it has) */
    KC_LOGIN_GIVEN,   /* only when the option is given, as given */
};

struct kc_key {
    const char *name;
    size_t offset;       /* of the field in struct kc_profile */
    long long min, max;  /* NUMBER, DECIMAL: the range; TEXT: max is the longest value */
    const char *def;     /* the default as a file would spell it; NULL: unset */
    const char *charset; /* TEXT: the characters allowed, NULL: any printable */
    int (*parse)(const char *value);  /* CHOICE: the value, or -1 */
    const char *(*spell)(int value);  /* CHOICE: how a file spells a value */
    bool (*check)(const char *value); /* TEXT: what a value must also be, or NULL */
    const char *bad;     /* TEXT, CHOICE: why a value is refused, after the key's name */
    const char *option;  /* login's option, or NULL */
    const char *metavar; /* the option's value in --help */
    const char *help;    /* one line for --help */
    enum kc_key_type type;
    enum kc_key_login login;
    bool required; /* needed to mint (kc_profile_complete) */
};

extern const struct kc_key kc_keys[];
extern const size_t kc_n_keys;

/* The row of name, or NULL (an unknown key). */
const struct kc_key *kc_key_find(const char *name);

/* Sets k's field of p from value, or from k's default when value is NULL. URL keys read
 * p->allow_insecure: load them last. false: *why (g_free) says what is wrong with the value. */
bool kc_key_load(const struct kc_key *k, struct kc_profile *p, const char *value, char **why);

/* p's value of k as a config file spells it (TEXT, DECIMAL, URL, CHOICE), NULL when unset. */
const char *kc_key_value(const struct kc_key *k, const struct kc_profile *p);

/* Frees every string field of p that a key sets (not p itself). */
void kc_keys_free_fields(struct kc_profile *p);

/* The first required key p has no value for, or NULL. */
const struct kc_key *kc_profile_missing(const struct kc_profile *p);

/* --help: "Config keys" lines, and login's options with the key each sets. */
void kc_keys_print_help(FILE *out);
void kc_keys_print_login_help(FILE *out);

#endif
