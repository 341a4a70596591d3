"""Real `git credential fill` through git-credential-kaltura, configured in a temporary HOME."""
import os
import subprocess

import taptest
from kchelper import GIT_HELPER, HelperTest, emu_host, validate, scaled


class Git(HelperTest):
    def setUp(self):
        super().setUp()
        self.tid, tok = self.logged_in()

    def git(self, *args, input):
        env = dict(self.sb.env, GIT_TERMINAL_PROMPT="0", GIT_CONFIG_NOSYSTEM="1")
        return subprocess.run(["git", *args], input=input, capture_output=True, env=env,
                              timeout=scaled(60))

    def fill(self, host):
        return self.git("credential", "fill", input=f"protocol=https\nhost={host}\n\n".encode())

    def password(self, out):
        d = dict(l.split("=", 1) for l in out.decode().splitlines())
        return d.get("password")

    def test_helper_by_name_in_gitconfig(self):
        # credential.helper = kaltura: git runs git-credential-kaltura from PATH.
        self.git("config", "--global", "credential.helper", "kaltura", input=b"")
        p = self.fill(emu_host())
        self.assertEqual(p.returncode, 0, p.stderr)
        ks = self.password(p.stdout)
        self.assertTrue(ks and validate(ks)[0], p.stdout)
        self.assertIn(f"username={self.tid}".encode(), p.stdout)

    def test_url_scoped_helper_by_path(self):
        self.git("config", "--global", f"credential.https://{emu_host()}.helper", self.sb.wrap_bin(GIT_HELPER),
                 input=b"")
        p = self.fill(emu_host())
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(validate(self.password(p.stdout))[0])

    def test_other_host_falls_through_to_next_helper(self):
        self.git("config", "--global", "credential.helper", "kaltura", input=b"")
        self.git("config", "--global", "--add", "credential.helper",
                 "!f() { echo username=u; echo password=from-next-helper; }; f", input=b"")
        p = self.fill("github.com")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.password(p.stdout), "from-next-helper")
        self.assertEqual(p.stderr, b"")

    def test_approve_and_reject_are_harmless(self):
        self.git("config", "--global", "credential.helper", "kaltura", input=b"")
        p = self.fill(emu_host())
        ks = self.password(p.stdout)
        for action in ("approve", "reject"):
            q = self.git("credential", action, input=p.stdout + b"\n")
            self.assertEqual((q.returncode, q.stdout, q.stderr), (0, b"", b""), action)
        # reject (erase) dropped the cached KS: the next fill mints a new one
        p2 = self.fill(emu_host())
        self.assertNotEqual(self.password(p2.stdout), ks)


if __name__ == "__main__":
    taptest.main()
