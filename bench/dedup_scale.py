"""Dedup cost per article as the warehouse grows: 10k, 100k, 1M articles.

    python bench/dedup_scale.py [--sizes 10000 100000 1000000] [--probes 400] [--keep]

A scratch warehouse is grown in steps to each size with synthetic deduplicated articles: one
story each, seen-at times spread over 60 days, and 64 random LSH band keys each in
`article_bands` (what a stored signature looks like to the index: random 64-bit keys). Loading
is done server-side in bulk, then VACUUM ANALYZE, as a long-running warehouse would be.

At each size, `--probes` new articles are deduplicated one by one through the real stage
(`dedup_article`: fingerprint, advisory locks, claim, URL-key, exact and LSH lookups,
containment check, story assignment, band insert, story figures, commit). Probes come in pairs,
an original and a syndicated copy of it (a paragraph dropped, a new intro), so half of them go
through candidate verification. Generated texts are 450 words from a 6,000-word vocabulary.

Reported per size: the per-article cost of the warehouse work (lookup + insert: the stage minus
fingerprinting, which does not depend on the size), the whole stage per article, p50/p95, and
the sizes of article_bands, its index and the articles table.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import sys
import time
from datetime import datetime, timezone

import psycopg2

from wirewatch import migrations
from wirewatch.db import ensure_database
from wirewatch.dedup.runner import dedup_article
from wirewatch.dedup.similarity import BANDS, fingerprint
from wirewatch.settings import Settings
from wirewatch.text import text_fingerprint, word_count

WORDS = [f"w{n:04d}{'abcdefghij'[n % 10]}" for n in range(6000)]


def fake_text(rng: random.Random, words: int = 450) -> str:
    sentences = []
    while sum(len(s.split()) for s in sentences) < words:
        sentences.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 28))) + ".")
    return "\n".join(" ".join(sentences[i:i + 3]) for i in range(0, len(sentences), 3))


def syndicated_copy(text: str, n: int) -> str:
    paragraphs = text.split("\n")
    del paragraphs[len(paragraphs) // 2]
    return "\n".join([f"Desk {n} adds an introduction of its own here."] + paragraphs)


def grow(conn, start: int, end: int) -> float:
    """Add synthetic articles start+1..end with their stories and band rows. -> seconds."""
    began = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute("DROP INDEX IF EXISTS article_bands_key_idx")  # bulk load, then build the index once
        cur.execute(
            """INSERT INTO stories (id, first_seen_at, last_seen_at, articles, outlets)
               SELECT g, now() - (g %% 60) * interval '1 day', now() - (g %% 60) * interval '1 day', 1, 1
               FROM generate_series(%s + 1, %s) g""", (start, end))
        cur.execute(
            """INSERT INTO articles (id, canonical_url, url, outlet, status, title, text, text_hash, word_count,
                                     published_at, story_id, url_key, lsh_bands, shingle_count, deduped_at)
               SELECT g, 'https://bench' || (g %% 500) || '.example/a/' || g, 'https://bench' || (g %% 500)
                      || '.example/a/' || g, 'Outlet ' || (g %% 500), 'extracted', 'Synthetic ' || g, '',
                      md5(g::text), 450, now() - (g %% 60) * interval '1 day', g,
                      'https://bench' || (g %% 500) || '.example/a/' || g, '{}', 446, now()
               FROM generate_series(%s + 1, %s) g""", (start, end))
        cur.execute(
            """INSERT INTO article_bands (band_key, article_id)
               SELECT (((random() - 0.5) * 1.8e19))::bigint, g
               FROM generate_series(%s + 1, %s) g, generate_series(1, %s) b""", (start, end, BANDS))
        cur.execute("CREATE INDEX article_bands_key_idx ON article_bands (band_key, article_id)")
        cur.execute("SELECT setval('stories_id_seq', %s), setval('articles_id_seq', %s)", (end + 10**7, end + 10**7))
    conn.commit()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE articles")
        cur.execute("VACUUM ANALYZE article_bands")
        cur.execute("VACUUM ANALYZE stories")
    conn.autocommit = False
    return time.perf_counter() - began


def probe(conn, settings: Settings, rng: random.Random, pairs: int, round_no: int) -> tuple[list[float], list[float]]:
    """Deduplicate `pairs` originals and their copies one at a time. -> (stage ms, fingerprint ms)."""
    now = datetime.now(timezone.utc)
    rows = []
    with conn.cursor() as cur:
        for n in range(pairs):
            original = fake_text(rng)
            for k, text in enumerate((original, syndicated_copy(original, n))):
                url = f"https://probe{k}.example/r{round_no}/{n}"
                cur.execute(
                    """INSERT INTO articles (canonical_url, url, outlet, status, title, text, text_hash, word_count,
                                             published_at)
                       VALUES (%s, %s, %s, 'extracted', %s, %s, %s, %s, %s) RETURNING id""",
                    (url, url, f"Probe {k}", f"Probe {n}", text, text_fingerprint(text), word_count(text), now))
                rows.append({"id": cur.fetchone()[0], "canonical_url": url, "page_canonical_url": None,
                             "text": text, "text_hash": text_fingerprint(text), "seen_at": now})
    conn.commit()
    stage, prints = [], []
    for row in rows:
        began = time.perf_counter()
        fingerprint(row["text"])
        prints.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        outcome = dedup_article(conn, row, settings)
        stage.append((time.perf_counter() - began) * 1000)
        assert outcome in ("new", "near"), outcome
    with conn.cursor() as cur:
        cur.execute("""SELECT count(*) FILTER (WHERE similarity >= %s) FROM articles
                       WHERE canonical_url LIKE %s""", (settings.near_duplicate_containment, f"https://probe1.example/r{round_no}/%"))
        found = cur.fetchone()[0]
    if found != pairs:
        print(f"  warning: {pairs - found} of {pairs} copies not matched to their original")
    return stage, prints


def sizes(conn) -> str:
    with conn.cursor() as cur:
        cur.execute("""SELECT pg_size_pretty(pg_table_size('article_bands')),
                              pg_size_pretty(pg_indexes_size('article_bands')),
                              pg_size_pretty(pg_total_relation_size('articles'))""")
        table, index, articles = cur.fetchone()
    return f"article_bands {table} + index {index}; articles (all indexes) {articles}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                        help="warehouse sizes (articles) to measure at, ascending")
    parser.add_argument("--probes", type=int, default=400, help="articles deduplicated and timed at each size")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    args = parser.parse_args(argv)
    base = Settings.from_env()
    url = base.database_url.rsplit("/", 1)[0] + "/wirewatch_bench_dedup_scale"
    ensure_database(url)
    settings = dataclasses.replace(base, database_url=url)
    rng = random.Random(args.seed)
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        conn.commit()
        migrations.migrate(conn, settings.sql_dir)
        conn.commit()
        loaded = 0
        results = []
        print(f"{'articles':>10} {'load s':>8} {'lookup+insert ms':>17} {'p50':>6} {'p95':>6} "
              f"{'whole stage ms':>15} {'fingerprint ms':>15}")
        for round_no, size in enumerate(sorted(args.sizes)):
            load_seconds = grow(conn, loaded, size)
            loaded = size
            probe(conn, settings, rng, 20, round_no + 1000)  # warm-up, not counted
            stage, prints = probe(conn, settings, rng, args.probes // 2, round_no)
            warehouse_ms = [s - p for s, p in zip(stage, prints)]
            mean = statistics.fmean(warehouse_ms)
            results.append((size, mean))
            quantiles = statistics.quantiles(warehouse_ms, n=20)
            print(f"{size:>10,} {load_seconds:>8.1f} {mean:>17.2f} {statistics.median(warehouse_ms):>6.2f} "
                  f"{quantiles[18]:>6.2f} {statistics.fmean(stage):>15.2f} {statistics.fmean(prints):>15.2f}")
            print(f"{'':>10} {sizes(conn)}")
        smallest = results[0][1]
        for size, mean in results[1:]:
            print(f"cost at {size:,} / cost at {results[0][0]:,}: {mean / smallest:.2f}x")
    finally:
        conn.close()
        if not args.keep:
            admin = psycopg2.connect(base.database_url.rsplit("/", 1)[0] + "/postgres")
            admin.autocommit = True
            with admin.cursor() as cur:
                cur.execute("DROP DATABASE IF EXISTS wirewatch_bench_dedup_scale WITH (FORCE)")
            admin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
