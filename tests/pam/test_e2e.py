"""End to end, as root: real helper + Kaltura emulator + the user's own keyring.

Runs inside tests/lib/with-emulator.sh. A throwaway user gets a config, a private unlocked
gnome-keyring (tests/lib/with-keyring.sh, run as that user) and an App Token stored with the
real `kaltura-credential login`. Then root opens a PAM session for the user through
pam_wrapper: pam_kaltura.so runs the real helper as the user, reaching the user's keyring
through the bus address in the PAM environment (as pam_systemd would provide it). The KS it
exports must be one the emulator accepts; close_session with `revoke` must end it.
Needs root (a real uid switch); reports SKIP only when not root.
"""
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
import unittest

import emuclient
import taptest
import pamtest_common as pc

KEYRING_SESSION = r"""
set -eu
printf '%s\n' "$DBUS_SESSION_BUS_ADDRESS" "$XDG_RUNTIME_DIR" > "$SYNC/bus.tmp"
head -n 1 | "$BIN/kaltura-credential" login > "$SYNC/login.log" 2>&1 || {
    echo "login failed: $?" >> "$SYNC/login.log"; exit 1; }
mv "$SYNC/bus.tmp" "$SYNC/ready"
i=0
while [ ! -e "$SYNC/stop" ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
"""


