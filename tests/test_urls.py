import pytest

from wirewatch.urls import InvalidURL, canonical_url, page_key, same_site

CASES = [
    # case, default ports, trackers, query order, fragments (courlan)
    ("HTTP://Example.COM:80/a/b.html", "http://example.com/a/b.html"),
    ("https://example.com:443/a?utm_source=rss&utm_medium=feed", "https://example.com/a"),
    ("https://example.com/a?id=5&fbclid=xyz&gclid=1", "https://example.com/a?id=5"),
    ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
    ("https://example.com/story.html#comments", "https://example.com/story.html"),
    ("  http://127.0.0.1:8000/x.html?utm_campaign=z  ", "http://127.0.0.1:8000/x.html"),
    # trailing slashes; the root path stays "/"
    ("https://example.com/world/story/", "https://example.com/world/story"),
    ("https://example.com/world/story//", "https://example.com/world/story"),
    ("https://example.com/world/story/?id=5", "https://example.com/world/story?id=5"),
    ("https://example.com/", "https://example.com/"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com/?id=5", "https://example.com/?id=5"),
    # AMP: path segment, suffix
    ("https://example.com/amp/world/x.html", "https://example.com/world/x.html"),
    ("https://example.com/world/x/amp", "https://example.com/world/x"),
    ("https://example.com/world/x/amp/", "https://example.com/world/x"),
    ("https://example.com/amp/", "https://example.com/"),
    ("https://example.com/world/x.amp", "https://example.com/world/x"),
    ("https://example.com/world/x.amp.html", "https://example.com/world/x.html"),
    # AMP: query parameters
    ("https://example.com/world/x?amp", "https://example.com/world/x"),
    ("https://example.com/world/x?amp=1", "https://example.com/world/x"),
    ("https://example.com/world/x?amp=true&id=5", "https://example.com/world/x?id=5"),
    ("https://example.com/world/x/?amp=1", "https://example.com/world/x"),
    ("https://example.com/world/x?outputType=amp", "https://example.com/world/x"),
    ("https://example.com/world/x?output=amp&id=5", "https://example.com/world/x?id=5"),
    ("https://example.com/?amp=1", "https://example.com/"),
    # AMP: host
    ("https://amp.example.com/world/x.html", "https://example.com/world/x.html"),
    ("https://amp.example.co.uk/world/x.html", "https://example.co.uk/world/x.html"),
    # mobile hosts; www. is kept
    ("https://m.example.com/world/x.html", "https://example.com/world/x.html"),
    ("https://M.Example.com/world/x.html", "https://example.com/world/x.html"),
    ("https://mobile.example.com/world/x.html", "https://example.com/world/x.html"),
    ("https://m.example.com:8443/world/x.html", "https://example.com:8443/world/x.html"),
    ("https://m.news.example.com/x.html", "https://news.example.com/x.html"),
    ("https://m.bbc.co.uk/news/x", "https://bbc.co.uk/news/x"),
    ("https://www.example.com/world/x.html", "https://www.example.com/world/x.html"),
    # all at once
    ("https://m.example.com/amp/world/x.amp.html/?outputType=amp&utm_source=rss#top",
     "https://example.com/world/x.html"),
]

UNTOUCHED = [
    "https://example.com/example/champ",
    "https://example.com/campaign",
    "https://example.com/world/amplifier/x.html",
    "https://example.com/world/lamp.html",
    "https://example.com/world/x.ample",
    "https://example.com/world/x.amp.pdf",
    "https://example.com/world/amp.html",
    "https://example.com/world/x?ampersand=1",
    "https://example.com/world/x?page=amp",
    "https://example.com/world/x?output=rss",
    "https://example.com/world/x?outputType=html",
    "https://m.com/world/x",          # would leave a bare TLD
    "https://mobile.com/world/x",
    "https://amp.com/world/x",
    "https://m.co.uk/world/x",        # would leave a bare public suffix
    "http://m.localhost/world/x",
    "https://mm.example.com/world/x",
    "https://am.example.com/world/x",
    "https://news.example.com/world/x",
    "https://www.m.example.com/world/x",
]


@pytest.mark.parametrize(("url", "expected"), CASES)
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


@pytest.mark.parametrize("url", UNTOUCHED)
def test_lookalikes_are_not_touched(url):
    assert canonical_url(url) == url


@pytest.mark.parametrize("url", [url for url, _ in CASES] + UNTOUCHED)
def test_canonical_url_is_idempotent(url):
    assert canonical_url(canonical_url(url)) == canonical_url(url)


@pytest.mark.parametrize("url", ["ftp://example.com/a", "javascript:alert(1)", "/relative/path", ""])
def test_non_http_urls_are_refused(url):
    with pytest.raises(InvalidURL):
        canonical_url(url)


@pytest.mark.parametrize(("url_a", "url_b", "expected"), [
    ("https://example.com/a", "https://example.com/b", True),
    ("https://www.example.com/a", "https://example.com/b", True),
    ("https://m.example.com/a", "https://www.example.com/b", True),
    ("https://mobile.example.com/a", "http://example.com/b", True),
    ("https://amp.example.com/a", "https://example.com/b", True),
    ("https://WWW.Example.COM/a", "https://example.com/b", True),
    ("https://example.com:8443/a", "https://example.com/b", True),
    ("https://example.com/a", "https://example.org/a", False),
    ("https://example.com/a", "https://other-outlet.com/a", False),
    ("https://news.example.com/a", "https://example.com/a", False),
    ("https://news.example.com/a", "https://www.example.com/a", False),
    ("https://www.m.example.com/a", "https://example.com/a", False),  # one label only
    ("https://wwwexample.com/a", "https://example.com/a", False),
    ("/relative/a", "/relative/b", False),
    ("", "", False),
])
def test_same_site(url_a, url_b, expected):
    assert same_site(url_a, url_b) is expected
    assert same_site(url_b, url_a) is expected


@pytest.mark.parametrize(("declared", "expected"), [
    (None, "https://news.example.com/a"),
    ("https://news.example.com/world/a?utm_source=rss", "https://news.example.com/world/a"),
    ("https://m.news.example.com/world/a/", "https://news.example.com/world/a"),
    ("https://wire.example.org/original", "https://news.example.com/a"),  # a partner crediting the wire
    ("not a url", "https://news.example.com/a"),
])
def test_page_key_follows_rel_canonical_only_within_the_site(declared, expected):
    assert page_key("https://news.example.com/a", declared) == expected
