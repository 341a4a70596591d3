"""`status --json` with the emulator and a real gnome-keyring (tests/lib/with-keyring.sh): one
object, every profile with its setup, token state (stored, not_stored, locked) and cached KS;
never a token or a KS. The locked case runs last: a collection locked in a session stays so."""
import json
import subprocess
import time

import taptest
from kchelper import HelperTest, create_token, emu_url


class StatusJson(HelperTest):
    backend = "service"

    def status(self, *args, **kw):
        p = self.sb.run(*args, "status", "--json", **kw)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.endswith(b"\n") and p.stdout.count(b"\n") == 1, p.stdout)
        return p, json.loads(p.stdout)

    def test_a_profiles(self):
        tid, tok = create_token()
        self.sb.login(tid, tok)
        ks = self.sb.run("ks").stdout.decode().strip()
        other, _ = create_token()
        with open(self.sb.config, "a") as f:
            f.write(f"[other]\nservice_url = {emu_url()}\npartner_id = 12345\n"
                    f"app_token_id = {other}\nhash_function = sha256\ncache = false\n"
                    "[half]\npartner_id = 7\n")
        p, d = self.status()
        self.assertEqual(list(d), ["profiles"])
        byname = {x["name"]: x for x in d["profiles"]}
        self.assertEqual(sorted(byname), ["default", "half", "other"])
        dflt = byname["default"]
        self.assertEqual(dflt["serviceUrl"], emu_url())
        self.assertEqual(dflt["partnerId"], 12345)
        self.assertEqual(dflt["appTokenId"], tid)
        self.assertEqual(dflt["hashFunction"], "sha1")
        self.assertIs(dflt["complete"], True)
        self.assertEqual(dflt["token"], "stored")
        self.assertIs(dflt["cache"], True)
        left = dflt["cachedKs"]["expiry"] - time.time()
        self.assertLess(abs(dflt["cachedKs"]["secondsLeft"] - left), 5)
        self.assertGreater(left, 3600)
        o = byname["other"]
        self.assertEqual((o["token"], o["cache"], o["cachedKs"], o["hashFunction"]),
                         ("not_stored", False, None, "sha256"))
        h = byname["half"]
        self.assertEqual((h["complete"], h["token"], h["appTokenId"], h["partnerId"]),
                         (False, None, None, 7))
        self.assertNotIn(tok.encode(), p.stdout + p.stderr)
        self.assertNotIn(ks.encode(), p.stdout + p.stderr)
        _, one = self.status("--profile", "other")
        self.assertEqual([x["name"] for x in one["profiles"]], ["other"])
        _, env = self.status(env={"KALTURA_CREDENTIAL_PROFILE": "half"})
        self.assertEqual([x["name"] for x in env["profiles"]], ["half"])

    def test_b_errors(self):
        self.assertFails(self.sb.run("status", "--json"), 5, "no profiles configured")
        self.sb.write_config("[default]\npartner_id = 1\n")
        self.assertFails(self.sb.run("--profile", "nosuch", "status", "--json"), 5, "nosuch")
        self.assertFails(self.sb.run("status", "--yaml"), 2, "--yaml")
        self.assertFails(self.sb.run("status", "json"), 2)

    def test_z_locked(self):
        tid, tok = create_token()
        self.sb.login(tid, tok)
        subprocess.run(["gdbus", "call", "--session", "--dest", "org.freedesktop.secrets",
                        "--object-path", "/org/freedesktop/secrets", "--method",
                        "org.freedesktop.Secret.Service.Lock",
                        "['/org/freedesktop/secrets/collection/login']"],
                       check=True, capture_output=True, timeout=30)
        _, d = self.status()
        self.assertEqual(d["profiles"][0]["token"], "locked")


if __name__ == "__main__":
    taptest.main()
