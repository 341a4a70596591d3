"""The api_v3 wire protocol (§4): URL forms, methods and bodies, params, formats, errors."""
import json
import urllib.parse
import xml.etree.ElementTree as ET

import emutest
import taptest

WIDGET = {"widgetId": "_12345", "format": 1}


def q(params):
    return urllib.parse.urlencode(params)


class UrlForms(emutest.EmuTestCase):
    def ok(self, resp):
        out = self.json_body(resp)
        self.assertEqual(out.get("objectType"), "KalturaStartWidgetSessionResponse", out)
        return out

    def test_every_url_form_and_method(self):
        raw = self.emu.raw
        svc = {"service": "session", "action": "startWidgetSession"}
        self.ok(raw("GET", "/api_v3/service/session/action/startWidgetSession?" + q(WIDGET)))
        self.ok(raw("GET", "/api_v3/index.php?" + q({**svc, **WIDGET})))
        self.ok(raw("GET", "/api_v3/?" + q({**svc, **WIDGET})))
        self.ok(raw("GET", "/api_v3/index.php/service/session/action/startWidgetSession?" + q(WIDGET)))
        self.ok(raw("GET", "/api/service/session/action/startWidgetSession?" + q(WIDGET)))
        self.ok(raw("GET", "/api_v3/service/session/action/startWidgetSession/widgetId/_12345/format/1"))
        self.ok(raw("POST", "/api_v3/index.php", q({**svc, **WIDGET}),
                    {"Content-Type": "application/x-www-form-urlencoded"}))
        self.ok(raw("POST", "/api_v3/service/session/action/startWidgetSession", json.dumps(WIDGET),
                    {"Content-Type": "application/json"}))
        self.ok(raw("POST", "/api_v3/service/session/action/startWidgetSession", json.dumps(WIDGET),
                    {"Content-Type": "application/json; charset=utf-8"}))
        self.ok(raw("POST", "/api_v3/index.php", json.dumps({**svc, **WIDGET}),
                    {"Content-Type": "Application/JSON"}))

    def test_client_helpers_all_ways(self):
        for how in ("json", "form", "get", "path"):
            with self.subTest(how=how):
                self.ok(self.emu.call("session", "startWidgetSession", {"widgetId": "_12345"}, how=how))

    def test_case_insensitive_names(self):
        self.ok(self.emu.raw("GET", "/api_v3/service/SESSION/action/StartWidgetSESSION?" + q(WIDGET)))
        tok = self.token()
        w = self.widget()
        from ks import app_token_hash
        self.emu.api("appToken", "startsession",
                     {"ks": w, "id": tok["id"], "tokenHash": app_token_hash("SHA1", w, tok["token"])})

    def test_precedence_path_over_query_over_body(self):
        body = {"widgetId": "_body", "format": 1}
        path = "/api_v3/service/session/action/startWidgetSession"
        hdr = {"Content-Type": "application/json"}
        e = self.json_body(self.emu.raw("POST", path + "?widgetId=_query", json.dumps(body), hdr))
        self.assertEqual(e["args"], {"WIDGET_ID": "_query"})
        e = self.json_body(self.emu.raw("POST", path + "/widgetId/_path?widgetId=_query",
                                        json.dumps(body), hdr))
        self.assertEqual(e["args"], {"WIDGET_ID": "_path"})
        e = self.json_body(self.emu.raw("POST", path, json.dumps(body), hdr))
        self.assertEqual(e["args"], {"WIDGET_ID": "_body"})
        # path pairs: first occurrence wins
        e = self.json_body(self.emu.raw("GET", path + "/widgetId/_first/widgetId/_second/format/1"))
        self.assertEqual(e["args"], {"WIDGET_ID": "_first"})

    def test_form_body_needs_form_content_type(self):
        e = self.json_body(self.emu.raw("POST", "/api_v3/service/session/action/startWidgetSession?format=1",
                                        q({"widgetId": "_12345"}), {"Content-Type": "text/plain"}))
        self.assertEqual(e["code"], "MISSING_MANDATORY_PARAMETER")

    def test_unknown_path_is_404(self):
        self.assertEqual(self.emu.raw("GET", "/nothing")[0], 404)

    def test_options(self):
        status, headers, body = self.emu.raw("OPTIONS", "/api_v3/service/session/action/start")
        self.assertEqual((status, body), (200, b""))
        self.assertEqual(headers["access-control-allow-origin"], "*")


