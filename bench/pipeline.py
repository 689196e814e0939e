"""End-to-end pipeline throughput: from queued article URL to a loaded, deduplicated, tagged row.

    python bench/pipeline.py [--articles 5000] [--hosts 200] [--latency-ms 0 200] [--host-delay 0.2]

Real pages (bench/pagefarm.py: ../shared/realpages served under many URLs on many loopback hosts,
so that copies exist, with a per-response latency as real fetches wait on the network) go
through the stages as `news_ingest` wires them, in-process and on a scratch warehouse:
  poll (not timed: it only queues the URLs) -> fetch (its shards in parallel, as the mapped tasks
  run on LocalExecutor) beside extract_while_fetching (all cores) -> extract (what is left) ->
  dedup -> tag.
For each latency it prints the time and share of each stage (fetch and extraction together, as
they overlap, with the moment each ended) and articles/s end to end. Beside it,
measured in the same run on the same pages: bare `trafilatura.extract` on all cores, the ceiling,
since extraction is the CPU-bound stage. The last line reads
`end-to-end: X articles/s, Y of the extraction ceiling` (for the last latency given).
With --executors local,celery the same farm (same articles, hosts, latency and host delay) is also
run through Airflow itself, by scripts/scale_test.py (`make scale-test`): a scheduler with
LocalExecutor, and one with CeleryExecutor and its two workers (I/O and CPU queues), triggering
news_ingest until nothing is left. Those figures include what the in-process run leaves out: the
poll, task start-up and the scheduler's pauses between tasks. They are printed per executor as
articles/s and as a share of the ceiling measured around that run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import psycopg2
import psycopg2.extensions

sys.path.insert(0, str(Path(__file__).parent))

import trafilatura  # noqa: E402
from pagefarm import PageFarm  # noqa: E402

from wirewatch import migrations, warehouse  # noqa: E402
from wirewatch.db import connect, ensure_database  # noqa: E402
from wirewatch.dedup.runner import dedup_articles  # noqa: E402
from wirewatch.extraction.runner import extract_articles, extract_while_fetching  # noqa: E402
from wirewatch.feeds.lists import FeedSpec  # noqa: E402
from wirewatch.feeds.runner import plan_poll, poll_feeds  # noqa: E402
from wirewatch.fetch.runner import fetch_articles, plan_fetch  # noqa: E402
from wirewatch.settings import Settings  # noqa: E402
from wirewatch.tagging.runner import tag_articles  # noqa: E402

STAGES = ("fetch+extract", "extract rest", "dedup", "tag")
SCALE_TEST = Path(__file__).resolve().parents[1] / "scripts" / "scale_test.py"
AIRFLOW_TASKS = ("poll_feeds", "fetch_articles", "extract_while_fetching", "extract", "dedup", "tag")


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


def fetch_shard(task: tuple[int, int, Settings]) -> dict:
    """One mapped fetch task (in a process of its own)."""
    shard, shards, settings = task
    return fetch_articles(shard, shards, run_id="bench", settings=settings)


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
            for shard in plan_poll(settings):
                poll_feeds(shard["shard"], shard["shards"], run_id="bench", settings=settings)
            with connect(settings.database_url) as conn:
                queued = warehouse.count_queued_articles(conn)
            seconds = {}
            start = time.perf_counter()
            shards = plan_fetch(settings)
            # The mapped fetch tasks run side by side, each in a process of its own as LocalExecutor runs
            # them (the wirewatch_http pool of 8), not in this process, which also serves the farm;
            # extract_while_fetching runs beside them here, as its task does beside theirs.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["wirewatch.fetch.runner"])
            with ProcessPoolExecutor(min(8, len(shards)) or 1, mp_context=context) as tasks:
                running = [tasks.submit(fetch_shard, (s["shard"], s["shards"], settings)) for s in shards]
                ended = [start]
                for task in running:
                    task.add_done_callback(lambda _: ended.append(time.perf_counter()))
                extract_while_fetching(run_id="bench", settings=settings)
                extracting_ended = time.perf_counter()
                for task in running:
                    task.result()
            seconds["fetch+extract"] = time.perf_counter() - start
            ends = {"fetch": max(ended) - start, "extract_while_fetching": extracting_ended - start}
            for stage, run in (("extract rest", extract_articles), ("dedup", dedup_articles),
                               ("tag", tag_articles)):
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
    return {"queued": queued, "seconds": seconds, "ends": ends, "extracted": extracted, "tagged": tagged, "stories": stories,
            "left": left}


def extraction_ceiling(pages: list[bytes], workers: int) -> float:
    """Bare trafilatura.extract on all cores: pages per second (after one warm-up page per worker)."""
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(trafilatura.extract, pages[:workers * 2]))
        start = time.perf_counter()
        list(pool.map(trafilatura.extract, pages, chunksize=4))
        return len(pages) / (time.perf_counter() - start)


def run_airflow(executors: list[str], *, articles: int, hosts: int, latency_ms: float,
                host_delay: float) -> dict[str, dict]:
    """news_ingest over the page farm through Airflow with each executor (scripts/scale_test.py);
    its JSON summary per executor, or {} when the run failed (its output's tail is printed)."""
    with tempfile.TemporaryDirectory() as tmp:
        summary = Path(tmp) / "summary.json"
        command = [sys.executable, str(SCALE_TEST), "--executors", ",".join(executors), "--articles", str(articles),
                   "--hosts", str(hosts), "--pages", "0", "--latency-ms", str(latency_ms),
                   "--host-delay", str(host_delay), "--summary", str(summary), "--run-timeout", "3600"]
        process = subprocess.run(command, capture_output=True, text=True)
        if not summary.exists():
            print(f"  Airflow run failed (exit {process.returncode}):\n{process.stdout[-3000:]}{process.stderr[-2000:]}")
            return {}
        if process.returncode:
            print(f"  note: scale_test exited {process.returncode} (the warehouses differ?):\n{process.stdout[-1500:]}")
        return json.loads(summary.read_text())


def print_airflow(figures: dict[str, dict], ceiling: float) -> list[tuple[str, float]]:
    """One block per executor: run time, articles/s and its share of the ceiling, the tasks' wall spans."""
    rates = []
    for executor, figure in figures.items():
        seconds = figure["run_seconds"]
        rate = figure["articles"] / seconds
        rates.append((figure["executor"], rate))
        print(f"  {figure['executor']}: {figure['articles']} articles in {figure['runs']} news_ingest run(s), "
              f"{seconds:.1f} s from trigger to end -> {rate:.1f} articles/s, {rate / ceiling:.2f} of the ceiling")
        spans = ", ".join(f"{task} {figure['stages'][task]['seconds']:.1f} s" for task in AIRFLOW_TASKS
                          if task in figure["stages"])
        print(f"    task wall spans: {spans}")
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=5000, help="article URLs (default 5000)")
    parser.add_argument("--hosts", type=int, default=200, help="loopback hosts serving them (default 200)")
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0.0, 200.0],
                        help="per-response latencies to run (default: 0 200)")
    parser.add_argument("--host-delay", type=float, default=0.2,
                        help="seconds between two requests to one host (default 0.2; WIREWATCH_HOST_DELAY_SECONDS)")
    parser.add_argument("--ceiling-pages", type=int, default=600, help="pages timed for the extraction ceiling")
    parser.add_argument("--executors", default="",
                        help="also run the farm through Airflow with these executors: local, celery or "
                             "local,celery (scripts/scale_test.py; Redis on 127.0.0.1:6379 for celery)")
    parser.add_argument("--skip-in-process", action="store_true",
                        help="only the Airflow runs of --executors (with the ceiling beside them)")
    args = parser.parse_args(argv)
    executors = [e.strip() for e in args.executors.split(",") if e.strip()]
    if not set(executors) <= {"local", "celery"}:
        parser.error("--executors takes local, celery or local,celery")
    if args.skip_in_process and not executors:
        parser.error("--skip-in-process needs --executors")
    base = Settings.from_env()
    workers = os.cpu_count() or 1
    from pagefarm import load_pages

    pages = [p.body for p in load_pages()]
    print(f"{args.articles} articles from {len(pages)} real pages on {args.hosts} loopback hosts; host delay "
          f"{args.host_delay} s; {base.fetch_workers} fetch workers per task; {workers} cores")
    ceiling_pages = (pages * (args.ceiling_pages // len(pages) + 1))[:args.ceiling_pages]
    results = []
    for latency in args.latency_ms:
        if not args.skip_in_process:
            result = run_once(base, articles=args.articles, hosts=args.hosts, latency_ms=latency,
                              host_delay=args.host_delay)
            ceiling = extraction_ceiling(ceiling_pages, workers)
            total = sum(result["seconds"].values())
            rate = result["queued"] / total
            results.append((latency, rate, ceiling))
            print(f"\nlatency {latency:g} ms: {result['queued']} queued -> {result['extracted']} extracted, "
                  f"{result['tagged']} tagged, {result['stories']} stories, {result['left']} left in the queue")
            for stage in STAGES:
                print(f"  {stage:<14} {result['seconds'][stage]:7.1f} s  {result['seconds'][stage] / total:6.1%}")
            print(f"    (fetch ended at {result['ends']['fetch']:.1f} s, extract_while_fetching at "
                  f"{result['ends']['extract_while_fetching']:.1f} s)")
            print(f"  total          {total:7.1f} s  -> {rate:.1f} articles/s; bare trafilatura on {workers} cores: "
                  f"{ceiling:.1f} pages/s (the ceiling)")
        if executors:
            before = extraction_ceiling(ceiling_pages, workers)
            figures = run_airflow(executors, articles=args.articles, hosts=args.hosts, latency_ms=latency,
                                  host_delay=args.host_delay)
            ceiling = (before + extraction_ceiling(ceiling_pages, workers)) / 2
            print(f"\nlatency {latency:g} ms through Airflow (ceiling around the run: {ceiling:.1f} pages/s):")
            for executor, rate in print_airflow(figures, ceiling):
                if args.skip_in_process:
                    results.append((latency, rate, ceiling))
    if len(results) > 1 and not args.skip_in_process:
        print(f"\nlatency {results[-1][0]:g} ms vs {results[0][0]:g} ms: {results[-1][1] / results[0][1]:.2f} of the "
              f"throughput")
    latency, rate, ceiling = results[-1]
    print(f"end-to-end: {rate:.1f} articles/s, {rate / ceiling:.2f} of the extraction ceiling")
    return 0


if __name__ == "__main__":
    sys.exit(main())
