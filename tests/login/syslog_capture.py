"""/dev/log for the login tests (no syslog daemon runs on the CI machine)."""
import ctypes
import os
import re
import socket
import threading

from labcommon import wait_for


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

    def flush(self):
        """Waits until every line sent before this call has been read: a datagram socket
        queues in arrival order, so once our own marker is read, so is all that a program
        which has exited logged before it."""
        marker = f"kc-syslog-flush {os.getpid()} {id(self)} {len(self.lines)} {os.urandom(4).hex()}"
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(marker.encode(), self.PATH)
        self.wait_line(re.escape(marker))

    def wait_line(self, regex, mark=0, timeout=10):
        return wait_for(lambda: next((l for l in self.since(mark) if re.search(regex, l)),
                                     None), timeout, f"a syslog line matching {regex!r}")
