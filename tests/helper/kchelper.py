"""Shared support for the kaltura-credential integration tests (suite 'helper').

Each test gets a Sandbox: a private HOME, XDG_CONFIG_HOME, XDG_RUNTIME_DIR (0700) and, unless
it asks for the real Secret Service, libsecret's file backend. The emulator is the one
tests/lib/with-emulator.sh started (KC_EMU_* variables)."""
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
import unittest

BUILD = os.environ.get("KC_BUILD_ROOT", "")
SRC = os.environ.get("KC_SOURCE_ROOT", "")
FRONTEND = os.path.join(BUILD, "helper", "kaltura-credential")
MINT = os.path.join(BUILD, "helper", "kaltura-credential-mint")
GIT_HELPER = os.path.join(BUILD, "helper", "git-credential-kaltura")
EMUCTL = os.path.join(SRC, "tests", "emulator", "emuctl.py")
LINE_RE = re.compile(rb"^kaltura-credential: [^\n]+\n$")

# The valgrind lane (tools/test-all) sets KC_TEST_WRAP: every helper process runs under it.
# The frontend execs the minter, so valgrind follows exec (--trace-children=yes): the product
# has no switch for this. What the helper runs from the system (exec's CMD, setup-git's git)
# is not ours to check, and is left untraced. KC_TEST_TIMEOUT_SCALE stretches time limits
# (default 4 when wrapped).
WRAP = shlex.split(os.environ.get("KC_TEST_WRAP", ""))
if WRAP and os.path.basename(WRAP[0]) == "valgrind" and \
        not any(a.startswith("--trace-children") for a in WRAP):
    WRAP += ["--trace-children=yes", "--trace-children-skip=/usr/*,/bin/*,/sbin/*"]
TIMEOUT_SCALE = float(os.environ.get("KC_TEST_TIMEOUT_SCALE", "4" if WRAP else "1"))


def wrapped(argv):
    """argv of a helper process, prefixed with KC_TEST_WRAP when set."""
    return WRAP + list(argv) if WRAP else list(argv)


def scaled(seconds):
    return seconds * TIMEOUT_SCALE


def emu(*args, check=True):
    """Run emuctl.py; returns its stdout (str)."""
    p = subprocess.run(["/usr/bin/python3", EMUCTL, *map(str, args)], capture_output=True,
                       text=True, timeout=60)
    if check and p.returncode != 0:
        raise RuntimeError(f"emuctl {args}: {p.stderr.strip()}")
    return p.stdout


def create_token(hash_type="SHA1", **kw):
    args = ["create-token", "--hash", hash_type]
    for k, v in kw.items():
        args += ["--" + k.replace("_", "-"), v]
    tid, tok = emu(*args).split()
    return tid, tok


def validate(ks):
    p = subprocess.run(["/usr/bin/python3", EMUCTL, "validate", ks], capture_output=True,
                       text=True, timeout=60)
    return p.returncode == 0, json.loads(p.stdout)


def stats():
    return json.loads(emu("stats"))


def emu_url():
    return os.environ["KC_EMU_URL"]


def emu_host():
    return emu_url().split("://", 1)[1]


def emu_partner():
    return os.environ["KC_EMU_PARTNER"]


def emu_ca():
    return os.environ["KC_EMU_CA"]


def parse_output(out):
    """git credential output -> list of (key, value)."""
    text = out.decode()
    assert text.endswith("\n"), text
    return [tuple(l.split("=", 1)) for l in text[:-1].split("\n")]


def sanitizer_env():
    """The sanitizer settings meson gave the test (tests/meson.build; a leak or UB report must
    reach the helper processes too and fail the test): ASAN/UBSAN/LSAN_OPTIONS, detect_leaks=1."""
    env = {k: os.environ[k] for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")
           if k in os.environ}
    asan = env.get("ASAN_OPTIONS", "")
    if "detect_leaks=" not in asan:
        env["ASAN_OPTIONS"] = ":".join(x for x in (asan, "detect_leaks=1") if x)
    return env


