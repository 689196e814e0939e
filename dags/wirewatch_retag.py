"""
### wirewatch_retag

Re-tags stored articles after `config/topics.yaml` or `config/actors.yaml` changed, without
refetching or re-extracting: every article tagged with another taxonomy version, or, with the
`all` param, every extracted article. The same as `wirewatch retag [--all]`. Trigger it by hand.

```
mark (only with all) -> tag -> events -> report
```
Business logic lives in the stage runners of `plugins/wirewatch/` (README, "Code map"); this file only wires it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import Param, dag, task

from wirewatch.reporting import report
from wirewatch.settings import task_settings
from wirewatch.tagging import runner as tagging_runner
from wirewatch_tasks import merge_events


@dag(
    dag_id="wirewatch_retag",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "wirewatch", "retries": 2, "retry_delay": timedelta(minutes=1)},
    params={"all": Param(False, type="boolean",
                         description="re-tag every extracted article, not only those of older taxonomy versions")},
    tags=["wirewatch", "maintenance"],
    doc_md=__doc__,
)
def wirewatch_retag():
    @task
    def mark(params: dict | None = None) -> int:
        return tagging_runner.mark_for_retag(task_settings()) if params.get("all") else 0

    @task
    def tag(_marked: int, run_id: str | None = None) -> dict:
        return tagging_runner.tag_articles(run_id=run_id, settings=task_settings())

    @task
    def report_run(_merged: dict, run_id: str | None = None) -> dict:
        return report.log_run_summary(run_id, task_settings())

    report_run(merge_events(tag(mark())))


wirewatch_retag_dag = wirewatch_retag()
