"""A login lab killed with SIGKILL leaves the machine as it found it (sysstate.py): its
watchdog undoes the PAM edits, deletes the user, stops the private sshd and removes the
test's /dev/log; with the watchdog killed as well, the next sweep does it. Root only."""
import hashlib
import os
import pwd
import signal
import subprocess
import sys
import unittest

import loginlab
import sysstate
import taptest
from labcommon import process_alive, read_until, wait_for

HOLD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hold_lab.py")


def pam_snapshot():
    """The PAM files a lab edits (other files of /etc/pam.d may change meanwhile: another
    program's package installation runs pam-auth-update)."""
    out = {}
    for name in loginlab.SYSTEM_SERVICES:
        path = os.path.join(sysstate.PAM_DIR, name)
        with open(path, "rb") as f:
            out[name] = (hashlib.sha256(f.read()).hexdigest(), os.stat(path).st_mode)
    return out


def machine():
    """What a lab changes that was there before it: its PAM files (contents, modes) and
    /dev/log."""
    return {"pam": pam_snapshot(), "devlog": os.path.lexists("/dev/log")}


def lab_traces(tag):
    """What a lab (tag) adds: its user(s), its private sshd's PAM service, its journal."""
    return {"users": [p.pw_name for p in pwd.getpwall() if p.pw_name.startswith(
                f"kclogin{tag}")],
            "sshd service": os.path.exists(
                os.path.join(sysstate.PAM_DIR, sysstate.SSHD_SERVICE_PREFIX + tag)),
            "journal": os.path.exists(os.path.join(sysstate.JOURNAL_DIR, f"{tag}.json"))}


@unittest.skipUnless(os.geteuid() == 0, "needs root (/etc/pam.d, useradd)")
class KillTest(unittest.TestCase):
    def setUp(self):
        # No other run's lab between our before and after: we hold the lab lock and hand it
        # to our own lab (sysstate.hold_lab_lock).
        self.lab_lock = sysstate.hold_lab_lock()
        self.addCleanup(os.close, self.lab_lock)

    def hold(self):
        """A lab in a child process; (process, tag, user, sshd pid, watchdog pid)."""
        env = dict(os.environ, **{sysstate.LAB_LOCK_FD_ENV: str(self.lab_lock)})
        p = subprocess.Popen([sys.executable, HOLD], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, env=env, pass_fds=(self.lab_lock,))
        m, _ = read_until(p.stdout.fileno(), rb"READY (\w+) (\w+) (\d+) (\d+)\n", 60,
                          what="the lab to be set up")
        tag, user = m[1].decode(), m[2].decode()
        return p, tag, user, int(m[3]), int(m[4])

    def assert_changed(self, before, tag, user):
        """The lab really changed the machine (else there is nothing to test)."""
        now = machine()
        self.assertEqual(lab_traces(tag), {"users": [user], "sshd service": True,
                                           "journal": True})
        for svc in loginlab.SYSTEM_SERVICES:
            self.assertNotEqual(now["pam"][svc], before["pam"][svc], svc)

    def assert_restored(self, before, tag, sshd_pid):
        wait_for(lambda: not lab_traces(tag)["journal"], 60, "the journal to be undone")
        self.assertEqual(lab_traces(tag), {"users": [], "sshd service": False,
                                           "journal": False})
        self.assertEqual(machine(), before)
        self.assertFalse(process_alive(sshd_pid), "the private sshd still runs")

    def test_sigkill_is_undone_by_the_watchdog(self):
        before = machine()
        p, tag, user, sshd_pid, _ = self.hold()
        self.assert_changed(before, tag, user)
        p.kill()
        p.wait()
        p.stdout.close()
        p.stdin.close()
        self.assert_restored(before, tag, sshd_pid)

    def test_sigkill_with_the_watchdog_is_undone_by_the_sweep(self):
        before = machine()
        p, tag, user, sshd_pid, watchdog = self.hold()
        self.assert_changed(before, tag, user)
        os.kill(watchdog, signal.SIGKILL)
        wait_for(lambda: not process_alive(watchdog), 30, "the watchdog to die")
        p.kill()
        p.wait()
        p.stdout.close()
        p.stdin.close()
        self.assert_changed(before, tag, user)  # nobody undid it yet
        subprocess.run([sys.executable, sysstate.__file__, "sweep"], check=True)
        self.assert_restored(before, tag, sshd_pid)

    def test_normal_end_restores(self):
        before = machine()
        p, tag, user, sshd_pid, _ = self.hold()
        self.assert_changed(before, tag, user)
        p.stdin.close()
        self.assertEqual(p.wait(timeout=60), 0)
        p.stdout.close()
        self.assert_restored(before, tag, sshd_pid)


if __name__ == "__main__":
    taptest.main()
