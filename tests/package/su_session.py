#!/usr/bin/python3
"""A real `su -l` login gets KALTURA_KS from the installed packages' pam-auth-update profile.

Run by tools/test-package as root, inside tests/lib/with-emulator.sh, with the
kaltura-credential and libpam-kaltura packages installed and the `kaltura` profile not
enabled. Steps, each printed as TAP:
  1. a throwaway user (kcpkg + random hex) with /run/user/UID, a session bus on
     /run/user/UID/bus (no service directory: nothing is activated behind our back) and an
     unlocked gnome-keyring on it, where the installed /usr/bin/kaltura-credential login stores
     an App Token of the emulator; the cached KS is then erased, so the login must mint;
  2. `pam-auth-update --enable kaltura`: the line is in common-session only, after every other
     module there (pam_systemd included), and nowhere else;
  3. `su -l USER`: KALTURA_KS is a KS the emulator accepts, of this token, minted during the
     login; KALTURA_KS_EXPIRY is its expiry;
  4. `pam-auth-update --disable kaltura`: the line is gone, and a second `su -l` has no KS.
The user, its processes and /run/user/UID are removed at the end. Names of users created are
appended to $KC_PKG_STATE/users first, so that a killed run's leftovers can be found.
"""
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "emulator"))
import emuclient  # noqa: E402

SCALE = float(os.environ.get("KC_TEST_TIMEOUT_SCALE", "1"))
HELPER = "/usr/bin/kaltura-credential"
PAMD = "/etc/pam.d"
COMMON = ["common-auth", "common-account", "common-password", "common-session",
          "common-session-noninteractive"]
BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path={path}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

n = 0
failed = 0


def report(ok, what, detail=""):
    global n, failed
    n += 1
    print(f"{'ok' if ok else 'not ok'} {n} - {what}", flush=True)
    if not ok:
        failed += 1
        for line in str(detail).splitlines():
            print(f"# {line}", flush=True)
    return ok


def run(cmd, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 120 * SCALE)
    return subprocess.run(cmd, **kw)


def pam_lines(name):
    """The non-comment lines of /etc/pam.d/NAME."""
    with open(os.path.join(PAMD, name)) as f:
        return [ln.strip() for ln in f if ln.strip() and not ln.lstrip().startswith("#")]


class LogSink:
    """Owns /dev/log while a login runs, when nothing else does (no syslog daemon here), so
    that the module's messages can be shown when something fails."""

    def __init__(self):
        self.sock = None
        self.ino = None
        if os.path.exists("/dev/log"):
            return
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            s.bind("/dev/log")
            os.chmod("/dev/log", 0o666)
            self.ino = os.lstat("/dev/log").st_ino
            s.setblocking(False)
            self.sock = s
        except OSError:
            s.close()

    def read(self):
        out = []
        while self.sock is not None:
            try:
                out.append(self.sock.recv(65536).decode(errors="replace"))
            except BlockingIOError:
                break
        return out

    def close(self):
        if self.sock is None:
            return
        try:  # only our own socket, never one another test bound meanwhile
            if os.lstat("/dev/log").st_ino == self.ino:
                os.unlink("/dev/log")
        except FileNotFoundError:
            pass
        self.sock.close()
        self.sock = None


