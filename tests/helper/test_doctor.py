"""`doctor` against the emulator and a real gnome-keyring on a private bus
(tests/lib/with-keyring.sh): every check on a good setup, then each failure it must name: no
session bus, no Secret Service (a bus of our own with nothing on it), one D-Bus could start
but cannot, no token, a refused or missing cache directory, an unreachable URL, a proxy, the
server's clock ahead of ours, config problems, and the locked collection (last: a collection
locked in a session stays so). The token (a canary) and KSs never appear in the report."""
import os
import re
import signal
import subprocess
import tempfile

import taptest
from kchelper import HelperTest, create_token, emu, scaled

LINE_RE = re.compile(r"^(ok|warn|fail|skip) +([^ :][^:]*): (.+)$")
CHECKS = ["config", "profile 'default'", "cache", "proxy", "session bus", "Secret Service",
          "keyring", "token", "service", "clock"]
PRIVATE_BUS = os.path.join(os.environ["KC_SOURCE_ROOT"], "tests", "lib", "private-bus.conf")


class PrivateBus:
    """A dbus-daemon of this test alone (tests/lib/private-bus.conf), optionally with one
    service directory; stopped by stop()."""

    def __init__(self, service_dir=None):
        self.dir = tempfile.mkdtemp(prefix="kc-doctor-bus.")
        conf = os.path.join(self.dir, "bus.conf")
        with open(PRIVATE_BUS) as f:
            text = f.read()
        if service_dir:
            text = text.replace("</busconfig>", f"<servicedir>{service_dir}</servicedir>\n"
                                                "</busconfig>")
        with open(conf, "w") as f:
            f.write(text)
        self.proc = subprocess.Popen(["dbus-daemon", f"--config-file={conf}", "--nofork",
                                      "--print-address=1"], stdout=subprocess.PIPE, text=True)
        self.address = self.proc.stdout.readline().strip()
        assert self.address.startswith("unix:"), self.address

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=scaled(30))
        self.proc.stdout.close()
        subprocess.run(["rm", "-rf", self.dir], check=False)


