"""Retention: what the warehouse forgets, in batches, and the VACUUM/ANALYZE after it.

Forgotten: downloaded pages past WIREWATCH_RAW_PAGE_RETENTION_DAYS (except pages still waiting for
extraction), poll history past WIREWATCH_FETCH_EVENT_RETENTION_DAYS, one-off site lines as old as
the pages, and the LSH band rows of articles seen before the dedup window (plus a margin): no new
article can match them. Never forgotten: articles, their text, stories, topics, actors, events.

Each batch is its own transaction of at most WIREWATCH_RETENTION_BATCH_SIZE rows, so locks stay
short and a killed run loses nothing but the batch in flight (a re-run simply continues).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from wirewatch import warehouse
from wirewatch.db import Connection, connect
from wirewatch.settings import Settings

LOGGER = logging.getLogger(__name__)

# The tables pruning shrinks: vacuumed and analyzed afterwards.
PRUNED_TABLES = ("raw_pages", "fetch_events", "site_lines", "article_bands", "articles")


def _in_batches(settings: Settings, what: str, delete: Callable[[Connection, int], int]) -> int:
    total = 0
    with connect(settings.database_url) as conn:
        while True:
            removed = delete(conn, settings.retention_batch_size)
            conn.commit()
            total += removed
            if removed:
                LOGGER.info("%s: %d removed so far", what, total)
            if removed < settings.retention_batch_size:
                return total


def prune(settings: Settings, *, now: datetime | None = None) -> dict[str, int]:
    """Delete everything past its retention, batch by batch. -> rows removed per kind."""
    now = now or datetime.now(timezone.utc)
    pages = timedelta(days=settings.raw_page_retention_days)
    events = timedelta(days=settings.fetch_event_retention_days)
    bands_before = now - timedelta(days=settings.dedup_window_days + settings.band_retention_margin_days)
    removed = {
        "raw_pages": _in_batches(settings, "raw pages", lambda c, n: warehouse.purge_raw_pages(c, pages, n)),
        "fetch_events": _in_batches(settings, "fetch events", lambda c, n: warehouse.purge_fetch_events(c, events, n)),
        "site_lines": _in_batches(settings, "one-off site lines", lambda c, n: warehouse.purge_site_lines(c, pages, n)),
    }
    articles = bands = 0

    def prune_bands(conn: Connection, limit: int) -> int:
        nonlocal articles, bands
        pruned_articles, pruned_bands = warehouse.prune_bands(conn, bands_before, limit)
        articles, bands = articles + pruned_articles, bands + pruned_bands
        return pruned_articles

    _in_batches(settings, "articles' LSH bands", prune_bands)
    removed.update(article_bands=bands, articles_with_bands_pruned=articles)
    LOGGER.info("retention: %d raw pages (older than %g days), %d fetch events (older than %d days), %d one-off "
                "site lines, %d LSH band rows of %d articles seen before %s; articles, stories and tags are kept",
                removed["raw_pages"], settings.raw_page_retention_days, removed["fetch_events"],
                settings.fetch_event_retention_days, removed["site_lines"], bands, articles, f"{bands_before:%Y-%m-%d}")
    return removed


def vacuum(settings: Settings) -> list[str]:
    """VACUUM (ANALYZE) the tables pruning shrinks (outside a transaction, as VACUUM must be)."""
    with connect(settings.database_url, autocommit=True) as conn, conn.cursor() as cur:
        for table in PRUNED_TABLES:
            cur.execute(f"VACUUM (ANALYZE) {table}")
    LOGGER.info("vacuumed and analyzed %s", ", ".join(PRUNED_TABLES))
    return list(PRUNED_TABLES)
