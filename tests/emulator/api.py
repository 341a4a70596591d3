"""The emulated api_v3 services: state (partners, app tokens, invalidations) and dispatch.

Error order follows KalturaDispatcher::dispatch (doc/kaltura-api.md §4, SERVER source):
SERVICE_NOT_SPECIFIED -> SERVICE_DOES_NOT_EXISTS -> ACTION_DOES_NOT_EXISTS -> KS validation
(INVALID_KS) -> argument deserialization (MISSING_MANDATORY_PARAMETER, INVALID_ENUM_VALUE)
-> permission (SERVICE_FORBIDDEN / MISSING_KS) -> the action itself.
"""
import hashlib
import os
import re
import secrets
import threading
import time

import ks as ksmod
from wire import api_error, invalid_ks

MAX_RELATIVE_TIME = 315360000  # §4.3: 10 years
APP_TOKEN_DISABLED, APP_TOKEN_ACTIVE, APP_TOKEN_DELETED = 1, 2, 3
HASH_TYPES = ("MD5", "SHA1", "SHA256", "SHA512")
USER_ID_RE = re.compile(r"^[A-Za-z0-9,!#$%&'*+?^_`{|}~.@-]{1,320}$")  # §6 sessionUserId
APP_TOKEN_FIELDS = ("id", "token", "partnerId", "createdAt", "updatedAt", "status", "expiry",
                    "sessionType", "sessionUserId", "sessionDuration", "sessionPrivileges",
                    "hashType", "description")
APP_TOKEN_RW = ("expiry", "sessionType", "sessionUserId", "sessionDuration", "sessionPrivileges",
                "hashType", "description")


class Partner:
    def __init__(self, pid, admin_secret, user_secret=None, ks_version=2, ks_max_expiry=86400):
        self.id = int(pid)
        self.admin_secrets = [s for s in admin_secret.split(",") if s]  # several allowed (§5.1)
        self.user_secret = user_secret or hashlib.md5(admin_secret.encode()).hexdigest()
        self.ks_version = int(ks_version)
        self.ks_max_expiry = int(ks_max_expiry)

    def describe(self):
        return {"id": self.id, "admin_secret": ",".join(self.admin_secrets),
                "user_secret": self.user_secret, "ks_version": self.ks_version,
                "ks_max_expiry": self.ks_max_expiry}


class State:
    """Everything the emulated server remembers. All access goes through `lock`."""

    def __init__(self):
        self.lock = threading.RLock()
        self.partners = {0: Partner(0, secrets.token_hex(16))}  # partner 0 exists (§2)
        self.tokens = {}
        self.invalid_ks_hashes = set()
        self.invalid_session_keys = set()
        self.clock_offset = 0
        self.rand16 = None  # tests may inject deterministic randomness (callable)

    def now(self):
        return int(time.time()) + int(self.clock_offset)

    def add_partner(self, pid, admin_secret, **kw):
        with self.lock:
            self.partners[int(pid)] = Partner(pid, admin_secret, **kw)
            return self.partners[int(pid)]

    def partner(self, pid):
        try:
            return self.partners.get(int(str(pid)))
        except ValueError:
            return None

    def secrets_for(self, pid):
        p = self.partner(pid) if re.fullmatch(r"-?\d+", str(pid)) else None
        return p.admin_secrets if p else None

    def mint(self, partner, type_, user, expiry, privileges):
        """kSessionUtils::createKSession: valid_until = now + expiry, signed with the first
        admin secret, KS version per partner (§2 step 10)."""
        valid_until = self.now() + int(expiry)
        kw = {}
        if partner.ks_version == 2 and self.rand16:
            kw["rand16"] = self.rand16()
        ks = ksmod.generate(partner.ks_version, partner.admin_secrets[0], partner.id,
                            valid_until, type_, user, privileges, **kw)
        return ks, valid_until

    def foreign_ks(self, ks_string):
        """The ks_foreign fault: a KS with ks_string's fields (it must be one of ours) that is
        validly signed by another partner (the lowest-numbered one other than 0 and its own)."""
        k = ksmod.parse(ks_string, self.secrets_for)
        with self.lock:
            other = next(p for pid, p in sorted(self.partners.items())
                         if pid not in (0, int(k.partner_id)))
        return ksmod.generate(other.ks_version, other.admin_secrets[0], other.id,
                              ksmod.php_int(k.valid_until), k.type, k.user, k.privileges)

    def validate(self, ks_string):
        """KS validation on every request (§5.3 'Validation', §4.6 messages). Returns a KS."""
        k = ksmod.parse(ks_string, self.secrets_for)
        if k is None:
            raise invalid_ks(ks_string)
        if ksmod.php_int(k.valid_until) <= self.now():
            raise invalid_ks("EXPIRED")
        if k.partner_id != "-1" and not k.is_widget_session():  # widget KS: never invalidated
            with self.lock:
                sid = k.session_id()
                if k.hash in self.invalid_ks_hashes or (
                        sid is not None and session_key(k.partner_id, sid) in self.invalid_session_keys):
                    raise invalid_ks("LOGOUT")
        return k


