"""Every change the login tests make to the machine, journalled so that it is undone even when
the test is killed (SIGKILL included).

Before a change is made, an entry describing how to undo it goes into a journal,
/run/kc-login-tests/TAG.json, that names its owner (the test process: pid and start time, so a
reused pid is not mistaken for it). The change itself carries a marker naming the same tag and
owner: a block of lines in an /etc/pam.d file between `# kc-login-test BEGIN tag=...` and
`# kc-login-test END tag=...`, the first line of a PAM service file, the GECOS field of a user.
Undoing is idempotent and happens:
  - at the end of the test (Journal.undo_all);
  - in a watchdog (`sysstate.py watch TAG`, its own session so a process-group kill of the test
    does not reach it) that waits on a pidfd for the owner to die, whatever killed it;
  - in a sweep (`sysstate.py sweep`: meson test 'login-sweep' first in suite 'login', the login
    test's own start, tools/test-all at its end) of every journal and marker whose owner is
    dead: the fallback when the watchdog itself was killed.
Only root-run tests write here; the sweep never touches anything whose owner is alive.
"""
import fcntl
import json
import os
import pwd
import re
import select
import shutil
import signal
import subprocess
import sys
import time

JOURNAL_DIR = "/run/kc-login-tests"
LOCK = os.path.join(JOURNAL_DIR, "lock")
MARK = "kc-login-test"
PAM_DIR = "/etc/pam.d"
SSHD_SERVICE_PREFIX = "kcsshd-"  # private sshd PAM services: /etc/pam.d/kcsshd-TAG
OWNER_RE = re.compile(r"\btag=(?P<tag>[0-9a-z]+) owner=(?P<pid>\d+)-(?P<start>\d+)\b")


# ---------------------------------------------------------------- owners

def process_start(pid):
    """The start time (clock ticks since boot) of a live process, None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    if fields[0] in ("Z", "X"):
        return None  # a zombie has finished (nobody may reap it: no init here)
    return int(fields[19])


def owner_of(pid=None):
    pid = pid or os.getpid()
    return {"pid": pid, "start": process_start(pid)}


def owner_alive(owner):
    return owner.get("start") is not None and process_start(owner["pid"]) == owner["start"]


def marker(tag, owner):
    return f"{MARK} tag={tag} owner={owner['pid']}-{owner['start']}"


def parse_marker(text):
    m = OWNER_RE.search(text)
    if not m or MARK not in text:
        return None
    return m["tag"], {"pid": int(m["pid"]), "start": int(m["start"])}


class locked:
    """The machine-wide lock of all login-test edits (flock on JOURNAL_DIR/lock)."""

    def __enter__(self):
        os.makedirs(JOURNAL_DIR, mode=0o700, exist_ok=True)
        self.fd = os.open(LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        os.close(self.fd)


LAB_LOCK = os.path.join(JOURNAL_DIR, "lab.lock")
LAB_LOCK_FD_ENV = "KC_LOGIN_LAB_LOCK_FD"


def hold_lab_lock():
    """One login lab on the machine at a time, held until the returned fd is closed or the
    process dies (flock). Two labs would each bind their own /dev/log over the other's, edit
    the same PAM files and see each other's logins; a second CI run on the machine waits here
    (tools/test-package takes it too, around its pam-auth-update login). A process that holds
    it hands it to a child lab in KC_LOGIN_LAB_LOCK_FD (the same open file: flock succeeds at
    once), as test_kill.py does to keep other labs out between its before and after."""
    inherited = os.environ.get(LAB_LOCK_FD_ENV)
    if inherited:
        fd = os.dup(int(inherited))  # non-inheritable: no watchdog or sshd keeps it
        os.close(int(inherited))
        del os.environ[LAB_LOCK_FD_ENV]
    else:
        os.makedirs(JOURNAL_DIR, mode=0o700, exist_ok=True)
        fd = os.open(LAB_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


# ---------------------------------------------------------------- file edits

def write_atomic(path, text, like=None):
    """Replace path's content (temp file + rename), keeping the mode and owner of `like` (or
    of path itself)."""
    st = os.stat(like or path) if os.path.exists(like or path) else None
    tmp = f"{path}.{MARK}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    if st is not None:
        os.chmod(tmp, st.st_mode & 0o7777)
        os.chown(tmp, st.st_uid, st.st_gid)
    else:
        os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def block_lines(tag, owner, lines):
    return ([f"# {marker(tag, owner)} BEGIN: added by tests/login, removed at its end"]
            + list(lines) + [f"# {MARK} tag={tag} END"])


def strip_block(text, tag):
    """text without the block of tag (BEGIN..END lines included)."""
    out, inside = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith(f"# {MARK} tag={tag} ") and " BEGIN" in line:
            inside = True
            continue
        if inside and line.startswith(f"# {MARK} tag={tag} END"):
            inside = False
            continue
        if not inside:
            out.append(line)
    return "".join(out)


def set_block(path, tag, owner, lines):
    """Put (or replace) tag's block at the end of path; lines=None removes it."""
    with open(path) as f:
        text = strip_block(f.read(), tag)
    if lines is not None:
        if text and not text.endswith("\n"):
            text += "\n"
        text += "\n".join(block_lines(tag, owner, lines)) + "\n"
    write_atomic(path, text)


