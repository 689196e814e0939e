"""The offline demo: a loopback HTTP server for the bundled corpus, and `wirewatch demo`.

The corpus (demo/corpus) is a small web of fictional outlets: feeds, article pages, junk.
`CorpusServer` serves it on 127.0.0.1, replacing `{{BASE}}` in text files with its own base
URL, and applies per-path status/content-type overrides from `_routes.yaml`.
The tests use the same server.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import mimetypes
import os
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from urllib.parse import unquote, urlsplit

import yaml

from wirewatch import migrations, warehouse
from wirewatch.airflow_home import check_dags_folder
from wirewatch.db import connect, ensure_database
from wirewatch.feeds.lists import load_feed_list
from wirewatch.reporting.report import format_summary, run_summary
from wirewatch.settings import REPO_ROOT, Settings, connection_json

LOGGER = logging.getLogger(__name__)

DEMO_DIR = REPO_ROOT / "demo"
CORPUS_DIR = DEMO_DIR / "corpus"
DEMO_FEEDS = DEMO_DIR / "feeds.yaml"
DAG_FILE = REPO_ROOT / "dags" / "news_ingest.py"
PLACEHOLDER = "{{BASE}}"
DEFAULT_DEMO_PORT = 18765
# The corpus is served on loopback, which fetches refuse by default (see fetch.check_address).
LOOPBACK_NETWORKS = "127.0.0.0/8,::1"

TEXT_SUFFIXES = {".xml", ".rss", ".atom", ".rdf", ".html", ".htm", ".yaml", ".txt"}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
    ".rss": "application/rss+xml", ".xml": "application/rss+xml", ".atom": "application/atom+xml",
    ".rdf": "application/rdf+xml", ".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg",
}


@dataclass(frozen=True)
class Route:
    status: int = 200
    content_type: str | None = None


def load_routes(root: Path) -> dict[str, Route]:
    path = root / "_routes.yaml"
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {url_path: Route(**spec) for url_path, spec in raw.items()}


class CorpusServer:
    """Serve a corpus directory on loopback in a background thread (use as a context manager)."""

    def __init__(self, root: Path = CORPUS_DIR, *, host: str = "127.0.0.1", port: int = 0):
        self.root = root.resolve()
        self.routes = load_routes(self.root)
        self.requests: list[str] = []
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="corpus-server", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def __enter__(self) -> CorpusServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()

    def respond(self, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) for a URL path."""
        route = self.routes.get(path, Route())
        file = (self.root / path.lstrip("/")).resolve()
        if not file.is_relative_to(self.root) or file.name.startswith("_") or not file.is_file():
            return 404, "text/html; charset=utf-8", b"<html><body><h1>404 Not Found</h1></body></html>"
        body = file.read_bytes()
        if file.suffix in TEXT_SUFFIXES:
            body = body.replace(PLACEHOLDER.encode(), self.base_url.encode())
        content_type = route.content_type or CONTENT_TYPES.get(file.suffix) \
            or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return route.status, content_type, body

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = unquote(urlsplit(self.path).path)
                server.requests.append(path)
                status, content_type, body = server.respond(path)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args) -> None:
                LOGGER.debug("corpus server: " + format, *args)

        return Handler


def load_dag_module(path: Path = DAG_FILE) -> ModuleType:
    if str(path.parent) not in sys.path:  # as Airflow does for its dags folder: shared task modules import
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ensure_airflow_db() -> None:
    """Create or upgrade Airflow's own metadata database in $AIRFLOW_HOME (idempotent), which
    dag.test() needs. Run as a subprocess so Airflow's migration logging stays out of our output."""
    done = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError("airflow db migrate failed:\n" + (done.stderr or done.stdout)[-2000:])


def prepare_warehouse(settings: Settings) -> list[str]:
    """Create the database if needed and apply pending migrations; -> names applied."""
    ensure_database(settings.database_url)
    with connect(settings.database_url) as conn:
        return migrations.migrate(conn, settings.sql_dir)


def import_demo_feeds(settings: Settings, base_url: str) -> int:
    specs = load_feed_list(DEMO_FEEDS, substitutions={PLACEHOLDER: base_url})
    with connect(settings.database_url) as conn:
        warehouse.upsert_feeds(conn, specs)
        warehouse.make_feeds_due(conn)
    return len(specs)


@contextlib.contextmanager
def _stage_progress(verbose: bool):
    """Print each stage's 'done' line while the DAG runs (Airflow's own logging is quiet)."""
    if verbose:
        yield
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("  %(message)s"))
    handler.addFilter(lambda record: " done: " in record.getMessage())
    logger = logging.getLogger("wirewatch.stages")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def run_demo(settings: Settings, *, port: int = DEFAULT_DEMO_PORT, verbose: bool = False) -> int:
    """Serve the corpus, load the demo feeds, run `news_ingest` once with dag.test(), print a summary."""
    started = time.monotonic()
    if not verbose:
        # Airflow logs every task's lifecycle at INFO; the demo shows the stages' own progress instead.
        os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
        warnings.filterwarnings("ignore", message=".*starlette.testclient.*")
    # The DAG's tasks read their settings from the environment: let them fetch from the corpus.
    os.environ.setdefault("WIREWATCH_ALLOWED_NETWORKS", LOOPBACK_NETWORKS)
    # Every demo outlet lives on the one loopback host: no need to space requests out.
    os.environ.setdefault("WIREWATCH_HOST_DELAY_SECONDS", "0")
    # The DAG's data-quality checks (SQL check operators) reach the warehouse through this Connection.
    os.environ.setdefault("AIRFLOW_CONN_WIREWATCH_WAREHOUSE", connection_json(settings.database_url))
    check_dags_folder()
    ensure_airflow_db()
    applied = prepare_warehouse(settings)
    print(f"warehouse ready ({len(applied)} migrations applied)" if applied else "warehouse up to date")
    with CorpusServer(port=port) as server:
        feeds = import_demo_feeds(settings, server.base_url)
        print(f"serving the demo corpus on {server.base_url}; {feeds} demo feeds loaded")
        print("running DAG news_ingest with dag.test() ...", flush=True)
        dag = load_dag_module().news_ingest_dag
        with _stage_progress(verbose):
            dag_run = dag.test()
    with connect(settings.database_url) as conn:
        text = format_summary(run_summary(conn, dag_run.run_id))
    print()
    print(text)
    print()
    print(f"DAG run state: {dag_run.state}; {time.monotonic() - started:.1f}s. "
          "Query the warehouse with: psql \"$WIREWATCH_DATABASE_URL\" (see docs/warehouse.md)")
    return 0 if str(dag_run.state) in ("success", "DagRunState.SUCCESS") else 1
