#!/usr/bin/python3
"""A minimal org.freedesktop.Secret.Service for tests, with fault modes that real providers
show only by chance. Runs on the session bus it is started on (tests/lib/secret_providers.py
starts it as provider 'fake', on a private bus), with one collection, 'fake' (alias
'default'), and the items in a JSON file (--state) so tests can read the store directly.

Sessions: 'plain' and 'dh-ietf1024-sha256-aes128-cbc-pkcs7' (RFC 2409 group 2, HKDF-SHA256,
AES-128-CBC, PKCS#7: what libsecret speaks).

Faults, armed over D-Bus with org.kaltura.test.FakeSecrets.SetFault(name, count) for the next
`count` occurrences (-1: until disarmed with count 0):

  open-session-bad-key  OpenSession(dh-...) fails with org.freedesktop.DBus.Error.InvalidArgs
                        "Client public key size is invalid": kwalletd5 5.103's reply when the
                        client's public key has a leading zero byte and so is 127 bytes long
                        (kwalletfreedesktopservice.cpp, FDO_DH_PUBLIC_KEY_SIZE).
  session-key-mismatch  OpenSession(dh-...) succeeds, but the session key is derived the way
                        kwalletd5 derives it through QCA: from the shared secret WITHOUT its
                        leading zero bytes, while libsecret pads it to the prime's length. The
                        fake picks its DH key so the shared secret has such a byte (what
                        happens by chance in 1 of 256 real sessions), so the two sides hold
                        different keys: every secret sent is undecryptable for the client
                        (the IV is chosen so its padding check fails, as it does 255 times in
                        256), and a secret received fails kwalletd's own padding check
                        ("Can't find session ..."). The item is there; its secret is not
                        readable. And like kwalletd5, a CreateItem that fails so leaves an
                        item without a secret behind, whose entry location (its key here)
                        the next new item with that label is given again: removing the one
                        removes the other's secret too.
  session-key-mismatch-stored
                        As session-key-mismatch, but kwalletd's padding check of a secret it
                        receives passes (by chance, 1 time in 256): CreateItem succeeds and
                        stores what it decrypted, garbage. Reading it back fails as above.

org.kaltura.test.FakeSecrets also has SetLocked(b) (lock state of the collection),
SetUnlockPrompt(s) (what the prompt that Unlock returns for a locked collection does:
"never" answers, the default, like a dialog on a screen nobody watches; "unlock"s at once, like
a KWallet wallet opened at login; or is "dismiss"ed, with an empty string as its result) and
Counters() (calls per method, Prompt and Dismiss of prompts too)."""
import argparse
import base64
import json
import os
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from gi.repository import GLib

NAME = "org.freedesktop.secrets"
ROOT = "/org/freedesktop/secrets"
COLL = ROOT + "/collection/fake"
S_SERVICE = "org.freedesktop.Secret.Service"
S_COLLECTION = "org.freedesktop.Secret.Collection"
S_ITEM = "org.freedesktop.Secret.Item"
S_SESSION = "org.freedesktop.Secret.Session"
S_PROMPT = "org.freedesktop.Secret.Prompt"
PROPS = "org.freedesktop.DBus.Properties"
TEST = "org.kaltura.test.FakeSecrets"
DH_ALGORITHM = "dh-ietf1024-sha256-aes128-cbc-pkcs7"
# RFC 2409 section 6.2, the second Oakley group (1024-bit MODP), generator 2
PRIME = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
    "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
    "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF", 16)
PRIME_BYTES = 128


class Error(dbus.DBusException):
    def __init__(self, name, message):
        super().__init__(message, name=name)


def hkdf16(ikm):
    return HKDF(algorithm=hashes.SHA256(), length=16, salt=None, info=b"").derive(ikm)


def aes(key, iv, data, encrypt):
    c = Cipher(algorithms.AES(key), modes.CBC(iv))
    op = c.encryptor() if encrypt else c.decryptor()
    return op.update(data) + op.finalize()


