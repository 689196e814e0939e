"""Conflict events: one report per article and ACLED-typed topic, and one event row per real-world
event however many outlets and updates report it (the merge rule of wirewatch.events.merge)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from conftest import query, scalar

from wirewatch.events.merge import best_event, match_score, summarise
from wirewatch.events.runner import record_events
from wirewatch.settings import REPO_ROOT
from wirewatch.tagging.actors import load_gazetteer
from wirewatch.tagging.facts import event_facts
from wirewatch.tagging.geo import country_centroid, places
from wirewatch.tagging.reports import event_place, event_reports
from wirewatch.tagging.runner import mark_for_retag, tag_articles
from wirewatch.tagging.topics import load_taxonomy
from wirewatch.text import text_fingerprint, word_count

T0 = datetime(2024, 11, 17, 9, 0, tzinfo=timezone.utc)  # a Sunday
GAZETTEER = load_gazetteer(REPO_ROOT / "config" / "actors.yaml")
TAXONOMY = load_taxonomy(REPO_ROOT / "config" / "topics.yaml")
TOPICS = {topic.id: topic for topic in TAXONOMY.topics}

STRIKE = ("A Russian missile strike on Kharkiv killed at least {killed} people on Saturday, officials in Ukraine said.\n"
          "The missiles hit a residential district of Kharkiv in the early hours, regional governor Oleh Syniehubov "
          "said, and rescue teams were still searching the rubble.\n"
          "Russia has intensified its air and missile attacks on Ukrainian cities in recent weeks, and Ukraine's air "
          "force said it shot down most of the drones launched overnight.\n"
          "Ukrainian forces said fighting continued along the front line in the east.")
OTHER_STRIKE = ("A Russian missile strike on Odesa killed two people on Saturday, officials in Ukraine said.\n"
                "The missiles hit port infrastructure in Odesa, the regional governor said.\n"
                "Russia has intensified its air and missile attacks on Ukrainian cities in recent weeks.")


def report_row(**fields) -> dict:
    row = {"event_type": "Explosions/Remote violence", "sub_event_type": "Shelling/artillery/missile attack",
           "topic_id": "missile-strikes", "score": 3.0, "event_date": date(2024, 11, 16), "date_precision": "day",
           "date_from": date(2024, 11, 16), "date_to": date(2024, 11, 16), "location": "Kharkiv",
           "admin1": "Kharkiv", "country": "UA", "latitude": 49.98, "longitude": 36.25, "geo_precision": "town",
           "actor1": "Russia", "actor2": "Ukraine", "killed": 5, "killed_qualifier": "at least", "injured": None,
           "injured_qualifier": None, "notes": "A strike.", "article_id": 1, "story_id": 10, "outlet": "A",
           "seen_at": T0}
    return {**row, **fields}


def as_event(reports: list[dict], event_id: int = 1) -> dict:
    return {"id": event_id, **summarise(reports)}


def test_reports_of_one_strike_merge_and_others_stay_apart():
    event = as_event([report_row()])
    assert match_score(report_row(article_id=2, story_id=11, outlet="B"), event) is not None
    # A day later, a town 10 km away, the same region named only: still the same strike.
    assert match_score(report_row(event_date=date(2024, 11, 17), date_from=date(2024, 11, 17),
                                  date_to=date(2024, 11, 17)), event) is not None
    assert match_score(report_row(location="Kharkiv region", geo_precision="region"), event) is not None
    # Another type, another country, two days apart, another town, another attacker: another event.
    assert match_score(report_row(event_type="Battles"), event) is None
    assert match_score(report_row(country="RU"), event) is None
    assert match_score(report_row(event_date=date(2024, 11, 19), date_from=date(2024, 11, 19),
                                  date_to=date(2024, 11, 19)), event) is None
    assert match_score(report_row(location="Odesa", admin1="Odessa", latitude=46.48, longitude=30.73), event) is None
    # Actors keep apart only loosely matched places: at the same named town, one type and day are one event.
    assert match_score(report_row(actor1="Ukraine", story_id=12), event) is not None
    assert match_score(report_row(actor1="Ukraine", story_id=12, location="Chuhuiv", latitude=49.84,
                                  longitude=36.69), event) is None
    # A report placed only in the country joins only an event of its own story.
    country_only = report_row(location="Ukraine", admin1=None, geo_precision="country", latitude=49.0, longitude=32.0)
    assert match_score({**country_only, "story_id": 99}, event) is None
    assert match_score(country_only, event) is not None
    # ...or the only event of its type and country within its dates: there is nothing else it could be.
    assert match_score({**country_only, "story_id": 99}, event, sole=True) is not None
    assert best_event({**country_only, "story_id": 99}, [event]) is event
    other = as_event([report_row(story_id=20, location="Odesa", admin1="Odessa", latitude=46.48, longitude=30.73)],
                     event_id=5)
    assert best_event({**country_only, "story_id": 99}, [event, other]) is None


def test_a_report_joins_its_own_storys_event_first():
    elsewhere = as_event([report_row(story_id=20, location="Chuhuiv", latitude=49.84, longitude=36.69)], event_id=1)
    own = as_event([report_row(story_id=10)], event_id=2)
    assert best_event(report_row(story_id=10, article_id=5), [elsewhere, own])["id"] == 2


def test_an_event_counts_the_latest_toll_as_its_best_estimate():
    reports = [report_row(article_id=1, outlet="A", killed=5, seen_at=T0),
               report_row(article_id=2, outlet="B", killed=8, killed_qualifier="exact", seen_at=T0 + timedelta(hours=3)),
               report_row(article_id=3, outlet="B", killed=None, killed_qualifier=None, location="Ukraine",
                          geo_precision="country", seen_at=T0 + timedelta(hours=4))]
    event = summarise(reports)
    assert (event["fatalities"], event["fatalities_low"], event["fatalities_high"]) == (8, 5, 8)
    assert event["fatalities_qualifier"] == "exact"
    assert (event["location"], event["geo_precision"]) == ("Kharkiv", "town")  # the most precise place
    assert (event["outlets"], event["articles"], event["reports"]) == (2, 3, 3)
    assert event["first_seen_at"] == T0 and event["notes"] == "A strike."


def test_the_report_places_the_strike_where_it_happened():
    text = STRIKE.format(killed="five")
    [match] = [m for m in TAXONOMY.tag("Russian missiles hit Kharkiv", text, year=2024) if m.topic_id == "missile-strikes"]
    [report] = event_reports(match, TOPICS["missile-strikes"], title="Russian missiles hit Kharkiv", text=text,
                             language="en", published=T0, gazetteer=GAZETTEER)
    assert (report.location, report.admin1, report.country, report.geo_precision) == ("Kharkiv", "Kharkiv", "UA", "town")
    assert (report.actor1, report.actor2) == ("Russia", "Ukraine")
    assert (report.killed, report.killed_qualifier) == (5, "at least")
    assert (report.event_date, report.date_precision) == (date(2024, 11, 16), "day")
    assert (report.event_type, report.sub_event_type) == ("Explosions/Remote violence",
                                                          "Shelling/artillery/missile attack")


def test_strikes_at_two_places_are_two_reports_each_with_its_toll():
    text = ("Russian missiles struck Kharkiv on Saturday, killing at least five people. "
            "Another missile hit a school in Dnipro on Friday, killing three people.")
    [match] = [m for m in TAXONOMY.tag("Russian missiles hit Ukrainian cities", text, year=2024)
               if m.topic_id == "missile-strikes"]
    reports = event_reports(match, TOPICS["missile-strikes"], title="Russian missiles hit Ukrainian cities", text=text,
                            language="en", published=T0, gazetteer=GAZETTEER)
    assert [(r.location, r.killed, r.event_date) for r in reports] == [
        ("Kharkiv", 5, date(2024, 11, 16)), ("Dnipro", 3, date(2024, 11, 15))]


@pytest.mark.parametrize("title, text, kind", [
    # Drones only shot down: ACLED's Disrupted weapons use, not a strike...
    ("Russia says it downed 40 Ukrainian drones",
     "Air defences shot down 40 Ukrainian drones over the Bryansk region overnight, the ministry said.",
     ("Strategic developments", "Disrupted weapons use")),
    # ...but "most of them" shot down: the rest got through, so the strike happened.
    ("Russian drone attack on Odesa",
     "Russia launched 50 drones at Odesa overnight; most of them were shot down, the air force said.",
     ("Explosions/Remote violence", "Air/drone strike")),
])
def test_drones_shot_down_are_disrupted_weapons_use_unless_some_got_through(title, text, kind):
    [match] = [m for m in TAXONOMY.tag(title, text, year=2024) if m.topic_id == "drone-strikes"]
    [report] = event_reports(match, TOPICS["drone-strikes"], title=title, text=text, language="en", published=T0,
                             gazetteer=GAZETTEER)
    assert (report.event_type, report.sub_event_type) == kind


def test_a_dateline_and_a_person_are_not_the_place():
    assert event_place(["MOSCOW, Nov 19 (Agency) — Drones struck a fuel depot in Bryansk overnight."], "").name == "Bryansk"
    assert [p.name for p in places("President Vladimir Putin said the strikes would go on.")] == []
    # A country-only place is at the country's centroid, never at 0, 0.
    ukraine = country_centroid("UA")
    assert ukraine.precision == "country" and (round(ukraine.latitude), round(ukraine.longitude)) == (49, 32)


def test_a_speaker_is_neither_the_place_nor_the_actor():
    from wirewatch.tagging.reports import event_actors
    sentence = "Seoul says North Korean soldiers have moved up to the Kursk front, some already fighting."
    assert event_place([sentence], "", gazetteer=GAZETTEER).name == "Kursk"
    assert event_actors(GAZETTEER, sentence, "", "RU")[0] == "North Korea"
    # Without the speech verb the capital is a place again.
    assert event_place(["Drones struck Seoul overnight."], "", gazetteer=GAZETTEER).name == "Seoul"


def test_a_running_war_toll_is_not_the_events_toll():
    sentence = "More than 10,000 civilians have been killed since the war began, the UN said."
    assert event_facts(sentence, ((0, len(sentence)),), language="en", published=T0).killed is None
    german = "Seit Kriegsbeginn wurden insgesamt mehr als 10.000 Zivilisten getötet."
    assert event_facts(german, ((0, len(german)),), language="de", published=T0).killed is None


def add_article(db, url: str, text: str, *, outlet: str, published: datetime, title: str) -> int:
    with db.cursor() as cur:
        cur.execute(
            """INSERT INTO articles (url, canonical_url, outlet, status, title, published_at, text, text_hash,
                                     word_count, language, fetched_at, extracted_at)
               VALUES (%s, %s, %s, 'extracted', %s, %s, %s, %s, %s, 'en', %s, now()) RETURNING id""",
            (url, url, outlet, title, published, text, text_fingerprint(text), word_count(text), published))
        return cur.fetchone()[0]


def events_of(db) -> list[tuple]:
    return query(db, """SELECT event_type, location, country, geo_precision, fatalities, fatalities_low,
                               fatalities_high, outlets, articles FROM report_conflict_events ORDER BY location""")


@pytest.mark.pipeline
def test_one_strike_on_three_outlets_and_its_update_is_one_event(settings, db):
    for n, outlet in enumerate(("Outlet A", "Outlet B", "Outlet C")):
        add_article(db, f"https://{n}.example/strike", STRIKE.format(killed="five"), outlet=outlet,
                    published=T0 + timedelta(minutes=n), title="Russian missiles hit Kharkiv")
    update = add_article(db, "https://0.example/strike-update", STRIKE.format(killed="eight"), outlet="Outlet A",
                         published=T0 + timedelta(hours=5), title="Death toll rises after Russian strike on Kharkiv")
    add_article(db, "https://1.example/odesa", OTHER_STRIKE, outlet="Outlet B", published=T0 + timedelta(hours=1),
                title="Russian missiles hit Odesa")
    db.commit()
    tag_articles(run_id="t1", settings=settings)
    counts = record_events(run_id="t1", settings=settings)
    assert counts["events_new"] == 2 and counts["reports_merged"] >= 5
    kharkiv, odesa = [row for row in events_of(db) if row[0] == "Explosions/Remote violence"]
    assert kharkiv == ("Explosions/Remote violence", "Kharkiv", "UA", "town", 8, 5, 8, 3, 4)
    assert odesa[1:5] == ("Odesa", "UA", "town", 2)
    before, ids = events_of(db), query(db, "SELECT id FROM events ORDER BY id")
    # A re-run merges nothing twice.
    assert record_events(run_id="t2", settings=settings)["reports_merged"] == 0
    # Re-tagging one report of an event recounts that event, which keeps its id.
    with db.cursor() as cur:
        cur.execute("UPDATE articles SET tagged_at = NULL WHERE id = %s", (update,))
    db.commit()
    tag_articles(run_id="t3", settings=settings)
    assert record_events(run_id="t3", settings=settings)["events_recounted"] == 1
    assert events_of(db) == before and query(db, "SELECT id FROM events ORDER BY id") == ids
    # A full re-tag leaves the same events.
    mark_for_retag(settings)
    tag_articles(run_id="t4", settings=settings)
    record_events(run_id="t4", settings=settings)
    assert events_of(db) == before
    assert scalar(db, "SELECT count(*) FROM event_reports WHERE event_id IS NULL") == 0
    assert scalar(db, "SELECT min(latitude) FROM events") != 0
