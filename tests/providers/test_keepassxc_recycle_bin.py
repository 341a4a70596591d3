"""KeePassXC with the database's recycle bin enabled (tests/lib/with-keepassxc.sh
db/RecycleBin=true --): logout removes the item from the Secret Service, but KeePassXC moves
the entry, token included, into the recycle bin of the .kdbx (doc/keyrings.md says so)."""
import provider_cases
import secret_providers
import taptest
from kchelper import create_token

KNOWN_FAILING = {}


@provider_cases.known_failing(KNOWN_FAILING)
class RecycleBin(provider_cases.ProviderCases):
    def test_logout_leaves_the_token_in_the_recycle_bin(self):
        tid, tok = create_token()
        self.login(tid, tok)
        self.assert_stored(tid, tok)
        p = self.sb.run("logout")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"Removed the App Token", p.stdout)
        self.assert_gone(tid)
        self.assertFails(self.get(), 6, "login")

        def binned():
            return [e for e in self.provider.entries()
                    if "Recycle Bin" in e["where"] and e["attributes"].get("app_token_id") == tid]
        entries = secret_providers.wait_for("the entry in the recycle bin", binned)
        self.assertEqual(entries[0]["secret"], tok.encode(), "the .kdbx still holds the token")


# the shared cases run in test_keepassxc.py; here only the recycle bin
for _name in [n for n in dir(provider_cases.ProviderCases) if n.startswith("test_")]:
    setattr(RecycleBin, _name, None)

if __name__ == "__main__":
    taptest.main()