@unittest.skipUnless(os.geteuid() == 0, "needs root (useradd, a real uid switch)")
class EndToEndTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.user = f"kcpame{secrets.token_hex(3)}"
        cls.base = tempfile.mkdtemp(prefix="kc-pam-e2e-")
        cls.session = None
        try:
            cls._set_up()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _set_up(cls):
        cls.emu = emuclient.Emulator.from_env()
        tok = cls.emu.create_token()
        other = cls.emu.create_token()  # configured but never stored: "no token"
        subprocess.run(["useradd", "-m", "-s", "/bin/sh", cls.user], check=True)
        cls.pw = pw = pwd.getpwnam(cls.user)
        home = pw.pw_dir
        os.chmod(cls.base, 0o755)
        # The real helper, root-owned 0755 where the user can run it (the build tree may not
        # be reachable for other users). The frontend finds the minter next to itself.
        cls.bin = os.path.join(cls.base, "bin")
        os.mkdir(cls.bin)
        for src in (os.environ["KC_HELPER_BIN"], os.environ["KC_MINT_BIN"]):
            shutil.copy(src, cls.bin)
        shutil.copy(os.environ["KC_WITH_KEYRING"], cls.bin)
        os.chmod(cls.bin, 0o755)
        helper = os.path.join(cls.bin, "kaltura-credential")
        # The user's configuration: non-secret keys only.
        conf_dir = os.path.join(home, ".config", "kaltura")
        os.makedirs(conf_dir)
        shutil.copy(os.environ["KC_EMU_CA"], os.path.join(home, "emulator-ca.pem"))
        common = (f"service_url = {os.environ['KC_EMU_URL']}\n"
                  f"partner_id = {os.environ['KC_EMU_PARTNER']}\n"
                  f"ca_file = {home}/emulator-ca.pem\n")
        with open(os.path.join(conf_dir, "credential.conf"), "w") as f:
            f.write(f"[default]\n{common}app_token_id = {tok['id']}\n\n"
                    f"[notoken]\n{common}app_token_id = {other['id']}\n")
        subprocess.run(["chown", "-R", f"{cls.user}:", home], check=True)
        # Service files naming the copied helper.
        cls.services = os.path.join(cls.base, "services")
        os.mkdir(cls.services)
        for name, args in {"e2e": "revoke", "e2e_env": "env=MY_KS",
                           "e2e_noprofile": "profile=nosuch",
                           "e2e_notoken": "profile=notoken"}.items():
            with open(os.path.join(cls.services, name), "w") as f:
                f.write(f"session required {pc.MODULE} debug timeout=60 {args} "
                        f"helper={helper}\n")
        # The user's desktop session: private bus + unlocked keyring, token stored by login.
        cls.sync = os.path.join(cls.base, "sync")
        os.mkdir(cls.sync)
        os.chown(cls.sync, pw.pw_uid, pw.pw_gid)
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "USER": cls.user,
               "LOGNAME": cls.user, "KC_KEYRING_KEEP_HOME": home, "SYNC": cls.sync,
               "BIN": cls.bin}
        cls.session = subprocess.Popen(
            ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--init-groups",
             "sh", os.path.join(cls.bin, "with-keyring.sh"), "sh", "-c", KEYRING_SESSION],
            stdin=subprocess.PIPE, env=env, cwd=home, text=True)
        cls.session.stdin.write(tok["token"] + "\n")
        cls.session.stdin.close()
        ready = os.path.join(cls.sync, "ready")
        deadline = time.monotonic() + 90
        while not os.path.exists(ready):
            if cls.session.poll() is not None or time.monotonic() > deadline:
                log = open(os.path.join(cls.sync, "login.log")).read() if os.path.exists(
                    os.path.join(cls.sync, "login.log")) else ""
                raise RuntimeError(f"the user's keyring session did not come up: {log}")
            time.sleep(0.1)
        cls.bus, cls.runtime = open(ready).read().splitlines()[:2]

    @classmethod
    def tearDownClass(cls):
        if cls.session is not None:
            open(os.path.join(cls.sync, "stop"), "w").close()
            try:
                cls.session.wait(timeout=30)
            except subprocess.TimeoutExpired:
                cls.session.kill()
                cls.session.wait()
        subprocess.run(["pkill", "-KILL", "-u", cls.user], capture_output=True)
        subprocess.run(["userdel", "-r", cls.user], capture_output=True)
        shutil.rmtree(cls.base, ignore_errors=True)
        pc.cleanup_pam_wrapper_dirs()

    def setUp(self):
        pc.check_environment(self)

    def run_pam(self, service, *ops):
        return pc.run(service, self.user, ops, services=self.services, timeout=180,
                      putenv=[f"XDG_RUNTIME_DIR={self.runtime}",
                              f"DBUS_SESSION_BUS_ADDRESS={self.bus}"])

    def validate(self, ks):
        return self.emu.control("validate", ks=ks)

    def test_open_exports_valid_ks_and_close_revokes_it(self):
        r = self.run_pam("e2e", "open", "env", "close", "env")
        self.assertEqual([x for x in r.results if x[0] != "env"],
                         [("open", "SUCCESS"), ("close", "SUCCESS")], msg=r.log)
        ks = r.envs[0]["KALTURA_KS"]
        expiry = int(r.envs[0]["KALTURA_KS_EXPIRY"])
        self.assertGreater(expiry, time.time())
        self.assertNotIn(ks, r.log)
        self.assertNotIn("KALTURA_KS", r.envs[1])  # revoked: gone from the env
        # The KS the module exported was ended on the server by close_session.
        res = self.validate(ks)
        self.assertFalse(res["valid"], res)
        self.assertEqual(res["code"], "INVALID_KS", res)
        self.assertIn("LOGOUT", res["message"], res)  # ended, not expired or forged

    def test_open_ks_is_valid_while_session_lasts(self):
        r = self.run_pam("e2e_env", "open", "env")
        self.assertEqual(r.results[0], ("open", "SUCCESS"), msg=r.log)
        ks = r.envs[0]["MY_KS"]
        self.assertNotIn("KALTURA_KS", r.envs[0])
        res = self.validate(ks)
        self.assertTrue(res["valid"], res)
        self.assertEqual(str(res["partnerId"]), os.environ["KC_EMU_PARTNER"])

    def test_not_applicable_is_ignored(self):
        for service in ("e2e_noprofile", "e2e_notoken"):
            with self.subTest(service=service):
                r = self.run_pam(service, "open=IGNORE", "env")
                self.assertEqual(r.module_exits(), ["ignore"], msg=r.log)
                self.assertNotIn("KALTURA_KS", r.envs[0])


if __name__ == "__main__":
    taptest.main()
