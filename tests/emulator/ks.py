"""Kaltura Session (KS) strings, v1 and v2: generation and parsing.

Pure functions, no server state. Follows doc/kaltura-api.md §5 (kSessionBase in the PHP server).
Randomness can be injected (`rand16=` for v2, `rand=` for v1) so the §5.4 vectors reproduce.
"""
import base64
import binascii
import hashlib
import os
import re
import time
import urllib.parse

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

TYPE_USER = 0
TYPE_ADMIN = 2

# §2 "serverPrivileges": every kSessionBase::PRIVILEGE_* value; callers cannot add these.
SERVER_PRIVILEGES = frozenset((
    "edit sview list download downloadasset editplaylist sviewplaylist actionslimit setrole "
    "restrictingrole limitentry iprestrict urirestrict enableentitlement disableentitlement "
    "disableentitlementforentry disableentitlementforplaylist privacycontext "
    "enablecategorymoderation reftime sessionkey preview sessionid jobtype apptoken "
    "enablechangeaccount edituser enablecaptionmoderation editadmintags "
    "restrictexplicitliveview virtualeventid searchcontext disablesessiontypecheck").split())

WIDGET_PRIVILEGES = "view:*,widget:1"  # §1: the order startWidgetSession builds


# ---------------------------------------------------------------- PHP helpers

_URL_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def php_urlencode(value):
    """PHP urlencode(): RFC1738, space -> '+', '~' -> %7E (§5.3 step 2)."""
    out = []
    for b in str(value).encode("utf-8"):
        if b in _URL_SAFE:
            out.append(chr(b))
        elif b == 0x20:
            out.append("+")
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def http_build_query(fields):
    """PHP http_build_query(fields, '', '&'); None values are omitted entirely (§5.3)."""
    return "&".join(php_urlencode(k) + "=" + php_urlencode(v)
                    for k, v in fields.items() if v is not None)


def parse_str(query):
    """PHP parse_str() for flat keys: url-decoding, '.'/' ' in names become '_' (§5.3 parse 4).
    A repeated name overwrites the value and keeps its first position (PHP arrays)."""
    out = {}
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        name = urllib.parse.unquote_plus(name, errors="surrogateescape")
        name = name.replace(".", "_").replace(" ", "_")
        if not name:
            continue
        out[name] = urllib.parse.unquote_plus(value, errors="surrogateescape")
    return out


def php_b64decode_strict(s):
    """base64_decode($s, true) after the -_ -> +/ swap: whitespace ignored, '=' optional,
    anything else outside the alphabet rejects (§5.2 parse 2). Returns bytes or None."""
    s = re.sub(r"[ \t\r\n]", "", s.replace("-", "+").replace("_", "/"))
    if not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", s):
        return None
    s = s.rstrip("=")
    if len(s) % 4 == 1:
        return None
    try:
        return base64.b64decode(s + "=" * (-len(s) % 4))
    except (binascii.Error, ValueError):
        return None


# ---------------------------------------------------------------- privileges (§2)

def parse_privileges(text):
    """kSessionBase::parsePrivileges: no trimming; an empty item is a privilege named ''."""
    parsed = {}
    for item in (text or "").split(","):
        if ":" in item:
            name, value = item.split(":", 1)
            values = value.split("/") if value != "" else []
        else:
            name, values = item, []
        parsed.setdefault(name, []).extend(values)
    return parsed


def build_privileges(parsed):
    """kSessionBase::buildPrivileges."""
    return ",".join(f"{n}:{'/'.join(v)}" if v else n for n, v in parsed.items())


def merge_app_token_privileges(token_id, token_privileges, request_privileges):
    """appToken.startSession privilege construction, exactly §2."""
    arr = {"sessionid": [token_id], "apptoken": [token_id]}
    if token_privileges:  # array_merge_recursive: same names concatenate
        for name, values in parse_privileges(token_privileges).items():
            arr.setdefault(name, []).extend(values)
    if request_privileges:
        forbidden = SERVER_PRIVILEGES | set(arr)
        for name, values in parse_privileges(request_privileges).items():
            if name not in forbidden or (name in arr and "*" in arr[name]):
                arr[name] = values
    return build_privileges(arr)


# ---------------------------------------------------------------- the KS object

class KS:
    """A parsed, signature-checked KS. `hash` is the invalidation hash (§5.3 parse 6)."""

    def __init__(self, version, partner_id, valid_until, type_, user, privileges, rand,
                 hash_, master_partner_id=None, additional_data=None):
        self.version = version
        self.partner_id = partner_id
        self.valid_until = valid_until
        self.type = type_
        self.user = user
        self.privileges = privileges
        self.rand = rand
        self.hash = hash_
        self.master_partner_id = master_partner_id
        self.additional_data = additional_data
        self.parsed_privileges = parse_privileges(privileges) if privileges else {}

    def is_widget_session(self):
        """kSessionBase::isWidgetSession: type 0, anonymous user, 'widget:1' in privileges."""
        return (_php_int(self.type) == TYPE_USER and self.user in ("", "0", None)
                and "widget:1" in (self.privileges or ""))

    def is_admin(self):
        return _php_int(self.type) >= 1

    def session_id(self):
        values = self.parsed_privileges.get("sessionid") or []
        return values[0] if values else None


