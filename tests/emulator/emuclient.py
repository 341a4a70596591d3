"""Client side of the emulator, shared by emuctl.py and the tests (Python stdlib only).

    emu = emuclient.Emulator.start()          # or .from_env() inside with-emulator.sh
    emu.api("session", "startWidgetSession", {"widgetId": "_12345"})
    emu.control("fault", mode="http500", count=1)
    emu.stop()
"""
import http.client
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
EMULATOR = os.path.join(HERE, "kaltura_emulator.py")


class ApiError(Exception):
    """A KalturaAPIException answer (JSON)."""

    def __init__(self, obj):
        super().__init__(f"{obj.get('code')}: {obj.get('message')}")
        self.code = obj.get("code")
        self.message = obj.get("message")
        self.args_ = obj.get("args")
        self.obj = obj


def load_info(state_dir, timeout=10.0, proc=None):
    path = os.path.join(state_dir, "emulator.json")
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(path) as f:
                return json.load(f)
        except FileNotFoundError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"emulator exited with status {proc.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {path} after {timeout} s")
            time.sleep(0.02)


class Emulator:
    def __init__(self, info, proc=None, tmpdir=None):
        self.info = info
        self.proc = proc
        self._tmpdir = tmpdir
        u = urllib.parse.urlsplit(info["http_url"])
        self.host, self.port = u.hostname, u.port
        self.partner_id = info["partner_id"]
        self.admin_secret = info["admin_secret"]

    # ------------------------------------------------------------ lifecycle

    @classmethod
    def from_env(cls, state_dir=None):
        state_dir = state_dir or os.environ.get("KC_EMU_STATE")
        if not state_dir:
            raise RuntimeError("KC_EMU_STATE is not set (run under tests/lib/with-emulator.sh "
                               "or pass --state DIR)")
        return cls(load_info(state_dir))

    @classmethod
    def start(cls, *extra_args):
        """Start a private emulator in a temp dir (stopped by .stop())."""
        tmp = tempfile.TemporaryDirectory(prefix="kc-emu.")
        proc = subprocess.Popen(["/usr/bin/python3", EMULATOR, "--state-dir", tmp.name,
                                 *extra_args])
        try:
            info = load_info(tmp.name, proc=proc)
        except Exception:
            proc.kill()
            proc.wait()
            tmp.cleanup()
            raise
        return cls(info, proc, tmp)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    # ------------------------------------------------------------ HTTP

    def connection(self, timeout=10):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def raw(self, method, path, body=None, headers=None, conn=None, timeout=10):
        """One HTTP exchange; returns (status, headers dict (lowercase names), body bytes)."""
        own = conn is None
        conn = conn or self.connection(timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            if own:
                conn.close()

    def control(self, cmd, **params):
        status, _, data = self.raw("POST", f"/__emulator/{cmd}", json.dumps(params),
                                   {"Content-Type": "application/json"})
        out = json.loads(data)
        if status != 200:
            raise RuntimeError(f"control {cmd}: {out.get('error')}")
        return out

    def call(self, service, action, params=None, *, fmt=1, how="json", conn=None,
             internal=False, timeout=10):
        """POST an API call and return (status, headers, body bytes).
        how: 'json' (JSON body), 'form' (form body), 'get' (query string), 'path' (/k/v)."""
        params = dict(params or {})
        if fmt is not None:
            params["format"] = fmt
        headers = {"X-Emulator-Internal": "1"} if internal else {}
        path = f"/api_v3/service/{service}/action/{action}"
        if how == "json":
            body = json.dumps(params)
            headers["Content-Type"] = "application/json"
            return self.raw("POST", path, body, headers, conn, timeout)
        if how == "form":
            body = urllib.parse.urlencode(flatten(params))
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            return self.raw("POST", path, body, headers, conn, timeout)
        if how == "get":
            return self.raw("GET", path + "?" + urllib.parse.urlencode(flatten(params)), None,
                            headers, conn, timeout)
        if how == "path":
            tail = "".join(f"/{urllib.parse.quote(str(k), safe='')}/{urllib.parse.quote(str(v), safe='')}"
                           for k, v in flatten(params).items())
            return self.raw("GET", path + tail, None, headers, conn, timeout)
        raise ValueError(how)

    def api(self, service, action, params=None, **kw):
        """JSON API call: the decoded result, or raise ApiError for a KalturaAPIException."""
        status, _, data = self.call(service, action, params, fmt=1, **kw)
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {data[:200]!r}")
        obj = json.loads(data)
        if isinstance(obj, dict) and obj.get("objectType") == "KalturaAPIException":
            raise ApiError(obj)
        return obj

    # ------------------------------------------------------------ conveniences

    def partner_secret(self, partner):
        if partner is None or int(partner) == int(self.partner_id):
            return self.admin_secret
        return self.control("partners")[str(partner)]["admin_secret"]

    def admin_ks(self, partner=None, internal=True, **kw):
        partner = int(partner or self.partner_id)
        params = {"secret": self.partner_secret(partner), "partnerId": partner, "type": 2}
        params.update(kw)
        return self.api("session", "start", params, internal=internal)

    def widget_ks(self, partner=None):
        return self.api("session", "startWidgetSession",
                        {"widgetId": f"_{partner or self.partner_id}"})["ks"]

    def create_token(self, partner=None, hash_type=None, session_user_id=None,
                     session_type=None, duration=None, expiry=None, privileges=None,
                     description=None, internal=True):
        """appToken.add through the API with an admin KS; returns the KalturaAppToken dict."""
        tok = {"objectType": "KalturaAppToken"}
        for k, v in (("hashType", hash_type), ("sessionUserId", session_user_id),
                     ("sessionType", session_type), ("sessionDuration", duration),
                     ("expiry", expiry), ("sessionPrivileges", privileges),
                     ("description", description)):
            if v is not None:
                tok[k] = v
        ks = self.admin_ks(partner, internal=internal)
        return self.api("apptoken", "add", {"ks": ks, "appToken": tok}, internal=internal)

    def delete_token(self, token_id, partner=None, internal=True):
        ks = self.admin_ks(partner, internal=internal)
        return self.api("apptoken", "delete", {"ks": ks, "id": token_id}, internal=internal)

    def stats(self):
        return self.control("stats")


def flatten(params, prefix=""):
    """Nested dicts -> 'a:b' form keys (§4.3); None -> 'key__null'."""
    out = {}
    for k, v in params.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + ":"))
        elif v is None:
            out[key + "__null"] = ""
        else:
            out[key] = v
    return out
