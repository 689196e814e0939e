"""Feed parsing: an RSS/Atom document's bytes into `FeedEntry` records (feedparser).

Pure: `parse_feed(body, url=…)` returns a `ParsedFeed` or raises `FeedParseError` saying why the
document is not a usable feed. Downloading and bookkeeping live in `feeds.polling` and `warehouse`.
"""

from __future__ import annotations

import calendar
import html
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urljoin

import feedparser

from wirewatch.urls import InvalidURL, canonical_url

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class FeedEntry:
    link: str
    canonical_url: str
    entry_id: str | None
    title: str | None
    summary: str | None
    published_at: datetime | None
    author: str | None


@dataclass(frozen=True, kw_only=True)
class ParsedFeed:
    title: str | None
    format: str
    entries: list[FeedEntry]
    # Entries we could not use (no link, not http…), each with a reason: counted, never dropped silently.
    skipped: list[str] = field(default_factory=list)
    # A recoverable problem feedparser reported (e.g. wrong declared charset).
    warning: str | None = None
    # The publisher's own hint of how often to poll: <ttl>, or sy:updatePeriod / sy:updateFrequency.
    min_interval_minutes: float | None = None


class FeedParseError(ValueError):
    """The document is not a usable feed; the message says why."""


FORMAT_NAMES = {
    "rss090": "RSS 0.90", "rss091n": "RSS 0.91", "rss091u": "RSS 0.91", "rss092": "RSS 0.92",
    "rss093": "RSS 0.93", "rss094": "RSS 0.94", "rss20": "RSS 2.0", "rss10": "RSS 1.0",
    "rss": "RSS", "atom01": "Atom 0.1", "atom02": "Atom 0.2", "atom03": "Atom 0.3",
    "atom10": "Atom 1.0", "atom": "Atom", "cdf": "CDF",
}


