"""The full flow against the emulator (libsecret file backend): login, get, ks, cache and widget
reuse, single flight, revoke, status, logout."""
import os
import re
import subprocess
import sys
import time

import taptest
from kchelper import (FRONTEND, MINT, HelperTest, create_token, emu, emu_host, parse_output,
                      scaled, stats, validate, wrapped)

GET = b"protocol=https\nhost=%s\n\n"


class Flow(HelperTest):
    def get(self, *args, **kw):
        return self.sb.run(*args, "get", input=GET % emu_host().encode(), **kw)

    def test_each_hash_type(self):
        for h in ("SHA1", "SHA256", "SHA512", "MD5"):
            with self.subTest(hash=h):
                tid, tok = create_token(h)
                p = self.sb.login(tid, tok, h.lower(), profile="p" + h)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(p.stderr, b"")
                self.assertKs(self.sb.run("--profile", "p" + h, "get", input=b"\n"), tid)

    def test_login_writes_config_and_get_works(self):
        tid, tok = self.logged_in()
        with open(self.sb.config) as f:
            text = f.read()
        self.assertIn(f"app_token_id={tid}", text)
        self.assertNotIn(tok, text)
        self.assertEqual(os.stat(self.sb.config).st_mode & 0o777, 0o600)
        self.assertKs(self.get(), tid)

    def test_ks_command(self):
        tid, tok = create_token()
        self.sb.login(tid, tok)
        p = self.sb.run("ks", input=b"")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.endswith(b"\n") and p.stdout.count(b"\n") == 1)
        self.assertTrue(validate(p.stdout.decode().strip())[0])

    def test_cache_hit_makes_no_request(self):
        tid, tok = create_token()
        self.sb.login(tid, tok)
        ks1 = self.assertKs(self.get(), tid)
        emu("reset-stats")
        ks2 = self.assertKs(self.get(), tid)
        self.assertEqual(ks1, ks2)
        self.assertEqual(stats()["total"], 0)

    def test_widget_ks_reused_after_erase(self):
        tid, tok = create_token()
        self.sb.login(tid, tok)
        ks1 = self.assertKs(self.get(), tid)
        p = self.sb.run("erase", input=GET % emu_host().encode())
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, b"", b""))
        emu("reset-stats")
        ks2 = self.assertKs(self.get(), tid)
        self.assertNotEqual(ks1, ks2)
        s = stats()
        self.assertEqual(s["requests"], {"apptoken.startsession": 1}, s)

    def test_one_connection_for_both_calls(self):
        tid, tok = create_token()
        self.sb.write_config(self.sb.profile_config("default", tid, cache="false"))
        emu("reset-stats")
        p = self.sb.login(tid, tok)
        self.assertEqual(p.returncode, 0, p.stderr)
        emu("reset-stats")
        self.assertKs(self.get(), tid)
        s = stats()
        self.assertEqual(s["total"], 2, s)
        self.assertEqual(s["connections"], 1, s)

    def test_cache_false(self):
        tid, tok = create_token()
        self.sb.write_config(self.sb.profile_config("default", tid, cache="false"))
        self.sb.run("login", input=(tok + "\n").encode())
        ks1 = self.assertKs(self.get(), tid)
        ks2 = self.assertKs(self.get(), tid)
        self.assertNotEqual(ks1, ks2)
        cache_dir = os.path.join(self.sb.run_dir, "kaltura-credential")
        entries = os.listdir(cache_dir) if os.path.isdir(cache_dir) else []
        self.assertEqual([e for e in entries if e.startswith(("ks-", "widget-", "req-"))], [])

    def test_erase_with_other_password_keeps_cache(self):
        tid, tok = create_token()
        self.sb.login(tid, tok)
        ks1 = self.assertKs(self.get(), tid)
        p = self.sb.run("erase", input=b"host=%s\npassword=other\n\n" % emu_host().encode())
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, b"", b""))
        self.assertEqual(self.assertKs(self.get(), tid), ks1)

    def test_single_flight(self):
        tid, tok = create_token()
        self.sb.login(tid, tok)
        self.sb.run("erase", input=b"\n")
        emu("latency", 400)
        emu("reset-stats")
        env = dict(self.sb.env)
        procs = [subprocess.Popen(wrapped([FRONTEND, "get"]), stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
                 for _ in range(4)]
        outs = [p.communicate(b"\n", timeout=scaled(60)) for p in procs]
        for p, (out, err) in zip(procs, outs):
            self.assertEqual(p.returncode, 0, err)
        self.assertEqual(len({o for o, _ in outs}), 1, "all got the same KS")
        self.assertEqual(stats()["requests"].get("apptoken.startsession"), 1)

    def test_fed_request_is_emptied_once_read(self):
        # The frontend hands the request over in a memfd that stays the minter's stdin while it
        # waits on the network; once read, it must be empty (erase's password= could be in it).
        tid, tok = create_token()
        self.sb.login(tid, tok)
        self.sb.run("erase", input=b"\n")
        emu("latency", 3000)
        proc = subprocess.Popen(wrapped([FRONTEND, "get"]), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.sb.env)
        proc.stdin.write(GET % emu_host().encode())
        proc.stdin.close()
        proc.stdin = None  # communicate() below must not touch it again
        fd0, seen = f"/proc/{proc.pid}/fd/0", None
        deadline = time.monotonic() + scaled(10)
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if os.readlink(fd0).startswith("/memfd:kaltura-credential-request"):
                    seen = os.stat(fd0).st_size
                    if seen == 0:
                        break
            except OSError:
                pass
            time.sleep(0.01)
        still_running = proc.poll() is None
        out, err = proc.communicate(timeout=scaled(60))
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(seen, 0, "the fed request stays in the minter's stdin")
        self.assertTrue(still_running, "the minter ended before its stdin was seen")

    def test_session_parameters(self):
        tid, tok = create_token()
        self.sb.login(tid, tok)
        self.sb.write_config(self.sb.profile_config("default", tid, user_id="bob@example.com",
                                                    expiry=600, privileges="view:*"))
        p = self.get()
        self.assertKs(p, tid, username="bob@example.com")
        ks = dict(parse_output(p.stdout))["password"]
        info = validate(ks)[1]
        self.assertEqual(info["userId"], "bob@example.com")
        self.assertLessEqual(info["expiry"], time.time() + 601)
        self.assertIn("view:*", info["privileges"])

    def test_ks_v1_partner(self):
        tid, tok = emu("create-token", "--partner", "54321").split()
        self.sb.write_config(self.sb.profile_config("default", tid).replace(
            f"partner_id = {os.environ['KC_EMU_PARTNER']}", "partner_id = 54321"))
        p = self.sb.run("login", input=(tok + "\n").encode())
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertKs(self.get(), tid)

    def test_plain_http_on_loopback(self):
        tid, tok = create_token()
        url = os.environ["KC_EMU_HTTP_URL"]
        p = self.sb.login(tid, tok, url=url, ca=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        host = url.split("://")[1]
        p = self.sb.run("get", input=b"protocol=http\nhost=%s\n\n" % host.encode())
        self.assertKs(p, tid, host=host)
        self.assertEqual(dict(parse_output(p.stdout))["protocol"], "http")

    def test_revoke_cached(self):
        tid, tok = create_token()
        self.sb.login(tid, tok)
        ks = self.assertKs(self.get(), tid)
        p = self.sb.run("revoke", input=b"")
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, b"", b""))
        self.assertFalse(validate(ks)[0])
        self.assertNotEqual(self.assertKs(self.get(), tid), ks, "revoked KS forgotten")

    def test_revoke_given(self):
        tid, tok = create_token()
        self.sb.login(tid, tok)
        ks = self.assertKs(self.get(), tid)
        p = self.sb.run("revoke", input=b"password=%s\n\n" % ks.encode())
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFalse(validate(ks)[0])
        p = self.sb.run("revoke", input=b"password=%s\n\n" % ks.encode())
        self.assertEqual(p.returncode, 0, "revoking a dead KS is fine")

    def test_status_and_logout(self):
        tid, tok = create_token()
        self.sb.login(tid, tok)
        ks = self.assertKs(self.get(), tid)
        p = self.sb.run("status")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"token: stored", p.stdout)
        self.assertIn(b"cached KS: valid until", p.stdout)
        self.assertNotIn(tok.encode(), p.stdout + p.stderr)
        self.assertNotIn(ks.encode(), p.stdout + p.stderr)
        p = self.sb.run("logout")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"not stored", self.sb.run("status").stdout)
        self.assertFails(self.get(), 6, "login")

    def test_minter_directly_and_fed(self):
        tid, tok = create_token()
        self.sb.login(tid, tok)
        self.sb.write_config(self.sb.profile_config("default", tid, cache="false"))
        self.assertKs(self.sb.run("get", input=GET % emu_host().encode(), prog=MINT), tid)
        p = self.sb.run("get", input=GET % emu_host().encode(), prog=MINT,
                        env={"KALTURA_CREDENTIAL_REQUEST_FED": "1"})
        self.assertKs(p, tid)
        p = self.sb.run("ks", input=b"", prog=MINT)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_help_and_version(self):
        p = self.sb.run("--help")
        self.assertEqual(p.returncode, 0)
        for word in (b"get", b"store", b"erase", b"login", b"logout", b"ks", b"revoke",
                     b"status", b"service_url", b"partner_id", b"app_token_id", b"hash_function",
                     b"min_lifetime", b"allow_insecure", b"ca_file", b"timeout", b"10 "):
            self.assertIn(word, p.stdout)
        p = self.sb.run("--version")
        self.assertRegex(p.stdout, rb"^kaltura-credential \d+\.\d+\.\d+\n$")

    def test_config_keys_agree_in_help_readme_and_loader(self):
        """Every config key: in README's table, on a line of its own in --help, known to the
        loader (no "unknown key" warning); login's options: the same in --help and README."""
        with open(os.path.join(os.environ["KC_SOURCE_ROOT"], "README.md")) as f:
            readme = f.read()
        table = readme.split("| key | meaning | default |", 1)[1].split("\n\n", 1)[0]
        readme_keys = set()
        for row in table.splitlines()[2:]:
            first = re.sub(r"\([^)]*\)", "", row.split("|")[1])
            readme_keys |= set(re.findall(r"`([a-z_]+)`", first))
        login_row = next(r for r in readme.splitlines() if r.startswith("| `login` |"))
        readme_login = set(re.findall(r"`(--[a-z-]+)", login_row))
        text = self.sb.run("--help").stdout.decode()
        keys_part = text.split("Config keys", 1)[1].split("\n\n", 1)[0]
        help_keys = set(re.findall(r"^  ([a-z_]+)  ", keys_part, re.M))
        login_part = text.split("\nlogin options", 1)[1].split("\n\n", 1)[0]
        help_login = set(re.findall(r"^  (--[a-z-]+)", login_part, re.M))
        self.assertEqual(help_keys, readme_keys)
        self.assertEqual(help_login, readme_login)
        for key in sorted(help_keys):
            with self.subTest(key=key):
                self.sb.write_config(f"[default]\n{key} = 1\n")
                p = self.sb.run("status")
                self.assertNotIn(b"unknown key", p.stderr)
        self.sb.write_config("[default]\nno_such_key = 1\n")
        self.assertIn(b"unknown key 'no_such_key'", self.sb.run("status").stderr)

    def test_commands_agree_in_help_readme_man_and_completion(self):
        """Every command of the table (--help) is in README's command table, the man page's
        COMMANDS, and both completions; and nothing else is."""
        src = os.environ["KC_SOURCE_ROOT"]

        def read(*path):
            with open(os.path.join(src, *path)) as f:
                return f.read()

        text = self.sb.run("--help").stdout.decode()
        part = text.split("\nCommands:\n", 1)[1].split("\n  any other command", 1)[0]
        commands = set(re.findall(r"^  ([a-z][a-z-]*) ", part, re.M))
        self.assertIn("exec", commands)
        readme = read("README.md")
        table = readme.split("| command | what it does |", 1)[1].split("\n\n", 1)[0]
        in_readme = {m for m in re.findall(r"^\| `([a-z][a-z-]*)[ `]", table, re.M)}
        man = read("man", "kaltura-credential.1.scd")
        man_cmds = man.split("\n# COMMANDS\n", 1)[1].split("\n# ", 1)[0]
        in_man = set(re.findall(r"^\*([a-z][a-z-]*)\*", man_cmds, re.M))
        bash = read("completion", "kaltura-credential.bash.in")
        in_bash = set(re.search(r'local commands="([^"]*)"', bash).group(1).split())
        zsh = read("completion", "_kaltura-credential.in")
        zsh_cmds = zsh.split("local -a commands=(", 1)[1].split("\n  )", 1)[0]
        in_zsh = set(re.findall(r"'([a-z][a-z-]*):", zsh_cmds))
        for name, got in (("README", in_readme), ("man page", in_man), ("bash", in_bash),
                          ("zsh", in_zsh)):
            with self.subTest(where=name):
                self.assertEqual(got, commands)

    def test_example_config_loads_uncommented(self):
        """conf/credential.conf.example names every key, and uncommenting all of it gives a
        config the loader takes as it is (GKeyFile has no trailing comments: a comment after a
        value would become part of the value)."""
        with open(os.path.join(os.environ["KC_SOURCE_ROOT"], "conf",
                               "credential.conf.example")) as f:
            example = f.read()
        text = self.sb.run("--help").stdout.decode()
        keys_part = text.split("Config keys", 1)[1].split("\n\n", 1)[0]
        help_keys = set(re.findall(r"^  ([a-z_]+)  ", keys_part, re.M))
        uncommented = re.sub(r"^# ([a-z_]+ = )", r"\1", example, flags=re.M)
        self.assertEqual(set(re.findall(r"^([a-z_]+) = ", uncommented, re.M)), help_keys)
        ca = os.path.join(self.sb.home, "ca.pem")
        with open(ca, "w") as f:
            f.write("")
        uncommented = uncommented.replace("/etc/ssl/my-ca.pem", ca)
        self.sb.write_config(uncommented)
        p = self.sb.run("status")
        self.assertNotIn(b"credential.conf", p.stderr, p.stderr)
        self.assertNotEqual(p.returncode, 4, p.stderr)


if __name__ == "__main__":
    taptest.main()