def session_key(pid, session_id):
    """kSessionBase::buildSessionIdHash."""
    return hashlib.sha1(f"{pid}_{session_id}".encode()).hexdigest()


def relative_time(value, now):
    """vTime::getRelativeTime for `time` properties (§4.3)."""
    if value is None:
        return None
    if str(value) == "":
        return 0
    value = ksmod.php_int(value)
    if value == -1:
        return value
    if -MAX_RELATIVE_TIME <= value <= MAX_RELATIVE_TIME:
        return now + value
    return value


# ---------------------------------------------------------------- request context

class Context:
    def __init__(self, state, params):
        self.state = state
        self.params = params
        raw = params.get("ks")
        self.ks_string = None if raw in (None, "") else str(raw)  # only the `ks` param (§4.4)
        self.ks = None
        self.partner_id = None

    def init_ks_partner_user(self):
        """kCurrentContext::initKsPartnerUser: validate the KS, resolve the current partner."""
        p = self.params.get("p") or self.params.get("partnerId")
        if self.ks_string is not None:
            self.ks = self.state.validate(self.ks_string)
            self.partner_id = int(self.ks.partner_id)
            if p not in (None, "") and ksmod.php_int(p) != self.partner_id:
                # Impersonation is not emulated: treat as a bad partner (emulator choice).
                raise invalid_ks("INVALID_PARTNER")
        else:
            self.partner_id = ksmod.php_int(p) if p not in (None, "") else 0


# ---------------------------------------------------------------- argument deserialization


def _param(params, name, kind, required=False, default=None):
    present = name in params
    value = params.get(name)
    if not present or value is None:
        if required:
            raise api_error("MISSING_MANDATORY_PARAMETER", name)
        return default if not present else None
    if kind == "string":
        return value if isinstance(value, str) else ("" if isinstance(value, dict) else str(value))
    if kind == "int":
        return ksmod.php_int(value)
    if kind == "sessiontype":
        return _enum_session_type(value, name)
    if kind == "object":
        return value if isinstance(value, dict) else {}
    raise AssertionError(kind)


def _enum_session_type(value, name):
    """KalturaSessionType: 'true'/'false' -> 1/0 first, then must be 0 or 2 (§2)."""
    v = {"true": "1", "false": "0"}.get(str(value).lower(), str(value))
    if isinstance(value, bool):
        v = "1" if value else "0"
    if re.fullmatch(r"\s*[+-]?\d+\s*", v) and int(v) in (ksmod.TYPE_USER, ksmod.TYPE_ADMIN):
        return int(v)
    raise api_error("INVALID_ENUM_VALUE", value, name, "KalturaSessionType")


# ---------------------------------------------------------------- permissions

ALWAYS, ANY_KS, ADMIN = "always", "any_ks", "admin"


