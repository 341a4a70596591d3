/* Protocol reader/writer: git's rules and the long-line attacks (protocol.h). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "protocol.h"
#include "tap.h"

/* Feeds data through a pipe (writer in a child) to kc_request_read_fd. */
static int read_via_pipe(const char *data, size_t len, struct kc_request *req, char **raw,
                         size_t *raw_len, const char **why)
{
    int p[2];
    if (pipe(p) != 0)
        abort();
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        size_t off = 0;
        while (off < len) {
            ssize_t w = write(p[1], data + off, len - off);
            if (w <= 0)
                _exit(0); /* reader stopped early: fine */
            off += (size_t)w;
        }
        _exit(0);
    }
    close(p[1]);
    int rc = kc_request_read_fd(p[0], req, raw, raw_len, why);
    close(p[0]);
    waitpid(pid, NULL, 0);
    return rc;
}

static int parse(const char *s, struct kc_request *req, const char **why)
{
    return read_via_pipe(s, strlen(s), req, NULL, NULL, why);
}

/* A line "host=" + filler, total length with newline = total. */
static char *long_line(size_t total, const char *tail)
{
    size_t tl = strlen(tail);
    char *s = malloc(total + tl + 1);
    memcpy(s, "path=", 5);
    memset(s + 5, 'a', total - 6);
    s[total - 1] = '\n';
    memcpy(s + total, tail, tl + 1);
    return s;
}

static void test_basic(void)
{
    struct kc_request r;
    const char *why = NULL;
    char *raw = NULL;
    size_t raw_len = 0;
    const char *in = "protocol=https\nhost=a.example\nhost=b.example\npath=x\nprofile=p\n"
                     "username=u\npassword=secret\nfoo=bar\nwwwauth[]=Basic\n\nhost=evil\n";
    int rc = read_via_pipe(in, strlen(in), &r, &raw, &raw_len, &why);
    TAP_CHECK(rc == 0);
    TAP_CHECK(r.protocol && strcmp(r.protocol, "https") == 0);
    tap_ok(r.host && strcmp(r.host, "b.example") == 0, "last value wins, blank line stops");
    TAP_CHECK(r.path && strcmp(r.path, "x") == 0);
    TAP_CHECK(r.profile && strcmp(r.profile, "p") == 0);
    TAP_CHECK(r.username && strcmp(r.username, "u") == 0);
    TAP_CHECK(r.password && strcmp(r.password, "secret") == 0);
    tap_ok(raw_len == strlen(in) && memcmp(raw, in, raw_len) == 0, "raw bytes captured");
    kc_request_clear(&r);
    TAP_CHECK(r.password == NULL && r.host == NULL);
    free(raw);
}

static void test_errors(void)
{
    struct kc_request r;
    const char *why = NULL;
    /* A final line without a newline is a line, as git's strbuf_getline reads it; its '\r'
     * stays (git strips one only before a '\n'). */
    tap_ok(parse("host=a\nhost=b", &r, &why) == 0 && r.host && strcmp(r.host, "b") == 0,
           "final line without a newline: read like git");
    kc_request_clear(&r);
    tap_ok(parse("protocol=https\nhost=b\r", &r, &why) == 0 && r.host && strcmp(r.host, "b\r") == 0,
           "final line without a newline keeps its '\\r'");
    kc_request_clear(&r);
    tap_ok(parse("host=a\nnoequals", &r, &why) == -1 && why != NULL,
           "final line without a newline and without '=': error");
    tap_ok(read_via_pipe("host=a\nhost=b", 13, &r, NULL, NULL, &why) == 0 && r.host &&
               strcmp(r.host, "b") == 0,
           "final line without a newline, read from a pipe");
    kc_request_clear(&r);
    tap_ok(parse("host=a\nnoequals\n", &r, &why) == -1, "line without '=': error");
    tap_ok(read_via_pipe("host=a\0b\n", 9, &r, NULL, NULL, &why) == -1, "NUL byte: error");
    tap_ok(parse("", &r, &why) == 0 && r.host == NULL, "empty input: empty request");
    tap_ok(parse("\n", &r, &why) == 0 && r.host == NULL, "blank line only: empty request");
    tap_ok(parse("=v\n", &r, &why) == 0, "empty key is a line with '=' (ignored)");
    TAP_CHECK(parse("host=a\r\nprotocol=https\r\n\r\nhost=b\n", &r, &why) == 0);
    tap_ok(r.host && strcmp(r.host, "a") == 0 && strcmp(r.protocol, "https") == 0,
           "CRLF stripped, CRLF blank line stops");
    kc_request_clear(&r);
    tap_ok(parse("host=a\n\nnot a line\n", &r, &why) == 0, "after the blank line: not read");
    kc_request_clear(&r);
}

