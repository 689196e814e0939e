"""PostgreSQL connections for the warehouse (psycopg2)."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import psycopg2.extensions
import psycopg2.extras
from psycopg2 import sql

LOGGER = logging.getLogger(__name__)

Connection = psycopg2.extensions.connection


@contextmanager
def connect(database_url: str, *, autocommit: bool = False) -> Iterator[Connection]:
    """Open a connection; commit on success, roll back on error, always close."""
    conn = psycopg2.connect(database_url, application_name="wirewatch")
    conn.autocommit = autocommit
    try:
        yield conn
        if not autocommit:
            conn.commit()
    except BaseException:
        if not conn.closed and not autocommit:
            conn.rollback()
        raise
    finally:
        conn.close()


# Names of the statements prepared on each open connection.
_PREPARED: weakref.WeakKeyDictionary[Connection, set[str]] = weakref.WeakKeyDictionary()


def prepared(conn: Connection, signature: str, statement: str) -> str:
    """PREPARE `statement` (with $1… parameters) on this connection the first time it is asked for;
    -> the name to EXECUTE. For hot queries whose planning costs more than running them.
    `signature` is "name(type, …)". (Prepared statements outlive rolled-back transactions.)"""
    name = signature.split("(", 1)[0]
    known = _PREPARED.setdefault(conn, set())
    if name not in known:
        with conn.cursor() as cur:
            cur.execute(f"PREPARE {signature} AS {statement}")
        known.add(name)
    return name


def dict_cursor(conn: Connection) -> psycopg2.extras.RealDictCursor:
    return conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor)


def ensure_database(database_url: str) -> bool:
    """Create the URL's database if it does not exist yet; returns True if it was created."""
    params = psycopg2.extensions.parse_dsn(database_url)
    dbname = params.get("dbname")
    if not dbname:
        raise ValueError(f"the warehouse URL names no database: {database_url!r}")
    try:
        psycopg2.connect(database_url, connect_timeout=10).close()
        return False
    except psycopg2.OperationalError as exc:
        if f'"{dbname}" does not exist' not in str(exc):
            raise
    with connect(psycopg2.extensions.make_dsn(database_url, dbname="postgres"), autocommit=True) as admin:
        with admin.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,))
            if cur.fetchone():
                return False
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    LOGGER.info("created database %s", dbname)
    return True
