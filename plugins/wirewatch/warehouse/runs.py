"""Runs and reports: each stage's counts per run, read back by the run summary.
"""

from __future__ import annotations

import json

from wirewatch.db import Connection, dict_cursor
from wirewatch.warehouse.base import Row


def record_run_stats(conn: Connection, run_id: str, stage: str, shard: int, counts: dict) -> None:
    """Store a stage's counts; a retried task overwrites its own earlier row."""
    with conn.cursor() as cur:
        cur.execute(
            """INSERT INTO run_stats (run_id, stage, shard, counts) VALUES (%s, %s, %s, %s)
               ON CONFLICT (run_id, stage, shard) DO UPDATE SET counts = EXCLUDED.counts, recorded_at = now()""",
            (run_id, stage, shard, json.dumps(counts)),
        )


def run_stats(conn: Connection, run_id: str) -> list[Row]:
    with dict_cursor(conn) as cur:
        cur.execute("SELECT stage, shard, counts FROM run_stats WHERE run_id = %s ORDER BY stage, shard",
                    (run_id,))
        return cur.fetchall()


def latest_run_id(conn: Connection) -> str | None:
    with conn.cursor() as cur:
        cur.execute("SELECT run_id FROM run_stats ORDER BY recorded_at DESC LIMIT 1")
        row = cur.fetchone()
        return row[0] if row else None
