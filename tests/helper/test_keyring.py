"""Against a real gnome-keyring on a private session bus (tests/lib/with-keyring.sh): the item,
no-token, no Secret Service, login failure storing nothing, a hung Secret Service (the lookup
gives up at `timeout`), and a locked keyring (last: a collection locked in a session cannot be
unlocked again in it)."""
import os
import signal
import subprocess
import time

import taptest
from kchelper import FRONTEND, WRAP, HelperTest, create_token, emu_host, scaled, wrapped

GET = b"protocol=https\nhost=%s\n\n"


def secret_tool(*args):
    return subprocess.run(["secret-tool", *args], capture_output=True, timeout=30)


def secret_service_pid():
    """The pid of the process owning org.freedesktop.secrets on this test's own session bus
    (with-keyring.sh's gnome-keyring-daemon), asked of that bus: never another sandbox's."""
    p = subprocess.run(["gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
                        "--object-path", "/org/freedesktop/DBus", "--method",
                        "org.freedesktop.DBus.GetConnectionUnixProcessID",
                        "org.freedesktop.secrets"],
                       check=True, capture_output=True, text=True, timeout=30)
    pid = int(p.stdout.strip().strip("(),").split()[-1])  # "(uint32 1234,)"
    with open(f"/proc/{pid}/comm") as f:
        assert f.read().strip().startswith("gnome-keyring"), pid
    return pid


class Keyring(HelperTest):
    backend = "service"

    def get(self, env=None):
        return self.sb.run("get", input=GET % emu_host().encode(), env=env)

    def test_a_login_stores_item_with_schema(self):
        tid, tok = self.logged_in()
        found = secret_tool("lookup", "xdg:schema", "org.kaltura.AppToken", "app_token_id", tid)
        self.assertEqual(found.stdout.decode(), tok, "the token is the item's secret")
        listing = secret_tool("search", "--all", "app_token_id", tid)
        self.assertIn(f"Kaltura App Token {tid}".encode(), listing.stdout + listing.stderr)
        self.assertKs(self.get(), tid)
        p = self.sb.run("logout")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(secret_tool("lookup", "app_token_id", tid).stdout, b"")
        self.assertFails(self.get(), 6, "login")

    def test_b_login_with_wrong_token_stores_nothing(self):
        tid, _ = create_token()
        p = self.sb.login(tid, "f" * 32)
        self.assertFails(p, 8, "INVALID_APP_TOKEN_HASH", "nothing was stored")
        self.assertEqual(secret_tool("lookup", "app_token_id", tid).stdout, b"")
        self.assertFalse(os.path.exists(self.sb.config), "no config written")

    def test_c_no_secret_service(self):
        tid, tok = create_token()
        self.sb.login(tid, tok)
        self.sb.run("erase", input=b"\n")  # no cached KS: the token is needed
        env = dict(self.sb.env)
        del env["DBUS_SESSION_BUS_ADDRESS"]
        p = subprocess.run(wrapped([FRONTEND, "get"]), input=GET % emu_host().encode(),
                           capture_output=True, env=env, timeout=scaled(60))
        self.assertFails(p, 7, "Secret Service")

    def test_y_hung_keyring_times_out(self):
        # A Secret Service that accepts the D-Bus call but never answers (here: stopped) must
        # not hold get up for the bus's 25 s default: the lookup gives up after `timeout`.
        tid, tok = self.logged_in()
        self.sb.write_config(self.sb.profile_config("default", tid, timeout=2))
        self.sb.run("erase", input=b"\n")  # cold cache: the token is needed
        pid = secret_service_pid()
        # 10 s bounds the process (a regression fails instead of hanging); valgrind's start-up
        # of the frontend and the minter gets its own margin, still below 25 s.
        limit = 10 + (10 if WRAP else 0)
        os.kill(pid, signal.SIGSTOP)
        try:
            t = time.monotonic()
            p = subprocess.run(wrapped([FRONTEND, "get"]), input=GET % emu_host().encode(),
                               capture_output=True, env=self.sb.env, timeout=limit)
            took = time.monotonic() - t
        finally:
            os.kill(pid, signal.SIGCONT)
        self.assertFails(p, 7, "did not answer within 2 s", "timeout")
        self.assertLess(took, limit)
        # The daemon answers again and the token is intact (default timeout: under valgrind
        # the two API calls alone may take longer than 2 s).
        self.sb.write_config(self.sb.profile_config("default", tid))
        self.assertKs(self.get(), tid)

    def test_z_locked_keyring(self):
        tid, tok = self.logged_in()
        self.sb.run("erase", input=b"\n")  # no cached KS: the token is needed
        subprocess.run(["gdbus", "call", "--session", "--dest", "org.freedesktop.secrets",
                        "--object-path", "/org/freedesktop/secrets", "--method",
                        "org.freedesktop.Secret.Service.Lock",
                        "['/org/freedesktop/secrets/collection/login']"],
                       check=True, capture_output=True, timeout=30)
        self.assertFails(self.get(), 7, "locked")
        p = self.sb.run("status")
        self.assertIn(b"locked", p.stdout)
        other, _ = create_token()
        p = self.sb.login(other, "0" * 32, extra=["--no-verify"], profile="other")
        self.assertFails(p, 7)


if __name__ == "__main__":
    taptest.main()
