"""URL canonicalisation: the key under which an article is stored."""

from __future__ import annotations

from urllib.parse import urldefrag, urlsplit

import courlan


class InvalidURL(ValueError):
    pass


def canonical_url(url: str) -> str:
    """Normalise case, default ports and query order; drop tracking parameters and fragments.

    courlan (trafilatura's URL library) knows the tracker parameters (utm_*, fbclid, gclid…).
    """
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InvalidURL(f"not an http(s) URL: {url!r}")
    normalized = courlan.normalize_url(url, strict=False)
    return urldefrag(normalized).url


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""
