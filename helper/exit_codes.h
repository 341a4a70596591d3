/* Exit codes of kaltura-credential: documented in README.md and --help. */
#ifndef KC_EXIT_CODES_H
#define KC_EXIT_CODES_H

enum kc_exit {
    KC_EXIT_OK = 0,            /* success, ignored action, or a host no profile serves */
    KC_EXIT_INTERNAL = 1,      /* out of memory, cannot run the minter, ... */
    KC_EXIT_USAGE = 2,         /* bad command line */
    KC_EXIT_INPUT = 3,         /* bad credential-protocol input on stdin */
    KC_EXIT_CONFIG = 4,        /* configuration error */
    KC_EXIT_NO_PROFILE = 5,    /* the selected profile is not configured */
    KC_EXIT_NO_TOKEN = 6,      /* no App Token stored in the keyring for the profile */
    KC_EXIT_KEYRING = 7,       /* keyring locked, or no Secret Service */
    KC_EXIT_REJECTED = 8,      /* the Kaltura server rejected the request */
    KC_EXIT_NETWORK = 9,       /* network, TLS, timeout, HTTP status */
    KC_EXIT_BAD_RESPONSE = 10, /* unusable answer from the server */
};

#endif
