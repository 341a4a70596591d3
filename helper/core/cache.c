/* KS cache entries (cache.h; layout in doc/architecture.md and doc/cache.md).
 * An entry's file name is only an index (FNV-1a-64 of a canonical description); the file
 * repeats the full description and a reader compares it byte for byte, so a hash collision or a
 * stale format is a miss, never somebody else's KS. */
#include "cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cache_store.h"
#include "contract.h"
#include "secure_mem.h"
#include "small_file.h"

/* kc2: ks- entries also hold service_url, user_id and privileges (for ks --format and exec;
 * the partner id is the description's). A kc1 entry of an older version is not ours: a miss,
 * removed, minted anew. */
#define FORMAT_LINE     "format=kc2\n"
#define WIDGET_MIN_LEFT 60
#define LOCK_IDLE       60          /* seconds a lock file is kept at least (prune) */
#define CONFIG_MAX      (16 * 1024) /* a bigger config file: no request alias (always a miss) */

struct kc_cache {
    struct kc_store st;
};

struct kc_cache *kc_cache_open_ex(bool create, bool quiet)
{
    struct kc_cache *c = kc_xmalloc(sizeof *c);
    if (kc_store_open(&c->st, create, quiet) != 0) {
        free(c);
        return NULL;
    }
    return c;
}

struct kc_cache *kc_cache_open(bool create)
{
    return kc_cache_open_ex(create, false);
}

int kc_cache_check(char **path, const char **problem)
{
    struct kc_store st;
    *path = kc_cache_dir_path();
    *problem = NULL;
    if (*path == NULL)
        return -1;
    if (kc_store_open(&st, true, true) != 0) {
        *problem = st.problem ? st.problem : "cannot be created";
        return -2;
    }
    char name[48];
    snprintf(name, sizeof name, "doctor-probe-%ld", (long)getpid());
    int rc =
        kc_store_write(&st, name, "probe\n", 6) == 0 && kc_store_remove(&st, name) == 0 ? 0 : -2;
    if (rc != 0)
        *problem = "is not writable";
    kc_store_close(&st);
    return rc;
}

void kc_cache_close(struct kc_cache *c)
{
    if (c == NULL)
        return;
    kc_store_close(&c->st);
    free(c);
}

/* ---- names and descriptions ---- */

static uint64_t fnv1a64(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Percent-encodes everything but printable ASCII other than '%', ';', '=' (one line, and
 * fields cannot run into each other). */
static void esc_add(struct kc_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch > 0x20 && ch < 0x7f && ch != '%' && ch != ';' && ch != '=') {
            kc_buf_addn(b, &s[i], 1);
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            kc_buf_addn(b, e, 3);
        }
    }
}

/* ";name=-" for NULL (unset), ";name=+<escaped value>" otherwise: unset differs from "". */
static void field_add(struct kc_buf *b, const char *name, const char *value)
{
    kc_buf_add(b, ";");
    kc_buf_add(b, name);
    if (value == NULL) {
        kc_buf_add(b, "=-");
        return;
    }
    kc_buf_add(b, "=+");
    esc_add(b, value, strlen(value));
}

static void entry_name(char out[32], const char *prefix, const struct kc_buf *desc)
{
    snprintf(out, 32, "%s-%016llx", prefix, (unsigned long long)fnv1a64(desc->p, desc->len));
}

static void ks_desc(struct kc_buf *b, const struct kc_ks_params *p)
{
    kc_buf_add(b, "ks1");
    field_add(b, "service_url", p->service_url);
    field_add(b, "partner_id", p->partner_id);
    field_add(b, "app_token_id", p->app_token_id);
    field_add(b, "hash_function", p->hash_function);
    field_add(b, "user_id", p->user_id);
    field_add(b, "session_type", p->session_type);
    field_add(b, "privileges", p->privileges);
    field_add(b, "expiry", p->expiry);
}

static void widget_desc(struct kc_buf *b, const char *service_url, const char *partner_id)
{
    kc_buf_add(b, "widget1");
    field_add(b, "service_url", service_url);
    field_add(b, "partner_id", partner_id);
}

/* The config files' bytes are part of the request identity: any edit changes the key, so the
 * frontend never needs to parse a config to know a hit is still right. A missing file is
 * recorded as missing (creating it later changes the key too). */
