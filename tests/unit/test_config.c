/* Config parsing, validation, secret-key refusal, normalisation, writer (minter/config.c). */
#include <curl/curl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "contract.h"
#include "capture.h"
#include "tap.h"

static GError *err;

static struct kc_config *load2(const char *a, const char *b)
{
    const char *texts[] = {a, b};
    const char *src[] = {"sys.conf", "user.conf"};
    g_clear_error(&err);
    return kc_config_load_data(texts, src, 2, &err);
}

static struct kc_config *load(const char *text)
{
    return load2(text, NULL);
}

/* The text must be refused with KC_EXIT_CONFIG; returns the message for more checks. */
static void refused(const char *text, const char *what, const char *must_say)
{
    struct kc_config *c = load(text);
    bool ok =
        !c && err && err->code == KC_EXIT_CONFIG && (!must_say || strstr(err->message, must_say));
    tap_ok(ok, "refused: %s (%s)", what, err ? err->message : "accepted");
    kc_config_free(c);
}

static const struct kc_profile *first(struct kc_config *c)
{
    return c && c->profiles->len ? g_ptr_array_index(c->profiles, 0) : NULL;
}

static void url(const char *in, bool insecure, const char *want, const char *want_host)
{
    g_autofree char *proto = NULL, *host = NULL;
    g_clear_error(&err);
    g_autofree char *got = kc_service_url_normalise(in, insecure, &proto, &host, &err);
    if (!want)
        tap_ok(!got && err && err->code == KC_EXIT_CONFIG, "service_url %s refused", in);
    else
        tap_ok(got && strcmp(got, want) == 0 && strcmp(host, want_host) == 0,
               "service_url %s -> %s (%s)", in, want, got ? got : err->message);
}

static void test_values(void)
{
    struct kc_config *c = load("[default]\npartner_id = 12345\napp_token_id = 0_ab12cd34\n");
    const struct kc_profile *p = first(c);
    tap_ok(p && strcmp(p->service_url, KC_DEFAULT_SERVICE_URL) == 0 &&
               strcmp(p->protocol, "https") == 0 && strcmp(p->host, "www.kaltura.com") == 0 &&
               strcmp(p->partner_id, "12345") == 0 && p->hash == KC_HASH_SHA1 && p->timeout == 30 &&
               p->cache && p->min_lifetime == 300 && !p->allow_insecure && p->session_type == -1 &&
               p->expiry == -1 && !p->user_id && !p->privileges,
           "defaults of README's Configuration table");
    kc_config_free(c);

    c = load("[p]\nservice_url=https://k.example/\npartner_id= 7 \napp_token_id=1_x\n"
             "hash_function=SHA512\nuser_id=bob@x\nsession_type=admin\nexpiry=3600\n"
             "privileges=view:*\nca_file=/tmp/ca.pem\ntimeout=5\ncache=no\nmin_lifetime=0\n");
    p = first(c);
    tap_ok(p && strcmp(p->partner_id, "7") == 0 && p->hash == KC_HASH_SHA512 &&
               p->session_type == 2 && p->expiry == 3600 && strcmp(p->user_id, "bob@x") == 0 &&
               strcmp(p->privileges, "view:*") == 0 && strcmp(p->ca_file, "/tmp/ca.pem") == 0 &&
               p->timeout == 5 && !p->cache && p->min_lifetime == 0,
           "every key parsed");
    kc_config_free(c);

    c = load("[default]\npartner_id=1\napp_token_id=0_a\nfuture_key=1\n");
    tap_ok(c != NULL, "unknown key: a warning, not an error");
    kc_config_free(c);

    refused("[default]\npartner_id=abc\n", "partner_id not a number", "partner_id");
    refused("[default]\npartner_id=0\n", "partner_id zero", NULL);
    refused("[default]\npartner_id=-5\n", "partner_id negative", NULL);
    refused("[default]\npartner_id=99999999999\n", "partner_id overflow", NULL);
    refused("[default]\npartner_id=12x\n", "partner_id trailing junk", NULL);
    refused("[default]\napp_token_id=0_a b\n", "app_token_id with a space", "app_token_id");
    refused("[default]\nhash_function=sha3\n", "hash_function unknown", "hash_function");
    refused("[default]\nsession_type=root\n", "session_type unknown", NULL);
    refused("[default]\nexpiry=0\n", "expiry zero", NULL);
    refused("[default]\ntimeout=0\n", "timeout zero", NULL);
    refused("[default]\ntimeout=601\n", "timeout too big", NULL);
    refused("[default]\nmin_lifetime=-1\n", "min_lifetime negative", NULL);
    refused("[default]\ncache=maybe\n", "cache not a boolean", NULL);
    refused("[default]\nservice_url=http://kaltura.example\n", "http off loopback", "https");
    refused("[default]\nservice_url=file:///etc/passwd\n", "file:// URL", NULL);
    refused("[a..b]\npartner_id=1\n", "profile name with ..", "profile name");
    refused("[a b]\npartner_id=1\n", "profile name with a space", NULL);
    refused("[x/y]\npartner_id=1\n", "profile name with a slash", NULL);
    refused("not an ini file\n", "syntax error", "sys.conf");

    c = load("[default]\nservice_url=http://kaltura.example\nallow_insecure=true\n");
    p = first(c);
    tap_ok(p && kc_profile_insecure(p), "http off loopback allowed with allow_insecure");
    kc_config_free(c);
}

