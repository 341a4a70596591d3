"""pam_kaltura.so in its host process (design §3.7): the module never returns while a child of
the host is alive, and leaves the host's signal dispositions alone.

pam_driver plays the host (host_probe.c): with SIGCHLD and SIGPIPE handlers of its own, a child
of its own and a second thread, a pending blocked SIGCHLD, SIGCHLD ignored or reaped by a
handler, and util-linux login's wait(NULL) after pam_open_session. The hung helper of the root
part sleeps uninterruptibly on a FUSE mount whose lookup the test never answers (a hung NFS or
FUSE home): SIGKILL cannot end it, just as in the field.
"""
import ctypes
import os
import pwd
import select
import shutil
import signal
import struct
import subprocess
import tempfile
import threading
import time
import unittest

import taptest
import pamtest_common as pc

USER = pwd.getpwuid(os.geteuid()).pw_name
# The v2 test vector of doc/kaltura-api.md §5.4 (helpers/probe.sh prints it).
DEFAULT_KS = ("djJ8MTIzNDV8AZjSBOczIAVk1HR2mRxggOeMp-tmyIe6Enajr3NpKjj_Qyyj"
              "TA7ey2fHPu1DSRJq3mhbpqBrii64sV_RSKWhDKTQ0BCFdEakF_gbylwMupM=")


class HostSignalsTest(unittest.TestCase):
    """No root needed: the helper runs as the current user."""

    @classmethod
    def tearDownClass(cls):
        pc.cleanup_pam_wrapper_dirs()

    def setUp(self):
        pc.check_environment(self)
        self.scratch = tempfile.mkdtemp(prefix="kc-pam-host-")
        os.chmod(self.scratch, 0o700)
        self.addCleanup(shutil.rmtree, self.scratch, True)

    def run_pam(self, service, *ops, driver_args=(), timeout=120):
        return pc.run(service, USER, ops, putenv=[f"XDG_RUNTIME_DIR={self.scratch}"],
                      driver_args=driver_args, timeout=taptest.scaled(timeout))

    def assert_ks(self, r):
        self.assertEqual(r.results, [("open", "SUCCESS"), ("env", "SUCCESS")], r.log[-3000:])
        self.assertEqual(r.envs[0]["KALTURA_KS"], DEFAULT_KS)

    def test_host_handlers_see_their_own_events_meanwhile(self):
        """While the module waits for the helper, the host's child exits and its second thread
        writes to a broken pipe: the host's SIGCHLD handler sees that child, its SIGPIPE
        handler runs, the dispositions are the host's throughout, and the child is still the
        host's to reap."""
        for fifo in ("fifo-child", "fifo-thread"):
            os.mkfifo(os.path.join(self.scratch, fifo), 0o600)
        r = self.run_pam("probe", "open", "env", driver_args=["--probe", self.scratch])
        self.assert_ks(r)
        self.assertEqual(r.host.get("PROBE"),
                         "sigchld=seen sigpipe=handled dispositions=same hostchild=ours", r.log)
        self.assertEqual(r.host.get("SIGNALS"), "same")

    def test_pending_sigchld_stays_pending(self):
        """A SIGCHLD the host keeps blocked and pending is still pending after the module ran,
        with its own siginfo (setting SIGCHLD to SIG_DFL, even for a moment, discards it)."""
        r = self.run_pam("ok", "open", "env", driver_args=["--pending-sigchld"])
        self.assert_ks(r)
        # kept, and still the host child's (a SIGCHLD of the module's own child would be
        # pending too if the host's had been discarded).
        self.assertEqual(r.host.get("PENDING"), "kept from=host-child")
        self.assertEqual(r.host.get("SIGNALS"), "same")

    def test_host_ignoring_or_reaping_sigchld(self):
        """A host that ignores SIGCHLD (its children are reaped by the kernel) or reaps every
        child in its handler still gets the KS, and keeps its disposition."""
        for how in ("ignore", "reaper"):
            with self.subTest(sigchld=how):
                r = self.run_pam("ok", "open", "env",
                                 driver_args=["--sigchld", how, "--children"])
                self.assert_ks(r)
                self.assertEqual(r.host.get("SIGNALS"), "same")
                self.assertEqual(r.host.get("CHILDREN"), "none")

    def test_no_child_left_after_success_or_kill(self):
        """Neither a helper that answered nor one killed at the deadline is left a child of
        the host."""
        for service, ops in (("ok", ["open"]), ("hang", ["open=SESSION_ERR"]),
                             ("flood", ["open=SESSION_ERR"])):
            with self.subTest(service=service):
                r = self.run_pam(service, *ops, driver_args=["--children"])
                self.assertEqual(r.rc, 0, r.log[-3000:])
                self.assertEqual(r.host.get("CHILDREN"), "none")
                self.assertEqual(r.host.get("SIGNALS"), "same")


