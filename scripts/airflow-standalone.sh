#!/usr/bin/env bash
# `make airflow`: Airflow standalone (api-server, scheduler, dag-processor, triggerer) with this
# project's dags/ and plugins/, on 127.0.0.1. Expects the environment of scripts/bootstrap.sh.
#   UNPAUSE=1            run news_ingest unpaused, also when it exists already (e.g. after `make demo`);
#                        default: paused, unpause it in the UI
#   WIREWATCH_DEMO=0     do not serve the demo corpus / load the demo feeds
#   AIRFLOW__API__PORT   UI port (default 8080)
set -euo pipefail

host="${AIRFLOW__API__HOST:-127.0.0.1}"
port="${AIRFLOW__API__PORT:-8080}"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://$host:$port/execution/"
# The DAGs reach the warehouse through this Airflow Connection (its data-quality checks need it).
export AIRFLOW_CONN_WIREWATCH_WAREHOUSE="${AIRFLOW_CONN_WIREWATCH_WAREHOUSE:-$(python -c 'import os; from wirewatch.settings import connection_json; print(connection_json(os.environ["WIREWATCH_DATABASE_URL"]))')}"
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=$([ "${UNPAUSE:-0}" = 1 ] && echo False || echo True)

wirewatch db migrate
airflow db migrate >/dev/null
airflow pools set wirewatch_http 8 "HTTP fetches of wirewatch (feeds and article pages)" >/dev/null
if [ "${UNPAUSE:-0}" = 1 ]; then
    # Paused-at-creation (above) applies to new DAGs only; `make demo` already created news_ingest,
    # paused. `dags unpause` sets the flag in the metadata DB directly (a no-op for a DAG not there
    # yet, which the dag-processor then creates unpaused), so no need to wait for Airflow to start.
    airflow dags unpause news_ingest >/dev/null 2>&1 \
        || echo "warning: could not unpause news_ingest; unpause it in the UI" >&2
fi
# The warehouse URL as shown below, without its password.
warehouse="$(python -c 'import os; from wirewatch.db import redact_url; print(redact_url(os.environ["WIREWATCH_DATABASE_URL"]))')"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

if [ "${WIREWATCH_DEMO:-1}" != 0 ]; then
    # The demo corpus is on loopback, which fetches refuse unless allowed.
    export WIREWATCH_ALLOWED_NETWORKS="${WIREWATCH_ALLOWED_NETWORKS:-127.0.0.0/8,::1}"
    export WIREWATCH_HOST_DELAY_SECONDS="${WIREWATCH_HOST_DELAY_SECONDS:-0}"  # all demo sites share one host
    wirewatch demo serve &
    pids+=($!)
fi

cat <<MSG

  Airflow UI:  http://$host:$port   (user: admin)
  Password:    printed by Airflow below, and kept in
               $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated
  DAG:         news_ingest $( [ "${UNPAUSE:-0}" = 1 ] && echo "(unpaused: runs every 15 minutes)" || echo "(paused: unpause it in the UI, or rerun with UNPAUSE=1)")
  Warehouse:   $warehouse
  Stop with Ctrl-C.

MSG
airflow standalone &
pids+=($!)
wait "${pids[-1]}"
