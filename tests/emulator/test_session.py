"""session.* against the emulator: widget sessions, session.start/get/end, KS validation."""
import base64
import json
import time

import emutest
import ks as ksmod
import taptest


class WidgetSession(emutest.EmuTestCase):
    def test_json_shape_and_ks_contents(self):
        status, _, body = self.emu.call("session", "startWidgetSession", {"widgetId": "_12345"})
        self.assertEqual(status, 200)
        text = body.decode()
        self.assertRegex(text, r'^\{"partnerId":12345,"ks":"djJ8[A-Za-z0-9_=-]+","userId":0,'
                               r'"objectType":"KalturaStartWidgetSessionResponse"\}$')
        k = self.parse_ks(json.loads(text)["ks"])
        self.assertEqual((k.type, k.user, k.privileges), ("0", "0", "view:*,widget:1"))
        self.assertTrue(k.is_widget_session())
        self.assertAlmostEqual(int(k.valid_until), time.time() + 86400, delta=5)

    def test_expiry_is_capped_at_partner_max(self):
        for asked, expected in ((60, 60), (999999, 86400), (0, 86400)):
            with self.subTest(asked=asked):
                ks = self.emu.api("session", "startWidgetSession",
                                  {"widgetId": "_12345", "expiry": asked})["ks"]
                self.assertAlmostEqual(int(self.parse_ks(ks).valid_until), time.time() + expected,
                                       delta=5)

    def test_fresh_ks_every_call(self):
        self.assertNotEqual(self.widget(), self.widget())

    def test_invalid_widget_id(self):
        for wid in ("_99999", "12345", "_0", ""):
            with self.subTest(wid=wid):
                self.assertApiError("INVALID_WIDGET_ID", "session", "startWidgetSession",
                                    {"widgetId": wid}, args={"WIDGET_ID": wid},
                                    message=f"Unknown widget [{wid}]")

    def test_missing_widget_id(self):
        self.assertApiError("MISSING_MANDATORY_PARAMETER", "session", "startWidgetSession", {},
                            args={"PARAM_NAME": "widgetId"}, message='Missing parameter "widgetId"')

    def test_ks_param_is_validated_even_here(self):
        self.assertApiError("INVALID_KS", "session", "startWidgetSession",
                            {"widgetId": "_12345", "ks": "bogus"})

    def test_v1_partner(self):
        ks = self.widget(54321)
        self.assertFalse(base64.b64decode(ks).startswith(b"v2|"))
        k = self.parse_ks(ks)
        self.assertEqual((k.version, k.partner_id, k.privileges), (1, "54321", "view:*,widget:1"))
        self.assertTrue(self.emu.control("validate", ks=ks)["valid"])

    def test_partner_ks_version_switch(self):
        self.emu.control("partner", id=777, admin_secret="s" * 32, ks_version=1)
        self.assertEqual(self.parse_ks(self.widget(777)).version, 1)
        self.emu.control("partner", id=777, ks_version=2)
        self.assertEqual(self.parse_ks(self.widget(777)).version, 2)


