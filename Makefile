# One command each; every target bootstraps what it needs (see scripts/bootstrap.sh).
SHELL := /bin/bash
BOOT := set -eo pipefail; source scripts/bootstrap.sh
PYTEST_ARGS ?=
SCALE_ARGS ?=
SOAK_ARGS ?=

.PHONY: demo test airflow scale-test soak migrate lock clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

demo:  ## run the ingest DAG once over the bundled offline corpus and print a summary
	@$(BOOT); wirewatch demo

test:  ## run the whole test suite against a real PostgreSQL (and headless Chromium)
	@$(BOOT); scripts/test-prereqs.sh; python -m pytest $(PYTEST_ARGS)

airflow:  ## start Airflow (standalone) with this project's dags/ and plugins/ on 127.0.0.1
	@$(BOOT); scripts/airflow-standalone.sh

scale-test:  ## news_ingest on CeleryExecutor (2 workers, Redis) vs LocalExecutor over 5,000+ loopback articles; same warehouse?
	@$(BOOT); python scripts/scale_test.py $(SCALE_ARGS)

soak:  ## news_ingest on its schedule for 40 cycles over a changing loopback farm (SOAK_ARGS=--celery for Celery); table + chart in .local/soak
	@$(BOOT); python scripts/soak.py $(SOAK_ARGS)

migrate:  ## apply pending warehouse migrations to $$WIREWATCH_DATABASE_URL
	@$(BOOT); wirewatch db migrate

lock:  ## re-resolve requirements.txt into requirements.lock
	@set -e; d=$$(mktemp -d); python3 -m venv $$d; $$d/bin/pip install -q -r requirements.txt; \
	  $$d/bin/pip freeze | grep -v '^-e' > requirements.lock; rm -rf $$d; echo "requirements.lock updated"

clean:  ## stop the private PostgreSQL (if any) and remove .venv and .local
	@if [ -f .local/pg/data/postmaster.pid ]; then \
	  b=$$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1); \
	  $${b:+$$b/}pg_ctl -D .local/pg/data stop || runuser -u postgres -- $${b:+$$b/}pg_ctl -D .local/pg/data stop; fi
	rm -rf .venv .local