class NestedParams(emutest.EmuTestCase):
    def test_colon_form_keys(self):
        admin = self.emu.admin_ks()
        for how in ("form", "get", "json"):
            with self.subTest(how=how):
                if how == "json":
                    params = {"ks": admin, "appToken:hashType": "SHA256",
                              "appToken:objectType": "KalturaAppToken"}
                else:
                    params = {"ks": admin, "appToken": {"objectType": "KalturaAppToken",
                                                        "hashType": "SHA256"}}
                tok = json.loads(self.emu.call("apptoken", "add", params, how=how)[2])
                self.assertEqual(tok["hashType"], "SHA256", tok)

    def test_php_bracket_keys(self):
        admin = self.emu.admin_ks()
        body = q({"ks": admin, "format": 1, "appToken[hashType]": "MD5"})
        tok = self.json_body(self.emu.raw("POST", "/api_v3/service/apptoken/action/add", body,
                                          {"Content-Type": "application/x-www-form-urlencoded"}))
        self.assertEqual(tok["hashType"], "MD5")

    def test_json_nested_object(self):
        tok = self.emu.api("apptoken", "add", {"ks": self.emu.admin_ks(), "appToken": {
            "objectType": "KalturaAppToken", "hashType": "SHA512", "sessionDuration": 77}})
        self.assertEqual((tok["hashType"], tok["sessionDuration"]), ("SHA512", 77))

    def test_null_marker(self):
        # userId__null: the param is null, as the Python client sends None (§4.3)
        tok = self.token()
        w = self.widget()
        from ks import app_token_hash
        out = json.loads(self.emu.call("apptoken", "startSession", {
            "ks": w, "id": tok["id"], "tokenHash": app_token_hash("SHA1", w, tok["token"]),
            "userId": None}, how="form")[2])
        self.assertNotIn("userId", out)
        self.assertEqual(out["objectType"], "KalturaSessionInfo")
        # a mandatory param set to null is missing
        e = self.json_body(self.emu.call("session", "startWidgetSession", {"widgetId": None}, how="form"))
        self.assertEqual(e["code"], "MISSING_MANDATORY_PARAMETER")


