/* libFuzzer target: the git credential protocol reader (helper/core/protocol.c).
 * Invariants: success means the input was NUL-free, no longer than the caps, and every value
 * kept is a single line (no '\n' or NUL) no longer than a line; failure gives a static reason
 * and nothing allocated; parsing is deterministic, and writing the kept values back with
 * kc_proto_write and parsing that gives the same request. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void one_line(const char *v)
{
    if (v && (strchr(v, '\n') || strlen(v) >= KC_PROTO_MAX_LINE))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1); /* exactly sized: ASan sees any over-read */
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    struct kc_request req = {0}, again = {0};
    const char *why = NULL;
    if (kc_request_parse(buf, size, &req, &why) != 0) {
        if (why == NULL || req.protocol || req.host || req.path || req.profile || req.username ||
            req.password || req.min_lifetime || req.unshared)
            abort();
        free(buf);
        return 0;
    }
    /* the request ends at the first empty line ("\n" or "\r\n"); what follows is never read */
    size_t end = size;
    for (size_t i = 0, line = 0; i < size; i++) {
        if (buf[i] != '\n')
            continue;
        if (i == line || (i == line + 1 && buf[line] == '\r')) {
            end = i;
            break;
        }
        line = i + 1;
    }
    if (memchr(buf, '\0', end) != NULL || end > KC_PROTO_MAX_INPUT)
        abort();
    const char *vals[] = {req.protocol, req.host,     req.path,
                          req.profile,  req.username, req.password};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        one_line(vals[i]);
    /* write back what survived (values with '\r' cannot be written: skip those) and re-read */
    char *out = NULL;
    size_t out_len = 0;
    FILE *f = open_memstream(&out, &out_len);
    if (f == NULL)
        abort();
    static const char *const keys[] = {"protocol", "host",     "path",
                                       "profile",  "username", "password"};
    int writable = 1;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (vals[i] && kc_proto_write(f, keys[i], vals[i]) != 0)
            writable = 0;
    if (req.min_lifetime < 0 || req.min_lifetime > KC_MIN_LIFETIME_MAX)
        abort();
    if (req.min_lifetime)
        fprintf(f, "min_lifetime=%lld\n", req.min_lifetime);
    if (req.unshared)
        fputs("shared=false\n", f);
    fputc('\n', f);
    fclose(f);
    if (writable) {
        if (kc_request_parse(out, out_len, &again, &why) != 0 ||
            !same(again.protocol, req.protocol) || !same(again.host, req.host) ||
            !same(again.path, req.path) || !same(again.profile, req.profile) ||
            !same(again.username, req.username) || !same(again.password, req.password) ||
            again.min_lifetime != req.min_lifetime || again.unshared != req.unshared)
            abort();
        kc_request_clear(&again);
    }
    free(out);
    kc_request_clear(&req);
    free(buf);
    return 0;
}
