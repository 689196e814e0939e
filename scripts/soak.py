#!/usr/bin/env python
"""`make soak`: the real scheduler runs news_ingest on its schedule, cycle after cycle, over a
loopback news farm that changes every cycle; at the end, checks that nothing was lost or doubled,
that no run overlapped or queued behind another, that memory stayed flat and retention kept the
raw pages bounded.

What it does, all on loopback (no Docker):
  1. serves bench/soakfarm.py: one RSS feed per host; each cycle brings new stories (real pages),
     syndicated copies, updated headlines, items leaving the feeds, and one feed down (503) that
     comes back at the next cycle;
  2. starts Airflow as a deployment would (api-server, dag-processor, scheduler; with --celery
     also the I/O and CPU Celery workers of docker-compose.yml's `celery` profile) with
     news_ingest scheduled every --interval seconds and every feed polled at every run
     (WIREWATCH_MIN/MAX_POLL_MINUTES=0); wirewatch_maintenance (retention) is triggered every
     --maintenance-every cycles, with raw pages kept --retention-minutes;
  3. after each run records its wall time, how long it waited to start, scheduler and worker
     memory (PSS, taken when the run ends), warehouse size and row counts; after the last cycle
     one quiet cycle (nothing new, every feed up) drains what is left;
  4. freshness: for each item, from its appearance in its feed to its first tagged row, less the
     time its feed was down before the pipeline first saw it (an updated headline re-tags the row
     later; that is a revision, not freshness); items over the goal are listed with when they
     reached each stage
     (median and 95th percentile per run, and over the whole soak);
  5. prints the table and the checks, and writes soak.json, soak.csv and soak.png (the series as
     charts) to --out. Exit status 0 only when every check passes.

Cleanup is scale_test.py's: every process started here and its descendants are stopped, the
databases dropped and the Redis queues deleted, on success, failure or Ctrl-C alike.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import psutil
import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "scripts"))
sys.path.insert(0, str(REPO_ROOT / "bench"))
sys.path.insert(0, str(REPO_ROOT / "plugins"))

import scale_test as airflow_rig  # noqa: E402 - the processes, databases and Airflow of `make scale-test`
from soakfarm import SoakFarm  # noqa: E402

from wirewatch import migrations, warehouse  # noqa: E402
from wirewatch.db import connect  # noqa: E402
from wirewatch.feeds.lists import FeedSpec  # noqa: E402
from wirewatch.settings import DEFAULT_DATABASE_URL  # noqa: E402

DAG_ID = airflow_rig.DAG_ID
MAINTENANCE = "wirewatch_maintenance"
WORKERS = ("worker-io", "worker-cpu")
# Memory is flat when the mean of the last cycles is within this share of the mean of early ones.
MEMORY_TOLERANCE = 0.10
MIN_CYCLES_FOR_MEMORY = 20
FRESHNESS_GOAL = 1.5  # the 95th percentile, in schedule intervals


def log(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="soak.py", description=__doc__.split("\n\n")[0],
        epilog="Run it through `make soak` (SOAK_ARGS='--celery' for the CeleryExecutor).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--cycles", type=int, default=40, help="farm cycles (scheduled runs) before the drain")
    parser.add_argument("--interval", type=float, default=60.0, help="news_ingest's schedule, seconds")
    parser.add_argument("--stories", type=int, default=5, help="new stories per cycle (each a real page)")
    parser.add_argument("--hosts", type=int, default=12, help="outlets of the farm, one feed each")
    parser.add_argument("--celery", action="store_true", help="CeleryExecutor with two workers, not LocalExecutor")
    parser.add_argument("--retention-minutes", type=float, default=5.0,
                        help="WIREWATCH_RAW_PAGE_RETENTION_DAYS, in minutes")
    parser.add_argument("--maintenance-every", type=int, default=5, help="trigger wirewatch_maintenance every N cycles")
    parser.add_argument("--seed", type=int, default=7, help="the farm's random layout")
    parser.add_argument("--io-slots", type=int, default=8, help="I/O worker concurrency, and the wirewatch_http pool")
    parser.add_argument("--cpu-slots", type=int, default=os.cpu_count() or 2, help="CPU worker concurrency")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="Celery broker")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / ".local" / "soak",
                        help="where soak.json, soak.csv and soak.png go")
    parser.add_argument("--keep", action="store_true", help="keep the databases and the work directory")
    args = parser.parse_args(argv)
    if args.cycles < 1 or args.interval < 10 or args.stories < 1:
        parser.error("--cycles must be at least 1, --interval at least 10 s, --stories at least 1")
    # What scale_test.airflow_env reads.
    args.host_delay, args.max_shards = 0.01, 2
    return args


# --- measurements ------------------------------------------------------------------------------

@dataclass
class RunRecord:
    run_id: str
    state: str
    run_after: float
    queued_at: float
    start: float
    end: float
    wall_seconds: float
    wait_seconds: float          # queued -> started
    scheduler_mb: float
    workers_mb: float
    database_mb: float
    raw_pages_mb: float
    rows: dict[str, int]
    fresh_median_s: float | None = None
    fresh_p95_s: float | None = None
    fresh_items: int = 0


ROW_COUNTS = {
    "articles": "SELECT count(*) FROM articles",
    "tagged": "SELECT count(*) FROM articles WHERE tagged_at IS NOT NULL",
    "stories": "SELECT count(*) FROM stories",
    "article_topics": "SELECT count(*) FROM article_topics",
    "events": "SELECT count(*) FROM events",
    "raw_pages": "SELECT count(*) FROM raw_pages",
}


def warehouse_figures(url: str) -> tuple[float, float, dict[str, int]]:
    """(database MB, raw_pages MB, row counts)."""
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_database_size(current_database()), pg_total_relation_size('raw_pages')")
        database, raw = cur.fetchone()
        rows = {}
        for name, sql in ROW_COUNTS.items():
            cur.execute(sql)
            rows[name] = cur.fetchone()[0]
    return database / 2**20, raw / 2**20, rows


def pss_mb(processes: list[psutil.Process]) -> float:
    """Proportional set size: a page shared by forked workers is counted once in all."""
    total = 0
    for proc in processes:
        try:
            total += proc.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total / 2**20


def memory(rig: airflow_rig.Processes) -> tuple[float, float]:
    """(scheduler MB, workers MB): the scheduler process alone, then everything that runs tasks:
    the scheduler's descendants (LocalExecutor's workers) and the Celery workers' trees."""
    scheduler = psutil.Process(rig.running["scheduler"].pid)
    workers = scheduler.children(recursive=True)
    for name in WORKERS:
        if name in rig.running:
            root = psutil.Process(rig.running[name].pid)
            workers += [root, *root.children(recursive=True)]
    return pss_mb([scheduler]), pss_mb(workers)


