"""login: the session options it writes, and how it leaves the cache (libsecret file backend)."""
import os
import time

import taptest
from kchelper import HelperTest, create_token, emu, emu_host, parse_output, stats, validate

GET = b"protocol=https\nhost=%s\n\n"


class Login(HelperTest):
    def get(self):
        return self.sb.run("get", input=GET % emu_host().encode())

    def config_text(self):
        with open(self.sb.config) as f:
            return f.read()

    def test_session_options_are_written_and_used(self):
        tid, tok = create_token()
        p = self.sb.login(tid, tok, extra=("--user-id", "bob@example.com", "--expiry", "600",
                                           "--privileges", "view:*", "--session-type", "user"))
        self.assertEqual(p.returncode, 0, p.stderr)
        text = self.config_text()
        for line in ("user_id=bob@example.com", "expiry=600", "privileges=view:*",
                     "session_type=user"):
            self.assertIn(line, text)
        p = self.get()
        ks = dict(parse_output(p.stdout))["password"]
        self.assertKs(p, tid, username="bob@example.com")
        info = validate(ks)[1]
        self.assertEqual(info["userId"], "bob@example.com")
        self.assertIn("view:*", info["privileges"])
        self.assertLessEqual(info["expiry"], time.time() + 601)

    def test_options_not_given_are_not_written(self):
        tid, tok = create_token()
        self.assertEqual(self.sb.login(tid, tok).returncode, 0)
        text = self.config_text()
        for key in ("user_id", "expiry", "privileges", "session_type"):
            self.assertNotIn(key, text)

    def test_bad_session_option_stores_nothing(self):
        tid, tok = create_token()
        p = self.sb.login(tid, tok, extra=("--session-type", "root"))
        self.assertFails(p, 4, "session_type")
        self.assertFalse(os.path.exists(self.sb.config))
        self.assertFails(self.sb.run("ks"), 5, "not configured")

    def test_verified_login_leaves_a_ks_for_get(self):
        tid, tok = create_token()
        self.assertEqual(self.sb.login(tid, tok).returncode, 0)
        emu("reset-stats")
        self.assertKs(self.get(), tid)
        self.assertEqual(stats()["total"], 0, "the KS minted by login's check is served")

    def test_login_again_replaces_the_cached_ks(self):
        tid, tok = create_token()
        self.sb.login(tid, tok)
        ks1 = self.assertKs(self.get(), tid)
        self.assertEqual(self.sb.login(tid, tok).returncode, 0)
        emu("reset-stats")
        ks2 = self.assertKs(self.get(), tid)
        self.assertNotEqual(ks1, ks2)
        self.assertEqual(stats()["total"], 0)

    def test_unverified_login_drops_the_cached_ks(self):
        # A KS minted with the token stored before must not outlive its replacement: here the
        # new token is wrong, and get says so instead of serving the old token's KS.
        tid, tok = create_token()
        self.sb.login(tid, tok)
        self.assertKs(self.get(), tid)
        wrong = tok[:-1] + ("0" if tok[-1] != "0" else "1")
        p = self.sb.login(tid, wrong, extra=("--no-verify",))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFails(self.get(), 8)

    def test_failed_check_keeps_the_cached_ks(self):
        tid, tok = create_token()
        self.sb.login(tid, tok)
        ks1 = self.assertKs(self.get(), tid)
        wrong = tok[:-1] + ("0" if tok[-1] != "0" else "1")
        self.assertFails(self.sb.login(tid, wrong), 8, "nothing was stored")
        self.assertEqual(self.assertKs(self.get(), tid), ks1)


if __name__ == "__main__":
    taptest.main()
