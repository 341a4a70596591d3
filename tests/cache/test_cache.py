#!/usr/bin/python3
"""Functional tests of the KS cache (doc/cache.md) against the emulator.

Run as: with-keyring.sh with-emulator.sh python3 test_cache.py (tests/cache/meson.build).
with-keyring.sh gives a private HOME, XDG_RUNTIME_DIR (0700) and an unlocked keyring;
with-emulator.sh the KC_EMU_* variables. Request counts come from the emulator's stats.
"""
import concurrent.futures
import glob
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import emuclient
import taptest

BUILD = os.environ.get("KC_BUILD_ROOT", os.path.join(os.path.dirname(__file__), "../../build"))
HELPER = os.path.join(BUILD, "helper", "kaltura-credential")
RUNTIME = os.environ.get("XDG_RUNTIME_DIR", "")
CACHE = os.path.join(RUNTIME, "kaltura-credential")


def host_of(url):
    return url.split("://", 1)[1].rstrip("/")


class CacheTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = emuclient.Emulator.from_env()
        tok = cls.emu.create_token()
        cls.token_id = tok["id"]
        cls.url = os.environ["KC_EMU_URL"]
        cls.conf = os.path.join(os.environ["HOME"], "kc-cache-test.conf")
        with open(cls.conf, "w") as f:
            f.write("[default]\n"
                    f"service_url = {cls.url}\n"
                    f"partner_id = {os.environ['KC_EMU_PARTNER']}\n"
                    f"app_token_id = {cls.token_id}\n"
                    f"ca_file = {os.environ['KC_EMU_CA']}\n")
        os.environ["KALTURA_CREDENTIAL_CONFIG"] = cls.conf
        r = subprocess.run([HELPER, "login", "--no-verify"], input=tok["token"] + "\n",
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"login failed ({r.returncode}): {r.stderr}")
        cls.request = f"protocol=https\nhost={host_of(cls.url)}\n\n"

    def setUp(self):
        self.emu.control("clock-offset", seconds=0)
        self.emu.control("fault", mode="none")
        self.emu.control("latency", ms=0)
        self.restore_cache_dir()
        shutil.rmtree(CACHE, ignore_errors=True)
        self.emu.control("reset-stats")

    def restore_cache_dir(self):
        if os.path.islink(CACHE):
            os.unlink(CACHE)
        if os.path.isdir(CACHE + ".real"):
            shutil.rmtree(CACHE, ignore_errors=True)
            os.rename(CACHE + ".real", CACHE)
        if os.path.isdir(CACHE):
            os.chmod(CACHE, 0o700)

    def tearDown(self):
        self.restore_cache_dir()

    def run_helper(self, *args, stdin=None):
        return subprocess.run([HELPER, *args], input=self.request if stdin is None else stdin,
                              capture_output=True, text=True, timeout=60)

    def get(self):
        r = self.run_helper("get")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = dict(line.split("=", 1) for line in r.stdout.splitlines())
        self.assertIn("password", out)
        return out, r.stderr

    def requests(self, action=None):
        s = self.emu.stats()
        return s["total"] if action is None else s["requests"].get(action, 0)

    def test_cold_get_two_requests_one_connection(self):
        out, _ = self.get()
        s = self.emu.stats()
        self.assertEqual(s["requests"].get("session.startwidgetsession"), 1)
        self.assertEqual(s["requests"].get("apptoken.startsession"), 1)
        self.assertEqual(s["total"], 2)
        self.assertEqual(s["connections"], 1)
        self.assertTrue(glob.glob(os.path.join(CACHE, "ks-*")))

    def test_hit_serves_same_ks_without_contacting_emulator(self):
        first, _ = self.get()
        self.emu.control("reset-stats")
        second, err = self.get()
        self.assertEqual(first["password"], second["password"])
        self.assertEqual(first["password_expiry_utc"], second["password_expiry_utc"])
        self.assertEqual(err, "")
        r = self.run_helper("ks", stdin="")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, first["password"] + "\n")
        r = self.run_helper("ks", stdin="")  # now through the frontend's req- alias
        self.assertEqual(r.stdout, first["password"] + "\n")
        self.assertEqual(self.requests(), 0)

    def test_refresh_is_one_request(self):
        self.get()
        self.assertEqual(self.run_helper("erase").returncode, 0)
        self.emu.control("reset-stats")
        self.get()
        s = self.emu.stats()
        self.assertEqual(s["requests"], {"apptoken.startsession": 1})
        self.assertEqual(s["connections"], 1)

    def rewrite_entry_expiry(self, path, expiry):
        with open(path) as f:
            lines = f.read().splitlines(True)
        lines = [f"expiry={expiry}\n" if ln.startswith("expiry=") else ln for ln in lines]
        tmp = path + ".new"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("".join(lines))
        os.rename(tmp, path)

    def test_entry_below_min_lifetime_is_replaced(self):
        first, _ = self.get()
        (path,) = glob.glob(os.path.join(CACHE, "ks-*"))
        self.rewrite_entry_expiry(path, int(time.time()) + 100)  # < min_lifetime (300)
        self.emu.control("reset-stats")
        second, _ = self.get()
        self.assertNotEqual(first["password"], second["password"])
        self.assertEqual(self.requests("apptoken.startsession"), 1)
        with open(path) as f:
            self.assertIn("ks=" + second["password"] + "\n", f.read())

    def test_erased_entry_not_served(self):
        first, _ = self.get()
        r = self.run_helper("erase")
        self.assertEqual((r.returncode, r.stdout), (0, ""))
        self.emu.control("reset-stats")
        second, _ = self.get()
        self.assertNotEqual(first["password"], second["password"])
        self.assertEqual(self.requests("apptoken.startsession"), 1)

    def test_revoked_entry_not_served(self):
        first, _ = self.get()
        r = self.run_helper("revoke", stdin="")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.requests("session.end"), 1)
        second, _ = self.get()
        self.assertNotEqual(first["password"], second["password"])
        v = subprocess.run(["/usr/bin/python3", os.path.join(os.path.dirname(emuclient.__file__),
                                                             "emuctl.py"), "validate",
                            first["password"]], capture_output=True, text=True)
        self.assertNotEqual(v.returncode, 0, "the revoked KS is still valid on the server")

    # -- the request's own keys (what the PAM module sends) --

    def get_with(self, extra):
        r = self.run_helper("get", stdin=self.request[:-1] + extra + "\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        return dict(line.split("=", 1) for line in r.stdout.splitlines())

    def test_request_min_lifetime_raises_the_floor(self):
        """min_lifetime=SECONDS: a cached KS with less left than that is not used, by the
        frontend's fast path nor by the minter; one with more is. The profile's min_lifetime
        (300) still holds for requests without it."""
        first, _ = self.get()  # the request alias is recorded: the fast path knows it
        (path,) = glob.glob(os.path.join(CACHE, "ks-*"))
        self.rewrite_entry_expiry(path, int(time.time()) + 1800)
        self.emu.control("reset-stats")
        self.assertEqual(self.get_with("min_lifetime=1000\n")["password"], first["password"])
        self.assertEqual(self.requests(), 0)
        fresh = self.get_with("min_lifetime=3600\n")
        self.assertNotEqual(fresh["password"], first["password"])
        self.assertEqual(self.requests("apptoken.startsession"), 1)
        self.assertGreater(int(fresh["password_expiry_utc"]) - time.time(), 3600)
        # The fresh KS replaced the old one for everybody.
        self.assertEqual(self.get()[0]["password"], fresh["password"])

    def test_request_not_shared_is_minted_and_not_cached(self):
        """shared=false: a KS for this request alone, never a cached one, never put into the
        cache, never served to a later get."""
        first, _ = self.get()
        self.emu.control("reset-stats")
        own = self.get_with("shared=false\n")
        self.assertNotEqual(own["password"], first["password"])
        self.assertEqual(self.requests("apptoken.startsession"), 1)
        self.assertEqual(self.requests("session.startwidgetsession"), 0, "widget KS reused")
        again = self.get_with("shared=false\n")
        self.assertNotIn(again["password"], (own["password"], first["password"]))
        self.emu.control("reset-stats")
        self.assertEqual(self.get()[0]["password"], first["password"])
        self.assertEqual(self.requests(), 0)
        for f in glob.glob(os.path.join(CACHE, "*")):
            with open(f) as fh:
                text = fh.read()
            self.assertNotIn(own["password"], text, f)
            self.assertNotIn(again["password"], text, f)

    def test_request_not_shared_with_a_cold_cache(self):
        """shared=false first: nothing is cached for the next get to find."""
        own = self.get_with("shared=false\n")
        self.emu.control("reset-stats")
        other, _ = self.get()
        self.assertNotEqual(own["password"], other["password"])
        self.assertEqual(self.requests("apptoken.startsession"), 1)

    def test_revoke_of_an_unshared_ks_the_server_no_longer_knows_fails(self):
        """revoke with shared=false: the KS was the caller's alone, so INVALID_KS means it did
        not end here: exit 8 and the server's reason. Without it, already ended is fine."""
        own = self.get_with("shared=false\n")
        self.emu.api("session", "end", {"ks": own["password"]}, internal=True)
        dead = f"password={own['password']}\n\n"
        r = self.run_helper("revoke", stdin="shared=false\n" + dead)
        self.assertEqual(r.returncode, 8, r.stderr)
        self.assertIn("INVALID_KS", r.stderr)
        self.assertNotIn(own["password"], r.stderr)
        r = self.run_helper("revoke", stdin=dead)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        own = self.get_with("shared=false\n")
        r = self.run_helper("revoke", stdin=f"shared=false\npassword={own['password']}\n\n")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertFalse(self.emu.control("validate", ks=own["password"])["valid"])

    def test_request_keys_with_bad_values_are_refused(self):
        for extra in ("min_lifetime=soon\n", "min_lifetime=-1\n", "min_lifetime=315360001\n",
                      "min_lifetime=\n", "shared=no\n", "shared=\n"):
            with self.subTest(extra=extra):
                r = self.run_helper("get", stdin=self.request[:-1] + extra + "\n")
                self.assertEqual((r.returncode, r.stdout), (3, ""), r.stderr)
                self.assertIn(extra.split("=")[0] + "=", r.stderr)

    def assert_refused_but_works(self):
        first, err = self.get()
        self.assertIn("kaltura-credential: ", err)
        self.assertNotIn(first["password"], err)
        second, _ = self.get()
        self.assertEqual(self.requests("apptoken.startsession"), 2, "a refused cache was used")
        self.assertNotEqual(first["password"], second["password"])

    def test_loose_permissions_refused(self):
        os.mkdir(CACHE, 0o700)
        os.chmod(CACHE, 0o755)
        self.assert_refused_but_works()
        self.assertEqual(os.listdir(CACHE), [])

    def test_symlinked_cache_dir_refused(self):
        os.mkdir(CACHE + ".real", 0o700)
        os.symlink(CACHE + ".real", CACHE)
        self.assert_refused_but_works()
        self.assertEqual(os.listdir(CACHE + ".real"), [])

    def test_foreign_cache_dir_refused(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to chown")
        os.mkdir(CACHE, 0o700)
        os.chown(CACHE, 12345, 12345)
        try:
            self.assert_refused_but_works()
        finally:
            os.chown(CACHE, 0, 0)

    def test_umask_hiding_owner_read(self):
        """A umask that hides owner-read (0477): the frontend made the cache dir 0300, could not
        open it (as a user other than root), so nothing set it back to 0700, and the cache
        stayed off for good (the minter's umask 077 came too late). The frontend now sets
        umask 077 first, as the minter does."""
        if os.geteuid() != 0 or not shutil.which("setpriv"):
            self.skipTest("needs root and setpriv to run as another user")
        rt = tempfile.mkdtemp(prefix="kc-umask.")
        try:
            os.chown(rt, 65534, 65534)
            env = {"PATH": "/usr/bin:/bin", "HOME": rt, "XDG_RUNTIME_DIR": rt,
                   "KALTURA_CREDENTIAL_CONFIG": os.path.join(rt, "none.conf")}
            env.update({k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")})
            r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                "sh", "-c", 'umask 0477 && exec "$0" get', HELPER],
                               input="\n", capture_output=True, text=True, env=env, timeout=60)
            st = os.stat(os.path.join(rt, "kaltura-credential"))
            self.assertEqual((oct(st.st_mode & 0o777), st.st_uid), (oct(0o700), 65534),
                             r.stderr)
            self.assertNotIn("KS cache disabled", r.stderr)
        finally:
            shutil.rmtree(rt)

    def test_parallel_cold_gets_mint_once(self):
        self.emu.control("latency", ms=50)
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            results = list(pool.map(lambda _: self.run_helper("get"), range(32)))
        for r in results:
            self.assertEqual(r.returncode, 0, r.stderr)
        kss = {dict(ln.split("=", 1) for ln in r.stdout.splitlines())["password"]
               for r in results}
        self.assertEqual(len(kss), 1)
        self.assertEqual(self.requests("apptoken.startsession"), 1)
        self.assertEqual(self.requests("session.startwidgetsession"), 1)

    def test_stale_widget_ks_recovered(self):
        self.get()
        self.assertEqual(self.run_helper("erase").returncode, 0)
        self.assertTrue(glob.glob(os.path.join(CACHE, "widget-*")))
        # The server's clock jumps past the widget KS's expiry; our entry still looks valid.
        self.emu.control("clock-offset", seconds=90000)
        self.emu.control("reset-stats")
        out, _ = self.get()
        self.assertEqual(self.requests("session.startwidgetsession"), 1)
        v = subprocess.run(["/usr/bin/python3", os.path.join(os.path.dirname(emuclient.__file__),
                                                             "emuctl.py"), "validate",
                            out["password"]], capture_output=True, text=True)
        self.assertEqual(v.returncode, 0, v.stdout)

    def test_garbage_widget_ks_recovered(self):
        self.get()
        self.assertEqual(self.run_helper("erase").returncode, 0)
        (path,) = glob.glob(os.path.join(CACHE, "widget-*"))
        with open(path) as f:
            text = f.read()
        text = "".join("ks=djJ8bm90IGEga3M=\n" if ln.startswith("ks=") else ln
                       for ln in text.splitlines(True))
        os.unlink(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        out, _ = self.get()
        self.assertTrue(out["password"])

    def test_mint_prunes_expired_entries(self):
        self.get()
        (path,) = glob.glob(os.path.join(CACHE, "ks-*"))
        bogus = os.path.join(CACHE, "ks-0000000000000000")
        shutil.copy(path, bogus)
        os.chmod(bogus, 0o600)
        self.rewrite_entry_expiry(bogus, 1)
        self.assertEqual(self.run_helper("erase").returncode, 0)
        self.get()
        self.assertFalse(os.path.exists(bogus))
        self.assertEqual(len(glob.glob(os.path.join(CACHE, "ks-*"))), 1)

if __name__ == "__main__":
    taptest.main()
