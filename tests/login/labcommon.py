"""Shared pieces of the login lab (loginlab.py): paths, environments, what a session prints,
and waiting for events (never for a fixed time); bounds scale with KC_TEST_TIMEOUT_SCALE."""
import os
import re
import select
import time

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