static int add_config_file(struct kc_buf *b, const char *path)
{
    char *data;
    size_t n;
    field_add(b, "file", path);
    enum kc_file_rc rc = kc_file_read(AT_FDCWD, path, CONFIG_MAX, 0, &data, &n);
    if (rc == KC_FILE_ABSENT) {
        kc_buf_add(b, ";content=-");
        return 0;
    }
    if (rc != KC_FILE_OK)
        return -1;
    kc_buf_add(b, ";content=+");
    esc_add(b, data, n);
    free(data);
    return 0;
}

static int request_desc(struct kc_buf *b, const struct kc_request_ident *id)
{
    kc_buf_add(b, "req1");
    field_add(b, "profile_arg", id->profile_arg);
    if (id->req != NULL) {
        kc_buf_add(b, ";request=+");
        field_add(b, "profile", id->req->profile);
        field_add(b, "protocol", id->req->protocol);
        field_add(b, "host", id->req->host); /* path is ignored: it never selects a profile */
    } else {
        kc_buf_add(b, ";request=-");
    }
    if (id->paths == NULL)
        return -1;
    for (size_t i = 0; i < id->paths->n; i++)
        if (id->paths->files[i] == NULL || add_config_file(b, id->paths->files[i]) != 0)
            return -1;
    return b->len > KC_ENTRY_MAX / 2 ? -1 : 0;
}

/* ---- entry files: "key=value" lines ---- */

/* The value of "key=" in buf, or NULL. Values never contain '\n' (writers check). */
static const char *field(const char *buf, const char *key, size_t *vlen)
{
    size_t kl = strlen(key);
    for (const char *line = buf; *line != '\0';) {
        const char *end = strchr(line, '\n');
        if (end == NULL)
            return NULL; /* truncated entry */
        if ((size_t)(end - line) > kl && memcmp(line, key, kl) == 0 && line[kl] == '=') {
            *vlen = (size_t)(end - line) - kl - 1;
            return line + kl + 1;
        }
        line = end + 1;
    }
    return NULL;
}

static char *field_dup(const char *buf, const char *key)
{
    size_t n;
    const char *v = field(buf, key, &n);
    return v != NULL ? kc_xstrndup(v, n) : NULL;
}

/* A value written by opt_field_add: "-" is NULL, "+<value>" the value; anything else: "". */
static char *opt_field_dup(const char *buf, const char *key)
{
    size_t n;
    const char *v = field(buf, key, &n);
    if (v == NULL || n == 0 || (v[0] != '+' && v[0] != '-'))
        return kc_xstrdup(""); /* not NULL: a corrupt line must not read as "not sent" */
    return v[0] == '-' ? NULL : kc_xstrndup(v + 1, n - 1);
}

static bool field_eq(const char *buf, const char *key, const struct kc_buf *want)
{
    size_t n;
    const char *v = field(buf, key, &n);
    return v != NULL && n == want->len && memcmp(v, want->p, n) == 0;
}

static bool field_ll(const char *buf, const char *key, long long *out)
{
    size_t n;
    const char *v = field(buf, key, &n);
    if (v == NULL || n == 0 || n > 18)
        return false;
    long long x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return false;
        x = x * 10 + (v[i] - '0');
    }
    *out = x;
    return true;
}

static bool is_ours(const char *buf)
{
    return strncmp(buf, FORMAT_LINE, strlen(FORMAT_LINE)) == 0;
}

static void free_entry(char *buf, size_t len)
{
    secure_wipe(buf, len);
    free(buf);
}

/* Reads entry `name`; KC_READ_BAD (foreign, symlink, wrong format) entries are removed so a put
 * can replace them. Returns 1 with *buf when the entry's desc= equals desc exactly. */
static int read_matching(struct kc_cache *c, const char *name, const struct kc_buf *desc,
                         char **buf, size_t *len)
{
    enum kc_read_rc rc = kc_store_read(&c->st, name, buf, len);
    if (rc == KC_READ_ABSENT)
        return 0;
    if (rc == KC_READ_BAD || !is_ours(*buf)) {
        if (rc == KC_READ_OK)
            free_entry(*buf, *len);
        *buf = NULL;
        kc_store_remove(&c->st, name);
        return 0;
    }
    if (!field_eq(*buf, "desc", desc)) { /* a hash collision: not ours to remove */
        free_entry(*buf, *len);
        *buf = NULL;
        return 0;
    }
    return 1;
}

/* The partner id in a ks- description (";partner_id=+<digits>", ks_desc): the partner the
 * entry's KS must belong to. NULL when absent. Values are escaped (esc_add), so the marker
 * cannot occur inside an earlier field. */
