"""The digest: what changed in the last day, as HTML and Markdown files with PNG charts.

`build_digest` reads the warehouse (the main conflict events, top stories per topic with their
outlet counts, spikes of topics and actors against their trailing daily mean, feed-health
warnings, topic volume over 14 days); `write_digest` renders it into a folder:

    <out>/digest-<until>.html   the digest, charts embedded by file name
    <out>/digest-<until>.md     the same in Markdown
    <out>/digest-<until>-topic-volume.png, <out>/digest-<until>-spikes.png
    <out>/latest.html, latest.md  copies of the newest digest

The `news_digest` DAG and `wirewatch digest` both call `write_digest`.
"""

from __future__ import annotations

import html
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import logging

from wirewatch.reporting import dashboard
from wirewatch.db import Connection, connect, dict_cursor
from wirewatch.settings import Settings

LOGGER = logging.getLogger(__name__)
SMTP_CONN_ID = "smtp_default"

STORIES_PER_TOPIC = 5
MAIN_EVENTS = 10
NOTES_CHARS = 160  # an event's evidence sentence, shortened to about a line
VOLUME_DAYS = 14


@dataclass
class Digest:
    since: datetime
    until: datetime
    events: list[dict] = field(default_factory=list)  # the main conflict events (report_conflict_events)
    topics: list[dict] = field(default_factory=list)  # {"id", "label", "stories": [...], "total"}
    untagged: list[dict] = field(default_factory=list)  # the most carried stories without a topic
    spikes: list[dict] = field(default_factory=list)
    feed_warnings: list[dict] = field(default_factory=list)
    volume: dict = field(default_factory=dict)  # dashboard.topic_daily
    totals: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DigestFiles:
    html: Path
    markdown: Path
    charts: tuple[Path, ...]


def build_digest(conn: Connection, *, until: datetime | None = None, days: int = 1, spike_ratio: float = 2.0,
                 spike_min_stories: int = 3, per_topic: int = STORIES_PER_TOPIC) -> Digest:
    """The digest of the `days` before `until` (default now)."""
    until = until or datetime.now(timezone.utc)
    digest = Digest(since=until - timedelta(days=days), until=until)
    window = {"since": digest.since, "until": until}
    with dict_cursor(conn) as cur:
        cur.execute("""SELECT t.id, t.label, s.story_id, s.title, s.representative_url, s.outlets, s.articles,
                              s.first_seen_at
                       FROM report_stories s
                       JOIN report_story_topics st ON st.story_id = s.story_id
                       JOIN topics t ON t.id = st.topic_id
                       WHERE s.first_seen_at > %(since)s AND s.first_seen_at <= %(until)s
                       ORDER BY t.label, s.outlets DESC, s.articles DESC, s.first_seen_at, s.story_id""", window)
        by_topic: dict[str, dict] = {}
        for row in cur.fetchall():
            topic = by_topic.setdefault(row["id"], {"id": row["id"], "label": row["label"], "stories": [], "total": 0})
            topic["total"] += 1
            if len(topic["stories"]) < per_topic:
                topic["stories"].append({k: row[k] for k in ("story_id", "title", "representative_url", "outlets",
                                                             "articles", "first_seen_at")})
        digest.topics = sorted(by_topic.values(), key=lambda t: (-t["total"], t["label"]))
        cur.execute("""SELECT s.story_id, s.title, s.representative_url, s.outlets, s.articles, s.first_seen_at
                       FROM report_stories s
                       WHERE s.first_seen_at > %(since)s AND s.first_seen_at <= %(until)s
                         AND NOT EXISTS (SELECT 1 FROM report_story_topics st WHERE st.story_id = s.story_id)
                       ORDER BY s.outlets DESC, s.articles DESC, s.first_seen_at LIMIT %(limit)s""",
                    {**window, "limit": per_topic})
        digest.untagged = cur.fetchall()
        cur.execute("""SELECT kind, id, name, last_24h, daily_mean, ratio FROM wirewatch_spikes(%s, 14, %s, %s)
                       WHERE is_spike ORDER BY ratio DESC, last_24h DESC, name""",
                    (until, spike_ratio, spike_min_stories))
        digest.spikes = cur.fetchall()
        cur.execute("""SELECT feed, url, status, error_streak, last_error, last_success_at FROM report_feed_health
                       WHERE status IN ('failing', 'never polled')
                          OR (status = 'disabled' AND feed_id IN (SELECT id FROM feeds WHERE disabled_reason
                                                                  IS DISTINCT FROM 'disabled by hand'))
                       ORDER BY status, error_streak DESC, feed""")
        digest.feed_warnings = cur.fetchall()
        cur.execute("""SELECT count(*) AS stories, coalesce(sum(articles), 0) AS articles,
                              count(*) FILTER (WHERE outlets > 1) AS syndicated
                       FROM report_stories WHERE first_seen_at > %(since)s AND first_seen_at <= %(until)s""", window)
        digest.totals = cur.fetchone()
    digest.events = main_events(conn, since=digest.since, until=until)
    digest.volume = dashboard.topic_daily(conn, until, days=VOLUME_DAYS)
    return digest


