"""-v/--verbose and KALTURA_CREDENTIAL_TRACE=1: a line for each step with its time (config,
cache hit/miss, keyring lookup, each API call with its HTTP status and duration), on stderr,
with the emulator and a real gnome-keyring (tests/lib/with-keyring.sh). The token is the
emulator's canary token; neither it, nor a KS, nor the widget KS, nor the token hash may
appear in a trace."""
import glob
import hashlib
import os
import re

import taptest
from kchelper import HelperTest, emu, emu_host, parse_output

GET = b"protocol=https\nhost=%s\n\n"
TRACE_RE = re.compile(r"^kaltura-credential: trace +(\d+\.\d{3}) ms  (.*)$")


class Trace(HelperTest):
    backend = "service"

    def setUp(self):
        super().setUp()
        self.tid, self.tok = self.logged_in()
        self.sb.run("erase", input=b"\n")

    def steps(self, p):
        """The trace lines of p's stderr: [(ms, step)]; every stderr line must be one, except
        diagnostics (kaltura-credential: without 'trace')."""
        out = []
        for line in p.stderr.decode().splitlines():
            m = TRACE_RE.match(line)
            if m:
                out.append((float(m.group(1)), m.group(2)))
            else:
                self.assertNotIn("trace", line.split(":", 2)[1] if ":" in line else line)
        return out

    def assertSteps(self, steps, *patterns):
        """Each pattern (a regex) matches a step, in this order."""
        text = [s for _, s in steps]
        i = 0
        for pat in patterns:
            while i < len(text) and not re.search(pat, text[i]):
                i += 1
            self.assertLess(i, len(text), f"no step /{pat}/ (in order) in {text}")
            i += 1

    def secrets(self, ks):
        """Everything a trace must never hold: the token, the KS, each widget KS in the cache
        and the token hash made with it."""
        out = {"token": self.tok, "KS": ks}
        for path in glob.glob(os.path.join(self.sb.run_dir, "kaltura-credential", "widget-*")):
            with open(path) as f:
                wks = next(ln[3:].strip() for ln in f if ln.startswith("ks="))
            out["widget KS"] = wks
            out["token hash"] = hashlib.sha1((wks + self.tok).encode()).hexdigest()
        self.assertIn("token hash", out, "the widget KS is cached, so its hash can be checked")
        return out

    def assertNoSecret(self, stderr, ks):
        text = stderr.decode()
        for what, value in self.secrets(ks).items():
            self.assertNotIn(value, text, f"the {what} is in the trace")
            self.assertNotIn(value[:24], text, f"a piece of the {what} is in the trace")

    def test_cold_get_traces_every_step(self):
        p = self.sb.run("-v", "get", input=GET % emu_host().encode())
        self.assertKs(p, self.tid)
        steps = self.steps(p)
        self.assertSteps(steps,
                         r"^frontend: get, profile not named$",
                         r"^config file .*credential\.conf",
                         r"^cache: miss",
                         r"^frontend: running the minter ",
                         r"^minter: get",
                         r"^config: .*credential\.conf: read$",
                         r"^profile: default \(https://",
                         r"^cache: miss, minting$",
                         r"^token hash: sha1 ",
                         r"^api: appToken\.startSession at https://\S+: HTTP 200, \d+ bytes in "
                         r"\d+\.\d ms$",
                         r"^minted a KS valid for \d+ s$",
                         r"^cache: KS stored$")
        text = [s for _, s in steps]
        self.assertTrue(any(re.search(r"^keyring: lookup: token found in \d+\.\d ms$", s)
                            for s in text), text)
        # The widget KS came from login's mint (cached), or from the API: either is traced.
        self.assertTrue(any(s == "widget KS: from the cache" or
                            re.search(r"^api: session\.startWidgetSession .*: HTTP 200", s)
                            for s in text), text)
        times = [t for t, _ in steps]
        self.assertEqual(times, sorted(times), "the minter's times continue the frontend's")
        self.assertNoSecret(p.stderr, dict(parse_output(p.stdout))["password"])

    def test_widget_session_call_is_traced(self):
        for path in glob.glob(os.path.join(self.sb.run_dir, "kaltura-credential", "widget-*")):
            os.unlink(path)
        p = self.sb.run("--verbose", "ks")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertSteps(self.steps(p),
                         r"^api: session\.startWidgetSession at https://\S+: HTTP 200, \d+ bytes "
                         r"in \d+\.\d ms$",
                         r"^api: appToken\.startSession at ")
        self.assertNoSecret(p.stderr, p.stdout.decode().strip())

    def test_hit_is_traced_by_the_frontend(self):
        self.sb.run("get", input=GET % emu_host().encode())  # records get's request alias
        for env, args in (({}, ["-v"]), ({"KALTURA_CREDENTIAL_TRACE": "1"}, [])):
            with self.subTest(env=env, args=args):
                p = self.sb.run(*args, "get", input=GET % emu_host().encode(), env=env)
                self.assertKs(p, self.tid)
                steps = self.steps(p)
                self.assertSteps(steps, r"^frontend: get", r"^cache: hit, the KS is valid for "
                                 r"\d+ s more$")
                self.assertFalse(any("minter" in s for _, s in steps), steps)
                self.assertNoSecret(p.stderr, dict(parse_output(p.stdout))["password"])

    def test_exec_is_traced(self):
        for cold in (True, False):
            with self.subTest(cold=cold):
                if cold:
                    self.sb.run("erase", input=b"\n")
                p = self.sb.run("-v", "exec", "--", "sh", "-c", 'printf %s "$KALTURA_KS"')
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertSteps(self.steps(p), r"^frontend: exec",
                                 r"^cache: miss" if cold else r"^cache: hit",
                                 r"^exec: running sh with the KS in \$KALTURA_KS$")
                self.assertNoSecret(p.stderr, p.stdout.decode())

    def test_no_trace_without_asking(self):
        for env in ({}, {"KALTURA_CREDENTIAL_TRACE": "0"}):
            with self.subTest(env=env):
                self.sb.run("erase", input=b"\n")
                p = self.sb.run("get", input=GET % emu_host().encode(), env=env)
                self.assertKs(p, self.tid)
                self.assertEqual(p.stderr, b"")

    def test_failures_and_retries_are_traced(self):
        emu("fault", "http503", "--count", "1", "--action", "appToken.startSession")
        p = self.sb.run("-v", "ks")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertSteps(self.steps(p), r"^api: appToken\.startSession at \S+: HTTP 503",
                         r"^api: appToken\.startSession at \S+ \(retry\): HTTP 200")
        self.assertNoSecret(p.stderr, p.stdout.decode().strip())
        # a failure: the steps up to it, then the one diagnostic line
        self.sb.run("logout")
        p = self.sb.run("-v", "ks")
        self.assertEqual(p.returncode, 6)
        self.assertEqual(p.stdout, b"")
        self.assertSteps(self.steps(p), r"^keyring: lookup: no token stored in ")
        last = p.stderr.decode().splitlines()[-1]
        self.assertRegex(last, r"^kaltura-credential: no App Token stored")


if __name__ == "__main__":
    taptest.main()
