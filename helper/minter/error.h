/* The minter's error domain: every GError in the minter carries an enum kc_exit code
 * (contract.h) and a one-line message ready for diag_error, never a secret. */
#ifndef KC_ERROR_H
#define KC_ERROR_H

#include <glib.h>

#include "contract.h"

#define KC_ERROR (kc_error_quark())
GQuark kc_error_quark(void);

/* How a command fails: prints error's message with diag_error, frees error and returns its
 * exit code (KC_EXIT_INTERNAL for a NULL error or one without a code). */
int kc_fail(GError *error);

#endif
