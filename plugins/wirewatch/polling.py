"""Polling feeds politely: conditional GET, skipping unchanged bodies, adaptive intervals, graded
failures with backoff, automatic disabling only on permanent signals.

`fetch_feed` does the network and parsing for one feed and touches no database, so a poll task
runs many of them in a thread pool; `record_poll` then writes the outcome in the task's own
connection. The scheduling rules are plain functions (`next_interval`, `failure_delay`) so they
can be read and tested on their own.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import requests

from wirewatch import warehouse
from wirewatch.db import Connection
from wirewatch.feeds import FeedParseError, ParsedFeed, parse_feed
from wirewatch.fetch import HARD_KINDS, Download, download
from wirewatch.settings import Settings

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


def fetch_feed(feed: dict, session: requests.Session, settings: Settings, *, verify: bool = False) -> PollResult:
    """Download and parse one feed (thread-safe; no database access).

    With `verify`, a 304 answer is checked at once with an unconditional fetch, and an unchanged
    body is parsed anyway, so that `record_poll` can tell whether the server's 304s and ETags hide
    new entries."""
    headers = conditional_headers(feed)
    got = download(session, feed["url"], settings=settings, max_bytes=settings.max_feed_bytes, headers=headers)
    checked_304 = False
    if verify and got.status == 304 and got.error is None:
        got = download(session, feed["url"], settings=settings, max_bytes=settings.max_feed_bytes)
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

def record_poll(conn: Connection, result: PollResult, settings: Settings) -> dict[str, int]:
    """Write one poll's outcome: queued articles, the feed's new state, a fetch_events row.
    -> counts for the stage summary."""
    feed, got = result.feed, result.download
    now = datetime.now(timezone.utc)
    counts = {"entries_seen": 0, "entries_skipped": 0, "articles_new": 0, "articles_known": 0, "articles_changed": 0}
    lying = None
    if result.error is not None:
        reason = disable_reason(feed, result, settings)
        warehouse.record_poll_failure(
            conn, feed["id"], http_status=got.status, error=result.error, kind=result.kind,
            hard=result.kind in HARD_KINDS, outcome=result.outcome,
            next_poll_in=failure_delay(feed, result, settings, now), disable_reason=reason)
    else:
        new_entries = 0
        if result.parsed is not None:
            parsed = result.parsed
            new_entries, known, changed = warehouse.queue_entries(conn, feed, parsed.entries)
            counts.update(entries_seen=len(parsed.entries) + len(parsed.skipped),
                          entries_skipped=len(parsed.skipped), articles_new=new_entries, articles_known=known,
                          articles_changed=changed)
            if result.verified:
                lying = _caught_lying(feed, result, new_entries)
        outcome = result.outcome if result.parsed is None else ("new_entries" if new_entries else "no_new_entries")
        warning = None
        if result.parsed is not None:
            warning = result.parsed.warning
            if result.parsed.skipped:
                warning = "; ".join(filter(None, [warning, f"{len(result.parsed.skipped)} entries skipped: "
                                                            f"{result.parsed.skipped[0]}"]))
        warehouse.record_poll_success(
            conn, feed["id"], download=got, outcome=outcome,
            feed_title=result.parsed.title if result.parsed else None,
            entries=len(result.parsed.entries) if result.parsed else None, warning=warning,
            body_hash=result.body_hash, next_poll_in=next_interval(feed, result, settings, new_entries=new_entries),
            verified=result.verified,
            conditional_off_because=lying, moved_to=got.moved_permanently_to)
        result = PollResult(**{**result.__dict__, "outcome": outcome})
    warehouse.record_fetch_event(conn, feed["id"], url=feed["url"], outcome=result.outcome,
                                 http_status=got.status, bytes_=got.wire_bytes or len(got.body),
                                 duration=got.elapsed, entries_seen=counts["entries_seen"],
                                 entries_new=counts["articles_new"], conditional=result.conditional,
                                 detail=result.error or lying)
    return counts


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
