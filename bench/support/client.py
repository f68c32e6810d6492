"""A lean keep-alive HTTP/1.1 client from a chosen loopback source address.

Cheaper than http.client or requests, so that on a 2-core machine the client spends as
little CPU as possible next to the server it measures.
"""

from __future__ import annotations

import contextlib
import socket

from support.net import SOCKET_TIMEOUT, is_loopback


class HTTPError(OSError):
    pass


class Client:
    """One keep-alive connection from a chosen loopback source address.

    Cheaper than http.client, so that on a 2-core machine the client spends as
    little CPU as possible next to the server it measures.
    """

    def __init__(self, host: str, port: int, source_ip: str | None = None) -> None:
        if not is_loopback(host) or (source_ip and not is_loopback(source_ip)):
            raise ValueError("benches only talk to loopback")
        self.host = host
        self.port = port
        self.source_ip = source_ip
        self.sock: socket.socket | None = None
        self._buf = b""
        self.connects = 0

    def _connect(self) -> socket.socket:
        source = (self.source_ip, 0) if self.source_ip else None
        sock = socket.create_connection(
            (self.host, self.port), timeout=SOCKET_TIMEOUT, source_address=source
        )
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connects += 1
        self._buf = b""
        return sock

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
        self.sock = None

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        for name, value in (headers or {}).items():
            head.append(f"{name}: {value}")
        if body or method in ("POST", "PUT", "PATCH"):
            head.append(f"Content-Length: {len(body)}")
        raw = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        return self.send_raw(raw)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        return self.request("GET", path, headers=headers)

    def send_raw(self, raw: bytes) -> tuple[int, bytes]:
        """Send one request; on a keep-alive connection the server closed, retry once."""
        reused = self.sock is not None
        try:
            return self._exchange(raw)
        except (ConnectionError, HTTPError):
            self.close()
            if not reused:
                raise
        return self._exchange(raw)

    def _exchange(self, raw: bytes) -> tuple[int, bytes]:
        if self.sock is None:
            self.sock = self._connect()
        sock = self.sock
        sock.sendall(raw)
        buf = self._buf
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                raise HTTPError("connection closed before the response head")
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            lname = name.strip().lower()
            if lname == b"content-length":
                length = int(value.strip())
            elif lname == b"connection" and value.strip().lower() == b"close":
                close = True
            elif lname == b"transfer-encoding":
                raise HTTPError("chunked responses are not supported by the bench client")
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                raise HTTPError("connection closed mid-body")
            rest += chunk
        body, self._buf = rest[:length], rest[length:]
        if close:
            self.close()
        return status, body