def check_permission(ctx, level, service, declared_action):
    """KalturaBaseService::initService/isPermitted as far as §2/§6 describe it."""
    if level == ALWAYS:
        return
    if ctx.ks is None:
        if ctx.partner_id != 0 and ctx.state.partner(ctx.partner_id) is None:
            raise api_error("MISSING_KS")
    elif level == ANY_KS or ctx.ks.is_admin():
        return
    raise api_error("SERVICE_FORBIDDEN", f"{service}->{declared_action}",
                    headers={"X-Kaltura": "error-SERVICE_FORBIDDEN",
                             "X-Kaltura-App": "exiting on error SERVICE_FORBIDDEN"})


# ---------------------------------------------------------------- result objects

def session_info(ks, type_, partner_id, user, expiry, privileges):
    """KalturaSessionInfo in declaration order (§3)."""
    return {"ks": ks, "sessionType": type_, "partnerId": partner_id, "userId": user,
            "expiry": expiry, "privileges": privileges, "objectType": "KalturaSessionInfo"}


def app_token_object(tok):
    obj = {f: tok.get(f) for f in APP_TOKEN_FIELDS}
    obj["objectType"] = "KalturaAppToken"
    return obj


# ---------------------------------------------------------------- services

def start_widget_session(ctx, a):
    """§1: widget '_<pid>' -> anonymous USER KS 'view:*,widget:1', capped at ks max expiry."""
    m = re.fullmatch(r"_(\d+)", a["widgetId"])
    partner = ctx.state.partner(m.group(1)) if m else None
    if partner is None or partner.id == 0:
        raise api_error("INVALID_WIDGET_ID", a["widgetId"])
    expiry = a["expiry"]
    if partner.ks_max_expiry and (expiry > partner.ks_max_expiry or not expiry):
        expiry = partner.ks_max_expiry
    ks, _ = ctx.state.mint(partner, ksmod.TYPE_USER, 0, expiry, ksmod.WIDGET_PRIVILEGES)
    return {"partnerId": partner.id, "ks": ks, "userId": 0,
            "objectType": "KalturaStartWidgetSessionResponse"}


def session_start(ctx, a):
    """§6 session.start: returns the KS string. ADMIN needs an admin secret."""
    pid = a["partnerId"] if a["partnerId"] is not None else ctx.partner_id
    partner = ctx.state.partner(pid) if pid is not None else None
    if partner is None or partner.id == 0:
        raise api_error("START_SESSION_ERROR", pid if pid is not None else "N/A")
    ok = a["secret"] in partner.admin_secrets or (
        a["type"] != ksmod.TYPE_ADMIN and a["secret"] == partner.user_secret)
    if not ok:
        raise api_error("START_SESSION_ERROR", partner.id)
    expiry = a["expiry"]
    if partner.ks_max_expiry and (expiry > partner.ks_max_expiry or not expiry):
        expiry = partner.ks_max_expiry
    ks, _ = ctx.state.mint(partner, a["type"], a["userId"], expiry, a["privileges"])
    return ks


def session_get(ctx, a):
    """§6 session.get: signature check only for the `session` argument; no `ks` field."""
    if a["session"]:
        k = ksmod.parse(a["session"], ctx.state.secrets_for)
        if k is None:
            raise api_error("INTERNAL_SERVERL_ERROR")
    else:
        k = ctx.ks
    if int(k.partner_id) != ctx.partner_id:
        raise api_error("PARTNER_ACCESS_FORBIDDEN", ctx.partner_id, k.partner_id)
    return session_info(None, ksmod.php_int(k.type), int(k.partner_id), k.user,
                        ksmod.php_int(k.valid_until), k.privileges)


def session_end(ctx, a):
    """§6 session.end: invalidate this exact KS by hash (widget KSs never get checked)."""
    if ctx.ks is not None:
        with ctx.state.lock:
            ctx.state.invalid_ks_hashes.add(ctx.ks.hash)
    return None


