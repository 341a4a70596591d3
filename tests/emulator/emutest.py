"""Shared fixtures for the emulator's own tests: one fresh emulator per test file.

Each test file calls `emutest.emulator()` (through EmuTestCase); the emulator starts once per
process in a temp dir and stops at exit. Under with-emulator.sh ($KC_EMU_STATE set) and with
KC_EMU_REUSE=1 the running one is used instead.
"""
import atexit
import contextlib
import json
import os
import unittest

import emuclient
import ks as ksmod

_emu = None


def emulator():
    global _emu
    if _emu is None:
        if os.environ.get("KC_EMU_STATE") and os.environ.get("KC_EMU_REUSE") == "1":
            _emu = emuclient.Emulator.from_env()
        else:
            _emu = emuclient.Emulator.start()
            atexit.register(_emu.stop)
    return _emu


class InlineSubTests:
    """tests/lib/taptest.py reports whole tests only (no addSubTest), so a failing subTest
    would vanish from the TAP stream. Run subTest blocks inline instead: the first failing
    case fails the test, with its parameters in the message."""

    @contextlib.contextmanager
    def subTest(self, msg=None, **params):
        try:
            yield
        except self.failureException as exc:
            raise self.failureException(f"[subTest {msg or ''} {params}] {exc}") from exc


class EmuTestCase(InlineSubTests, unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.emu = emulator()
        cls.pid = cls.emu.partner_id

    def setUp(self):
        self.emu.control("reset")

    # ---------------------------------------------------------------- helpers

    def assertApiError(self, code, service, action, params=None, args=None, message=None, **kw):
        with self.assertRaises(emuclient.ApiError) as cm:
            self.emu.api(service, action, params, **kw)
        self.assertEqual(cm.exception.code, code, cm.exception.obj)
        if args is not None:
            self.assertEqual(cm.exception.args_, args)
        if message is not None:
            self.assertEqual(cm.exception.message, message)
        return cm.exception

    def widget(self, partner=None):
        return self.emu.widget_ks(partner)

    def token(self, **kw):
        return self.emu.create_token(**kw)

    def start_session(self, tok, ks=None, hash_type=None, **params):
        ks = ks if ks is not None else self.widget(tok["partnerId"])
        h = ksmod.app_token_hash(hash_type or tok["hashType"], ks, tok["token"])
        p = {"ks": ks, "id": tok["id"], "tokenHash": h}
        p.update(params)
        return self.emu.api("apptoken", "startSession", p)

    def parse_ks(self, ks):
        """Decode a KS with the emulator's secrets (signature checked, no expiry check)."""
        return ksmod.parse(ks, lambda pid: [self.emu.partner_secret(int(pid))])

    def json_body(self, resp):
        status, headers, body = resp
        self.assertEqual(status, 200)
        return json.loads(body)
