#!/usr/bin/python3
"""Secret Service providers for tests, each alone on a private session bus.

    secret_providers.py run PROVIDER [SECTION/KEY=VALUE ...] -- CMD [ARGS...]

runs inside `dbus-run-session --config-file tests/lib/private-bus.conf` (tests/lib/
with-secret-provider.sh and its with-keepassxc.sh / with-kwallet.sh wrappers do that). It
starts PROVIDER headless (gnome-keyring, keepassxc, kwallet, or fake: tests/lib/
fake_secret_service.py), asserts that this very process, and nothing else, owns
org.freedesktop.secrets and that nothing can be D-Bus-activated on the bus, waits until the
default collection is there and unlocked, runs CMD with KC_PROVIDER (the name) and
KC_PROVIDER_STATE (a JSON file) exported, then stops the provider and exits with CMD's status.

A test process drives the running provider through attach(): lock(), unlock(), locked(),
restart(settings) (same store, other settings), and entries(): the provider's OWN view of its
store (keepassxc-cli on the .kdbx, kwallet-query and the wallet's attribute file, raw D-Bus
for gnome-keyring and the fake), never libsecret, so a test checks the helper against
something that does not share its client library.

Every wait here waits for a state (a bus name's owner, a property's value, a file's content),
polled, with a generous bound scaled by KC_TEST_TIMEOUT_SCALE; nothing sleeps and hopes.
The recipes behind each provider: doc/keyrings.md."""
import base64
import ctypes
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET

import dbus

SECRETS = "org.freedesktop.secrets"
SERVICE_PATH = "/org/freedesktop/secrets"
SERVICE = "org.freedesktop.Secret.Service"
COLLECTION = "org.freedesktop.Secret.Collection"
ITEM = "org.freedesktop.Secret.Item"
PROMPT = "org.freedesktop.Secret.Prompt"
PROPS = "org.freedesktop.DBus.Properties"
BUS = ("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus")
SCALE = float(os.environ.get("KC_TEST_TIMEOUT_SCALE", "1"))
HERE = os.path.dirname(os.path.abspath(__file__))


def scaled(seconds):
    return seconds * SCALE


def wait_for(what, pred, timeout=30):
    """pred() until it returns something true (returned); TimeoutError naming `what` after
    `timeout` (scaled) seconds."""
    end = time.monotonic() + scaled(timeout)
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise TimeoutError(f"waited {scaled(timeout):.0f} s for {what}")
        time.sleep(0.02)


# --- raw D-Bus -------------------------------------------------------------------------------
_bus = None


def bus():
    global _bus
    if _bus is None:
        _bus = dbus.SessionBus()
    return _bus


def call(dest, path, iface, method, *args, timeout=10, **kw):
    obj = bus().get_object(dest, path, introspect=False)
    return obj.get_dbus_method(method, iface)(*args, timeout=scaled(timeout), **kw)


def owner_pid(name):
    """pid of the connection owning `name` on this bus, None when nobody owns it."""
    try:
        return int(call(*BUS, "GetConnectionUnixProcessID", name))
    except dbus.DBusException as e:
        if e.get_dbus_name() == "org.freedesktop.DBus.Error.NameHasNoOwner":
            return None
        raise


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def default_collection():
    """Object path of the 'default' alias, None when there is none (yet)."""
    try:
        p = str(call(SECRETS, SERVICE_PATH, SERVICE, "ReadAlias", "default"))
    except dbus.DBusException:
        return None
    return None if p == "/" else p


def get_prop(path, iface, name, timeout=10):
    return call(SECRETS, path, PROPS, "Get", iface, name, timeout=timeout)


def collection_locked(path=None):
    """The Locked property of a collection (default: the 'default' alias), read raw."""
    return bool(get_prop(path or default_collection(), COLLECTION, "Locked"))


def ss_lock(path):
    """org.freedesktop.Secret.Service.Lock on one object, running its prompt if it returns one
    (the caller waits for the Locked property)."""
    _, prompt = call(SECRETS, SERVICE_PATH, SERVICE, "Lock", [dbus.ObjectPath(path)])
    if str(prompt) != "/":
        call(SECRETS, str(prompt), PROMPT, "Prompt", "")


