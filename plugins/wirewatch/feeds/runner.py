"""The poll step's runner: plan the poll's shards, and poll one shard's due feeds."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

from wirewatch import warehouse
from wirewatch.db import connect
from wirewatch.feeds import polling
from wirewatch.settings import Settings
from wirewatch.stages import Counts, finish, settings_or_env, shards_for

LOGGER = logging.getLogger(__name__)


def plan_poll(settings: Settings | None = None) -> list[dict[str, int]]:
    settings = settings_or_env(settings)
    with connect(settings.database_url) as conn:
        due = warehouse.count_due_feeds(conn)
    LOGGER.info("%d feeds due", due)
    return shards_for(due, settings)


def poll_feeds(shard: int, shards: int, *, run_id: str, settings: Settings | None = None) -> Counts:
    """Poll the due feeds of one shard, many at a time; queue new entries as articles.

    One asyncio loop (see polling.poll_due_feeds): feeds are claimed in batches with a lease,
    up to WIREWATCH_POLL_WORKERS downloads are in flight, and outcomes are written in groups, one
    transaction each (feed state, fetch_events, queued articles together)."""
    settings = settings_or_env(settings)
    counts: Counter = Counter()
    reasons: Counter = Counter()

    def recorded(result: polling.PollResult, found: dict[str, int]) -> None:
        counts.update(found)
        counts["feeds_polled"] += 1
        counts[POLL_OUTCOME_COUNT.get(result.outcome, "feeds_failed")] += 1
        if result.error:
            reasons[result.error] += 1
        LOGGER.info("polled feed %s (%s): %s%s", result.feed["id"], result.feed["url"], result.outcome,
                    f" ({result.error})" if result.error else "")

    with connect(settings.database_url) as conn:
        asyncio.run(polling.poll_due_feeds(conn, shard, shards, settings, recorded))
    return finish(settings, run_id, "poll", shard, counts, reasons)


# How each poll outcome is counted in the stage summary.
POLL_OUTCOME_COUNT = {"new_entries": "feeds_ok", "no_new_entries": "feeds_ok", "parsed": "feeds_ok",
                      "not_modified": "feeds_not_modified", "same_body": "feeds_not_modified"}
