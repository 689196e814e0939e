"""Tagging and events beyond English and German: real texts in French and Russian (Wikinews, CC BY
2.5, in tests/fixtures/languages with their addresses) through the tag and events steps, and the
event facts of every language the taxonomy reads (figures, days, places in Cyrillic and Arabic)."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import yaml
from conftest import query

from wirewatch.events.runner import record_events
from wirewatch.settings import REPO_ROOT
from wirewatch.tagging.facts import casualties, event_date
from wirewatch.tagging.geo import places
from wirewatch.tagging.matching import tokenize
from wirewatch.tagging.runner import tag_articles
from wirewatch.tagging.topics import load_taxonomy
from wirewatch.text import text_fingerprint, word_count

TEXTS = {row["id"]: row for row in map(json.loads, (Path(__file__).parent / "fixtures" / "languages" /
                                                     "texts.jsonl").read_text(encoding="utf-8").splitlines())}
MOGADISHU = TEXTS["wikinews-fr-mogadiscio-hotel-attentat"]
PAKTIA = TEXTS["wikinews-ru-afganistan-reynzher-celiz"]


def add_article(db, row: dict, published: datetime) -> int:
    with db.cursor() as cur:
        cur.execute(
            """INSERT INTO articles (url, canonical_url, outlet, status, title, published_at, text, text_hash,
                                     word_count, language, fetched_at, extracted_at)
               VALUES (%s, %s, %s, 'extracted', %s, %s, %s, %s, %s, %s, %s, now()) RETURNING id""",
            (row["url"], row["url"], row["outlet"], row["title"], published, row["text"], text_fingerprint(row["text"]),
             word_count(row["text"]), row["language"], published))
        return cur.fetchone()[0]


@pytest.mark.pipeline
def test_real_french_and_russian_news_are_tagged_and_the_french_bombing_is_an_event(settings, db):
    # Expected values are the labels of bench/tagging/real/fr.yaml and ru.yaml, written before tagging.
    french = add_article(db, MOGADISHU, datetime(2016, 8, 30, 12, tzinfo=timezone.utc))
    russian = add_article(db, PAKTIA, datetime(2018, 7, 14, 12, tzinfo=timezone.utc))  # the corpus has no date
    db.commit()
    tag_articles(run_id="lang", settings=settings)
    record_events(run_id="lang", settings=settings)
    topics = dict(query(db, "SELECT article_id, array_agg(topic_id ORDER BY topic_id) FROM article_topics "
                            "GROUP BY article_id"))
    assert {"bombings", "casualties"} <= set(topics[french])
    assert "casualties" in topics[russian]
    [event] = query(db, """SELECT event_type, country, location, fatalities, injuries FROM report_conflict_events
                           WHERE %s = ANY(article_ids)""", (french,))
    assert event[:3] == ("Explosions/Remote violence", "SO", "Mogadiscio") and event[3:] == (5, 30)
    # The Russian text's figures and places, in its own words and cases.
    figures = {(c.kind, c.count, c.qualifier) for c in casualties(PAKTIA["text"], "ru")}
    assert {("killed", 80, "more than"), ("killed", 40, "more than"), ("killed", 1, "exact")} <= figures
    assert "AF" in {p.country for p in places(PAKTIA["text"])}


@pytest.mark.parametrize("language, sentence, figures", [
    ("fr", "Au moins 26 personnes ont été tuées et 40 blessées.", {("killed", 26, "at least"), ("injured", 40, "exact")}),
    ("es", "Al menos 12 personas murieron y otras 30 resultaron heridas.",
     {("killed", 12, "at least"), ("injured", 30, "exact")}),
    ("ru", "Погибли 5 человек, ещё 12 ранены.", {("killed", 5, "exact"), ("injured", 12, "exact")}),
    ("uk", "Внаслідок удару загинули троє людей, поранено 12.", {("killed", 3, "exact"), ("injured", 12, "exact")}),
    ("ar", "أسفر القصف عن مقتل ٥ أشخاص وإصابة 12 آخرين", {("killed", 5, "exact"), ("injured", 12, "exact")}),
])
def test_casualty_figures_in_each_language(language, sentence, figures):
    assert {(c.kind, c.count, c.qualifier) for c in casualties(sentence, language)} == figures


THURSDAY, WINTER = date(2024, 11, 21), date(2006, 2, 10)


@pytest.mark.parametrize("language, sentence, published, day", [
    ("fr", "Le bombardement de mardi a tué trois personnes.", THURSDAY, date(2024, 11, 19)),
    ("es", "El ataque del 19 de noviembre dejó 3 muertos.", THURSDAY, date(2024, 11, 19)),
    ("ru", "В среду погибли 5 человек.", THURSDAY, date(2024, 11, 20)),
    ("uk", "Учора загинули троє людей.", THURSDAY, date(2024, 11, 20)),
    ("ar", "قتل 5 أشخاص يوم الثلاثاء", THURSDAY, date(2024, 11, 19)),
    # A date written out wins over a weekday; a year-less one is the nearest past such day...
    ("de", "Am Donnerstag, 26.01.2006, sprengte sich ein Attentäter", WINTER, date(2006, 1, 26)),
    ("en", "On 26 January a bomb went off", WINTER, date(2006, 1, 26)),
    ("de", "Am 12. Dezember explodierte eine Bombe", WINTER, date(2005, 12, 12)),
    # ...and one still to come is not the event's: the weekday then decides.
    ("en", "Talks on 15 February follow the strike on Thursday", WINTER, date(2006, 2, 9)),
])
def test_the_events_day_in_each_language(language, sentence, published, day):
    assert event_date(sentence, published, language) == day


def test_places_in_cyrillic_and_arabic_script_and_their_cases():
    def found(text):
        return [(p.name, p.country) for p in places(text)]

    assert found("Ракеты ударили по Харькову и Киеву.") == [("Харькову", "UA"), ("Киеву", "UA")]
    assert found("Удар по Києві та Харкову, у Львові вибухи.") == [("Києві", "UA"), ("Харкову", "UA"), ("Львові", "UA")]
    assert found("Владимир Путин заявил, что Украина проиграет.") == [("Украина", "UA")]  # Vladimir is no town here
    assert found("قصف إسرائيلي على غزة وبيروت") == [("غزة", "PS"), ("وبيروت", "LB")]
    assert found("Les frappes ont touché la Syrie et le Soudan.") == [("Syrie", "SY"), ("Soudan", "SD")]


def test_arabic_spellings_and_ukrainian_apostrophes_match_alike():
    # Hamza seats, alef maqsura, teh marbuta, harakat and tatweel are folded; و before the article goes.
    assert tokenize("والمستشفى في غزّة").words == tokenize("المستشفي في غزه").words == ["المستشفي", "في", "غزه"]
    assert tokenize("об'єкт").words == tokenize("обʼєкт").words == ["обʼєкт"]


def test_every_language_has_phrase_lists_for_every_topic():
    taxonomy = load_taxonomy(REPO_ROOT / "config" / "topics.yaml")
    assert set(taxonomy.languages) >= {"en", "de", "fr", "es", "ru", "uk", "ar"}
    for language in ("fr", "es", "ru", "uk", "ar"):
        lists = yaml.safe_load((REPO_ROOT / "config" / f"topics.{language}.yaml").read_text(encoding="utf-8"))
        assert {item["id"] for item in lists["topics"]} == {topic.id for topic in taxonomy.topics}, language
        assert lists["negations"] and lists["background"] and lists["conflict"]["context"]


def test_right_to_left_headlines_are_isolated_in_the_digest():
    from wirewatch.reporting.digest import isolate

    assert isolate("غارات على غزة") == "\u2068غارات على غزة\u2069"
    assert isolate("Strikes on Kyiv") == "Strikes on Kyiv" and isolate(None) == ""
