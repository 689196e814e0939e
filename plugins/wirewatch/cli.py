"""wirewatch command line: a thin shell over the library. Each command's docstring is its --help."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import psycopg2
import psycopg2.errors

from wirewatch import migrations, warehouse
from wirewatch.airflow_home import AirflowSetupError, ensure_airflow_home
from wirewatch.config import ConfigError
from wirewatch.db import connect, ensure_database, redact_url
from wirewatch.settings import Settings, SettingsError

COMMANDS: dict[tuple[str, ...], Callable[[argparse.Namespace, Settings], int]] = {}


def command(*path: str, airflow: bool = False):
    """Register a command; `airflow=True`: it runs Airflow, which needs an Airflow home set up first."""
    def register(func):
        COMMANDS[path] = func
        func.needs_airflow = airflow
        return func
    return register


@command("db", "migrate")
def db_migrate(args: argparse.Namespace, settings: Settings) -> int:
    """Create the warehouse database if needed and apply pending migrations from sql/."""
    ensure_database(settings.database_url)
    with connect(settings.database_url) as conn:
        applied = migrations.migrate(conn, settings.sql_dir)
    print("\n".join(f"applied {name}" for name in applied) or "warehouse schema is up to date")
    return 0


@command("db", "status")
def db_status(args: argparse.Namespace, settings: Settings) -> int:
    """List the migrations and whether each is applied."""
    with connect(settings.database_url) as conn:
        done = migrations.applied(conn)
    for migration in migrations.discover(settings.sql_dir):
        print(f"{'applied' if migration.version in done else 'PENDING':<8} {migration.name}")
    return 0


@command("feeds", "import")
def feeds_import(args: argparse.Namespace, settings: Settings) -> int:
    """Add the feeds of a YAML or OPML feed list, or update their settings (poll state is kept).
    The whole file is validated first: an invalid file changes nothing."""
    from wirewatch.feeds.lists import load_feed_list
    from wirewatch.feeds.opml import read_opml

    path = Path(args.file)
    specs = read_opml(path) if _is_opml(path) else load_feed_list(path)
    with connect(settings.database_url) as conn:
        added, updated = warehouse.upsert_feeds(conn, specs)
    print(f"{len(specs)} feeds in {args.file}: {added} added, {updated} updated")
    return 0


@command("feeds", "check")
def feeds_check(args: argparse.Namespace, settings: Settings) -> int:
    """Validate a YAML or OPML feed list offline, without the warehouse or the network: keys and
    types, outlets, ISO 639-1 languages, public http(s) addresses, duplicates (also once normalised).
    Prints the feeds per language and whether the taxonomy reads that language; exits 1 on problems."""
    from wirewatch.feeds.lists import check_feeds, load_feed_list
    from wirewatch.feeds.opml import read_opml
    from wirewatch.tagging.topics import load_taxonomy

    path = Path(args.file)
    report = check_feeds(read_opml(path) if _is_opml(path) else load_feed_list(path), path)
    languages = load_taxonomy(settings.taxonomy_path).languages
    enabled = sum(spec.enabled for spec in report.feeds)
    outlets = len({spec.outlet for spec in report.feeds if spec.outlet})
    print(f"{path}: {len(report.feeds)} feeds ({enabled} enabled) from {outlets} outlets")
    for language, count in report.by_language().items():
        note = "" if language in languages else "   (no phrase lists: its articles get no topics)"
        print(f"  {language:<3} {count:>4}{note}")
    for problem in report.problems:
        print(f"problem: {problem}", file=sys.stderr)
    if report.problems:
        print(f"{len(report.problems)} problems", file=sys.stderr)
        return 1
    print("ok")
    return 0


def _is_opml(path: Path) -> bool:
    if path.suffix.lower() in (".opml", ".xml"):
        return True
    with path.open("rb") as handle:
        return handle.read(512).lstrip().startswith(b"<")


@command("feeds", "export")
def feeds_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write every feed and its settings as a YAML or OPML feed list (to stdout, or FILE)."""
    from wirewatch.feeds.lists import dump_feed_list
    from wirewatch.feeds.opml import write_opml

    with connect(settings.database_url) as conn:
        feeds = warehouse.export_feeds(conn)
    text = write_opml(feeds) if args.format == "opml" else dump_feed_list(feeds)
    if args.file:
        Path(args.file).write_text(text, encoding="utf-8")
        print(f"{len(feeds)} feeds written to {args.file}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


@command("feeds", "enable")
def feeds_enable(args: argparse.Namespace, settings: Settings) -> int:
    """Enable a feed by id (clears an automatic disable and its failure streaks; polled at the next run)."""
    return _set_enabled(args.id, True, settings)


@command("feeds", "disable")
def feeds_disable(args: argparse.Namespace, settings: Settings) -> int:
    """Disable a feed by id: it is no longer polled; its articles stay."""
    return _set_enabled(args.id, False, settings)


def _set_enabled(feed_id: int, enabled: bool, settings: Settings) -> int:
    with connect(settings.database_url) as conn:
        row = warehouse.set_feed_enabled(conn, feed_id, enabled)
    if row is None:
        print(f"error: no feed with id {feed_id} (see `wirewatch feeds list`)", file=sys.stderr)
        return 1
    print(f"feed {row['id']} ({row['name']}, {row['url']}) {'enabled' if enabled else 'disabled'}")
    return 0


@command("feeds", "discover")
def feeds_discover(args: argparse.Namespace, settings: Settings) -> int:
    """Find the feeds of a site from its page URL (declared <link rel=alternate> feeds, else common paths)."""
    from wirewatch.feeds.discovery import discover
    from wirewatch.fetch.client import HttpClient

    try:
        found = discover(args.url, HttpClient(settings), settings)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for feed in found:
        print(f"{feed.url}\t{feed.format}, {feed.entries} entries, {feed.how}: {feed.title or ''}")
    if not found:
        print(f"no feeds found at {args.url}", file=sys.stderr)
        return 1
    return 0


@command("feeds", "list")
def feeds_list(args: argparse.Namespace, settings: Settings) -> int:
    """Show every feed with its health (the report_feed_health view)."""
    with connect(settings.database_url) as conn:
        rows = warehouse.list_feeds(conn)
    for row in rows:
        print(f"{row['feed_id']:>5}  {row['status']:<13} {row['feed'][:40]:<40} {row['url']}")
        if row["disabled_reason"]:
            print(f"{'':>20}disabled: {row['disabled_reason']}")
        if row["last_error"]:
            print(f"{'':>20}last error: {row['last_error']}")
    print(f"{len(rows)} feeds")
    return 0


@command("feeds", "poll-now")
def feeds_poll_now(args: argparse.Namespace, settings: Settings) -> int:
    """Make every enabled feed due, so the next news_ingest run polls it."""
    with connect(settings.database_url) as conn:
        print(f"{warehouse.make_feeds_due(conn)} feeds made due")
    return 0


@command("topics", "check")
def topics_check(args: argparse.Namespace, settings: Settings) -> int:
    """Validate the topic taxonomy and the actors gazetteer."""
    from wirewatch.tagging.actors import load_gazetteer
    from wirewatch.tagging.topics import load_taxonomy

    taxonomy = load_taxonomy(settings.taxonomy_path)
    gazetteer = load_gazetteer(settings.gazetteer_path)
    print(f"{settings.taxonomy_path}: {len(taxonomy.topics)} topics, version {taxonomy.version}, "
          f"phrase lists for {', '.join(taxonomy.languages)}")
    print(f"{settings.gazetteer_path}: {len(gazetteer.actors)} actors")
    return 0


@command("topics", "try")
def topics_try(args: argparse.Namespace, settings: Settings) -> int:
    """Tag a text file with the current taxonomy and print topics, evidence and actors."""
    from wirewatch.extraction.extract import clean_text
    from wirewatch.extraction.pagemeta import language_of
    from wirewatch.tagging.actors import load_gazetteer
    from wirewatch.tagging.topics import load_taxonomy

    text = clean_text(Path(args.file).read_text(encoding="utf-8")).text
    language = args.language or language_of(None, text)
    taxonomy = load_taxonomy(settings.taxonomy_path)
    if language not in taxonomy.rules:
        print(f"language {language}: the taxonomy has no phrase lists for it ({', '.join(taxonomy.languages)}); "
              "no topics")
    for match in taxonomy.tag(args.title, text, language=language):
        print(f"{match.topic_id:<24} score {match.score:<4g} {match.evidence[:100]}")
    for mention in load_gazetteer(settings.gazetteer_path).find(args.title, text):
        print(f"  actor {mention.actor_id:<16} x{mention.mentions}{'  (title/lead)' if mention.in_title else ''}")
    return 0


@command("reprocess",)
def reprocess(args: argparse.Namespace, settings: Settings) -> int:
    """Re-extract stored pages with the current extractor, without refetching, then re-run dedup and
    tagging on what changed. Pages are kept for WIREWATCH_RAW_PAGE_RETENTION_DAYS (default 30)."""
    from datetime import datetime, timezone

    from wirewatch.dedup.runner import dedup_articles
    from wirewatch.extraction.runner import extract_articles, mark_for_reprocess
    from wirewatch.tagging.runner import tag_articles

    since = datetime.fromisoformat(args.since).replace(tzinfo=timezone.utc) if args.since else None
    statuses = tuple(args.status or ("extracted", "rejected", "failed"))
    marked = mark_for_reprocess(site=args.site, since=since, statuses=statuses, settings=settings)
    print(f"{marked} stored pages marked for re-extraction")
    if args.mark_only or not marked:
        return 0
    run_id = f"reprocess__{datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%S}"
    extracted = extract_articles(run_id=run_id, settings=settings)
    deduped = dedup_articles(run_id=run_id, settings=settings)
    tagged = tag_articles(run_id=run_id, settings=settings)
    print(f"re-extracted {extracted['extracted']} articles ({extracted['rejected']} now not articles, "
          f"{extracted['failed']} extractor errors); {deduped['articles_deduped']} re-deduplicated, "
          f"{tagged['articles_tagged']} re-tagged")
    return 0


@command("retag",)
def retag(args: argparse.Namespace, settings: Settings) -> int:
    """Re-tag stored articles with the current taxonomy and gazetteer, without refetching: every
    article tagged with another taxonomy version, or with --all every extracted article."""
    from datetime import datetime, timezone

    from wirewatch.tagging.runner import mark_for_retag, tag_articles

    if args.all:
        print(f"{mark_for_retag(settings)} articles marked for re-tagging")
    tagged = tag_articles(run_id=f"retag__{datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%S}", settings=settings)
    print(f"{tagged['articles_tagged']} articles tagged: {tagged['topic_links']} topic links, "
          f"{tagged['actor_links']} actor links, {tagged['articles_without_topic']} without a topic")
    return 0


@command("digest",)
def digest(args: argparse.Namespace, settings: Settings) -> int:
    """Write the digest (main conflict events, top stories per topic, spikes, feed warnings, topic
    volume; HTML, Markdown and PNG charts) of the last day, or of --days days up to --until, into
    --out (default $WIREWATCH_DIGEST_DIR, .local/digests). The news_digest DAG writes the same."""
    from datetime import datetime, timezone

    from wirewatch.reporting.digest import render_digest

    until = None
    if args.until:
        until = datetime.fromisoformat(args.until)
        until = until if until.tzinfo else until.replace(tzinfo=timezone.utc)
    rendered = render_digest(settings, until=until, days=args.days, out_dir=args.out)
    print(f"{rendered['subject']}: {rendered['stories']} new stories, {rendered['topics']} topics, "
          f"{rendered['spikes']} spikes, {rendered['events']} main events, {rendered['feed_warnings']} feed warnings")
    for key in ("html", "markdown"):
        print(f"  {rendered[key]}")
    for chart in rendered["charts"]:
        print(f"  {chart}")
    return 0


@command("export", "acled")
def export_acled(args: argparse.Namespace, settings: Settings) -> int:
    """Write the conflict events as CSV in ACLED's columns (the report_acled_events view), ordered by
    event date, to stdout or --out FILE; --since and --until (YYYY-MM-DD, inclusive) limit the dates."""
    from wirewatch.reporting.export import write_acled_csv

    if args.since and args.until and args.since > args.until:
        print(f"error: --since {args.since} is after --until {args.until}", file=sys.stderr)
        return 2
    with connect(settings.database_url) as conn:
        if not args.out:
            write_acled_csv(conn, sys.stdout, since=args.since, until=args.until)
            return 0
        partial = args.out.with_name(f".{args.out.name}.partial")  # no half-written FILE if the query fails
        try:
            with partial.open("w", encoding="utf-8", newline="") as out:
                count = write_acled_csv(conn, out, since=args.since, until=args.until)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(args.out)
    print(f"{count} events written to {args.out}", file=sys.stderr)
    return 0


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


@command("prune",)
def prune(args: argparse.Namespace, settings: Settings) -> int:
    """Delete, in batches, what is past its retention: raw pages, poll history, one-off site lines, and
    the LSH band rows of articles older than the dedup window; then VACUUM (ANALYZE). Articles,
    stories and tags are kept. The wirewatch_maintenance DAG runs the same daily."""
    from wirewatch import retention

    removed = retention.prune(settings)
    print(", ".join(f"{kind.replace('_', ' ')}: {n}" for kind, n in removed.items()))
    if not args.no_vacuum:
        print(f"vacuumed and analyzed: {', '.join(retention.vacuum(settings))}")
    return 0


@command("summary",)
def summary(args: argparse.Namespace, settings: Settings) -> int:
    """Print what a pipeline run did (default: the latest run) and the warehouse totals."""
    from wirewatch.reporting.report import format_summary, run_summary

    with connect(settings.database_url) as conn:
        run_id = args.run_id or warehouse.latest_run_id(conn)
        if run_id is None:
            print("no pipeline run recorded yet")
            return 1
        print(format_summary(run_summary(conn, run_id)))
    return 0


@command("demo", airflow=True)
def demo(args: argparse.Namespace, settings: Settings) -> int:
    """Run news_ingest once, offline, over the bundled demo corpus and print a summary."""
    from wirewatch.demo import run_demo

    return run_demo(settings, port=args.port, verbose=args.verbose)


@command("demo", "serve")
def demo_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the demo corpus on 127.0.0.1 and load its feeds, until interrupted (for `make airflow`)."""
    import time

    from wirewatch.demo import CorpusServer, import_demo_feeds, prepare_warehouse

    prepare_warehouse(settings)
    with CorpusServer(port=args.port) as server:
        count = import_demo_feeds(settings, server.base_url)
        print(f"demo corpus on {server.base_url}; {count} demo feeds loaded and due", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wirewatch",
        description="wirewatch: news monitoring pipeline. The warehouse is $WIREWATCH_DATABASE_URL.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    groups = parser.add_subparsers(dest="group", metavar="COMMAND", required=True)
    subparsers: dict[str, argparse._SubParsersAction] = {}
    for path, func in COMMANDS.items():
        doc = (func.__doc__ or "").strip()
        if len(path) == 1:
            cmd = groups.add_parser(path[0], help=doc, description=doc)
            if path[0] == "demo":
                cmd.add_argument("--port", type=int, default=_demo_port(), help="corpus server port")
                sub = cmd.add_subparsers(dest="action", metavar="ACTION")
                subparsers["demo"] = sub
            cmd.set_defaults(func=func)
        else:
            group, action = path
            if group not in subparsers:
                group_parser = groups.add_parser(group, help=f"{group} commands")
                subparsers[group] = group_parser.add_subparsers(dest="action", metavar="ACTION", required=True)
            cmd = subparsers[group].add_parser(action, help=doc, description=doc)
            cmd.set_defaults(func=func)
        ARGUMENTS.get(path, lambda p: None)(cmd)
    return parser


def _demo_port() -> int:
    from wirewatch.demo import DEFAULT_DEMO_PORT

    return int(os.environ.get("WIREWATCH_DEMO_PORT", DEFAULT_DEMO_PORT))


ARGUMENTS: dict[tuple[str, ...], Callable[[argparse.ArgumentParser], None]] = {
    ("feeds", "import"): lambda p: p.add_argument("file", help="YAML (see config/feeds.yaml) or OPML feed list"),
    ("feeds", "check"): lambda p: p.add_argument("file", help="YAML (see config/feeds.yaml) or OPML feed list"),
    ("feeds", "export"): lambda p: (p.add_argument("file", nargs="?", help="output file (default: stdout)"),
                                    p.add_argument("--format", choices=("yaml", "opml"), default="yaml")),
    ("feeds", "enable"): lambda p: p.add_argument("id", type=int, help="feed id (see `wirewatch feeds list`)"),
    ("feeds", "disable"): lambda p: p.add_argument("id", type=int, help="feed id (see `wirewatch feeds list`)"),
    ("feeds", "discover"): lambda p: p.add_argument("url", help="a site's home page or any page of it"),
    ("topics", "try"): lambda p: (p.add_argument("file", help="text file to tag"),
                                  p.add_argument("--title", default=None, help="headline to tag with it"),
                                  p.add_argument("--language", default=None,
                                                 help="ISO 639-1 code of the text (default: detected)")),
    ("reprocess",): lambda p: (
        p.add_argument("--site", help="only this site (host name, with or without www.)"),
        p.add_argument("--since", help="only pages fetched on or after this date (YYYY-MM-DD)"),
        p.add_argument("--status", action="append", choices=("extracted", "rejected", "failed"),
                       help="only articles in this status (repeatable; default: all three)"),
        p.add_argument("--mark-only", action="store_true",
                       help="only mark; the next news_ingest or wirewatch_reprocess run extracts them")),
    ("retag",): lambda p: p.add_argument("--all", action="store_true",
                                         help="re-tag every extracted article, not only those tagged with "
                                              "another taxonomy version (e.g. after editing config/actors.yaml)"),
    ("digest",): lambda p: (
        p.add_argument("--days", type=int, default=1, help="how many days the digest covers (default: 1)"),
        p.add_argument("--until", help="end of the window, ISO date or time, UTC unless given (default: now)"),
        p.add_argument("--out", type=Path, default=None, help="folder to write into (default: $WIREWATCH_DIGEST_DIR)")),
    ("export", "acled"): lambda p: (
        p.add_argument("--since", type=_iso_date, metavar="DATE", help="only events on or after this date (YYYY-MM-DD)"),
        p.add_argument("--until", type=_iso_date, metavar="DATE", help="only events on or before this date (YYYY-MM-DD)"),
        p.add_argument("--out", type=Path, default=None, metavar="FILE",
                       help="CSV file to write (default: stdout)")),
    ("prune",): lambda p: p.add_argument("--no-vacuum", action="store_true", help="skip VACUUM (ANALYZE)"),
    ("summary",): lambda p: p.add_argument("run_id", nargs="?", help="Airflow run id (default: latest)"),
    ("demo", "serve"): lambda p: p.add_argument("--port", type=int, default=_demo_port(),
                                                help="corpus server port"),
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not args.verbose:
        logging.getLogger("airflow").setLevel(logging.WARNING)
        logging.getLogger("pymorphy3").setLevel(logging.WARNING)  # its dictionary-loading lines
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        if args.func.needs_airflow:
            ensure_airflow_home()  # before Airflow is imported: it reads its configuration then
        return args.func(args, settings)
    except (ConfigError, migrations.MigrationError, AirflowSetupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (psycopg2.errors.UndefinedTable, psycopg2.errors.UndefinedColumn) as exc:
        print(f"error: the warehouse schema is older than this code ({str(exc).splitlines()[0]}).\n"
              "Run `wirewatch db migrate` (or `make migrate`).", file=sys.stderr)
        return 2
    except psycopg2.OperationalError as exc:
        reason = redact_url(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                            settings.database_url)
        print(f"error: cannot use the warehouse at {redact_url(settings.database_url)}: {reason} "
              "(set WIREWATCH_DATABASE_URL, or run `make migrate` to bootstrap one)", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
