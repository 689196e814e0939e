"""Decoding article pages when the HTTP header, the <meta charset> and the BOM disagree.

Order of trust, from what real sites get wrong most rarely to most often:
1. a byte-order mark;
2. the bytes being valid UTF-8 (with non-ASCII content, this is almost never an accident);
3. the page's <meta charset>, then the HTTP header's charset, if the bytes decode with it;
4. charset-normalizer's detection.
Whatever is chosen, a disagreement is reported so that it can be recorded with the article.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.IGNORECASE)
HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_:.-]+)", re.IGNORECASE)
BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    # Set when the declared charsets disagreed with each other or with the bytes.
    note: str | None = None


def _codec(name: str | None) -> str | None:
    """Python's codec name for a declared charset, or None if unknown. Latin-1 labels mean
    windows-1252, as browsers (and the WHATWG encoding standard) treat them."""
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


def decode_page(body: bytes, content_type: str | None = None) -> Decoded:
    header_match = HEADER_CHARSET.search(content_type or "")
    meta_match = META_CHARSET.search(body[:4096])
    header = _codec(header_match.group(1) if header_match else None)
    meta = _codec(meta_match.group(1).decode("ascii", "replace") if meta_match else None)
    declared = [c for c in (meta, header) if c]

    for bom, codec in BOMS:
        if body.startswith(bom):
            return Decoded(body[len(bom):].decode(codec, errors="replace"), codec,
                           _disagreement(codec, declared, "byte-order mark"))
    if not body.isascii():
        try:
            return Decoded(body.decode("utf-8"), "utf-8", _disagreement("utf-8", declared, "the bytes"))
        except UnicodeDecodeError:
            pass
    for codec in declared:
        try:
            text = body.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
        return Decoded(text, codec, _disagreement(codec, declared, "the page") if len(set(declared)) > 1 else None)
    best = charset_normalizer.from_bytes(body).best()
    if best is not None:
        return Decoded(str(best), best.encoding, f"charset detected as {best.encoding}"
                       + (f" (declared {', '.join(declared)})" if declared else ""))
    return Decoded(body.decode("utf-8", errors="replace"), "utf-8", "undecodable bytes replaced")


def _disagreement(chosen: str, declared: list[str], evidence: str) -> str | None:
    others = sorted({c for c in declared if codecs.lookup(c).name != codecs.lookup(chosen).name})
    if not others:
        return None
    return f"declared {', '.join(others)}, but {evidence} say{'s' if evidence != 'the bytes' else ''} {chosen}"