class Doctor(HelperTest):
    backend = "service"

    def setUp(self):
        super().setUp()
        self.tid, self.tok = self.logged_in()

    def doctor(self, *args, env=None, code=0):
        """Runs doctor; checks the exit code and that every stdout line is one check; returns
        {check: (state, text)} (the first line of each check) and the lines in order."""
        p = self.sb.run(*args, "doctor", env=env)
        msg = f"rc={p.returncode}\n{p.stdout.decode()}{p.stderr.decode()}"
        self.assertEqual(p.returncode, code, msg)
        lines = p.stdout.decode().splitlines()
        self.assertTrue(lines, msg)
        checks, order = {}, []
        for line in lines:
            m = LINE_RE.match(line)
            self.assertIsNotNone(m, f"not a check line: {line!r}")
            checks.setdefault(m.group(2), (m.group(1), m.group(3)))
            order.append(m.group(2))
        for secret in (self.tok, self.tok[:20]):
            self.assertNotIn(secret, p.stdout.decode() + p.stderr.decode())
        self.assertNotIn("djJ8", p.stdout.decode() + p.stderr.decode(), "no KS printed")
        return checks, order

    def assertCheck(self, checks, name, state, *words):
        self.assertIn(name, checks, checks)
        got_state, text = checks[name]
        self.assertEqual(got_state, state, f"{name}: {text}")
        for w in words:
            self.assertIn(w, text, f"{name}: {text}")

    def test_a_all_good(self):
        checks, order = self.doctor()
        self.assertEqual(list(dict.fromkeys(order)), CHECKS)
        for name in CHECKS:
            self.assertCheck(checks, name, "ok")
        self.assertCheck(checks, "Secret Service", "ok", "gnome-keyring-daemon",
                         "org.freedesktop.secrets")
        self.assertCheck(checks, "keyring", "ok", "'Login' is unlocked")
        self.assertCheck(checks, "service", "ok", "TLS", "session.startWidgetSession")
        self.assertCheck(checks, "clock", "ok", "within")

    def test_no_session_bus(self):
        checks, _ = self.doctor(env={"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"},
                                code=7)
        self.assertCheck(checks, "session bus", "fail", "/nonexistent", "DBUS_SESSION_BUS_ADDRESS")
        self.assertCheck(checks, "token", "skip")
        self.assertCheck(checks, "service", "ok")

    def test_no_secret_service(self):
        bus = PrivateBus()
        try:
            checks, _ = self.doctor(env={"DBUS_SESSION_BUS_ADDRESS": bus.address}, code=7)
        finally:
            bus.stop()
        self.assertCheck(checks, "session bus", "ok")
        self.assertCheck(checks, "Secret Service", "fail", "nothing owns org.freedesktop.secrets",
                         "gnome-keyring-daemon --start")
        self.assertCheck(checks, "token", "skip")

    def test_secret_service_that_cannot_start(self):
        services = tempfile.mkdtemp(prefix="kc-doctor-svc.")
        with open(os.path.join(services, "org.freedesktop.secrets.service"), "w") as f:
            f.write("[D-BUS Service]\nName=org.freedesktop.secrets\nExec=/bin/false\n")
        bus = PrivateBus(services)
        try:
            checks, _ = self.doctor(env={"DBUS_SESSION_BUS_ADDRESS": bus.address}, code=7)
        finally:
            bus.stop()
            subprocess.run(["rm", "-rf", services], check=False)
        self.assertCheck(checks, "Secret Service", "warn", "activatable")
        self.assertCheck(checks, "keyring", "fail", "cannot ask the Secret Service")

    def test_no_token(self):
        self.sb.run("logout")
        checks, _ = self.doctor(code=6)
        self.assertCheck(checks, "token", "fail", "no App Token stored", "login")
        self.assertCheck(checks, "service", "ok")

    def test_cache_directory(self):
        cache = os.path.join(self.sb.run_dir, "kaltura-credential")
        self.sb.run("ks")
        os.chmod(cache, 0o755)
        checks, _ = self.doctor()  # the helper still works: a warning, not a failure
        self.assertCheck(checks, "cache", "warn", cache, "accessible to others", "without a cache")
        os.chmod(cache, 0o700)
        env = dict(self.sb.env)
        del env["XDG_RUNTIME_DIR"]
        p = subprocess.run(self.sb_argv("doctor"), capture_output=True, env=env,
                           timeout=scaled(60))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertRegex(p.stdout.decode(), r"(?m)^warn  cache: XDG_RUNTIME_DIR is not set")
        self.sb.write_config(self.sb.profile_config("default", self.tid, cache="false"))
        checks, _ = self.doctor()
        self.assertCheck(checks, "cache", "ok", "cache = false")

    def sb_argv(self, *args):
        from kchelper import FRONTEND, wrapped
        return wrapped([FRONTEND, *args])

    def test_unreachable_service(self):
        self.sb.write_config(self.sb.profile_config("default", self.tid,
                                                    url="https://localhost:9", timeout=5))
        # the first failure is the token (filed under the service URL), then the service
        checks, _ = self.doctor(code=6)
        self.assertCheck(checks, "service", "fail", "cannot reach https://localhost:9")
        self.assertCheck(checks, "clock", "skip")

    def test_wrong_partner_is_a_rejection(self):
        self.sb.write_config(self.sb.profile_config("default", self.tid).replace(
            f"partner_id = {os.environ['KC_EMU_PARTNER']}", "partner_id = 99999"))
        checks, _ = self.doctor(code=6)  # first failure: the token (filed under partner 99999)
        self.assertCheck(checks, "service", "fail", "INVALID_WIDGET_ID")

    def test_proxy(self):
        env = {"https_proxy": "http://user:secret@127.0.0.1:9"}
        checks, _ = self.doctor(env=env, code=9)
        self.assertCheck(checks, "proxy", "ok", "(credentials hidden)@127.0.0.1:9", "https_proxy")
        self.assertNotIn("secret", checks["proxy"][1])
        self.assertCheck(checks, "service", "fail")
        checks, _ = self.doctor(env=dict(env, no_proxy="example.org,localhost"))
        self.assertCheck(checks, "proxy", "ok", "no_proxy", "reached directly")
        self.assertCheck(checks, "service", "ok")
        # the profile's proxy key wins over the environment
        self.sb.write_config(self.sb.profile_config("default", self.tid, proxy="none"))
        checks, _ = self.doctor(env=env)
        self.assertCheck(checks, "proxy", "ok", "the profile's proxy = none")
        self.assertCheck(checks, "service", "ok")
        self.sb.write_config(self.sb.profile_config("default", self.tid,
                                                    proxy="http://127.0.0.1:9", timeout=5))
        checks, _ = self.doctor(code=9)
        self.assertCheck(checks, "proxy", "ok", "through http://127.0.0.1:9", "proxy key")
        self.assertCheck(checks, "service", "fail")
        # plain http on loopback never goes through a proxy, whatever the environment says
        # (the token is filed under the https URL: that check fails, the service answers)
        self.sb.write_config(self.sb.profile_config("default", self.tid, ca=False,
                                                    url=os.environ["KC_EMU_HTTP_URL"]))
        checks, _ = self.doctor(env=dict(env, http_proxy=env["https_proxy"]), code=6)
        self.assertCheck(checks, "proxy", "ok", "none", "loopback host is never proxied")
        self.assertCheck(checks, "service", "ok", "plain http")

    def clock_skew(self, checks):
        """The seconds and direction a clock warning names: (600, "behind")."""
        m = re.search(r"clock is (\d+) s (behind|ahead of) the server's", checks["clock"][1])
        self.assertIsNotNone(m, checks["clock"])
        return int(m.group(1)), m.group(2)

    def test_server_clock_ahead(self):
        """The emulator's clock-offset moves its Date header: ours is behind by that much
        (give or take the second Date is truncated to and the round trip)."""
        emu("clock-offset", 600)
        checks, _ = self.doctor()
        self.assertCheck(checks, "clock", "warn", "timedatectl")
        skew, way = self.clock_skew(checks)
        self.assertEqual(way, "behind")
        self.assertIn(skew, range(598, 603), checks["clock"])

    def test_server_clock_behind(self):
        emu("clock-offset", -3600)
        checks, _ = self.doctor()  # a warning: the helper still works (the KS's expiry is
        self.assertCheck(checks, "clock", "warn", "timedatectl")  # moved onto our clock)
        skew, way = self.clock_skew(checks)
        self.assertEqual(way, "ahead of")
        self.assertIn(skew, range(3598, 3603), checks["clock"])

    def test_small_offset_is_ok(self):
        emu("clock-offset", 30)  # under the 60 s that are worth a warning
        checks, _ = self.doctor()
        self.assertCheck(checks, "clock", "ok", "within")

    def test_no_usable_date_header(self):
        """No Date header, or one that does not parse: nothing to compare, said as a warning
        (not a failure: the service answered), whatever the emulator's clock."""
        emu("clock-offset", 3600)
        for mode in ("date_none", "date_garbage"):
            with self.subTest(mode=mode):
                emu("fault", mode, "--action", "session.startWidgetSession")
                checks, _ = self.doctor()
                emu("fault", "none")
                self.assertCheck(checks, "service", "ok")
                self.assertCheck(checks, "clock", "warn", "no usable Date header")

    def test_stale_date_header(self):
        """A Date a day behind the emulator's clock is what the server says its clock is:
        reported as such (doctor has no KS expiry to cross-check it against)."""
        emu("fault", "date_stale", "--action", "session.startWidgetSession")
        checks, _ = self.doctor()
        skew, way = self.clock_skew(checks)
        self.assertEqual(way, "ahead of")
        self.assertIn(skew, range(86398, 86403), checks["clock"])

    def test_config_problems(self):
        with open(self.sb.config, "a") as f:
            f.write("colour = blue\n")
        checks, order = self.doctor()
        warns = [c for c in order if c.startswith("config ")]
        self.assertTrue(warns, order)
        self.assertCheck(checks, warns[0], "warn", "unknown key 'colour'")
        with open(self.sb.config, "a") as f:
            f.write("token = x\n")
        checks, _ = self.doctor(code=4)
        failed = [n for n, (s, _) in checks.items() if s == "fail"]
        self.assertEqual(len(failed), 1, checks)
        self.assertIn("would hold a secret", checks[failed[0]][1])
        self.assertCheck(checks, "token, service, clock", "skip")
        other, _ = create_token()
        self.sb.write_config(self.sb.profile_config("other", other))
        checks, _ = self.doctor(code=5)
        self.assertCheck(checks, "profile", "fail", "'default' is not configured")
        checks, _ = self.doctor("--profile", "other", code=6)
        self.assertCheck(checks, "profile 'other'", "ok")

    def test_file_backend(self):
        env = {"SECRET_BACKEND": "file",
               "SECRET_FILE_TEST_PATH": os.path.join(self.sb.dir, "keyring.file"),
               "SECRET_FILE_TEST_PASSWORD": "x"}
        checks, _ = self.doctor(env=env, code=6)
        self.assertCheck(checks, "keyring", "ok", "file backend")
        self.assertCheck(checks, "token", "fail")

    def test_z_locked_collection(self):
        subprocess.run(["gdbus", "call", "--session", "--dest", "org.freedesktop.secrets",
                        "--object-path", "/org/freedesktop/secrets", "--method",
                        "org.freedesktop.Secret.Service.Lock",
                        "['/org/freedesktop/secrets/collection/login']"],
                       check=True, capture_output=True, timeout=30)
        checks, _ = self.doctor(code=7)
        self.assertCheck(checks, "keyring", "fail", "'Login' is locked", "unlock")
        self.assertCheck(checks, "token", "skip")


if __name__ == "__main__":
    taptest.main()
