"""The Wirewatch monitoring page inside the Airflow UI (mounted by plugins/wirewatch_monitor.py).

One HTML dashboard and the JSON endpoints behind it (README, "Monitoring"): feed health with
filters and actions, volume charts, trending topics and actors, latest stories, conflict events
(per day by ACLED type, on an offline map, the latest), pipeline runs, extraction quality and
rejections by site, and the audit log of actions.

Who may do what is Airflow's decision, not ours: `create_app` takes the three FastAPI
dependencies of an `Access` (who the user is; may they read; may they act), and the plugin passes
Airflow's own (`airflow.api_fastapi.core_api.security`), which accept the UI's session cookie and
Bearer tokens. Actions are POSTs; a cookie-authenticated one must carry the `X-Requested-By`
header, which a cross-site form cannot send, so the session cookie alone cannot be ridden (CSRF).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse

from wirewatch.reporting import dashboard
from wirewatch.reporting.charts import MapPoint, bar_chart, line_chart, point_map
from wirewatch.db import connect
from wirewatch.reporting.report import format_summary, run_summary
from wirewatch.settings import Settings

DAG_ID = "news_ingest"
EVENT_DAYS = 14  # the events chart's days, as the topic chart's
MAP_DAYS = 7  # the map's
CSRF_HEADER = "X-Requested-By"


@dataclass(frozen=True)
class Access:
    """FastAPI dependencies: `user` resolves the caller (anything with `get_name()`); `read` and
    `edit` raise 401/403 unless the caller may read the dashboard / take its actions."""
    user: Callable[..., Any]
    read: Callable[..., Any]
    edit: Callable[..., Any]


def create_app(settings_factory: Callable[[], Settings] = Settings.from_env, *, access: Access) -> FastAPI:
    app = FastAPI(title="wirewatch monitor",
                  description="The wirewatch dashboard and its JSON endpoints (every route needs an Airflow login).")
    read = [Depends(access.read)]

    def database_url() -> str:
        return settings_factory().database_url

    def window(conn) -> dashboard.Window:
        return dashboard.window(conn)

    @app.get("/api/window", dependencies=read)
    def api_window() -> dict:
        with connect(database_url()) as conn:
            w = window(conn)
        return {"end": w.end, "newest": w.newest, "live": w.live}

    @app.get("/api/feeds", dependencies=read)
    def api_feeds(status: str | None = None, tag: str | None = None, page: int = 1, per_page: int = 25) -> dict:
        _check_status(status)
        with connect(database_url()) as conn:
            return dashboard.feed_health(conn, status=status, tag=tag, page=page, per_page=per_page).as_json()

    @app.get("/api/volume", dependencies=read)
    def api_volume(hours: int = 48) -> dict:
        with connect(database_url()) as conn:
            w = window(conn)
            return {"end": w.end, "live": w.live,
                    "hours": dashboard.hourly_volume(conn, w.end, hours=max(1, min(hours, 24 * 14)))}

    @app.get("/api/topic-volume", dependencies=read)
    def api_topic_volume(days: int = 14) -> dict:
        with connect(database_url()) as conn:
            w = window(conn)
            return {"end": w.end, "live": w.live, **dashboard.topic_daily(conn, w.end, days=max(1, min(days, 90)))}

    @app.get("/api/trending", dependencies=read)
    def api_trending() -> dict:
        with connect(database_url()) as conn:
            w = window(conn)
            return {"end": w.end, "live": w.live, "topics": dashboard.trending(conn, w.end, kind="topic"),
                    "actors": dashboard.trending(conn, w.end, kind="actor")}

    @app.get("/api/stories", dependencies=read)
    def api_stories(page: int = 1, per_page: int = 20) -> dict:
        with connect(database_url()) as conn:
            return dashboard.latest_stories(conn, page=page, per_page=per_page).as_json()

    @app.get("/api/events", dependencies=read)
    def api_events(page: int = 1, per_page: int = 20) -> dict:
        with connect(database_url()) as conn:
            return dashboard.latest_events(conn, page=page, per_page=per_page).as_json()

    @app.get("/api/event-volume", dependencies=read)
    def api_event_volume(days: int = EVENT_DAYS) -> dict:
        with connect(database_url()) as conn:
            w = window(conn)
            return {"end": w.end, "live": w.live, **dashboard.event_daily(conn, w.end, days=max(1, min(days, 90)))}

    @app.get("/api/event-map", dependencies=read)
    def api_event_map(days: int = MAP_DAYS) -> dict:
        days = max(1, min(days, 90))
        with connect(database_url()) as conn:
            w = window(conn)
            events = dashboard.events_mapped(conn, w.end, days=days)
        return {"end": w.end, "live": w.live, "days": days, "events": events}

    @app.get("/api/runs", dependencies=read)
    def api_runs(request: Request, page: int = 1, per_page: int = 10) -> dict:
        with connect(database_url()) as conn:
            result = dashboard.recent_runs(conn, page=page, per_page=per_page).as_json()
        for row in result["rows"]:
            row["airflow_url"] = _run_url(request, row["run_id"])
        return result

    @app.get("/api/{name}", dependencies=read)
    def api_table(name: str, page: int = 1, per_page: int = 25) -> dict:
        if name not in dashboard.TABLES:
            raise HTTPException(404, f"no such endpoint; tables: {', '.join(dashboard.TABLES)}")
        with connect(database_url()) as conn:
            return dashboard.table(conn, name, page=page, per_page=per_page).as_json()

    def take(request: Request, user: Any, action: str, target: str | None) -> dict:
        _check_csrf(request)
        try:
            with connect(database_url()) as conn:
                result = dashboard.act(conn, username=user.get_name(), action=action, target=target)
        except dashboard.UnknownTarget as exc:
            raise HTTPException(404, str(exc)) from None
        return {"action": action, "target": target, "by": user.get_name(), "result": result}

    edit = [Depends(access.edit)]

    @app.post("/api/feeds/{feed_id}/enable", dependencies=edit)
    def enable_feed(feed_id: int, request: Request, user=Depends(access.user)) -> dict:
        return take(request, user, "enable-feed", str(feed_id))

    @app.post("/api/feeds/{feed_id}/disable", dependencies=edit)
    def disable_feed(feed_id: int, request: Request, user=Depends(access.user)) -> dict:
        return take(request, user, "disable-feed", str(feed_id))

    @app.post("/api/feeds/{feed_id}/poll", dependencies=edit)
    def poll_feed(feed_id: int, request: Request, user=Depends(access.user)) -> dict:
        return take(request, user, "poll-feed", str(feed_id))

    @app.post("/api/sites/{site}/re-extract", dependencies=edit)
    def re_extract_site(site: str, request: Request, user=Depends(access.user)) -> dict:
        return take(request, user, "re-extract-site", site)

    @app.post("/api/retag", dependencies=edit)
    def retag(request: Request, user=Depends(access.user)) -> dict:
        return take(request, user, "retag", None)

    @app.get("/", response_class=HTMLResponse, dependencies=read)
    def page(request: Request, status: str | None = None, tag: str | None = None, feeds_page: int = 1,
             stories_page: int = 1, events_page: int = 1, runs_page: int = 1, quality_page: int = 1,
             rejections_page: int = 1, actions_page: int = 1, user=Depends(access.user)) -> str:
        _check_status(status)
        with connect(database_url()) as conn:
            return _render(conn, request, user.get_name(), status=status or None, tag=tag or None, pages={
                "feeds": feeds_page, "stories": stories_page, "events": events_page, "runs": runs_page,
                "quality": quality_page, "rejections": rejections_page, "actions": actions_page})

    return app


def _check_status(status: str | None) -> None:
    if status and status not in dashboard.FEED_STATUSES:
        raise HTTPException(422, f"status must be one of: {', '.join(dashboard.FEED_STATUSES)}")


def _check_csrf(request: Request) -> None:
    """A Bearer token is never sent by a browser on its own; a session cookie is, so a
    cookie-authenticated action must show it came from our page (a header a cross-site form
    cannot set, and a same-host Origin if the browser sends one)."""
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    if request.headers.get(CSRF_HEADER) != "wirewatch":
        raise HTTPException(403, f"actions need the {CSRF_HEADER}: wirewatch header (sent by the dashboard's buttons)")
    origin = request.headers.get("origin")
    if origin and origin.split("://", 1)[-1] != request.headers.get("host"):
        raise HTTPException(403, "cross-origin action refused")


def _airflow_root(request: Request) -> str:
    """The Airflow UI's base path: the plugin is mounted under it at /wirewatch."""
    root = request.scope.get("root_path", "")
    return root[: -len("/wirewatch")] if root.endswith("/wirewatch") else ""


