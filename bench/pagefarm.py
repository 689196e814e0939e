"""A farm of real article pages on loopback, for the pipeline benchmark and the scale test.

    with PageFarm(articles=5000, hosts=128, latency_ms=200) as farm:
        farm.feed_specs()   # the RSS feeds listing every article, to import

Real pages (../shared/realpages, else tests/fixtures/realpages; set WIREWATCH_REALPAGES) are
served under many URLs on many hosts, each host a loopback address 127.0.0.x with its own server,
so that per-host politeness applies as on the web and the same story is carried by several
"outlets" (copies for dedup). Every response can wait `latency_ms` first, as real fetches wait on
the network. robots.txt answers 404 (everything allowed).
"""

from __future__ import annotations

import gzip
import json
import os
import threading
from collections import Counter
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[1]
SETS = [Path(os.environ["WIREWATCH_REALPAGES"])] if os.environ.get("WIREWATCH_REALPAGES") else [
    REPO.parent / "shared" / "realpages", REPO / "tests" / "fixtures" / "realpages"]
ITEMS_PER_FEED = 100


@dataclass(frozen=True)
class FarmPage:
    title: str
    body: bytes
    published: str | None


def load_pages() -> list[FarmPage]:
    """The real pages of the first set that exists (truth.jsonl + pages/*.html.gz)."""
    for root in SETS:
        truth = root / "truth.jsonl"
        if truth.exists():
            pages = []
            for line in truth.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    path = root / row["page"]
                    body = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
                    pages.append(FarmPage(row.get("title") or path.stem, body, row.get("published")))
            return pages
    raise FileNotFoundError(f"no real-pages set in {', '.join(map(str, SETS))}")


class PageFarm:
    """`articles` article URLs spread over `hosts` loopback hosts (127.0.0.2 …): article i is on
    host i mod hosts and is the (i div hosts + i mod hosts)-th real page (mod the number of pages).
    Each real page appears about articles/len(pages) times, on different hosts, and a host serves
    no page twice while it has at most len(pages) articles: a page served twice by one site would
    become that site's learned boilerplate, which makes results depend on the extraction order.
    One RSS feed per `ITEMS_PER_FEED` articles of a host."""

    def __init__(self, *, articles: int, hosts: int = 64, latency_ms: float = 0.0, port: int = 0):
        if not 1 <= hosts <= 250:
            raise ValueError("hosts must be 1..250 (127.0.0.2 … 127.0.0.251)")
        self.pages = load_pages()
        self.articles = articles
        self.latency = latency_ms / 1000
        self.requests = 0
        self.paths: Counter[str] = Counter()  # requests per host and path ("127.0.0.2/news/7.html")
        self._lock = threading.Lock()
        handler = self._handler_class()
        first = ThreadingHTTPServer(("127.0.0.2", port), handler)
        self.port = first.server_address[1]
        self._servers = [first] + [ThreadingHTTPServer((f"127.0.0.{2 + h}", self.port), handler)
                                   for h in range(1, hosts)]
        for server in self._servers:
            server.daemon_threads = True
        self.hosts = [f"127.0.0.{2 + h}" for h in range(hosts)]

    # --- layout -------------------------------------------------------------------------------
    def host_of(self, article: int) -> str:
        return self.hosts[article % len(self.hosts)]

    def page_index(self, article: int) -> int:
        """Which real page article `article` is (copies of one page share it)."""
        return (article // len(self.hosts) + article % len(self.hosts)) % len(self.pages)

    def page_of(self, article: int) -> FarmPage:
        return self.pages[self.page_index(article)]

    def url_of(self, article: int) -> str:
        return f"http://{self.host_of(article)}:{self.port}/news/{article}.html"

    def _articles_of(self, host: str) -> list[int]:
        h = self.hosts.index(host)
        return list(range(h, self.articles, len(self.hosts)))

    def feed_specs(self) -> list[dict]:
        """Every feed of the farm as {url, name, outlet}: what `warehouse.upsert_feeds` takes."""
        specs = []
        for host in self.hosts:
            count = len(self._articles_of(host))
            for feed in range(-(-count // ITEMS_PER_FEED)):
                specs.append({"url": f"http://{host}:{self.port}/feed/{feed}.xml",
                              "name": f"Farm {host} #{feed}", "outlet": f"Outlet {host}"})
        return specs

    # --- serving ------------------------------------------------------------------------------
    def respond(self, host: str, path: str) -> tuple[int, str, bytes]:
        if path.startswith("/news/") and path.endswith(".html"):
            try:
                article = int(path[len("/news/"):-len(".html")])
            except ValueError:
                article = -1
            if 0 <= article < self.articles and self.host_of(article) == host:
                return 200, "text/html; charset=utf-8", self.page_of(article).body
        if path.startswith("/feed/") and path.endswith(".xml"):
            feed = int(path[len("/feed/"):-len(".xml")])
            mine = self._articles_of(host)[feed * ITEMS_PER_FEED:(feed + 1) * ITEMS_PER_FEED]
            if mine:
                return 200, "application/rss+xml", self._rss(host, mine)
        return 404, "text/plain", b"not found"

    def _rss(self, host: str, articles: list[int]) -> bytes:
        now = format_datetime(datetime.now(timezone.utc))
        items = "".join(
            f"<item><title>{escape(self.page_of(a).title)}</title><link>{self.url_of(a)}</link>"
            f"<guid>{self.url_of(a)}</guid><pubDate>{now}</pubDate></item>" for a in articles)
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Farm {host}</title>'
                f"<link>http://{host}:{self.port}/</link>{items}</channel></rss>").encode()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        farm = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real servers do

            def do_GET(self) -> None:
                if farm.latency:
                    time.sleep(farm.latency)
                host = self.server.server_address[0]
                with farm._lock:
                    farm.requests += 1
                    farm.paths[host + self.path] += 1
                status, content_type, body = farm.respond(host, self.path.split("?")[0])
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args) -> None:
                pass

        return Handler

    def __enter__(self) -> PageFarm:
        self._threads = [threading.Thread(target=s.serve_forever, daemon=True, name=f"farm-{i}")
                         for i, s in enumerate(self._servers)]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
