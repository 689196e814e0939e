"""The digest over the demo corpus loaded by the real stage functions: files, the seed story under
its topics, spikes, feed warnings, and charts that are real PNG files."""

from __future__ import annotations

from datetime import timedelta

import psycopg2
import pytest
from conftest import scalar
from test_monitor import run_stages

from wirewatch.demo import import_demo_feeds
from wirewatch.reporting.digest import build_digest, write_digest

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SEED_TOPICS = ("troop-movements", "mercenary-recruitment", "missile-strikes", "nuclear-posture")


@pytest.fixture
def loaded(settings, corpus):
    import_demo_feeds(settings, corpus.base_url)
    run_stages(settings, "manual__digest")
    return settings


def seed_story(db) -> tuple[int, str]:
    with db.cursor() as cur:
        cur.execute("SELECT story_id, title FROM report_stories WHERE title ILIKE %s ORDER BY outlets DESC LIMIT 1",
                    ("%North Korean troop%",))
        story_id, title = cur.fetchone()
    return story_id, title


def test_digest_files_carry_the_seed_story_under_its_topics(loaded, db, tmp_path):
    story_id, title = seed_story(db)
    until = scalar(db, "SELECT first_seen_at FROM stories WHERE id = %s", (story_id,)) + timedelta(hours=1)
    with psycopg2.connect(loaded.database_url) as conn:
        digest = build_digest(conn, until=until)
    files = write_digest(digest, tmp_path)
    assert files.html.exists() and files.markdown.exists()
    assert (tmp_path / "latest.html").read_text() == files.html.read_text()
    topics = {topic["id"]: topic for topic in digest.topics}
    for topic in SEED_TOPICS:
        assert story_id in {s["story_id"] for s in topics[topic]["stories"]}, topic
    seed = next(s for s in topics["troop-movements"]["stories"] if s["story_id"] == story_id)
    assert seed["outlets"] >= 4
    markdown = files.markdown.read_text()
    for topic in SEED_TOPICS:
        section = markdown.split(f"### {topics[topic]['label']} (", 1)[1].split("###", 1)[0]
        assert title in section and f"{seed['outlets']} outlets" in section
    assert title.replace("'", "&#x27;") in files.html.read_text()
    assert "Broken feed" in markdown  # the demo's broken feeds are warned about
    assert files.charts and all(c.read_bytes().startswith(PNG_MAGIC) and c.stat().st_size > 5000 for c in files.charts)
    for chart in files.charts:
        assert chart.name in markdown and chart.name in files.html.read_text()


def test_spikes_in_the_digest_follow_the_threshold(loaded, db, tmp_path):
    story_id, _ = seed_story(db)
    until = scalar(db, "SELECT first_seen_at FROM stories WHERE id = %s", (story_id,)) + timedelta(hours=1)
    with psycopg2.connect(loaded.database_url) as conn:
        loose = build_digest(conn, until=until, spike_ratio=1.0, spike_min_stories=1)
        strict = build_digest(conn, until=until, spike_ratio=50.0, spike_min_stories=1)
    assert loose.spikes and not strict.spikes
    assert all(s["last_24h"] >= 1 and s["ratio"] >= 1.0 for s in loose.spikes)
    files = write_digest(loose, tmp_path)
    assert any(c.name.endswith("-spikes.png") for c in files.charts)


def test_an_empty_window_still_gives_a_digest(settings, tmp_path):
    with psycopg2.connect(settings.database_url) as conn:
        digest = build_digest(conn)
    files = write_digest(digest, tmp_path)
    assert "No tagged stories in this window." in files.markdown.read_text()
    assert files.charts[0].read_bytes().startswith(PNG_MAGIC)


def test_wirewatch_digest_command(loaded, db, tmp_path, capsys):
    from wirewatch.cli import main

    story_id, title = seed_story(db)
    until = scalar(db, "SELECT first_seen_at FROM stories WHERE id = %s", (story_id,)) + timedelta(hours=1)
    assert main(["digest", "--days", "2", "--until", until.isoformat(), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    html = next(tmp_path.glob("digest-*.html"))
    assert str(html) in printed and "new stories" in printed
    assert title.replace("'", "&#x27;") in html.read_text()


@pytest.mark.pipeline
def test_news_digest_dag_writes_the_digest(loaded, tmp_path, monkeypatch, airflow_db):
    from wirewatch.demo import load_dag_module
    from wirewatch.settings import REPO_ROOT

    monkeypatch.setenv("WIREWATCH_DIGEST_DIR", str(tmp_path))
    monkeypatch.delenv("WIREWATCH_DIGEST_EMAIL", raising=False)
    dag = load_dag_module(REPO_ROOT / "dags" / "news_digest.py").news_digest_dag
    assert "wirewatch_articles" in str(dag.timetable.asset_condition)  # on the Asset, and daily
    run = dag.test()
    assert str(run.state).endswith("success")
    assert (tmp_path / "latest.html").exists() and (tmp_path / "latest.md").exists()
    assert any(p.read_bytes().startswith(PNG_MAGIC) for p in tmp_path.glob("*.png"))
