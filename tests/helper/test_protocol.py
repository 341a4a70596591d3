"""Data-driven git credential protocol cases (protocol_cases.txt) through kaltura-credential."""
import os
import re
import unittest

import taptest
from kchelper import FRONTEND, HelperTest, Sandbox, create_token, emu, parse_output, validate

HERE = os.path.dirname(os.path.abspath(__file__))


def load_cases(path):
    cases, cur = [], None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#") or not line.strip():
                continue
            if line.startswith("== "):
                cur = {"name": line[3:], "args": "get"}
                cases.append(cur)
                continue
            key, _, value = line.partition(":")
            cur[key.strip()] = value.strip()
    return cases


class Protocol(HelperTest):
    @classmethod
    def setUpClass(cls):
        emu("fault", "none")
        cls.sandbox = Sandbox()
        http_url = os.environ["KC_EMU_HTTP_URL"]
        cls.hosts = {"HOST": os.environ["KC_EMU_URL"].split("://")[1],
                     "HTTP_HOST": http_url.split("://")[1]}
        cls.tokens = {}
        for name, url, ca in (("default", None, None), ("http", http_url, False)):
            tid, tok = create_token()
            p = cls.sandbox.login(tid, tok, profile=name, url=url, ca=ca)
            assert p.returncode == 0, p.stderr
            cls.tokens[name] = tid
        with open(cls.sandbox.config, "a") as f:
            f.write("[twin1]\nservice_url = https://twin.example\n"
                    "[twin2]\nservice_url = https://twin.example/x\n"
                    f"[alias]\nservice_url = {os.environ['KC_EMU_URL']}\n")

    @classmethod
    def tearDownClass(cls):
        cls.sandbox.cleanup()

    def setUp(self):
        self.sb = self.sandbox

    def tearDown(self):
        pass

    def run_case(self, case):
        stdin = case["stdin"]
        for k, v in self.hosts.items():
            stdin = stdin.replace("{" + k + "}", v)
        data = eval(stdin, {"__builtins__": {}})  # test data: bytes expressions only
        p = self.sb.run(*case["args"].split(), input=data)
        msg = f"{case['name']}: rc={p.returncode} stdout={p.stdout[:300]!r} stderr={p.stderr!r}"
        self.assertEqual(p.returncode, int(case["exit"]), msg)
        out = case["stdout"]
        if out == "empty":
            self.assertEqual(p.stdout, b"", msg)
        elif out == "version":
            self.assertIn(p.stdout, (b"", b"version 0\n"), msg)
        else:
            profile = out.split()[1]
            kv = parse_output(p.stdout)
            self.assertEqual([k for k, _ in kv], ["protocol", "host", "username", "password",
                                                  "password_expiry_utc"], msg)
            d = dict(kv)
            want_host = self.hosts["HTTP_HOST" if profile == "http" else "HOST"]
            self.assertEqual(d["host"], want_host, msg)
            self.assertEqual(d["protocol"], "http" if profile == "http" else "https", msg)
            self.assertEqual(d["username"], self.tokens[profile], msg)
            ok, info = validate(d["password"])
            self.assertTrue(ok and f"apptoken:{self.tokens[profile]}" in info["privileges"], msg)
        err = case["stderr"]
        if err == "empty":
            self.assertEqual(p.stderr, b"", msg)
        else:
            self.assertRegex(p.stderr, re.compile(rb"^kaltura-credential: [^\n]+\n$"), msg)
            self.assertIn(err.split(":", 1)[1].strip().encode(), p.stderr, msg)


def _make(case):
    return lambda self: self.run_case(case)


for i, c in enumerate(load_cases(os.path.join(HERE, "protocol_cases.txt"))):
    slug = re.sub(r"\W+", "_", c["name"]).strip("_").lower()
    setattr(Protocol, f"test_{i:02d}_{slug}", _make(c))

if __name__ == "__main__":
    taptest.main()