def ss_unlock(path):
    """org.freedesktop.Secret.Service.Unlock on one object, running its prompt if it returns
    one (the caller waits for the Locked property)."""
    _, prompt = call(SECRETS, SERVICE_PATH, SERVICE, "Unlock", [dbus.ObjectPath(path)])
    if str(prompt) != "/":
        call(SECRETS, str(prompt), PROMPT, "Prompt", "")


def raw_entries(attrs=None):
    """Every item (or those matching attrs) as the Secret Service itself lists them, read over
    a plain session with raw D-Bus calls: [{label, attributes, secret (bytes, None if locked),
    locked}]."""
    _, session = call(SECRETS, SERVICE_PATH, SERVICE, "OpenSession", "plain",
                      dbus.String("", variant_level=1))
    try:
        unlocked, locked = call(SECRETS, SERVICE_PATH, SERVICE, "SearchItems",
                                dbus.Dictionary(attrs or {}, signature="ss"))
        secrets = {}
        if unlocked:
            secrets = call(SECRETS, SERVICE_PATH, SERVICE, "GetSecrets", unlocked, session)
        out = []
        for path in list(unlocked) + list(locked):
            out.append({
                "label": str(get_prop(path, ITEM, "Label")),
                "attributes": {str(k): str(v)
                               for k, v in get_prop(path, ITEM, "Attributes").items()},
                "secret": bytes(secrets[path][2]) if path in secrets else None,
                "locked": path in locked,
            })
        return out
    finally:
        call(SECRETS, str(session), "org.freedesktop.Secret.Session", "Close")


# --- providers -------------------------------------------------------------------------------
class Provider:
    """One provider's process and store, under state_dir (kept across restarts)."""
    name = ""
    comm_prefix = ""      # /proc/PID/comm of the process that must own org.freedesktop.secrets
    defaults = {}         # "Section/Key" -> value

    def __init__(self, state_dir, settings=None, pid=None, **extra):
        self.dir = state_dir
        self.settings = dict(self.defaults)
        self.settings.update(settings or {})
        self.pid = pid
        self.extra = extra
        self.proc = None

    # persisted so a test process can attach() to what `run` started
    def save(self):
        state = {"name": self.name, "dir": self.dir, "settings": self.settings, "pid": self.pid,
                 "extra": self.extra}
        tmp = os.path.join(self.dir, "state.json.tmp")
        with open(tmp, "w") as f:
            json.dump(state, f)
        os.replace(tmp, os.path.join(self.dir, "state.json"))

    def log(self):
        return os.path.join(self.dir, f"{self.name}.log")

    def log_tail(self, n=30):
        try:
            with open(self.log(), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def setup(self):
        """Creates the store (first start only)."""

    def spawn(self):
        """Starts the provider process; returns the Popen."""
        raise NotImplementedError

    def start(self):
        self.proc = self.spawn()
        self.pid = self.proc.pid
        self.save()
        self.wait_ready()

    def alive(self):
        if self.proc is not None and self.proc.pid == self.pid:
            return self.proc.poll() is None
        return bool(self.pid) and self.is_ours(self.pid)

    def is_ours(self, pid):
        """pid runs this provider's program (a pid from state.json may have been reused)."""
        return comm(pid).startswith(self.comm_prefix[:15])

    def assert_owner(self):
        """This provider's process, and no other, owns org.freedesktop.secrets."""
        pid = wait_for(f"{self.name} (pid {self.pid}) to own {SECRETS}",
                       lambda: self._owner_or_dead(), timeout=60)
        if pid != self.pid:
            raise AssertionError(f"{SECRETS} is owned by pid {pid} ({comm(pid)}), not by "
                                 f"{self.name} (pid {self.pid})")
        if not self.is_ours(pid):
            raise AssertionError(f"{SECRETS} owner pid {pid} is '{comm(pid)}'")

    def _owner_or_dead(self):
        if not self.alive():
            raise RuntimeError(f"{self.name} (pid {self.pid}) exited during start-up:\n"
                               + self.log_tail())
        return owner_pid(SECRETS)

    def wait_ready(self):
        self.assert_owner()
        wait_for(f"{self.name}'s default collection", default_collection, timeout=60)
        self.after_start()
        self.wait_locked(False)

    def after_start(self):
        """What the provider needs between owning the name and an unlocked collection."""

    def wait_locked(self, want, timeout=60):
        def reads(want):
            # while a provider starts, the alias may name a collection object not (yet, or
            # any more: KeePassXC exports it anew as the database opens) on the bus
            try:
                return collection_locked() == want
            except dbus.DBusException as e:
                if e.get_dbus_name() in ("org.freedesktop.DBus.Error.UnknownObject",
                                         "org.freedesktop.DBus.Error.UnknownMethod"):
                    return False
                raise

        wait_for(f"{self.name}'s default collection Locked={want}", lambda: reads(want),
                 timeout=timeout)

    def locked(self):
        return collection_locked()

    def lock(self):
        ss_lock(default_collection())
        self.wait_locked(True)

    def unlock(self):
        """Unlocks the default collection the provider's own way, without a dialog; restarts
        the provider (which unlocks it as at login) when that does not take: a dialog that a
        client's Unlock or a KeePassXC search left open headless can block it."""
        try:
            self.unlock_in_place()
            self.wait_locked(False, timeout=10)
        except (TimeoutError, dbus.DBusException):
            self.restart()

    def unlock_in_place(self):
        raise NotImplementedError

    def flush(self):
        """Makes the provider write what it holds to its store, if it may not have yet."""

    def entries(self):
        """[{label, attributes, secret (bytes), where}] from the provider's own view."""
        raise NotImplementedError

    bus_names = (SECRETS,)  # names the provider owns: a restart waits until they are free

    def stop(self):
        if not self.alive():
            return
        pid = self.pid
        for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 20)):
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                break
            try:
                wait_for(f"{self.name} (pid {self.pid}) to exit", lambda: not self._running(),
                         timeout=grace)
                break
            except TimeoutError:
                continue
        # The bus drops a dead connection's names a moment after the exit: a new instance
        # must not find (or, for kwalletd5's unique-instance check, yield to) the old owner.
        wait_for(f"{self.name} (pid {pid})'s bus names to be released",
                 lambda: all(owner_pid(n) != pid for n in self.bus_names), timeout=20)
        self.pid = None
        self.save()

    def _running(self):
        if self.proc is not None:
            return self.proc.poll() is None
        # started by another process (restart() in a test): `run` is its subreaper and reaps
        reap_children()
        return self.alive() and not _zombie(self.pid)

    def restart(self, settings=None):
        """Stops the provider and starts it again on the same store, settings changed."""
        self.stop()
        self.settings.update(settings or {})
        self.start()

    def env(self):
        e = dict(os.environ)
        e["QT_QPA_PLATFORM"] = "offscreen"
        return e


