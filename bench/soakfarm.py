"""A loopback news farm that changes every cycle, for the soak (scripts/soak.py, `make soak`).

    with SoakFarm(hosts=12, stories_per_cycle=5) as farm:
        farm.feed_specs()          # one RSS feed per host, to import
        farm.advance(now)          # start the next cycle: what appears, changes and fails in it
        farm.items                 # everything published so far, with when it became visible

Each host (127.0.0.2 …, one "outlet") has one RSS feed listing its newest `window` items. Every
cycle, at random moments within it:
  - `stories_per_cycle` new stories appear, each a real page no earlier story used, on one host;
  - some are syndicated: copies of the same page on one or two other hosts, shortly after;
  - a few earlier items get an updated headline (same link, new title);
  - items older than the newest `window` of their feed leave it (the page stays online);
  - one host's feed is down (503) for the whole cycle and comes back at the next one; what it
    published meanwhile becomes visible then.
The layout is random but fixed by `seed`. Pages come from bench/pagefarm.py's real-pages set.
An item is *visible* from the moment its feed, if polled, would list it: its appearance, or the
return of its feed if that was down then. Its feed can also go down after it appeared and before
the pipeline polled it; `hidden_seconds` says how long it was out of sight, and the soak counts
freshness in visible time only.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape

from pagefarm import PageFarm


@dataclass
class FeedItem:
    number: int
    host: str
    page: int            # index into the farm's real pages
    story: int           # copies of one story share it
    title: str
    appears_at: float    # wall clock (time.time())
    cycle: int
    visible_at: float | None = None  # set once known (see the module docstring)
    retitled_at: float | None = None
    new_title: str | None = None


@dataclass
class Outage:
    host: str
    start: float
    end: float | None = None  # the next cycle's start


@dataclass
class Cycle:
    number: int
    start: float
    down: str | None
    new_items: list[int] = field(default_factory=list)


class SoakFarm(PageFarm):
    """See the module docstring. Not thread-safe for `advance`; serving is (one lock)."""

    def __init__(self, *, hosts: int = 12, stories_per_cycle: int = 5, interval: float = 60.0,
                 window: int = 20, copy_share: float = 0.4, retitles_per_cycle: int = 2, seed: int = 7,
                 latency_ms: float = 0.0):
        super().__init__(articles=0, hosts=hosts, latency_ms=latency_ms)
        if hosts < 3:
            raise ValueError("hosts must be at least 3 (copies go to other hosts, one feed is down)")
        self.stories_per_cycle = stories_per_cycle
        self.interval = interval
        self.window = window
        self.copy_share = copy_share
        self.retitles_per_cycle = retitles_per_cycle
        self.random = random.Random(seed)
        self.items: list[FeedItem] = []
        self.cycles: list[Cycle] = []
        self.outages: list[Outage] = []
        self.stories = 0
        self._state = threading.Lock()

    def capacity(self, cycles: int) -> int:
        """Stories `cycles` cycles need; each needs a real page of its own."""
        return cycles * self.stories_per_cycle

    # --- the timeline -------------------------------------------------------------------------
    def advance(self, now: float | None = None, *, publish: bool = True) -> Cycle:
        """Start the next cycle at `now`: the last outage ends, and (with `publish`) this cycle's
        stories, copies, retitles and outage are laid out over the next `interval` seconds.
        `publish=False` starts a quiet cycle (nothing new, every feed up): the soak's drain."""
        now = time.time() if now is None else now
        with self._state:
            for outage in self.outages:
                if outage.end is None:
                    outage.end = now
            number = len(self.cycles)
            down = None
            if publish:
                last = self.cycles[-1].down if self.cycles else None
                down = self.random.choice([h for h in self.hosts if h != last])
                self.outages.append(Outage(down, now))
            cycle = Cycle(number, now, down)
            self.cycles.append(cycle)
            if publish:
                self._publish(cycle)
            self._settle_visibility()
            return cycle

    def _publish(self, cycle: Cycle) -> None:
        if self.stories + self.stories_per_cycle > len(self.pages):
            raise ValueError(f"the real-pages set has {len(self.pages)} pages: not enough for another "
                             f"{self.stories_per_cycle} stories after {self.stories}")
        earlier = [item for item in self.items if item.retitled_at is None]
        for _ in range(self.stories_per_cycle):
            story, page = self.stories, self.stories
            self.stories += 1
            at = cycle.start + self.random.uniform(0, self.interval)
            hosts = self.random.sample(self.hosts, 3)
            copies = 0
            if self.random.random() < self.copy_share:
                copies = self.random.choice((1, 2))
            for k, host in enumerate(hosts[:1 + copies]):
                appears = min(at + k * self.random.uniform(0, self.interval / 4), cycle.start + self.interval * 0.999)
                item = FeedItem(len(self.items), host, page, story, self.pages[page].title, appears, cycle.number)
                self.items.append(item)
                cycle.new_items.append(item.number)
        for item in self.random.sample(earlier, min(self.retitles_per_cycle, len(earlier))):
            item.retitled_at = cycle.start + self.random.uniform(0, self.interval)
            item.new_title = f"{item.title} (updated)"

    def _settle_visibility(self) -> None:
        for item in self.items:
            if item.visible_at is None:
                outage = self._outage_at(item.host, item.appears_at)
                if outage is None:
                    item.visible_at = item.appears_at
                elif outage.end is not None:
                    item.visible_at = outage.end

    def hidden_seconds(self, item: FeedItem, until: float) -> float:
        """How long between its appearance and `until` the item's feed was down (so nobody could
        have seen it there)."""
        hidden = 0.0
        for outage in self.outages:
            if outage.host == item.host:
                end = until if outage.end is None else min(outage.end, until)
                hidden += max(0.0, end - max(outage.start, item.appears_at))
        return hidden

    def _outage_at(self, host: str, when: float) -> Outage | None:
        for outage in self.outages:
            if outage.host == host and outage.start <= when and (outage.end is None or when < outage.end):
                return outage
        return None

    # --- serving ------------------------------------------------------------------------------
    def url_of(self, item: int) -> str:
        return f"http://{self.items[item].host}:{self.port}/news/{item}.html"

    def feed_url(self, host: str) -> str:
        return f"http://{host}:{self.port}/feed.xml"

    def feed_specs(self) -> list[dict]:
        return [{"url": self.feed_url(host), "name": f"Soak {host}", "outlet": f"Outlet {host}"}
                for host in self.hosts]

    def respond(self, host: str, path: str) -> tuple[int, str, bytes]:
        now = time.time()
        with self._state:
            if path.startswith("/news/") and path.endswith(".html"):
                try:
                    item = self.items[int(path[len("/news/"):-len(".html")])]
                except (ValueError, IndexError):
                    item = None
                if item is not None and item.host == host and item.appears_at <= now:
                    return 200, "text/html; charset=utf-8", self.pages[item.page].body
            elif path == "/feed.xml" and host in self.hosts:
                if self._outage_at(host, now) is not None:
                    return 503, "text/plain", b"feed temporarily unavailable"
                return 200, "application/rss+xml", self._rss(host, now)
        return 404, "text/plain", b"not found"

    def _rss(self, host: str, now: float) -> bytes:
        listed = sorted((item for item in self.items if item.host == host and item.appears_at <= now),
                        key=lambda item: item.appears_at, reverse=True)[:self.window]
        entries = []
        for item in listed:
            title = item.new_title if item.retitled_at is not None and item.retitled_at <= now else item.title
            published = format_datetime(datetime.fromtimestamp(item.appears_at, timezone.utc))
            url = self.url_of(item.number)
            entries.append(f"<item><title>{escape(title)}</title><link>{url}</link><guid>{url}</guid>"
                           f"<pubDate>{published}</pubDate></item>")
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Soak {host}</title>'
                f"<link>http://{host}:{self.port}/</link>{''.join(entries)}</channel></rss>").encode()
