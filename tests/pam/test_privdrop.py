"""As root: pam_kaltura.so runs the helper as the user, for good (doc/pam.md "What happens at open_session").

A throwaway user (useradd -m, with one supplementary group) is created and removed again
(userdel -r), even on failure. A recording fake helper shows what the helper really gets:
uid, gid, supplementary groups, capabilities, cwd and the exact environment it was exec'd
with. Needs root; reports SKIP only when not run as root (CI runs as root).
"""
import os
import pwd
import grp
import secrets
import shutil
import subprocess
import tempfile
import unittest

import taptest
import pamtest_common as pc

MARKER = "KC_PAM_ROOT_ONLY_MARKER"


@unittest.skipUnless(os.geteuid() == 0, "needs root (useradd, a real uid switch)")
class PrivDropTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        tag = secrets.token_hex(3)
        cls.user, cls.group = f"kcpam{tag}", f"kcpamg{tag}"
        cls.base = tempfile.mkdtemp(prefix="kc-pam-priv-")
        try:
            subprocess.run(["groupadd", cls.group], check=True)
            subprocess.run(["useradd", "-m", "-s", "/bin/sh", "-G", cls.group, cls.user],
                           check=True)
            cls.pw = pwd.getpwnam(cls.user)
            cls.extra_gid = grp.getgrnam(cls.group).gr_gid
            # The helper: root-owned 0755 in a root-owned 0755 dir the user can traverse.
            os.chmod(cls.base, 0o755)
            cls.helper = os.path.join(cls.base, "ok.sh")
            shutil.copy(os.path.join(pc.HELPERS, "ok.sh"), cls.helper)
            os.chmod(cls.helper, 0o755)
            # Service files naming that helper (generated here: it lives in a temp dir).
            cls.services = os.path.join(cls.base, "services")
            os.mkdir(cls.services)
            # A copy of it below a directory the user owns: everything else root's.
            foreign = os.path.join(cls.base, "users", "inner")
            os.makedirs(foreign)
            os.chmod(os.path.dirname(foreign), 0o755)
            os.chown(os.path.dirname(foreign), cls.pw.pw_uid, cls.pw.pw_gid)
            os.chmod(foreign, 0o755)
            cls.foreign_helper = os.path.join(foreign, "ok.sh")
            shutil.copy(cls.helper, cls.foreign_helper)
            os.chmod(cls.foreign_helper, 0o755)
            for name, args in {"priv": "debug", "priv_revoke": "debug revoke",
                               "priv_minuid": f"debug minimum_uid={cls.pw.pw_uid + 1}"}.items():
                with open(os.path.join(cls.services, name), "w") as f:
                    f.write(f"session required {pc.MODULE} {args} helper={cls.helper}\n")
            with open(os.path.join(cls.services, "priv_foreign_ancestor"), "w") as f:
                f.write(f"session required {pc.MODULE} debug helper={cls.foreign_helper}\n")
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["userdel", "-r", cls.user], capture_output=True)
        subprocess.run(["groupdel", cls.group], capture_output=True)
        shutil.rmtree(cls.base, ignore_errors=True)
        pc.cleanup_pam_wrapper_dirs()

    def setUp(self):
        pc.check_environment(self)
        # The user's runtime dir, as pam_systemd would have made it: owned by the user, 0700.
        self.run_dir = tempfile.mkdtemp(prefix="kc-pam-run-")
        os.chown(self.run_dir, self.pw.pw_uid, self.pw.pw_gid)

    def tearDown(self):
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def run_pam(self, service, *ops):
        return pc.run(service, self.user, ops, putenv=[f"XDG_RUNTIME_DIR={self.run_dir}"],
                      services=self.services,
                      extra_env={MARKER: "root-secret", "HOME": "/root", "USER": "root"})

    def record(self, name):
        with open(os.path.join(self.run_dir, name)) as f:
            return f.read()

    def assert_runs_as_user(self, command):
        uid, gid, groups, cwd, capeff = self.record(f"id-{command}").splitlines()
        self.assertEqual(int(uid), self.pw.pw_uid)
        self.assertEqual(int(gid), self.pw.pw_gid)
        self.assertEqual(sorted(int(g) for g in groups.split()),
                         sorted({self.pw.pw_gid, self.extra_gid}))
        self.assertEqual(cwd, self.pw.pw_dir)
        self.assertEqual(capeff.split()[1], "0000000000000000")
        # Real, effective, saved and file-system ids: all the user's.
        ids = dict(l.split(":", 1) for l in self.record(f"ids-{command}").splitlines())
        self.assertEqual(ids["Uid"].split(), [str(self.pw.pw_uid)] * 4)
        self.assertEqual(ids["Gid"].split(), [str(self.pw.pw_gid)] * 4)
        env = dict(l.split("=", 1) for l in self.record(f"env-{command}").splitlines())
        self.assertEqual(env, {
            "HOME": self.pw.pw_dir, "USER": self.user, "LOGNAME": self.user,
            "PATH": "/usr/local/bin:/usr/bin:/bin", "XDG_RUNTIME_DIR": self.run_dir,
            "DBUS_SESSION_BUS_ADDRESS": f"unix:path={self.run_dir}/bus",
        })
        self.assertNotIn(MARKER, self.record(f"env-{command}"))

    def test_helper_runs_as_the_user_only(self):
        r = self.run_pam("priv", "open", "env")
        self.assertEqual(r.results[0], ("open", "SUCCESS"), msg=r.log)
        self.assertIn("KALTURA_KS", r.envs[0])
        self.assert_runs_as_user("get")
        # The helper's files belong to the user, not to root.
        self.assertEqual(os.stat(os.path.join(self.run_dir, "id-get")).st_uid, self.pw.pw_uid)

    def test_revoke_runs_as_the_user(self):
        r = self.run_pam("priv_revoke", "open", "close")
        self.assertEqual(r.results, [("open", "SUCCESS"), ("close", "SUCCESS")], msg=r.log)
        self.assert_runs_as_user("revoke")

    def test_helper_below_a_users_directory_refused(self):
        """Every directory above the helper counts, not only its own: one the user owns
        (two levels up) lets the user swap what the module would run as root's child."""
        r = self.run_pam("priv_foreign_ancestor", "open=SESSION_ERR")
        self.assertEqual(r.results[0], ("open", "SESSION_ERR"), msg=r.log)
        self.assertIn("users is not a directory owned by root", r.log)
        self.assertFalse(os.path.exists(os.path.join(self.run_dir, "count-get")))

    def test_below_minimum_uid_runs_nothing(self):
        r = self.run_pam("priv_minuid", "open=IGNORE")
        self.assertEqual(r.module_exits(), ["ignore"], msg=r.log)
        self.assertFalse(os.path.exists(os.path.join(self.run_dir, "count-get")))


if __name__ == "__main__":
    taptest.main()