def pkcs7_ok(block):
    n = block[-1]
    return 1 <= n <= 16 and block[-n:] == bytes([n]) * n


class Session(dbus.service.Object):
    def __init__(self, svc, path, key=None):
        super().__init__(svc.conn, path)
        self.svc, self.path, self.key, self.client_key = svc, path, key, key
        self.padding_passes = False  # session-key-mismatch-stored

    @dbus.service.method(S_SESSION)
    def Close(self):
        self.svc.sessions.pop(self.path, None)
        self.remove_from_connection()

    def encode(self, secret):
        """(oayays) for a secret sent to the client."""
        if self.key is None:
            return (dbus.ObjectPath(self.path), dbus.ByteArray(b""), dbus.ByteArray(secret),
                    "text/plain")
        p = padding.PKCS7(128).padder()
        padded = p.update(secret) + p.finalize()
        while True:
            iv = os.urandom(16)
            value = aes(self.key, iv, padded, True)
            # what the client will see: with a mismatched key, make its padding check fail
            if self.client_key == self.key or not pkcs7_ok(aes(self.client_key, iv, value,
                                                               False)):
                return (dbus.ObjectPath(self.path), dbus.ByteArray(iv), dbus.ByteArray(value),
                        "text/plain")

    def decode(self, params, value):
        """The secret a client sent, or None when it cannot be decrypted."""
        if self.key is None:
            return bytes(value)
        if len(params) != 16 or not value or len(value) % 16:
            return None
        plain = aes(self.key, bytes(params), bytes(value), False)
        if not pkcs7_ok(plain):
            # the check that passes by chance: what was decrypted, garbage, is taken
            return plain if self.padding_passes else None
        return plain[:-plain[-1]]


class Prompt(dbus.service.Object):
    """A prompt that is never answered (a dialog nobody sees), unless answer is set: a
    function called at Prompt() that returns (dismissed, result)."""

    def __init__(self, svc, path, answer=None):
        super().__init__(svc.conn, path)
        self.svc, self.answer = svc, answer

    @dbus.service.method(S_PROMPT, in_signature="s")
    def Prompt(self, window_id):
        self.svc.count("Prompt")
        if self.answer is not None:
            dismissed, result = self.answer()
            GLib.idle_add(lambda: self.Completed(dismissed, result) and False)

    @dbus.service.method(S_PROMPT)
    def Dismiss(self):
        # a dismissed prompt's result: an empty string, whatever the call expects (some
        # providers do that; libsecret's own prompt code then never returns)
        self.svc.count("Dismiss")
        GLib.idle_add(lambda: self.Completed(True, dbus.String("", variant_level=1)) and False)

    @dbus.service.signal(S_PROMPT, signature="bv")
    def Completed(self, dismissed, result):
        pass


class Item(dbus.service.Object):
    """An item object; its secret is the store's entry at its key (kwalletd's entry location),
    shared with any other object at the same key."""

    def __init__(self, svc, path, label, attributes, key):
        super().__init__(svc.conn, path)
        self.svc, self.path, self.key = svc, path, key
        self.label, self.attributes = label, dict(attributes)

    @property
    def secret(self):
        return self.svc.entries.get(self.key, b"")  # kwalletd reads a missing entry as empty

    def props(self):
        return {"Label": dbus.String(self.label), "Locked": dbus.Boolean(self.svc.locked),
                "Attributes": dbus.Dictionary(self.attributes, signature="ss"),
                "Created": dbus.UInt64(0), "Modified": dbus.UInt64(0)}

    @dbus.service.method(S_ITEM, in_signature="o", out_signature="(oayays)")
    def GetSecret(self, session):
        self.svc.count("GetSecret")
        self.svc.check_unlocked()
        return self.svc.session(session).encode(self.secret)

    @dbus.service.method(S_ITEM, out_signature="o")
    def Delete(self):
        self.svc.count("Delete")
        self.svc.check_unlocked()
        self.svc.delete(self)
        return dbus.ObjectPath("/")

    @dbus.service.method(PROPS, in_signature="ss", out_signature="v")
    def Get(self, iface, name):
        return self.props()[name]

    @dbus.service.method(PROPS, in_signature="s", out_signature="a{sv}")
    def GetAll(self, iface):
        return self.props()

    @dbus.service.method(PROPS, in_signature="ssv")
    def Set(self, iface, name, value):
        if name == "Label":
            self.label = str(value)
        elif name == "Attributes":
            self.attributes = {str(k): str(v) for k, v in value.items()}
        self.svc.save()