def _run_url(request: Request, run_id: str) -> str:
    return f"{_airflow_root(request)}/dags/{DAG_ID}/runs/{quote(run_id, safe='')}"


# --- HTML ----------------------------------------------------------------------------------------

STYLE = """
body{font-family:system-ui,sans-serif;margin:1.2rem 1.5rem;color:#1d2733;background:#fff}
h1{margin:.2rem 0 .6rem;font-size:1.5rem} h2{margin:1.6rem 0 .5rem;font-size:1.15rem}
nav a{margin-right:.9rem} .muted{color:#5b6b7b} .notice{background:#fff6d6;border:1px solid #e8d27a;
padding:.5rem .8rem;border-radius:4px;margin:.5rem 0}
table{border-collapse:collapse;margin-bottom:.6rem;font-size:.88rem;width:100%}
th,td{border-bottom:1px solid #dde3ea;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f5f8;font-weight:600} td.n{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:9px;font-size:.8rem;background:#e8edf2}
.failing .badge,.badge.failing{background:#fbd9d6;color:#8c1d18} .badge.disabled{background:#e0e0e0;color:#555}
.badge.ok{background:#d8f0dd;color:#1e5e2c} .badge.spike{background:#ffe2c2;color:#8a4200}
.charts{display:flex;flex-wrap:wrap;gap:1rem} .chart{max-width:100%;height:auto;border:1px solid #eef1f4}
.pager a,.pager span{margin-right:.5rem} form.filters{margin:.3rem 0 .6rem}
button{font-size:.8rem;padding:.1rem .5rem;cursor:pointer} .cols{display:flex;flex-wrap:wrap;gap:2rem}
.cols>div{flex:1 1 22rem} #flash{position:fixed;top:.5rem;right:.5rem;max-width:28rem}
ul.copies{margin:.2rem 0 0 1rem;padding:0;font-size:.82rem}
"""

