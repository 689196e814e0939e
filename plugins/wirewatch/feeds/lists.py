"""Feed lists: the user's feeds as a YAML file, validated on load with errors that say where.

`load_feed_list(path)` reads and checks a file into `FeedSpec`s; `dump_feed_list` writes one back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from wirewatch.config import ConfigError, check_keys, load_entries, string_list
from wirewatch.urls import InvalidURL, canonical_url


@dataclass(frozen=True, kw_only=True)
class FeedSpec:
    url: str
    name: str
    outlet: str | None = None
    language: str | None = None
    tags: tuple[str, ...] = ()
    enabled: bool = True
    # Bounds for this feed's adaptive poll interval (None: the global settings).
    min_interval_minutes: int | None = None
    max_interval_minutes: int | None = None


def load_feed_list(path: Path, *, substitutions: dict[str, str] | None = None) -> list[FeedSpec]:
    """Read and validate a YAML feed list: `feeds: [{url, name, outlet, language, tags, enabled}]`."""
    _data, located = load_entries(path, "feeds", substitutions=substitutions)
    specs: list[FeedSpec] = []
    seen: dict[str, str] = {}
    for item, where in located:
        spec = feed_spec(item, where)
        if spec.url in seen:
            raise ConfigError(f"{where}: duplicate url {spec.url} (first at {seen[spec.url]})")
        seen[spec.url] = where
        specs.append(spec)
    return specs


def feed_spec(item: object, where: str) -> FeedSpec:
    """Validate one feed-list entry (a mapping); `where` names it in errors."""
    check_keys(item, where, required={"url", "name"},
               optional={"outlet", "language", "tags", "enabled", "min_interval_minutes", "max_interval_minutes"})
    for key in ("url", "name"):
        if not isinstance(item[key], str) or not item[key].strip():
            raise ConfigError(f"{where}: '{key}' must be a non-empty string")
    try:
        canonical_url(item["url"])
    except InvalidURL as exc:
        raise ConfigError(f"{where}: {exc}") from None
    enabled = item.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}: 'enabled' must be true or false")
    for key in ("outlet", "language"):
        if item.get(key) is not None and not isinstance(item[key], str):
            raise ConfigError(f"{where}: '{key}' must be a string")
    bounds = {}
    for key in ("min_interval_minutes", "max_interval_minutes"):
        value = item.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ConfigError(f"{where}: '{key}' must be a whole number of minutes, at least 1")
        bounds[key] = value
    if None not in bounds.values() and bounds["min_interval_minutes"] > bounds["max_interval_minutes"]:
        raise ConfigError(f"{where}: min_interval_minutes is larger than max_interval_minutes")
    return FeedSpec(url=item["url"].strip(), name=item["name"].strip(), outlet=item.get("outlet"),
                    language=item.get("language"), tags=tuple(string_list(item, "tags", where)),
                    enabled=enabled, **bounds)


def dump_feed_list(feeds: list[dict]) -> str:
    """A YAML feed list (the format `load_feed_list` reads) for warehouse feed rows."""
    items = []
    for feed in feeds:
        item = {"url": feed["url"], "name": feed["name"]}
        for key in ("outlet", "language"):
            if feed.get(key):
                item[key] = feed[key]
        if feed.get("tags"):
            item["tags"] = list(feed["tags"])
        if not feed.get("enabled", True):
            item["enabled"] = False
        for key in ("min_interval_minutes", "max_interval_minutes"):
            if feed.get(key):
                item[key] = int(feed[key])
        items.append(item)
    return yaml.safe_dump({"feeds": items}, sort_keys=False, allow_unicode=True, width=120)
