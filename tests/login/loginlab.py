"""The login lab: real `su`, `runuser`, `login` and OpenSSH `sshd` logging a throwaway user in,
with pam_kaltura.so from the build tree in their real PAM stacks (tests/login, suite 'login').

What it sets up (as root; every change journalled first and undone at the end, after a kill
too: sysstate.py):
  - throwaway users (`kclogin<hex>`, password set, uid >= 1000) with /run/user/UID (0700) as
    pam_systemd would make it;
  - per user a session bus at /run/user/UID/bus (dbus-daemon as the user, a config naming no
    service directory: nothing is D-Bus-activated behind the test's back) and a
    gnome-keyring-daemon on it, unlocked with the login password (or locked, or stopped);
  - the doc/pam.md stack blocks (stacks.py) appended to /etc/pam.d/{su,runuser-l,login} and
    to the PAM service of a private sshd (own config, host key, loopback port; its PAM
    service is its program name, a symlink `kcsshd-TAG` to /usr/sbin/sshd);
  - /dev/log owned by the test (no syslog daemon runs here) to read what the module logs;
  - a tiny HTTP CONNECT proxy that counts what goes through it.
Everything waits for events (a line on a pipe, a name on the bus, a process's exit), never
for a fixed time.
"""
import ctypes
import os
import pwd
import re
import secrets
import select
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import emuclient
import stacks
import sysstate

SCALE = float(os.environ.get("KC_TEST_TIMEOUT_SCALE", "1"))
MODULE = os.environ.get("KC_PAM_MODULE", "")
HELPER = os.environ.get("KC_HELPER_BIN", "")
SSHD = "/usr/sbin/sshd"
SECRETS_SERVICE = "/usr/share/dbus-1/services/org.freedesktop.secrets.service"
PATH = "/usr/local/bin:/usr/bin:/bin"
ROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The environment of the login programs the tests start (as root would run them).
ROOT_ENV = {"PATH": ROOT_PATH, "HOME": "/root", "USER": "root", "LOGNAME": "root",
            "LANG": "C.UTF-8"}
PROMPT = "kc-login-ready$ "
# What every session prints: the KS and its expiry, between markers a terminal's echo of the
# command line itself (with %s in it) cannot match.
SHOW_KS = "printf 'KC-KS=<%s>\\nKC-EXP=<%s>\\n' \"$KALTURA_KS\" \"$KALTURA_KS_EXPIRY\""
KS_RE = re.compile(r"KC-KS=<([A-Za-z0-9+/=_.-]*)>\r?\nKC-EXP=<([0-9]*)>")


def scaled(seconds):
    return seconds * SCALE


def wait_for(predicate, timeout, what, interval=0.01):
    """Poll predicate() until it returns something true; that value. AssertionError naming
    `what` after timeout seconds (scaled)."""
    deadline = time.monotonic() + scaled(timeout)
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {scaled(timeout):.1f} s waiting for {what}")
        time.sleep(interval)


def read_until(fd, regex, timeout, buf=b"", what=None):
    """Read fd until regex (bytes) matches the accumulated data; (match, data). EOF or the
    deadline without a match: AssertionError with the data."""
    deadline = time.monotonic() + scaled(timeout)
    while True:
        m = re.search(regex, buf)
        if m:
            return m, buf
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out waiting for {what or regex!r}; got {buf[-2000:]!r}")
        r, _, _ = select.select([fd], [], [], left)
        if r:
            chunk = os.read(fd, 65536)
            if not chunk:
                raise AssertionError(f"EOF before {what or regex!r}; got {buf[-2000:]!r}")
            buf += chunk


def process_alive(pid):
    return sysstate.process_start(pid) is not None


# ---------------------------------------------------------------- results

class Login:
    """The outcome of one login: exit status, output, the KS the session saw, wall time."""

    def __init__(self, how, rc, out, elapsed):
        self.how, self.rc, self.out, self.elapsed = how, rc, out, elapsed
        m = KS_RE.search(out)
        self.shown = m is not None
        self.ks = m[1] if m and m[1] else None
        self.expiry = int(m[2]) if m and m[2] else None

    def __repr__(self):
        tail = self.out[-600:].replace(self.ks, "<KS>") if self.ks else self.out[-600:]
        return (f"<{self.how}: rc={self.rc} ks={'yes' if self.ks else 'no'} "
                f"elapsed={self.elapsed:.3f}s out={tail!r}>")