def _find_token(ctx, token_id):
    """AppTokenPeer::retrieveByPK with the partner filter and 'not DELETED' criteria."""
    tok = ctx.state.tokens.get(token_id)
    if tok is None or tok["partnerId"] != ctx.partner_id or tok["status"] == APP_TOKEN_DELETED:
        raise api_error("APP_TOKEN_ID_NOT_FOUND", token_id)
    return tok


def app_token_start_session(ctx, a):
    """§2 algorithm, in its exact order."""
    state = ctx.state
    with state.lock:
        tok = dict(_find_token(ctx, a["id"]))
    if tok["status"] != APP_TOKEN_ACTIVE:
        raise api_error("APP_TOKEN_NOT_ACTIVE", a["id"])
    # Hash over the raw `ks` param, strict (case-sensitive) compare.
    expected = ksmod.app_token_hash(tok["hashType"], ctx.ks_string or "", tok["token"])
    if a["tokenHash"] != expected:
        raise api_error("INVALID_APP_TOKEN_HASH")
    now = state.now()
    token_expiry = tok["sessionDuration"]
    if tok["expiry"] is not None:
        token_expiry = min(token_expiry, tok["expiry"] - now)
        if token_expiry < 0:
            raise api_error("APP_TOKEN_EXPIRED", a["id"])
    expiry = a["expiry"]
    if not expiry:
        expiry = token_expiry
    expiry = min(expiry, token_expiry)
    type_ = tok["sessionType"] if tok["sessionType"] is not None else a["type"]
    if type_ is None:
        type_ = ksmod.TYPE_USER
    user = tok["sessionUserId"] if tok["sessionUserId"] is not None else a["userId"]
    privileges = ksmod.merge_app_token_privileges(a["id"], tok["sessionPrivileges"],
                                                  a["sessionPrivileges"])
    partner = state.partner(ctx.partner_id)
    if partner is None:
        raise api_error("START_SESSION_ERROR", ctx.partner_id)
    ks, valid_until = state.mint(partner, type_, user, expiry, privileges)
    return session_info(ks, type_, partner.id, user, valid_until, privileges)


def _apply_app_token_fields(ctx, tok, obj):
    """Copy the RW fields of a KalturaAppToken param; read-only fields are ignored."""
    now = ctx.state.now()
    for f in APP_TOKEN_RW:
        if f not in obj:
            continue
        v = obj[f]
        if v is None:
            tok[f] = None
        elif f == "expiry":
            tok[f] = relative_time(v, now)
        elif f == "sessionType":
            tok[f] = _enum_session_type(v, "sessionType")
        elif f == "sessionDuration":
            tok[f] = ksmod.php_int(v)
        elif f == "hashType":
            if str(v) not in HASH_TYPES:
                raise api_error("INVALID_ENUM_VALUE", v, "hashType", "KalturaAppTokenHashType")
            tok[f] = str(v)
        elif f == "sessionUserId":
            if not USER_ID_RE.match(str(v)):
                raise api_error("INVALID_FIELD_VALUE", "sessionUserId")
            tok[f] = str(v)
        else:
            tok[f] = str(v)


# KC_EMU_CANARY (README "Canary tokens"): every token the emulator creates starts with a marker
# (still 32 lowercase hex digits in all), so a test can look for leaked tokens anywhere. The
# marker belongs to one test run: derived from the run's start record (KC_RUN_START_FILE, written
# by the 'run-start' test) and its build dir, so a second run on the same machine (another
# clone, a benchmark) makes tokens with another marker, and its processes and files can neither
# fail this run's hygiene sweep nor be mistaken for this run's. Kept out of the source as a
# literal so that a search of the tree does not find itself.
CANARY_PREFIX = "".join(("ca7a", "11"))