static char *desc_partner(const char *desc, size_t desc_len)
{
    static const char marker[] = ";partner_id=+";
    const size_t m = sizeof marker - 1;
    for (size_t i = 0; i + m <= desc_len; i++) {
        if (memcmp(desc + i, marker, m) != 0)
            continue;
        size_t n = 0;
        while (i + m + n < desc_len && desc[i + m + n] >= '0' && desc[i + m + n] <= '9')
            n++;
        return n > 0 && n <= KC_KS_PARTNER_MAX ? kc_xstrndup(desc + i + m, n) : NULL;
    }
    return NULL;
}

enum kc_entry_rc kc_cache_parse_ks_entry(const char *buf, const char *desc, size_t desc_len,
                                         struct kc_answer *out)
{
    struct kc_buf want = {.p = (char *)desc, .len = desc_len};
    long long expiry;
    memset(out, 0, sizeof *out);
    if (!is_ours(buf))
        return KC_ENTRY_CORRUPT;
    if (!field_eq(buf, "desc", &want))
        return KC_ENTRY_OTHER; /* a hash collision: not ours to remove */
    if (!field_ll(buf, "expiry", &expiry))
        return KC_ENTRY_CORRUPT;
    out->ks = field_dup(buf, "ks");
    out->username = field_dup(buf, "username");
    out->protocol = field_dup(buf, "protocol");
    out->host = field_dup(buf, "host");
    out->expiry = expiry;
    out->service_url = field_dup(buf, "service_url");
    out->partner_id = desc_partner(desc, desc_len);
    out->user_id = field_dup(buf, "user_id");           /* an empty line: none */
    out->privileges = opt_field_dup(buf, "privileges"); /* "-": not sent, "+...": the value */
    /* Only what the writer may print: a '\r', an over-long value, or a KS that is not a
     * well-formed KS of the entry's partner (one cached before that check) is a corrupt
     * entry: a miss. */
    if (!kc_answer_ok(out)) {
        kc_answer_clear(out);
        return KC_ENTRY_CORRUPT;
    }
    return KC_ENTRY_OK;
}

static int get_ks_desc(struct kc_cache *c, const struct kc_buf *desc, long long min_lifetime,
                       time_t now, struct kc_answer *out)
{
    char name[32], *buf;
    size_t len;
    entry_name(name, "ks", desc);
    memset(out, 0, sizeof *out);
    if (read_matching(c, name, desc, &buf, &len) != 1)
        return 0;
    int hit = 0;
    enum kc_entry_rc rc = kc_cache_parse_ks_entry(buf, desc->p, desc->len, out);
    if (rc != KC_ENTRY_OK || out->expiry <= (long long)now) {
        kc_answer_clear(out); /* corrupt or expired */
        kc_store_remove(&c->st, name);
    } else if (out->expiry - (long long)now <= min_lifetime) {
        kc_answer_clear(out); /* still valid for others; the minter replaces it */
    } else {
        hit = 1;
    }
    free_entry(buf, len);
    return hit;
}

int kc_cache_get_ks(struct kc_cache *c, const struct kc_ks_params *p, long long min_lifetime,
                    time_t now, struct kc_answer *out)
{
    struct kc_buf d = {0};
    memset(out, 0, sizeof *out);
    if (c == NULL)
        return 0;
    ks_desc(&d, p);
    int rc = get_ks_desc(c, &d, min_lifetime, now, out);
    kc_buf_free(&d);
    return rc;
}

static int put_entry(struct kc_cache *c, const char *name, struct kc_buf *body)
{
    int rc = kc_store_write(&c->st, name, body->p, body->len);
    kc_buf_free(body);
    return rc;
}

int kc_cache_put_ks(struct kc_cache *c, const struct kc_ks_params *p, const struct kc_answer *e)
{
    if (c == NULL || !kc_answer_ok(e) || p->partner_id == NULL ||
        strcmp(e->partner_id, p->partner_id) != 0)
        return -1;
    struct kc_buf d = {0}, b = {0};
    char name[32];
    ks_desc(&d, p);
    entry_name(name, "ks", &d);
    kc_buf_add(&b, FORMAT_LINE "desc=");
    kc_buf_addn(&b, d.p, d.len);
    kc_buf_printf(&b,
                  "\nexpiry=%lld\nprotocol=%s\nhost=%s\nusername=%s\nservice_url=%s\n"
                  "user_id=%s\nprivileges=%s%s\nks=%s\n",
                  e->expiry, e->protocol, e->host, e->username, e->service_url,
                  e->user_id != NULL ? e->user_id : "", e->privileges != NULL ? "+" : "-",
                  e->privileges != NULL ? e->privileges : "", e->ks);
    kc_buf_free(&d);
    int rc = put_entry(c, name, &b);
    /* A mint is rare and already slow: the right moment to drop what expired meanwhile. */
    if (rc == 0)
        kc_cache_prune(c, time(NULL));
    return rc;
}

