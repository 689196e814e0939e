"""Run summaries: what one pipeline run did, plus the warehouse totals, as data and as text."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from wirewatch import warehouse
from wirewatch.db import Connection, connect, dict_cursor
from wirewatch.settings import Settings

LOGGER = logging.getLogger(__name__)

TOP_STORIES_QUERY = """
SELECT story_id, title, outlets, articles, array_to_string(outlet_names, ', ') AS outlet_names
FROM report_story_clusters
ORDER BY outlets DESC, articles DESC, first_seen_at
LIMIT %s
"""


@dataclass
class RunSummary:
    run_id: str
    stages: dict[str, Counter] = field(default_factory=dict)
    reasons: dict[str, Counter] = field(default_factory=dict)
    # Sites whose articles were not loaded, with the reasons (kinds) and how often.
    reasons_by_site: dict[str, Counter] = field(default_factory=dict)
    failing_feeds: list[dict] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    topics: list[dict] = field(default_factory=list)
    top_stories: list[dict] = field(default_factory=list)

    def count(self, stage: str, key: str) -> int:
        return int(self.stages.get(stage, Counter()).get(key, 0))


def run_summary(conn: Connection, run_id: str, *, top: int = 5) -> RunSummary:
    summary = RunSummary(run_id=run_id)
    for row in warehouse.run_stats(conn, run_id):
        stage = summary.stages.setdefault(row["stage"], Counter())
        reasons = summary.reasons.setdefault(row["stage"], Counter())
        for key, value in row["counts"].items():
            if key == "reasons":
                reasons.update(value)
            elif key == "reasons_by_site":
                for site, kinds in value.items():
                    summary.reasons_by_site.setdefault(site, Counter()).update(kinds)
            else:
                stage[key] += value
    with dict_cursor(conn) as cur:
        cur.execute("SELECT feed, url, status, error_streak, last_error FROM report_feed_health "
                    "WHERE status <> 'ok' ORDER BY feed")
        summary.failing_feeds = cur.fetchall()
        cur.execute("""SELECT
                (SELECT count(*) FROM feeds) AS feeds,
                (SELECT count(*) FROM articles) AS articles,
                (SELECT count(*) FROM articles WHERE status = 'extracted') AS extracted,
                (SELECT count(*) FROM stories) AS stories,
                (SELECT count(*) FROM report_story_clusters WHERE outlets > 1) AS multi_outlet_stories,
                (SELECT count(*) FROM report_conflict_events) AS events,
                (SELECT count(*) FROM report_conflict_events WHERE outlets > 1) AS multi_outlet_events""")
        summary.totals = dict(cur.fetchone())
        cur.execute("""SELECT topic_id, sum(stories) AS stories, sum(articles) AS articles
                       FROM report_topic_daily GROUP BY topic_id ORDER BY sum(stories) DESC, topic_id""")
        summary.topics = cur.fetchall()
        cur.execute(TOP_STORIES_QUERY, (top,))
        summary.top_stories = cur.fetchall()
    return summary


def format_summary(s: RunSummary) -> str:
    poll, fetch, extract, dedup, tag, events = (s.stages.get(k, Counter())
                                                for k in ("poll", "fetch", "extract", "dedup", "tag", "events"))
    lines = [
        f"wirewatch run {s.run_id}",
        "",
        f"Feeds polled      {poll['feeds_polled']:>6}   ok {poll['feeds_ok']}, not modified "
        f"{poll['feeds_not_modified']}, failed {poll['feeds_failed']}",
        f"Entries seen      {poll['entries_seen']:>6}   new articles {poll['articles_new']}, "
        f"already known {poll['articles_known']} (headline changed, fetched again: {poll['articles_changed']}), "
        f"skipped {poll['entries_skipped']}",
        f"Articles fetched  {sum(fetch.values()):>6}   pages stored {fetch['fetched']}, not pages "
        f"{fetch['rejected']}, failed {fetch['failed']}, retrying later {fetch['retrying']}",
        f"Extracted         {extract['extracted'] + extract['rejected'] + extract['failed']:>6}   articles {extract['extracted']} (flagged maybe not an "
        f"article: {extract['flagged_maybe_not_article']}), not articles {extract['rejected']}, "
        f"extractor errors {extract['failed']}",
        f"Deduplicated      {dedup['articles_deduped']:>6}   new stories {dedup['new_stories']}, "
        f"syndicated copies {dedup['syndicated_copies']}, exact duplicates {dedup['exact_duplicates']}, "
        f"same page as a stored article {dedup['same_page_merged']}",
        f"Tagged            {tag['articles_tagged']:>6}   topic links {tag['topic_links']}, "
        f"actor links {tag['actor_links']}, no topic {tag['articles_without_topic']} (of which in a language "
        f"the taxonomy has no phrases for: {tag['articles_untagged_language']}), topic links with "
        f"event facts (casualties or places) {tag['event_facts']}",
        f"Events            {events['reports_merged']:>6}   event reports merged: into new events {events['events_new']}, "
        f"into known events {events['events_updated']}; events recounted after a re-tag {events['events_recounted']}",
    ]
    if s.failing_feeds:
        lines += ["", "Feed problems:"]
        lines += [f"  - {f['feed']}: {f['last_error']} (streak {f['error_streak']})" for f in s.failing_feeds]
    untagged = s.reasons.get("tag", Counter())
    if untagged:
        lines += ["", "Not tagged with topics, by language:"]
        lines += [f"  {n:>4}  {reason}" for reason, n in untagged.most_common()]
    article_reasons = s.reasons.get("fetch", Counter()) + s.reasons.get("extract", Counter())
    if article_reasons:
        lines += ["", "Articles not loaded, by reason:"]
        lines += [f"  {n:>4}  {reason}" for reason, n in article_reasons.most_common()]
    if s.reasons_by_site:
        lines += ["", "Sites with articles not loaded (a site losing many may need a look):"]
        busiest = sorted(s.reasons_by_site.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        lines += [f"  {sum(kinds.values()):>4}  {site}: " + ", ".join(f"{kind} {n}" for kind, n in kinds.most_common())
                  for site, kinds in busiest[:SITES_SHOWN]]
    t = s.totals
    lines += ["", f"Warehouse: {t.get('feeds', 0)} feeds, {t.get('articles', 0)} articles "
                  f"({t.get('extracted', 0)} extracted), {t.get('stories', 0)} stories "
                  f"({t.get('multi_outlet_stories', 0)} carried by several outlets), {t.get('events', 0)} conflict "
                  f"events ({t.get('multi_outlet_events', 0)} reported by several outlets)"]
    if s.topics:
        lines += ["", "Topics (stories / articles):"]
        lines += [f"  {row['topic_id']:<24} {row['stories']:>4} / {row['articles']}" for row in s.topics]
    if s.top_stories:
        lines += ["", "Most widely carried stories (report_story_clusters):"]
        for row in s.top_stories:
            lines.append(f"  [{_plural(row['outlets'], 'outlet')}, {_plural(row['articles'], 'article')}] "
                         f"{row['title']}")
            lines.append(f"      {row['outlet_names']}")
    return "\n".join(lines)


def log_run_summary(run_id: str, settings: Settings | None = None) -> dict:
    """Log the run's summary (the report task) and return its headline counts."""
    settings = settings or Settings.from_env()
    with connect(settings.database_url) as conn:
        summary = run_summary(conn, run_id)
    for line in format_summary(summary).splitlines():
        LOGGER.info("%s", line)
    return {"run_id": run_id, **summary.totals}


SITES_SHOWN = 10


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
