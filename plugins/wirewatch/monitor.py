"""The monitoring page shown inside the Airflow UI (mounted by plugins/wirewatch_monitor.py).

Read-only views of the warehouse: the last run's summary, feed health, article outcomes,
extraction quality and learned boilerplate per site, and the most widely carried stories, as HTML
and as JSON (under /api/…).
"""

from __future__ import annotations

import html
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from wirewatch import warehouse
from wirewatch.db import connect, dict_cursor
from wirewatch.report import format_summary, run_summary
from wirewatch.settings import Settings

QUERIES = {
    "feeds": "SELECT feed, outlet, status, error_streak, last_error, last_success_at, next_poll_at, url "
             "FROM report_feed_health ORDER BY (status = 'ok'), error_streak DESC, feed",
    "outcomes": "SELECT status, reason, articles, latest FROM report_article_outcomes ORDER BY status, articles DESC",
    "quality": "SELECT site, articles, clean, paywall_teaser, mojibake, consent_text, short, wire_copies, avg_words "
               "FROM report_extraction_quality ORDER BY articles DESC, site",
    "boilerplate": "SELECT site, sample, articles, share, last_seen FROM site_boilerplate "
                   "ORDER BY site, articles DESC LIMIT 100",
    "stories": "SELECT title, outlets, articles, first_seen_at, array_to_string(topics, ', ') AS topics "
               "FROM report_story_clusters ORDER BY last_seen_at DESC, outlets DESC LIMIT 50",
}

STYLE = """body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1d2733}
table{border-collapse:collapse;margin-bottom:2rem;font-size:.9rem}
th,td{border-bottom:1px solid #dde3ea;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f2f5f8} pre{background:#f7f9fb;padding:1rem;overflow:auto} .failing{color:#b3261e}"""


def create_app(settings_factory: Callable[[], Settings] = Settings.from_env) -> FastAPI:
    app = FastAPI(title="wirewatch monitor", description="Read-only views of the wirewatch warehouse.")

    def fetch(name: str) -> list[dict]:
        with connect(settings_factory().database_url) as conn, dict_cursor(conn) as cur:
            cur.execute(QUERIES[name])
            return cur.fetchall()

    @app.get("/api/{view}")
    def api(view: str) -> list[dict]:
        if view not in QUERIES:
            return []
        return fetch(view)

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        with connect(settings_factory().database_url) as conn:
            run_id = warehouse.latest_run_id(conn)
            summary = format_summary(run_summary(conn, run_id)) if run_id else "No pipeline run recorded yet."
        sections = [f"<h2>Last run</h2><pre>{html.escape(summary)}</pre>"]
        for title, name in (("Feed health", "feeds"), ("Article outcomes", "outcomes"),
                            ("Extraction quality by site", "quality"), ("Learned site boilerplate", "boilerplate"),
                            ("Latest stories", "stories")):
            sections.append(f"<h2>{title}</h2>{_table(fetch(name))}")
        return (f"<!doctype html><html><head><meta charset='utf-8'><title>wirewatch</title><style>{STYLE}</style>"
                f"</head><body><h1>wirewatch</h1>{''.join(sections)}</body></html>")

    return app


def _table(rows: list[dict]) -> str:
    if not rows:
        return "<p>Nothing yet.</p>"
    head = "".join(f"<th>{html.escape(col)}</th>" for col in rows[0])
    body = "".join(
        f"<tr class='{'failing' if row.get('status') == 'failing' else ''}'>"
        + "".join(f"<td>{html.escape('' if value is None else str(value))}</td>" for value in row.values())
        + "</tr>"
        for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"
