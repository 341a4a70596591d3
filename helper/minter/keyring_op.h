/* One keyring operation against the Secret Service, step by step (internal to keyring.c): read
 * the default collection's lock state first (a property: it never prompts and never searches,
 * so it cannot open KeePassXC's unlock-before-search dialog), unlock if allowed, then search
 * with SECRET_SEARCH_ALL (locked items too) and read, create or delete. Each attempt runs on its
 * own connection (keyring_service.h); keyring.c retries one that failed in its session. */
#ifndef KC_KEYRING_OP_H
#define KC_KEYRING_OP_H

#include <libsecret/secret.h>
#include <stdbool.h>

#include "config.h"
#include "keyring_service.h"

/* What an attempt found out; keyring.c words it. */
enum kc_op_status {
    KC_OP_OK,
    KC_OP_NOT_FOUND,         /* no item */
    KC_OP_UNUSABLE,          /* items, none holds a usable token */
    KC_OP_LOCKED,            /* locked: unlocking not allowed, refused or dismissed */
    KC_OP_LOCKED_UNANSWERED, /* locked: its unlock dialog was not answered by the deadline */
    KC_OP_LOCKED_UNATTENDED, /* locked: the unlock needs a person, none can answer here */
    KC_OP_UNREADABLE,        /* an item is there, its secret could not be decrypted */
    KC_OP_SESSION,           /* the session with the service failed (cause) */
    KC_OP_NO_SERVICE,        /* no Secret Service answered (cause) */
    KC_OP_NO_COLLECTION,     /* store: there is no default collection */
    KC_OP_NOT_REPLACED,      /* store: the old item stayed (cause); the new one was removed */
    KC_OP_BOTH_KEPT,         /* store: as NOT_REPLACED, but the new one could not be removed */
    KC_OP_NOT_KEPT,          /* store: the keyring took the token, but does not give it back */
    KC_OP_TIMEOUT,           /* the deadline passed in a call */
    KC_OP_PROMPT_UNANSWERED, /* the deadline passed in a confirmation dialog (create, delete) */
    KC_OP_PROMPT_UNATTENDED, /* a confirmation dialog needs a person, none can answer here */
    KC_OP_ERROR,             /* any other failure (cause) */
};

struct kc_op {
    const struct kc_profile *p;
    bool may_unlock;      /* false: a locked collection or item is reported, never unlocked */
    GCancellable *cancel; /* cancelled at the deadline */
    gint64 deadline;      /* g_get_monotonic_time() units */
    SecretService *svc;   /* the attempt's connection (kc_keyring_service_open) */
    GMainContext *ctx;    /* the attempt's thread-default main context (keyring.c) */
    GError *cause;        /* the provider's words, for SESSION, NO_SERVICE, ERROR, ... */
    /* lookup: called once the profile's item is known to exist, then cleared (at most once
     * per operation, retry included); NULL: nobody to tell */
    void (*found)(void *data);
    void *found_data;
    /* results */
    char *token;  /* lookup: FOUND (secret_password_free) */
    bool removed; /* clear: an item was removed */
};

/* org.kaltura.AppToken, and the profile's attributes in it (values borrowed from p). */
extern const SecretSchema kc_token_schema;
GHashTable *kc_token_attributes(const struct kc_profile *p);

/* Whether a prompt can be answered by someone here: a graphical session (DISPLAY or
 * WAYLAND_DISPLAY). Elsewhere (PAM, ssh, cron) a prompt gets only a short bound. */
bool kc_op_attended(void);

/* The attempts; each opens op->svc itself, and leaves it for the caller to drop. */
enum kc_op_status kc_op_lookup(struct kc_op *op);
enum kc_op_status kc_op_store(struct kc_op *op, const char *token);
enum kc_op_status kc_op_clear(struct kc_op *op);

#endif
