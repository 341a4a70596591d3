"""gnome-keyring (tests/lib/with-secret-provider.sh gnome-keyring): the provider cases, for
issue 11 items 5 and 6 where they apply to it too (tests/helper/test_keyring.py has the rest)."""
import provider_cases
import taptest

KNOWN_FAILING = {}


@provider_cases.known_failing(KNOWN_FAILING)
class GnomeKeyring(provider_cases.ProviderCases):
    pass


if __name__ == "__main__":
    taptest.main()
