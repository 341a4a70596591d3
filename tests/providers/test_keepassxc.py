"""KeePassXC 2.7.4 with its Secret Service integration (tests/lib/with-keepassxc.sh): the
provider cases, checked against the .kdbx with keepassxc-cli, and KeePassXC's default
UnlockBeforeSearch=true."""
import provider_cases
import secret_providers
import taptest
from kchelper import create_token

KNOWN_FAILING = {}


@provider_cases.known_failing(KNOWN_FAILING)
class KeePassXC(provider_cases.ProviderCases):
    def test_h_unlock_before_search_locked(self):
        # KeePassXC's default: a search while every database is locked opens an unlock dialog
        # and answers only when it is done; the collection's Locked property reads true at once
        tid, tok = create_token()
        self.login(tid, tok)
        self.assert_stored(tid, tok)
        self.set_timeout(tid)
        self.sb.run("erase", input=b"\n")
        self.provider.restart({"FdoSecrets/UnlockBeforeSearch": "true"})
        try:
            self.provider.lock()
            self.assertTrue(secret_providers.collection_locked())
            p = self.sb.run("status", timeout=provider_cases.HELPER_LIMIT)
            self.assertIn(b"token: unknown, the keyring is locked", p.stdout, p.stdout)
            self.assertLockedFailure(self.get())
        finally:
            self.provider.restart({"FdoSecrets/UnlockBeforeSearch": "false"})
        self.assertKs(self.get(), tid)

    def test_i_logout_with_delete_confirmation(self):
        # ConfirmDeleteItem=true: removing an item opens KeePassXC's confirmation dialog, which
        # nobody answers here. Outside a graphical session logout says at once that it needs
        # someone at the desktop; in one it waits until `timeout`. The item stays either way.
        tid, tok = create_token()
        self.login(tid, tok)
        self.assert_stored(tid, tok)
        self.set_timeout(tid)
        self.provider.restart({"FdoSecrets/ConfirmDeleteItem": "true"})
        try:
            p = self.sb.run("logout", timeout=provider_cases.HELPER_LIMIT)
            self.assertFails(p, 7, "needs someone at the desktop", "was not removed")
            p = self.sb.run("logout", env={"DISPLAY": ":kc-test-no-display"},
                            timeout=provider_cases.HELPER_LIMIT)
            self.assertFails(p, 7, "confirmation dialog was not answered within %d s"
                             % provider_cases.KEYRING_TIMEOUT, "was not removed")
        finally:
            self.provider.restart({"FdoSecrets/ConfirmDeleteItem": "false"})
        self.assert_stored(tid, tok)


if __name__ == "__main__":
    taptest.main()
