# Source me (the Makefile does): sets up everything `make demo/test/airflow` need and
# exports the environment they run in. Idempotent: a second run only checks.
#   1. a project venv (.venv) with the pinned dependencies of requirements.lock
#   2. a warehouse: $WIREWATCH_DATABASE_URL if set; else the PostgreSQL on 127.0.0.1:5432
#      if it answers; else a private cluster under .local/pg started from the system binaries
#   3. a project-local AIRFLOW_HOME (.local/airflow, SQLite metadata, examples off)

WW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WW_LOCAL="$WW_ROOT/.local"
WW_VENV="$WW_ROOT/.venv"
WW_PYTHON="${WW_PYTHON:-python3}"
WW_PRIVATE_PG_PORT="${WW_PRIVATE_PG_PORT:-54329}"
mkdir -p "$WW_LOCAL"

ww_say() { printf '\033[1;34m[bootstrap]\033[0m %s\n' "$*" >&2; }
ww_die() { printf '\033[1;31m[bootstrap] error:\033[0m %s\n' "$*" >&2; return 1; }

ww_venv() {
    local stamp="$WW_VENV/.installed-lock"
    if [ -x "$WW_VENV/bin/python" ] && [ -f "$stamp" ] && cmp -s "$stamp" "$WW_ROOT/requirements.lock"; then
        return 0
    fi
    command -v "$WW_PYTHON" >/dev/null || ww_die "python3 not found: sudo apt-get install python3 python3-venv" || return 1
    "$WW_PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
        || ww_die "Python >= 3.10 is required (found $("$WW_PYTHON" --version 2>&1))" || return 1
    if [ ! -x "$WW_VENV/bin/python" ]; then
        ww_say "creating virtualenv in .venv"
        "$WW_PYTHON" -m venv "$WW_VENV" \
            || ww_die "could not create a venv: sudo apt-get install python3-venv" || return 1
    fi
    ww_say "installing pinned dependencies (requirements.lock); first run takes a minute"
    "$WW_VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$WW_ROOT/requirements.lock" \
        && "$WW_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e "$WW_ROOT" \
        || ww_die "pip install failed (see above)" || return 1
    cp "$WW_ROOT/requirements.lock" "$stamp"
}

ww_pg_answers() {  # ww_pg_answers HOST PORT
    "$WW_VENV/bin/python" - "$1" "$2" <<'EOF'
import sys, psycopg2
try:
    psycopg2.connect(host=sys.argv[1], port=int(sys.argv[2]), user="postgres", dbname="postgres", connect_timeout=3).close()
except Exception:
    sys.exit(1)
EOF
}

ww_pg_bindir() {
    local d
    if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then pg_config --bindir; return; fi
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$d/initdb" ] && { echo "$d"; return; }
    done
    command -v initdb >/dev/null && dirname "$(command -v initdb)"
}

ww_private_cluster() {
    local bindir data="$WW_LOCAL/pg/data" log="$WW_LOCAL/pg/server.log" run_as=()
    bindir="$(ww_pg_bindir)"
    [ -n "$bindir" ] || ww_die "no PostgreSQL reachable on 127.0.0.1:5432 and no PostgreSQL binaries found.
  Install them with:  sudo apt-get install postgresql
  or point WIREWATCH_DATABASE_URL at an existing server." || return 1
    mkdir -p "$WW_LOCAL/pg"
    # initdb refuses to run as root; use the postgres system account when we are root.
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || ww_die "running as root and no 'postgres' user to own the private cluster" || return 1
        chown -R postgres "$WW_LOCAL/pg"
        run_as=(runuser -u postgres --)
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
        ww_say "creating a private PostgreSQL cluster in .local/pg ($bindir)"
        "${run_as[@]}" "$bindir/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 >"$WW_LOCAL/pg/initdb.log" 2>&1 \
            || ww_die "initdb failed, see .local/pg/initdb.log" || return 1
    fi
    if ! ww_pg_answers 127.0.0.1 "$WW_PRIVATE_PG_PORT"; then
        ww_say "starting private PostgreSQL on 127.0.0.1:$WW_PRIVATE_PG_PORT"
        "${run_as[@]}" "$bindir/pg_ctl" -D "$data" -l "$log" -w \
            -o "-p $WW_PRIVATE_PG_PORT -c listen_addresses=127.0.0.1 -k $WW_LOCAL/pg" start >/dev/null \
            || ww_die "PostgreSQL did not start, see .local/pg/server.log" || return 1
    fi
    export WIREWATCH_DATABASE_URL="postgresql://postgres@127.0.0.1:$WW_PRIVATE_PG_PORT/wirewatch"
}

ww_warehouse() {
    if [ -n "${WIREWATCH_DATABASE_URL:-}" ]; then
        ww_say "warehouse: \$WIREWATCH_DATABASE_URL"
    elif ww_pg_answers 127.0.0.1 5432; then
        export WIREWATCH_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/wirewatch"
        ww_say "warehouse: PostgreSQL on 127.0.0.1:5432"
    else
        ww_private_cluster || return 1
        ww_say "warehouse: private cluster on 127.0.0.1:$WW_PRIVATE_PG_PORT"
    fi
}

ww_airflow_env() {
    export AIRFLOW_HOME="${AIRFLOW_HOME:-$WW_LOCAL/airflow}"
    export AIRFLOW__CORE__DAGS_FOLDER="$WW_ROOT/dags"
    export AIRFLOW__CORE__PLUGINS_FOLDER="$WW_ROOT/plugins"
    export AIRFLOW__CORE__LOAD_EXAMPLES=False
    export AIRFLOW__CORE__UNIT_TEST_MODE="${AIRFLOW__CORE__UNIT_TEST_MODE:-False}"
    export AIRFLOW__API__HOST="${AIRFLOW__API__HOST:-127.0.0.1}"
    export AIRFLOW__API__PORT="${AIRFLOW__API__PORT:-8080}"
    # `airflow standalone` starts its components by running `airflow` from PATH.
    export PATH="$WW_VENV/bin:$PATH"
    mkdir -p "$AIRFLOW_HOME"
}

ww_venv && ww_warehouse && ww_airflow_env
