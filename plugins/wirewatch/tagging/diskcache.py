"""Tables built from bundled data, kept on disk between processes.

The tag step's place gazetteer is built from GeoNames, CLDR and countryinfo data in about 4 s of
CPU; every process that tags (each task, each pool worker) would build it again. `disk_cached`
keeps a built table as a pickle in WIREWATCH_CACHE_DIR (default ~/.cache/wirewatch, or
$XDG_CACHE_HOME/wirewatch), named by a key of the code that builds it and the versions of the
packages it reads, so a change to either builds it anew. Loading takes about a tenth of the time.
`file_cached` does the same for a table compiled from files the user edits (the topic taxonomy),
named by those files' names and bytes as well.
The directory is the user's own, like any cache; a cache that cannot be read or written is only
slower, never an error.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import TypeVar

LOGGER = logging.getLogger(__name__)

T = TypeVar("T")


def cache_dir() -> Path:
    configured = os.environ.get("WIREWATCH_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "wirewatch"


def disk_cached(*, sources: list[str], packages: list[str]) -> Callable[[Callable[[], T]], Callable[[], T]]:
    """Cache a zero-argument table builder in memory (once per process) and on disk. `sources`: the
    files of the code that builds it; `packages`: the distributions whose data it reads."""

    key = functools.cache(lambda: _key(sources, packages))  # one reading of the sources for all its tables

    def decorate(build: Callable[[], T]) -> Callable[[], T]:
        @functools.lru_cache(maxsize=1)
        def cached() -> T:
            return _cached_build(f"{build.__module__}.{build.__name__}", key(), build)

        cached.build = build  # the builder itself, uncached (tests compare the two)
        return functools.wraps(build)(cached)

    return decorate


def file_cached(name: str, build: Callable[[], T], *, inputs: Sequence[Path], sources: list[str],
                packages: list[str]) -> T:
    """`build()`, or the table it built before from the same `inputs` (files, by name and bytes) with
    the same code and packages. One file per `name`: a table built from other inputs replaces it.
    Only a table that was built is stored, so an error in the inputs is raised every time."""
    digest = hashlib.sha256(_key(sources, packages).encode())
    for path in inputs:
        digest.update(f"\0{path.name}\0".encode())
        digest.update(path.read_bytes())
    return _cached_build(name, digest.hexdigest()[:16], build)


def _cached_build(stem: str, key: str, build: Callable[[], T]) -> T:
    path = cache_dir() / f"{stem}-{key}.pickle"
    table = _load(path)
    if table is None:
        table = build()
        _store(path, table)
    return table


def _key(sources: list[str], packages: list[str]) -> str:
    digest = hashlib.sha256()
    for source in sources:
        digest.update(Path(source).read_bytes())
    for package in packages:
        digest.update(f"{package}=={metadata.version(package)}".encode())
    return digest.hexdigest()[:16]


def _load(path: Path):
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    gc.disable()  # unpickling 100,000 small objects: the collector's passes would double the time
    try:
        return pickle.loads(blob)
    except Exception as exc:  # a truncated or foreign file: build anew
        LOGGER.warning("ignoring unreadable cache file %s: %s", path, exc)
        return None
    finally:
        gc.enable()


def _store(path: Path, table) -> None:
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, suffix=".tmp", delete=False) as out:
            temporary = Path(out.name)
            pickle.dump(table, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)  # atomic: a process reading meanwhile sees the old file or the new
        stem = path.name.rsplit("-", 1)[0]
        for stale in path.parent.glob(f"{stem}-*.pickle"):  # built by older code or data
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError as exc:
        LOGGER.info("not caching %s (%s): it is built again in each process", path.name, exc)
        if temporary is not None:
            temporary.unlink(missing_ok=True)