class KsValidation(emutest.EmuTestCase):
    def test_expired_widget_ks(self):
        ks = self.emu.api("session", "startWidgetSession", {"widgetId": "_12345", "expiry": 30})["ks"]
        self.emu.control("clock-offset", seconds=28)
        self.assertEqual(self.emu.control("validate", ks=ks)["valid"], True)
        self.emu.control("clock-offset", seconds=30)  # valid_until <= now is expired
        self.assertApiError("INVALID_KS", "session", "startWidgetSession",
                            {"widgetId": "_12345", "ks": ks},
                            message='Invalid KS "EXPIRED", Error "-1,INVALID_STR"',
                            args={"KSID": "EXPIRED", "ERR_CODE": "-1", "ERR_DESC": "INVALID_STR"})

    def test_other_secret(self):
        forged = ksmod.generate_v2("f" * 32, 12345, int(time.time()) + 3600, 2, "x", "")
        self.assertApiError("INVALID_KS", "session", "get", {"ks": forged},
                            message=f'Invalid KS "{forged}", Error "-1,INVALID_STR"',
                            args={"KSID": forged, "ERR_CODE": "-1", "ERR_DESC": "INVALID_STR"})
        forged1 = ksmod.generate_v1("f" * 32, 54321, int(time.time()) + 3600, 2, "x", "")
        self.assertApiError("INVALID_KS", "session", "get", {"ks": forged1})

    def test_unknown_partner_and_garbage(self):
        for bad in (ksmod.generate_v2("x", 4242, int(time.time()) + 60, 2, "", ""), "garbage", "djJ8"):
            with self.subTest(bad=bad):
                self.assertApiError("INVALID_KS", "session", "get", {"ks": bad},
                                    args={"KSID": bad, "ERR_CODE": "-1", "ERR_DESC": "INVALID_STR"})

    def test_partner_param_must_match_ks(self):
        w = self.widget()
        self.emu.api("session", "startWidgetSession", {"widgetId": "_12345", "ks": w, "partnerId": 12345})
        self.assertApiError("INVALID_KS", "session", "startWidgetSession",
                            {"widgetId": "_12345", "ks": w, "partnerId": 54321},
                            args={"KSID": "INVALID_PARTNER", "ERR_CODE": "-1", "ERR_DESC": "INVALID_STR"})

    def test_empty_ks_is_no_ks(self):
        out = self.emu.api("session", "startWidgetSession", {"widgetId": "_12345", "ks": ""})
        self.assertIn("ks", out)

    def test_validate_reports_fields(self):
        ks = self.emu.admin_ks(userId="admin")
        v = self.emu.control("validate", ks=ks)
        self.assertEqual((v["valid"], v["partnerId"], v["userId"], v["type"], v["widget"]),
                         (True, 12345, "admin", 2, False))
        bad = self.emu.control("validate", ks=ks[:-4])
        self.assertEqual((bad["valid"], bad["code"]), (False, "INVALID_KS"))


class SessionStart(emutest.EmuTestCase):
    def test_admin_and_user(self):
        admin = self.emu.api("session", "start", {"secret": self.emu.admin_secret,
                                                  "partnerId": self.pid, "type": 2, "userId": "u1"})
        k = self.parse_ks(admin)
        self.assertEqual((k.type, k.user), ("2", "u1"))
        user = self.emu.api("session", "start", {"secret": self.emu.info["user_secret"],
                                                 "partnerId": self.pid})
        k = self.parse_ks(user)
        self.assertEqual((k.type, k.user), ("0", ""))

    def test_raw_json_is_a_string(self):
        body = self.json_body(self.emu.call("session", "start", {
            "secret": self.emu.admin_secret, "partnerId": self.pid}))
        self.assertIsInstance(body, str)

    def test_start_session_error(self):
        cases = [{"secret": "wrong", "partnerId": self.pid},
                 {"secret": self.emu.info["user_secret"], "partnerId": self.pid, "type": 2},
                 {"secret": self.emu.admin_secret, "partnerId": 99999}]
        for params in cases:
            with self.subTest(params=params):
                e = self.assertApiError("START_SESSION_ERROR", "session", "start", params)
                self.assertEqual(e.message, f"Error while starting session for partner "
                                            f"[{params['partnerId']}]")

    def test_invalid_enum_type(self):
        for bad in ("1", "3", "true", "admin"):
            with self.subTest(bad=bad):
                self.assertApiError("INVALID_ENUM_VALUE", "session", "start",
                                    {"secret": self.emu.admin_secret, "partnerId": self.pid,
                                     "type": bad},
                                    args={"ENUM_VAL": bad, "PARAM_NAME": "type",
                                          "ENUM_TYPE": "KalturaSessionType"})

    def test_missing_secret(self):
        self.assertApiError("MISSING_MANDATORY_PARAMETER", "session", "start", {"partnerId": 1},
                            args={"PARAM_NAME": "secret"})


