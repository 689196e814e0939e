"""`wirewatch` commands that run Airflow set up the project-local Airflow home themselves when no
AIRFLOW_HOME is set (a venv activated without scripts/bootstrap.sh), and stop with one line when
the Airflow home they are given does not parse this repo's dags/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from wirewatch.airflow_home import DAGS_FOLDER, PLUGINS_FOLDER
from wirewatch.settings import REPO_ROOT


@pytest.fixture
def bare_env(tmp_path) -> dict[str, str]:
    """The environment of a shell with the venv activated but no bootstrap: no AIRFLOW_* at all,
    HOME in a temporary directory, the project-local home pointed at another one."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    (tmp_path / "home").mkdir()
    env.update(HOME=str(tmp_path / "home"), WIREWATCH_AIRFLOW_HOME=str(tmp_path / "airflow"),
               WIREWATCH_DATABASE_URL="postgresql://postgres@127.0.0.1:1/unreachable")
    return env


def run(args: list[str], env: dict[str, str], cwd) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_without_airflow_home_the_project_local_one_is_set_up(bare_env, tmp_path):
    probe = textwrap.dedent("""
        import json, os
        from wirewatch.airflow_home import ensure_airflow_home
        ensure_airflow_home()
        from airflow.configuration import conf
        from airflow.dag_processing.bundles.manager import DagBundlesManager
        print(json.dumps({
            "home": os.environ["AIRFLOW_HOME"],
            "dags_folder": conf.get("core", "dags_folder"),
            "plugins_folder": conf.get("core", "plugins_folder"),
            "load_examples": conf.getboolean("core", "load_examples"),
            "sql_alchemy_conn": conf.get("database", "sql_alchemy_conn"),
            "bundles": {b.name: str(b.path) for b in DagBundlesManager().get_all_dag_bundles()},
        }))
    """)
    done = run([sys.executable, "-c", probe], bare_env, tmp_path)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["home"] == str(tmp_path / "airflow")
    assert seen["dags_folder"] == str(DAGS_FOLDER) and seen["plugins_folder"] == str(PLUGINS_FOLDER)
    assert seen["load_examples"] is False
    assert seen["sql_alchemy_conn"].startswith("sqlite:///" + str(tmp_path / "airflow"))
    # dag.test() serialises the DAG through the dags-folder bundle: it must be this repo's dags/.
    assert seen["bundles"]["dags-folder"] == str(DAGS_FOLDER)
    assert not any((tmp_path / "home").iterdir())  # nothing written to ~/airflow


def test_the_default_project_local_home_is_the_one_bootstrap_uses(monkeypatch):
    from wirewatch.airflow_home import project_airflow_home

    monkeypatch.delenv("WIREWATCH_AIRFLOW_HOME", raising=False)
    assert project_airflow_home() == REPO_ROOT / ".local" / "airflow"
    assert 'AIRFLOW_HOME="${AIRFLOW_HOME:-$WW_LOCAL/airflow}"' in (REPO_ROOT / "scripts" / "bootstrap.sh").read_text()


def test_demo_with_an_airflow_home_for_other_dags_stops_in_one_line(bare_env, tmp_path):
    env = {**bare_env, "AIRFLOW_HOME": str(tmp_path / "elsewhere")}
    done = run([sys.executable, "-m", "wirewatch.cli", "demo"], env, tmp_path)
    assert done.returncode == 2
    assert done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"error: AIRFLOW_HOME={tmp_path / 'elsewhere'} uses the dags folder ")
    assert "not serialized" not in done.stderr and "Traceback" not in done.stderr


def test_demo_help_needs_no_airflow_home(bare_env, tmp_path):
    done = run([sys.executable, "-m", "wirewatch.cli", "demo", "--help"], bare_env, tmp_path)
    assert done.returncode == 0 and "demo corpus" in done.stdout
