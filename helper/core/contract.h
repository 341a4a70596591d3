/* What kaltura-credential promises the programs that run it: exit codes, the bounds of its
 * `get` answer, and the profile-name rule (doc/architecture.md "The contract").
 * libc only and header only: the PAM module includes this one file of the helper's tree and
 * nothing else, so the two sides can never disagree on these numbers. */
#ifndef KC_CONTRACT_H
#define KC_CONTRACT_H

#include <stdbool.h>
#include <string.h>

/* Exit codes: documented in README.md and --help. */
enum kc_exit {
    KC_EXIT_OK = 0,            /* success, ignored action, or a host no profile serves */
    KC_EXIT_INTERNAL = 1,      /* out of memory, cannot run the minter, ... */
    KC_EXIT_USAGE = 2,         /* bad command line */
    KC_EXIT_INPUT = 3,         /* bad credential-protocol input on stdin */
    KC_EXIT_CONFIG = 4,        /* configuration error */
    KC_EXIT_NO_PROFILE = 5,    /* the selected profile is not configured */
    KC_EXIT_NO_TOKEN = 6,      /* no App Token stored in the keyring for the profile */
    KC_EXIT_KEYRING = 7,       /* keyring locked, no Secret Service, token unreadable */
    KC_EXIT_REJECTED = 8,      /* the Kaltura server rejected the request */
    KC_EXIT_NETWORK = 9,       /* network, TLS, timeout, HTTP status */
    KC_EXIT_BAD_RESPONSE = 10, /* unusable answer from the server */
};

/* The `get` answer (README "Commands"): protocol, host, username, password, password_expiry_utc,
 * one key=value line each. The longest value of each; the helper prints nothing longer and
 * the PAM module accepts exactly this much (tests/unit/test_contract.c builds the longest). */
#define KC_ANSWER_MAX_PROTOCOL 5                      /* "https" */
#define KC_HOST_NAME_MAX       255                    /* a host name in service_url */
#define KC_ANSWER_MAX_HOST     (KC_HOST_NAME_MAX + 8) /* "[" name "]:65535" */
#define KC_ANSWER_MAX_USERNAME 1024                   /* a KS's user id (or the App Token id) */
#define KC_ANSWER_MAX_KS       (16 * 1024)
#define KC_ANSWER_MAX_EXPIRY   19 /* digits: a positive 64-bit time */

#define KC_ANSWER_LINE_MAX(key, value_max) (sizeof(key "=\n") - 1 + (value_max))
/* The whole answer, at its longest. */
#define KC_ANSWER_MAX                                                                              \
    (KC_ANSWER_LINE_MAX("protocol", KC_ANSWER_MAX_PROTOCOL) +                                      \
     KC_ANSWER_LINE_MAX("host", KC_ANSWER_MAX_HOST) +                                              \
     KC_ANSWER_LINE_MAX("username", KC_ANSWER_MAX_USERNAME) +                                      \
     KC_ANSWER_LINE_MAX("password", KC_ANSWER_MAX_KS) +                                            \
     KC_ANSWER_LINE_MAX("password_expiry_utc", KC_ANSWER_MAX_EXPIRY))

/* Request keys of `get` and `revoke` beyond git's (README "Commands"), as the PAM module sends
 * them: profile=NAME; min_lifetime=SECONDS (get: a cached KS is used only with more than that
 * left); shared=false (get: a KS minted for this request alone, never cached; revoke: the KS
 * was such a one, so a KS the server no longer knows is a failure, not "already ended"). */
#define KC_REQ_PROFILE      "profile"
#define KC_REQ_MIN_LIFETIME "min_lifetime"
#define KC_REQ_SHARED       "shared"
#define KC_MIN_LIFETIME_MAX 315360000LL /* 10 years, the bound of config min_lifetime too */

/* Profile names (INI groups, --profile, profile= on stdin, the PAM module's profile=):
 * [A-Za-z0-9._-]{1,64} without "..". */
#define KC_PROFILE_NAME_MAX 64

