"""appToken.* against the emulator: startSession (§2) and the CRUD actions (§6)."""
import time

import emutest
import ks as ksmod
import taptest


class StartSession(emutest.EmuTestCase):
    def test_every_hash_type(self):
        for algo in ("SHA1", "MD5", "SHA256", "SHA512"):
            with self.subTest(algo=algo):
                tok = self.token(hash_type=algo)
                out = self.start_session(tok)
                self.assertEqual(list(out), ["ks", "sessionType", "partnerId", "expiry",
                                             "privileges", "objectType"])  # userId null: dropped
                self.assertEqual(out["objectType"], "KalturaSessionInfo")
                self.assertEqual(out["privileges"], f"sessionid:{tok['id']},apptoken:{tok['id']}")
                self.assertEqual((out["sessionType"], out["partnerId"]), (0, 12345))
                v = self.emu.control("validate", ks=out["ks"])
                self.assertTrue(v["valid"])
                self.assertEqual(v["privileges"], out["privileges"])
                self.assertEqual(v["expiry"], out["expiry"])

    def test_default_hash_is_sha1(self):
        tok = self.token()
        self.assertEqual(tok["hashType"], "SHA1")
        self.start_session(tok, hash_type="SHA1")

    def test_wrong_hash(self):
        tok = self.token(hash_type="SHA256")
        w = self.widget()
        good = ksmod.app_token_hash("SHA256", w, tok["token"])
        bad_hashes = {
            "uppercase": good.upper(),
            "other algorithm": ksmod.app_token_hash("SHA1", w, tok["token"]),
            "hash of another KS": ksmod.app_token_hash("SHA256", self.widget(), tok["token"]),
            "token id instead of token": ksmod.app_token_hash("SHA256", w, tok["id"]),
            "token before KS": ksmod.app_token_hash("SHA256", tok["token"], w),
            "empty": "",
        }
        for name, h in bad_hashes.items():
            with self.subTest(name=name):
                self.assertApiError("INVALID_APP_TOKEN_HASH", "apptoken", "startSession",
                                    {"ks": w, "id": tok["id"], "tokenHash": h}, args=[],
                                    message="Invalid application token hash")

    def test_hash_covers_the_exact_ks_string_sent(self):
        tok = self.token()
        w = self.widget() + "\n"  # still a valid KS (whitespace is ignored when decoding)
        ok = ksmod.app_token_hash("SHA1", w, tok["token"])
        self.emu.api("apptoken", "startSession", {"ks": w, "id": tok["id"], "tokenHash": ok})
        stripped = ksmod.app_token_hash("SHA1", w.strip(), tok["token"])
        self.assertApiError("INVALID_APP_TOKEN_HASH", "apptoken", "startSession",
                            {"ks": w, "id": tok["id"], "tokenHash": stripped})

    def test_error_precedence(self):
        w = self.widget()
        past = int(time.time()) - 1000
        expired = self.token(expiry=past)
        disabled_expired = self.token(expiry=past)
        self.emu.control("token-status", id=disabled_expired["id"], status="disabled")
        deleted = self.token()
        self.emu.delete_token(deleted["id"])

        def call(tok, h="bad"):
            return {"ks": w, "id": tok["id"], "tokenHash": h}
        self.assertApiError("APP_TOKEN_ID_NOT_FOUND", "apptoken", "startSession", call(deleted),
                            args={"ID": deleted["id"]},
                            message=f'Application token id "{deleted["id"]}" not found')
        self.assertApiError("APP_TOKEN_ID_NOT_FOUND", "apptoken", "startSession",
                            {"ks": w, "id": "0_nothere", "tokenHash": "x"})
        self.assertApiError("APP_TOKEN_NOT_ACTIVE", "apptoken", "startSession",
                            call(disabled_expired), args={"ID": disabled_expired["id"]},
                            message=f'Application token id "{disabled_expired["id"]}" not active')
        self.assertApiError("INVALID_APP_TOKEN_HASH", "apptoken", "startSession", call(expired))
        good = ksmod.app_token_hash("SHA1", w, expired["token"])
        self.assertApiError("APP_TOKEN_EXPIRED", "apptoken", "startSession", call(expired, good),
                            args={"ID": expired["id"]},
                            message=f'Application token id "{expired["id"]}" expired')

    def test_token_expires_with_the_clock(self):
        tok = self.token(expiry=100)  # relative: now + 100
        self.assertAlmostEqual(tok["expiry"], time.time() + 100, delta=5)
        self.start_session(tok)
        self.emu.control("clock-offset", seconds=200)
        with self.assertRaises(emutest.emuclient.ApiError) as cm:
            self.start_session(tok)
        self.assertEqual(cm.exception.code, "APP_TOKEN_EXPIRED")

    def test_expiry_capping(self):
        tok = self.token(duration=600)
        for asked, expected in ((None, 600), (0, 600), (100, 100), (100000, 600)):
            with self.subTest(asked=asked):
                params = {} if asked is None else {"expiry": asked}
                out = self.start_session(tok, **params)
                self.assertAlmostEqual(out["expiry"], time.time() + expected, delta=3)
        short = self.token(duration=600, expiry=300)
        self.assertAlmostEqual(self.start_session(short)["expiry"], time.time() + 300, delta=3)
        default = self.token()
        self.assertEqual(default["sessionDuration"], 86400)

    def test_type_and_user_from_token_win(self):
        tok = self.token(session_type=2, session_user_id="alice")
        out = self.start_session(tok, type=0, userId="bob")
        self.assertEqual((out["sessionType"], out["userId"]), (2, "alice"))
        k = self.parse_ks(out["ks"])
        self.assertEqual((k.type, k.user), ("2", "alice"))

    def test_type_and_user_from_request(self):
        tok = self.token()
        out = self.start_session(tok, type=2, userId="bob")
        self.assertEqual((out["sessionType"], out["userId"]), (2, "bob"))
        out = self.start_session(tok)
        self.assertEqual(out["sessionType"], 0)
        self.assertNotIn("userId", out)
        self.assertIsNone(self.parse_ks(out["ks"]).user)

    def test_invalid_type(self):
        tok = self.token()
        w = self.widget()
        h = ksmod.app_token_hash("SHA1", w, tok["token"])
        self.assertApiError("INVALID_ENUM_VALUE", "apptoken", "startSession",
                            {"ks": w, "id": tok["id"], "tokenHash": h, "type": 1},
                            message='Invalid enumeration value "1" for parameter "type", expecting '
                                    'enumeration type "KalturaSessionType"',
                            args={"ENUM_VAL": "1", "PARAM_NAME": "type",
                                  "ENUM_TYPE": "KalturaSessionType"})

    def test_privilege_merge_example(self):
        tok = self.token(privileges="setrole:7,privacycontext:myctx")
        out = self.start_session(tok, sessionPrivileges="view:*,setrole:9")
        tid = tok["id"]
        self.assertEqual(out["privileges"],
                         f"sessionid:{tid},apptoken:{tid},setrole:7,privacycontext:myctx,view:*")
        self.assertEqual(self.parse_ks(out["ks"]).privileges, out["privileges"])

    def test_privilege_override_needs_star_on_token(self):
        tok = self.token(privileges="setrole:*")
        out = self.start_session(tok, sessionPrivileges="setrole:5,edit:1")
        self.assertEqual(out["privileges"], f"sessionid:{tok['id']},apptoken:{tok['id']},setrole:5")

    def test_widget_ks_reusable_and_each_ks_new(self):
        tok = self.token()
        w = self.widget()
        first = self.start_session(tok, ks=w)["ks"]
        second = self.start_session(tok, ks=w)["ks"]
        self.assertNotEqual(first, second)
        self.assertTrue(self.emu.control("validate", ks=w)["valid"])

    def test_any_ks_of_the_partner_works(self):
        tok = self.token()
        self.start_session(tok, ks=self.emu.admin_ks())
        user = self.emu.api("session", "start", {"secret": self.emu.info["user_secret"],
                                                 "partnerId": self.pid, "userId": "u"})
        self.start_session(tok, ks=user)

    def test_partner_comes_from_ks(self):
        tok = self.token()
        other = self.widget(54321)
        self.assertApiError("APP_TOKEN_ID_NOT_FOUND", "apptoken", "startSession",
                            {"ks": other, "id": tok["id"],
                             "tokenHash": ksmod.app_token_hash("SHA1", other, tok["token"])})

    def test_v1_partner_mints_v1(self):
        tok = self.token(partner=54321)
        out = self.start_session(tok)
        self.assertEqual(self.parse_ks(out["ks"]).version, 1)
        self.assertEqual(out["partnerId"], 54321)

    def test_without_ks(self):
        self.assertApiError("SERVICE_FORBIDDEN", "apptoken", "startSession",
                            {"id": "0_x", "tokenHash": "x"},
                            args={"SERVICE": "apptoken->startSession"},
                            message="The access to service [apptoken->startSession] is forbidden")
        self.assertApiError("SERVICE_FORBIDDEN", "apptoken", "startSession",
                            {"id": "0_x", "tokenHash": "x", "partnerId": self.pid})
        self.assertApiError("MISSING_KS", "apptoken", "startSession",
                            {"id": "0_x", "tokenHash": "x", "partnerId": 99999}, args=[])

    def test_missing_mandatory(self):
        w = self.widget()
        self.assertApiError("MISSING_MANDATORY_PARAMETER", "apptoken", "startSession",
                            {"ks": w, "tokenHash": "x"}, args={"PARAM_NAME": "id"},
                            message='Missing parameter "id"')
        self.assertApiError("MISSING_MANDATORY_PARAMETER", "apptoken", "startSession",
                            {"ks": w, "id": "0_x"}, args={"PARAM_NAME": "tokenHash"})

    def test_expired_widget_ks_rejected(self):
        tok = self.token()
        w = self.emu.api("session", "startWidgetSession", {"widgetId": "_12345", "expiry": 10})["ks"]
        self.emu.control("clock-offset", seconds=20)
        with self.assertRaises(emutest.emuclient.ApiError) as cm:
            self.start_session(tok, ks=w)
        self.assertEqual((cm.exception.code, cm.exception.args_["KSID"]), ("INVALID_KS", "EXPIRED"))

    def test_ks_signed_with_other_secret_rejected(self):
        tok = self.token()
        forged = ksmod.generate_v2("0" * 32, 12345, int(time.time()) + 600, 0, 0, "view:*,widget:1")
        with self.assertRaises(emutest.emuclient.ApiError) as cm:
            self.start_session(tok, ks=forged)
        self.assertEqual((cm.exception.code, cm.exception.args_["KSID"]), ("INVALID_KS", forged))

    def test_ended_ks_rejected(self):
        tok = self.token()
        session = self.start_session(tok)["ks"]
        self.emu.api("session", "end", {"ks": session})
        with self.assertRaises(emutest.emuclient.ApiError) as cm:
            self.start_session(tok, ks=session)
        self.assertEqual((cm.exception.code, cm.exception.args_["KSID"]), ("INVALID_KS", "LOGOUT"))