def _zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def reap_children():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class GnomeKeyring(Provider):
    """gnome-keyring-daemon --foreground --unlock: its 'login' collection, password on stdin."""
    name = "gnome-keyring"
    comm_prefix = "gnome-keyring-daemon"
    password = "test"

    def spawn(self):
        log = open(self.log(), "ab")
        p = subprocess.Popen(["gnome-keyring-daemon", "--foreground", "--unlock",
                              "--components=secrets"], stdin=subprocess.PIPE, stdout=log,
                             stderr=subprocess.STDOUT, env=self.env())
        p.stdin.write(self.password.encode())
        p.stdin.close()
        return p

    def unlock_in_place(self):
        """gnome-keyring's own unlock without a prompt (what its tests and seahorse use)."""
        _, session = call(SECRETS, SERVICE_PATH, SERVICE, "OpenSession", "plain",
                          dbus.String("", variant_level=1))
        master = dbus.Struct((session, dbus.ByteArray(b""), dbus.ByteArray(self.password.encode()),
                              "text/plain"), signature="oayays")
        call(SECRETS, SERVICE_PATH, "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
             "UnlockWithMasterPassword", dbus.ObjectPath(default_collection()), master)
        call(SECRETS, str(session), "org.freedesktop.Secret.Session", "Close")

    def entries(self):
        return [dict(e, where="login") for e in raw_entries() if not e["locked"]]


