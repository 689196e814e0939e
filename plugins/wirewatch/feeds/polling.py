"""Polling feeds politely: conditional GET, skipping unchanged bodies, adaptive intervals, graded
failures with backoff, automatic disabling only on permanent signals.

A poll task is one asyncio loop in one thread (`poll_due_feeds`): it claims due feeds in batches,
keeps `poll_workers` downloads in flight over one aiohttp session (keep-alive connections reused
across a host's feeds), parses each changed body as it arrives, and writes the outcomes in groups,
one transaction per group (`record_polls`). `fetch_feed` does the network and parsing for one
feed and touches no database. The scheduling rules are plain functions (`next_interval`,
`failure_delay`) so they can be read and tested on their own.

Why not threads around `fetch.download` (requests) as before: a conditional GET answered 304 is
almost all overhead, and 16 threads fighting over the GIL with feedparser tripled it (about 4.5 ms
of CPU per 304, against 0.3 ms for the same request in one aiohttp loop), and a commit per feed
added a round trip each. The download rules are those of `fetch.download`, which article fetches
use: every hop's address checked (`check_address`), redirects followed hop by hop, the size cap
applied after decoding, connect/read/total timeouts, and the same errors and failure kinds.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import email.utils
import functools
import hashlib
import ipaddress
import logging
import os
import re
import ssl
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit

import aiohttp
import certifi
import psycopg2.errors

from wirewatch import warehouse
from wirewatch.db import Connection
from wirewatch.feeds.parsing import FeedParseError, ParsedFeed, parse_feed
from wirewatch.fetch.client import (
    HARD_KINDS, PERMANENT_REDIRECTS, REDIRECTS, AddressRefused, Download, check_address, is_transient_status, status_kind,
)
from wirewatch.settings import Settings

LOGGER = logging.getLogger(__name__)

# Outcome recorded in fetch_events for each failure kind of a download.
OUTCOME_OF_KIND = {
    "timeout": "timeout", "connection": "connection_error", "dns": "dns_error", "refused": "refused",
    "too_large": "too_large", "redirects": "redirect_error", "invalid_url": "refused",
    "http_client": "http_error", "http_server": "http_error", "rate_limited": "http_error", "gone": "http_error",
}
# A quiet feed is polled a little less often each time, up to its maximum interval.
QUIET_GROWTH = 1.5
# Entries used to estimate how often a feed publishes.
RATE_SAMPLE = 20
# Finished polls are written once this many are waiting, or when the oldest has waited this long.
RECORD_BATCH = 64
RECORD_SECONDS = 1.0
# Feeds claimed at a time, per download slot (a claim is one committed UPDATE … SKIP LOCKED).
CLAIM_PER_SLOT = 4
# A group of outcomes that lost a deadlock (articles shared with another poll task) is written again.
RECORD_ATTEMPTS = 3
# Header lines up to this long are read, as http.client (requests) reads them; aiohttp's default is 8 KB.
MAX_HEADER_BYTES = 65536
# Hosts whose idle keep-alive connections are kept (requests kept 64 hosts' pools): polling
# thousands of hosts must not hold a socket open for each until its keep-alive timeout.
IDLE_HOSTS = 64


@dataclass(frozen=True, kw_only=True)
class PollResult:
    """What one poll attempt found; produced without touching the warehouse."""

    feed: dict
    download: Download
    outcome: str
    # Whether If-None-Match / If-Modified-Since were sent.
    conditional: bool
    # A verification poll (see fetch_feed), and whether it re-fetched after a 304.
    verified: bool = False
    checked_304: bool = False
    parsed: ParsedFeed | None = None
    error: str | None = None
    kind: str | None = None
    body_hash: str | None = None


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def should_verify(feed: dict, settings: Settings, now: datetime) -> bool:
    """Time for an unconditional fetch to check that the server's 304s and ETags can be trusted?"""
    if not feed.get("conditional_get", True) or not (feed.get("etag") or feed.get("last_modified")):
        return False
    verified = feed.get("conditional_verified_at")  # set when a feed first gets validators
    return verified is not None and now - verified >= timedelta(hours=settings.verify_conditional_hours)


