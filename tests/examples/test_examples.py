"""The client examples (examples/) run against the emulator and a private gnome-keyring
(tests/lib/with-keyring.sh, tests/lib/with-emulator.sh), so they cannot rot: each gets its KS
from the helper, makes a real API call (baseEntry.list), re-asks when its KS is close to
expiry, and passes the helper's failure on. argv[1]: Python, Node or Shell (the class to run).
The Node example's kaltura-client is installed with `npm ci` from examples/node's lock file
into the build directory (KC_BUILD_ROOT/examples-node), once per lock file."""
import filecmp
import os
import re
import shutil
import subprocess
import sys

import taptest
from kchelper import SRC, HelperTest, emu, emu_partner, scaled, stats

EXAMPLES = os.path.join(SRC, "examples")
NODE_DIR = os.path.join(os.environ.get("KC_BUILD_ROOT", ""), "examples-node")
LINE_RE = re.compile(r"^call (\d+): 0 entries \(partner (\d+), KS of ask (\d+), (\d+) s left\)$")


def npm_ci():
    """kaltura-client as examples/node/package-lock.json pins it, in the build dir."""
    lock = os.path.join(EXAMPLES, "node", "package-lock.json")
    have = os.path.join(NODE_DIR, "package-lock.json")
    installed = os.path.join(NODE_DIR, "node_modules", "kaltura-client", "package.json")
    if os.path.exists(installed) and os.path.exists(have) and filecmp.cmp(lock, have, False):
        return
    shutil.rmtree(NODE_DIR, ignore_errors=True)
    os.makedirs(NODE_DIR)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(os.path.join(EXAMPLES, "node", name), NODE_DIR)
    p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=NODE_DIR, capture_output=True, text=True, timeout=scaled(600))
    if p.returncode != 0:
        shutil.rmtree(NODE_DIR, ignore_errors=True)
        raise RuntimeError(f"npm ci failed: {p.stdout}{p.stderr}")


class Example(HelperTest):
    backend = "service"
    argv = None  # the command that runs the example

    def setUp(self):
        super().setUp()
        self.tid, self.tok = self.logged_in()
        ca = os.environ["KC_EMU_CA"]
        # how each runtime is told to trust the emulator's CA (a real server needs none)
        self.env = {"NODE_EXTRA_CA_CERTS": ca, "SSL_CERT_FILE": ca, "CURL_CA_BUNDLE": ca,
                    "NODE_PATH": os.path.join(NODE_DIR, "node_modules")}

    def run_example(self, *args, env=None):
        e = dict(self.sb.env, **self.env)
        e.update(env or {})
        p = subprocess.run([*self.argv, *args], capture_output=True, env=e, cwd=self.sb.dir,
                           stdin=subprocess.DEVNULL, timeout=scaled(120))
        for secret in (self.tok, "djJ8"):
            self.assertNotIn(secret.encode(), p.stdout + p.stderr, "no token or KS printed")
        return p

    def calls(self, p):
        """[(call, ask, seconds left)] from the example's output, which must be nothing else."""
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stderr, b"")
        out = []
        for line in p.stdout.decode().splitlines():
            m = LINE_RE.match(line)
            self.assertIsNotNone(m, line)
            self.assertEqual(m.group(2), emu_partner())
            out.append((int(m.group(1)), int(m.group(3)), int(m.group(4))))
        return out

    def test_one_call(self):
        emu("reset-stats")
        got = self.calls(self.run_example())
        self.assertEqual([c for c, _, _ in got], [1])
        self.assertGreater(got[0][2], 3600)
        self.assertEqual(stats()["requests"].get("baseentry.list"), 1, "one real API call")

    def test_keeps_a_ks_that_lasts(self):
        emu("reset-stats")
        got = self.calls(self.run_example("--calls", "3"))
        self.assertEqual([c for c, _, _ in got], [1, 2, 3])
        self.assertEqual(len({a for _, a, _ in got}), 1, "asked once: the KS lasts")
        self.assertEqual(stats()["requests"].get("baseentry.list"), 3)
        self.assertIsNone(stats()["requests"].get("apptoken.startsession"), "login's KS served")

    def test_asks_again_close_to_expiry(self):
        # Every KS is "close to expiry" for --min-left beyond its lifetime, and the helper mints
        # a new one each time (min_lifetime beyond it too): each call gets a KS of its own.
        self.sb.write_config(self.sb.profile_config("default", self.tid,
                                                    min_lifetime=2 * 86400))
        emu("reset-stats")
        got = self.calls(self.run_example("--calls", "3", "--min-left", str(2 * 86400)))
        asks = [a for _, a, _ in got]
        self.assertEqual(asks, sorted(set(asks)), f"a new ask for every call: {asks}")
        s = stats()["requests"]
        self.assertEqual(s.get("baseentry.list"), 3)
        self.assertEqual(s.get("apptoken.startsession"), asks[-1], "each ask minted a KS")

    def test_passes_the_helpers_failure_on(self):
        self.sb.run("logout")
        p = self.run_example()
        self.assertEqual(p.returncode, 6, p.stdout + p.stderr)
        self.assertEqual(p.stdout, b"")
        self.assertRegex(p.stderr, rb"^kaltura-credential: no App Token stored[^\n]*\n$")


class Python(Example):
    argv = ["/usr/bin/python3", os.path.join(EXAMPLES, "python", "list_entries.py")]


class Node(Example):
    argv = [shutil.which("node") or "node", os.path.join(EXAMPLES, "node", "list_entries.js")]

    @classmethod
    def setUpClass(cls):
        npm_ci()


class Shell(Example):
    argv = ["/bin/sh", os.path.join(EXAMPLES, "shell", "list_entries.sh")]

    def test_ks_never_in_curls_arguments(self):
        # a curl first in PATH that records its argv, then runs the real one
        shim = os.path.join(self.sb.dir, "shim")
        os.makedirs(shim)
        log = os.path.join(self.sb.dir, "curl-argv")
        with open(os.path.join(shim, "curl"), "w") as f:
            f.write(f'#!/bin/sh\nprintf "%s\\n" "$@" >> {log}\nexec {shutil.which("curl")} "$@"\n')
        os.chmod(os.path.join(shim, "curl"), 0o755)
        p = self.run_example("--calls", "2", env={"PATH": shim + ":" + self.sb.env["PATH"]})
        self.assertEqual(len(self.calls(p)), 2)
        with open(log) as f:
            argv = f.read()
        self.assertIn("baseEntry/action/list", argv, "the shim saw curl's arguments")
        self.assertNotIn("djJ8", argv)

    def test_exec_starts_nothing_without_a_ks(self):
        marker = os.path.join(self.sb.dir, "curl-ran")
        shim = os.path.join(self.sb.dir, "shim2")
        os.makedirs(shim)
        with open(os.path.join(shim, "curl"), "w") as f:
            f.write(f"#!/bin/sh\ntouch {marker}\n")
        os.chmod(os.path.join(shim, "curl"), 0o755)
        self.sb.run("logout")
        p = self.run_example(env={"PATH": shim + ":" + self.sb.env["PATH"]})
        self.assertEqual(p.returncode, 6)
        self.assertFalse(os.path.exists(marker))


del Example  # a base class, not a test of its own

if __name__ == "__main__":
    which = sys.argv[1:]
    sys.argv[1:] = [f"{w}." for w in which]  # taptest runs the tests whose id has these
    taptest.main()