def canary_marker(environ=None):
    """The 16-hex-digit marker of this run's tokens (see above). KC_EMU_CANARY may also name
    it outright (16 lowercase hex digits)."""
    env = os.environ if environ is None else environ
    given = env.get("KC_EMU_CANARY", "")
    if re.fullmatch(r"[0-9a-f]{16}", given):
        return given
    seed = "kc-canary\0" + env.get("KC_BUILD_ROOT", "") + "\0"
    try:
        with open(env.get("KC_RUN_START_FILE", ""), encoding="ascii") as f:
            seed += f.read()
    except (OSError, ValueError):
        pass
    return CANARY_PREFIX + hashlib.sha256(seed.encode()).hexdigest()[:16 - len(CANARY_PREFIX)]


def new_token_value():
    if os.environ.get("KC_EMU_CANARY"):
        return canary_marker() + os.urandom(8).hex()
    return os.urandom(16).hex()


def app_token_add(ctx, a):
    now = ctx.state.now()
    partner = ctx.state.partner(ctx.partner_id)
    tok = {f: None for f in APP_TOKEN_FIELDS}
    _apply_app_token_fields(ctx, tok, a["appToken"])
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    tok.update(id="0_" + "".join(secrets.choice(alphabet) for _ in range(8)),
               token=new_token_value(), partnerId=ctx.partner_id, createdAt=now,
               updatedAt=now, status=APP_TOKEN_ACTIVE)
    if tok["sessionDuration"] is None:  # default: the partner's ks max expiry (§6)
        tok["sessionDuration"] = partner.ks_max_expiry if partner else 86400
    if tok["hashType"] is None:
        tok["hashType"] = "SHA1"  # getter default, always present in output
    with ctx.state.lock:
        ctx.state.tokens[tok["id"]] = tok
    return app_token_object(tok)


def app_token_get(ctx, a):
    with ctx.state.lock:
        return app_token_object(_find_token(ctx, a["id"]))


def app_token_update(ctx, a):
    with ctx.state.lock:
        tok = _find_token(ctx, a["id"])
        new = dict(tok)
        _apply_app_token_fields(ctx, new, a["appToken"])
        if new["hashType"] is None:
            new["hashType"] = "SHA1"
        new["updatedAt"] = ctx.state.now()
        tok.update(new)
        return app_token_object(tok)


def app_token_delete(ctx, a):
    """§6: status DELETED and every KS carrying sessionid:<id> becomes invalid."""
    with ctx.state.lock:
        tok = _find_token(ctx, a["id"])
        tok["status"] = APP_TOKEN_DELETED
        tok["updatedAt"] = ctx.state.now()
        ctx.state.invalid_session_keys.add(session_key(ctx.partner_id, tok["id"]))
    return None


def app_token_list(ctx, a):
    f = a["filter"] or {}
    pager = a["pager"] or {}

    def num(name):
        return ksmod.php_int(f[name]) if f.get(name) not in (None, "") else None

    with ctx.state.lock:
        items = [t for t in ctx.state.tokens.values()
                 if t["partnerId"] == ctx.partner_id and t["status"] != APP_TOKEN_DELETED]
        items = [dict(t) for t in items]
    checks = [
        ("idEqual", lambda t, v: t["id"] == v),
        ("idIn", lambda t, v: t["id"] in v.split(",")),
        ("statusEqual", lambda t, v: t["status"] == ksmod.php_int(v)),
        ("statusIn", lambda t, v: str(t["status"]) in v.split(",")),
        ("sessionUserIdEqual", lambda t, v: t["sessionUserId"] == v),
    ]
    for name, pred in checks:
        if f.get(name) not in (None, ""):
            items = [t for t in items if pred(t, str(f[name]))]
    for name, field, op in (("createdAtGreaterThanOrEqual", "createdAt", "ge"),
                            ("createdAtLessThanOrEqual", "createdAt", "le"),
                            ("updatedAtGreaterThanOrEqual", "updatedAt", "ge"),
                            ("updatedAtLessThanOrEqual", "updatedAt", "le")):
        v = num(name)
        if v is not None:
            v = relative_time(v, ctx.state.now())
            items = [t for t in items if (t[field] >= v if op == "ge" else t[field] <= v)]
    order = str(f.get("orderBy") or "")
    if order[1:] in ("createdAt", "updatedAt"):
        items.sort(key=lambda t: (t[order[1:]], t["id"]), reverse=order[0] == "-")
    total = len(items)
    size = ksmod.php_int(pager.get("pageSize", 30)) or 30
    size = min(max(size, 1), 500)
    index = max(ksmod.php_int(pager.get("pageIndex", 1)) or 1, 1)
    page = items[(index - 1) * size:index * size]
    return {"objects": [app_token_object(t) for t in page], "totalCount": total,
            "objectType": "KalturaAppTokenListResponse"}


