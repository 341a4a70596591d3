"""emuctl.py, tests/lib/with-emulator.sh and the emulator process itself."""
import json
import os
import signal
import subprocess
import time
import unittest

import emuclient
import emutest
import taptest

HERE = os.path.dirname(os.path.abspath(__file__))
EMUCTL = os.path.join(HERE, "emuctl.py")
WITH_EMU = os.path.join(HERE, "..", "lib", "with-emulator.sh")
PY = "/usr/bin/python3"


class Emuctl(emutest.EmuTestCase):
    def ctl(self, *args, check=True):
        env = dict(os.environ, KC_EMU_STATE=self.emu.info["state_dir"])
        p = subprocess.run([PY, EMUCTL, *args], env=env, capture_output=True, text=True, timeout=20)
        if check and p.returncode != 0:
            self.fail(f"emuctl {args}: rc={p.returncode} {p.stderr}")
        return p

    def test_create_token_prints_id_and_token(self):
        out = self.ctl("create-token", "--hash", "SHA512", "--session-user-id", "carol",
                       "--session-type", "2", "--duration", "120", "--expiry", "3600",
                       "--privileges", "setrole:3", "--description", "x y").stdout
        tid, token = out.split()
        self.assertEqual(self.emu.stats()["total"], 0)  # emuctl's API calls are not counted
        self.assertRegex(tid, r"^0_[0-9a-z]{8}$")
        self.assertRegex(token, r"^[0-9a-f]{32}$")
        got = self.emu.api("apptoken", "get", {"ks": self.emu.admin_ks(), "id": tid})
        self.assertEqual((got["token"], got["hashType"], got["sessionUserId"], got["sessionType"],
                          got["sessionDuration"], got["sessionPrivileges"], got["description"]),
                         (token, "SHA512", "carol", 2, 120, "setrole:3", "x y"))
        self.assertAlmostEqual(got["expiry"], time.time() + 3600, delta=5)

    def test_create_token_for_other_partner(self):
        tid, _ = self.ctl("create-token", "--partner", "54321").stdout.split()
        self.assertEqual(self.emu.api("apptoken", "get", {"ks": self.emu.admin_ks(54321),
                                                          "id": tid})["partnerId"], 54321)

    def test_token_status_delete_validate(self):
        tok = json.loads(self.ctl("create-token", "--json").stdout)
        session = self.start_session(tok)["ks"]
        v = self.ctl("validate", session)
        self.assertEqual(v.returncode, 0)
        self.assertTrue(json.loads(v.stdout)["valid"])
        self.ctl("set-token-status", tok["id"], "disabled")
        with self.assertRaises(emuclient.ApiError) as cm:
            self.start_session(tok)
        self.assertEqual(cm.exception.code, "APP_TOKEN_NOT_ACTIVE")
        self.ctl("set-token-status", tok["id"], "active")
        self.start_session(tok)
        self.ctl("delete-token", tok["id"])
        v = self.ctl("validate", session, check=False)
        self.assertEqual(v.returncode, 1)
        self.assertEqual(json.loads(v.stdout)["message"], 'Invalid KS "LOGOUT", Error "-1,INVALID_STR"')
        self.assertEqual(self.ctl("validate", "garbage", check=False).returncode, 1)

    def test_fault_latency_clock_stats(self):
        self.ctl("fault", "http503", "--count", "1", "--action", "session.startWidgetSession")
        self.assertEqual(self.emu.call("session", "startWidgetSession", {"widgetId": "_12345"})[0], 503)
        self.ctl("fault", "http500")
        self.assertEqual(json.loads(self.ctl("faults").stdout),
                         [{"mode": "http500", "count": None, "action": None}])
        self.ctl("fault", "none")
        self.assertEqual(json.loads(self.ctl("faults").stdout), [])
        st = json.loads(self.ctl("stats").stdout)
        self.assertEqual(st["requests"], {"session.startwidgetsession": 1})
        self.ctl("reset-stats")
        self.assertEqual(json.loads(self.ctl("stats").stdout)["total"], 0)
        self.ctl("latency", "50")
        self.ctl("clock-offset", "1000")
        w = self.widget()
        self.assertAlmostEqual(int(self.parse_ks(w).valid_until), time.time() + 1000 + 86400, delta=5)
        self.assertEqual(self.ctl("fault", "bogus", check=False).returncode, 2)

    def test_partner_command(self):
        out = json.loads(self.ctl("partner", "4444", "--admin-secret", "abc", "--ks-version", "1").stdout)
        self.assertEqual((out["id"], out["ks_version"]), (4444, 1))
        self.assertEqual(self.parse_ks(self.widget(4444)).version, 1)

    def test_no_state(self):
        env = {k: v for k, v in os.environ.items() if k != "KC_EMU_STATE"}
        p = subprocess.run([PY, EMUCTL, "stats"], env=env, capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("KC_EMU_STATE", p.stderr)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


class WithEmulator(unittest.TestCase):
    def run_with(self, script, env=None):
        return subprocess.run([WITH_EMU, "sh", "-c", script], capture_output=True, text=True,
                              timeout=30, env=dict(os.environ, **(env or {})))

    def test_exports_and_exit_status(self):
        script = ('for v in KC_EMU_STATE KC_EMU_URL KC_EMU_HTTP_URL KC_EMU_CA KC_EMU_OTHER_CA '
                  'KC_EMU_PARTNER KC_EMU_ADMIN_SECRET KC_EMU_CONTROL KC_EMU_PID; do '
                  'eval "echo $v=\\$$v"; done; '
                  f'{PY} {EMUCTL} create-token >/dev/null || exit 99; exit 7')
        p = self.run_with(script)
        self.assertEqual(p.returncode, 7, p.stderr)
        env = dict(line.split("=", 1) for line in p.stdout.split())
        self.assertRegex(env["KC_EMU_URL"], r"^https://localhost:\d+$")
        self.assertRegex(env["KC_EMU_HTTP_URL"], r"^http://127\.0\.0\.1:\d+$")
        self.assertEqual(env["KC_EMU_CONTROL"], env["KC_EMU_HTTP_URL"] + "/__emulator")
        self.assertEqual(env["KC_EMU_CA"], env["KC_EMU_STATE"] + "/ca.pem")
        self.assertEqual(env["KC_EMU_PARTNER"], "12345")
        # afterwards: the emulator is gone and the dir removed
        self.assertFalse(os.path.exists(env["KC_EMU_STATE"]))
        self.assertFalse(_alive(int(env["KC_EMU_PID"])))

    def test_success_and_cleanup_when_cmd_is_killed(self):
        p = self.run_with('echo "$KC_EMU_PID $KC_EMU_STATE"; kill -KILL $$')
        self.assertEqual(p.returncode, 137)
        pid, state = p.stdout.split()
        self.assertFalse(_alive(int(pid)))
        self.assertFalse(os.path.exists(state))
        self.assertEqual(self.run_with("true").returncode, 0)

    def test_emulator_args(self):
        p = self.run_with(f'{PY} -c "import json,sys; print(json.load(open(sys.argv[1]))[\'ks_version\'])" '
                          '"$KC_EMU_STATE/emulator.json"', env={"KC_EMU_ARGS": "--ks-version 1"})
        self.assertEqual(p.stdout.strip(), "1", p.stderr)

    def test_start_failure_is_125(self):
        p = self.run_with("exit 0", env={"KC_EMU_ARGS": "--no-such-option"})
        self.assertEqual(p.returncode, 125)


class Process(unittest.TestCase):
    def test_json_listeners_and_prompt_sigterm(self):
        emu = emuclient.Emulator.start()
        try:
            info = emu.info
            for key in ("https_url", "http_url", "control_url", "partner_id", "admin_secret",
                        "ca_file", "other_ca_file", "pid"):
                self.assertIn(key, info)
            self.assertEqual(info["pid"], emu.proc.pid)
            self.assertEqual(sorted(os.listdir(info["state_dir"])),
                             ["ca.pem", "emulator.json", "other-ca.pem", "server.key", "server.pem"])
            self.assertEqual(self._listen_addresses(emu.proc.pid),
                             {("127.0.0.1", info["https_port"]), ("127.0.0.1", info["http_port"])})
            emu.control("fault", mode="hang")
            hung = emu.connection(timeout=30)
            hung.request("GET", "/api_v3/service/system/action/ping")
            time.sleep(0.3)
            t0 = time.monotonic()
            emu.proc.send_signal(signal.SIGTERM)
            self.assertEqual(emu.proc.wait(5), 0)
            self.assertLess(time.monotonic() - t0, taptest.scaled(2.0))
            self.assertFalse(os.path.exists(os.path.join(info["state_dir"], "emulator.json")))
            hung.close()
        finally:
            emu.stop()

    @staticmethod
    def _listen_addresses(pid):
        inodes = set()
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
        found = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as f:
                for row in f.read().splitlines()[1:]:
                    cols = row.split()
                    if cols[3] == "0A" and cols[9] in inodes:  # LISTEN
                        addr, port = cols[1].split(":")
                        ip = ".".join(str(int(addr[i:i + 2], 16)) for i in (6, 4, 2, 0)) \
                            if len(addr) == 8 else addr
                        found.add((ip, int(port, 16)))
        return found


if __name__ == "__main__":
    taptest.main()
