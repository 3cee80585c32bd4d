#!/usr/bin/env bash
# Run the test suite: set up .venv with the test extras if needed, then pytest (arguments pass through).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/bootstrap.sh test
bash scripts/install_browser.sh || echo "warning: scripts/install_browser.sh failed; the browser test may skip" >&2
exec "$FAIRGAP_PYTHON" -m pytest "$@"
