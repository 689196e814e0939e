"""Feed lists in and out: OPML and YAML import/export through the CLI, enable/disable, discovery."""

import pytest
from conftest import query, scalar
from faultserver import FaultServer, send

from wirewatch import cli
from wirewatch.config import ConfigError
from wirewatch.feeds.discovery import declared_feeds, discover
from wirewatch.feeds.lists import FeedSpec, load_feed_list
from wirewatch.feeds.opml import read_opml, write_opml
from wirewatch.fetch.client import HttpClient

OPML = """<?xml version="1.0"?>
<opml version="2.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="Europe">
      <outline type="rss" text="Eastern Ledger" xmlUrl="https://ledger.example/index.rdf" language="de"
               category="security/defence"/>
      <outline type="rss" text="Harbour Times" xmlUrl="https://harbour.example/atom.xml" enabled="false"
               max_interval_minutes="60"/>
    </outline>
    <outline type="rss" title="Northern Wire" text="ignored" xmlUrl="https://north.example/feed.rss"
             outlet="The Northern Wire"/>
  </body>
</opml>
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_opml_outlines_become_feeds_with_folders_as_tags(tmp_path):
    specs = read_opml(write(tmp_path, "feeds.opml", OPML))
    assert specs == [
        FeedSpec(url="https://ledger.example/index.rdf", name="Eastern Ledger", language="de",
                 tags=("Europe", "defence", "security")),
        FeedSpec(url="https://harbour.example/atom.xml", name="Harbour Times", tags=("Europe",), enabled=False,
                 max_interval_minutes=60),
        FeedSpec(url="https://north.example/feed.rss", name="Northern Wire", outlet="The Northern Wire"),
    ]


@pytest.mark.parametrize(("text", "message"), [
    ("<opml><body><outline xmlUrl='https://a.example/f'", "not well-formed OPML"),
    ("<rss version='2.0'><channel/></rss>", "line 1: not an OPML document"),
    ("<opml><body>\n<outline text='folder'/></body></opml>", "no feed outlines"),
    ("<opml><body>\n<outline xmlUrl='https://a.example/f' enabled='maybe'/></body></opml>",
     "line 2: enabled must be true or false"),
    ("<opml><body>\n<outline xmlUrl='https://a.example/f'/>\n<outline xmlUrl='https://a.example/f'/></body></opml>",
     "line 3: duplicate xmlUrl"),
    ("<opml><body>\n\n<outline text='x' xmlUrl='notaurl'/></body></opml>", "line 3"),
])
def test_invalid_opml_names_the_problem_and_line(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        read_opml(write(tmp_path, "bad.opml", text))


def test_opml_export_reads_back_the_same_feeds(tmp_path):
    rows = [{"url": "https://a.example/f?x=1&y=2", "name": 'A & "B"', "outlet": "A", "language": "en",
             "tags": ["x", "y"], "enabled": False, "min_interval_minutes": 10, "max_interval_minutes": None}]
    specs = read_opml(write(tmp_path, "out.opml", write_opml(rows)))
    assert specs == [FeedSpec(url="https://a.example/f?x=1&y=2", name='A & "B"', outlet="A", language="en",
                              tags=("x", "y"), enabled=False, min_interval_minutes=10)]


def test_cli_imports_opml_and_exports_yaml_that_imports_back(settings, db, tmp_path, capsys):
    assert cli.main(["feeds", "import", str(write(tmp_path, "feeds.opml", OPML))]) == 0
    assert "3 feeds in" in capsys.readouterr().out
    assert cli.main(["feeds", "export", str(tmp_path / "out.yaml")]) == 0
    exported = load_feed_list(tmp_path / "out.yaml")
    assert exported == read_opml(tmp_path / "feeds.opml")
    assert cli.main(["feeds", "export", "--format", "opml"]) == 0
    assert "xmlUrl=\"https://harbour.example/atom.xml\"" in capsys.readouterr().out


def test_an_invalid_file_imports_nothing(settings, db, tmp_path, capsys):
    text = OPML.replace('xmlUrl="https://north.example/feed.rss"', 'xmlUrl="https://north.example/feed.rss" '
                                                                  'min_interval_minutes="often"')
    assert cli.main(["feeds", "import", str(write(tmp_path, "feeds.opml", text))]) == 2
    assert "min_interval_minutes must be a whole number" in capsys.readouterr().err
    assert scalar(db, "SELECT count(*) FROM feeds") == 0


def test_enable_and_disable_by_id(settings, db, tmp_path, capsys):
    cli.main(["feeds", "import", str(write(tmp_path, "feeds.opml", OPML))])
    feed_id = scalar(db, "SELECT id FROM feeds WHERE name = 'Harbour Times'")
    query(db, "UPDATE feeds SET disabled_reason = 'HTTP 410 Gone', hard_error_streak = 3 RETURNING id")
    assert cli.main(["feeds", "enable", str(feed_id)]) == 0
    assert query(db, "SELECT enabled, disabled_reason, hard_error_streak FROM feeds WHERE id = %s",
                 (feed_id,)) == [(True, None, 0)]
    assert cli.main(["feeds", "disable", str(feed_id)]) == 0
    assert query(db, "SELECT enabled, disabled_reason FROM feeds WHERE id = %s", (feed_id,)) \
        == [(False, "disabled by hand")]
    # Re-importing the list does not silently resurrect a feed that was switched off for a reason.
    cli.main(["feeds", "import", str(tmp_path / "feeds.opml")])
    assert scalar(db, "SELECT enabled FROM feeds WHERE id = %s", (feed_id,)) is False
    assert cli.main(["feeds", "enable", "99999"]) == 1


RSS = (b"<?xml version='1.0'?><rss version='2.0'><channel><title>Site news</title>"
       b"<item><title>a</title><link>http://127.0.0.1/a</link></item></channel></rss>")


def test_discovery_prefers_declared_feeds_then_common_paths(settings):
    with FaultServer({}) as server:
        server.routes.update({
            "/": send(200, b"<html><head><link rel='alternate' type='application/rss+xml' href='/news.xml'>"
                           b"<link rel='alternate' type='application/atom+xml' href='/missing.atom'>"
                           b"<link rel='stylesheet' href='/s.css'></head><body>Home</body></html>"),
            "/news.xml": send(200, RSS, "application/rss+xml"),
            "/plain/": send(200, b"<html><head><title>No links</title></head><body>Hi</body></html>"),
            "/feed": send(200, RSS, "application/rss+xml"),  # where WordPress & co. put it
        })
        client = HttpClient(settings)
        declared = discover(server.url("/"), client, settings)
        assert [(f.url, f.how, f.title) for f in declared] == [
            (server.url("/news.xml"), "declared by the page", "Site news")]
        guessed = discover(server.url("/plain/"), client, settings)
        assert [(f.url, f.how) for f in guessed] == [(server.url("/feed"), "common path")]
        assert discover(server.url("/news.xml"), client, settings)[0].how == "the URL is a feed"
        with pytest.raises(ValueError, match="HTTP 404"):
            discover(server.url("/nowhere"), client, settings)


def test_declared_feeds_resolve_relative_links():
    page = b"<html><head><link rel='alternate feed' type='application/atom+xml; charset=utf-8' href='atom'></head></html>"
    assert declared_feeds(page, "https://site.example/blog/") == ["https://site.example/blog/atom"]


def test_commands_on_an_unmigrated_warehouse_say_what_to_do(empty_db_url, monkeypatch, capsys):
    monkeypatch.setenv("WIREWATCH_DATABASE_URL", empty_db_url)
    assert cli.main(["feeds", "list"]) == 2
    assert "Run `wirewatch db migrate`" in capsys.readouterr().err


def test_the_shipped_feed_list_passes_the_offline_check(capsys):
    from wirewatch.settings import REPO_ROOT

    assert cli.main(["feeds", "check", str(REPO_ROOT / "config" / "feeds.yaml")]) == 0
    out = capsys.readouterr().out
    # Real feeds in all seven languages the taxonomy reads, none without phrase lists.
    for language in ("en", "de", "fr", "es", "ru", "uk", "ar"):
        assert f"  {language:<3}" in out
    assert "no phrase lists" not in out and out.rstrip().endswith("ok")


def test_the_offline_check_names_each_problem(tmp_path, capsys):
    text = """feeds:
  - {url: "https://news.example.org/rss", name: Placeholder, outlet: X, language: en}
  - {url: "http://203.0.113.7/feed", name: By address, outlet: Y, language: en}
  - {url: "https://wire.de/rss?utm_source=x", name: Wire, language: deu}
  - {url: "https://wire.de/rss", name: wire, outlet: Wire, language: de}
"""
    path = write(tmp_path, "feeds.yaml", text)
    assert cli.main(["feeds", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "'news.example.org' is not a public host name" in err
    assert "is an IP address (203.0.113.7)" in err
    assert "no 'outlet'" in err and "ISO 639-1 code such as en, got 'deu'" in err
    assert "the same address as" in err and "the same name as" in err
    assert "6 problems" in err
