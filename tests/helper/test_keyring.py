"""Against a real gnome-keyring on a private session bus (tests/lib/with-keyring.sh): the item,
no-token, no Secret Service, login failure storing nothing, and a locked keyring (last: a
collection locked in a session cannot be unlocked again in it)."""
import os
import subprocess

import taptest
from kchelper import FRONTEND, HelperTest, create_token, emu_host, scaled, wrapped

GET = b"protocol=https\nhost=%s\n\n"


def secret_tool(*args):
    return subprocess.run(["secret-tool", *args], capture_output=True, timeout=30)


class Keyring(HelperTest):
    backend = "service"

    def get(self, env=None):
        return self.sb.run("get", input=GET % emu_host().encode(), env=env)

    def test_a_login_stores_item_with_schema(self):
        tid, tok = create_token()
        p = self.sb.login(tid, tok)
        self.assertEqual(p.returncode, 0, p.stderr)
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

    def test_z_locked_keyring(self):
        tid, tok = create_token()
        p = self.sb.login(tid, tok)
        self.assertEqual(p.returncode, 0, p.stderr)
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
