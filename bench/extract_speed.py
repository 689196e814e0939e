"""Extraction speed: bare trafilatura on one core vs wirewatch's extract stage on all cores.

    python bench/extract_speed.py [--rounds 5] [--workers N] [--no-warehouse]

Over the same pages (the labelled set, bench/extraction/pages, repeated --rounds times):
  1. bare `trafilatura.extract(html)`, default settings, one core;
  2. wirewatch's per-page work (`pipeline.run_extract_job`: decompress the stored page, decode,
     repair, parse, trafilatura with metadata, clean, strip learned boilerplate, flags), one core;
  3. the same jobs through the extract step's process pool (`pipeline.extract_pool`) on all cores;
  4. the whole extract step against a scratch warehouse (`pipeline.extract_articles`: claim pages,
     extract in the pool, save articles, learn site lines, commit), on all cores.
Per-core throughput = pages/s divided by the cores used.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "extraction"))

import trafilatura  # noqa: E402
from labelled import learned_boilerplate, load_pages  # noqa: E402

from wirewatch import pipeline, rawpages  # noqa: E402
from wirewatch.settings import Settings  # noqa: E402


def timed(label: str, pages: int, cores: int, run) -> float:
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    rate = pages / seconds
    print(f"{label:<58} {seconds:>7.2f} s {rate:>8.1f} pages/s {rate / cores:>8.1f} pages/s/core")
    return rate / cores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="times each page is extracted (default 5)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="pool size (default: all cores)")
    parser.add_argument("--no-warehouse", action="store_true", help="skip the run against a scratch database")
    args = parser.parse_args(argv)

    pages = load_pages()
    known = learned_boilerplate(pages)
    work = pages * args.rounds
    n = len(work)
    megabytes = sum(len(p.body) for p in work) / 1e6
    print(f"{len(pages)} labelled pages x {args.rounds} rounds = {n} pages, {megabytes:.1f} MB of HTML; "
          f"{os.cpu_count()} cores, pool of {args.workers}")
    jobs = [pipeline.ExtractJob(article_id=i, compressed_body=rawpages.compress(p.body), url=p.url,
                                content_type=p.content_type, summary=p.truth.get("summary"), min_words=60,
                                boilerplate=known[(p.site, p.slug)]) for i, p in enumerate(work)]
    for page in pages[:5]:  # warm caches and lazy imports outside the timings
        trafilatura.extract(page.body)
        pipeline.run_extract_job(jobs[0])

    bare = timed("bare trafilatura.extract, 1 core", n, 1, lambda: [trafilatura.extract(p.body) for p in work])
    ours = timed("wirewatch per-page work, 1 core", n, 1, lambda: [pipeline.run_extract_job(j) for j in jobs])
    settings = dataclasses.replace(Settings.from_env(), extract_workers=args.workers)
    with pipeline.extract_pool(settings) as pool:
        pool.map(pipeline.run_extract_job, jobs[: args.workers * 2])  # start the workers
        pooled = timed(f"wirewatch per-page work, pool of {args.workers}", n, args.workers,
                       lambda: pool.map(pipeline.run_extract_job, jobs))
    print(f"\nwirewatch / bare trafilatura per core: {ours / bare:.2f} (1 core), {pooled / bare:.2f} (pool)")
    if not args.no_warehouse:
        staged = warehouse_run(work, settings, args.workers)
        print(f"whole extract step / bare trafilatura per core: {staged / bare:.2f}")
    return 0


def warehouse_run(work, settings: Settings, workers: int) -> float:
    """Load the pages as fetched articles into a scratch database and time `extract_articles`."""
    import psycopg2

    from wirewatch import migrations, warehouse
    from wirewatch.db import ensure_database
    from wirewatch.fetch import Download

    url = settings.database_url.rsplit("/", 1)[0] + f"/wirewatch_bench_extract_{os.getpid()}"
    ensure_database(url)
    try:
        with psycopg2.connect(url) as conn:
            migrations.migrate(conn, settings.sql_dir)
            for i, page in enumerate(work):
                article_url = f"{page.url}?copy={i}"
                with conn.cursor() as cur:
                    cur.execute("INSERT INTO articles (url, canonical_url) VALUES (%s, %s) RETURNING id",
                                (article_url, article_url))
                    article_id = cur.fetchone()[0]
                warehouse.save_fetched(conn, article_id, Download(
                    url=article_url, final_url=page.url, status=200, body=page.body,
                    headers={"content-type": page.content_type}))
        staged_settings = dataclasses.replace(settings, database_url=url)
        return timed(f"whole extract step with the warehouse, pool of {workers}", len(work), workers,
                     lambda: pipeline.extract_articles(run_id="bench", settings=staged_settings))
    finally:
        admin = psycopg2.connect(settings.database_url.rsplit("/", 1)[0] + "/postgres")
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    sys.exit(main())
