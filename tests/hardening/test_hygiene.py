"""Secret hygiene, run last (meson priority -100, alone): every emulator of the whole suite made
canary tokens (KC_EMU_CANARY, tests/emulator/README.md) carrying this run's marker, so after
all the other tests the marker must be in no file outside a keyring (the build dir with
meson-logs/testlog.*, the run's sandboxes in /tmp, other files in /tmp or $HOME changed during
the run), in the argv or environment of no process started during the run, and in no core
dump. The marker is this run's own (api.canary_marker): a second test run or a benchmark on the
same machine marks its tokens differently, so it can neither fail this sweep nor hide in it.
Also: the frontend and the minter make themselves non-dumpable while they hold secrets."""
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest

import taptest
from kchelper import (FRONTEND, MINT, HelperTest, create_token, emu_host, parse_output,
                      wrapped)

sys.path.insert(0, os.path.join(os.environ.get("KC_SOURCE_ROOT", ""), "tests", "emulator"))
from api import canary_marker, new_token_value  # noqa: E402

CANARY_MARKER = canary_marker()
MARKER = CANARY_MARKER.encode()
MAX_FILE = 64 * 1024 * 1024
KEYRING_FILE = re.compile(r"(\.keyring|keyring\.file)$")
CORE_FILE = re.compile(r"^core(\.\d+)?$|\.core$")
SANDBOX = re.compile(r"^(kc-|pam\.)")  # the tests' temp dirs (mkdtemp prefixes, pam_wrapper)
# Files written just after the run started may carry a slightly earlier mtime (coarse kernel
# timestamps, file systems with 1 s or 2 s resolution).
SLACK = 2.0

# A file outside the project's control that changed during the run and quotes the marker
# (shell history or a terminal's scrollback appended to while the tests ran):
# KC_HYGIENE_SKIP=PREFIX:PREFIX. CI sets none.
SKIP_PREFIXES = tuple(p for p in os.environ.get("KC_HYGIENE_SKIP", "").split(":") if p)


def run_start():
    """When this `meson test` run started: the 'run-start' test, which meson runs first and
    alone (tests/hardening/meson.build), wrote time.time() to KC_RUN_START_FILE."""
    path = os.environ.get("KC_RUN_START_FILE", "")
    try:
        with open(path) as f:
            return float(f.read()) - SLACK
    except (OSError, ValueError) as e:
        raise AssertionError(f"no run start ({e}): run the sweep with its suite, "
                             "`meson test --suite hardening`") from None


def scan_tree(root, since=None, skip=()):
    """(files holding MARKER, core files) under root, only files modified at or after since
    if given; keyring files are not read, directories in skip not entered."""
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
            if not stat.S_ISREG(st.st_mode):
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