class Lifecycle(emutest.EmuTestCase):
    def test_delete_invalidates_issued_sessions(self):
        tok = self.token()
        other = self.token()
        s1, s2 = self.start_session(tok)["ks"], self.start_session(tok)["ks"]
        keep = self.start_session(other)["ks"]
        self.assertIsNone(self.emu.delete_token(tok["id"]))
        for s in (s1, s2):
            v = self.emu.control("validate", ks=s)
            self.assertEqual((v["valid"], v["message"]),
                             (False, 'Invalid KS "LOGOUT", Error "-1,INVALID_STR"'))
            self.assertApiError("INVALID_KS", "session", "startWidgetSession",
                                {"widgetId": "_12345", "ks": s})
        self.assertTrue(self.emu.control("validate", ks=keep)["valid"])
        with self.assertRaises(emutest.emuclient.ApiError) as cm:
            self.start_session(tok)
        self.assertEqual(cm.exception.code, "APP_TOKEN_ID_NOT_FOUND")

    def test_disable_blocks_new_sessions_only(self):
        tok = self.token()
        issued = self.start_session(tok)["ks"]
        self.emu.control("token-status", id=tok["id"], status="disabled")
        with self.assertRaises(emutest.emuclient.ApiError) as cm:
            self.start_session(tok)
        self.assertEqual(cm.exception.code, "APP_TOKEN_NOT_ACTIVE")
        self.assertTrue(self.emu.control("validate", ks=issued)["valid"])
        self.emu.control("token-status", id=tok["id"], status="active")
        self.start_session(tok)