# ---------------------------------------------------------------- syslog

class Syslog:
    """/dev/log for the test's duration: a SOCK_DGRAM socket read by a thread.

    No syslog daemon runs on the CI machine, so /dev/log does not exist: the socket is bound
    there (journalled, removed at the end). If it exists (a syslog daemon, or another test),
    this process moves into a private mount namespace first and binds its own socket over
    /dev/log there: every login program it starts logs to the test, nobody else is affected.
    Must be started while the process has a single thread (unshare(CLONE_NEWNS))."""

    PATH = "/dev/log"

    def __init__(self, lab):
        self.lines = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        if os.path.lexists(self.PATH):
            private = os.path.join(lab.dir, "log.sock")
            self.sock.bind(private)
            os.chmod(private, 0o666)
            self._bind_over(private, self.PATH)
        else:
            self.sock.bind(self.PATH)
            st = os.lstat(self.PATH)
            lab.journal.record("socket", path=self.PATH, dev=st.st_dev, ino=st.st_ino)
            os.chmod(self.PATH, 0o666)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    @staticmethod
    def _bind_over(source, target):
        libc = ctypes.CDLL(None, use_errno=True)
        clone_newns, ms_rec, ms_private, ms_bind = 0x00020000, 0x4000, 0x40000, 0x1000
        if libc.unshare(clone_newns) != 0:
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
        if libc.mount(b"none", b"/", None, ms_rec | ms_private, None) != 0:
            raise OSError(ctypes.get_errno(), "mount --make-rprivate /")
        if libc.mount(source.encode(), target.encode(), None, ms_bind, None) != 0:
            raise OSError(ctypes.get_errno(), f"mount --bind {source} {target}")

    def _read(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            with self.lock:
                self.lines.append(data.decode("utf-8", "replace"))

    def mark(self):
        with self.lock:
            return len(self.lines)

    def since(self, mark=0):
        with self.lock:
            return list(self.lines[mark:])

    def wait_line(self, regex, mark=0, timeout=10):
        return wait_for(lambda: next((l for l in self.since(mark) if re.search(regex, l)),
                                     None), timeout, f"a syslog line matching {regex!r}")


# ---------------------------------------------------------------- proxy

class ConnectProxy:
    """An HTTP CONNECT proxy on 127.0.0.1 that relays to `allowed` (host, port) only and
    counts the tunnels it opened."""

    def __init__(self, allowed):
        self.allowed = allowed
        self.tunnels = []
        self.lock = threading.Lock()
        self.srv = socket.create_server(("127.0.0.1", 0))
        self.port = self.srv.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def count(self):
        with self.lock:
            return len(self.tunnels)

    def _accept(self):
        while True:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with conn:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 8192:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            m = re.match(rb"CONNECT ([^:\s]+):(\d+) HTTP/1\.[01]\r\n", head)
            if not m or (m[1].decode(), int(m[2])) not in self.allowed:
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            with self.lock:
                self.tunnels.append((m[1].decode(), int(m[2])))
            try:
                upstream = socket.create_connection(("127.0.0.1", int(m[2])), timeout=10)
            except OSError:
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            with upstream:
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                rest = head.split(b"\r\n\r\n", 1)[1]
                if rest:
                    upstream.sendall(rest)
                self._relay(conn, upstream)

    @staticmethod
    def _relay(a, b):
        socks = [a, b]
        while socks:
            r, _, _ = select.select(socks, [], [], 60)
            if not r:
                return
            for s in r:
                other = b if s is a else a
                try:
                    data = s.recv(65536)
                except OSError:
                    return
                if not data:
                    try:
                        other.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    socks.remove(s)
                    continue
                other.sendall(data)

    def close(self):
        self.srv.close()


# ---------------------------------------------------------------- users and their sessions

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- The user's session bus, as dbus-user-session provides it, but with a service
     directory of the test's own, empty unless a test puts the Secret Service's activation
     file there: nothing is activated behind the test's back (a stopped keyring stays
     stopped). -->
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path={runtime}/bus</listen>
  <servicedir>{services}</servicedir>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


