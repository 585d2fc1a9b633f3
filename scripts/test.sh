#!/usr/bin/env bash
# Set up (Python packages and Debian's chromium for the browser tests) and run the whole test suite
# (scripts/test.sh --fast: the quick lane, see below).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  else
    echo "chromium not found: browser tests will be skipped (sudo apt-get install chromium fonts-noto-cjk)" >&2
  fi
fi
# The Spark engine's parity tests need a JRE (Debian's); without one they are skipped with the reason.
if ! command -v java >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  else
    echo "java not found: Spark parity tests will be skipped (sudo apt-get install openjdk-17-jre-headless)" >&2
  fi
fi
# As root both were installed above: a browser or Spark test skipped for a missing tool fails the run.
[ "$(id -u)" = 0 ] && export DASHBOARD_NO_SKIPS=1
bash scripts/setup.sh dev
.venv/bin/ruff check .
# --fast: the daily loop (about 2.5 minutes): everything but the browser, Spark, soak/load and slow-marked
# tests, on three workers of one DuckDB thread each (pytest-xdist: each test has its own database, so they
# run side by side). On this 2-core machine three beat two: a third of two workers' time was waiting (on
# locks, files, child processes), and DuckDB's own threads only competed with the other worker's.
# CI and the README's quick start run the whole suite (no argument), one test at a time.
if [ "${1:-}" = --fast ]; then
  shift
  export DASHBOARD_FUZZ_EXAMPLES=3  # the SQL-vs-Python fuzz: 3 generated files here, 8 in the full suite
  export DASHBOARD_THREADS=1
  set -- -m "not browser and not spark and not system and not slow" -n 3 "$@"
fi
exec .venv/bin/python -m pytest -q "$@"
