#!/usr/bin/env bash
# Set up, load the bundled demo data into an empty database, and start the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m dashboard demo --if-empty
exec .venv/bin/streamlit run app/server.py --server.headless true "$@"