class Crud(emutest.EmuTestCase):
    def test_add_shape(self):
        tok = self.token(hash_type="SHA512", description="d", session_user_id="u@x.org",
                         session_type=0, duration=300, expiry=3600, privileges="a:b")
        self.assertRegex(tok["id"], r"^0_[0-9a-z]{8}$")
        self.assertRegex(tok["token"], r"^[0-9a-f]{32}$")
        self.assertEqual(list(tok), ["id", "token", "partnerId", "createdAt", "updatedAt", "status",
                                     "expiry", "sessionType", "sessionUserId", "sessionDuration",
                                     "sessionPrivileges", "hashType", "description", "objectType"])
        self.assertEqual((tok["status"], tok["partnerId"], tok["sessionDuration"]), (2, 12345, 300))

    def test_get_list_update_delete(self):
        admin = self.emu.admin_ks()
        a = self.token(description="a")
        b = self.token(session_user_id="bob")
        got = self.emu.api("apptoken", "get", {"ks": admin, "id": a["id"]})
        self.assertEqual(got, a)
        lst = self.emu.api("apptoken", "list", {"ks": admin, "filter": {"idIn": f"{a['id']},{b['id']}"}})
        self.assertEqual(lst["objectType"], "KalturaAppTokenListResponse")
        self.assertEqual((lst["totalCount"], sorted(o["id"] for o in lst["objects"])),
                         (2, sorted([a["id"], b["id"]])))
        only_bob = self.emu.api("apptoken", "list", {"ks": admin, "filter": {
            "objectType": "KalturaAppTokenFilter", "sessionUserIdEqual": "bob"}})
        self.assertEqual([o["id"] for o in only_bob["objects"]], [b["id"]])
        page = self.emu.api("apptoken", "list", {"ks": admin, "pager": {"pageSize": 1}})
        self.assertEqual(len(page["objects"]), 1)
        self.assertGreaterEqual(page["totalCount"], 2)
        upd = self.emu.api("apptoken", "update", {"ks": admin, "id": a["id"], "appToken": {
            "objectType": "KalturaAppToken", "hashType": "MD5", "description__null": ""}})
        self.assertEqual(upd["hashType"], "MD5")
        self.assertNotIn("description", upd)
        self.start_session(upd)
        self.assertIsNone(self.emu.api("apptoken", "delete", {"ks": admin, "id": a["id"]}))
        self.assertApiError("APP_TOKEN_ID_NOT_FOUND", "apptoken", "get", {"ks": admin, "id": a["id"]})
        lst = self.emu.api("apptoken", "list", {"ks": admin})
        self.assertNotIn(a["id"], [o["id"] for o in lst["objects"]])

    def test_list_order_and_status_filter(self):
        admin = self.emu.admin_ks()
        first = self.token()
        second = self.token()
        self.emu.control("token-status", id=first["id"], status="disabled")
        ids = [first["id"], second["id"]]
        base = {"idIn": ",".join(ids)}
        desc = self.emu.api("apptoken", "list", {"ks": admin, "filter": dict(base, orderBy="-createdAt")})
        asc = self.emu.api("apptoken", "list", {"ks": admin, "filter": dict(base, orderBy="+createdAt")})
        self.assertEqual([o["id"] for o in desc["objects"]], [o["id"] for o in asc["objects"]][::-1])
        disabled = self.emu.api("apptoken", "list", {"ks": admin, "filter": dict(base, statusEqual=1)})
        self.assertEqual([(o["id"], o["status"]) for o in disabled["objects"]], [(first["id"], 1)])

    def test_other_partner_cannot_see_token(self):
        tok = self.token()
        self.assertApiError("APP_TOKEN_ID_NOT_FOUND", "apptoken", "get",
                            {"ks": self.emu.admin_ks(54321), "id": tok["id"]})

    def test_invalid_values(self):
        admin = self.emu.admin_ks()
        self.assertApiError("INVALID_ENUM_VALUE", "apptoken", "add",
                            {"ks": admin, "appToken": {"hashType": "SHA384"}},
                            args={"ENUM_VAL": "SHA384", "PARAM_NAME": "hashType",
                                  "ENUM_TYPE": "KalturaAppTokenHashType"})
        self.assertApiError("INVALID_FIELD_VALUE", "apptoken", "add",
                            {"ks": admin, "appToken": {"sessionUserId": "bad user"}},
                            args={"FIELD_NAME": "sessionUserId"},
                            message="value in field [sessionUserId] is not valid")
        self.assertApiError("INVALID_ENUM_VALUE", "apptoken", "add",
                            {"ks": admin, "appToken": {"sessionType": 1}})
        self.assertApiError("MISSING_MANDATORY_PARAMETER", "apptoken", "add", {"ks": admin},
                            args={"PARAM_NAME": "appToken"})

    def test_admin_only(self):
        for ks in (self.widget(), self.emu.api("session", "start", {
                "secret": self.emu.info["user_secret"], "partnerId": self.pid})):
            for action, params in (("add", {"appToken": {}}), ("list", {}), ("get", {"id": "x"}),
                                   ("delete", {"id": "x"})):
                with self.subTest(action=action):
                    params = dict(params, ks=ks)
                    self.assertApiError("SERVICE_FORBIDDEN", "apptoken", action, params,
                                        args={"SERVICE": f"apptoken->{action}"})


if __name__ == "__main__":
    taptest.main()
