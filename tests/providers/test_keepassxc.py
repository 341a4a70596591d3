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


if __name__ == "__main__":
    taptest.main()
