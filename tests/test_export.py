"""`wirewatch export acled`: the events of a real warehouse, written in ACLED's columns.

Events are inserted with SQL (the events step has its own tests); `add_event` and `add_article` are
used by the dashboard's and the digest's tests too."""

from __future__ import annotations

import csv
import io
import itertools
import os
import subprocess
import sys
from datetime import date, datetime, timezone

import psycopg2
import pytest
from conftest import query

from wirewatch.reporting.export import write_acled_csv
from wirewatch.settings import REPO_ROOT

ACLED_HEADER = ["event_date", "year", "time_precision", "event_type", "sub_event_type", "actor1", "actor2", "country",
                "iso2", "admin1", "location", "latitude", "longitude", "geo_precision", "fatalities", "source", "notes",
                "wirewatch_event_id", "source_count", "first_seen_at", "last_seen_at"]
_serial = itertools.count()


def add_article(db, outlet: str | None, *, feed: str = "Feed", feed_outlet: str | None = None,
                published_at: datetime | None = None) -> int:
    """An extracted article of a feed; `outlet` None: the view names it by the feed's outlet or name.
    Without `published_at` it is seen now, which makes the dashboard's windows end now."""
    n = next(_serial)
    with db.cursor() as cur:
        cur.execute("INSERT INTO feeds (url, name, outlet) VALUES (%s, %s, %s) RETURNING id",
                    (f"http://127.0.0.1/feed-{n}.xml", feed, feed_outlet))
        feed_id = cur.fetchone()[0]
        cur.execute("INSERT INTO articles (url, canonical_url, feed_id, outlet, status, title, published_at) "
                    "VALUES (%s, %s, %s, %s, 'extracted', %s, %s) RETURNING id",
                    (f"http://127.0.0.1/a/{n}", f"http://127.0.0.1/a/{n}", feed_id, outlet, f"Article {n}",
                     published_at))
        return cur.fetchone()[0]


EVENT = dict(event_type="Explosions/Remote violence", sub_event_type="Air/drone strike", topic_id="drone-strikes",
             event_date=date(2026, 6, 14), date_precision="day", location="Kharkiv", admin1="Kharkiv Oblast",
             country="UA", country_name="Ukraine", latitude=49.9935, longitude=36.2304, geo_precision="town",
             actor1="Military Forces of Russia", actor2=None, fatalities=3, fatalities_low=3, fatalities_high=3,
             fatalities_qualifier="exact", reports=1, articles=1, outlets=1, article_ids=[],
             first_seen_at=datetime(2026, 6, 14, 9, 30, tzinfo=timezone.utc),
             last_seen_at=datetime(2026, 6, 14, 18, 0, tzinfo=timezone.utc),
             notes="A drone struck a residential building in Kharkiv, killing three people.")


def add_event(db, **fields) -> int:
    """One row of `events` (EVENT, with `fields` changed); date_from/date_to default to event_date."""
    row = {**EVENT, **fields}
    row.setdefault("date_from", row["event_date"])
    row.setdefault("date_to", row["event_date"])
    with db.cursor() as cur:
        cur.execute(f"INSERT INTO events ({', '.join(row)}) VALUES ({', '.join(['%s'] * len(row))}) RETURNING id",
                    list(row.values()))
        return cur.fetchone()[0]


@pytest.fixture
def events(db) -> dict[str, int]:
    """Four events over three days (one a date range, one without fatalities) and one with no reports."""
    reuters, kyiv = add_article(db, "Reuters"), add_article(db, None, feed="KI feed", feed_outlet="Kyiv Independent")
    by_name = add_article(db, None, feed="Ukrainska Pravda")
    return {
        "late": add_event(db, event_date=date(2026, 6, 15), article_ids=[reuters], fatalities=None,
                          fatalities_low=None, fatalities_high=None, fatalities_qualifier=None, geo_precision="country",
                          location="Ukraine", admin1=None, latitude=49.0, longitude=32.0),
        "town": add_event(db, article_ids=[reuters, kyiv, reuters], reports=3, articles=2, outlets=2),
        "region": add_event(db, event_type="Battles", sub_event_type="Armed clash", topic_id="ground-fighting",
                            geo_precision="region", location="Donetsk Oblast", admin1="Donetsk Oblast",
                            latitude=48.0, longitude=37.8, fatalities=12, fatalities_qualifier="at least",
                            article_ids=[by_name], notes='Fighting near "Pokrovsk", officials said, killed 12.'),
        "range": add_event(db, event_date=date(2026, 6, 12), date_precision="range", date_from=date(2026, 6, 11),
                           date_to=date(2026, 6, 13), article_ids=[kyiv]),
        "unreported": add_event(db, event_date=date(2026, 6, 13), reports=0, article_ids=[]),
    }


def read_csv(text: str) -> tuple[list[str], list[dict[str, str]]]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], [dict(zip(rows[0], row)) for row in rows[1:]]


def export(db, since: date | None = None, until: date | None = None) -> tuple[int, list[str], list[dict[str, str]]]:
    out = io.StringIO()
    count = write_acled_csv(db, out, since=since, until=until)
    header, rows = read_csv(out.getvalue())
    return count, header, rows


