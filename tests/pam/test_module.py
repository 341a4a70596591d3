"""pam_kaltura.so on real libpam (pam_wrapper + libpamtest driver), with fake helpers.

Needs no root: runs as the current user, with minimum_uid=0 in the service files, so the
module skips the uid switch (same uid) and everything else is exercised for real. Each fake
helper gets a scratch dir through the PAM environment (XDG_RUNTIME_DIR), as pam_systemd
would provide it.
"""
import os
import pwd
import shutil
import tempfile
import time
import unittest

import taptest
import pamtest_common as pc

USER = pwd.getpwuid(os.geteuid()).pw_name
# The test vectors of doc/kaltura-api.md §5.4: well-formed KSs (v2, v1) of partner 12345.
DEFAULT_KS = ("djJ8MTIzNDV8AZjSBOczIAVk1HR2mRxggOeMp-tmyIe6Enajr3NpKjj_Qyyj"
              "TA7ey2fHPu1DSRJq3mhbpqBrii64sV_RSKWhDKTQ0BCFdEakF_gbylwMupM=")
OTHER_KS = ("NzA2Y2UwNjU5YjZiNmViZDhjYjczY2Y2YTY0NmY2NzhlYTRhNGEzMHwxMjM0"
            "NTsxMjM0NTsxNzAwMDAwMDAwOzA7MTY5OTkxMzYwMC4xMjM0OzA7dmlldzoqLHdpZGdldDoxOzs=")