static void test_long_lines(void)
{
    struct kc_request r;
    const char *why = NULL;
    char *ok = long_line(65535, "host=good\n");
    tap_ok(parse(ok, &r, &why) == 0 && r.path && strlen(r.path) == 65535 - 6,
           "line of exactly 65535 bytes accepted");
    kc_request_clear(&r);
    free(ok);
    /* git's CVE pattern: a reader splitting at 65535 bytes would see "host=evil" as a line. */
    char *bad = long_line(65536, "ost=evil\n");
    bad[65535] = 'h'; /* "path=aaa...ahost=evil\n": one line of 65545 bytes */
    tap_ok(parse(bad, &r, &why) == -1, "line over 65535 bytes refused (no split)");
    free(bad);
    bad = long_line(65536, "host=good\n");
    tap_ok(parse(bad, &r, &why) == -1, "line of 65536 bytes refused");
    free(bad);
    char *huge = long_line(1000000, "");
    tap_ok(parse(huge, &r, &why) == -1, "1 MB line refused (stops early)");
    free(huge);
    /* 65535 bytes without a newline at all */
    char *nonl = malloc(70000);
    memset(nonl, 'a', 70000);
    memcpy(nonl, "host=", 5);
    tap_ok(read_via_pipe(nonl, 70000, &r, NULL, NULL, &why) == -1, "endless line refused");
    free(nonl);
}

static void test_many_lines(void)
{
    struct kc_request r;
    const char *why = NULL;
    size_t n = 200000, len = 0;
    char *s = malloc(n * 8 + 32);
    for (size_t i = 0; i < n; i++) {
        memcpy(s + len, "x[]=abc\n", 8);
        len += 8;
    }
    memcpy(s + len, "host=h\n", 8);
    len += 7;
    tap_ok(read_via_pipe(s, len, &r, NULL, NULL, &why) == 0 && r.host && !strcmp(r.host, "h"),
           "200000 lines parsed");
    kc_request_clear(&r);
    free(s);
    size_t big = 5u * 1024 * 1024;
    s = malloc(big);
    for (size_t i = 0; i < big; i += 8)
        memcpy(s + i, "x[]=abc\n", 8);
    tap_ok(read_via_pipe(s, big, &r, NULL, NULL, &why) == -1, "5 MiB request refused");
    free(s);
}

static void test_capabilities(void)
{
    struct kc_request r;
    const char *why = NULL;
    TAP_CHECK(parse("capability[]=authtype\ncapability[]=state\ncapability[]=other\n", &r, &why) ==
              0);
    TAP_CHECK(r.cap_authtype && r.cap_state);
    kc_request_clear(&r);
    TAP_CHECK(parse("capability[]=authtype\ncapability[]=\n", &r, &why) == 0);
    tap_ok(!r.cap_authtype, "capability[]= resets the list");
    kc_request_clear(&r);
    TAP_CHECK(kc_request_parse("host=a\n", 7, &r, &why) == 0 && !strcmp(r.host, "a"));
    kc_request_clear(&r);
}

/* Our own keys (contract.h): what the PAM module sends, and values they cannot have. */
static void test_own_keys(void)
{
    struct kc_request r;
    const char *why = NULL;
    TAP_CHECK(parse("profile=p\n\n", &r, &why) == 0);
    tap_ok(r.min_lifetime == 0 && !r.unshared, "absent: no floor, shared");
    kc_request_clear(&r);
    TAP_CHECK(parse("min_lifetime=3600\nshared=false\n\n", &r, &why) == 0);
    tap_ok(r.min_lifetime == 3600 && r.unshared, "min_lifetime=3600, shared=false");
    kc_request_clear(&r);
    TAP_CHECK(parse("shared=false\nshared=true\nmin_lifetime=315360000\n", &r, &why) == 0);
    tap_ok(!r.unshared && r.min_lifetime == 315360000, "last value wins; the bound is allowed");
    kc_request_clear(&r);
    static const char *const bad[] = {"min_lifetime=\n",
                                      "min_lifetime=-1\n",
                                      "min_lifetime=+5\n",
                                      "min_lifetime=1h\n",
                                      "min_lifetime=315360001\n",
                                      "min_lifetime=9999999999999\n",
                                      "shared=\n",
                                      "shared=no\n",
                                      "shared=False\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r.min_lifetime = 42;
        tap_ok(parse(bad[i], &r, &why) == -1 && why != NULL && r.min_lifetime == 0 && !r.unshared,
               "bad value %zu refused, nothing kept", i);
    }
}

static void test_write(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    TAP_CHECK(kc_proto_write(f, "password", "ks123") == 0);
    tap_ok(kc_proto_write(f, "password", "a\nhost=evil") == -1, "value with \\n refused");
    tap_ok(kc_proto_write(f, "password", "a\rb") == -1, "value with \\r refused");
    tap_ok(kc_proto_write(f, "password", NULL) == -1, "NULL refused");
    tap_ok(kc_proto_write(f, "pa=ss", "x") == -1, "key with '=' refused");
    char *big = malloc(70000);
    memset(big, 'k', 69999);
    big[69999] = '\0';
    tap_ok(kc_proto_write(f, "password", big) == -1, "over-long value refused");
    free(big);
    fclose(f);
    tap_ok(len == 15 && strcmp(buf, "password=ks123\n") == 0, "only the good line printed");
    free(buf);
    TAP_CHECK(kc_proto_value_ok("") && !kc_proto_value_ok("x\n"));
}

int main(void)
{
    test_basic();
    test_errors();
    test_long_lines();
    test_many_lines();
    test_capabilities();
    test_own_keys();
    test_write();
    return tap_done();
}
