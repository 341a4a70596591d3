"""The bash completion, loaded the way bash-completion loads it.

argv[1] is the built completion file. It is put where bash-completion's loader looks
(BASH_COMPLETION_USER_DIR/completions/kaltura-credential), bash_completion is sourced, and
then each case sets COMP_WORDS/COMP_CWORD/COMP_LINE/COMP_POINT as bash does for that line,
calls the function `complete -p` names, and compares COMPREPLY with what it must offer.
Profile names come from config files written here.
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile
import unittest

import taptest

COMPLETION = os.path.abspath(sys.argv[1])
COMMANDS = ["capability", "doctor", "erase", "exec", "get", "ks", "login", "logout", "revoke",
            "setup-git", "status", "store"]
GLOBAL_OPTS = ["--config", "--help", "--profile", "--verbose", "--version", "-h", "-v"]
LOGIN_OPTS = ["--app-token-id", "--ca-file", "--expiry", "--hash", "--no-verify",
              "--partner-id", "--privileges", "--proxy", "--service-url", "--session-type",
              "--user-id"]


class BashCompletionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="kc-bashcomp-")
        t = cls.tmp.name
        os.makedirs(f"{t}/user/completions")
        os.symlink(COMPLETION, f"{t}/user/completions/kaltura-credential")
        os.makedirs(f"{t}/xdg/kaltura")
        with open(f"{t}/xdg/kaltura/credential.conf", "w") as f:
            f.write("# comment\n[default]\npartner_id = 1\n\n  [work.prod]  \nkey = v\n"
                    "[staging-2]\n[bad name]\n")
        with open(f"{t}/other.conf", "w") as f:
            f.write("[alpha]\n[beta_1]\n")
        os.makedirs(f"{t}/home")
        cls.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": f"{t}/home",
                   "XDG_CONFIG_HOME": f"{t}/xdg", "BASH_COMPLETION_USER_DIR": f"{t}/user",
                   "LC_ALL": "C"}
        os.makedirs(f"{t}/bin")
        for name in ("kc-completion-probe", "kaltura-credential"):
            with open(f"{t}/bin/{name}", "w") as f:
                f.write("#!/bin/sh\n")
            os.chmod(f"{t}/bin/{name}", 0o755)
        cls.path_env = dict(cls.env, PATH=f"{t}/bin:" + cls.env["PATH"])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def bash(self, script, env=None):
        prologue = (f"source {shlex.quote(os.environ['KC_BASH_COMPLETION'])} || exit 90\n"
                    "_completion_loader kaltura-credential\n")
        r = subprocess.run([os.environ["KC_BASH"], "--norc", "--noprofile", "-c",
                            prologue + script], capture_output=True, text=True,
                           env=env or self.env, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def complete(self, line, env=None):
        """COMPREPLY for `line` with the cursor at its end. COMP_WORDS is split as bash
        splits it: at blanks, and '=' (in COMP_WORDBREAKS) is a word of its own."""
        words = []
        for token in line.split(" "):
            words.extend(p for p in re.split(r"(=)", token) if p)
        if line.endswith(" "):
            words.append("")
        script = (f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})\n"
                  f"COMP_CWORD={len(words) - 1}\n"
                  f"COMP_LINE={shlex.quote(line)}\nCOMP_POINT=${{#COMP_LINE}}\n"
                  "fn=$(complete -p kaltura-credential | sed -n 's/.*-F \\([^ ]*\\) .*/\\1/p')\n"
                  f"\"$fn\" kaltura-credential {shlex.quote(words[-1])} "
                  f"{shlex.quote(words[-2])}\n"
                  "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
        return sorted(x for x in self.bash(script, env).split("\n") if x)

    def test_complete_p_after_the_loader(self):
        out = self.bash("complete -p kaltura-credential\n")
        self.assertEqual(out.strip(), "complete -F _kaltura_credential kaltura-credential")

    def test_commands(self):
        self.assertEqual(self.complete("kaltura-credential "), COMMANDS)
        self.assertEqual(self.complete("kaltura-credential lo"), ["login", "logout"])
        self.assertEqual(self.complete("kaltura-credential --profile x st"),
                         ["status", "store"])

    def test_global_options(self):
        self.assertEqual(self.complete("kaltura-credential -"), GLOBAL_OPTS)
        self.assertEqual(self.complete("kaltura-credential --pro"), ["--profile"])

    def test_login_options(self):
        self.assertEqual(self.complete("kaltura-credential login -"), LOGIN_OPTS)
        self.assertEqual(self.complete("kaltura-credential login --h"), ["--hash"])
        # other commands take no options
        self.assertEqual(self.complete("kaltura-credential get -"), [])

    def test_ks_formats(self):
        self.assertEqual(self.complete("kaltura-credential ks -"), ["--format"])
        self.assertEqual(self.complete("kaltura-credential status -"), ["--json"])
        self.assertEqual(self.complete("kaltura-credential setup-git -"),
                         ["--profile", "--unset"])
        self.assertEqual(self.complete("kaltura-credential ks --format "),
                         ["bare", "env", "export", "json"])
        self.assertEqual(self.complete("kaltura-credential ks --format=j"), ["json"])

    def test_exec(self):
        self.assertEqual(self.complete("kaltura-credential exec -"), ["--", "--env", "--profile"])
        self.assertEqual(self.complete("kaltura-credential exec --profile st"), ["staging-2"])
        # after exec's --, a command from PATH, then that command's own completion
        self.assertIn("kc-completion-probe",
                      self.complete("kaltura-credential exec -- kc-completion-pr", self.path_env))
        self.assertIn("ks", self.complete("kaltura-credential exec --env X -- kaltura-credential "
                                          "k", self.path_env))

    def test_hash_functions(self):
        want = ["md5", "sha1", "sha256", "sha512"]
        self.assertEqual(self.complete("kaltura-credential login --hash "), want)
        self.assertEqual(self.complete("kaltura-credential login --hash sha5"),
                         ["sha512"])
        self.assertEqual(self.complete("kaltura-credential login --hash="),
                         want)

    def test_session_types(self):
        self.assertEqual(self.complete("kaltura-credential login --session-type "),
                         ["admin", "user"])

    def test_profiles_from_the_user_file(self):
        got = self.complete("kaltura-credential --profile ")
        # The system file may add names on this machine; the user file's must all be there.
        self.assertTrue({"default", "staging-2", "work.prod"} <= set(got), got)
        self.assertNotIn("bad name", got)
        self.assertEqual(self.complete("kaltura-credential --profile st"),
                         ["staging-2"])
        self.assertEqual(self.complete("kaltura-credential --profile=st"), ["staging-2"])

    def test_profiles_from_config_option_and_environment(self):
        other = f"{self.tmp.name}/other.conf"
        self.assertEqual(
            self.complete(f"kaltura-credential --config {other} --profile "),
            ["alpha", "beta_1"])
        self.assertEqual(
            self.complete(f"kaltura-credential --config={other} --profile="),
            ["alpha", "beta_1"])
        env = dict(self.env, KALTURA_CREDENTIAL_CONFIG=other)
        self.assertEqual(self.complete("kaltura-credential --profile ", env),
                         ["alpha", "beta_1"])

    def test_profiles_read_at_completion_time(self):
        other = f"{self.tmp.name}/later.conf"
        env = dict(self.env, KALTURA_CREDENTIAL_CONFIG=other)
        self.assertEqual(self.complete("kaltura-credential --profile ", env), [])
        with open(other, "w") as f:
            f.write("[fresh]\n")
        self.assertEqual(self.complete("kaltura-credential --profile ", env), ["fresh"])

    def test_system_file_path(self):
        text = open(COMPLETION).read()
        self.assertIn(f'"{os.environ["KC_SYSCONFDIR"]}/kaltura/credential.conf"', text)


if __name__ == "__main__":
    sys.argv[1:] = []
    taptest.main()
