"""Runs the bad-input catalogue (bad_inputs.txt, format in its header) as TAP: one test per
case, each asserting the exact exit status, stderr and stdout."""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

import taptest
from kchelper import (FRONTEND, HelperTest, create_token, emu_ca, emu_host, emu_partner,
                      emu_url, parse_output, scaled)

HERE = os.path.dirname(os.path.abspath(__file__))
CATALOGUE = os.path.join(HERE, "bad_inputs.txt")
GET = "protocol=https\nhost={HOST}\n\n"


def load_cases(path=CATALOGUE):
    cases = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 6:
                raise ValueError(f"{path}:{n}: {len(fields)} fields, want 6: {line!r}")
            cases.append(dict(zip(("name", "where", "input", "exit", "stderr", "stdout"),
                                  fields), line=n))
    names = [c["name"] for c in cases]
    dup = {x for x in names if names.count(x) > 1}
    if dup:
        raise ValueError(f"duplicate case names: {sorted(dup)}")
    return cases


def unescape(s):
    """Python escapes to bytes; the text itself is ASCII/UTF-8."""
    return s.encode("utf-8").decode("unicode_escape").encode("latin-1")


class BadInputs(HelperTest):
    @classmethod
    def setUpClass(cls):
        cls.tid, cls.tok = create_token()

    def setUp(self):
        super().setUp()
        p = self.sb.login(self.tid, self.tok)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.tmp = tempfile.mkdtemp(prefix="kc-bad.")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        super().tearDown()

    def subst(self, text):
        http_port = os.environ["KC_EMU_HTTP_URL"].rsplit(":", 1)[1]
        values = {"{URL}": emu_url(), "{HOST}": emu_host(), "{PID}": emu_partner(),
                  "{TID}": self.tid, "{CA}": emu_ca(), "{HTTPPORT}": http_port,
                  "{BIG}": "a" * 100000}
        if "{HUGE}" in text:
            values["{HUGE}"] = "protocol=https\\n" + "path=x\\n" * (5 << 17) + "\\n"
        if "{NOTOWNED}" in text:
            if os.geteuid() != 0:
                self.skipTest("needs root to make a directory owned by someone else")
            d = os.path.join(self.tmp, "notowned")
            os.mkdir(d, 0o700)
            os.chown(d, 65534, 65534)
            values["{NOTOWNED}"] = d
        if "{FIFO}" in text:
            values["{FIFO}"] = os.path.join(self.tmp, "fifo")
            os.mkfifo(values["{FIFO}"], 0o600)
        if "{OK}" in text:
            values["{OK}"] = os.path.join(os.environ["KC_PAM_HELPERS"], "ok.sh")
        for k, v in values.items():
            text = text.replace(k, v)
        return text

    def run_case(self, c):
        where, _, args = c["where"].partition(":")
        stdin, argv, env = b"", [], {}
        if where == "stdin":
            stdin, argv = unescape(self.subst(c["input"])), shlex.split(args or "get")
        elif where == "config":
            with open(self.sb.config, "wb") as f:
                f.write(unescape(self.subst(c["input"])))
            stdin, argv = (b"", shlex.split(args)) if args else (self.subst(GET).encode(), ["get"])
        elif where == "argv":
            argv = shlex.split(self.subst(c["input"]))
        elif where == "env":
            stdin, argv = (b"", shlex.split(args)) if args else (self.subst(GET).encode(), ["get"])
            for word in shlex.split(self.subst(c["input"])):
                k, _, v = word.partition("=")
                env[k] = v
        elif where == "pam":
            return self.run_pam(c)
        else:
            self.fail(f"line {c['line']}: unknown WHERE {where!r}")
        e = dict(self.sb.env)
        for k, v in env.items():
            if v == "":
                e.pop(k, None)
            else:
                e[k] = v
        if where == "env":
            e["PWD"] = self.tmp
        p = subprocess.run(wrapped_argv(argv), input=stdin, capture_output=True, env=e,
                           timeout=scaled(20), cwd=self.tmp)
        msg = f"line {c['line']}: rc={p.returncode} stdout={p.stdout[:300]!r} " \
              f"stderr={p.stderr[:600]!r}"
        self.assertEqual(p.returncode, int(c["exit"]), msg)
        if c["stderr"] == "-":
            self.assertEqual(p.stderr, b"", msg)
        else:
            self.assertRegex(p.stderr.decode("utf-8", "replace"),
                             re.compile(r"\A(?:" + c["stderr"] + r")\Z"), msg)
        want = c["stdout"]
        if want == "-":
            self.assertEqual(p.stdout, b"", msg)
        elif want == "KS":
            kv = parse_output(p.stdout)
            self.assertEqual([k for k, _ in kv], ["protocol", "host", "username", "password",
                                                  "password_expiry_utc"], msg)
        elif want.startswith("re:"):
            self.assertRegex(p.stdout.decode("utf-8", "replace"),
                             re.compile(r"\A(?:" + unescape(want[3:]).decode() + r")\Z"), msg)
        else:
            self.assertEqual(p.stdout, unescape(self.subst(want)), msg)
        # a refused input never leaves a secret-bearing trace behind in the sandbox config
        if os.path.exists(self.sb.config):
            with open(self.sb.config, "rb") as f:
                self.assertNotIn(self.tok.encode(), f.read())

    def run_pam(self, c):
        if not os.environ.get("KC_PAM_DRIVER"):
            self.skipTest("PAM driver not built")
        sys.path.insert(0, os.path.join(os.environ["KC_SOURCE_ROOT"], "tests", "pam"))
        import pamtest_common
        services = os.path.join(self.tmp, "services")
        os.mkdir(services)
        opts = self.subst(c["input"])
        with open(os.path.join(services, "bad"), "w") as f:
            f.write(f"session required {os.environ['KC_PAM_MODULE']} minimum_uid=0 debug "
                    f"{opts}\n")
        user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
        r = pamtest_common.run("bad", user, [f"open={c['exit']}"], services=services,
                               timeout=scaled(30))
        pamtest_common.cleanup_pam_wrapper_dirs()
        msg = f"line {c['line']}: results={r.results} log={r.log[-1500:]!r}"
        self.assertEqual(r.result("open"), [c["exit"]], msg)
        self.assertRegex(r.log, c["stderr"], msg)


