"""
Tasks shared by the wirewatch DAGs (not a DAG itself): what happens to stored pages once they are
fetched or marked for reprocessing. Business logic lives in `plugins/wirewatch/pipeline.py`.

```
extract -> dedup -> tag -> report_run
```
"""

from __future__ import annotations

from airflow.sdk import task

from wirewatch import pipeline, report
from wirewatch.settings import task_settings


def process_stored_pages(upstream):
    """Wire extract -> dedup -> tag -> report_run after `upstream`; returns the report task."""

    @task
    def extract(_upstream, run_id: str | None = None) -> dict:
        return pipeline.extract_articles(run_id=run_id, settings=task_settings())

    @task
    def dedup(_extracted: dict, run_id: str | None = None) -> dict:
        return pipeline.dedup_articles(run_id=run_id, settings=task_settings())

    @task
    def tag(_deduped: dict, run_id: str | None = None) -> dict:
        return pipeline.tag_articles(run_id=run_id, settings=task_settings())

    @task
    def report_run(_tagged: dict, run_id: str | None = None) -> dict:
        return report.log_run_summary(run_id, task_settings())

    return report_run(tag(dedup(extract(upstream))))
