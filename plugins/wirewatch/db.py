"""PostgreSQL connections for the warehouse (psycopg2)."""

from __future__ import annotations

import logging
import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import psycopg2
import psycopg2.extensions
import psycopg2.extras
from psycopg2 import sql

LOGGER = logging.getLogger(__name__)

Connection = psycopg2.extensions.connection

REDACTED = "***"
# postgresql://user:PASSWORD@host…  (the password runs to the last @ of the token)
_URI_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#@\s]*:)(?P<secret>[^\s]*)@")
# …?password=PASSWORD&…  in a URI's query
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&]password=)(?P<secret>[^&#\s]*)", re.IGNORECASE)
# password=PASSWORD or password = 'PASS WORD' in a key=value DSN
_KEYVALUE_PASSWORD = re.compile(r"(?P<head>(?<![\w?&])password\s*=\s*)(?P<secret>'(?:[^'\\]|\\.)*'?|[^\s']\S*)",
                                re.IGNORECASE)


class WarehouseConnectError(psycopg2.OperationalError):
    """Connecting to the warehouse failed (unreachable, refused, invalid URL); the message holds no password."""


def redact_url(text: str, url: str | None = None) -> str:
    """`text` (a database URL, a key=value DSN, or a message quoting either) with every password
    replaced by ***. With `url`, literal occurrences of that URL's password are replaced too, for
    driver errors that quote fragments of a malformed DSN. The one redaction for logs and errors."""
    text = _URI_PASSWORD.sub(lambda m: m["head"] + REDACTED + "@", text)
    text = _QUERY_PASSWORD.sub(lambda m: m["head"] + REDACTED, text)
    text = _KEYVALUE_PASSWORD.sub(lambda m: m["head"] + REDACTED, text)
    for secret in sorted(_passwords_of(url), key=len, reverse=True) if url else ():
        text = text.replace(secret, REDACTED)
    return text


def _passwords_of(url: str) -> set[str]:
    """The password of a URL or DSN in the spellings it can take in a message (empty if none)."""
    found = {m["secret"] for pattern in (_URI_PASSWORD, _QUERY_PASSWORD, _KEYVALUE_PASSWORD)
             for m in pattern.finditer(url)}
    try:
        found.add(psycopg2.extensions.parse_dsn(url).get("password") or "")
    except psycopg2.Error:
        pass  # malformed: the spellings found above are all there is
    found |= {quote(secret, safe="") for secret in found} | {secret.strip("'") for secret in found}
    return {secret for secret in found if secret and secret != REDACTED}


def open_connection(database_url: str, **kwargs) -> Connection:
    """psycopg2.connect, whose errors never carry the password (libpq quotes malformed DSNs)."""
    try:
        return psycopg2.connect(database_url, **kwargs)
    except psycopg2.Error as exc:
        message = redact_url(str(exc).strip(), database_url)
    # Raised outside the except block: no chained original (with the password) in tracebacks.
    raise WarehouseConnectError(message)


def _parse_dsn(database_url: str) -> dict[str, str]:
    try:
        return psycopg2.extensions.parse_dsn(database_url)
    except psycopg2.Error as exc:
        message = redact_url(str(exc).strip(), database_url)
    raise WarehouseConnectError(message)


@contextmanager
def connect(database_url: str, *, autocommit: bool = False) -> Iterator[Connection]:
    """Open a connection; commit on success, roll back on error, always close."""
    conn = open_connection(database_url, application_name="wirewatch")
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
    dbname = _parse_dsn(database_url).get("dbname")
    if not dbname:
        raise ValueError(f"the warehouse URL names no database: {redact_url(database_url)!r}")
    try:
        open_connection(database_url, connect_timeout=10).close()
        return False
    except WarehouseConnectError as exc:
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
