"""Throwaway users and their session world (bus, keyring) for the login tests."""
import os
import pwd
import secrets
import shutil
import signal
import subprocess

from labcommon import (PATH, PROMPT, SECRETS_SERVICE, process_alive, read_until, scaled,
                       wait_for)


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
