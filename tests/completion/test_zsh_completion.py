"""The zsh completion, run by zsh's own completion system in an interactive shell.

argv[1] is the built _kaltura-credential. An interactive `zsh -i` runs in a pseudo-terminal
with a private ZDOTDIR whose .zshrc puts the file's directory on $fpath, runs compinit, wraps
compadd so that every match offered is also written to a file, and binds ^T to a widget that
runs complete-word and then writes a marker. Each case types a line, ^T, waits for the
marker, reads the matches, and clears the line with ^U. Profile names come from config files
written here.
"""
import os
import pty
import select
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import taptest

COMPLETION = os.path.abspath(sys.argv[1])
SCALE = float(os.environ.get("KC_TEST_TIMEOUT_SCALE", "1"))

ZSHRC = r"""
PS1='> '
LISTMAX=10000
unsetopt BEEP
fpath=($KC_COMPDIR $fpath)
autoload -U compinit && compinit -u -D
compadd() {
  if (( ${@[(I)-[OAD]*]} )); then builtin compadd "$@"; return; fi
  local -a __hits
  builtin compadd -A __hits "$@"
  (( $#__hits )) && print -rl -- $__hits >> $KC_HITS
  builtin compadd "$@"
}
_kc_test_complete() { zle complete-word; print -r -- done > $KC_DONE }
zle -N _kc_test_complete
bindkey '^T' _kc_test_complete
print -r -- ready > $KC_DONE
"""


class ZshCompletionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="kc-zshcomp-")
        t = cls.tmp
        for d in ("zdot", "comp", "xdg/kaltura", "home", "bin"):
            os.makedirs(f"{t}/{d}")
        with open(f"{t}/bin/kc-completion-probe", "w") as f:
            f.write("#!/bin/sh\n")
        os.chmod(f"{t}/bin/kc-completion-probe", 0o755)
        shutil.copy(COMPLETION, f"{t}/comp/_kaltura-credential")
        with open(f"{t}/zdot/.zshenv", "w") as f:
            f.write("unsetopt GLOBAL_RCS\n")  # no /etc/zsh/zshrc: only our setup
        with open(f"{t}/zdot/.zshrc", "w") as f:
            f.write(ZSHRC)
        with open(f"{t}/xdg/kaltura/credential.conf", "w") as f:
            f.write("# comment\n[default]\npartner_id = 1\n\n  [work.prod]  \n[staging-2]\n"
                    "[bad name]\n")
        with open(f"{t}/home/other.conf", "w") as f:
            f.write("[alpha]\n[beta_1]\n")
        cls.hits, cls.done = f"{t}/hits", f"{t}/done"
        env = {"PATH": f"{t}/bin:" + os.environ.get("PATH", "/usr/bin:/bin"), "HOME": f"{t}/home",
               "ZDOTDIR": f"{t}/zdot", "KC_COMPDIR": f"{t}/comp", "KC_HITS": cls.hits,
               "KC_DONE": cls.done, "XDG_CONFIG_HOME": f"{t}/xdg", "TERM": "dumb",
               "LC_ALL": "C"}
        cls.master, slave = pty.openpty()
        cls.zsh = subprocess.Popen([os.environ["KC_ZSH"], "-i"], stdin=slave, stdout=slave,
                                   stderr=slave, env=env, start_new_session=True)
        os.close(slave)
        cls.wait_for("ready")

    @classmethod
    def tearDownClass(cls):
        try:
            os.write(cls.master, b"\x15exit\n")
            cls.zsh.wait(timeout=10 * SCALE)
        except (OSError, subprocess.TimeoutExpired):
            cls.zsh.kill()
            cls.zsh.wait()
        os.close(cls.master)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def wait_for(cls, marker):
        """Drains the terminal until the marker file says `marker` (a generous bound)."""
        deadline = time.monotonic() + 20 * SCALE
        seen = b""
        while time.monotonic() < deadline:
            try:
                with open(cls.done) as f:
                    if f.read().strip() == marker:
                        return
            except FileNotFoundError:
                pass
            r, _, _ = select.select([cls.master], [], [], 0.05)
            if r:
                try:
                    seen += os.read(cls.master, 65536)
                except OSError:
                    break
        raise AssertionError(f"zsh did not get to {marker!r}; terminal: {seen[-2000:]!r}")

    def complete(self, line):
        """The matches zsh offers for `line` with the cursor at its end."""
        if os.path.exists(self.done):
            os.unlink(self.done)
        open(self.hits, "w").close()
        os.write(self.master, line.encode() + b"\x14")
        self.wait_for("done")
        os.write(self.master, b"\x15")
        with open(self.hits) as f:
            return sorted(set(f.read().split()))

    def test_commands(self):
        self.assertEqual(self.complete("kaltura-credential "),
                         ["capability", "doctor", "erase", "exec", "get", "ks", "login",
                          "logout", "revoke", "setup-git", "status", "store"])
        self.assertEqual(self.complete("kaltura-credential lo"), ["login", "logout"])

    def test_global_options(self):
        self.assertEqual(self.complete("kaltura-credential -"),
                         ["--config", "--help", "--profile", "--verbose", "--version", "-h",
                          "-v"])

    def test_login_options(self):
        self.assertEqual(self.complete("kaltura-credential login -"),
                         ["--app-token-id", "--ca-file", "--expiry", "--hash", "--no-verify",
                          "--partner-id", "--privileges", "--proxy", "--service-url",
                          "--session-type", "--user-id"])
        self.assertEqual(self.complete("kaltura-credential get "), [])

    def test_ks_and_exec(self):
        self.assertEqual(self.complete("kaltura-credential ks --format="),
                         ["bare", "env", "export", "json"])
        self.assertEqual(self.complete("kaltura-credential exec -"), ["--", "--env", "--profile"])
        self.assertEqual(self.complete("kaltura-credential status -"), ["--json"])
        self.assertEqual(self.complete("kaltura-credential setup-git -"),
                         ["--profile", "--unset"])
        self.assertEqual(self.complete("kaltura-credential exec --profile=st"), ["staging-2"])
        self.assertIn("kc-completion-probe",
                      self.complete("kaltura-credential exec -- kc-completion-pr"))

    def test_hash_functions(self):
        want = ["md5", "sha1", "sha256", "sha512"]
        self.assertEqual(self.complete("kaltura-credential login --hash "), want)
        self.assertEqual(self.complete("kaltura-credential login --hash="), want)
        self.assertEqual(self.complete("kaltura-credential login --session-type "),
                         ["admin", "user"])

    def test_profiles(self):
        got = self.complete("kaltura-credential --profile ")
        self.assertTrue({"default", "staging-2", "work.prod"} <= set(got), got)
        self.assertNotIn("name", got)
        self.assertEqual(self.complete("kaltura-credential --profile=st"), ["staging-2"])
        self.assertEqual(
            self.complete("kaltura-credential --config ~/other.conf --profile "),
            ["alpha", "beta_1"])
        self.assertEqual(
            self.complete(f"kaltura-credential --config={self.tmp}/home/other.conf --profile="),
            ["alpha", "beta_1"])

    def test_system_file_path(self):
        text = open(COMPLETION).read()
        self.assertIn(f"{os.environ['KC_SYSCONFDIR']}/kaltura/credential.conf", text)


if __name__ == "__main__":
    sys.argv[1:] = []
    taptest.main()