class User:
    """A throwaway user: password, home, /run/user/UID, and a session world (bus, keyring)
    that tests switch between states."""

    def __init__(self, lab, name):
        self.lab, self.name = lab, name
        self.password = "kc-" + secrets.token_urlsafe(12)
        lab.journal.record("user", name=name)
        subprocess.run(["useradd", "-m", "-s", "/bin/bash", "-c", lab.journal.marker(), name],
                       check=True, capture_output=True)
        subprocess.run(["chpasswd"], input=f"{name}:{self.password}\n", text=True, check=True)
        pw = pwd.getpwnam(name)
        self.uid, self.gid, self.home = pw.pw_uid, pw.pw_gid, pw.pw_dir
        self.runtime = f"/run/user/{self.uid}"
        self.bus_address = f"unix:path={self.runtime}/bus"
        if not os.path.isdir("/run/user"):
            lab.journal.record("empty_dir", path="/run/user")
            os.makedirs("/run/user", mode=0o755, exist_ok=True)
        lab.journal.record("dir", path=self.runtime)
        os.makedirs(self.runtime, mode=0o700, exist_ok=True)
        os.chown(self.runtime, self.uid, self.gid)
        os.chmod(self.runtime, 0o700)
        # An interactive login shell says when it is ready for input (tests wait for it).
        self.write_file(".bash_profile", f"PS1='{PROMPT}'\n")
        self.bus = None
        self.keyring = None
        self.bus_config = os.path.join(lab.public, f"bus-{name}.conf")
        self.services = os.path.join(lab.public, f"dbus-services-{name}")
        os.mkdir(self.services, 0o755)
        with open(self.bus_config, "w") as f:
            f.write(BUS_CONFIG.format(runtime=self.runtime, services=self.services))
        os.chmod(self.bus_config, 0o644)

    # -- running things as the user

    def env(self, **extra):
        env = {"HOME": self.home, "USER": self.name, "LOGNAME": self.name, "PATH": PATH,
               "XDG_RUNTIME_DIR": self.runtime, "DBUS_SESSION_BUS_ADDRESS": self.bus_address,
               "LANG": "C.UTF-8"}
        env.update(extra)
        return env

    def argv(self, argv, env=None, pdeathsig=False):
        """argv run as the user, with only env (default: self.env()) in its environment."""
        pre = ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--init-groups"]
        if pdeathsig:
            pre += ["--pdeathsig", "KILL"]
        env = self.env() if env is None else env
        return pre + ["env", "-i"] + [f"{k}={v}" for k, v in env.items()] + list(argv)

    def run(self, argv, input=None, env=None, timeout=30, check=True):
        p = subprocess.run(self.argv(argv, env), input=input, capture_output=True, text=True,
                           cwd=self.home, timeout=scaled(timeout))
        if check and p.returncode != 0:
            raise AssertionError(f"as {self.name}: {argv} exited {p.returncode}: "
                                 f"{p.stderr.strip()}")
        return p

    def write_file(self, rel, text, mode=0o644):
        path = os.path.join(self.home, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        d = path
        while d != self.home:
            os.chown(d, self.uid, self.gid)
            d = os.path.dirname(d)
        return path

    def helper(self, *args, input="", env=None, check=True, timeout=30):
        """The build tree's kaltura-credential, run as the user in its session world."""
        return self.run([self.lab.helper, *args], input=input, env=env, check=check,
                        timeout=timeout)

    # -- the session bus

    def bus_running(self):
        return self.bus is not None and self.bus.poll() is None

    def start_bus(self):
        if self.bus_running():
            return
        sock = os.path.join(self.runtime, "bus")
        if os.path.lexists(sock):
            os.unlink(sock)
        self.bus = subprocess.Popen(
            self.argv(["dbus-daemon", f"--config-file={self.bus_config}", "--nofork",
                       "--print-address=1"], pdeathsig=True),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd="/")
        self.lab.record_process(self.bus.pid)
        # It prints its address once it listens: the event to wait for.
        read_until(self.bus.stdout.fileno(), rb"unix:path=[^\n]*\n", 20,
                   what=f"{self.name}'s session bus")

    def stop_bus(self):
        """Stop the bus (the keyring daemons on it go with it); the socket is gone after."""
        self.stop_keyring()
        if self.bus_running():
            self.bus.terminate()
            self.bus.wait(timeout=scaled(10))
        if self.bus is not None:
            self.bus.stdout.close()
        self.bus = None
        sock = os.path.join(self.runtime, "bus")
        if os.path.lexists(sock):
            os.unlink(sock)

    def dbus_call(self, *args, check=True):
        return self.run(["gdbus", "call", "--session", *args], check=check, timeout=30)

    def name_owned(self, name):
        p = self.dbus_call("--dest", "org.freedesktop.DBus", "--object-path",
                           "/org/freedesktop/DBus", "--method",
                           "org.freedesktop.DBus.NameHasOwner", name)
        return "true" in p.stdout

    def secrets_activatable(self, on):
        """Whether the bus can start the Secret Service on demand (D-Bus activation), as a
        host with gnome-keyring and dbus-user-session can: its activation file in the bus's
        service directory, or not."""
        target = os.path.join(self.services, os.path.basename(SECRETS_SERVICE))
        if on and not os.path.exists(target):
            shutil.copy(SECRETS_SERVICE, target)
        elif not on and os.path.exists(target):
            os.unlink(target)
        else:
            return
        if self.bus_running():  # synchronous: the bus has re-read its service dirs after
            self.dbus_call("--dest", "org.freedesktop.DBus", "--object-path",
                           "/org/freedesktop/DBus", "--method",
                           "org.freedesktop.DBus.ReloadConfig")

    # -- the keyring

    def keyring_pids(self):
        """Every gnome-keyring-daemon of the user (the test's own and any that
        pam_gnome_keyring started), zombies excluded."""
        pids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                st = os.stat(f"/proc/{d}")
                with open(f"/proc/{d}/comm") as f:
                    comm = f.read().strip()
            except OSError:
                continue
            if st.st_uid == self.uid and comm.startswith("gnome-keyring-d") and \
                    process_alive(int(d)):
                pids.append(int(d))
        return pids

    def start_keyring(self, unlock=True):
        """gnome-keyring-daemon (secrets only) on the user's bus, in the foreground as the
        test's child; unlocked with the login password (the first time, that creates the
        login keyring with it), or started locked."""
        self.start_bus()
        self.stop_keyring()
        args = ["gnome-keyring-daemon", "--foreground", "--components=secrets"]
        args.append("--unlock" if unlock else "--start")
        self.keyring = subprocess.Popen(
            self.argv(args, pdeathsig=True), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, cwd=self.home, text=True)
        self.lab.record_process(self.keyring.pid)
        if unlock:
            self.keyring.stdin.write(self.password)
        self.keyring.stdin.close()
        # Owning org.freedesktop.secrets is the event; `gdbus wait` blocks for it.
        self.run(["gdbus", "wait", "--session", "--timeout", str(int(scaled(20))),
                  "org.freedesktop.secrets"], timeout=30)
        wait_for(lambda: self.keyring_locked() is (not unlock), 20,
                 f"the keyring to be {'unlocked' if unlock else 'locked'}")

    def keyring_locked(self):
        """True/False for the default collection's Locked property; None if unknown."""
        p = self.dbus_call("--dest", "org.freedesktop.secrets", "--object-path",
                           "/org/freedesktop/secrets/aliases/default", "--method",
                           "org.freedesktop.DBus.Properties.Get",
                           "org.freedesktop.Secret.Collection", "Locked", check=False)
        if "true" in p.stdout:
            return True
        if "false" in p.stdout:
            return False
        return None

    def stop_keyring(self):
        for pid in self.keyring_pids():
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        if self.keyring is not None:
            try:
                self.keyring.wait(timeout=scaled(10))
            except subprocess.TimeoutExpired:
                self.keyring.kill()
                self.keyring.wait()
            self.keyring = None
        wait_for(lambda: not self.keyring_pids(), 10, f"{self.name}'s keyring daemons to exit")
        if self.bus_running():
            wait_for(lambda: not self.name_owned("org.freedesktop.secrets"), 10,
                     "org.freedesktop.secrets to leave the bus")

    def world(self, bus=True, keyring="unlocked"):
        """Put the user's session world into a state: bus running or not; keyring
        'unlocked', 'locked' or 'stopped'."""
        if not bus:
            self.stop_bus()
            return
        self.start_bus()
        if keyring == "stopped":
            self.stop_keyring()
        elif keyring == "unlocked":
            if not (self.keyring_pids() and self.keyring_locked() is False):
                self.start_keyring(unlock=True)
        elif keyring == "locked":
            self.start_keyring(unlock=False)
        else:
            raise ValueError(keyring)

    def clear_cache(self):
        """Forget every cached KS and widget KS of the user (the helper's cache dir)."""
        shutil.rmtree(os.path.join(self.runtime, "kaltura-credential"), ignore_errors=True)


# ---------------------------------------------------------------- the private sshd

class Sshd:
    """sshd -D on 127.0.0.1 with its own config, host key and PAM service (its program
    name: a symlink kcsshd-TAG to /usr/sbin/sshd, so PAM reads /etc/pam.d/kcsshd-TAG)."""

    def __init__(self, lab, users):
        self.lab = lab
        self.dir = os.path.join(lab.dir, "sshd")
        os.mkdir(self.dir, 0o700)
        self.name = sysstate.SSHD_SERVICE_PREFIX + lab.tag
        self.program = os.path.join(self.dir, self.name)
        os.symlink(SSHD, self.program)
        self.pam_file = os.path.join(sysstate.PAM_DIR, self.name)
        self.host_key = os.path.join(self.dir, "host_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kc-login-test",
                        "-f", self.host_key], check=True)
        self.client_key = os.path.join(self.dir, "client_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kc-login-test",
                        "-f", self.client_key], check=True)
        with open(self.client_key + ".pub") as f:
            pub = f.read()
        for u in users:
            u.write_file(".ssh/authorized_keys", pub, mode=0o600)
            os.chmod(os.path.join(u.home, ".ssh"), 0o700)
        self.users = users
        self.proc = None
        self.log = []
        if not os.path.isdir("/run/sshd"):  # privilege separation dir (sshd refuses without)
            lab.journal.record("empty_dir", path="/run/sshd")
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)

    def config(self, port):
        return "\n".join([
            f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {self.host_key}",
            "PidFile none", "UsePAM yes",
            # Debian's defaults for the password paths, plus keyboard-interactive so that the
            # documented "cannot" case can be shown (clients choose the method).
            "PasswordAuthentication yes", "KbdInteractiveAuthentication yes",
            "PubkeyAuthentication yes", "PermitRootLogin no",
            "AllowUsers " + " ".join(u.name for u in self.users),
            "UseDNS no", "PrintMotd no", "PrintLastLog no", "X11Forwarding no",
            "LogLevel VERBOSE", "MaxStartups 30:30:60", "MaxSessions 30", ""])

    def set_pam(self, lines):
        """The private PAM service: Debian's /etc/pam.d/sshd followed by lines."""
        with open(os.path.join(sysstate.PAM_DIR, "sshd")) as f:
            stock = f.read()
        text = (f"# {self.lab.journal.marker()} FILE: private sshd service of tests/login\n"
                + stock.rstrip("\n") + "\n" + "\n".join(lines) + "\n")
        self.lab.journal.record("pam_file", path=self.pam_file)
        sysstate.write_atomic(self.pam_file, text, like=os.path.join(sysstate.PAM_DIR, "sshd"))

    def start(self):
        for _ in range(20):  # a free port can be taken between the probe and sshd's bind
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
            conf = os.path.join(self.dir, "sshd_config")
            with open(conf, "w") as f:
                f.write(self.config(self.port))
            self.proc = subprocess.Popen(
                ["setpriv", "--pdeathsig", "KILL", self.program, "-D", "-e", "-f", conf],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            self.lab.record_process(self.proc.pid)
            try:
                _, buf = read_until(self.proc.stderr.fileno(),
                                    rb"Server listening on 127\.0\.0\.1 port \d+", 20,
                                    what="sshd to listen")
            except AssertionError as e:
                self.proc.kill()
                self.proc.wait()
                if "Address already in use" in str(e):
                    continue
                raise
            self.log.append(buf.decode("utf-8", "replace"))
            threading.Thread(target=self._drain, args=(self.proc.stderr,), daemon=True).start()
            return
        raise AssertionError("sshd found no free port")

    def _drain(self, pipe):
        for line in pipe:
            self.log.append(line.decode("utf-8", "replace"))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=scaled(10))

    def client(self, user, command, method="password", password=None):
        """argv and env of an ssh client logging user in with method (password,
        keyboard-interactive or publickey) and running command."""
        argv = ["ssh", "-F", "/dev/null", "-p", str(self.port), "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", f"PreferredAuthentications={method}", "-o", "IdentitiesOnly=yes",
                "-o", f"ConnectTimeout={int(scaled(20))}"]
        env = {"PATH": PATH, "HOME": self.dir}
        if method == "publickey":
            argv += ["-o", "BatchMode=yes", "-i", self.client_key]
        else:
            argv = ["sshpass", "-e"] + argv + ["-o", "PubkeyAuthentication=no"]
            env["SSHPASS"] = password if password is not None else user.password
        return argv + [f"{user.name}@127.0.0.1", command], env