def sweep_files(since, build, tmps, home):
    """(files holding MARKER, core files) that this run can have left: everything in the build
    dir and in the run's sandboxes (SANDBOX dirs in the temp dirs, changed since the run
    started), and the files modified since then in the rest of the temp dirs and in home.
    Older files there are not the run's doing (a developer's notes, an editor's buffer)."""
    own = [build]
    for tmp in tmps:
        for name in os.listdir(tmp):
            path = os.path.join(tmp, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            # ctime, unlike mtime, cannot be set back: a sandbox made or changed by this run
            if SANDBOX.match(name) and stat.S_ISDIR(st.st_mode) and st.st_ctime >= since:
                own.append(path)
    skip = set(own) | set(tmps) | {home}  # each root is scanned once, by its own rule
    hits, cores = [], []
    for root in own + list(tmps) + [home]:
        h, c = scan_tree(root, since=None if root in own else since, skip=skip)
        hits += h
        cores += c
    return hits, cores


def boot_time():
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("btime "):
                return int(line.split()[1])
    raise AssertionError("no btime in /proc/stat")


def process_start(pid, btime, hz=os.sysconf("SC_CLK_TCK")):
    """When pid started (Unix time), from field 22 of /proc/PID/stat; None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return btime + int(fields[19]) / hz  # fields[0] is field 3 (state)


def scan_processes(since):
    """/proc/PID/{cmdline,environ} holding MARKER, of the processes started at or after since:
    argv and the environment are fixed at exec, so an older process cannot hold this run's
    tokens there (and another run's processes carry another marker)."""
    hits = []
    btime = boot_time()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        started = process_start(pid, btime)
        if started is None or started < since - 1:  # btime has 1 s resolution
            continue
        for what in ("cmdline", "environ"):
            try:
                with open(f"/proc/{pid}/{what}", "rb") as f:
                    if MARKER in f.read():
                        hits.append(f"/proc/{pid}/{what}")
            except OSError:
                pass
    return hits


# The file sweep's scope, one case each (test_b_sweep_scope): PATH under a fake build dir,
# temp dir and home holds the canary (a core file: ELF bytes) and was modified AGE seconds
# after the run started; DIRS 'new' if its directories were made during the run, 'old' if
# before; FOUND whether the sweep reports it.
SCOPE_CASES = [
    # PATH                                DIRS   AGE    FOUND
    ("build/meson-logs/testlog.txt",        "old", -3600, True),   # the build dir: read whole
    ("build/tests/core",                    "old", -3600, True),
    ("tmp/leak.log",                        "new", 5,     True),   # written during the run
    ("tmp/leak.log",                        "old", 5,     True),
    ("tmp/core.4242",                       "new", 5,     True),
    ("tmp/notes/history.txt",               "new", -3600, False),  # older than the run
    ("tmp/notes/history.txt",               "old", -3600, False),
    ("tmp/core",                            "old", -3600, False),
    ("tmp/kc-emu.1/state.json",             "new", -3600, True),   # this run's sandbox: whole
    ("tmp/pam.1/log",                       "new", -3600, True),
    ("tmp/kc-emu.1/state.json",             "old", -3600, False),  # an earlier run's sandbox
    ("tmp/kc-kr.1/keyrings/login.keyring",  "new", 5,     False),  # a keyring: never read
    ("home/.cache/leak.log",                "old", 5,     True),
    ("home/.bash_history",                  "old", -3600, False),
]


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

    def test_b_sweep_scope(self):
        """The file sweep below can fail, and reads only what this run can have written: one
        case of SCOPE_CASES per fake build dir, temp dir and home."""
        token = new_token_value().encode()  # as the emulator makes them
        self.assertTrue(token.startswith(MARKER), "KC_EMU_CANARY is not set")
        for path, dirs, age, found in SCOPE_CASES:
            with self.subTest(path=path, dirs=dirs, age=age):
                root = tempfile.mkdtemp(prefix="kc-plant.")
                try:
                    since = time.time() - 60  # the tree is made during the run
                    for d in ("build", "tmp", "home"):
                        os.mkdir(os.path.join(root, d))
                    planted = os.path.join(root, path)
                    os.makedirs(os.path.dirname(planted), exist_ok=True)
                    is_core = bool(CORE_FILE.search(os.path.basename(path)))
                    with open(planted, "wb") as f:
                        f.write(b"\x7fELF" if is_core else b"x" * 1000 + token + b"y")
                    if dirs == "old":
                        since = time.time() + 60  # the run starts after the tree was made
                    os.utime(planted, (since + age, since + age))
                    got = sweep_files(since, os.path.join(root, "build"),
                                      [os.path.join(root, "tmp")], os.path.join(root, "home"))
                    want = [planted] if found else []
                    self.assertEqual(got, ([], want) if is_core else (want, []))
                finally:
                    shutil.rmtree(root)

    def test_b_scanner_finds_a_planted_process(self):
        """The process sweep below can fail: a planted argv and environment are found; and it
        reads only processes of this run: the same process counts as older than a run that
        started after it, and another run's marker is not this run's."""
        other = canary_marker({"KC_EMU_CANARY": "1", "KC_BUILD_ROOT": "/elsewhere/build"})
        self.assertNotEqual(other, CANARY_MARKER)
        p = subprocess.Popen(["/usr/bin/python3", "-c", "import time; time.sleep(30)",
                              CANARY_MARKER], env={"X": CANARY_MARKER, "PATH": "/usr/bin:/bin"})
        q = subprocess.Popen(["/usr/bin/python3", "-c", "import time; time.sleep(30)", other],
                             env={"X": other, "PATH": "/usr/bin:/bin"})
        try:
            for _ in range(200):  # until p has exec'd python (its argv is in place)
                with open(f"/proc/{p.pid}/cmdline", "rb") as f:
                    if MARKER in f.read():
                        break
                time.sleep(0.01)
            now = time.time()
            found = [h for h in scan_processes(now - 60) if f"/proc/{p.pid}/" in h]
            self.assertEqual(sorted(found), [f"/proc/{p.pid}/cmdline", f"/proc/{p.pid}/environ"])
            self.assertEqual([h for h in scan_processes(now - 60) if f"/proc/{q.pid}/" in h], [])
            self.assertEqual([h for h in scan_processes(now + 60) if f"/proc/{p.pid}/" in h], [])
        finally:
            for x in (p, q):
                x.kill()
                x.wait()

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
        tmps = sorted({"/tmp", tempfile.gettempdir()})  # the sandboxes follow TMPDIR
        since = run_start()
        hits, cores = sweep_files(since, build, tmps, os.path.expanduser("~"))
        procs = scan_processes(since)
        self.assertEqual(hits, [], "canary token in files (not this project's? KC_HYGIENE_SKIP)")
        self.assertEqual(procs, [], "canary token in a process's argv/environment")
        self.assertEqual(cores, [], "core dumps left behind")
        for log in ("testlog.txt", "testlog.json"):
            path = os.path.join(build, "meson-logs", log)
            self.assertTrue(os.path.exists(path) or log == "testlog.json", path)


if __name__ == "__main__":
    taptest.main()