class Collection(dbus.service.Object):
    SUPPORTS_MULTIPLE_OBJECT_PATHS = True  # also at its alias path, where libsecret stores

    def __init__(self, svc):
        super().__init__(svc.conn, COLL)
        self.add_to_connection(svc.conn, ROOT + "/aliases/default")
        self.svc = svc

    def props(self):
        return {"Label": dbus.String("fake"), "Locked": dbus.Boolean(self.svc.locked),
                "Items": dbus.Array([dbus.ObjectPath(i.path) for i in self.svc.items],
                                    signature="o"),
                "Created": dbus.UInt64(0), "Modified": dbus.UInt64(0)}

    @dbus.service.method(S_COLLECTION, in_signature="a{sv}(oayays)b", out_signature="oo")
    def CreateItem(self, properties, secret, replace):
        self.svc.count("CreateItem")
        if self.svc.locked:
            raise Error("org.freedesktop.Secret.Error.IsLocked", f"Collection {COLL} is locked")
        session, params, value, _ = secret
        self.svc.session(session)
        label = str(properties.get(S_ITEM + ".Label", ""))
        attrs = {str(k): str(v) for k, v in properties.get(S_ITEM + ".Attributes", {}).items()}
        item = None
        if replace:
            item = next((i for i in self.svc.items if i.attributes == attrs), None)
            if item:
                item.label = label
        if item is None:
            # kwalletd5 5.103 registers the item before it decrypts the secret: a secret it
            # cannot decrypt leaves an item without an entry, at an entry location that the
            # next new item is given again (kwalletfreedesktopcollection.cpp CreateItem)
            item = self.svc.add(label, attrs, None)
        plain = self.svc.session(session).decode(params, value)
        if plain is None:  # kwalletd5's reply when it cannot decrypt (desecret() fails):
            # QDBusError::InvalidObjectPath
            self.svc.save()
            raise Error("org.qtproject.QtDBus.Error.InvalidObjectPath",
                        f"Can't find session {session}")
        self.svc.entries[item.key] = plain
        self.svc.save()
        return dbus.ObjectPath(item.path), dbus.ObjectPath("/")

    @dbus.service.method(S_COLLECTION, in_signature="a{ss}", out_signature="ao")
    def SearchItems(self, attributes):
        return dbus.Array([dbus.ObjectPath(i.path) for i in self.svc.match(attributes)],
                          signature="o")

    @dbus.service.method(PROPS, in_signature="ss", out_signature="v")
    def Get(self, iface, name):
        return self.props()[name]

    @dbus.service.method(PROPS, in_signature="s", out_signature="a{sv}")
    def GetAll(self, iface):
        return self.props()

    @dbus.service.method(PROPS, in_signature="ssv")
    def Set(self, iface, name, value):
        pass


