"""Feed autodiscovery: given a site's page, find its feeds.

First the page's own `<link rel="alternate" type="application/rss+xml|atom+xml|rdf+xml">` tags;
if it declares none, the paths where publishing systems usually put feeds. Every candidate is
downloaded (with the same address checks and limits as polling) and kept only if it parses.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import html as lxml_html

from wirewatch.feeds.parsing import FeedParseError, parse_feed
from wirewatch.fetch.client import HttpClient, download
from wirewatch.settings import Settings

FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
              "text/xml"}
# WordPress, Ghost, Hugo, Jekyll, Blogger, Drupal and most CMSs use one of these.
COMMON_PATHS = ("/feed", "/rss", "/rss.xml", "/feed.xml", "/atom.xml", "/index.xml", "/feeds/posts/default",
                "/rss/index.xml", "/feed/atom", "/index.rdf")


@dataclass(frozen=True)
class DiscoveredFeed:
    url: str
    title: str | None
    format: str
    entries: int
    how: str  # "declared by the page" or "common path"


def declared_feeds(page: bytes, base_url: str) -> list[str]:
    """URLs of the feeds a page declares with <link rel="alternate">, in page order."""
    try:
        tree = lxml_html.fromstring(page)
    except (ValueError, lxml_html.etree.ParserError):
        return []
    urls = []
    for link in tree.xpath("//link[@href]"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        if "alternate" in rel and kind in FEED_TYPES:
            url = urljoin(base_url, link.get("href").strip())
            if url not in urls:
                urls.append(url)
    return urls


def discover(url: str, client: HttpClient, settings: Settings) -> list[DiscoveredFeed]:
    """Feeds of the site at `url` (which may itself be a feed); raises ValueError if the page is unreachable."""
    page = download(client, url, settings=settings, max_bytes=settings.max_page_bytes)
    if page.error:
        raise ValueError(f"cannot read {url}: {page.error}")
    itself = _as_feed(page.final_url, page.body, page.headers.get("content-type"), "the URL is a feed")
    if itself:
        return [itself]
    candidates = [(u, "declared by the page") for u in declared_feeds(page.body, page.final_url)]
    if not candidates:
        candidates = [(urljoin(page.final_url, path), "common path") for path in COMMON_PATHS]
    found = []
    for candidate, how in candidates:
        got = download(client, candidate, settings=settings, max_bytes=settings.max_feed_bytes)
        feed = None if got.error else _as_feed(got.final_url, got.body, got.headers.get("content-type"), how)
        if feed and feed.url not in {f.url for f in found}:
            found.append(feed)
    return found


def _as_feed(url: str, body: bytes, content_type: str | None, how: str) -> DiscoveredFeed | None:
    try:
        parsed = parse_feed(body, url=url, content_type=content_type)
    except FeedParseError:
        return None
    return DiscoveredFeed(url=url, title=parsed.title, format=parsed.format, entries=len(parsed.entries), how=how)