class User:
    """The throwaway user with its runtime dir, session bus and unlocked keyring."""

    def __init__(self, state_dir):
        self.name = f"kcpkg{secrets.token_hex(3)}"
        self.bus = None
        self.pw = None
        with open(os.path.join(state_dir, "users"), "a") as f:
            f.write(self.name + "\n")
        run(["useradd", "-m", "-s", "/bin/sh", self.name], check=True)
        self.pw = pwd.getpwnam(self.name)
        self.runtime = f"/run/user/{self.pw.pw_uid}"
        os.makedirs("/run/user", mode=0o755, exist_ok=True)
        os.mkdir(self.runtime, 0o700)
        os.chown(self.runtime, self.pw.pw_uid, self.pw.pw_gid)
        self.env = {"HOME": self.pw.pw_dir, "USER": self.name, "LOGNAME": self.name,
                    "PATH": "/usr/local/bin:/usr/bin:/bin", "XDG_RUNTIME_DIR": self.runtime,
                    "DBUS_SESSION_BUS_ADDRESS": f"unix:path={self.runtime}/bus", "LANG": "C"}

    def as_user(self, cmd):
        return ["setpriv", f"--reuid={self.pw.pw_uid}", f"--regid={self.pw.pw_gid}",
                "--init-groups", "--"] + cmd

    def write(self, rel, text, mode=0o600):
        path = os.path.join(self.pw.pw_dir, rel)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        os.chown(path, self.pw.pw_uid, self.pw.pw_gid)
        return path

    def start_session(self):
        conf = self.write("session-bus.conf", BUS_CONF.format(path=f"{self.runtime}/bus"))
        self.bus = subprocess.Popen(
            self.as_user(["dbus-daemon", "--config-file", conf, "--nofork", "--print-address"]),
            env=self.env, cwd=self.pw.pw_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        address = self.bus.stdout.readline().strip()  # printed once it listens
        if not address:
            raise RuntimeError(f"dbus-daemon did not start: {self.bus.stderr.read()}")
        keyring_pw = secrets.token_hex(8)
        r = run(self.as_user(["gnome-keyring-daemon", "--unlock", "--components=secrets"]),
                input=keyring_pw, env=self.env, cwd=self.pw.pw_dir)
        if r.returncode != 0:
            raise RuntimeError(f"gnome-keyring-daemon --unlock: {r.stderr}")
        r = run(self.as_user(["gdbus", "wait", "--session", "--timeout",
                              str(int(30 * SCALE)), "org.freedesktop.secrets"]),
                env=self.env, cwd=self.pw.pw_dir)
        if r.returncode != 0:
            raise RuntimeError(f"no Secret Service on the user's bus: {r.stderr}")

    def remove(self, state_dir):
        if self.bus is not None:
            self.bus.terminate()  # gnome-keyring-daemon leaves with its bus
            try:
                self.bus.wait(timeout=10 * SCALE)
            except subprocess.TimeoutExpired:
                self.bus.kill()
                self.bus.wait()
        if self.pw is not None:
            run(["pkill", "-KILL", "-u", self.name])
            deadline = time.monotonic() + 10 * SCALE
            while run(["pgrep", "-u", self.name]).returncode == 0 and \
                    time.monotonic() < deadline:
                time.sleep(0.1)
            run(["userdel", "-r", self.name])
            shutil.rmtree(self.runtime, ignore_errors=True)
        users = os.path.join(state_dir, "users")
        if os.path.exists(users):
            left = [u for u in open(users).read().split() if u != self.name]
            with open(users, "w") as f:
                f.write("".join(u + "\n" for u in left))


def su_session(user, sink):
    """Opens a real login session for user with `su -l` and returns (env dict, result)."""
    r = run(["su", "-l", user.name, "-c",
             'printf "KS=%s\\nEXPIRY=%s\\n" "${KALTURA_KS-}" "${KALTURA_KS_EXPIRY-}"'],
            stdin=subprocess.DEVNULL)
    env = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
    return env, r, sink.read()


def check_enabled():
    """The profile's line: only in common-session, after every other module of the stack."""
    ok = True
    detail = []
    session = pam_lines("common-session")
    mods = [i for i, ln in enumerate(session) if ln.startswith("session")]
    ours = [i for i in mods if "pam_kaltura.so" in session[i]]
    if len(ours) != 1 or not re.fullmatch(r"session\s+optional\s+pam_kaltura\.so",
                                          session[ours[0]]):
        ok = False
        detail.append(f"common-session: {session}")
    elif ours[0] != mods[-1]:
        ok = False
        detail.append(f"not the last module of common-session: {session}")
    systemd = [i for i in mods if "pam_systemd.so" in session[i]]
    if systemd and ours and systemd[0] > ours[0]:
        ok = False
        detail.append("pam_systemd comes after it")
    for name in COMMON:
        if name != "common-session" and any("pam_kaltura" in ln for ln in pam_lines(name)):
            ok = False
            detail.append(f"{name} has it too")
    return ok, "\n".join(detail)


def main():
    state_dir = os.environ["KC_PKG_STATE"]
    emu = emuclient.Emulator.from_env()
    sink = LogSink()
    user = None
    try:
        tok = emu.create_token(hash_type="SHA256")
        user = User(state_dir)
        user.start_session()
        ca = user.write("emulator-ca.pem", open(os.environ["KC_EMU_CA"]).read(), 0o644)
        r = run(user.as_user([HELPER, "login", "--service-url", os.environ["KC_EMU_URL"],
                              "--partner-id", str(emu.partner_id), "--app-token-id", tok["id"],
                              "--hash", "sha256", "--ca-file", ca]),
                input=tok["token"] + "\n", env=user.env, cwd=user.pw.pw_dir)
        report(r.returncode == 0, "installed kaltura-credential login stores the token",
               r.stderr)
        r = run(user.as_user([HELPER, "erase"]), input="\n", env=user.env, cwd=user.pw.pw_dir)
        report(r.returncode == 0, "erase: the login session must mint its own KS", r.stderr)

        for name in COMMON:
            if any("pam_kaltura" in ln for ln in pam_lines(name)):
                report(False, "profile off by default", f"{name} names pam_kaltura")
                break
        else:
            report(True, "profile off by default (Default: no)")

        r = run(["pam-auth-update", "--enable", "kaltura"],
                env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        report(r.returncode == 0, "pam-auth-update --enable kaltura", r.stdout + r.stderr)
        ok, detail = check_enabled()
        report(ok, "the line: common-session only, last module, after pam_systemd", detail)

        before = emu.stats()["requests"]
        env, r, log = su_session(user, sink)
        after = emu.stats()["requests"]
        ks = env.get("KS", "")
        detail = f"rc {r.returncode}\nstdout {r.stdout}\nstderr {r.stderr}\nsyslog {log}"
        if report(r.returncode == 0 and ks != "", "su -l: the session has KALTURA_KS", detail):
            v = emu.control("validate", ks=ks)
            report(v["valid"] and v["partnerId"] == int(emu.partner_id)
                   and f"apptoken:{tok['id']}" in (v["privileges"] or ""),
                   "the emulator accepts it as a KS of this App Token", json.dumps(v))
            minted = {k: after.get(k, 0) - before.get(k, 0) for k in after}
            report(any("startsession" in k.lower() and c > 0 for k, c in minted.items()),
                   "minted during the login (appToken.startSession)", json.dumps(minted))
            exp = env.get("EXPIRY", "")
            report(exp.isdigit() and int(exp) > time.time(),
                   "KALTURA_KS_EXPIRY is its expiry, in the future", exp)

        r = run(["pam-auth-update", "--disable", "kaltura"],
                env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        report(r.returncode == 0, "pam-auth-update --disable kaltura", r.stdout + r.stderr)
        still = [name for name in COMMON if any("pam_kaltura" in ln for ln in pam_lines(name))]
        report(not still, "the line is gone from /etc/pam.d/common-*", still)
        env, r, log = su_session(user, sink)
        report(r.returncode == 0 and env.get("KS", "x") == "",
               "su -l after --disable: no KALTURA_KS",
               f"rc {r.returncode}\nstdout {r.stdout}\nstderr {r.stderr}")
    except Exception as exc:  # report, then clean up
        report(False, "the login session flow ran", repr(exc))
    finally:
        if user is not None:
            user.remove(state_dir)
        sink.close()
    print(f"1..{n}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
