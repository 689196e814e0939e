"""
### wirewatch_maintenance

Daily retention (`plugins/wirewatch/retention.py`): deletes, in batches, downloaded pages and
poll history past their retention, one-off site lines, and the LSH band rows of articles seen
before the dedup window (they can never match a new article), then VACUUM (ANALYZE) on the tables
it shrank. Articles, stories, topics and actors are never deleted. The `prune` task's return value
(and log) says what was removed.

```
prune -> vacuum
```
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import dag, task

from wirewatch import retention
from wirewatch.settings import task_settings


@dag(
    dag_id="wirewatch_maintenance",
    schedule="0 3 * * *",
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "wirewatch", "retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["wirewatch", "maintenance"],
    doc_md=__doc__,
)
def wirewatch_maintenance():
    @task
    def prune() -> dict[str, int]:
        return retention.prune(task_settings())

    @task
    def vacuum(_removed: dict[str, int]) -> list[str]:
        return retention.vacuum(task_settings())

    vacuum(prune())


wirewatch_maintenance_dag = wirewatch_maintenance()