static void test_secrets(void)
{
    static const char *const keys[] = {"token",       "app_token", "secret",  "admin_secret",
                                       "password",    "ks",        "Token",   "user_secret",
                                       "APP_TOKEN_X", "passwd",    "my_token"};
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
        g_autofree char *text =
            g_strdup_printf("[default]\npartner_id=1\n%s = canary-%zu\n", keys[i], i);
        g_autofree char *canary = g_strdup_printf("canary-%zu", i);
        struct kc_config *c = load(text);
        tap_ok(!c && err && err->code == KC_EXIT_CONFIG &&
                   strstr(err->message, "kaltura-credential login") &&
                   !strstr(err->message, canary),
               "secret-looking key '%s' refused without echoing its value", keys[i]);
        kc_config_free(c);
    }
    struct kc_config *c = load2("[default]\npartner_id=1\n", "[other]\ntoken=x\n");
    tap_ok(!c && err && strstr(err->message, "user.conf"),
           "a secret key in any profile of any file is refused, naming the file");
    kc_config_free(c);
}

static void test_urls(void)
{
    url("HTTPS://Example.COM:443/", false, "https://example.com", "example.com");
    url("https://example.com/api_v3/", false, "https://example.com", "example.com");
    url("https://example.com/kaltura//", false, "https://example.com/kaltura", "example.com");
    /* regression (fuzz_config): normalising must be idempotent */
    url("http://127.0.0.1:8080////api_v3", false, "http://127.0.0.1:8080", "127.0.0.1:8080");
    url("https://example.com/api_v3/api_v3/", false, "https://example.com", "example.com");
    url("https://localhost:8443", false, "https://localhost:8443", "localhost:8443");
    url("http://127.0.0.1:8080/", false, "http://127.0.0.1:8080", "127.0.0.1:8080");
    url("http://localhost", false, "http://localhost", "localhost");
    url("https://[::1]:8443", false, "https://[::1]:8443", "[::1]:8443");
    url("http://example.com:80", true, "http://example.com", "example.com");
    url("http://example.com", false, NULL, NULL);
    url("http://127.0.0.1.evil.com", false, NULL, NULL);
    url("http://127.+0.-0.1", false, NULL, NULL); /* not a dotted quad: not loopback */
    url("http://127.0.0.256", false, NULL, NULL);
    url("http://127.255.255.254", false, "http://127.255.255.254", "127.255.255.254");
    url("ftp://example.com", false, NULL, NULL);
    url("file:///etc/passwd", false, NULL, NULL);
    url("https://user:pw@example.com", false, NULL, NULL);
    url("https://alice:s3cr3t@example.com", false, NULL, NULL);
    tap_ok(err && !strstr(err->message, "s3cr3t") && !strstr(err->message, "alice") &&
               strstr(err->message, "example.com"),
           "the refusal does not echo the user info");
    url("https://example.com/?x=1", false, NULL, NULL);
    url("https://example.com/p?ks=djJ8secret#frag", false, NULL, NULL);
    tap_ok(err && !strstr(err->message, "djJ8") && !strstr(err->message, "frag"),
           "the refusal does not echo a query or fragment (a pasted KS)");
    url("https://example.com/#f", false, NULL, NULL);
    url("example.com", false, NULL, NULL);
    url("https://", false, NULL, NULL);

    /* security review item 1: the loopback rule is decided on the host libcurl connects to.
     * GUri decoded "%2F" in a host, so "192.0.2.2/.localhost" passed as *.localhost and curl
     * then sent the KS in cleartext to 192.0.2.2:80. A host is [a-z0-9.-] or an IP literal. */
    url("http://192.0.2.2%2F.localhost", false, NULL, NULL);
    tap_ok(err && strstr(err->message, "host"), "... because of its host (%s)",
           err ? err->message : "-");
    url("http://192.0.2.2%2F.localhost", true, NULL, NULL);
    url("http://127.0.0.2%2F.localhost:8080", false, NULL, NULL);
    url("http://evil%40x.localhost", false, NULL, NULL);
    url("https://www.kaltura%2Ecom", false, NULL, NULL);
    url("http://%6c%6fcalhost", false, NULL, NULL);
    url("https://a_b.example", false, NULL, NULL);
    url("https://b\xc3\xbc"
        "cher.example",
        false, NULL, NULL); /* IDN: write it in punycode */
    url("https://xn--bcher-kva.example", false, "https://xn--bcher-kva.example",
        "xn--bcher-kva.example");
    url("http://[::1%25lo]:8080", false, NULL, NULL);
    url("http://[fe80::1]:8080", false, NULL, NULL); /* an IP literal, but not loopback */
    url("https://[fe80::1]:8443", false, "https://[fe80::1]:8443", "[fe80::1]:8443");
    url("http://sub.localhost:8080", false, "http://sub.localhost:8080", "sub.localhost:8080");
    /* the path is kept as written: a decoded "%23" or "%3F" would start a fragment or query */
    url("https://example.com/a%23b%3Fc", false, "https://example.com/a%23b%3Fc", "example.com");
}

