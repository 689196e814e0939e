from pathlib import Path

import pytest

from wirewatch.config import ConfigError
from wirewatch.extraction.extract import clean_text
from wirewatch.tagging.actors import load_gazetteer

ROOT = Path(__file__).parents[1]
SEED = clean_text((Path(__file__).parent / "fixtures" / "seed-article.txt").read_text()).text


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer(ROOT / "config" / "actors.yaml")


def actor_ids(gazetteer, text, title=None):
    return {m.actor_id for m in gazetteer.find(title, text)}


def test_seed_actors(gazetteer):
    found = {m.actor_id: m for m in gazetteer.find(None, SEED)}
    assert {"russia", "ukraine", "north-korea", "south-korea", "japan", "united-states", "yemen"} <= set(found)
    assert {gazetteer.actors[a].iso_code for a in found} >= {"RU", "UA", "KP", "KR", "JP", "US", "YE"}


@pytest.mark.parametrize("alias", ["DPRK", "North Korea", "Pyongyang", "North Korean", "north korea"])
def test_aliases_normalise_to_one_actor(gazetteer, alias):
    assert actor_ids(gazetteer, f"Officials in {alias} said nothing.") == {"north-korea"}


def test_capitalised_aliases_are_case_sensitive(gazetteer):
    assert "united-states" not in actor_ids(gazetteer, "Let us hope the talks go well.")
    assert "united-states" in actor_ids(gazetteer, "The US said the talks went well.")


def test_longest_alias_wins(gazetteer):
    assert actor_ids(gazetteer, "South Korean officials met in Seoul.") == {"south-korea"}


def test_counts_and_prominence(gazetteer):
    text = "Kyiv said the strike hit Dnipro. Later, Moscow denied it. Ukraine asked for help."
    found = {m.actor_id: m for m in gazetteer.find("Russia denies Dnipro strike", text)}
    assert found["ukraine"].mentions == 3 and found["ukraine"].in_title
    assert set(found["ukraine"].aliases) == {"Kyiv", "Dnipro", "Ukraine"}
    assert found["russia"].mentions == 1 and found["russia"].in_title  # in the title, once in the text


def test_alias_claimed_twice_is_an_error(tmp_path):
    path = tmp_path / "actors.yaml"
    path.write_text("actors:\n  - {id: a, name: A, kind: country, aliases: [X]}\n"
                    "  - {id: b, name: B, kind: country, aliases: [X]}\n")
    with pytest.raises(ConfigError, match=r":3: actors #2: alias 'X' already belongs to 'a'"):
        load_gazetteer(path)


def test_a_language_file_adds_names_to_known_actors(tmp_path):
    (tmp_path / "actors.yaml").write_text((ROOT / "config" / "actors.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "actors.ru.yaml").write_text("aliases:\n  - {id: russia, aliases: [Россия, России, Москва]}\n",
                                             encoding="utf-8")
    gazetteer = load_gazetteer(tmp_path / "actors.yaml")
    assert actor_ids(gazetteer, "Москва заявила, что России нечего скрывать.") == {"russia"}
    (tmp_path / "actors.ru.yaml").write_text("aliases:\n  - {id: atlantis, aliases: [Атлантида]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no actor 'atlantis'"):
        load_gazetteer(tmp_path / "actors.yaml")
    (tmp_path / "actors.ru.yaml").write_text("aliases:\n  - {id: ukraine, aliases: [Moscow]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="already belongs to 'russia'"):
        load_gazetteer(tmp_path / "actors.yaml")
