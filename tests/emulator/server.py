"""HTTP(S) front end: listeners, the request handler, faults, latency, stats, control plane.

One thread per TCP connection (HTTP/1.1 keep-alive), TLS handshakes done in that thread so a
slow or failing handshake never blocks accepting. Control requests live under /__emulator/
on both ports and are neither counted nor subject to faults; API requests carrying the header
`X-Emulator-Internal: 1` (emuctl's own calls) are treated the same way.
"""
import http.server
import json
import re
import select
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import traceback
import urllib.parse

import api
import faults as faultmod
import ks as ksmod
import wire

CONTROL_PREFIX = "/__emulator"
MAX_BODY = 32 * 1024 * 1024


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with getattr(self, "lock", threading.Lock()):
            self.requests = {}
            self.total = 0
            self.connections = {"https": 0, "http": 0}
            self.tls_failures = 0

    def request(self, key):
        with self.lock:
            self.requests[key] = self.requests.get(key, 0) + 1
            self.total += 1

    def connection(self, listener, delta=1):
        with self.lock:
            self.connections[listener] += delta

    def tls_failure(self):
        with self.lock:
            self.tls_failures += 1

    def snapshot(self):
        with self.lock:
            return {"requests": dict(self.requests), "total": self.total,
                    "connections": sum(self.connections.values()),
                    "connections_by_listener": dict(self.connections),
                    "tls_failures": self.tls_failures}


class Emulator:
    """Holds the API state and the knobs the control plane turns."""

    def __init__(self, state, verbose=False):
        self.state = state
        self.stats = Stats()
        self.faults = faultmod.FaultRules()
        self.latency_ms = 0
        self.stopping = threading.Event()
        self.verbose = verbose
        self.listeners = []
        self.info = {}

    def start(self, https_ctx, host="127.0.0.1", https_port=0, http_port=0):
        for name, port, ctx in (("https", https_port, https_ctx), ("http", http_port, None)):
            srv = Listener((host, port), Handler, self, name, ctx)
            t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1},
                                 name=f"listener-{name}", daemon=True)
            t.start()
            self.listeners.append(srv)
        return {s.name: s.server_address[1] for s in self.listeners}

    def stop(self):
        self.stopping.set()  # wakes hang/slow_drip/latency waits
        for srv in self.listeners:
            srv.shutdown()
            srv.server_close()