def parse_feed(body: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse an RSS 0.9x/1.0/2.0 or Atom document; raise FeedParseError if it is not a usable feed."""
    content_type, charset_note = _trust_utf8(body, content_type)
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False,
                              resolve_relative_uris=False)
    problem = _describe_bozo(parsed.get("bozo_exception")) if parsed.get("bozo") else None
    problem = charset_note or problem
    version = parsed.get("version") or ""
    if not version:
        if parsed.entries:
            problem = problem or "unknown feed format"
        else:
            looks_html = re.search(rb"<html[\s>]", body[:2048], re.IGNORECASE)
            raise FeedParseError("not a feed (got an HTML page)" if looks_html
                                 else _storable(f"not a feed ({problem or 'no RSS/Atom root element'})"))
    entries: list[FeedEntry] = []
    skipped: list[str] = []
    for position, raw in enumerate(parsed.entries, start=1):
        try:
            link = _entry_link(raw, url)
        except ValueError as exc:  # urljoin rejects hosts such as "[::1" or "[]": skip the entry, keep the feed
            skipped.append(f"entry #{position}: unusable link ({exc})")
            continue
        if not link:
            skipped.append(f"entry #{position} has no link")
            continue
        if link != _storable(link):
            skipped.append(f"entry #{position}: the link holds a NUL or undecodable character")
            continue
        try:
            key = canonical_url(link)
        except InvalidURL as exc:
            skipped.append(f"entry #{position}: {exc}")
            continue
        entries.append(FeedEntry(
            link=link,
            canonical_url=key,
            entry_id=_storable(raw.get("id") or "") or None,
            title=_plain(raw.get("title")),
            summary=_plain(raw.get("summary")),
            published_at=_entry_time(raw),
            author=_plain(raw.get("author")),
        ))
    if problem and not entries and "encoding" not in problem:
        # Broken XML from which nothing usable could be recovered.
        raise FeedParseError(_storable(f"malformed feed: {problem}"))
    return ParsedFeed(title=_plain(parsed.feed.get("title")),
                      format=FORMAT_NAMES.get(version, version or "unknown"),
                      entries=entries, skipped=[_storable(reason) for reason in skipped],
                      warning=_storable(problem) if problem else None,
                      min_interval_minutes=_publisher_interval(parsed.feed))


SINGLE_BYTE_CHARSETS = re.compile(r"charset\s*=\s*[\"']?(iso-?8859-1|latin-?1|windows-1252|cp1252|us-ascii|ascii)\b",
                                  re.IGNORECASE)


def _trust_utf8(body: bytes, content_type: str | None) -> tuple[str | None, str | None]:
    """A body declared Latin-1 (or ASCII) that is valid UTF-8 with non-ASCII bytes is UTF-8: real Latin-1
    text practically never forms valid multi-byte sequences, and believing the header would store
    mojibake ("TrÃªve"). -> (content type to parse with, note for the feed's warning)."""
    declared = SINGLE_BYTE_CHARSETS.search(content_type or "")
    if not declared or body.isascii():
        return content_type, None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return content_type, None
    fixed = SINGLE_BYTE_CHARSETS.sub("charset=utf-8", content_type)
    return fixed, f"encoding problem: declared {declared.group(1)}, but the body is UTF-8 (read as UTF-8)"


SY_PERIOD_MINUTES = {"hourly": 60, "daily": 24 * 60, "weekly": 7 * 24 * 60, "monthly": 30 * 24 * 60,
                     "yearly": 365 * 24 * 60}
MAX_PUBLISHER_INTERVAL = 365 * 24 * 60.0


def _publisher_interval(feed: feedparser.FeedParserDict) -> float | None:
    """Minutes the publisher asks clients to wait: RSS <ttl>, else the syndication module's
    updatePeriod / updateFrequency (e.g. hourly, 2 -> every 30 minutes). None if absent or nonsense.
    isdecimal, not isdigit: int() cannot read digits such as "²". Capped at a year, above any poll
    bound, because a ttl of 10^20 minutes would overflow timedelta when the next poll is scheduled."""
    ttl = str(feed.get("ttl") or "").strip()
    if ttl.isdecimal() and int(ttl) > 0:
        return min(float(ttl), MAX_PUBLISHER_INTERVAL)
    period = SY_PERIOD_MINUTES.get(str(feed.get("sy_updateperiod") or "").strip().lower())
    if period is None:
        return None
    frequency = str(feed.get("sy_updatefrequency") or "1").strip()
    return period / int(frequency) if frequency.isdecimal() and int(frequency) > 0 else float(period)


def _entry_link(raw: feedparser.FeedParserDict, feed_url: str) -> str | None:
    link = raw.get("link")
    if not link:
        for candidate in raw.get("links", []):
            if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                link = candidate["href"]
                break
    return urljoin(feed_url, link.strip()) if link else None


def _entry_time(raw: feedparser.FeedParserDict) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = raw.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)
            except (ValueError, OverflowError):  # feedparser accepts years datetime cannot hold (0, 10000)
                continue
    return None


TAG = re.compile(r"<[^>]+>")
SPACE = re.compile(r"\s+")


def _plain(value: str | None) -> str | None:
    """Feed titles and summaries may carry HTML; keep readable text only."""
    if not value:
        return None
    text = SPACE.sub(" ", html.unescape(TAG.sub(" ", _storable(value)))).strip()
    return text or None


def _storable(text: str) -> str:
    """Text PostgreSQL can store: no NUL characters and no lone surrogates (a header byte >= 0x80
    reaches us as one, and feedparser quotes the Content-Type in its messages); either would make
    the poll's warehouse write raise and stop the whole poll task."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _describe_bozo(exc: BaseException | None) -> str | None:
    if exc is None:
        return None
    name = type(exc).__name__
    if name in ("CharacterEncodingOverride", "CharacterEncodingUnknown"):
        return f"encoding problem: {exc}"
    message = getattr(exc, "getMessage", lambda: str(exc))()
    line = getattr(exc, "getLineNumber", lambda: None)()
    return f"{message} (line {line})" if line else (message or name)
