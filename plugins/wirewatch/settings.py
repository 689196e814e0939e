"""All runtime settings in one place, read from WIREWATCH_* environment variables; inside Airflow
tasks the warehouse may come from the Airflow Connection `wirewatch_warehouse` instead (`task_settings`)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/wirewatch"
DEFAULT_USER_AGENT = "wirewatch/0.1 (news monitoring; +https://github.com/wirewatch/wirewatch)"
# The Airflow Connection (postgres type) DAG tasks take the warehouse from, when it is defined.
WAREHOUSE_CONN_ID = "wirewatch_warehouse"


class SettingsError(ValueError):
    """A WIREWATCH_* variable has a value that cannot be used; the message names it."""


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Runtime settings; `Settings.from_env()` is the only place the environment is read."""

    database_url: str = DEFAULT_DATABASE_URL
    config_dir: Path = REPO_ROOT / "config"
    sql_dir: Path = REPO_ROOT / "sql"
    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    # Wall-clock cap per download, so a server trickling one byte a second cannot stall a task.
    total_timeout: float = 60.0
    max_feed_bytes: int = 10 * 1024 * 1024
    max_page_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    # news_ingest's schedule (read when the DAG is parsed).
    ingest_interval_seconds: float = 15 * 60
    poll_interval_minutes: int = 15
    max_backoff_minutes: int = 24 * 60
    fetch_max_attempts: int = 3
    fetch_retry_minutes: int = 10
    # Items per mapped task; the planner splits the queue into shards of about this size.
    shard_size: int = 200
    max_shards: int = 8
    min_article_words: int = 60
    dedup_window_days: int = 14
    near_duplicate_containment: float = 0.6
    # Private, loopback, link-local and metadata addresses are refused unless listed here
    # (CIDRs; the demo and tests allow 127.0.0.0/8 and ::1).
    allowed_networks: tuple[str, ...] = ()
    # Adaptive feed polling: the interval follows the feed's publishing rate within these bounds.
    min_poll_minutes: int = 5
    max_poll_minutes: int = 6 * 60
    # Disable a feed after this many hard failures in a row (404, DNS, not a feed…); 410 disables at once.
    disable_after_hard_failures: int = 20
    # Re-check servers' conditional GET with an unconditional fetch this often.
    verify_conditional_hours: int = 24
    # Concurrent downloads inside one poll task.
    poll_workers: int = 16
    # Concurrent article downloads inside one fetch task, each on a different host (one database
    # connection each).
    fetch_workers: int = 8
    fetch_event_retention_days: int = 30
    # Raw article pages are kept (compressed) this long so `wirewatch reprocess` can re-extract them
    # (fractions allowed: the soak keeps them minutes).
    raw_page_retention_days: float = 30
    # LSH band rows of articles seen longer ago than the dedup window plus this margin are pruned
    # (a late-found article still matches copies seen up to the margin beyond the window).
    band_retention_margin_days: int = 7
    # Rows deleted per transaction by the maintenance DAG (short locks, steady WAL).
    retention_batch_size: int = 5000
    # Where `news_digest` and `wirewatch digest` write the digest (relative paths: to the repo).
    digest_dir: Path = REPO_ROOT / ".local" / "digests"
    # A topic or actor spikes at this multiple of its trailing 14-day daily mean, with this many stories.
    spike_ratio: float = 2.0
    spike_min_stories: int = 3
    # Recipients of the daily digest by e-mail (through Airflow's smtp_default connection); none: no e-mail.
    digest_email: tuple[str, ...] = ()
    # Extraction processes inside the extract task; 0 = one per CPU core.
    extract_workers: int = 0
    # extract_while_fetching gives up following the fetch after this long without a new page.
    extract_idle_seconds: float = 120.0
    # Article fetches: at least this long between two requests to one host, and robots.txt obeyed.
    host_delay_seconds: float = 1.0
    obey_robots_txt: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def taxonomy_path(self) -> Path:
        return self.config_dir / "topics.yaml"

    @property
    def gazetteer_path(self) -> Path:
        return self.config_dir / "actors.yaml"

    @property
    def feeds_path(self) -> Path:
        return self.config_dir / "feeds.yaml"

    @classmethod
    def from_env(cls) -> Settings:
        default = cls()  # the defaults are the field defaults above: one place
        return cls(
            database_url=_env("WIREWATCH_DATABASE_URL", DEFAULT_DATABASE_URL),
            config_dir=Path(_env("WIREWATCH_CONFIG_DIR", str(REPO_ROOT / "config"))),
            user_agent=_env("WIREWATCH_USER_AGENT", DEFAULT_USER_AGENT),
            connect_timeout=_env_float("WIREWATCH_CONNECT_TIMEOUT", default.connect_timeout),
            read_timeout=_env_float("WIREWATCH_READ_TIMEOUT", default.read_timeout),
            total_timeout=_env_float("WIREWATCH_TOTAL_TIMEOUT", default.total_timeout),
            max_feed_bytes=_env_int("WIREWATCH_MAX_FEED_BYTES", default.max_feed_bytes),
            max_page_bytes=_env_int("WIREWATCH_MAX_PAGE_BYTES", default.max_page_bytes),
            ingest_interval_seconds=_env_float("WIREWATCH_INGEST_INTERVAL_SECONDS", default.ingest_interval_seconds),
            poll_interval_minutes=_env_int("WIREWATCH_POLL_INTERVAL_MINUTES", default.poll_interval_minutes),
            max_backoff_minutes=_env_int("WIREWATCH_MAX_BACKOFF_MINUTES", default.max_backoff_minutes),
            fetch_max_attempts=_env_int("WIREWATCH_FETCH_MAX_ATTEMPTS", default.fetch_max_attempts),
            fetch_retry_minutes=_env_int("WIREWATCH_FETCH_RETRY_MINUTES", default.fetch_retry_minutes),
            shard_size=_env_int("WIREWATCH_SHARD_SIZE", default.shard_size),
            max_shards=_env_int("WIREWATCH_MAX_SHARDS", default.max_shards),
            min_article_words=_env_int("WIREWATCH_MIN_ARTICLE_WORDS", default.min_article_words),
            dedup_window_days=_env_int("WIREWATCH_DEDUP_WINDOW_DAYS", default.dedup_window_days),
            near_duplicate_containment=_env_float("WIREWATCH_NEAR_DUPLICATE_CONTAINMENT", default.near_duplicate_containment),
            allowed_networks=tuple(n.strip() for n in _env("WIREWATCH_ALLOWED_NETWORKS", "").split(",") if n.strip()),
            min_poll_minutes=_env_int("WIREWATCH_MIN_POLL_MINUTES", default.min_poll_minutes),
            max_poll_minutes=_env_int("WIREWATCH_MAX_POLL_MINUTES", default.max_poll_minutes),
            disable_after_hard_failures=_env_int("WIREWATCH_DISABLE_AFTER_HARD_FAILURES", default.disable_after_hard_failures),
            verify_conditional_hours=_env_int("WIREWATCH_VERIFY_CONDITIONAL_HOURS", default.verify_conditional_hours),
            poll_workers=_env_int("WIREWATCH_POLL_WORKERS", default.poll_workers),
            fetch_workers=_env_int("WIREWATCH_FETCH_WORKERS", default.fetch_workers),
            fetch_event_retention_days=_env_int("WIREWATCH_FETCH_EVENT_RETENTION_DAYS", default.fetch_event_retention_days),
            raw_page_retention_days=_env_float("WIREWATCH_RAW_PAGE_RETENTION_DAYS", default.raw_page_retention_days),
            band_retention_margin_days=_env_int("WIREWATCH_BAND_RETENTION_MARGIN_DAYS",
                                                default.band_retention_margin_days),
            retention_batch_size=_env_int("WIREWATCH_RETENTION_BATCH_SIZE", default.retention_batch_size),
            digest_dir=REPO_ROOT / _env("WIREWATCH_DIGEST_DIR", str(default.digest_dir)),
            spike_ratio=_env_float("WIREWATCH_SPIKE_RATIO", default.spike_ratio),
            spike_min_stories=_env_int("WIREWATCH_SPIKE_MIN_STORIES", default.spike_min_stories),
            digest_email=tuple(a.strip() for a in _env("WIREWATCH_DIGEST_EMAIL", "").split(",") if a.strip()),
            extract_workers=_env_int("WIREWATCH_EXTRACT_WORKERS", default.extract_workers),
            extract_idle_seconds=_env_float("WIREWATCH_EXTRACT_IDLE_SECONDS", default.extract_idle_seconds),
            host_delay_seconds=_env_float("WIREWATCH_HOST_DELAY_SECONDS", default.host_delay_seconds),
            obey_robots_txt=_env("WIREWATCH_OBEY_ROBOTS_TXT", "true").lower() not in ("0", "false", "no"),
        )


