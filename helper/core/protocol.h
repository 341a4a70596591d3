/* git credential protocol (gitcredentials(7)): key=value lines on stdin, ended by a blank
 * line or EOF. libc only: used by the fast-path frontend and by the minter.
 *
 * Reader rules (git's, plus the fixes git's own helpers needed):
 * - a line, newline included, is at most 65535 bytes (KC_PROTO_MAX_LINE); longer: error;
 * - a line ends in '\n', one '\r' before it stripped; a final line without '\n' is still a
 *   line, read as git's strbuf_getline reads it (its '\r' kept);
 * - a NUL byte anywhere: error; a line without '=': error;
 * - scalar keys keep the last value; "key[]" keys are ignored except capability[] which is
 *   recorded; unknown keys are ignored silently;
 * - our own keys (contract.h KC_REQ_*) with a value they cannot have: error.
 */
#ifndef KC_PROTOCOL_H
#define KC_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The memfd in which the frontend hands a request it already read to the minter's stdin. */
#define KC_FED_REQUEST_NAME "kaltura-credential-request"

#define KC_PROTO_MAX_LINE 65535
/* A whole request read by kc_request_read_fd is capped too (memory bound). */
#define KC_PROTO_MAX_INPUT (4u * 1024 * 1024)

struct kc_request {
    char *protocol; /* NULL when absent */
    char *host;     /* may carry ":port" */
    char *path;
    char *profile; /* our extension: profile=NAME */
    char *username;
    char *password;         /* only `revoke` uses it; wiped by kc_request_clear */
    long long min_lifetime; /* min_lifetime=SECONDS: a cached KS needs more left; 0: unset */
    bool unshared;          /* shared=false: a KS for this request alone (contract.h) */
    bool cap_authtype;
    bool cap_state;
};

/* Read a request from fd until a blank line or EOF. On error returns -1 and sets *why to a
 * static message (no input echoed). The raw bytes read are appended to *raw (length *raw_len)
 * when raw is not NULL (so the frontend can hand the same request to the minter); *raw is
 * malloc'd. */
int kc_request_read_fd(int fd, struct kc_request *req, char **raw, size_t *raw_len,
                       const char **why);
/* Same, parsing a buffer (used by fuzzers and by the minter on a fed request). */
int kc_request_parse(const char *buf, size_t len, struct kc_request *req, const char **why);
void kc_request_clear(struct kc_request *req);

/* true for a request that names a protocol but no host (absent or empty): git sends that for
 * a URL it could not parse (CVE-2020-11008), so no profile's KS may answer it. Only a request
 * naming neither (`ks`, the PAM module) may fall back to the default profile. */
bool kc_request_lacks_host(const char *protocol, const char *host);

/* true when value may be printed as a protocol value: no '\n', no '\r', no NUL, not too long. */
bool kc_proto_value_ok(const char *value);
/* Print "key=value\n"; returns -1 (and prints nothing) when the value is not printable. */
int kc_proto_write(FILE *out, const char *key, const char *value);

#endif
