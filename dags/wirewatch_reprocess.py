"""
### wirewatch_reprocess

Re-extracts stored article pages with the current extractor (after an upgrade, a cleaner fix or
newly learned site boilerplate), without refetching, then re-runs dedup and tagging on what
changed. Trigger it by hand; the params narrow it to one site or to pages fetched since a date.
Pages are kept for `WIREWATCH_RAW_PAGE_RETENTION_DAYS` (default 30).

```
mark -> extract -> dedup -> tag -> events -> report
```
Business logic lives in the stage runners of `plugins/wirewatch/` (README, "Code map"); this file only wires it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import Param, dag, task
from wirewatch_tasks import process_stored_pages

from wirewatch.extraction import runner as extraction_runner
from wirewatch.settings import task_settings

STATUSES = ["extracted", "rejected", "failed"]


@dag(
    dag_id="wirewatch_reprocess",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "wirewatch", "retries": 2, "retry_delay": timedelta(minutes=1)},
    params={
        "site": Param(None, type=["null", "string"], description="only this site (host, with or without www.)"),
        "since": Param(None, type=["null", "string"], format="date",
                       description="only pages fetched on or after this date"),
        "statuses": Param(STATUSES, type="array", items={"enum": STATUSES},
                          description="article statuses to re-extract"),
    },
    tags=["wirewatch", "maintenance"],
    doc_md=__doc__,
)
def wirewatch_reprocess():
    @task
    def mark(params: dict | None = None) -> int:
        since = params.get("since")
        return extraction_runner.mark_for_reprocess(
            site=params.get("site"),
            since=datetime.fromisoformat(since).replace(tzinfo=timezone.utc) if since else None,
            statuses=tuple(params.get("statuses") or STATUSES), settings=task_settings())

    process_stored_pages(mark())


wirewatch_reprocess_dag = wirewatch_reprocess()
