"""OPML feed lists, the format every feed reader imports and exports.

`read_opml` validates the whole file before anything is written, naming the line of each problem;
`write_opml` exports the warehouse's feeds. Folders (outlines without `xmlUrl`) become tags of the
feeds inside them. lxml is used directly rather than listparser because errors must name lines.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

from lxml import etree

from wirewatch.config import ConfigError
from wirewatch.feeds.lists import FeedSpec, feed_spec

BOOLEAN = {"true": True, "false": False}


def read_opml(path: Path) -> list[FeedSpec]:
    """Every feed outline of an OPML 1.0/2.0 file as a FeedSpec; ConfigError names the line."""
    try:
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise ConfigError(f"{path}: not well-formed OPML: {exc}") from None
    root = tree.getroot()
    if root.tag != "opml" or root.find("body") is None:
        raise ConfigError(f"{path}, line {root.sourceline}: not an OPML document (expected <opml><body>)")
    specs: list[FeedSpec] = []
    seen: dict[str, str] = {}
    for outline in root.find("body").iter("outline"):
        url = (outline.get("xmlUrl") or "").strip()
        if not url:
            continue  # a folder
        where = f"{path}, line {outline.sourceline}"
        folders = [parent.get("text") or parent.get("title") for parent in outline.iterancestors("outline")]
        tags = [t.strip() for t in (outline.get("category") or "").replace("/", ",").split(",") if t.strip()]
        item = {
            "url": url,
            "name": (outline.get("title") or outline.get("text") or "").strip() or url,
            "tags": sorted(set(tags + [f for f in folders if f])),
        }
        for key in ("outlet", "language"):
            if outline.get(key):
                item[key] = outline.get(key)
        if outline.get("enabled") is not None:
            enabled = BOOLEAN.get(outline.get("enabled").lower())
            if enabled is None:
                raise ConfigError(f"{where}: enabled must be true or false, not {outline.get('enabled')!r}")
            item["enabled"] = enabled
        for key in ("min_interval_minutes", "max_interval_minutes"):
            if outline.get(key) is not None:
                if not outline.get(key).isdigit():
                    raise ConfigError(f"{where}: {key} must be a whole number of minutes")
                item[key] = int(outline.get(key))
        spec = feed_spec(item, where)
        if spec.url in seen:
            raise ConfigError(f"{where}: duplicate xmlUrl {spec.url} (first at {seen[spec.url]})")
        seen[spec.url] = where
        specs.append(spec)
    if not specs:
        raise ConfigError(f"{path}: no feed outlines (outline elements with an xmlUrl)")
    return specs


def write_opml(feeds: list[dict], title: str = "wirewatch feeds") -> str:
    """OPML 2.0 for warehouse feed rows (url, name, outlet, language, tags, enabled, interval bounds)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<opml version="2.0">',
             f"  <head><title>{_text(title)}</title></head>", "  <body>"]
    for feed in feeds:
        attrs = {"type": "rss", "text": feed["name"], "title": feed["name"], "xmlUrl": feed["url"]}
        if feed.get("tags"):
            attrs["category"] = ",".join(feed["tags"])
        for key in ("outlet", "language"):
            if feed.get(key):
                attrs[key] = feed[key]
        if not feed.get("enabled", True):
            attrs["enabled"] = "false"
        for key in ("min_interval_minutes", "max_interval_minutes"):
            if feed.get(key):
                attrs[key] = str(feed[key])
        lines.append("    <outline " + " ".join(f"{k}={quoteattr(str(v))}" for k, v in attrs.items()) + "/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
