"""What the monitoring page shows, and the actions it can take: queries over the warehouse, as rows.

Times are the articles' "seen at" (published, else the feed's date, else when wirewatch found
them), as in the reporting views. The page's windows end now; when nothing was seen in the last
two days (a paused deployment, the 2024 demo corpus), they end at the newest data instead, and
`Window.live` says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from wirewatch import warehouse
from wirewatch.db import Connection, dict_cursor

Row = dict
SEEN_AT = "coalesce(a.published_at, a.feed_published_at, a.first_seen_at)"
FEED_STATUSES = ("ok", "failing", "disabled", "never polled")
ACTIONS = ("enable-feed", "disable-feed", "poll-feed", "re-extract-site", "retag")
# A topic or actor spikes when its last-24 h stories reach this multiple of its trailing daily mean
# (a mean under one story a day counts as one) and at least this many stories.
SPIKE_RATIO = 2.0
SPIKE_MIN_STORIES = 3


@dataclass(frozen=True)
class Window:
    end: datetime  # every window of the page ends here
    newest: datetime | None  # the newest article's time, if any
    live: bool  # True: the windows end now; False: at the newest data, nothing being recent


@dataclass
class Page:
    rows: list[Row]
    page: int
    per_page: int
    total: int
    filters: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def as_json(self) -> dict:
        return {"rows": self.rows, "page": self.page, "per_page": self.per_page, "total": self.total,
                "pages": self.pages, **({"filters": self.filters} if self.filters else {})}


def window(conn: Connection, *, live_within: timedelta = timedelta(hours=48),
           now: datetime | None = None) -> Window:
    now = now or datetime.now(timezone.utc)
    with conn.cursor() as cur:
        cur.execute(f"SELECT max({SEEN_AT}) FROM articles a WHERE a.status = 'extracted' AND {SEEN_AT} <= %s",
                    (now + timedelta(hours=1),))  # a clock-skewed future date does not hold the window
        newest = cur.fetchone()[0]
    if newest is None or newest >= now - live_within:
        return Window(end=now, newest=newest, live=True)
    return Window(end=newest, newest=newest, live=False)


def _paged(conn: Connection, query: str, params: dict, page: int, per_page: int) -> Page:
    """Run `query` (no ORDER-independent LIMIT of its own) for one page, with the total count."""
    page, per_page = max(1, page), max(1, min(per_page, 200))
    with dict_cursor(conn) as cur:
        cur.execute(f"SELECT count(*) AS n FROM ({query}) q", params)
        total = cur.fetchone()["n"]
        cur.execute(f"{query} LIMIT %(limit)s OFFSET %(offset)s",
                    {**params, "limit": per_page, "offset": (page - 1) * per_page})
        return Page(rows=cur.fetchall(), page=page, per_page=per_page, total=total)


def feed_health(conn: Connection, *, status: str | None = None, tag: str | None = None,
                page: int = 1, per_page: int = 25) -> Page:
    """Feeds with their health (report_feed_health), failing first; by status and tag."""
    query = """SELECT h.feed_id, h.feed, h.outlet, h.url, h.status, f.tags, f.enabled, f.disabled_reason,
                      h.error_streak, h.last_http_status, h.last_error, h.last_polled_at, h.last_success_at,
                      h.next_poll_at, h.articles_listed
               FROM report_feed_health h JOIN feeds f ON f.id = h.feed_id
               WHERE (%(status)s::text IS NULL OR h.status = %(status)s)
                 AND (%(tag)s::text IS NULL OR %(tag)s = ANY (f.tags))
               ORDER BY h.status = 'ok', h.status = 'disabled', h.error_streak DESC, h.feed, h.feed_id"""
    result = _paged(conn, query, {"status": status or None, "tag": tag or None}, page, per_page)
    result.filters = {"status": status or None, "tag": tag or None}
    return result


def feed_tags(conn: Connection) -> list[str]:
    with conn.cursor() as cur:
        cur.execute("SELECT DISTINCT unnest(tags) AS tag FROM feeds ORDER BY 1")
        return [row[0] for row in cur.fetchall()]


def feed_counts(conn: Connection) -> dict[str, int]:
    with conn.cursor() as cur:
        cur.execute("SELECT status, count(*) FROM report_feed_health GROUP BY status")
        found = dict(cur.fetchall())
    return {status: found.get(status, 0) for status in FEED_STATUSES}


def hourly_volume(conn: Connection, end: datetime, *, hours: int = 48) -> list[Row]:
    """Per hour of the `hours` before `end`: articles seen and new stories (zero hours included)."""
    with dict_cursor(conn) as cur:
        cur.execute(
            f"""WITH hours AS (
                    SELECT generate_series(date_trunc('hour', %(end)s::timestamptz) - (%(hours)s - 1) * interval '1 hour',
                                           date_trunc('hour', %(end)s::timestamptz), interval '1 hour') AS hour),
                arts AS (
                    SELECT date_trunc('hour', {SEEN_AT}) AS hour, count(*) AS n FROM articles a
                    WHERE a.status = 'extracted' AND {SEEN_AT} > %(end)s::timestamptz - %(hours)s * interval '1 hour'
                      AND {SEEN_AT} <= %(end)s GROUP BY 1),
                new_stories AS (
                    SELECT date_trunc('hour', s.first_seen_at) AS hour, count(*) AS n FROM stories s
                    WHERE s.articles > 0 AND s.first_seen_at > %(end)s::timestamptz - %(hours)s * interval '1 hour'
                      AND s.first_seen_at <= %(end)s GROUP BY 1)
                SELECT h.hour, coalesce(arts.n, 0) AS articles, coalesce(new_stories.n, 0) AS stories
                FROM hours h LEFT JOIN arts USING (hour) LEFT JOIN new_stories USING (hour) ORDER BY h.hour""",
            {"end": end, "hours": hours})
        return cur.fetchall()


def topic_daily(conn: Connection, end: datetime, *, days: int = 14, top: int = 6) -> dict:
    """New stories per topic per UTC day, the `days` up to `end`'s: the `top` topics of the window,
    the rest summed as "other". -> {"days": [...], "series": {topic label: [count per day]}}."""
    with dict_cursor(conn) as cur:
        cur.execute(
            """SELECT (s.first_seen_at AT TIME ZONE 'UTC')::date AS day, t.label AS topic,
                      count(DISTINCT s.id) AS stories
               FROM stories s
               JOIN articles a ON a.story_id = s.id AND a.status = 'extracted'
               JOIN article_topics at ON at.article_id = a.id
               JOIN topics t ON t.id = at.topic_id
               WHERE s.first_seen_at > (%(end)s::timestamptz AT TIME ZONE 'UTC')::date - %(days)s + 1
                 AND s.first_seen_at <= %(end)s
               GROUP BY 1, 2""",
            {"end": end, "days": days})
        rows = cur.fetchall()
    last = end.astimezone(timezone.utc).date()
    day_list = [last - timedelta(days=days - 1 - i) for i in range(days)]
    totals: dict[str, int] = {}
    for row in rows:
        totals[row["topic"]] = totals.get(row["topic"], 0) + row["stories"]
    shown = sorted(totals, key=lambda topic: (-totals[topic], topic))[:top]
    series = {topic: [0] * days for topic in shown}
    if len(totals) > top:
        series["other"] = [0] * days
    index = {day: i for i, day in enumerate(day_list)}
    for row in rows:
        if row["day"] in index:
            series[row["topic"] if row["topic"] in shown else "other"][index[row["day"]]] += row["stories"]
    return {"days": [day.isoformat() for day in day_list], "series": series}


def trending(conn: Connection, end: datetime, *, kind: str, trailing_days: int = 14, limit: int = 10) -> list[Row]:
    """Topics (`kind` "topic") or actors ("actor") by stories first seen in the 24 h before `end`,
    beside their mean per day over the `trailing_days` before that, and whether that is a spike
    (the warehouse's `wirewatch_spikes`, which report_spikes and the digest use too)."""
    with dict_cursor(conn) as cur:
        cur.execute("""SELECT id, name, last_24h, daily_mean, ratio, is_spike AS spike
                       FROM wirewatch_spikes(%(end)s, %(days)s, %(ratio)s, %(min)s) WHERE kind = %(kind)s
                       ORDER BY last_24h DESC, name LIMIT %(limit)s""",
                    {"end": end, "days": trailing_days, "ratio": SPIKE_RATIO, "min": SPIKE_MIN_STORIES,
                     "kind": kind, "limit": limit})
        return cur.fetchall()


def latest_stories(conn: Connection, *, page: int = 1, per_page: int = 20, articles_shown: int = 8) -> Page:
    """Stories by their latest copy, newest first, each with its outlets' articles (links)."""
    result = _paged(conn, """SELECT story_id, title, representative_url, first_seen_at, last_seen_at, outlets, articles
                             FROM report_stories ORDER BY last_seen_at DESC NULLS LAST, story_id DESC""",
                    {}, page, per_page)
    ids = [row["story_id"] for row in result.rows]
    if ids:
        with dict_cursor(conn) as cur:
            cur.execute(
                f"""SELECT story_id, article_id, outlet, url, title FROM (
                        SELECT a.story_id, a.id AS article_id, a.outlet, a.url, a.title,
                               row_number() OVER (PARTITION BY a.story_id ORDER BY {SEEN_AT}, a.id) AS rank
                        FROM articles a WHERE a.story_id = ANY (%s) AND a.status = 'extracted') m
                    WHERE rank <= %s ORDER BY story_id, rank""", (ids, articles_shown))
            members: dict[int, list[Row]] = {}
            for row in cur.fetchall():
                members.setdefault(row.pop("story_id"), []).append(row)
            cur.execute("""SELECT a.story_id, array_agg(DISTINCT t.label ORDER BY t.label) AS topics
                           FROM articles a JOIN article_topics at ON at.article_id = a.id
                           JOIN topics t ON t.id = at.topic_id
                           WHERE a.story_id = ANY (%s) GROUP BY a.story_id""", (ids,))
            topics = {row["story_id"]: row["topics"] for row in cur.fetchall()}
        for row in result.rows:
            row["copies"] = members.get(row["story_id"], [])
            row["topics"] = topics.get(row["story_id"], [])
    return result


def recent_runs(conn: Connection, *, page: int = 1, per_page: int = 10) -> Page:
    """Pipeline runs, newest first, with the headline counts of each stage."""
    return _paged(conn, """
        SELECT run_id, min(recorded_at) AS started_at, max(recorded_at) AS finished_at,
               sum((counts->>'feeds_polled')::int) FILTER (WHERE stage = 'poll') AS feeds_polled,
               sum((counts->>'feeds_failed')::int) FILTER (WHERE stage = 'poll') AS feeds_failed,
               sum((counts->>'articles_new')::int) FILTER (WHERE stage = 'poll') AS articles_new,
               sum((counts->>'extracted')::int) FILTER (WHERE stage = 'extract') AS extracted,
               sum((counts->>'rejected')::int) FILTER (WHERE stage IN ('fetch', 'extract')) AS rejected,
               sum((counts->>'failed')::int) FILTER (WHERE stage IN ('fetch', 'extract')) AS failed,
               sum((counts->>'new_stories')::int) FILTER (WHERE stage = 'dedup') AS new_stories,
               sum((counts->>'articles_tagged')::int) FILTER (WHERE stage = 'tag') AS tagged
        FROM run_stats GROUP BY run_id ORDER BY max(recorded_at) DESC, run_id""", {}, page, per_page)


TABLES = {
    # name: (query, order) of the plain tables of the page and of /api/<name>
    "quality": ("SELECT site, articles, clean, paywall_teaser, mojibake, consent_text, short, wire_copies, avg_words "
                "FROM report_extraction_quality", "articles DESC, site"),
    "rejections": ("SELECT site, status, reason_kind, articles, latest, example_url FROM report_rejections_by_site",
                   "articles DESC, site, reason_kind"),
    "outcomes": ("SELECT status, reason, articles, latest FROM report_article_outcomes", "status, articles DESC, reason"),
    "boilerplate": ("SELECT site, sample, articles, share, last_seen FROM site_boilerplate", "site, articles DESC"),
    "actions": ("SELECT at, username, action, target, result FROM monitor_actions", "at DESC, id DESC"),
}


def table(conn: Connection, name: str, *, page: int = 1, per_page: int = 25) -> Page:
    query, order = TABLES[name]
    return _paged(conn, f"{query} ORDER BY {order}", {}, page, per_page)


class UnknownTarget(LookupError):
    """The action's feed or site does not exist."""


def act(conn: Connection, *, username: str, action: str, target: str | None = None) -> dict:
    """Take one of the page's `ACTIONS` and record it (who, what, on what, what changed) in the same
    transaction. The effects are the CLI's: a disabled feed is no longer polled; a feed made due,
    a site's stored pages sent back to extraction and articles marked for re-tagging are all
    processed by the next news_ingest run."""
    if action in ("enable-feed", "disable-feed", "poll-feed"):
        feed_id = int(target or "")
        if action == "poll-feed":
            with dict_cursor(conn) as cur:
                cur.execute("UPDATE feeds SET next_poll_at = now(), updated_at = now() WHERE id = %s AND enabled "
                            "RETURNING id, name, url, enabled", (feed_id,))
                row = cur.fetchone()
        else:
            row = warehouse.set_feed_enabled(conn, feed_id, action == "enable-feed")
        if row is None:
            raise UnknownTarget(f"no {'enabled ' if action == 'poll-feed' else ''}feed with id {feed_id}")
        result = {"feed_id": row["id"], "feed": row["name"], "enabled": row["enabled"]}
    elif action == "re-extract-site":
        if not target:
            raise UnknownTarget("no site given")
        result = {"site": target, "articles_marked": warehouse.mark_for_reprocess(conn, site=target)}
    elif action == "retag":
        result = {"articles_marked": warehouse.mark_for_retag(conn)}
    else:
        raise ValueError(f"unknown action {action!r} (one of {', '.join(ACTIONS)})")
    with conn.cursor() as cur:
        cur.execute("INSERT INTO monitor_actions (username, action, target, result) VALUES (%s, %s, %s, %s)",
                    (username, action, target, json.dumps(result)))
    return result


# --- conflict events (report_conflict_events) -----------------------------------------------------

# ACLED's event types in its own order: the charts give each the same colour everywhere.
ACLED_EVENT_TYPES = ("Battles", "Explosions/Remote violence", "Violence against civilians", "Protests", "Riots",
                     "Strategic developments")
EVENT_COLUMNS = """event_id, event_date, date_precision, date_from, date_to, event_type, sub_event_type, location,
                   admin1, country, country_name, latitude, longitude, geo_precision, fatalities, fatalities_low,
                   fatalities_high, fatalities_qualifier, outlets, articles, first_seen_at, last_seen_at, notes"""


def latest_events(conn: Connection, *, page: int = 1, per_page: int = 20) -> Page:
    """Events by their date, newest first (the latest reported first within a day)."""
    query = f"""SELECT {EVENT_COLUMNS} FROM report_conflict_events
                ORDER BY event_date DESC, last_seen_at DESC NULLS LAST, event_id DESC"""
    return _paged(conn, query, {}, page, per_page)


def _last_day(end: datetime) -> date:
    return end.astimezone(timezone.utc).date()


def event_daily(conn: Connection, end: datetime, *, days: int = 14) -> dict:
    """Events per event date and ACLED event type, the `days` up to `end`'s UTC day; types in ACLED's
    order, only those with events. -> {"days": [...], "series": {event type: [count per day]}}."""
    last = _last_day(end)
    with dict_cursor(conn) as cur:
        cur.execute("""SELECT event_date AS day, event_type, count(*) AS events FROM report_conflict_events
                       WHERE event_date > %(last)s::date - %(days)s AND event_date <= %(last)s GROUP BY 1, 2""",
                    {"last": last, "days": days})
        rows = cur.fetchall()
    day_list = [last - timedelta(days=days - 1 - i) for i in range(days)]
    index = {day: i for i, day in enumerate(day_list)}
    series = {kind: [0] * days for kind in event_type_order({row["event_type"] for row in rows})}
    for row in rows:
        series[row["event_type"]][index[row["day"]]] += row["events"]
    return {"days": [day.isoformat() for day in day_list], "series": series}


def event_type_order(types: set[str]) -> list[str]:
    """ACLED's types in ACLED's order, any other after them by name."""
    known = [kind for kind in ACLED_EVENT_TYPES if kind in types]
    return known + sorted(types - set(known))


def events_mapped(conn: Connection, end: datetime, *, days: int = 7, limit: int = 2000) -> list[Row]:
    """The events dated in the `days` up to `end`'s UTC day, for the map (the deadliest first if more
    than `limit`, so the map stays light)."""
    last = _last_day(end)
    with dict_cursor(conn) as cur:
        cur.execute(f"""SELECT {EVENT_COLUMNS} FROM report_conflict_events
                        WHERE event_date > %(last)s::date - %(days)s AND event_date <= %(last)s
                        ORDER BY fatalities DESC NULLS LAST, outlets DESC, event_id LIMIT %(limit)s""",
                    {"last": last, "days": days, "limit": limit})
        return cur.fetchall()


def fatalities_text(event: Row) -> str:
    """"at least 12", "dozens (24)", "12 (reports: 10–15)"; "" when no report gave a figure."""
    count, qualifier = event.get("fatalities"), event.get("fatalities_qualifier")
    if count is None:
        return ""
    if qualifier in ("dozens", "hundreds", "thousands", "several"):
        text = f"{qualifier} ({count})"
    elif qualifier and qualifier != "exact":
        text = f"{qualifier} {count}"
    else:
        text = str(count)
    low, high = event.get("fatalities_low"), event.get("fatalities_high")
    if low is not None and high is not None and low != high:
        text += f" (reports: {low}–{high})"
    return text


def place_text(event: Row) -> str:
    """"Kharkiv (Kharkiv Oblast, Ukraine)"; a region or country is not repeated after itself."""
    country = event.get("country_name") or event.get("country")
    within = [part for part in (event.get("admin1"), country) if part and part != event["location"]]
    return f"{event['location']} ({', '.join(within)})" if within else event["location"]


def event_kind_text(event: Row) -> str:
    return " / ".join(part for part in (event["event_type"], event.get("sub_event_type")) if part)