class ModuleTest(unittest.TestCase):
    @classmethod
    def tearDownClass(cls):
        pc.cleanup_pam_wrapper_dirs()

    def setUp(self):
        pc.check_environment(self)
        self.scratch = tempfile.mkdtemp(prefix="kc-pam-")
        os.chmod(self.scratch, 0o700)

    def tearDown(self):
        shutil.rmtree(self.scratch, ignore_errors=True)

    # -- helpers --
    def run_pam(self, service, *ops, putenv=None, **kw):
        entries = [f"XDG_RUNTIME_DIR={self.scratch}"] if putenv is None else putenv
        return pc.run(service, USER, ops, putenv=entries, **kw)

    def scratch_file(self, name, default=None):
        try:
            with open(os.path.join(self.scratch, name), "rb") as f:
                return f.read().decode()
        except FileNotFoundError:
            return default

    def runs(self, command="get"):
        return int(self.scratch_file(f"count-{command}", "0"))

    def canned(self, output, exit_code=0):
        with open(os.path.join(self.scratch, "output"), "wb") as f:
            f.write(output)
        with open(os.path.join(self.scratch, "exit"), "w") as f:
            f.write(str(exit_code))

    def assertNoKsInEnv(self, env, name="KALTURA_KS"):
        self.assertNotIn(name, env)
        self.assertNotIn(name + "_EXPIRY", env)

    def assertOps(self, run, *expected):
        """expected: the module's result per op. PAM_IGNORE reaches the application as
        PAM_PERM_DENIED (a one-module stack), so it is checked in the module's exit line."""
        app = ["PERM_DENIED" if e == "IGNORE" else e for e in expected]
        self.assertEqual([r for o, r in run.results if o != "env"], app, msg=run.log[-3000:])
        if "debug" in open(os.path.join(pc.SERVICES, run.service)).read():
            mod = {"SUCCESS": "success", "IGNORE": "ignore"}
            self.assertEqual(run.module_exits(), [mod.get(e, "failure") for e in expected],
                             msg=run.log[-3000:])

    # -- success and env export --
    def test_success_exports_ks_ending_in_equals(self):
        r = self.run_pam("ok", "open", "env")
        self.assertOps(r, "SUCCESS")
        self.assertEqual(r.envs[0]["KALTURA_KS"], DEFAULT_KS)
        self.assertEqual(r.envs[0]["KALTURA_KS_EXPIRY"], "1900000000")
        self.assertEqual(self.runs(), 1)
        self.assertEqual(r.rc, 0)

    def test_env_option_renames_both_variables(self):
        r = self.run_pam("ok_env", "open", "env")
        self.assertOps(r, "SUCCESS")
        self.assertEqual(r.envs[0]["MY_KS"], DEFAULT_KS)
        self.assertEqual(r.envs[0]["MY_KS_EXPIRY"], "1900000000")
        self.assertNoKsInEnv(r.envs[0])

    def test_request_on_stdin(self):
        # No profile: the helper picks `default`. A login's KS must be valid for more than an
        # hour (min_lifetime=, default 3600) if the cache is to serve it.
        self.run_pam("ok", "open")
        self.assertEqual(self.scratch_file("stdin-get"), "min_lifetime=3600\n\n")
        self.run_pam("ok_profile", "open")
        self.assertEqual(self.scratch_file("stdin-get"),
                         "profile=work.1-x_y\nmin_lifetime=3600\n\n")
        self.run_pam("ok_min_lifetime", "open")
        self.assertEqual(self.scratch_file("stdin-get"), "min_lifetime=7200\n\n")

    def test_revoke_asks_for_a_ks_of_its_own(self):
        """With `revoke`, the KS must be this login's alone: shared=false, no floor needed
        (a KS minted for the request is as fresh as they come)."""
        self.run_pam("revoke", "open")
        self.assertEqual(self.scratch_file("stdin-get"), "shared=false\n\n")
        self.run_pam("revoke_profile", "open")
        self.assertEqual(self.scratch_file("stdin-get"), "profile=work\nshared=false\n\n")

    def test_helper_argv_and_environment(self):
        r = self.run_pam("ok", "open", extra_env={"KC_PAM_LEAK_MARKER": "leaked"})
        self.assertOps(r, "SUCCESS")
        self.assertEqual(self.scratch_file("argv-get").splitlines()[1:], ["get"])
        env = dict(l.split("=", 1) for l in self.scratch_file("env-get").splitlines())
        pw = pwd.getpwnam(USER)
        self.assertEqual(env, {
            "HOME": pw.pw_dir, "USER": USER, "LOGNAME": USER,
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "XDG_RUNTIME_DIR": self.scratch,
            "DBUS_SESSION_BUS_ADDRESS": f"unix:path={self.scratch}/bus",
        })
        ident = self.scratch_file("id-get").splitlines()
        self.assertEqual(ident[3], pw.pw_dir)  # cwd = home

    def test_proxy_variables_from_pam_env(self):
        """https_proxy, HTTPS_PROXY, no_proxy and NO_PROXY reach the helper when the PAM
        environment has them (pam_env from /etc/environment); http_proxy and the rest do not."""
        proxies = {"https_proxy": "http://proxy.example:3128", "HTTPS_PROXY": "http://p2:8080",
                   "no_proxy": "localhost,.corp", "NO_PROXY": "127.0.0.1"}
        others = {"http_proxy": "http://plain:3128", "ALL_PROXY": "socks5://x:1080",
                  "LD_PRELOAD": "/tmp/evil.so", "FTP_PROXY": "http://f:1"}
        r = self.run_pam("ok", "open", putenv=[f"XDG_RUNTIME_DIR={self.scratch}"] + [
            f"{k}={v}" for k, v in {**proxies, **others}.items()])
        self.assertOps(r, "SUCCESS")
        env = dict(l.split("=", 1) for l in self.scratch_file("env-get").splitlines())
        for k, v in proxies.items():
            self.assertEqual(env.get(k), v, k)
        for k in others:
            self.assertNotIn(k, env)

    def test_bus_address_from_pam_env(self):
        r = self.run_pam("ok", "open", putenv=[f"XDG_RUNTIME_DIR={self.scratch}",
                                               "DBUS_SESSION_BUS_ADDRESS=unix:path=/x/y,guid=1"])
        self.assertOps(r, "SUCCESS")
        env = dict(l.split("=", 1) for l in self.scratch_file("env-get").splitlines())
        self.assertEqual(env["DBUS_SESSION_BUS_ADDRESS"], "unix:path=/x/y,guid=1")

    def test_value_after_the_first_equals(self):
        self.canned(b"password=%s\npassword_expiry_utc=42\n" % OTHER_KS.encode())
        r = self.run_pam("canned", "open", "env")
        self.assertOps(r, "SUCCESS")
        self.assertEqual(r.envs[0]["KALTURA_KS"], OTHER_KS)
        self.assertEqual(r.envs[0]["KALTURA_KS_EXPIRY"], "42")

    def test_no_expiry_exports_ks_only(self):
        self.canned(b"password=%s\n" % DEFAULT_KS.encode())
        r = self.run_pam("canned", "open", "env")
        self.assertOps(r, "SUCCESS")
        self.assertEqual(r.envs[0]["KALTURA_KS"], DEFAULT_KS)
        self.assertNotIn("KALTURA_KS_EXPIRY", r.envs[0])

    def test_ks_never_logged(self):
        for service in ("ok", "revoke"):
            r = self.run_pam(service, "open", "close")
            self.assertIn("(user %s)" % USER, r.log)
            self.assertNotIn(DEFAULT_KS, r.log)
            self.assertNotIn(DEFAULT_KS[12:44], r.log)  # nor a part of it

    def test_debug_only_with_debug(self):
        r = self.run_pam("ok_quiet", "open")
        self.assertOps(r, "SUCCESS")
        self.assertNotIn("entry", r.log)
        r = self.run_pam("ok", "open")
        self.assertIn("pam_sm_open_session: entry", r.log)

    # -- idempotence --
    def test_second_open_does_not_run_helper_again(self):
        r = self.run_pam("ok", "open", "open", "env")
        self.assertOps(r, "SUCCESS", "SUCCESS")
        self.assertEqual(self.runs(), 1)
        self.assertEqual(r.envs[0]["KALTURA_KS"], DEFAULT_KS)

    def test_setcred_then_open_runs_helper_once(self):
        r = self.run_pam("auth_ok", "setcred-establish", "open", "env")
        self.assertOps(r, "SUCCESS", "SUCCESS")
        self.assertEqual(self.runs(), 1)
        self.assertEqual(r.envs[0]["KALTURA_KS"], DEFAULT_KS)

    def test_ignored_outcome_is_remembered(self):
        self.canned(b"", 6)
        r = self.run_pam("canned", "open=IGNORE", "open=IGNORE")
        self.assertOps(r, "IGNORE", "IGNORE")

    # -- failures: nothing partial lands in the env --
    def assert_fails_cleanly(self, output, exit_code=0, expect="SESSION_ERR", why=None):
        self.canned(output, exit_code)
        r = self.run_pam("canned", "open=" + expect, "env")
        self.assertOps(r, expect)
        self.assertNoKsInEnv(r.envs[0])
        if why:
            self.assertIn(why, r.log)
        return r

    def test_garbage(self):
        self.assert_fails_cleanly(b"\x00\xff\x13garbage without equals\n\x01", why="malformed")
        self.assert_fails_cleanly(b"this is not key value\n", why="line without '='")

    def test_no_trailing_newline(self):
        ks = DEFAULT_KS.encode()
        self.assert_fails_cleanly(b"password=" + ks, why="does not end in a newline")
        self.assert_fails_cleanly(b"password=%s\npassword_expiry_utc=5" % ks, why="newline")

    def test_strict_lines(self):
        ks, other = DEFAULT_KS.encode(), OTHER_KS.encode()
        self.assert_fails_cleanly(b"password=%s\r\n" % ks, why="carriage return")
        self.assert_fails_cleanly(b"password=%s\npassword=%s\n" % (ks, other), why="twice")
        self.assert_fails_cleanly(b"password=%s\npassword_expiry_utc=soon\n" % ks,
                                  why="not a number")
        self.assert_fails_cleanly(b"password=\n", why="empty password")
        self.assert_fails_cleanly(b"username=x\n", why="no password")

    def test_unicode_line_breaks_and_non_ks(self):
        """Security review item 7: U+2028 / U+0085 (line breaks to Python's splitlines) in any
        value, or a password that is not a KS, is never exported."""
        ks = DEFAULT_KS.encode()
        half = len(ks) // 2
        for ch in ("\u2028", "\u0085"):
            u = ch.encode()
            self.assert_fails_cleanly(b"password=%s%s%s\n" % (ks[:half], u, ks[half:]),
                                      why="not printable ASCII")
            self.assert_fails_cleanly(b"username=bob%spassword=x\npassword=%s\n" % (u, ks),
                                      why="not printable ASCII")
        self.assert_fails_cleanly(b"password=abc=\n", why="not a well-formed KS")

    def test_nonzero_exit(self):
        r = self.assert_fails_cleanly(b"password=%s\n" % DEFAULT_KS.encode(), 9,
                                      why="exit status 9")
        self.assertEqual(r.rc, 0)
        self.assert_fails_cleanly(b"", 1, why="exit status 1")

    def test_helper_stderr_logged(self):
        with open(os.path.join(self.scratch, "stderr"), "wb") as f:
            f.write(b"kaltura-credential: keyring locked\n\x1b[31mcontrol\x07 chars\n")
        self.canned(b"", 7)
        r = self.run_pam("canned", "open=SESSION_ERR")
        self.assertIn("helper: kaltura-credential: keyring locked", r.log)
        self.assertIn("helper: ?[31mcontrol? chars", r.log)
        self.assertIn("exit status 7", r.log)

    def test_not_applicable_exit_codes_ignore(self):
        for code in (5, 6):
            r = self.assert_fails_cleanly(b"", code, expect="IGNORE")
            self.assertNotIn("failed", r.log)

    def test_empty_output_ignore(self):
        self.assert_fails_cleanly(b"", 0, expect="IGNORE")

    def test_minimum_uid_ignore(self):
        r = self.run_pam("minuid", "open=IGNORE", "env")
        self.assertOps(r, "IGNORE")
        self.assertNoKsInEnv(r.envs[0])
        self.assertEqual(self.runs(), 0)

    def test_hang_killed_at_timeout(self):
        r = self.run_pam("hang", "open=SESSION_ERR", "env")
        self.assertOps(r, "SESSION_ERR")
        self.assertNoKsInEnv(r.envs[0])
        # timeout=1: open_session must return within timeout + 1 s (a functional bound), plus
        # what a busy machine adds to starting and killing processes.
        self.assertLess(r.elapsed_ms, taptest.scaled(3000))
        self.assertGreaterEqual(r.elapsed_ms, 900)
        self.assertIn("did not finish within 1 s", r.log)
        # The whole process group is gone, descendants included (SIGKILLed: each dies as soon
        # as it is scheduled, so wait for that, within a generous bound).
        for pid in self.scratch_file("hang.pid", "").split():
            self.assertTrue(wait_dead(int(pid), taptest.scaled(5)), f"helper process {pid} survived")

    def test_flood_killed(self):
        r = self.run_pam("flood", "open=SESSION_ERR", "env")
        self.assertOps(r, "SESSION_ERR")
        self.assertNoKsInEnv(r.envs[0])
        self.assertRegex(r.log, r"wrote more than \d+ bytes: killed")
        self.assertLess(r.elapsed_ms, taptest.scaled(5000))

    # -- setcred never returns PAM_IGNORE --
    def test_setcred_codes(self):
        self.canned(b"", 6)
        r = self.run_pam("auth_canned", "setcred-establish=SUCCESS", "env")
        self.assertOps(r, "SUCCESS")
        self.assertNoKsInEnv(r.envs[0])
        self.canned(b"", 9)
        r = self.run_pam("auth_canned", "setcred-establish=CRED_ERR")
        self.assertOps(r, "CRED_ERR")
        r = self.run_pam("auth_canned", "setcred-refresh=SUCCESS", "setcred-delete=SUCCESS")
        self.assertOps(r, "SUCCESS", "SUCCESS")

    def test_setcred_delete_before_close_still_revokes(self):
        """util-linux login calls pam_setcred(PAM_DELETE_CRED) and then pam_close_session:
        the KS kept for `revoke` is ended once, by whichever comes first, and leaves the
        environment."""
        for order in (("setcred-delete", "close=IGNORE"), ("close", "setcred-delete")):
            with self.subTest(order=order):
                for f in ("count-get", "count-revoke", "stdin-revoke"):
                    if os.path.exists(os.path.join(self.scratch, f)):
                        os.unlink(os.path.join(self.scratch, f))
                r = self.run_pam("auth_revoke", "setcred-establish", "open", "env", *order, "env")
                self.assertEqual(self.runs(), 1, r.log[-3000:])
                self.assertEqual(self.runs("revoke"), 1, r.log[-3000:])
                self.assertEqual(self.scratch_file("stdin-revoke"),
                                 f"shared=false\npassword={DEFAULT_KS}\n\n")
                self.assertEqual(r.envs[0]["KALTURA_KS"], DEFAULT_KS)
                self.assertNoKsInEnv(r.envs[1])
                self.assertIn("KALTURA_KS revoked", r.log)

    def test_setcred_delete_forgets(self):
        r = self.run_pam("auth_ok", "setcred-establish", "setcred-delete", "setcred-establish")
        self.assertOps(r, "SUCCESS", "SUCCESS", "SUCCESS")
        self.assertEqual(self.runs(), 2)  # the marker went with DELETE_CRED

    def test_authenticate_never_authenticates(self):
        # The module alone in the auth stack: nobody is authenticated.
        r = self.run_pam("auth_only", "authenticate=IGNORE")
        self.assertOps(r, "IGNORE")

    # -- close_session and revoke --
    def test_close_without_revoke_runs_nothing(self):
        r = self.run_pam("ok", "open", "close", "env")
        self.assertOps(r, "SUCCESS", "SUCCESS")
        self.assertEqual(self.runs("revoke"), 0)
        self.assertEqual(r.envs[0]["KALTURA_KS"], DEFAULT_KS)

    def test_close_with_revoke_sends_ks_on_stdin_only(self):
        with open(os.path.join(self.scratch, "ks"), "w") as f:
            f.write(OTHER_KS)
        r = self.run_pam("revoke", "open", "env", "close", "env")
        self.assertOps(r, "SUCCESS", "SUCCESS")
        self.assertEqual(r.envs[0]["KALTURA_KS"], OTHER_KS)
        self.assertEqual(self.runs("revoke"), 1)
        self.assertEqual(self.scratch_file("stdin-revoke"),
                         f"shared=false\npassword={OTHER_KS}\n\n")
        self.assertEqual(self.scratch_file("argv-revoke").splitlines()[1:], ["revoke"])
        self.assertNotIn(OTHER_KS[8:40], self.scratch_file("env-revoke"))
        self.assertNotIn(OTHER_KS[8:40], r.log)
        # The revoked KS leaves the environment.
        self.assertNoKsInEnv(r.envs[1])

    def test_revoke_with_profile(self):
        r = self.run_pam("revoke_profile", "open", "close")
        self.assertOps(r, "SUCCESS", "SUCCESS")
        self.assertEqual(self.scratch_file("stdin-revoke"),
                         f"profile=work\nshared=false\npassword={DEFAULT_KS}\n\n")

    def test_failed_revoke_is_logged_as_a_failure(self):
        """A revoke the helper reports as failed (e.g. the server no longer knows the KS) is a
        failure of close_session, and never logged as revoked."""
        with open(os.path.join(self.scratch, "revoke-exit"), "w") as f:
            f.write("8")
        r = self.run_pam("revoke", "open", "close=SESSION_ERR")
        self.assertOps(r, "SUCCESS", "SESSION_ERR")
        self.assertIn("helper revoke failed with exit status 8", r.log)
        self.assertIn("helper: kaltura-credential: INVALID_KS", r.log)
        self.assertNotIn("revoked", r.log)

    def test_expired_ks_is_not_revoked(self):
        """A KS past its expiry at logout is dead already: no helper run, no failure logged,
        and out of the environment."""
        with open(os.path.join(self.scratch, "expiry"), "w") as f:
            f.write(str(int(time.time()) - 5))
        r = self.run_pam("revoke", "open", "env", "close", "env")
        self.assertOps(r, "SUCCESS", "SUCCESS")
        self.assertIn("KALTURA_KS", r.envs[0])
        self.assertEqual(self.runs("revoke"), 0)
        self.assertNoKsInEnv(r.envs[1])

    def test_close_without_open(self):
        r = self.run_pam("revoke", "close=IGNORE")
        self.assertOps(r, "IGNORE")
        self.assertEqual(self.runs("revoke"), 0)

    # -- options --
    def test_unknown_option_logged_not_fatal(self):
        r = self.run_pam("unknown_option", "open", "env")
        self.assertOps(r, "SUCCESS")
        self.assertIn("unknown option no_such_option", r.log)
        self.assertIn("unknown option frobnicate=3", r.log)

    def test_invalid_option_values_fail(self):
        for service, why in [("bad_timeout0", "invalid timeout="),
                             ("bad_timeout301", "invalid timeout="),
                             ("bad_timeout_sign", "invalid timeout="),
                             ("bad_profile", "invalid profile="),
                             ("bad_env", "invalid env="),
                             ("bad_env_dash", "invalid env="),
                             ("bad_uid", "invalid minimum_uid="),
                             ("bad_flag_value", "revoke takes no value"),
                             ("bad_min_lifetime", "invalid min_lifetime="),
                             ("bad_min_lifetime_sign", "invalid min_lifetime="),
                             ("bad_missing_value", "timeout needs a value")]:
            with self.subTest(service=service):
                r = self.run_pam(service, "open=SESSION_ERR", "env")
                self.assertOps(r, "SESSION_ERR")
                self.assertIn(why, r.log)
                self.assertNoKsInEnv(r.envs[0])
                self.assertEqual(self.runs(), 0)

    def untrusted_tree(self):
        """The helpers of the helper_* services (tests/pam/services/meson.build), below
        KC_PAM_UNTRUSTED: each differs from a trusted path in one component."""
        d = os.environ["KC_PAM_UNTRUSTED"]
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        os.chmod(d, 0o755)
        ok = os.path.join(pc.HELPERS, "ok.sh")

        def helper_in(*parts, mode=0o755):
            path = os.path.join(d, *parts)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            shutil.copy(ok, path)
            os.chmod(path, mode)

        helper_in("writable.sh", mode=0o775)  # group-writable
        os.symlink(ok, os.path.join(d, "link.sh"))
        helper_in("gw", "inner", "ok.sh")  # gw/: group-writable, not sticky
        os.chmod(os.path.join(d, "gw"), 0o775)
        helper_in("real", "ok.sh")  # linkdir -> real
        os.symlink("real", os.path.join(d, "linkdir"))
        helper_in("sticky", "inner", "ok.sh")  # sticky/: world-writable but sticky, like /tmp
        os.chmod(os.path.join(d, "sticky"), 0o1777)
        helper_in("inner", "x")
        helper_in("ok.sh")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def test_untrusted_helper_paths_refused(self):
        self.untrusted_tree()
        for service, why in [("helper_writable", "refusing to run it"),
                             ("helper_symlink", "is a symbolic link: refusing to run it"),
                             ("helper_gw_ancestor", "gw is not a directory owned by root"),
                             ("helper_link_ancestor", "linkdir is a symbolic link"),
                             ("helper_dotdot", "not a plain absolute path"),
                             ("helper_relative", "helper= must be an absolute path"),
                             ("helper_missing", "No such file"),
                             ("helper_default", os.environ["KC_PAM_DEFAULT_HELPER"])]:
            if service == "helper_default" and os.path.exists(why):
                continue  # an installed helper: nothing to prove here
            with self.subTest(service=service):
                r = self.run_pam(service, "open=SESSION_ERR", "env")
                self.assertOps(r, "SESSION_ERR")
                self.assertIn(why, r.log)
                self.assertEqual(self.runs(), 0)

    def test_sticky_ancestor_is_trusted(self):
        """A world-writable sticky directory on the way (like /tmp) is fine: others may add
        names there but cannot rename or remove ours, and the next component's owner is
        checked in turn."""
        self.untrusted_tree()
        r = self.run_pam("helper_sticky_ancestor", "open", "env")
        self.assertOps(r, "SUCCESS")
        self.assertEqual(r.envs[0]["KALTURA_KS"], DEFAULT_KS)

    def test_unknown_user(self):
        r = pc.run("ok", "kc-no-such-user-x", ["open=USER_UNKNOWN"])
        self.assertEqual(r.result("open"), ["USER_UNKNOWN"], msg=r.log)


def wait_dead(pid, seconds):
    deadline = time.monotonic() + seconds
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


if __name__ == "__main__":
    taptest.main()