def task_settings() -> Settings:
    """Settings for code running in an Airflow task: `Settings.from_env()`, with the warehouse taken
    from the Airflow Connection `wirewatch_warehouse` when it is defined (secrets backends, the
    metadata DB or AIRFLOW_CONN_WIREWATCH_WAREHOUSE), else WIREWATCH_DATABASE_URL. Call it from task
    code only: the CLI, the demo and the tests use `Settings.from_env()`."""
    settings = Settings.from_env()
    url = airflow_warehouse_url()
    return settings if url is None else replace(settings, database_url=url)


def connection_json(database_url: str) -> str:
    """A libpq URL or key=value DSN as an Airflow Connection in its JSON form, for
    AIRFLOW_CONN_WIREWATCH_WAREHOUSE: how the demo, `make airflow` and the tests hand the warehouse
    of WIREWATCH_DATABASE_URL to the DAGs' SQL check operators."""
    import json

    import psycopg2.extensions

    params = psycopg2.extensions.parse_dsn(database_url)
    known = {"host", "port", "user", "password", "dbname"}
    return json.dumps({"conn_type": "postgres", "host": params.get("host", "127.0.0.1"),
                       "port": int(params.get("port", 5432)), "login": params.get("user"),
                       "password": params.get("password"), "schema": params.get("dbname"),
                       "extra": {k: v for k, v in params.items() if k not in known}})


