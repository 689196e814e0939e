"""What every part of the warehouse package shares."""

from __future__ import annotations

from typing import Any

Row = dict[str, Any]

# An article's "seen at": the same expression as the reporting views use.
SEEN_AT = "coalesce(published_at, feed_published_at, first_seen_at)"
