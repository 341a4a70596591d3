/* One-line diagnostics on stderr, always prefixed "kaltura-credential: ".
 * Never pass a token or a KS to these functions. */
#ifndef KC_DIAG_H
#define KC_DIAG_H

void diag_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