def base_entry_list(ctx, a):
    """baseEntry.list(filter, pager): the emulator stores no entries, so always the empty
    KalturaBaseEntryListResponse. A KS-checked read for client examples: any valid KS may call
    it, as in kaltura/server deployment/permissions/service.baseentry.ini, where the action's
    permissions include BASE_USER_SESSION_PERMISSION and WIDGET_SESSION_PERMISSION (so user,
    widget and admin sessions); without a KS it is not allowed (not ALWAYS_ALLOWED_ACTIONS)."""
    return {"objects": [], "totalCount": 0, "objectType": "KalturaBaseEntryListResponse"}


def system_ping(ctx, a):
    return True


# (service, action) -> (function, declared action name, permission, [(param, kind, required, default)])
ACTIONS = {
    "session": {
        "startwidgetsession": (start_widget_session, "startWidgetSession", ALWAYS,
                               [("widgetId", "string", True, None), ("expiry", "int", False, 86400)]),
        "start": (session_start, "start", ALWAYS,
                  [("secret", "string", True, None), ("userId", "string", False, ""),
                   ("type", "sessiontype", False, 0), ("partnerId", "int", False, None),
                   ("expiry", "int", False, 86400), ("privileges", "string", False, None)]),
        "get": (session_get, "get", ADMIN, [("session", "string", False, None)]),
        "end": (session_end, "end", ALWAYS, []),
    },
    "apptoken": {
        "startsession": (app_token_start_session, "startSession", ANY_KS,
                         [("id", "string", True, None), ("tokenHash", "string", True, None),
                          ("userId", "string", False, None), ("type", "sessiontype", False, None),
                          ("expiry", "int", False, None), ("sessionPrivileges", "string", False, None)]),
        "add": (app_token_add, "add", ADMIN, [("appToken", "object", True, None)]),
        "get": (app_token_get, "get", ADMIN, [("id", "string", True, None)]),
        "list": (app_token_list, "list", ADMIN,
                 [("filter", "object", False, None), ("pager", "object", False, None)]),
        "update": (app_token_update, "update", ADMIN,
                   [("id", "string", True, None), ("appToken", "object", True, None)]),
        "delete": (app_token_delete, "delete", ADMIN, [("id", "string", True, None)]),
    },
    "baseentry": {
        "list": (base_entry_list, "list", ANY_KS,
                 [("filter", "object", False, None), ("pager", "object", False, None)]),
    },
    "system": {
        "ping": (system_ping, "ping", ALWAYS, []),
    },
}


def dispatch(state, params):
    """Run one API call. Returns the result (dict/str/None/True) or raises KalturaAPIException."""
    service = params.get("service")
    if not service:
        raise api_error("SERVICE_NOT_SPECIFIED")
    service = str(service).lower()
    if service not in ACTIONS:
        raise api_error("SERVICE_DOES_NOT_EXISTS", service)
    action = str(params.get("action") or "").lower()
    if action not in ACTIONS[service]:
        raise api_error("ACTION_DOES_NOT_EXISTS", action, service)
    func, declared, level, spec = ACTIONS[service][action]
    ctx = Context(state, params)
    ctx.init_ks_partner_user()
    args = {name: _param(params, name, kind, req, default) for name, kind, req, default in spec}
    check_permission(ctx, level, service, declared)
    return func(ctx, args)
