"""The transport's promises (README "Security model", "The network"): what `ca_file` trusts,
which proxy a request goes through, and the server's clock versus ours.
libsecret's file backend; the emulator of with-emulator.sh."""
import os
import shutil
import subprocess
import time

import taptest
from kchelper import (FRONTEND, HelperTest, create_token, emu, emu_host, parse_output, stats,
                      validate, wrapped)
from recording_proxy import RecordingProxy

GET = b"protocol=https\nhost=%s\n\n"
SYSTEM_CERTS = "/etc/ssl/certs"  # Debian libcurl's compiled-in CAPATH (curl-config --configure)


class CaFile(HelperTest):
    """`ca_file` replaces the system trust store, all of it: a CA that only the system store
    holds must not vouch for a server of a profile with a ca_file."""

    def setUp(self):
        super().setUp()
        self.tid, self.tok = self.logged_in(extra=["--no-verify"])
        self.store = os.path.join(self.sb.dir, "system-certs")
        os.mkdir(self.store)

    def system_store(self, hashed=(), bundle=()):
        """The test's stand-in for /etc/ssl/certs: `hashed` CAs as OpenSSL hash links (what
        libcurl's CAPATH reads), `bundle` CAs in ca-certificates.crt (its default CAINFO)."""
        for pem in hashed:
            h = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", pem],
                               capture_output=True, text=True, check=True).stdout.strip()
            shutil.copy(pem, os.path.join(self.store, h + ".0"))
        with open(os.path.join(self.store, "ca-certificates.crt"), "w") as out:
            for pem in bundle:
                with open(pem) as f:
                    out.write(f.read())

    def get_with_system_store(self, **keys):
        """`get` in a private mount namespace whose /etc/ssl/certs is the test's store: the
        real one is left alone (other tests run beside us), and nothing outlives the process."""
        self.sb.write_config(self.sb.profile_config("default", self.tid, cache="false", **keys))
        unshare = ["unshare", "--mount", "--propagation", "private"]
        if os.geteuid() != 0:
            unshare.append("--map-root-user")
        argv = unshare + ["--", "/bin/sh", "-c",
                          'mount --bind "$0" ' + SYSTEM_CERTS + ' && exec "$@"', self.store,
                          *wrapped([FRONTEND]), "get"]
        return subprocess.run(argv, input=GET % emu_host().encode(), capture_output=True,
                              env=self.sb.env, timeout=60)

    def test_system_store_is_the_stand_in(self):
        """Precondition of the tests below: without ca_file the stand-in store decides, both
        through its hash links and through its bundle."""
        emu_ca, other = os.environ["KC_EMU_CA"], os.environ["KC_EMU_OTHER_CA"]
        self.system_store(hashed=[emu_ca], bundle=[other])
        self.assertKs(self.get_with_system_store(ca=False), self.tid)
        shutil.rmtree(self.store)
        os.mkdir(self.store)
        self.system_store(bundle=[other])
        self.assertFails(self.get_with_system_store(ca=False), 9, "TLS")

    def test_ca_file_replaces_the_hashed_system_store(self):
        """The server's CA is in the system store's hash directory (CAPATH), not in ca_file:
        refused."""
        self.system_store(hashed=[os.environ["KC_EMU_CA"]], bundle=[os.environ["KC_EMU_OTHER_CA"]])
        self.assertFails(self.get_with_system_store(ca=os.environ["KC_EMU_OTHER_CA"]), 9, "TLS")

    def test_ca_file_replaces_the_system_bundle(self):
        """The server's CA is in the system store's bundle (CAINFO), not in ca_file: refused."""
        self.system_store(bundle=[os.environ["KC_EMU_CA"]])
        self.assertFails(self.get_with_system_store(ca=os.environ["KC_EMU_OTHER_CA"]), 9, "TLS")

    def test_ca_file_is_trusted(self):
        """The server's CA is in ca_file only: trusted."""
        self.system_store(bundle=[os.environ["KC_EMU_OTHER_CA"]])
        self.assertKs(self.get_with_system_store(), self.tid)


