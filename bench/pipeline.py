"""End-to-end pipeline throughput: from queued article URL to a loaded, deduplicated, tagged row.

    python bench/pipeline.py [--articles 5000] [--hosts 200] [--latency-ms 0 200] [--host-delay 0.2]

Real pages (bench/pagefarm.py: ../shared/realpages served under many URLs on many loopback hosts,
so that copies exist, with a per-response latency as real fetches wait on the network) go
through the stages as `news_ingest` wires them, in-process and on a scratch warehouse:
  poll (not timed: it only queues the URLs) -> fetch (its shards in parallel, as the mapped tasks
  run on LocalExecutor) -> extract (all cores) -> dedup -> tag.
For each latency it prints the time and share of each stage and articles/s end to end. Beside it,
measured in the same run on the same pages: bare `trafilatura.extract` on all cores, the ceiling,
since extraction is the CPU-bound stage. The last line reads
`end-to-end: X articles/s, Y of the extraction ceiling` (for the last latency given).
With Airflow's CeleryExecutor the same work runs through a scheduler and workers: `make scale-test`
times that shape.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import psycopg2
import psycopg2.extensions

sys.path.insert(0, str(Path(__file__).parent))

import trafilatura  # noqa: E402
from pagefarm import PageFarm  # noqa: E402

from wirewatch import migrations, pipeline, warehouse  # noqa: E402
from wirewatch.db import connect, ensure_database  # noqa: E402
from wirewatch.feeds import FeedSpec  # noqa: E402
from wirewatch.settings import Settings  # noqa: E402

STAGES = ("fetch", "extract", "dedup", "tag")


def scratch_settings(base: Settings, name: str, host_delay: float) -> Settings:
    url = psycopg2.extensions.make_dsn(base.database_url, dbname=name)
    admin = psycopg2.extensions.make_dsn(base.database_url, dbname="postgres")
    with connect(admin, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    ensure_database(url)
    with connect(url) as conn:
        migrations.migrate(conn, base.sql_dir)
    return dataclasses.replace(base, database_url=url, allowed_networks=("127.0.0.0/8", "::1"),
                               host_delay_seconds=host_delay)


def drop(settings: Settings) -> None:
    name = psycopg2.extensions.parse_dsn(settings.database_url)["dbname"]
    admin = psycopg2.extensions.make_dsn(settings.database_url, dbname="postgres")
    with connect(admin, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def run_once(base: Settings, *, articles: int, hosts: int, latency_ms: float, host_delay: float) -> dict:
    settings = scratch_settings(base, f"wirewatch_bench_pipeline_{os.getpid()}", host_delay)
    try:
        with PageFarm(articles=articles, hosts=hosts, latency_ms=latency_ms) as farm:
            with connect(settings.database_url) as conn:
                warehouse.upsert_feeds(conn, [FeedSpec(**spec) for spec in farm.feed_specs()])
            for shard in pipeline.plan_poll(settings):
                pipeline.poll_feeds(shard["shard"], shard["shards"], run_id="bench", settings=settings)
            with connect(settings.database_url) as conn:
                queued = warehouse.count_queued_articles(conn)
            seconds = {}
            start = time.perf_counter()
            shards = pipeline.plan_fetch(settings)
            # The mapped fetch tasks run side by side (LocalExecutor, the wirewatch_http pool of 8).
            with ThreadPoolExecutor(min(8, len(shards)) or 1) as tasks:
                list(tasks.map(lambda s: pipeline.fetch_articles(s["shard"], s["shards"], run_id="bench",
                                                                 settings=settings), shards))
            seconds["fetch"] = time.perf_counter() - start
            for stage, run in (("extract", pipeline.extract_articles), ("dedup", pipeline.dedup_articles),
                               ("tag", pipeline.tag_articles)):
                began = time.perf_counter()
                run(run_id="bench", settings=settings)
                seconds[stage] = time.perf_counter() - began
        with connect(settings.database_url) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FILTER (WHERE status = 'extracted'), count(*) FILTER (WHERE tagged_at IS NOT "
                        "NULL), count(DISTINCT story_id), count(*) FILTER (WHERE status IN ('queued', 'fetched')) "
                        "FROM articles")
            extracted, tagged, stories, left = cur.fetchone()
    finally:
        drop(settings)
    return {"queued": queued, "seconds": seconds, "extracted": extracted, "tagged": tagged, "stories": stories,
            "left": left}


def extraction_ceiling(pages: list[bytes], workers: int) -> float:
    """Bare trafilatura.extract on all cores: pages per second (after one warm-up page per worker)."""
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(trafilatura.extract, pages[:workers * 2]))
        start = time.perf_counter()
        list(pool.map(trafilatura.extract, pages, chunksize=4))
        return len(pages) / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=5000, help="article URLs (default 5000)")
    parser.add_argument("--hosts", type=int, default=200, help="loopback hosts serving them (default 200)")
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0.0, 200.0],
                        help="per-response latencies to run (default: 0 200)")
    parser.add_argument("--host-delay", type=float, default=0.2,
                        help="seconds between two requests to one host (default 0.2; WIREWATCH_HOST_DELAY_SECONDS)")
    parser.add_argument("--ceiling-pages", type=int, default=600, help="pages timed for the extraction ceiling")
    args = parser.parse_args(argv)
    base = Settings.from_env()
    workers = os.cpu_count() or 1
    from pagefarm import load_pages

    pages = [p.body for p in load_pages()]
    print(f"{args.articles} articles from {len(pages)} real pages on {args.hosts} loopback hosts; host delay "
          f"{args.host_delay} s; {base.fetch_workers} fetch workers per task; {workers} cores")
    results = []
    for latency in args.latency_ms:
        result = run_once(base, articles=args.articles, hosts=args.hosts, latency_ms=latency,
                          host_delay=args.host_delay)
        ceiling = extraction_ceiling((pages * (args.ceiling_pages // len(pages) + 1))[:args.ceiling_pages], workers)
        total = sum(result["seconds"].values())
        rate = result["queued"] / total
        results.append((latency, rate, ceiling))
        print(f"\nlatency {latency:g} ms: {result['queued']} queued -> {result['extracted']} extracted, "
              f"{result['tagged']} tagged, {result['stories']} stories, {result['left']} left in the queue")
        for stage in STAGES:
            print(f"  {stage:<8} {result['seconds'][stage]:7.1f} s  {result['seconds'][stage] / total:6.1%}")
        print(f"  total    {total:7.1f} s  -> {rate:.1f} articles/s; bare trafilatura on {workers} cores: "
              f"{ceiling:.1f} pages/s (the ceiling)")
    if len(results) > 1:
        print(f"\nlatency {results[-1][0]:g} ms vs {results[0][0]:g} ms: {results[-1][1] / results[0][1]:.2f} of the "
              f"throughput")
    latency, rate, ceiling = results[-1]
    print(f"end-to-end: {rate:.1f} articles/s, {rate / ceiling:.2f} of the extraction ceiling")
    return 0


if __name__ == "__main__":
    sys.exit(main())
