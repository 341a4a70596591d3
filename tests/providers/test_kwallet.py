"""KWallet 5.103 (kwalletd5 with apiEnabled, tests/lib/with-kwallet.sh): the provider cases,
checked with kwallet-query through kwalletd's own KWallet API."""
import provider_cases
import taptest

KNOWN_FAILING = {}


@provider_cases.known_failing(KNOWN_FAILING)
class KWallet(provider_cases.ProviderCases):
    pass


if __name__ == "__main__":
    taptest.main()
