#!/bin/bash
# Runs once, when the Postgres volume is first created (docker-entrypoint-initdb.d):
# the image creates $POSTGRES_DB (Airflow's metadata); this adds the wirewatch warehouse beside it.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
SELECT 'CREATE DATABASE ${WIREWATCH_DB}' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${WIREWATCH_DB}')\gexec
SQL
