/* The answer of `get`, `ks` and `exec` (README "Commands"): one writer for both programs, so
 * the frontend (a cache hit) and the minter (a fresh KS) can never print it differently.
 * libc only. */
#ifndef KC_ANSWER_H
#define KC_ANSWER_H

#include <stdbool.h>
#include <stdio.h>

/* The variables `exec` sets and `ks --format=env|export` prints. */
#define KC_VAR_KS      "KALTURA_KS"
#define KC_VAR_EXPIRY  "KALTURA_KS_EXPIRY"
#define KC_VAR_PARTNER "KALTURA_PARTNER_ID"
#define KC_VAR_URL     "KALTURA_SERVICE_URL"

/* Bounds of the values only `ks --format` and `exec` print (the `get` answer's: contract.h). */
#define KC_ANSWER_MAX_SERVICE_URL 2048
#define KC_ANSWER_MAX_PARTNER_ID  10 /* digits: 1..2^31-1 */
#define KC_ANSWER_MAX_PRIVILEGES  (16 * 1024)

/* A KS and what is printed with it; what the cache keeps. All strings malloc'd; free with
 * kc_answer_clear (which wipes the KS). */
struct kc_answer {
    char *ks;
    char *username;    /* get: the KS's user id, else the App Token id */
    char *protocol;    /* from service_url, e.g. "https" */
    char *host;        /* from service_url, e.g. "www.kaltura.com" or "localhost:8443" */
    long long expiry;  /* absolute unix time, on the local clock */
    char *service_url; /* the profile's, normalised */
    char *partner_id;  /* the profile's, decimal: the KS must be this partner's */
    char *user_id;     /* the KS's user id; NULL or "": none */
    char *privileges;  /* as the server built them (KalturaSessionInfo); NULL: not sent */
};
void kc_answer_clear(struct kc_answer *a);

/* The variables of an answer, in that order: ks_var (KALTURA_KS, or exec --env's name) holds
 * the KS, then KC_VAR_EXPIRY (written into expiry, decimal), KC_VAR_PARTNER, KC_VAR_URL. One
 * list for `exec` and `ks --format=env|export`, so both always name the same variables. The
 * pointers are into a and expiry. */
enum { KC_ANSWER_VARS = 4 };
struct kc_answer_var {
    const char *name;
    const char *value;
};
void kc_answer_vars(const struct kc_answer *a, const char *ks_var, char expiry[24],
                    struct kc_answer_var vars[KC_ANSWER_VARS]);

enum kc_answer_format {
    KC_ANSWER_CREDENTIAL, /* get: the five key=value lines of the credential protocol */
    KC_ANSWER_BARE,       /* ks: the KS and a newline */
    KC_ANSWER_ENV,        /* ks --format=env: NAME=VALUE lines (quoted only where a shell must) */
    KC_ANSWER_EXPORT,     /* ks --format=export: export NAME='VALUE' lines, for eval */
    KC_ANSWER_JSON,       /* ks --format=json: one object, one line */
};

/* true when every value of a may be printed: one line of printable ASCII within the bounds
 * above and of contract.h, the KS a well-formed KS of partner_id (kc_ks_well_formed), a
 * decimal partner id, expiry > 0. The cache keeps and serves nothing else. */
bool kc_answer_ok(const struct kc_answer *a);

/* kc_answer_ok with its diagnostic: KC_EXIT_OK, or KC_EXIT_BAD_RESPONSE with one line printed
 * saying which partner's KS was expected. What print and exec check before using a. */
int kc_answer_check(const struct kc_answer *a);

/* Writes a to out and flushes it. Every value is checked before anything is written, so on
 * failure out holds nothing of the answer. Returns KC_EXIT_OK; KC_EXIT_BAD_RESPONSE when a value
 * cannot be printed; KC_EXIT_INTERNAL when the write failed. A failure has printed its
 * one-line diagnostic. */
int kc_answer_print(FILE *out, const struct kc_answer *a, enum kc_answer_format format);

#endif