def conditional_headers(feed: dict) -> dict[str, str]:
    """If-None-Match / If-Modified-Since, sent back exactly as received (validators are opaque)."""
    if not feed.get("conditional_get", True):
        return {}
    headers = {}
    if feed.get("etag"):
        headers["If-None-Match"] = feed["etag"]
    if feed.get("last_modified"):
        headers["If-Modified-Since"] = feed["last_modified"]
    return headers


# --- downloading -------------------------------------------------------------------------------

class _Connector(aiohttp.TCPConnector):
    """aiohttp's connector, keeping the idle connections of at most IDLE_HOSTS hosts (aiohttp
    bounds connections in use, not idle ones): past that, the longest-kept host's are closed."""

    def _release(self, key, protocol, *, should_close: bool = False) -> None:
        super()._release(key, protocol, should_close=should_close)
        while len(self._conns) > IDLE_HOSTS:  # one entry per host (and port, scheme) with idle connections
            oldest, idle = next(iter(self._conns.items()))  # dicts keep insertion order
            del self._conns[oldest]
            for idle_protocol, _since in idle:
                idle_protocol.close()


class FeedClient:
    """The HTTP side of one poll task: one aiohttp session, its keep-alive connections reused
    across feeds (and hosts' feeds), with the limits `fetch.download` applies to every fetch."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> FeedClient:
        settings = self.settings
        self._session = aiohttp.ClientSession(
            connector=_Connector(limit=max(1, settings.poll_workers), limit_per_host=0,
                                 ssl=ssl.create_default_context(cafile=certifi.where())),
            # urllib3 and aiohttp both decode br with the pinned brotli package.
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate, br"},
            # Environment proxies must not reroute the pipeline's traffic (as requests' trust_env=False).
            trust_env=False,
            # Cookies a server sets are sent back on later hops and polls, as by the article client (fetch.client.HttpClient).
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            # Whole-download deadline: see `download`; per hop, the connect and read timeouts.
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=settings.connect_timeout,
                                          sock_read=settings.read_timeout),
            max_line_size=MAX_HEADER_BYTES, max_field_size=MAX_HEADER_BYTES)
        return self

    async def __aexit__(self, *exc) -> None:
        await self._session.close()

    async def download(self, url: str, *, max_bytes: int, headers: dict[str, str] | None = None) -> Download:
        """GET `url` as `fetch.download` does; never raises for network trouble."""
        started = time.monotonic()
        hops = [url]
        answer: dict = {}  # the last hop's status, headers and moved_to, once its headers are in
        total = self.settings.total_timeout
        try:
            return await asyncio.wait_for(self._download(url, hops, answer, started, max_bytes, headers or {}),
                                          total)
        except asyncio.TimeoutError:
            return Download(url=url, final_url=hops[-1], error=f"timeout: download took longer than {total:g}s",
                            kind="timeout", transient=True, elapsed=time.monotonic() - started,
                            status=answer.get("status"), headers=answer.get("headers", {}),
                            moved_permanently_to=answer.get("moved_to"))

    async def _download(self, url: str, hops: list[str], answer: dict, started: float, max_bytes: int,
                        headers: dict[str, str]) -> Download:
        settings = self.settings
        permanent = True

        def failed(error: str, kind: str, *, transient: bool = False) -> Download:
            return Download(url=url, final_url=hops[-1], error=error, kind=kind, transient=transient,
                            elapsed=time.monotonic() - started)

        for _hop in range(settings.max_redirects + 1):
            current = hops[-1]
            try:
                await self._check_address(current)
            except AddressRefused as exc:
                return failed(str(exc), "refused")
            except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
                return failed(f"DNS: cannot resolve {urlsplit(current).hostname} ({_reason(exc)})", "dns")
            try:
                response = await self._session.get(current, headers=headers, allow_redirects=False)
            except aiohttp.ConnectionTimeoutError:
                return failed(f"timeout: no connection within {settings.connect_timeout:g}s", "timeout",
                              transient=True)
            except aiohttp.SocketTimeoutError:
                return failed(f"timeout: no response within {settings.read_timeout:g}s", "timeout",
                              transient=True)
            except (aiohttp.InvalidURL, ValueError) as exc:
                return failed(f"invalid URL: {exc}", "invalid_url")
            except aiohttp.ClientConnectorDNSError as exc:
                return failed(f"DNS: cannot resolve {urlsplit(current).hostname} ({_reason(exc)})", "dns")
            except (aiohttp.ClientConnectionError, OSError) as exc:
                return failed(f"connection error: {_reason(exc)}", "connection", transient=True)
            except aiohttp.ClientError as exc:
                return failed(f"request failed: {_reason(exc)}", "connection", transient=True)

            location = response.headers.get("location")
            if response.status in REDIRECTS and location:
                response.release()
                permanent = permanent and response.status in PERMANENT_REDIRECTS
                target = urljoin(current, location)
                if target in hops:
                    return failed(f"redirect loop at {target}", "redirects")
                hops.append(target)
                continue
            return await _read(response, answer, url=url, final_url=current, started=started, max_bytes=max_bytes,
                               moved_to=current if permanent and current != url else None)
        return failed(f"too many redirects (more than {settings.max_redirects})", "redirects")

    async def _check_address(self, url: str) -> None:
        """`fetch.check_address`: at once for an IP address (no lookup), in a thread for a name."""
        host = urlsplit(url).hostname or ""
        try:
            ipaddress.ip_address(host)
        except ValueError:
            await asyncio.get_running_loop().run_in_executor(None, check_address, url, self.settings)
        else:
            check_address(url, self.settings)


async def _read(response: aiohttp.ClientResponse, answer: dict, *, url: str, final_url: str, started: float,
                max_bytes: int, moved_to: str | None) -> Download:
    """Read a response body within the size cap (decoded bytes, so gzip/br bombs stop too); note
    the status and headers in `answer` first, for a download cut by its deadline."""
    status = response.status
    headers: dict[str, str] = {}
    for name, value in response.headers.items():  # repeated headers joined, as requests does
        name = name.lower()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    answer.update(status=status, headers=headers, moved_to=moved_to)

    def failed(error: str, kind: str, transient: bool) -> Download:
        response.close()  # the rest of the body is not read: the connection is not reused
        return Download(url=url, final_url=final_url, status=status, headers=headers, error=error, kind=kind,
                        transient=transient, elapsed=time.monotonic() - started, moved_permanently_to=moved_to)

    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        return failed(f"too large: Content-Length {int(declared)} exceeds the {max_bytes}-byte limit",
                      "too_large", False)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.content.iter_any():
            size += len(chunk)
            if size > max_bytes:
                return failed(f"too large: body exceeds the {max_bytes}-byte limit", "too_large", False)
            chunks.append(chunk)
    except aiohttp.SocketTimeoutError:
        return failed("connection broken while reading: Read timed out.", "connection", True)
    except (aiohttp.ClientError, OSError) as exc:
        return failed(f"connection broken while reading: {_reason(exc)}", "connection", True)
    except BaseException:
        response.close()
        raise
    # Bytes as received (compressed); aiohttp's total_raw_bytes fails on a bodiless response.
    compressed = getattr(response.content, "total_compressed_bytes", None)
    wire_bytes = size if compressed is None else compressed
    response.release()
    error = kind = None
    if not 200 <= status < 300 and status != 304:
        error, kind = f"HTTP {status}", status_kind(status)
    return Download(url=url, final_url=final_url, status=status, headers=headers, body=b"".join(chunks),
                    elapsed=time.monotonic() - started, error=error, kind=kind,
                    transient=error is not None and is_transient_status(status),
                    moved_permanently_to=moved_to, wire_bytes=wire_bytes)


def _reason(exc: BaseException) -> str:
    """The innermost reason, in words: 'Connection refused' rather than aiohttp's wrappers."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError) and cause.errno and cause.errno > 0:
            return os.strerror(cause.errno)
        cause = getattr(cause, "os_error", None) or cause.__cause__
    return str(exc) or type(exc).__name__


