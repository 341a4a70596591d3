"""`ks --format`, `exec` and KALTURA_CREDENTIAL_PROFILE end to end: the emulator and a real
gnome-keyring on a private bus (tests/lib/with-keyring.sh). Each shape is checked twice, from a
mint (the minter) and from a cache hit (the frontend), and the two must agree."""
import json
import os
import shlex
import stat
import subprocess
import time

import taptest
from kchelper import (WRAP, HelperTest, create_token, emu, emu_host, emu_partner, emu_url,
                      stats, validate)

# A command that prints what exec gave it: its environment's KALTURA_/MY_ variables, its argv,
# its open fds, its umask and what it read on stdin, as JSON.
PROBE = r"""
import json, os, sys
print(json.dumps({
    "env": {k: v for k, v in os.environ.items() if k.startswith(("KALTURA_", "MY_"))},
    "allenv": dict(os.environ),
    "argv": sys.argv,
    "fds": sorted(int(f) for f in os.listdir("/proc/self/fd")),
    "umask": (lambda m: (os.umask(m), m)[1])(os.umask(0)),
    "stdin": sys.stdin.read(),
}))
sys.exit(int(os.environ.get("PROBE_EXIT", "0")))
"""


class Exec(HelperTest):
    backend = "service"

    def setUp(self):
        super().setUp()
        self.tid, self.tok = self.logged_in()
        self.forget()

    def forget(self, env=None):
        """No cached KS (of the profile env selects): the next command mints (the minter)."""
        p = self.sb.run("erase", input=b"\n", env=env)
        self.assertEqual(p.returncode, 0, p.stderr)

    def minted(self, fn, env=None):
        """fn() run once from a cold cache (asserting it minted) and once from the cache
        (asserting it did not); returns both results."""
        self.forget(env)
        emu("reset-stats")
        cold = fn()
        self.assertEqual(stats()["requests"].get("apptoken.startsession"), 1, "cold: minted")
        emu("reset-stats")
        warm = fn()
        self.assertEqual(stats()["total"], 0, "warm: a cache hit, no request")
        return cold, warm

    def probe(self, *args, input=b"", env=None):
        return self.sb.run(*args, "--", "/usr/bin/python3", "-c", PROBE, "x y", input=input,
                           env=env)

    # ---- ks --format

    def test_json(self):
        cold, warm = self.minted(lambda: self.sb.run("ks", "--format=json"))
        for p in (cold, warm):
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stderr, b"")
            self.assertTrue(p.stdout.endswith(b"}\n") and p.stdout.count(b"\n") == 1)
        self.assertEqual(cold.stdout, warm.stdout, "the frontend prints what the minter did")
        d = json.loads(cold.stdout)
        self.assertEqual(sorted(d), ["expiry", "ks", "partnerId", "privileges", "serviceUrl",
                                     "userId"])
        ok, info = validate(d["ks"])
        self.assertTrue(ok, info)
        self.assertEqual(d["expiry"], info["expiry"])
        self.assertEqual(d["partnerId"], int(emu_partner()))
        self.assertEqual(d["serviceUrl"], emu_url())
        self.assertIsNone(d["userId"])
        self.assertEqual(d["privileges"], info["privileges"])
        self.assertIn(f"apptoken:{self.tid}", d["privileges"])
        self.assertNotIn(self.tok, cold.stdout.decode())

    def test_json_user_id(self):
        tid, tok = create_token(session_user_id="o'brien&co$x")
        p = self.sb.login(tid, tok, profile="u")
        self.assertEqual(p.returncode, 0, p.stderr)
        d = json.loads(self.sb.run("--profile", "u", "ks", "--format=json").stdout)
        self.assertEqual(d["userId"], "o'brien&co$x")
        self.assertEqual(validate(d["ks"])[1]["userId"], "o'brien&co$x")

    def test_env_and_export(self):
        ks = self.sb.run("ks").stdout.decode().strip()
        p = self.sb.run("ks", "--format=env")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.decode().splitlines()
        self.assertEqual([ln.split("=", 1)[0] for ln in lines],
                         ["KALTURA_KS", "KALTURA_KS_EXPIRY", "KALTURA_PARTNER_ID",
                          "KALTURA_SERVICE_URL"])
        self.assertEqual(lines[0], f"KALTURA_KS={ks}")
        self.assertEqual(lines[2], f"KALTURA_PARTNER_ID={emu_partner()}")
        cold, warm = self.minted(lambda: self.sb.run("ks", "--format=export"))
        self.assertEqual(cold.returncode, 0, cold.stderr)
        self.assertEqual(cold.stdout, warm.stdout)
        self.assertTrue(all(ln.startswith("export KALTURA_")
                            for ln in cold.stdout.decode().splitlines()))
        # what a shell reads from it
        script = ('eval "$(kaltura-credential ks --format=export)" || exit 9; '
                  'printf "%s|%s|%s|%s" "$KALTURA_KS" "$KALTURA_KS_EXPIRY" '
                  '"$KALTURA_PARTNER_ID" "$KALTURA_SERVICE_URL"')
        p = subprocess.run(["sh", "-c", script], capture_output=True, env=self.sb.env, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        ks2, expiry, partner, url = p.stdout.decode().split("|")
        self.assertTrue(validate(ks2)[0])
        self.assertEqual(int(expiry), validate(ks2)[1]["expiry"])
        self.assertEqual((partner, url), (emu_partner(), emu_url()))

    def test_bad_format(self):
        for args in (["--format=xml"], ["--format"], ["--format=JSON"], ["extra"]):
            with self.subTest(args=args):
                self.assertFails(self.sb.run("ks", *args), 2, "ks:")

    # ---- exec

    def test_exec_sets_the_variables_for_cmd_only(self):
        cold, warm = self.minted(lambda: self.probe("exec", input=b"to cmd"))
        outs = []
        for p in (cold, warm):
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stderr, b"")
            outs.append(json.loads(p.stdout))
        self.assertEqual(outs[0]["env"], outs[1]["env"], "hit and miss give CMD the same")
        for o in outs:  # valgrind's own variables (the valgrind lane) are not ours to compare
            for k in [k for k in o["allenv"] if WRAP and (k.startswith("VALGRIND_") or
                                                          k == "LD_PRELOAD")]:
                del o["allenv"][k]
        self.assertEqual(outs[0]["allenv"], outs[1]["allenv"], "the whole environment too")
        env = outs[0]["env"]
        self.assertEqual(sorted(env), ["KALTURA_KS", "KALTURA_KS_EXPIRY", "KALTURA_PARTNER_ID",
                                       "KALTURA_SERVICE_URL"])
        ok, info = validate(env["KALTURA_KS"])
        self.assertTrue(ok, info)
        self.assertEqual(int(env["KALTURA_KS_EXPIRY"]), info["expiry"])
        self.assertEqual(env["KALTURA_PARTNER_ID"], emu_partner())
        self.assertEqual(env["KALTURA_SERVICE_URL"], emu_url())
        for o in outs:
            self.assertEqual(o["argv"], ["-c", "x y"], "CMD's argv is exactly its own")
            self.assertNotIn(env["KALTURA_KS"], json.dumps(o["argv"]))
            self.assertEqual(o["stdin"], "to cmd", "stdin is CMD's, on either path")
            self.assertEqual(o["fds"], [0, 1, 2, 3], "no fd of ours reaches CMD (3: listdir's)")
        mine = os.umask(0)
        os.umask(mine)
        self.assertEqual([o["umask"] for o in outs], [mine, mine], "CMD gets the caller's umask")

    def test_exec_signal_state_is_the_callers(self):
        # Libraries the minter loads change signal dispositions (GIO ignores SIGPIPE), and an
        # ignored signal survives execve: CMD must get what the caller gave, on either path.
        probe = ["exec", "--", "grep", "-E", "^Sig(Ign|Blk):", "/proc/self/status"]
        cold, warm = self.minted(lambda: self.sb.run(*probe))
        for p in (cold, warm):
            self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(cold.stdout, warm.stdout, "miss (minter) and hit (frontend) agree")
        ign = int(dict(ln.split(":") for ln in cold.stdout.decode().splitlines())["SigIgn"], 16)
        self.assertEqual(ign & (1 << (13 - 1)), 0, "SIGPIPE (13) is not ignored")

    def test_exec_env_name_and_stale_values(self):
        env = {"KALTURA_KS_EXPIRY": "1", "KALTURA_SERVICE_URL": "https://stale.example"}
        p = self.probe("exec", "--env", "MY_KS", env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        got = json.loads(p.stdout)["env"]
        self.assertTrue(validate(got["MY_KS"])[0])
        self.assertNotIn("KALTURA_KS", got)
        self.assertEqual(got["KALTURA_SERVICE_URL"], emu_url(), "replaced, not inherited")
        self.assertNotEqual(got["KALTURA_KS_EXPIRY"], "1")

    def test_exec_exit_status_passes_through(self):
        for path in ("miss", "hit"):
            with self.subTest(path=path):
                if path == "miss":
                    self.forget()
                p = self.probe("exec", env={"PROBE_EXIT": "42"})
                self.assertEqual(p.returncode, 42, p.stderr)
                self.assertEqual(p.stderr, b"")

    def test_exec_refuses_without_a_ks(self):
        marker = os.path.join(self.sb.dir, "ran")
        cmd = ["--", "sh", "-c", f"touch {shlex.quote(marker)}"]
        p = self.sb.run("logout")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFails(self.sb.run("exec", *cmd), 6, "login")
        self.assertFalse(os.path.exists(marker), "CMD not started")
        self.assertFails(self.sb.run("--profile", "nosuch", "exec", *cmd), 5, "nosuch")
        self.assertFalse(os.path.exists(marker))

    def test_exec_cmd_missing_or_not_executable(self):
        noexec = os.path.join(self.sb.dir, "noexec")
        with open(noexec, "w") as f:
            f.write("#!/bin/sh\n")
        os.chmod(noexec, 0o644)
        for path in ("miss", "hit"):
            with self.subTest(path=path):
                if path == "miss":
                    self.forget()
                self.assertFails(self.sb.run("exec", "--", "kc-no-such-command"), 127,
                                 "kc-no-such-command: command not found")
                if path == "miss":
                    self.forget()
                self.assertFails(self.sb.run("exec", "--", noexec), 126, "cannot run",
                                 "Permission denied")

    def test_exec_usage_errors(self):
        for args, words in ((["sh"], ["before '--'"]), (["--"], ["no command"]), ([], ["no command"]),
                            (["--env", "1X", "--", "true"], ["--env"]),
                            (["--frob", "--", "true"], ["--frob"])):
            with self.subTest(args=args):
                self.assertFails(self.sb.run("exec", *args), 2, *words)

    def test_exec_profile_option_and_variable(self):
        tid2, tok2 = self.logged_in(profile="second")
        ks_of = lambda p: json.loads(p.stdout)["env"]["KALTURA_KS"]  # noqa: E731
        cases = [
            (["exec", "--profile", "second"], {}, tid2),
            (["--profile", "second", "exec"], {}, tid2),
            (["exec"], {"KALTURA_CREDENTIAL_PROFILE": "second"}, tid2),
            (["--profile", "default", "exec"], {"KALTURA_CREDENTIAL_PROFILE": "second"}, self.tid),
            (["--profile", "second", "exec", "--profile", "default"], {}, self.tid),
        ]
        for args, env, want in cases:
            with self.subTest(args=args, env=env):
                p = self.probe(*args, env=env)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn(f"apptoken:{want}", validate(ks_of(p))[1]["privileges"])

    def test_profile_variable(self):
        tid2, _ = self.logged_in(profile="second")
        env = {"KALTURA_CREDENTIAL_PROFILE": "second"}
        cold, warm = self.minted(lambda: self.sb.run("ks", env=env), env)
        self.assertEqual(cold.stdout, warm.stdout, "the frontend keys its hit on the variable")
        self.assertIn(f"apptoken:{tid2}", validate(cold.stdout.decode().strip())[1]["privileges"])
        p = self.sb.run("--profile", "default", "ks", env=env)
        self.assertIn(f"apptoken:{self.tid}", validate(p.stdout.decode().strip())[1]["privileges"],
                      "--profile wins")
        p = self.sb.run("status", env=env)
        self.assertIn(b"profile 'second'", p.stdout)
        self.assertNotIn(b"profile 'default'", p.stdout)
        self.assertFails(self.sb.run("ks", env={"KALTURA_CREDENTIAL_PROFILE": "nosuch"}), 5,
                         "nosuch")
        # a get for the host of a profile the variable does not name: like --profile, nothing
        # (both profiles serve the emulator's host here, so the named one answers)
        p = self.sb.run("get", input=b"protocol=https\nhost=%s\n\n" % emu_host().encode(), env=env)
        self.assertKs(p, tid2)

    def test_exec_cache_false(self):
        self.sb.write_config(self.sb.profile_config("default", self.tid, cache="false"))
        emu("reset-stats")
        p = self.probe("exec")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(validate(json.loads(p.stdout)["env"]["KALTURA_KS"])[0])
        self.assertEqual(stats()["requests"].get("apptoken.startsession"), 1)


if __name__ == "__main__":
    taptest.main()