class Proxy(HelperTest):
    """Which proxy a request goes through: a loopback plain-http server never through one (the
    KS would reach the proxy in cleartext); else the profile's `proxy` key (`none`: no proxy)
    over the environment (https_proxy, http_proxy, all_proxy, no_proxy, as libcurl reads them).
    """
    ENV_PROXIES = ("http_proxy", "https_proxy", "all_proxy", "HTTPS_PROXY", "ALL_PROXY")

    @classmethod
    def setUpClass(cls):
        cls.https_port = int(os.environ["KC_EMU_URL"].rsplit(":", 1)[1])
        cls.http_url = os.environ["KC_EMU_HTTP_URL"]
        cls.proxy = RecordingProxy({cls.https_port, int(cls.http_url.rsplit(":", 1)[1])})

    @classmethod
    def tearDownClass(cls):
        cls.proxy.close()

    def setUp(self):
        super().setUp()
        self.tid, self.tok = create_token()

    def login_and_get(self, url=None, env=None, login_extra=(), **keys):
        """login --no-verify, the profile (with keys), one get with env; returns (get, tunnels,
        plain requests the proxy saw, connections the emulator saw)."""
        p = self.sb.login(self.tid, self.tok, url=url, ca=False if url else None,
                          extra=["--no-verify", *login_extra])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.sb.write_config(self.sb.profile_config("default", self.tid, url=url,
                                                    ca=False if url else None, **keys))
        emu("reset-stats")
        before = self.proxy.counts()
        host = (url or os.environ["KC_EMU_URL"]).split("://", 1)[1]
        proto = (url or "https").split(":", 1)[0]
        g = self.sb.run("get", input=b"protocol=%s\nhost=%s\n\n" % (proto.encode(),
                                                                      host.encode()), env=env)
        after = self.proxy.counts()
        return g, after[0] - before[0], after[1] - before[1], stats()["connections"]

    def all_env_proxies(self, **more):
        env = {k: self.proxy.url for k in self.ENV_PROXIES}
        env.update(more)
        return env

    def test_loopback_http_is_never_proxied(self):
        """Plain http to a loopback server: every proxy variable set, and a proxy key; the KS
        goes straight to the server, never to the proxy."""
        for keys in ({}, {"proxy": self.proxy.url}):
            with self.subTest(keys=keys):
                g, tunnels, plain, conns = self.login_and_get(
                    url=self.http_url, env=self.all_env_proxies(), **keys)
                self.assertEqual((tunnels, plain), (0, 0), f"proxied: {self.proxy.plain}")
                self.assertEqual(g.returncode, 0, g.stderr)
                self.assertGreaterEqual(conns, 1)

    def test_https_proxy_from_the_environment(self):
        """No proxy key: https_proxy is honoured (a CONNECT tunnel: the proxy sees only TLS),
        also for a loopback https server; no_proxy too."""
        g, tunnels, plain, conns = self.login_and_get(env={"https_proxy": self.proxy.url})
        self.assertKs(g, self.tid)
        self.assertEqual((tunnels >= 1, plain, conns), (True, 0, tunnels))
        g, tunnels, plain, conns = self.login_and_get(
            env={"https_proxy": self.proxy.url, "no_proxy": "localhost"})
        self.assertKs(g, self.tid)
        self.assertEqual((tunnels, plain), (0, 0))

    def test_proxy_key(self):
        """The proxy key sends the request through that proxy, with no variable set."""
        g, tunnels, plain, conns = self.login_and_get(proxy=self.proxy.url)
        self.assertKs(g, self.tid)
        self.assertEqual(g.stderr, b"")
        self.assertEqual((tunnels >= 1, plain, conns), (True, 0, tunnels))

    def test_proxy_key_wins_over_the_environment(self):
        """The key is the whole answer: another proxy in https_proxy, and a no_proxy naming
        the server, do not change it."""
        env = {"https_proxy": "http://127.0.0.1:9", "no_proxy": "localhost,127.0.0.1"}
        g, tunnels, plain, conns = self.login_and_get(env=env, proxy=self.proxy.url)
        self.assertKs(g, self.tid)
        self.assertEqual((tunnels >= 1, plain, conns), (True, 0, tunnels))

    def test_proxy_none(self):
        """proxy = none: straight to the server, whatever the environment says."""
        g, tunnels, plain, conns = self.login_and_get(env=self.all_env_proxies(), proxy="none")
        self.assertKs(g, self.tid)
        self.assertEqual((tunnels, plain), (0, 0))
        self.assertGreaterEqual(conns, 1)

    def test_login_proxy_option(self):
        """login --proxy: its check goes through the proxy, and the key is written."""
        before = self.proxy.counts()[0]
        p = self.sb.login(self.tid, self.tok, extra=["--proxy", self.proxy.url])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertGreaterEqual(self.proxy.counts()[0] - before, 1)
        with open(self.sb.config) as f:
            self.assertIn(f"\nproxy={self.proxy.url}\n", f.read())

    def test_bad_proxy_values(self):
        """A value that is no proxy, or one with credentials (a secret in a config file), is
        a configuration error naming the key; the password never shows."""
        for value in ("ftp://proxy.example:21", "http://", "http://proxy.example:99999",
                      "http://proxy.example/path", "http://proxy.example?q=1", "-",
                      "http://user:hunter2@proxy.example:3128", "user@proxy.example"):
            with self.subTest(value=value):
                self.sb.write_config(self.sb.profile_config("default", self.tid, proxy=value))
                p = self.sb.run("get", input=GET % emu_host().encode())
                self.assertFails(p, 4, "proxy")
                self.assertNotIn(b"hunter2", p.stderr)

    def test_good_proxy_values(self):
        """libcurl's syntax: a scheme it proxies through, or none (then http://)."""
        for value in ("proxy.example:3128", "http://proxy.example", "https://proxy.example:443",
                      "socks5h://127.0.0.1:1080", "socks4a://[::1]:1080", "NONE"):
            with self.subTest(value=value):
                self.sb.write_config(self.sb.profile_config("default", self.tid, proxy=value))
                p = self.sb.run("status")
                self.assertEqual((p.returncode, p.stderr), (0, b""), value)