# ---------------------------------------------------------------- undo actions

def _kill_user_processes(uid):
    """SIGKILL every process of uid (a throwaway user: all of them are the test's) and wait
    until they are gone."""
    deadline = time.monotonic() + 10
    while True:
        pids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/status") as f:
                    status = f.read()
            except OSError:
                continue
            m = re.search(r"^Uid:\s+(\d+)\s+(\d+)\s+(\d+)", status, re.M)
            state = re.search(r"^State:\s+(\S)", status, re.M)
            if m and uid in map(int, m.groups()) and state and state[1] not in "ZX":
                pids.append(int(d))
        if not pids or time.monotonic() > deadline:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.02)


def undo_user(name, tag):
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        return
    if f"tag={tag} " not in pw.pw_gecos + " ":
        return  # not ours (any more): never delete someone else's user
    _kill_user_processes(pw.pw_uid)
    subprocess.run(["userdel", "-r", name], capture_output=True)
    shutil.rmtree(f"/run/user/{pw.pw_uid}", ignore_errors=True)


def undo_process(pid, start):
    if process_start(pid) == start:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def undo_pam_block(path, tag):
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return
    if f"{MARK} tag={tag} " in text:
        write_atomic(path, strip_block(text, tag))


def undo_pam_file(path, tag):
    try:
        with open(path) as f:
            first = f.readline()
    except FileNotFoundError:
        return
    if f"{MARK} tag={tag} " in first:
        os.unlink(path)


def undo_socket(path, dev, ino):
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if (st.st_dev, st.st_ino) == (dev, ino):
        os.unlink(path)


def undo_dir(path):
    shutil.rmtree(path, ignore_errors=True)


def undo_empty_dir(path):
    try:
        os.rmdir(path)
    except OSError:
        pass  # not empty, or gone, or in use: leave it


UNDO = {"user": undo_user, "process": undo_process, "pam_block": undo_pam_block,
        "pam_file": undo_pam_file, "socket": undo_socket, "dir": undo_dir,
        "empty_dir": undo_empty_dir}
# Order of undoing: processes first (a running sshd or bus may hold files), users last but one.
ORDER = ["process", "pam_block", "pam_file", "socket", "user", "dir", "empty_dir"]


def undo_entries(tag, entries):
    errors = []
    for kind in ORDER:
        for e in reversed([e for e in entries if e["kind"] == kind]):
            args = {k: v for k, v in e.items() if k != "kind"}
            if kind in ("user", "pam_block", "pam_file"):
                args["tag"] = tag
            try:
                UNDO[kind](**args)
            except Exception as exc:  # keep undoing the rest
                errors.append(f"{kind} {args}: {exc}")
    return errors


# ---------------------------------------------------------------- the journal