def _php_int(value):
    """PHP (int) cast of a string: leading whitespace, sign, digits; else 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    m = re.match(r"\s*([+-]?\d+)", str(value or ""))
    return int(m.group(1)) if m else 0


php_int = _php_int


# ---------------------------------------------------------------- v1 (§5.2)

def generate_v1(admin_secret, partner_id, valid_until, type_, user, privileges,
                rand=None, master_partner_id=None, additional_data=None):
    if rand is None:  # PHP microtime(true) as a string, e.g. 1714213600.1234
        rand = repr(round(time.time(), 4))
    fields = [partner_id, partner_id, valid_until, type_, rand, user, privileges,
              master_partner_id, additional_data]
    info = ";".join("" if f is None else str(f) for f in fields)
    signature = hashlib.sha1((admin_secret + info).encode("utf-8")).hexdigest()
    return base64.b64encode((signature + "|" + info).encode("utf-8")).decode("ascii")


def _parse_v1(decoded, secrets_for):
    text = decoded.decode("utf-8", "surrogateescape")
    if "|" not in text:
        return None
    sig, real = text.split("|", 1)
    parts = real.split(";")
    if len(parts) < 3:
        return None
    secrets = secrets_for(parts[0])
    if not secrets:
        return None
    if not any(hashlib.sha1((s + real).encode("utf-8", "surrogateescape")).hexdigest() == sig
               for s in secrets):
        return None
    get = lambda i: parts[i] if len(parts) > i else None  # noqa: E731
    return KS(1, parts[0], parts[2], get(3), get(5), get(6), get(4), sig, get(7), get(8))


# ---------------------------------------------------------------- v2 (§5.3)

_ZERO_IV = b"\0" * 16


def _aes_key(secret):
    return hashlib.sha1(secret.encode("utf-8")).digest()[:16]


def _aes(secret, data, encrypt):
    c = Cipher(algorithms.AES(_aes_key(secret)), modes.CBC(_ZERO_IV))
    op = c.encryptor() if encrypt else c.decryptor()
    return op.update(data) + op.finalize()


def generate_v2(admin_secret, partner_id, valid_until, type_, user, privileges,
                rand16=None, master_partner_id=None, additional_data=None):
    fields = {}
    for priv in (privileges or "").split(","):
        priv = priv.strip()
        if not priv or priv == "0":  # PHP: `if (!$privilege) continue;` ("0" is falsy)
            continue
        if priv == "*":
            priv = "all:*"
        name, sep, value = priv.partition(":")
        fields[name] = value if sep else ""
    fields["_e"] = valid_until
    fields["_t"] = type_
    fields["_u"] = user
    fields["_m"] = master_partner_id
    fields["_d"] = additional_data
    if rand16 is None:
        rand16 = os.urandom(16)
    plain = rand16 + http_build_query(fields).encode("utf-8")
    plain = hashlib.sha1(plain).digest() + plain
    plain += b"\0" * (-len(plain) % 16)  # zero padding, never PKCS#7
    decoded = b"v2|" + str(partner_id).encode() + b"|" + _aes(admin_secret, plain, True)
    return base64.b64encode(decoded).decode("ascii").replace("+", "-").replace("/", "_")


def _parse_v2(decoded, secrets_for):
    pieces = decoded.split(b"|", 2)
    if len(pieces) != 3:
        return None
    pid = pieces[1].decode("utf-8", "surrogateescape")
    secrets = secrets_for(pid)
    if not secrets:
        return None
    enc = pieces[2]
    if not enc or len(enc) % 16:
        return None  # openssl_decrypt fails -> no secret matches
    for secret in secrets:
        plain = _aes(secret, enc, False).rstrip(b"\0")
        digest, fields = plain[:20], plain[20:]
        if digest == hashlib.sha1(fields).digest():
            break
    else:
        return None
    rand, query = fields[:16], fields[16:].decode("utf-8", "surrogateescape")
    members = {"_e": None, "_t": None, "_u": None, "_m": None, "_d": None}
    privs = []
    for name, value in parse_str(query).items():
        if name in members:
            members[name] = value
        else:
            privs.append(f"{name}:{value}" if value != "" else name)
    privileges = ",".join(privs)
    if privileges == "all:*":
        privileges = "*"
    return KS(2, pid, members["_e"], members["_t"], members["_u"], privileges, rand.hex(),
              digest.hex(), members["_m"], members["_d"])


# ---------------------------------------------------------------- entry points

def generate(version, admin_secret, partner_id, valid_until, type_, user, privileges, **kw):
    gen = generate_v2 if int(version) == 2 else generate_v1
    return gen(admin_secret, partner_id, valid_until, type_, user, privileges, **kw)


def parse(ks_string, secrets_for):
    """Decode and signature-check a KS. `secrets_for(pid_str)` returns the partner's admin
    secrets (a list) or None. Returns a KS or None (unparsable, unknown partner, bad
    signature: all the same `Invalid KS "<ks>"` to a caller, §4.6)."""
    if not isinstance(ks_string, str):
        return None
    decoded = php_b64decode_strict(ks_string)
    if not decoded:
        return None
    if decoded.startswith(b"v2|"):
        return _parse_v2(decoded, secrets_for)
    return _parse_v1(decoded, secrets_for)


def app_token_hash(hash_type, ks_string, token):
    """§0 step 2: lowercase hex of HASH(ks exactly as sent + token)."""
    algo = {"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256", "SHA512": "sha512"}[hash_type]
    return hashlib.new(algo, (ks_string + token).encode("utf-8", "surrogateescape")).hexdigest()
