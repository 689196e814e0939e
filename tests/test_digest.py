"""The digest over the demo corpus loaded by the real stage functions: files, the seed story under
its topics, spikes, feed warnings, and charts that are real PNG files; its main events over events
inserted with SQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import psycopg2
import pytest
from conftest import scalar
from test_export import add_event
from test_monitor import run_stages

from wirewatch.demo import import_demo_feeds
from wirewatch.reporting.digest import build_digest, write_digest

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SEED_TOPICS = ("troop-movements", "mercenary-recruitment")


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


UNTIL = datetime(2026, 6, 15, 12, tzinfo=timezone.utc)  # a one-day digest: events dated the 14th and 15th
LONG_NOTE = ("A drone struck a residential building in the centre of Kharkiv late on Sunday, killing at least twelve "
             "people and wounding dozens more, the regional governor said on Telegram, adding that <rescuers> were "
             "still searching the rubble.")


def test_main_events_are_the_deadliest_then_most_carried_of_the_window(settings, db, tmp_path):
    top = add_event(db, event_date=date(2026, 6, 14), fatalities=12, fatalities_qualifier="at least",
                    fatalities_low=12, fatalities_high=12, outlets=3, notes=LONG_NOTE)
    wide = add_event(db, event_date=date(2026, 6, 15), event_type="Battles", sub_event_type="Armed clash",
                     location="El Fasher", admin1="North Darfur", country="SD", country_name="Sudan",
                     fatalities=None, fatalities_low=None, fatalities_high=None, fatalities_qualifier=None, outlets=9,
                     notes=None)
    same_toll = [add_event(db, fatalities=2, outlets=n, location=f"Town {n}") for n in (1, 5)]
    filler = [add_event(db, fatalities=1, outlets=1, location=f"Village {i}") for i in range(8)]
    excluded = [add_event(db, event_date=date(2026, 6, 13), fatalities=500),  # before the window's first day
                add_event(db, fatalities=400, first_seen_at=UNTIL + timedelta(hours=1)),  # found after its end
                add_event(db, fatalities=300, reports=0)]  # no report left
    with psycopg2.connect(settings.database_url) as conn:
        digest = build_digest(conn, until=UNTIL)
    ids = [e["event_id"] for e in digest.events]
    assert len(ids) == 10 and not set(ids) & set(excluded)
    assert ids[:3] == [top, same_toll[1], same_toll[0]], "fatalities first, then outlets"
    assert wide not in ids, "no figure: after every event with one (nulls last), and ten are listed"
    assert set(ids[3:]) <= set(filler)

    files = write_digest(digest, tmp_path)
    markdown, page = files.markdown.read_text(), files.html.read_text()
    section = markdown.split("## Main events\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(section) == 10
    assert section[0].startswith("- 2026-06-14 · Explosions/Remote violence / Air/drone strike · "
                                 "Kharkiv (Kharkiv Oblast, Ukraine) · at least 12 killed · 3 outlets — A drone struck")
    note = section[0].split(" — ", 1)[1]
    assert note.endswith("…") and len(note) <= 160 and LONG_NOTE.startswith(note[:-1])
    assert section[1].endswith("· 2 killed · 5 outlets — A drone struck a residential building in Kharkiv, killing "
                               "three people.")
    assert "id='main-events'" in page and "at least 12 killed · 3 outlets" in page
    assert "&lt;rescuers&gt;" not in page and "<rescuers>" not in page, "cut before it, so neither"
    assert page.index("id='main-events'") < page.index("Top stories by topic")


def test_an_event_without_a_figure_says_so(settings, db, tmp_path):
    add_event(db, event_date=date(2026, 6, 15), fatalities=None, fatalities_low=None, fatalities_high=None,
              fatalities_qualifier=None, outlets=1, notes="Clashes were reported near <Kupiansk>.",
              location="Kupiansk", admin1="Kharkiv Oblast")
    with psycopg2.connect(settings.database_url) as conn:
        files = write_digest(build_digest(conn, until=UNTIL), tmp_path)
    assert ("- 2026-06-15 · Explosions/Remote violence / Air/drone strike · Kupiansk (Kharkiv Oblast, Ukraine) · "
            "no fatalities reported · 1 outlet — Clashes were reported near <Kupiansk>.") in files.markdown.read_text()
    assert "<q dir='auto'>Clashes were reported near &lt;Kupiansk&gt;.</q>" in files.html.read_text()


def test_an_empty_window_still_gives_a_digest(settings, tmp_path):
    with psycopg2.connect(settings.database_url) as conn:
        digest = build_digest(conn)
    files = write_digest(digest, tmp_path)
    assert "No tagged stories in this window." in files.markdown.read_text()
    assert "No conflict events in this window." in files.markdown.read_text()
    assert "No conflict events in this window." in files.html.read_text()
    assert files.charts[0].read_bytes().startswith(PNG_MAGIC)


def test_wirewatch_digest_command(loaded, db, tmp_path, capsys):
    from wirewatch.cli import main

    story_id, title = seed_story(db)
    until = scalar(db, "SELECT first_seen_at FROM stories WHERE id = %s", (story_id,)) + timedelta(hours=1)
    assert main(["digest", "--days", "2", "--until", until.isoformat(), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    html = next(tmp_path.glob("digest-*.html"))
    assert str(html) in printed and "new stories" in printed and " main events, " in printed
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
