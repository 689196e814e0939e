"""URL canonicalisation: the key under which an article is stored."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import courlan

# AMP and mobile variants of a page are the same article as the page itself. courlan normalises
# case, ports, query order and trackers but knows nothing of these, hence the rules below.
AMP_PATH_SEGMENT = "amp"                                   # /amp/world/x.html, /world/x/amp
AMP_SUFFIX = re.compile(r"(?<=[^/])\.amp(?=\.html?$|$)")   # /x.amp -> /x, /x.amp.html -> /x.html
AMP_QUERY_NAME = "amp"                                     # ?amp, ?amp=1: dropped whatever the value
AMP_QUERY_VALUE_NAMES = {"outputtype", "output"}           # ?outputType=amp: dropped only if the value is amp
VARIANT_HOST_PREFIXES = ("amp.", "m.", "mobile.")          # amp.example.com, m.example.com -> example.com
SITE_HOST_PREFIXES = ("www.", *VARIANT_HOST_PREFIXES)      # ignored by same_site()


class InvalidURL(ValueError):
    pass


def canonical_url(url: str) -> str:
    """The article key of an http(s) URL: two URLs of one article page give the same key.

    Normalised:

    - scheme and host lower-cased, default port dropped, query parameters sorted, tracking
      parameters (utm_*, fbclid, gclid…) and parameters without a value dropped (courlan);
    - fragment dropped; trailing slash dropped (the root path stays "/");
    - AMP variants: path segment "amp", final-segment suffix ".amp" (also before ".html"),
      query parameters amp, outputType=amp and output=amp, host label "amp.";
    - mobile variants: host label "m." or "mobile." ("www." is kept).
    """
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InvalidURL(f"not an http(s) URL: {url!r}")
    parts = urlsplit(courlan.normalize_url(url, strict=False))
    # courlan's trailing_slash=False only trims when there is no query, and before the AMP
    # parameters are dropped here, so _canonical_path() trims instead.
    return urlunsplit((parts.scheme, _strip_host_label(parts.netloc, VARIANT_HOST_PREFIXES),
                       _canonical_path(parts.path), _canonical_query(parts.query), ""))


def same_site(url_a: str, url_b: str) -> bool:
    """True when both URLs are on one host, ignoring one leading www., m., mobile. or amp. label.
    A subdomain is another site: news.example.com is not example.com."""
    host_a, host_b = (_strip_host_label(host_of(u).lower(), SITE_HOST_PREFIXES) for u in (url_a, url_b))
    return bool(host_a) and host_a == host_b


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""


def site_of(url: str) -> str:
    """The site a page belongs to, as boilerplate and reasons are counted: its host without "www."."""
    host = host_of(url).lower()
    return host[4:] if host.startswith("www.") else host


def _canonical_path(path: str) -> str:
    segments = [s for s in path.split("/") if s and s != AMP_PATH_SEGMENT]  # courlan collapsed "//"
    if segments:
        segments[-1] = AMP_SUFFIX.sub("", segments[-1])
    return "/" + "/".join(segments)


def _canonical_query(query: str) -> str:
    params = parse_qsl(query, keep_blank_values=True)
    kept = [(name, value) for name, value in params
            if name.lower() != AMP_QUERY_NAME
            and not (name.lower() in AMP_QUERY_VALUE_NAMES and value.lower() == "amp")]
    return query if len(kept) == len(params) else urlencode(kept)


def _strip_host_label(netloc: str, prefixes: tuple[str, ...]) -> str:
    """Drop one leading label in `prefixes` unless what remains is a bare public suffix (m.com,
    m.co.uk). courlan.extract_domain gives the registrable domain from the public-suffix list;
    for hosts it does not know (127.0.0.1, *.example, localhost) the rest must contain a dot."""
    prefix = next((p for p in prefixes if netloc.startswith(p)), None)
    if prefix is None:
        return netloc
    rest = netloc[len(prefix):]
    rest_host = rest.split(":")[0]  # without the port
    domain = courlan.extract_domain(f"http://{netloc}/")
    if domain:
        keeps_domain = rest_host == domain or rest_host.endswith(f".{domain}")
    else:
        keeps_domain = "." in rest_host
    return rest if keeps_domain else netloc


def page_key(url: str, declared_canonical: str | None) -> str:
    """The URL that identifies an article's page: the page's own rel=canonical link when it is a
    valid URL on the same site, else the article's canonical URL. (A canonical link to another
    site is a syndication partner crediting the original: a copy, not the same article.)"""
    if declared_canonical:
        try:
            declared = canonical_url(declared_canonical)
        except InvalidURL:
            return url
        if same_site(declared, url):
            return declared
    return url
