"""Nothing lost, nothing doubled, no story split, whatever dies:

- the process running the extract step, and then the dedup step, SIGKILLed half-way (as a worker
  is killed), then the step run again (as Airflow retries it);
- PostgreSQL restarted in the middle of a load (a private cluster this test starts, never the
  machine's shared server): the task fails, Airflow retries it, the result equals a clean run;
- two runs of the whole pipeline at once (a manual trigger during a scheduled run).

The farm (bench/pagefarm.py) serves real page i mod P as article i, on several hosts: copies of
one page are one story, so the expected stories are known without a reference run.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import psycopg2
import pytest
from conftest import query, scalar

from wirewatch import warehouse
from wirewatch.dedup.runner import dedup_articles
from wirewatch.demo import CorpusServer, import_demo_feeds, load_dag_module
from wirewatch.extraction.runner import extract_articles
from wirewatch.feeds.lists import FeedSpec
from wirewatch.feeds.runner import poll_feeds
from wirewatch.fetch.runner import fetch_articles
from wirewatch.settings import REPO_ROOT, connection_json
from wirewatch.tagging.runner import tag_articles

sys.path.insert(0, str(REPO_ROOT / "bench"))
from pagefarm import PageFarm  # noqa: E402

pytestmark = pytest.mark.pipeline

FARM_ARTICLES = 200  # over three extract batches of 64


@pytest.fixture
def farm(settings):
    with PageFarm(articles=FARM_ARTICLES, hosts=10) as farm:
        with psycopg2.connect(settings.database_url) as conn:
            warehouse.upsert_feeds(conn, [FeedSpec(**spec) for spec in farm.feed_specs()])
        yield farm


def stage(settings, name: str, run_id: str = "faults") -> dict:
    if name == "poll":
        return poll_feeds(0, 1, run_id=run_id, settings=settings)
    if name == "fetch":
        return fetch_articles(0, 1, run_id=run_id, settings=settings)
    return {"extract": extract_articles, "dedup": dedup_articles,
            "tag": tag_articles}[name](run_id=run_id, settings=settings)


def kill_half_way(settings, name: str, progress_sql: str, threshold: int) -> int:
    """Run stage `name` in a child process and SIGKILL it (and its pool) once `progress_sql` counts
    `threshold`; -> the progress at the kill."""
    package = {"extract": "extraction", "dedup": "dedup", "tag": "tagging"}[name]
    code = (f"from wirewatch.{package}.runner import {name}_articles; from wirewatch.settings import Settings; "
            f"{name}_articles(run_id='killed', settings=Settings.from_env())")
    child = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "plugins")},
                             start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    try:
        while (done := scalar_new(settings, progress_sql)) < threshold:
            assert child.poll() is None, f"the {name} step ended before it could be killed ({done} done)"
            assert time.monotonic() < deadline, f"the {name} step made no progress"
            time.sleep(0.05)
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    return done


def scalar_new(settings, sql: str):
    with psycopg2.connect(settings.database_url) as conn, conn.cursor() as cur:
        cur.execute(sql)
        value = cur.fetchone()[0]
    conn.close()
    return value


def assert_exact_outcome(db, farm) -> None:
    """Every farm article once, extracted, tried once, tagged; one story per real page."""
    rows = query(db, "SELECT canonical_url, status, attempts, story_id, tagged_at IS NOT NULL FROM articles")
    assert len(rows) == FARM_ARTICLES and len({r[0] for r in rows}) == FARM_ARTICLES
    assert {r[1] for r in rows} == {"extracted"} and {r[2] for r in rows} == {1}
    assert all(r[4] for r in rows), "an article was left untagged"
    # Copies of one page are one story (never split). Two different real pages may be one story
    # too, when outlets ran the same report: that is dedup's call, not a fault's.
    story_of_page: dict[int, set[int]] = defaultdict(set)
    stories = {r[3] for r in rows}
    for url, _status, _attempts, story, _tagged in rows:
        story_of_page[farm.page_index(int(url.rsplit("/", 1)[1].split(".")[0]))].add(story)
    assert all(len(found) == 1 for found in story_of_page.values()), "a page's copies were split over stories"
    assert scalar(db, "SELECT count(*) FROM stories WHERE articles > 0") == len(stories)
    assert scalar(db, "SELECT sum(articles) FROM stories") == FARM_ARTICLES


def test_extract_worker_killed_half_way(settings, farm, db):
    stage(settings, "poll")
    stage(settings, "fetch")
    done = kill_half_way(settings, "extract", "SELECT count(*) FROM articles WHERE status = 'extracted'", 64)
    assert 64 <= done < FARM_ARTICLES, done
    assert scalar(db, "SELECT count(*) FROM articles WHERE status = 'fetched'") > 0  # work was left
    stage(settings, "extract")  # the retry
    stage(settings, "dedup")
    stage(settings, "tag")
    assert_exact_outcome(db, farm)


def test_dedup_worker_killed_half_way(settings, farm, db):
    for name in ("poll", "fetch", "extract"):
        stage(settings, name)
    done = kill_half_way(settings, "dedup", "SELECT count(*) FROM articles WHERE deduped_at IS NOT NULL", 60)
    assert 60 <= done < FARM_ARTICLES, done
    stage(settings, "dedup")  # the retry
    stage(settings, "tag")
    assert_exact_outcome(db, farm)


def test_two_pipelines_at_once_process_nothing_twice(settings, farm, db):
    """Two processes run every stage at the same time (a manual trigger during a scheduled run)."""
    code = ("import sys; from wirewatch.settings import Settings; "
            "from wirewatch.feeds.runner import poll_feeds; from wirewatch.fetch.runner import fetch_articles; "
            "from wirewatch.extraction.runner import extract_articles; from wirewatch.dedup.runner import dedup_articles; "
            "from wirewatch.tagging.runner import tag_articles; "
            "s = Settings.from_env(); r = sys.argv[1]; "
            "poll_feeds(0, 1, run_id=r, settings=s); fetch_articles(0, 1, run_id=r, settings=s); "
            "extract_articles(run_id=r, settings=s); dedup_articles(run_id=r, settings=s); "
            "tag_articles(run_id=r, settings=s)")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "plugins"), "WIREWATCH_EXTRACT_WORKERS": "1"}
    runs = [subprocess.Popen([sys.executable, "-c", code, f"run{n}"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True) for n in (1, 2)]
    for run in runs:
        _out, err = run.communicate(timeout=600)
        assert run.returncode == 0, err[-3000:]
    assert_exact_outcome(db, farm)
    fetched = query(db, "SELECT run_id, sum((counts->>'fetched')::int) FROM run_stats WHERE stage = 'fetch' "
                        "GROUP BY run_id")
    assert sum(n for _, n in fetched) == FARM_ARTICLES, fetched  # each page downloaded once in all
    pages = {path: n for path, n in farm.paths.items() if "/news/" in path}
    assert len(pages) == FARM_ARTICLES and set(pages.values()) == {1}, "a page was fetched twice"


# --- PostgreSQL restarted during a load ---------------------------------------------------------

def _pg_bin() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    return None


@pytest.fixture
def private_cluster():
    """A PostgreSQL cluster of this test's own on a free port, stopped and removed afterwards."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    root = Path(tempfile.mkdtemp(prefix="wirewatch-pg-"))
    data = root / "data"
    if as_postgres:
        shutil.chown(root, "postgres")
    from airflow_server import free_port

    port = free_port()
    subprocess.run([*as_postgres, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"],
                   check=True, capture_output=True)
    ctl = [*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w",
           "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1"]
    subprocess.run([*ctl, "start"], check=True, capture_output=True)
    url = f"postgresql://postgres@127.0.0.1:{port}/wirewatch"

    def restart() -> None:
        subprocess.run([*ctl, "-m", "fast", "restart"], check=True, capture_output=True)

    try:
        yield url, restart
    finally:
        subprocess.run([*ctl, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_postgres_restarted_during_a_load(settings, private_cluster, airflow_db, monkeypatch):
    from test_news_ingest_dag import ARTICLES, STATUS_OF_KIND, articles_by_path

    from wirewatch.demo import prepare_warehouse

    url, restart = private_cluster
    monkeypatch.setenv("WIREWATCH_DATABASE_URL", url)
    monkeypatch.setenv("AIRFLOW_CONN_WIREWATCH_WAREHOUSE", connection_json(url))
    private = settings.__class__.from_env()
    prepare_warehouse(private)
    restarts = []

    class RestartingCorpus(CorpusServer):
        def respond(self, path):
            if len([p for p in self.requests if p.endswith(".html")]) == len(ARTICLES) // 2 and not restarts:
                restart()  # every connection of the load is cut; the server is back when this returns
                restarts.append(time.monotonic())
            return super().respond(path)

    dag = load_dag_module().news_ingest_dag
    for task in dag.tasks:
        task.retry_delay = timedelta(seconds=1)
        task.retry_exponential_backoff = False
    with RestartingCorpus() as corpus:
        import_demo_feeds(private, corpus.base_url)
        run = dag.test()
    assert restarts, "the restart was never injected"
    tries = {ti.task_id: ti.try_number for ti in run.get_task_instances()}
    assert str(run.state).endswith("success"), [(ti.task_id, ti.state) for ti in run.get_task_instances()]
    assert max(tries.values()) > 1, f"no task failed and was retried: {tries}"
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        found = articles_by_path(conn)
        assert set(found) == {a["path"] for a in ARTICLES}
        for article in ARTICLES:
            assert found[article["path"]]["status"] in STATUS_OF_KIND[article["kind"]], article["path"]
            assert found[article["path"]]["attempts"] == 1, article["path"]
        stories = {found[a["path"]]["story_id"] for a in ARTICLES if a["kind"] == "article"}
        assert len(stories) == len({a["story"] for a in ARTICLES if a["kind"] == "article"})
    finally:
        conn.close()