class KeePassXC(Provider):
    """KeePassXC with its Secret Service integration on a database made from XML whose root
    group is exposed (FDO_SECRETS_EXPOSED_GROUP). Settings "Section/Key": the INI file's;
    "db/RecycleBin" (true/false) is the database's own recycle bin."""
    name = "keepassxc"
    comm_prefix = "keepassxc"
    password = "kc-test-db-password"
    defaults = {
        "General/ConfigVersion": "2",
        "General/SingleInstance": "false",
        "General/AutoSaveAfterEveryChange": "true",
        "General/AutoSaveOnExit": "true",
        "General/OpenPreviousDatabasesOnStartup": "false",
        "General/RememberLastDatabases": "false",
        "General/RememberLastKeyFiles": "false",
        "GUI/CheckForUpdates": "false",
        "GUI/ShowTrayIcon": "false",
        "Security/LockDatabaseIdle": "false",
        "Security/LockDatabaseScreenLock": "false",
        "Browser/Enabled": "false",
        "SSHAgent/Enabled": "false",
        "FdoSecrets/Enabled": "true",
        "FdoSecrets/ShowNotification": "false",
        "FdoSecrets/ConfirmAccessItem": "false",
        "FdoSecrets/ConfirmDeleteItem": "false",
        "FdoSecrets/UnlockBeforeSearch": "false",
        "db/RecycleBin": "false",
    }

    @property
    def db(self):
        return os.path.join(self.dir, "kc-test.kdbx")

    def setup(self):
        root = uuid.uuid4()
        recycle = "True" if self.settings["db/RecycleBin"] == "true" else "False"
        xml = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<KeePassFile>
 <Meta>
  <Generator>kaltura-credential tests</Generator>
  <DatabaseName>kc-test</DatabaseName>
  <RecycleBinEnabled>{recycle}</RecycleBinEnabled>
  <CustomData>
   <Item><Key>FDO_SECRETS_EXPOSED_GROUP</Key><Value>{{{root}}}</Value></Item>
  </CustomData>
 </Meta>
 <Root>
  <Group><UUID>{base64.b64encode(root.bytes).decode()}</UUID><Name>Root</Name></Group>
 </Root>
