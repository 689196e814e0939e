"""Feed lists: the user's feeds as a YAML file, validated on load with errors that say where.

`load_feed_list(path)` reads and checks a file into `FeedSpec`s; `dump_feed_list` writes one back;
`check_feed_list(path)` also checks outlets, languages and addresses offline (`wirewatch feeds check`).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

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


@dataclass(frozen=True)
class FeedListCheck:
    """What `check_feed_list` found: the feeds, and the problems (each with where it is)."""

    feeds: list[FeedSpec]
    problems: list[str]

    def by_language(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for spec in self.feeds:
            counts[spec.language or "?"] = counts.get(spec.language or "?", 0) + 1
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")
# Hosts no real feed is on: documentation and reserved names (RFC 2606, 6761).
RESERVED_HOSTS = re.compile(r"(?:^|\.)(?:example\.(?:com|org|net)|example|test|invalid|localhost|local)$")


def check_feed_list(path: Path) -> FeedListCheck:
    """`check_feeds` of a YAML feed list; raises ConfigError when the file cannot be loaded."""
    return check_feeds(load_feed_list(path), path)


def check_feeds(specs: list[FeedSpec], path: Path | str) -> FeedListCheck:
    """Validate a feed list offline, beyond what loading it checks (keys, types, duplicate and
    malformed URLs): every feed names its outlet and an ISO 639-1 language, its address is a public
    http(s) host (no IP address, credentials or reserved name), and no two feeds are the same
    address once normalised or share a name."""
    problems: list[str] = []
    canonical: dict[str, str] = {}
    names: dict[str, str] = {}
    for index, spec in enumerate(specs):
        where = f"{path}: feeds[{index}] ({spec.name})"
        if not spec.outlet:
            problems.append(f"{where}: no 'outlet' (stories count distinct outlets)")
        if not spec.language:
            problems.append(f"{where}: no 'language'")
        elif not LANGUAGE_CODE.match(spec.language):
            problems.append(f"{where}: 'language' must be an ISO 639-1 code such as en, got {spec.language!r}")
        parts = urlsplit(spec.url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https"):
            problems.append(f"{where}: address must be http(s), got {parts.scheme!r}")
        if parts.username or parts.password:
            problems.append(f"{where}: address carries credentials")
        if _is_ip(host):
            problems.append(f"{where}: address is an IP address ({host}), not a host name")
        elif RESERVED_HOSTS.search(host) or "." not in host:
            problems.append(f"{where}: {host!r} is not a public host name")
        key = canonical_url(spec.url)
        if key in canonical:
            problems.append(f"{where}: the same address as {canonical[key]} ({key})")
        canonical.setdefault(key, where)
        if spec.name.casefold() in names:
            problems.append(f"{where}: the same name as {names[spec.name.casefold()]}")
        names.setdefault(spec.name.casefold(), where)
    return FeedListCheck(feeds=specs, problems=problems)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