class Formats(emutest.EmuTestCase):
    def test_default_is_xml(self):
        status, headers, body = self.emu.call("session", "startWidgetSession",
                                              {"widgetId": "_12345"}, fmt=None)
        self.assertEqual(headers["content-type"], "text/xml")
        self.assertTrue(body.startswith(b'<?xml version="1.0" encoding="utf-8"?><xml><result>'))
        root = ET.fromstring(body)
        res = root.find("result")
        self.assertEqual([c.tag for c in res], ["objectType", "partnerId", "ks", "userId"])
        self.assertEqual((res.findtext("objectType"), res.findtext("userId"), res.findtext("partnerId")),
                         ("KalturaStartWidgetSessionResponse", "0", "12345"))
        self.assertIsNotNone(root.find("executionTime"))

    def test_format_2_xml_error_and_null(self):
        body = self.emu.call("session", "startWidgetSession", {"widgetId": "_1&<"}, fmt=2)[2]
        self.assertIn(b"<message>Unknown widget [_1&amp;&lt;]</message>", body)
        err = ET.fromstring(body).find("result/error")
        self.assertEqual([c.tag for c in err], ["objectType", "code", "message", "args"])
        item = err.find("args/item")
        self.assertEqual((item.findtext("objectType"), item.findtext("name"), item.findtext("value")),
                         ("KalturaApiExceptionArg", "WIDGET_ID", "_1&<"))
        end = self.emu.call("session", "end", {}, fmt=2)[2]
        self.assertIn(b"<result></result>", end)

    def test_xml_list_items(self):
        self.token()
        body = self.emu.call("apptoken", "list", {"ks": self.emu.admin_ks()}, fmt=2)[2]
        items = ET.fromstring(body).findall("result/objects/item")
        self.assertGreaterEqual(len(items), 1)
        self.assertEqual(items[0].findtext("objectType"), "KalturaAppToken")

    def test_json_error_layout(self):
        body = self.emu.call("apptoken", "get", {"ks": self.emu.admin_ks(), "id": "0_x"})[2]
        self.assertEqual(body.decode(), '{"code":"APP_TOKEN_ID_NOT_FOUND","message":"Application token '
                                        'id \\"0_x\\" not found","objectType":"KalturaAPIException",'
                                        '"args":{"ID":"0_x"}}')
        tok = self.token()
        body = self.emu.call("apptoken", "startSession", {"ks": self.widget(), "id": tok["id"],
                                                           "tokenHash": "00"})[2]
        self.assertEqual(body.decode(), '{"code":"INVALID_APP_TOKEN_HASH","message":"Invalid application '
                                        'token hash","objectType":"KalturaAPIException","args":[]}')

    def test_php_json_escaping(self):
        tok = self.token()
        w = self.widget()
        from ks import app_token_hash
        body = self.emu.call("apptoken", "startSession", {
            "ks": w, "id": tok["id"], "tokenHash": app_token_hash("SHA1", w, tok["token"]),
            "userId": "j\u00e9r\u00f4me", "sessionPrivileges": "view:a/b"})[2].decode()
        self.assertIn('"userId":"j\\u00e9r\\u00f4me"', body)
        self.assertIn("view:a\\/b", body)
        self.assertTrue(body.isascii())
        self.assertEqual(json.loads(body)["privileges"].split(",")[-1], "view:a/b")

    def test_v1_ks_slash_escaped(self):
        # v1 is standard base64: '???' in the info guarantees a '/' (a 0x3F byte on a 3-byte
        # boundary), and the JSON answer must carry it as '\/'.
        secret = self.emu.control("partners")["54321"]["admin_secret"]
        body = self.emu.call("session", "start", {"secret": secret, "partnerId": 54321,
                                                  "userId": "???"})[2].decode()
        ks = json.loads(body)
        self.assertIn("/", ks)
        self.assertEqual(body, '"' + ks.replace("/", "\\/") + '"')

    def test_json_scalar_results(self):
        self.assertEqual(self.emu.call("session", "end", {})[2], b"null")
        self.assertEqual(self.emu.call("system", "ping", {})[2], b"true")
        body = self.emu.call("session", "start", {"secret": self.emu.admin_secret,
                                                  "partnerId": self.pid})[2]
        self.assertRegex(body.decode(), r'^"djJ8[A-Za-z0-9_=-]+"$')

    def test_jsonp(self):
        body = self.emu.call("system", "ping", {"callback": "cb.x"}, fmt=9)[2]
        self.assertEqual(body, b"cb.x(true);")

    def test_unknown_response_format(self):
        for fmt in ("5", "json", "0"):
            with self.subTest(fmt=fmt):
                status, headers, body = self.emu.call("system", "ping", {"format": fmt}, fmt=None)
                self.assertEqual(headers["content-type"], "text/xml")
                err = ET.fromstring(body).find("result/error")
                self.assertEqual(err.findtext("code"), "UNKNOWN_RESPONSE_FORMAT")
                self.assertEqual(err.findtext("message"),
                                 f"Response format provided [{fmt}] is not recognized by server")


class GenericErrors(emutest.EmuTestCase):
    def test_service_and_action(self):
        e = self.json_body(self.emu.raw("GET", "/api_v3/index.php?format=1"))
        self.assertEqual((e["code"], e["message"], e["args"]),
                         ("SERVICE_NOT_SPECIFIED", "Service name was not specified, please specify one", []))
        self.assertApiError("SERVICE_DOES_NOT_EXISTS", "NoSuch", "list", {},
                            args={"SRV_NAME": "nosuch"}, message='Service "nosuch" does not exists')
        self.assertApiError("ACTION_DOES_NOT_EXISTS", "session", "Fly", {},
                            args={"ACTION_NAME": "fly", "SERVICE_NAME": "session"},
                            message='Action "fly" does not exists for service "session"')

    def test_dispatch_order(self):
        # unknown action beats a bad KS; a bad KS beats missing params; missing params beat
        # SERVICE_FORBIDDEN (KalturaDispatcher::dispatch order)
        self.assertApiError("ACTION_DOES_NOT_EXISTS", "apptoken", "nope", {"ks": "bad"})
        self.assertApiError("INVALID_KS", "apptoken", "startSession", {"ks": "bad"})
        self.assertApiError("MISSING_MANDATORY_PARAMETER", "apptoken", "startSession", {})
        self.assertApiError("SERVICE_FORBIDDEN", "apptoken", "get", {"id": "x"})

    def test_errors_are_http_200(self):
        status, _, body = self.emu.call("session", "get", {"ks": "bad"})
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["objectType"], "KalturaAPIException")


if __name__ == "__main__":
    taptest.main()