</KeePassFile>
"""
        src = os.path.join(self.dir, "kc-test.xml")
        with open(src, "w") as f:
            f.write(xml)
        subprocess.run(["keepassxc-cli", "import", "-q", "-p", "-t", "100", src, self.db],
                       input=f"{self.password}\n{self.password}\n".encode(), check=True,
                       capture_output=True, timeout=scaled(60), env=self.env())

    def write_ini(self):
        sections = {}
        for key, value in self.settings.items():
            section, name = key.split("/", 1)
            if section != "db":
                sections.setdefault(section, []).append(f"{name}={value}")
        path = os.path.join(self.dir, "keepassxc.ini")
        with open(path, "w") as f:
            for section, lines in sections.items():
                f.write(f"[{section}]\n" + "\n".join(lines) + "\n\n")
        return path

    def spawn(self):
        ini = self.write_ini()
        log = open(self.log(), "ab")
        p = subprocess.Popen(["keepassxc", "--config", ini, "--localconfig",
                              os.path.join(self.dir, "keepassxc-local.ini"), "--pw-stdin",
                              self.db], stdin=subprocess.PIPE, stdout=log,
                             stderr=subprocess.STDOUT, env=self.env())
        p.stdin.write(f"{self.password}\n".encode())
        p.stdin.close()
        return p

    flushes = 0

    def flush(self):
        """KeePassXC 2.7.4 saves the .kdbx after every change, but skips a save asked for
        while another one runs ("Database save is already in progress", Database::saveAs)
        and does not try again; the save that ran then marks the database clean, so neither
        locking nor quitting writes the missed change. A new change does: the collection's
        Label (the database's name, the exposed group being the root) gets a new value, and
        its save writes everything. Returns once the file was written (a save skipped again
        leaves it as it was: the caller checks and flushes once more)."""
        before = os.stat(self.db).st_mtime_ns
        KeePassXC.flushes += 1
        # Under load KeePassXC may not answer ReadAlias in time (or not have its alias back
        # yet after a save): nothing to set now; the caller checks the file and comes back.
        path = default_collection()
        if path is None:
            return
        try:
            call(SECRETS, path, PROPS, "Set", COLLECTION, "Label",
                 dbus.String(f"kc-test-{KeePassXC.flushes}", variant_level=1))
        except dbus.DBusException:
            return  # locked: nothing to write (the caller checks and comes back)
        try:
            wait_for("KeePassXC to write its .kdbx",
                     lambda: os.stat(self.db).st_mtime_ns != before, timeout=10)
        except TimeoutError:
            pass

    def unlock_in_place(self):
        # KeePassXC's own D-Bus interface (what `keepassxc --pw-stdin FILE` of a second
        # instance would send); unlocks the open but locked database without a dialog.
        call("org.keepassxc.KeePassXC.MainWindow", "/keepassxc",
             "org.keepassxc.KeePassXC.MainWindow", "openDatabase", self.db, self.password)

    def export(self):
        """The whole database as keepassxc-cli exports it (XML), read from the .kdbx file."""
        p = subprocess.run(["keepassxc-cli", "export", "-q", "-f", "xml", self.db],
                           input=f"{self.password}\n".encode(), capture_output=True,
                           timeout=scaled(60), env=self.env())
        if p.returncode != 0:
            raise RuntimeError(f"keepassxc-cli export: {p.stderr.decode(errors='replace')}")
        return ET.fromstring(p.stdout)

    def entries(self):
        """Every entry of the .kdbx (history excluded), with the group path it is in:
        'Root' for the exposed group, 'Root/Recycle Bin' for deleted ones."""
        tree = self.export()
        out = []

        def walk(group, where):
            name = group.findtext("Name")
            where = f"{where}/{name}" if where else name
            for entry in group.findall("Entry"):
                fields = {s.findtext("Key"): s.findtext("Value") or ""
                          for s in entry.findall("String")}
                std = ("Title", "UserName", "Password", "URL", "Notes")
                out.append({
                    "label": fields.get("Title", ""),
                    "attributes": {k: v for k, v in fields.items() if k not in std},
                    "secret": fields.get("Password", "").encode(),
                    "where": where,
                })
            for sub in group.findall("Group"):
                walk(sub, where)

        for g in tree.find("Root").findall("Group"):
            walk(g, "")
        return out


class KWallet(Provider):
    """kwalletd5 with apiEnabled, its wallet 'kdewallet' opened the way pam_kwallet5 does
    (--pam-login: the PBKDF2 hash of the password on a pipe, then a connection to a socket).
    The Secret Service lists only wallets that existed when kwalletd5 started, so setup()
    starts it once to create the wallet. Settings "Section/Key": kwalletrc's."""
    name = "kwallet"
    comm_prefix = "kwalletd5"
    bus_names = (SECRETS, "org.kde.kwalletd5")
    password = "kc-test-wallet-password"
    wallet = "kdewallet"
    folder = "Secret Service"  # where kwalletd keeps Secret Service items
    defaults = {
        "Wallet/Enabled": "true",
        "Wallet/First Use": "false",
        "Wallet/Use One Wallet": "true",
        "Wallet/Default Wallet": "kdewallet",
        "Wallet/Close When Idle": "false",
        "Wallet/Close on Screensaver": "false",
        "Wallet/Leave Open": "true",
        "Wallet/Prompt on Open": "false",
        "Wallet/Launch Manager": "false",
        "org.freedesktop.secrets/apiEnabled": "true",
    }

    @property
    def data_dir(self):
        return os.path.join(os.environ["HOME"], ".local", "share", "kwalletd")

    def pam_hash(self):
        with open(os.path.join(self.data_dir, f"{self.wallet}.salt"), "rb") as f:
            salt = f.read()
        return hashlib.pbkdf2_hmac("sha512", self.password.encode(), salt, 50000, 56)

    def write_rc(self):
        sections = {}
        for key, value in self.settings.items():
            section, name = key.split("/", 1)
            sections.setdefault(section, []).append(f"{name}={value}")
        cfg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.environ["HOME"], ".config")
        os.makedirs(cfg, exist_ok=True)
        with open(os.path.join(cfg, "kwalletrc"), "w") as f:
            for section, lines in sections.items():
                f.write(f"[{section}]\n" + "\n".join(lines) + "\n\n")

    def setup(self):
        os.makedirs(self.data_dir, exist_ok=True)
        with open(os.path.join(self.data_dir, f"{self.wallet}.salt"), "wb") as f:
            f.write(os.urandom(56))  # pam_kwallet5 makes it the same way
        self.proc = self.spawn()
        self.pid = self.proc.pid
        wait_for("kwalletd5 to create the wallet", lambda: self._dead_check() and self._open(),
                 timeout=60)
        self.stop()
        wait_for("the wallet file", lambda: os.path.exists(
            os.path.join(self.data_dir, f"{self.wallet}.kwl")))

    def _dead_check(self):
        if self.proc.poll() is not None:
            raise RuntimeError("kwalletd5 exited during start-up:\n" + self.log_tail())
        return True

    def _open(self):
        try:
            return bool(call("org.kde.kwalletd5", "/modules/kwalletd5", "org.kde.KWallet",
                             "isOpen", self.wallet))
        except dbus.DBusException:
            return False

    def spawn(self):
        self.write_rc()
        r, w = os.pipe()
        sock_path = os.path.join(self.dir, "kwalletd.sock")
        if os.path.exists(sock_path):
            os.unlink(sock_path)
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(sock_path)
        listener.listen(1)
        env = self.env()
        env["PAM_KWALLET5_LOGIN"] = "1"
        log = open(self.log(), "ab")
        p = subprocess.Popen(["kwalletd5", "--pam-login", str(r), str(listener.fileno())],
                             pass_fds=(r, listener.fileno()), stdin=subprocess.DEVNULL,
                             stdout=log, stderr=subprocess.STDOUT, env=env)
        os.close(r)
        os.write(w, self.pam_hash())
        os.close(w)
        # kwalletd5 reads "the session's environment" from one connection, then goes on
        c = socket.socket(socket.AF_UNIX)
        c.connect(sock_path)
        c.close()
        listener.close()
        return p

    def after_start(self):
        # The wallet is open in kwalletd (pam-login), yet its collection reads Locked=true until
        # a client calls Unlock: that prompt then completes at once, without a dialog.
        ss_unlock(default_collection())

    def restart_as_at_login(self):
        """Restarts kwalletd5 with the wallet opened as at login, and nothing more: its
        collection then reads Locked=true until a client calls Unlock. The wallet is locked
        (closed) first: kwalletd5 writes a changed wallet to its file when it closes it, not
        when it is stopped."""
        self.lock()
        self.stop()
        self.proc = self.spawn()
        self.pid = self.proc.pid
        self.save()
        self.assert_owner()
        wait_for(f"{self.name}'s default collection", default_collection, timeout=60)
        wait_for("the wallet to be open", self._open, timeout=60)

    def unlock(self):
        """Restarts kwalletd5 and opens the wallet as at login (pam-login). kwalletd's own
        pamOpen(wallet, hash) D-Bus call would do it in place, but not after a client's Unlock
        of the locked collection has left a password dialog pending (headless, nobody answers
        it): kwalletd queues every later open behind that dialog."""
        self.restart()

    def kwallet_query(self, *args):
        p = subprocess.run(["kwallet-query", *args, self.wallet], capture_output=True,
                           timeout=scaled(60), env=self.env())
        return p

    def entries(self):
        """The wallet's 'Secret Service' folder as kwallet-query reads it through kwalletd's
        own KWallet API, with the attributes kwalletd keeps beside the wallet file."""
        if self.locked():
            raise RuntimeError("kwallet-query would open the locked wallet with a dialog")
        p = self.kwallet_query("-l", "-f", self.folder)
        listing = p.stdout.decode()
        if p.returncode != 0:
            if "does not exist" in p.stderr.decode() + listing:
                return []
            raise RuntimeError(f"kwallet-query -l: {p.stderr.decode(errors='replace')}")
        try:
            with open(os.path.join(self.data_dir, f"{self.wallet}_attributes.json")) as f:
                attributes = json.load(f)
        except (OSError, ValueError):
            attributes = {}
        out = []
        for label in [l for l in listing.split("\n") if l]:
            r = self.kwallet_query("-r", label, "-f", self.folder)
            if r.returncode != 0:
                raise RuntimeError(f"kwallet-query -r: {r.stderr.decode(errors='replace')}")
            secret = r.stdout[:-1] if r.stdout.endswith(b"\n") else r.stdout
            item = attributes.get(f"{self.folder}/{label}", {})
            out.append({"label": label, "attributes": item.get("attributes", {}),
                        "secret": secret, "where": f"{self.wallet}/{self.folder}"})
        return out


