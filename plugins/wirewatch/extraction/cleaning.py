"""Cleaning: what is not story, removed from an extracted text.

trafilatura removes a site's chrome, but paywall prompts, plan-price lists, link lists, newsletter
boxes and the like often sit *inside* the article element. These rules are general (no site's
wording) and multilingual where sites word them (English, French, German, Spanish, Italian,
Portuguese); lines a particular site repeats are `wirewatch.extraction.boilerplate`'s job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from wirewatch.text import word_count

# Lines that start a paywall / subscription prompt: from the first such line on, nothing is story.
# English plus the most common forms in French, German, Spanish, Italian and Portuguese.
PAYWALL_MARKERS = re.compile(
    r"""^\W*(?:[A-Z]{1,4}\+\s*)?(?:
        you[’']?ve\ (?:reached|hit|used)\ (?:all\ )?(?:your|the)\ (?:limit|maximum|last\ free|free)
      | you\ have\ (?:reached|used)\ (?:your|the|all)\ .{0,40}(?:free|limit)
      | subscribe\ (?:now|today|from|for\ (?:just\ )?[₹$€£]|to\ (?:read|continue|keep|unlock|get))
      | already\ (?:a\ )?(?:subscribed|subscriber|a\ member)
      | (?:sign|log)\ in\ to\ (?:read|continue)
      | to\ continue\ reading | keep\ reading\ with | continue\ reading\ with
      | members?\ only\W*$ | subscribers?\ only\W*$
      | the\ rest\ of\ this\ (?:article|story|analysis|report)\ is\ (?:available|reserved|for)
      | il\ vous\ reste\ \d+\s?%
      | dieser\ artikel\ ist\ (?:exklusiv\ )?für\ abonnent
      | suscríbete\ para\ (?:seguir\ leyendo|leer)
      | register\ (?:now\ |for\ free\ )?to\ (?:continue|read|keep\ reading)
      | create\ a\ free\ account\ to
      | this\ (?:article|story|content)\ is\ (?:for|reserved\ for|available\ to)\ (?:subscribers|members)
      | (?:unlock|get)\ unlimited\ (?:digital\ )?access
      | renews\ automatically
      | abonnez-vous | déjà\ abonné | cet\ article\ est\ réservé\ aux\ abonnés
      | jetzt\ abonnieren | bereits\ abonnent | weiterlesen\ mit | article\ réservé\ (?:à\ nos|aux)\ abonnés
      | suscríbete | ya\ (?:eres|soy)\ suscriptor | contenido\ exclusivo\ para\ suscriptores
      | abbonati | sei\ già\ abbonato
      | assine\ (?:já|agora) | já\ é\ assinante
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# A paywall prompt cuts the text only after at least this much story (a teaser); above that it
# is a subscription banner, and only its own line goes.
PAYWALL_MIN_TEASER_WORDS = 25
PAYWALL_INLINE = re.compile(r"\b\d+\s+free\s+articles?\b|\{\{\s*free_limit\s*\}\}", re.IGNORECASE)

# A line that is only a price, a period or a per-period price, or a short plan line carrying one
# ("Analyst membership — $19/month", "RB+ Digital 9,99 € / Monat"): plan tables, not prose.
PRICE_LINE = re.compile(
    r"^\s*(?:[₹$€£¥]|rs\.?|usd|eur|gbp|inr)\s?\d[\d,.]*\s*(?:/\s*\w+)?\s*$"
    r"|^\s*\d+\s+(?:months?|years?|weeks?|days?)\s*$"
    r"|^\s*[₹$€£¥]\s?\d[\d,.]*\s*(?:per|a|/)\s*\w+\s*$",
    re.IGNORECASE,
)
PRICE = r"(?:[₹$€£¥]\s?\d[\d,.]*|\d[\d,.]*\s?(?:€|eur\b|euros?\b|\$|£))"
PERIOD = r"(?:month|year|week|day|monat|jahr|woche|mois|an|année|semaine|mes|año|semana|mese|anno)s?"
PLAN_LINE = re.compile(rf"{PRICE}\s*(?:/|per|a|an|pro|par|al|por|le|la|the)?\s*(?:first\s+|premier\s+|erste[rn]?\s+|primer\s+)?{PERIOD}\b"
                       rf"|\b(?:first|premier|erste[rn]?|primer)\s+{PERIOD}\s*(?:for|pour|für|por)?\s*{PRICE}", re.IGNORECASE)
PLAN_LINE_MAX = 120

# A line that is only a "read more"-style label: the links it introduced are already gone.
LINK_LABEL = re.compile(
    r"^\W*(?:read\ more|related(?:\ (?:stories|articles|coverage|reading))?|see\ also|also\ read|more\ on\ this"
    r"|recommended|lire\ aussi|mehr\ zum\ thema|lesen\ sie\ auch|leer\ más|leggi\ anche)\W*$",
    re.IGNORECASE | re.VERBOSE,
)
# A label followed by the linked headline on the same line ("READ MORE: …", "Lire aussi : …").
LINK_LINE = re.compile(
    r"^\W*(?:read\s+more|related|see\s+also|also\s+read|more\s+on\s+this|lire\s+aussi|à\s+lire\s+aussi"
    r"|mehr\s+zum\s+thema|lesen\s+sie\s+auch|leer\s+más|lee\s+también|te\s+puede\s+interesar|leggi\s+anche"
    r"|leia\s+também)\s*[:|–—-]",
    re.IGNORECASE,
)
LINK_LINE_MAX = 220

# Furniture between paragraphs: ad and share labels, gallery counters and photo credits.
FURNITURE = re.compile(
    r"^\W*(?:advertisement|advertising|anzeige|werbung|publicité|publicidad|pubblicità|sponsored"
    r"|share(?:\s+this(?:\s+(?:story|article))?)?|teilen|partager|compartir|condividi)\W*$"
    r"|^\W*\d+\s*(?:of|de|von|sur|di|/)\s*\d+\W*$"
    r"|^\W*(?:photos?|fotos?|фото|bild(?:er)?|images?|crédits?\s+photo|credits?|picture)\s*:\s*[^.!?]{0,90}$"
    r"|^\W*share\s+this\s+(?:story|article)\s*:"
    # the credit line under an embedded post: "— Name (@handle) April 25, 2024"
    r"|^\s*[—–-]\s*[^\n]{0,80}\(@\w{1,30}\)\s+\w+\s+\d{1,2},\s+\d{4}\s*$",
    re.IGNORECASE,
)

# Newsletter boxes and sign-up fine print.
NEWSLETTER = re.compile(
    r"^\W*newsletter\b|\bsign\s+up\b.{0,60}\b(?:newsletter|inbox|email)|\bin\s+your\s+inbox\b"
    r"|\bemail\s+address\s*sign\s+up|\bunsubscribe\s+at\s+any\s+time|\bin\s+ihr(?:em)?\s+postfach"
    r"|\babmeldung\s+jederzeit|\bdatenschutzerklärung\b.{0,40}\b(?:akzeptieren|zustimmen)|\ben\s+tu\s+correo\b"
    r"|\bdans\s+votre\s+boîte\b|\binscrivez-vous\s+à\s+(?:la|notre)\s+newsletter|\bboletín\b.{0,40}$",
    re.IGNORECASE,
)
NEWSLETTER_MAX = 200

# Cookie/consent banner lines (kept when they are most of the text: then the page *is* the banner,
# and the consent_text flag says so).
COOKIE_LINE = re.compile(r"\bcookies?\b.{0,200}\b(?:partners?|partenaires|partner|socios|consent|accept"
                         r"|personali[sz]|choices|choix|zustimm|einwillig|aceptar|privacy|datenschutz)"
                         r"|\b(?:partners?|partenaires|partner)\b.{0,120}\bcookies?\b", re.IGNORECASE)

# Corrections and contact lines: a short line with an email address is a "write to us" box.
CONTACT_LINE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
CONTACT_LINE_MAX = 200

# Wire credits at the foot of a story: "Reporting by …; Editing by …", "dpa-infocom", "avec AFP – bur/xy".
CREDIT_LINE = re.compile(
    r"^\W*(?:(?:additional\s+)?(?:reporting|writing)\s+by\b.{0,200}(?:editing|reporting)\s+by\b"
    r"|editing\s+by\s+[A-Z]|dpa-infocom\b|[^.]{0,60}\bavec\s+(?:AFP|Reuters|AP)\b\s*[–—-]"
    r"|\(?(?:\w+\s+){0,3}(?:afp|reuters|dpa|efe|ap)\)?\s*[–—-]?\s*[a-z]{2,5}(?:-[a-z]{2,5})?/[a-z]{2,5}(?:/[a-z]{2,5})*\W*$)",
    re.IGNORECASE,
)

# Notes on a story's history, not part of it.
AMENDMENT_LINE = re.compile(r"^\W*(?:this\s+(?:article|story)\s+(?:was|has\s+been)\s+(?:amended|corrected)\b"
                            r"|correction\s*:|clarification\s*:)", re.IGNORECASE)

# Header lines trafilatura sometimes keeps above the story: byline and date lines.
BYLINE = re.compile(r"^\W*(?:by|von|par|por|di)\s+(?=\w)", re.IGNORECASE)
DATE_LINE = re.compile(r"\b(?:19|20)\d\d\b")
HEADER_ZONE = 8

# Credit and rights lines ("© 2024 Some Agency. All rights reserved.") close a story; they are not prose.
RIGHTS_LINE = re.compile(r"^\W*(?:©|\(c\)|copyright\b)|\ball rights reserved\b", re.IGNORECASE)

SYNDICATION_NOTE = re.compile(
    r"syndicated\s+feed|from\s+a\s+wire\s+(?:service|agency)|distributed\s+by\s+\w+\s+news\s+wire"
    r"|has\s+not\s+been\s+edited\s+by\s+.{0,40}staff",
    re.IGNORECASE,
)

@dataclass(frozen=True, kw_only=True)
class CleanText:
    text: str
    wire_note: str | None = None
    removed_lines: list[str] = field(default_factory=list)
    # True when the text was cut at a paywall prompt (what is left may be only a teaser).
    paywall_cut: bool = False


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _strip_header(lines: list[str], title: str | None) -> tuple[list[str], list[str]]:
    """Drop what sits above the story when trafilatura keeps it: kicker and headline (everything
    up to a line equal to the title, within the first lines), then byline and date lines. The
    standfirst stays: readers take it as the story's first paragraph."""
    head = [line.strip() for line in lines[:HEADER_ZONE]]
    start = 0
    if title:
        start = next((i + 1 for i, line in enumerate(head) if _same(line, title)), 0)
    while start < len(lines):
        line = lines[start].strip()
        if not line \
                or (len(line) < 150 and BYLINE.match(line)) \
                or (start < HEADER_ZONE and len(line) < 100 and DATE_LINE.search(line) and len(line.split()) <= 12
                    and not line.endswith(".")):
            start += 1
        else:
            break
    return lines[start:], lines[:start]


def _is_furniture(line: str) -> bool:
    """Lines that are page furniture wherever they appear (all checks are on short lines only)."""
    length = len(line)
    return bool(
        PRICE_LINE.match(line) or LINK_LABEL.match(line) or FURNITURE.match(line)
        or (length < 200 and RIGHTS_LINE.search(line))
        or (length < LINK_LINE_MAX and LINK_LINE.match(line))
        or (length < NEWSLETTER_MAX and NEWSLETTER.search(line))
        or (length < CONTACT_LINE_MAX and CONTACT_LINE.search(line))
        or (length < 300 and (CREDIT_LINE.match(line) or AMENDMENT_LINE.match(line)))
    )


def clean_text(text: str, *, title: str | None = None) -> CleanText:
    """Remove what is not story from an extracted text: the headline block above it, paywall
    prompts (and everything after them), plan-price tables, link lists, newsletter boxes, cookie
    banners, share/ad labels, photo credits, contact and correction notes, wire credits; keep
    syndication notes apart as `wire_note`. Each rule is general (no site's wording) and
    multilingual where sites are; recurring site-specific lines are `boilerplate`'s job."""
    lines, removed = _strip_header(text.splitlines(), title)
    stripped_lines = [line.strip() for line in lines]
    plan_lines = sum(1 for line in stripped_lines if len(line) <= PLAN_LINE_MAX and PLAN_LINE.search(line))
    cookie_lines = sum(1 for line in stripped_lines if COOKIE_LINE.search(line))
    # A lone price in a short line may be a story's; a plan table has several.
    drop_plans = plan_lines >= 2
    # Most of the text being a cookie banner means that is all the page gave: keep it, flag it.
    drop_cookies = cookie_lines <= 0.3 * max(1, sum(1 for line in stripped_lines if line))
    kept: list[str] = []
    wire_note = None
    for position, (line, stripped) in enumerate(zip(lines, stripped_lines)):
        if PAYWALL_MARKERS.search(stripped) or PAYWALL_INLINE.search(stripped):
            if word_count(" ".join(kept)) < PAYWALL_MIN_TEASER_WORDS:
                # Nothing to be a teaser of yet: a subscription banner above the story, not a wall.
                removed.append(line)
                continue
            removed.extend(lines[position:])
            return CleanText(text="\n".join(kept), wire_note=wire_note, removed_lines=removed, paywall_cut=True)
        if SYNDICATION_NOTE.search(stripped) and len(stripped) < 400:
            wire_note = wire_note or stripped.strip("() ")
            removed.append(line)
        elif _is_furniture(stripped) \
                or (drop_plans and len(stripped) <= PLAN_LINE_MAX and PLAN_LINE.search(stripped)) \
                or (drop_cookies and COOKIE_LINE.search(stripped)):
            removed.append(line)
        elif stripped:
            kept.append(stripped)
    return CleanText(text="\n".join(kept), wire_note=wire_note, removed_lines=removed)


# News agencies by how datelines and credits write them.
WIRE_AGENCIES = {
    "reuters": "Reuters", "ap": "AP", "associated press": "AP", "afp": "AFP", "agence france-presse": "AFP",
    "dpa": "dpa", "efe": "EFE", "ansa": "ANSA", "pti": "PTI", "ani": "ANI", "ians": "IANS", "xinhua": "Xinhua",
    "bloomberg": "Bloomberg", "upi": "UPI", "tass": "TASS", "kyodo": "Kyodo", "yonhap": "Yonhap",
}