static inline bool kc_profile_name_ok(const char *name)
{
    static const char allowed[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
    size_t n = name != NULL ? strlen(name) : 0;
    return n > 0 && n <= KC_PROFILE_NAME_MAX && strstr(name, "..") == NULL &&
           strspn(name, allowed) == n;
}

/* The KS (doc/kaltura-api.md §5), as the server writes it: base64 (v1: '+' '/') or base64url
 * (v2: '-' '_'), '=' padding to a multiple of 4 characters, of
 *   v1: <signature: 40 lowercase hex digits>|<partner id>;<more fields, 3 at least in all>
 *   v2: v2|<partner id>|<AES-128-CBC ciphertext: a multiple of 16 bytes, 48 at least>
 * (v2's plaintext is a 20-byte SHA-1, 16 random bytes and a non-empty query). The signature
 * needs the partner's secret, which only the server has: this is the shape, not the proof.
 * kc_ks_well_formed checks the shape and, when partner_id is not NULL, that the KS belongs to
 * that partner (the helper, for every KS it prints, caches or sends back); the PAM module,
 * which does not know the partner, passes NULL (any partner id of 1 to 10 digits). */
#define KC_KS_PARTNER_MAX 10 /* digits of a partner id (an int32) */

struct kc_ks_scan {
    const char *partner; /* NULL: any */
    size_t at;           /* bytes decoded so far */
    size_t pid_len;      /* digits of the partner id seen so far */
    size_t tail;         /* v2: ciphertext bytes; v1: ';' after the partner id */
    int version;         /* 0 until the first byte says */
    int state;           /* 0: header, 1: partner id, 2: tail */
};

/* One decoded byte; false as soon as the bytes cannot be a KS. */
static inline bool kc_ks_scan_byte(struct kc_ks_scan *s, unsigned char b)
{
    size_t i = s->at++;
    if (i == 0)
        s->version = b == 'v' ? 2 : 1;
    if (s->state == 0) { /* v2: "v2|"; v1: 40 lowercase hex digits and '|' */
        bool ok = s->version == 2 ? b == (unsigned char)"v2|"[i]
                  : i < 40        ? (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f')
                                  : b == '|';
        if (ok && i == (s->version == 2 ? 2u : 40u))
            s->state = 1;
        return ok;
    }
    if (s->state == 1) {
        char end = s->version == 2 ? '|' : ';';
        if (b == (unsigned char)end) {
            s->state = 2;
            return s->pid_len > 0 && (s->partner == NULL || s->partner[s->pid_len] == '\0');
        }
        if (b < '0' || b > '9' || s->pid_len >= KC_KS_PARTNER_MAX ||
            (s->partner != NULL && (unsigned char)s->partner[s->pid_len] != b))
            return false;
        s->pid_len++;
        return true;
    }
    if (s->version == 2 || b == ';')
        s->tail++;
    return true;
}

static inline int kc_ks_b64_digit(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* ks: len bytes (need not be NUL-terminated). */
static inline bool kc_ks_well_formed(const char *ks, size_t len, const char *partner_id)
{
    if (ks == NULL || len < 4 || len > KC_ANSWER_MAX_KS || len % 4 != 0)
        return false;
    size_t pad = ks[len - 1] != '=' ? 0 : ks[len - 2] != '=' ? 1 : 2;
    struct kc_ks_scan s = {.partner = partner_id};
    for (size_t i = 0; i < len; i += 4) {
        unsigned long v = 0;
        for (size_t j = i; j < i + 4; j++) {
            int d = j >= len - pad ? 0 : kc_ks_b64_digit(ks[j]);
            if (d < 0)
                return false; /* not the alphabet, or '=' before the end */
            v = v << 6 | (unsigned long)d;
        }
        size_t bytes = i + 4 < len ? 3 : 3 - pad;
        for (size_t k = 0; k < bytes; k++)
            if (!kc_ks_scan_byte(&s, (unsigned char)(v >> (16 - 8 * k))))
                return false;
    }
    if (s.state != 2)
        return false;
    return s.version == 2 ? s.tail >= 48 && s.tail % 16 == 0 : s.tail >= 1;
}

/* A user id, a host: one line of printable ASCII (no control character, no DEL, nothing
 * above 0x7e: no U+2028 or U+0085 a Unicode line splitter would break at). */
static inline bool kc_printable_ascii(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

#endif
