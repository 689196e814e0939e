#!/usr/bin/env bash
# System packages the test suite needs beyond bootstrap.sh's venv and PostgreSQL; run by `make test`.
# Idempotent and instant when everything is present.
#   - chromium (Debian's package, /usr/bin/chromium): the browser tests drive it with Playwright
#     (pip package in requirements.lock; `playwright install` is never run).
set -euo pipefail

say() { printf '\033[1;34m[test-prereqs]\033[0m %s\n' "$*" >&2; }

CHROMIUM=/usr/bin/chromium
if [ ! -x "$CHROMIUM" ]; then
    if [ "$(id -u)" = 0 ]; then apt=(apt-get); elif sudo -n true 2>/dev/null; then apt=(sudo -n apt-get)
    else
        say "warning: $CHROMIUM is missing and installing it needs root: sudo apt-get install chromium" \
            "(the browser tests are skipped without it, and fail under CI)"
        exit 0
    fi
    say "installing chromium for the browser tests (apt-get; once)"
    export DEBIAN_FRONTEND=noninteractive
    "${apt[@]}" update -q >/dev/null
    "${apt[@]}" install -y -q chromium >/dev/null
    [ -x "$CHROMIUM" ] || { say "error: apt-get installed chromium but $CHROMIUM is missing"; exit 1; }
fi
