import pytest

from wirewatch.urls import InvalidURL, canonical_url


@pytest.mark.parametrize(("url", "expected"), [
    ("HTTP://Example.COM:80/a/b.html", "http://example.com/a/b.html"),
    ("https://example.com:443/a?utm_source=rss&utm_medium=feed", "https://example.com/a"),
    ("https://example.com/a?id=5&fbclid=xyz&gclid=1", "https://example.com/a?id=5"),
    ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
    ("https://example.com/story.html#comments", "https://example.com/story.html"),
    ("  http://127.0.0.1:8000/x.html?utm_campaign=z  ", "http://127.0.0.1:8000/x.html"),
])
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


@pytest.mark.parametrize("url", ["ftp://example.com/a", "javascript:alert(1)", "/relative/path", ""])
def test_non_http_urls_are_refused(url):
    with pytest.raises(InvalidURL):
        canonical_url(url)
