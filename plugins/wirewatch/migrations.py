"""Numbered SQL migrations in sql/, each applied once in its own transaction and recorded.

Files are named NNNN_description.sql and run in order; `schema_migrations` holds what ran,
with a checksum so an edited, already-applied migration is reported instead of ignored.
Pending = defined - applied. A failing migration rolls back and stays pending.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from wirewatch.db import Connection

LOGGER = logging.getLogger(__name__)

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     text PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


class MigrationError(RuntimeError):
    pass


def discover(sql_dir: Path) -> list[Migration]:
    """The migrations defined in `sql_dir`, in order; other .sql files (queries) are ignored."""
    found: dict[str, Migration] = {}
    for path in sorted(sql_dir.glob("*.sql")):
        match = MIGRATION_NAME.match(path.name)
        if not match:
            continue
        version = match.group(1)
        if version in found:
            raise MigrationError(f"two migrations share version {version}: {found[version].path.name}, {path.name}")
        found[version] = Migration(version=version, name=path.stem, path=path)
    return [found[v] for v in sorted(found)]


def applied(conn: Connection) -> dict[str, str]:
    """version -> checksum of the migrations already applied."""
    with conn.cursor() as cur:
        cur.execute(CREATE_LEDGER)
        cur.execute("SELECT version, checksum FROM schema_migrations")
        rows = dict(cur.fetchall())
    conn.commit()
    return rows


def pending(conn: Connection, sql_dir: Path) -> list[Migration]:
    done = applied(conn)
    for migration in discover(sql_dir):
        if migration.version in done and done[migration.version] != migration.checksum:
            LOGGER.warning("migration %s was edited after it was applied; write a new migration instead",
                           migration.name)
    return [m for m in discover(sql_dir) if m.version not in done]


def migrate(conn: Connection, sql_dir: Path) -> list[str]:
    """Apply every pending migration; returns the names applied (empty when up to date)."""
    names = []
    for migration in pending(conn, sql_dir):
        LOGGER.info("applying migration %s", migration.name)
        try:
            with conn.cursor() as cur:
                # Serialise concurrent migrators (scheduler + CLI) on one advisory lock.
                cur.execute("SELECT pg_advisory_xact_lock(hashtext('wirewatch.migrations'))")
                cur.execute("SELECT 1 FROM schema_migrations WHERE version = %s", (migration.version,))
                if cur.fetchone():
                    conn.rollback()
                    continue
                cur.execute(migration.sql)
                cur.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                    (migration.version, migration.name, migration.checksum),
                )
                # The analysts' role reads every report_* view, including one this migration added.
                cur.execute("SELECT to_regprocedure('wirewatch_grant_reader()') IS NOT NULL")
                if cur.fetchone()[0]:
                    cur.execute("SELECT wirewatch_grant_reader()")
            conn.commit()
        except Exception as exc:
            conn.rollback()
            raise MigrationError(f"migration {migration.name} failed and was rolled back: {exc}") from exc
        names.append(migration.name)
    return names
