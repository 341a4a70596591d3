"""Issue 11 item 8: KWallet's Diffie-Hellman bug, made deterministic with the fake Secret
Service (tests/lib/fake_secret_service.py, run as provider 'fake'). In about 1 real session
in 100, kwalletd5 5.103 either refuses the session ("Client public key size is invalid":
libsecret's public key had a leading zero byte) or derives another session key than libsecret
(the shared secret had one): then every secret it sends is undecryptable and libsecret's
lookup returns NULL without an error, exactly as for an item that does not exist.

What the helper must do: tell "no item" from "item found, secret unreadable" (exit 7, saying
so, never exit 6 "run login"), and retry a failed session negotiation once."""
import provider_cases
import taptest
from kchelper import create_token

KNOWN_FAILING = {}


@provider_cases.known_failing(KNOWN_FAILING)
class KWalletDH(provider_cases.ProviderCases):
    def stored(self):
        """A stored token, no cached KS: the next get reads the keyring."""
        tid, tok = create_token()
        self.login(tid, tok)
        self.assert_stored(tid, tok)
        self.sb.run("erase", input=b"\n")
        return tid, tok

    def sessions(self):
        return self.provider.counters().get("OpenSession", 0)

    def test_a_refused_session_is_retried(self):
        tid, _ = self.stored()
        self.provider.fault("open-session-bad-key", 1)
        before = self.sessions()
        self.assertKs(self.get(), tid)
        self.assertEqual(self.sessions() - before, 2, "one refused session, one retry")

    def test_b_unreadable_secret_is_retried(self):
        tid, _ = self.stored()
        self.provider.fault("session-key-mismatch", 1)
        before = self.sessions()
        self.assertKs(self.get(), tid)
        self.assertEqual(self.sessions() - before, 2, "one bad session, one retry")

    def test_c_unreadable_secret_is_not_a_missing_token(self):
        tid, tok = self.stored()
        self.provider.fault("session-key-mismatch", -1)  # every session: the retry fails too
        p = self.get()
        self.assertFails(p, 7, "could not be read")
        self.assertNotIn(b"login", p.stderr, "the token is stored: login is not the fix")
        self.provider.fault("session-key-mismatch", 0)
        self.assert_stored(tid, tok)

    def test_d_status_tells_unreadable_from_missing(self):
        self.stored()
        self.provider.fault("session-key-mismatch", -1)
        p = self.sb.run("status", timeout=provider_cases.HELPER_LIMIT)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"token: stored, but its secret could not be read", p.stdout, p.stdout)

    def test_e_store_over_a_mismatched_session_is_retried(self):
        # kwalletd cannot decrypt what libsecret sent over such a session: CreateItem fails
        # with "Can't find session ..."; a new session stores it
        tid, tok = create_token()
        self.provider.fault("session-key-mismatch", 1)
        self.login(tid, tok)
        self.assert_stored(tid, tok)

    def test_g_relogin_over_a_mismatched_session_is_retried(self):
        # a stored token, then a re-login whose first session fails: the empty item that
        # kwalletd leaves behind must not take the new token with it when it goes
        tid, _ = self.stored()
        self.provider.fault("session-key-mismatch", 1)
        other = "0123456789abcdef0123456789abcdef"
        self.login(tid, other, extra=["--no-verify"])
        self.assert_stored(tid, other)
        self.provider.fault("session-key-mismatch", 0)
        p = self.sb.run("status", timeout=provider_cases.HELPER_LIMIT)
        self.assertIn(b"token: stored in the keyring", p.stdout, p.stdout)

    def test_h_failed_relogin_keeps_the_old_token(self):
        # every session fails: login says so (exit 7), and the token stored before is intact
        tid, tok = self.stored()
        self.provider.fault("session-key-mismatch", -1)
        p = self.login(tid, "0123456789abcdef0123456789abcdef", extra=["--no-verify"],
                       check=False)
        self.assertFails(p, 7, "session")
        self.provider.fault("session-key-mismatch", 0)
        self.assert_stored(tid, tok)
        self.assertKs(self.get(), tid)

    def test_i_store_taken_wrongly_is_retried(self):
        # over a mismatched session kwalletd's padding check can pass by chance: it stores
        # garbage and CreateItem succeeds. The read-back cannot decrypt it: that new item is
        # taken out again, and a new session stores the token
        tid, tok = create_token()
        self.provider.fault("session-key-mismatch-stored", 1)
        before = self.sessions()
        self.login(tid, tok)
        self.assertEqual(self.sessions() - before, 2, "one bad session, one retry")
        self.assert_stored(tid, tok)

    def test_j_relogin_taken_wrongly_keeps_then_replaces_the_old_token(self):
        # the same on a re-login: the old token is not removed for garbage; the retry
        # replaces it with the new one
        tid, _ = self.stored()
        self.provider.fault("session-key-mismatch-stored", 1)
        other = "0123456789abcdef0123456789abcdef"
        self.login(tid, other, extra=["--no-verify"])
        self.assert_stored(tid, other)

    def test_k_relogin_taken_wrongly_every_time_keeps_the_old_token(self):
        # every session stores garbage: login fails (exit 7), the token stored before stays
        tid, tok = self.stored()
        self.provider.fault("session-key-mismatch-stored", -1)
        p = self.login(tid, "0123456789abcdef0123456789abcdef", extra=["--no-verify"],
                       check=False)
        self.provider.fault("session-key-mismatch-stored", 0)
        self.assert_stored(tid, tok)
        self.assertFails(p, 7, "not stored", "session")
        self.assertKs(self.get(), tid)

    def test_f_refused_every_time_is_a_keyring_error(self):
        # the retry is once: a provider that refuses every session is reported, exit 7,
        # with its own words
        self.stored()
        self.provider.fault("open-session-bad-key", -1)
        self.assertFails(self.get(), 7, "Client public key size is invalid")


# the shared cases run against the real providers; here only the DH faults
for _name in [n for n in dir(provider_cases.ProviderCases) if n.startswith("test_")]:
    if _name not in KWalletDH.__dict__:
        setattr(KWalletDH, _name, None)

if __name__ == "__main__":
    taptest.main()
