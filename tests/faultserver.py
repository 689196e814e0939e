"""A loopback HTTP server whose routes misbehave on purpose, for fetch and poll tests."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Handler = Callable[[BaseHTTPRequestHandler], None]


def send(status: int, body: bytes = b"", content_type: str = "text/html; charset=utf-8",
         headers: dict[str, str] | None = None) -> Handler:
    def handle(req: BaseHTTPRequestHandler) -> None:
        req.send_response(status)
        req.send_header("Content-Type", content_type)
        req.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            req.send_header(name, value)
        req.end_headers()
        req.wfile.write(body)
    return handle


def redirect(location: str, status: int = 302) -> Handler:
    return send(status, b"", headers={"Location": location})


def trickle(seconds_per_byte: float, total: int = 100) -> Handler:
    """Headers at once, then one byte every `seconds_per_byte` (a read that never times out per byte)."""
    def handle(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "text/html")
        req.send_header("Content-Length", str(total))
        req.end_headers()
        for _ in range(total):
            try:
                req.wfile.write(b"x")
                req.wfile.flush()
            except OSError:
                return
            time.sleep(seconds_per_byte)
    return handle


def stall(seconds: float) -> Handler:
    def handle(req: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        send(200, b"late")(req)
    return handle


def gzip_bomb(decoded_bytes: int) -> Handler:
    body = gzip.compress(b"\0" * decoded_bytes, compresslevel=9)
    return send(200, body, headers={"Content-Encoding": "gzip"})


def stream(total: int, chunk: int = 1 << 20) -> Handler:
    """A large body sent without Content-Length (so only the streaming cap can stop it)."""
    def handle(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "text/html")
        req.end_headers()
        sent = 0
        try:
            while sent < total:
                req.wfile.write(b"a" * chunk)
                sent += chunk
        except OSError:
            pass
        req.close_connection = True
    return handle


def reset(req: BaseHTTPRequestHandler) -> None:
    """Close the socket without answering."""
    req.close_connection = True
    req.connection.close()


class FaultServer:
    def __init__(self, routes: dict[str, Handler]):
        self.routes = routes
        self.hits: list[str] = []
        outer = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                outer.hits.append(self.path)
                outer.routes.get(self.path, send(404, b"not found"))(self)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