SCRIPT = """
document.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  if (button.dataset.confirm && !confirm(button.dataset.confirm)) return;
  button.disabled = true;
  const flash = document.getElementById('flash');
  try {
    const response = await fetch(button.dataset.action, {method: 'POST', credentials: 'same-origin',
      headers: {'X-Requested-By': 'wirewatch', 'Content-Type': 'application/json'}});
    const body = await response.json().catch(() => ({}));
    flash.className = 'notice';
    flash.textContent = response.ok ? `${body.action} ${body.target || ''}: ${JSON.stringify(body.result)}`
                                    : `refused (${response.status}): ${body.detail || response.statusText}`;
    if (response.ok) setTimeout(() => location.reload(), 600);
  } finally { button.disabled = false; }
});
"""


def _render(conn, request: Request, username: str, *, status: str | None, tag: str | None,
            pages: dict[str, int]) -> str:
    now = datetime.now(timezone.utc)
    w = dashboard.window(conn, now=now)
    when = _When(now)
    link = _Links(dict(request.query_params))
    sections = [
        _header(w, when, username, dashboard.feed_counts(conn)),
        _charts(conn, w),
        _trending(conn, w),
        _feeds(conn, when, link, status=status, tag=tag, page=pages["feeds"]),
        _stories(conn, when, link, pages["stories"]),
        _events(conn, w, link, pages["events"]),
        _runs(conn, request, when, link, pages["runs"]),
        _quality(conn, when, link, pages["quality"], pages["rejections"]),
        _more(conn, when, link, pages["actions"]),
    ]
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>wirewatch</title>"
            f"<meta name='viewport' content='width=device-width'><style>{STYLE}</style></head><body>"
            f"<div id='flash' role='status'></div>{''.join(sections)}<script>{SCRIPT}</script></body></html>")