class Listener(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, addr, handler, emu, name, ssl_ctx):
        self.emu, self.name, self.ssl_ctx = emu, name, ssl_ctx
        super().__init__(addr, handler)

    def process_request(self, request, client_address):
        self.emu.stats.connection(self.name)
        super().process_request(request, client_address)

    def finish_request(self, request, client_address):
        conn, handler = request, None
        try:
            if self.ssl_ctx is not None:
                request.settimeout(10)
                try:
                    conn = self.ssl_ctx.wrap_socket(request, server_side=True)
                except (ssl.SSLError, OSError):
                    self.emu.stats.tls_failure()
                    return
                conn.settimeout(None)
            handler = self.RequestHandlerClass(conn, client_address, self)
        finally:
            if handler is not None and handler.abort_with_rst:
                # fault `reset`: SO_LINGER 0 then close() sends a TCP RST, no answer.
                try:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass
            elif conn is not request:
                try:
                    conn.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
            conn.close()

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, ssl.SSLError, OSError)):
            return
        super().handle_error(request, client_address)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections go away eventually
    # TCP_NODELAY, as nginx (tcp_nodelay on) in front of api_v3 does. The headers and the body
    # leave in two writes; with Nagle on, the body of every answer after the first on a
    # keep-alive connection waited for the client's delayed ACK (~40 ms on Linux), a stall
    # the real service does not have and that only clients reusing connections paid.
    disable_nagle_algorithm = True

    def version_string(self):
        return "kaltura-emulator"

    def date_time_string(self, timestamp=None):
        """The `Date` header on the emulator's clock (clock-offset moves it with the KS times),
        as a real server's Date comes from the same clock as its KSs' valid_until."""
        if timestamp is None:
            timestamp = time.time() + int(self.emu.state.clock_offset)
            if self.date_fault == "date_stale":
                timestamp -= 86400
        return super().date_time_string(timestamp)

    def send_header(self, keyword, value):
        if keyword.lower() == "date" and self.date_fault == "date_none":
            return
        if keyword.lower() == "date" and self.date_fault == "date_garbage":
            value = "yesterday, around noon"
        super().send_header(keyword, value)

    def setup(self):
        super().setup()
        self.abort_with_rst = False
        self.first_request = True
        self.date_fault = None
        self.emu = self.server.emu

    def log_message(self, fmt, *args):
        if self.emu.verbose:
            sys.stderr.write("emulator: %s %s\n" % (self.server.name, fmt % args))

    # ------------------------------------------------------------ plumbing

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status, body, content_type, headers=None, reason=None):
        self.send_response(status, reason)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _mark_uncounted(self):
        """A connection whose first request is control/internal is not an API connection."""
        if self.first_request:
            self.emu.stats.connection(self.server.name, -1)

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_HEAD = do_DELETE = do_GET

    def do_OPTIONS(self):
        # §4.7: CORS headers and an empty body.
        self._send(200, b"", None, {"Access-Control-Allow-Origin": "*",
                                    "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
                                    "Access-Control-Allow-Headers": "*"})
        self.first_request = False

    def _dispatch(self):
        try:
            url = urllib.parse.urlsplit(self.path)
            body = self._read_body()
            if url.path == CONTROL_PREFIX or url.path.startswith(CONTROL_PREFIX + "/"):
                self._mark_uncounted()
                self._control(url, body)
            else:
                internal = self.headers.get("X-Emulator-Internal") == "1"
                if internal:
                    self._mark_uncounted()
                self._api(url, body, internal)
        except (ConnectionError, TimeoutError, ssl.SSLError):
            self.close_connection = True
        finally:
            self.first_request = False
            self.date_fault = None

    # ------------------------------------------------------------ API

    def _api(self, url, body, internal):
        emu = self.emu
        path_params = wire.split_path(url.path)
        if path_params is None:
            self.close_connection = True
            self._send(404, b"Not Found\n", "text/plain")
            return
        params = wire.merge_params(
            wire.parse_body(self.headers.get("Content-Type"), body),
            wire.parse_form(url.query), path_params)
        key = f"{params.get('service') or ''}.{params.get('action') or ''}".lower()
        fault = None
        if not internal:
            emu.stats.request(key)
            fault = emu.faults.take(key)
            faultmod.sleep_ms(emu.latency_ms, emu.stopping)
        self.date_fault = fault if fault in faultmod.DATE_MODES else None

        if fault in faultmod.PRE_MODES:
            self._pre_fault(fault, params)
            return

        started = time.monotonic()
        fmt = self._format(params)
        extra = {"X-Me": "kaltura-emulator", "X-Kaltura-Session": str(int(time.time() * 1000))}
        try:
            if isinstance(fmt, wire.KalturaAPIException):
                raise fmt
            result = api.dispatch(emu.state, params)
            if fault in faultmod.RESULT_MODES:
                result = faultmod.mangle_result(fault, result, emu.state.now(),
                                                emu.state.foreign_ks)
        except wire.KalturaAPIException as exc:
            result = exc
            extra.update(exc.headers)
        except Exception:  # a bug in the emulator: answer like PHP would, and say so
            traceback.print_exc()
            result = wire.api_error("INTERNAL_SERVERL_ERROR")
        if isinstance(fmt, int) and fmt in (3, 4, 7, 8):
            self._send(501, f"format {fmt} is not emulated\n".encode(), "text/plain")
            return
        payload, ctype = self._serialize(result, fmt, params, time.monotonic() - started)

        if fault in faultmod.BODY_MODES:
            self.close_connection = True
            if fault == "slow_drip":
                self._slow_drip(payload, ctype, extra)
                return
            payload, ctype = faultmod.mangle_body(fault, payload, ctype, fmt in (1, 9))
        self._send(200, payload, ctype, extra)

    @staticmethod
    def _format(params):
        """§4.4: format absent -> 2 (XML); anything outside KalturaResponseType -> error."""
        raw = params.get("format")
        if raw is None:
            return 2
        s = str(raw).strip()
        if re.fullmatch(r"[+-]?\d+", s) and int(s) in (1, 2, 3, 4, 7, 8, 9):
            return int(s)
        return wire.api_error("UNKNOWN_RESPONSE_FORMAT", raw)

    @staticmethod
    def _serialize(result, fmt, params, elapsed):
        if fmt == 1:
            return wire.to_json(result).encode(), "application/json"
        if fmt == 9:
            cb = str(params.get("callback") or "")
            if re.fullmatch(r"[0-9_a-zA-Z.]*", cb) and cb:
                return f"{cb}({wire.to_json(result)});".encode(), "application/javascript"
            result = wire.api_error("INTERNAL_SERVERL_ERROR")
        ignore_null = str(params.get("ignoreNull") or "") == "1"
        return wire.to_xml(result, elapsed, ignore_null).encode("utf-8"), "text/xml"

    def _pre_fault(self, fault, params):
        self.close_connection = True
        if fault == "reset":
            self.abort_with_rst = True
        elif fault == "hang":
            self._hang()
        elif fault == "redirect":
            self._send(302, b"", "text/html", {"Location": "http://127.0.0.2:9/"})
        elif fault == "redirect_leak":
            self._send(302, b"", "text/html",
                       {"Location": faultmod.redirect_location(params)})
        else:
            code = 500 if fault == "http500" else 503
            text = "Internal Server Error" if code == 500 else "Service Unavailable"
            self._send(code, f"<html><body><h1>{code} {text}</h1></body></html>\n".encode(),
                       "text/html; charset=iso-8859-1")

    def _hang(self):
        """Never answer; return when the client goes away or the emulator stops."""
        sock = self.connection
        while not self.emu.stopping.is_set():
            try:
                ready, _, _ = select.select([sock], [], [], 0.2)
                if ready and not sock.recv(65536):
                    return
            except (OSError, ValueError, ssl.SSLError):
                return

    def _slow_drip(self, payload, ctype, extra):
        head = ["HTTP/1.1 200 OK", f"Content-Type: {ctype}", f"Content-Length: {len(payload)}",
                "Connection: close"] + [f"{k}: {v}" for k, v in extra.items()]
        raw = ("\r\n".join(head) + "\r\n\r\n").encode() + payload

        def write(b):
            self.wfile.write(b)
            self.wfile.flush()
        faultmod.drip(write, raw, self.emu.stopping)

    # ------------------------------------------------------------ control plane

    def _control(self, url, body):
        params = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        text = body.decode("utf-8", "replace").strip()
        if text.startswith("{"):
            params.update(json.loads(text))
        elif text:
            params.update(urllib.parse.parse_qsl(text, keep_blank_values=True))
        cmd = url.path[len(CONTROL_PREFIX):].strip("/")
        try:
            status, out = 200, control(self.emu, cmd, params)
        except KeyError as exc:
            status, out = 400, {"error": f"missing or unknown: {exc}"}
        except (ValueError, TypeError) as exc:
            status, out = 400, {"error": str(exc)}
        self._send(status, (json.dumps(out) + "\n").encode(), "application/json")