/* Every accepted service_url: the host libcurl parses from it is the profile's hostname, on
 * which the loopback rule was decided. */
static void test_urls_as_curl_sees_them(void)
{
    static const char *const urls[] = {"http://localhost:8080",   "http://127.0.0.1",
                                       "https://[::1]:8443/k",    "http://sub.localhost/x%2Fy",
                                       "https://www.kaltura.com", "https://xn--bcher-kva.example"};
    for (size_t i = 0; i < G_N_ELEMENTS(urls); i++) {
        g_autofree char *text = g_strdup_printf("[p]\nservice_url=%s\n", urls[i]);
        struct kc_config *c = load(text);
        const struct kc_profile *p = first(c);
        CURLU *u = curl_url();
        char *host = NULL;
        g_autofree char *call =
            g_strdup_printf("%s/api_v3/service/x/action/y", p ? p->service_url : "");
        bool same = p && u && curl_url_set(u, CURLUPART_URL, call, 0) == CURLUE_OK &&
                    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK;
        g_autofree char *bare =
            same && host[0] == '[' ? g_strndup(host + 1, strlen(host) - 2) : g_strdup(host);
        tap_ok(same && strcmp(bare, p->hostname) == 0 && !kc_profile_insecure(p),
               "%s: libcurl's host %s is the profile's %s", urls[i], host ? host : "-",
               p ? p->hostname : err->message);
        curl_free(host);
        curl_url_cleanup(u);
        kc_config_free(c);
    }
}

static void test_merge(void)
{
    struct kc_config *c =
        load2("[default]\npartner_id=1\napp_token_id=0_a\ntimeout=5\n[sys]\npartner_id=9\n",
              "[default]\ntimeout=7\n[mine]\npartner_id=3\n");
    const struct kc_profile *d = c ? kc_config_find(c, "default") : NULL;
    tap_ok(d && d->timeout == 7 && strcmp(d->partner_id, "1") == 0 && kc_config_find(c, "sys") &&
               kc_config_find(c, "mine") && c->profiles->len == 3,
           "user file wins key by key, groups from both files");
    GError *e = NULL;
    const struct kc_profile *m = c ? kc_config_find(c, "mine") : NULL;
    tap_ok(m && !kc_profile_complete(m, &e) && e->code == KC_EXIT_CONFIG &&
               strstr(e->message, "app_token_id"),
           "incomplete profile: names the missing key");
    g_clear_error(&e);
    kc_config_free(c);
}