class Clock(HelperTest):
    """The server's clock decides when a KS dies; ours may be off by more than a KS lives. The
    KS's expiry is kept on our clock: local now + (expiry - server now), the server's now from
    the answer's Date header. The emulator's clock-offset moves its KS times and its Date."""
    LIFETIME = 600  # the token's sessionDuration: each KS lives 10 minutes

    def setUp(self):
        super().setUp()
        self.tid, self.tok = create_token(duration=self.LIFETIME)
        p = self.sb.login(self.tid, self.tok, extra=["--no-verify"])
        self.assertEqual(p.returncode, 0, p.stderr)

    def get(self):
        return self.sb.run("get", input=GET % emu_host().encode())

    def assert_local_expiry(self, p, before, after):
        """A KS the server accepts, whose password_expiry_utc is LIFETIME after the request
        on our clock (early by at most the Date header's second and the round trip)."""
        msg = f"rc={p.returncode} stdout={p.stdout!r} stderr={p.stderr!r}"
        self.assertEqual(p.returncode, 0, msg)
        d = dict(parse_output(p.stdout))
        ok, info = validate(d["password"])
        self.assertTrue(ok, info)
        expiry = int(d["password_expiry_utc"])
        self.assertGreaterEqual(expiry, int(before) + self.LIFETIME - 2, msg)
        self.assertLessEqual(expiry, int(after) + self.LIFETIME + 1, msg)
        return d

    def test_server_clock_behind_ours(self):
        """Our clock an hour ahead of the server's (more than a KS lives): the KS is new, not
        "already expired", and a second get is served from the cache."""
        emu("clock-offset", -3600)
        t0 = time.time()
        first = self.assert_local_expiry(self.get(), t0, time.time())
        emu("reset-stats")
        p = self.get()
        self.assertEqual(dict(parse_output(p.stdout))["password"], first["password"])
        self.assertEqual(stats()["total"], 0, "not served from the cache")

    def test_server_clock_ahead_of_ours(self):
        """Our clock an hour behind: the KS's expiry on our clock is 10 minutes away, not 70
        (the cache would serve it for an hour after the server ended it)."""
        emu("clock-offset", 3600)
        t0 = time.time()
        self.assert_local_expiry(self.get(), t0, time.time())

    def test_clocks_agree(self):
        """Agreeing clocks: password_expiry_utc is the server's expiry exactly."""
        self.assertKs(self.get(), self.tid)

    def test_no_usable_date_header(self):
        """Without a Date header, or with one that does not parse, our clock is all there is:
        agreeing clocks work as ever, and a KS that is expired on our clock is refused."""
        for mode in ("date_none", "date_garbage"):
            with self.subTest(mode=mode):
                emu("clock-offset", 0)
                self.sb.run("erase", input=b"\n")
                emu("fault", mode, "--action", "appToken.startSession")
                self.assertKs(self.get(), self.tid)
                self.sb.run("erase", input=b"\n")
                emu("clock-offset", -3600)
                self.assertFails(self.get(), 10, "expired")
                emu("fault", "none")

    def test_date_from_another_clock_is_ignored(self):
        """A Date a day behind the KS's own times would make a KS asked for 300 s live a day:
        not the clock the expiry came from, so ours is used (the clocks agree here)."""
        self.sb.write_config(self.sb.profile_config("default", self.tid, expiry=300))
        emu("fault", "date_stale", "--action", "appToken.startSession")
        self.assertKs(self.get(), self.tid)