class SessionGet(emutest.EmuTestCase):
    def test_get_own_and_other(self):
        admin = self.emu.admin_ks(userId="boss")
        own = self.emu.api("session", "get", {"ks": admin})
        self.assertNotIn("ks", own)
        self.assertEqual(list(own), ["sessionType", "partnerId", "userId", "expiry", "privileges",
                                     "objectType"])
        self.assertEqual((own["sessionType"], own["partnerId"], own["userId"]), (2, 12345, "boss"))
        w = self.widget()
        info = self.emu.api("session", "get", {"ks": admin, "session": w})
        self.assertEqual((info["sessionType"], info["userId"], info["privileges"]),
                         (0, "0", "view:*,widget:1"))

    def test_get_does_not_check_expiry_of_argument(self):
        w = self.emu.api("session", "startWidgetSession", {"widgetId": "_12345", "expiry": 5})["ks"]
        self.emu.control("clock-offset", seconds=10)
        admin2 = self.emu.admin_ks()
        self.assertEqual(self.emu.api("session", "get", {"ks": admin2, "session": w})["partnerId"],
                         12345)
        self.assertApiError("INVALID_KS", "session", "startWidgetSession",
                            {"widgetId": "_12345", "ks": w})  # as a request KS it is expired

    def test_forbidden_for_widget_and_no_ks(self):
        self.assertApiError("SERVICE_FORBIDDEN", "session", "get", {"ks": self.widget()},
                            args={"SERVICE": "session->get"},
                            message="The access to service [session->get] is forbidden")
        self.assertApiError("SERVICE_FORBIDDEN", "session", "get", {})
        status, headers, _ = self.emu.call("session", "get", {})
        self.assertEqual(headers.get("x-kaltura"), "error-SERVICE_FORBIDDEN")

    def test_missing_ks_for_unknown_partner(self):
        self.assertApiError("MISSING_KS", "session", "get", {"partnerId": 99999}, args=[],
                            message="Missing KS, session not established")

    def test_unparsable_session_argument(self):
        self.assertApiError("INTERNAL_SERVERL_ERROR", "session", "get",
                            {"ks": self.emu.admin_ks(), "session": "nonsense"},
                            message="Internal server error occurred")

    def test_partner_access_forbidden(self):
        self.assertApiError("PARTNER_ACCESS_FORBIDDEN", "session", "get",
                            {"ks": self.emu.admin_ks(), "session": self.widget(54321)},
                            args={"ACCESSING_PID": "12345", "ACCESSED_PID": "54321"})


class SessionEnd(emutest.EmuTestCase):
    def test_end_invalidates_that_ks_only(self):
        a1, a2 = self.emu.admin_ks(), self.emu.admin_ks()
        self.assertIsNone(self.emu.api("session", "end", {"ks": a1}))
        self.assertApiError("INVALID_KS", "session", "get", {"ks": a1},
                            message='Invalid KS "LOGOUT", Error "-1,INVALID_STR"',
                            args={"KSID": "LOGOUT", "ERR_CODE": "-1", "ERR_DESC": "INVALID_STR"})
        self.assertEqual(self.emu.api("session", "get", {"ks": a2})["partnerId"], 12345)
        self.assertFalse(self.emu.control("validate", ks=a1)["valid"])

    def test_widget_ks_is_never_invalidated(self):
        w = self.widget()
        self.assertIsNone(self.emu.api("session", "end", {"ks": w}))
        self.assertTrue(self.emu.control("validate", ks=w)["valid"])
        self.emu.api("session", "startWidgetSession", {"widgetId": "_12345", "ks": w})

    def test_end_without_ks(self):
        self.assertIsNone(self.emu.api("session", "end", {}))


if __name__ == "__main__":
    taptest.main()