class Service(dbus.service.Object):
    def __init__(self, conn, state):
        super().__init__(conn, ROOT)
        self.conn, self.state = conn, state
        self.items, self.sessions, self.faults, self.counters = [], {}, {}, {}
        self.entries = {}  # key -> secret: the wallet's entries
        self.locked, self.next_id, self.unlock_prompt = False, 0, "never"
        self.collection = Collection(self)
        try:
            with open(state) as f:
                for i in json.load(f):
                    secret = i["secret"] and base64.b64decode(i["secret"])
                    self.add(i["label"], i["attributes"], secret, False, key=i["key"])
        except FileNotFoundError:
            self.save()

    # --- helpers ---
    def new_path(self, prefix):
        self.next_id += 1
        return f"{prefix}/{self.next_id}"

    def count(self, what):
        self.counters[what] = self.counters.get(what, 0) + 1

    def fault(self, name):
        n = self.faults.get(name, 0)
        if n == 0:
            return False
        if n > 0:
            self.faults[name] = n - 1
        return True

    def save(self):
        tmp = self.state + ".tmp"
        with open(tmp, "w") as f:
            json.dump([{"label": i.label, "attributes": i.attributes, "key": i.key,
                        "secret": base64.b64encode(self.entries[i.key]).decode()
                        if i.key in self.entries else None} for i in self.items], f)
        os.replace(tmp, self.state)

    def unique_key(self, label):
        """kwalletd's makeUniqueEntryLocation: the label, or label__N, whichever names no
        entry yet (an item without an entry does not count)."""
        key, n = label, 0
        while key in self.entries:
            key, n = f"{label}__{n}", n + 1
        return key

    def add(self, label, attrs, secret, save=True, key=None):
        item = Item(self, self.new_path(COLL), label, attrs, key or self.unique_key(label))
        self.items.append(item)
        if secret is not None:
            self.entries[item.key] = secret
        if save:
            self.save()
        return item

    def delete(self, item):
        """Removes the entry at the item's key, and with it every object at that key (kwalletd:
        Item.Delete removes the entry; its entryDeleted signal drops the object found there)."""
        self.entries.pop(item.key, None)
        for i in [i for i in self.items if i.key == item.key]:
            self.items.remove(i)
            i.remove_from_connection()
        self.save()

    def match(self, attributes):
        """One object per key, as kwalletd's search returns."""
        found = {}
        for i in self.items:
            if all(i.attributes.get(str(k)) == str(v) for k, v in attributes.items()):
                found.setdefault(i.key, i)
        return list(found.values())

    def session(self, path):
        s = self.sessions.get(str(path))
        if s is None:
            raise Error("org.freedesktop.Secret.Error.NoSession", f"no session {path}")
        return s

    def check_unlocked(self):
        if self.locked:
            raise Error("org.freedesktop.Secret.Error.IsLocked", f"Collection {COLL} is locked")

    # --- org.freedesktop.Secret.Service ---
    @dbus.service.method(S_SERVICE, in_signature="sv", out_signature="vo")
    def OpenSession(self, algorithm, inp):
        self.count("OpenSession")
        path = self.new_path(ROOT + "/session")
        if algorithm == "plain":
            self.sessions[path] = Session(self, path)
            return dbus.String("", variant_level=1), dbus.ObjectPath(path)
        if algorithm != DH_ALGORITHM:
            raise Error("org.freedesktop.DBus.Error.NotSupported", f"{algorithm} unsupported")
        client_pub = bytes(inp)
        if self.fault("open-session-bad-key"):
            raise Error("org.freedesktop.DBus.Error.InvalidArgs",
                        "Client public key size is invalid")
        peer = int.from_bytes(client_pub, "big")
        stored = self.fault("session-key-mismatch-stored")
        mismatch = stored or self.fault("session-key-mismatch")
        while True:
            private = int.from_bytes(os.urandom(PRIME_BYTES), "big") % (PRIME - 2) + 1
            shared = pow(peer, private, PRIME).to_bytes(PRIME_BYTES, "big")
            if not mismatch or shared[0] == 0:
                break
        public = pow(2, private, PRIME)
        session = Session(self, path, hkdf16(shared.lstrip(b"\0") if mismatch else shared))
        session.client_key = hkdf16(shared)  # what libsecret derives (padded secret)
        session.padding_passes = stored
        self.sessions[path] = session
        pub = public.to_bytes(PRIME_BYTES, "big")
        return dbus.ByteArray(pub, variant_level=1), dbus.ObjectPath(path)

    @dbus.service.method(S_SERVICE, in_signature="a{ss}", out_signature="aoao")
    def SearchItems(self, attributes):
        self.count("SearchItems")
        paths = dbus.Array([dbus.ObjectPath(i.path) for i in self.match(attributes)],
                           signature="o")
        empty = dbus.Array([], signature="o")
        return (empty, paths) if self.locked else (paths, empty)

    @dbus.service.method(S_SERVICE, in_signature="ao", out_signature="aoo")
    def Unlock(self, objects):
        self.count("Unlock")
        if not self.locked:
            return dbus.Array(objects, signature="o"), dbus.ObjectPath("/")

        def unlock():  # like a KWallet wallet opened at login: no dialog, unlocked at once
            self.locked = False
            return False, dbus.Array(objects, signature="o", variant_level=1)

        answer = {"never": None, "unlock": unlock,
                  "dismiss": lambda: (True, dbus.String("", variant_level=1))}
        prompt = Prompt(self, self.new_path(ROOT + "/prompt"), answer[self.unlock_prompt])
        return dbus.Array([], signature="o"), dbus.ObjectPath(prompt._object_path)

    @dbus.service.method(S_SERVICE, in_signature="ao", out_signature="aoo")
    def Lock(self, objects):
        self.count("Lock")
        self.locked = True
        return dbus.Array(objects, signature="o"), dbus.ObjectPath("/")

    @dbus.service.method(S_SERVICE, in_signature="aoo", out_signature="a{o(oayays)}")
    def GetSecrets(self, items, session):
        self.count("GetSecrets")
        s = self.session(session)
        out = dbus.Dictionary({}, signature="o(oayays)")
        if self.locked:
            return out
        for i in self.items:
            if i.path in [str(x) for x in items]:
                out[dbus.ObjectPath(i.path)] = s.encode(i.secret)
        return out

    @dbus.service.method(S_SERVICE, in_signature="s", out_signature="o")
    def ReadAlias(self, name):
        return dbus.ObjectPath(COLL if name == "default" else "/")

    @dbus.service.method(PROPS, in_signature="ss", out_signature="v")
    def Get(self, iface, name):
        if name == "Collections":
            return dbus.Array([dbus.ObjectPath(COLL)], signature="o")
        raise Error("org.freedesktop.DBus.Error.UnknownProperty", name)

    @dbus.service.method(PROPS, in_signature="s", out_signature="a{sv}")
    def GetAll(self, iface):
        return {"Collections": dbus.Array([dbus.ObjectPath(COLL)], signature="o")}

    # --- test control ---
    @dbus.service.method(TEST, in_signature="si")
    def SetFault(self, name, count):
        if name not in ("open-session-bad-key", "session-key-mismatch",
                        "session-key-mismatch-stored"):
            raise Error("org.freedesktop.DBus.Error.InvalidArgs", f"no fault {name}")
        self.faults[name] = count

    @dbus.service.method(TEST, in_signature="b")
    def SetLocked(self, locked):
        self.locked = bool(locked)

    @dbus.service.method(TEST, in_signature="s")
    def SetUnlockPrompt(self, mode):
        if mode not in ("never", "unlock", "dismiss"):
            raise Error("org.freedesktop.DBus.Error.InvalidArgs", f"no unlock prompt {mode}")
        self.unlock_prompt = mode

    @dbus.service.method(TEST, out_signature="a{si}")
    def Counters(self):
        return dbus.Dictionary(self.counters, signature="si")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--state", required=True, help="JSON file holding the items")
    args = ap.parse_args()
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    conn = dbus.SessionBus()
    svc = Service(conn, args.state)
    # own the name only once every object is exported: a client never sees half a service
    name = dbus.service.BusName(NAME, conn, do_not_queue=True)
    loop = GLib.MainLoop()
    conn.call_on_disconnection(lambda _c: loop.quit())
    print(f"fake Secret Service {name.get_name()} ready", flush=True)
    loop.run()
    return 0 if svc else 1


if __name__ == "__main__":
    sys.exit(main())
