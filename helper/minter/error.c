/* The minter's error domain (error.h). */
#include "error.h"

#include "diag.h"

GQuark kc_error_quark(void)
{
    return g_quark_from_static_string("kc-error-quark");
}

int kc_fail(GError *error)
{
    int code = error ? error->code : KC_EXIT_INTERNAL;
    diag_error("%s", error ? error->message : "internal error");
    g_clear_error(&error);
    return code == KC_EXIT_OK ? KC_EXIT_INTERNAL : code;
}