class Journal:
    """The undo log of one test run (one tag, one owner process)."""

    def __init__(self, tag, owner=None):
        self.tag = tag
        self.owner = owner or owner_of()
        self.path = os.path.join(JOURNAL_DIR, f"{tag}.json")
        self.entries = []
        with locked():
            self._save()

    def _save(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"tag": self.tag, "owner": self.owner, "entries": self.entries}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def marker(self):
        return marker(self.tag, self.owner)

    def record(self, kind, **details):
        """Note how to undo a change, BEFORE making it."""
        entry = dict(kind=kind, **details)
        if entry not in self.entries:
            with locked():
                self.entries.append(entry)
                self._save()

    def set_pam_block(self, path, lines):
        self.record("pam_block", path=path)
        with locked():
            set_block(path, self.tag, self.owner, lines)

    def start_watchdog(self):
        """A process in its own session that undoes everything once the owner is dead."""
        return subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "watch", self.tag],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, close_fds=True)

    def undo_all(self):
        with locked():
            errors = undo_entries(self.tag, self.entries)
            self.entries = []
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
        return errors


def undo_journal_file(path):
    """Undo one journal whose owner is dead; the lock is held by the caller."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        os.unlink(path)  # torn: the markers are found by the scans below
        return []
    if owner_alive(data["owner"]):
        return []
    errors = undo_entries(data["tag"], data["entries"])
    os.unlink(path)
    return errors


def sweep():
    """Undo everything whose owner is dead: journals first, then stray markers (a change
    whose journal was lost cannot exist, as the journal is written first; this is belt and
    braces for journals removed by hand)."""
    errors = []
    if not os.path.isdir(JOURNAL_DIR):
        os.makedirs(JOURNAL_DIR, mode=0o700, exist_ok=True)
    with locked():
        for name in sorted(os.listdir(JOURNAL_DIR)):
            if name.endswith(".json"):
                errors += undo_journal_file(os.path.join(JOURNAL_DIR, name))
        for name in sorted(os.listdir(PAM_DIR)):
            path = os.path.join(PAM_DIR, name)
            tmp = re.fullmatch(rf"[\w.-]+\.{MARK}\.(\d+)\.tmp", name)
            if tmp:  # write_atomic's temp file, its writer killed before the rename
                if process_start(int(tmp[1])) is None:
                    os.unlink(path)
                continue
            try:
                with open(path) as f:
                    text = f.read()
            except OSError:
                continue
            for line in text.splitlines():
                found = parse_marker(line)
                if found and not owner_alive(found[1]):
                    if name.startswith(SSHD_SERVICE_PREFIX) and text.startswith(line):
                        undo_pam_file(path, found[0])
                        break
                    undo_pam_block(path, found[0])
        for pw in pwd.getpwall():
            found = parse_marker(pw.pw_gecos)
            if found and not owner_alive(found[1]):
                undo_user(pw.pw_name, found[0])
    return errors


def watch(tag):
    """The watchdog: wait for the owner's death, then undo its journal (if still there)."""
    path = os.path.join(JOURNAL_DIR, f"{tag}.json")
    try:
        with open(path) as f:
            owner = json.load(f)["owner"]
        pidfd = os.pidfd_open(owner["pid"])
    except (OSError, ValueError, KeyError):
        return 0
    if owner_alive(owner):
        select.select([pidfd], [], [])  # readable once the process has exited
    os.close(pidfd)
    if not os.path.exists(path):
        return 0  # the test undid everything itself
    with locked():
        if os.path.exists(path):
            undo_journal_file(path)
    return 0


def main(argv):
    if len(argv) == 2 and argv[1] == "sweep":
        if os.geteuid() != 0:
            return 0  # only root-run tests change the machine
        errors = sweep()
        for e in errors:
            print(f"sysstate sweep: {e}", file=sys.stderr)
        return 1 if errors else 0
    if len(argv) == 3 and argv[1] == "watch":
        return watch(argv[2])
    print("usage: sysstate.py sweep | watch TAG", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