def control(emu, cmd, p):
    """Control commands (README 'Control'). Returns a JSON-able object."""
    state = emu.state
    if cmd in ("", "ping"):
        return {"ok": True}
    if cmd == "info":
        return emu.info
    if cmd == "stats":
        snap = emu.stats.snapshot()
        snap["faults_fired"] = dict(emu.faults.fired)
        return snap
    if cmd == "reset-stats":
        emu.stats.reset()
        emu.faults.fired.clear()
        return {"ok": True}
    if cmd == "reset":  # back to a pristine emulator, except partners and tokens
        emu.faults.set("none")
        emu.latency_ms = 0
        state.clock_offset = 0
        emu.stats.reset()
        emu.faults.fired.clear()
        return {"ok": True}
    if cmd == "fault":
        emu.faults.set(str(p["mode"]), p.get("count"), p.get("action"))
        return {"ok": True, "faults": emu.faults.describe()}
    if cmd == "faults":
        return {"faults": emu.faults.describe()}
    if cmd == "latency":
        emu.latency_ms = max(0.0, float(p["ms"]))
        return {"ok": True, "ms": emu.latency_ms}
    if cmd == "clock-offset":
        state.clock_offset = int(p["seconds"])
        return {"ok": True, "seconds": state.clock_offset, "now": state.now()}
    if cmd == "token-status":
        status = {"active": api.APP_TOKEN_ACTIVE, "disabled": api.APP_TOKEN_DISABLED}[p["status"]]
        with state.lock:
            tok = state.tokens.get(p["id"])
            if tok is None or tok["status"] == api.APP_TOKEN_DELETED:
                raise ValueError(f"no such app token {p['id']!r}")
            tok["status"] = status
            tok["updatedAt"] = state.now()
        return {"ok": True}
    if cmd == "validate":
        return validate(state, p["ks"])
    if cmd == "partner":
        with state.lock:
            old = state.partner(p["id"])
            base = old.describe() if old else {"admin_secret": None, "user_secret": None,
                                               "ks_version": 2, "ks_max_expiry": 86400}
            secret = p.get("admin_secret") or base["admin_secret"]
            if not secret:
                raise ValueError("a new partner needs admin_secret")
            part = state.add_partner(int(p["id"]), secret,
                                     user_secret=p.get("user_secret") or base["user_secret"],
                                     ks_version=int(p.get("ks_version") or base["ks_version"]),
                                     ks_max_expiry=int(p.get("ks_max_expiry") or base["ks_max_expiry"]))
            return part.describe()
    if cmd == "partners":
        with state.lock:
            return {str(pid): pt.describe() for pid, pt in state.partners.items() if pid != 0}
    raise KeyError(cmd)


def validate(state, ks_string):
    """Same checks as an API call (signature, expiry, invalidation)."""
    out = {"valid": False, "code": None, "message": None, "partnerId": None, "userId": None,
           "type": None, "expiry": None, "privileges": None, "version": None, "widget": None}
    try:
        k = state.validate(ks_string)
    except wire.KalturaAPIException as exc:
        out.update(code=exc.code, message=exc.message)
        return out
    out.update(valid=True, partnerId=int(k.partner_id), userId=k.user,
               type=ksmod.php_int(k.type), expiry=ksmod.php_int(k.valid_until),
               privileges=k.privileges, version=k.version, widget=k.is_widget_session())
    return out
