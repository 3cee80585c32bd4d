#!/usr/bin/env bash
# Run the test suite: set up .venv with the test extras if needed, then pytest (arguments pass through).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/bootstrap.sh test
exec "$FAIRGAP_PYTHON" -m pytest "$@"
