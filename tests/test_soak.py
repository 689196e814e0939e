"""The soak (issue 25): bench/soakfarm.py's changing feeds, served on loopback, and the short
version of `make soak` (scripts/soak.py: the real scheduler running news_ingest on its schedule).
The latter takes a few minutes; deselect it with `-m "not soak"`."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import feedparser
import pytest
import requests

from wirewatch.settings import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench"))
from soakfarm import SoakFarm  # noqa: E402

SCRIPT = REPO_ROOT / "scripts" / "soak.py"


def titles(farm: SoakFarm, host: str) -> dict[str, str]:
    response = requests.get(farm.feed_url(host), timeout=5)
    response.raise_for_status()
    return {entry.link: entry.title for entry in feedparser.parse(response.content).entries}


@pytest.fixture
def farm():
    with SoakFarm(hosts=4, stories_per_cycle=3, interval=0.5, window=4, copy_share=1.0, seed=3) as farm:
        yield farm


def test_each_cycle_brings_stories_copies_and_one_outage(farm):
    first = farm.advance()
    time.sleep(0.6)
    up = next(h for h in farm.hosts if h != first.down)
    assert requests.get(farm.feed_url(first.down), timeout=5).status_code == 503
    listed = titles(farm, up)
    mine = [i for i in farm.items if i.host == up]
    assert set(listed) == {farm.url_of(i.number) for i in mine}
    # every story has at least one syndicated copy (copy_share=1), on other hosts, with the same page
    by_story: dict[int, list] = {}
    for item in farm.items:
        by_story.setdefault(item.story, []).append(item)
    assert len(by_story) == 3 and all(len(copies) >= 2 for copies in by_story.values())
    assert all(len({c.host for c in copies}) == len(copies) and len({c.page for c in copies}) == 1
               for copies in by_story.values())
    page = farm.items[0]
    assert requests.get(farm.url_of(page.number), timeout=5).content == farm.pages[page.page].body
    # another host does not serve it
    other = next(h for h in farm.hosts if h != page.host)
    assert requests.get(f"http://{other}:{farm.port}/news/{page.number}.html", timeout=5).status_code == 404


def test_an_outage_ends_at_the_next_cycle_and_its_items_become_visible_then(farm):
    first = farm.advance()
    hidden = [i for i in farm.items if i.host == first.down]
    assert all(i.visible_at is None for i in hidden)
    assert all(i.visible_at == i.appears_at for i in farm.items if i.host != first.down)
    time.sleep(0.6)
    second = farm.advance()
    assert second.down != first.down
    assert all(i.visible_at == second.start for i in hidden)
    assert requests.get(farm.feed_url(first.down), timeout=5).status_code == 200
    quiet = farm.advance(publish=False)
    assert quiet.down is None and not quiet.new_items
    assert all(i.visible_at is not None for i in farm.items)


def test_an_item_is_hidden_while_its_feed_is_down_even_if_it_appeared_before(farm):
    first = farm.advance()
    item = next(i for i in farm.items if i.host != first.down)
    assert farm.hidden_seconds(item, item.appears_at + 100) == 0.0
    time.sleep(0.6)
    second = farm.advance()
    down = [i for i in farm.items if i.host == second.down and i.cycle == first.number]
    time.sleep(0.3)
    third = farm.advance()
    assert down
    for i in down:  # appeared in the first cycle, its feed down through the second
        assert farm.hidden_seconds(i, third.start + 5) == pytest.approx(third.start - second.start)
        assert farm.hidden_seconds(i, second.start + 0.1) == pytest.approx(0.1)
    on_first_down = [i for i in farm.items if i.host == first.down and i.cycle == first.number]
    assert on_first_down
    for i in on_first_down:  # appeared while its feed was down: hidden until the feed came back
        assert farm.hidden_seconds(i, third.start) == pytest.approx(second.start - i.appears_at)


def test_headlines_change_and_old_items_leave_the_feed(farm):
    for _ in range(4):
        farm.advance()
        time.sleep(0.55)
    farm.advance(publish=False)
    retitled = [i for i in farm.items if i.retitled_at is not None]
    assert retitled
    for host in farm.hosts:
        listed = titles(farm, host)
        mine = sorted((i for i in farm.items if i.host == host), key=lambda i: i.appears_at, reverse=True)
        assert list(listed) == [farm.url_of(i.number) for i in mine[:4]]  # the newest `window` only
        for item in mine[:4]:
            expected = item.new_title if item.retitled_at is not None else item.title
            assert listed[farm.url_of(item.number)] == expected


def test_a_farm_refuses_more_stories_than_it_has_pages():
    with SoakFarm(hosts=3, stories_per_cycle=10**6, interval=1) as farm:
        with pytest.raises(ValueError, match="not enough"):
            farm.advance()


@pytest.mark.soak
def test_the_short_soak_passes(tmp_path):
    """scripts/soak.py in its CI version: a few scheduled runs on LocalExecutor; every check of the
    full soak applies except flat memory, which needs 20 runs."""
    out = tmp_path / "out"
    process = subprocess.run([sys.executable, str(SCRIPT), "--cycles", "4", "--interval", "45", "--stories", "3",
                              "--retention-minutes", "1", "--maintenance-every", "2", "--out", str(out)],
                             capture_output=True, text=True, timeout=1200)
    text = process.stdout + process.stderr
    assert process.returncode == 0, f"soak failed (exit {process.returncode}):\n{text[-8000:]}"
    report = json.loads((out / "soak.json").read_text())
    assert report["summary"]["runs"] >= 4 and not report["failed"]
    assert report["summary"]["items"] >= 12 and report["summary"]["outages"] == 4
    assert any(line.startswith("no article lost") for line in report["passed"])
    assert any(line.startswith("retention kept raw pages bounded") for line in report["passed"])
    assert (out / "soak.png").stat().st_size > 10_000