# ---------------------------------------------------------------- the lab

# PAM services the tests edit, and the doc/pam.md block each gets.
SYSTEM_SERVICES = {"su": "su", "runuser-l": "runuser-l", "login": "login"}


class Lab:
    def __init__(self):
        if os.geteuid() != 0:
            raise PermissionError("the login lab needs root")
        self.tag = secrets.token_hex(4)
        sysstate.sweep()  # leftovers of a killed earlier run, if its watchdog died too
        self.journal = sysstate.Journal(self.tag)
        self.watchdog = self.journal.start_watchdog()
        self.dir = tempfile.mkdtemp(prefix="kc-login-")
        self.journal.record("dir", path=self.dir)
        # Files the users' processes read (bus configs): a root-owned 0755 dir.
        self.public = os.path.join(self.dir, "public")
        os.mkdir(self.public, 0o755)
        os.chmod(self.dir, 0o711)
        # The helper the module runs: the build tree's frontend and minter, copied into a
        # root-owned 0755 dir. The module's trust rule wants root-owned files in a directory
        # nobody else can write, and the users must be able to reach them: a build tree
        # under a 0700 directory (a home, mktemp -d) could not serve a login.
        self.bin = os.path.join(self.public, "bin")
        os.mkdir(self.bin, 0o755)
        for prog in (HELPER, os.path.join(os.path.dirname(HELPER), "kaltura-credential-mint")):
            shutil.copy(prog, self.bin)
            os.chmod(os.path.join(self.bin, os.path.basename(prog)), 0o755)
        self.helper = os.path.join(self.bin, os.path.basename(HELPER))
        self.stacks = stacks.doc_stacks()
        self.users = []
        self.sshd = None
        self.syslog = None
        self.emu = None

    def record_process(self, pid):
        self.journal.record("process", pid=pid, start=sysstate.process_start(pid))

    def add_user(self, suffix=""):
        user = User(self, f"kclogin{self.tag}{suffix}")
        self.users.append(user)
        return user

    def check_helper_reachable(self, user):
        """The user can run the helper (every directory above it searchable)."""
        p = user.run([self.helper, "--version"], check=False)
        if p.returncode != 0:
            raise AssertionError(f"{user.name} cannot run {self.helper} "
                                 f"(rc {p.returncode}: {p.stderr.strip()})")

    # -- PAM stacks

    def systemd_standin(self):
        """{user: [pam_env line]}: what pam_systemd would put into the PAM environment
        (XDG_RUNTIME_DIR, and the bus dbus-user-session keeps there) on a host with logind.
        pam_systemd itself runs too (common-session) but finds no logind here."""
        out = {}
        for u in self.users:
            conf = os.path.join(self.public, f"systemd-standin-{u.name}.conf")
            with open(conf, "w") as f:
                f.write(f"XDG_RUNTIME_DIR DEFAULT={u.runtime}\n"
                        f"DBUS_SESSION_BUS_ADDRESS DEFAULT={u.bus_address}\n")
            out[u.name] = [f"session optional pam_env.so readenv=0 user_readenv=0 "
                           f"conffile={conf}"]
        return out

    def stack_lines(self, block, module_args=(), extra=None):
        """doc/pam.md's block rendered for the test users; extra: {user: [session lines]}
        after the pam_systemd stand-in."""
        prelude = self.systemd_standin()
        for user, lines in (extra or {}).items():
            prelude[user] = prelude.get(user, []) + list(lines)
        return stacks.render(self.stacks[block], MODULE, self.module_args(module_args),
                             [u.name for u in self.users], prelude)

    def module_args(self, extra=()):
        """The test's options for pam_kaltura.so: the build tree's helper, debug logging,
        and extra (an option given there replaces the default of the same name)."""
        args = ["debug", f"helper={self.helper}", "timeout=10"]
        for a in extra:
            args = [x for x in args if x.split("=")[0] != a.split("=")[0]] + [a]
        return args

    def configure(self, services=None, module_args=(), extra=None):
        """Append (or replace) the test's block in each service: 'su', 'runuser-l', 'login',
        'sshd' (the private sshd's service)."""
        for svc in services or list(SYSTEM_SERVICES) + ["sshd"]:
            block = "sshd" if svc == "sshd" else SYSTEM_SERVICES[svc]
            lines = self.stack_lines(block, module_args, extra)
            if svc == "sshd":
                self.sshd.set_pam(lines)
            else:
                self.journal.set_pam_block(os.path.join(sysstate.PAM_DIR, svc), lines)

    def foreign_module_lines(self):
        """Lines naming pam_kaltura.so in /etc/pam.d outside any login-test block or
        private sshd service (e.g. a package's pam-auth-update profile in common-session)."""
        found = []
        for name in sorted(os.listdir(sysstate.PAM_DIR)):
            if name.startswith(sysstate.SSHD_SERVICE_PREFIX):
                continue
            path = os.path.join(sysstate.PAM_DIR, name)
            try:
                with open(path) as f:
                    lines = f.read().splitlines()
            except OSError:
                continue
            inside = False
            for line in lines:
                if line.startswith(f"# {sysstate.MARK} "):
                    inside = " BEGIN" in line
                elif not inside and "pam_kaltura" in line and not line.lstrip().startswith("#"):
                    found.append(f"{path}: {line.strip()}")
        return found

    def unconfigure(self, services):
        for svc in services:
            if svc == "sshd":
                self.sshd.set_pam([])
            else:
                self.journal.set_pam_block(os.path.join(sysstate.PAM_DIR, svc), None)

    # -- logging in

    def _run(self, how, argv, env=None, input=None, timeout=60):
        start = time.monotonic()
        p = subprocess.run(argv, input=input, capture_output=True, text=True, env=env,
                           timeout=scaled(timeout), cwd="/")
        return Login(how, p.returncode, p.stdout + p.stderr, time.monotonic() - start)

    def su(self, user, login_shell=True, command=SHOW_KS):
        argv = ["su"] + (["-l"] if login_shell else []) + [user.name, "-c", command]
        return self._run("su -l" if login_shell else "su", argv,
                         env=ROOT_ENV)

    def runuser(self, user, command=SHOW_KS):
        return self._run("runuser -l", ["runuser", "-l", user.name, "-c", command],
                         env=ROOT_ENV)

    def ssh(self, user, method="password", command=SHOW_KS, password=None):
        argv, env = self.sshd.client(user, command, method, password)
        return self._run(f"ssh ({method})", argv, env=env)

    def console(self, user, password=None, command=SHOW_KS, timeout=30):
        """`login` on a pseudo-terminal: `login -f USER` (no password), or `login USER`
        answering its password prompt; then the command in the login shell."""
        cmd = f"login {user.name}" if password is not None else f"login -f {user.name}"
        return self._pty(f"login{'' if password is not None else ' -f'}", cmd, password,
                         shell_command=command, timeout=timeout)

    def su_with_password(self, caller, user, command=SHOW_KS, timeout=30):
        """`su -l USER -c COMMAND` run by another (non-root) user on a pseudo-terminal,
        typing USER's password at su's prompt."""
        cmd = f"su -l {user.name} -c {shlex.quote(command)}"
        return self._pty("su -l (password)", cmd, user.password, as_user=caller,
                         timeout=timeout)

    def _pty(self, how, cmd, password, shell_command=None, as_user=None, timeout=30):
        """cmd on a pseudo-terminal (util-linux script), driven by waiting for its output:
        the password prompt (if password), the shell prompt (if shell_command, which is then
        typed, followed by exit), the KS line, then EOF: the login program has closed the
        session and exited."""
        argv = ["script", "-qfec", cmd, "/dev/null"]
        env = dict(ROOT_ENV, TERM="dumb")
        if as_user is not None:
            env = as_user.env(TERM="dumb")
            argv = as_user.argv(argv, env)
        start = time.monotonic()
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, cwd="/", env=env)
        fd = p.stdout.fileno()
        buf = b""
        try:
            if password is not None:
                _, buf = read_until(fd, rb"Password: ?$", timeout, buf, f"{how}'s password prompt")
                p.stdin.write(password.encode() + b"\n")
                p.stdin.flush()
            if shell_command is not None:
                _, buf = read_until(fd, re.escape(PROMPT.encode()), timeout, buf,
                                    "the shell prompt")
                p.stdin.write(shell_command.encode() + b"\nexit\n")
                p.stdin.flush()
            _, buf = read_until(fd, KS_RE.pattern.encode(), timeout, buf, "the KS line")
            while True:
                r, _, _ = select.select([fd], [], [], scaled(timeout))
                chunk = os.read(fd, 65536) if r else b""
                if not chunk:
                    break
                buf += chunk
            p.stdin.close()
            rc = p.wait(timeout=scaled(timeout))
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()
        return Login(how, rc, buf.decode("utf-8", "replace"), time.monotonic() - start)

    def open_session(self, user):
        """An su -l login that stays open until .close(): its KS is read as soon as the
        session shows it."""
        command = SHOW_KS + "; read _ || :"  # ends at EOF on stdin, with status 0
        return OpenSession("su -l", ["su", "-l", user.name, "-c", command], ROOT_ENV)

    # -- the end

    def close(self):
        errors = []
        if self.sshd is not None:
            self.sshd.stop()
        for u in self.users:
            try:
                u.stop_bus()
            except Exception as e:  # keep going: the journal undoes the rest
                errors.append(f"{u.name}: {e}")
        errors += self.journal.undo_all()
        return errors


