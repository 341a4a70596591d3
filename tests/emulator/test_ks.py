"""KS v1/v2 and app-token hash: the doc/kaltura-api.md §5.4 vectors and the §2/§5 rules (no server)."""
import base64
import unittest

import emutest
import ks
import taptest

SECRET = "0123456789abcdef0123456789abcdef"
TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
V2 = ("djJ8MTIzNDV8AZjSBOczIAVk1HR2mRxggOeMp-tmyIe6Enajr3NpKjj_QyyjTA7ey2fHPu1DSRJq3mhbpqBrii64sV_"
      "RSKWhDKTQ0BCFdEakF_gbylwMupM=")
V1 = ("NzA2Y2UwNjU5YjZiNmViZDhjYjczY2Y2YTY0NmY2NzhlYTRhNGEzMHwxMjM0NTsxMjM0NTsxNzAwMDAwMDAwOzA7MTY5O"
      "TkxMzYwMC4xMjM0OzA7dmlldzoqLHdpZGdldDoxOzs=")


def secrets(pid):
    return [SECRET] if pid == "12345" else None


class Vectors(emutest.InlineSubTests, unittest.TestCase):
    def test_v2_vector(self):
        got = ks.generate_v2(SECRET, 12345, 1700000000, 0, 0, "view:*,widget:1",
                             rand16=bytes(range(16)))
        self.assertEqual(got, V2)

    def test_v2_fields_query(self):
        self.assertEqual(ks.http_build_query({"view": "*", "widget": "1", "_e": 1700000000,
                                              "_t": 0, "_u": 0, "_m": None, "_d": None}),
                         "view=%2A&widget=1&_e=1700000000&_t=0&_u=0")

    def test_v1_vector(self):
        got = ks.generate_v1(SECRET, 12345, 1700000000, 0, 0, "view:*,widget:1",
                             rand="1699913600.1234")
        self.assertEqual(got, V1)
        self.assertTrue(base64.b64decode(got).startswith(b"706ce0659b6b6ebd8cb73cf6a646f678ea4a4a30|"))

    def test_app_token_hash_vectors(self):
        expected = {
            "MD5": "b54f5014b7e15b77788ad258c8c74c82",
            "SHA1": "3c511532f93118520de7f82d587690bc381cc264",
            "SHA256": "72f36995e37ab7db6fa48e09ecddf9b0d9a521a187e7ea9b505280b8133e8fbf",
            "SHA512": "d579831f74649f4f32ac4f1fcf7b35d69c27ea2c851ac2b81b8e6f820bf5a797caea941455f4"
                      "26e55a8c46cae6def1419ae2b88ac3772df34523dc6ded23969a",
        }
        for algo, digest in expected.items():
            with self.subTest(algo=algo):
                self.assertEqual(ks.app_token_hash(algo, V2, TOKEN), digest)


class Parse(emutest.InlineSubTests, unittest.TestCase):
    def test_parse_v2_vector(self):
        k = ks.parse(V2, secrets)
        self.assertEqual((k.version, k.partner_id, k.valid_until, k.type, k.user, k.privileges),
                         (2, "12345", "1700000000", "0", "0", "view:*,widget:1"))
        self.assertEqual(k.rand, bytes(range(16)).hex())
        self.assertTrue(k.is_widget_session())
        self.assertEqual(len(k.hash), 40)

    def test_parse_v1_vector(self):
        k = ks.parse(V1, secrets)
        self.assertEqual((k.version, k.partner_id, k.valid_until, k.type, k.user, k.privileges,
                          k.rand, k.hash),
                         (1, "12345", "1700000000", "0", "0", "view:*,widget:1", "1699913600.1234",
                          "706ce0659b6b6ebd8cb73cf6a646f678ea4a4a30"))
        self.assertTrue(k.is_widget_session())

    def test_other_secret_rejected(self):
        other = lambda pid: ["ffffffffffffffffffffffffffffffff"]  # noqa: E731
        self.assertIsNone(ks.parse(V2, other))
        self.assertIsNone(ks.parse(V1, other))

    def test_any_of_several_secrets(self):
        several = lambda pid: ["nope", SECRET]  # noqa: E731
        self.assertIsNotNone(ks.parse(V2, several))
        self.assertIsNotNone(ks.parse(V1, several))

    def test_unknown_partner_and_garbage(self):
        self.assertIsNone(ks.parse(V2, lambda pid: None))
        for bad in ("", "djJ8", "not base64!", V2[:-8], V2.replace("A", "B", 1), "djJ8MTIzNDV8"):
            with self.subTest(bad=bad):
                self.assertIsNone(ks.parse(bad, secrets))

    def test_php_base64_leniency(self):
        # PHP strict base64 still accepts missing '=' and ignores whitespace (§5.2).
        self.assertIsNotNone(ks.parse(V2.rstrip("="), secrets))
        self.assertIsNotNone(ks.parse(V2[:20] + "\n" + V2[20:], secrets))

    def test_roundtrip_admin_with_user_and_privileges(self):
        s = ks.generate_v2(SECRET, 12345, 1800000000, 2, "a b~c", "*,edit:1/2,x,edit:3")
        k = ks.parse(s, secrets)
        self.assertEqual(k.user, "a b~c")
        self.assertEqual(k.type, "2")
        # repeated name keeps its first position, last value wins; '*' travels as all:*
        self.assertEqual(k.privileges, "all:*,edit:3,x")
        self.assertTrue(k.is_admin())
        self.assertFalse(k.is_widget_session())

    def test_star_alone_roundtrips(self):
        self.assertEqual(ks.parse(ks.generate_v2(SECRET, 12345, 1, 2, "u", "*"), secrets).privileges, "*")

    def test_null_user_omits_u(self):
        s = ks.generate_v2(SECRET, 12345, 1800000000, 0, None, "sessionid:x")
        self.assertIsNone(ks.parse(s, secrets).user)

    def test_php_urlencode(self):
        self.assertEqual(ks.php_urlencode("a b*/:~-_.é"), "a+b%2A%2F%3A%7E-_.%C3%A9")


class Privileges(unittest.TestCase):
    def test_parse_build(self):
        p = ks.parse_privileges("a:1/2,b,a:3,c:")
        self.assertEqual(p, {"a": ["1", "2", "3"], "b": [], "c": []})
        self.assertEqual(ks.build_privileges(p), "a:1/2/3,b,c")

    def test_merge_example_from_notes(self):
        self.assertEqual(
            ks.merge_app_token_privileges("0_abc12345", "setrole:7,privacycontext:myctx",
                                          "view:*,setrole:9"),
            "sessionid:0_abc12345,apptoken:0_abc12345,setrole:7,privacycontext:myctx,view:*")

    def test_merge_server_privilege_dropped_unless_token_has_star(self):
        self.assertEqual(ks.merge_app_token_privileges("t", None, "setrole:5,edit:1,foo:bar"),
                         "sessionid:t,apptoken:t,foo:bar")
        self.assertEqual(ks.merge_app_token_privileges("t", "setrole:*", "setrole:5"),
                         "sessionid:t,apptoken:t,setrole:5")

    def test_merge_cannot_override_sessionid(self):
        self.assertEqual(ks.merge_app_token_privileges("t", "", "sessionid:evil,apptoken:evil"),
                         "sessionid:t,apptoken:t")

    def test_merge_recursive_concatenates(self):
        self.assertEqual(ks.merge_app_token_privileges("t", "sessionid:u", None),
                         "sessionid:t/u,apptoken:t")


if __name__ == "__main__":
    taptest.main()
