"""scripts/airflow-standalone.sh (`make airflow`), run with stand-ins for `airflow` and `wirewatch`
that record their arguments: UNPAUSE=1 unpauses news_ingest even when the DAG exists already
(after `make demo`), before Airflow starts, and the banner shows the warehouse without its password."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wirewatch.settings import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "airflow-standalone.sh"


@pytest.fixture
def stubs(tmp_path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("airflow", "wirewatch"):
        stub = bin_dir / name
        stub.write_text(f'#!/bin/sh\necho "{name} $*" >> "{tmp_path}/calls"\n')
        stub.chmod(0o755)
    # `python` is the venv's (the script redacts the warehouse URL with wirewatch.db.redact_url).
    (bin_dir / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (bin_dir / "python").chmod(0o755)
    return bin_dir


def run_script(stubs: Path, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    full_env = {**os.environ, "PATH": f"{stubs}:/usr/bin:/bin", "WIREWATCH_DEMO": "0",
                "AIRFLOW_HOME": str(stubs.parent / "airflow"), "AIRFLOW__API__PORT": "18080",
                "WIREWATCH_DATABASE_URL": "postgresql://wh:s3cret-pw@db.internal:5432/wirewatch", **env}
    done = subprocess.run(["bash", str(SCRIPT)], env=full_env, capture_output=True, text=True, timeout=60)
    calls = (stubs.parent / "calls").read_text().splitlines()
    return done, calls


def test_unpause_unpauses_an_existing_dag_before_airflow_starts(stubs):
    done, calls = run_script(stubs, UNPAUSE="1")
    assert done.returncode == 0, done.stderr
    assert "airflow dags unpause news_ingest" in calls
    assert calls.index("airflow dags unpause news_ingest") < calls.index("airflow standalone")
    assert calls.index("airflow db migrate") < calls.index("airflow dags unpause news_ingest")
    assert "(unpaused: runs every 15 minutes)" in done.stdout


def test_without_unpause_nothing_is_unpaused(stubs):
    done, calls = run_script(stubs)
    assert done.returncode == 0, done.stderr
    assert not any("unpause" in call for call in calls) and "airflow standalone" in calls


def test_the_banner_shows_the_warehouse_without_its_password(stubs):
    done, _ = run_script(stubs)
    assert "s3cret-pw" not in done.stdout + done.stderr
    assert "Warehouse:   postgresql://wh:***@db.internal:5432/wirewatch" in done.stdout
