"""Transport behaviour: fault modes, latency, stats, keep-alive, concurrency and TLS."""
import email.utils
import http.client
import json
import socket
import ssl
import threading
import time

import emutest
import taptest

WIDGET = ("session", "startWidgetSession", {"widgetId": "_12345"})


class Faults(emutest.EmuTestCase):
    def fault(self, mode, **kw):
        self.emu.control("fault", mode=mode, **kw)

    def widget_call(self, **kw):
        return self.emu.call(*WIDGET, **kw)

    def test_http_status_faults(self):
        for mode, code in (("http500", 500), ("http503", 503)):
            with self.subTest(mode=mode):
                self.fault(mode, count=1)
                status, headers, body = self.widget_call()
                self.assertEqual(status, code)
                self.assertIn("text/html", headers["content-type"])
                self.assertEqual(self.widget_call()[0], 200)  # count=1: next one is fine

    def test_date_header_follows_the_clock(self):
        """An answer's Date is on the emulator's clock, as the KSs it mints are."""
        for offset in (0, 5000, -5000):
            with self.subTest(offset=offset):
                self.emu.control("clock-offset", seconds=offset)
                _, headers, _ = self.widget_call()
                date = email.utils.parsedate_to_datetime(headers["date"]).timestamp()
                self.assertAlmostEqual(date, time.time() + offset, delta=3)

    def test_date_faults(self):
        self.fault("date_none", count=1)
        status, headers, _ = self.widget_call()
        self.assertEqual((status, "date" in headers), (200, False))
        self.fault("date_garbage", count=1)
        status, headers, _ = self.widget_call()
        self.assertEqual((status, headers["date"]), (200, "yesterday, around noon"))
        self.fault("date_stale", count=1)
        date = email.utils.parsedate_to_datetime(self.widget_call()[1]["date"]).timestamp()
        self.assertAlmostEqual(date, time.time() - 86400, delta=3)
        self.assertIsNotNone(email.utils.parsedate_to_datetime(self.widget_call()[1]["date"]))

    def test_redirect(self):
        self.fault("redirect", count=1)
        status, headers, _ = self.widget_call()
        self.assertEqual((status, headers["location"]), (302, "http://127.0.0.2:9/"))

    def test_redirect_leak(self):
        self.fault("redirect_leak", count=1)
        status, headers, _ = self.emu.call("session", "end", {"ks": "kc-marker"})
        self.assertEqual(status, 302)
        self.assertEqual(headers["location"], "http://kc-user:kc-secret@127.0.0.2:9/api_v3/"
                         "index.php?ks=kc-marker#kc-fragment")

    def test_deep_nesting(self):
        self.fault("deep_nesting", count=1)
        status, headers, body = self.widget_call()
        self.assertEqual((status, headers["content-type"]), (200, "application/json"))
        self.assertLess(len(body), 64 * 1024)
        depth = len(body) // 2
        self.assertGreater(depth, 30000)
        self.assertEqual(body, b"[" * depth + b"]" * depth)

    def test_reset(self):
        self.fault("reset", count=1)
        with self.assertRaises(ConnectionResetError):
            self.widget_call()
        self.assertEqual(self.widget_call()[0], 200)

    def test_hang_does_not_block_others(self):
        """A hanging request holds its own connection only: another one is answered while the
        first is still hanging (an event, not a duration: the first is still unanswered when
        the second returns)."""
        self.fault("hang", count=1)
        hung = threading.Event()
        done = {}

        def hanging():
            t0 = time.monotonic()
            try:
                self.widget_call(timeout=taptest.scaled(3))
                done["result"] = "answered"
            except (TimeoutError, socket.timeout):
                done["result"] = "timeout"
            done["elapsed"] = time.monotonic() - t0
        t = threading.Thread(target=hanging)
        t.start()
        # the hang fired: the emulator counted it (the first request is now being held)
        for _ in range(1000):
            if self.emu.stats()["faults_fired"].get("hang"):
                hung.set()
                break
            time.sleep(0.01)
        self.assertTrue(hung.is_set(), "the hang fault never fired")
        self.assertEqual(self.widget_call()[0], 200)  # served while the other one hangs
        self.assertNotIn("result", done, "the hanging request ended before the other was served")
        t.join()
        self.assertEqual(done["result"], "timeout")
        self.assertGreaterEqual(done["elapsed"], taptest.scaled(3) - 0.1)

    def test_slow_drip(self):
        self.fault("slow_drip", count=1)
        s = socket.create_connection((self.emu.host, self.emu.port))
        s.sendall(b"GET /api_v3/service/system/action/ping?format=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(0.2)
        got = b""
        t_end = time.monotonic() + 1.6
        while time.monotonic() < t_end:
            try:
                got += s.recv(100)
            except socket.timeout:
                pass
        s.close()
        self.assertTrue(b"HTTP/1.1 200 OK".startswith(got) and 1 <= len(got) <= 3, got)

    def test_garbage(self):
        self.fault("garbage", count=1)
        status, _, body = self.widget_call()
        self.assertEqual(status, 200)
        with self.assertRaises(ValueError):
            json.loads(body)

    def test_oversized(self):
        self.fault("oversized", count=1)
        status, headers, body = self.widget_call()
        self.assertGreaterEqual(len(body), 16 * 1024 * 1024)
        self.assertEqual(json.loads(body)["objectType"], "KalturaStartWidgetSessionResponse")

    def test_truncated_json(self):
        self.fault("truncated_json", count=1)
        status, headers, body = self.widget_call()
        self.assertEqual(int(headers["content-length"]), len(body))
        self.assertTrue(body.startswith(b'{"partnerId":12345'))
        with self.assertRaises(ValueError):
            json.loads(body)

    def test_wrong_content_type(self):
        self.fault("wrong_content_type", count=1)
        status, headers, body = self.widget_call()
        self.assertTrue(headers["content-type"].startswith("text/html"))
        self.assertIn("ks", json.loads(body))

    def start(self):
        tok = self.token()
        return self.start_session(tok)

    def test_ks_faults_hit_start_session_only(self):
        checks = {"ks_newline": lambda ks: "\n" in ks,
                  "ks_nul": lambda ks: "\0" in ks,
                  "ks_huge": lambda ks: len(ks) >= 1024 * 1024}
        for mode, check in checks.items():
            with self.subTest(mode=mode):
                self.fault(mode, count=1)
                w = self.widget()  # not affected: the default target is apptoken.startSession
                self.assertTrue(self.emu.control("validate", ks=w)["valid"])
                self.assertTrue(check(self.start()["ks"]))
                self.assertFalse(check(self.start()["ks"]))
        self.fault("ks_nul", count=1)
        body = self.emu.call("apptoken", "startSession", {"ks": "x"}, fmt=1)[2]
        self.assertNotIn(b"\\u0000", body)  # the error answer consumed the count unaltered
        self.fault("ks_newline", count=1, action="session.startWidgetSession")
        self.assertIn("\n", self.widget())

    def test_unicode_line_breaks(self):
        """ks_u2028 / ks_u0085 / user_u2028: a character that Python's str.splitlines() (not
        git) breaks lines at, inside the startSession answer's ks or userId."""
        for mode, ch in (("ks_u2028", "\u2028"), ("ks_u0085", "\u0085")):
            with self.subTest(mode=mode):
                self.fault(mode, count=1)
                ks = self.start()["ks"]
                self.assertIn(ch, ks)
                self.assertEqual(len(ks.splitlines()), 2)
                self.assertNotIn(ch, self.start()["ks"])
        self.fault("user_u2028", count=1)
        user = self.start()["userId"]
        self.assertEqual(user.splitlines(), ["kc-user", "password=kc-injected"])

    def test_ks_foreign(self):
        """ks_foreign: a KS the emulator itself accepts, of another partner than asked for."""
        self.fault("ks_foreign", count=1)
        out = self.start()
        self.assertEqual(out["partnerId"], 12345)
        v = self.emu.control("validate", ks=out["ks"])
        self.assertTrue(v["valid"], v)
        self.assertEqual(v["partnerId"], 54321)
        v = self.emu.control("validate", ks=self.start()["ks"])
        self.assertEqual(v["partnerId"], 12345)

    def test_expiry_past(self):
        self.fault("expiry_past", count=1)
        self.assertLess(self.start()["expiry"], time.time())
        self.assertGreater(self.start()["expiry"], time.time())

    def test_numeric_strings(self):
        self.fault("numeric_strings", action="apptoken.startSession")
        out = self.start()
        self.assertEqual((type(out["partnerId"]), type(out["expiry"]), type(out["sessionType"])),
                         (str, str, str))
        self.assertEqual(out["partnerId"], "12345")
        self.assertIsInstance(self.emu.api(*WIDGET)["partnerId"], int)  # other actions unaffected

    def test_count_action_filter_and_none(self):
        self.fault("http503", count=2, action="system.ping")
        self.assertEqual(self.widget_call()[0], 200)
        self.assertEqual([self.emu.call("system", "ping")[0] for _ in range(3)], [503, 503, 200])
        self.fault("http500")  # no count: every request
        self.assertEqual([self.widget_call()[0] for _ in range(3)], [500, 500, 500])
        self.fault("none")
        self.assertEqual(self.widget_call()[0], 200)
        self.assertEqual(self.emu.stats()["faults_fired"], {"http503": 2, "http500": 3})

    def test_unknown_mode_rejected(self):
        with self.assertRaises(RuntimeError):
            self.fault("explode")

    def test_latency(self):
        """Latency is added to every answer while set, and gone once reset: a large contrast
        (3 s with, well under 3 s without), so a busy machine cannot blur it."""
        self.emu.control("latency", ms=3000)
        t0 = time.monotonic()
        self.assertEqual(self.widget_call()[0], 200)
        self.assertGreaterEqual(time.monotonic() - t0, 3.0)
        self.emu.control("latency", ms=0)
        t0 = time.monotonic()
        self.widget_call()
        self.assertLess(time.monotonic() - t0, taptest.scaled(1.5))


class Stats(emutest.EmuTestCase):
    def test_counts_per_action_and_ignores_control(self):
        self.emu.api(*WIDGET)
        self.emu.api(*WIDGET)
        self.emu.call("system", "ping")
        self.emu.call("nosuch", "thing")
        self.emu.control("faults")
        self.token()  # emuctl-style internal calls are not counted
        st = self.emu.stats()
        self.assertEqual(st["requests"], {"session.startwidgetsession": 2, "system.ping": 1,
                                          "nosuch.thing": 1})
        self.assertEqual((st["total"], st["connections"]), (4, 4))
        self.emu.control("reset-stats")
        st = self.emu.stats()
        self.assertEqual((st["requests"], st["total"], st["connections"]), ({}, 0, 0))

    def test_faulted_requests_count(self):
        self.emu.control("fault", mode="http500", count=1)
        self.emu.call(*WIDGET)
        self.assertEqual(self.emu.stats()["requests"], {"session.startwidgetsession": 1})

    def test_keep_alive_is_one_connection(self):
        conn = self.emu.connection()
        for _ in range(2):
            status, _, _ = self.emu.call(*WIDGET, conn=conn)
            self.assertEqual(status, 200)
        conn.close()
        st = self.emu.stats()
        self.assertEqual((st["total"], st["connections"]), (2, 1))
        self.assertEqual(st["connections_by_listener"], {"https": 0, "http": 1})

    def test_keep_alive_answers_not_held_by_nagle(self):
        # Headers and body are two writes; without TCP_NODELAY every answer after the first
        # on a keep-alive connection waits for the client's delayed ACK (see server.Handler).
        import server
        self.assertTrue(server.Handler.disable_nagle_algorithm)

    def test_64_concurrent_connections(self):
        n = 80
        barrier = threading.Barrier(n)
        conns = [self.emu.connection(timeout=20) for _ in range(n)]
        for c in conns:
            c.connect()  # all accepted before any request is sent
        results = []

        def worker(c):
            barrier.wait()
            results.append(self.emu.call("system", "ping", conn=c)[0])
        threads = [threading.Thread(target=worker, args=(c,)) for c in conns]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for c in conns:
            c.close()
        self.assertEqual(results, [200] * n)
        self.assertEqual(self.emu.stats()["connections"], n)


class Tls(emutest.EmuTestCase):
    def https(self, host, cafile, check_hostname=True):
        ctx = ssl.create_default_context(cafile=cafile)
        ctx.check_hostname = check_hostname
        c = http.client.HTTPSConnection(host, self.emu.info["https_port"], context=ctx, timeout=5)
        try:
            c.request("GET", "/api_v3/service/system/action/ping?format=1")
            return c.getresponse().read()
        finally:
            c.close()

    def test_https_with_ca_and_keepalive(self):
        self.assertEqual(self.emu.info["https_url"], f"https://localhost:{self.emu.info['https_port']}")
        self.assertEqual(self.https("localhost", self.emu.info["ca_file"]), b"true")
        ctx = ssl.create_default_context(cafile=self.emu.info["ca_file"])
        c = http.client.HTTPSConnection("localhost", self.emu.info["https_port"], context=ctx, timeout=5)
        for _ in range(2):
            c.request("GET", "/api_v3/service/system/action/ping?format=1")
            self.assertEqual(c.getresponse().read(), b"true")
        c.close()
        st = self.emu.stats()
        self.assertEqual(st["connections_by_listener"], {"https": 2, "http": 0})
        self.assertEqual(st["requests"], {"system.ping": 3})

    def test_wrong_host_and_untrusted_ca(self):
        with self.assertRaises(ssl.SSLCertVerificationError) as cm:
            self.https("127.0.0.1", self.emu.info["ca_file"])
        self.assertIn("IP address mismatch", str(cm.exception))
        with self.assertRaises(ssl.SSLCertVerificationError):
            self.https("localhost", self.emu.info["other_ca_file"])
        time.sleep(0.1)
        st = self.emu.stats()
        self.assertEqual((st["tls_failures"], st["total"]), (2, 0))

    def test_server_cert_is_localhost_only(self):
        from cryptography import x509
        pem = ssl.get_server_certificate(("127.0.0.1", self.emu.info["https_port"]))
        cert = x509.load_pem_x509_certificate(pem.encode())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        self.assertEqual(san.get_values_for_type(x509.DNSName), ["localhost"])
        self.assertEqual(san.get_values_for_type(x509.IPAddress), [])


if __name__ == "__main__":
    taptest.main()
