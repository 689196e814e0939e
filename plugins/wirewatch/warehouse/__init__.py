"""Warehouse I/O: every SQL statement the stages run, one module per domain:

    warehouse.feeds     feeds and polls (the poll step; queueing entries)
    warehouse.articles  articles and pages (fetch, extract, re-extraction, site boilerplate)
    warehouse.stories   stories (the dedup step)
    warehouse.tags      tags, event facts and event reports (the tag step)
    warehouse.events    conflict events merged from the reports (the events step)
    warehouse.runs      runs and reports (each stage's counts)

Work is claimed row by row with `FOR UPDATE SKIP LOCKED` inside the transaction that records
its outcome: parallel workers never take the same row, and a worker that dies mid-way rolls
back, leaving the row queued for the retry. Inserts are keyed (ON CONFLICT), so re-running
a stage adds nothing twice.

The stages call `warehouse.<function>`: every function is re-exported here, so a caller need
not know which module holds it, and the module is the one its name above says.
"""

from wirewatch.warehouse.base import SEEN_AT, Row  # noqa: F401
from wirewatch.warehouse.feeds import (  # noqa: F401
    upsert_feeds, export_feeds, list_feeds, count_due_feeds, make_feeds_due, claim_due_feeds,
    record_poll_successes, record_poll_failures, record_fetch_events, purge_fetch_events, set_feed_enabled,
    queue_entries, queue_feed_entries,
)
from wirewatch.warehouse.articles import (  # noqa: F401
    count_queued_articles, refresh_article_statistics, claim_queued_article, save_fetched, count_fetched_articles, claim_fetched_articles,
    save_extracted_many, save_not_extracted, save_refetch_failed, save_unusable, mark_for_reprocess,
    purge_raw_pages, known_boilerplate, learn_site_lines, purge_site_lines,
)
from wirewatch.warehouse.stories import (  # noqa: F401
    articles_to_dedup, begin_dedup, band_candidates, assign_story, refresh_stories, articles_without_bands,
    save_bands, merge_article, record_revisions, prune_bands,
)
from wirewatch.warehouse.tags import (  # noqa: F401
    sync_taxonomy, articles_to_tag, save_tags, record_taxonomy_version, mark_for_retag,
)
from wirewatch.warehouse.events import (  # noqa: F401
    lock_events, count_unmerged_reports, unmerged_reports, event_candidates, create_event, attach_report, reports_of,
    update_event, stale_events, delete_events,
)
from wirewatch.warehouse.runs import (  # noqa: F401
    record_run_stats, run_stats, latest_run_id,
)
