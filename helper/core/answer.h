/* The answer of `get` and `ks` (README "Commands"): one writer for both programs, so the frontend
 * (a cache hit) and the minter (a fresh KS) can never print it differently. libc only. */
#ifndef KC_ANSWER_H
#define KC_ANSWER_H

#include <stdbool.h>
#include <stdio.h>

/* A KS and what `get` prints with it; what the cache keeps. All strings malloc'd; free with
 * kc_answer_clear (which wipes the KS). */
struct kc_answer {
    char *ks;
    char *username;
    char *protocol;   /* from service_url, e.g. "https" */
    char *host;       /* from service_url, e.g. "www.kaltura.com" or "localhost:8443" */
    long long expiry; /* absolute unix time */
    char *partner_id; /* the profile's: the KS must be this partner's (not printed) */
};
void kc_answer_clear(struct kc_answer *a);

enum kc_answer_format {
    KC_ANSWER_CREDENTIAL, /* get: the five key=value lines of the credential protocol */
    KC_ANSWER_BARE,       /* ks: the KS and a newline */
};

/* true when every value of a may be printed: printable ASCII within the bounds of contract.h,
 * the KS a well-formed KS of partner_id (kc_ks_well_formed), expiry > 0. The cache keeps and
 * serves nothing else. */
bool kc_answer_ok(const struct kc_answer *a);

/* Writes a to out and flushes it. Every value is checked before anything is written, so on
 * failure out holds nothing of the answer. Returns KC_EXIT_OK; KC_EXIT_BAD_RESPONSE when a value
 * cannot be printed; KC_EXIT_INTERNAL when the write failed. A failure has printed its
 * one-line diagnostic. */
int kc_answer_print(FILE *out, const struct kc_answer *a, enum kc_answer_format format);

#endif