class Fake(Provider):
    """tests/lib/fake_secret_service.py: a minimal Secret Service with fault modes."""
    name = "fake"
    comm_prefix = "python3"

    def spawn(self):
        log = open(self.log(), "ab")
        return subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "fake_secret_service.py"),
                                 "--state", os.path.join(self.dir, "fake-items.json")],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                env=self.env())

    def is_ours(self, pid):
        return "fake_secret_service.py" in _cmdline(pid)

    def unlock_in_place(self):
        call(SECRETS, SERVICE_PATH, "org.kaltura.test.FakeSecrets", "SetLocked", False)

    def fault(self, name, count=-1):
        """Arms one of the fake's fault modes (fake_secret_service.py) for `count` calls."""
        call(SECRETS, SERVICE_PATH, "org.kaltura.test.FakeSecrets", "SetFault", name, count)

    def set_locked(self, locked, unlock_prompt="never"):
        """Locks or unlocks the fake's collection; unlock_prompt: what the prompt of an
        Unlock does then (fake_secret_service.py SetUnlockPrompt)."""
        call(SECRETS, SERVICE_PATH, "org.kaltura.test.FakeSecrets", "SetUnlockPrompt",
             unlock_prompt)
        call(SECRETS, SERVICE_PATH, "org.kaltura.test.FakeSecrets", "SetLocked", locked)

    def counters(self):
        return {str(k): int(v) for k, v in
                call(SECRETS, SERVICE_PATH, "org.kaltura.test.FakeSecrets", "Counters").items()}

    def entries(self):
        with open(os.path.join(self.dir, "fake-items.json")) as f:
            items = json.load(f)
        # the wallet's view: its entries, one per key (an item without an entry is not one)
        by_key = {}
        for i in items:
            if i["secret"] is not None:
                by_key.setdefault(i["key"], i)
        return [{"label": i["label"], "attributes": i["attributes"],
                 "secret": base64.b64decode(i["secret"]), "where": "fake"}
                for i in by_key.values()]


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


