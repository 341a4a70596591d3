"""A counting HTTP CONNECT proxy for the login tests (issue 11 item 4)."""
import re
import select
import socket
import threading


class ConnectProxy:
    """An HTTP CONNECT proxy on 127.0.0.1 that relays to `allowed` (host, port) only and
    counts the tunnels it opened."""

    def __init__(self, allowed):
        self.allowed = allowed
        self.tunnels = []
        self.lock = threading.Lock()
        self.srv = socket.create_server(("127.0.0.1", 0))
        self.port = self.srv.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def count(self):
        with self.lock:
            return len(self.tunnels)

    def _accept(self):
        while True:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with conn:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 8192:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            m = re.match(rb"CONNECT ([^:\s]+):(\d+) HTTP/1\.[01]\r\n", head)
            if not m or (m[1].decode(), int(m[2])) not in self.allowed:
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            with self.lock:
                self.tunnels.append((m[1].decode(), int(m[2])))
            try:
                upstream = socket.create_connection(("127.0.0.1", int(m[2])), timeout=10)
            except OSError:
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            with upstream:
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                rest = head.split(b"\r\n\r\n", 1)[1]
                if rest:
                    upstream.sendall(rest)
                self._relay(conn, upstream)

    @staticmethod
    def _relay(a, b):
        socks = [a, b]
        while socks:
            r, _, _ = select.select(socks, [], [], 60)
            if not r:
                return
            for s in r:
                other = b if s is a else a
                try:
                    data = s.recv(65536)
                except OSError:
                    return
                if not data:
                    try:
                        other.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    socks.remove(s)
                    continue
                other.sendall(data)

    def close(self):
        self.srv.close()