int kc_cache_drop_ks(struct kc_cache *c, const struct kc_ks_params *p)
{
    if (c == NULL)
        return 0;
    struct kc_buf d = {0};
    char name[32], *buf;
    size_t len;
    ks_desc(&d, p);
    entry_name(name, "ks", &d);
    int rc = 0;
    if (read_matching(c, name, &d, &buf, &len) == 1) {
        free_entry(buf, len);
        rc = kc_store_remove(&c->st, name);
    }
    kc_buf_free(&d);
    return rc;
}

int kc_cache_get_by_request(struct kc_cache *c, const struct kc_request_ident *id, time_t now,
                            struct kc_answer *out)
{
    struct kc_buf d = {0}, target = {0};
    char name[32], *buf = NULL;
    size_t len = 0;
    long long min_lifetime;
    int hit = 0;
    memset(out, 0, sizeof *out);
    if (c == NULL || request_desc(&d, id) != 0)
        goto out;
    entry_name(name, "req", &d);
    if (read_matching(c, name, &d, &buf, &len) != 1)
        goto out;
    size_t tn;
    const char *t = field(buf, "target", &tn);
    if (t == NULL || !field_ll(buf, "min_lifetime", &min_lifetime)) {
        kc_store_remove(&c->st, name);
        goto out;
    }
    kc_buf_addn(&target, t, tn);
    /* The request's own floor (min_lifetime=), when it asks for more than the profile. */
    if (id->req != NULL && id->req->min_lifetime > min_lifetime)
        min_lifetime = id->req->min_lifetime;
    hit = get_ks_desc(c, &target, min_lifetime, now, out);
out:
    if (buf != NULL)
        free_entry(buf, len);
    kc_buf_free(&d);
    kc_buf_free(&target);
    return hit;
}

int kc_cache_put_request(struct kc_cache *c, const struct kc_request_ident *id,
                         const struct kc_ks_params *p, long long min_lifetime)
{
    if (c == NULL || min_lifetime < 0)
        return -1;
    struct kc_buf d = {0}, t = {0}, b = {0};
    char name[32];
    int rc = -1;
    if (request_desc(&d, id) != 0)
        goto out;
    ks_desc(&t, p);
    entry_name(name, "req", &d);
    kc_buf_add(&b, FORMAT_LINE "desc=");
    kc_buf_addn(&b, d.p, d.len);
    kc_buf_add(&b, "\ntarget=");
    kc_buf_addn(&b, t.p, t.len);
    kc_buf_printf(&b, "\nmin_lifetime=%lld\n", min_lifetime);
    rc = put_entry(c, name, &b);
out:
    kc_buf_free(&d);
    kc_buf_free(&t);
    return rc;
}

int kc_cache_lead_request(struct kc_cache *c, const struct kc_request_ident *id, int timeout_ms,
                          bool *waited)
{
    struct kc_buf d = {0};
    int fd = -1;
    *waited = false;
    if (c != NULL && request_desc(&d, id) == 0) {
        char name[32];
        entry_name(name, "lock-req", &d);
        fd = kc_store_lead_or_wait(&c->st, name, timeout_ms, waited);
    }
    kc_buf_free(&d);
    return fd;
}

int kc_cache_get_widget(struct kc_cache *c, const char *service_url, const char *partner_id,
                        time_t now, char **ks_out)
{
    struct kc_buf d = {0};
    char name[32], *buf;
    size_t len;
    long long expiry;
    int hit = 0;
    *ks_out = NULL;
    if (c == NULL)
        return 0;
    widget_desc(&d, service_url, partner_id);
    entry_name(name, "widget", &d);
    if (read_matching(c, name, &d, &buf, &len) != 1)
        goto out;
    if (!field_ll(buf, "expiry", &expiry) || expiry <= (long long)now) {
        kc_store_remove(&c->st, name);
    } else if (expiry - (long long)now > WIDGET_MIN_LEFT) {
        *ks_out = field_dup(buf, "ks");
        hit = *ks_out != NULL && partner_id != NULL &&
              kc_ks_well_formed(*ks_out, strlen(*ks_out), partner_id);
        if (!hit) {
            secure_free_str(*ks_out);
            *ks_out = NULL;
        }
    }
    free_entry(buf, len);
out:
    kc_buf_free(&d);
    return hit;
}

