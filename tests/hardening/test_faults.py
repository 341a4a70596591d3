"""Fault injection: every emulator fault mode against a `get` whose profile says
timeout = 2. Each must end within timeout + 1 s with its documented exit code, exactly one
stderr line, nothing on stdout, and the cache entries exactly as they were (including the entry
of another profile minted beforehand). Transient failures (503, reset, an attempt past its own
bound) are retried with backoff until the deadline, a 500 twice; a KalturaAPIException is never
retried."""
import os
import resource
import subprocess
import time

import taptest
from kchelper import (FRONTEND, HelperTest, emu, emu_host, parse_output, scaled,
                      stats, wrapped)

GET = b"protocol=https\nhost=%s\nprofile=%s\n\n"
TIMEOUT = 2
# deep_nesting runs the helper with 2 MiB of stack (what glibc gives a thread when the stack
# limit is unlimited): deep enough recursion in a JSON parser crashes there.
SMALL_STACK = 2 * 1024 * 1024

# mode -> (exit code, words the one stderr line must contain, apptoken.startSession requests)
# A negative count -n for "at least n": retries until the deadline make as many as the time
# allows. The widget KS comes from the cache, so only startSession is sent.
CASES = {
    "http500": (9, ["HTTP 500"], 3),
    "http503": (9, ["HTTP 503"], -3),
    "reset": (9, ["appToken.startSession"], -3),
    "hang": (9, ["2 s"], -1),
    "slow_drip": (9, ["appToken.startSession"], -1),
    "garbage": (10, ["unusable answer"], 1),
    "oversized": (10, ["KiB"], 1),
    "truncated_json": (10, ["not JSON"], 1),
    "wrong_content_type": (10, ["text/html"], 1),
    "ks_newline": (10, ["KS"], 1),
    "ks_nul": (10, ["NUL"], 1),
    "ks_huge": (10, ["64 KiB"], 1),
    "ks_u2028": (10, ["KS"], 1),
    "ks_u0085": (10, ["KS"], 1),
    "ks_foreign": (10, ["partner"], 1),
    "user_u2028": (10, ["user id"], 1),
    "deep_nesting": (10, ["nested"], 1),
    "expiry_past": (10, ["expired"], 1),
    "redirect": (9, ["redirect", "127.0.0.2"], 1),
    "redirect_leak": (9, ["redirect", "http://127.0.0.2:9"], 1),
}
# mode -> what the stderr line must not show: a server's text is shown only as far as needed
# (the redirect's origin, the media type), never what it may have copied from the request.
NOT_SHOWN = {
    "wrong_content_type": ["charset"],
    "redirect_leak": ["kc-user", "kc-secret", "ks=", "index.php", "kc-fragment", "@"],
    "user_u2028": ["kc-user", "kc-injected"],
}


def cache_snapshot(run_dir):
    """name -> bytes of every cache entry; lock-* files are empty flock targets, not state."""
    d = os.path.join(run_dir, "kaltura-credential")
    snap = {}
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if name.startswith("lock-"):
            continue
        with open(os.path.join(d, name), "rb") as f:
            snap[name] = f.read()
    return snap


class Faults(HelperTest):
    def setUp(self):
        super().setUp()
        self.tid, tok = self.logged_in(profile="victim")
        self.oid, otok = self.logged_in(profile="other")
        self.sb.write_config(self.sb.profile_config("victim", self.tid, timeout=TIMEOUT) +
                             self.sb.profile_config("other", self.oid))
        # login left the KS its check minted; the victim's get must go to the network
        p = self.sb.run("erase", input=b"profile=victim\n\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        # a cache entry of another profile, and the shared widget KS, exist before the fault
        p = self.get("other")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.other_ks = dict(parse_output(p.stdout))["password"]
        self.before = cache_snapshot(self.sb.run_dir)
        self.assertTrue(any(n.startswith("ks-") for n in self.before), self.before)
        self.assertTrue(any(n.startswith("widget-") for n in self.before), self.before)

    def get(self, profile, small_stack=False):
        stdin = GET % (emu_host().encode(), profile.encode())
        if not small_stack:
            return self.sb.run("get", input=stdin)

        def limit():
            resource.setrlimit(resource.RLIMIT_STACK, (SMALL_STACK, SMALL_STACK))
        return subprocess.run(wrapped([FRONTEND, "get"]), input=stdin, capture_output=True,
                              env=self.sb.env, timeout=scaled(60), preexec_fn=limit)

    def check_fault(self, mode, code, words, requests):
        emu("reset-stats")
        emu("fault", mode)
        t = time.monotonic()
        p = self.get("victim", small_stack=mode == "deep_nesting")
        took = time.monotonic() - t
        emu("fault", "none")
        self.assertFails(p, code, *words)
        for w in NOT_SHOWN.get(mode, []):
            self.assertNotIn(w.encode(), p.stderr, f"{mode}: {p.stderr!r}")
        self.assertLess(took, scaled(TIMEOUT + 1), f"{mode}: took {took:.2f} s")
        n = stats()["requests"].get("apptoken.startsession", 0)
        if requests < 0:
            self.assertGreaterEqual(n, -requests, f"{mode}: appToken.startSession requests")
        else:
            self.assertEqual(n, requests, f"{mode}: appToken.startSession requests")
        self.assertEqual(cache_snapshot(self.sb.run_dir), self.before, f"{mode}: cache changed")
        # and the other profile is still served, from the cache, with the same KS
        emu("reset-stats")
        p = self.get("other")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(dict(parse_output(p.stdout))["password"], self.other_ks)
        self.assertEqual(stats()["total"], 0, "served from the cache")

    def test_api_exception_is_never_retried(self):
        emu("reset-stats")
        emu("set-token-status", self.tid, "disabled")
        t = time.monotonic()
        p = self.get("victim")
        self.assertFails(p, 8, "APP_TOKEN_NOT_ACTIVE")
        self.assertLess(time.monotonic() - t, scaled(TIMEOUT + 1))
        self.assertEqual(stats()["requests"].get("apptoken.startsession", 0), 1)
        self.assertEqual(cache_snapshot(self.sb.run_dir), self.before)

    def test_deep_nesting_in_the_widget_answer(self):
        """The widget KS is fetched on a worker thread (2 MiB of stack, mint.c): a deeply
        nested answer there is refused (exit 10), not a crash."""
        self.sb.write_config(self.sb.profile_config("victim", self.tid, cache="false"))
        emu("reset-stats")
        emu("fault", "deep_nesting", "--action", "session.startWidgetSession")
        p = self.get("victim", small_stack=True)
        emu("fault", "none")
        self.assertFails(p, 10, "nested")
        self.assertEqual(stats()["requests"].get("session.startwidgetsession", 0), 1)

    def test_transient_failure_is_retried_and_succeeds(self):
        for mode in ("http503", "reset"):
            with self.subTest(mode=mode):
                emu("reset-stats")
                emu("fault", mode, "--count", "2", "--action", "appToken.startSession")
                t = time.monotonic()
                p = self.get("victim")
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertLess(time.monotonic() - t, scaled(TIMEOUT + 1))
                self.assertEqual(stats()["requests"].get("apptoken.startsession", 0), 3)
                self.sb.run("erase", input=b"profile=victim\n\n")


def _make(mode, code, words, requests):
    def test(self):
        self.check_fault(mode, code, words, requests)
    test.__name__ = f"test_fault_{mode}"
    return test


for _mode, (_code, _words, _requests) in CASES.items():
    setattr(Faults, f"test_fault_{_mode}", _make(_mode, _code, _words, _requests))


if __name__ == "__main__":
    taptest.main()
