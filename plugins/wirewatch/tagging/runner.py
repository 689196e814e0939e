"""The tag step's runner: topics, actors and event facts for every article not yet tagged with
the current taxonomy and gazetteer."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from wirewatch import warehouse
from wirewatch.db import connect
from wirewatch.settings import Settings
from wirewatch.stages import Counts, finish, settings_or_env
from wirewatch.tagging.actors import Gazetteer, load_gazetteer
from wirewatch.tagging.facts import event_facts
from wirewatch.tagging.matching import tokenize
from wirewatch.tagging.reports import event_reports
from wirewatch.tagging.topics import Taxonomy, load_taxonomy
from wirewatch.workers import SafePool, default_workers, overlapped_rounds

LOGGER = logging.getLogger(__name__)

TAG_BATCH = 200
TAG_CHUNK = 8
# A pathological text that has not been tagged after this long is given up (and reported).
TAG_ARTICLE_TIMEOUT = 60.0


def mark_for_retag(settings: Settings | None = None) -> int:
    """Make every extracted article due for tagging again. -> how many."""
    settings = settings_or_env(settings)
    with connect(settings.database_url) as conn:
        marked = warehouse.mark_for_retag(conn)
    LOGGER.info("%d articles marked for re-tagging", marked)
    return marked


@dataclass(frozen=True)
class TagJob:
    """One article to tag (in a pool worker), with the files and version the step loaded."""

    article: dict
    taxonomy_path: Path
    gazetteer_path: Path
    version: str


@dataclass(frozen=True)
class Tags:
    topics: list
    actors: list
    events: dict
    reports: list  # EventReports, one per ACLED-typed topic the article can place


@lru_cache(maxsize=1)
def _tagger(taxonomy_path: Path, gazetteer_path: Path) -> tuple[Taxonomy, Gazetteer, str]:
    """The taxonomy and gazetteer a pool worker tags with, loaded once per worker."""
    taxonomy, gazetteer = load_taxonomy(taxonomy_path), load_gazetteer(gazetteer_path)
    return taxonomy, gazetteer, f"{taxonomy.version}+{gazetteer.version}"


# The topic whose evidence is the article's casualty sentences.
CASUALTIES_TOPIC = "casualties"


def tag_article(article: dict, taxonomy: Taxonomy, gazetteer: Gazetteer) -> Tags:
    """Topics (with their event facts) and actors of one article."""
    tokens = tokenize(article["text"])  # one tokenization for topics and actors
    language = article["language"] or "unknown"
    # Only the phrase lists of the article's language apply; other languages get no topic.
    topics = taxonomy.tag(article["title"], article["text"], tokens=tokens, year=article["year"], language=language)
    actors = gazetteer.find(article["title"], article["text"], tokens=tokens)
    countries = frozenset(code for mention in actors if (code := gazetteer.actors[mention.actor_id].iso_code))
    events = {m.topic_id: event_facts(article["text"], m.evidence_spans, language=language,
                                      published=article["published"], countries=countries) for m in topics}
    by_id = {topic.id: topic for topic in taxonomy.topics}
    reports = [report for m in topics
               for report in event_reports(m, by_id[m.topic_id], title=article["title"], text=article["text"],
                                           language=language, published=article["published"], gazetteer=gazetteer,
                                           countries=countries)]
    toll = events.get(CASUALTIES_TOPIC)
    if reports and toll and toll.killed is not None and all(r.killed is None for r in reports):
        # The toll the article gives in sentences of its own ("21 people were killed") is its main event's.
        reports[0] = replace(reports[0], killed=toll.killed, killed_qualifier=toll.killed_qualifier,
                                         injured=reports[0].injured if reports[0].injured is not None else toll.injured,
                                         injured_qualifier=reports[0].injured_qualifier or toll.injured_qualifier)
    return Tags(topics, actors, events, reports)


def run_tag_job(job: TagJob) -> Tags | str:
    """Tag one article in a pool worker. -> its tags, or an error string."""
    try:
        taxonomy, gazetteer, version = _tagger(job.taxonomy_path, job.gazetteer_path)
        if version != job.version:
            return f"tagging error: the taxonomy or gazetteer changed during the run ({version}, not {job.version})"
        return tag_article(job.article, taxonomy, gazetteer)
    except Exception as exc:  # one article must not stop the step
        LOGGER.exception("tagging crashed on article %s", job.article["id"])
        return f"tagging error: {type(exc).__name__}: {exc}"[:500]


def tag_articles(*, run_id: str, settings: Settings | None = None) -> Counts:
    """Tag topics and actors on articles not yet tagged with the current taxonomy and gazetteer.

    More than one batch of them is tagged in a pool of worker processes (WIREWATCH_EXTRACT_WORKERS,
    all cores), each batch saved and committed while the pool tags the next (`overlapped_rounds`);
    a single batch is tagged in this process, since starting the pool costs more."""
    settings = settings_or_env(settings)
    taxonomy = load_taxonomy(settings.taxonomy_path)
    gazetteer = load_gazetteer(settings.gazetteer_path)
    # Editing either file makes every stored article due for re-tagging.
    version = f"{taxonomy.version}+{gazetteer.version}"
    counts: Counter = Counter()
    reasons: Counter = Counter()
    failed: set[int] = set()  # a tagging error: left untagged (and reported), not tried again this run

    def claim(conn) -> list[dict]:
        return warehouse.articles_to_tag(conn, version, TAG_BATCH, skip=failed)

    def save(conn, batch: list[dict], results: list) -> None:
        for article, tags in zip(batch, results):
            if isinstance(tags, str):
                failed.add(article["id"])
                reasons[tags] += 1
                LOGGER.error("article %s: %s", article["id"], tags)
                continue
            warehouse.save_tags(conn, article["id"], version, tags.topics, tags.actors, tags.events, tags.reports)
            counts["event_facts"] += sum(1 for e in tags.events.values() if e.killed or e.injured or e.places)
            counts["event_reports"] += len(tags.reports)
            counts["articles_tagged"] += 1
            counts["topic_links"] += len(tags.topics)
            counts["actor_links"] += len(tags.actors)
            counts["articles_without_topic"] += not tags.topics
            language = article["language"] or "unknown"
            if language not in taxonomy.rules:
                counts["articles_untagged_language"] += 1
                reasons[f"untagged: language {language}"] += 1
        LOGGER.info("tagged %d articles so far", counts["articles_tagged"])

    with connect(settings.database_url) as conn, connect(settings.database_url) as other_conn:
        warehouse.sync_taxonomy(conn, taxonomy, gazetteer)
        warehouse.record_taxonomy_version(conn, version, topics=len(taxonomy.topics), actors=len(gazetteer.actors))
        conn.commit()
        first = claim(conn)
        if len(first) < TAG_BATCH:  # all there is: no pool
            save(conn, first, [tag_article(article, taxonomy, gazetteer) for article in first])
            conn.commit()
        else:
            conn.rollback()  # the rounds claim it again
            with SafePool(default_workers(settings.extract_workers), item_timeout=TAG_ARTICLE_TIMEOUT,
                          on_error=lambda reason: f"tagging error: {reason}", preload=["wirewatch.tagging.runner"],
                          chunksize=TAG_CHUNK) as pool:
                overlapped_rounds((conn, other_conn), claim=claim,
                                  prepare=lambda _conn, batch: [TagJob(article, settings.taxonomy_path,
                                                                       settings.gazetteer_path, version)
                                                                for article in batch],
                                  work=lambda jobs: pool.map(run_tag_job, jobs), save=save)
    LOGGER.info("tagged with taxonomy version %s (topic phrase lists for %s)", version, ", ".join(taxonomy.languages))
    return finish(settings, run_id, "tag", 0, counts, reasons)
