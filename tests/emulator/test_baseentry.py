"""baseEntry.list against the emulator: the empty KalturaBaseEntryListResponse, for any valid
KS (user, widget, admin), and the KS checks every action has (invalid, expired, ended, none)."""
import json

import emutest
import taptest

EMPTY = '{"objects":[],"totalCount":0,"objectType":"KalturaBaseEntryListResponse"}'


class BaseEntryList(emutest.EmuTestCase):
    def app_ks(self):
        return self.start_session(self.token())["ks"]

    def test_empty_list_for_every_ks_type(self):
        for kind, ks in (("app token (user)", self.app_ks()), ("widget", self.widget()),
                         ("admin", self.emu.admin_ks())):
            with self.subTest(kind=kind):
                for how in ("json", "form", "get"):
                    status, headers, body = self.emu.call("baseEntry", "list", {"ks": ks},
                                                          how=how)
                    self.assertEqual(status, 200)
                    self.assertTrue(headers["content-type"].startswith("application/json"))
                    self.assertEqual(body.decode(), EMPTY)

    def test_filter_and_pager_are_accepted(self):
        params = {"ks": self.app_ks(),
                  "filter": {"objectType": "KalturaBaseEntryFilter", "nameLike": "x"},
                  "pager": {"objectType": "KalturaFilterPager", "pageSize": 5, "pageIndex": 2}}
        for how in ("json", "form"):
            with self.subTest(how=how):
                self.assertEqual(self.emu.api("baseentry", "list", params, how=how),
                                 json.loads(EMPTY))

    def test_xml(self):
        status, _, body = self.emu.call("baseEntry", "list", {"ks": self.app_ks()}, fmt=None)
        self.assertEqual(status, 200)
        self.assertIn("<result><objectType>KalturaBaseEntryListResponse</objectType>"
                      "<objects></objects><totalCount>0</totalCount></result>", body.decode())

    def test_ks_is_checked(self):
        self.assertApiError("SERVICE_FORBIDDEN", "baseEntry", "list", {"partnerId": self.pid})
        self.assertApiError("SERVICE_FORBIDDEN", "baseEntry", "list", {})
        self.assertApiError("MISSING_KS", "baseEntry", "list", {"partnerId": 99999})
        self.assertApiError("INVALID_KS", "baseEntry", "list", {"ks": "bogus"})
        ks = self.app_ks()
        self.emu.api("session", "end", {"ks": ks})
        e = self.assertApiError("INVALID_KS", "baseEntry", "list", {"ks": ks})
        self.assertIn("LOGOUT", e.message)
        ks = self.app_ks()
        self.emu.control("clock-offset", seconds=2 * 86400)
        e = self.assertApiError("INVALID_KS", "baseEntry", "list", {"ks": ks})
        self.assertIn("EXPIRED", e.message)

    def test_counted(self):
        ks = self.app_ks()
        self.emu.control("reset-stats")
        self.emu.api("baseentry", "list", {"ks": ks})
        self.assertEqual(self.emu.stats()["requests"], {"baseentry.list": 1})


if __name__ == "__main__":
    taptest.main()