def timestamp(value: str | None) -> float | None:
    return datetime.fromisoformat(value).timestamp() if value else None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


STAGES = ("first_seen_at", "fetched_at", "tagged_at")  # the queue row, the stored page, the tagged row


def article_times(url: str) -> dict[str, tuple[str, dict[str, float | None]]]:
    """url -> (status, {stage: wall clock}) for every article row."""
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT url, status, " + ", ".join(f"extract(epoch FROM {s})" for s in STAGES) + " FROM articles")
        return {u: (status, {s: float(t) if t is not None else None for s, t in zip(STAGES, times)})
                for u, status, *times in cur.fetchall()}


def note_first_times(first: dict[str, dict[str, float]], rows: dict[str, tuple[str, dict]]) -> None:
    """Keep each URL's first time at each stage. The row's own columns move on when an updated
    headline re-fetches and re-tags the article, and freshness is about the first time it was there."""
    for url, (_, times) in rows.items():
        for stage, at in times.items():
            if at is not None:
                first.setdefault(url, {}).setdefault(stage, at)


def freshness_of(item, farm: SoakFarm, times: dict[str, float]) -> float | None:
    """Seconds of visible time from the item's appearance to its first tagged row: time its feed
    was down before the pipeline first saw the item does not count (no poller could have seen it).
    None while it is not tagged."""
    tagged, seen = times.get("tagged_at"), times.get("first_seen_at")
    if tagged is None or seen is None or item.visible_at is None:
        return None
    return max(0.0, tagged - item.appears_at - farm.hidden_seconds(item, seen))