# ---- a helper in uninterruptible sleep: FUSE (root) ----

libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS = 0x00020000
MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 2, 4, 1 << 14, 1 << 18
MNT_DETACH = 2
FUSE_LOOKUP, FUSE_INIT, FUSE_INTERRUPT = 1, 26, 36
ENOENT, ENOSYS = 2, 38


def check(rc, what):
    if rc != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"{what}: {os.strerror(e)}")


class NeverAnsweringFuse:
    """A FUSE file system speaking /dev/fuse directly: it answers INIT, and keeps every
    LOOKUP unanswered until release(). A process whose lookup the daemon has read sleeps in
    the kernel's uninterruptible wait for the answer (fs/fuse/dev.c request_wait_answer),
    and a SIGKILL does not end that wait."""

    def __init__(self, mountpoint):
        self.mountpoint = mountpoint
        self.fd = os.open("/dev/fuse", os.O_RDWR | os.O_CLOEXEC)
        opts = f"fd={self.fd},rootmode=40000,user_id=0,group_id=0,allow_other".encode()
        check(libc.mount(b"kc-never", mountpoint.encode(), b"fuse", MS_NOSUID | MS_NODEV,
                         opts), "mount fuse")
        self.lock = threading.Lock()
        self.held = []  # unique ids of the lookups left unanswered
        self.held_event = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def reply(self, unique, error=0, body=b""):
        os.write(self.fd, struct.pack("<IiQ", 16 + len(body), error, unique) + body)

    def serve(self):
        while True:
            try:
                buf = os.read(self.fd, 1 << 20)
            except OSError:
                return  # unmounted
            _, opcode, unique = struct.unpack_from("<IIQ", buf)
            if opcode == FUSE_INIT:
                _, minor = struct.unpack_from("<II", buf, 40)
                # fuse_init_out: major, minor, max_readahead, flags, max_background,
                # congestion_threshold, max_write, time_gran, max_pages, map_alignment,
                # flags2, unused[7]
                self.reply(unique, 0, struct.pack("<IIIIHHIIHHI", 7, min(minor, 31), 0, 0, 1, 1,
                                                  4096, 1, 1, 0, 0) + bytes(28))
            elif opcode == FUSE_LOOKUP:
                with self.lock:
                    self.held.append(unique)
                self.held_event.set()
            elif opcode != FUSE_INTERRUPT:  # an interrupt needs no answer
                self.reply(unique, -ENOSYS)

    def release(self):
        """Answers every held lookup (ENOENT): the sleepers wake up (and die, if killed)."""
        with self.lock:
            held, self.held = self.held, []
        for unique in held:
            try:
                self.reply(unique, -ENOENT)
            except OSError:
                pass

    def close(self):
        self.release()
        libc.umount2(self.mountpoint.encode(), MNT_DETACH)
        self.thread.join(taptest.scaled(10))
        os.close(self.fd)


def read_until(proc, prefix, seconds):
    """pam_driver's stdout lines up to the first one starting with prefix."""
    fd, buf, deadline = proc.stdout.fileno(), b"", time.monotonic() + seconds
    while not any(l.startswith(prefix.encode()) for l in buf.split(b"\n")):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise AssertionError(f"no {prefix!r} line in time: {buf!r}")
        chunk = os.read(fd, 4096)
        if not chunk:
            raise AssertionError(f"pam_driver ended early: {buf!r} {proc.stderr.read()}")
        buf += chunk
    return buf.decode().splitlines()