static void test_files(void)
{
    g_autofree char *dir = g_dir_make_tmp("kc-config-XXXXXX", NULL);
    g_autofree char *file = g_build_filename(dir, "sub", "credential.conf", NULL);
    g_autofree char *missing = g_build_filename(dir, "missing.conf", NULL);
    g_clear_error(&err);
    struct kc_config *c = kc_config_load(missing, &err);
    tap_ok(!c && err && err->code == KC_EXIT_CONFIG && strstr(err->message, "missing.conf"),
           "a missing --config file is a config error");
    g_clear_error(&err);

    const char *keys[] = {"partner_id", "app_token_id", "hash_function"};
    const char *vals[] = {"12345", "0_ab", "sha256"};
    tap_ok(kc_config_write_profile(file, "default", keys, vals, 3, &err),
           "writer creates the file");
    g_autofree char *sub = g_path_get_dirname(file);
    g_assert(g_file_set_contents(
        file, "# my comment\n[other]\nuser_id=keep\n\n[default]\npartner_id=1\n", -1, NULL));
    tap_ok(kc_config_write_profile(file, "default", keys, vals, 3, &err), "writer updates");
    g_autofree char *text = NULL;
    g_file_get_contents(file, &text, NULL, NULL);
    struct stat st;
    tap_ok(text && strstr(text, "# my comment") && strstr(text, "user_id=keep") &&
               strstr(text, "partner_id=12345") && !strstr(text, "partner_id=1\n") &&
               strstr(text, "hash_function=sha256"),
           "writer keeps comments and other groups, replaces values");
    tap_ok(stat(file, &st) == 0 && (st.st_mode & 0777) == 0600, "written file is 0600");
    c = kc_config_load(file, &err);
    tap_ok(c && kc_config_find(c, "default") &&
               kc_config_find(c, "default")->hash == KC_HASH_SHA256,
           "written file loads back");
    kc_config_free(c);
    g_clear_error(&err);
    g_unlink(file);
    g_rmdir(sub);
    g_rmdir(dir);
}

/* Loads text as file "user.conf"; returns all it printed on stderr and the error message,
 * one string (g_free). */
static char *load_said(const char *text)
{
    struct capture cap;
    char buf[4096];
    capture_begin(&cap, 2);
    struct kc_config *c = load2(NULL, text);
    capture_end(&cap, buf, sizeof buf);
    kc_config_free(c);
    /* one line: it goes into a TAP description */
    return g_strdelimit(g_strdup_printf("%s%s", buf, err ? err->message : ""), "\n", ' ');
}

/* Security review item 9: a secret pasted into the config never reaches stderr (nor, through
 * the PAM module, syslog): a line that failed to parse is named by file and line only. */
static void test_no_value_echoed(void)
{
    static const struct {
        const char *text, *must_say, *what;
    } cases[] = {
        {"[default]\npartner_id=1\nS3CRETdjJ8c2VjcmV0\n", "user.conf line 3",
         "a pasted KS on a line of its own (not key = value)"},
        {"S3CRET0123456789abcdef\n[default]\n", "user.conf line 1", "a token before any group"},
        {"[default]\npartner_id=1\napp_token_id=0_a\nS3CRETdjJ8c2VjcmV0=\n", "line 4",
         "a pasted KS ending in '=' (a key with an empty value): the unknown-key warning"},
        {"[default]\nservice_url = https://alice:S3CRET@%zz\n", "service_url",
         "a service_url that does not parse, with user info"},
        {"[default]\nservice_url = https://alice:S3CRET@example.com\n", "user name",
         "a service_url with user info"},
        {"[default]\nservice_url = https://S3CRET%40example.com\n", "service_url",
         "a service_url whose host holds an escape"},
        {"[default]\nuser_id = \xff\xfe S3CRET\n", "user_id", "a value that is not UTF-8"},
        {"[my S3CRET]\nx=1\n", "user.conf line 1", "a group name that is not allowed"},
        {"[default]\nS3CRET_token_0a1b = x\n", "line 2", "a secret-looking key"},
        {"[default]\nservice_url = https://example.com/S3CRET?x\n", "service_url",
         "a service_url with a query"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *said = load_said(cases[i].text);
        tap_ok(!strstr(said, "S3CRET") && strstr(said, cases[i].must_say),
               "%s: named, not echoed (%s)", cases[i].what, said);
    }
    g_autofree char *typo = load_said("[default]\npartner_id=1\napp_token_id=0_a\nservce_url=x\n");
    tap_ok(strstr(typo, "'servce_url'") && strstr(typo, "line 4"),
           "a key that looks like a key is still named (%s)", typo);
}

int main(void)
{
    test_values();
    test_secrets();
    test_no_value_echoed();
    test_urls();
    test_urls_as_curl_sees_them();
    test_merge();
    test_files();
    g_clear_error(&err);
    return tap_done();
}