class Sandbox:
    def __init__(self, backend="file"):
        self.dir = tempfile.mkdtemp(prefix="kc-helper.")
        self.home = os.path.join(self.dir, "home")
        self.run_dir = os.path.join(self.dir, "run")
        os.makedirs(os.path.join(self.home, ".config"))
        os.makedirs(self.run_dir, mode=0o700)
        os.chmod(self.run_dir, 0o700)
        self.config = os.path.join(self.home, ".config", "kaltura", "credential.conf")
        self.env = {
            "PATH": os.path.dirname(FRONTEND) + ":/usr/bin:/bin",
            "HOME": self.home,
            "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
            "XDG_RUNTIME_DIR": self.run_dir,
            "LANG": "C.UTF-8",
        }
        self.env.update(sanitizer_env())
        if WRAP:
            for prog in (FRONTEND, GIT_HELPER, MINT):
                self.wrap_bin(prog)
            self.env["PATH"] = os.path.join(self.dir, "bin") + ":" + self.env["PATH"]
        if backend == "file":
            self.env.update(SECRET_BACKEND="file",
                            SECRET_FILE_TEST_PATH=os.path.join(self.dir, "keyring.file"),
                            SECRET_FILE_TEST_PASSWORD="test-password")
        elif backend == "service":
            self.env["DBUS_SESSION_BUS_ADDRESS"] = os.environ["DBUS_SESSION_BUS_ADDRESS"]

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write_config(self, text):
        os.makedirs(os.path.dirname(self.config), exist_ok=True)
        with open(self.config, "w") as f:
            f.write(text)

    def run(self, *args, input=b"", prog=FRONTEND, env=None, timeout=60):
        e = dict(self.env)
        e.update(env or {})
        return subprocess.run(wrapped([prog, *args]), input=input, capture_output=True, env=e,
                              timeout=scaled(timeout))

    def wrap_bin(self, prog):
        """A path that runs prog under KC_TEST_WRAP (for spawns we do not make ourselves,
        e.g. git running its credential helper); prog itself when not wrapping. A bin dir of
        these also comes first in PATH."""
        if not WRAP:
            return prog
        path = os.path.join(self.dir, "bin", os.path.basename(prog))
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write("#!/bin/sh\nexec %s \"$@\"\n" % shlex.join(wrapped([prog])))
            os.chmod(path, 0o755)
        return path

    def login(self, tid, tok, hash_type="sha1", profile=None, url=None, ca=None, extra=()):
        args = (["--profile", profile] if profile else []) + [
            "login", "--service-url", url or emu_url(), "--partner-id", emu_partner(),
            "--app-token-id", tid, "--hash", hash_type, *extra]
        if ca is not False:
            args += ["--ca-file", ca or emu_ca()]
        return self.run(*args, input=(tok + "\n").encode())

    def profile_config(self, name, tid, hash_type="sha1", url=None, ca=None, **keys):
        """INI text of one profile pointing at the emulator."""
        lines = [f"[{name}]", f"service_url = {url or emu_url()}", f"partner_id = {emu_partner()}",
                 f"app_token_id = {tid}", f"hash_function = {hash_type}"]
        if ca is not False:
            lines.append(f"ca_file = {ca or emu_ca()}")
        lines += [f"{k} = {v}" for k, v in keys.items()]
        return "\n".join(lines) + "\n"


class HelperTest(unittest.TestCase):
    backend = "file"

    def setUp(self):
        emu("fault", "none")
        emu("latency", 0)
        emu("clock-offset", 0)
        self.sb = Sandbox(self.backend)

    def tearDown(self):
        self.sb.cleanup()

    def logged_in(self, **login_args):
        """A new App Token on the emulator, logged in (Sandbox.login's keyword arguments);
        the login must succeed. Returns (token id, token)."""
        tid, tok = create_token()
        p = self.sb.login(tid, tok, **login_args)
        self.assertEqual(p.returncode, 0, p.stderr)
        return tid, tok

    def assertFails(self, p, code, *words):
        """A failure: exit code, empty stdout, exactly one stderr line, naming words."""
        msg = f"rc={p.returncode} stdout={p.stdout!r} stderr={p.stderr!r}"
        self.assertEqual(p.returncode, code, msg)
        self.assertEqual(p.stdout, b"", msg)
        self.assertRegex(p.stderr, LINE_RE, msg)
        for w in words:
            self.assertIn(w.encode(), p.stderr, msg)

    def assertKs(self, p, tid=None, host=None, username=None):
        """A successful get: the five lines, a KS the emulator accepts. Returns the KS."""
        msg = f"rc={p.returncode} stdout={p.stdout!r} stderr={p.stderr!r}"
        self.assertEqual(p.returncode, 0, msg)
        kv = parse_output(p.stdout)
        self.assertEqual([k for k, _ in kv],
                         ["protocol", "host", "username", "password", "password_expiry_utc"], msg)
        d = dict(kv)
        self.assertEqual(d["protocol"], "https" if host is None else d["protocol"])
        self.assertEqual(d["host"], host or emu_host())
        if username or tid:
            self.assertEqual(d["username"], username or tid)
        ok, info = validate(d["password"])
        self.assertTrue(ok, info)
        self.assertEqual(int(d["password_expiry_utc"]), info["expiry"])
        self.assertGreater(int(d["password_expiry_utc"]), time.time())
        if tid:
            self.assertIn(f"apptoken:{tid}", info["privileges"])
        return d["password"]