def alive(pid):
    """Not gone and not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(") ", 1)[1][0]
    except FileNotFoundError:
        return "gone"


@unittest.skipUnless(os.geteuid() == 0, "needs root (a FUSE mount in a private namespace)")
class StuckHelperTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # A mount namespace of our own (inherited by pam_driver and the helper): the FUSE
        # mount is gone with this process, even after a SIGKILL.
        check(libc.unshare(CLONE_NEWNS), "unshare")
        check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
        cls.base = tempfile.mkdtemp(prefix="kc-pam-stuck-")
        os.chmod(cls.base, 0o755)
        cls.services = os.path.join(cls.base, "services")
        os.mkdir(cls.services)
        # The helper is killed when it has slept for a while (the timeout), so that the
        # SIGKILL finds it inside the FUSE lookup.
        timeout = max(2, int(taptest.scaled(2)))
        with open(os.path.join(cls.services, "stuck"), "w") as f:
            f.write(f"session required {pc.MODULE} minimum_uid=0 debug timeout={timeout} "
                    f"helper={os.path.join(pc.HELPERS, 'stuck.sh')}\n")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.base, ignore_errors=True)
        pc.cleanup_pam_wrapper_dirs()

    def setUp(self):
        pc.check_environment(self)
        self.scratch = tempfile.mkdtemp(prefix="kc-pam-stuck-run-")
        os.chmod(self.scratch, 0o700)
        os.mkdir(os.path.join(self.scratch, "fuse"))
        self.fuse = NeverAnsweringFuse(os.path.join(self.scratch, "fuse"))
        self.addCleanup(shutil.rmtree, self.scratch, True)
        self.addCleanup(self.fuse.close)

    def test_stuck_helper_is_not_a_child_of_the_host(self):
        """The helper sleeps uninterruptibly when the deadline kills it: the module returns
        (SESSION_ERR) with no child of the host alive, so login's wait(NULL) afterwards
        returns its shell, not the helper once that finally dies."""
        proc = pc.popen("stuck", USER, ["open=SESSION_ERR"],
                        putenv=[f"XDG_RUNTIME_DIR={self.scratch}"], services=self.services,
                        driver_args=["--children", "--login-wait"])
        shell = None
        try:
            lines = read_until(proc, "SHELL ", taptest.scaled(60))
            shell = int(lines[-1].split()[1])
            self.assertTrue(self.fuse.held_event.is_set(), "precondition: the helper's "
                            "lookup reached the FUSE daemon")
            with open(os.path.join(self.scratch, "stuck.pid")) as f:
                helper = int(f.read())
            self.assertEqual(state(helper), "D", "precondition: the helper sleeps "
                             "uninterruptibly after its SIGKILL")
            # The helper wakes up (and dies of its SIGKILL) while login waits for its shell;
            # then the shell ends.
            self.fuse.release()
            end = time.monotonic() + taptest.scaled(10)
            while alive(helper):
                self.assertLess(time.monotonic(), end, "the helper survived its SIGKILL")
                time.sleep(0.01)
            try:
                os.kill(shell, signal.SIGTERM)
            except ProcessLookupError:
                pass  # the driver's wait(NULL) returned something else: it ended the shell
            out, err = proc.communicate(timeout=taptest.scaled(30))
            self.assertIn("open SESSION_ERR", lines)
            self.assertIn("did not die within 1 s of SIGKILL", err)
            self.assertIn("SIGNALS same", lines)
            self.assertEqual(out.split(), ["WAITED", str(shell)],
                             f"login's wait(NULL) returned another process (the helper "
                             f"{helper}?) before its shell {shell}")
            self.assertIn("CHILDREN none", lines)
        finally:
            self.fuse.release()
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
                if shell is not None:  # the driver's "shell" outlives a killed driver
                    try:
                        os.kill(shell, signal.SIGKILL)
                    except ProcessLookupError:
                        pass


if __name__ == "__main__":
    taptest.main()