int kc_cache_put_widget(struct kc_cache *c, const char *service_url, const char *partner_id,
                        const char *ks, long long expiry)
{
    if (c == NULL || ks == NULL || partner_id == NULL ||
        !kc_ks_well_formed(ks, strlen(ks), partner_id) || expiry <= 0)
        return -1;
    struct kc_buf d = {0}, b = {0};
    char name[32];
    widget_desc(&d, service_url, partner_id);
    entry_name(name, "widget", &d);
    kc_buf_add(&b, FORMAT_LINE "desc=");
    kc_buf_addn(&b, d.p, d.len);
    kc_buf_printf(&b, "\nexpiry=%lld\nks=%s\n", expiry, ks);
    kc_buf_free(&d);
    return put_entry(c, name, &b);
}

int kc_cache_drop_widget(struct kc_cache *c, const char *service_url, const char *partner_id)
{
    if (c == NULL)
        return 0;
    struct kc_buf d = {0};
    char name[32];
    widget_desc(&d, service_url, partner_id);
    entry_name(name, "widget", &d);
    kc_buf_free(&d);
    return kc_store_remove(&c->st, name);
}

int kc_cache_lock(struct kc_cache *c, const struct kc_ks_params *p, int timeout_sec)
{
    if (c == NULL)
        return -1;
    struct kc_buf d = {0};
    char name[32];
    ks_desc(&d, p);
    entry_name(name, "lock", &d);
    kc_buf_free(&d);
    return kc_store_lock(&c->st, name, timeout_sec > 0 ? timeout_sec * 1000 : 0);
}

void kc_cache_unlock(int lock_fd)
{
    if (lock_fd >= 0)
        close(lock_fd); /* closing the last fd releases the flock */
}

/* ---- prune ---- */

static bool expired_entry(const char *buf, time_t now)
{
    long long expiry;
    return !field_ll(buf, "expiry", &expiry) || expiry <= (long long)now;
}

/* A req- alias is dangling when its target ks- entry is gone, expired or not the one named. */
static bool dangling_alias(struct kc_cache *c, const char *buf, time_t now)
{
    struct kc_buf t = {0};
    size_t tn, len;
    const char *v = field(buf, "target", &tn);
    char name[32], *kbuf;
    if (v == NULL)
        return true;
    kc_buf_addn(&t, v, tn);
    entry_name(name, "ks", &t);
    bool dead = true;
    if (kc_store_read(&c->st, name, &kbuf, &len) == KC_READ_OK) {
        dead = !is_ours(kbuf) || !field_eq(kbuf, "desc", &t) || expired_entry(kbuf, now);
        free_entry(kbuf, len);
    }
    kc_buf_free(&t);
    return dead;
}

static void prune_one(struct kc_cache *c, const char *name, time_t now)
{
    bool is_req = strncmp(name, "req-", 4) == 0;
    if (strncmp(name, ".tmp-", 5) == 0) {
        struct stat st; /* a writer that died between create and rename */
        if (fstatat(c->st.dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_mtime < now - 60)
            kc_store_remove(&c->st, name);
        return;
    }
    if (strncmp(name, "lock-", 5) == 0) {
        /* One per request identity and KS key ever asked for (every host git asks about,
         * every config edit): without this they pile up. */
        kc_store_remove_idle_lock(&c->st, name, now - LOCK_IDLE);
        return;
    }
    if (!is_req && strncmp(name, "ks-", 3) != 0 && strncmp(name, "widget-", 7) != 0)
        return;
    char *buf;
    size_t len;
    enum kc_read_rc rc = kc_store_read(&c->st, name, &buf, &len);
    if (rc == KC_READ_ABSENT)
        return;
    bool drop = rc == KC_READ_BAD || !is_ours(buf) ||
                (is_req ? dangling_alias(c, buf, now) : expired_entry(buf, now));
    if (rc == KC_READ_OK)
        free_entry(buf, len);
    if (drop)
        kc_store_remove(&c->st, name);
}

void kc_cache_prune(struct kc_cache *c, time_t now)
{
    if (c == NULL)
        return;
    int fd = openat(c->st.dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return;
    }
    /* Names first, then work: removing entries while readdir walks is allowed but may skip. */
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.' || strncmp(de->d_name, ".tmp-", 5) == 0)
            prune_one(c, de->d_name, now);
    closedir(d);
}
