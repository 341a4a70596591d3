"""The helper against one real Secret Service provider (suites 'providers' and the provider's
own): login, get, status, logout, lock and unlock, re-login. Each result is checked against
the provider's own view of its store (tests/lib/secret_providers.py entries(): keepassxc-cli
on the .kdbx, kwallet-query, raw D-Bus), not only through libsecret.

A provider's test module derives its class from ProviderCases, decorated with
known_failing(KNOWN_FAILING): a set at the top of the module naming the tests that still fail
and the issue item each fails for (reported `not ok ... # TODO`, see tests/lib/taptest.py).
It runs under tests/lib/with-secret-provider.sh and tests/lib/with-emulator.sh."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "helper"))

import secret_providers  # noqa: E402 (tests/lib)
from kchelper import (HelperTest, create_token, emu_ca, emu_host, emu_partner, emu_url,
                      scaled)

GET = b"protocol=https\nhost=%s\n\n"
SCHEMA = "org.kaltura.AppToken"
# `timeout` of the profiles whose keyring may wait on a dialog nobody answers: short, so a
# test of today's behaviour (which waits that long) stays quick; scaled for slow lanes
KEYRING_TIMEOUT = max(3, int(scaled(3)))
# the most one helper process may take here: a hang fails the test instead of the suite
HELPER_LIMIT = 30


class ProviderCases(HelperTest):
    """Shared cases; a provider's module derives from it (see cases())."""
    backend = "service"
    known_failing = {}

    def todo_reason(self):
        return self.known_failing.get(self._testMethodName, "expected failure")

    def setUp(self):
        super().setUp()
        self.provider = secret_providers.attach()

    def tearDown(self):
        # A fresh provider process on the same store for the next test: a dialog that a
        # test's helper run left open (nobody answers it headless) must not block the next
        # one's lock or unlock. Items of earlier tests stay: each test has its own token id.
        try:
            self.provider.restart()
        finally:
            super().tearDown()

    # --- helpers ---
    def provider_entries(self, tid=None):
        """Our items in the provider's own view (with tid: that token id's only), outside a
        recycle bin."""
        return [e for e in self.provider.entries()
                if e["attributes"].get("xdg:schema") == SCHEMA
                and (tid is None or e["attributes"].get("app_token_id") == tid)
                and "Recycle Bin" not in e.get("where", "")]

    def wait_view(self, what, pred, tid):
        """Waits until pred(entries of tid) holds in the provider's own view (KeePassXC saves
        the .kdbx a moment after answering); returns the entries."""
        last = []

        def check():
            last[:] = self.provider_entries(tid)
            return pred(last)

        def flushed_check():
            # a provider may skip a save (KeePassXC): make it write what it holds, then look
            self.provider.flush()
            return check()

        try:
            secret_providers.wait_for(what, check, timeout=5)
        except TimeoutError:
            try:
                secret_providers.wait_for(what, flushed_check, timeout=30)
            except TimeoutError:
                shown = [dict(e, secret=f"<{len(e['secret'])} bytes>") for e in last]  # no token
                self.fail(f"{self.provider.name}'s own view: {what}; it holds {shown}")
        return list(last)

    def assert_stored(self, tid, tok):
        """Exactly one item for tid, holding tok, with the schema's attributes."""
        entries = self.wait_view(f"one item for {tid} holding the token",
                                 lambda es: len(es) == 1 and es[0]["secret"] == tok.encode(),
                                 tid)
        attrs = entries[0]["attributes"]
        self.assertEqual(attrs.get("app_token_id"), tid)
        self.assertTrue(attrs.get("service_url", "").startswith("https://"), attrs)
        self.assertIn(f"Kaltura App Token {tid}", entries[0]["label"])

    def assert_gone(self, tid):
        self.wait_view(f"no item for {tid}", lambda es: es == [], tid)

    def get(self, env=None, timeout=HELPER_LIMIT):
        return self.sb.run("get", input=GET % emu_host().encode(), env=env, timeout=timeout)

    def login(self, tid, tok, extra=(), check=True):
        """login with the emulator's profile keys, bounded by HELPER_LIMIT."""
        p = self.sb.run("login", "--service-url", emu_url(), "--partner-id", emu_partner(),
                        "--app-token-id", tid, "--hash", "sha1", "--ca-file", emu_ca(), *extra,
                        input=(tok + "\n").encode(), timeout=HELPER_LIMIT)
        if check:
            self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def set_timeout(self, tid, seconds=KEYRING_TIMEOUT):
        self.sb.write_config(self.sb.profile_config("default", tid, timeout=seconds))

    def logged_in_and_locked(self):
        """A stored token, no cached KS (the keyring is needed), a short timeout, and the
        provider's collection locked (read raw: Locked=true)."""
        tid, tok = create_token()
        self.login(tid, tok)
        self.assert_stored(tid, tok)
        self.set_timeout(tid)
        self.sb.run("erase", input=b"\n")
        self.provider.lock()
        self.assertTrue(secret_providers.collection_locked())
        return tid, tok

    def assertLockedFailure(self, p, code=7):
        """Exit 7, one line saying the keyring is locked; not blaming a hung or missing
        Secret Service (issue 11 items 5 and 6)."""
        self.assertFails(p, code, "locked")
        for wrong in (b"hung", b"Restart it", b"No App Token", b"no App Token",
                      b"running on this session bus"):
            self.assertNotIn(wrong, p.stderr, p.stderr)

    # --- the cases ---
    def test_a_login_get_status_logout(self):
        tid, tok = create_token()
        p = self.login(tid, tok)
        self.assertIn(b"is in the keyring and works", p.stdout)
        self.assert_stored(tid, tok)
        self.assertKs(self.get(), tid)
        p = self.sb.run("status")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"token: stored in the keyring", p.stdout)
        p = self.sb.run("logout")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"Removed the App Token", p.stdout)
        self.assert_gone(tid)
        self.assertFails(self.get(), 6, "login")
        p = self.sb.run("status")
        self.assertIn(b"token: not stored", p.stdout)

    def test_b_second_login_replaces_the_item(self):
        # issue 11 item 7: KeePassXC < 2.7.6 opens an access dialog when an existing item is
        # replaced, even with ConfirmAccessItem=false (keepassxc issue 9255)
        tid, tok = create_token()
        self.login(tid, tok)
        self.assert_stored(tid, tok)
        self.set_timeout(tid)
        self.login(tid, tok)  # the same token again (verified)
        self.assert_stored(tid, tok)
        other = "0123456789abcdef0123456789abcdef"
        self.login(tid, other, extra=["--no-verify"])  # another token string
        self.assert_stored(tid, other)

    def test_c_login_after_logout(self):
        tid, tok = create_token()
        self.login(tid, tok)
        self.assertEqual(self.sb.run("logout").returncode, 0)
        self.assert_gone(tid)
        self.login(tid, tok)
        self.assert_stored(tid, tok)
        self.assertKs(self.get(), tid)

    def test_d_get_on_locked_then_unlocked(self):
        # issue 11 item 6: a locked collection is reported as locked, not as a hung service
        tid, tok = self.logged_in_and_locked()
        self.assertLockedFailure(self.get())
        self.provider.unlock()
        self.assertKs(self.get(), tid)
        self.assert_stored(tid, tok)

    def test_e_status_on_locked(self):
        # issue 11 item 6: status reads the lock state; "no keyring available" is not true
        self.logged_in_and_locked()
        p = self.sb.run("status", timeout=HELPER_LIMIT)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"token: unknown, the keyring is locked", p.stdout)
        self.assertNotIn(b"no keyring available", p.stdout)

    def test_f_logout_on_locked(self):
        # issue 11 item 5: logout cannot see the item: exit 7 "locked", and the item stays
        tid, tok = self.logged_in_and_locked()
        p = self.sb.run("logout", timeout=HELPER_LIMIT)
        self.provider.unlock()
        self.assertLockedFailure(p)
        self.assert_stored(tid, tok)

    def test_g_login_on_locked(self):
        # issue 11 item 5: the same rule for login's store; nothing is stored or written
        tid, _ = self.logged_in_and_locked()
        other, tok = create_token()
        config = (self.sb.profile_config("default", tid, timeout=KEYRING_TIMEOUT)
                  + f"[other]\ntimeout = {KEYRING_TIMEOUT}\n")
        self.sb.write_config(config)
        p = self.sb.run("--profile", "other", "login", "--service-url", emu_url(),
                        "--partner-id", emu_partner(), "--app-token-id", other, "--ca-file",
                        emu_ca(), "--no-verify", input=(tok + "\n").encode(),
                        timeout=HELPER_LIMIT)
        self.provider.unlock()
        self.assertLockedFailure(p)
        self.assert_gone(other)
        with open(self.sb.config) as f:
            self.assertEqual(f.read(), config, "nothing written for the failed login")


def known_failing(mapping):
    """Class decorator: the tests named in mapping (name -> the issue item it still fails for)
    are expected failures, reported `not ok ... # TODO ITEM` (tests/lib/taptest.py)."""
    def mark(cls):
        cls.known_failing = dict(mapping)
        for name in mapping:
            if not hasattr(cls, name):
                raise AttributeError(f"KNOWN_FAILING names no test: {name}")
            setattr(cls, name, unittest.expectedFailure(getattr(cls, name)))
        return cls
    return mark