def wrapped_argv(argv):
    from kchelper import wrapped
    return wrapped([FRONTEND, *argv])


def _make(case):
    def test(self):
        self.run_case(case)
    return test


for _c in load_cases():
    setattr(BadInputs, "test_" + _c["name"], _make(_c))


class InsecureHttp(HelperTest):
    """design: plain http off loopback only with allow_insecure = true, and then a warning each
    time the network is used (the KS would travel in clear)."""

    def test_allow_insecure_warns_when_used(self):
        tid, tok = create_token()
        self.sb.write_config("[ins]\nservice_url = http://kc-test.invalid\nallow_insecure = true\n"
                             f"partner_id = {emu_partner()}\napp_token_id = {tid}\ntimeout = 2\n")
        p = self.sb.run("--profile", "ins", "login", "--no-verify", input=(tok + "\n").encode())
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.sb.run("--profile", "ins", "ks")
        msg = f"rc={p.returncode} stdout={p.stdout!r} stderr={p.stderr!r}"
        self.assertEqual((p.returncode, p.stdout), (9, b""), msg)
        lines = p.stderr.decode().splitlines()
        self.assertEqual(len(lines), 2, msg)
        self.assertRegex(lines[0], r"^kaltura-credential: warning: .*plain http.*allow_insecure")
        self.assertRegex(lines[1], r"^kaltura-credential: .*kc-test\.invalid")

    def test_refused_without_allow_insecure(self):
        self.sb.write_config("[ins]\nservice_url = http://kc-test.invalid\n")
        p = self.sb.run("--profile", "ins", "ks")
        self.assertFails(p, 4, "plain http", "allow_insecure")

    def test_loopback_http_needs_no_flag_and_no_warning(self):
        tid, tok = create_token()
        url = os.environ["KC_EMU_HTTP_URL"]
        p = self.sb.login(tid, tok, profile="lo", url=url, ca=False)
        self.assertEqual((p.returncode, p.stderr), (0, b""))
        p = self.sb.run("--profile", "lo", "ks")
        self.assertEqual((p.returncode, p.stderr), (0, b""))


class Catalogue(unittest.TestCase):
    def test_at_least_40_cases_across_all_sources(self):
        cases = load_cases()
        self.assertGreaterEqual(len(cases), 40)
        self.assertEqual({c["where"].split(":")[0] for c in cases},
                         {"stdin", "config", "argv", "env", "pam"})


if __name__ == "__main__":
    taptest.main()
