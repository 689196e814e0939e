"""Benchmark one poll cycle over a loopback farm of synthetic feeds.

    python bench/poll.py --feeds 1000
    python bench/poll.py --feeds 50000 --not-modified 0.8

A farm process serves N feeds (20-100 entries each, ~250-600 bytes per entry) over HTTP/1.1 with
keep-alive; a share of them answers 304 to the validators the warehouse holds, the rest return a
changed body whose entries are all new (the expensive case). The warehouse is a fresh database
with the N feeds due. The poll cycle is the library's own code path, `poll_feeds`, run as
one process per shard, as Airflow runs the mapped poll tasks. Prints feeds/s, entries/s, wall time,
CPU time and peak memory of the pollers, and feedparser's share of the work.

Machines (and one machine from minute to minute) differ 2x in speed, so two references are
measured in the same run, half before the poll cycle and half after, and the figures are also
given as ratios to them:
- the feedparser floor: bare `feedparser.parse`'s CPU time on a sample of the changed bodies,
  times the changed feeds, spread over the poll processes: the wall time of a cycle that did
  nothing but parse, on an idle machine (the pollers also canonicalise each entry's URL, and
  write to PostgreSQL, which shares the cores); and the loaded floor: the same parsing in as
  many processes at once, timed by the clock, for a machine that other work keeps busy;
- a bare 304: a conditional GET answered 304 by the same farm, one after another on one
  keep-alive connection with http.client (no checks, no parsing, no warehouse): its CPU time
  against the pollers' CPU per feed beyond feedparser (the HTTP, the checks, the claims, the
  writes, each entry's URL canonicalisation).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import multiprocessing
import os
import resource
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))

import feedparser  # noqa: E402
import psycopg2  # noqa: E402
import psycopg2.extras  # noqa: E402

from wirewatch import migrations  # noqa: E402
from wirewatch.db import ensure_database  # noqa: E402
from wirewatch.feeds.runner import poll_feeds  # noqa: E402
from wirewatch.settings import Settings  # noqa: E402

WORDS = ("troops missile ceasefire sanctions drone envoy ministry border talks aid artillery convoy "
         "parliament briefing statement officials region capital forces strike pledge").split()
START = datetime(2024, 11, 28, 12, 0, tzinfo=timezone.utc)


def entry_count(feed: int) -> int:
    return 20 + (feed * 7919) % 81  # 20..100, spread evenly


def answers_304(feed: int, not_modified: float) -> bool:
    return (feed * 2654435761 % 1000) / 1000 < not_modified


def feed_body(feed: int, port: int) -> bytes:
    items = []
    for n in range(entry_count(feed)):
        words = " ".join(WORDS[(feed + n + k) % len(WORDS)] for k in range(30 + (feed + n) % 40))
        published = (START - timedelta(minutes=37 * n + feed % 60)).strftime("%a, %d %b %Y %H:%M:%S GMT")
        link = f"http://127.0.0.1:{port}/a/{feed}/{n}.html"
        items.append(f"<item><title>Feed {feed} story {n}: {words[:60]}</title><link>{link}</link>"
                     f"<guid isPermaLink='true'>{link}</guid><pubDate>{published}</pubDate>"
                     f"<description>{words}</description></item>")
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Feed {feed}</title>"
            f"<link>http://127.0.0.1:{port}/</link><description>synthetic</description>{''.join(items)}"
            "</channel></rss>").encode()


# --- the farm: a small asyncio HTTP/1.1 server in its own process ------------------------------

async def _serve_connection(reader, writer, port: int, not_modified: float) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            feed = int(path.rsplit("/", 1)[1].split(".")[0])
            etag = f'"v{feed}"'
            if answers_304(feed, not_modified) and headers.get("if-none-match") == etag:
                writer.write(f"HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nContent-Length: 0\r\n\r\n".encode())
            else:
                body = feed_body(feed, port)
                writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n"
                             f"ETag: \"w{feed}\"\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def run_farm(port_queue, not_modified: float) -> None:
    async def main():
        holder = {}
        server = await asyncio.start_server(
            lambda r, w: _serve_connection(r, w, holder["port"], not_modified), "127.0.0.1", 0, backlog=1024)
        holder["port"] = server.sockets[0].getsockname()[1]
        port_queue.put(holder["port"])
        async with server:
            await server.serve_forever()
    asyncio.run(main())


# --- the pollers ---------------------------------------------------------------------------------

def run_shard(shard: int, shards: int, settings: Settings, results) -> None:
    started = time.process_time()
    counts = poll_feeds(shard, shards, run_id="bench", settings=settings)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results.put({"shard": shard, "counts": counts, "cpu": time.process_time() - started,
                 "peak_mb": usage.ru_maxrss / 1024})


def prepare(database_url: str, feeds: int, port: int) -> None:
    ensure_database(database_url)
    with psycopg2.connect(database_url) as conn:
        with conn.cursor() as cur:
            cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        conn.commit()
        migrations.migrate(conn, ROOT / "sql")
        with conn.cursor() as cur:
            psycopg2.extras.execute_values(
                cur,
                """INSERT INTO feeds (url, name, outlet, etag, body_hash, conditional_verified_at, next_poll_at)
                   VALUES %s""",
                ((f"http://127.0.0.1:{port}/feed/{n}.xml", f"feed {n}", f"outlet {n % 500}", f'"v{n}"',
                  "stale", datetime.now(timezone.utc), START) for n in range(feeds)),
                page_size=5000,
            )
        conn.commit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=1000, help="number of synthetic feeds (default 1000)")
    parser.add_argument("--not-modified", type=float, default=0.8, help="share answering 304 (default 0.8)")
    parser.add_argument("--shards", type=int, default=os.cpu_count() or 2,
                        help="poll processes, like mapped poll tasks (default: one per core)")
    parser.add_argument("--workers", type=int, default=16, help="concurrent downloads per process (default 16)")
    parser.add_argument("--database-url", default=os.environ.get(
        "WIREWATCH_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/wirewatch_bench"),
        help="a database the benchmark may wipe (default: wirewatch_bench on 127.0.0.1)")
    args = parser.parse_args()

    ports = multiprocessing.Queue()
    farm = multiprocessing.Process(target=run_farm, args=(ports, args.not_modified), daemon=True)
    farm.start()
    port = ports.get(timeout=30)
    print(f"farm: {args.feeds} feeds on 127.0.0.1:{port}, {args.not_modified:.0%} answering 304")

    started = time.monotonic()
    prepare(args.database_url, args.feeds, port)
    print(f"warehouse prepared in {time.monotonic() - started:.1f}s")

    settings = Settings(database_url=args.database_url, allowed_networks=("127.0.0.0/8",),
                        poll_workers=args.workers, connect_timeout=10, read_timeout=30, total_timeout=60)
    sample = [n for n in range(min(args.feeds, 2000)) if not answers_304(n, args.not_modified)][:200]
    bodies = [feed_body(n, port) for n in sample]
    not_modified = [n for n in range(min(args.feeds, 5000)) if answers_304(n, args.not_modified)][:2000]
    parse_times = _parse_times(bodies[0::2])
    parse_walls = [_parallel_parse_wall(bodies[k::4], args.shards) for k in (0, 2)]
    http_times = _http_times(port, not_modified[0::2])

    farm_cpu_before = _process_cpu(farm.pid)
    results = multiprocessing.Queue()
    started = time.monotonic()
    pollers = [multiprocessing.Process(target=run_shard, args=(k, args.shards, settings, results))
               for k in range(args.shards)]
    for poller in pollers:
        poller.start()
    backends = _BackendCPU(args.database_url)
    shard_results = [results.get() for _ in pollers]
    for poller in pollers:
        poller.join()
    wall = time.monotonic() - started
    postgres_cpu = backends.stop()
    farm_cpu = _process_cpu(farm.pid) - farm_cpu_before

    parse_times += _parse_times(bodies[1::2])
    parse_walls += [_parallel_parse_wall(bodies[k::4], args.shards) for k in (1, 3)]
    http_times += _http_times(port, not_modified[1::2])
    farm.terminate()

    polled = sum(r["counts"]["feeds_polled"] for r in shard_results)
    entries = sum(r["counts"]["entries_seen"] for r in shard_results)
    changed = sum(r["counts"]["feeds_ok"] for r in shard_results)
    cpu = sum(r["cpu"] for r in shard_results)
    per_feed = statistics.mean(parse_times) if parse_times else 0.0
    floor = per_feed * changed / args.shards
    loaded_floor = statistics.median(parse_walls) * changed
    bare_cpu = sum(cpu for cpu, _wall in http_times) / len(http_times)
    bare_wall = statistics.median(wall for _cpu, wall in http_times)
    beyond = (cpu - per_feed * changed) / max(polled, 1)
    print(f"polled {polled} feeds: {changed} changed, "
          f"{sum(r['counts']['feeds_not_modified'] for r in shard_results)} not modified, "
          f"{sum(r['counts']['feeds_failed'] for r in shard_results)} failed; "
          f"{entries} entries, {sum(r['counts']['articles_new'] for r in shard_results)} new articles")
    print(f"wall time        {wall:8.1f} s  ({_ratio(wall, floor, 2)} the feedparser floor, "
          f"{_ratio(wall, loaded_floor, 2)} the loaded feedparser floor)")
    print(f"feeds/s          {polled / wall:8.1f}")
    print(f"entries/s        {entries / wall:8.1f}")
    print(f"poller CPU time  {cpu:8.1f} s  ({args.shards} processes x {args.workers} downloads at once; "
          f"{_ratio(cpu, per_feed * changed)} feedparser's CPU for the changed feeds)")
    print(f"  beyond feedparser {beyond * 1000:5.2f} ms per feed polled ({_ratio(beyond, bare_cpu)} the CPU of a bare 304)")
    print(f"farm CPU time    {farm_cpu:8.1f} s")
    print(f"PostgreSQL CPU   {postgres_cpu:8.1f} s  (the poll tasks' server processes)")
    print(f"peak memory      {max(r['peak_mb'] for r in shard_results):8.1f} MB per poller process "
          f"({sum(r['peak_mb'] for r in shard_results):.0f} MB together)")
    print("references, measured in this run (half before the cycle, half after):")
    print(f"feedparser       {per_feed * 1000:8.1f} ms per changed feed "
          f"({statistics.mean(len(b) for b in bodies) / 1024:.0f} KB, "
          f"{statistics.mean(entry_count(n) for n in sample):.0f} entries on average); "
          f"x {changed} changed feeds = {per_feed * changed:.1f} s of CPU, {per_feed * changed / cpu:.0%} of poller "
          f"CPU; / {args.shards} processes = the feedparser floor, {floor:.1f} s")
    print(f"                          in {args.shards} processes at once on this machine as loaded during the run, "
          f"{statistics.median(parse_walls) * 1000:.1f} ms of wall time per changed feed (median of 4 samples, "
          f"{min(parse_walls) * 1000:.1f}-{max(parse_walls) * 1000:.1f}): the loaded floor, {loaded_floor:.1f} s")
    print(f"bare 304         {bare_cpu * 1e6:8.0f} us of CPU, {bare_wall * 1e6:.0f} us per round trip (median), "
          f"with http.client on one keep-alive connection")
    return 0


def _ratio(value: float, reference: float, digits: int = 1) -> str:
    return f"{value / reference:.{digits}f}x" if reference else "n/a x"


def _parse_times(bodies: list[bytes]) -> list[float]:
    """CPU seconds of bare feedparser on each body."""
    times = []
    for body in bodies:
        t0 = time.process_time()
        feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
        times.append(time.process_time() - t0)
    return times


def _parse_share(bodies: list[bytes], start, done) -> None:
    start.wait()
    _parse_times(bodies)
    done.put(None)


def _parallel_parse_wall(bodies: list[bytes], processes: int) -> float:
    """Wall seconds per body of bare feedparser on `bodies`, shared among `processes` started together."""
    start, done = multiprocessing.Event(), multiprocessing.Queue()
    workers = [multiprocessing.Process(target=_parse_share, args=(bodies[k::processes], start, done))
               for k in range(processes)]
    for worker in workers:
        worker.start()
    time.sleep(0.2)  # all started and waiting
    t0 = time.monotonic()
    start.set()
    for _ in workers:
        done.get()
    wall = time.monotonic() - t0
    for worker in workers:
        worker.join()
    return wall / max(len(bodies), 1)


def _http_times(port: int, feeds: list[int]) -> list[tuple[float, float]]:
    """(CPU, wall) seconds of each conditional GET (answered 304) on one keep-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    try:
        for n in feeds:
            c0, t0 = time.process_time(), time.perf_counter()
            conn.request("GET", f"/feed/{n}.xml", headers={"If-None-Match": f'"v{n}"'})
            response = conn.getresponse()
            response.read()
            times.append((time.process_time() - c0, time.perf_counter() - t0))
    finally:
        conn.close()
    return times


class _BackendCPU:
    """CPU time of the PostgreSQL server processes serving the poll tasks (read from /proc every
    0.2 s while they run, since each exits with its connection)."""

    def __init__(self, database_url: str):
        self._seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._conn = psycopg2.connect(database_url)
        self._conn.autocommit = True
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.2):
            with self._conn.cursor() as cur:
                cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                            "AND application_name = 'wirewatch'")
                pids = [pid for (pid,) in cur.fetchall()]
            for pid in pids:
                try:
                    self._seen[pid] = _process_cpu(pid)
                except (OSError, IndexError, ValueError):
                    pass  # exited just now, or not readable (another user's process on a remote server)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        self._conn.close()
        return sum(self._seen.values())


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    sys.exit(main())
