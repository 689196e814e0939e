"""Politeness towards the sites whose articles we fetch: robots.txt and a minimum delay per host.

Articles are sharded by host (see `warehouse.claim_queued_article`), so one fetch task owns all
of a host's queued articles; inside it, several workers fetch at once but never two from one host
(`fetch.runner.fetch_articles`): the per-host concurrency is one across the whole deployment, and the
delay below is enforced where the requests are made.

robots.txt is read with protego (Scrapy's parser: wildcards, Allow/Disallow precedence, Crawl-delay),
once per host per task. Following RFC 9309, a robots.txt that does not exist (4xx) allows everything,
and one that cannot be read (5xx, timeout) disallows everything for now: the article is retried.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

from wirewatch.fetch.client import HttpClient, download
from wirewatch.settings import Settings

ROBOTS_MAX_BYTES = 512 * 1024  # Google's limit; larger files are cut there
ROBOTS_AGENT = "wirewatch"
MAX_CRAWL_DELAY = 30.0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str | None = None
    transient: bool = False


class HostPolicy:
    """robots.txt rules and request spacing for the hosts one task fetches from."""

    def __init__(self, client: HttpClient, settings: Settings):
        self._client = client
        self._settings = settings
        self._robots: dict[str, Protego | Verdict | None] = {}
        self._last_request: dict[str, float] = {}

    def check(self, url: str) -> Verdict:
        """May wirewatch fetch `url` under the host's robots.txt?"""
        if not self._settings.obey_robots_txt:
            return Verdict(True)
        origin = _origin(url)
        if origin not in self._robots:
            self._robots[origin] = self._load(origin)
        rules = self._robots[origin]
        if isinstance(rules, Verdict):
            return rules
        if rules is None or rules.can_fetch(url, ROBOTS_AGENT):
            return Verdict(True)
        return Verdict(False, f"robots.txt of {origin} disallows this URL for {ROBOTS_AGENT}")

    def wait_turn(self, url: str) -> None:
        """Sleep until this host's minimum delay (or its Crawl-delay) has passed since our last request."""
        origin = _origin(url)
        delay = self._settings.host_delay_seconds
        rules = self._robots.get(origin)
        if isinstance(rules, Protego):
            delay = max(delay, min(float(rules.crawl_delay(ROBOTS_AGENT) or 0), MAX_CRAWL_DELAY))
        last = self._last_request.get(origin)
        if last is not None:
            time.sleep(max(0.0, last + delay - time.monotonic()))
        self._last_request[origin] = time.monotonic()

    def _load(self, origin: str) -> Protego | Verdict | None:
        self.wait_turn(origin + "/robots.txt")
        got = download(self._client, origin + "/robots.txt", settings=self._settings, max_bytes=ROBOTS_MAX_BYTES)
        if got.kind == "too_large":
            return None  # treat an absurd robots.txt like a missing one rather than block the site
        if got.ok:
            return Protego.parse(got.body.decode("utf-8", errors="replace"))
        if got.status is not None and 400 <= got.status < 500:
            return None  # no robots.txt: everything is allowed
        return Verdict(False, f"robots.txt of {origin} could not be read ({got.error}); will retry",
                       transient=True)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
