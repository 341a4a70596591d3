/* git credential protocol reader/writer (see protocol.h for the rules).
 * libc only: the fast-path frontend links this without GLib. The reader is bounded on purpose:
 * git's own helpers were exploitable when an over-long line was split by fgets() and its tail
 * parsed as a new "host=" line (CVE-2024-52006 family), so a long line is an error here, never
 * a second line. */
#include "protocol.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "contract.h"
#include "secure_mem.h"

static void set_str(char **slot, const char *v, size_t n, bool secret)
{
    char *copy = kc_xmalloc(n + 1);
    memcpy(copy, v, n);
    copy[n] = '\0';
    if (secret)
        secure_free_str(*slot);
    else
        free(*slot);
    *slot = copy;
}

static bool key_is(const char *k, size_t klen, const char *name)
{
    return strlen(name) == klen && memcmp(k, name, klen) == 0;
}

/* min_lifetime=SECONDS: digits only, at most KC_MIN_LIFETIME_MAX. */
static bool parse_seconds(const char *v, size_t n, long long *out)
{
    long long x = 0;
    if (n == 0 || n > 12)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return false;
        x = x * 10 + (v[i] - '0');
    }
    if (x > KC_MIN_LIFETIME_MAX)
        return false;
    *out = x;
    return true;
}

/* Applies one key=value line; returns why a value is refused, else NULL. */
static const char *apply(struct kc_request *req, const char *k, size_t klen, const char *v,
                         size_t vlen)
{
    if (key_is(k, klen, "protocol"))
        set_str(&req->protocol, v, vlen, false);
    else if (key_is(k, klen, "host"))
        set_str(&req->host, v, vlen, false);
    else if (key_is(k, klen, "path"))
        set_str(&req->path, v, vlen, false);
    else if (key_is(k, klen, KC_REQ_PROFILE))
        set_str(&req->profile, v, vlen, false);
    else if (key_is(k, klen, "username"))
        set_str(&req->username, v, vlen, false);
    else if (key_is(k, klen, "password"))
        set_str(&req->password, v, vlen, true);
    else if (key_is(k, klen, KC_REQ_MIN_LIFETIME)) {
        if (!parse_seconds(v, vlen, &req->min_lifetime))
            return KC_REQ_MIN_LIFETIME "= is not a number of seconds up to 315360000";
    } else if (key_is(k, klen, KC_REQ_SHARED)) {
        if (vlen == 5 && memcmp(v, "false", 5) == 0)
            req->unshared = true;
        else if (vlen == 4 && memcmp(v, "true", 4) == 0)
            req->unshared = false;
        else
            return KC_REQ_SHARED "= is neither true nor false";
    } else if (key_is(k, klen, "capability[]")) {
        if (vlen == 0) { /* "key[]=" resets the list */
            req->cap_authtype = false;
            req->cap_state = false;
        } else if (vlen == 8 && memcmp(v, "authtype", 8) == 0)
            req->cap_authtype = true;
        else if (vlen == 5 && memcmp(v, "state", 5) == 0)
            req->cap_state = true;
    }
    /* Other keys, including other "key[]" lists: ignored (git's future-proofing rule). */
    return NULL;
}

int kc_request_parse(const char *buf, size_t len, struct kc_request *req, const char **why)
{
    const char *why_dummy;
    if (why == NULL)
        why = &why_dummy;
    *why = NULL;
    memset(req, 0, sizeof *req);
    size_t pos = 0;
    while (pos < len) {
        const char *line = buf + pos;
        size_t rest = len - pos;
        const char *nl = memchr(line, '\n', rest);
        /* A final line without '\n' counts as if it had one (git's strbuf_getline). */
        size_t full = nl != NULL ? (size_t)(nl - line) + 1 : rest + 1;
        if (full > KC_PROTO_MAX_LINE) {
            *why = "input line longer than 65535 bytes";
            goto fail;
        }
        pos += nl != NULL ? full : rest;
        size_t n = full - 1;
        if (memchr(line, '\0', n) != NULL) {
            *why = "NUL byte in input";
            goto fail;
        }
        if (nl != NULL && n > 0 && line[n - 1] == '\r')
            n--; /* git strips a '\r' only before a '\n' */
        if (n == 0)
            return 0; /* blank line: end of the request */
        const char *eq = memchr(line, '=', n);
        if (eq == NULL) {
            *why = "input line without '='";
            goto fail;
        }
        size_t klen = (size_t)(eq - line);
        *why = apply(req, line, klen, eq + 1, n - klen - 1);
        if (*why != NULL)
            goto fail;
    }
    return 0;
fail:
    kc_request_clear(req);
    return -1;
}

/* Reads until a complete blank line or EOF, rejecting an over-long line as soon as it is seen
 * (so a hostile writer cannot make us buffer gigabytes). */
int kc_request_read_fd(int fd, struct kc_request *req, char **raw, size_t *raw_len,
                       const char **why)
{
    size_t cap = 4096, len = 0, line_start = 0, scanned = 0;
    char *buf = kc_xmalloc(cap);
    int rc = -1;
    bool done = false;
    memset(req, 0, sizeof *req);
    while (!done) {
        if (len == cap) {
            if (cap >= KC_PROTO_MAX_INPUT) {
                *why = "input larger than 4 MiB";
                goto out;
            }
            char *nb = kc_xmalloc(cap * 2);
            memcpy(nb, buf, len);
            secure_wipe(buf, len); /* may hold a password */
            free(buf);
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            *why = "cannot read the request from standard input";
            goto out;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        for (; scanned < len; scanned++) {
            if (buf[scanned] != '\n')
                continue;
            size_t n = scanned - line_start;
            if (n == 0 || (n == 1 && buf[line_start] == '\r')) {
                done = true;
                scanned++;
                break;
            }
            line_start = scanned + 1;
        }
        if (!done && len - line_start >= KC_PROTO_MAX_LINE) {
            *why = "input line longer than 65535 bytes";
            goto out;
        }
    }
    rc = kc_request_parse(buf, len, req, why);
    if (rc == 0 && raw != NULL) {
        char *nr = kc_xmalloc(*raw_len + len + 1);
        if (*raw != NULL) { /* not realloc: the old block may hold a password, wipe it */
            memcpy(nr, *raw, *raw_len);
            secure_wipe(*raw, *raw_len);
            free(*raw);
        }
        memcpy(nr + *raw_len, buf, len);
        *raw_len += len;
        nr[*raw_len] = '\0';
        *raw = nr;
    }
out:
    secure_wipe(buf, len);
    free(buf);
    return rc;
}

void kc_request_clear(struct kc_request *req)
{
    free(req->protocol);
    free(req->host);
    free(req->path);
    free(req->profile);
    free(req->username);
    secure_free_str(req->password);
    memset(req, 0, sizeof *req);
}

bool kc_request_lacks_host(const char *protocol, const char *host)
{
    return protocol != NULL && (host == NULL || host[0] == '\0');
}

bool kc_proto_value_ok(const char *value)
{
    if (value == NULL)
        return false;
    size_t n = strcspn(value, "\r\n");
    return n < KC_PROTO_MAX_LINE && value[n] == '\0';
}

int kc_proto_write(FILE *out, const char *key, const char *value)
{
    if (!kc_proto_value_ok(value) || key == NULL || key[strcspn(key, "=\r\n")] != '\0' ||
        strlen(key) + strlen(value) + 2 > KC_PROTO_MAX_LINE)
        return -1;
    if (fprintf(out, "%s=%s\n", key, value) < 0)
        return -1;
    return 0;
}
