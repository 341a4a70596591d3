"""Secret hygiene (issue 6), run last (meson priority -100, alone): every emulator of the whole
suite made canary tokens (KC_EMU_CANARY, tests/emulator/README.md), so after all the other
tests the marker must be in no file outside a keyring (the build dir with meson-logs/testlog.*,
/tmp leftovers, $HOME), in no process's argv or environment, and in no core dump. Also: the
frontend and the minter make themselves non-dumpable while they hold secrets."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import taptest
from kchelper import (FRONTEND, MINT, HelperTest, create_token, emu_host, parse_output,
                      wrapped)

sys.path.insert(0, os.path.join(os.environ.get("KC_SOURCE_ROOT", ""), "tests", "emulator"))
from api import CANARY_MARKER  # noqa: E402

MARKER = CANARY_MARKER.encode()
MAX_FILE = 64 * 1024 * 1024
RECENT = 6 * 3600  # $HOME: only files changed during a CI run (it also holds toolchains)
KEYRING_FILE = re.compile(r"(\.keyring|keyring\.file)$")
CORE_FILE = re.compile(r"^core(\.\d+)?$|\.core$")


# Paths outside the project's control on a developer machine (e.g. a terminal's scrollback
# file in /tmp that shows the marker): KC_HYGIENE_SKIP=PREFIX:PREFIX. CI sets none.
SKIP_PREFIXES = tuple(p for p in os.environ.get("KC_HYGIENE_SKIP", "").split(":") if p)


def scan_tree(root, since=None, skip=()):
    """(files holding MARKER, core files) under root; keyring files are skipped."""
    hits, cores = [], []
    for dirpath, dirnames, files in os.walk(root, onerror=lambda e: None):
        dirnames[:] = [d for d in dirnames if os.path.join(dirpath, d) not in skip]
        for name in files:
            path = os.path.join(dirpath, name)
            if SKIP_PREFIXES and path.startswith(SKIP_PREFIXES):
                continue
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if not (0o100000 & st.st_mode) or st.st_mode & 0o170000 != 0o100000:
                continue  # regular files only (no fifos, sockets, symlinks)
            if since is not None and st.st_mtime < since:
                continue
            if CORE_FILE.search(name):
                cores.append(path)
            if KEYRING_FILE.search(name) or st.st_size > MAX_FILE:
                continue
            try:
                with open(path, "rb") as f:
                    if MARKER in f.read():
                        hits.append(path)
            except OSError:
                continue
    return hits, cores


def scan_processes():
    hits = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        for what in ("cmdline", "environ"):
            try:
                with open(f"/proc/{pid}/{what}", "rb") as f:
                    if MARKER in f.read():
                        hits.append(f"/proc/{pid}/{what}")
            except OSError:
                pass
    return hits


class Hygiene(HelperTest):
    def test_a_canary_flows_through_the_helper(self):
        """The marker is live: a token made now carries it, and a full login/get/failure cycle
        with it runs before the sweep."""
        tid, tok = create_token()
        self.assertTrue(tok.startswith(CANARY_MARKER), "KC_EMU_CANARY is not reaching the emulator")
        p = self.sb.login(tid, tok)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.sb.run("get", input=b"protocol=https\nhost=%s\n\n" % emu_host().encode())
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn(MARKER, p.stdout + p.stderr)
        p = self.sb.run("login", "--hash", "sha256", "--no-verify", input=(tok + "\n").encode())
        p = self.sb.run("ks")
        self.assertEqual(p.returncode, 8, p.stderr)
        self.assertNotIn(MARKER, p.stdout + p.stderr)

    def test_b_scanner_finds_a_planted_canary(self):
        """The sweep below can fail: a planted file, argv and environment are all found."""
        d = tempfile.mkdtemp(prefix="kc-plant.")
        try:
            with open(os.path.join(d, "leak.log"), "wb") as f:
                f.write(b"x" * 1000 + MARKER + b"y")
            with open(os.path.join(d, "core"), "wb") as f:
                f.write(b"\x7fELF")
            hits, cores = scan_tree(d)
            self.assertEqual(hits, [os.path.join(d, "leak.log")])
            self.assertEqual(cores, [os.path.join(d, "core")])
            p = subprocess.Popen(["/usr/bin/python3", "-c", "import time; time.sleep(30)", CANARY_MARKER],
                                 env={"X": CANARY_MARKER, "PATH": "/usr/bin:/bin"})
            try:
                time.sleep(0.2)
                found = [h for h in scan_processes() if f"/proc/{p.pid}/" in h]
                self.assertEqual(sorted(found), [f"/proc/{p.pid}/cmdline", f"/proc/{p.pid}/environ"])
            finally:
                p.kill()
                p.wait()
        finally:
            shutil.rmtree(d)

    def test_c_dumpable_off_while_holding_secrets(self):
        """PR_SET_DUMPABLE 0 makes the kernel give the process's /proc files (environ ...) to
        root: run each program as nobody, blocked reading its secret on stdin, and look."""
        if os.geteuid() != 0 or not shutil.which("setpriv"):
            self.skipTest("needs root and setpriv to run as another user")
        home = tempfile.mkdtemp(prefix="kc-dump.")
        os.chown(home, 65534, 65534)
        env = {"HOME": home, "PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": home}
        env.update({k: v for k, v in self.sb.env.items() if k.endswith("SAN_OPTIONS")})
        cases = {
            "frontend get": [FRONTEND, "get"],
            "minter login": [MINT, "login", "--service-url", "https://localhost:1",
                             "--partner-id", "1", "--app-token-id", "0_x", "--no-verify"],
            "control (cat)": ["/bin/cat"],
        }
        owners = {}
        try:
            for name, argv in cases.items():
                p = subprocess.Popen(["setpriv", "--reuid=65534", "--regid=65534",
                                      "--clear-groups", *argv], stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     env=env)
                try:
                    owner = None
                    for _ in range(100):  # until it runs as nobody and waits on stdin
                        time.sleep(0.05)
                        with open(f"/proc/{p.pid}/status") as f:
                            uid = [x for x in f if x.startswith("Uid:")][0].split()[1]
                        with open(f"/proc/{p.pid}/wchan") as f:
                            waiting = f.read() not in ("0", "")
                        if uid == "65534" and waiting and p.poll() is None:
                            time.sleep(0.2)
                            owner = os.stat(f"/proc/{p.pid}/environ").st_uid
                            break
                    owners[name] = owner
                finally:
                    p.kill()
                    p.wait()
        finally:
            shutil.rmtree(home)
        self.assertEqual(owners, {"frontend get": 0, "minter login": 0, "control (cat)": 65534})

    def test_z_no_canary_anywhere(self):
        """The sweep: after every other test of the run."""
        self.sb.cleanup()
        build = os.environ["KC_BUILD_ROOT"]
        home = os.path.expanduser("~")
        hits, cores = scan_tree(build)
        h2, c2 = scan_tree("/tmp", skip={build})
        h3, c3 = scan_tree(home, since=time.time() - RECENT, skip={build, "/tmp"})
        procs = scan_processes()
        self.assertEqual(hits + h2 + h3, [], "canary token in files")
        self.assertEqual(procs, [], "canary token in a process's argv/environment")
        self.assertEqual(cores + c2 + c3, [], "core dumps left behind")
        for log in ("testlog.txt", "testlog.json"):
            path = os.path.join(build, "meson-logs", log)
            self.assertTrue(os.path.exists(path) or log == "testlog.json", path)


if __name__ == "__main__":
    taptest.main()
