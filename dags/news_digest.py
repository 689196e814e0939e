"""
### news_digest

Renders the digest of the last 24 hours (`plugins/wirewatch/reporting/digest.py`): top stories per topic
with their outlet counts, spikes of topics and actors against their trailing 14-day daily mean,
feed-health warnings, and topic volume over 14 days, as HTML and Markdown with PNG charts, into
WIREWATCH_DIGEST_DIR. Runs whenever `news_ingest` has loaded articles (the `wirewatch_articles`
Asset), and daily at 06:00 UTC. E-mails the HTML through Airflow's SMTP provider only when
WIREWATCH_DIGEST_EMAIL lists recipients and the `smtp_default` connection exists.

```
render -> email (skipped unless configured)
```
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, dag, task
from wirewatch_tasks import ARTICLES_ASSET

from wirewatch.reporting import digest
from wirewatch.settings import task_settings


@dag(
    dag_id="news_digest",
    schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable("0 6 * * *", timezone="UTC"),
                                 assets=[ARTICLES_ASSET]),
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "wirewatch", "retries": 2, "retry_delay": timedelta(minutes=1)},
    tags=["wirewatch", "digest"],
    doc_md=__doc__,
)
def news_digest():
    @task
    def render() -> dict:
        return digest.render_digest(task_settings())

    @task
    def email(rendered: dict) -> str:
        return digest.email_digest(rendered, task_settings())

    email(render())


news_digest_dag = news_digest()