def add_freshness(records: list[RunRecord], farm: SoakFarm, first: dict[str, dict[str, float]]) -> list[float]:
    """Give each run the freshness of the items it first tagged. -> all freshness values (seconds)."""
    every = []
    per_run: dict[int, list[float]] = {i: [] for i in range(len(records))}
    for item in farm.items:
        times = first.get(farm.url_of(item.number), {})
        seconds = freshness_of(item, farm, times)
        if seconds is None:
            continue
        every.append(seconds)
        at = times["tagged_at"]
        for i, record in enumerate(records):
            if record.start - 1 <= at <= record.end + 1:
                per_run[i].append(seconds)
                break
    for i, values in per_run.items():
        if values:
            records[i].fresh_median_s = statistics.median(values)
            records[i].fresh_p95_s = percentile(values, 0.95)
            records[i].fresh_items = len(values)
    return every


def late_items(records: list[RunRecord], farm: SoakFarm, first: dict[str, dict[str, float]],
               limit_s: float) -> list[str]:
    """One line per item whose freshness is over `limit_s`: when it reached each stage and when
    the runs around it started, in seconds from its appearance; shows which stage or which run
    let it wait."""
    lines = []
    for item in farm.items:
        times = first.get(farm.url_of(item.number), {})
        seconds = freshness_of(item, farm, times)
        if seconds is None or seconds <= limit_s:
            continue
        since = lambda at: f"+{at - item.appears_at:.0f}s" if at is not None else "never"  # noqa: E731
        stages = ", ".join(f"{stage.removesuffix('_at')} {since(times.get(stage))}" for stage in STAGES)
        runs = " ".join(since(r.start) for r in records if item.appears_at - 60 < r.start < times["tagged_at"])
        hidden = farm.hidden_seconds(item, times["first_seen_at"])
        lines.append(f"item {item.number} on {item.host} (cycle {item.cycle + 1}): freshness {seconds:.0f}s; "
                     f"{stages}; feed down {hidden:.0f}s of it; runs started {runs}")
    return lines


# --- the checks --------------------------------------------------------------------------------

@dataclass
class Checks:
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def check(self, ok: bool, text: str) -> None:
        (self.passed if ok else self.failed).append(text)


