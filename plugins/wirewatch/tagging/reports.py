"""Event reports: what one article says of one conflict event, as ACLED codes it: type and
sub-type, day, the one place where it happened, who acted on whom, and the toll.

One report per topic with an ACLED type (config/topics.yaml `acled:`) and place the article puts
that topic's event at.
The events step (wirewatch.events) merges the reports of one real-world event into one row.

- **Places**: a further evidence sentence that puts the event after a locative at another town or
  region reports an event of its own there, from that sentence's toll and day.
- **Place**: the place in the first evidence sentence or the headline, a town before a region before
  a country, and a place named after a locative word ("in", "on", "near", "bei"…) before one that
  is not ("Russia launched missiles at Kyiv": Kyiv; "Washington condemned the strike in Yemen":
  Yemen). A country counts only after a locative: named otherwise it is a party or a speaker
  ("Russia said"). Only when neither names one, the other evidence sentences. A country-only
  place sits at the country's centroid.
- **Date**: the day the evidence names relative to publication ("on Sunday", "gestern"): precision
  `day`; otherwise the day before publication to publication day: precision `range`.
- **Actors**: actor 1 is the first actor (country, organisation or group) of the evidence sentence,
  else of the headline, that is not the place's own country; actor 2 the place's country when the
  sentence or headline names it (a strike by Russia in Ukraine: Russia, Ukraine).
- **Toll**: the largest killed and injured figures of the evidence (running war tolls excluded).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from wirewatch.tagging.actors import Gazetteer
from wirewatch.tagging.facts import EventFacts, event_facts
from wirewatch.tagging.geo import Place, country_centroid, places_in
from wirewatch.tagging.topics import Topic, TopicMatch
from wirewatch.text import sentence_spans

ACTING_KINDS = ("country", "organization", "group")
# "MOSCOW, Nov 19 (Reuters) — ", "KYIV — ", "MINSK/VIENNA, Nov 21 — ": where the story was filed.
DATELINE = re.compile(r"^\s*[A-ZÀ-ÞА-ЯЁІЇЄҐ][A-ZÀ-ÞА-ЯЁІЇЄҐ'’./ -]{2,}(?:,[^—–\n]{0,40})?\s*[—–-]+\s*")
PRECISION_RANK = {"town": 2.0, "region": 1.5, "country": 1.0}
# A place right after one of these words is where something happened.
# "in northwestern Pakistan", "im Norden von Mali": a compass word may stand between.
LOCATIVE = re.compile(r"(?:\b(?:in|on|at|near|outside|around|across|over|into|to|towards|im|bei|nahe|auf|über|um|"
                      r"nördlich|südlich|östlich|westlich|von|"
                      # French, Spanish, Russian, Ukrainian, Arabic
                      r"à|au|aux|en|dans|près de|vers|sur|cerca de|junto a|hacia|contra|"
                      r"в|во|на|под|у|около|возле|близ|по|біля|поблизу|під|до|"
                      r"في|قرب|بالقرب من|على|إلى|الى)\s+(?:the\s+|der\s+|dem\s+|den\s+|la\s+|le\s+|l['’]|les\s+|el\s+)?"
                      r"(?:(?:north|south|east|west|central|nord|süd|ost|west|zentral)[\w-]*\s+(?:von\s+)?)?"
                      r"(?:(?:city|town|village|region|province|Stadt|Region|Provinz|Gebiet|ville|région|province|"
                      r"ciudad|región|provincia|localidad|город[ае]?|селе|поселке|области|місті|селі|області|مدينة|"
                      r"محافظة|بلدة)\s+(?:of\s+|de\s+|d['’])?)?)$",
                      re.IGNORECASE)

# The words a locative phrase can end with (the last word before the name), for a cheap first test.
LOCATIVE_TAIL = frozenset(
    "in on at near outside around across over into to towards im bei nahe auf über um nördlich südlich östlich "
    "westlich von à au aux en dans de vers sur cerca junto hacia contra в во на под у около возле близ по біля "
    "поблизу під до في قرب من على إلى الى the der dem den la le les el of city town village region province stadt "
    "provinz gebiet ville région ciudad región provincia localidad город города городе селе поселке области місті "
    "селі області مدينة محافظة بلدة".split())
COMPASS = ("north", "south", "east", "west", "central", "nord", "süd", "ost", "zentral")

# A place followed by a speech verb is a speaker, not where the event happened: "Seoul says North
# Korean soldiers have moved up to the Kursk front", "Moskau erklärte".
SPEAKER = re.compile(r"(?:['’]s)?\s+(?:has\s+|have\s+|had\s+|hat\s+|habe\s+)?(?:say|says|said|told|tells|claim|claims|"
                     r"claimed|warn|warns|warned|accuse|accuses|accused|announce|announces|announced|deny|denies|"
                     r"denied|insist|insists|insisted|confirm|confirms|confirmed|sagt|sagte|sagten|erklärt|erklärte|"
                     r"erklärten|teilte|warnte|warnt|bestätigte|dementierte|wirft|warf|"
                     r"a déclaré|déclare|affirme|a affirmé|accuse|a accusé|dément|a annoncé|annonce|"
                     r"dijo|afirmó|afirma|declaró|acusó|acusa|negó|niega|anunció|"
                     r"заявил[аио]?|заявляет|сообщил[аио]?|обвинил[аио]?|обвиняет|отрицает|"
                     r"заявив|заявила|заявили|заявляє|повідомив|повідомила|повідомили|звинуватив|звинувачує)\b",
                     re.IGNORECASE)

# ACLED codes a strike stopped in the air as "Disrupted weapons use" (Strategic developments), not
# as the strike: evidence that only tells of drones or missiles intercepted or shot down.
INTERCEPTED = {
    "en": re.compile(r"\b(?:intercept(?:ed|s|ing|ion|ions)?|shot down|shoots? down|shooting down|downed)\b",
                     re.IGNORECASE),
    "de": re.compile(r"\b(?:abgefangen|abgeschossen|abgewehrt|Abschuss|Abschüsse|fing\w* \w+ ab|schoss\w* \w+ ab)",
                     re.IGNORECASE),
    "fr": re.compile(r"\b(?:intercept\w*|abattu\w*|détruits? en vol|neutralisé\w*)", re.IGNORECASE),
    "es": re.compile(r"\b(?:interceptad\w*|intercept[óa]\w*|derribad\w*|derrib[óa]\w*|abatid\w*)", re.IGNORECASE),
    "ru": re.compile(r"(?:перехвач\w*|перехватил\w*|сбит\w*|сбил\w*|уничтожен\w* в воздухе|подавлен\w*)",
                     re.IGNORECASE),
    "uk": re.compile(r"(?:перехоплен\w*|перехопил\w*|збит\w*|збил\w*|знищено в повітрі|подавлен\w*)",
                     re.IGNORECASE),
    "ar": re.compile(r"(?:اعتراض|اعترضت|اعترض|أسقطت|اسقطت|أسقط|اسقط|إسقاط|اسقاط)"),
}
DISRUPTED = ("Strategic developments", "Disrupted weapons use")
# "Most of them were intercepted": the rest got through, so the strike happened.
PARTLY = {
    "en": re.compile(r"\b(?:most|majority|all but|bulk|many|some|several|\d+ of (?:the )?\d+)\b", re.IGNORECASE),
    "de": re.compile(r"(?:gr[öo](?:ß|ss)te(?:n)? Teil|Gro(?:ß|ss)teil|die meisten|Mehrheit|einige|viele|"
                     r"\b\d+ (?:von|der) \d+)", re.IGNORECASE),
    "fr": re.compile(r"(?:la plupart|la majorité|une partie|certains|plusieurs|\b\d+ des \d+|\b\d+ sur \d+)",
                     re.IGNORECASE),
    "es": re.compile(r"(?:la mayoría|la mayor parte|algunos|varios|\b\d+ de (?:los )?\d+)", re.IGNORECASE),
    "ru": re.compile(r"(?:большинство|большая часть|большую часть|часть|некоторые|\b\d+ из \d+)", re.IGNORECASE),
    "uk": re.compile(r"(?:більшість|більшу частину|частину|деякі|\b\d+ з \d+|\b\d+ із \d+)", re.IGNORECASE),
    "ar": re.compile(r"(?:معظم|غالبية|أغلب|اغلب|بعض)"),
}
# A planted bomb set off by its carrier is ACLED's "Suicide bomb", not "Remote explosive/landmine/IED".
SUICIDE = {"en": re.compile(r"\bsuicide\b|\bblew (?:him|her|them)sel(?:f|ves) up", re.IGNORECASE),
           "de": re.compile(r"Selbstmord|sprengte sich|sprengten sich", re.IGNORECASE),
           "fr": re.compile(r"kamikaze|suicide|s['’]est fait exploser", re.IGNORECASE),
           "es": re.compile(r"suicida|kamikaze|se inmoló|se hizo (?:estallar|explotar)", re.IGNORECASE),
           "ru": re.compile(r"смертни[кц]|подорвал(?:ся| себя)", re.IGNORECASE),
           "uk": re.compile(r"смертни[кц]|підірвав(?:ся| себе)", re.IGNORECASE),
           "ar": re.compile(r"انتحاري|انتحارية|فجر نفسه|فجّر نفسه")}


@dataclass(frozen=True, kw_only=True)
class EventReport:
    topic_id: str
    event_type: str
    sub_event_type: str | None
    score: float
    event_date: date
    date_precision: str  # day | range
    date_from: date
    date_to: date
    location: str
    admin1: str | None
    country: str
    latitude: float
    longitude: float
    geo_precision: str  # town | region | country
    actor1: str | None
    actor2: str | None
    killed: int | None
    killed_qualifier: str | None
    injured: int | None
    injured_qualifier: str | None
    notes: str


def event_reports(match: TopicMatch, topic: Topic, *, title: str | None, text: str, language: str,
                  published: datetime | date | None, gazetteer: Gazetteer,
                  countries: frozenset[str] = frozenset()) -> list[EventReport]:
    """The events an ACLED-typed topic's evidence reports: one per place where the evidence says it
    happened. The first is placed from the first evidence sentence and the headline (`event_place`);
    a further evidence sentence that puts the topic's event "in", "near", "at"… another town or region
    ("strikes also hit Muzaffarabad") reports an event of its own there, with its own toll and day.
    None when the topic has no ACLED type, or nothing places it."""
    if topic.acled_event_type is None or published is None:
        return []
    spans = list(match.evidence_spans)
    sentences = [text[start:end] for start, end in spans] or [match.evidence]
    place = event_place(sentences, title or "", countries, gazetteer)
    if place is None:
        return []
    if place.precision == "country":  # "in northwestern Pakistan": the lead may name the town
        place = _within(place, [*sentences[1:], *_lead(text)], countries, gazetteer) or place
    elsewhere: dict[str, tuple[Place, list[tuple[int, int]]]] = {}
    for span in spans[1:]:
        other = _own_place(text[span[0]:span[1]], countries, gazetteer)
        if other is not None and other.name != place.name:
            elsewhere.setdefault(other.name, (other, []))[1].append(span)
    moved = {span for _, group in elsewhere.values() for span in group}
    here = [span for span in spans if span not in moved]
    reports = [_report(match, topic, place, here, [text[start:end] for start, end in here] or sentences, title, text,
                       language, published, gazetteer, countries)]
    for other, group in elsewhere.values():
        reports.append(_report(match, topic, other, group, [text[start:end] for start, end in group], title, text,
                               language, published, gazetteer, countries))
    return reports


def _report(match: TopicMatch, topic: Topic, place: Place, spans: list[tuple[int, int]], sentences: list[str],
            title: str | None, text: str, language: str, published: datetime | date, gazetteer: Gazetteer,
            countries: frozenset[str]) -> EventReport:
    facts = event_facts(text, tuple(spans), language=language, published=published, countries=countries)
    kind = (topic.acled_event_type, topic.acled_sub_event_type)
    intercepted = INTERCEPTED.get(language)
    partly = PARTLY.get(language)
    if kind[0] == "Explosions/Remote violence" and intercepted and all(intercepted.search(s) for s in sentences) \
            and not (partly and any(partly.search(s) for s in sentences)):
        kind = DISRUPTED
    elif kind[1] == "Remote explosive/landmine/IED" and (suicide := SUICIDE.get(language)) \
            and any(suicide.search(s) for s in (*sentences, title or "")):
        kind = (kind[0], "Suicide bomb")
    return _from_facts(match, topic, kind, place, facts, sentences, title, published, gazetteer)


def _from_facts(match: TopicMatch, topic: Topic, kind: tuple[str, str | None], place: Place, facts: EventFacts,
                sentences: list[str], title: str | None, published: datetime | date, gazetteer: Gazetteer) -> EventReport:
    if place.precision == "country":
        place = country_centroid(place.country) or place
    published_day = published.date() if isinstance(published, datetime) else published
    if facts.event_date is not None:
        day, precision, first, last = facts.event_date, "day", facts.event_date, facts.event_date
    else:
        day, precision, first, last = published_day, "range", published_day - timedelta(days=1), published_day
    actor1, actor2 = event_actors(gazetteer, DATELINE.sub("", sentences[0]), title or "", place.country)
    return EventReport(topic_id=topic.id, event_type=kind[0], sub_event_type=kind[1],
                       score=match.score, event_date=day, date_precision=precision, date_from=first, date_to=last,
                       location=place.name, admin1=place.admin1, country=place.country, latitude=place.latitude,
                       longitude=place.longitude, geo_precision=place.precision, actor1=actor1, actor2=actor2,
                       killed=facts.killed, killed_qualifier=facts.killed_qualifier, injured=facts.injured,
                       injured_qualifier=facts.injured_qualifier, notes=sentences[0][:500])


def _within(country: Place, texts: list[str], countries: frozenset[str], gazetteer: Gazetteer) -> Place | None:
    """The first town or region of `country` that `texts` put something at (after a locative)."""
    for text in texts:
        place = _own_place(text, countries | {country.country}, gazetteer)
        if place is not None and place.country == country.country:
            return place
    return None


def _lead(text: str, count: int = 3) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text)[:count]]


def _own_place(sentence: str, countries: frozenset[str], gazetteer: Gazetteer) -> Place | None:
    """The town or region a sentence puts its event at, after a locative word; else None."""
    place = event_place([sentence], "", countries, gazetteer)
    if place is None or place.precision == "country":
        return None
    at = _position(sentence, place.name, [])
    return place if at is not None and _locative(sentence, at) else None


def event_place(sentences: list[str], title: str, countries: frozenset[str] = frozenset(),
                gazetteer: Gazetteer | None = None) -> Place | None:
    """Where the event happened: the best-placed name of the first evidence sentence and the
    headline, else of the other evidence sentences. A dateline names where the reporter is, and a
    name inside the name of a person, organisation or group ("President Vladimir Putin", "the
    European Union") is no place, whatever towns are called Vladimir or Union."""
    for texts in ([sentences[0], title], sentences[1:]):
        candidates = []
        for text in texts:
            if not text:
                continue
            dateline = DATELINE.match(text)
            blocked = [(0, dateline.end())] if dateline else []
            if gazetteer is not None:
                blocked += [(start, end) for start, end, actor_id in gazetteer.named_in(text)
                            if gazetteer.actors[actor_id].kind not in ("country", "place")]
            for order, place in enumerate(places_in(text, countries)):
                at = _position(text, place.name, blocked)
                # A country named without "in", "into", "across"… is a party or a speaker ("Russia
                # said", "Ukraine's army"), not where the event happened.
                if at is None or SPEAKER.match(text, at + len(place.name)):
                    continue
                if place.precision != "country" or _locative(text, at):
                    candidates.append((_place_score(text, at, place), -order, place))
        if candidates:
            return max(candidates, key=lambda c: (c[0], c[1]))[2]
    return None


def _position(text: str, name: str, blocked: list[tuple[int, int]]) -> int | None:
    """Where `name` stands in `text` outside the blocked spans, if anywhere."""
    at = text.find(name)
    while at >= 0:
        if not any(start <= at < end for start, end in blocked):
            return at
        at = text.find(name, at + 1)
    return None


def _locative(text: str, at: int) -> bool:
    # Arabic writes "in" on the name itself: "بغزة", in Gaza.
    if text[at:at + 1] == "ب":
        return True
    before = text[max(0, at - 40):at]
    words = before.split()
    # Most names follow no locative at all: the word before them decides whether to try the pattern.
    if not words or (words[-1].lower() not in LOCATIVE_TAIL and not words[-1].lower().startswith(COMPASS)
                     and not before.endswith(("'", "’"))):
        return False
    return LOCATIVE.search(before) is not None


def _place_score(text: str, at: int, place: Place) -> float:
    return PRECISION_RANK[place.precision] + (2.0 if _locative(text, at) else 0.0)


def event_actors(gazetteer: Gazetteer, sentence: str, title: str, place_country: str) -> tuple[str | None, str | None]:
    """(actor 1, actor 2): who acted, and on whom, as the gazetteer names them."""
    # The source of a claim ("Seoul says North Korean soldiers…") is not who acted.
    named = [gazetteer.actors[actor_id] for _, end, actor_id in gazetteer.named_in(sentence)
             if not SPEAKER.match(sentence, end)]
    acting = [actor for actor in named if actor.kind in ACTING_KINDS]
    in_title = [gazetteer.actors[actor_id] for _, _, actor_id in gazetteer.named_in(title)] if title else []
    # The evidence sentence first; the headline when the sentence names no one ("Russian missiles hit …").
    actor1 = next((actor for actor in (*acting, *(a for a in in_title if a.kind in ACTING_KINDS))
                   if actor.iso_code != place_country), None)
    actor2 = next((actor for actor in (*acting, *in_title) if actor.kind == "country" and actor.iso_code == place_country
                   and actor is not actor1), None)
    return (actor1.name if actor1 else None), (actor2.name if actor2 else None)
