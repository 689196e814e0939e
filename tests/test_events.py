"""Event facts from evidence sentences (wirewatch.events): casualty figures with their qualifier,
places with their country and coordinates, and the event's day relative to publication."""

from datetime import date

import pytest

from wirewatch.tagging.facts import Casualty, casualties, event_date, event_facts
from wirewatch.tagging.geo import places


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("At least 26 people were killed in the strike.", "en", [("killed", 26, "at least")]),
    ("Dozens were wounded and 12 dead, officials said.", "en", [("injured", None, "dozens"), ("killed", 12, "exact")]),
    ("The attack killed five soldiers.", "en", [("killed", 5, "exact")]),
    ("More than 1,200 civilians have been killed since March.", "en", [("killed", 1200, "more than")]),
    ("Mindestens 28 Menschen wurden getötet.", "de", [("killed", 28, "at least")]),
    ("Es gab zwölf Verletzte und Dutzende Tote.", "de", [("injured", 12, "exact"), ("killed", None, "dozens")]),
    ("The team killed time before the match.", "en", []),
    ("The death toll from the strike had risen to 21.", "en", [("killed", 21, "exact")]),
    ("A woman was killed and a girl was wounded.", "en", [("killed", 1, "exact"), ("injured", 1, "exact")]),
    ("Die Zahl der Toten stieg auf mindestens 30.", "de", [("killed", 30, "at least")]),
])
def test_casualty_figures(text, language, expected):
    assert [(c.kind, c.count, c.qualifier) for c in casualties(text, language)] == expected


def test_casualties_keep_the_phrase_as_written():
    assert casualties("Bei dem Angriff kamen mindestens drei Menschen ums Leben.", "de") == [
        Casualty(kind="killed", count=3, qualifier="at least", text="mindestens drei Menschen ums Leben")]
    assert casualties("Five were killed.", "it") == []  # no number words for that language


def test_places_resolve_to_country_and_coordinates():
    found = {p.name: p for p in places("Missiles hit Kharkiv and Port Sudan overnight; Gaza and Ukraine too.")}
    assert found["Kharkiv"].country == "UA" and round(found["Kharkiv"].latitude) == 50
    assert found["Port Sudan"].country == "SD"
    assert found["Gaza"].country == "PS" and found["Ukraine"].country == "UA"


def test_a_german_noun_is_no_town():
    # "Namen" is also Namur's German name, "Essen" a city: after an article they are nouns.
    assert places("Sie handelten im Namen der Regierung.") == []
    assert places("Das Essen war kalt.") == []
    assert [p.name for p in places("Raketen trafen Essen und Kiew.")] == ["Essen", "Kiew"]


def test_the_event_day_relative_to_publication():
    published = date(2026, 12, 3)  # a Thursday
    assert event_date("The strike on Sunday hit a school.", published) == date(2026, 11, 29)
    assert event_date("Der Angriff am Donnerstag traf eine Schule.", published, "de") == date(2026, 12, 3)
    assert event_date("Russia attacked Kyiv yesterday.", published) == date(2026, 12, 2)
    assert event_date("Talks will resume.", published) is None


def test_event_facts_of_evidence_sentences():
    text = ("Russian missiles hit Kharkiv on Sunday. At least 12 people were killed and dozens wounded. "
            "Later, 14 were reported dead.")
    spans = ((0, 39), (40, 91), (92, 120))
    facts = event_facts(text, spans, language="en", published=date(2026, 12, 3))
    assert (facts.killed, facts.killed_qualifier) == (14, "exact")  # the largest figure
    assert (facts.injured, facts.injured_qualifier) == (None, "dozens")
    assert [p.country for p in facts.places] == ["UA"] and facts.event_date == date(2026, 11, 29)
