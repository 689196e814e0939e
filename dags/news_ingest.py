"""
### news_ingest

Polls the due RSS/Atom feeds, fetches each new article (the page is kept, compressed),
extracts its text and metadata on all cores, groups copies of one
story, tags topics and actors, and loads everything into the wirewatch warehouse (the Airflow
Connection `wirewatch_warehouse`, else `WIREWATCH_DATABASE_URL`). PostgreSQL holds the queue and
all state; tasks pass only shard numbers and counts. Every task can be retried or re-run without
duplicating rows.

```
plan_poll -> poll_feeds[shard…] -> plan_fetch -> fetch_articles[shard…] -> extract -> dedup -> tag -> events -> report
                                            \-> extract_while_fetching -/                             -> check_*
```
`extract_while_fetching` extracts pages as the fetch tasks store them, so the cores work while
the network waits; `extract` then takes whatever is left (usually nothing, or everything when
`extract_while_fetching` failed or gave up).
`report` updates the `wirewatch_articles` Asset, on which `news_digest` is scheduled. The
`check_*` tasks are the data-quality gates (`wirewatch.warehouse.checks`): a failing one shows
red with the offending count and ids in its log, and the loaded data stays.
Business logic lives in the stage runners of `plugins/wirewatch/` (README, "Code map"); this file only wires it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import dag, task
from wirewatch_tasks import IO_QUEUE, extract_while_fetching, process_stored_pages, quality_checks

from wirewatch.feeds import runner as feeds_runner
from wirewatch.fetch import runner as fetch_runner
from wirewatch.settings import Settings, task_settings

HTTP_POOL = "wirewatch_http"

default_args = {
    "owner": "wirewatch",
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "execution_timeout": timedelta(minutes=30),
}


@dag(
    dag_id="news_ingest",
    schedule=timedelta(seconds=Settings.from_env().ingest_interval_seconds),
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["wirewatch", "ingest"],
    doc_md=__doc__,
)
def news_ingest():
    @task
    def plan_poll() -> list[dict[str, int]]:
        return feeds_runner.plan_poll(task_settings())

    @task(pool=HTTP_POOL, queue=IO_QUEUE, map_index_template="{{ task.op_kwargs['shard']['shard'] }}")
    def poll_feeds(shard: dict[str, int], run_id: str | None = None) -> dict:
        return feeds_runner.poll_feeds(shard["shard"], shard["shards"], run_id=run_id, settings=task_settings())

    @task
    def plan_fetch(_polled: list[dict]) -> list[dict[str, int]]:
        return fetch_runner.plan_fetch(task_settings())

    @task(pool=HTTP_POOL, queue=IO_QUEUE, map_index_template="{{ task.op_kwargs['shard']['shard'] }}")
    def fetch_articles(shard: dict[str, int], run_id: str | None = None) -> dict:
        return fetch_runner.fetch_articles(shard["shard"], shard["shards"], run_id=run_id,
                                           settings=task_settings())

    polled = poll_feeds.expand(shard=plan_poll())
    planned = plan_fetch(polled)
    fetched = fetch_articles.expand(shard=planned)
    quality_checks(process_stored_pages(fetched, also_after=extract_while_fetching()(planned)))


news_ingest_dag = news_ingest()
