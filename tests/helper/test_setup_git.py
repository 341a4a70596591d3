"""`setup-git` with a real git, a temporary HOME (git config --global writes there), the emulator
and a private gnome-keyring (tests/lib/with-keyring.sh). The point of the empty helper line: a
global `credential.helper store` must never receive a KS (~/.git-credentials stays empty
after `git credential fill` and `approve`), while the same setup without it leaks the KS."""
import os
import shutil
import subprocess

import taptest
from kchelper import (FRONTEND, WRAP, HelperTest, emu_url, scaled, validate,
                      wrapped)

GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1"}


class SetupGit(HelperTest):
    backend = "service"

    def setUp(self):
        super().setUp()
        self.tid, tok = self.logged_in()
        self.key = f"credential.{emu_url()}.helper"
        self.store = os.path.join(self.sb.home, ".git-credentials")

    def git(self, *args, input=b"", env=None):
        e = dict(self.sb.env, **GIT_ENV)
        e.update(env or {})
        return subprocess.run(["git", *args], input=input, capture_output=True, env=e,
                              timeout=scaled(60))

    def setup_git(self, *args, env=None):
        return self.sb.run(*args, env=dict(GIT_ENV, **(env or {})))

    def helpers(self):
        p = self.git("config", "--global", "--get-all", self.key)
        return p.stdout.decode().splitlines() if p.returncode == 0 else None

    def fill_and_approve(self):
        """git credential fill for the emulator's URL, then approve what it got (git runs
        every helper's `store` with it). Returns the KS."""
        p = self.git("credential", "fill", input=f"url={emu_url()}\n\n".encode())
        self.assertEqual(p.returncode, 0, p.stderr)
        ks = dict(ln.split("=", 1) for ln in p.stdout.decode().splitlines())["password"]
        self.assertTrue(validate(ks)[0])
        q = self.git("credential", "approve", input=p.stdout + b"\n")
        self.assertEqual(q.returncode, 0, q.stderr)
        return ks

    def stored(self):
        if not os.path.exists(self.store):
            return ""
        with open(self.store) as f:
            return f.read()

    def test_without_the_reset_store_gets_the_ks(self):
        # The control: what setup-git prevents. A plain URL-scoped `kaltura` after a global
        # `store`: git asks store too, and approve writes the KS to ~/.git-credentials.
        self.git("config", "--global", "credential.helper", "store")
        self.git("config", "--global", "--add", self.key, "kaltura")
        ks = self.fill_and_approve()
        self.assertIn(ks, self.stored())

    def test_store_never_gets_the_ks(self):
        self.git("config", "--global", "credential.helper", "store")
        p = self.setup_git("setup-git")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, b"")
        self.assertIn(self.key.encode(), p.stdout)
        self.assertEqual(self.helpers(), ["", "kaltura --profile default"])
        self.fill_and_approve()
        self.assertEqual(self.stored(), "", "store received nothing")
        # twice: the same two lines, not four
        p = self.setup_git("setup-git")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.helpers(), ["", "kaltura --profile default"])
        # other hosts keep the global helper
        p = self.git("config", "--global", "--get-urlmatch", "credential.helper",
                     "https://github.com")
        self.assertEqual(p.stdout.strip(), b"store")

    def test_unset(self):
        p = self.setup_git("setup-git")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.setup_git("setup-git", "--unset")
        self.assertEqual((p.returncode, p.stderr), (0, b""))
        self.assertIn(b"removed", p.stdout)
        self.assertIsNone(self.helpers())
        p = self.setup_git("setup-git", "--unset")
        self.assertEqual((p.returncode, p.stderr), (0, b""))
        self.assertIn(b"nothing to remove", p.stdout)

    def test_profile_and_config(self):
        tid2, tok2 = self.logged_in(profile="second")
        for args, env in ((["setup-git", "--profile", "second"], {}),
                          (["setup-git", "--profile=second"], {}),
                          (["--profile", "second", "setup-git"], {}),
                          (["setup-git"], {"KALTURA_CREDENTIAL_PROFILE": "second"})):
            with self.subTest(args=args, env=env):
                p = self.setup_git(*args, env=env)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(self.helpers(), ["", "kaltura --profile second"])
        # git's KS comes from that profile, even with another one in git's environment
        p = self.git("credential", "fill", input=f"url={emu_url()}\n\n".encode(),
                     env={"KALTURA_CREDENTIAL_PROFILE": "default"})
        ks = dict(ln.split("=", 1) for ln in p.stdout.decode().splitlines())["password"]
        self.assertIn(f"apptoken:{tid2}", validate(ks)[1]["privileges"])
        # --config: named in the helper line, quoted for git's shell, absolute
        conf = os.path.join(self.sb.dir, "my dir", "kc.conf")
        os.makedirs(os.path.dirname(conf))
        with open(self.sb.config) as f, open(conf, "w") as g:
            g.write(f.read())
        p = subprocess.run(wrapped([FRONTEND, "--config", "my dir/kc.conf", "setup-git"]),
                           cwd=self.sb.dir, capture_output=True, env=dict(self.sb.env, **GIT_ENV),
                           timeout=scaled(60))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.helpers(), ["", f"kaltura --config '{conf}' --profile default"],
                         "a relative --config is written as an absolute path")
        self.fill_and_approve()
        self.assertEqual(self.stored(), "")

    def test_warns_about_a_helper_configured_after(self):
        p = self.setup_git("setup-git")
        self.assertEqual(p.returncode, 0, p.stderr)
        # a [credential] section created now lands after ours in ~/.gitconfig
        self.git("config", "--global", "credential.helper", "store")
        p = self.setup_git("setup-git")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stderr, rb"^kaltura-credential: warning: setup-git: git also asks "
                                   rb"the helper 'store' .*gitconfig.*\n$")

    def test_errors(self):
        self.assertFails(self.setup_git("setup-git", "--frob"), 2, "--frob")
        self.assertFails(self.setup_git("setup-git", "--profile"), 2)
        self.assertFails(self.setup_git("setup-git", "--profile="), 2, "needs a profile name")
        self.assertFails(self.setup_git("setup-git", "--profiles"), 2, "--profiles")
        self.assertFails(self.setup_git("setup-git", "--profile", "nosuch"), 5, "nosuch")
        self.assertIsNone(self.helpers(), "nothing written")
        nogit = os.path.join(self.sb.dir, "nogit")
        os.makedirs(nogit)
        if WRAP:  # the wrapper itself must still be found
            with open(os.path.join(nogit, os.path.basename(WRAP[0])), "w") as f:
                f.write(f'#!/bin/sh\nexec {shutil.which(WRAP[0])} "$@"\n')
            os.chmod(os.path.join(nogit, os.path.basename(WRAP[0])), 0o755)
        self.assertFails(self.setup_git("setup-git", env={"PATH": nogit}), 1, "cannot run git")


if __name__ == "__main__":
    taptest.main()
