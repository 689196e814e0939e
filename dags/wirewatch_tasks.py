"""
Tasks shared by the wirewatch DAGs (not a DAG itself): what happens to stored pages once they are
fetched or marked for reprocessing. Business logic lives in the stage runners of `plugins/wirewatch/` (README, "Code map").

```
extract -> dedup -> tag -> events -> report_run (outlet: the wirewatch_articles Asset)
```
`extract_while_fetching` runs beside `news_ingest`'s fetch tasks: it extracts pages as they are
stored, and `extract` after the fetch takes whatever is left (usually nothing).
and the data-quality checks run after a load (`quality_checks`).

Queues (CeleryExecutor; LocalExecutor ignores them): feed polls and page fetches go to
`WIREWATCH_IO_QUEUE`, extract/dedup/tag to `WIREWATCH_CPU_QUEUE`, the rest to Airflow's default
queue, which is also what both settings fall back to. See docs/deployment.md.
"""

from __future__ import annotations

import os
from datetime import timedelta

from airflow.providers.common.sql.operators.sql import SQLCheckOperator
from airflow.sdk import Asset, BaseOperator, task

from wirewatch.dedup import runner as dedup_runner
from wirewatch.events import runner as events_runner
from wirewatch.extraction import runner as extraction_runner
from wirewatch.reporting import report
from wirewatch.settings import WAREHOUSE_CONN_ID, task_settings
from wirewatch.tagging import runner as tagging_runner
from wirewatch.warehouse.checks import CHECKS

# Celery queues, read at parse time: I/O-bound tasks (many slots) and CPU-bound ones (slots = cores).
IO_QUEUE = os.environ.get("WIREWATCH_IO_QUEUE") or BaseOperator.queue
CPU_QUEUE = os.environ.get("WIREWATCH_CPU_QUEUE") or BaseOperator.queue

# The warehouse's articles: updated by every load; the digest is scheduled on it.
ARTICLES_ASSET = Asset(name="wirewatch_articles", uri="wirewatch://warehouse/articles", group="wirewatch")


def extract_while_fetching():
    """The extract task that runs beside the fetch tasks, on the pages they store as they store them."""

    @task(queue=CPU_QUEUE, task_id="extract_while_fetching")
    def extract_while_fetching_task(_planned, run_id: str | None = None) -> dict:
        return extraction_runner.extract_while_fetching(run_id=run_id, settings=task_settings())

    return extract_while_fetching_task


def process_stored_pages(upstream, *, also_after=None):
    """Wire extract -> dedup -> tag -> events -> report_run after `upstream` (and `also_after`, a
    task whose outcome does not matter: `extract` takes every page left fetched); returns the
    report task."""

    # all_done: when extract_while_fetching failed, the pages it left are extracted here all the same.
    @task(queue=CPU_QUEUE, trigger_rule="all_done")
    def extract(_upstream, run_id: str | None = None) -> dict:
        return extraction_runner.extract_articles(run_id=run_id, settings=task_settings())

    @task(queue=CPU_QUEUE)
    def dedup(_extracted: dict, run_id: str | None = None) -> dict:
        return dedup_runner.dedup_articles(run_id=run_id, settings=task_settings())

    @task(queue=CPU_QUEUE)
    def tag(_deduped: dict, run_id: str | None = None) -> dict:
        return tagging_runner.tag_articles(run_id=run_id, settings=task_settings())

    @task(outlets=[ARTICLES_ASSET])
    def report_run(_merged: dict, run_id: str | None = None) -> dict:
        return report.log_run_summary(run_id, task_settings())

    extracted = extract(upstream)
    if also_after is not None:
        also_after >> extracted
    return report_run(merge_events(tag(dedup(extracted))))


def merge_events(upstream):
    """The events task after `upstream` (the tag task): reports merged into conflict events."""

    @task(task_id="events")
    def events(_tagged: dict, run_id: str | None = None) -> dict:
        return events_runner.record_events(run_id=run_id, settings=task_settings())

    return events(upstream)


def quality_checks(upstream) -> list[SQLCheckOperator]:
    """One check task per rule of `wirewatch.warehouse.checks`, after `upstream`, whatever its
    outcome. A failing check fails its own task (its log gives the count and the first ids),
    loads nothing and undoes nothing, and blocks no later run: nothing runs after the checks."""
    # One retry, soon: for a dropped connection; a rule broken by the data fails again at once.
    checks = [SQLCheckOperator(task_id=f"check_{name}", conn_id=WAREHOUSE_CONN_ID, sql=sql, retries=1,
                               retry_delay=timedelta(seconds=10), retry_exponential_backoff=False,
                               trigger_rule="all_done", doc_md=f"Data-quality check `{name}`.")
              for name, sql in CHECKS.items()]
    upstream >> checks
    return checks