def main_events(conn: Connection, *, since: datetime, until: datetime, limit: int = MAIN_EVENTS) -> list[dict]:
    """The deadliest, then most carried, events dated on the window's UTC days and known by its end
    (a digest re-rendered later for the same window lists no event found since)."""
    with dict_cursor(conn) as cur:
        cur.execute("""SELECT event_id, event_date, date_precision, date_from, date_to, event_type, sub_event_type,
                              location, admin1, country, country_name, fatalities, fatalities_low, fatalities_high,
                              fatalities_qualifier, outlets, notes
                       FROM report_conflict_events
                       WHERE event_date BETWEEN (%(since)s::timestamptz AT TIME ZONE 'UTC')::date
                                            AND (%(until)s::timestamptz AT TIME ZONE 'UTC')::date
                         AND (first_seen_at IS NULL OR first_seen_at <= %(until)s)
                       ORDER BY fatalities DESC NULLS LAST, outlets DESC, event_date DESC, event_id
                       LIMIT %(limit)s""", {"since": since, "until": until, "limit": limit})
        return cur.fetchall()


def write_digest(digest: Digest, out_dir: Path) -> DigestFiles:
    """Render the digest's files into `out_dir` (created if missing); -> their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"digest-{digest.until.astimezone(timezone.utc):%Y-%m-%dT%H%M}"
    charts = []
    volume_png = out_dir / f"{stem}-topic-volume.png"
    _volume_chart(digest.volume, volume_png)
    charts.append(volume_png)
    if digest.spikes:
        spikes_png = out_dir / f"{stem}-spikes.png"
        _spikes_chart(digest.spikes, spikes_png)
        charts.append(spikes_png)
    html_path, md_path = out_dir / f"{stem}.html", out_dir / f"{stem}.md"
    html_path.write_text(render_html(digest, [c.name for c in charts]), encoding="utf-8")
    md_path.write_text(render_markdown(digest, [c.name for c in charts]), encoding="utf-8")
    shutil.copyfile(html_path, out_dir / "latest.html")
    shutil.copyfile(md_path, out_dir / "latest.md")
    return DigestFiles(html=html_path, markdown=md_path, charts=tuple(charts))


def render_digest(settings: Settings, *, until: datetime | None = None, days: int = 1,
                  out_dir: Path | None = None) -> dict:
    """Build and write the digest (what `news_digest` and `wirewatch digest` run). -> its files and
    headline counts, JSON-ready (the task's return value)."""
    with connect(settings.database_url) as conn:
        digest = build_digest(conn, until=until, days=days, spike_ratio=settings.spike_ratio,
                              spike_min_stories=settings.spike_min_stories)
    files = write_digest(digest, out_dir or settings.digest_dir)
    LOGGER.info("digest of %s to %s written to %s: %s", _when(digest.since), _when(digest.until), files.html,
                _summary(digest))
    return {"html": str(files.html), "markdown": str(files.markdown), "charts": [str(c) for c in files.charts],
            "subject": _heading(digest), "stories": digest.totals.get("stories", 0), "topics": len(digest.topics),
            "spikes": len(digest.spikes), "feed_warnings": len(digest.feed_warnings), "events": len(digest.events)}


def email_digest(rendered: dict, settings: Settings) -> str:
    """E-mail the rendered digest (HTML, charts attached) through Airflow's SMTP provider, only when
    WIREWATCH_DIGEST_EMAIL names recipients and the `smtp_default` connection exists. -> what happened."""
    if not settings.digest_email:
        return "not sent: WIREWATCH_DIGEST_EMAIL is empty"
    from airflow.providers.smtp.hooks.smtp import SmtpHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        with SmtpHook(smtp_conn_id=SMTP_CONN_ID) as smtp:
            smtp.send_email_smtp(to=list(settings.digest_email), subject=rendered["subject"],
                                 html_content=Path(rendered["html"]).read_text(encoding="utf-8"),
                                 files=rendered["charts"])
    except AirflowNotFoundException:
        return f"not sent: no Airflow connection {SMTP_CONN_ID!r}"
    LOGGER.info("digest e-mailed to %s", ", ".join(settings.digest_email))
    return f"sent to {', '.join(settings.digest_email)}"


def _when(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _heading(d: Digest) -> str:
    return f"wirewatch digest: {_when(d.since)} to {_when(d.until)}"


def _summary(d: Digest) -> str:
    t = d.totals
    return (f"{t.get('stories', 0)} new stories ({t.get('articles', 0)} articles; {t.get('syndicated', 0)} carried "
            f"by several outlets), {len(d.topics)} topics, {len(d.spikes)} spikes, "
            f"{len(d.feed_warnings)} feed warnings.")


def _spike_line(s: dict) -> str:
    stories = "story" if s["last_24h"] == 1 else "stories"
    return (f"{s['kind']} {s['name']}: {s['last_24h']} {stories} in 24 h, {s['ratio']:g}× the daily mean of "
            f"{s['daily_mean']:g}")


def _event_line(event: dict) -> str:
    """Date · type / sub-type · place · fatalities · outlets (the notes follow, shortened)."""
    fatalities = dashboard.fatalities_text(event)
    outlets = f"{event['outlets']} {'outlet' if event['outlets'] == 1 else 'outlets'}"
    return " · ".join((f"{event['event_date']:%Y-%m-%d}", dashboard.event_kind_text(event),
                       dashboard.place_text(event), f"{fatalities} killed" if fatalities else "no fatalities reported",
                       outlets))


def _shorten(text: str | None, limit: int = NOTES_CHARS) -> str:
    """At a word boundary, with an ellipsis, when longer than `limit`."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(",;:") + "…"


def render_markdown(d: Digest, charts: list[str]) -> str:
    lines = [f"# {_heading(d)}", "", _summary(d), ""]
    lines += ["## Spikes", ""] + ([f"- {_spike_line(s)}" for s in d.spikes] or ["None."]) + [""]
    lines += ["## Main events", ""] + ([f"- {_event_line(e)}" + (f" — {isolate(_shorten(e['notes']))}" if e["notes"] else "")
                                        for e in d.events] or ["No conflict events in this window."]) + [""]
    lines += ["## Top stories by topic", ""]
    for topic in d.topics:
        lines += [f"### {topic['label']} ({topic['total']} {'story' if topic['total'] == 1 else 'stories'})", ""]
        lines += [f"- [{isolate(s['title'])}]({s['representative_url']}) — {s['outlets']} "
                  f"{'outlet' if s['outlets'] == 1 else 'outlets'}" for s in topic["stories"]]
        lines.append("")
    if not d.topics:
        lines += ["No tagged stories in this window.", ""]
    if d.untagged:
        lines += ["### Without a topic", ""]
        lines += [f"- [{isolate(s['title'])}]({s['representative_url']}) — {s['outlets']} outlets" for s in d.untagged]
        lines.append("")
    lines += ["## Feed health", ""]
    lines += [f"- {f['feed']} ({f['status']}, {f['error_streak']} errors in a row): {f['last_error'] or ''}"
              for f in d.feed_warnings] or ["All feeds healthy."]
    lines += ["", "## Topic volume, last 14 days", ""] + [f"![{c}]({c})" for c in charts] + [""]
    return "\n".join(lines)


RIGHT_TO_LEFT = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


def isolate(text: str | None) -> str:
    """Text in a right-to-left script (Arabic, Hebrew) set apart by Unicode isolates (FSI … PDI), so a
    headline in Arabic reads right to left inside a left-to-right line of Markdown."""
    text = text or ""
    return f"\u2068{text}\u2069" if RIGHT_TO_LEFT.search(text) else text


def render_html(d: Digest, charts: list[str]) -> str:
    e = html.escape
    parts = [f"<h1>{e(_heading(d))}</h1><p>{e(_summary(d))}</p><h2>Spikes</h2>"]
    parts.append("<ul>" + "".join(f"<li>{e(_spike_line(s))}</li>" for s in d.spikes) + "</ul>" if d.spikes
                 else "<p>None.</p>")
    parts.append("<h2 id='main-events'>Main events</h2>")
    parts.append("<ul class='events'>" + "".join(
        f"<li>{e(_event_line(ev))}" + (f" — <q dir='auto'>{e(_shorten(ev['notes']))}</q>" if ev["notes"] else "") + "</li>"
        for ev in d.events) + "</ul>" if d.events else "<p>No conflict events in this window.</p>")
    parts.append("<h2>Top stories by topic</h2>")
    for topic in d.topics:
        parts.append(f"<h3 id='topic-{e(topic['id'])}'>{e(topic['label'])} ({topic['total']})</h3><ul>" + "".join(
            f"<li><a dir='auto' href='{e(s['representative_url'] or '')}'>{e(s['title'] or '')}</a> — {s['outlets']} "
            f"{'outlet' if s['outlets'] == 1 else 'outlets'}</li>" for s in topic["stories"]) + "</ul>")
    if not d.topics:
        parts.append("<p>No tagged stories in this window.</p>")
    if d.untagged:
        parts.append("<h3>Without a topic</h3><ul>" + "".join(
            f"<li><a dir='auto' href='{e(s['representative_url'] or '')}'>{e(s['title'] or '')}</a> — {s['outlets']} outlets</li>"
            for s in d.untagged) + "</ul>")
    parts.append("<h2>Feed health</h2>")
    parts.append("<ul>" + "".join(f"<li>{e(f['feed'])} ({e(f['status'])}, {f['error_streak']} errors in a row): "
                                  f"{e(f['last_error'] or '')}</li>" for f in d.feed_warnings) + "</ul>"
                 if d.feed_warnings else "<p>All feeds healthy.</p>")
    parts.append("<h2>Charts</h2>" + "".join(f"<p><img src='{e(c)}' alt='{e(c)}'></p>" for c in charts))
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{e(_heading(d))}</title><style>body{{font-family:system-ui,sans-serif;max-width:60rem;"
            "margin:1.5rem auto;color:#1d2733}} img{{max-width:100%}}</style></head><body>"
            + "".join(parts) + "</body></html>")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    return plt


def _volume_chart(volume: dict, path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=100)
    days = [d[5:] for d in volume.get("days", [])]
    positions = list(range(len(days)))
    for name, values in volume.get("series", {}).items():
        ax.plot(positions, values, marker="o", linewidth=1.8, label=name, color="#9aa5b1" if name == "other" else None)
    ax.set_xticks(positions, days)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title("New stories per topic per day")
    ax.set_ylabel("stories")
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    ax.grid(axis="y", alpha=0.3)
    if volume.get("series"):
        ax.legend(fontsize=7, ncol=2, loc="upper left", frameon=False)
    else:
        ax.text(0.5, 0.5, "no tagged stories", ha="center", va="center", transform=ax.transAxes)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def _spikes_chart(spikes: list[dict], path: Path) -> None:
    plt = _pyplot()
    shown = spikes[:12][::-1]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(shown) + 1.2), dpi=100)
    names = [f"{s['name']} ({s['kind']})" for s in shown]
    ax.barh(names, [s["last_24h"] for s in shown], color="#D55E00", label="stories, last 24 h")
    ax.scatter([s["daily_mean"] for s in shown], names, color="#0072B2", zorder=3, label="daily mean, 14 days before")
    ax.xaxis.get_major_locator().set_params(integer=True)  # stories are whole
    ax.set_title("Spikes")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
