"""The events step's runner: every new event report merged into its event, stale events recounted."""

from __future__ import annotations

import logging
from collections import Counter

from wirewatch import warehouse
from wirewatch.db import connect
from wirewatch.events.merge import DATE_WINDOW, best_event, summarise
from wirewatch.settings import Settings
from wirewatch.stages import Counts, finish, settings_or_env

LOGGER = logging.getLogger(__name__)

# Reports merged per transaction.
EVENTS_BATCH = 200


def record_events(*, run_id: str, settings: Settings | None = None) -> Counts:
    """Merge the unmerged event reports, oldest article first, each into the event it belongs to
    (wirewatch.events.merge) or a new one, and recount the events a re-tag left stale.

    One events step runs at a time (an advisory lock): merging is decided in order, so a re-run or
    a retry merges nothing twice and two runs cannot split an event. Each batch is one transaction."""
    settings = settings_or_env(settings)
    counts: Counter = Counter()
    with connect(settings.database_url) as conn:
        warehouse.lock_events(conn)
        for event_id in warehouse.stale_events(conn):
            recount(conn, event_id)
            counts["events_recounted"] += 1
        conn.commit()
        while True:
            warehouse.lock_events(conn)
            batch = warehouse.unmerged_reports(conn, EVENTS_BATCH)
            if not batch:
                conn.rollback()
                break
            for report in batch:
                merge_report(conn, report, counts)
            conn.commit()
            LOGGER.info("merged %d event reports so far", counts["reports_merged"])
    return finish(settings, run_id, "events", 0, counts, Counter())


def merge_report(conn, report: dict, counts: Counter) -> int:
    """Put one report in its event (or a new one) and recount that event. -> the event's id."""
    candidates = warehouse.event_candidates(conn, report["event_type"], report["country"], report["date_from"],
                                            report["date_to"], DATE_WINDOW)
    event = best_event(report, candidates)
    if event is None:
        event_id = warehouse.create_event(conn, summarise([report]))
        counts["events_new"] += 1
    else:
        event_id = event["id"]
        counts["events_updated"] += 1
    warehouse.attach_report(conn, report["article_id"], report["topic_id"], report["location"], event_id)
    recount(conn, event_id)
    counts["reports_merged"] += 1
    return event_id


def recount(conn, event_id: int) -> None:
    """An event's fields from the reports it holds now (deleted when it holds none)."""
    reports = warehouse.reports_of(conn, event_id)
    if reports:
        warehouse.update_event(conn, event_id, summarise(reports))
    else:
        warehouse.delete_events(conn, [event_id])
