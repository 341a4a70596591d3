/* The credential request on the minter's stdin: read as the frontend reads it (protocol.h),
 * the frontend's memfd emptied once read. */
#ifndef KC_REQUEST_H
#define KC_REQUEST_H

#include <stdbool.h>

#include "protocol.h"

/* Reads a credential request from stdin (an empty request when stdin is a terminal and
 * skip_tty). Returns KC_EXIT_OK or KC_EXIT_INPUT (printed). */
int kc_read_request(struct kc_request *req, bool skip_tty);

#endif
