"""The Airflow home `wirewatch` commands that run Airflow (the demo) use when none is set up.

scripts/bootstrap.sh exports a project-local AIRFLOW_HOME (.local/airflow: SQLite metadata, no
example DAGs, this repo's dags/ and plugins/). A `wirewatch` command run from an activated venv
without it would otherwise get Airflow's default ~/airflow, whose dags folder is not this repo's,
and dag.test() fails with "the dag is not serialized". Airflow reads its configuration when it is
first imported, so `ensure_airflow_home()` must run before anything imports airflow.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from wirewatch.settings import REPO_ROOT

DAGS_FOLDER = REPO_ROOT / "dags"
PLUGINS_FOLDER = REPO_ROOT / "plugins"


class AirflowSetupError(RuntimeError):
    """Airflow is configured in a way the command cannot run with; the message says what to do."""


def project_airflow_home() -> Path:
    """<repo>/.local/airflow, as in scripts/bootstrap.sh (WIREWATCH_AIRFLOW_HOME overrides it, for tests)."""
    return Path(os.environ.get("WIREWATCH_AIRFLOW_HOME") or REPO_ROOT / ".local" / "airflow")


def ensure_airflow_home() -> Path:
    """Without AIRFLOW_HOME, set up the environment scripts/bootstrap.sh exports: the project-local
    home, this repo's dags/ and plugins/, no examples, the API server on loopback. An AIRFLOW_HOME
    that is already set is kept. -> the Airflow home."""
    if os.environ.get("AIRFLOW_HOME"):
        return Path(os.environ["AIRFLOW_HOME"])
    if "airflow" in sys.modules:
        raise AirflowSetupError("AIRFLOW_HOME is not set and Airflow is already imported: "
                                "run `source scripts/bootstrap.sh` first")
    home = project_airflow_home()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["AIRFLOW_HOME"] = str(home)
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_FOLDER)
    os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(PLUGINS_FOLDER)
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
    os.environ.setdefault("AIRFLOW__API__HOST", "127.0.0.1")
    os.environ.setdefault("AIRFLOW__API__PORT", "8080")
    return home


def check_dags_folder() -> None:
    """Stop with one line when the configured Airflow does not parse this repo's dags/ (dag.test()
    would fail deep inside Airflow). Imports Airflow's configuration."""
    from airflow.configuration import conf

    configured = Path(conf.get("core", "dags_folder")).expanduser().resolve()
    if configured != DAGS_FOLDER.resolve():
        raise AirflowSetupError(
            f"AIRFLOW_HOME={os.environ.get('AIRFLOW_HOME', '~/airflow')} uses the dags folder {configured}, not "
            f"{DAGS_FOLDER}: unset AIRFLOW_HOME, or run `source scripts/bootstrap.sh` (or `make demo`)")
