"""api_v3 wire format: URL/param parsing and JSON/XML serialization (doc/kaltura-api.md §4).

Kaltura objects are plain dicts in declaration order with "objectType" as the last key;
a value of None is a null property (dropped in JSON, an empty element in XML).
"""
import json
import re
import urllib.parse
from xml.sax.saxutils import escape as _xml_escape


class KalturaAPIException(Exception):
    """An API error: serialized as a normal HTTP 200 result (§4.6)."""

    def __init__(self, code, message, args=None, headers=None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.args_ = list(args or [])  # ordered (name, value) pairs
        self.headers = headers or {}


# Templates from doc/kaltura-api.md §1, §2, §4.6, §6 (APIErrors / KalturaErrors).
ERRORS = {
    "SERVICE_NOT_SPECIFIED": ((), "Service name was not specified, please specify one"),
    "SERVICE_DOES_NOT_EXISTS": (("SRV_NAME",), 'Service "@SRV_NAME@" does not exists'),
    "ACTION_DOES_NOT_EXISTS": (("ACTION_NAME", "SERVICE_NAME"),
                               'Action "@ACTION_NAME@" does not exists for service "@SERVICE_NAME@"'),
    "MISSING_MANDATORY_PARAMETER": (("PARAM_NAME",), 'Missing parameter "@PARAM_NAME@"'),
    "INVALID_ENUM_VALUE": (("ENUM_VAL", "PARAM_NAME", "ENUM_TYPE"),
                           'Invalid enumeration value "@ENUM_VAL@" for parameter "@PARAM_NAME@", '
                           'expecting enumeration type "@ENUM_TYPE@"'),
    "UNKNOWN_RESPONSE_FORMAT": (("FORMAT",),
                                "Response format provided [@FORMAT@] is not recognized by server"),
    "INVALID_KS": (("KSID", "ERR_CODE", "ERR_DESC"), 'Invalid KS "@KSID@", Error "@ERR_CODE@,@ERR_DESC@"'),
    "MISSING_KS": ((), "Missing KS, session not established"),
    "SERVICE_FORBIDDEN": (("SERVICE",), "The access to service [@SERVICE@] is forbidden"),
    # Kaltura's own spelling ("SERVERL"), as the real server sends it: do not correct it.
    "INTERNAL_SERVERL_ERROR": ((), "Internal server error occurred"),
    "INVALID_FIELD_VALUE": (("FIELD_NAME",), "value in field [@FIELD_NAME@] is not valid"),
    "INVALID_WIDGET_ID": (("WIDGET_ID",), "Unknown widget [@WIDGET_ID@]"),
    "START_SESSION_ERROR": (("PID",), "Error while starting session for partner [@PID@]"),
    "PARTNER_ACCESS_FORBIDDEN": (("ACCESSING_PID", "ACCESSED_PID"),
                                 "Partner [@ACCESSING_PID@] cannot access partner [@ACCESSED_PID@]"),
    "APP_TOKEN_ID_NOT_FOUND": (("ID",), 'Application token id "@ID@" not found'),
    "APP_TOKEN_NOT_ACTIVE": (("ID",), 'Application token id "@ID@" not active'),
    "APP_TOKEN_EXPIRED": (("ID",), 'Application token id "@ID@" expired'),
    "INVALID_APP_TOKEN_HASH": ((), "Invalid application token hash"),
}


def api_error(code, *values, headers=None):
    """Build the exception like APIErrors::getErrorData: args are strings, 'N/A' if missing."""
    names, template = ERRORS[code]
    vals = [str(v) for v in values] + ["N/A"] * (len(names) - len(values))
    message = template
    for name, val in zip(names, vals):
        message = message.replace(f"@{name}@", val)
    return KalturaAPIException(code, message, list(zip(names, vals)), headers)


def invalid_ks(reason):
    """§4.6: ERR_CODE is always -1/INVALID_STR; the reason (or the KS itself) goes in KSID."""
    return api_error("INVALID_KS", reason, "-1", "INVALID_STR")


# ---------------------------------------------------------------- request params (§4.1-4.3)

def _set_path(params, key, value):
    """'a:b:c' (and PHP 'a[b][c]') keys build nested dicts; 'x__null' sets x to None."""
    if key.endswith("__null"):
        key, value = key[:-6], None
    parts = [p for p in re.split(r":|\]\[|\[|\]", key) if p != ""] if (":" in key or "[" in key) else [key]
    if not parts:
        return
    node = params
    for p in parts[:-1]:
        nxt = node.get(p)
        if not isinstance(nxt, dict):
            nxt = node[p] = {}
        node = nxt
    node[parts[-1]] = value


def parse_form(text, first_wins=False):
    params = {}
    seen = set()
    for k, v in urllib.parse.parse_qsl(text, keep_blank_values=True):
        if first_wins and k in seen:
            continue
        seen.add(k)
        _set_path(params, k, v)
    return params


def _replace_recursive(base, over):
    """PHP array_replace_recursive."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _replace_recursive(out[k], v)
        else:
            out[k] = v
    return out


def _normalize_json(obj):
    """JSON bodies: nested objects as-is, plus flat 'a:b' and 'x__null' keys at any level."""
    out = {}
    for k, v in obj.items():
        v = _normalize_json(v) if isinstance(v, dict) else v
        if ":" in k or k.endswith("__null"):
            _set_path(out, k, v)
        else:
            out[k] = v
    return out


def parse_body(content_type, body):
    """§4.2 body rules. Lenient: 'application/json; charset=...' is accepted as JSON."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    text = body.decode("utf-8", "surrogateescape")
    if ctype == "application/json":
        stripped = text.strip()
        if stripped.startswith("{") and stripped.endswith("}"):
            try:
                data = json.loads(stripped)
            except ValueError:
                return {}
            return _normalize_json(data) if isinstance(data, dict) else {}
        return {}
    if ctype == "application/x-www-form-urlencoded":
        return parse_form(text)
    return {}  # PHP fills $_POST for form bodies only (multipart 'json' field: not emulated)


def split_path(path):
    """Return path params for /api_v3/... or None if the path is not an API path.
    /api_v3/service/S/action/A/k/v and /api_v3/index.php/k/v...: pairs, first wins (§4.1)."""
    m = re.match(r"^/(?:api_v3|api)(?:/index\.php)?(/.*)?$", path)
    if not m:
        return None
    rest = (m.group(1) or "/").strip("/")
    segs = [urllib.parse.unquote(s) for s in rest.split("/")] if rest else []
    params = {}
    for i in range(0, len(segs) - 1, 2):
        if segs[i] and segs[i] not in params:
            params[segs[i]] = segs[i + 1]
    if len(segs) % 2 == 1 and segs[-1] not in params and segs[-1]:
        # '/api_v3/service/multirequest' style: a trailing key without a value
        params.setdefault(segs[-1], "")
    return params


def merge_params(body_params, query_params, path_params):
    """§4.2: path > query > body."""
    flat_path = {}
    for k, v in path_params.items():
        _set_path(flat_path, k, v)
    return _replace_recursive(_replace_recursive(body_params, query_params), flat_path)


# ---------------------------------------------------------------- responses (§4.5, §4.6)

def php_json(value):
    """PHP json_encode defaults: '/' as '\\/', non-ASCII as \\uXXXX, compact."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


def _drop_nulls(value):
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def error_as_json_obj(exc):
    args = {n: v for n, v in exc.args_} if exc.args_ else []  # empty PHP array -> []
    return {"code": exc.code, "message": exc.message, "objectType": "KalturaAPIException",
            "args": args}


def to_json(result):
    if isinstance(result, KalturaAPIException):
        return php_json(error_as_json_obj(result))
    return php_json(_drop_nulls(result))


def _xml_value(value, ignore_null):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dict):
        parts = []
        if "objectType" in value:  # objects start with <objectType> (§4.5)
            parts.append(f"<objectType>{_xml_text(value['objectType'])}</objectType>")
        for k, v in value.items():
            if k == "objectType" or (v is None and ignore_null):
                continue
            parts.append(f"<{k}>{_xml_value(v, ignore_null)}</{k}>")
        return "".join(parts)
    if isinstance(value, list):
        return "".join(f"<item>{_xml_value(v, ignore_null)}</item>" for v in value)
    return _xml_text(value)


def _xml_text(value):
    return _xml_escape(str(value), {'"': "&quot;", "'": "&apos;"})


def to_xml(result, execution_time=0.001, ignore_null=False):
    if isinstance(result, KalturaAPIException):
        # Real servers (C serializer) put objectType first (§4.6, issue NodeJS#9).
        args = "".join(
            "<item><objectType>KalturaApiExceptionArg</objectType>"
            f"<name>{_xml_text(n)}</name><value>{_xml_text(v)}</value></item>" for n, v in result.args_)
        inner = (f"<error><objectType>KalturaAPIException</objectType><code>{_xml_text(result.code)}</code>"
                 f"<message>{_xml_text(result.message)}</message><args>{args}</args></error>")
    else:
        inner = _xml_value(result, ignore_null)
    return ('<?xml version="1.0" encoding="utf-8"?><xml><result>' + inner +
            f"</result><executionTime>{execution_time:.6f}</executionTime></xml>")
