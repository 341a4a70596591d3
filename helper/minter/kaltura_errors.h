/* Kaltura api_v3 error codes (KalturaAPIException.code) -> what they mean for a user of this
 * program. libc only. */
#ifndef KC_KALTURA_ERRORS_H
#define KC_KALTURA_ERRORS_H

#include <stddef.h>

/* A static one-phrase meaning with what to do, or NULL for a code we do not know. */
const char *kc_kaltura_error_meaning(const char *code);

/* Formats "<CODE>: <meaning> (server said: <message>)" into buf (always NUL-terminated).
 * The server's message is reduced to printable ASCII and capped; every occurrence of one of the
 * strings in redact (NULL-terminated list, may be NULL) is replaced by "<redacted>", so a KS the
 * server echoes back never reaches a log. Returns buf. */
char *kc_kaltura_error_format(char *buf, size_t size, const char *code, const char *message,
                              const char *const *redact);

#endif