def run_checks(records: list[RunRecord], farm: SoakFarm, tagged: dict, duplicates: int, story_splits: int,
               freshness: list[float], args: argparse.Namespace) -> Checks:
    checks = Checks()
    urls = [farm.url_of(item.number) for item in farm.items]
    missing = [u for u in urls if u not in tagged]
    unfinished = [u for u in urls if u in tagged and tagged[u][0] not in ("extracted", "rejected", "failed")]
    untagged = [u for u in urls if u in tagged and tagged[u][0] == "extracted" and tagged[u][1] is None]
    statuses = {}
    for u in urls:
        status = tagged.get(u, ("missing",))[0]
        statuses[status] = statuses.get(status, 0) + 1
    checks.check(not missing and not unfinished and not untagged,
                 f"no article lost: {len(urls)} published items -> {statuses}; missing {len(missing)}, "
                 f"not finished {len(unfinished)}, extracted but untagged {len(untagged)}"
                 + (f" (e.g. {(missing + unfinished + untagged)[0]})" if missing or unfinished or untagged else ""))
    checks.check(duplicates == 0, f"no article doubled: {duplicates} URLs with more than one row")
    checks.check(story_splits == 0, f"syndicated copies grouped: {story_splits} farm stories split over several stories")
    failed = [r.run_id for r in records if r.state != "success"]
    checks.check(not failed, f"every run succeeded: {len(records) - len(failed)} of {len(records)}"
                 + (f" (failed: {', '.join(failed[:5])})" if failed else ""))
    overlaps = [f"{a.run_id}/{b.run_id}" for a, b in zip(records, records[1:]) if b.start < a.end]
    checks.check(not overlaps, f"no run overlapped another: {len(overlaps)} overlaps")
    longest_wait = max((r.wait_seconds for r in records), default=0.0)
    checks.check(longest_wait < args.interval / 4,
                 f"no run queued behind another: longest wait from queued to running {longest_wait:.1f}s "
                 f"(limit {args.interval / 4:.0f}s, a quarter of the interval)")
    slowest = max((r.wall_seconds for r in records), default=0.0)
    checks.check(slowest < args.interval, f"every run within the interval: slowest {slowest:.1f}s of {args.interval:.0f}s")
    n = len(records)
    if n >= MIN_CYCLES_FOR_MEMORY:
        early = records[5:15]
        late = records[-10:]
        for what in ("scheduler_mb", "workers_mb"):
            before = statistics.mean(getattr(r, what) for r in early)
            after = statistics.mean(getattr(r, what) for r in late)
            checks.check(after <= before * (1 + MEMORY_TOLERANCE),
                         f"{what.split('_')[0]} memory flat: last 10 cycles {after:.0f} MB vs cycles 5-15 "
                         f"{before:.0f} MB ({after / before - 1:+.1%}, limit +{MEMORY_TOLERANCE:.0%})")
    else:
        checks.passed.append(f"memory: not judged with {n} runs (needs {MIN_CYCLES_FOR_MEMORY}; figures in the table)")
    per_cycle = args.stories * 2.2  # stories plus their copies, with margin (40 % have 1-2 copies)
    window_cycles = args.retention_minutes * 60 / args.interval + args.maintenance_every + 1
    bound = per_cycle * window_cycles
    peak = max((r.rows["raw_pages"] for r in records[len(records) // 2:]), default=0)
    if n * args.interval > (args.retention_minutes * 60 + args.maintenance_every * args.interval):
        checks.check(peak <= bound and records[-1].rows["raw_pages"] < records[-1].rows["articles"],
                     f"retention kept raw pages bounded: at most {peak} in the second half (bound {bound:.0f}: "
                     f"{args.retention_minutes:g} min retention + {args.maintenance_every} cycles between "
                     f"prunes); {records[-1].rows['raw_pages']} kept of {records[-1].rows['articles']} articles")
    else:
        checks.passed.append("retention: not judged (the soak is shorter than retention plus a maintenance period)")
    if freshness:
        p95 = percentile(freshness, 0.95)
        checks.check(p95 <= FRESHNESS_GOAL * args.interval,
                     f"freshness: median {statistics.median(freshness):.0f}s, 95th percentile {p95:.0f}s "
                     f"= {p95 / args.interval:.2f} intervals (goal <= {FRESHNESS_GOAL})")
    else:
        checks.failed.append("freshness: no item was tagged")
    return checks


def duplicate_rows(url: str) -> int:
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM (SELECT url FROM articles GROUP BY url HAVING count(*) > 1) d")
        return cur.fetchone()[0]


def split_stories(url: str, farm: SoakFarm) -> int:
    """Farm stories (one page and its syndicated copies) whose extracted rows are in more than one
    warehouse story."""
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT url, story_id FROM articles WHERE status = 'extracted'")
        story_of = dict(cur.fetchall())
    groups: dict[int, set] = {}
    for item in farm.items:
        story = story_of.get(farm.url_of(item.number))
        if story is not None:
            groups.setdefault(item.story, set()).add(story)
    return sum(1 for stories in groups.values() if len(stories) > 1)


# --- output ------------------------------------------------------------------------------------

COLUMNS = [("started", lambda r: time.strftime("%H:%M:%S", time.localtime(r.start))), ("wall s", lambda r: f"{r.wall_seconds:.1f}"),
           ("wait s", lambda r: f"{r.wait_seconds:.1f}"), ("sched MB", lambda r: f"{r.scheduler_mb:.0f}"),
           ("workers MB", lambda r: f"{r.workers_mb:.0f}"), ("db MB", lambda r: f"{r.database_mb:.1f}"),
           ("raw MB", lambda r: f"{r.raw_pages_mb:.1f}"), ("articles", lambda r: str(r.rows["articles"])),
           ("stories", lambda r: str(r.rows["stories"])), ("raw pages", lambda r: str(r.rows["raw_pages"])),
           ("fresh med s", lambda r: "-" if r.fresh_median_s is None else f"{r.fresh_median_s:.0f}"),
           ("fresh p95 s", lambda r: "-" if r.fresh_p95_s is None else f"{r.fresh_p95_s:.0f}")]


def print_table(records: list[RunRecord]) -> None:
    widths = [max(len(name), *(len(value(r)) for r in records)) for name, value in COLUMNS]
    print("  ".join(f"{name:>{w}}" for (name, _), w in zip(COLUMNS, widths)))
    for record in records:
        print("  ".join(f"{value(record):>{w}}" for (_, value), w in zip(COLUMNS, widths)))


def write_outputs(out: Path, records: list[RunRecord], checks: Checks, summary: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "soak.json").write_text(json.dumps({"summary": summary, "runs": [asdict(r) for r in records],
                                               "passed": checks.passed, "failed": checks.failed}, indent=2))
    with open(out / "soak.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([name for name, _ in COLUMNS])
        writer.writerows([[value(r) for _, value in COLUMNS] for r in records])
    chart(out / "soak.png", records, summary)


def chart(path: Path, records: list[RunRecord], summary: dict) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cycles = list(range(1, len(records) + 1))
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), sharex=True)
    (wall, mem), (size, fresh) = axes
    wall.plot(cycles, [r.wall_seconds for r in records], marker=".", label="run wall time")
    wall.plot(cycles, [r.wait_seconds for r in records], marker=".", label="wait to start")
    wall.axhline(summary["interval_seconds"], color="grey", linestyle="--", label="schedule interval")
    wall.set_ylabel("seconds")
    mem.plot(cycles, [r.scheduler_mb for r in records], marker=".", label="scheduler")
    mem.plot(cycles, [r.workers_mb for r in records], marker=".", label="workers")
    mem.set_ylabel("memory, PSS (MB)")
    size.plot(cycles, [r.database_mb for r in records], marker=".", label="warehouse (MB)")
    size.plot(cycles, [r.raw_pages_mb for r in records], marker=".", label="raw_pages (MB)")
    rows = size.twinx()
    rows.plot(cycles, [r.rows["articles"] for r in records], color="tab:green", label="articles")
    rows.plot(cycles, [r.rows["raw_pages"] for r in records], color="tab:red", label="raw pages")
    rows.set_ylabel("rows")
    rows.legend(loc="center right", fontsize="small")
    size.set_ylabel("MB")
    fresh.plot(cycles, [r.fresh_median_s for r in records], marker=".", label="median")
    fresh.plot(cycles, [r.fresh_p95_s for r in records], marker=".", label="95th percentile")
    fresh.axhline(FRESHNESS_GOAL * summary["interval_seconds"], color="grey", linestyle="--", label="goal")
    fresh.set_ylabel("freshness (s): visible in feed -> tagged row")
    for ax in axes.flat:
        ax.legend(loc="upper left", fontsize="small")
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("cycle (news_ingest run)")
    fig.suptitle(f"wirewatch soak: {summary['executor']}, {len(records)} runs every "
                 f"{summary['interval_seconds']:.0f}s, {summary['items']} feed items")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# --- the soak ----------------------------------------------------------------------------------

def soak_env(env: dict[str, str], args: argparse.Namespace) -> dict[str, str]:
    """scale_test's Airflow environment, scheduled: runs come from the schedule, not triggers."""
    return {**env,
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "True",
            "WIREWATCH_INGEST_INTERVAL_SECONDS": str(args.interval),
            # Every feed is polled at every run, and a feed that was down at the next one.
            "WIREWATCH_MIN_POLL_MINUTES": "0", "WIREWATCH_MAX_POLL_MINUTES": "0", "WIREWATCH_POLL_INTERVAL_MINUTES": "0",
            "WIREWATCH_RAW_PAGE_RETENTION_DAYS": str(args.retention_minutes / 1440),
            "WIREWATCH_FETCH_RETRY_MINUTES": "1"}


def dag_runs(rig_airflow: airflow_rig.Airflow, dag_id: str) -> list[dict]:
    response = rig_airflow.api("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 500, "order_by": "run_after"})
    response.raise_for_status()
    return response.json()["dag_runs"]


def record_run(run: dict, rig: airflow_rig.Processes, warehouse_url: str) -> RunRecord:
    start, end = timestamp(run.get("start_date")), timestamp(run.get("end_date"))
    queued = timestamp(run.get("queued_at")) or start
    scheduler_mb, workers_mb = memory(rig)
    database_mb, raw_mb, rows = warehouse_figures(warehouse_url)
    return RunRecord(run["dag_run_id"], run["state"], timestamp(run.get("run_after")) or queued, queued, start, end,
                     end - start, max(0.0, start - queued), scheduler_mb, workers_mb, database_mb, raw_mb, rows)


def soak(args: argparse.Namespace, stack: ExitStack, workdir: Path, server: airflow_rig.Server) -> int:
    tag = f"{os.getpid()}"
    queues = {"default": f"ww_soak_{tag}_default", "io": f"ww_soak_{tag}_io", "cpu": f"ww_soak_{tag}_cpu"}
    if args.celery:
        airflow_rig.check_redis(args.redis_url)
        stack.callback(airflow_rig.delete_queues, args.redis_url, queues)
    rig = airflow_rig.Processes(workdir)
    stack.callback(airflow_rig.stop_descendants)
    stack.callback(rig.stop)

    farm = stack.enter_context(SoakFarm(hosts=args.hosts, stories_per_cycle=args.stories, interval=args.interval,
                                        seed=args.seed))
    if farm.capacity(args.cycles) > len(farm.pages):
        raise SystemExit(f"error: {args.cycles} cycles of {args.stories} stories need {farm.capacity(args.cycles)} "
                         f"real pages; the set has {len(farm.pages)}")
    warehouse_url = server.create(f"ww_soak_{tag}_warehouse")
    with connect(warehouse_url) as conn:
        migrations.migrate(conn, REPO_ROOT / "sql")
        warehouse.upsert_feeds(conn, [FeedSpec(**spec) for spec in farm.feed_specs()])
    meta_db = f"ww_soak_{tag}_airflow"
    server.create(meta_db)
    (workdir / "passwords.json").write_text(json.dumps({airflow_rig.ADMIN: "soak-password"}))
    (workdir / "airflow").mkdir()
    port = airflow_rig.free_port()
    executor = "CeleryExecutor" if args.celery else "LocalExecutor"
    airflow = airflow_rig.Airflow(env={}, base_url=f"http://127.0.0.1:{port}", password="soak-password")
    airflow.env = env = soak_env(airflow_rig.airflow_env(
        workdir=workdir, server=server, meta_db=meta_db, warehouse_url=warehouse_url, api_port=port,
        executor=executor, args=args, queues=queues), args)
    log(f"farm: {len(farm.hosts)} feeds on 127.0.0.2-{farm.hosts[-1]}:{farm.port}, {len(farm.pages)} real pages; "
        f"{executor}, news_ingest every {args.interval:g}s for {args.cycles} cycles")
    airflow.airflow("db", "migrate")
    airflow.airflow("pools", "set", "wirewatch_http", str(args.io_slots), "HTTP fetches of wirewatch")
    since = datetime.now(timezone.utc)
    airflow_rig.start_components(rig, env, port, with_api=True)
    if args.celery:
        airflow_rig.start_celery_workers(rig, env, args, queues)
    airflow_rig.wait_for("the API server", lambda: requests.get(f"{airflow.base_url}/api/v2/version", timeout=2).ok,
                         120, rig)
    for dag_id in (DAG_ID, MAINTENANCE):
        airflow_rig.wait_for(f"{dag_id} parsed", lambda: airflow.api("GET", f"/dags/{dag_id}").status_code == 200,
                             180, rig)
    airflow_rig.wait_for("the scheduler", lambda: airflow_rig.scheduler_heartbeat_since(airflow, since), 120, rig)
    if args.celery:
        airflow_rig.wait_for("both Celery workers", lambda: airflow_rig.celery_workers_ready(
            env, [f"{name}-{os.getpid()}" for name in WORKERS]), 120, rig, interval=1)
    airflow.api("PATCH", f"/dags/{MAINTENANCE}", json={"is_paused": False}).raise_for_status()

    start = time.time()
    farm.advance(start)
    airflow.api("PATCH", f"/dags/{DAG_ID}", json={"is_paused": False}).raise_for_status()
    log(f"cycle 1 of {args.cycles}: news_ingest unpaused")
    records: list[RunRecord] = []
    seen: set[str] = set()
    first_times: dict[str, dict[str, float]] = {}
    drain_at = None
    deadline = start + (args.cycles + 4) * args.interval + 600
    while True:
        rig.check_alive()
        now = time.time()
        if drain_at is None and now >= start + len(farm.cycles) * args.interval:
            if len(farm.cycles) < args.cycles:
                farm.advance(now)
                if len(farm.cycles) % args.maintenance_every == 0:
                    airflow.api("POST", f"/dags/{MAINTENANCE}/dagRuns", json={"logical_date": None}).raise_for_status()
            else:
                farm.advance(now, publish=False)
                drain_at = now
                log("last cycle over: one quiet cycle drains what is left")
        for run in dag_runs(airflow, DAG_ID):
            if run["dag_run_id"] in seen or run["state"] not in airflow_rig.TERMINAL:
                continue
            seen.add(run["dag_run_id"])
            record = record_run(run, rig, warehouse_url)
            records.append(record)
            note_first_times(first_times, article_times(warehouse_url))
            log(f"run {len(records)} ({record.run_id}) {record.state} in {record.wall_seconds:.1f}s "
                f"(waited {record.wait_seconds:.1f}s); {record.rows['articles']} articles, "
                f"{record.rows['raw_pages']} raw pages, scheduler {record.scheduler_mb:.0f} MB, "
                f"workers {record.workers_mb:.0f} MB")
            if record.state != "success":
                for ti in airflow_rig.task_instances(airflow, record.run_id):
                    if ti["state"] not in ("success", "skipped"):
                        log(f"  {ti['task_id']} {ti['state']}:\n" + airflow_rig.task_log_tail(airflow, record.run_id, ti))
        if drain_at is not None and any(r.start > drain_at for r in records):
            break
        if now > deadline:
            raise TimeoutError(f"the soak did not finish in {deadline - start:.0f}s ({len(records)} runs recorded)")
        time.sleep(2)
    airflow.api("PATCH", f"/dags/{DAG_ID}", json={"is_paused": True})
    records.sort(key=lambda r: r.start)

    rows = article_times(warehouse_url)
    note_first_times(first_times, rows)
    tagged = {u: (status, times["tagged_at"]) for u, (status, times) in rows.items()}
    freshness = add_freshness(records, farm, first_times)
    checks = run_checks(records, farm, tagged, duplicate_rows(warehouse_url), split_stories(warehouse_url, farm),
                        freshness, args)
    summary = {"executor": executor, "interval_seconds": args.interval, "cycles": args.cycles, "runs": len(records),
               "items": len(farm.items), "stories": farm.stories, "hosts": len(farm.hosts),
               "retitled": sum(1 for i in farm.items if i.retitled_at is not None),
               "outages": len(farm.outages),
               "freshness_median_s": statistics.median(freshness) if freshness else None,
               "freshness_p95_s": percentile(freshness, 0.95) if freshness else None}
    print()
    print_table(records)
    print()
    log(f"{summary['items']} feed items ({summary['stories']} stories, the rest syndicated copies), "
        f"{summary['retitled']} headlines updated, {summary['outages']} feed outages")
    for line in checks.passed:
        print(f"ok    {line}")
    for line in checks.failed:
        print(f"FAIL  {line}")
    for line in late_items(records, farm, first_times, FRESHNESS_GOAL * args.interval):
        print(f"late  {line}")
    write_outputs(args.out, records, checks, summary)
    log(f"table, series and chart: {args.out}/soak.csv, soak.json, soak.png")
    print("PASS" if not checks.failed else "FAIL", flush=True)
    return 0 if not checks.failed else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    airflow_rig.become_subreaper()
    server = airflow_rig.Server(os.environ.get("WIREWATCH_DATABASE_URL") or DEFAULT_DATABASE_URL)
    workdir = Path(tempfile.mkdtemp(prefix="wirewatch-soak-"))
    status = 1
    try:
        with airflow_rig.signals_raise(), ExitStack() as stack:
            if not args.keep:
                stack.callback(server.drop_all)
            status = soak(args, stack, workdir, server)
    except KeyboardInterrupt as exc:
        print(f"\nFAIL: interrupted ({exc or 'Ctrl-C'})", flush=True)
        status = 130
    except Exception as exc:  # noqa: BLE001 - reported, and the exit status says it failed
        if not isinstance(exc, (RuntimeError, TimeoutError)):
            traceback.print_exc()
        print(f"\nFAIL: {type(exc).__name__}: {exc}", flush=True)
    finally:
        left = airflow_rig.stop_descendants()
        if left:
            log(f"stopped {left} leftover process(es)")
    if status == 0 and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        log(f"logs kept in {workdir}")
    return status


if __name__ == "__main__":
    sys.exit(main())
