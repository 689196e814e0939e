from datetime import datetime, timezone
from pathlib import Path

import pytest

from wirewatch.config import ConfigError
from wirewatch.feeds.lists import load_feed_list
from wirewatch.feeds.parsing import FeedParseError, parse_feed

FIXTURES = Path(__file__).parent / "fixtures"


def parse(name: str, content_type: str | None = None):
    return parse_feed((FIXTURES / name).read_bytes(), url="http://127.0.0.1/feed", content_type=content_type)


def test_rss20_entries_are_normalised():
    feed = parse("rss20.xml")
    assert feed.format == "RSS 2.0"
    assert feed.title == "Test Outlet & Co — World"
    first, second = feed.entries
    assert first.canonical_url == "http://127.0.0.1/world/troops.html"  # tracking params and fragment gone
    assert first.title == "Troops massed at the border"  # markup stripped
    assert first.summary == "Brigades were moved overnight."
    assert first.published_at == datetime(2026, 11, 23, 7, 15, tzinfo=timezone.utc)
    assert first.author == "Ana Example" and first.entry_id == "tst-0001"
    assert second.link == "http://127.0.0.1/world/relative.html"  # resolved against the feed URL


def test_entry_without_link_is_reported_not_dropped():
    feed = parse("rss20.xml")
    assert feed.skipped == ["entry #3 has no link"]


@pytest.mark.parametrize(("name", "fmt", "title"), [
    ("atom10.xml", "Atom 1.0", "Sanctions widened"),
    ("rss10.rdf", "RSS 1.0", "Truce talks resume"),
])
def test_other_formats(name, fmt, title):
    feed = parse(name)
    assert feed.format == fmt
    assert [e.title for e in feed.entries] == [title]
    assert feed.entries[0].published_at is not None


def test_latin1_feed_with_wrong_charset_header_decodes_correctly():
    feed = parse("latin1.xml", content_type="application/rss+xml; charset=utf-8")
    entry = feed.entries[0]
    assert entry.title == "Trêve à Genève : négociations « sérieuses »"
    assert "señor Müller" in entry.summary and "£5" in entry.summary
    assert feed.warning and "encoding" in feed.warning


def test_truncated_feed_is_a_parse_error():
    with pytest.raises(FeedParseError, match="malformed feed|not a feed"):
        parse("truncated.xml")


def test_html_page_is_not_a_feed():
    with pytest.raises(FeedParseError, match=r"not a feed \(got an HTML page\)"):
        parse_feed(b"<!doctype html><html><head><title>Home</title></head><body><p>Hi</p></body></html>",
                   url="http://127.0.0.1/", content_type="text/html")


def test_empty_body_is_not_a_feed():
    with pytest.raises(FeedParseError, match="not a feed"):
        parse_feed(b"", url="http://127.0.0.1/")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_feed_list_loads(tmp_path):
    specs = load_feed_list(write(tmp_path, """
feeds:
  - url: https://example.org/rss
    name: Example
    outlet: Example News
    tags: [world]
  - {url: "https://example.org/atom", name: Example Atom, enabled: false}
"""))
    assert [(s.url, s.outlet, s.tags, s.enabled) for s in specs] == [
        ("https://example.org/rss", "Example News", ("world",), True),
        ("https://example.org/atom", None, (), False)]


@pytest.mark.parametrize(("text", "message"), [
    ("feeds:\n  - url: https://a.org/rss\n    name: A\n  - name: B\n", r"feeds\.yaml:4: feeds #2: missing required key\(s\) url"),
    ("feeds:\n  - url: ftp://a.org/rss\n    name: A\n", r":2: feeds #1: not an http\(s\) URL"),
    ("feeds:\n  - url: https://a.org/rss\n    name: A\n    colour: red\n", r"unknown key\(s\) colour"),
    ("feeds:\n  - {url: https://a.org/r, name: A}\n  - {url: https://a.org/r, name: B}\n", r":3: feeds #2: duplicate url"),
    ("feeds:\n  - {url: https://a.org/r, name: A, enabled: maybe}\n", r"'enabled' must be true or false"),
    ("feeds: [unclosed\n", r"not valid YAML"),
    ("- just a list\n", r"expected a top-level 'feeds:' list"),
])
def test_feed_list_errors_name_the_line(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_feed_list(write(tmp_path, text))


def test_shipped_feed_list_is_valid():
    specs = load_feed_list(Path(__file__).parents[1] / "config" / "feeds.yaml")
    assert specs, "config/feeds.yaml lists no feeds"
