"""Client CPU per page of wirewatch's fetch client, on loopback, against bare HTTP clients.

    python bench/fetch_client.py [--pages 400] [--size 300000] [--gzip]

A server in another process serves one page of `--size` bytes (real article HTML, repeated) over
keep-alive HTTP/1.1; the client process downloads it `--pages` times with `fetch.client.download`
(address check, redirects by hand, size cap, total-time watchdog, decompression) and, in the same
run and in turns, with a bare `requests.Session.get(...).content` and with `http.client`. The figure
is the client process's CPU time per page (all its threads), best of three rounds each: what one
fetch costs the worker besides waiting on the network.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import multiprocessing
import os
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))


def page_body(size: int) -> bytes:
    pages = sorted((ROOT.parent / "shared" / "realpages" / "pages").glob("*.html"))
    if not pages:
        pages = sorted((ROOT / "tests" / "fixtures" / "realpages").rglob("*.html"))
    sample = pages[0].read_bytes() if pages else b"<html><body><p>" + b"word " * 2000 + b"</p></body></html>"
    return (sample * (size // len(sample) + 1))[:size]


def serve(port_queue, size: int, compress: bool) -> None:
    body = page_body(size)
    payload = gzip.compress(body, 6) if compress else body

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            if compress:
                self.send_header("Content-Encoding", "gzip")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_queue.put(server.server_address[1])
    server.serve_forever()


def cpu_per_page(fetch, pages: int) -> float:
    fetch()  # a connection in the pool, the code paths warm
    start = time.process_time()
    for _ in range(pages):
        fetch()
    return (time.process_time() - start) / pages * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=400)
    parser.add_argument("--size", type=int, default=300_000, help="page size in bytes")
    parser.add_argument("--gzip", action="store_true", help="serve the page gzip-compressed")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.setdefault("WIREWATCH_ALLOWED_NETWORKS", "127.0.0.0/8")
    from wirewatch.fetch.client import HttpClient, download
    from wirewatch.settings import Settings
    import requests

    queue: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(queue, args.size, args.gzip), daemon=True)
    server.start()
    port = queue.get(timeout=30)
    url = f"http://127.0.0.1:{port}/page"
    settings = Settings.from_env()
    client = HttpClient(settings)
    bare = requests.Session()
    connection = http.client.HTTPConnection("127.0.0.1", port)

    def wirewatch_fetch() -> None:
        result = download(client, url, settings=settings, max_bytes=settings.max_page_bytes)
        assert result.ok and len(result.body) == args.size, result.error

    def requests_fetch() -> None:
        assert len(bare.get(url).content) == args.size

    def http_client_fetch() -> None:
        connection.request("GET", "/page")
        response = connection.getresponse()
        body = response.read()
        assert len(gzip.decompress(body) if args.gzip else body) == args.size

    best = {"wirewatch download": float("inf"), "bare requests": float("inf"), "bare http.client": float("inf")}
    try:
        for round_ in range(args.rounds):
            for name, fetch in (("wirewatch download", wirewatch_fetch), ("bare requests", requests_fetch),
                                ("bare http.client", http_client_fetch)):
                best[name] = min(best[name], cpu_per_page(fetch, args.pages))
    finally:
        server.terminate()
    print(f"{args.pages} pages of {args.size} bytes{' (gzip)' if args.gzip else ''} on loopback, "
          f"client CPU per page, best of {args.rounds} rounds:")
    for name, ms in best.items():
        print(f"  {name:<20} {ms:6.2f} ms")
    print(f"wirewatch download costs {best['wirewatch download'] / best['bare requests']:.2f}x bare requests "
          f"and {best['wirewatch download'] / best['bare http.client']:.2f}x http.client")
    return 0


if __name__ == "__main__":
    sys.exit(main())