async def fetch_feed(feed: dict, client: FeedClient, settings: Settings, *, verify: bool = False) -> PollResult:
    """Download and parse one feed (no database access).

    With `verify`, a 304 answer is checked at once with an unconditional fetch, and an unchanged
    body is parsed anyway, so that `record_polls` can tell whether the server's 304s and ETags hide
    new entries."""
    headers = conditional_headers(feed)
    got = await client.download(feed["url"], max_bytes=settings.max_feed_bytes, headers=headers)
    checked_304 = False
    if verify and got.status == 304 and got.error is None:
        got = await client.download(feed["url"], max_bytes=settings.max_feed_bytes)
        checked_304 = True
    common = {"feed": feed, "download": got, "conditional": bool(headers), "verified": verify,
              "checked_304": checked_304}
    if got.error is not None:
        return PollResult(**common, outcome=OUTCOME_OF_KIND.get(got.kind, "http_error"), error=got.error,
                          kind=got.kind)
    if got.status == 304:
        return PollResult(**common, outcome="not_modified")
    digest = body_digest(got.body)
    if digest == feed.get("body_hash") and not verify:
        return PollResult(**common, outcome="same_body", body_hash=digest)
    try:
        parsed = parse_feed(got.body, url=got.final_url, content_type=got.headers.get("content-type"))
    except FeedParseError as exc:
        message = str(exc)
        outcome, kind = ("not_a_feed", "not_a_feed") if message.startswith("not a feed") else ("parse_error", "parse")
        return PollResult(**common, outcome=outcome, error=message, kind=kind, body_hash=digest)
    return PollResult(**common, outcome="parsed", parsed=parsed, body_hash=digest)


