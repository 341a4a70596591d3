"""The login lab: real `su`, `runuser`, `login` and OpenSSH `sshd` logging a throwaway user in,
with pam_kaltura.so from the build tree in their real PAM stacks (tests/login, suite 'login').

What it sets up (as root; every change journalled first and undone at the end, after a kill
too: sysstate.py):
  - throwaway users (`kclogin<hex>`, password set, uid >= 1000) with /run/user/UID (0700) as
    pam_systemd would make it;
  - per user a session bus at /run/user/UID/bus (dbus-daemon as the user, with a service
    directory of the test's own: nothing is D-Bus-activated behind the test's back) and a
    gnome-keyring-daemon on it, unlocked with the login password (or locked, or stopped);
  - the doc/pam.md stack blocks (stacks.py) appended to /etc/pam.d/{su,runuser-l,login} and
    to the PAM service of a private sshd (own config, host key, loopback port; its PAM
    service is its program name, a symlink `kcsshd-TAG` to /usr/sbin/sshd);
  - /dev/log owned by the test (no syslog daemon runs here) to read what the module logs;
  - a tiny HTTP CONNECT proxy that counts what goes through it.
Everything waits for events (a line on a pipe, a name on the bus, a process's exit), never
for a fixed time. The pieces: lab_user.py (users, bus, keyring), private_sshd.py,
syslog_capture.py, labcommon.py (paths, waiting), sysstate.py (undo); the proxy is
tests/lib/recording_proxy.py.
"""
import os
import re
import secrets
import select
import shlex
import shutil
import subprocess
import tempfile
import time

import emuclient
import stacks
import sysstate
from lab_user import User
from labcommon import (HELPER, KS_RE, MODULE, PROMPT, ROOT_ENV, SHOW_KS, read_until,
                       scaled)


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


# ---------------------------------------------------------------- the lab

# PAM services the tests edit, and the doc/pam.md block each gets.
SYSTEM_SERVICES = {"su": "su", "runuser-l": "runuser-l", "login": "login"}


class Lab:
    def __init__(self):
        if os.geteuid() != 0:
            raise PermissionError("the login lab needs root")
        self.lab_lock = sysstate.hold_lab_lock()  # waits for another run's lab
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
        os.close(self.lab_lock)  # never LOCK_UN: a parent may share this open file
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
