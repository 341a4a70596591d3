/* The proxy rules (minter/proxy.c): the `proxy` key's syntax, and which proxy a profile uses. */
#include <string.h>

#include "config.h"
#include "proxy.h"
#include "tap.h"

static void test_check(void)
{
    static const char *const good[] = {
        "none",
        "NONE",
        "proxy.example",
        "proxy.example:3128",
        "http://proxy.example",
        "https://proxy.example:443/",
        "socks4://10.0.0.1:1080",
        "socks4a://p.example:1080",
        "socks5://p.example",
        "SOCKS5H://p.example:1080",
        "http://[::1]:3128",
        "[fe80::1]:8080",
    };
    static const char *const bad[] = {
        "",
        "-",
        "ftp://proxy.example",
        "file:///tmp/p",
        "http://",
        "http://:3128",
        "http://proxy.example:99999",
        "http://proxy.example:x",
        "http://proxy.example/path",
        "http://proxy.example?q=1",
        "http://proxy.example#f",
        "http://u:p@proxy.example",
        "u@proxy.example",
        "http://-proxy.example",
        "http://pro_xy.example",
        "http://a b",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        tap_ok(kc_proxy_check(good[i]), "proxy = %s accepted", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        tap_ok(!kc_proxy_check(bad[i]), "proxy = '%s' refused", bad[i]);
}

static void use(const char *protocol, const char *hostname, const char *proxy,
                enum kc_proxy_use want, const char *what)
{
    struct kc_profile p = {
        .protocol = (char *)protocol, .hostname = (char *)hostname, .proxy = (char *)proxy};
    const char *url = "unset";
    enum kc_proxy_use got = kc_proxy_for(&p, &url);
    bool url_ok = want == KC_PROXY_KEY ? url == p.proxy : url == NULL;
    tap_ok(got == want && url_ok, "%s", what);
}

static void test_for(void)
{
    use("http", "127.0.0.1", NULL, KC_PROXY_NONE, "loopback http: no proxy, not the environment's");
    use("http", "localhost", "http://p.example", KC_PROXY_NONE, "loopback http: not the key's");
    use("http", "::1", NULL, KC_PROXY_NONE, "loopback http (::1): no proxy");
    use("http", "k.example", NULL, KC_PROXY_FROM_ENV,
        "remote http (allow_insecure): the environment's");
    use("https", "localhost", NULL, KC_PROXY_FROM_ENV,
        "loopback https: the environment's (a tunnel)");
    use("https", "k.example", "http://p.example:3128", KC_PROXY_KEY, "the key wins");
    use("https", "k.example", "None", KC_PROXY_NONE, "none: no proxy");
    use("https", "localhost", "http://p.example:3128", KC_PROXY_KEY, "loopback https: the key");
}

int main(void)
{
    test_check();
    test_for();
    return tap_done();
}
