"""Exports of the warehouse in other tools' formats: the conflict events as an ACLED-style CSV.

The CSV is the view `report_acled_events` as it stands (its columns, in its order, under its
names), so an analyst can put wirewatch's events beside ACLED's own and the view is the one
place that decides what a column holds.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timezone
from typing import Any, TextIO

from wirewatch.db import Connection

ACLED_QUERY = """SELECT * FROM report_acled_events
                 WHERE (%(since)s::date IS NULL OR event_date >= %(since)s)
                   AND (%(until)s::date IS NULL OR event_date <= %(until)s)
                 ORDER BY event_date, wirewatch_event_id"""


def write_acled_csv(conn: Connection, out: TextIO, *, since: date | None, until: date | None) -> int:
    """Write the events dated `since` to `until` (both inclusive, either open) to `out` as CSV with
    a header row, ordered by date then event id. -> the number of events written."""
    with conn.cursor() as cur:
        cur.execute(ACLED_QUERY, {"since": since, "until": until})
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([column.name for column in cur.description])
        count = 0
        for row in cur:
            writer.writerow([_cell(value) for value in row])
            count += 1
    return count


def _cell(value: Any) -> Any:
    """ISO dates; times in UTC whatever the session's time zone, so exports compare across hosts."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value
