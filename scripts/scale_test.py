#!/usr/bin/env python
"""`make scale-test`: news_ingest on Airflow's CeleryExecutor (two workers) against LocalExecutor,
over the same corpus, on one machine without Docker; the two warehouses must come out the same.

What it does, all on loopback:
  1. serves the demo corpus (wirewatch.demo.CorpusServer) and a farm of real pages under
     --articles URLs on --hosts loopback hosts (bench/pagefarm.py), and creates two fresh,
     migrated warehouses with the same feeds (the demo's and the farm's);
  2. CeleryExecutor: a fresh Airflow metadata DB in PostgreSQL, then `airflow api-server`,
     `airflow dag-processor`, `airflow scheduler` and two `airflow celery worker`s, as in
     docker-compose.yml's `celery` profile: an I/O worker (the default queue and the I/O queue:
     feed polls, page fetches) and a CPU worker (the CPU queue: extract, dedup, tag; one slot per
     core). Broker: Redis (--redis-url); results: PostgreSQL (db+postgresql://…, the metadata DB).
     news_ingest is triggered through the REST API (JWT from POST /auth/token, SimpleAuthManager)
     until no work is left;
  3. LocalExecutor: the Celery scheduler and workers stop, a LocalExecutor scheduler starts
     (same API server, DAG processor and metadata DB) over the second warehouse, and
     news_ingest runs the same way;
  4. compares the warehouses: articles (canonical_url, status), stories (the sets of canonical
     URLs grouped in one story) and topics (canonical_url, topic_id); prints the timings of both
     and PASS or FAIL. Exit status 0 only on PASS.

Every process it starts runs in its own session, and this script is their subreaper: on exit,
success, failure or Ctrl-C alike, all of them and their descendants (task processes that set up
process groups of their own included) are stopped, the databases dropped and the Redis queues
deleted. Logs stay in the work directory when something failed (its path is printed).
Expects the environment of scripts/bootstrap.sh (WIREWATCH_DATABASE_URL names the PostgreSQL
server to use; the database in it is not touched).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import psutil
import psycopg2
import psycopg2.extensions
import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "bench"))
sys.path.insert(0, str(REPO_ROOT / "plugins"))

from wirewatch import migrations, warehouse  # noqa: E402
from wirewatch.db import connect, redact_url  # noqa: E402
from wirewatch.demo import LOOPBACK_NETWORKS, CorpusServer, import_demo_feeds  # noqa: E402
from wirewatch.feeds.lists import FeedSpec  # noqa: E402
from wirewatch.settings import DEFAULT_DATABASE_URL, Settings, connection_json  # noqa: E402

DAG_ID = "news_ingest"
ADMIN = "admin"
PR_SET_CHILD_SUBREAPER = 36
TERMINAL = {"success", "failed"}


def log(message: str) -> None:
    print(f"[scale-test {time.strftime('%H:%M:%S')}] {message}", flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    cpus = os.cpu_count() or 2
    parser = argparse.ArgumentParser(
        prog="scale_test.py", description=__doc__.split("\n\n")[0],
        epilog="Run it through `make scale-test` (or after `source scripts/bootstrap.sh`).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--articles", type=int, default=5000, help="articles of the page farm (at least 5,000 in CI)")
    parser.add_argument("--hosts", type=int, default=50,
                        help="loopback hosts of the page farm (127.0.0.2 …); raised (up to 250) so that no host serves "
                             "one page twice")
    parser.add_argument("--pages", type=int, default=129,
                        help="serve the N smallest real pages (0: all); the smaller half of the 258 keeps "
                             "extraction, the costliest stage, within CI's time budget")
    parser.add_argument("--io-slots", type=int, default=8,
                        help="concurrency of the I/O worker (default and I/O queues); also the wirewatch_http pool")
    parser.add_argument("--cpu-slots", type=int, default=cpus, help="concurrency of the CPU worker (CPU queue)")
    parser.add_argument("--max-shards", type=int, default=4, help="WIREWATCH_MAX_SHARDS: mapped poll/fetch tasks")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="Celery broker")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="per-response latency of the page farm, as real fetches wait on the network")
    parser.add_argument("--host-delay", type=float, default=0.01,
                        help="WIREWATCH_HOST_DELAY_SECONDS: seconds between two requests to one farm host")
    parser.add_argument("--run-timeout", type=float, default=900, help="seconds one news_ingest run may take")
    parser.add_argument("--max-runs", type=int, default=3, help="news_ingest runs per executor to drain the queue")
    parser.add_argument("--executors", default="celery,local",
                        help="which runs to do: celery,local (a comparison needs both)")
    parser.add_argument("--keep", action="store_true", help="keep the databases and the work directory")
    parser.add_argument("--summary", type=Path, metavar="FILE",
                        help="also write the timings as JSON (bench/pipeline.py --executors reads it)")
    args = parser.parse_args(argv)
    args.executors = [e.strip() for e in args.executors.split(",") if e.strip()]
    if not set(args.executors) <= {"celery", "local"} or not args.executors:
        parser.error("--executors takes celery, local or both")
    return args


# --- processes ---------------------------------------------------------------------------------

@dataclass
class Processes:
    """The long-running processes this script started, each in its own session."""

    workdir: Path
    running: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        log_path = self.workdir / f"{name}.log"
        with open(log_path, "ab") as out:
            process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.workdir)
        self.running[name] = process
        return process

    def check_alive(self) -> None:
        for name, process in self.running.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with code {process.returncode}; log tail:\n"
                                   + tail(self.workdir / f"{name}.log"))

    def cpu_seconds(self, *names: str) -> float:
        """CPU time used so far by the named processes and their descendants, those that ended
        included (a parent that reaped a child carries its time)."""
        total = 0.0
        for name in names:
            process = self.running.get(name)
            if process is None:
                continue
            try:
                root = psutil.Process(process.pid)
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
            for proc in tree:
                try:
                    times = proc.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                total += times.user + times.system + times.children_user + times.children_system
        return total

    def stop(self, *names: str, grace: float = 20.0) -> None:
        """SIGTERM the named processes' groups (all when none named), SIGKILL what is left of them
        and their descendants after `grace` seconds."""
        names = names or tuple(self.running)
        victims: list[psutil.Process] = []
        for name in names:
            process = self.running.pop(name, None)
            if process is None:
                continue
            try:
                root = psutil.Process(process.pid)
                victims += [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                pass
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        kill_survivors(victims, grace)


def become_subreaper() -> None:
    """Orphans of our descendants (a task process whose supervisor died) become our children, so
    that `stop_descendants` finds them. Linux only; elsewhere a no-op."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def stop_descendants(grace: float = 10.0) -> int:
    """SIGTERM, then SIGKILL, every process below this one. -> how many were still there."""
    me = psutil.Process()
    children = me.children(recursive=True)
    for child in children:
        try:
            child.terminate()
        except psutil.NoSuchProcess:
            pass
    kill_survivors(children, grace)
    return len(children)