# --- the poll loop -----------------------------------------------------------------------------

Recorded = Callable[[PollResult, dict[str, int]], None]


async def poll_due_feeds(conn: Connection, shard: int, shards: int, settings: Settings, recorded: Recorded) -> None:
    """Poll every due feed of this shard; call `recorded(result, counts)` for each outcome once it
    is committed.

    Feeds are claimed in batches with a lease (`warehouse.claim_due_feeds`); up to `poll_workers`
    downloads run at once, and a new one starts as soon as one ends (a slow feed holds up no
    batch). Finished polls are written in groups, each in one transaction with the feeds' new
    state, their fetch_events rows and the articles they queued: a task killed mid-way loses at
    most its uncommitted groups, whose feeds are due again when their lease runs out.

    `conn` is used by one thread of its own, one claim or one group at a time, while the loop
    goes on downloading and parsing: the loop never waits for PostgreSQL."""
    lease = timedelta(seconds=settings.total_timeout * 4 + 600)
    slots = max(1, settings.poll_workers)
    now = datetime.now(timezone.utc)
    loop = asyncio.get_running_loop()
    waiting: collections.deque[dict] = collections.deque()
    running: set[asyncio.Future] = set()
    finished: list[PollResult] = []
    oldest = 0.0  # when the first of `finished` was done
    claimed_all = False
    claiming: asyncio.Future | None = None
    writing: asyncio.Future | None = None

    with ThreadPoolExecutor(1, thread_name_prefix="poll-warehouse") as warehouse_thread:
        async with FeedClient(settings) as client:
            try:
                while True:
                    if claiming is None and not claimed_all and len(waiting) < slots:
                        claiming = loop.run_in_executor(warehouse_thread, functools.partial(
                            warehouse.claim_due_feeds, conn, shard, shards, limit=slots * CLAIM_PER_SLOT, lease=lease))
                    polling_done = claimed_all and not waiting and not running
                    if writing is None and finished and (polling_done or len(finished) >= RECORD_BATCH
                                                         or time.monotonic() - oldest >= RECORD_SECONDS):
                        writing = loop.run_in_executor(warehouse_thread, record_polls_committed, conn,
                                                       finished, settings)
                        finished = []
                    while waiting and len(running) < slots:
                        feed = waiting.popleft()
                        running.add(asyncio.ensure_future(
                            fetch_feed(feed, client, settings, verify=should_verify(feed, settings, now))))
                    pending = running | {future for future in (claiming, writing) if future is not None}
                    if not pending:
                        break
                    done, _ = await asyncio.wait(pending, timeout=RECORD_SECONDS, return_when=asyncio.FIRST_COMPLETED)
                    for future in done:
                        if future is claiming:
                            claiming = None
                            feeds = future.result()
                            claimed_all = not feeds
                            waiting.extend(feeds)
                        elif future is writing:
                            writing = None
                            for result, counts in future.result():
                                recorded(result, counts)
                        else:
                            running.discard(future)
                            if not finished:
                                oldest = time.monotonic()
                            finished.append(future.result())
            finally:
                for future in running:
                    future.cancel()
                # The warehouse thread's last job runs to its end (the executor waits for it).
                await asyncio.gather(*running, *(f for f in (claiming, writing) if f is not None),
                                     return_exceptions=True)


