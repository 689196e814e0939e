"""Extraction speed: bare trafilatura on one core vs wirewatch's extract stage on all cores.

    python bench/extract_speed.py [--set labelled|realpages] [--rounds 5] [--workers N] [--no-warehouse]

Over the same pages (the labelled set, bench/extraction/pages, or the real pages of
../shared/realpages with --set realpages), repeated --rounds times; the one-core timings of 1
and 2 alternate round by round, so that a machine's changing load hits both alike:
  1. bare `trafilatura.extract(html)`, default settings, one core (and in a pool of all cores);
  2. wirewatch's per-page work (`run_extract_job`: decompress the stored page, decode,
     repair, parse, trafilatura with metadata, clean, strip learned boilerplate, flags), one core;
  3. the same jobs through the extract step's process pool (`extract_pool`) on all cores,
     beside bare trafilatura in a process pool of the same size (the fair reference for it);
  4. the whole extract step against a scratch warehouse (`extract_articles`: claim pages,
     extract in the pool, save articles, learn site lines, commit), on all cores: on half the
     pages and on all, so that the difference gives the steady-state rate without the step's
     start-up (pool, imports, each worker's first page).
Per-core throughput = pages/s divided by the cores used. The one-time loading of the date and
language models (the first page a process extracts) is timed apart, before the rounds.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).parent / "extraction"))

import realpages  # noqa: E402
import trafilatura  # noqa: E402
from labelled import learned_boilerplate, load_pages  # noqa: E402

from wirewatch.extraction.runner import ExtractJob, extract_articles, extract_pool, run_extract_job  # noqa: E402
from wirewatch.settings import Settings  # noqa: E402
from wirewatch.warehouse import rawpages  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=("labelled", "realpages"), default="labelled", help="which pages (default labelled)")
    parser.add_argument("--rounds", type=int, default=5, help="times each page is extracted (default 5)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="pool size (default: all cores)")
    parser.add_argument("--no-warehouse", action="store_true", help="skip the run against a scratch database")
    args = parser.parse_args(argv)

    pages = bench_pages(args.set)
    work = pages * args.rounds
    n = len(work)
    megabytes = sum(len(p.body) for p in work) / 1e6
    print(f"{len(pages)} {args.set} pages x {args.rounds} rounds = {n} pages, {megabytes:.1f} MB of HTML; "
          f"{os.cpu_count()} cores, pool of {args.workers}")
    jobs = [ExtractJob(article_id=i, compressed_body=rawpages.compress(p.body), url=p.url,
                                content_type=p.content_type, summary=p.summary, feed_title=None, min_words=60,
                                boilerplate=p.boilerplate) for i, p in enumerate(pages)]
    start = time.perf_counter()
    run_extract_job(jobs[0])
    print(f"one-time loading (first page of a process, date and language models): "
          f"{time.perf_counter() - start:.2f} s")
    for page in pages[:5]:  # warm caches and lazy imports outside the timings
        trafilatura.extract(page.body)
    settings = dataclasses.replace(Settings.from_env(), extract_workers=args.workers)
    seconds = dict.fromkeys(("bare", "ours", "bare_pool", "ours_pool"), 0.0)
    with extract_pool(settings) as pool, ProcessPoolExecutor(args.workers) as bare_pool:
        warm = jobs[: args.workers * 8]  # every worker gets a chunk: models loaded outside the timings
        pool.map(run_extract_job, warm)
        list(bare_pool.map(trafilatura.extract, [p.body for p in pages[: args.workers * 8]], chunksize=4))
        bodies = [p.body for p in pages]
        for _ in range(args.rounds):  # alternating, so that the machine's changing load hits all alike
            seconds["bare"] += clock(lambda: [trafilatura.extract(body) for body in bodies])
            seconds["ours"] += clock(lambda: [run_extract_job(job) for job in jobs])
            seconds["bare_pool"] += clock(lambda: list(bare_pool.map(trafilatura.extract, bodies, chunksize=4)))
            seconds["ours_pool"] += clock(lambda: pool.map(run_extract_job, jobs))
    bare = report("bare trafilatura.extract, 1 core", n, 1, seconds["bare"])
    ours = report("wirewatch per-page work, 1 core", n, 1, seconds["ours"])
    bare_pooled = report(f"bare trafilatura.extract, pool of {args.workers}", n, args.workers, seconds["bare_pool"])
    pooled = report(f"wirewatch per-page work, pool of {args.workers}", n, args.workers, seconds["ours_pool"])
    print(f"\nwirewatch / bare trafilatura per core: {ours / bare:.2f} (1 core), {pooled / bare_pooled:.2f} "
          f"(pool of {args.workers} vs bare in a pool of {args.workers})")
    if not args.no_warehouse:
        # The step starts its pool (forkserver, imports, each worker's first page) on every run: timed
        # on a handful of pages, that start-up is taken out for the steady-state rate. Bare trafilatura
        # in a pool runs just before and just after it, as the reference of the same minutes.
        with ProcessPoolExecutor(args.workers) as bare_pool:
            list(bare_pool.map(trafilatura.extract, [p.body for p in pages[: args.workers * 8]], chunksize=4))
            bodies = [p.body for p in work]
            around = clock(lambda: list(bare_pool.map(trafilatura.extract, bodies, chunksize=4)))
            startup = warehouse_run(work[: args.workers * 4], settings)
            whole_seconds = warehouse_run(work, settings)
            around += clock(lambda: list(bare_pool.map(trafilatura.extract, bodies, chunksize=4)))
        reference = report(f"bare trafilatura.extract, pool of {args.workers}, around the step", 2 * n, args.workers,
                           around)
        whole = report(f"whole extract step with the warehouse, pool of {args.workers}", n, args.workers,
                       whole_seconds)
        steady = report("  the same without its start-up", n, args.workers, whole_seconds - startup)
        print(f"start-up of the step (pool, imports, first {args.workers * 4} pages): {startup:.2f} s")
        print(f"whole extract step / bare trafilatura in a pool, per core: {whole / reference:.2f}; "
              f"without its start-up: {steady / reference:.2f}")
    return 0


@dataclasses.dataclass(frozen=True)
class BenchPage:
    url: str
    body: bytes
    content_type: str
    summary: str | None
    boilerplate: frozenset[int]


def bench_pages(which: str) -> list[BenchPage]:
    if which == "realpages":
        return [BenchPage(p.url, p.body, realpages.CONTENT_TYPE, None, frozenset()) for p in realpages.load()]
    pages = load_pages()
    known = learned_boilerplate(pages)
    return [BenchPage(p.url, p.body, p.content_type, p.truth.get("summary"), known[(p.site, p.slug)]) for p in pages]


def report(label: str, pages: int, cores: int, seconds: float) -> float:
    rate = pages / seconds
    print(f"{label:<58} {seconds:>7.2f} s {rate:>8.1f} pages/s {rate / cores:>8.1f} pages/s/core")
    return rate / cores


def clock(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def warehouse_run(work, settings: Settings) -> float:
    """Load the pages as fetched articles into a scratch database; -> seconds `extract_articles` takes."""
    import psycopg2

    from wirewatch import migrations, warehouse
    from wirewatch.db import ensure_database
    from wirewatch.fetch.client import Download

    url = settings.database_url.rsplit("/", 1)[0] + f"/wirewatch_bench_extract_{os.getpid()}"
    ensure_database(url)
    try:
        with psycopg2.connect(url) as conn:
            migrations.migrate(conn, settings.sql_dir)
            for i, page in enumerate(work):
                # Each copy on a host of its own: copies of one page on one site would teach the
                # boilerplate learning that the whole page is boilerplate.
                parts = urlsplit(page.url)
                article_url = parts._replace(netloc=f"copy{i}.{parts.netloc}").geturl()
                with conn.cursor() as cur:
                    cur.execute("INSERT INTO articles (url, canonical_url) VALUES (%s, %s) RETURNING id",
                                (article_url, article_url))
                    article_id = cur.fetchone()[0]
                warehouse.save_fetched(conn, article_id, Download(
                    url=article_url, final_url=article_url, status=200, body=page.body,
                    headers={"content-type": page.content_type}))
        staged_settings = dataclasses.replace(settings, database_url=url)
        start = time.perf_counter()
        extract_articles(run_id="bench", settings=staged_settings)
        return time.perf_counter() - start
    finally:
        admin = psycopg2.connect(settings.database_url.rsplit("/", 1)[0] + "/postgres")
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    sys.exit(main())
