"""Every error path: its documented exit code, exactly one stderr line, nothing on stdout.
libsecret's file backend; the keyring-specific paths are in test_keyring.py."""
import os
import random
import socket
import time

import taptest
from kchelper import HelperTest, create_token, emu, emu_host, emu_partner, emu_url, scaled

GET = b"protocol=https\nhost=%s\n\n"
# A short `timeout` for the network deadline tests. It bounds the keyring lookup too, and under
# valgrind libsecret's file backend alone takes about 2 s to derive its key: scaled there.
SHORT = round(scaled(2))


class Errors(HelperTest):
    def setUp(self):
        super().setUp()
        self.tid, self.tok = self.logged_in()

    def get(self, *args):
        return self.sb.run(*args, "get", input=GET % emu_host().encode())

    def config(self, **keys):
        self.sb.write_config(self.sb.profile_config("default", self.tid, cache="false", **keys))

    # ---- configuration ----

    def test_missing_config(self):
        os.unlink(self.sb.config)
        self.assertFails(self.sb.run("get", input=b"\n"), 5, "login")

    def test_missing_config_override(self):
        self.assertFails(self.sb.run("--config", "/nonexistent/k.conf", "get", input=b"\n"), 4,
                         "/nonexistent/k.conf")

    def test_secret_key_in_config(self):
        self.sb.write_config(self.sb.profile_config("default", self.tid) + f"token = {self.tok}\n")
        p = self.sb.run("get", input=b"\n")
        self.assertFails(p, 4, "login")
        self.assertNotIn(self.tok.encode(), p.stderr)

    def test_bad_value(self):
        self.config(partner_id="twelve")
        self.assertFails(self.sb.run("get", input=b"\n"), 4, "partner_id")

    def test_insecure_url(self):
        self.config(service_url="http://kaltura.example.com")
        self.assertFails(self.sb.run("get", input=b"\n"), 4, "https")

    def test_percent_encoded_host_is_refused_before_any_connection(self):
        """Security review item 1: "http://<ip>%2F.localhost" passed the loopback rule (GUri
        decoded the host to "<ip>/.localhost"), and libcurl then posted the KS that `revoke`
        was given to <ip>:80 in cleartext, under a warning that named allow_insecure although
        it was not set. Now: exit 4, and a listener on <ip>:80 sees no connection at all."""
        if os.geteuid() != 0:
            self.skipTest("needs root to listen on port 80")
        ks = dict(l.split(b"=", 1) for l in self.get().stdout.split(b"\n") if l)[b"password"]
        ip = f"127.{random.randint(100, 199)}.{random.randint(1, 254)}.{random.randint(1, 254)}"
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((ip, 80))
        srv.listen(8)
        try:
            self.config(service_url=f"http://{ip}%2F.localhost", timeout=SHORT)
            p = self.sb.run("revoke", input=b"password=" + ks + b"\n\n")
            srv.setblocking(False)  # the command has ended: a connection would be queued now
            try:
                conn, _ = srv.accept()
                conn.settimeout(5)
                got = conn.recv(65536)
                conn.close()
            except BlockingIOError:
                got = None
        finally:
            srv.close()
        self.assertTrue(got is None,  # not assertIsNone: it would print the request, KS and all
                        f"connected to {ip}:80; the KS in cleartext: {ks in (got or b'')}")
        self.assertFails(p, 4, "service_url", "host")
        self.assertNotIn(b"allow_insecure", p.stderr)

    def test_incomplete_profile(self):
        self.sb.write_config("[default]\npartner_id = 1\n")
        self.assertFails(self.sb.run("get", input=b"\n"), 4, "app_token_id")

    def test_usage(self):
        self.assertFails(self.sb.run(), 2, "usage")
        self.assertFails(self.sb.run("--bogus", "get"), 2)
        self.assertFails(self.sb.run("get", "extra"), 2)
        self.assertFails(self.sb.run("login", "--nope"), 2)

    # ---- keyring ----

    def test_missing_token(self):
        p = self.sb.run("logout")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFails(self.get(), 6, "login")

    def test_missing_token_does_not_wait_for_the_network(self):
        # The keyring lookup overlaps the widget-session request; when it finds no token the
        # request in flight is abandoned: a hung server must not delay "no token" (PAM maps it to
        # PAM_IGNORE, and a login must not wait for it).
        p = self.sb.run("logout")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.config(timeout=20)
        emu("fault", "hang")
        t = time.monotonic()
        p = self.get()
        self.assertLess(time.monotonic() - t, scaled(5))
        self.assertFails(p, 6, "login")

    def test_missing_token_before_plain_http_warning(self):
        # A profile with allow_insecure on a remote host warns when it uses the network; it
        # reads the keyring first, so "no token" stays the only line (no warning before it).
        self.sb.write_config("[ins]\nservice_url = http://kc-test.invalid\nallow_insecure = true\n"
                             f"partner_id = {emu_partner()}\napp_token_id = 0_zzzzzzzz\n")
        self.assertFails(self.sb.run("--profile", "ins", "ks"), 6, "login")

    # ---- rejected by the server ----

    def test_wrong_token(self):
        p = self.sb.login(self.tid, "0" * 32, extra=["--no-verify"])
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.get()
        self.assertFails(p, 8, "INVALID_APP_TOKEN_HASH", "hash_function")

    def test_wrong_hash_function(self):
        self.config(hash_function="sha256")
        self.assertFails(self.get(), 8, "INVALID_APP_TOKEN_HASH", "hash_function")

    def test_unknown_token(self):
        self.sb.login("0_zzzzzzzz", self.tok, extra=["--no-verify"])
        self.assertFails(self.get(), 8, "APP_TOKEN_ID_NOT_FOUND")

    def test_disabled_token(self):
        emu("set-token-status", self.tid, "disabled")
        self.config()
        self.assertFails(self.get(), 8, "APP_TOKEN_NOT_ACTIVE")

    def test_expired_token(self):
        tid, tok = create_token(expiry=int(time.time()) + 3600)
        self.sb.login(tid, tok)
        self.sb.write_config(self.sb.profile_config("default", tid, cache="false"))
        emu("clock-offset", 7200)
        self.assertFails(self.get(), 8, "APP_TOKEN_EXPIRED")

    def test_deleted_token(self):
        emu("delete-token", self.tid)
        self.config()
        self.assertFails(self.get(), 8, "APP_TOKEN_ID_NOT_FOUND")

    # ---- network and TLS ----

    def test_unreachable(self):
        self.sb.login(self.tid, self.tok, url="https://localhost:1", extra=["--no-verify"])
        self.assertFails(self.sb.run("get", input=b"\n"), 9, "localhost:1")

    def test_untrusted_ca(self):
        self.config(ca_file=os.environ["KC_EMU_OTHER_CA"])
        self.assertFails(self.get(), 9, "TLS")

    def test_system_store_does_not_trust_emulator(self):
        self.sb.write_config(self.sb.profile_config("default", self.tid, ca=False, cache="false"))
        self.assertFails(self.get(), 9, "TLS")

    def test_wrong_host_name(self):
        port = emu_url().rsplit(":", 1)[1]
        self.sb.login(self.tid, self.tok, url=f"https://127.0.0.1:{port}", extra=["--no-verify"])
        p = self.sb.run("get", input=b"\n")
        self.assertFails(p, 9, "TLS")

    def test_timeout(self):
        self.config(timeout=SHORT)
        emu("fault", "hang")
        t = time.monotonic()
        p = self.get()
        self.assertLess(time.monotonic() - t, scaled(6))
        self.assertFails(p, 9, f"{SHORT} s")

    def test_slow_drip_hits_deadline(self):
        self.config(timeout=SHORT)
        emu("fault", "slow_drip")
        t = time.monotonic()
        self.assertFails(self.get(), 9)
        self.assertLess(time.monotonic() - t, scaled(6))

    def test_persistent_5xx(self):
        self.config()
        emu("fault", "http503")
        self.assertFails(self.get(), 9, "503")

    def test_transient_5xx_and_reset_are_retried(self):
        self.config()
        for mode in ("http500", "reset"):
            with self.subTest(mode=mode):
                emu("fault", mode, "--count", 1)
                self.assertKs(self.get(), self.tid)

    def test_redirect_not_followed(self):
        self.config()
        emu("fault", "redirect")
        self.assertFails(self.get(), 9, "redirect")

    # ---- unusable answers ----

    def test_bad_answers(self):
        self.config()
        for mode in ("garbage", "oversized", "truncated_json", "ks_newline", "ks_nul", "ks_huge",
                     "expiry_past"):
            with self.subTest(mode=mode):
                emu("fault", mode)
                self.assertFails(self.get(), 10)
                emu("fault", "none")

    def test_wrong_content_type_is_refused(self):
        # format=1 answers are application/json; a 200 labelled text/html is a captive
        # portal or proxy page, even when its body happens to parse.
        self.config()
        emu("fault", "wrong_content_type")
        self.assertFails(self.get(), 10, "text/html", "application/json")


if __name__ == "__main__":
    taptest.main()
