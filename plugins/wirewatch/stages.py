"""What every stage runner shares: its counts, its shards, the reasons it reports, its last step.

Each stage's runner (`feeds.runner`, `fetch.runner`, `extraction.runner`, `dedup.runner`,
`tagging.runner`) takes ids and counts in and returns counts out. Every item a stage touches
ends with exactly one recorded outcome in the warehouse, committed item by item, so a task that
dies half-way loses nothing and its retry duplicates nothing. `finish` records a stage's counts
for the run report and logs the stage's "done" line.
"""

from __future__ import annotations

import logging
import math
from collections import Counter

from wirewatch import warehouse
from wirewatch.db import connect
from wirewatch.settings import Settings
from wirewatch.urls import site_of

LOGGER = logging.getLogger(__name__)

Counts = dict[str, object]

# The counts each stage reports (always all of them, zeros included, so summaries are stable).
STAGE_COUNTS = {
    "poll": ("feeds_polled", "feeds_ok", "feeds_not_modified", "feeds_failed", "entries_seen", "entries_skipped",
             "articles_new", "articles_known", "articles_changed"),
    "fetch": ("fetched", "rejected", "failed", "retrying"),
    "extract": ("extracted", "rejected", "failed", "flagged_maybe_not_article"),
    "dedup": ("articles_deduped", "new_stories", "syndicated_copies", "exact_duplicates", "same_page_merged"),
    "tag": ("articles_tagged", "topic_links", "actor_links", "articles_without_topic", "articles_untagged_language",
            "event_facts", "event_reports"),
    "events": ("reports_merged", "events_new", "events_updated", "events_recounted"),
}


def settings_or_env(settings: Settings | None) -> Settings:
    return settings or Settings.from_env()


def shards_for(pending: int, settings: Settings) -> list[dict[str, int]]:
    """Split `pending` items into at most `max_shards` shards; always at least one, so the
    mapped task runs (and records zero) rather than being skipped."""
    shards = max(1, min(settings.max_shards, math.ceil(pending / settings.shard_size)))
    return [{"shard": k, "shards": shards} for k in range(shards)]


def reason_kind(reason: str) -> str:
    """A reason without its particulars ("not an HTML page (application/pdf)" -> "not an HTML
    page"), so that a run's reasons group and a site being dropped stands out."""
    return reason.split(" (", 1)[0][:REASON_KIND_MAX]


REASON_KIND_MAX = 100
# A run's report names at most this many sites whose articles were not loaded.
REASON_SITES_MAX = 50


def note_reason(reasons: Counter, by_site: dict[str, Counter], reason: str, url: str) -> None:
    kind = reason_kind(reason)
    reasons[kind] += 1
    by_site.setdefault(site_of(url), Counter())[kind] += 1


def finish(settings: Settings, run_id: str, stage: str, shard: int, counts: Counter, reasons: Counter,
            by_site: dict[str, Counter] | None = None) -> Counts:
    result: Counts = {key: counts[key] for key in STAGE_COUNTS[stage]}
    if reasons:
        result["reasons"] = dict(reasons)
    if by_site:
        busiest = sorted(by_site.items(), key=lambda kv: -sum(kv[1].values()))[:REASON_SITES_MAX]
        result["reasons_by_site"] = {site: dict(kinds) for site, kinds in busiest}
    with connect(settings.database_url) as conn:
        warehouse.record_run_stats(conn, run_id, stage, shard, result)
    LOGGER.info("%s%s done: %s", stage, f" shard {shard}" if stage in ("poll", "fetch") else "",
                ", ".join(f"{key.replace('_', ' ')} {counts[key]}" for key in STAGE_COUNTS[stage]))
    return result