def kill_survivors(processes: list[psutil.Process], grace: float) -> None:
    """Wait `grace` seconds for processes already asked to stop, SIGKILL the ones still there, and
    reap every child that has exited."""
    _, alive = psutil.wait_procs(processes, timeout=grace)
    for proc in alive:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=10)
    reap()


def reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- databases ---------------------------------------------------------------------------------

@dataclass
class Server:
    """The PostgreSQL server of WIREWATCH_DATABASE_URL: databases are created and dropped on it."""

    url: str
    created: list[str] = field(default_factory=list)

    def url_for(self, dbname: str) -> str:
        return psycopg2.extensions.make_dsn(self.url, dbname=dbname)

    def sqlalchemy_url(self, dbname: str, driver: str = "postgresql+psycopg2") -> str:
        from urllib.parse import quote
        params = psycopg2.extensions.parse_dsn(self.url)
        auth = quote(params.get("user", "postgres"), safe="")
        if params.get("password"):
            auth += ":" + quote(params["password"], safe="")
        return f"{driver}://{auth}@{params.get('host', '127.0.0.1')}:{params.get('port', 5432)}/{dbname}"

    def admin(self, statement: str) -> None:
        with connect(self.url_for("postgres"), autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(statement)

    def create(self, dbname: str) -> str:
        self.admin(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
        self.admin(f"CREATE DATABASE {dbname}")
        self.created.append(dbname)
        return self.url_for(dbname)

    def drop_all(self) -> None:
        for dbname in reversed(self.created):
            try:
                self.admin(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
            except psycopg2.Error as exc:
                log(f"warning: could not drop database {dbname}: {exc}")
        self.created.clear()


def real_pages_subset(workdir: Path, count: int) -> Path | None:
    """A real-pages set (truth.jsonl + pages/) of the `count` smallest pages of the set
    bench/pagefarm.py would serve, linked into `workdir`; None for all of them."""
    if count <= 0:
        return None
    env = os.environ.get("WIREWATCH_REALPAGES")
    sets = [Path(env)] if env else [REPO_ROOT.parent / "shared" / "realpages", REPO_ROOT / "tests" / "fixtures" / "realpages"]
    source = next((root for root in sets if (root / "truth.jsonl").exists()), None)
    if source is None:
        return None  # pagefarm says which sets it looked for
    rows = [line for line in (source / "truth.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    rows.sort(key=lambda line: (source / json.loads(line)["page"]).stat().st_size)
    subset = workdir / "realpages"
    for line in rows[:count]:
        page = json.loads(line)["page"]
        (subset / page).parent.mkdir(parents=True, exist_ok=True)
        (subset / page).symlink_to((source / page).resolve())
    (subset / "truth.jsonl").write_text("\n".join(rows[:count]) + "\n", encoding="utf-8")
    return subset


def prepare_warehouse(url: str, corpus: CorpusServer, farm) -> int:
    with connect(url) as conn:
        migrations.migrate(conn, REPO_ROOT / "sql")
    demo = import_demo_feeds(Settings(database_url=url), corpus.base_url)
    specs = farm.feed_specs()
    with connect(url) as conn:
        warehouse.upsert_feeds(conn, [FeedSpec(**spec) for spec in specs])
        warehouse.make_feeds_due(conn)
    return demo + len(specs)


PENDING_SQL = """
SELECT (SELECT count(*) FROM articles WHERE (status = 'queued' AND next_attempt_at <= now())
                                            OR refetch_requested_at IS NOT NULL) AS to_fetch,
       (SELECT count(*) FROM articles WHERE status = 'fetched') AS to_extract,
       (SELECT count(*) FROM articles WHERE status = 'extracted' AND deduped_at IS NULL) AS to_dedup,
       (SELECT count(*) FROM articles WHERE status = 'extracted' AND tagged_at IS NULL) AS to_tag"""


def pending_work(url: str) -> dict[str, int]:
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(PENDING_SQL)
        return {k: v for k, v in zip(("to_fetch", "to_extract", "to_dedup", "to_tag"), cur.fetchone()) if v}


@dataclass
class Contents:
    articles: set[tuple[str, str]]
    stories: set[frozenset[str]]
    topics: set[tuple[str, str]]


def contents(url: str) -> Contents:
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT canonical_url, status FROM articles")
        articles = set(cur.fetchall())
        cur.execute("SELECT array_agg(canonical_url) FROM articles WHERE story_id IS NOT NULL GROUP BY story_id")
        stories = {frozenset(urls) for (urls,) in cur.fetchall()}
        cur.execute("SELECT a.canonical_url, t.topic_id FROM article_topics t JOIN articles a ON a.id = t.article_id")
        topics = set(cur.fetchall())
    return Contents(articles, stories, topics)


def compare(celery: Contents, local: Contents) -> list[str]:
    """The differences, as lines to print; empty when the warehouses agree."""
    problems = []
    for what in ("articles", "stories", "topics"):
        a, b = getattr(celery, what), getattr(local, what)
        if a != b:
            only_a, only_b = sorted(map(_show, a - b))[:5], sorted(map(_show, b - a))[:5]
            problems.append(f"{what} differ: {len(a - b)} only under Celery, {len(b - a)} only under LocalExecutor")
            problems += [f"    Celery only: {x}" for x in only_a] + [f"    Local only:  {x}" for x in only_b]
    return problems


def _show(item) -> str:
    return repr(sorted(item)[:3]) + (f" … ({len(item)} URLs)" if len(item) > 3 else "") \
        if isinstance(item, frozenset) else repr(item)


# --- Airflow -----------------------------------------------------------------------------------

@dataclass
class Airflow:
    """One Airflow deployment on loopback: its environment, its API, and the runs it did."""

    env: dict[str, str]
    base_url: str
    password: str
    token: str | None = None

    def headers(self) -> dict[str, str]:
        if self.token is None:
            response = requests.post(f"{self.base_url}/auth/token", json={"username": ADMIN, "password": self.password},
                                     timeout=30)
            if response.status_code != 201:
                raise RuntimeError(f"POST /auth/token: {response.status_code} {response.text[:300]}")
            self.token = response.json()["access_token"]
        return {"Authorization": f"Bearer {self.token}"}

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, f"{self.base_url}/api/v2{path}", headers=self.headers(), timeout=30,
                                **kwargs)

    def airflow(self, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> str:
        done = subprocess.run([sys.executable, "-m", "airflow", *args], env=env or self.env, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{(done.stderr or done.stdout)[-3000:]}")
        return done.stdout


def airflow_env(*, workdir: Path, server: Server, meta_db: str, warehouse_url: str, api_port: int,
                executor: str, args: argparse.Namespace, queues: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update({
        "AIRFLOW_HOME": str(workdir / "airflow"),
        "AIRFLOW__CORE__EXECUTOR": executor,
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        # Only news_ingest is unpaused (by this script), and only triggered runs happen.
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": server.sqlalchemy_url(meta_db),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__SECRET_KEY": "wirewatch-scale-test-secret-key",
        "AIRFLOW__API_AUTH__JWT_SECRET": "wirewatch-scale-test-jwt-secret",
        "AIRFLOW__CORE__AUTH_MANAGER":
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(workdir / "passwords.json"),
        "AIRFLOW__CELERY__BROKER_URL": args.redis_url,
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + server.sqlalchemy_url(meta_db, "postgresql"),
        # Queues of this run only: another scale test sharing the Redis database takes none of ours.
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queues["default"],
        "WIREWATCH_IO_QUEUE": queues["io"],
        "WIREWATCH_CPU_QUEUE": queues["cpu"],
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        # Parsed once at start is enough here: no re-parsing every 30 s competing for the two cores.
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "3600",
        # The warehouse the DAG tasks load into (their SQL checks read it through the Connection).
        "WIREWATCH_DATABASE_URL": warehouse_url,
        "AIRFLOW_CONN_WIREWATCH_WAREHOUSE": connection_json(warehouse_url),
        "WIREWATCH_ALLOWED_NETWORKS": LOOPBACK_NETWORKS,
        "WIREWATCH_HOST_DELAY_SECONDS": str(args.host_delay),
        # Mapped fetch tasks (each fetches concurrently inside): several, so that the workers share
        # them, but each task process costs seconds of start-up CPU on these two cores.
        "WIREWATCH_MAX_SHARDS": str(args.max_shards),
        # A page that fails transiently is retried this much later: never within the test, so both
        # executors see each article fetched once and record the same outcome.
        "WIREWATCH_FETCH_RETRY_MINUTES": "600",
        "WIREWATCH_DIGEST_DIR": str(workdir / "digests"),
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
    })
    return env


def wait_for(what: str, check, timeout: float, processes: Processes, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        processes.check_alive()
        try:
            result = check()
            if result:
                return result
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(interval)
    raise TimeoutError(f"{what}: not within {timeout:.0f}s ({last or 'no answer'})")


def scheduler_heartbeat_since(airflow: Airflow, since: datetime) -> bool:
    """A scheduler started after `since` is running (its heartbeat is newer)."""
    beat = requests.get(f"{airflow.base_url}/api/v2/monitor/health", timeout=5).json()["scheduler"]
    latest = beat.get("latest_scheduler_heartbeat")
    return bool(latest) and datetime.fromisoformat(latest) > since


def dag_parsed(airflow: Airflow) -> bool:
    return airflow.api("GET", f"/dags/{DAG_ID}").status_code == 200


def trigger_and_wait(airflow: Airflow, processes: Processes, run_id: str, timeout: float) -> dict:
    """Trigger news_ingest and wait for the run to end. Nothing is expected to fail here: the first
    task instance that fails or waits for a retry ends the test, with the end of its log."""
    response = airflow.api("POST", f"/dags/{DAG_ID}/dagRuns", json={"dag_run_id": run_id, "logical_date": None})
    if response.status_code not in (200, 201):
        raise RuntimeError(f"triggering {DAG_ID}: {response.status_code} {response.text[:500]}")
    started = time.monotonic()
    last_report = started
    while True:
        processes.check_alive()
        run = airflow.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}").json()
        tis = task_instances(airflow, run_id)
        broken = [ti for ti in tis if ti["state"] in ("failed", "up_for_retry", "upstream_failed")]
        if broken:
            raise RuntimeError(f"{run_id}: task {broken[0]['task_id']} {broken[0]['state']}; end of its log:\n"
                               + task_log_tail(airflow, run_id, broken[0]))
        if run.get("state") in TERMINAL:
            run["seconds"] = time.monotonic() - started
            return run
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"run {run_id} still {run.get('state')} after {timeout:.0f}s: {task_states(tis)}")
        if time.monotonic() - last_report > 30:
            last_report = time.monotonic()
            log(f"  {run_id}: {time.monotonic() - started:.0f}s, {task_states(tis)}")
        time.sleep(3)


def task_instances(airflow: Airflow, run_id: str) -> list[dict]:
    response = airflow.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances", params={"limit": 500})
    response.raise_for_status()
    return response.json()["task_instances"]


def task_states(tis: list[dict]) -> str:
    """"running: extract; success: 5; waiting: 8" (waiting: not scheduled yet)."""
    by_state: dict[str, list[str]] = defaultdict(list)
    for ti in tis:
        by_state[ti["state"] or "waiting"].append(ti["task_id"])
    return "; ".join(f"{state}: {len(tasks)}" if state in ("success", "waiting")
                     else f"{state}: {', '.join(f'{t}×{n}' if n > 1 else t for t, n in Counter(tasks).items())}"
                     for state, tasks in sorted(by_state.items()))


def task_log_tail(airflow: Airflow, run_id: str, ti: dict, lines: int = 25) -> str:
    """The last lines of a task instance's log file, warnings and errors first."""
    folder = Path(airflow.env["AIRFLOW_HOME"]) / "logs" / f"dag_id={DAG_ID}" / f"run_id={run_id}" \
        / f"task_id={ti['task_id']}"
    if ti.get("map_index", -1) >= 0:
        folder = folder / f"map_index={ti['map_index']}"
    files = sorted(folder.glob("attempt=*.log"), key=lambda p: p.stat().st_mtime)
    if not files:
        return f"(no log under {folder})"
    events = []
    for line in files[-1].read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            events.append(line)
            continue
        if record.get("level") in ("warning", "error", "critical"):
            detail = record.get("error_detail")
            events.append(f"{record.get('level')}: {record.get('event')}"
                          + (f" ({detail[0].get('exc_type')}: {detail[0].get('exc_value')})" if detail else ""))
    return "\n".join(events[-lines:]) + f"\n(log: {files[-1]})"


def stage_times(tis: list[dict]) -> dict[str, tuple[int, float]]:
    """Per task: (task instances, wall seconds from the first start to the last end)."""
    spans: dict[str, list] = defaultdict(list)
    for ti in tis:
        if ti.get("start_date") and ti.get("end_date"):
            spans[ti["task_id"]].append((datetime.fromisoformat(ti["start_date"]),
                                         datetime.fromisoformat(ti["end_date"])))
    return {task: (len(s), (max(e for _, e in s) - min(b for b, _ in s)).total_seconds())
            for task, s in spans.items()}


@dataclass
class Outcome:
    executor: str
    start_seconds: float
    runs: list[dict] = field(default_factory=list)
    stages: dict[str, tuple[int, float]] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def run_seconds(self) -> float:
        return sum(run["seconds"] for run in self.runs)


def run_until_drained(airflow: Airflow, processes: Processes, outcome: Outcome, warehouse_url: str,
                      args: argparse.Namespace, queues: dict[str, str]) -> None:
    for n in range(1, args.max_runs + 1):
        run_id = f"scale_{outcome.executor.lower()}_{n}"
        log(f"{outcome.executor}: triggering {DAG_ID} ({run_id})")
        run = trigger_and_wait(airflow, processes, run_id, args.run_timeout)
        outcome.runs.append(run)
        tis = task_instances(airflow, run_id)
        for task, (count, seconds) in stage_times(tis).items():
            before = outcome.stages.get(task, (0, 0.0))
            outcome.stages[task] = (before[0] + count, before[1] + seconds)
        if outcome.executor == "CeleryExecutor":
            check_queues(tis, queues)
        failed = sorted({ti["task_id"] for ti in tis if ti["state"] != "success"})
        log(f"{outcome.executor}: {run_id} {run['state']} in {run['seconds']:.1f}s")
        if run["state"] != "success" or failed:
            raise RuntimeError(f"{run_id} ended {run['state']}; tasks not successful: {', '.join(failed) or 'none'} "
                               f"(task logs under {airflow.env['AIRFLOW_HOME']}/logs)")
        left = pending_work(warehouse_url)
        if not left:
            return
        log(f"{outcome.executor}: work left after {run_id}: {left}")
    raise RuntimeError(f"{outcome.executor}: work still left after {args.max_runs} runs: {pending_work(warehouse_url)}")


QUEUE_OF_TASK = {"poll_feeds": "io", "fetch_articles": "io", "extract_while_fetching": "cpu", "extract": "cpu",
                 "dedup": "cpu", "tag": "cpu"}


def check_queues(tis: list[dict], queues: dict[str, str]) -> None:
    """Each task went to the queue the DAG gives it (the CPU worker serves only the CPU queue)."""
    wrong = {f"{ti['task_id']}: {ti.get('queue')}" for ti in tis
             if ti.get("queue") != queues[QUEUE_OF_TASK.get(ti["task_id"], "default")]}
    if wrong:
        raise RuntimeError(f"tasks on unexpected queues: {sorted(wrong)}")


SHARED = ("api-server", "dag-processor")  # started once, serve both executors


def own_cpu_seconds() -> float:
    """CPU time of this process: mostly the loopback web servers (the farm and the demo corpus)."""
    times = psutil.Process().cpu_times()
    return times.user + times.system


def start_components(processes: Processes, env: dict[str, str], port: int, *, with_api: bool) -> None:
    airflow = [sys.executable, "-m", "airflow"]
    if with_api:
        processes.start("api-server", [*airflow, "api-server", "--host", "127.0.0.1", "--port", str(port),
                                       "--workers", "1"], env)
        processes.start("dag-processor", [*airflow, "dag-processor"], env)
    processes.start("scheduler", [*airflow, "scheduler"], env)


def start_celery_workers(processes: Processes, env: dict[str, str], args: argparse.Namespace,
                         queues: dict[str, str]) -> None:
    airflow = [sys.executable, "-m", "airflow", "celery", "worker", "--without-gossip", "--without-mingle"]
    workers = {"worker-io": (f"{queues['default']},{queues['io']}", args.io_slots),
               "worker-cpu": (queues["cpu"], args.cpu_slots)}
    for name, (served, slots) in workers.items():
        worker_env = {**env, "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())}
        processes.start(name, [*airflow, "--queues", served, "--concurrency", str(slots),
                               "--celery-hostname", f"{name}-{os.getpid()}@%h"], worker_env)


def celery_workers_ready(env: dict[str, str], names: list[str]) -> bool:
    from celery import Celery
    app = Celery(broker=env["AIRFLOW__CELERY__BROKER_URL"])
    try:
        replies = app.control.ping(timeout=1.0) or []
    finally:
        app.close()
    answered = {name.split("@")[0] for reply in replies for name in reply}
    return all(name in answered for name in names)


def delete_queues(redis_url: str, queues: dict[str, str]) -> None:
    import redis
    try:
        client = redis.Redis.from_url(redis_url, socket_timeout=5)
        for name in queues.values():
            for key in client.scan_iter(match=f"*{name}*"):
                client.delete(key)
        client.close()
    except redis.RedisError as exc:
        log(f"warning: could not delete the Redis queues: {exc}")


def check_redis(redis_url: str) -> None:
    import redis
    try:
        client = redis.Redis.from_url(redis_url, socket_timeout=5)
        client.ping()
        client.close()
    except redis.RedisError as exc:
        raise SystemExit(f"error: Redis does not answer at {redis_url} ({exc}); start it (it is the Celery broker)")


# --- the test ----------------------------------------------------------------------------------

@contextmanager
def signals_raise():
    """SIGTERM/SIGHUP end the script like Ctrl-C does, through the cleanup."""
    def handler(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run(args: argparse.Namespace, stack: ExitStack, workdir: Path, server: Server) -> int:
    tag = f"{os.getpid()}"
    queues = {"default": f"ww_scale_{tag}_default", "io": f"ww_scale_{tag}_io", "cpu": f"ww_scale_{tag}_cpu"}
    if "celery" in args.executors:
        check_redis(args.redis_url)
        stack.callback(delete_queues, args.redis_url, queues)
    processes = Processes(workdir)
    stack.callback(stop_descendants)
    stack.callback(processes.stop)

    subset = real_pages_subset(workdir, args.pages)
    if subset is not None:
        os.environ["WIREWATCH_REALPAGES"] = str(subset)  # read by bench/pagefarm.py when imported
    from pagefarm import PageFarm, load_pages

    # A host must not serve one page twice: its lines would become that site's learned boilerplate,
    # and what is stripped would depend on the order of extraction, which differs from run to run
    # (the poll tasks' ids interleave). With few pages (the 20 of tests/fixtures/realpages when
    # ../shared is absent) that takes more hosts.
    pages = len(load_pages())
    hosts = min(250, max(args.hosts, -(-args.articles // pages)))
    corpus = stack.enter_context(CorpusServer())
    farm = stack.enter_context(PageFarm(articles=args.articles, hosts=hosts, latency_ms=args.latency_ms))
    log(f"demo corpus on {corpus.base_url}; page farm: {args.articles:,} articles "
        f"({pages} real pages) on {hosts} hosts 127.0.0.2-{farm.hosts[-1]}, port {farm.port}")
    if -(-args.articles // hosts) > pages:
        log(f"note: with {pages} pages on {hosts} hosts some hosts serve one page twice: its lines become "
            "that site's learned boilerplate, and the executors may strip different lines")

    meta_db = f"ww_scale_{tag}_airflow"
    warehouses = {executor: server.create(f"ww_scale_{tag}_{executor}") for executor in args.executors}
    for executor, url in warehouses.items():
        feeds = prepare_warehouse(url, corpus, farm)
    log(f"warehouses {', '.join(redact_url(u) for u in warehouses.values())}: migrated, {feeds} feeds each")
    server.create(meta_db)
    (workdir / "passwords.json").write_text(json.dumps({ADMIN: "scale-test-password"}))
    (workdir / "airflow").mkdir()
    port = free_port()
    airflow = Airflow(env={}, base_url=f"http://127.0.0.1:{port}", password="scale-test-password")

    outcomes: dict[str, Outcome] = {}
    for executor in args.executors:
        started = time.monotonic()
        shared_cpu, own_cpu = processes.cpu_seconds(*SHARED), own_cpu_seconds()
        name = "CeleryExecutor" if executor == "celery" else "LocalExecutor"
        env = airflow.env = airflow_env(workdir=workdir, server=server, meta_db=meta_db,
                                        warehouse_url=warehouses[executor], api_port=port, executor=name,
                                        args=args, queues=queues)
        if not outcomes:
            log(f"{name}: migrating the Airflow metadata DB {meta_db}")
            airflow.airflow("db", "migrate", env=env)
            airflow.airflow("pools", "set", "wirewatch_http", str(args.io_slots), "HTTP fetches of wirewatch",
                            env=env)
            log(f"{name}: metadata DB ready ({time.monotonic() - started:.1f}s); starting the components")
            start_components(processes, env, port, with_api=True)
        else:  # the same API server, DAG processor and metadata DB; a new scheduler over the other warehouse
            processes.stop("scheduler", "worker-io", "worker-cpu")
            start_components(processes, env, port, with_api=False)
        since = datetime.now(timezone.utc)
        if executor == "celery":
            start_celery_workers(processes, env, args, queues)
        if not outcomes:
            wait_for("the API server", lambda: requests.get(f"{airflow.base_url}/api/v2/version", timeout=2).ok,
                     120, processes)
            log(f"{name}: API server answers ({time.monotonic() - started:.1f}s)")
            wait_for(f"{DAG_ID} parsed by the dag-processor", lambda: dag_parsed(airflow), 180, processes)
            log(f"{name}: {DAG_ID} parsed ({time.monotonic() - started:.1f}s)")
            response = airflow.api("PATCH", f"/dags/{DAG_ID}", json={"is_paused": False})
            response.raise_for_status()
        wait_for(f"the {name} scheduler", lambda: scheduler_heartbeat_since(airflow, since), 120, processes)
        if executor == "celery":
            wait_for("both Celery workers", lambda: celery_workers_ready(env, [f"worker-io-{os.getpid()}",
                                                                                f"worker-cpu-{os.getpid()}"]),
                     120, processes, interval=1)
        outcome = outcomes[executor] = Outcome(name, time.monotonic() - started)
        log(f"{name}: up in {outcome.start_seconds:.1f}s ({', '.join(processes.running)})")
        run_until_drained(airflow, processes, outcome, warehouses[executor], args, queues)
        outcome.cpu = {"executor": processes.cpu_seconds("scheduler", "worker-io", "worker-cpu"),
                       "shared": processes.cpu_seconds(*SHARED) - shared_cpu,
                       "servers": own_cpu_seconds() - own_cpu}

    processes.stop()
    found = {executor: contents(url) for executor, url in warehouses.items()}
    articles = {executor: len(c.articles) for executor, c in found.items()}
    report(outcomes, articles)
    if args.summary:
        write_summary(args.summary, outcomes, articles, farm_articles=args.articles)
    if len(found) < 2:
        log("one executor only: nothing to compare")
        return 0
    celery, local = found["celery"], found["local"]
    problems = compare(celery, local)
    if problems:
        print("\n".join(["FAIL: the CeleryExecutor and LocalExecutor warehouses differ", *problems]), flush=True)
        return 1
    statuses = Counter(status for _, status in celery.articles)
    print(f"PASS: both warehouses hold the same {len(celery.articles):,} articles "
          f"({', '.join(f'{s} {n:,}' for s, n in statuses.most_common())}), {len(celery.stories):,} stories "
          f"and {len(celery.topics):,} topic links", flush=True)
    return 0


def report(outcomes: dict[str, Outcome], articles: dict[str, int]) -> None:
    names = list(outcomes)
    width = 22
    print("", flush=True)
    print(f"{'':32}" + "".join(f"{outcomes[n].executor:>{width}}" for n in names))
    rows = [("Airflow (re)start (s)", lambda n: f"{outcomes[n].start_seconds:.1f}"),
            ("news_ingest runs", lambda n: str(len(outcomes[n].runs))),
            ("run time, trigger to end (s)", lambda n: f"{outcomes[n].run_seconds:.1f}"),
            ("articles loaded", lambda n: f"{articles[n]:,}"),
            ("articles/s", lambda n: f"{articles[n] / outcomes[n].run_seconds:.1f}"),
            ("CPU s: scheduler, workers, tasks", lambda n: f"{outcomes[n].cpu.get('executor', 0):.0f}"),
            ("CPU s: API server, DAG proc.", lambda n: f"{outcomes[n].cpu.get('shared', 0):.0f}"),
            ("CPU s: loopback web servers", lambda n: f"{outcomes[n].cpu.get('servers', 0):.0f}")]
    for label, value in rows:
        print(f"{label:32}" + "".join(f"{value(n):>{width}}" for n in names))
    tasks = [t for t in ("plan_poll", "poll_feeds", "plan_fetch", "fetch_articles", "extract_while_fetching",
                         "extract", "dedup", "tag", "report_run") if any(t in o.stages for o in outcomes.values())]
    print("stage wall time (s) [tasks]:")
    for task in tasks:
        cells = []
        for n in names:
            count, seconds = outcomes[n].stages.get(task, (0, 0.0))
            cells.append(f"{seconds:.1f}" + (f" [{count}]" if count > 1 else ""))
        print(f"  {task:30}" + "".join(f"{c:>{width}}" for c in cells))
    print(flush=True)


def write_summary(path: Path, outcomes: dict[str, Outcome], articles: dict[str, int], *, farm_articles: int) -> None:
    """The figures of `report` as JSON, keyed by executor ("celery", "local")."""
    path.write_text(json.dumps({
        executor: {"executor": outcome.executor, "farm_articles": farm_articles, "articles": articles[executor],
                   "start_seconds": outcome.start_seconds, "runs": len(outcome.runs),
                   "run_seconds": outcome.run_seconds, "cpu_seconds": outcome.cpu,
                   "stages": {task: {"tasks": count, "seconds": seconds}
                              for task, (count, seconds) in outcome.stages.items()}}
        for executor, outcome in outcomes.items()}, indent=2))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    become_subreaper()
    server = Server(os.environ.get("WIREWATCH_DATABASE_URL") or DEFAULT_DATABASE_URL)
    workdir = Path(tempfile.mkdtemp(prefix="wirewatch-scale-"))
    started = time.monotonic()
    status = 1
    try:
        with signals_raise(), ExitStack() as stack:
            if not args.keep:
                stack.callback(server.drop_all)
            status = run(args, stack, workdir, server)
    except KeyboardInterrupt as exc:
        print(f"\nFAIL: interrupted ({exc or 'Ctrl-C'})", flush=True)
        status = 130
    except Exception as exc:  # noqa: BLE001 - reported, and the exit status says it failed
        if not isinstance(exc, (RuntimeError, TimeoutError)):
            traceback.print_exc()
        print(f"\nFAIL: {type(exc).__name__}: {exc}", flush=True)
        status = 1
    finally:
        left = stop_descendants()
        if left:
            log(f"stopped {left} leftover process(es)")
    log(f"total {time.monotonic() - started:.1f}s")
    if status == 0 and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        log(f"logs kept in {workdir}" + (f"; databases kept: {', '.join(server.created)}" if args.keep else ""))
    return status


if __name__ == "__main__":
    sys.exit(main())
