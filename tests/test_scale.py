"""Scale-out on the CeleryExecutor (issue 16): the DAGs' queues, the compose profile, extraction
inside a Celery worker, and `make scale-test` itself (scripts/scale_test.py: the scheduler, API
server, DAG processor and two Celery workers on loopback, 5,000+ articles, compared with a
LocalExecutor run). The last one takes a few minutes; deselect it with `-m "not scale"`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import yaml

from wirewatch.settings import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "scale_test.py"
COMPOSE = REPO_ROOT / "docker-compose.yml"
SCALE_TIMEOUT = 1500  # seconds; it takes about 6 minutes on the 2-core build machine


def load_dags(monkeypatch, **env: str):
    """news_ingest and wirewatch_reprocess parsed afresh with these environment variables."""
    from wirewatch.demo import DAG_FILE, load_dag_module

    for name in ("WIREWATCH_IO_QUEUE", "WIREWATCH_CPU_QUEUE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delitem(sys.modules, "wirewatch_tasks", raising=False)  # re-read at parse time
    ingest = load_dag_module().news_ingest_dag
    reprocess = load_dag_module(DAG_FILE.parent / "wirewatch_reprocess.py").wirewatch_reprocess_dag
    monkeypatch.delitem(sys.modules, "wirewatch_tasks", raising=False)
    return ingest, reprocess


def test_tasks_go_to_the_io_and_cpu_queues(airflow_db, monkeypatch):
    ingest, reprocess = load_dags(monkeypatch, WIREWATCH_IO_QUEUE="io_q", WIREWATCH_CPU_QUEUE="cpu_q")
    queues = {task.task_id: task.queue for task in ingest.tasks}
    assert queues["poll_feeds"] == queues["fetch_articles"] == "io_q"
    assert queues["extract"] == queues["dedup"] == queues["tag"] == "cpu_q"
    light = {task_id for task_id in queues if task_id.startswith(("plan_", "check_", "report"))}
    assert light and {queues[task_id] for task_id in light} == {"default"}
    assert {task.task_id: task.queue for task in reprocess.tasks} == {
        "mark": "default", "extract": "cpu_q", "dedup": "cpu_q", "tag": "cpu_q", "events": "default",
        "report_run": "default"}


def test_without_settings_every_task_is_on_the_default_queue(airflow_db, monkeypatch):
    ingest, reprocess = load_dags(monkeypatch)
    assert {task.queue for task in [*ingest.tasks, *reprocess.tasks]} == {"default"}


CELERY_TASK = """
import os, sys
from billiard import Pool  # Celery's prefork pool: daemonic processes with billiard's auth key

def task(_item):
    # What a Celery pool process does with a task: fork the task process, which maps pages over a
    # SafePool. -> the task process's exit status (0: the pool mapped correctly).
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            from wirewatch.workers import SafePool

            with SafePool(2, item_timeout=30, on_error=str) as pool:
                code = 0 if pool.map(abs, [-1, -2, -3]) == [1, 2, 3] else 2
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])

if __name__ == "__main__":
    with Pool(1) as pool:
        sys.exit(pool.map(task, [0])[0])
"""


def test_the_extract_pool_starts_inside_a_celery_worker():
    # A fresh interpreter, as a Celery worker is (this one may run a forkserver of its own already).
    done = subprocess.run([sys.executable, "-c", CELERY_TASK], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "plugins")})
    assert done.returncode == 0, done.stderr[-3000:]


def test_compose_celery_profile():
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    env = compose["x-airflow-common"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW_EXECUTOR:-LocalExecutor}"  # LocalExecutor by default
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:6379/")
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://")
    celery = {name for name, service in services.items() if "celery" in service.get("profiles", [])}
    assert celery == {"redis", "airflow-worker", "airflow-worker-cpu"}
    assert not any(service.get("profiles") for name, service in services.items() if name not in celery)
    io, cpu = services["airflow-worker"], services["airflow-worker-cpu"]
    assert "$${AIRFLOW__OPERATORS__DEFAULT_QUEUE},$${WIREWATCH_IO_QUEUE}" in io["command"][-1]
    assert "--queues \"$${WIREWATCH_CPU_QUEUE}\"" in cpu["command"][-1] and "$$(nproc)" in cpu["command"][-1]
    for service in (io, cpu):
        assert service["environment"]["WIREWATCH_IO_QUEUE"] == env["WIREWATCH_IO_QUEUE"]
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert "inspect ping" in service["healthcheck"]["test"][-1]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


@pytest.mark.scale
def test_make_scale_test_passes(tmp_path):
    """scripts/scale_test.py as `make scale-test` runs it: CeleryExecutor and LocalExecutor over the
    demo corpus plus 5,000 farm articles, same articles, stories and topics, nothing left behind."""
    out = tmp_path / "scale-test.log"
    with open(out, "w") as log:
        process = subprocess.Popen([sys.executable, str(SCRIPT)], stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, cwd=REPO_ROOT)
        try:
            process.wait(timeout=SCALE_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGTERM)  # the script stops its processes and drops its databases
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    text = out.read_text(errors="replace")
    print(text[-6000:])  # the timings, in the test's captured output
    assert process.returncode == 0, f"scale test failed (exit {process.returncode}):\n{text[-8000:]}"
    assert "\nPASS: both warehouses hold the same" in text