class OpenSession:
    def __init__(self, how, argv, env):
        self.how = how
        self.start = time.monotonic()
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, env=env, cwd="/")
        m, self.buf = read_until(self.p.stdout.fileno(), KS_RE.pattern.encode(), 60,
                                 what=f"the KS of the {how} session")
        self.ks = m[1].decode() or None
        self.expiry = int(m[2]) if m[2] else None

    def close(self, timeout=60):
        """End the session (its shell reads EOF); returns when the login program has exited,
        i.e. after its close_session."""
        self.p.stdin.close()
        rest = self.p.stdout.read()
        rc = self.p.wait(timeout=scaled(timeout))
        self.p.stdout.close()
        return Login(self.how, rc, (self.buf + rest).decode("utf-8", "replace"),
                     time.monotonic() - self.start)


def test_block(text, tag):
    """The lines of the test's block (tag) in a PAM file's text, markers excluded."""
    lines = text.splitlines()
    begin = [i for i, l in enumerate(lines)
             if l.startswith(f"# {sysstate.MARK} tag={tag} ") and " BEGIN" in l]
    end = [i for i, l in enumerate(lines) if l.startswith(f"# {sysstate.MARK} tag={tag} END")]
    if len(begin) == 1 and len(end) == 1:
        return lines[begin[0] + 1:end[0]]
    # the private sshd service: everything after Debian's sshd lines is the test's
    with open(os.path.join(sysstate.PAM_DIR, "sshd")) as f:
        stock = f.read().rstrip("\n").splitlines()
    return lines[1 + len(stock):]


def emulator():
    return emuclient.Emulator.from_env()