class _When:
    """Human times: relative to now, the exact UTC time on hover."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self, moment: datetime | None) -> str:
        if moment is None:
            return "<span class='muted'>never</span>"
        seconds = (self.now - moment).total_seconds()
        ahead, seconds = seconds < 0, abs(seconds)
        for size, unit in ((86400 * 365, "year"), (86400 * 30, "month"), (86400, "day"), (3600, "hour"),
                           (60, "minute")):
            if seconds >= size:
                count = int(seconds // size)
                text = f"{count} {unit}{'s' if count > 1 else ''}"
                break
        else:
            text = "seconds"
        text = f"in {text}" if ahead else f"{text} ago" if text != "seconds" else "just now"
        exact = moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"<time datetime='{moment.isoformat()}' title='{exact}'>{text}</time>"


class _Links:
    """Links to the same page with some query parameters changed (filters, pages)."""

    def __init__(self, params: dict[str, str]):
        self.params = params

    def __call__(self, anchor: str, **changes: Any) -> str:
        params = {k: v for k, v in {**self.params, **changes}.items()
                  if v not in (None, "") and not (k.endswith("_page") and str(v) == "1")}
        return f"?{urlencode(params)}#{anchor}" if params else f"./#{anchor}"

    def pager(self, anchor: str, key: str, result: dashboard.Page) -> str:
        if result.pages <= 1:
            return f"<p class='pager muted'>{result.total} in all</p>"
        parts = []
        if result.page > 1:
            parts.append(f"<a href='{_e(self(anchor, **{key: result.page - 1}))}'>‹ newer</a>")
        parts.append(f"<span>page {result.page} of {result.pages} ({result.total} in all)</span>")
        if result.page < result.pages:
            parts.append(f"<a href='{_e(self(anchor, **{key: result.page + 1}))}'>older ›</a>")
        return f"<p class='pager'>{''.join(parts)}</p>"


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _header(w: dashboard.Window, when: _When, username: str, counts: dict[str, int]) -> str:
    badges = " ".join(f"<span class='badge {status.replace(' ', '-')}'>{_e(status)}: {n}</span>"
                      for status, n in counts.items())
    notice = "" if w.live else (
        "<p class='notice' id='window-notice'>Nothing was seen in the last 48 hours, so every window on this page "
        f"ends at the newest data instead: {when(w.newest)} ({w.end:%Y-%m-%d %H:%M} UTC).</p>")
    if w.newest is None:
        notice = "<p class='notice' id='window-notice'>No articles yet: run news_ingest (or <code>make demo</code>).</p>"
    return (f"<h1>wirewatch</h1><p class='muted'>Signed in as {_e(username)} · feeds {badges}</p>{notice}"
            "<nav><a href='#volume'>Volume</a><a href='#trending'>Trending</a><a href='#feeds'>Feeds</a>"
            "<a href='#stories'>Stories</a><a href='#events'>Events</a><a href='#runs'>Runs</a>"
            "<a href='#quality'>Extraction</a>"
            "<a href='#actions'>Actions</a></nav>")


def _charts(conn, w: dashboard.Window) -> str:
    hours = dashboard.hourly_volume(conn, w.end, hours=48)
    labels = [f"{row['hour']:%d %b %H:00}" for row in hours]
    volume = bar_chart(labels, {"articles": [r["articles"] for r in hours], "new stories": [r["stories"] for r in hours]},
                       title="Articles and new stories per hour, last 48 h")
    daily = dashboard.topic_daily(conn, w.end, days=14)
    topics = (line_chart(daily["days"], daily["series"], title="New stories per topic per day, last 14 days")
              if daily["series"] else "<p class='muted'>No tagged stories in the last 14 days.</p>")
    return f"<h2 id='volume'>Volume</h2><div class='charts' id='volume-charts'>{volume}{topics}</div>"


def _trending(conn, w: dashboard.Window) -> str:
    def table(kind: str, title: str) -> str:
        rows = dashboard.trending(conn, w.end, kind=kind)
        if not rows:
            return f"<div><h3>{title}</h3><p class='muted'>None in the last 24 h.</p></div>"
        spike = " <span class='badge spike'>spike</span>"
        body = "".join(
            f"<tr><td>{_e(r['name'])}{spike if r['spike'] else ''}</td>"
            f"<td class='n'>{r['last_24h']}</td><td class='n'>{r['daily_mean']:.1f}</td><td class='n'>×{r['ratio']:.1f}</td></tr>"
            for r in rows)
        return (f"<div><h3>{title}</h3><table class='trending' id='trending-{kind}'><tr><th>{kind}</th>"
                f"<th>stories, 24 h</th><th>daily mean, 14 days before</th><th>ratio</th></tr>{body}</table></div>")
    retag = ("<button data-action='api/retag' data-confirm='Re-tag every article with the current taxonomy at the '"
             "'next run?'>Re-tag all articles</button>")
    return (f"<h2 id='trending'>Top topics and actors, last 24 h</h2><p class='muted'>A spike: at least "
            f"{dashboard.SPIKE_MIN_STORIES} stories and {dashboard.SPIKE_RATIO:g}× the trailing daily mean. {retag}</p>"
            f"<div class='cols'>{table('topic', 'Topics')}{table('actor', 'Actors')}</div>")


def _feeds(conn, when: _When, link: _Links, *, status: str | None, tag: str | None, page: int) -> str:
    result = dashboard.feed_health(conn, status=status, tag=tag, page=page)
    options = "".join(f"<option value='{_e(s)}'{' selected' if s == status else ''}>{_e(s)}</option>"
                      for s in dashboard.FEED_STATUSES)
    tags = "".join(f"<option value='{_e(t)}'{' selected' if t == tag else ''}>{_e(t)}</option>"
                   for t in dashboard.feed_tags(conn))
    filters = (f"<form class='filters' method='get' action='./#feeds'>Status <select name='status'><option value=''>all"
               f"</option>{options}</select> Tag <select name='tag'><option value=''>all</option>{tags}</select> "
               "<button type='submit'>Filter</button></form>")
    rows = []
    for r in result.rows:
        toggle = (f"<button data-action='api/feeds/{r['feed_id']}/disable'>Disable</button>" if r["enabled"] else
                  f"<button data-action='api/feeds/{r['feed_id']}/enable'>Enable</button>")
        poll = f"<button data-action='api/feeds/{r['feed_id']}/poll'>Poll now</button>" if r["enabled"] else ""
        problem = r["last_error"] or (r["disabled_reason"] if not r["enabled"] else "") or ""
        rows.append(
            f"<tr class='{'failing' if r['status'] == 'failing' else ''}' data-feed-id='{r['feed_id']}'>"
            f"<td><a href='{_e(r['url'])}' target='_blank' rel='noopener'>{_e(r['feed'])}</a>"
            f"<div class='muted'>{_e(r['outlet'])} {' '.join(f'#{_e(t)}' for t in r['tags'] or [])}</div></td>"
            f"<td><span class='badge {r['status'].replace(' ', '-')}'>{_e(r['status'])}</span></td>"
            f"<td class='n'>{r['error_streak']}</td><td>{_e(problem)}</td><td>{when(r['last_success_at'])}</td>"
            f"<td>{when(r['next_poll_at']) if r['enabled'] else '–'}</td><td class='n'>{r['articles_listed']}</td>"
            f"<td>{toggle} {poll}</td></tr>")
    table = ("<table id='feed-table'><tr><th>feed</th><th>status</th><th>errors in a row</th><th>last error</th>"
             "<th>last success</th><th>next poll</th><th>articles</th><th>actions</th></tr>" + "".join(rows) + "</table>"
             if rows else "<p class='muted'>No feeds match.</p>")
    return (f"<h2 id='feeds'>Feed health</h2>{filters}{table}{link.pager('feeds', 'feeds_page', result)}"
            "<p class='muted'>“Poll now” makes the feed due: the next news_ingest run polls it "
            "(trigger one from the DAG's page for at once).</p>")


def _stories(conn, when: _When, link: _Links, page: int) -> str:
    result = dashboard.latest_stories(conn, page=page)
    if not result.rows:
        return "<h2 id='stories'>Latest stories</h2><p class='muted'>No stories yet.</p>"
    rows = []
    for r in result.rows:
        copies = "".join(f"<li>{_e(c['outlet'])}: <a dir='auto' href='{_e(c['url'])}' target='_blank' rel='noopener'>"
                         f"{_e(c['title'])}</a></li>" for c in r["copies"])
        more = r["articles"] - len(r["copies"])
        rows.append(
            f"<tr><td><strong dir='auto'>{_e(r['title'])}</strong><ul class='copies'>{copies}"
            f"{f'<li class=muted>and {more} more</li>' if more > 0 else ''}</ul></td>"
            f"<td class='n'>{r['outlets']}</td><td class='n'>{r['articles']}</td><td>{_e(', '.join(r['topics']))}</td>"
            f"<td>{when(r['first_seen_at'])}</td><td>{when(r['last_seen_at'])}</td></tr>")
    return ("<h2 id='stories'>Latest stories</h2><table id='story-table'><tr><th>story and its copies</th>"
            "<th>outlets</th><th>articles</th><th>topics</th><th>first seen</th><th>last seen</th></tr>"
            + "".join(rows) + "</table>" + link.pager("stories", "stories_page", result))


def _events(conn, w: dashboard.Window, link: _Links, page: int) -> str:
    """Conflict events: per day by ACLED type, on a map, and the latest as a table."""
    result = dashboard.latest_events(conn, page=page)
    if not result.rows:
        return "<h2 id='events'>Conflict events</h2><p class='muted'>No conflict events yet.</p>"
    daily = dashboard.event_daily(conn, w.end, days=EVENT_DAYS)
    chart = (bar_chart(daily["days"], daily["series"], title=f"Events per day by ACLED type, last {EVENT_DAYS} days",
                       tick_every=2)
             if daily["series"] else f"<p class='muted'>No events dated in the last {EVENT_DAYS} days.</p>")
    rows = "".join(
        f"<tr data-event-id='{r['event_id']}'><td>{_e(_event_dates(r))}</td><td>{_e(r['event_type'])}"
        f"<div class='muted'>{_e(r['sub_event_type'])}</div></td>"
        f"<td dir='auto' title='{_e(r['notes'])}'>{_e(dashboard.place_text(r))}</td>"
        f"<td class='n'>{_e(dashboard.fatalities_text(r)) or '–'}</td><td class='n'>{r['outlets']}</td></tr>"
        for r in result.rows)
    return (f"<h2 id='events'>Conflict events</h2><div class='charts' id='event-charts'>{chart}{_event_map(conn, w)}</div>"
            "<table id='event-table'><tr><th>date</th><th>type and sub-type (ACLED)</th><th>location</th>"
            f"<th>fatalities</th><th>outlets</th></tr>{rows}</table>{link.pager('events', 'events_page', result)}")


def _event_dates(event: dict) -> str:
    if event["date_precision"] == "range" and event["date_from"] != event["date_to"]:
        return f"{event['date_from']:%Y-%m-%d} – {event['date_to']:%Y-%m-%d}"
    return f"{event['event_date']:%Y-%m-%d}"


def _event_map(conn, w: dashboard.Window) -> str:
    events = dashboard.events_mapped(conn, w.end, days=MAP_DAYS)
    if not events:
        return f"<p class='muted' id='event-map'>No events dated in the last {MAP_DAYS} days to map.</p>"
    points = [MapPoint(latitude=e["latitude"], longitude=e["longitude"], series=e["event_type"], tag=e["country"],
                       size=e["fatalities"], id=str(e["event_id"]), label=_event_label(e)) for e in events]
    kinds = dashboard.event_type_order({e["event_type"] for e in events})
    svg = point_map(points, series=kinds, title=f"Events of the last {MAP_DAYS} days",
                    note="Circle area: fatalities; hollow: none reported.")
    return svg.replace("<svg ", "<svg id='event-map' ", 1)


def _event_label(e: dict) -> str:
    fatalities = dashboard.fatalities_text(e)
    return (f"{_event_dates(e)} {dashboard.event_kind_text(e)}: {dashboard.place_text(e)}"
            f"{f', {fatalities} killed' if fatalities else ''}, {e['outlets']} outlet{'s' if e['outlets'] != 1 else ''}")


def _runs(conn, request: Request, when: _When, link: _Links, page: int) -> str:
    result = dashboard.recent_runs(conn, page=page)
    if not result.rows:
        latest = "No pipeline run recorded yet."
        return f"<h2 id='runs'>Pipeline runs</h2><p class='muted'>{latest}</p>"
    columns = ("feeds_polled", "feeds_failed", "articles_new", "extracted", "rejected", "failed", "new_stories", "tagged")
    rows = "".join(
        f"<tr><td><a href='{_e(_run_url(request, r['run_id']))}' target='_top'>{_e(r['run_id'])}</a></td>"
        f"<td>{when(r['finished_at'])}</td>" + "".join(f"<td class='n'>{r[c] or 0}</td>" for c in columns) + "</tr>"
        for r in result.rows)
    summary = format_summary(run_summary(conn, result.rows[0]["run_id"]))
    return ("<h2 id='runs'>Pipeline runs</h2><table id='run-table'><tr><th>run (opens in Airflow)</th><th>finished</th>"
            + "".join(f"<th>{c.replace('_', ' ')}</th>" for c in columns) + f"</tr>{rows}</table>"
            + link.pager("runs", "runs_page", result)
            + f"<details><summary>Latest run's full report</summary><pre>{_e(summary)}</pre></details>")


def _quality(conn, when: _When, link: _Links, page: int, rejections_page: int) -> str:
    quality = dashboard.table(conn, "quality", page=page)
    rejections = dashboard.table(conn, "rejections", page=rejections_page)
    q_rows = "".join(
        f"<tr><td>{_e(r['site'])}</td>" + "".join(f"<td class='n'>{r[c]}</td>" for c in (
            "articles", "clean", "paywall_teaser", "mojibake", "consent_text", "short", "wire_copies", "avg_words"))
        + "</tr>" for r in quality.rows)
    r_rows = "".join(
        f"<tr><td>{_e(r['site'])}</td><td>{_e(r['status'])}</td><td>{_e(r['reason_kind'])}</td>"
        f"<td class='n'>{r['articles']}</td><td>{when(r['latest'])}</td>"
        f"<td><a href='{_e(r['example_url'])}' target='_blank' rel='noopener'>example</a></td>"
        f"<td><button data-action='api/sites/{quote(r['site'], safe='')}/re-extract' data-confirm='Re-extract the stored "
        f"pages of {_e(r['site'])} at the next run?'>Re-extract</button></td></tr>" for r in rejections.rows)
    quality_table = ("<table id='quality-table'><tr><th>site</th><th>articles</th><th>clean</th><th>paywall teaser</th>"
                     "<th>mojibake</th><th>consent text</th><th>short</th><th>wire copies</th><th>avg words</th></tr>"
                     f"{q_rows}</table>" if q_rows else "<p class='muted'>Nothing yet.</p>")
    rejection_table = ("<table id='rejection-table'><tr><th>site</th><th>status</th><th>reason</th><th>articles</th>"
                       f"<th>latest</th><th></th><th></th></tr>{r_rows}</table>" if r_rows
                       else "<p class='muted'>No article rejected or failed.</p>")
    return (f"<h2 id='quality'>Extraction quality by site</h2>{quality_table}{link.pager('quality', 'quality_page', quality)}"
            f"<h3>Rejections and failures by site</h3>{rejection_table}"
            f"{link.pager('quality', 'rejections_page', rejections)}")


def _more(conn, when: _When, link: _Links, actions_page: int) -> str:
    actions = dashboard.table(conn, "actions", page=actions_page, per_page=15)
    a_rows = "".join(f"<tr><td>{when(r['at'])}</td><td>{_e(r['username'])}</td><td>{_e(r['action'])}</td>"
                     f"<td>{_e(r['target'])}</td><td><code>{_e(r['result'])}</code></td></tr>" for r in actions.rows)
    outcomes = dashboard.table(conn, "outcomes", per_page=50).rows
    o_rows = "".join(f"<tr><td>{_e(r['status'])}</td><td>{_e(r['reason'])}</td><td class='n'>{r['articles']}</td>"
                     f"<td>{when(r['latest'])}</td></tr>" for r in outcomes)
    boilerplate = dashboard.table(conn, "boilerplate", per_page=50).rows
    b_rows = "".join(f"<tr><td>{_e(r['site'])}</td><td>{_e(r['sample'])}</td><td class='n'>{r['articles']}</td></tr>"
                     for r in boilerplate)
    return ("<h2 id='actions'>Actions taken from this page</h2>"
            + (f"<table id='action-table'><tr><th>when</th><th>who</th><th>action</th><th>target</th><th>result</th></tr>"
               f"{a_rows}</table>{link.pager('actions', 'actions_page', actions)}" if a_rows
               else "<p class='muted'>None yet.</p>")
            + "<details><summary>Article outcomes</summary>"
            + (f"<table><tr><th>status</th><th>reason</th><th>articles</th><th>latest</th></tr>{o_rows}</table>"
               if o_rows else "<p>Nothing yet.</p>")
            + "</details><details><summary>Learned site boilerplate</summary>"
            + (f"<table><tr><th>site</th><th>line</th><th>articles</th></tr>{b_rows}</table>" if b_rows
               else "<p>Nothing yet.</p>") + "</details>")
