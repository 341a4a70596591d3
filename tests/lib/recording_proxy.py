"""A loopback HTTP proxy for the transport tests that records what reaches it.

CONNECT host:port opens a tunnel to 127.0.0.1:port when the port is in `ports` (the emulator's);
anything else (a plain-http request in absolute form, what a client sends an http_proxy)
is recorded, with its first line and body, and answered 502: a test sees that a KS got there
in cleartext, and the client sees a failure."""
import select
import socket
import threading


class RecordingProxy:
    def __init__(self, ports):
        self.ports = set(ports)
        self.lock = threading.Lock()
        self.tunnels = []  # (host, port) of each CONNECT relayed
        self.plain = []  # (request line, body) of each request that was not a CONNECT
        self.srv = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.srv.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def counts(self):
        """(tunnels, plain requests) so far."""
        with self.lock:
            return len(self.tunnels), len(self.plain)

    def close(self):
        self.srv.close()

    def _accept(self):
        while True:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with conn:
            conn.settimeout(30)
            head = b""
            try:
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    head += chunk
            except OSError:
                return
            line, _, rest = head.partition(b"\r\n")
            words = line.split()
            if len(words) == 3 and words[0] == b"CONNECT":
                host, _, port = words[1].decode().rpartition(":")
                self._tunnel(conn, host, int(port), head.split(b"\r\n\r\n", 1)[1])
                return
            with self.lock:
                self.plain.append((line.decode("latin-1"), rest.split(b"\r\n\r\n", 1)[-1]))
            conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")

    def _tunnel(self, conn, host, port, early):
        if port not in self.ports:
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        with self.lock:
            self.tunnels.append((host, port))
        try:
            up = socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        with up:
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if early:
                up.sendall(early)
            socks = [conn, up]
            while socks:
                ready, _, _ = select.select(socks, [], [], 60)
                if not ready:
                    return
                for s in ready:
                    other = up if s is conn else conn
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
