"""Tables kept on disk between processes (wirewatch.tagging.diskcache), and the place gazetteer's use of it."""

import shutil
from pathlib import Path

import pytest

from wirewatch.config import ConfigError
from wirewatch.extraction.extract import clean_text
from wirewatch.tagging import diskcache, geo, topics

SHIPPED = Path(__file__).parents[1] / "config" / "topics.yaml"
SEED = clean_text((Path(__file__).parent / "fixtures" / "seed-article.txt").read_text()).text


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WIREWATCH_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def counting_builder(tmp_path, value="table"):
    """A builder over a source file of its own; -> (the cached function, its call counter)."""
    source = tmp_path / "builder_source.py"
    if not source.exists():
        source.write_text("version 1\n")
    calls = []

    @diskcache.disk_cached(sources=[str(source)], packages=["trafilatura"])
    def table():
        calls.append(1)
        return {"value": value, "calls": len(calls)}

    return table, calls, source


def test_a_table_is_built_once_and_then_read_from_disk(tmp_path, cache):
    table, calls, _ = counting_builder(tmp_path)
    assert table() == {"value": "table", "calls": 1}
    table.cache_clear()  # as a new process would start
    assert table() == {"value": "table", "calls": 1} and len(calls) == 1
    assert len(list(cache.glob("*.pickle"))) == 1


def test_a_change_to_the_building_code_builds_anew_and_drops_the_old_file(tmp_path, cache):
    table, calls, source = counting_builder(tmp_path)
    table()
    old = set(cache.glob("*.pickle"))
    source.write_text("version 2\n")
    table, calls, _ = counting_builder(tmp_path)  # the changed code, in a new process
    assert table()["calls"] == 1 and len(calls) == 1, "built anew, not read from the old file"
    new = set(cache.glob("*.pickle"))
    assert len(new) == 1 and new != old


def test_a_corrupt_cache_file_is_rebuilt(tmp_path, cache):
    table, calls, _ = counting_builder(tmp_path)
    table()
    (path,) = cache.glob("*.pickle")
    path.write_bytes(b"not a pickle")
    table.cache_clear()
    assert table() == {"value": "table", "calls": 2}
    table.cache_clear()
    assert table()["calls"] == 2, "the rebuilt table replaced the corrupt file"


def test_a_cache_path_that_is_a_file_only_costs_time(tmp_path, monkeypatch):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    monkeypatch.setenv("WIREWATCH_CACHE_DIR", str(blocker / "cache"))
    table, calls, _ = counting_builder(tmp_path)
    assert table()["value"] == "table"
    table.cache_clear()
    assert table()["calls"] == 2


def test_the_cached_place_tables_equal_freshly_built_ones(cache):
    for function in (geo._gazetteer, geo._namesakes, geo._admin1_table, geo._script_names, geo._country_centroids):
        function.cache_clear()
        function()  # built and stored
        function.cache_clear()
        assert function() == function.build(), f"{function.__name__}, read back from disk"
    assert len(list(cache.glob("wirewatch.tagging.geo.*.pickle"))) >= 5


def test_the_compiled_taxonomy_is_read_back_from_disk_and_tags_as_a_fresh_compile(cache):
    fresh = topics._compile_taxonomy(SHIPPED, None)
    assert topics.load_taxonomy(SHIPPED).version == fresh.version  # compiled and stored
    (stored,) = cache.glob("wirewatch.tagging.topics.load_taxonomy-*.pickle")
    cached = topics.load_taxonomy(SHIPPED)
    assert cached.rules.keys() == fresh.rules.keys() and cached.topics == fresh.topics
    assert [m.topic_id for m in cached.tag(None, SEED)] == [m.topic_id for m in fresh.tag(None, SEED)] != []
    assert list(cache.glob("*.pickle")) == [stored]


def test_an_edited_taxonomy_is_compiled_anew_and_a_broken_one_is_never_cached(tmp_path, cache):
    config = tmp_path / "config"
    shutil.copytree(SHIPPED.parent, config)
    first = topics.load_taxonomy(config / "topics.yaml")
    german = config / "topics.de.yaml"
    german.write_text(german.read_text() + "\n")  # the same rules in other bytes: another version
    second = topics.load_taxonomy(config / "topics.yaml")
    assert second.version != first.version
    assert len(list(cache.glob("wirewatch.tagging.topics.load_taxonomy-*.pickle"))) == 1, "the old one is dropped"
    german.write_text(german.read_text() + "topics: [oops\n")
    for _ in range(2):
        with pytest.raises(ConfigError):
            topics.load_taxonomy(config / "topics.yaml")
