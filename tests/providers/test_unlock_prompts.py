"""Unlocking a locked collection, with the fake Secret Service (tests/lib/fake_secret_service.py,
provider 'fake') whose unlock prompt is never answered, unlocks at once, or is dismissed:

- where someone can answer the dialog (a graphical session: DISPLAY or WAYLAND_DISPLAY), the
  helper waits for it up to the profile's `timeout`, then says it was not answered;
- elsewhere (PAM, ssh, cron: neither is set) it gives the dialog a short bound only, so that a
  prompt which completes by itself (a KWallet wallet opened at login) still unlocks, and says
  why it did not wait;
- a dismissed prompt is "locked" at once, and never hangs the helper (libsecret's own prompt
  code never returns for a dismissed prompt whose result has another type than the call
  expects, as this fake sends);
- `status` never asks to unlock.
Each prompt left unanswered is dismissed (taken off the screen) by the helper."""
import provider_cases
import taptest
from kchelper import create_token

# a display name nobody serves: the helper only reads that one is set; the fake's prompt
# shows nothing anywhere
DISPLAY = {"DISPLAY": ":kc-test-no-display"}
# longer than HELPER_LIMIT: a helper that waited this long fails the test instead
LONG_TIMEOUT = 3 * provider_cases.HELPER_LIMIT


class UnlockPrompts(provider_cases.ProviderCases):
    def stored_then_locked(self, unlock_prompt, timeout):
        """A stored token, no cached KS, the profile's timeout set, the collection locked."""
        tid, tok = create_token()
        self.login(tid, tok)
        self.assert_stored(tid, tok)
        self.set_timeout(tid, timeout)
        self.sb.run("erase", input=b"\n")
        self.provider.set_locked(True, unlock_prompt)
        self.before = self.provider.counters()
        return tid, tok

    def counter(self, name):
        """Calls of name since stored_then_locked."""
        return self.provider.counters().get(name, 0) - self.before.get(name, 0)

    def test_a_unattended_unlock_is_not_waited_for(self):
        tid, tok = self.stored_then_locked("never", LONG_TIMEOUT)
        p = self.get()
        self.assertLockedFailure(p)
        self.assertIn(b"outside a graphical session", p.stderr)
        self.assertEqual(self.counter("Dismiss"), 1, "the dialog is taken off the screen")
        self.provider.set_locked(False)
        self.assert_stored(tid, tok)

    def test_b_attended_unlock_is_waited_for_until_the_timeout(self):
        self.stored_then_locked("never", provider_cases.KEYRING_TIMEOUT)
        p = self.get(env=DISPLAY)
        self.assertLockedFailure(p)
        self.assertIn(b"its unlock dialog was not answered within %d s"
                      % provider_cases.KEYRING_TIMEOUT, p.stderr)
        self.assertEqual(self.counter("Dismiss"), 1)

    def test_c_dismissed_unlock_is_locked_at_once(self):
        self.stored_then_locked("dismiss", LONG_TIMEOUT)
        p = self.get(env=DISPLAY)
        self.assertLockedFailure(p)
        self.assertIn(b"the keyring is locked; unlock it", p.stderr)

    def test_d_unlock_without_a_dialog_works_unattended(self):
        # a KWallet wallet opened at login reads Locked until a client asks to unlock it
        tid, _ = self.stored_then_locked("unlock", LONG_TIMEOUT)
        self.assertKs(self.get(), tid)
        self.assertEqual(self.counter("Unlock"), 1)

    def test_e_status_never_unlocks(self):
        self.stored_then_locked("unlock", LONG_TIMEOUT)
        p = self.sb.run("status", env=DISPLAY, timeout=provider_cases.HELPER_LIMIT)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"token: unknown, the keyring is locked", p.stdout)
        self.assertEqual(self.counter("Unlock"), 0)
        self.assertEqual(self.counter("SearchItems"), 0, "a locked collection is not searched")

    def test_f_login_and_logout_unlock_too(self):
        tid, tok = self.stored_then_locked("unlock", LONG_TIMEOUT)
        p = self.sb.run("logout", timeout=provider_cases.HELPER_LIMIT)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"Removed the App Token", p.stdout)
        self.assert_gone(tid)
        self.provider.set_locked(True, "unlock")
        self.login(tid, tok)
        self.assert_stored(tid, tok)


# the shared cases run against the real providers; here only the prompts
for _name in [n for n in dir(provider_cases.ProviderCases) if n.startswith("test_")]:
    if _name not in UnlockPrompts.__dict__:
        setattr(UnlockPrompts, _name, None)

if __name__ == "__main__":
    taptest.main()
