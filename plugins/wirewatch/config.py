"""Loading user-edited YAML files with errors that name the file, line and entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class ConfigError(ValueError):
    """A user-edited config file is invalid; the message names the file, entry and line."""


def load_entries(path: Path, key: str, *, substitutions: dict[str, str] | None = None
                 ) -> tuple[dict[str, Any], list[tuple[Any, str]]]:
    """Parse `path`, whose top level is a mapping with a list under `key`.

    Returns the whole document and the list's items, each paired with a location
    string such as "config/topics.yaml:12: topics #3" for error messages.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    for placeholder, value in (substitutions or {}).items():
        text = text.replace(placeholder, value)
    # One parse, with libyaml when PyYAML has it (the phrase lists of seven languages are long):
    # the node tree gives the line numbers, the same tree the data.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise ConfigError(f"{path}: expected a top-level '{key}:' list")
    node = next(value for name, value in root.value if name.value == key)
    located = [(item, f"{path}:{item_node.start_mark.line + 1}: {key} #{index}")
               for index, (item, item_node) in enumerate(zip(data[key], node.value), start=1)]
    return data, located


def check_keys(item: Any, where: str, *, required: set[str], optional: set[str]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected a mapping with keys {', '.join(sorted(required))}")
    unknown = set(item) - required - optional
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
                          f"allowed: {', '.join(sorted(required | optional))}")
    missing = required - set(item)
    if missing:
        raise ConfigError(f"{where}: missing required key(s) {', '.join(sorted(missing))}")
    return item


def string_list(item: dict[str, Any], key: str, where: str, *, required: bool = False) -> list[str]:
    value = item.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of non-empty strings")
    if required and not value:
        raise ConfigError(f"{where}: '{key}' must not be empty")
    return [v.strip() for v in value]


def check_unique_ids(located: list[tuple[Any, str]], key: str = "id") -> None:
    seen: dict[str, str] = {}
    for item, where in located:
        ident = item.get(key) if isinstance(item, dict) else None
        if ident in seen:
            raise ConfigError(f"{where}: duplicate {key} {ident!r} (first at {seen[ident]})")
        if ident is not None:
            seen[ident] = where