# --- scheduling --------------------------------------------------------------------------------

def interval_bounds(feed: dict, settings: Settings) -> tuple[timedelta, timedelta]:
    low = feed.get("min_interval") or timedelta(minutes=settings.min_poll_minutes)
    high = feed.get("max_interval") or timedelta(minutes=settings.max_poll_minutes)
    return low, max(low, high)


def publishing_interval(times: list[datetime]) -> timedelta | None:
    """Mean gap between the newest entries' dates, or None with fewer than two distinct dates."""
    newest = sorted({t for t in times if t is not None}, reverse=True)[:RATE_SAMPLE]
    if len(newest) < 2:
        return None
    return (newest[0] - newest[-1]) / (len(newest) - 1)


def max_age(headers: dict[str, str]) -> timedelta | None:
    match = re.search(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*(\d+)", headers.get("cache-control", ""), re.IGNORECASE)
    return timedelta(seconds=int(match.group(1))) if match else None


def retry_after(headers: dict[str, str], now: datetime) -> timedelta | None:
    """Retry-After as seconds or as an HTTP date; None when absent or unreadable."""
    value = headers.get("retry-after", "").strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(when - now, timedelta(0))


def next_interval(feed: dict, result: PollResult, settings: Settings, *, new_entries: int) -> timedelta:
    """How long until the next poll after a successful one.

    Follows the feed's own publishing rate (mean gap between its newest entries); a feed with
    nothing new is polled 1.5x less often each time. Never sooner than the publisher asks
    (<ttl>, sy:updatePeriod, Cache-Control max-age), always within the feed's bounds."""
    low, high = interval_bounds(feed, settings)
    current = feed.get("poll_interval") or timedelta(minutes=settings.poll_interval_minutes)
    rate = publishing_interval([e.published_at for e in result.parsed.entries]) if result.parsed else None
    if new_entries == 0:
        interval = current * QUIET_GROWTH
    else:
        interval = rate or current
    floors = [max_age(result.download.headers)]
    if result.parsed and result.parsed.min_interval_minutes:
        floors.append(timedelta(minutes=result.parsed.min_interval_minutes))
    for floor in filter(None, floors):
        interval = max(interval, floor)
    return min(max(interval, low), high)


def failure_delay(feed: dict, result: PollResult, settings: Settings, now: datetime) -> timedelta:
    """Exponential backoff from the normal interval up to `max_backoff_minutes` (a day by default),
    but never sooner than the server's Retry-After."""
    base = timedelta(minutes=settings.poll_interval_minutes)
    ceiling = timedelta(minutes=settings.max_backoff_minutes)
    delay = min(base * 2 ** min(feed.get("error_streak", 0) + 1, 20), ceiling)
    if result.download.status in (429, 503):
        delay = max(delay, retry_after(result.download.headers, now) or timedelta(0))
    return delay


def disable_reason(feed: dict, result: PollResult, settings: Settings) -> str | None:
    """Disable only on permanent signals: 410 Gone, or a long streak of hard failures."""
    if result.kind == "gone":
        return "HTTP 410 Gone: the publisher removed this feed"
    streak = feed.get("hard_error_streak", 0) + 1
    if result.kind in HARD_KINDS and streak >= settings.disable_after_hard_failures:
        return f"{streak} hard failures in a row; the last: {result.error}"
    return None


# --- recording ---------------------------------------------------------------------------------

def record_polls_committed(conn: Connection, results: Sequence[PollResult],
                           settings: Settings) -> list[tuple[PollResult, dict[str, int]]]:
    """`record_polls` in one transaction, committed; written again if it lost a deadlock."""
    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            recorded = record_polls(conn, results, settings)
            conn.commit()
            return recorded
        except (psycopg2.errors.DeadlockDetected, psycopg2.errors.SerializationFailure):
            conn.rollback()
            if attempt == RECORD_ATTEMPTS:
                raise
            LOGGER.warning("writing %d poll outcomes lost a deadlock; writing them again", len(results))
    raise AssertionError("unreachable")


def record_polls(conn: Connection, results: Sequence[PollResult],
                 settings: Settings) -> list[tuple[PollResult, dict[str, int]]]:
    """Write the outcomes of several polls, in a handful of statements whatever their number:
    the articles their entries queue, each feed's new state, a fetch_events row each.
    -> each result (with its final outcome) and its counts for the stage summary, in order."""
    now = datetime.now(timezone.utc)
    parsed = [r for r in results if r.error is None and r.parsed is not None]
    queued = dict(zip(map(id, parsed), warehouse.queue_feed_entries(conn, [(r.feed, r.parsed.entries)
                                                                             for r in parsed])))
    successes, failures, events, recorded = [], [], [], []
    for result in results:
        feed, got = result.feed, result.download
        counts = {"entries_seen": 0, "entries_skipped": 0, "articles_new": 0, "articles_known": 0,
                  "articles_changed": 0}
        lying = None
        if result.error is not None:
            failures.append({
                "id": feed["id"], "status": got.status, "error": result.error, "kind": result.kind,
                "hard": result.kind in HARD_KINDS, "outcome": result.outcome,
                "delay": failure_delay(feed, result, settings, now),
                "disable_reason": disable_reason(feed, result, settings)})
        else:
            new_entries = 0
            if result.parsed is not None:
                new_entries, known, changed = queued[id(result)]
                counts.update(entries_seen=len(result.parsed.entries) + len(result.parsed.skipped),
                              entries_skipped=len(result.parsed.skipped), articles_new=new_entries,
                              articles_known=known, articles_changed=changed)
                if result.verified:
                    lying = _caught_lying(feed, result, new_entries)
            outcome = result.outcome if result.parsed is None else ("new_entries" if new_entries else "no_new_entries")
            warning = None
            if result.parsed is not None:
                warning = result.parsed.warning
                if result.parsed.skipped:
                    warning = "; ".join(filter(None, [warning, f"{len(result.parsed.skipped)} entries skipped: "
                                                                f"{result.parsed.skipped[0]}"]))
            successes.append({
                "id": feed["id"], "status": got.status, "warning": warning, "outcome": outcome,
                "etag": got.headers.get("etag"), "last_modified": got.headers.get("last-modified"),
                "body_hash": result.body_hash, "title": result.parsed.title if result.parsed else None,
                "entries": len(result.parsed.entries) if result.parsed else None,
                "interval": next_interval(feed, result, settings, new_entries=new_entries),
                "verified": result.verified,
                "has_validators": bool(got.headers.get("etag") or got.headers.get("last-modified")),
                "lying": lying, "moved_to": got.moved_permanently_to})
            result = dataclasses.replace(result, outcome=outcome)
        events.append({"feed_id": feed["id"], "url": feed["url"], "outcome": result.outcome,
                       "http_status": got.status, "bytes": got.wire_bytes or len(got.body),
                       "duration_ms": round(got.elapsed * 1000), "entries_seen": counts["entries_seen"],
                       "entries_new": counts["articles_new"], "conditional": result.conditional,
                       "detail": result.error or lying})
        recorded.append((result, counts))
    warehouse.record_poll_successes(conn, successes)
    warehouse.record_poll_failures(conn, failures)
    warehouse.record_fetch_events(conn, events)
    return recorded


def _caught_lying(feed: dict, result: PollResult, new_entries: int) -> str | None:
    """After a verification poll: did the server's conditional answers hide new entries?"""
    if not new_entries:
        return None  # a changed timestamp in an otherwise identical feed is no lie worth acting on
    if result.checked_304:
        return f"answered 304 Not Modified although the feed had {_entries(new_entries)}"
    etag = result.download.headers.get("etag")
    if etag and etag == feed.get("etag") and result.body_hash != feed.get("body_hash"):
        return f"repeated ETag {etag} for a changed feed with {_entries(new_entries)}"
    return None


def _entries(count: int) -> str:
    return f"{count} new entr{'y' if count == 1 else 'ies'}"
