"""KWallet 5.103 (kwalletd5 with apiEnabled, tests/lib/with-kwallet.sh): the provider cases,
checked with kwallet-query through kwalletd's own KWallet API."""
import provider_cases
import secret_providers
import taptest
from kchelper import create_token

KNOWN_FAILING = {}


@provider_cases.known_failing(KNOWN_FAILING)
class KWallet(provider_cases.ProviderCases):
    def test_h_wallet_opened_at_login(self):
        # pam_kwallet5 opens the wallet at login, yet its collection reads Locked until some
        # client calls Unlock, which then completes at once without a dialog: get unlocks it,
        # also outside a graphical session (as here); status reports it locked, untouched
        tid, tok = create_token()
        self.login(tid, tok)
        self.assert_stored(tid, tok)
        self.sb.run("erase", input=b"\n")
        self.provider.restart_as_at_login()
        self.assertTrue(secret_providers.collection_locked())
        p = self.sb.run("status", timeout=provider_cases.HELPER_LIMIT)
        self.assertIn(b"token: unknown, the keyring is locked", p.stdout, p.stdout)
        self.assertTrue(secret_providers.collection_locked())
        self.assertKs(self.get(), tid)
        self.assertFalse(secret_providers.collection_locked())


if __name__ == "__main__":
    taptest.main()