def test_the_csv_has_the_views_columns_and_acleds_codes(db, events):
    count, header, rows = export(db)
    view_columns = [name for (name,) in query(db, "SELECT column_name FROM information_schema.columns WHERE "
                                                  "table_name = 'report_acled_events' ORDER BY ordinal_position")]
    assert header == ACLED_HEADER == view_columns
    assert count == len(rows) == 4, "the event without reports is not exported"
    # by date, then event id
    assert [int(r["wirewatch_event_id"]) for r in rows] == [events["range"], events["town"], events["region"],
                                                             events["late"]]
    by_id = {int(r["wirewatch_event_id"]): r for r in rows}
    town, region, late, spread = (by_id[events[k]] for k in ("town", "region", "late", "range"))
    assert (town["event_date"], town["year"], town["time_precision"], spread["time_precision"]) == \
        ("2026-06-14", "2026", "1", "2")
    assert (town["geo_precision"], region["geo_precision"], late["geo_precision"]) == ("1", "2", "3")
    assert (town["fatalities"], region["fatalities"], late["fatalities"]) == ("3", "12", "0")
    assert (town["country"], town["iso2"], town["admin1"], late["admin1"]) == ("Ukraine", "UA", "Kharkiv Oblast", "")
    assert (town["actor1"], town["actor2"]) == ("Military Forces of Russia", "")
    assert (float(town["latitude"]), float(town["longitude"])) == (49.9935, 36.2304)
    # one name per outlet: the article's, else its feed's outlet, else the feed's name; sorted, distinct
    assert town["source"] == "Kyiv Independent; Reuters" and town["source_count"] == "2"
    assert region["source"] == "Ukrainska Pravda"
    assert region["notes"] == 'Fighting near "Pokrovsk", officials said, killed 12.'  # quoted by csv, read back whole
    assert town["first_seen_at"] == "2026-06-14T09:30:00+00:00" and town["last_seen_at"] == "2026-06-14T18:00:00+00:00"


def test_times_are_utc_whatever_the_sessions_time_zone(db, events):
    db.cursor().execute("SET TIME ZONE 'Asia/Tokyo'")
    _, _, rows = export(db)
    assert {r["first_seen_at"] for r in rows} == {"2026-06-14T09:30:00+00:00"}


def test_date_filters_are_inclusive(db, events):
    assert [r["event_date"] for r in export(db, since=date(2026, 6, 14))[2]] == ["2026-06-14", "2026-06-14",
                                                                                "2026-06-15"]
    assert [r["event_date"] for r in export(db, until=date(2026, 6, 12))[2]] == ["2026-06-12"]
    count, header, rows = export(db, since=date(2026, 6, 14), until=date(2026, 6, 14))
    assert count == 2 and {int(r["wirewatch_event_id"]) for r in rows} == {events["town"], events["region"]}
    count, header, rows = export(db, since=date(2027, 1, 1))
    assert (count, rows, header) == (0, [], ACLED_HEADER), "no events: still the header"


def test_wirewatch_export_acled_to_a_file_and_to_stdout(settings, db, events, tmp_path, capsys):
    from wirewatch.cli import main

    target = tmp_path / "events.csv"
    assert main(["export", "acled", "--since", "2026-06-13", "--until", "2026-06-14", "--out", str(target)]) == 0
    out, err = capsys.readouterr()
    assert out == "" and err.strip() == f"2 events written to {target}"
    header, rows = read_csv(target.read_text(encoding="utf-8"))
    assert header == ACLED_HEADER and [r["event_date"] for r in rows] == ["2026-06-14", "2026-06-14"]
    assert list(tmp_path.iterdir()) == [target], "no partial file is left behind"

    assert main(["export", "acled", "--until", "2026-06-12"]) == 0
    out, err = capsys.readouterr()
    header, rows = read_csv(out)
    assert header == ACLED_HEADER and [int(r["wirewatch_event_id"]) for r in rows] == [events["range"]]


def test_bad_dates_are_refused_clearly(settings, capsys):
    from wirewatch.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["export", "acled", "--since", "2026-13-01"])
    assert exited.value.code == 2
    assert "argument --since: not a date (YYYY-MM-DD): '2026-13-01'" in capsys.readouterr().err
    assert main(["export", "acled", "--since", "2026-06-15", "--until", "2026-06-14"]) == 2
    assert capsys.readouterr().err.strip() == "error: --since 2026-06-15 is after --until 2026-06-14"


def test_an_old_schema_leaves_no_file(settings, db, tmp_path, capsys):
    from wirewatch.cli import main

    db.cursor().execute("DROP VIEW report_acled_events")
    assert main(["export", "acled", "--out", str(tmp_path / "events.csv")]) == 2
    assert "Run `wirewatch db migrate`" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_the_wirewatch_command_writes_only_csv_to_stdout(db_url, tmp_path):
    with psycopg2.connect(db_url) as conn:
        conn.autocommit = True
        event_id = add_event(conn, article_ids=[add_article(conn, "Reuters")])
    env = {**os.environ, "WIREWATCH_DATABASE_URL": db_url, "PYTHONPATH": str(REPO_ROOT / "plugins")}
    done = subprocess.run([sys.executable, "-m", "wirewatch.cli", "export", "acled"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    header, rows = read_csv(done.stdout)
    assert header == ACLED_HEADER and len(rows) == 1
    assert (rows[0]["wirewatch_event_id"], rows[0]["source"]) == (str(event_id), "Reuters")