def airflow_warehouse_url(conn_id: str = WAREHOUSE_CONN_ID) -> str | None:
    """The libpq DSN of Airflow Connection `conn_id`, read through the postgres provider's hook
    (what its get_conn() would connect with), or None when no such connection is defined.
    Airflow is imported here, not at module level: the library works without it."""
    import psycopg2.extensions
    from airflow.providers.postgres.hooks.postgres import PostgresHook
    from airflow.sdk.exceptions import AirflowNotFoundException
    from airflow.sdk.log import mask_secret

    hook = PostgresHook(postgres_conn_id=conn_id)
    try:
        conn = hook.connection  # registers the password and extras with the secrets masker
    except AirflowNotFoundException:
        return None
    login, password, port = conn.login, conn.password, conn.port
    if conn.extra_dejson.get("iam", False):  # as PostgresHook.get_conn(): a short-lived IAM token
        login, password, port = hook.get_iam_token(conn)
    params = {"host": conn.host, "port": port, "user": login, "password": password, "dbname": conn.schema}
    params |= {key: value for key, value in conn.extra_dejson.items() if key not in hook.ignored_extra_options}
    dsn = psycopg2.extensions.make_dsn(**{key: value for key, value in params.items() if value not in (None, "")})
    if password:
        mask_secret(dsn)  # the DSN quotes the password, maybe escaped: mask the whole string too
    return dsn
