"""Per-request fault injection rules and the result/body manglers they apply.

A rule is (mode, remaining count or None for "every", action filter or None for "any").
Setting a rule replaces the rule with the same action filter; `none` clears them all.
Action-specific rules win over the catch-all one. Each matching request consumes one count.
"""
import os
import threading

# Transport-level: decided before the API call runs (the call does not run).
PRE_MODES = ("http500", "http503", "reset", "hang", "redirect", "redirect_leak")
# Result-level: the call runs, then the result object is altered before serialization.
RESULT_MODES = ("ks_newline", "ks_nul", "ks_huge", "ks_u2028", "ks_u0085", "ks_foreign",
                "user_u2028", "expiry_past", "numeric_strings")
# Body-level: the call runs and is serialized, then the HTTP answer is altered.
BODY_MODES = ("slow_drip", "garbage", "oversized", "truncated_json", "wrong_content_type",
              "deep_nesting")
# Header-level: the answer is the real one, only its `Date` header is left out, unparsable, or
# a day behind the emulator's clock (not the clock the answer's times come from).
DATE_MODES = ("date_none", "date_garbage", "date_stale")
MODES = PRE_MODES + RESULT_MODES + BODY_MODES + DATE_MODES

# With no --action, KS-shaped faults target the app-token session (README: "startSession KS").
DEFAULT_ACTION = {m: "apptoken.startsession" for m in ("ks_newline", "ks_nul", "ks_huge",
                                                       "ks_u2028", "ks_u0085", "ks_foreign",
                                                       "user_u2028", "expiry_past")}

OVERSIZED_BYTES = 16 * 1024 * 1024
HUGE_KS_BYTES = 1024 * 1024
# deep_nesting: "[" * n + "]" * n, just under a 64 KiB response cap
NESTING_DEPTH = 32 * 1024 - 16
# Characters Unicode line splitters (Python's str.splitlines) break lines at; not ASCII.
UNICODE_BREAKS = {"ks_u2028": "\u2028", "ks_u0085": "\u0085"}
USER_U2028 = "kc-user\u2028password=kc-injected"


def redirect_location(params):
    """redirect_leak: a 302 whose Location carries user info and echoes the request's ks (a
    proxy that copies the request into the redirect). A client must not print it whole."""
    ks = params.get("ks") or "no-ks"
    return f"http://kc-user:kc-secret@127.0.0.2:9/api_v3/index.php?ks={ks}#kc-fragment"


class FaultRules:
    def __init__(self):
        self._lock = threading.Lock()
        self._rules = {}  # action filter (or None) -> [mode, remaining]
        self.fired = {}

    def set(self, mode, count=None, action=None):
        if mode == "none":
            with self._lock:
                self._rules.clear()
            return
        if mode not in MODES:
            raise ValueError(f"unknown fault mode {mode!r}; known: none {' '.join(MODES)}")
        action = (action or DEFAULT_ACTION.get(mode) or "").lower() or None
        count = None if count in (None, "", "all") else int(count)
        with self._lock:
            self._rules[action] = [mode, count]

    def take(self, key):
        """Return the fault mode for this request (consuming one count) or None."""
        with self._lock:
            for filt in (key, None):
                rule = self._rules.get(filt)
                if rule is None:
                    continue
                mode, remaining = rule
                if remaining is not None:
                    rule[1] -= 1
                    if rule[1] <= 0:
                        del self._rules[filt]
                self.fired[mode] = self.fired.get(mode, 0) + 1
                return mode
        return None

    def describe(self):
        with self._lock:
            return [{"mode": m, "count": c, "action": a} for a, (m, c) in self._rules.items()]


def mangle_result(mode, result, now, foreign_ks=None):
    """RESULT_MODES: alter a successful result (dict or KS string). foreign_ks(ks): for
    ks_foreign, a well-formed, validly signed KS of another partner with ks's fields."""
    def bad_ks(ks):
        if mode == "ks_newline":
            return ks[:len(ks) // 2] + "\n" + ks[len(ks) // 2:]
        if mode == "ks_nul":
            return ks[:len(ks) // 2] + "\0" + ks[len(ks) // 2:]
        if mode in UNICODE_BREAKS:
            return ks[:len(ks) // 2] + UNICODE_BREAKS[mode] + ks[len(ks) // 2:]
        if mode == "ks_huge":
            return ks + "A" * (HUGE_KS_BYTES - len(ks))
        if mode == "ks_foreign" and foreign_ks:
            return foreign_ks(ks)
        return ks

    if isinstance(result, str):
        return bad_ks(result)
    if not isinstance(result, dict):
        return result
    result = dict(result)
    if "ks" in result and isinstance(result["ks"], str):
        result["ks"] = bad_ks(result["ks"])
    if mode == "user_u2028":
        result["userId"] = USER_U2028
    if mode == "expiry_past" and "expiry" in result:
        result["expiry"] = now - 3600
    if mode == "numeric_strings":  # §3 [uncertain]: PHP may emit numbers as strings
        result = {k: (str(v) if isinstance(v, int) and not isinstance(v, bool) else v)
                  for k, v in result.items()}
    return result


def mangle_body(mode, body, content_type, is_json):
    """BODY_MODES except slow_drip: return (body, content_type)."""
    if mode == "garbage":
        return b"\xff\xfe\x00garbage" + os.urandom(256), content_type
    if mode == "oversized":
        pad = b" " * OVERSIZED_BYTES  # still well-formed: whitespace is legal where we put it
        if is_json:
            return pad + body, content_type
        head, sep, tail = body.partition(b"?>")
        return head + sep + pad + tail, content_type
    if mode == "truncated_json":
        return body[:max(1, len(body) // 2)], content_type
    if mode == "wrong_content_type":
        return body, "text/html; charset=UTF-8"
    if mode == "deep_nesting":  # well-formed JSON, nested deeper than any parser should recurse
        return b"[" * NESTING_DEPTH + b"]" * NESTING_DEPTH, content_type
    return body, content_type


def drip(sock_write, data, stop_event, interval=1.0):
    """slow_drip: one byte per `interval` seconds until done, the peer leaves or shutdown."""
    for i in range(len(data)):
        if stop_event.wait(interval if i else 0):
            return
        try:
            sock_write(data[i:i + 1])
        except OSError:
            return


def sleep_ms(ms, stop_event):
    if ms > 0:
        stop_event.wait(ms / 1000.0)


__all__ = ["FaultRules", "MODES", "PRE_MODES", "RESULT_MODES", "BODY_MODES", "DATE_MODES",
           "mangle_result", "mangle_body", "redirect_location", "drip", "sleep_ms"]