PROVIDERS = {c.name: c for c in (GnomeKeyring, KeePassXC, KWallet, Fake)}


def attach(state_file=None):
    """The provider that `run` started for this test (KC_PROVIDER_STATE), as it is now."""
    with open(state_file or os.environ["KC_PROVIDER_STATE"]) as f:
        state = json.load(f)
    return PROVIDERS[state["name"]](state["dir"], state["settings"], state["pid"],
                                    **state["extra"])


# --- run -------------------------------------------------------------------------------------
def check_private_bus():
    """Nothing can be activated here, and nobody owns the Secret Service name yet."""
    names = sorted(str(n) for n in call(*BUS, "ListActivatableNames"))
    if names != ["org.freedesktop.DBus"]:
        raise AssertionError(f"the test bus can activate {names}: not the private bus config")
    if owner_pid(SECRETS) is not None:
        raise AssertionError(f"{SECRETS} is already owned on the test bus")


def set_subreaper():
    """Providers a test restarted are its children; when the test ends they become ours, so
    they can be stopped and reaped here."""
    PR_SET_CHILD_SUBREAPER = 36
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def stop_orphans():
    """Ends what is left of our descendants: as the subreaper, `run` inherits every process
    its test started and left behind (a provider restarted by the test, a helper it gave up
    on): they are ours to end, and no other process is."""
    me = os.getpid()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        kids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == me and fields[0] != "Z":
                    kids.append(int(entry))
        for pid in kids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        try:
            wait_for("our leftover processes to exit",
                     lambda: (reap_children(), all(_zombie(k) or not os.path.exists(
                         f"/proc/{k}") for k in kids))[1], timeout=10)
            return
        except TimeoutError:
            continue


def run(argv):
    if "--" not in argv or not argv:
        sys.exit("usage: secret_providers.py run PROVIDER [SECTION/KEY=VALUE ...] -- CMD ...")
    i = argv.index("--")
    name, settings, cmd = argv[0], dict(a.split("=", 1) for a in argv[1:i]), argv[i + 1:]
    state_dir = os.environ["KC_PROVIDER_DIR"]
    os.makedirs(state_dir, exist_ok=True)

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    set_subreaper()
    check_private_bus()
    provider = PROVIDERS[name](state_dir, settings)
    rc = 125
    try:
        provider.setup()
        provider.start()
        env = dict(os.environ, KC_PROVIDER=name,
                   KC_PROVIDER_STATE=os.path.join(state_dir, "state.json"))
        rc = subprocess.call(cmd, env=env)
    except (RuntimeError, AssertionError, TimeoutError, dbus.DBusException,
            subprocess.SubprocessError) as e:
        print(f"secret_providers.py: {name}: {e}", file=sys.stderr)
        print(provider.log_tail(), file=sys.stderr)
    finally:
        try:
            attach(os.path.join(state_dir, "state.json")).stop()  # a test may have restarted it
        except (OSError, ValueError) as e:
            print(f"secret_providers.py: {name}: no state to stop: {e}", file=sys.stderr)
        provider.stop()
        stop_orphans()
        reap_children()
    return rc


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "run":
        sys.exit(run(sys.argv[2:]))
    sys.exit(__doc__)