class NoKeyringNoNetwork(HelperTest):
    """When the keyring can tell at once that there is no token (no session bus, no Secret
    Service on it, no item for the profile), the server is not contacted at all: the widget
    session's request, which overlaps a keyring lookup in flight, must not start before the
    keyring has said there is something to look up (issue 11 item 3). A few cold gets each:
    whether a request started before the answer gets out first is a race."""
    ROUNDS = 5

    def setUp(self):
        super().setUp()
        self.tid, self.tok = create_token()
        self.sb.write_config(self.sb.profile_config("default", self.tid))
        self.bus = None

    def tearDown(self):
        if self.bus is not None:
            self.bus.kill()
            self.bus.wait()
        super().tearDown()

    def check(self, env, code, word):
        for _ in range(self.ROUNDS):
            shutil.rmtree(os.path.join(self.sb.run_dir, "kaltura-credential"), ignore_errors=True)
            emu("reset-stats")
            self.assertFails(self.sb.run("get", input=GET % emu_host().encode(), env=env), code,
                             word)
            s = stats()
            self.assertEqual((s["connections"], s["total"]), (0, 0),
                             f"the server was contacted without a token: {s}")

    def without_file_backend(self, **more):
        env = {k: v for k, v in self.sb.env.items() if not k.startswith("SECRET_")}
        env.update(more)
        self.sb.env = env
        return env

    def test_no_session_bus(self):
        bus = "unix:path=" + os.path.join(self.sb.dir, "no-bus-here")
        self.check(self.without_file_backend(DBUS_SESSION_BUS_ADDRESS=bus), 7, "Secret Service")

    def test_no_secret_service_on_the_bus(self):
        conf = os.path.join(os.environ["KC_SOURCE_ROOT"], "tests", "lib", "private-bus.conf")
        self.bus = subprocess.Popen(["dbus-daemon", f"--config-file={conf}", "--nofork",
                                     "--print-address=1"], stdout=subprocess.PIPE, text=True)
        address = self.bus.stdout.readline().strip()
        self.check(self.without_file_backend(DBUS_SESSION_BUS_ADDRESS=address), 7,
                   "Secret Service")

    def test_no_token_stored(self):
        self.check({}, 6, "login")


if __name__ == "__main__":
    taptest.main()
